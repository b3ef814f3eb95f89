"""Parity with Luanti 5.6.1 (issue 13): the names a mod sees, the warnings the engine prints (and no
others) and what the API returns at load time. Each behaviour was measured with a probe mod in the real
server (Debian's minetestserver 5.6.1); the engine tests rerun those probes where it is installed.
"""

from __future__ import annotations

import re

import pytest

from tests.test_engine_probes import _engine_run
from tests.test_world import make_world
from vf_luanti.loading import run_mods
from vf_luanti.mods import MODS_PATH, mod_from_source
from vf_luanti.world import load_world

# The keys of the library tables a mod sees at load, one "SURF|table=k1 k2 ..." line each.
SURFACE_PROBE = r"""
local function keys(label, t)
    local ks = {}
    for k in pairs(t) do ks[#ks + 1] = tostring(k) end
    table.sort(ks)
    print("SURF|" .. label .. "=" .. table.concat(ks, " "))
end
keys("vector", vector)
keys("table", table)
keys("math", math)
keys("string", string)
local g = {}
for _, name in ipairs({"ValueNoise", "ValueNoiseMap", "PerlinNoise", "PerlinNoiseMap", "VoxelManip"}) do
    g[name] = rawget(_G, name) ~= nil or nil
end
keys("globals", g)
"""

NEWER = {
    "vector": {"in_area", "abs", "ceil", "sign", "random_direction", "random_in_area"},
    "table": {"keyof", "copy_with_metatables"},
    "math": {"isfinite"},
    "globals": {"ValueNoise", "ValueNoiseMap"},
}


def _surface(lines: list[str]) -> dict[str, set[str]]:
    out = {}
    for ln in lines:
        m = re.match(r"SURF\|([^=]*)=(.*)$", ln)
        if m:
            out[m.group(1)] = set(m.group(2).split())
    return out


def _emulated_surface(version: str | None = None) -> dict[str, set[str]]:
    report, w = load_world([mod_from_source(SURFACE_PROBE, name="wp")], luanti_version=version)
    assert report.ok
    return _surface(w.output())


def test_get_globals_to_transfer_goes_when_the_server_starts() -> None:
    # 5.6.1: a function at load and in on_mods_loaded, nil from the first server step on
    w = make_world(
        'print("WP|" .. type(core.get_globals_to_transfer))\n'
        'core.register_on_mods_loaded(function() print("WP|" .. type(core.get_globals_to_transfer)) end)\n'
        'core.after(0, function() print("WP|" .. type(core.get_globals_to_transfer)) end)',
        name="wp",
    )
    w.step(2)
    assert [ln for ln in w.output() if ln.startswith("WP|")] == ["WP|function", "WP|function", "WP|nil"]


def test_names_newer_than_the_target_are_absent_from_every_table() -> None:
    seen = _emulated_surface()
    for table, names in NEWER.items():
        assert not names & seen[table], table
    assert {"PerlinNoise", "VoxelManip"} <= seen["globals"]  # the 5.6.1 names stay


def test_a_newer_target_has_them() -> None:
    seen = _emulated_surface("5.16")
    for table, names in NEWER.items():
        assert names <= seen[table], table
    seen = _emulated_surface("5.10")
    assert "sign" in seen["vector"] and "copy_with_metatables" not in seen["table"]  # 5.12's


def _warnings(src: str) -> tuple[bool, list[tuple[int | None, str]], list[str]]:
    report, _rt = run_mods([mod_from_source(src, name="tmod")])
    return report.ok, [(w.line, w.message) for w in report.warnings], [e.message for e in report.errors]


def test_feature_tests_of_missing_names_are_silent() -> None:
    # The engine says nothing when a mod reads a name it lacks (its strict mode watches globals only).
    ok, warnings, _ = _warnings(
        "if minetest.delete_detached_inventory then error('x') end\n"
        "local has = vector.sign ~= nil or table.keyof ~= nil or math.isfinite ~= nil\n"
        "assert(not has and core.get_game_info == nil)\n"
        "local s = core.get_mod_storage()\n"
        "assert(s.get_keys == nil)\n"
    )
    assert ok and warnings == []


