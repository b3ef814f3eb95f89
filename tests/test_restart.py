"""Restart probes and stand-in mods (docs/tasks.md §3.3, docs/world.md "Restart").

A ``restart`` step stops the server as Luanti 5.6.1 does and starts a new one from what it saved:
mod storage, the map (nodes, node metadata and inventories, node timers, static entities), players
(restored when they join again), auth and the time survive; Lua variables and after() jobs do not.
A scenario's ``mods`` loads stand-in mods (an optional dependency present) before the task's mod.
"""

import pytest

from vf_luanti.checks import CheckError, CheckSession, validate_check
from vf_luanti.mods import mod_from_source
from vf_luanti.tasks import Task
from vf_luanti.world import load_world

MOD = r"""
local storage = minetest.get_mod_storage()
local seen = {}  -- a Lua table: lost at a restart
minetest.register_node("mymod:box", {
	groups = {oddly_breakable_by_hand = 1},
	on_timer = function(pos) minetest.get_meta(pos):set_string("fired", "yes") end,
})
minetest.register_entity("mymod:pet", {
	initial_properties = {hp_max = 5},
	on_activate = function(self, staticdata, dtime_s) self.name_tag = staticdata; self.dtime_s = dtime_s end,
	get_staticdata = function(self) return self.name_tag end,
})
minetest.register_entity("mymod:spark", {
	initial_properties = {hp_max = 1, static_save = false},
})
minetest.register_chatcommand("remember", {func = function(name, param)
	storage:set_string("stored", param)
	seen.value = param
	minetest.after(5, function() storage:set_string("late", "ran") end)
	return true, "ok"
end})
minetest.register_chatcommand("recall", {func = function(name)
	local out = {"table=" .. tostring(seen.value)}
	for _, k in ipairs({"stored", "shutdown", "left", "late"}) do
		out[#out + 1] = k .. "=" .. storage:get_string(k)
	end
	return true, table.concat(out, " ")
end})
minetest.register_chatcommand("bin", {func = function(name, param)
	if param == "set" then storage:set_string("b", "\0\255\195\169\n]]") end
	return true, tostring(storage:get_string("b") == "\0\255\195\169\n]]")
end})
minetest.register_on_shutdown(function() storage:set_string("shutdown", "ran") end)
minetest.register_on_leaveplayer(function() storage:set_string("left", "yes") end)
"""


def restarted(code: str = MOD, setup=None):
    """A world where bob did things, then the same mods started again from what it saved."""
    mods = [mod_from_source(code, name="mymod")]
    _, old = load_world(mods)
    old.join_player("bob", privs=["interact", "shout", "fly"])
    old.chat_command("bob", "/remember hello")
    old.set_node((1, 2, 3), "mymod:box", 7)
    old.set_meta_string((1, 2, 3), "owner", "bob")
    old.eval(
        "minetest.get_meta({x=1,y=2,z=3}):get_inventory():set_size('main', 2)"
        " minetest.get_meta({x=1,y=2,z=3}):get_inventory():set_stack('main', 2, 'mymod:box 3')"
    )
    old.start_node_timer((1, 2, 3), 5)
    old.step(2)
    old.add_entity((0, 4, 0), "mymod:pet", "Rex")
    old.add_entity((0, 6, 0), "mymod:spark")
    old.give_item("bob", "mymod:box 9")
    old.set_player_pos("bob", (10, 0, -4))
    old.set_hp("bob", 13)
    old.eval("minetest.get_player_by_name('bob'):get_meta():set_string('mymod:title', 'Sir')")
    if setup:
        setup(old)
    state = old.persist()
    assert old.errors() == []
    report, new = load_world(mods, runtime=old.runtime.sibling(), restore=state)
    assert report.ok, report.errors
    return old, new


@pytest.fixture(scope="module")
def worlds():
    return restarted()


def test_mod_storage_survives_and_the_shutdown_callbacks_ran(worlds):
    _, new = worlds
    new.join_player("alice")
    # the Lua table is empty again; on_shutdown ran before storage was saved; on_leaveplayer did
    # not run for bob at shutdown; the after() job never ran
    assert (
        new.chat_command("alice", "/recall")["message"] == "table=nil stored=hello shutdown=ran left= late="
    )


