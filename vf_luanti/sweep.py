"""Evaluation sweeps and the promotion gate.

``evaluate_model`` runs the verifiers environment (vf_luanti.environment) against one served model
with the seed protocol and saves verifiers' own files (results.jsonl, metadata.json) plus a
``summary.json`` (pass@k, mean reward, per family). A sweep evaluates every (checkpoint, LoRA scale)
pair served by one vLLM process; ``gate`` compares the best with a baseline and promotes it when it
clears the target (+15 points pass@5 by default).

A LoRA scale s is applied by serving a copy of the adapter whose ``lora_alpha`` is s times the
original: every consumer (PEFT, vLLM) multiplies the update by alpha/r (or alpha/sqrt(r) for rsLoRA),
so this scales the update exactly without touching the weights.

Rollouts whose model request failed (HTTP errors, time-outs, empty choices) are infrastructure
errors: a summary counts them (``n_errors``, ``errors``) and leaves them out of pass@k and the mean
reward, and ``gate`` refuses to compare a run with more than 1 % of them (MAX_ERROR_RATE).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from . import eval_report
from .eval_report import TARGET_POINTS
from .eval_report.stats import MAX_ERROR_RATE
from .train.trainer import checkpoints, write_json

#: Seconds a model request may take (the openai client's default); ``eval --request-timeout``.
REQUEST_TIMEOUT = 600.0


class EvalError(RuntimeError):
    """An evaluation could not run or its results cannot be read."""


@dataclass
class Protocol:
    """The seed evaluation protocol; every field is a command-line override."""

    k: int = 5
    temperature: float = 0.2
    top_p: float = 0.9
    max_tokens: int = 300
    #: Given to the vLLM server (``--seed``), not per request: a per-request seed would make the k
    #: samples of one prompt identical.
    seed: int = 3407
    split: str = "eval"
    num_examples: int = -1
    max_concurrent: int = 32
    #: Only these tasks of the split (empty: all).
    task_ids: list[str] = field(default_factory=list)

    def sampling_args(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens}


@dataclass
class Candidate:
    """One model to evaluate: the base (adapter None) or an adapter checkpoint at a LoRA scale."""

    name: str
    adapter: str | None = None
    checkpoint: str | None = None
    scale: float | None = None


@dataclass
class ModelSummary:
    """What the gate compares: pass@k over tasks, mean reward over rollouts, and per family."""

    model: str
    k: int
    n_tasks: int
    n_rollouts: int
    pass_at_k: dict[str, float]
    mean_reward: float
    per_family: dict[str, dict[str, float]] = field(default_factory=dict)
    candidate: dict[str, Any] | None = None
    #: Rollouts whose model request failed (counted in n_rollouts, in no other figure), by kind.
    n_errors: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return self.pass_at_k[str(self.k)]

    @property
    def error_rate(self) -> float:
        return self.n_errors / self.n_rollouts if self.n_rollouts else 0.0

    def error_problem(self, max_rate: float = MAX_ERROR_RATE) -> str | None:
        """One line on this run's infrastructure errors when they exceed ``max_rate``, else None."""
        if self.error_rate <= max_rate:
            return None
        kinds = ", ".join(f"{k} x{v}" for k, v in self.errors.items())
        return (
            f"{self.model}: {self.n_errors} of {self.n_rollouts} rollouts ({100 * self.error_rate:.1f}%) "
            f"failed for infrastructure reasons ({kinds}; not counted as model failures), more than "
            f"{100 * max_rate:g}%: check the server (its log, load, time-outs) and run again"
        )


def dir_name(model: str) -> str:
    """A results folder name for a model id (``owner/model`` → ``owner--model``), as vf-eval does."""
    return model.replace("/", "--")


