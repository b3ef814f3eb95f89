"""Scoring a completion against a task: ``score``, ``score_many``, ``ascore_many`` and the worker job.

The whole judgement of one sample happens inside a sandbox worker (``score_job``): parse the
completion, compile it, load it as a mod, run the task's checks, measure the components, combine
them with the family's rubric. The parent only ships JSON in and out, so a hostile completion can
at worst kill its worker, which the executor reports as a failure (reward 0 with the reason).

Components (each 0..1; docs/tasks.md "Scoring" is the reference):

* ``syntax``: 1 when the extracted code compiles under LuaJIT 2.1 (Lua 5.1 grammar plus goto).
* ``api_usage``: 0 when the mod fails to load; else ``max(0, 1 - 0.25 * W)`` with ``W`` the number
  of distinct warnings the emulation records while loading and running the checks (unknown or
  deprecated API, undeclared globals, engine warnings).
* ``task_completion``: what the answer achieves beyond the do-nothing answer (``baseline_code``:
  the input of a repair or refactor, else an empty mod): the share of the checks the do-nothing
  answer fails that this one passes, times the share of those it passes that this one still passes
  (``task_credit``). Echoing the input earns nothing; breaking what worked costs.
* ``code_quality``: the mean of three 0/1 measurements: no new globals besides the mod's own
  namespace table (named like the mod), no debug output (nothing printed or logged at "none"/
  "action" level while loading, no ``print(`` call in the code), and size: at most
  ``3 * reference_lines + 20`` non-blank, non-comment lines.

The reward is ``Rubric.reward`` (vf_luanti/rubric.py, the one formula): an answer passes when the
mod loads, every check passes and the server never crashes (start-up steps, scenarios and the soak
that follows them, vf_luanti.checks); a failing answer earns a bounded share of the weights.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NotRequired, TypeAlias, TypedDict

from .rubric import COMPONENTS, load_rubric
from .splits import get_task
from .syntax import syntax_error
from .tasks import Task, TaskError, task_text

if TYPE_CHECKING:
    from .checks import CheckResult

JOB = "vf_luanti.scoring:score_job"
EMPTY_MOD = "-- an empty mod\n"
WARNING_PENALTY = 0.25
SIZE_FACTOR, SIZE_SLACK = 3, 20

#: What the scoring functions accept as a task: the Task, its id, or its JSON object.
TaskRef: TypeAlias = Task | str | dict[str, Any]


class ScoreJob(TypedDict):
    """A worker job as the parent sends it (``score_job`` still checks what it receives)."""

    task: str  # the task's JSON text
    completion: str
    baseline: NotRequired[bool]  # false: skip the do-nothing answer's run (``score_many``)
    beside_game: NotRequired[bool]  # false: no game run for a passing sample (``score_many``)


@dataclass
class Score:
    """The verdict on one completion. ``failure`` names an infrastructure failure (timeout, crash ...)."""

    reward: float = 0.0
    passed: bool = False
    components: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COMPONENTS, 0.0))
    feedback: list[str] = field(default_factory=list)
    failure: str | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Score:
        return cls(
            reward=float(d.get("reward", 0.0)),
            passed=bool(d.get("passed", False)),
            components={k: float(d.get("components", {}).get(k, 0.0)) for k in COMPONENTS},
            feedback=[str(x) for x in d.get("feedback", [])],
            failure=d.get("failure"),
            checks=list(d.get("checks", [])),
        )

    @classmethod
    def zero(cls, reason: str, failure: str | None = None) -> Score:
        return cls(feedback=[reason], failure=failure)


def combine(family: str, comp: dict[str, float], passed: bool) -> float:
    """The reward of ``family``'s rubric (``Rubric.reward``, the one formula) for these components."""
    return load_rubric(family).reward(comp, passed)


def task_credit(passed: Sequence[bool], baseline: Sequence[bool]) -> float:
    """``task_completion``: the checks' outcomes measured against the do-nothing answer's.

    ``gained`` is the share of the checks the do-nothing answer fails that the answer passes;
    ``kept`` the share of those the do-nothing answer passes (refactor preservation, negative
    cases) that it still passes. Without a check left to gain (an item ``data validate``
    rejects) the plain pass rate stands.
    """
    todo = [p for p, b in zip(passed, baseline, strict=True) if not b]
    guard = [p for p, b in zip(passed, baseline, strict=True) if b]
    if not todo:
        return sum(passed) / len(passed) if passed else 0.0
    kept = sum(guard) / len(guard) if guard else 1.0
    return sum(todo) / len(todo) * kept


def baseline_code(task: Task) -> str:
    """The answer of a model that does no work: the input when it is code (repair, refactor, a
    scaffold given context code), else an empty mod. Credit is measured beyond what it achieves."""
    if task.family in ("repair", "refactor") or (task.family == "scaffold" and task.input.strip()):
        return task.input
    return EMPTY_MOD


# --------------------------------------------------------------------------- in the worker


