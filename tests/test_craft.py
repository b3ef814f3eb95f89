"""Crafting: register_craft validation (the C++ messages), matching in get_craft_result, queries.

Messages are the 5.6.1 engine's (research notes §1.5); matching follows craftdef.cpp: shaped
recipes match anywhere in the grid (no mirroring), groups, shapeless multisets, replacements,
cooking and fuel times, tool repair.
"""

from __future__ import annotations

import pytest

from vf_luanti.loading import run_mods
from vf_luanti.mods import mod_from_source
from vf_luanti.world import World, load_world

ITEMS = r"""
core.register_node("tmod:wood", {groups = {wood = 1}})
core.register_node("tmod:pine", {groups = {wood = 1, flammable = 2}})
core.register_craftitem("tmod:stick", {})
core.register_craftitem("tmod:bucket", {})
core.register_craftitem("tmod:water_bucket", {})
core.register_tool("tmod:pick", {})
"""


def world(src: str) -> World:
    report, w = load_world([mod_from_source(ITEMS + src, name="tmod")])
    assert report.ok, [str(e) for e in report.errors]
    return w


def result(w: World, method: str, width: int, items: list[str]) -> dict:
    lua_items = ", ".join(f'"{i}"' for i in items)
    r = w.eval(f"""
        local out, dec = core.get_craft_result({{method = "{method}", width = {width},
            items = {{{lua_items}}}}})
        local left = {{}}
        for i, s in ipairs(dec.items) do left[i] = s:to_string() end
        local repl = {{}}
        for i, s in ipairs(out.replacements) do repl[i] = s:to_string() end
        return {{item = out.item:to_string(), time = out.time, left = left, repl = repl}}""")
    r["repl"] = r["repl"] or []  # an empty Lua table comes back as {}
    return r


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ('core.register_craft({recipe = {{"a"}}})', "Crafting definition is missing an output"),
        ('core.register_craft({output = "x"})', 'Crafting definition is missing a recipe (output="x")'),
        (
            'core.register_craft({output = "x", recipe = {{"a", "b"}, {"c"}}})',
            'Invalid crafting recipe (output="x")',
        ),
        ('core.register_craft({output = "x", recipe = {"a", "b"}})', 'Invalid crafting recipe (output="x")'),
        (
            'core.register_craft({output = "x", recipe = {{"a"}}, replacements = {"a"}})',
            'Invalid replacements (output="x")',
        ),
        (
            'core.register_craft({type = "shapeless", recipe = {"a"}})',
            "Crafting definition (shapeless) is missing an output",
        ),
        (
            'core.register_craft({type = "cooking", output = "x"})',
            'Crafting definition (cooking) is missing a recipe (output="x")',
        ),
        ('core.register_craft({type = "fuel"})', "Crafting definition (fuel) is missing a recipe"),
        (
            'core.register_craft({type = "smelting", output = "x", recipe = "y"})',
            'Unknown crafting definition type: "smelting"',
        ),
        ("core.clear_craft({})", "Either output or recipe has to be defined"),
    ],
)
def test_register_craft_errors(src: str, message: str) -> None:
    report, _rt = run_mods([mod_from_source(src, name="tmod")])
    assert [e.message for e in report.errors] == [message]
    assert report.errors[0].line == 1


def test_table_recipe_for_cooking_logs_then_raises() -> None:
    report, _rt = run_mods(
        [
            mod_from_source(
                'core.register_craft({type = "cooking", output = "x", recipe = {"y"}})', name="tmod"
            )
        ]
    )
    assert [w.message for w in report.warnings] == ["Invalid field recipe (expected string got table)."]
    assert [e.message for e in report.errors] == [
        'Crafting definition (cooking) is missing a recipe (output="x")'
    ]


def test_registered_crafts_are_reported_as_defined() -> None:
    report, _rt = run_mods(
        [
            mod_from_source(
                ITEMS
                + r"""
        core.register_craft({output = "tmod:stick 4", recipe = {{"tmod:wood"}}})
        core.register_craft({type = "fuel", recipe = "group:wood", burntime = 7})
    """,
                name="tmod",
            )
        ]
    )
    assert report.registered["crafts"] == [
        {"type": "shaped", "output": "tmod:stick 4", "recipe": [["tmod:wood"]]},
        {"type": "fuel", "recipe": "group:wood", "burntime": 7},
    ]


def test_shaped_matches_anywhere_but_not_mirrored() -> None:
    w = world(r"""
        core.register_craft({output = "tmod:pick", recipe = {{"tmod:wood", "tmod:wood"}, {"", "tmod:stick"}}})
    """)
    grid = ["", "", "", "", "tmod:wood", "tmod:wood", "", "", "tmod:stick"]
    r = result(w, "normal", 3, grid)
    assert r["item"] == "tmod:pick" and r["left"] == [""] * 9
    mirrored = ["tmod:wood", "tmod:wood", "", "tmod:stick", "", "", "", "", ""]
    assert result(w, "normal", 3, mirrored)["item"] == ""
    assert result(w, "normal", 3, [*grid[:8], "tmod:wood"])["item"] == ""


