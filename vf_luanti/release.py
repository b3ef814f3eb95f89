"""Release artefacts for a promoted adapter: a model card and a results table, in Markdown.

Everything comes from files the pipeline already wrote: the gate decision (``gate.json``), the
sweep's protocol (``sweep.json``) and the training run's ``manifest.json`` (found beside the winning
checkpoint). The card lists the exact commands that reproduce training, serving and evaluation; the
training config is written next to it as TOML so the command needs nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .train.config import to_toml


class ReleaseError(ValueError):
    """The gate or manifest files are missing or unreadable."""


@dataclass
class Release:
    """Where the artefacts were written."""

    card: Path
    results: Path
    train_config: Path | None


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReleaseError(f"cannot read {path}: {exc}") from exc


def results_table(decision: dict[str, Any]) -> str:
    """Baseline, winner and per-family pass@k as Markdown tables, plus the sweep's ranking."""
    base, win = decision["baseline"], decision["winner"]
    k = str(base["k"])
    rows = [
        "| model | pass@1 | pass@" + k + " | mean reward | tasks | rollouts |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in (base, win):
        rows.append(
            f"| {s['model']} | {s['pass_at_k']['1']:.3f} | {s['pass_at_k'][k]:.3f} | {s['mean_reward']:.3f} "
            f"| {s['n_tasks']} | {s['n_rollouts']} |"
        )
    rows.append(
        f"\n**Gate:** {decision['reason']} (Δ {decision['delta_points']:+.1f} points {decision['metric']}, "
        f"target {decision['target_points']:+.1f})\n"
    )
    families = sorted(set(base["per_family"]) | set(win["per_family"]))
    if families:
        rows += [f"| family | baseline pass@{k} | winner pass@{k} | tasks |", "|---|---:|---:|---:|"]
        for fam in families:
            b, w = base["per_family"].get(fam, {}), win["per_family"].get(fam, {})
            rows.append(
                f"| {fam or '(none)'} | {b.get(f'pass@{k}', float('nan')):.3f} "
                f"| {w.get(f'pass@{k}', float('nan')):.3f} | {w.get('tasks', b.get('tasks', 0))} |"
            )
    rows += [
        "",
        f"Sweep ranking ({len(decision['ranking'])} candidates):",
        "",
        f"| model | checkpoint | scale | {decision['metric']} | mean reward |",
        "|---|---|---:|---:|---:|",
    ]
    for r in decision["ranking"]:
        rows.append(
            f"| {r['model']} | {r.get('checkpoint') or ''} | {'' if r.get('scale') is None else r['scale']} "
            f"| {r[decision['metric']]:.3f} | {r['mean_reward']:.3f} |"
        )
    return "\n".join(rows) + "\n"


def _commands(
    decision: dict[str, Any],
    manifest: dict[str, Any] | None,
    protocol: dict[str, Any],
    config_name: str | None,
) -> str:
    cand = decision["winner"].get("candidate") or {}
    base_model = (manifest or {}).get("config", {}).get("model", {}).get("name", "BASE_MODEL")
    ckpt = cand.get("checkpoint") or "ADAPTER"
    scale = cand.get("scale") or 1.0
    git = (manifest or {}).get("git") or {}
    lines = ["```bash"]
    if git.get("commit"):
        lines.append(
            f"git checkout {git['commit']}" + ("   # the run had local changes" if git.get("dirty") else "")
        )
    lines.append("pip install -e '.[train]'")
    if config_name:
        lines.append(f"vf-luanti train --config {config_name}")
    lines += [
        "pip install -e '.[serve,env]'",
        f"vf-luanti serve --model {base_model} --lora {decision['winner']['model']}={ckpt}",
        f"vf-luanti eval --serve {base_model} --adapter {ckpt} --scales {scale:g} -k {protocol.get('k', 5)} "
        f"--temperature {protocol.get('temperature', 0.2)} --top-p {protocol.get('top_p', 0.9)} "
        f"--max-tokens {protocol.get('max_tokens', 300)} --seed {protocol.get('seed', 3407)} "
        f"--split {protocol.get('split', 'eval')} --gate --baseline base "
        f"--target {decision['target_points']:g}",
        "```",
    ]
    return "\n".join(lines)


def model_card(
    decision: dict[str, Any],
    manifest: dict[str, Any] | None,
    protocol: dict[str, Any],
    config_name: str | None,
) -> str:
    """The card: what the adapter is, how it was trained and evaluated, and how to reproduce it."""
    win = decision["winner"]
    cand = win.get("candidate") or {}
    cfg = (manifest or {}).get("config", {})
    lora, optim, run = cfg.get("lora", {}), cfg.get("optim", {}), cfg.get("run", {})
    base_model = cfg.get("model", {}).get("name", "unknown")
    front = [
        "---",
        f"base_model: {base_model}",
        "library_name: peft",
        "tags: [luanti, minetest, lua, lora, vf-luanti]",
        "---",
        "",
    ]
    body = [f"# {win['model']}: a LoRA adapter for writing Luanti mods", ""]
    body.append(
        f"LoRA adapter for `{base_model}`, fine-tuned on vf-luanti's train split and chosen by its eval "
        "gate. "
        f"{'Promoted' if decision['promoted'] else 'Not promoted'}: {decision['reason']}"
    )
    body += [
        "",
        "## Adapter",
        "",
        f"- checkpoint: `{cand.get('checkpoint')}`, served at LoRA scale {cand.get('scale')}"
        " (scale s = lora_alpha × s)",
    ]
    if lora:
        body.append(
            f"- LoRA r={lora.get('r')}, alpha={lora.get('alpha')}, dropout={lora.get('dropout')}, "
            f"targets {', '.join(lora.get('target_modules', []))}; layers: {lora.get('layers') or 'all'}"
        )
    body += ["", "## Training", ""]
    if manifest:
        ex = manifest.get("examples", {})
        body += [
            f"- SFT, loss on the answer only; backend {manifest.get('backend')} ({manifest.get('dtype')}), "
            f"optimiser {manifest.get('optimizer')}, lr {optim.get('lr')} ({optim.get('scheduler')}, "
            f"warm-up {optim.get('warmup_ratio')}), grad clip {optim.get('max_grad_norm')}, "
            f"batch {optim.get('batch_size')} × {optim.get('grad_accum')} accumulation, "
            f"{run.get('max_steps')} steps, seed {run.get('seed')}",
            f"- data: {ex.get('train')} train / {ex.get('eval')} held-out examples "
            f"({ex.get('dropped_too_long')} dropped as too long), sha256 `{manifest.get('data_hash')}`",
            f"- final loss {manifest.get('last_loss')}, eval loss {manifest.get('eval_loss')}",
            "- versions: " + ", ".join(f"{k} {v}" for k, v in (manifest.get("versions") or {}).items() if v),
            f"- code: {(manifest.get('git') or {}).get('commit', 'unknown')}",
        ]
    else:
        body.append("- no training manifest was found beside the checkpoint; training details unknown.")
    body += [
        "",
        "## Evaluation",
        "",
        f"Protocol: k={protocol.get('k')} samples per task, temperature {protocol.get('temperature')}, "
        f"top_p {protocol.get('top_p')}, max {protocol.get('max_tokens')} tokens, server seed "
        f"{protocol.get('seed')}, split `{protocol.get('split')}`; a sample passes when the emulated "
        "engine runs the mod and the task's checks succeed.",
        "",
        results_table(decision),
        "## Reproduce",
        "",
        _commands(decision, manifest, protocol, config_name),
        "",
    ]
    return "\n".join(front + body)


def make_release(gate_path: str | Path, out_dir: str | Path) -> Release:
    """Write MODEL_CARD.md, RESULTS.md and (when the run is known) train_config.toml into ``out_dir``."""
    gate_path = Path(gate_path)
    if gate_path.is_dir():
        gate_path = gate_path / "gate.json"
    decision = _read(gate_path)
    sweep_path = gate_path.with_name("sweep.json")
    protocol = _read(sweep_path).get("protocol", {}) if sweep_path.exists() else {}
    ckpt = (decision["winner"].get("candidate") or {}).get("checkpoint")
    manifest_path = Path(ckpt).parent / "manifest.json" if ckpt else None
    manifest = _read(manifest_path) if manifest_path and manifest_path.is_file() else None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config_path = None
    if manifest:
        config_path = out / "train_config.toml"
        config_path.write_text(to_toml(manifest["config"]), encoding="utf-8")
    card = out / "MODEL_CARD.md"
    card.write_text(
        model_card(decision, manifest, protocol, str(config_path) if config_path else None), "utf-8"
    )
    results = out / "RESULTS.md"
    results.write_text(f"# Results: {decision['winner']['model']}\n\n" + results_table(decision), "utf-8")
    return Release(card, results, config_path)