def code_lines(code: str) -> int:
    """Non-blank lines that are not only a comment (what the size limit counts)."""
    from .lualex import strip_lua_comments

    return sum(1 for line in strip_lua_comments(code).splitlines() if line.strip())


def _quality(code: str, reference: str, new_globals: list[str], output: list[str]) -> tuple[float, list[str]]:
    from .lualex import calls_print

    notes = []
    parts = []
    parts.append(not new_globals)
    if new_globals:
        notes.append(
            "code quality: the mod sets global(s) "
            + ", ".join(sorted(new_globals)[:8])
            + " -- use local variables, and one table named like the mod for its API"
        )
    debug = bool(output) or calls_print(code)
    parts.append(not debug)
    if debug:
        notes.append(
            "code quality: leftover debug output (print()/core.log without a level, or printed text)"
        )
    limit = SIZE_FACTOR * code_lines(reference) + SIZE_SLACK
    n = code_lines(code)
    parts.append(n <= limit)
    if n > limit:
        notes.append(f"code quality: {n} lines of code, more than {limit} (3x the reference + 20)")
    return sum(parts) / len(parts), notes


def warm_worker() -> None:
    """Fill this process's caches of the judge once, before the first sample (the sandbox worker
    calls it): the modules, the rubrics, the compile-only Lua state, the globals of an empty world."""
    from . import checks, parse, world  # noqa: F401
    from .rubric import FAMILIES, load_rubric

    for family in FAMILIES:
        load_rubric(family)
    syntax_error("")
    checks.baseline_globals()


def score_job(payload: dict[str, Any]) -> dict[str, Any]:
    """The worker job: payload {"task": task JSON text or dict, "completion": str} -> Score as a dict."""
    from .runtime import SandboxLimitError

    try:
        return _score_in_worker(payload).to_dict()
    except SandboxLimitError:
        raise  # the pool reports it as a timeout/memory/sandbox failure
    except Exception as exc:  # an emulation bug must not turn into a crashed trainer
        return Score.zero(
            f"internal error while scoring: {type(exc).__name__}: {exc}", failure="internal_error"
        ).to_dict()


@lru_cache(maxsize=1024)
def _parsed_task(text: str) -> Task:
    """A task from its JSON text, validated once per worker: a task's completions all carry the
    same text (RL groups, pass@k samples), and validating its checks costs as much as a scenario."""
    return Task.from_dict(json.loads(text), "task")


@lru_cache(maxsize=256)
def _baseline_passes(text: str) -> tuple[bool, ...]:
    """Which of a task's checks the do-nothing answer (``baseline_code``) passes, computed once per
    worker and task: it is task data, the same for every completion of the task. When the input
    does not load, the empty mod stands in for it."""
    from .checks import CheckSession

    task = _parsed_task(text)
    for code in dict.fromkeys((baseline_code(task), EMPTY_MOD)):
        if syntax_error(code) is None:
            session = CheckSession(task, code)
            if session.loaded_ok:
                return tuple(r.passed for r in session.run_all())
    return (False,) * len(task.checks)


def _score_in_worker(payload: dict[str, Any]) -> Score:
    from .checks import CheckSession
    from .parse import extract_code

    raw = payload.get("task")
    if not isinstance(raw, (str, dict)):
        return Score.zero(
            f"invalid task: expected its JSON text or object, got {type(raw).__name__}", failure="bad_input"
        )
    try:
        task = _parsed_task(raw if isinstance(raw, str) else task_text(raw))
    except (TaskError, TypeError, ValueError) as exc:
        return Score.zero(f"invalid task: {exc}", failure="bad_input")
    completion = payload.get("completion")
    if not isinstance(completion, str):
        return Score.zero(
            f"the completion must be a string, got {type(completion).__name__}", failure="bad_input"
        )
    parsed = extract_code(completion, task.family, task.input)
    if parsed.error:
        return Score.zero(f"no code to judge: {parsed.error}")
    comp = dict.fromkeys(COMPONENTS, 0.0)
    feedback = list(parsed.notes)
    err = syntax_error(parsed.code)
    if err:
        return Score(components=comp, feedback=[*feedback, f"syntax error: {err}"])
    comp["syntax"] = 1.0
    session = CheckSession(task, parsed.code, parsed.depends, payload.get("beside_game", True))
    if not session.loaded_ok:
        feedback.append("the mod does not load: " + "; ".join(session.load_errors[:3]))
        feedback.extend(f"warning: {w}" for w in session.warnings[:5])
        return Score(reward=combine(task.family, comp, False), components=comp, feedback=feedback)
    results = session.run_all()
    if payload.get("baseline", True):
        for r, b in zip(results, _baseline_passes(task.json_text), strict=True):
            r.baseline = b
    quality, qnotes = _quality(parsed.code, task.reference, session.new_globals(), session.output)
    return verdict(task.family, results, session.warnings, quality, [*feedback, *qnotes], session.crash)


