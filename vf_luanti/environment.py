"""The verifiers environment: ``load_environment(**kwargs)`` -> a classic ``vf.SingleTurnEnv``.

Works with verifiers >= 0.3.1, < 0.4 (``vf-eval vf-luanti``, ``prime eval run``, ``env.evaluate``).
The v1 Taskset for verifiers 0.4.x / prime-rl is vf_luanti/taskset.py; both share the
version-free core in vf_luanti/rollouts.py (task selection, the dataset rows, completion text,
``RolloutScorer``).

``verifiers`` and ``datasets`` are imported inside ``load_environment`` only, so this module loads
under either line of verifiers.

The train split is generated lazily: the env gets a dataset *builder* (verifiers calls it when a
trainer first asks for the dataset), which generates and verifies ``num_examples`` tasks of the
seeded stream (vf_luanti.generate.verify.verified_stream), no more; loading the environment
generates nothing.

Dataset columns are ``question`` (the user message), ``answer`` (the gold init.lua) and ``info`` (a
JSON string: task_id, family, difficulty, tags, split). Nothing else: the env server that vf-eval
uses by default drops any other column before the reward functions see it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from . import rollouts
from .prompts import ANSWER_FORMS
from .prompts import system_prompt as default_system_prompt
from .rollouts import (
    BACKENDS,
    ENV_ID,
    EnvArgumentError,
    RolloutScorer,
    check_choice,
    configure_executor,
    dataset_rows,
)
from .rubric import FAMILIES
from .tasks import Task, TaskError

__all__ = ["EnvArgumentError", "load_environment", "select_tasks"]

#: train tasks a classic environment serves when ``num_examples`` is -1 (the split is endless)
TRAIN_DEFAULT = 400


def _families(families: Sequence[str] | str | None) -> list[str] | None:
    fams = [families] if isinstance(families, str) else list(families) if families else None
    for f in fams or ():
        check_choice("families", f, FAMILIES)
    return fams


def select_tasks(
    split: str = "eval",
    families: Sequence[str] | str | None = None,
    num_examples: int = -1,
    shuffle: bool = False,
    seed: int = 0,
    task_ids: Sequence[str] | None = None,
) -> list[Task]:
    """The tasks ``load_environment`` serves for these arguments (``vf-luanti bench`` answers its
    prompts with them). The train split (without ``task_ids``): the first ``num_examples``
    (-1: ``TRAIN_DEFAULT``) verified tasks of the seeded stream, families round-robin, shuffled
    with ``seed`` when asked; only as many candidates as that takes are generated and verified.
    Other splits: vf_luanti.rollouts.select_tasks."""
    if split != "train" or task_ids:
        return rollouts.select_tasks(split, families, num_examples, shuffle, seed, task_ids)
    from itertools import islice

    from .generate.verify import verified_stream

    n = num_examples if num_examples >= 0 else TRAIN_DEFAULT
    tasks = list(islice(verified_stream(seed, _families(families)), n))
    if shuffle:
        random.Random(seed).shuffle(tasks)
    if not tasks:
        raise EnvArgumentError(f"no tasks selected (split='train', families={families!r})")
    return tasks


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
    task_ids: Sequence[str] | None = None,
    **kwargs: Any,
) -> Any:
    """The vf-luanti benchmark as a classic ``vf.SingleTurnEnv``.

    Arguments (all JSON-able, so ``vf-eval vf-luanti -a '{...}'`` can set them):
    split: "eval" (hand-written), "scenarios" or "train" (generated from ``seed``, verified, built
    only when the dataset is first asked for);
    families: one or several of scaffold, repair, refactor, doc (default all);
    num_examples: how many tasks (-1: all; for train, ``TRAIN_DEFAULT``); shuffle/seed: shuffle the
    tasks with ``seed`` first;
    system_prompt: replaces the default (Luanti version + answer form);
    answer_form: "lua" (whole init.lua) or "diff" (unified diff for repair tasks);
    limits: sandbox limits per sample (vf_luanti.runtime.RuntimeLimits fields, e.g. cpu_seconds);
    workers: sandbox worker processes (default: CPU count);
    backend: "emulator" (default) or "engine" (the real Luanti server judges load and registry);
    task_ids: only these tasks of the split (ids as in its files).
    Other keyword arguments go to ``vf.SingleTurnEnv`` (e.g. ``sampling_args``).
    """
    import verifiers as vf

    if not hasattr(vf, "SingleTurnEnv"):
        raise RuntimeError(
            f"verifiers {getattr(vf, '__version__', '?')} has no classic API: use the v1 taskset "
            "(vf_luanti.taskset.LuantiTaskset) with verifiers >= 0.4, or pip install 'vf-luanti[classic]' "
            "(verifiers>=0.3.1,<0.4)"
        )
    from datasets import Dataset

    check_choice("answer_form", answer_form, ANSWER_FORMS)
    check_choice("backend", backend, BACKENDS)
    configure_executor(workers, limits)
    data: dict[str, Any]
    if split == "train" and not task_ids:
        # what a trainer samples from: generated and verified when first asked for
        scorer = RolloutScorer([], backend)
        _families(families)  # a bad family fails now, not when the dataset is built

        def build() -> Any:
            tasks = select_tasks(split, families, num_examples, shuffle, seed)
            scorer.tasks.update((t.id, t) for t in tasks)
            return Dataset.from_list(dataset_rows(tasks, split, answer_form))

        data = {"dataset": build}
    else:
        try:
            tasks = select_tasks(split, families, num_examples, shuffle, seed, task_ids)
        except TaskError as exc:
            raise EnvArgumentError(str(exc)) from None
        scorer = RolloutScorer(tasks, backend)
        rows = Dataset.from_list(dataset_rows(tasks, split, answer_form))
        data = {"dataset": rows} if split == "train" else {"eval_dataset": rows}
    funcs = scorer.functions()
    rubric = vf.Rubric(funcs=funcs, weights=[1.0] + [0.0] * (len(funcs) - 1))
    return vf.SingleTurnEnv(
        **data,
        system_prompt=system_prompt if system_prompt is not None else default_system_prompt(answer_form),
        rubric=rubric,
        env_id=kwargs.pop("env_id", ENV_ID),
        **kwargs,
    )