def test_a_call_of_a_newer_name_fails_as_in_the_engine_with_a_hint() -> None:
    ok, warnings, errors = _warnings("local v = vector.sign(vector.new(1, -2, 0))")
    assert not ok
    assert errors == ["attempt to call field 'sign' (a nil value)"]
    assert warnings == [(1, "vector.sign needs Luanti 5.10 (target: 5.6.1)")]
    ok, warnings, errors = _warnings("local s = core.get_mod_storage()\ns:get_keys()")
    assert errors == ["attempt to call method 'get_keys' (a nil value)"]
    assert warnings == [(2, "StorageRef:get_keys needs Luanti 5.7 (target: 5.6.1)")]


def test_client_side_api_is_named_as_such() -> None:
    # 5.6.1: "attempt to call field 'register_on_formspec_input' (a nil value)", nothing else
    ok, warnings, _ = _warnings("if core.register_on_formspec_input then error('x') end")
    assert ok and warnings == []
    ok, warnings, errors = _warnings("core.register_on_formspec_input(function() end)")
    assert errors == ["attempt to call field 'register_on_formspec_input' (a nil value)"]
    hint = "client-side modding API (client_lua_api); server mods do not have it"
    assert warnings == [(1, f"core.register_on_formspec_input is {hint}")]


def test_undeclared_global_warning_for_a_taken_out_global() -> None:
    # Reading a global the target lacks warns as the engine's strict mode does for any undeclared one.
    ok, warnings, _ = _warnings("local n = ValueNoise")
    assert ok
    path = "/var/games/minetest-server/.minetest/mods/tmod/init.lua"
    assert [m for _, m in warnings] == [f'Undeclared global variable "ValueNoise" accessed at {path}:1']


@pytest.mark.engine
@pytest.mark.slow
def test_surface_matches_real_engine(tmp_path) -> None:
    run = _engine_run(tmp_path, SURFACE_PROBE, steps=3)
    engine = _surface([ln.text for ln in run.lines])
    assert engine, run.log[-2000:]
    w = make_world(SURFACE_PROBE, name="wp")
    assert _surface(w.output()) == engine


# What the API gives before the server runs (at load and in on_mods_loaded) and after, with the
# engine's log lines: VoxelManip() and the world's noises are nil until the server runs, add_particle
# returns its last argument, a spawner id is -1 as u32 before the run, get_spawn_level logs an
# error before mapgen init, the mapgen_params functions warn on every call, set_mapgen_setting is
# refused (with an error line) only once the server runs.
LOAD_TIME_PROBE = r"""
local function P(label, ...)
    local parts = {}
    for i = 1, select("#", ...) do
        local v = select(i, ...)
        parts[i] = (type(v) == "table" or type(v) == "userdata") and type(v) or tostring(v)
    end
    print("WP|" .. label .. "=" .. select("#", ...) .. ":" .. table.concat(parts, ","))
end
local np = {offset = 0, scale = 1, spread = {x = 10, y = 10, z = 10}, seed = 5, octaves = 2, persist = 0.5}
local def = {pos = {x = 0, y = 0, z = 0}, texture = "x.png"}
local function probe(when)
    P(when .. "VoxelManip", VoxelManip())
    P(when .. "VoxelManip_area", VoxelManip({x = 0, y = 0, z = 0}, {x = 1, y = 1, z = 1}))
    P(when .. "get_voxel_manip", core.get_voxel_manip())
    P(when .. "get_perlin", core.get_perlin(np))
    P(when .. "get_perlin_old", core.get_perlin(1, 3, 0.5, 100))
    P(when .. "get_perlin_map", core.get_perlin_map(np, {x = 2, y = 2, z = 2}))
    P(when .. "PerlinNoise", PerlinNoise(np))
    P(when .. "get_spawn_level", core.get_spawn_level(0, 0))
    P(when .. "add_particle", core.add_particle(def) == def)
    P(when .. "add_particlespawner", core.add_particlespawner({amount = 1, time = 1, texture = "x.png"}))
    P(when .. "get_mapgen_params", type(core.get_mapgen_params()))
    P(when .. "set_mapgen_params", core.set_mapgen_params({water_level = 3}))
    P(when .. "set_mapgen_setting", core.set_mapgen_setting("water_level", "4", true))
    P(when .. "water_level", core.get_mapgen_setting("water_level"))
    P(when .. "mapgen_object", pcall(core.get_mapgen_object, "voxelmanip"))
end
probe("load:")
P("add_particle_old", core.add_particle({x = 0, y = 0, z = 0}, {x = 0, y = 0, z = 0}, {x = 0, y = 0, z = 0},
    1, 1, false, "x.png"))
core.register_on_mods_loaded(function() probe("mods_loaded:") end)
core.after(0, function() probe("run:") end)
"""


