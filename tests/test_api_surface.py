"""The whole API surface a mod sees, against the real engine (issue 13: "nothing missing and nothing
extra for 5.6.1").

A probe mod lists, at load time and again at run time (two server steps in, after an emerge), every
table a mod can reach by name: `core` (each value's type), the Lua libraries as mod security leaves
them (`io`, `os` and `debug` are the secure subsets), `bit`, `jit`, `_G` (with types) and its
strict-mode metatable, and, for every object class a headless mod can make, the object's type and
what `getmetatable` answers for it (the engine's `__metatable`, i.e. the method table, with each
method's type). The same probe runs in Debian's minetestserver 5.6.1 and in the emulation; the test
compares table by table and names what is missing and what is extra in each: no name may differ
(docs/fidelity.md, "API surface").
"""

from __future__ import annotations

import re

import pytest

from tests.test_engine_probes import PROBE_HELPERS, _engine_run
from tests.test_world import _wp_lines, make_world
from vf_luanti.world import World

SURFACE_PROBE = r"""
local function typed(t)
    local ks = {}
    for k, v in pairs(t) do ks[#ks + 1] = tostring(k) .. ":" .. type(v) end
    table.sort(ks)
    return table.concat(ks, " ")
end
-- a run-time line is printed only where it differs from the load-time one (the output stays under
-- the emulation's 64 KiB limit)
local at_load = {}
local function S(phase, label, text)
    if phase == "load" then at_load[label] = text elseif at_load[label] == text then return end
    print("SURF|" .. phase .. "|" .. label .. "=" .. text)
end
-- an object: its type and getmetatable's answer (for the engine's classes: the method table)
local function obj(phase, label, make)
    local ok, o = pcall(make)
    if not ok or o == nil then S(phase, label, "<none>") return end
    local mt = getmetatable(o)
    local names = type(mt) == "table" and (" " .. typed(mt)) or ""
    S(phase, label, "type:" .. type(o) .. " mt:" .. type(mt) .. names)
end
local np = {offset = 0, scale = 1, spread = {x = 10, y = 10, z = 10}, seed = 5, octaves = 2, persist = 0.5}
local function surface(phase)
    for _, name in ipairs({"core", "vector", "table", "string", "math", "os", "io", "debug", "bit", "jit",
            "coroutine", "package"}) do
        local t = rawget(_G, name)
        S(phase, name, type(t) == "table" and typed(t) or "<" .. type(t) .. ">")
    end
    S(phase, "minetest_is_core", tostring(rawget(_G, "minetest") == core))
    S(phase, "_G", typed(_G))
    S(phase, "_G.metatable", typed(getmetatable(_G)))
    -- every table in core: its names (with types), its metatable's type, and at load (before the
    -- oracle's helper mod adds its callbacks) its length: builtin's own callbacks and registrations
    for k, v in pairs(core) do
        if type(v) == "table" and k ~= "callback_origins" then -- that one is keyed by functions
            local ks = {"#" .. (phase == "load" and #v or "?"), "mt:" .. type(getmetatable(v))}
            for kk, vv in pairs(v) do
                if type(kk) ~= "number" then ks[#ks + 1] = tostring(kk) .. ":" .. type(vv) end
            end
            table.sort(ks)
            S(phase, "core." .. k, table.concat(ks, " "))
        end
    end
    for _, name in ipairs({"__builtin:item", "__builtin:falling_node"}) do
        S(phase, name, typed(core.registered_entities[name]))
    end
    for name, def in pairs(core.registered_items) do S(phase, "item " .. name, typed(def)) end
    for name, def in pairs(core.registered_chatcommands) do S(phase, "chatcommand " .. name, typed(def)) end
    S(phase, "VoxelArea.class", typed(VoxelArea))
    S(phase, "vector.metatable", typed(vector.metatable))
    S(phase, "string_metatable_is_string", tostring(getmetatable("").__index == string))
    S(phase, "one_metatable_per_class", tostring(getmetatable(ItemStack("a")) == getmetatable(ItemStack("b")))
        .. " " .. tostring(getmetatable(PcgRandom(1)) == getmetatable(PcgRandom(2))))
    local p = {x = 0, y = 0, z = 0}
    obj(phase, "vector", function() return vector.new(1, 2, 3) end)
    obj(phase, "string", function() return "" end)
    obj(phase, "ItemStack", function() return ItemStack("x") end)
    obj(phase, "ItemStack_from_table", function() return ItemStack({name = "x"}) end)
    obj(phase, "ItemStackMetaRef", function() return ItemStack("x"):get_meta() end)
    obj(phase, "VoxelManip", function() return VoxelManip() end)
    obj(phase, "get_voxel_manip", function() return core.get_voxel_manip() end)
    obj(phase, "VoxelArea", function() return VoxelArea:new({MinEdge = p, MaxEdge = p}) end)
    obj(phase, "PseudoRandom", function() return PseudoRandom(1) end)
    obj(phase, "PcgRandom", function() return PcgRandom(1) end)
    obj(phase, "SecureRandom", function() return SecureRandom() end)
    obj(phase, "PerlinNoise", function() return PerlinNoise(np) end)
    obj(phase, "get_perlin", function() return core.get_perlin(np) end)
    obj(phase, "PerlinNoiseMap", function() return PerlinNoiseMap(np, {x = 3, y = 3, z = 3}) end)
    obj(phase, "get_perlin_map", function() return core.get_perlin_map(np, {x = 3, y = 3, z = 3}) end)
    obj(phase, "AreaStore", function() return AreaStore() end)
    obj(phase, "core.settings", function() return core.settings end)
    obj(phase, "Settings", function() return Settings(core.get_worldpath() .. "/x.conf") end)
    obj(phase, "Raycast", function() return Raycast(p, {x = 1, y = 1, z = 1}) end)
    obj(phase, "raycast", function() return core.raycast(p, {x = 1, y = 1, z = 1}) end)
    obj(phase, "NodeMetaRef", function() return core.get_meta(p) end)
    obj(phase, "NodeMetaRef_inventory", function() return core.get_meta(p):get_inventory() end)
    obj(phase, "get_inventory_node", function() return core.get_inventory({type = "node", pos = p}) end)
    obj(phase, "StorageRef", function() return core.get_mod_storage() end)
    obj(phase, "NodeTimerRef", function() return core.get_node_timer(p) end)
    obj(phase, "detached_inventory", function() return core.create_detached_inventory("wp" .. phase, {}) end)
    obj(phase, "get_inventory_detached",
        function() return core.get_inventory({type = "detached", name = "wp" .. phase}) end)
    obj(phase, "ObjectRef", function() return core.add_entity(p, "wp:e") end)
    obj(phase, "luaentity", function() return core.add_entity(p, "wp:e"):get_luaentity() end)
end
core.register_entity("wp:e", {})
surface("load")
core.after(0, function()
    core.emerge_area({x = -16, y = -16, z = -16}, {x = 16, y = 16, z = 16})
    core.after(0.5, function()
        surface("run")
        print("SURF|end|complete=yes")
    end)
end)
"""