def summarize(model: str, results_dir: str | Path, k: int) -> ModelSummary:
    """The gate's view of one results folder, from vf_luanti.eval_report and statistics."""
    try:
        rep = eval_report.summarize(eval_report.read_run(results_dir))
    except eval_report.ReportError as exc:
        raise EvalError(f"{model}: {exc}") from exc
    if k not in rep.ks:
        raise EvalError(
            f"{model}: some task has fewer than k={k} samples (pass@k needs k <= n)"
            + (f"; {rep.n_errors} rollouts are infrastructure errors" if rep.n_errors else "")
        )
    ks = sorted({1, k})
    return ModelSummary(
        model=model,
        k=k,
        n_tasks=rep.n_tasks,
        n_rollouts=rep.n_rollouts,
        pass_at_k={str(j): rep.pass_at_k[j].value for j in ks},
        mean_reward=rep.mean_reward.value,
        per_family={
            fam: {f"pass@{j}": d["pass_at_k"][j].value for j in ks} | {"tasks": d["tasks"]}
            for fam, d in rep.per_family.items()
        },
        n_errors=rep.n_errors,
        errors=dict(rep.errors),
    )


def load_summary(path: str | Path) -> ModelSummary:
    """A summary.json, or a results folder holding one."""
    p = Path(path)
    if p.is_dir():
        p = p / "summary.json"
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        # summary.json also records the protocol and timing; the ModelSummary is the rest.
        return ModelSummary(**{f.name: data[f.name] for f in fields(ModelSummary) if f.name in data})
    except (OSError, json.JSONDecodeError, TypeError, AttributeError) as exc:
        raise EvalError(f"cannot read summary {p}: {exc}") from exc


def classic_api_missing() -> str | None:
    """Why ``run_environment`` cannot run here, or None: it drives the classic environment, which
    verifiers 0.4 (v1 only) no longer has. Checked before a server starts (minutes for vLLM);
    ``vf-luanti bench`` asks too."""
    try:
        import verifiers as vf
    except ImportError as exc:
        return f"evaluation needs verifiers and openai: pip install 'vf-luanti[classic]' ({exc})"
    if hasattr(vf, "SingleTurnEnv"):
        return None
    return (
        f"this needs verifiers 0.3.x (the classic API), this is verifiers "
        f"{getattr(vf, '__version__', '?')}: pip install 'vf-luanti[classic]', or run the v1 "
        "taskset with verifiers 0.4's vf-eval (docs/environment.md)"
    )


def run_environment(
    base_url: str,
    model: str,
    protocol: Protocol,
    out_dir: Path,
    api_key: str,
    request_timeout: float = REQUEST_TIMEOUT,
) -> None:
    """One verifiers evaluation of ``model`` at ``base_url``; writes results.jsonl and metadata.json.

    A request that gets no answer within ``request_timeout`` seconds (after the client's retries)
    is an infrastructure error of its rollout, not a wait without end.
    """
    try:
        import verifiers as vf
        from openai import AsyncOpenAI
    except ImportError as exc:
        raise EvalError(
            f"evaluation needs verifiers and openai: pip install 'vf-luanti[classic]' ({exc})"
        ) from exc
    from .environment import load_environment
    from .rollouts import STATE_KEY

    env = load_environment(split=protocol.split, task_ids=protocol.task_ids or None)
    client = vf.OpenAIChatCompletionsClient(
        AsyncOpenAI(base_url=base_url, api_key=api_key, timeout=request_timeout)
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    env.evaluate_sync(
        client=client,
        model=model,
        sampling_args=protocol.sampling_args(),
        num_examples=protocol.num_examples,
        rollouts_per_example=protocol.k,
        max_concurrent=protocol.max_concurrent,
        save_results=True,
        results_path=out_dir,
        # The judgement column: the report's feedback of failures and the infrastructure-error marker.
        state_columns=[STATE_KEY],
    )


def evaluate_model(
    base_url: str,
    candidate: Candidate,
    protocol: Protocol,
    out_root: Path,
    api_key: str = "EMPTY",
    request_timeout: float = REQUEST_TIMEOUT,
) -> ModelSummary:
    """Evaluate one served model and write ``summary.json`` next to verifiers' results."""
    out_dir = out_root / dir_name(candidate.name)
    t0 = time.perf_counter()
    run_environment(base_url, candidate.name, protocol, out_dir, api_key, request_timeout)
    summary = summarize(candidate.name, out_dir, protocol.k)
    summary.candidate = asdict(candidate)
    write_json(
        out_dir / "summary.json",
        asdict(summary) | {"protocol": asdict(protocol), "seconds": time.perf_counter() - t0},
    )
    return summary


def scale_adapter(src: str | Path, scale: float, dst: str | Path) -> Path:
    """Copy a PEFT adapter with its update scaled by ``scale`` (lora_alpha and alpha_pattern times scale)."""
    src, dst = Path(src), Path(dst)
    cfg_path = src / "adapter_config.json"
    if not cfg_path.is_file():
        raise EvalError(f"{src} is not a LoRA adapter (no adapter_config.json)")
    if scale <= 0:
        raise EvalError(f"LoRA scale must be positive, got {scale}")
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("trainer_state.pt", "optimizer*", "*.tmp"))
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["lora_alpha"] = cfg["lora_alpha"] * scale
    cfg["alpha_pattern"] = {k: v * scale for k, v in (cfg.get("alpha_pattern") or {}).items()}
    write_json(dst / "adapter_config.json", cfg)
    return dst