def _log_lines(lines: list[str]) -> list[str]:
    return [ln for ln in lines if ln.startswith(("WARNING[", "ERROR["))]


@pytest.mark.engine
@pytest.mark.slow
def test_load_time_behaviour_matches_real_engine(tmp_path) -> None:
    run = _engine_run(tmp_path, LOAD_TIME_PROBE, steps=5)
    engine = [ln.text for ln in run.lines if ln.text.startswith("WP|")]
    assert engine, run.log[-2000:]
    engine_log = [
        re.sub(r"\S*/init\.lua", f"{MODS_PATH}/wp/init.lua", f"{ln.level}[{ln.thread}]: {ln.text}")
        for ln in run.lines
        if ln.level in ("WARNING", "ERROR")
    ]
    w = make_world(LOAD_TIME_PROBE, name="wp")
    w.step(2)
    assert [ln for ln in w.output() if ln.startswith("WP|")] == engine
    assert _log_lines(w.output()) == engine_log


def test_load_time_values() -> None:
    # The emulation's side of the probe above, for machines without the engine.
    w = make_world(LOAD_TIME_PROBE, name="wp")
    w.step(2)
    lines = w.output()
    for when in ("load:", "mods_loaded:"):
        for name in ("VoxelManip", "VoxelManip_area", "get_voxel_manip", "get_perlin", "get_perlin_map"):
            assert f"WP|{when}{name}=0:" in lines
        assert f"WP|{when}add_particlespawner=1:4294967295" in lines
    for name in ("VoxelManip", "get_voxel_manip", "get_perlin", "get_perlin_map"):
        assert f"WP|run:{name}=1:userdata" in lines
    assert "WP|run:add_particlespawner=1:1" in lines and "WP|add_particle_old=1:x.png" in lines
    assert [ln for ln in lines if "water_level=" in ln][1:] == [
        "WP|mods_loaded:water_level=1:4",
        "WP|run:water_level=1:4",
    ]
    log = _log_lines(lines)
    assert log.count("ERROR[Server]: set_mapgen_setting: cannot set 'water_level' after initialization") == 1
    assert sum("get_mapgen_params is deprecated" in ln for ln in log) == 3  # every call


