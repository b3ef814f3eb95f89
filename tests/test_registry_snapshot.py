"""The engine's definitions are its own copies (issue 12: no gaming the judge through the registry).

5.6.1 reads an item definition into C++ once, in register_item_raw (again at each override_item),
and copies each ABM's and LBM's trigger fields once, when the environment starts. A mod that edits
``core.registered_items`` entries or ``core.registered_abms`` afterwards changes what mods read from
those Lua tables, and nothing the engine does. Both directions are specified here: the edits reach
neither the emulated engine nor the judge's registry report, while override_item changes the
definition everywhere and the mod still reads back what it wrote. The probes at the end compare the
emulation with the real server.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine_client import engine_player_run
from tests.test_engine_probes import PROBE_HELPERS, _engine_run
from tests.test_world import _wp_lines, make_world
from vf_luanti.world import World

DEFS = r"""
core.register_node("tmod:peat", {description = "Peat", group = {crumbly = 3}})
core.register_node("tmod:crystal", {description = "Crystal", light_source = 0, paramtype = "light",
    groups = {cracky = 1}})
core.register_craftitem("tmod:coin", {description = "Coin", stack_max = 10})
core.register_tool("tmod:pick", {description = "Pick", tool_capabilites = {full_punch_interval = 1,
    groupcaps = {cracky = {times = {[1] = 1.0, [2] = 1.0, [3] = 1.0}, uses = 10, maxlevel = 3}}}})
"""

# What the corpus hacks do: fields C++ never reads back, set after registration.
EDITS = r"""
rawset(core.registered_nodes["tmod:peat"], "groups", {crumbly = 3})
local c = core.registered_nodes["tmod:crystal"]
c.groups.cracky = 3
c.light_source = 11
rawset(core.registered_items["tmod:coin"], "stack_max", 99)
local t = core.registered_tools["tmod:pick"]
rawset(t, "tool_capabilities", t.tool_capabilites)
"""

# The same definitions made right: override_item (C++ reads the whole table again).
OVERRIDES = r"""
core.override_item("tmod:peat", {groups = {crumbly = 3}})
core.registered_nodes["tmod:crystal"].groups.cracky = 3
core.override_item("tmod:crystal", {light_source = 11})
core.override_item("tmod:coin", {stack_max = 99})
core.override_item("tmod:pick", {tool_capabilities = core.registered_tools["tmod:pick"].tool_capabilites})
"""

SEEN = r"""
core.register_on_mods_loaded(function()
    local d = core.registered_items
    print("WP|lua=" .. dump(d["tmod:peat"].groups, "") .. ";" .. d["tmod:crystal"].light_source .. ";"
        .. core.get_item_group("tmod:crystal", "cracky") .. ";" .. d["tmod:coin"].stack_max .. ";"
        .. tostring(d["tmod:pick"].tool_capabilities ~= nil))
end)
"""


def _count(w: World, group: str, x2: int) -> int:
    """How many nodes of ``group`` the engine finds from (0, 0, 0) to (x2, 0, 0)."""
    lo, hi = "{x = 0, y = 0, z = 0}", f"{{x = {x2}, y = 0, z = 0}}"
    return w.eval(f'return #minetest.find_nodes_in_area({lo}, {hi}, "group:{group}")')


def _registered(w: World) -> dict[str, Any]:
    return w.runtime.call_json("report_json")["registered"]


def _engine_view(w: World) -> dict[str, Any]:
    """What the engine does with the definitions: groups (searches), light, stack size, digging."""
    w.eval('minetest.set_node({x = 0, y = 0, z = 0}, {name = "tmod:crystal"})')
    w.eval('minetest.set_node({x = 1, y = 0, z = 0}, {name = "tmod:peat"})')
    w.join_player("sam")
    w.set_wielded("sam", "tmod:pick")
    items = _registered(w)["items"]
    return {
        "crumbly": _count(w, "crumbly", 1),
        "light": w.eval("return minetest.get_node_light({x = 0, y = 0, z = 0}, 0)"),
        "stack_max": w.eval('return ItemStack("tmod:coin"):get_stack_max()'),
        "caps": w.eval('return next(ItemStack("tmod:pick"):get_tool_capabilities().groupcaps) ~= nil'),
        "dig": w.dig_node("sam", (0, 0, 0))["ok"],
        "report": (
            items["tmod:peat"].get("groups"),
            items["tmod:crystal"]["groups"],
            items["tmod:crystal"]["light_source"],
            items["tmod:coin"]["stack_max"],
            "tool_capabilities" in items["tmod:pick"],
        ),
    }


def test_edits_after_registration_reach_neither_the_engine_nor_the_report() -> None:
    w = make_world(DEFS + EDITS + SEEN)
    assert _engine_view(w) == {
        "crumbly": 0,
        "light": 2,
        "stack_max": 10,
        "caps": False,
        "dig": False,
        "report": (None, {"cracky": 1}, 0, 10, False),
    }
    # the mod reads back what it wrote, as on a real server (get_item_group reads the Lua table)
    assert _wp_lines(w) == ["WP|lua={crumbly = 3};11;3;99;true"]


def test_override_item_changes_the_definition_everywhere() -> None:
    w = make_world(DEFS + OVERRIDES + SEEN)
    assert _engine_view(w) == {
        "crumbly": 1,
        "light": 11,
        "stack_max": 99,
        "caps": True,
        "dig": True,
        "report": ({"crumbly": 3}, {"cracky": 3}, 11, 99, True),
    }
    assert _wp_lines(w) == ["WP|lua={crumbly = 3};11;3;99;true"]


def test_an_edit_at_run_time_changes_nothing_but_the_lua_table() -> None:
    w = make_world(
        DEFS + 'core.after(0, function() rawset(core.registered_nodes["tmod:crystal"], "groups", {}) end)'
    )
    w.step(1)
    assert _registered(w)["items"]["tmod:crystal"]["groups"] == {"cracky": 1}
    w.eval('minetest.set_node({x = 0, y = 0, z = 0}, {name = "tmod:crystal"})')
    assert _count(w, "cracky", 0) == 1
    assert w.eval('return next(minetest.registered_nodes["tmod:crystal"].groups) == nil') is True


def test_callbacks_and_other_lua_fields_are_read_live() -> None:
    # The engine looks callbacks up in core.registered_items at each call, and builtin Lua reads
    # drop there: replacing them after registration takes effect (and shows in the report).
    w = make_world(
        DEFS
        + r"""