def test_groups_shapeless_and_replacements() -> None:
    w = world(r"""
        core.register_craft({type = "shapeless", output = "tmod:stick 2",
            recipe = {"group:wood", "tmod:bucket"}, replacements = {{"tmod:bucket", "tmod:water_bucket"}}})
    """)
    r = result(w, "normal", 3, ["tmod:bucket", "", "", "", "tmod:pine 3"])
    assert r == {
        "item": "tmod:stick 2",
        "time": 0,
        "left": ["tmod:water_bucket", "", "", "", "tmod:pine 2"],
        "repl": [],
    }
    assert result(w, "normal", 3, ["tmod:bucket", "tmod:stick"])["item"] == ""


def test_later_recipe_wins_and_plain_before_group() -> None:
    w = world(r"""
        core.register_craft({output = "tmod:stick 1", recipe = {{"group:wood"}}})
        core.register_craft({output = "tmod:stick 2", recipe = {{"tmod:wood"}}})
        core.register_craft({output = "tmod:stick 3", recipe = {{"tmod:wood"}}})
    """)
    assert result(w, "normal", 1, ["tmod:wood"])["item"] == "tmod:stick 3"
    assert result(w, "normal", 1, ["tmod:pine"])["item"] == "tmod:stick"


def test_cooking_fuel_and_tool_repair() -> None:
    w = world(r"""
        core.register_craft({type = "cooking", output = "tmod:stick", recipe = "tmod:wood", cooktime = 2.5})
        core.register_craft({type = "fuel", recipe = "group:flammable", burntime = 9})
        core.register_craft({type = "toolrepair", additional_wear = -0.02})
    """)
    assert result(w, "cooking", 1, ["tmod:wood 2"]) == {
        "item": "tmod:stick",
        "time": 2.5,
        "left": ["tmod:wood"],
        "repl": [],
    }
    fuel = result(w, "fuel", 1, ["tmod:pine"])
    assert fuel["time"] == 9 and fuel["item"] == ""
    assert result(w, "fuel", 1, ["tmod:wood"])["time"] == 0
    repaired = result(w, "normal", 3, ["tmod:pick 1 60000", "tmod:pick 1 60000"])
    # 65536 - ((65536-60000) * 2) + round(-0.02 * 65536)
    assert repaired["item"] == f"tmod:pick 1 {65536 - 2 * 5536 - 1311}"


def test_recipe_queries_and_clear_craft() -> None:
    w = world(r"""
        core.register_craft({output = "tmod:stick 4", recipe = {{"tmod:wood"}, {"tmod:wood"}}})
        core.register_craft({type = "shapeless", output = "tmod:stick", recipe = {"tmod:pine"}})
    """)
    assert w.eval('return core.get_craft_recipe("tmod:stick").method') == "normal"
    recipes = w.eval('return core.get_all_craft_recipes("tmod:stick")')
    assert [(r["width"], r["output"]) for r in recipes] == [(0, "tmod:stick"), (1, "tmod:stick 4")]
    assert w.eval('return core.get_all_craft_recipes("tmod:wood")') is None
    assert w.eval('return core.clear_craft({recipe = {"tmod:pine"}, type = "shapeless"})') is True
    assert w.eval('return core.clear_craft({output = "tmod:stick"})') is True
    assert w.eval('return core.clear_craft({output = "tmod:stick"})') is False
    assert w.eval('return core.get_all_craft_recipes("tmod:stick")') is None


def test_recipe_queries_use_the_output_name_fixed_at_registration() -> None:
    """craftdef.cpp indexes a recipe under its output's name, alias resolved as it is registered;
    queries and clear_craft look the name up as given (values probed on 5.6.1)."""
    w = world(r"""
        core.register_craft({output = "tmod:old", recipe = {{"tmod:wood"}}})
        core.register_alias("tmod:old", "tmod:stick")
        core.register_craft({output = "tmod:old 2", recipe = {{"tmod:wood", "tmod:wood"}}})
        core.register_craft({output = " tmod:stick", recipe = {{"tmod:pine"}}})
        core.register_craft({type = "fuel", recipe = "group:wood", burntime = 2.9})
        core.register_craft({type = "toolrepair", additional_wear = -0.02})
    """)

    def outputs(query: str) -> list[str] | None:
        recipes = w.eval(f"return core.get_all_craft_recipes({query})")
        return None if recipes is None else [r["output"] for r in recipes]

    assert outputs('"tmod:stick"') == ["tmod:old 2"]  # not the one made before the alias
    assert outputs('"tmod:old"') == ["tmod:old"]
    assert outputs('"tmod:stick 1"') is None and outputs("5") is None  # no count, no alias
    # fuel, tool repair and a name after a space are indexed under "", listed as cooking
    listed = w.eval('return core.get_all_craft_recipes("")')
    assert [(r["method"], r["type"], r["width"], r["output"]) for r in listed] == [
        ("cooking", "cooking", 0, ""),
        ("cooking", "cooking", 2, ""),
        ("normal", "normal", 1, " tmod:stick"),
    ]
    assert w.eval('return core.clear_craft({output = "tmod:stick 1"})') is False
    assert w.eval('return core.clear_craft({output = "tmod:old"})') is True
    assert outputs('"tmod:old"') is None and outputs('"tmod:stick"') == ["tmod:old 2"]
