"""The numbers of an evaluation report: pass@k, the unbiased estimator of Chen et al. (2021), per
task from its n samples and c passes, averaged over tasks and reported only for k <= the smallest n;
percentile-bootstrap intervals that resample tasks; per-family and criterion means; the gate.

Rollouts whose model request failed (``Rollout.error``: HTTP errors, time-outs, no choices) are
infrastructure errors: counted per run and per task, and left out of every model figure. The model
never answered them, so counting them as failures would report a broken server as a bad model.
A task keeps the samples the model answered; pass@k averages over the tasks with at least k of them.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .runs import ReportError, Rollout, Run

#: The gate's default requirement: the candidate's pass@k must beat the baseline's by this many points.
TARGET_POINTS = 15.0
#: The gate refuses a run with a larger share of infrastructure errors than this.
MAX_ERROR_RATE = 0.01
#: The k values reported when the samples allow them.
STANDARD_K = (1, 2, 3, 5, 10, 20, 50, 100)
CRITERIA = ("syntax", "api_usage", "task_completion", "code_quality", "passed")
BOOTSTRAP_SAMPLES = 2000


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one task with n samples of which c passed: 1 - C(n-c, k) / C(n, k)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


@dataclass
class TaskStats:
    """One task: n samples the model answered, c of them passed, and the infrastructure errors."""

    task_id: str
    family: str
    n: int
    c: int
    mean_reward: float
    feedback: list[str] | None
    errors: int = 0


def task_stats(rollouts: Iterable[Rollout]) -> list[TaskStats]:
    by_task: dict[str, list[Rollout]] = defaultdict(list)
    for r in rollouts:
        by_task[r.task_id].append(r)
    out = []
    for tid, all_rs in sorted(by_task.items()):
        rs = [r for r in all_rs if r.error is None]
        failed = next((r for r in rs if not r.passed), None)
        fb = None
        if failed is not None:
            fb = failed.feedback if failed.feedback is not None else None
            if failed.failure and fb is not None:
                fb = [f"failure: {failed.failure}", *fb]
        out.append(
            TaskStats(
                tid,
                all_rs[0].family,
                len(rs),
                sum(r.passed for r in rs),
                _mean(r.reward for r in rs),
                fb,
                errors=len(all_rs) - len(rs),
            )
        )
    return out


def _mean(xs: Iterable[float]) -> float:
    xs = list(xs)
    return sum(xs) / len(xs) if xs else 0.0


def report_ks(stats: Sequence[TaskStats]) -> list[int]:
    """The k values with an unbiased estimate: standard ones up to the smallest n, plus that n.

    n counts a task's infrastructure errors too (the samples the run asked for), so an error does
    not take a k away from the whole report; the tasks it leaves short drop out of that k only.
    """
    n_min = min(s.n + s.errors for s in stats)
    return sorted(k for k in {k for k in STANDARD_K if k <= n_min} | {n_min} if any(s.n >= k for s in stats))


def bootstrap_ci(
    values: Sequence[float], samples: int = BOOTSTRAP_SAMPLES, seed: int = 0
) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean, resampling ``values`` (one per task)."""
    if len(values) < 2:
        v = values[0] if values else 0.0
        return v, v
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(samples))
    return means[int(0.025 * (samples - 1))], means[math.ceil(0.975 * (samples - 1))]


@dataclass
class Estimate:
    value: float
    lo: float
    hi: float

    def to_dict(self) -> dict[str, float]:
        return {"value": self.value, "ci_low": self.lo, "ci_high": self.hi}


def pass_at_k_table(stats: Sequence[TaskStats], ks: Sequence[int], seed: int = 0) -> dict[int, Estimate]:
    """pass@k per k over the tasks with at least k answered samples (see the module docstring)."""
    out = {}
    for k in ks:
        per_task = [pass_at_k(s.n, s.c, k) for s in stats if s.n >= k]
        lo, hi = bootstrap_ci(per_task, seed=seed)
        out[k] = Estimate(_mean(per_task), lo, hi)
    return out


@dataclass
class Summary:
    """Every number a report shows for one run."""

    name: str
    source: str
    n_tasks: int
    n_rollouts: int
    ks: list[int]
    pass_at_k: dict[int, Estimate]
    per_family: dict[str, dict[str, Any]]
    mean_reward: Estimate
    criteria: dict[str, float]
    tasks: list[TaskStats]
    failures: dict[str, int]
    #: Infrastructure errors by kind (verifiers' error class, or "timeout"); not in any model figure.
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def n_errors(self) -> int:
        return sum(self.errors.values())

    @property
    def error_rate(self) -> float:
        """Infrastructure errors per rollout (n_rollouts counts them)."""
        return self.n_errors / self.n_rollouts if self.n_rollouts else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "n_tasks": self.n_tasks,
            "n_rollouts": self.n_rollouts,
            "n_errors": self.n_errors,
            "error_rate": self.error_rate,
            "errors": self.errors,
            "pass_at_k": {str(k): e.to_dict() for k, e in self.pass_at_k.items()},
            "per_family": {
                f: {
                    "tasks": d["tasks"],
                    "pass_at_k": {str(k): e.to_dict() for k, e in d["pass_at_k"].items()},
                    "mean_reward": d["mean_reward"],
                }
                for f, d in self.per_family.items()
            },
            "mean_reward": self.mean_reward.to_dict(),
            "criteria": self.criteria,
            "failures": self.failures,
            "tasks": [
                {
                    "task_id": t.task_id,
                    "family": t.family,
                    "n": t.n,
                    "c": t.c,
                    "mean_reward": t.mean_reward,
                    "feedback": t.feedback,
                    "errors": t.errors,
                }
                for t in self.tasks
            ],
        }


