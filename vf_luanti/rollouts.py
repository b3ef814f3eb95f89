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


class EnvArgumentError(ValueError):
    """A bad ``load_environment`` argument; the message names it and the accepted values."""


def select_tasks(
    split: str = "eval",
    families: Sequence[str] | str | None = None,
    num_examples: int = -1,
    shuffle: bool = False,
    seed: int = 0,
) -> list[Task]:
    """The tasks an environment serves: a split, filtered by family, optionally shuffled, then cut.

    ``seed`` also seeds the generator of the ``train`` split, so (split, seed) names one dataset.
    """
    tasks = load_tasks(
        split, families if families is None or isinstance(families, str) else list(families), seed=seed
    )
    if shuffle:
        tasks = list(tasks)
        random.Random(seed).shuffle(tasks)
    if num_examples is not None and num_examples >= 0:
        tasks = tasks[:num_examples]
    if not tasks:
        raise EnvArgumentError(f"no tasks selected (split={split!r}, families={families!r})")
    return tasks


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