def test_the_map_survives(worlds):
    _, new = worlds
    assert new.get_node((1, 2, 3)) == {"name": "mymod:box", "param1": 0, "param2": 7}
    meta = new.get_meta((1, 2, 3))
    assert meta["fields"] == {"owner": "bob"}
    assert meta["inventory"] == {"main": ["", "mymod:box 3"]}
    timer = new.node_timer((1, 2, 3))
    assert timer["started"] and timer["timeout"] == 5 and timer["elapsed"] == 2


def test_a_node_timer_goes_on_where_it_stopped():
    _, new = restarted()
    new.step(2.5, 0.5)  # 2 s had elapsed of its 5
    assert "fired" not in new.get_meta((1, 2, 3))["fields"]
    new.step(0.5, 0.5)
    assert new.get_meta((1, 2, 3))["fields"].get("fired") == "yes"


def test_static_entities_come_back_with_their_staticdata_and_others_do_not(worlds):
    _, new = worlds
    live = [o for o in new.objects() if o["kind"] == "entity"]
    assert [o["name"] for o in live] == ["mymod:pet"]
    assert live[0]["fields"] == {"name_tag": "Rex", "dtime_s": 0}
    assert live[0]["pos"] == {"x": 0, "y": 4, "z": 0}


def test_players_are_offline_and_get_their_data_back_when_they_join():
    fresh = restarted()[1]
    assert fresh.players() == []
    assert fresh.join_player("bob") == {"ok": True, "new": False}  # no on_newplayer for bob
    p = fresh.player("bob")
    assert p["inventory"]["main"][0] == "mymod:box 9"
    assert p["meta"] == {"mymod:title": "Sir"}
    assert p["hp"] == 13 and p["pos"] == {"x": 10, "y": 0, "z": -4}
    assert sorted(p["privs"]) == ["fly", "interact", "shout"]  # the auth database kept them


def test_lua_variables_and_after_jobs_do_not_survive():
    _, new = restarted()
    new.join_player("bob")
    new.step(10)  # the old server's after(5) job is gone with it
    assert new.chat_command("bob", "/recall")["message"].startswith("table=nil stored=hello")
    assert "late=ran" not in new.chat_command("bob", "/recall")["message"]


def test_time_survives(worlds):
    old, new = worlds
    assert new.time()["gametime"] == old.time()["gametime"] == 2
    assert new.time()["timeofday"] == old.time()["timeofday"]


def test_storage_of_any_bytes_round_trips():
    _, new = restarted(setup=lambda w: w.chat_command("bob", "/bin set"))
    new.join_player("bob")
    assert new.chat_command("bob", "/bin")["message"] == "true"


# --------------------------------------------------------------------------- the scenario language

STORE_TABLE = r"""
local waypoints = {}
minetest.register_chatcommand("wp", {func = function(name, param)
	local cmd, wp = param:match("^(%S+)%s*(.*)$")
	if not cmd then return false, "Usage: /wp set|show <name>" end
	if cmd == "set" then waypoints[wp] = "here"; return true, "Waypoint set." end
	return true, waypoints[wp] and ("Waypoint " .. wp .. ": " .. waypoints[wp]) or "Unknown waypoint."
end})
"""
STORE_STORAGE = r"""
local storage = minetest.get_mod_storage()
minetest.register_chatcommand("wp", {func = function(name, param)
	local cmd, wp = param:match("^(%S+)%s*(.*)$")
	if not cmd then return false, "Usage: /wp set|show <name>" end
	if cmd == "set" then storage:set_string(wp, "here"); return true, "Waypoint set." end
	local v = storage:get_string(wp)
	return true, v ~= "" and ("Waypoint " .. wp .. ": " .. v) or "Unknown waypoint."
end})
"""
RESTART_SCENARIO = {
    "kind": "scenario",
    "desc": "a waypoint survives a restart",
    "steps": [
        {"do": "join", "player": "bob"},
        {"do": "chat", "player": "bob", "message": "/wp set home"},
        {"do": "restart"},
        {"do": "join", "player": "bob"},
        {"do": "chat", "player": "bob", "message": "/wp show home"},
        {"expect": "chat", "player": "bob", "contains": "Waypoint home: here"},
    ],
}


