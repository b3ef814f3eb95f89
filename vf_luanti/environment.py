"""The verifiers environment: ``load_environment(**kwargs)`` -> a classic ``vf.SingleTurnEnv``.

Works with verifiers >= 0.3.1, < 0.4 (``vf-eval vf-luanti``, ``prime eval run``, ``env.evaluate``).
The v1 Taskset for verifiers 0.4.x / prime-rl is vf_luanti/taskset.py; both share this module's
version-free core: task selection, the dataset rows, completion text extraction and
``RolloutScorer`` (one judgement per (task, completion), through vf_luanti.scoring).

``verifiers`` and ``datasets`` are imported inside ``load_environment`` only, so this module (and
the taskset, which imports the core from here) loads under either line of verifiers.

Dataset columns are ``question`` (the user message), ``answer`` (the gold init.lua) and ``info`` (a
JSON string: task_id, family, difficulty, tags, split). Nothing else: the env server that vf-eval
uses by default drops any other column before the reward functions see it.
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .prompts import ANSWER_FORMS, user_prompt
from .prompts import system_prompt as default_system_prompt
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


def _check_choice(name: str, value: Any, allowed: Sequence[str]) -> None:
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
        _check_choice("backend", backend, BACKENDS)
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


def engine_score(task: Task, completion: str) -> Score:
    """Ground truth from the real engine (vf_luanti.oracle) where it can give it; never raises.

    The completion is installed as mod ``task.mod_name`` in a fresh world of the empty game. The
    engine decides whether the mod loads (its errors), api_usage (its warnings) and every registry
    check (items, crafts, aliases, ABMs, LBMs, entity/command/privilege names) against the registry
    it dumps. Checks the engine cannot run headless (scenarios, Lua assertions, preservation,
    callback counts, definition fields of entities/commands/privileges) keep the emulator's verdict,
    and code_quality is the emulator's; the feedback says which checks came from where.
    """
    from . import oracle
    from .checks import REGISTRY_KINDS, CheckResult, Registry, run_check
    from .parse import extract_code
    from .scoring import combine, score, verdict

    try:
        emulated = score(task, completion)
        parsed = extract_code(completion, task.family, task.input)
        if parsed.error or not emulated.components["syntax"]:
            return emulated  # nothing reaches the engine: the verdict does not depend on it
        comp = dict.fromkeys(COMPONENTS, 0.0)
        comp["syntax"] = 1.0
        with tempfile.TemporaryDirectory(prefix="vfl-engine-") as tmp:
            mod = Path(tmp) / task.mod_name
            mod.mkdir()
            (mod / "init.lua").write_text(parsed.code, encoding="utf-8")
            (mod / "mod.conf").write_text(f"name = {task.mod_name}\n", encoding="utf-8")
            run = oracle.run_engine([mod], game="emptygame", dump=True)
        report = oracle.diagnose(run)
        feedback = [*parsed.notes, "backend: real engine (Luanti 5.6.1) for load and registry checks"]
        if not report.ok:
            errors = "; ".join(e.message for e in report.errors[:3])
            feedback.append(f"the mod does not load in the engine: {errors}")
            return Score(reward=combine(task.family, comp, False), components=comp, feedback=feedback)
        registry = json.loads(run.outputs.get("vfl_registry.json", b"{}").decode("utf-8", "replace"))
        for key in ("crafts", "abms", "lbms", "entities", "chatcommands", "privileges"):
            if registry.get(key) == {}:  # the dumper writes an empty table as {}
                registry[key] = []
        emulated_checks = emulated.checks if len(emulated.checks) == len(task.checks) else []
        results: list[CheckResult] = []
        n_engine = 0
        for i, c in enumerate(task.checks):
            in_engine = (
                c["kind"] in REGISTRY_KINDS
                and c["kind"] != "callback"
                and not (c["kind"] in ("entity", "chatcommand", "privilege") and c.get("fields"))
            )
            if in_engine:
                n_engine += 1
                results.append(run_check(c, Registry(registry), None, {}))
            elif emulated_checks:
                results.append(CheckResult(**emulated_checks[i]))
            else:  # the emulator did not get to run its checks (e.g. the mod failed to load there)
                results.append(
                    CheckResult(c["desc"], c["kind"], False, f"{c['desc']} -- not run by the emulator")
                )
        for r, e in zip(results, emulated_checks or [{}] * len(results), strict=True):
            r.baseline = bool(e.get("baseline"))
        crash = next(
            (f.split(": ", 1)[-1] for f in emulated.feedback if f.startswith("the server crashed")), None
        )
        quality_notes = [f for f in emulated.feedback if f.startswith("code quality:")]
        return verdict(
            task.family,
            results,
            [w.message for w in report.warnings],
            emulated.components["code_quality"],
            [*feedback, *quality_notes],
            crash,
            summary=f" ({n_engine} judged by the engine, the rest by the emulator)",
        )
    except Exception as exc:  # the engine missing or failing must not reach a trainer
        return Score.zero(f"engine scoring failed: {type(exc).__name__}: {exc}", failure="engine_error")


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


def load_environment(
    split: str = "eval",
    families: Sequence[str] | str | None = None,
    num_examples: int = -1,
    shuffle: bool = False,
    seed: int = 0,
    system_prompt: str | None = None,
    answer_form: str = "lua",
    limits: dict[str, Any] | None = None,
    workers: int | None = None,
    backend: str = "emulator",
    **kwargs: Any,
) -> Any:
    """The vf-luanti benchmark as a classic ``vf.SingleTurnEnv``.

    Arguments (all JSON-able, so ``vf-eval vf-luanti -a '{...}'`` can set them):
    split: "eval" (hand-written), "scenarios" or "train" (generated from ``seed``);
    families: one or several of scaffold, repair, refactor, doc (default all);
    num_examples: how many tasks (-1: all); shuffle/seed: shuffle the tasks with ``seed`` first;
    system_prompt: replaces the default (Luanti version + answer form);
    answer_form: "lua" (whole init.lua) or "diff" (unified diff for repair tasks);
    limits: sandbox limits per sample (vf_luanti.runtime.RuntimeLimits fields, e.g. cpu_seconds);
    workers: sandbox worker processes (default: CPU count);
    backend: "emulator" (default) or "engine" (the real Luanti server judges load and registry).
    Other keyword arguments go to ``vf.SingleTurnEnv`` (e.g. ``sampling_args``).
    """
    import verifiers as vf

    if not hasattr(vf, "SingleTurnEnv"):
        raise RuntimeError(
            f"verifiers {getattr(vf, '__version__', '?')} has no classic API: use the v1 taskset "
            "(vf_luanti.taskset.LuantiTaskset) with verifiers >= 0.4, or install 'verifiers>=0.3.1,<0.4'"
        )
    from datasets import Dataset

    _check_choice("answer_form", answer_form, ANSWER_FORMS)
    _check_choice("backend", backend, BACKENDS)
    try:
        tasks = select_tasks(split, families, num_examples, shuffle, seed)
    except TaskError as exc:
        raise EnvArgumentError(str(exc)) from None
    configure_executor(workers, limits)
    scorer = RolloutScorer(tasks, backend)
    funcs = scorer.functions()
    rubric = vf.Rubric(funcs=funcs, weights=[1.0] + [0.0] * (len(funcs) - 1))
    rows = Dataset.from_list(dataset_rows(tasks, split, answer_form))
    # The train split is what a trainer samples from; the others are for evaluation.
    data = {"dataset": rows} if split == "train" else {"eval_dataset": rows}
    return vf.SingleTurnEnv(
        **data,
        system_prompt=system_prompt if system_prompt is not None else default_system_prompt(answer_form),
        rubric=rubric,
        env_id=kwargs.pop("env_id", ENV_ID),
        **kwargs,
    )
