"""Reading evaluation results: verifiers 0.3.x ``vf-eval -s`` folders (``results.jsonl`` +
``metadata.json``), verifiers 0.4.x / v1 ``traces.jsonl``, and ``vf-luanti bench`` output (the classic
format), as runs of rollouts. A rollout passes when the environment's ``passed`` metric is 1."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ReportError(ValueError):
    """Results that cannot be read or summarised; the message names the file."""


@dataclass
class Rollout:
    """One sample, normalised from any results format."""

    task_id: str
    family: str
    reward: float
    passed: bool
    metrics: dict[str, float] = field(default_factory=dict)
    feedback: list[str] | None = None  # None: not recorded (vf-eval without -C luanti)
    failure: str | None = None


@dataclass
class Run:
    """The rollouts of one model on one benchmark run."""

    name: str
    source: str
    rollouts: list[Rollout]
    meta: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading


def _info(row: dict[str, Any]) -> dict[str, Any]:
    info = row.get("info") or {}
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except json.JSONDecodeError:
            info = {}
    return info if isinstance(info, dict) else {}


def _classic_rollout(row: dict[str, Any]) -> Rollout:
    info = _info(row)
    metrics = {k: float(v) for k, v in (row.get("metrics") or {}).items() if isinstance(v, (int, float))}
    judged = row.get("luanti") if isinstance(row.get("luanti"), dict) else None
    reward = float(row.get("reward") or 0.0)
    if "passed" in metrics:
        passed = metrics["passed"] >= 0.5
    elif judged is not None:
        passed = bool(judged.get("passed"))
    else:
        passed = reward >= 1.0
    return Rollout(
        task_id=str(info.get("task_id", row.get("example_id"))),
        family=str(info.get("family", "")) or "?",
        reward=reward,
        passed=passed,
        metrics=metrics,
        feedback=list(judged.get("feedback") or []) if judged else None,
        failure=(judged or {}).get("failure")
        or ((row.get("error") or {}).get("error") if row.get("error") else None),
    )


def _trace_rollouts(episode: dict[str, Any]) -> list[Rollout]:
    out = []
    for trace in episode.get("traces") or []:
        data = ((trace.get("task") or {}).get("data")) or ((episode.get("task") or {}).get("data")) or {}
        rewards = trace.get("rewards") or {}
        reward = sum(
            float(r.get("score") or 0.0) * float(r.get("weight", 1.0))
            for r in rewards.values()
            if isinstance(r, dict)
        )
        metrics = {
            k: float(v) for k, v in (trace.get("metrics") or {}).items() if isinstance(v, (int, float))
        }
        judged = (trace.get("info") or {}).get("luanti")
        out.append(
            Rollout(
                task_id=str(data.get("task_id", data.get("name", data.get("idx")))),
                family=str(data.get("family", "")) or "?",
                reward=reward,
                passed=metrics.get("passed", 0.0) >= 0.5,
                metrics=metrics,
                feedback=list(judged.get("feedback") or []) if isinstance(judged, dict) else None,
                failure=(judged or {}).get("failure") if isinstance(judged, dict) else None,
            )
        )
    return out


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ReportError(f"{path}:{n}: not JSON: {exc.msg}") from None
    return rows


def read_run(path: str | Path) -> Run:
    """One results folder (or its results.jsonl / traces.jsonl file)."""
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    if p.is_dir():
        if (p / "results.jsonl").is_file():
            p = p / "results.jsonl"
        elif (p / "traces.jsonl").is_file():
            p = p / "traces.jsonl"
        else:
            raise ReportError(f"{folder}: no results.jsonl or traces.jsonl")
    meta: dict[str, Any] = {}
    if (folder / "metadata.json").is_file():
        try:
            meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ReportError(f"{folder / 'metadata.json'}: {exc}") from exc
    rows = _read_jsonl(p)
    if p.name == "traces.jsonl" or (rows and "traces" in rows[0]):
        rollouts = [r for ep in rows for r in _trace_rollouts(ep)]
        resolved = folder / "configs" / "resolved" / "eval.json"
        if not meta and resolved.is_file():
            meta = {"model": json.loads(resolved.read_text(encoding="utf-8")).get("model")}
    else:
        rollouts = [_classic_rollout(r) for r in rows]
    if not rollouts:
        raise ReportError(f"{p}: no rollouts")
    return Run(name=str(meta.get("model") or folder.name), source=str(folder), rollouts=rollouts, meta=meta)


def find_runs(path: str | Path) -> list[Run]:
    """Every results folder at or below ``path`` (vf-eval nests them as evals/<env>--<model>/<id>/)."""
    p = Path(path)
    if not p.exists():
        raise ReportError(f"{p}: no such file or folder")
    if p.is_file() or (p / "results.jsonl").is_file() or (p / "traces.jsonl").is_file():
        return [read_run(p)]
    found = sorted({f.parent for pat in ("results.jsonl", "traces.jsonl") for f in p.rglob(pat)})
    if not found:
        raise ReportError(f"{p}: no results.jsonl or traces.jsonl below it")
    return [read_run(f) for f in found]


# --------------------------------------------------------------------------- statistics