def verdict(
    family: str,
    results: list[CheckResult],
    warnings: list[str],
    quality: float,
    notes: list[str],
    crash: str | None = None,
    summary: str = "",
) -> Score:
    """The Score of an answer that loaded: every path that judges a loaded mod (the sandboxed
    emulator here, the real engine in vf_luanti.engine_scoring.engine_score) builds it here, so the
    components, ``passed`` and the feedback mean the same everywhere. ``notes`` (parser and
    code-quality notes) follow the failed checks and warnings; ``summary`` extends the first line."""
    n_pass = sum(r.passed for r in results)
    passed = n_pass == len(results) and crash is None
    comp = {
        "syntax": 1.0,
        "api_usage": max(0.0, 1.0 - WARNING_PENALTY * len(warnings)),
        "task_completion": task_credit([r.passed for r in results], [r.baseline for r in results]),
        "code_quality": quality,
    }
    feedback = [f"{n_pass}/{len(results)} checks passed{summary}"]
    if crash:
        feedback.append(f"the server crashed while running on after the checks: {crash}")
    feedback += [r.feedback for r in results if not r.passed] + [f"warning: {w}" for w in warnings[:10]]
    feedback += notes
    return Score(
        reward=combine(family, comp, passed),
        passed=passed,
        components=comp,
        feedback=feedback,
        checks=[r.to_dict() for r in results],
    )


# --------------------------------------------------------------------------- in the parent


def _task_text(task_or_id: TaskRef) -> str:
    if isinstance(task_or_id, Task):
        return task_or_id.json_text
    if isinstance(task_or_id, str):
        return get_task(task_or_id).json_text
    if isinstance(task_or_id, dict):
        return task_text(task_or_id)
    raise TaskError(f"expected a Task, a task id or a task dict, got {type(task_or_id).__name__}")


def _payloads(
    pairs: list[tuple[TaskRef, str]], baseline: bool = True, beside_game: bool = True
) -> tuple[list[ScoreJob | None], list[Score | None]]:
    payloads: list[ScoreJob | None] = []
    early: list[Score | None] = []
    for task_or_id, completion in pairs:
        try:
            job: ScoreJob = {"task": _task_text(task_or_id), "completion": completion}
            if not baseline:
                job["baseline"] = False
            if not beside_game:
                job["beside_game"] = False
            payloads.append(job)
            early.append(None)
        except (TaskError, OSError, TypeError, ValueError) as exc:  # ValueError: bad JSON, circular dicts
            payloads.append(None)
            early.append(Score.zero(f"bad task: {exc}", failure="bad_input"))
    return payloads, early


def _from_result(res: Any) -> Score:
    if not isinstance(res, dict):
        return Score.zero(f"the worker returned {type(res).__name__}, not a result", failure="crash")
    if res.get("failure") and "reward" not in res:
        return Score.zero(
            f"scoring failed ({res['failure']}): {res.get('reason', '')}".strip(), failure=str(res["failure"])
        )
    return Score.from_dict(res)


def _run_jobs(payloads: list[ScoreJob]) -> list[Any]:
    """Run score jobs through the sandbox worker pool (vf_luanti.execution)."""
    from .execution import default_executor

    return default_executor().run_many([(JOB, p) for p in payloads])


def _scores(results: list[Any], early: list[Score | None]) -> list[Score]:
    it = iter(results)
    return [e if e is not None else _from_result(next(it)) for e in early]


def score_many(
    pairs: Sequence[tuple[TaskRef, str]], baseline: bool = True, beside_game: bool = True
) -> list[Score]:
    """Score (task, completion) pairs; never raises, one Score per pair in order.

    ``baseline=False`` skips the do-nothing answer's run, which only shapes the partial credit of
    an answer that fails a check (``task_credit``): ``passed``, the checks' outcomes and the reward
    of an answer passing every check are the same (generate.verify needs no more).
    ``beside_game=False`` skips the run beside the game (checks/game.py) of a passing sample: the
    verdict of the plain worlds only, for checking the data itself (generate.verify; the generator's
    kinds are run beside the game by tests/test_generate.py)."""
    try:
        payloads, early = _payloads(list(pairs), baseline, beside_game)
        todo = [p for p in payloads if p is not None]
        return _scores(_run_jobs(todo) if todo else [], early)
    except Exception as exc:
        return [
            Score.zero(f"scoring failed: {type(exc).__name__}: {exc}", failure="internal_error")
            for _ in pairs
        ]


def score(task_or_id: TaskRef, completion: str) -> Score:
    """Score one completion (reward 0..1, passed, components, feedback); never raises."""
    return score_many([(task_or_id, completion)])[0]


async def ascore_many(pairs: Sequence[tuple[TaskRef, str]]) -> list[Score]:
    """``score_many`` for async callers (the verifiers environment), via the pool's arun_many."""
    from .execution import default_executor

    try:
        payloads, early = _payloads(list(pairs))
        todo = [p for p in payloads if p is not None]
        results = await default_executor().arun_many([(JOB, p) for p in todo]) if todo else []
        return _scores(results, early)
    except Exception as exc:
        return [
            Score.zero(f"scoring failed: {type(exc).__name__}: {exc}", failure="internal_error")
            for _ in pairs
        ]