def _surface(lines: list[str]) -> dict[str, set[str]]:
    """Per "phase|table" label: the names (with types) the probe listed for it (a run-time table
    not printed is as at load)."""
    out = {}
    for ln in lines:
        m = re.match(r"SURF\|([^=]*)=(.*)$", ln)
        if m:
            out[m.group(1)] = set(m.group(2).split())
    for label in [k for k in out if k.startswith("load|")]:
        out.setdefault("run|" + label.removeprefix("load|"), out[label])
    return out


def _differences(engine: dict[str, set[str]], emulated: dict[str, set[str]]) -> list[str]:
    """One readable line per table that differs: what the emulation lacks and what it has besides."""
    out = []
    for table in sorted(engine.keys() | emulated.keys()):
        want, have = engine.get(table, set()), emulated.get(table, set())
        if want != have:
            out.append(f"{table}: missing {sorted(want - have)}; extra {sorted(have - want)}")
    return out


@pytest.mark.engine
@pytest.mark.slow
def test_api_surface_matches_real_engine(tmp_path) -> None:
    run = _engine_run(tmp_path, SURFACE_PROBE, steps=30)
    engine = _surface([ln.text for ln in run.lines])
    assert "end|complete" in engine, run.log[-2000:]
    w = make_world(SURFACE_PROBE, name="wp")
    w.step(20)
    emulated = _surface(w.output())
    assert "end|complete" in emulated, "the probe's output was cut: the emulation keeps 64 KiB of it"
    diffs = _differences(engine, emulated)
    names = sum(len(v) for v in engine.values())
    assert not diffs, f"{len(diffs)} of {len(engine)} tables differ ({names} names):\n" + "\n".join(diffs)


