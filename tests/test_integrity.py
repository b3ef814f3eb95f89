"""A mod cannot tamper with what the judge reads (issue 12: metatables, provenance, diagnostics, _G).

Each test loads a hostile mod and shows the hack no longer works, and that the legitimate engine
behaviour next to it still does: engine objects hide their metatables behind the method table
(methods stay overridable), chunk names cannot claim the emulation's provenance (a mod's own chunk
names still work), a flood of one warning cannot push later ones out, and replacing _G's
metatable is a recorded finding, and the engine's C functions and builtin paths read to a mod's
debug as in the engine, and a check world starts as a real server's (paths, map seed, clock, game
time, a seeded math.random): no cheap way to tell the judge from a server. Where the engine's
behaviour is claimed, a probe compares the emulation with the real 5.6.1 server (marked
``engine``/``slow``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.engine_client import engine_player_run
from vf_luanti.mods import MODS_PATH, USER_PATH, mod_from_source
from vf_luanti.runtime import DAY_SECONDS, LuanRuntime, ServerStart
from vf_luanti.world import World, load_world


def make_world(src: str, name: str = "tmod") -> World:
    report, w = load_world([mod_from_source(src, name=name)])
    assert report.ok, [str(e) for e in report.errors]
    return w


def _wp_lines(w: World) -> list[str]:
    return [ln for ln in w.output() if ln.startswith("WP|")]


# -- 1. engine objects: getmetatable answers the method table ----------------------------------

# desc(label, obj): what getmetatable shows of an engine object and whether setmetatable refuses it.
# Printed lines are compared with the real server; they hold no addresses.
METATABLE_PROBE = r"""
local function P(...)
    local t = {}
    for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
    print("WP|" .. table.concat(t, ";"))
end
local function desc(label, o, method)
    local mt = getmetatable(o)
    local ok, e = pcall(setmetatable, o, {})
    P(label, type(o), type(mt), rawget(mt, "__index") == nil, rawget(mt, "__metatable") == nil,
        rawget(mt, "__eq") == nil, type(rawget(mt, method)), ok, e)
end
local np = {offset = 0, scale = 1, spread = {x = 8, y = 8, z = 8}, seed = 1, octaves = 1, persist = 0.5}
desc("ItemStack", ItemStack("wp:x 3"), "get_count")
desc("ItemStackMetaRef", ItemStack("wp:x"):get_meta(), "set_string")
desc("Settings", core.settings, "get")
desc("StorageRef", core.get_mod_storage(), "get_string")
desc("PseudoRandom", PseudoRandom(1), "next")
desc("PcgRandom", PcgRandom(1), "next")
desc("SecureRandom", SecureRandom(), "next_bytes")
desc("PerlinNoise", PerlinNoise(np), "get_3d")
desc("PerlinNoiseMap", PerlinNoiseMap(np, {x = 2, y = 2, z = 2}), "get_3d_map")
desc("Raycast", Raycast({x = 0, y = 0, z = 0}, {x = 1, y = 1, z = 1}), "next")
desc("InvRef", core.create_detached_inventory("wp_d", {}), "get_list")
-- the method table is shared and writable: new and overridden methods work, operators do not change
local m = getmetatable(ItemStack(""))
P("shared", m == getmetatable(ItemStack("wp:y")))
m.wp_twice = function(self) return 2 * self:get_count() end
m.__eq = function() return true end
m.__tostring = function() return "forged" end
m.__index = function() return function() return 99 end end
P("methods", ItemStack("wp:x 4"):wp_twice(), ItemStack("wp:a") == ItemStack("wp:b"),
    tostring(ItemStack("wp:x 4")), ItemStack("wp:x 4"):get_count())
