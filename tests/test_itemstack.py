"""ItemStack, its metadata and InvRef against the engine's behaviour (facts from Luanti 5.6.1 runs).

Each test loads a small real mod and evaluates Lua in the running world (World.eval), so the
definitions (stack_max, tool type, aliases, tool capabilities) come from real registrations.
"""

from __future__ import annotations

import pytest

from vf_luanti.mods import mod_from_source
from vf_luanti.world import World, WorldError, load_world

MOD = r"""
core.register_node("tmod:stone", {description = "Stone\nHard", groups = {cracky = 3}})
core.register_craftitem("tmod:lump", {description = "Lump", stack_max = 10})
core.register_tool("tmod:pick", {
    tool_capabilities = {full_punch_interval = 1.0, punch_attack_uses = 20,
        groupcaps = {cracky = {times = {[3] = 1.0}, uses = 10, maxlevel = 1}},
        damage_groups = {fleshy = 4}},
})
core.register_alias("tmod:rock", "tmod:stone")
"""


@pytest.fixture(scope="module")
def world() -> World:
    report, w = load_world([mod_from_source(MOD, name="tmod")])
    assert report.ok, report.errors
    return w


def ev(w: World, code: str):
    return w.eval(code)


def test_itemstack_is_userdata(world: World) -> None:
    assert ev(world, 'return type(ItemStack(""))') == "userdata"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ('"tmod:stone"', "tmod:stone"),
        ('"tmod:stone 5"', "tmod:stone 5"),
        ('"tmod:stone 500"', "tmod:stone 500"),  # the count is not clamped to stack_max
        ('" tmod:stone"', ""),  # a leading space gives an empty stack
        ('"tmod:rock 3"', "tmod:stone 3"),  # aliases are resolved
        ('"tmod:pick 5"', "tmod:pick"),  # a tool holds one
        ('"tmod:pick 1 100"', "tmod:pick 1 100"),
        ('"tmod:stone 0"', ""),
        ('{name = "tmod:stone", count = 4}', "tmod:stone 4"),
        ("nil", ""),
    ],
)
def test_itemstring_round_trip(world: World, src: str, expected: str) -> None:
    assert ev(world, f"return ItemStack({src}):to_string()") == expected


def test_meta_serialisation_matches_engine(world: World) -> None:
    code = """
    local s = ItemStack("tmod:stone 5")
    s:get_meta():set_string("a", "b c")
    local again = ItemStack(s:to_string())
    return {s:to_string(), again:get_meta():get_string("a"), s:to_table()}
    """
    text, back, tbl = ev(world, code)
    assert text == 'tmod:stone 5 0 "\\u0001a\\u0002b c\\u0003"'
    assert back == "b c"
    assert tbl == {"name": "tmod:stone", "count": 5, "wear": 0, "metadata": "", "meta": {"a": "b c"}}


def test_add_take_peek(world: World) -> None:
    code = """
    local s = ItemStack("tmod:lump 7")
    local left = s:add_item("tmod:lump 5")
    local fits = ItemStack("tmod:lump 9"):item_fits("tmod:lump 2")
    local other = ItemStack("tmod:lump 3"):add_item("tmod:stone")
    local t = ItemStack("tmod:lump 5")
    local taken = t:take_item(2)
    local peek = t:peek_item(10)
    return {s:to_string(), left:to_string(), fits, other:to_string(), taken:to_string(), t:to_string(),
        peek:to_string(), s:get_free_space(), ItemStack(""):add_item("tmod:lump 50"):to_string()}
    """
    assert ev(world, code) == [
        "tmod:lump 10",
        "tmod:lump 2",
        False,
        "tmod:stone",
        "tmod:lump 2",
        "tmod:lump 3",
        "tmod:lump 3",
        0,
        "",
    ]


def test_setters_clear_on_bad_values(world: World) -> None:
    code = """
    local a = ItemStack("tmod:stone 3")
    local r1 = a:set_count(0)
    local b = ItemStack("")
    local r2 = b:set_name("tmod:stone")
    local c = ItemStack("tmod:stone")
    local r3 = c:set_name("tmod:lump")
    return {r1, a:is_empty(), r2, b:get_name(), r3, c:to_string()}
    """
    assert ev(world, code) == [False, True, False, "", True, "tmod:lump"]


def test_wear(world: World) -> None:
    code = """
    local p = ItemStack("tmod:pick")
    local ok = p:add_wear_by_uses(3)
    local w1 = p:get_wear()
    local s = ItemStack("tmod:stone")
    local not_tool = s:add_wear(100)
    local q = ItemStack("tmod:pick 1 65000")
    q:add_wear(1000)
    return {ok, w1, not_tool, q:is_empty()}
    """
    # 65536 / 3 = 21845 (the remainder goes to the last uses), as the engine computes it.
    assert ev(world, code) == [True, 21845, False, True]


