"""Dataset order (issue 14): the split files are ordered by family, so the environments interleave
the families; a cut to the first N rows (``vf-eval -n N``, ``num_examples``) samples every family."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from vf_luanti.rollouts import interleave_families, select_tasks
from vf_luanti.splits import load_tasks

FAMILIES = {"scaffold", "repair", "refactor", "doc"}


def test_the_files_are_ordered_by_family() -> None:
    """Why the interleave exists: the first rows of the raw split are all one family."""
    assert len({t.family for t in load_tasks("eval")[:5]}) == 1


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_every_round_holds_each_family(seed: int) -> None:
    tasks = select_tasks("eval", seed=seed)
    assert sorted(t.id for t in tasks) == sorted(t.id for t in load_tasks("eval"))  # a permutation
    counts = Counter(t.family for t in load_tasks("eval"))
    rounds = min(counts.values())
    for r in range(rounds):  # while every family has tasks left, each round holds one of each
        assert {t.family for t in tasks[4 * r : 4 * r + 4]} == FAMILIES, r
    assert {t.family for t in select_tasks("eval", num_examples=5, seed=seed)} == FAMILIES


def test_each_family_keeps_its_file_order_and_the_seed_only_moves_rounds() -> None:
    raw = load_tasks("eval")
    for seed in (0, 3):
        tasks = select_tasks("eval", seed=seed)
        for fam in FAMILIES:
            assert [t.id for t in tasks if t.family == fam] == [t.id for t in raw if t.family == fam]
    assert [t.id for t in select_tasks("eval")] == [t.id for t in select_tasks("eval")]  # deterministic
    assert [t.id for t in select_tasks("eval", seed=0)] != [t.id for t in select_tasks("eval", seed=3)]


def test_uneven_families_run_out_in_turn() -> None:
    tasks = load_tasks("eval")
    few = [t for t in tasks if t.family == "doc"][:2] + [t for t in tasks if t.family == "repair"][:5]
    fams = [t.family for t in interleave_families(few, seed=0)]
    assert sorted(fams[:4]) == ["doc", "doc", "repair", "repair"] and fams[4:] == ["repair"] * 3


def test_shuffle_is_still_a_seeded_shuffle() -> None:
    a = [t.id for t in select_tasks("eval", shuffle=True, seed=1)]
    assert a == [t.id for t in select_tasks("eval", shuffle=True, seed=1)]
    assert a != [t.id for t in select_tasks("eval", seed=1)]


def test_vf_eval_n_5_samples_every_family() -> None:
    """What ``vf-eval vf-luanti -n 5`` evaluates: the first 5 rows of the environment's dataset."""
    pytest.importorskip("verifiers")
    from vf_luanti import load_environment

    rows = load_environment().get_eval_dataset(n=5)
    assert {json.loads(r["info"])["family"] for r in rows} == FAMILIES
