"""The Debian catalogue as the fidelity corpus: every installed ``minetest-mod-*`` package, with the
packages it depends on, loads on minetest_game in the real engine (Debian's minetestserver 5.6.1,
run by the test) and in the emulation, and the two agree on the verdict, the first error, the
registry (item by item, field by field) and the warnings.

A package whose difference is known is a strict xfail with what differs (``KNOWN``), so fixing it
turns the suite red until the entry goes; docs/fidelity.md lists them. ``.ci/run`` installs every
package; where one is missing here it is simply not collected.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_fidelity_registry import _ignored, needs_engine
from vf_luanti import oracle
from vf_luanti.load_report import LoadReport
from vf_luanti.mods import discover

MODS = oracle.SHARE / "mods"
MTG = oracle.SHARE / "games" / "minetest_game"

#: Known differences, measured 2026-12-07 (docs/fidelity.md "The Debian catalogue").
KNOWN: dict[str, str] = {}
#: Packages that register LBMs in pairs() order, which differs between LuaJIT builds and, with
#: lupa's randomised string hashing, between runs (docs/fidelity.md): their LBMs compare by name.
LBMS_IN_PAIRS_ORDER = {"xdecor"}


def _packages() -> list[str]:
    return sorted(p.name for p in MODS.iterdir() if p.is_dir()) if MODS.is_dir() else []


def _with_dependencies(package: str) -> list[Path]:
    """The package and every installed package that provides a mod it (transitively) depends on;
    the game's own mods come with the game."""
    game = {m.name for m in discover(MTG / "mods")}
    mods = {p: discover(MODS / p) for p in _packages()}
    provider = {m.name: p for p, ms in mods.items() for m in ms}
    need, todo = {package}, [package]
    while todo:
        for m in mods[todo.pop()]:
            for dep in m.depends:
                p = provider.get(dep)
                if p and p not in need and dep not in game:
                    need.add(p)
                    todo.append(p)
    return [MODS / p for p in sorted(need)]


_PATH = re.compile(r"(?:\.\.\.|/)[^\s\"']*?/(?:worldmods|mods)/")


def _warnings(report: LoadReport) -> set[str]:
    """Warning texts without where they are from: the engine appends " (at file:line)" to some and
    names files under its temporary world (cut by LuaJIT's 60-character chunk names)."""
    out = set()
    for w in report.warnings:
        text = re.sub(r" \(at [^()]*\)$", "", w.message)
        out.add(_PATH.sub("<mods>/", text))
    return out


@needs_engine
@pytest.mark.parametrize(
    "package",
    [
        pytest.param(p, marks=[pytest.mark.xfail(strict=True, reason=KNOWN[p])] if p in KNOWN else [])
        for p in _packages()
    ],
)
def test_package_loads_as_in_the_engine(package: str) -> None:
    dirs = _with_dependencies(package)
    engine = oracle.engine_check(dirs, game=MTG, timeout=90)
    emulation = oracle.emulation_check(dirs, game=MTG)
    assert (emulation.ok, [e.message for e in emulation.errors[:1]]) == (
        engine.ok,
        [e.message for e in engine.errors[:1]],
    )
    if engine.ok:
        want = oracle.normalize_registry(oracle.engine_registry(MTG, tuple(dirs)))
        got = oracle.normalize_registry(emulation.registered)
        if package in LBMS_IN_PAIRS_ORDER:
            for reg in (want, got):
                reg["lbms"] = sorted(reg["lbms"], key=lambda lbm: str(lbm.get("name")))
        assert oracle.registry_differences(want, got, ignore=_ignored) == []
    assert _warnings(emulation) == _warnings(engine)


@needs_engine
def test_devtest_loads_as_in_the_engine() -> None:
    # the engine's development test game: every API area exercised at load
    devtest = oracle.SHARE / "games" / "devtest"
    if not devtest.is_dir():
        pytest.skip(f"devtest is not installed ({devtest})")
    engine = oracle.engine_check([], game=devtest, timeout=120)
    emulation = oracle.emulation_check([], game=devtest)
    assert engine.ok and emulation.ok, [e.message for e in emulation.errors[:3]]
    assert _warnings(emulation) == _warnings(engine)
    want = oracle.normalize_registry(oracle.engine_registry(devtest, ()))
    got = oracle.normalize_registry(emulation.registered)
    # its generated textures embed encode_png's output: the same zlib bytes as the engine's
    assert oracle.registry_differences(want, got, ignore=_ignored) == []