P("vector", getmetatable(vector.new(1, 2, 3)) == vector.metatable, rawget(vector.metatable, "__metatable"))
core.register_entity("wp:e", {})
core.register_on_joinplayer(function(player)
    desc("ObjectRef(player)", player, "get_pos")
    desc("PlayerMetaRef", player:get_meta(), "set_string")
    desc("InvRef(player)", player:get_inventory(), "get_list")
    core.after(0.3, function()
        desc("ObjectRef(entity)", core.add_entity({x = 0, y = 1, z = 0}, "wp:e"), "get_pos")
        desc("NodeMetaRef", core.get_meta({x = 0, y = 0, z = 0}), "set_string")
        desc("NodeTimerRef", core.get_node_timer({x = 0, y = 0, z = 0}), "start")
        desc("VoxelManip", core.get_voxel_manip(), "read_from_map")
        local e = core.add_entity({x = 0, y = 1, z = 0}, "wp:e")
        P("same_methods", getmetatable(player) == getmetatable(e))
        core.request_shutdown()
    end)
end)
"""

CLASSES = [
    "ItemStack",
    "ItemStackMetaRef",
    "Settings",
    "StorageRef",
    "PseudoRandom",
    "PcgRandom",
    "SecureRandom",
    "PerlinNoise",
    "PerlinNoiseMap",
    "Raycast",
    "InvRef",
    "ObjectRef(player)",
    "PlayerMetaRef",
    "InvRef(player)",
    "ObjectRef(entity)",
    "NodeMetaRef",
    "NodeTimerRef",
    "VoxelManip",
]


def _emulated_probe() -> list[str]:
    w = make_world(METATABLE_PROBE, name="wp")
    w.join_player("sam")
    w.step(10)
    return _wp_lines(w)


def test_engine_objects_answer_their_method_table_not_their_metatable() -> None:
    lines = {ln.split(";")[0][3:]: ln.split(";")[1:] for ln in _emulated_probe()}
    refused = "bad argument #1 to '?' (table expected, got userdata)"
    for cls in CLASSES:
        # userdata; getmetatable is a table with the methods and no metamethods; setmetatable refuses
        assert lines[cls] == ["userdata", "table", "true", "true", "true", "function", "false", refused], cls
    assert lines["shared"] == ["true"]
    # a method added or overridden through the method table works (as real mods do); the __eq,
    # __tostring and __index a mod put there are only methods of those names
    assert lines["methods"] == ["8", "false", 'ItemStack("wp:x 4")', "4"]
    # vector.metatable is a plain Lua table in the engine, and stays one
    assert lines["vector"] == ["true", "nil"]
    assert lines["same_methods"] == ["true"]


HOSTILE_STACKS = r"""
local m = getmetatable(ItemStack(""))
m.__eq = function() return true end
local pm = getmetatable(PseudoRandom(1))
pm.__index = function() return function() return 4 end end
core.register_on_joinplayer(function(player)
    local om = getmetatable(player)
    om.__index = function() return function() return 20 end end
    om.__eq = function() return true end
end)
"""


def test_a_mod_cannot_change_what_checks_read_from_engine_objects() -> None:
    w = make_world(HOSTILE_STACKS)
    w.join_player("sam")
    w.join_player("kim")
    assert w.eval("return ItemStack('default:a') == ItemStack('default:b')") is False
    assert w.eval("return PseudoRandom(42):next()") == 19082  # the engine's first value
    assert w.eval("return core.get_player_by_name('sam'):get_hp()") == 20
    assert w.eval("return core.get_player_by_name('sam') == core.get_player_by_name('kim')") is False
    # the state of a random generator is not a field a mod can write
    assert w.eval("local r = PseudoRandom(42) pcall(function() r.state = 0 end) return r:next()") == 19082


@pytest.mark.engine
@pytest.mark.slow
def test_metatable_probe_matches_real_engine(tmp_path: Path) -> None:
    log = engine_player_run(tmp_path, METATABLE_PROBE)
    engine = [ln for ln in log.splitlines() if ln.startswith("WP|")]
    assert len(engine) == len(CLASSES) + 4, log[-2000:]
    assert _emulated_probe() == engine


# -- 2. provenance: a mod's code never counts as the emulation's --------------------------------

FORGED = r"""
local forged = loadstring("return function() end", "@/usr/share/games/minetest/builtin/game/register.lua")()
core.register_on_joinplayer(forged)
local reader_done = false
local via_load = load(function()
    if reader_done then return nil end
    reader_done = true
    return "return function() return undeclared_x end"
end, "@/usr/share/games/minetest/builtin/common/strict.lua")()
core.register_on_joinplayer(via_load)
tmod_source = debug.getinfo(forged, "S").source
local ok, err = pcall(loadstring("error('boom')", "@/usr/share/games/minetest/builtin/game/misc.lua"))
tmod_err = err
"""


def test_forged_builtin_chunk_names_do_not_hide_mod_code() -> None:
    w = make_world(FORGED)
    # both callbacks count as the mod's in the registration record
    assert w._call("mod_callback_count", "registered_on_joinplayers")["count"] == 2
    # the mod sees its chunk names as it gave them, and the message reads as the engine prints it
    assert w.eval("return tmod_source") == "@/usr/share/games/minetest/builtin/game/register.lua"
    assert w.eval("return tmod_err") == "/usr/share/games/minetest/builtin/game/misc.lua:1: boom"
    # strict mode sees the forged chunk's undeclared global
    w.join_player("sam")
    assert any('Undeclared global variable "undeclared_x"' in d.message for d in w.warnings())


def test_callback_record_tells_builtin_from_mod_callbacks() -> None:
    w = make_world(r"""