core.register_node("tmod:box", {description = "Box", groups = {cracky = 3}, drop = "tmod:coin"})
core.register_tool("tmod:hammer", {tool_capabilities = {groupcaps = {cracky = {times = {[3] = 1.0}}}}})
core.after(0, function()
    local d = core.registered_nodes["tmod:box"]
    d.drop = "tmod:peat"
    rawset(d, "on_punch", function() print("WP|punched") end)
end)
"""
    )
    w.step(1)
    assert _registered(w)["items"]["tmod:box"]["drop"] == "tmod:peat"
    w.eval('minetest.set_node({x = 0, y = 0, z = 0}, {name = "tmod:box"})')
    w.join_player("sam")
    w.set_wielded("sam", "tmod:hammer")
    assert w.dig_node("sam", (0, 0, 0))["ok"]
    assert _wp_lines(w) == ["WP|punched"]
    assert w.eval(
        'return minetest.get_player_by_name("sam"):get_inventory():contains_item("main", "tmod:peat")'
    )


ABMS = r"""
core.register_node("tmod:cobble", {description = "Cobble"})
core.register_node("tmod:moss", {description = "Moss"})
core.register_node("tmod:water", {description = "Water"})
fires = 0
core.register_abm({label = "moss", nodenames = {"tmod:cobble"}, neighbors = {"tmod:water"}, interval = 4,
    chance = 1, action = function(pos) fires = fires + 1 end})
