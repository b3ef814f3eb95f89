"""`vf-luanti check`: exit codes, JSON shape and diagnostics locations (vf_luanti/commands/check.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vf_luanti import check

REGISTERED_KEYS = {"items", "aliases", "crafts", "abms", "lbms", "entities", "chatcommands", "privileges"}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vf_luanti.cli", *args], capture_output=True, text=True, timeout=120
    )


def _write_mod(root: Path, name: str, init: str) -> Path:
    d = root / name
    d.mkdir()
    (d / "mod.conf").write_text(f"name = {name}\n")
    (d / "init.lua").write_text(init)
    return d


def test_clean_mod_exits_zero_with_one_json_object(tmp_path: Path) -> None:
    d = _write_mod(tmp_path, "good", 'core.register_node("good:block", {description = "Block"})\n')
    res = _run("check", str(d), "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    out = json.loads(res.stdout)
    assert out["ok"] is True and out["errors"] == []
    assert set(out["registered"]) == REGISTERED_KEYS
    assert out["registered"]["items"]["good:block"]["type"] == "node"


def test_syntax_error_is_located_and_exits_one(tmp_path: Path) -> None:
    d = _write_mod(tmp_path, "bad", "local x = 1\nlocal y = 7 // 2\n")
    res = _run("check", str(d), "--json")
    assert res.returncode == 1
    [err] = json.loads(res.stdout)["errors"]
    assert err == {
        "mod": "bad",
        "file": str((d / "init.lua").resolve()),
        "line": 2,
        "message": "unexpected symbol near '/'",
    }


def test_runtime_error_in_dofiled_file_names_that_file(tmp_path: Path) -> None:
    d = _write_mod(tmp_path, "multi", 'dofile(core.get_modpath("multi") .. "/helpers.lua")\n')
    (d / "helpers.lua").write_text("local t = nil\nreturn t.field\n")
    report = check([d])
    assert not report.ok
    [err] = report.errors
    assert (err.file, err.line) == (str((d / "helpers.lua").resolve()), 2)
    assert err.message == "attempt to index local 't' (a nil value)"


def test_first_failing_mod_stops_loading_like_the_engine(tmp_path: Path) -> None:
    a = _write_mod(tmp_path, "a", "error('boom')\n")
    b = _write_mod(tmp_path, "b", 'core.register_node("b:n", {})\n')
    (b / "mod.conf").write_text("name = b\ndepends = a\n")  # so a loads first
    report = check([a, b])
    assert [e.message for e in report.errors] == ["boom"]
    assert "b:n" not in report.registered["items"]


def test_usage_errors_exit_two(tmp_path: Path) -> None:
    assert _run("check", str(tmp_path / "missing")).returncode == 2
    assert _run("check").returncode == 2


@pytest.mark.parametrize(
    "code, message",
    [
        ('require("ffi")', "require() is disabled when mod security is on."),
        ('load("return 1")', "bad argument #1 to 'load' (function expected, got string)"),
        ('dofile("/etc/passwd")', "Mod security: Blocked attempted read from /etc/passwd"),
        ("os.execute('true')", "attempt to call field 'execute' (a nil value)"),
    ],
)
def test_mod_security_messages(tmp_path: Path, code: str, message: str) -> None:
    report = check([_write_mod(tmp_path, "sec", code + "\n")])
    assert [e.message for e in report.errors] == [message]


def test_luanti_version_flag_exposes_newer_api(tmp_path: Path) -> None:
    d = _write_mod(tmp_path, "newer", "assert(core.get_game_info)\n")
    assert _run("check", str(d)).returncode == 1  # the default target is the oracle's 5.6.1
    assert _run("check", str(d), "--luanti-version", "5.7").returncode == 0
    assert _run("check", str(d), "--luanti-version", "5.7", "--isolated").returncode == 0
    bad = _run("check", str(d), "--luanti-version", "next")
    assert bad.returncode == 2 and "5.x release" in bad.stderr


@pytest.mark.parametrize(
    ("init", "flag", "limit"),
    [
        ("while true do end\n", "--cpu-seconds", "timeout"),
        ("local t = {} for i = 1, 1e8 do t[i] = i end\n", "--memory-mb", "memory"),
    ],
)
@pytest.mark.parametrize("isolated", [False, True])
def test_a_limit_hit_is_a_verdict_not_a_traceback(
    tmp_path: Path, init: str, flag: str, limit: str, isolated: bool
) -> None:
    d = _write_mod(tmp_path, "hog", init)
    args = ["check", str(d), "--json", "--cpu-seconds", "1", "--memory-mb", "32"]
    res = _run(*args, *(["--isolated"] if isolated else []))
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    out = json.loads(res.stdout)
    assert out["ok"] is False and set(out["registered"]) == REGISTERED_KEYS
    assert limit in out["errors"][0]["message"]
    if not isolated:
        assert flag in out["errors"][0]["message"]  # says how to raise it


def test_generous_default_limits_let_a_heavy_mod_load(tmp_path: Path) -> None:
    d = _write_mod(tmp_path, "heavy", "local t = {} for i = 1, 2e6 do t[i] = {i} end\n")
    assert _run("check", str(d), "--json").returncode == 0


@pytest.mark.parametrize("version", ["4.0", "0.4", "99.0", "5.99"])
def test_unknown_target_versions_are_refused(tmp_path: Path, version: str) -> None:
    d = _write_mod(tmp_path, "good", "")
    res = _run("check", str(d), "--luanti-version", version)
    assert res.returncode == 2 and "5.x release" in res.stderr


def test_a_single_path_string_is_one_path(tmp_path: Path) -> None:
    d = _write_mod(tmp_path, "good", 'core.register_node("good:block", {})\n')
    assert "good:block" in check(str(d)).registered["items"]


@pytest.mark.parametrize("isolated", [False, True])
def test_a_single_file_is_named_as_the_user_gave_it(tmp_path: Path, isolated: bool) -> None:
    f = tmp_path / "tweaks.lua"
    f.write_text('local ok = true\ncore.register_node("x:y", {})\n')
    [err] = check(str(f), isolated=isolated).errors
    assert (err.file, err.line) == (str(f.resolve()), 2)
    assert "/mods/" not in str(err)  # not the mod folder it loads from inside the emulation


def test_a_diagnostic_of_no_file_has_no_made_up_location() -> None:
    from vf_luanti.load_report import Diagnostic

    assert str(Diagnostic(message='mod "a" has unsatisfied dependencies: "b"', mod="a")) == (
        '[a] mod "a" has unsatisfied dependencies: "b"'
    )
    assert str(Diagnostic(message="boom", mod="m", file="init.lua", line=3)) == "[m] init.lua:3: boom"


def test_binary_output_still_gives_a_json_verdict(tmp_path: Path) -> None:
    # bytes that are not UTF-8 (compressed data, a stray \255) reach the report as U+FFFD
    d = _write_mod(tmp_path, "bin", 'print(minetest.compress("x"))\nprint("\\255\\254 é ok")\n')
    res = _run("check", str(d), "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["ok"] is True
    out = check([str(d)]).output
    assert any("\ufffd\ufffd é ok" in line for line in out), out


_GIVEN_MOD = """
core.register_node("given:a", {description = "A"})
core.register_tool("given:t", {})
core.register_craftitem(":other:borrowed", {})  -- another mod's prefix, still this mod's item
core.register_craft({output = "given:a", recipe = {{"given:t"}}})
core.register_alias("given:old", "given:a")
core.register_entity("given:e", {})
core.register_chatcommand("givencmd", {func = function() end})
core.register_privilege("givenpriv", {})
core.register_lbm({name = "given:l", nodenames = {"given:a"}, action = function() end})
core.register_abm({nodenames = {"given:a"}, interval = 1, chance = 1, action = function() end})
core.register_craftitem("given:retyped", {})
rawset(core.registered_items["given:retyped"], "type", "node")  -- never reaches the engine
core.registered_items["base:b"].mod_origin = "given"  -- a live field, read as it is now
core.unregister_item("base:gone")
"""


@pytest.mark.parametrize("isolated", [False, True])
def test_the_human_report_counts_what_the_registry_holds(tmp_path: Path, isolated: bool) -> None:
    # The human report is made without the registry (a big mod set's is megabytes): its counts and
    # the given mods' items must be what the full registry says.
    game = tmp_path / "game"
    (game / "mods").mkdir(parents=True)
    (game / "game.conf").write_text("name = Game\n")
    base = 'core.register_node("base:b", {})\ncore.register_node("base:gone", {})\n'
    _write_mod(game / "mods", "base", base)
    d = _write_mod(tmp_path, "given", _GIVEN_MOD)
    (d / "mod.conf").write_text("name = given\ndepends = base\n")
    full = check([d], game=game, isolated=isolated)
    lean = check([d], game=game, isolated=isolated, registered=False)
    assert full.ok and lean.ok, full.errors
    items = full.registered["items"]
    by_type = {t: sum(1 for i in items.values() if i.get("type") == t) for t in ("node", "craft", "tool")}
    assert lean.summary() == {
        "items": len(items),
        "nodes": by_type["node"],
        "craftitems": by_type["craft"],
        "tools": by_type["tool"],
        **{k: len(full.registered[k]) for k in REGISTERED_KEYS - {"items"}},
    }
    assert lean.own_items == {n: i["type"] for n, i in items.items() if i.get("mod_origin") == "given"}
    assert lean.own_items["base:b"] == "node" and lean.own_items["given:retyped"] == "craft"
    assert lean.registered == {k: {} if k in ("items", "aliases") else [] for k in REGISTERED_KEYS}
    assert lean.format_human() == full.format_human()
    assert "  other:borrowed (craft)" in lean.format_human().splitlines()


def test_the_collectors_start_up_pause_ends_with_the_start_up() -> None:
    # check loads with a longer collector pause (loading.CHECK_GC_PAUSE); the running server gets
    # the pause it had back, or the one a mod set meanwhile.
    from vf_luanti.loading import CHECK_GC_PAUSE, run_mods
    from vf_luanti.mods import mod_from_source

    def pause_after(init: str) -> int:
        report, rt = run_mods([mod_from_source(init, name="m")], startup_gc_pause=CHECK_GC_PAUSE)
        assert report.ok, report.errors
        return int(rt.lua.eval("collectgarbage('setpause', 200)"))

    assert pause_after(f"assert(collectgarbage('setpause', {CHECK_GC_PAUSE}) == {CHECK_GC_PAUSE})") == 200
    assert pause_after("collectgarbage('setpause', 150)") == 150
