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
from vf_luanti.mods import mod_from_source
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
