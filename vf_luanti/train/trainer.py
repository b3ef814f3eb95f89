"""The SFT loop: token-weighted loss over gradient-accumulation windows, checkpoints, exact resume.

The batch order is a pure function of (seed, step), so a resumed run sees the same examples in the
same order as an uninterrupted one; a checkpoint holds the adapter, optimiser, schedule and RNG state.
Every run directory gets ``manifest.json`` (config, data hash, versions, git commit) and
``log.jsonl`` (loss, learning rate, gradient norm, eval loss).
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from . import data as datamod
from .backends import load
from .config import ConfigError, TrainConfig

#: Packages whose versions the manifest records.
VERSIONED = ("vf-luanti", "torch", "transformers", "peft", "accelerate", "bitsandbytes", "unsloth", "trl")
STATE_FILE = "trainer_state.pt"


@dataclass
class RunResult:
    """Where a finished run left its adapter, and how it ended."""

    output_dir: Path
    final_checkpoint: Path
    steps: int
    last_loss: float
    eval_loss: float | None


def checkpoints(output_dir: Path) -> list[Path]:
    """Complete checkpoints in ``output_dir``, oldest first (a half-written one has no state file)."""
    found = [
        p for p in output_dir.glob("checkpoint-*") if (p / STATE_FILE).is_file() and p.name[11:].isdigit()
    ]
    return sorted(found, key=lambda p: int(p.name[11:]))


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit() -> dict[str, Any] | None:
    """The commit of the vf-luanti checkout and whether it had local changes; None outside git."""
    repo = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Multiplier on the peak lr for optimiser step ``step`` (0-based): linear warm-up, then decay."""
    warmup = math.ceil(cfg.optim.warmup_ratio * cfg.run.max_steps)
    if step < warmup:
        return (step + 1) / warmup
    if cfg.optim.scheduler == "constant":
        return 1.0
    progress = (step - warmup) / max(1, cfg.run.max_steps - warmup)
    if cfg.optim.scheduler == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    return max(0.0, 1.0 - progress)


def window(step: int, n_examples: int, cfg: TrainConfig) -> list[list[int]]:
    """Example indices of the micro-batches of optimiser step ``step`` (0-based).

    Examples are drawn from a stream of per-epoch permutations seeded by (seed, epoch), so the order
    depends on nothing but the config and the step.
    """
    per_step = cfg.optim.batch_size * cfg.optim.grad_accum
    start = step * per_step
    stream: list[int] = []
    epoch = start // n_examples
    offset = start % n_examples
    while len(stream) < offset + per_step:
        order = list(range(n_examples))
        random.Random(cfg.run.seed * 1_000_003 + epoch).shuffle(order)
        stream += order
        epoch += 1
    picked = stream[offset : offset + per_step]
    bs = cfg.optim.batch_size
    return [picked[i : i + bs] for i in range(0, per_step, bs)]


def collate(rows: list[dict[str, list[int]]], pad_id: int, device: str) -> dict[str, Any]:
    """Right-pad a micro-batch; padded positions are masked out of attention and loss."""
    import torch

    width = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), datamod.IGNORE, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        n = len(r["input_ids"])
        ids[i, :n] = torch.tensor(r["input_ids"])
        labels[i, :n] = torch.tensor(r["labels"])
        mask[i, :n] = 1
    return {"input_ids": ids.to(device), "attention_mask": mask.to(device), "labels": labels.to(device)}


def _target_tokens(batch: dict[str, Any]) -> int:
    """Tokens the causal-LM loss counts: labels shifted by one, ignoring -100."""
    return int((batch["labels"][:, 1:] != datamod.IGNORE).sum())


def _summed_loss(model: Any, batch: dict[str, Any]) -> tuple[Any, int]:
    n = _target_tokens(batch)
    out = model(**batch)
    return out.loss * n, n


