"""The train split: a seeded procedural generator of verified tasks in all four families.

A task is assembled from 1-3 *features*. Each feature kind is one self-contained class in
``kinds/`` (base.py says what a kind holds: names and values, reference code, checks, instruction
phrasings, repair bugs, refactor changes, a documentation excerpt), registered in ``KINDS``.
``assemble.py`` combines features into tasks of the four families (the seeded stream: no repeated
instruction), ``clean.py`` keeps every task free of the held-out items' n-grams, ``verify.py``
scores each generated task (the gold passes, a repair input fails, a refactor input keeps its
preserve check, no hidden cases) and keeps the verified ones, ``coverage.py`` measures which of the
eval's API identifiers the generated references use (docs/data.md, "The train split").

The same (seed, n) gives the same tasks.
"""

from __future__ import annotations

from .assemble import generate_task, generate_tasks, task_stream
from .base import KINDS, Bug, Change, Changed, Feature, Kind, register

__all__ = [
    "KINDS",
    "Bug",
    "Change",
    "Changed",
    "Feature",
    "Kind",
    "generate_task",
    "generate_tasks",
    "register",
    "task_stream",
]