def run(checks, code):
    task = Task.from_dict(
        {
            "id": "t",
            "family": "scaffold",
            "instruction": "`/wp set home` keeps a waypoint named home; `/wp show home` shows it.",
            "input": "",
            "reference": code,
            "checks": checks,
            "tags": [],
            "difficulty": "easy",
        }
    )
    s = CheckSession(task, code)
    assert s.loaded_ok, s.load_errors
    return s, s.run_all()


def test_a_scenario_restart_keeps_storage_and_loses_a_lua_table():
    _, [good] = run([RESTART_SCENARIO], STORE_STORAGE)
    assert good.passed, good.feedback
    _, [bad] = run([RESTART_SCENARIO], STORE_TABLE)
    assert not bad.passed and "Unknown waypoint." in bad.feedback


def test_without_the_restart_both_pass():
    steps = RESTART_SCENARIO["steps"]
    one_run = steps[:2] + steps[4:]  # without the restart and the second join
    for code in (STORE_STORAGE, STORE_TABLE):
        _, [r] = run([{**RESTART_SCENARIO, "steps": one_run}], code)
        assert r.passed, r.feedback


def test_only_the_running_server_is_soaked():
    # the job that would crash was scheduled by the stopped server only
    job = 'minetest.after(30, function() error("boom") end)'
    doomed = STORE_STORAGE.replace('storage:set_string(wp, "here")', 'storage:set_string(wp, "here") ' + job)
    s, [r] = run([RESTART_SCENARIO], doomed)
    assert r.passed and s.crash is None
    # the same job scheduled at load exists in the new server too: it is soaked and crashes
    s, [r] = run(
        [RESTART_SCENARIO], STORE_STORAGE + '\nminetest.after(30, function() error("late boom") end)'
    )
    assert r.passed and s.crash and "late boom" in s.crash


def test_an_error_at_shutdown_fails_the_step():
    broken = STORE_STORAGE + "\nminetest.register_on_shutdown(function() error('shutdown boom') end)"
    _, [r] = run([RESTART_SCENARIO], broken)
    assert not r.passed and "while the server shut down" in r.feedback and "shutdown boom" in r.feedback


def test_entity_handles_are_gone_after_a_restart():
    code = 'minetest.register_entity("mymod:e", {initial_properties = {hp_max = 3}})'
    steps = [
        {"do": "add_entity", "pos": [0, 1, 0], "name": "mymod:e", "as": "e"},
        {"do": "restart"},
        {"expect": "entity_count", "name": "mymod:e", "count": 1},
        {"expect": "entity", "entity": "e", "alive": True},
    ]
    _, [r] = run([{"kind": "scenario", "desc": "d", "steps": steps}], code)
    assert not r.passed and "no entity was added 'as' 'e'" in r.feedback


# --------------------------------------------------------------------------- stand-in mods

DEFAULT = 'minetest.register_node("default:stone", {description = "Stone", groups = {cracky = 3}})'
OPTIONAL = r"""
local stone = minetest.get_modpath("default") and "default:stone" or "mymod:cobble"
minetest.register_node("mymod:cobble", {description = "Cobble"})
minetest.register_node("mymod:brick", {description = "Brick"})
minetest.register_craft({output = "mymod:brick", recipe = {{stone, stone}}})
"""
WITH_DEFAULT = {
    "kind": "scenario",
    "desc": "with default present, bricks are made of default:stone",
    "mods": [{"name": "default", "code": DEFAULT}],
    "steps": [
        {
            "expect": "lua",
            "code": 'local r = minetest.get_craft_recipe("mymod:brick") '
            'return r.items[1] == "default:stone", r.items[1]',
        }
    ],
}


def test_a_stand_in_mod_loads_before_the_tasks_mod():
    _, [r] = run([WITH_DEFAULT], OPTIONAL)
    assert r.passed, r.feedback
    hard_coded = OPTIONAL.replace('minetest.get_modpath("default") and "default:stone" or ', "")
    _, [r] = run([WITH_DEFAULT], hard_coded)
    assert not r.passed and "mymod:cobble" in r.feedback