# io.input / io.output / io.read / io.write / io.lines / io.close on the default files, as 5.6.1's
# mod security wraps them (s_security.cpp: sl_io_input, sl_io_output, sl_io_lines pass only their
# stack slot 1 on, so a call with no argument gives LuaJIT the wrapped function) over LuaJIT's
# standard handles ("standard file is closed", write answering true, closing stdin refused).
IO_PROBE = (
    PROBE_HELPERS
    + r"""
local wp = core.get_worldpath()
local function E(f, ...)
    local e = err(f, ...)
    local s = e:find(wp, 1, true)
    return s and (e:sub(1, s - 1) .. "<world>" .. e:sub(s + #wp)) or e
end
local f = io.open(wp .. "/in.txt", "w") f:write("line1\nline2\n") f:close()
P("std_close", io.close(io.input(nil)))
P("defaults", E(io.input), E(io.output), io.type(io.input(nil)), io.type(io.output(nil)),
    io.input(nil) == io.input(nil), io.read())
local fin = io.input(wp .. "/in.txt")
P("input_path", io.type(fin), io.read(), io.read("*l"), io.read(), io.input(nil) == fin)
P("input_missing", E(io.input, wp .. "/nope.txt"))
P("blocked", E(io.input, "/etc/passwd"), E(io.output, "/tmp/vfl_x.txt"), E(io.input, 5))
P("input_table", E(io.input, {}), io.input(nil) == fin)
P("lines_no_argument", E(function() for _ in io.lines() do end end))
local fout = io.output(wp .. "/out.txt")
P("output_path", io.type(fout), io.write("a", 1, "b") == fout, io.output(nil) == fout, io.input(nil) == fin)
io.close()
P("closed", io.type(fout), E(io.write, "x"))
local r = io.open(wp .. "/out.txt", "r") P("written", r:read("*a")) r:close()
P("input_file", io.input(fin) == fin, fin:close(), E(io.read))
P("output_closed_file", E(io.output, r), io.type(r))
P("lines_nil_closed", E(function() for _ in io.lines(nil) do end end))
io.input(wp .. "/in.txt")
local got = {}
for l in io.lines(nil) do got[#got + 1] = l end
P("lines_nil", table.concat(got, ","))
local fout2 = io.output(wp .. "/out2.txt")
P("write_answer", type(io.write("z")), io.write("z") == fout2, io.close(), io.type(fout2), E(io.close))
P("close", io.close(io.input(nil)), E(io.close, io.input(nil)), E(io.close, 5))
P("read_closed", E(io.read), E(io.read, "*a"))
local g = io.open(wp .. "/g.txt", "w")
P("file_write", type(g:write("q")), g:close(), E(g.close, g), io.type(g))
-- io.open's argument checks, its answer for a missing file, and which errors carry the caller's line
P("open_args", E(io.open), E(io.open, nil), E(io.open, 5), E(io.open, wp .. "/a.txt", 5),
    E(io.open, wp .. "/a", nil))
local missing = wp .. "/nope.txt"
P("open_missing", select("#", io.open(missing)), (select(2, io.open(missing)):gsub(".*/", "")))
P("lines_errors", E(io.lines, wp .. "/nope.txt"), E(io.lines, "/etc/passwd"), E(io.lines, {}))
local function at(f)
    local ok, e = pcall(f)
    if ok then return "ok" end
    local s = e:find(wp, 1, true)
    e = s and (e:sub(1, s - 1) .. "<world>" .. e:sub(s + #wp)) or e
    return (e:gsub("^[^:]*init%.lua:", "init.lua:"))
end
P("positions", at(function() io.open("/etc/hostname") end), at(function() io.open() end),
    at(function() io.open(wp, {}) end), at(function() io.lines("/etc/hostname") end),
    at(function() io.lines(wp .. "/nope") end), at(function() io.input("/etc/hostname") end),
    at(function() io.read() end), at(function() for _ in io.lines(nil) do end end),
    at(function() g:close() end), at(function() io.close(5) end), at(function() io.close(nil) end),
    at(function() io.input({}) end))
"""
)