# The builtin item entity's fields and helpers (builtin/game/item_entity.lua): mods call
# try_merge_with, enable_physics/disable_physics and read moving_state/physical_state.
ITEM_ENTITY_PROBE = r"""
core.register_craftitem("wp:a", {stack_max = 10})
core.register_craftitem("wp:b", {})
local function S(o) local e = o and o:get_luaentity() return e and e.itemstring or "gone" end
core.after(0, function()
    core.emerge_area({x = -5, y = -5, z = -5}, {x = 5, y = 5, z = 5})
    local o1 = core.add_item({x = 0, y = 0, z = 0}, "wp:a 3")
    local e1 = o1:get_luaentity()
    print("WP|fields", e1.moving_state, e1.physical_state, #e1._collisionbox)
    print("WP|same_age", e1:try_merge_with(ItemStack(e1.itemstring), o1, e1))
    e1.age = 5
    local o2 = core.add_item({x = 1, y = 0, z = 0}, "wp:a 4")
    local merged = e1:try_merge_with(ItemStack(e1.itemstring), o2, o2:get_luaentity())
    print("WP|merge", merged, S(o1), S(o2), e1.age)
    e1.age = 5
    local o3 = core.add_item({x = 1, y = 0, z = 0}, "wp:a 4")
    print("WP|full", e1:try_merge_with(ItemStack(e1.itemstring), o3, o3:get_luaentity()), S(o1), S(o3))
    local o4 = core.add_item({x = 1, y = 0, z = 0}, "wp:b")
    print("WP|other", e1:try_merge_with(ItemStack(e1.itemstring), o4, o4:get_luaentity()), S(o4))
    e1:disable_physics()
    print("WP|disabled", e1.physical_state, o1:get_properties().physical, o1:get_acceleration().y)
    e1:disable_physics()
    e1:enable_physics()
    print("WP|enabled", e1.physical_state, o1:get_properties().physical,
        string.format("%.2f", o1:get_acceleration().y))
end)
"""

ITEM_ENTITY_LINES = [
    "WP|fields\ttrue\ttrue\t6",
    "WP|same_age\tfalse",
    "WP|merge\ttrue\twp:a 7\tgone\t0",
    "WP|full\tfalse\twp:a 7\twp:a 4",
    "WP|other\tfalse\twp:b",
    "WP|disabled\tfalse\tfalse\t0",
    "WP|enabled\ttrue\ttrue\t-9.81",
]


def test_item_entity_helpers() -> None:
    w = make_world(ITEM_ENTITY_PROBE, name="wp")
    w.step(2)
    assert [ln for ln in w.output() if ln.startswith("WP|")] == ITEM_ENTITY_LINES


@pytest.mark.engine
@pytest.mark.slow
def test_item_entity_helpers_match_real_engine(tmp_path) -> None:
    run = _engine_run(tmp_path, ITEM_ENTITY_PROBE, steps=5)
    assert [ln.text for ln in run.lines if ln.text.startswith("WP|")] == ITEM_ENTITY_LINES, run.log[-2000:]


# Definition warnings C++ logs without failing: the typed numbers of tool_capabilities (once per
# place), the obsolete "alpha" and boolean "use_texture_alpha" (every registration, overrides too).
DEFINITION_PROBE = r"""
core.register_tool("wp:t1", {tool_capabilities = {punch_attack_uses = "a",
    groupcaps = {cracky = {maxlevel = "b"}}}})
core.register_tool("wp:t2", {tool_capabilities = {full_punch_interval = "1.5", max_drop_level = true}})
for i = 1, 2 do core.register_tool("wp:t3" .. i, {tool_capabilities = {full_punch_interval = "x"}}) end
core.register_craftitem("wp:c", {tool_capabilities = {full_punch_interval = {}}})
core.register_node("wp:a1", {alpha = 128})
core.register_node("wp:a2", {alpha = "x"})
core.register_node("wp:a3", {drawtype = "liquid", alpha = 160, use_texture_alpha = "blend"})
core.register_node("wp:u1", {use_texture_alpha = true, drawtype = "nodebox"})
core.register_node("wp:u2", {use_texture_alpha = 1})
core.register_node("wp:u3", {use_texture_alpha = "clip"})
core.override_item("wp:u3", {use_texture_alpha = false})
"""