def evaluate_loss(
    model: Any, rows: list[dict[str, list[int]]], pad_id: int, device: str, batch_size: int
) -> float:
    """Token-weighted mean loss on held-out rows."""
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(rows), batch_size):
            batch = collate(rows[i : i + batch_size], pad_id, device)
            loss, n = _summed_loss(model, batch)
            if n:
                total += float(loss)
                count += n
    model.train()
    return total / max(1, count)


def _make_optimizer(cfg: TrainConfig, params: list[Any], device: str) -> tuple[Any, str]:
    import torch

    name = cfg.optim.optimizer
    if name == "auto":
        try:
            import bitsandbytes  # noqa: F401
        except ImportError:
            name = "adamw"
        else:
            name = "adamw_8bit" if device == "cuda" else "adamw"
    kw = {"lr": cfg.optim.lr, "weight_decay": cfg.optim.weight_decay}
    if name == "adamw_8bit":
        import bitsandbytes as bnb

        return bnb.optim.AdamW8bit(params, **kw), name
    return torch.optim.AdamW(params, **kw), name


class _Log:
    """Appends JSON lines to log.jsonl, flushed per line so a crash keeps everything logged so far."""

    def __init__(self, path: Path, keep_until: int) -> None:
        # On resume, drop rows of steps after the checkpoint: they are about to be run again.
        kept = []
        if path.exists():
            kept = [
                ln
                for ln in path.read_text(encoding="utf-8").splitlines()
                if ln.strip() and json.loads(ln)["step"] <= keep_until
            ]
        path.write_text("".join(ln + "\n" for ln in kept), encoding="utf-8")
        self.f = path.open("a", encoding="utf-8")

    def write(self, **row: Any) -> None:
        self.f.write(json.dumps(row) + "\n")
        self.f.flush()

    def close(self) -> None:
        self.f.close()


def write_json(path: Path, obj: Any) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _save_checkpoint(out: Path, step: int, model: Any, optimizer: Any, scheduler: Any) -> Path:
    """Write into a temporary folder, then rename: a crash mid-save leaves no half checkpoint."""
    import torch

    final = out / f"checkpoint-{step}"
    tmp = out / f".checkpoint-{step}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp))
    state = {
        "step": step,
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    }
    torch.save(state, tmp / STATE_FILE)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    return final