@pytest.mark.engine
@pytest.mark.slow
def test_io_default_files_match_real_engine(tmp_path) -> None:
    run = _engine_run(tmp_path, IO_PROBE, steps=3)
    engine = [ln.text for ln in run.lines if ln.text.startswith("WP|")]
    assert engine, run.log[-2000:]
    assert _wp_lines(make_world(IO_PROBE, name="wp")) == engine


# builtin's own callbacks the surface test found missing: static_spawn.lua (new and respawning
# players go to the static_spawnpoint setting, with an action log line) and privileges.lua (who may
# join past max_users), called here with a stand-in player.
BUILTIN_CALLBACKS_PROBE = (
    PROBE_HELPERS
    + r"""
local fake = {}
function fake:get_player_name() return "ghost" end
function fake:set_pos(p) self.pos = p end
core.after(0, function()
    P("lists", #core.registered_on_newplayers, #core.registered_on_respawnplayers,
        #core.registered_can_bypass_userlimit)
    P("no_spawnpoint", core.registered_on_newplayers[1](fake), fake.pos)
    core.settings:set("static_spawnpoint", "1, 2.5, -3")
    P("spawnpoint", core.registered_on_respawnplayers[1](fake), fake.pos)
    fake.pos = nil
    core.settings:set("static_spawnpoint", "bad")
    P("bad_spawnpoint", core.registered_on_newplayers[1](fake), fake.pos)
    core.settings:remove("static_spawnpoint")
    local bypass = core.registered_can_bypass_userlimit[1]
    P("bypass_unknown", bypass("nobody", "1.2.3.4"))
    core.get_auth_handler().create_auth("bob", "")
    for _, priv in ipairs({"server", "ban", "privs", "password", "shout", "interact", "basic_privs"}) do
        core.set_player_privs("bob", {[priv] = true})
        P("bypass_" .. priv, bypass("bob", "1.2.3.4"))
    end
end)
"""
)


@pytest.mark.engine
@pytest.mark.slow
def test_builtin_spawn_and_userlimit_callbacks_match_real_engine(tmp_path) -> None:
    run = _engine_run(tmp_path, BUILTIN_CALLBACKS_PROBE, steps=3)
    engine = [ln.text for ln in run.lines if ln.text.startswith("WP|")]
    assert engine, run.log[-2000:]
    w = make_world(BUILTIN_CALLBACKS_PROBE, name="wp")
    w.step(2)
    assert _wp_lines(w) == engine
    moved = [ln.text for ln in run.lines if ln.level == "ACTION" and "static spawnpoint" in ln.text]
    assert moved and [ln.split("]: ", 1)[1] for ln in w.output() if "static spawnpoint" in ln] == moved


