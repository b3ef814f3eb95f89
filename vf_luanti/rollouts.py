"""What both verifiers environments share, free of any verifiers version: task selection, the
dataset rows, completion text extraction and ``RolloutScorer`` (one judgement per (task,
completion), through vf_luanti.scoring, read by the reward and every metric). The classic
``SingleTurnEnv`` is vf_luanti/environment.py, the v1 Taskset vf_luanti/taskset.py.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from typing import Any

from .eval_report.runs import INFRA_FAILURE
from .prompts import user_prompt
from .rubric import COMPONENTS
from .scoring import Score
from .splits import get_task, load_tasks
from .tasks import Task, TaskError

ENV_ID = "vf-luanti"
BACKENDS = ("emulator", "engine")
#: The rubric's reward function; also the metric name under which the reward is recorded.
REWARD_NAME = "luanti_reward"
#: Metrics recorded for every rollout (weight 0): the four criteria, then the binary verdict.
METRICS = (*COMPONENTS, "passed")
#: The state key holding the judgement (reward, passed, components, feedback, failure) of a
#: rollout. Save it with ``vf-eval ... -C luanti``; the report then shows the feedback of failures.
STATE_KEY = "luanti"


def infrastructure_error(state: Any) -> str | None:
    """Why the model request of this rollout failed, or None when it did not.

    verifiers (classic API) stores the exception of a failed request in ``state["error"]`` (a
    ``vf.Error`` such as ModelError or InvalidModelResponseError) and marks a rollout that ran out
    of time with ``state["timed_out"]``; the rubric still runs on such a rollout, with an empty
    completion, so without this check a dead server would be judged like a model writing nothing.
    """
    if state is None:
        return None
    try:
        err = state.get("error")
        timed_out = bool(state.get("timed_out"))
    except AttributeError:
        return None
    if err is not None:
        causes: list[str] = []
        e: BaseException | None = err if isinstance(err, BaseException) else None
        while e is not None and len(causes) < 4:
            causes.append(f"{type(e).__name__}({str(e)[:200]})" if str(e) else type(e).__name__)
            e = e.__cause__ or e.__context__
        return " -> ".join(causes) if causes else str(err)[:300]
    if timed_out:
        return "the rollout timed out"
    return None


class EnvArgumentError(ValueError):
    """A bad ``load_environment`` argument; the message names it and the accepted values."""


def select_tasks(
    split: str = "eval",
    families: Sequence[str] | str | None = None,
    num_examples: int = -1,
    shuffle: bool = False,
    seed: int = 0,
    task_ids: Sequence[str] | None = None,
) -> list[Task]:
    """The tasks an environment serves: a split, filtered by family (and to ``task_ids``, in the
    split's order, when given), in family-interleaved order (or shuffled), then cut to ``num_examples``.

    The split files are ordered by family, so a plain cut (``vf-eval -n 5`` takes the first rows)
    would sample one family; ``interleave_families`` puts one task of each family in every round.
    ``seed`` also seeds the generator of the ``train`` split, so (split, seed) names one dataset.
    """
    tasks = load_tasks(
        split, families if families is None or isinstance(families, str) else list(families), seed=seed
    )
    if task_ids:
        known = {t.id for t in tasks}
        unknown = [i for i in task_ids if i not in known]
        if unknown:
            raise EnvArgumentError(f"unknown task id(s) in split {split!r}: {', '.join(unknown)}")
        tasks = [t for t in tasks if t.id in set(task_ids)]
    if shuffle:
        tasks = list(tasks)
        random.Random(seed).shuffle(tasks)
    else:
        tasks = interleave_families(tasks, seed)
    if num_examples is not None and num_examples >= 0:
        tasks = tasks[:num_examples]
    if not tasks:
        raise EnvArgumentError(f"no tasks selected (split={split!r}, families={families!r})")
    return tasks


def interleave_families(tasks: Sequence[Task], seed: int = 0) -> list[Task]:
    """The tasks in rounds of one task per family (while a family has tasks left), each family's
    tasks in their file order; the family order of each round is drawn from ``Random(seed)``.

    Deterministic for a seed, and any prefix of k * (number of families) tasks holds k of each
    family that has them, so a cut to the first N rows samples every family.
    """
    by_family: dict[str, list[Task]] = {}
    for t in tasks:
        by_family.setdefault(t.family, []).append(t)
    queues = {f: iter(ts) for f, ts in sorted(by_family.items())}
    rng = random.Random(seed)
    out: list[Task] = []
    while queues:
        order = sorted(queues)
        rng.shuffle(order)
        for fam in order:
            task = next(queues[fam], None)
            if task is None:
                del queues[fam]
            else:
                out.append(task)
    return out


def task_info(task: Task, split: str) -> dict[str, Any]:
    """What a result row carries about its task (reports group by task_id and family)."""
    return {
        "task_id": task.id,
        "family": task.family,
        "difficulty": task.difficulty,
        "tags": list(task.tags),
        "split": split,
    }


def dataset_rows(tasks: Sequence[Task], split: str, answer_form: str = "lua") -> list[dict[str, str]]:
    """question / answer / info(JSON) rows, the only columns that survive the env server."""
    return [
        {
            "question": user_prompt(t, answer_form),
            "answer": t.reference,
            "info": json.dumps(task_info(t, split), ensure_ascii=False),
        }
        for t in tasks
    ]


def completion_text(completion: Any) -> str:
    """The last assistant message's text from a completion (messages, pydantic messages or a str)."""
    if isinstance(completion, str):
        return completion
    for msg in reversed(list(completion or [])):
        try:
            role, content = msg["role"], msg.get("content")
        except (KeyError, TypeError, AttributeError):
            continue
        if role != "assistant":
            continue
        if isinstance(content, str):
            return content
        if isinstance(content, list):  # content parts: keep the text ones
            return "".join(
                str(p.get("text", "")) if isinstance(p, dict) else str(getattr(p, "text", "") or "")
                for p in content
            )
        return ""
    return ""


def check_choice(name: str, value: Any, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise EnvArgumentError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


class RolloutScorer:
    """Judges rollouts once each and hands the parts to the per-criterion metric functions.

    ``tasks`` maps task ids to the tasks this environment serves (generated train tasks are not in
    the global index); an unknown id falls back to ``vf_luanti.splits.get_task``. The first function
    that asks for a rollout's score computes it and stores it in the rollout state under
    ``STATE_KEY``; the others read it from there (verifiers calls a rubric's functions one after
    another per rollout, so there is no race).
    """

    def __init__(self, tasks: Sequence[Task], backend: str = "emulator") -> None:
        check_choice("backend", backend, BACKENDS)
        self.tasks = {t.id: t for t in tasks}
        self.backend = backend

    def task_for(self, info: Any) -> Task | None:
        if isinstance(info, str):
            try:
                info = json.loads(info)
            except json.JSONDecodeError:
                return None
        tid = info.get("task_id") if isinstance(info, dict) else None
        if not isinstance(tid, str):
            return None
        if tid in self.tasks:
            return self.tasks[tid]
        try:
            return get_task(tid)
        except TaskError:
            return None

    async def judge(self, info: Any, text: str) -> Score:
        """The Score of ``text`` for the task named in ``info``; never raises."""
        task = self.task_for(info)
        if task is None:
            return Score.zero(f"no task for info {info!r}", failure="bad_input")
        return await self.judge_task(task, text)

    async def judge_task(self, task: Task, text: str) -> Score:
        """The Score of ``text`` for ``task`` on this scorer's backend; never raises."""
        if self.backend == "engine":
            from .engine_scoring import engine_score

            return await asyncio.to_thread(engine_score, task, text)
        from .scoring import ascore_many

        return (await ascore_many([(task, text)]))[0]

    async def score_for(
        self, state: Any, completion: Any, info: Any, task: Task | None = None
    ) -> dict[str, Any]:
        """The judgement of this rollout as a dict (computed on the first call, cached in state)."""
        cached = state.get(STATE_KEY) if state is not None else None
        if isinstance(cached, dict):
            return cached
        infra = infrastructure_error(state)
        if infra is not None:
            # Nothing to judge: record the error instead of a verdict on an empty completion.
            result = Score.zero(f"infrastructure error: {infra}", failure=INFRA_FAILURE).to_dict()
            result.pop("checks", None)
            result["error"] = infra
            state[STATE_KEY] = result
            return result
        text = completion_text(completion)
        score = await (self.judge_task(task, text) if task is not None else self.judge(info, text))
        result = score.to_dict()
        result.pop("checks", None)  # per-check detail stays out of result files; feedback names failures
        if state is not None:
            state[STATE_KEY] = result
        return result

    # -- the rubric's functions: one reward (weight 1) and one metric per criterion (weight 0).
    # Their __name__ is the metric name verifiers records.

    async def luanti_reward(self, completion: Any, info: Any, state: Any) -> float:
        """The family-weighted reward in 0..1 (vf_luanti.scoring.combine)."""
        return float((await self.score_for(state, completion, info))["reward"])

    async def syntax(self, completion: Any, info: Any, state: Any) -> float:
        return float((await self.score_for(state, completion, info))["components"]["syntax"])

    async def api_usage(self, completion: Any, info: Any, state: Any) -> float:
        return float((await self.score_for(state, completion, info))["components"]["api_usage"])

    async def task_completion(self, completion: Any, info: Any, state: Any) -> float:
        return float((await self.score_for(state, completion, info))["components"]["task_completion"])

    async def code_quality(self, completion: Any, info: Any, state: Any) -> float:
        return float((await self.score_for(state, completion, info))["components"]["code_quality"])

    async def passed(self, completion: Any, info: Any, state: Any) -> float:
        """1 when every check passes (what pass@k counts)."""
        return float(bool((await self.score_for(state, completion, info))["passed"]))

    def functions(self) -> list[Any]:
        """Reward function first (it computes the judgement), then the metrics in METRICS order."""
        return [self.luanti_reward, *(getattr(self, m) for m in METRICS)]


def configure_executor(workers: int | None, limits: dict[str, Any] | None) -> None:
    """Set the sandbox settings of the shared worker pool that vf_luanti.scoring uses (it starts
    with them when the first completion is scored)."""
    if workers is None and not limits:
        return
    from .execution import configure_default
    from .runtime import RuntimeLimits

    try:
        parsed = RuntimeLimits.from_mapping(limits) if limits else None
    except (TypeError, ValueError) as exc:
        raise EnvArgumentError(f"limits: {exc}") from None
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise EnvArgumentError(f"workers must be a positive integer, got {workers!r}")
    configure_default(workers=workers, limits=parsed)