"""


def _abm_world(src: str) -> World:
    w = make_world(src)
    w.step(0.5)  # the after(0) jobs run
    for pos, node in (((0, 0, 0), "tmod:cobble"), ((0, 1, 0), "tmod:water"), ((5, 0, 0), "tmod:moss")):
        w.eval(f'minetest.set_node({{x = {pos[0]}, y = {pos[1]}, z = {pos[2]}}}, {{name = "{node}"}})')
    return w


def test_abm_edits_after_the_environment_started_change_nothing() -> None:
    edit = r"""
core.after(0, function()
    local a = core.registered_abms[1]
    a.interval, a.chance, a.nodenames, a.neighbors = 16, 1000, {"tmod:moss"}, nil
end)
"""
    w = _abm_world(ABMS + edit)
    [abm] = _registered(w)["abms"]
    assert (abm["interval"], abm["chance"], abm["nodenames"], abm["neighbors"]) == (
        4,
        1,
        ["tmod:cobble"],
        ["tmod:water"],
    )
    w.step(8.5)
    assert w.eval("return fires") == 2
    assert w.run_abms(1) == 1  # a scenario's run_abms runs the engine's copy too
    # clearing the table stops nothing (the engine keeps its ABM list)
    w.eval("for i in pairs(minetest.registered_abms) do minetest.registered_abms[i] = nil end")
    assert w.eval("return #minetest.registered_abms") == 0


def test_abm_edits_before_the_environment_starts_count_and_actions_are_read_live() -> None:
    edit = r"""
core.register_on_mods_loaded(function() core.registered_abms[1].interval = 16 end)
core.after(0, function() core.registered_abms[1].action = function() fires = fires + 100 end end)
"""
    w = _abm_world(ABMS + edit)
    assert _registered(w)["abms"][0]["interval"] == 16
    w.step(8.5)
    assert w.eval("return fires") == 0
    w.step(8)
    assert w.eval("return fires") == 100


def test_lbm_nodenames_are_copied_when_the_environment_starts() -> None:
    w = make_world(
        r"""
core.register_node("tmod:old", {description = "Old"})
core.register_node("tmod:new", {description = "New"})
core.register_lbm({name = "tmod:upgrade", nodenames = {"tmod:old"},
    action = function(pos) core.swap_node(pos, {name = "tmod:new"}) end})
core.after(0, function() core.registered_lbms[1].nodenames = {"tmod:new"} end)
"""
    )
    w.step(0.5)
    assert _registered(w)["lbms"][0]["nodenames"] == ["tmod:old"]
    w.eval('minetest.set_node({x = 0, y = 0, z = 0}, {name = "tmod:old"})')
    assert w.run_lbms() == 1
    assert w.eval("return minetest.get_node({x = 0, y = 0, z = 0}).name") == "tmod:new"


# The real server: load-time edits and an override, read after the environment started.
DEFINITION_PROBE = (
    PROBE_HELPERS
    + r"""
core.register_node("wp:a", {description = "A", groups = {cracky = 3}, light_source = 0, paramtype = "light"})
core.register_node("wp:b", {description = "B", groups = {cracky = 3}})
core.register_node("wp:o", {description = "O", groups = {cracky = 1}})
core.register_craftitem("wp:c", {description = "C", stack_max = 10})
core.register_tool("wp:t", {description = "T", tool_capabilites = {full_punch_interval = 1,
    groupcaps = {cracky = {times = {[3] = 1.0}, uses = 10, maxlevel = 1}}}})
