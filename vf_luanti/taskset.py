"""The v1 Taskset (verifiers 0.4.x, prime-rl, 0.3.1's bundled ``verifiers.v1``).

Same tasks, prompts and scoring as the classic environment (vf_luanti/environment.py, both on
vf_luanti/rollouts.py): the rows
come from ``select_tasks``, the judgement from ``RolloutScorer`` (once per rollout, cached in
``trace.info["luanti"]``, which also puts the feedback into traces.jsonl). Config fields mirror
``load_environment``'s arguments: ``--env.taskset.num-examples 20`` ~ ``-a '{"num_examples": 20}'``.

Single-turn chat needs no tools: run with ``--env.agent.harness.id null
--env.agent.runtime.type subprocess`` (the defaults are the bash harness in a remote sandbox).
The null harness runs its chat loop as a uv script: ``uv`` must be on PATH (docs/environment.md).

The gold ``reference`` never travels in the task data: the data is recorded whole in every trace
(traces.jsonl, pushed runs, prime-rl's rollouts), and a published eval answer is a contaminated one.
Whoever scores gets it back from the package's own split (``_full_task``). Bad config values fail
when the config is parsed, as one line naming the field, not as a traceback from ``load()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, Literal

import verifiers.v1 as vf
from pydantic import Field, field_validator

from .models import reference_answer
from .prompts import system_prompt, user_prompt
from .rollouts import METRICS, RolloutScorer, select_tasks, task_info
from .rubric import FAMILIES
from .splits import get_task, train_task
from .tasks import Task, TaskError

Split = Literal["eval", "scenarios", "train"]


class LuantiData(vf.TaskData):
    """One task on the wire: its identity for reports plus the task for the scorer, less its gold
    ``reference`` (recovered from the split named by ``split``, ``seed`` and ``split_families``)."""

    task_id: str
    family: str
    difficulty: str = ""
    tags: list[str] = Field(default_factory=list)
    split: str = "eval"
    seed: int = 0
    split_families: list[str] | None = None
    task: dict[str, Any] = Field(default_factory=dict)
    backend: str = "emulator"


class LuantiConfig(vf.TasksetConfig):
    """``load_environment``'s arguments as taskset config (``--env.taskset.<field>``)."""

    split: Split = "eval"
    families: list[str] | None = None
    num_examples: int = -1
    shuffle: bool = False
    seed: int = 0
    answer_form: Literal["lua", "diff"] = "lua"
    backend: Literal["emulator", "engine"] = "emulator"
    workers: int | None = None
    limits: dict[str, float] | None = None

    @field_validator("families")
    @classmethod
    def _known_families(cls, value: list[str] | None) -> list[str] | None:
        """An unknown family is a config error here, not a TaskError traceback from ``load()``."""
        unknown = [f for f in value or () if f not in FAMILIES]
        if unknown:
            raise ValueError(
                f"unknown famil{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)} "
                f"(families: {', '.join(FAMILIES)})"
            )
        return value


_SCORERS: dict[str, RolloutScorer] = {}


def _full_task(data: LuantiData) -> Task:
    """The task with its gold reference, taken from the installed package's own split.

    The data's copy of the task must be that task less the reference: a task edited since the
    data was made is an error here, not a silent judgement against a different task.
    """
    if data.split == "train":
        found = train_task(data.task_id, data.seed, data.split_families)
    else:
        found = get_task(data.task_id)
    if data.task and _as_json(_public(found)) != _as_json(data.task):
        raise TaskError(f"task {data.task_id!r} differs from this package's copy of it")
    return found


def _public(task: Task) -> dict[str, Any]:
    """The task as the data carries it: everything but the gold reference."""
    return {k: v for k, v in task.to_dict().items() if k != "reference"}


def _as_json(value: dict[str, Any]) -> str:
    """Canonical JSON text, so that a copy that crossed the wire (tuples now lists) compares equal."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _scorer(backend: str) -> RolloutScorer:
    """One scorer per backend per process; each rollout brings its task (``_full_task``), so it
    needs no task list."""
    if backend not in _SCORERS:
        _SCORERS[backend] = RolloutScorer([], backend)
    return _SCORERS[backend]


class LuantiTask(vf.Task[LuantiData]):
    """A single-turn task: the first reply is judged; criteria are metrics, the reward is weighted."""

    @vf.stop
    async def single_turn(self, trace: vf.Trace) -> bool:
        return trace.num_turns >= 1

    async def _judged(self, trace: vf.Trace) -> dict[str, Any]:
        task = _full_task(self.data)
        return await _scorer(self.data.backend).score_for(trace.info, trace.last_reply, None, task=task)

    async def validate(self, runtime: Any) -> bool | None:
        """The gold check (verifiers 0.4's ``vf-validate``): the reference answer must pass."""
        task = _full_task(self.data)
        score = await _scorer(self.data.backend).judge_task(task, reference_answer(task))
        return bool(score.passed)

    @vf.metric
    async def criteria(self, trace: vf.Trace) -> dict[str, float]:
        """syntax, api_usage, task_completion, code_quality and passed, each its own metric."""
        judged = await self._judged(trace)
        return {
            **{m: float(judged["components"].get(m, 0.0)) for m in METRICS if m != "passed"},
            "passed": float(bool(judged["passed"])),
        }

    @vf.reward(weight=1.0)
    async def luanti_reward(self, trace: vf.Trace) -> float:
        """The family-weighted reward in 0..1 (vf_luanti.scoring)."""
        return float((await self._judged(trace))["reward"])


class LuantiTaskset(vf.Taskset[LuantiTask, LuantiConfig]):
    """The vf-luanti benchmark for verifiers v1."""

    def __init__(self, config: LuantiConfig) -> None:
        super().__init__(config)
        # the train split without num_examples is endless: trainers take what they need (head(n))
        self.INFINITE = config.split == "train" and config.num_examples < 0

    def load(self) -> Iterator[LuantiTask]:
        """The tasks, lazily: the train split streams verified tasks of the seeded generator as they
        are consumed (vf_luanti.generate.verify.verified_stream), never the whole split."""
        from .rollouts import configure_executor

        c = self.config
        configure_executor(c.workers, c.limits)
        tasks: Iterable[Task]
        if c.split == "train":
            from .generate.verify import verified_stream

            # drawn at random already: ``shuffle`` (which would materialise it) does not apply
            stream = verified_stream(c.seed, c.families)
            tasks = stream if c.num_examples < 0 else islice(stream, c.num_examples)
        else:
            tasks = select_tasks(c.split, c.families, c.num_examples, c.shuffle, c.seed)
        for i, t in enumerate(tasks):
            yield LuantiTask(
                LuantiData(
                    idx=i,
                    name=t.id,
                    prompt=user_prompt(t, c.answer_form),
                    system_prompt=system_prompt(c.answer_form),
                    seed=c.seed,
                    split_families=c.families,
                    task=_public(t),
                    backend=c.backend,
                    **task_info(t, c.split),
                ),
                c.task,
            )


__all__ = ["LuantiConfig", "LuantiData", "LuantiTask", "LuantiTaskset"]