def find_adapters(paths: Sequence[str | Path]) -> list[Path]:
    """Adapter folders: each path is an adapter, or a training run whose checkpoint-N folders are used."""
    found: list[Path] = []
    for p in map(Path, paths):
        if (p / "adapter_config.json").is_file():
            found.append(p)
        elif ckpts := checkpoints(p):
            found += ckpts
        else:
            raise EvalError(f"{p}: neither a LoRA adapter nor a run folder with checkpoints")
    return found


def sweep_candidates(adapters: Sequence[Path], scales: Sequence[float], work_dir: Path) -> list[Candidate]:
    """One candidate per (adapter, scale); scaled copies live in ``work_dir/adapters``."""
    out = []
    for adapter in adapters:
        label = (
            f"{adapter.parent.name}-{adapter.name}"
            if adapter.name.startswith("checkpoint-")
            else adapter.name
        )
        for s in scales:
            name = f"{label}@{s:g}"
            path = adapter if s == 1.0 else scale_adapter(adapter, s, work_dir / "adapters" / name)
            out.append(Candidate(name=name, adapter=str(path), checkpoint=str(adapter), scale=s))
    return out


def gate(
    baseline: ModelSummary, results: Sequence[ModelSummary], target_points: float = TARGET_POINTS
) -> dict[str, Any]:
    """Pick the best candidate (pass@k, then mean reward, then order) and judge it against the baseline."""
    if not results:
        raise EvalError("gate: no candidates were evaluated")
    if any(r.k != baseline.k for r in results):
        raise EvalError("gate: candidates and baseline were evaluated with different k")
    for r in [baseline, *results]:
        if problem := r.error_problem():
            raise EvalError(f"gate refused: {problem}")
    ranked = sorted(enumerate(results), key=lambda ir: (-ir[1].score, -ir[1].mean_reward, ir[0]))
    winner = ranked[0][1]
    delta = 100.0 * (winner.score - baseline.score)
    passed = delta >= target_points - 1e-9  # 100 * (0.5 - 0.4) is 9.999999999999998
    metric = f"pass@{baseline.k}"
    why = (
        f"{winner.model} has the highest {metric} of {len(results)} candidates: {winner.score:.3f} "
        f"vs baseline "
        f"{baseline.model} {baseline.score:.3f} ({delta:+.1f} points; target {target_points:+.1f})"
    )
    if len(ranked) > 1:
        second = ranked[1][1]
        why += f"; runner-up {second.model} {second.score:.3f}"
    return {
        "metric": metric,
        "target_points": target_points,
        "baseline": asdict(baseline),
        "winner": asdict(winner),
        "delta_points": delta,
        "promoted": passed,
        "reason": why + ("." if passed else f". Not promoted: {delta:+.1f} < {target_points:+.1f} points."),
        "ranking": [
            {
                "model": r.model,
                metric: r.score,
                "mean_reward": r.mean_reward,
                "checkpoint": (r.candidate or {}).get("checkpoint"),
                "scale": (r.candidate or {}).get("scale"),
            }
            for _, r in ranked
        ],
    }


def write_gate(decision: dict[str, Any], out_dir: Path) -> Path:
    """gate.json always; when promoted, the winning adapter (at its scale) is copied to ``promoted/``."""
    write_json(out_dir / "gate.json", decision)
    adapter = (decision["winner"].get("candidate") or {}).get("adapter")
    if decision["promoted"] and adapter:
        dst = out_dir / "promoted"
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(adapter, dst, ignore=shutil.ignore_patterns("trainer_state.pt"))
        write_json(dst / "gate.json", decision)
    return out_dir / "gate.json"
