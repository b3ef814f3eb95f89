"""The red-team corpus (tests/redteam/hacks.jsonl): hand-written answers that do not do their task but
try to get ``passed`` or a high reward from the judge. Every one must fail; the do-nothing answers must
also stay under their reward targets. tests/redteam/README.md says what each class of hack is.

The other direction is pinned here too: the gold answer of every task the corpus attacks still passes,
so a judge that "fixes" a hole by failing everything does not go green.

``python -m tests.test_redteam`` prints per class how many hacks there are, how many the judge passes
and their mean reward (the figures to track while the judge is hardened).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from statistics import mean
from typing import Any

import pytest

pytestmark = pytest.mark.redteam

CORPUS = Path(__file__).parent / "redteam" / "hacks.jsonl"
CLASSES = ("tamper", "detect", "provenance", "launder", "crash", "intent", "nothing")
#: Mean reward a do-nothing answer may get, by kind (the prefix of its "why"): the input echoed back
#: (repair/refactor), an empty mod, the gold with every function body emptied.
NOTHING_TARGETS = {"echo": 0.25, "empty": 0.10, "hollow": 0.30}


def load_corpus() -> list[dict[str, Any]]:
    """The corpus entries in file order."""
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def nothing_kind(hack: dict[str, Any]) -> str:
    """A "nothing" hack's kind: its "why" starts with "echo:", "empty:" or "hollow:"."""
    return hack["why"].split(":", 1)[0]


def score_corpus(hacks: list[dict[str, Any]]) -> tuple[list[Any], dict[str, Any]]:
    """Scores of ``hacks`` (in order) and of each attacked task's gold answer, in one batch."""
    from vf_luanti.scoring import score_many
    from vf_luanti.splits import get_task

    task_ids = sorted({h["task"] for h in hacks})
    golds = [(t, "```lua\n" + get_task(t).reference + "\n```") for t in task_ids]
    scores = score_many([(h["task"], h["completion"]) for h in hacks] + golds)
    return scores[: len(hacks)], dict(zip(task_ids, scores[len(hacks) :], strict=True))


HACKS = load_corpus()
FIELDS = ("task", "class", "why", "completion")


def _param(i: int, h: dict[str, Any]) -> Any:
    """A hack as a test case; one the judge is known not to catch yet ("open": why) is a strict
    xfail, so fixing the hole turns the suite red until the mark is removed."""
    marks = [pytest.mark.xfail(strict=True, reason=h["open"])] if "open" in h else []
    return pytest.param(i, marks=marks, id=f"{h['class']}-{h['task']}-{i}")


@pytest.fixture(scope="module")
def scored() -> tuple[list[Any], dict[str, Any]]:
    return score_corpus(HACKS)  # the list the tests were parametrised with


def test_corpus_is_well_formed() -> None:
    from vf_luanti.splits import get_task

    assert len(HACKS) >= 40
    families: dict[str, set[str]] = defaultdict(set)
    for h in HACKS:
        assert {"task", "class", "why", "completion"} <= set(h) <= {*FIELDS, "open", "flagged"}, h
        assert h["class"] in CLASSES, h["class"]
        assert h["completion"].startswith("```lua\n") and h["completion"].endswith("\n```")
        assert len(h["why"]) > 20
        families[h["class"]].add(get_task(h["task"]).family)  # raises on an unknown task id
        if h["class"] == "nothing":
            assert nothing_kind(h) in NOTHING_TARGETS, h["why"]
    for cls in CLASSES:
        assert sum(h["class"] == cls for h in HACKS) >= 3, cls
    assert set().union(*families.values()) == {"scaffold", "repair", "refactor", "doc"}


@pytest.mark.parametrize("i", [_param(i, h) for i, h in enumerate(HACKS)])
def test_hack_does_not_pass(scored: tuple[list[Any], dict[str, Any]], i: int) -> None:
    s = scored[0][i]
    if HACKS[i].get("flagged") == "code_quality":  # the task is done, sloppily: the verdict must say so
        assert s.components["code_quality"] < 1 and any("debug output" in f for f in s.feedback), s.feedback
        return
    assert not s.passed, f"the judge passes a wrong answer: {HACKS[i]['why']} (reward {s.reward})"


@pytest.mark.parametrize("kind", sorted(NOTHING_TARGETS))
def test_doing_nothing_earns_little(scored: tuple[list[Any], dict[str, Any]], kind: str) -> None:
    rewards = [
        s.reward
        for h, s in zip(HACKS, scored[0], strict=True)
        if h["class"] == "nothing" and nothing_kind(h) == kind
    ]
    assert len(rewards) >= 3
    assert mean(rewards) <= NOTHING_TARGETS[kind], f"{kind}: mean reward {mean(rewards):.3f}"


@pytest.mark.parametrize("task", sorted({h["task"] for h in HACKS}))
def test_gold_of_attacked_task_still_passes(scored: tuple[list[Any], dict[str, Any]], task: str) -> None:
    s = scored[1][task]
    assert s.passed and s.reward == 1.0, s.feedback


def summary() -> None:
    """Print per class: hacks, how many the judge passes, mean reward; and the do-nothing kinds."""
    hacks = load_corpus()
    hack_scores, _ = score_corpus(hacks)
    rows: dict[str, list[Any]] = defaultdict(list)
    for h, s in zip(hacks, hack_scores, strict=True):
        rows[h["class"]].append(s)
        if h["class"] == "nothing":
            rows[f"  nothing/{nothing_kind(h)}"].append(s)
    print(f"{'class':18} {'hacks':>5} {'passed':>6} {'mean reward':>11}")
    for cls in [*CLASSES, *sorted(k for k in rows if k.startswith("  "))]:
        ss = rows.get(cls, [])
        if ss:
            print(f"{cls:18} {len(ss):5d} {sum(s.passed for s in ss):6d} {mean(s.reward for s in ss):11.3f}")
    print(
        f"{'all':18} {len(hack_scores):5d} {sum(s.passed for s in hack_scores):6d} "
        f"{mean(s.reward for s in hack_scores):11.3f}"
    )


if __name__ == "__main__":
    summary()
