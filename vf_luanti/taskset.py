"""The v1 Taskset (verifiers 0.4.x, prime-rl, 0.3.1's bundled ``verifiers.v1``).

Same tasks, prompts and scoring as the classic environment (vf_luanti/environment.py, both on
vf_luanti/rollouts.py): the rows
come from ``select_tasks``, the judgement from ``RolloutScorer`` (once per rollout, cached in
``trace.info["luanti"]``, which also puts the feedback into traces.jsonl). Config fields mirror
``load_environment``'s arguments: ``--env.taskset.num-examples 20`` ~ ``-a '{"num_examples": 20}'``.

Single-turn chat needs no tools: run with ``--env.agent.harness.id null
--env.agent.runtime.type subprocess`` (the defaults are the bash harness in a remote sandbox).
"""

from __future__ import annotations

from typing import Any

import verifiers.v1 as vf
from pydantic import Field

from .prompts import system_prompt, user_prompt
from .rollouts import METRICS, RolloutScorer, select_tasks, task_info
from .tasks import Task


class LuantiData(vf.TaskData):
    """One task on the wire: its identity for reports plus the full task for the scorer."""

    task_id: str
    family: str
    difficulty: str = ""
    tags: list[str] = Field(default_factory=list)
    split: str = "eval"
    task: dict[str, Any] = Field(default_factory=dict)
    backend: str = "emulator"


class LuantiConfig(vf.TasksetConfig):
    """``load_environment``'s arguments as taskset config (``--env.taskset.<field>``)."""

    split: str = "eval"
    families: list[str] | None = None
    num_examples: int = -1
    shuffle: bool = False
    seed: int = 0
    answer_form: str = "lua"
    backend: str = "emulator"
    workers: int | None = None
    limits: dict[str, float] | None = None


_SCORERS: dict[str, RolloutScorer] = {}


def _scorer(backend: str) -> RolloutScorer:
    """One scorer per backend per process; tasks travel in the data, so it needs no task list."""
    if backend not in _SCORERS:
        _SCORERS[backend] = RolloutScorer([], backend)
    return _SCORERS[backend]


class LuantiTask(vf.Task[LuantiData]):
    """A single-turn task: the first reply is judged; criteria are metrics, the reward is weighted."""

    @vf.stop
    async def single_turn(self, trace: vf.Trace) -> bool:
        return trace.num_turns >= 1

    async def _judged(self, trace: vf.Trace) -> dict[str, Any]:
        task = Task.from_dict(self.data.task, self.data.task_id)
        return await _scorer(self.data.backend).score_for(trace.info, trace.last_reply, None, task=task)

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

    def load(self) -> list[LuantiTask]:
        from .rollouts import configure_executor

        c = self.config
        configure_executor(c.workers, c.limits)
        tasks = select_tasks(c.split, c.families, c.num_examples, c.shuffle, c.seed)
        return [
            LuantiTask(
                LuantiData(
                    idx=i,
                    name=t.id,
                    prompt=user_prompt(t, c.answer_form),
                    system_prompt=system_prompt(c.answer_form),
                    task=t.to_dict(),
                    backend=c.backend,
                    **task_info(t, c.split),
                ),
                c.task,
            )
            for i, t in enumerate(tasks)
        ]


__all__ = ["LuantiConfig", "LuantiData", "LuantiTask", "LuantiTaskset"]