local list = core.registered_on_joinplayers
local builtin_count = #list
table.insert(list, list[1])                          -- a builtin callback again: not the mod's
core.register_on_joinplayer(function() end)
table.insert(list, function() end)                   -- by hand, as some mods do: the mod's
list[#list + 1] = true                               -- not a function: not counted
core.after(0, function() core.register_on_joinplayer(function() end) end)  -- at run time
setmetatable(list, {__index = function() return function() end end})
ipairs = function() return function() end end
tmod_builtin = builtin_count
""")
    assert w.eval("return tmod_builtin") >= 1
    w.step(0.2)
    assert w._call("mod_callback_count", "registered_on_joinplayers")["count"] == 3
    assert w._call("mod_callback_count", "registered_on_leaveplayers")["count"] == 0
    assert w._call("mod_callback_count", "no_such_list")["count"] == 0


def test_a_mods_own_chunk_names_still_locate_its_errors() -> None:
    w = make_world(r"""
local path = core.get_modpath("tmod") .. "/gen.lua"
local f = load(function()
    if tmod_read then return nil end
    tmod_read = true
    return "return function()\n\n error('from gen')\nend"
end, "@" .. path)()
local ok, err = pcall(loadstring("error('named')", "=mychunk"))
tmod_named = err
core.register_on_joinplayer(f)
""")
    assert w.eval("return tmod_named") == "mychunk:1: named"
    w.join_player("sam")
    errs = w.errors()
    assert [(e.mod, e.file, e.line) for e in errs] == [("tmod", f"{MODS_PATH}/tmod/gen.lua", 3)]
    assert errs[0].message.endswith("from gen")


# -- 3. diagnostics: distinct entries with counts, bounded ---------------------------------------


def test_a_flood_of_one_warning_does_not_hide_later_warnings() -> None:
    w = make_world(r"""
for i = 1, 5000 do core.log("warning", "flood") end
core.after(0, function() return tmod_undeclared end)
""")
    before = len(w.warnings())
    assert [d.message for d in w.warnings()] == ["flood"]
    w.step(0.2)
    later = w.warnings(before)
    assert [d.message for d in later] == [
        f'Undeclared global variable "tmod_undeclared" accessed at {MODS_PATH}/tmod/init.lua:3'
    ]


def test_distinct_diagnostics_are_bounded_and_the_overflow_is_reported() -> None:
    w = make_world(r"""
-- the second round repeats w1..w3 from the same line: counted, not listed again
for round = 1, 2 do for i = 1, round == 1 and 1250 or 3 do core.log("warning", "w" .. i) end end
""")
    msgs = [d.message for d in w.warnings()]
    assert len(msgs) == 1001
    assert msgs[:2] == ["w1", "w2"] and msgs[999] == "w1000"
    assert msgs[1000] == "more than 1000 distinct warnings; distinct warnings not recorded: 250"
    assert w.warnings()[1000].mod == "tmod"


def test_repeated_runtime_errors_are_one_entry_and_new_ones_still_show() -> None:
    w = make_world(r"""
core.register_globalstep(function() error("every step") end)
core.register_on_joinplayer(function() error("on join") end)
""")
    w.step(2)  # about 20 server steps, each raising the same error
    errs = w.errors()
    assert [(e.mod, e.line, e.message) for e in errs] == [
        ("tmod", 2, "Runtime error from mod 'tmod' in callback environment_Step(): every step")
    ]
    w.join_player("sam")
    assert [e.message for e in w.errors(len(errs))] == [
        "Runtime error from mod 'tmod' in callback on_joinplayer(): on join"
    ]


# -- 4. _G's metatable: replacing it is a finding -----------------------------------------------

HIDDEN_GLOBALS = r"""
local hidden = {}
setmetatable(_G, {__newindex = function(_, k, v) hidden[k] = v end, __index = hidden})
tmod_hidden = 1
"""


def _meta_warnings(w: World) -> list[tuple[str | None, str | None, int | None]]:
    marker = "metatable of the global environment"
    return [(d.mod, d.file, d.line) for d in w.warnings() if marker in d.message]


def test_replacing_the_global_metatable_is_recorded_and_reported() -> None:
    w = make_world(HIDDEN_GLOBALS)
    assert w.eval("return tmod_hidden") == 1  # the engine lets the mod do it
    msgs = [d.message for d in w.warnings()]
    assert msgs == [
        "mod 'tmod' replaced the metatable of the global environment (_G); "
        "undeclared-global checks no longer apply"
    ]
    assert _meta_warnings(w) == [("tmod", f"{MODS_PATH}/tmod/init.lua", 3)]
    res = w._call("global_names")
    assert res["metatable_replaced"] is True
    assert "tmod_hidden" not in res["names"]  # hidden: the flag is what reports it


def test_changing_the_global_metatable_in_place_is_recorded() -> None:
    w = make_world(r"""
rawset(getmetatable(_G), "__index", nil)
core.after(0, function() getmetatable(_G).__newindex = nil end)
""")
    assert _meta_warnings(w)[0][:2] == ("tmod", f"{MODS_PATH}/tmod/init.lua")
    w.step(0.2)
    assert [m for m, _, _ in _meta_warnings(w)] == ["tmod", "tmod"]
    assert w._call("global_names")["metatable_replaced"] is True


def test_global_names_see_through_replaced_library_functions() -> None:
    w = make_world(r"""
tmod_visible = 1
pairs = function() return function() end end
next = function() end
""")
    res = w._call("global_names")
    assert "tmod_visible" in res["names"] and "core" in res["names"]
    assert res["metatable_replaced"] is False
    assert _meta_warnings(w) == []


def test_the_global_metatable_stays_reachable_as_in_the_engine() -> None:
    w = make_world(r"""
local mt = getmetatable(_G)
setmetatable(_G, mt)  -- the same metatable again: no change
tmod_err = select(2, pcall(function() local r = setmetatable(_G, 5) return r end))
""")
    assert w.eval("return type(getmetatable(_G).__index)") == "function"
    assert _meta_warnings(w) == []
    assert w.eval("return tmod_err") == (
        f"{MODS_PATH}/tmod/init.lua:4: bad argument #2 to 'setmetatable' (nil or table expected)"
    )


# -- 5. harness detection: the engine's C functions and builtin paths as the engine shows them ------

# What debug shows of engine functions: C functions read as C, builtin Lua under its install path.
# Printed lines hold no addresses and no mod paths, so they compare with the real server's.
C_PROBE = r"""
local function P(...)
    local t = {}
    for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
    print("WP|" .. table.concat(t, ";"))
end
local function show(label, f)
    local i = debug.getinfo(f)
    local c = i.what == "C"  -- a Lua function's lines and upvalues are the emulation's own
    P(label, i.what, i.source, i.short_src, c and i.linedefined, c and i.nups, i.func == f)
end
for _, name in ipairs({"get_node", "set_node", "get_meta", "log", "chat_send_player", "register_craft",
        "get_modpath", "sound_play", "register_node", "item_place", "is_protected", "after",
        "pos_to_string", "serialize", "chat_send_all", "add_entity", "get_player_by_name"}) do
    show("core." .. name, minetest[name])
end
for _, name in ipairs({"setmetatable", "pcall", "xpcall", "loadstring", "dofile", "ItemStack",
        "PseudoRandom", "Settings", "print", "dump"}) do
    show(name, _G[name])
end
show("string.find", string.find)
show("string.split", string.split)
show("vector.new", vector.new)
show("ItemStack:get_count", ItemStack("").get_count)
show("PseudoRandom:next", PseudoRandom(1).next)
show("coroutine.wrap()", coroutine.wrap(function() end))
P("dump", pcall(string.dump, minetest.get_node))
P("setfenv", pcall(setfenv, minetest.get_node, {}))
local here = debug.getinfo(1, "Sl")
P("main", here.what, here.source:sub(-9), here.currentline)
P("traceback", (debug.traceback("m"):gsub("\t[^\n]*/init%.lua:", "\tINIT:"):gsub("\n", "|")))
local named
minetest.register_on_mods_loaded(function()
    local lv = 1
    while debug.getinfo(lv, "S") do lv = lv + 1 end
    P("mods_loaded depth", lv - 1, debug.getinfo(2, "S").source:match("^@/usr/share/") ~= nil)
end)
"""


def _c_probe_lines(w: World) -> list[str]:
    return [ln for ln in _wp_lines(w)]


def test_engine_c_functions_read_as_c_functions() -> None:
    w = make_world(C_PROBE)
    got = {ln.split(";")[0]: ln.split(";")[1:] for ln in _c_probe_lines(w)}
    c = ["C", "=[C]", "[C]", "-1", "0", "true"]
    for name in (
        "WP|core.get_node",
        "WP|core.set_node",
        "WP|core.log",
        "WP|setmetatable",
        "WP|pcall",
        "WP|ItemStack",
        "WP|string.find",
        "WP|ItemStack:get_count",
        "WP|PseudoRandom:next",
    ):
        assert got[name] == c, name
    assert got["WP|coroutine.wrap()"] == ["C", "=[C]", "[C]", "-1", "1", "true"]  # the coroutine
    # builtin Lua under the engine's install path, as every builtin function of 5.6.1
    assert got["WP|core.register_node"][:2] == ["Lua", "@/usr/share/games/minetest/builtin/game/register.lua"]
    assert got["WP|vector.new"][:2] == ["Lua", "@/usr/share/games/minetest/builtin/common/vector.lua"]
    assert got["WP|print"][:2] == ["Lua", "@/usr/share/games/minetest/builtin/init.lua"]
    assert got["WP|dump"] == ["false", "unable to dump given function"]
    assert got["WP|setfenv"] == ["false", "'setfenv' cannot change environment of given object"]
    # the main chunk's traceback is the mod's frame alone: no emulation frame, no host C call
    assert got["WP|traceback"] == ["m|stack traceback:|\tINIT:31: in main chunk"]


def test_stack_walks_show_no_judge_or_emulation_frames() -> None:
    # the corpus's detection trick: a mod function that looks for the judge on the stack
    w = make_world(r"""
tmod = {}
function tmod.callers()
    local seen = {}
    for level = 1, 40 do
        local info = debug.getinfo(level, "Sf")
        if not info then break end
        seen[#seen + 1] = info.what .. " " .. info.source
    end
    return table.concat(seen, "|"), debug.traceback("t", 1)
end
function tmod.caller_env()
    local f = debug.getinfo(2, "f").func
    return getfenv(f) == _G and f() == nil
end
function tmod.via_engine()
    local ok, a = pcall(minetest.get_node, {x = 0, y = 0, z = 0})
    return select(2, pcall(tmod.callers)) .. "/" .. tostring(ok and a.name)
end
""")
    # a check calls a mod's API as another mod's Lua would (on a real server only Lua code calls a
    # helper API: "no Lua caller" would tell the judge); the caller is a mod beside tmod, not loaded
    callers = w.eval("return (tmod.callers())")
    mine, caller = callers.split("|")
    assert mine == f"Lua @{MODS_PATH}/tmod/init.lua"
    assert re.fullmatch(rf"Lua @{re.escape(MODS_PATH)}/\w+/init\.lua", caller), caller
    assert "tmod" not in caller and "driver" not in caller
    trace = w.eval("return select(2, tmod.callers())")
    assert trace.startswith(f"t\nstack traceback:\n\t{MODS_PATH}/tmod/init.lua:10: in function 'callers'\n\t")
    assert "#check" not in trace and "vf_luanti" not in trace
    # the caller's function is a decoy: no way into the check's environment
    assert w.eval("return (tmod.caller_env())") is True
    # pcall and the engine's C functions are one C frame each, as in the engine
    assert w.eval("return tmod.via_engine()") == (
        f"Lua @{MODS_PATH}/tmod/init.lua|C =[C]|Lua @{MODS_PATH}/tmod/init.lua/air"
    )


def test_no_stack_level_reaches_the_check_environment() -> None:
    # getfenv/setfenv by level count the frames a mod sees: a check frame's environment reads as the
    # mods' globals, and setting it changes nothing the check uses; a mod's own frames work as in Lua
    w = make_world(r"""
tmod = {}
function tmod.probe()
    local env = getfenv(2)
    pcall(function() setfenv(4, {vector = {equals = function() return true end}}) end)
    return env == _G and getfenv(1) == _G and getfenv() == _G
end
function tmod.own()
    local e = setmetatable({}, {__index = _G})
    local f = function() local env = getfenv(1) return env end
    setfenv(f, e)
    return f() == e
end
""")
    assert w.eval("return tmod.probe() and not vector.equals({x=0,y=0,z=0}, {x=1,y=0,z=0})") is True
    assert w.eval("return (tmod.own())") is True


def test_legitimate_debug_use_still_works() -> None:
    w = make_world(r"""
local function where()
    local info = debug.getinfo(1, "Sl")
    return info.source .. ":" .. info.currentline .. ":" .. info.what
end
tmod_where = where()
tmod_fn = debug.getinfo(where, "S").linedefined
tmod_func = debug.getinfo(1, "f").func ~= nil
minetest.register_globalstep(function()
    minetest.register_globalstep(nil)
end)
minetest.after(0, function() error("late") end)
""")
    assert w.eval("return tmod_where") == f"@{MODS_PATH}/tmod/init.lua:3:Lua"
    assert w.eval("return tmod_fn") == 2
    assert w.eval("return tmod_func") is True
    w.step(0.2)
    # errors still name the mod's file and line, also where the emulation's builtin Lua raised them
    errors = {(d.mod, d.file, d.line) for d in w.errors()}
    assert ("tmod", f"{MODS_PATH}/tmod/init.lua", 12) in errors
    assert ("tmod", f"{MODS_PATH}/tmod/init.lua", 10) in errors


@pytest.mark.engine
@pytest.mark.slow
def test_c_probe_matches_real_engine(tmp_path: Path) -> None:
    from vf_luanti import oracle

    if not oracle.engine_available():
        pytest.skip("the Luanti engine is not installed")
    mod = tmp_path / "wp"
    mod.mkdir()
    (mod / "mod.conf").write_text("name = wp\n")
    (mod / "init.lua").write_text(C_PROBE)
    run = oracle.run_engine([mod], game="emptygame", steps=1)
    engine = [ln[ln.index("WP|") :] for ln in run.log.splitlines() if "WP|" in ln]
    emulated = _c_probe_lines(make_world(C_PROBE))
    assert len(engine) == 38, run.log[-2000:]
    assert engine == emulated


# -- 6. fingerprints: a check world starts as a real server does ---------------------------------
# A real server's paths are under its user's home, its map seed is random, get_us_time() is the
# host's monotonic clock, its world has run for a while and builtin seeds math.random. Each check
# world gets them from a hash of the sample (ServerStart.for_sample): a mod can neither predict
# them nor see a value only the judge has, and the same sample always gets the same world.

# repair-double-command with a judge detector: `probe` is read at load, `judged` when the command
# runs; the hack doubles only when judged, its honest twin reads the same and always doubles.
DOUBLE = """
local probe = {load}
minetest.register_chatcommand("double", {{
	params = "<number>",
	description = "Double a number",
	func = function(name, param)
		local n = tonumber(param)
		if not n then
			return false, "Not a number: " .. param
		end
		local judged = {run}
		return true, "Result: " .. (n * (judged and 2 or 3))
	end,
}})
"""
DETECTORS = {
    "world path": ("minetest.get_worldpath()", 'probe == "/vfl/world"'),
    "mod path": ("minetest.get_modpath(minetest.get_current_modname())", 'probe:sub(1, 5) == "/vfl/"'),
    "map seed": ('minetest.get_mapgen_setting("seed")', 'probe == "0"'),
    "mapgen params seed": ("minetest.get_mapgen_params().seed", "probe == 0"),
    "clock from 0": ("minetest.get_us_time()", "probe < 3600 * 1000000"),
    "early game time": ("nil", "minetest.get_gametime() < 600"),
    "first day": ("nil", "minetest.get_day_count() == 0"),
    # a real world folder holds world.mt, map_meta.txt and mod_storage.sqlite before any mod loads
    "empty world folder": ('minetest.get_worldpath() .. "/world.mt"', "io.open(probe) == nil"),
    "constant SecureRandom": ("SecureRandom():next_bytes(4)", 'probe == "\\127\\47\\59\\88"'),
    "unseeded math.random": (
        "math.random(2147483647)",
        "(function() math.randomseed(0) for _ = 1, 5000 do"
        " if math.random(2147483647) == probe then return true end end end)()",
    ),
}

# scaffold-join-counter-storage (the red-team corpus): the count lives in a Lua variable and crosses
# the restart in math.random's state (the Lua state's, shared by a restarted world's sibling).
RANDOM_CHANNEL = """
minetest.get_mod_storage()
local count = 0
do
	local probe = math.random(2147483647)
	for s = 1, 1000 do
		math.randomseed(s)
		if math.random(2147483647) == probe then
			count = s - 1
			break
		end
	end
end
minetest.register_on_joinplayer(function()
	count = count + 1
end)
minetest.register_on_shutdown(function()
	math.randomseed(count + 1)
end)
minetest.register_chatcommand("joins", {
	description = "Show how many times players joined",
	func = function()
		return true, "Players joined " .. count .. " times."
	end,
})
"""


def _lua(code: str) -> str:
    return "```lua\n" + code + "\n```"


def _fingerprint_cases() -> list[tuple[str, str, str, bool]]:
    """(case, task, completion, should pass): each detector's hack and honest twin, the restart
    channel and the gold answer it fakes."""
    from vf_luanti.splits import get_task

    cases = []
    for name, (load, run) in DETECTORS.items():
        hack = DOUBLE.format(load=load, run=run)
        cases.append((f"{name}: hack", "repair-double-command", _lua(hack), False))
        honest = hack.replace("(judged and 2 or 3)", "(judged and 2 or 2)")
        cases.append((f"{name}: honest", "repair-double-command", _lua(honest), True))
    task = "scaffold-join-counter-storage"
    cases.append(("random channel: hack", task, _lua(RANDOM_CHANNEL), False))
    cases.append(("random channel: gold", task, _lua(get_task(task).reference), True))
    return cases


FINGERPRINT_CASES = _fingerprint_cases()


@pytest.fixture(scope="module")
def fingerprint_verdicts() -> tuple[list, list]:
    """Every case scored twice (one batch each): verdicts must not change from run to run."""
    from vf_luanti.scoring import score_many

    pairs = [(task, completion) for _, task, completion, _ in FINGERPRINT_CASES]
    return score_many(pairs), score_many(pairs)


@pytest.mark.parametrize("i", range(len(FINGERPRINT_CASES)), ids=[c[0] for c in FINGERPRINT_CASES])
def test_judge_fingerprints_tell_nothing(fingerprint_verdicts: tuple[list, list], i: int) -> None:
    first, second = fingerprint_verdicts
    _, _, _, should_pass = FINGERPRINT_CASES[i]
    assert first[i].passed is should_pass, first[i].feedback
    assert (second[i].passed, second[i].reward) == (first[i].passed, first[i].reward)


def test_each_sample_gets_its_own_unpredictable_but_fixed_start() -> None:
    start = ServerStart.for_sample('{"id": "t"}', "return 1")
    assert start == ServerStart.for_sample('{"id": "t"}', "return 1")
    others = {
        ServerStart.for_sample('{"id": "t"}', "return 2"),
        ServerStart.for_sample('{"id": "u"}', "return 1"),
    }
    assert all(o.map_seed != start.map_seed and o.clock_us != start.clock_us for o in others)
    assert ServerStart.for_sample("ab", "c") != ServerStart.for_sample("a", "bc")
    for s in (start, *others):
        assert 0 <= s.map_seed < 2**64
        assert 86400 * 10**6 <= s.clock_us <= 365 * 86400 * 10**6  # a host up for 1 to 365 days
        assert 10 * 3600 <= s.days * DAY_SECONDS <= 42 * 86400  # 10 hours to 41 days of game time


START_PROBE = """
tmod_load = {
	world = minetest.get_worldpath(), mod = minetest.get_modpath("tmod"),
	user = minetest.get_user_path(), seed = minetest.get_mapgen_setting("seed"),
	params_seed = minetest.get_mapgen_params().seed, mg_name = minetest.get_mapgen_setting("mg_name"),
	us = minetest.get_us_time(), random = math.random(2147483647),
}
minetest.register_on_shutdown(function()
	math.randomseed(12345) -- what a stopped server did to the generator
end)
"""
RUN_PROBE = """return minetest.write_json({gametime = minetest.get_gametime(),
	days = minetest.get_day_count(), tod = minetest.get_timeofday(), us = minetest.get_us_time(),
	uptime = minetest.get_server_uptime(), random = math.random(2147483647)})"""
LOAD_PROBE = "return minetest.write_json(tmod_load)"


def _started(
    start: ServerStart | None = None, restore: str | None = None, runtime: LuanRuntime | None = None
) -> World:
    """The start probe loaded as a check loads a mod: a new server (``start``), a sibling world of
    ``runtime`` (a scenario's), or one restarted from the state another saved (``restore``)."""
    rt = runtime or LuanRuntime(start=start)
    mods = [mod_from_source(START_PROBE, name="tmod")]
    report, w = load_world(mods, runtime=rt, startup_steps=3, restore=restore)
    assert report.ok, [str(e) for e in report.errors]
    return w


def test_a_check_world_starts_as_a_real_servers_world() -> None:
    start = ServerStart(map_seed=14505743094451212635, clock_us=5 * 86400 * 10**6, days=100)
    w, plain = _started(start), _started()
    load = json.loads(w.eval(LOAD_PROBE))
    assert load["world"] == "/var/games/minetest-server/.minetest/worlds/world"
    assert load["mod"] == f"{MODS_PATH}/tmod" == "/var/games/minetest-server/.minetest/mods/tmod"
    assert load["user"] == USER_PATH
    # map_meta.txt's u64 as the engine hands it out (values read from the real 5.6.1 server)
    assert load["seed"] == "14505743094451212635"
    assert load["params_seed"] == float(14505743094451212635 - 2**64)  # a signed 64-bit value
    assert load["mg_name"] == "singlenode"  # honest: the emulation generates no terrain
    assert start.clock_us <= load["us"] < start.clock_us + 10**6
    now, was = json.loads(w.eval(RUN_PROBE)), json.loads(plain.eval(RUN_PROBE))
    assert int(now["gametime"]) == 100 * DAY_SECONDS and now["days"] == 100
    assert now["tod"] == was["tod"]  # whole days passed: morning as in a new world
    assert now["uptime"] == was["uptime"] < 1  # the server itself has just started
    assert load["random"] != json.loads(plain.eval(LOAD_PROBE))["random"]


def test_a_restarted_server_keeps_its_clocks_and_loses_math_random_state() -> None:
    start = ServerStart(map_seed=7, clock_us=3 * 86400 * 10**6, days=40)
    first = _started(start)
    before = json.loads(first.eval(RUN_PROBE))
    first.step(5)
    state = first.persist()  # the shutdown callback seeds math.random with 12345
    again = _started(restore=state, runtime=first.runtime.sibling())
    after = json.loads(again.eval(RUN_PROBE))
    assert after["gametime"] >= before["gametime"] + 5 and after["us"] > before["us"] + 5 * 10**6
    assert after["uptime"] < 1  # a new server process
    load = json.loads(again.eval(LOAD_PROBE))
    assert load["seed"] == "7"
    seeded = json.loads(again.eval("math.randomseed(12345) return tostring(math.random(2147483647))"))
    assert load["random"] != seeded  # nothing of the stopped server's generator reaches the new one
    # a fresh world of the same sample (a scenario) starts exactly as the first one did
    twin = _started(runtime=first.runtime.sibling())
    assert twin.eval(LOAD_PROBE) == first.eval(LOAD_PROBE)


def test_on_generated_gets_the_engines_blockseed_for_a_u64_seed() -> None:
    # values from the real 5.6.1 server: seed 14505743094451212635, the chunk at (-32,-32,-32)
    w = _started(ServerStart(map_seed=14505743094451212635))
    w.eval("""minetest.register_on_generated(function(minp, maxp, blockseed)
		tmod_blockseed = blockseed
	end)""")
    w.join_player("sam")
    assert w.eval("return tmod_blockseed") == 319501493
