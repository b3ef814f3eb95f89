"""Correct answers written unlike the gold pass (issue 12: "Correct alternatives pass").

tests/alternatives/<family>.jsonl holds, per line, a task id, a short name, what the answer does
differently from the task's reference (``differs``) and the completion. Each answer satisfies its
instruction as a competent modder reads it and would work on the real engine: ``core.*`` instead of
``minetest.*``, helpers and locals, other but equivalent API, extra registrations the instruction does
not forbid, default values written out, a different valid formspec layout, a diff instead of the full
file ... A judge that fails one of them demands something the instruction does not say.

The corpus also holds the completion forms the parser and the formspec record had to learn (an
untagged mod.conf fence, a `lua:init.lua` tag, the broken line quoted before the fixed file,
``show_formspec`` cached in a local at load).

The preservation tests below pin the other direction too: defaults written out are no change, but a
real change of a field, a recipe or an ABM still fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import vf_luanti
from vf_luanti.checks import CheckSession
from vf_luanti.tasks import Task

CORPUS = Path(__file__).parent / "alternatives"
FAMILIES = ("scaffold", "repair", "refactor", "doc")


def _alternatives() -> list:
    """One pytest param per corpus line, named task--name."""
    params = []
    for family in FAMILIES:
        for line in (CORPUS / f"{family}.jsonl").read_text().splitlines():
            alt = json.loads(line)
            params.append(pytest.param(alt, id=f"{alt['task']}--{alt['name']}"))
    return params


ALTERNATIVES = _alternatives()


def test_the_corpus_covers_every_family_with_varied_tasks():
    by_family: dict[str, set[str]] = {}
    for p in ALTERNATIVES:
        alt = p.values[0]
        by_family.setdefault(alt["task"].split("-", 1)[0], set()).add(alt["task"])
    for family in FAMILIES:
        assert len(by_family.get(family, ())) >= 8, f"{family}: fewer than 8 tasks have an alternative"


@pytest.mark.parametrize("alt", ALTERNATIVES)
def test_a_correct_alternative_passes(alt):
    s = vf_luanti.score(alt["task"], alt["completion"])
    assert s.passed, f"{alt['differs']}\n" + "\n".join(s.feedback)


# --------------------------------------------------------------------------- preservation: effective items

INPUT = """
minetest.register_node("mymod:lamp", {
	description = "Lamp",
	tiles = {"mymod_lamp.png"},
	paramtype = "light",
	walkable = false,
	groups = {cracky = 3},
})
minetest.register_craftitem("mymod:wick", {description = "Wick"})
minetest.register_craft({output = "mymod:lamp 2", recipe = {{"mymod:wick"}, {"mymod:wick"}}})
minetest.register_abm({nodenames = {"mymod:lamp", "mymod:wick"}, interval = 5, chance = 2,
	action = function() end})
"""


def preserve(code: str) -> str | None:
    """The preserve check's feedback for ``code`` as a refactor of INPUT (None when it passes)."""
    task = Task.from_dict(
        {
            "id": "t",
            "family": "refactor",
            "instruction": "x",
            "input": INPUT,
            "reference": INPUT,
            "checks": [{"kind": "preserve", "desc": "keep"}],
            "tags": [],
            "difficulty": "easy",
        }
    )
    session = CheckSession(task, code)
    assert session.loaded_ok, session.load_errors
    [r] = session.run_all()
    return None if r.passed else r.feedback


@pytest.mark.parametrize(
    "old, new",
    [
        ('paramtype = "light",', 'paramtype = "light", paramtype2 = "none", drawtype = "normal",'),
        ("walkable = false,", "walkable = false, climbable = false, light_source = 0, stack_max = 99,"),
        ('{description = "Wick"}', '{description = "Wick", stack_max = 99, groups = {}}'),
        (
            'recipe = {{"mymod:wick"}, {"mymod:wick"}}',
            'type = "shaped", recipe = {{"", "mymod:wick"}, {"", "mymod:wick"}}',
        ),
        ('{"mymod:lamp", "mymod:wick"}, interval = 5', '{"mymod:wick", "mymod:lamp"}, interval = 5'),
    ],
    ids=["node-defaults", "more-node-defaults", "craftitem-defaults", "padded-recipe", "nodenames-order"],
)
def test_preserve_compares_effective_definitions(old, new):
    """A field written out with the engine's default, or a recipe spelled another way, is no change."""
    assert preserve(INPUT) is None
    assert preserve(INPUT.replace(old, new)) is None


@pytest.mark.parametrize(
    "old, new, feedback",
    [
        ('paramtype = "light",', 'paramtype = "light", paramtype2 = "facedir",', "field paramtype2 changed"),
        ("walkable = false,", "", "field walkable changed"),
        ('{description = "Wick"}', '{description = "Wick", stack_max = 10}', "field stack_max changed"),
        ('{{"mymod:wick"}, {"mymod:wick"}}', '{{"mymod:wick", "mymod:wick"}}', "a craft of the input"),
        ("interval = 5", "interval = 6", "an ABM of the input"),
    ],
    ids=["non-default-value", "non-default-dropped", "craftitem-change", "recipe-shape", "abm-interval"],
)
def test_preserve_still_fails_real_changes(old, new, feedback):
    err = preserve(INPUT.replace(old, new))
    assert err is not None and feedback in err, err
