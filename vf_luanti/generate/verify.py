"""Verification at generation: a generated task is kept only when its judge agrees with it.

For every task the reference must score 1.0; a repair input must fail its checks (the planted bug is
observable); a refactor input must pass its ``preserve`` checks and fail another check (the change
is checked); no check may drive a behaviour only with values the instruction quotes
(vf_luanti.hidden). These are the rules ``vf-luanti data validate`` holds the eval items to, applied
with the same scorer (``scoring.score_many``: the sandbox worker pool).

``verified_tasks(n, seed)`` walks the seeded task stream in batches and keeps the first ``n``
verified tasks, so the result is deterministic per seed too (scoring is); ``verified_stream`` is the
same walk as an endless lazy iterator (load_environment's and the taskset's train split).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..tasks import Task
from .assemble import task_stream


@dataclass
class Verdict:
    """Why a task was dropped (empty ``problems``: kept)."""

    task: Task
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(tasks: list[Task]) -> list[Verdict]:
    """Score each task's reference (and input for repair/refactor) and judge it (module docstring)."""
    from ..hidden import findings
    from ..scoring import score_many

    jobs: list[tuple[Task, str]] = []
    for t in tasks:
        jobs.append((t, t.reference))
        if t.family in ("repair", "refactor"):
            jobs.append((t, t.input))
    # the data is judged here: not partial credit, and not the game run (tests/test_generate.py runs
    # each kind's golds beside the game)
    scores = iter(score_many(jobs, baseline=False, beside_game=False))
    out = []
    for t in tasks:
        v = Verdict(t)
        ref = next(scores)
        if not (ref.passed and ref.reward >= 0.999):
            v.problems.append("reference fails: " + "; ".join(ref.feedback[:3]))
        if t.family == "repair" and next(scores).passed:
            v.problems.append("the broken input passes every check")
        elif t.family == "refactor":
            inp = next(scores)
            bad = [c for c in inp.checks if c["kind"] == "preserve" and not c["passed"]]
            if bad or not inp.checks:
                v.problems.append("the input fails its preserve check")
            if inp.passed:
                v.problems.append("the unchanged input passes every check")
        v.problems += [f"hidden cases: {f.describe()}" for f in findings(t)]
        out.append(v)
    return out


@dataclass
class Report:
    """What ``verified_tasks`` did: candidates scored, dropped ones by reason, and the time."""

    kept: int = 0
    candidates: int = 0
    seconds: float = 0.0
    dropped: Counter[str] = field(default_factory=Counter)
    examples: list[Verdict] = field(default_factory=list)

    def summary(self) -> str:
        rate = self.kept / self.seconds * 60 if self.seconds else 0.0
        why = ", ".join(f"{k} {v}" for k, v in self.dropped.most_common()) or "none"
        return (
            f"{self.kept} verified of {self.candidates} generated in {self.seconds:.1f} s "
            f"({rate:.0f} verified tasks/min); dropped: {why}"
        )


def _reason(v: Verdict, t: Task) -> str:
    marks = [x for x in t.tags if x.startswith(("bug:", "change:"))]
    first = v.problems[0].split(":")[0]
    return f"{t.family} {' '.join(marks)} ({first})".replace("  ", " ")


def verified_stream(seed: int = 0, families: list[str] | None = None, batch: int = 16) -> Iterator[Task]:
    """The verified tasks of ``task_stream(seed, families)``, lazily: ``batch`` candidates are
    generated and verified only when the consumer asks for a task the last batch did not hold (the
    RL view: a trainer that takes k tasks costs about k verifications, however long the stream)."""
    stream = task_stream(seed, families)
    while True:
        for v in verify([next(stream) for _ in range(batch)]):
            if v.ok:
                yield v.task


def verified_tasks(
    n: int,
    seed: int = 0,
    families: list[str] | None = None,
    batch: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Task], Report]:
    """The first ``n`` verified tasks of the seeded stream, and a report of what was dropped."""
    stream = task_stream(seed, families)
    kept: list[Task] = []
    rep = Report()
    t0 = time.monotonic()
    while len(kept) < n:
        cands = [next(stream) for _ in range(min(batch, max(8, int((n - len(kept)) * 1.1))))]
        rep.candidates += len(cands)
        for v in verify(cands):
            if v.ok:
                if len(kept) < n:
                    kept.append(v.task)
            else:
                rep.dropped[_reason(v, v.task)] += 1
                if len(rep.examples) < 20:
                    rep.examples.append(v)
        if progress:
            progress(len(kept), n)
    rep.kept = len(kept)
    rep.seconds = time.monotonic() - t0
    return kept, rep


def print_progress(done: int, total: int) -> None:
    """A one-line progress bar on stderr."""
    width = 30
    filled = int(width * done / total) if total else width
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} verified")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()