# builtin falling.lua: a sand node landing on a leveled node of another kind (placed on top), a
# leveled node falling onto its own kind (the levels add up; what does not fit stays a node), a
# floating node dropped over water (it stays on the water), sand falling onto a torch-like node (the
# torch is dug, dropping an item, and the sand takes its place), sand falling onto a protected torch
# (the sand is dropped as an item), and forceloading.lua's counting and limit.
FALLING_PROBE = (
    PROBE_HELPERS
    + r"""
core.register_node("wp:stone", {})
core.register_node("wp:sand", {groups = {falling_node = 1}})
core.register_node("wp:float", {groups = {falling_node = 1, float = 1}})
core.register_node("wp:snow", {drawtype = "nodebox", paramtype2 = "leveled", leveled = 40,
    node_box = {type = "leveled", fixed = {-0.5, -0.5, -0.5, 0.5, -0.25, 0.5}}, groups = {falling_node = 1}})
core.register_node("wp:torch", {drawtype = "torchlike", walkable = false, tiles = {"t.png"}})
core.register_node("wp:water", {drawtype = "liquid", liquidtype = "source", walkable = false,
    buildable_to = true, liquid_alternative_flowing = "wp:water", liquid_alternative_source = "wp:water",
    liquid_renewable = false, liquid_range = 0})
-- the items dropped, as core.add_item hands them to core.spawn_item (the headless engine deactivates
-- objects soon: without a player no block is active)
local spawned = {}
local old_spawn = core.spawn_item
function core.spawn_item(pos, item)
    spawned[#spawned + 1] = ItemStack(item):to_string()
    return old_spawn(pos, item)
end
local old_protected = core.is_protected
function core.is_protected(pos, name)
    if pos.x == 15 and pos.y == 1 then return true end
    return old_protected(pos, name)
end
local function at(x, y, z) local n = core.get_node({x = x, y = y, z = z}) return n.name .. "/" .. n.param2 end
local function entities(kind)
    local found = {}
    for _, o in pairs(core.get_objects_inside_radius({x = 7, y = 3, z = 0}, 20)) do
        local e = o:get_luaentity()
        if e and e.name == kind then
            found[#found + 1] = kind == "__builtin:item" and e.itemstring
                or (fmt(e.node) .. " floats=" .. tostring(e.floats))
        end
    end
    table.sort(found)
    return found
end
P("forceload_load", core.forceload_block({x = 0, y = 0, z = 0}))
core.after(0, function()
    core.emerge_area({x = -16, y = -16, z = -16}, {x = 32, y = 32, z = 16})
    core.after(1, function()
        for x = 0, 15, 3 do core.set_node({x = x, y = 0, z = 0}, {name = "wp:stone"}) end
        core.set_node({x = 0, y = 1, z = 0}, {name = "wp:snow", param2 = 20})
        core.set_node({x = 0, y = 6, z = 0}, {name = "wp:sand"})
        core.set_node({x = 3, y = 1, z = 0}, {name = "wp:snow", param2 = 30})
        core.set_node({x = 3, y = 6, z = 0}, {name = "wp:snow", param2 = 20})
        core.set_node({x = 6, y = 1, z = 0}, {name = "wp:water"})
        core.set_node({x = 6, y = 2, z = 0}, {name = "wp:water"})
        core.set_node({x = 6, y = 6, z = 0}, {name = "wp:float"})
        core.set_node({x = 9, y = 1, z = 0}, {name = "wp:torch"})
        core.set_node({x = 9, y = 6, z = 0}, {name = "wp:sand"})
        core.set_node({x = 12, y = 1, z = 0}, {name = "wp:float"})
        core.set_node({x = 15, y = 1, z = 0}, {name = "wp:torch"})
        core.set_node({x = 15, y = 6, z = 0}, {name = "wp:sand"})
        for x = 0, 15, 3 do core.check_for_falling({x = x, y = 6, z = 0}) end
        core.check_for_falling({x = 12, y = 1, z = 0})
        P("falling", entities("__builtin:falling_node"), at(0, 6, 0), at(12, 1, 0))
        core.after(3, function()
            P("on_leveled", at(0, 1, 0), at(0, 2, 0), at(0, 3, 0))
            P("leveled_stack", at(3, 1, 0), at(3, 2, 0), core.get_node_level({x = 3, y = 1, z = 0}))
            P("on_water", at(6, 2, 0), at(6, 3, 0), at(6, 4, 0))
            P("on_torch", at(9, 1, 0), at(9, 2, 0))
            P("protected", at(15, 1, 0), at(15, 2, 0))
            table.sort(spawned)
            P("left", entities("__builtin:falling_node"), spawned)
            -- forceloading.lua: counts per block, transient and persistent apart, 16 blocks at most
            local fl = {}
            for i = 1, 17 do
                fl[#fl + 1] = tostring(core.forceload_block({x = i * 16, y = 0, z = 0}, true))
            end
            P("forceload_limit", table.concat(fl, " "), core.forceload_block({x = 5, y = 5, z = 5}),
                core.forceload_block({x = 3, y = 3, z = 3}, true))
            core.forceload_free_block({x = 16, y = 0, z = 0}, true)
            P("forceload_freed", core.forceload_block({x = 1000, y = 0, z = 0}),
                core.forceload_block({x = 2000, y = 0, z = 0}))
            core.forceload_free_block({x = 0, y = 0, z = 0})
            core.forceload_free_block({x = 0, y = 0, z = 0})
            P("forceload_free_again", core.forceload_block({x = 2000, y = 0, z = 0}),
                err(core.forceload_free_block, {}))
        end)
    end)
end)
"""
)