def _restore(ckpt: Path, model: Any, optimizer: Any, scheduler: Any) -> int:
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    set_peft_model_state_dict(model, load_file(str(ckpt / "adapter_model.safetensors")))
    state = torch.load(ckpt / STATE_FILE, weights_only=False)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    if state["cuda_rng"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    return int(state["step"])


def _check_resumable(manifest: dict[str, Any], cfg: TrainConfig, digest: str) -> None:
    """A resumed run must train the same model on the same data; only run length and logging may change."""
    if manifest.get("data_hash") != digest:
        raise ConfigError("resume: the training data changed since the checkpoint (data hash differs)")
    old, new = dict(manifest.get("config", {})), cfg.to_dict()
    for d in (old, new):
        d.pop("run", None)
    if old != new:
        raise ConfigError("resume: model/lora/data/optim config differs from the checkpointed run's manifest")


def train(cfg: TrainConfig, progress: bool = True) -> RunResult:
    """Run (or resume) SFT as configured; returns where the final adapter is."""
    import torch

    out = Path(cfg.run.output_dir)
    existing = checkpoints(out) if out.is_dir() else []
    if existing and not cfg.run.resume:
        raise ConfigError(
            f"{out} already holds checkpoints; pass run.resume=true or choose another run.output_dir"
        )
    out.mkdir(parents=True, exist_ok=True)

    random.seed(cfg.run.seed)
    torch.manual_seed(cfg.run.seed)
    examples = datamod.load_examples(cfg.data)
    digest = datamod.data_hash(examples)
    manifest_path = out / "manifest.json"
    manifest: dict[str, Any] = (
        json.loads(manifest_path.read_text()) if existing and manifest_path.exists() else {}
    )
    if existing:
        _check_resumable(manifest, cfg, digest)

    train_ex, eval_ex = datamod.split_eval(examples, cfg.data.eval_size, cfg.run.seed)
    loaded = load(cfg)
    model, tok = loaded.model, loaded.tokenizer
    train_rows, dropped = datamod.encode_all(tok, train_ex, cfg.model.max_length)
    eval_rows, eval_dropped = datamod.encode_all(tok, eval_ex, cfg.model.max_length)
    if not train_rows:
        raise datamod.DataError(
            f"every example's prompt is longer than model.max_length={cfg.model.max_length}"
        )

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer, optim_name = _make_optimizer(cfg, params, loaded.device)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, cfg))
    start = _restore(existing[-1], model, optimizer, scheduler) if existing else 0

    manifest.update(
        config=cfg.to_dict(),
        data_hash=digest,
        examples={
            "train": len(train_rows),
            "eval": len(eval_rows),
            "dropped_too_long": dropped + eval_dropped,
        },
        backend=loaded.backend,
        device=loaded.device,
        dtype=loaded.dtype,
        optimizer=optim_name,
        trainable_params=sum(p.numel() for p in params),
        versions=versions(),
        git=git_commit(),
        command=sys.argv,
        status="running",
    )
    manifest.setdefault("started", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    if existing:
        manifest.setdefault("resumed", []).append(
            {"from_step": start, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        )
    write_json(manifest_path, manifest)

    log = _Log(out / "log.jsonl", keep_until=start)
    pad_id = tok.pad_token_id
    model.train()
    if loaded.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.run.max_steps, initial=start, desc="sft", unit="step")
    last_loss, eval_loss = float("nan"), None
    acc_loss, acc_tokens, acc_steps, t_log = 0.0, 0, 0, time.perf_counter()
    ckpt = existing[-1] if existing else out
    try:
        for step in range(start, cfg.run.max_steps):
            batches = [
                collate([train_rows[i] for i in idx], pad_id, loaded.device)
                for idx in window(step, len(train_rows), cfg)
            ]
            total = sum(_target_tokens(b) for b in batches)
            step_loss = 0.0
            for batch in batches:
                loss, _ = _summed_loss(model, batch)
                (loss / max(1, total)).backward()
                step_loss += float(loss.detach())
            grad_norm = float(torch.nn.utils.clip_grad_norm_(params, cfg.optim.max_grad_norm))
            lr = scheduler.get_last_lr()[0]
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            last_loss = step_loss / max(1, total)
            if not math.isfinite(last_loss):
                raise FloatingPointError(
                    f"loss became {last_loss} at step {step + 1}; last good checkpoint: {ckpt}"
                )
            acc_loss, acc_tokens, acc_steps = acc_loss + step_loss, acc_tokens + total, acc_steps + 1
            done = step + 1
            if done % cfg.run.log_every == 0 or done == cfg.run.max_steps:
                now = time.perf_counter()
                log.write(
                    step=done,
                    loss=acc_loss / max(1, acc_tokens),
                    lr=lr,
                    grad_norm=grad_norm,
                    tokens=acc_tokens,
                    step_time_s=(now - t_log) / acc_steps,
                )
                acc_loss, acc_tokens, acc_steps, t_log = 0.0, 0, 0, now
            if eval_rows and (done % cfg.run.eval_every == 0 or done == cfg.run.max_steps):
                eval_loss = evaluate_loss(model, eval_rows, pad_id, loaded.device, cfg.optim.batch_size)
                log.write(step=done, eval_loss=eval_loss)
            if done % cfg.run.save_every == 0 or done == cfg.run.max_steps:
                ckpt = _save_checkpoint(out, done, model, optimizer, scheduler)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{last_loss:.4f}", lr=f"{lr:.2e}")
    finally:
        log.close()
        if bar is not None:
            bar.close()

    manifest.update(
        status="finished",
        finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        final_checkpoint=str(ckpt),
        last_loss=last_loss,
        eval_loss=eval_loss,
        peak_gpu_memory_bytes=torch.cuda.max_memory_allocated() if loaded.device == "cuda" else None,
    )
    write_json(manifest_path, manifest)
    return RunResult(out, ckpt, cfg.run.max_steps, last_loss, eval_loss)
