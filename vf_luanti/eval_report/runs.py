"""Reading evaluation results: verifiers 0.3.x ``vf-eval -s`` folders (``results.jsonl`` +
``metadata.json``), verifiers 0.4.x / v1 ``traces.jsonl``, and ``vf-luanti bench`` output (the classic
format), as runs of rollouts. A rollout passes when the environment's ``passed`` metric is 1.

A rollout whose model request failed (HTTP error, time-out, no choices) carries ``error``: the model
never answered, so it is neither a pass nor a failure; the statistics count it apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ReportError(ValueError):
    """Results that cannot be read or summarised; the message names the file."""


#: What a results file must hold, for error messages that say what was expected.
EXPECTED = (
    "expected verifiers results: JSON lines, one rollout per line with info.task_id and reward "
    "(vf-eval -s results.jsonl), or one episode with traces per line (v1 traces.jsonl)"
)
#: ``failure`` that vf_luanti.rollouts records in the ``luanti`` state column of a rollout whose model
#: request failed (HTTP error, time-out, no choices): an infrastructure error, not a model failure.
INFRA_FAILURE = "infrastructure"
#: ``Rollout.error`` of a rollout that ran out of time before the model answered.
TIMEOUT_ERROR = "timeout"


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
    #: Why the model request failed (an infrastructure error: HTTP error, time-out, no choices);
    #: None for a rollout the model answered. Errors are never counted as model failures.
    error: str | None = None


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


def _classic_error(row: dict[str, Any], judged: dict[str, Any] | None) -> str | None:
    """The infrastructure error of a vf-eval row: verifiers' ``error`` (its exception class name),
    a time-out stop, or our own marker in the ``luanti`` state column (vf_luanti.rollouts)."""
    err = row.get("error")
    if isinstance(err, dict) and err:
        return str(err.get("error") or err.get("message") or "error")
    if err:
        return str(err)[:80]
    if row.get("stop_condition") == "timeout_reached" or row.get("timed_out"):
        return TIMEOUT_ERROR
    if judged is not None and judged.get("failure") == INFRA_FAILURE:
        return str(judged.get("error") or INFRA_FAILURE)[:80]
    return None


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
    error = _classic_error(row, judged)
    return Rollout(
        task_id=str(info.get("task_id", row.get("example_id"))),
        family=str(info.get("family", "")) or "?",
        reward=reward,
        passed=passed and error is None,
        metrics=metrics,
        feedback=list(judged.get("feedback") or []) if judged else None,
        failure=None if error is not None else (judged or {}).get("failure"),
        error=error,
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
        errors = [e for e in trace.get("errors") or [] if e]
        error = None
        if errors:
            first = errors[0]
            error = (
                str(first.get("type") or first.get("message") or "error")
                if isinstance(first, dict)
                else str(first)
            )
        elif trace.get("is_timeout") or "timeout" in str(trace.get("stop_condition") or ""):
            error = TIMEOUT_ERROR
        out.append(
            Rollout(
                task_id=str(data.get("task_id", data.get("name", data.get("idx")))),
                family=str(data.get("family", "")) or "?",
                reward=reward,
                passed=metrics.get("passed", 0.0) >= 0.5 and error is None,
                metrics=metrics,
                feedback=list(judged.get("feedback") or []) if isinstance(judged, dict) else None,
                failure=(judged or {}).get("failure") if isinstance(judged, dict) and error is None else None,
                error=error,
            )
        )
    return out


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines file; a ReportError naming the file and line otherwise."""
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not a text file; {EXPECTED}") from None
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror or exc}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ReportError(f"{path}:{n}: not JSON ({exc.msg}); {EXPECTED}") from None
        if not isinstance(row, dict):
            raise ReportError(f"{path}:{n}: a JSON {type(row).__name__}, not an object; {EXPECTED}")
        rows.append(row)
    return rows


def _check_classic(path: Path, n: int, row: dict[str, Any]) -> None:
    """A vf-eval row names its task and carries a reward; anything else would make up numbers."""
    if not (_info(row).get("task_id") or "example_id" in row):
        raise ReportError(f"{path}:{n}: no info.task_id or example_id; {EXPECTED}")
    reward, metrics = row.get("reward"), row.get("metrics")
    if reward is not None and not isinstance(reward, (int, float)):
        raise ReportError(f"{path}:{n}: reward {reward!r} is not a number; {EXPECTED}")
    if metrics is not None and not isinstance(metrics, dict):
        raise ReportError(f"{path}:{n}: metrics is not an object; {EXPECTED}")
    if reward is None and metrics is None:
        raise ReportError(f"{path}:{n}: no reward or metrics; {EXPECTED}")


def _check_episode(path: Path, n: int, row: dict[str, Any]) -> None:
    traces = row.get("traces")
    if not isinstance(traces, list) or not all(isinstance(t, dict) for t in traces):
        raise ReportError(f"{path}:{n}: 'traces' is not a list of objects; {EXPECTED}")
    for t in traces:
        data = ((t.get("task") or {}).get("data")) or ((row.get("task") or {}).get("data")) or {}
        if not isinstance(data, dict) or not any(k in data for k in ("task_id", "name", "idx")):
            raise ReportError(f"{path}:{n}: a trace without task.data.task_id; {EXPECTED}")
        rewards, metrics = t.get("rewards") or {}, t.get("metrics") or {}
        if not isinstance(rewards, dict) or not isinstance(metrics, dict):
            raise ReportError(f"{path}:{n}: a trace whose rewards or metrics is not an object; {EXPECTED}")
        for r in rewards.values():
            if isinstance(r, dict) and not all(
                isinstance(r.get(f, 0), (int, float)) or r.get(f) is None for f in ("score", "weight")
            ):
                raise ReportError(f"{path}:{n}: a reward whose score or weight is not a number; {EXPECTED}")


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
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ReportError(
                f"{folder / 'metadata.json'}: not JSON ({type(exc).__name__}); expected "
                "verifiers' metadata.json"
            ) from None
        if not isinstance(meta, dict):
            raise ReportError(
                f"{folder / 'metadata.json'}: not a JSON object; expected verifiers' metadata.json"
            )
    rows = _read_jsonl(p)
    if p.name == "traces.jsonl" or (rows and "traces" in rows[0]):
        for n, row in enumerate(rows, 1):
            _check_episode(p, n, row)
        rollouts = [r for ep in rows for r in _trace_rollouts(ep)]
        resolved = folder / "configs" / "resolved" / "eval.json"
        if not meta and resolved.is_file():
            try:
                meta = {"model": json.loads(resolved.read_text(encoding="utf-8")).get("model")}
            except (OSError, ValueError, AttributeError) as exc:
                raise ReportError(f"{resolved}: not a verifiers eval config ({exc})") from None
    else:
        for n, row in enumerate(rows, 1):
            _check_classic(p, n, row)
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