def test_dig_and_hit_params(world: World) -> None:
    code = """
    local caps = ItemStack("tmod:pick"):get_tool_capabilities()
    local dp = core.get_dig_params({cracky = 3}, caps)
    local hp = core.get_hit_params({fleshy = 100}, caps, 0.5)
    local hand = ItemStack("tmod:stone"):get_tool_capabilities()
    local no = core.get_dig_params({cracky = 3}, {})
    return {dp, hp, type(hand.groupcaps), no.diggable}
    """
    dp, hp, hand, diggable = ev(world, code)
    # uses 10 at leveldiff 1 -> 30 real uses -> 65536 // 30 (engine: 2184)
    assert dp == {"diggable": True, "time": 1, "wear": 2184}
    assert hp == {"hp": 2, "wear": 1638}  # 65536 // 20, scaled by the punch interval (0.5)
    assert hand == "table"
    assert diggable is False


def test_descriptions_and_definition(world: World) -> None:
    code = """
    local s = ItemStack("tmod:stone")
    local m = ItemStack("tmod:stone"); m:get_meta():set_string("description", "Special")
    return {s:get_description(), s:get_short_description(), m:get_description(),
        s:get_definition().name, ItemStack("nope:x"):is_known(), ItemStack("nope:x"):get_stack_max(),
        ItemStack("tmod:lump"):get_stack_max(), ItemStack("tmod:pick"):get_stack_max()}
    """
    assert ev(world, code) == ["Stone\nHard", "Stone", "Special", "tmod:stone", False, 99, 10, 1]


def test_item_meta_values_are_strings(world: World) -> None:
    code = """
    local m = ItemStack("tmod:stone"):get_meta()
    m:set_int("n", 3.7)
    m:set_float("f", 0.5)
    m:set_string("s", "x")
    m:set_string("s", "")
    m:set_string("g", "3.7")
    return {m:get_int("n"), m:get_string("n"), m:get_float("f"), m:get("missing") == nil,
        m:get_string("missing"), m:contains("s"), m:get_float("g"), m:get_int("g"), m:to_table()}
    """
    # get_float goes through a C++ float: "3.7" reads back as 3.7000000476837158 (as in 5.6.1).
    assert ev(world, code) == [
        3,
        "3",
        0.5,
        True,
        "",
        False,
        3.700000047683716,
        3,
        {"fields": {"n": "3", "f": "0.5", "g": "3.7"}},
    ]


def test_bad_argument_raises_engine_style(world: World) -> None:
    with pytest.raises(WorldError, match="Expecting itemstack, itemstring, table or nil"):
        ev(world, "return ItemStack(function() end)")
    with pytest.raises(WorldError, match=r"bad argument #1 to 'get_count' \(ItemStack expected, got table\)"):
        ev(world, "return ItemStack('').get_count({})")


def test_invref_add_item_quirk_and_removal(world: World) -> None:
    code = """
    local inv = core.create_detached_inventory("t1", {})
    inv:set_size("main", 2)
    local left = inv:add_item("main", "tmod:lump 150")
    local first = inv:get_stack("main", 1):to_string()
    local room = inv:room_for_item("main", "tmod:lump 99")
    inv:set_stack("main", 2, "tmod:lump 4")
    local removed = inv:remove_item("main", "tmod:lump 6")
    return {left:to_string(), first, room, removed:to_string(), inv:get_stack("main", 2):to_string(),
        inv:get_stack("main", 1):to_string(), inv:contains_item("main", "tmod:lump 148"),
        inv:contains_item("main", "tmod:lump 149")}
    """
    # An empty slot takes the whole stack (no split by stack_max); remove_item takes from the end.
    assert ev(world, code) == ["", "tmod:lump 150", True, "tmod:lump 6", "", "tmod:lump 148", True, False]


def test_invref_lists(world: World) -> None:
    code = """
    local inv = core.create_detached_inventory("t2")
    inv:set_list("new", {"tmod:stone", "tmod:lump 2"})
    local size = inv:get_size("new")
    local oob = inv:get_stack("new", 5):to_string()
    local set_oob = inv:set_stack("new", 5, "tmod:stone")
    local loc = inv:get_location()
    inv:set_size("new", 0)
    return {size, oob, set_oob, loc, inv:get_list("new") == nil, inv:is_empty("nothing"),
        inv:get_size("nothing"), inv:add_item("nothing", "tmod:stone"):to_string()}
    """
    assert ev(world, code) == [2, "", False, {"type": "detached", "name": "t2"}, True, True, 0, "tmod:stone"]