def summarize(run: Run, seed: int = 0) -> Summary:
    """Every figure of one run; rollouts with an infrastructure error count only as errors."""
    stats = task_stats(run.rollouts)
    answered = [r for r in run.rollouts if r.error is None]
    if not answered:
        raise ReportError(
            f"{run.source}: all {len(run.rollouts)} rollouts are infrastructure errors "
            f"({_error_kinds(run.rollouts)}): the model never answered; check the server"
        )
    ks = report_ks(stats)
    families: dict[str, list[TaskStats]] = defaultdict(list)
    for s in stats:
        if s.n:  # a family whose every request failed has no figures (its errors are counted)
            families[s.family].append(s)
    per_family = {
        fam: {
            "tasks": len(fs),
            "pass_at_k": pass_at_k_table(fs, ks, seed),
            "mean_reward": _mean(r.reward for r in answered if r.family == fam),
        }
        for fam, fs in sorted(families.items())
    }
    task_rewards = [s.mean_reward for s in stats if s.n]
    lo, hi = bootstrap_ci(task_rewards, seed=seed)
    criteria = {
        c: _mean(r.metrics[c] for r in answered if c in r.metrics)
        for c in CRITERIA
        if any(c in r.metrics for r in answered)
    }
    failures: dict[str, int] = defaultdict(int)
    errors: dict[str, int] = defaultdict(int)
    for r in run.rollouts:
        if r.error is not None:
            errors[r.error] += 1
        elif r.failure:
            failures[r.failure] += 1
    return Summary(
        name=run.name,
        source=run.source,
        n_tasks=len(stats),
        n_rollouts=len(run.rollouts),
        ks=ks,
        pass_at_k=pass_at_k_table(stats, ks, seed),
        per_family=per_family,
        mean_reward=Estimate(_mean(r.reward for r in answered), lo, hi),
        criteria=criteria,
        tasks=stats,
        failures=dict(failures),
        errors=dict(sorted(errors.items())),
    )


def _error_kinds(rollouts: Iterable[Rollout]) -> str:
    kinds: dict[str, int] = defaultdict(int)
    for r in rollouts:
        if r.error is not None:
            kinds[r.error] += 1
    return ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items()))


def error_refusal(summary: Summary, max_rate: float = MAX_ERROR_RATE) -> str | None:
    """Why a gate must not compare this run (too many infrastructure errors), or None."""
    if summary.error_rate <= max_rate:
        return None
    kinds = ", ".join(f"{k} x{v}" for k, v in summary.errors.items())
    return (
        f"{summary.name}: {summary.n_errors} of {summary.n_rollouts} rollouts "
        f"({100 * summary.error_rate:.1f}%) are infrastructure errors ({kinds}), "
        f"more than the {100 * max_rate:g}% a gate accepts; fix the server and run again"
    )


def compare(candidate: Summary, baseline: Summary, target_points: float = TARGET_POINTS) -> dict[str, Any]:
    """The gate: candidate pass@k minus baseline pass@k in points, at the largest k both support.

    When either run has more than MAX_ERROR_RATE infrastructure errors the gate is refused:
    ``refused`` holds the reason and ``passed`` is False (errors are never a verdict on a model).
    """
    refused = error_refusal(baseline) or error_refusal(candidate)
    common = sorted(set(candidate.ks) & set(baseline.ks))
    if not common:
        raise ReportError("candidate and baseline share no k (check the rollouts per task)")
    k = common[-1]
    delta = 100.0 * (candidate.pass_at_k[k].value - baseline.pass_at_k[k].value)
    only_c = {t.task_id for t in candidate.tasks} - {t.task_id for t in baseline.tasks}
    only_b = {t.task_id for t in baseline.tasks} - {t.task_id for t in candidate.tasks}
    return {
        "k": k,
        "candidate": candidate.pass_at_k[k].value,
        "baseline": baseline.pass_at_k[k].value,
        "delta_points": delta,
        "target_points": target_points,
        "passed": refused is None and delta >= target_points - 1e-9,
        "refused": refused,
        "same_tasks": not only_c and not only_b,
        "per_family": {
            f: 100.0
            * (candidate.per_family[f]["pass_at_k"][k].value - baseline.per_family[f]["pass_at_k"][k].value)
            for f in candidate.per_family
            if f in baseline.per_family
        },
    }


# --------------------------------------------------------------------------- rendering