@pytest.mark.engine
@pytest.mark.slow
def test_falling_nodes_and_forceloading_match_real_engine(tmp_path) -> None:
    run = _engine_run(tmp_path, FALLING_PROBE, steps=60)
    engine = [ln.text for ln in run.lines if ln.text.startswith("WP|")]
    assert engine, run.log[-2000:]
    w = make_world(FALLING_PROBE, name="wp")
    w.step(6)
    assert _wp_lines(w) == engine


# builtin information_formspecs.lua (the /help formspecs, as core.show_formspec is handed them, and
# builtin's fields handler answering clicks in the command list) and statbars.lua's
# hud_replace_builtin, called with a stand-in player (a headless server has none).
HELP_PROBE = (
    PROBE_HELPERS
    + r"""
-- (basic_privs's builtin description lists the basic privileges in pairs() order: docs/fidelity.md)
core.registered_privileges.basic_privs.description = "Can modify basic privileges"
core.register_chatcommand("zz", {params = "<a, b>", description = "Zed; does [x]", privs = {shout = true}})
local shown = {}
function core.show_formspec(name, formname, formspec) shown[#shown + 1] = {name, formname, formspec} end
local function flush(label)
    for i, s in ipairs(shown) do P(label .. i, s[1], s[2], (s[3]:gsub("\n", "|"))) end
    shown = {}
end
local fake = {}
function fake:get_player_name() return "ghost" end
local bar = {hud_elem_type = "statbar", text = "x.png", number = 6}
P("replace", core.hud_replace_builtin("health", bar), core.hud_replace_builtin("breath", {}),
    core.hud_replace_builtin("mana", bar), core.hud_replace_builtin("breath", bar), bar.item)
core.after(0, function()
    core.show_general_help_formspec("ghost") -- builtin's job building the command list runs after this
    flush("before")
end)
core.after(0.5, function()
    core.show_general_help_formspec("ghost")
    core.show_privs_help_formspec("ghost")
    flush("show")
    local handler = core.registered_on_player_receive_fields[#core.registered_on_player_receive_fields]
    for _, fields in ipairs({{list = "CHG:3:2"}, {list = "DCL:4:1"}, {list = "INV"}, {quit = "true"}, {}}) do
        P("fields", handler(fake, "__builtin:help_cmds", fields), fmt(fields))
        flush("answer")
    end
    P("other_form", handler(fake, "__builtin:help_privs", {list = "CHG:2:1"}), #shown)
end)
"""
)


@pytest.mark.engine
@pytest.mark.slow
def test_help_formspecs_match_real_engine(tmp_path) -> None:
    run = _engine_run(tmp_path, HELP_PROBE, steps=20)
    engine = [ln.text for ln in run.lines if ln.text.startswith("WP|")]
    assert engine, run.log[-2000:]
    w = make_world(HELP_PROBE, name="wp")
    w.step(8)
    assert _wp_lines(w) == engine


# statbars.lua as builtin's code reads (a headless engine has no player to show it): the bars come
# after a mod's own on_joinplayer elements, the breath bar only while breath is short, and a mod that
# hides the health bar by its flag (or makes the player immortal) takes it away.
STATBARS_MOD = r"""
core.register_on_joinplayer(function(player)
    player:hud_add({hud_elem_type = "text", text = "mine", position = {x = 0.5, y = 0.5}})
end)
core.register_chatcommand("short", {func = function(name)
    core.get_player_by_name(name):set_breath(3)
end})
core.register_chatcommand("nobar", {func = function(name)
    core.get_player_by_name(name):hud_set_flags({healthbar = false})
end})
"""


def _hud(w: World, player: str) -> list[tuple[int, str, str]]:
    return [(e["id"], e["type"], e.get("text") or "") for e in w.player(player)["hud"]]


def test_statbars_take_hud_ids_after_the_mods_join_elements() -> None:
    w = make_world(STATBARS_MOD, name="wp")
    w.join_player("p1")
    assert _hud(w, "p1") == [(0, "text", "mine"), (1, "statbar", "heart.png")]
    w.chat_command("p1", "/short")
    assert _hud(w, "p1")[-1] == (2, "statbar", "bubble.png")
    w.set_hp("p1", 10)
    w.chat_command("p1", "/nobar")
    assert [e[2] for e in _hud(w, "p1")] == ["mine", "bubble.png"]