local d = core.registered_nodes["wp:a"]
d.groups.cracky = nil
d.groups.crumbly = 2
d.light_source = 11
d.description = "A2"
rawset(core.registered_items["wp:c"], "stack_max", 5)
local t = core.registered_tools["wp:t"]
rawset(t, "tool_capabilities", t.tool_capabilites)
core.registered_nodes["wp:o"].groups.snappy = 2
core.override_item("wp:o", {description = "O2"})
core.after(0, function()
    core.emerge_area({x = -20, y = -20, z = -20}, {x = 20, y = 20, z = 20})
    rawset(core.registered_nodes["wp:b"], "groups", {})
    core.after(1, function()
        core.set_node({x = 0, y = 0, z = 0}, {name = "wp:a"})
        core.set_node({x = 1, y = 0, z = 0}, {name = "wp:b"})
        core.set_node({x = 2, y = 0, z = 0}, {name = "wp:o"})
        P("group", core.get_item_group("wp:a", "cracky"), core.get_item_group("wp:a", "crumbly"),
            core.get_item_group("wp:o", "snappy"), core.get_item_group("wp:b", "cracky"))
        P("lua", core.registered_items["wp:a"].groups, core.registered_items["wp:a"].light_source,
            core.registered_items["wp:a"].description, core.registered_items["wp:c"].stack_max)
        P("stack", ItemStack("wp:c"):get_stack_max(), ItemStack("wp:a"):get_description(),
            ItemStack("wp:o"):get_description(), ItemStack("wp:t"):get_tool_capabilities().groupcaps)
        local lo, hi = {x = 0, y = 0, z = 0}, {x = 3, y = 0, z = 0}
        local function area(group) return core.find_nodes_in_area(lo, hi, {"group:" .. group}) end
        P("area", area("cracky"), area("crumbly"), area("snappy"))
        P("light", core.get_node_light({x = 0, y = 0, z = 0}, 0))
    end)
end)
"""
)

# ABMs run only near a player: the probe needs the headless client. The on_mods_loaded edit
# counts; the after(0) edits (trigger fields, the groups the group:cracky ABM matches) do not;
# a replaced action runs.
ABM_PROBE = (
    PROBE_HELPERS
    + r"""
local fires = {x = 0, y = 0, z = 0}
core.register_node("wp:b", {groups = {cracky = 3}})
core.register_node("wp:o", {})
core.register_abm({label = "x", nodenames = {"wp:b"}, interval = 1, chance = 1,
    action = function() fires.x = fires.x + 1 end})
core.register_abm({label = "y", nodenames = {"wp:o"}, interval = 1, chance = 1,
    action = function() fires.y = fires.y + 1 end})
core.register_abm({label = "z", nodenames = {"group:cracky"}, interval = 1, chance = 1,
    action = function() fires.z = fires.z + 1 end})
core.register_on_mods_loaded(function() core.registered_abms[2].nodenames = {"wp:b"} end)
core.after(0, function()
    local a = core.registered_abms[1]
    a.interval, a.chance, a.nodenames = 100, 1000, {"wp:o"}
    rawset(core.registered_nodes["wp:b"], "groups", {})
end)
core.register_on_joinplayer(function(player)
    core.after(0.3, function()
        core.set_node({x = 0, y = 0, z = 0}, {name = "wp:b"})
        core.set_node({x = 3, y = 0, z = 0}, {name = "wp:o"})
        fires.x, fires.y, fires.z = 0, 0, 0
        core.after(4.5, function()
            P("abm", fires.x > 1, fires.y > 1, fires.z > 1, fires.x < 10, fires.x == fires.y)
            core.registered_abms[1].action = function() fires.x = fires.x + 100 end
            fires.x = 0
            core.after(3.5, function()
                P("abm_action", fires.x >= 100)
                core.request_shutdown()
            end)
        end)
    end)
end)
"""
)


@pytest.mark.engine
@pytest.mark.slow
def test_definition_probe_matches_real_engine(tmp_path) -> None:
    run = _engine_run(tmp_path, DEFINITION_PROBE, steps=50)
    engine = [ln.text for ln in run.lines if ln.text.startswith("WP|")]
    assert len(engine) == 5, run.log[-2000:]
    w = make_world(DEFINITION_PROBE, name="wp")
    w.step(4)
    assert _wp_lines(w) == engine


@pytest.mark.engine
@pytest.mark.slow
def test_abm_probe_matches_real_engine(tmp_path) -> None:
    engine = [ln for ln in engine_player_run(tmp_path, ABM_PROBE).splitlines() if ln.startswith("WP|")]
    assert engine == ["WP|abm=true;true;true;true;true", "WP|abm_action=true"]
    w = make_world(ABM_PROBE, name="wp")
    w.join_player("sam")
    w.step(10)
    assert _wp_lines(w) == engine