def test_the_stand_in_is_only_in_its_own_scenario():
    without = {
        "kind": "scenario",
        "desc": "d",
        "steps": [{"expect": "lua", "code": 'return minetest.get_modpath("default") == nil'}],
    }
    _, results = run([WITH_DEFAULT, without], OPTIONAL)
    assert all(r.passed for r in results), [r.feedback for r in results]


@pytest.mark.parametrize(
    "mods, message",
    [
        ([{"name": "Default", "code": ""}], "[a-z0-9_]"),
        ([{"name": "default"}], "[a-z0-9_]"),
        ([{"name": "default", "code": 3}], "[a-z0-9_]"),
        ([{"name": f"m{i}", "code": ""} for i in range(5)], "at most 4"),
        ([{"name": "d", "code": ""}, {"name": "d", "code": ""}], "twice"),
    ],
)
def test_stand_in_mods_are_validated(mods, message):
    with pytest.raises(CheckError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate_check({**WITH_DEFAULT, "mods": mods})


MIRROR = r"""
local storage = minetest.get_mod_storage()
local P = {x = 0, y = -50, z = 0} -- what the mod really reads: node metadata; storage is a mirror
minetest.register_chatcommand("wp", {func = function(name, param)
	local cmd, wp = param:match("^(%S+)%s*(.*)$")
	if not cmd then return false, "Usage: /wp set|show <name>" end
	local meta = minetest.get_meta(P)
	if cmd == "set" then
		meta:set_string(wp, "here"); storage:set_string(wp, "here"); return true, "Waypoint set."
	end
	local v = meta:get_string(wp)
	return true, v ~= "" and ("Waypoint " .. wp .. ": " .. v) or "Unknown waypoint."
end})
"""


def test_an_admin_edits_storage_while_the_server_is_stopped():
    # the restart step's storage edit: keys set and removed; only a mod that reads its storage shows it
    steps = RESTART_SCENARIO["steps"]
    edited = {
        **RESTART_SCENARIO,
        "steps": [
            *steps[:2],
            {"do": "restart", "storage": {"beach": "sand", "home": None}},
            *steps[3:5],
            {"expect": "chat", "player": "bob", "contains": "Unknown waypoint."},
            {"do": "chat", "player": "bob", "message": "/wp show beach"},
            {"expect": "chat", "player": "bob", "contains": "Waypoint beach: sand"},
        ],
    }
    _, [good] = run([edited], STORE_STORAGE)
    assert good.passed, good.feedback
    _, [plain] = run([RESTART_SCENARIO], MIRROR)
    assert plain.passed  # a plain restart cannot tell the mirror from the real thing
    _, [mirror] = run([edited], MIRROR)
    assert not mirror.passed


@pytest.mark.parametrize("storage", [{}, {"k": 1}, {"": "v"}, "k=v"])
def test_restart_storage_edits_are_validated(storage):
    with pytest.raises(CheckError, match="'storage' must map keys"):
        steps = [{"do": "restart", "storage": storage}, {"expect": "hp", "player": "bob", "value": 20}]
        validate_check({"kind": "scenario", "desc": "d", "steps": steps})


def test_restart_takes_no_player():
    with pytest.raises(CheckError, match="does not take"):
        validate_check(
            {
                "kind": "scenario",
                "desc": "d",
                "steps": [{"do": "restart", "player": "bob"}, {"expect": "hp", "player": "bob", "value": 20}],
            }
        )


def test_generated_chunks_are_not_generated_again_after_a_restart():
    src = (
        "local s = minetest.get_mod_storage() mymod = {gens = function() return s:get_int('gens') end}\n"
        "minetest.register_on_generated(function() s:set_int('gens', s:get_int('gens') + 1) end)"
    )
    mods = [mod_from_source(src, name="mymod")]
    _, old = load_world(mods)
    old.join_player("bob")
    assert old.eval("return mymod.gens()") == 1
    _, new = load_world(mods, restore=old.persist())
    new.join_player("bob")
    new.step(1)
    assert new.eval("return mymod.gens()") == 1  # the map database kept the chunk
