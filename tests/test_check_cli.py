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
    assert bad.returncode == 2 and "must look like" in bad.stderr