ALPHA = (
    "WARNING[Main]: "
    + 'Field "alpha": Obsolete, only limited compatibility provided; replaced by "use_texture_alpha"'
)
BOOL_ALPHA = 'WARNING[Main]: Field "use_texture_alpha": Boolean values are deprecated; use the new choices'
DEFINITION_LOG = [
    "ERROR[Main]: Invalid field punch_attack_uses (expected number got string).",
    "ERROR[Main]: Invalid field maxlevel (expected number got string).",
    "ERROR[Main]: Invalid field max_drop_level (expected number got boolean).",
    "ERROR[Main]: Invalid field full_punch_interval (expected number got string).",
    "ERROR[Main]: Invalid field full_punch_interval (expected number got table).",
    ALPHA,
    ALPHA,
    "ERROR[Main]: Invalid field alpha (expected number got string).",
    ALPHA,
    BOOL_ALPHA,
    BOOL_ALPHA,
]


def test_definition_warnings() -> None:
    w = make_world(DEFINITION_PROBE, name="wp")
    assert _log_lines(w.output()) == DEFINITION_LOG
    ok, warnings, _ = _warnings(
        'core.register_node("tmod:n", {use_texture_alpha = "blend", drawtype = "glasslike"})'
    )
    assert ok and warnings == []


@pytest.mark.engine
@pytest.mark.slow
def test_definition_warnings_match_real_engine(tmp_path) -> None:
    run = _engine_run(tmp_path, DEFINITION_PROBE, steps=3)
    assert [
        f"{ln.level}[{ln.thread}]: {ln.text}"
        for ln in run.lines
        if ln.level in ("WARNING", "ERROR")
        and ln.thread == "Main"
        and not ln.text.startswith(("stack traceback", "\t"))
    ] == DEFINITION_LOG


# NodeResolver after on_mods_loaded: only an ore's own node is reported, per ore; aliases resolve,
# groups do not; the other node lists of ores, decorations and biomes fall back silently.
RESOLVER_PROBE = r"""
core.register_node("wp:stone", {})
core.register_alias("wp:alias", "wp:stone")
local function ore(o, w)
    core.register_ore({ore_type = "scatter", ore = o, wherein = w, clust_scarcity = 1, clust_num_ores = 1,
        clust_size = 1})
end
ore("wp:missing1", "wp:stone")
ore("wp:missing1", "wp:stone")
ore("wp:alias", "wp:missing2")
ore("air", {"wp:stone", "wp:missing3"})
ore("group:stone", "wp:stone")
core.register_decoration({deco_type = "simple", place_on = "wp:stone", decoration = {"wp:missing4"},
    spawn_by = "wp:missing5", num_spawn_by = 1, fill_ratio = 0.1})
core.register_biome({name = "b", node_top = "wp:missing6", depth_top = 1, node_filler = "wp:missing7"})
core.register_on_mods_loaded(function() print("WP|mods_loaded") end)
core.after(0, function() print("WP|after") end)
"""

RESOLVER_LINES = [
    "WP|mods_loaded",
    "ERROR[Main]: NodeResolver: failed to resolve node name 'wp:missing1'.",
    "ERROR[Main]: NodeResolver: failed to resolve node name 'wp:missing1'.",
    "ERROR[Main]: NodeResolver: failed to resolve node name 'group:stone'.",
    "WP|after",
]


def test_node_resolver_errors() -> None:
    w = make_world(RESOLVER_PROBE, name="wp")
    w.step(2)
    assert [ln for ln in w.output() if ln.startswith(("WP|", "ERROR["))] == RESOLVER_LINES
    w = make_world(
        'core.register_node("wp:stone", {})\n' + 'core.register_ore({ore = "wp:stone"})', name="wp"
    )
    assert not _log_lines(w.output())


@pytest.mark.engine
@pytest.mark.slow
def test_node_resolver_errors_match_real_engine(tmp_path) -> None:
    run = _engine_run(tmp_path, RESOLVER_PROBE, steps=5)
    lines = [
        ln.text if ln.text.startswith("WP|") else f"{ln.level}[{ln.thread}]: {ln.text}" for ln in run.lines
    ]
    assert [ln for ln in lines if ln.startswith(("WP|", "ERROR["))] == RESOLVER_LINES, run.log[-2000:]
