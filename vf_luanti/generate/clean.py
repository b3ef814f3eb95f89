"""Decontamination at generation: a generated task that shares a task-specific n-gram with a
held-out item (vf_luanti.decontam's rule: 13 tokens of code or words of prose, boilerplate aside) is
never emitted, so every sample of the stream is clean by construction and ``data validate``'s
decontamination against it holds.
"""

from __future__ import annotations

from functools import cache

from ..decontam import N, code_tokens, is_boilerplate, ngrams, prose_tokens
from ..tasks import Task, read_split


@cache
def _held_out_grams() -> tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]]]:
    """The task-specific (code, prose) n-grams of the eval and scenario items."""
    code: set[tuple[str, ...]] = set()
    prose: set[tuple[str, ...]] = set()
    for split in ("eval", "scenarios"):
        for t in read_split(split):
            code |= {g for g in ngrams(code_tokens(t.reference), N) if not is_boilerplate(g)}
            prose |= {g for g in ngrams(prose_tokens(t.instruction), N) if not is_boilerplate(g, prose=True)}
    return frozenset(code), frozenset(prose)


def leaks(task: Task) -> bool:
    """Whether the task's reference or instruction shares a task-specific n-gram with a held-out item."""
    code, prose = _held_out_grams()
    return not code.isdisjoint(ngrams(code_tokens(task.reference), N)) or not prose.isdisjoint(
        ngrams(prose_tokens(task.instruction), N)
    )
