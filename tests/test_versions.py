"""Version targeting and the unknown-API diagnostic (vf_luanti/lua/versions.lua)."""

from __future__ import annotations

from vf_luanti.loading import run_mods
from vf_luanti.mods import mod_from_source
from vf_luanti.runtime import LuanRuntime


def warnings_of(src: str) -> tuple[bool, list[tuple[int | None, str]], list[str]]:
    report, _rt = run_mods([mod_from_source(src, name="tmod")])
    return report.ok, [(w.line, w.message) for w in report.warnings], [e.message for e in report.errors]


def test_unknown_api_is_named_with_a_suggestion_and_still_fails() -> None:
    ok, warnings, errors = warnings_of('core.register_block("tmod:x", {})')
    assert not ok
    assert warnings == [
        (1, "Unknown API core.register_block (not in any Luanti version; did you mean core.register_node?)")
    ]
    assert errors == ["attempt to call field 'register_block' (a nil value)"]


def test_typo_suggestion_on_the_failing_call_only() -> None:
    # Reading a missing name is a feature test and silent, as in the engine (a pcall'd failure too);
    # the call that fails on it gets the hint.
    ok, warnings, _ = warnings_of(
        "local f = minetest.get_nod\nif core.zzzqqq then error('no') end\n"
        "for i = 1, 3 do pcall(function() core.get_nod({x = 0, y = 0, z = 0}) end) end"
    )
    assert ok and warnings == []
    src = "core.register_on_mods_loaded(function() core.get_nod() end)"
    report, _rt = run_mods([mod_from_source(src, name="tmod")])
    assert [(w.line, w.message) for w in report.warnings] == [
        (1, "Unknown API core.get_nod (not in any Luanti version; did you mean core.get_node?)")
    ]


def test_newer_api_is_hidden_under_the_default_target() -> None:
    ok, warnings, _ = warnings_of("local has = core.get_game_info ~= nil\nassert(not has)")
    assert ok and warnings == []
    ok, warnings, errors = warnings_of("core.get_game_info()")
    assert not ok
    assert warnings == [(1, "core.get_game_info needs Luanti 5.7 (target: 5.6.1)")]
    assert errors == ["attempt to call field 'get_game_info' (a nil value)"]


def test_target_version_exposes_newer_api() -> None:
    rt = LuanRuntime()
    assert rt.call("set_target_version", "5.9") is True
    assert rt.call("set_target_version", "latest") is False
    mod = mod_from_source("assert(core.get_game_info().id)\nassert(core.dir_to_fourdir)", name="tmod")
    assert rt.load_mods([mod])
    report = rt.report()
    assert report["ok"] and report["warnings"] == []


def test_present_names_cost_nothing_and_warn_nothing() -> None:
    ok, warnings, _ = warnings_of("assert(core.register_node and minetest.get_modpath and core.settings)")
    assert ok and warnings == []


FOURDIR_TASK = {
    "id": "scaffold-fourdir",
    "family": "scaffold",
    "instruction": "Register mymod:arrow and store core.dir_to_fourdir({x=1,y=0,z=0}) in mymod.fd.",
    "input": "",
    "reference": "mymod = {fd = core.dir_to_fourdir({x = 1, y = 0, z = 0})}\n"
    'core.register_node("mymod:arrow", {paramtype2 = "4dir"})\n',
    "checks": [{"kind": "lua", "desc": "fourdir of +x is 1", "code": "return mymod.fd == 1"}],
    "tags": ["node"],
    "difficulty": "easy",
}


def test_task_version_reaches_the_judge() -> None:
    from vf_luanti import score
    from vf_luanti.tasks import Task

    newer = Task.from_dict({**FOURDIR_TASK, "luanti_version": "5.7"})
    assert score(newer, newer.reference).passed
    baseline = Task.from_dict(FOURDIR_TASK)  # 5.6.1 has no dir_to_fourdir: the same code fails
    result = score(baseline, baseline.reference)
    assert not result.passed
    assert any("dir_to_fourdir" in line for line in result.feedback)


def test_older_target_keeps_the_baseline_api() -> None:
    report, _rt = run_mods([mod_from_source("assert(core.register_node)", name="tmod")], luanti_version="5.0")
    assert report.ok and report.warnings == []


def test_bad_version_is_a_clear_error() -> None:
    import pytest

    with pytest.raises(ValueError, match=r'a 5\.x release such as "5\.9"'):
        run_mods([mod_from_source("", name="tmod")], luanti_version="newest")
