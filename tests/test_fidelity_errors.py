"""Load-error parity: each mod of the broken corpus fails in the emulation exactly where and how it
fails in the real engine (same mod, file, line and message, paths aside), and valid mods load
cleanly in both.

The corpus is tests/corpus/broken/<case>/ (mod.conf + init.lua, see tests/corpus/broken/README.md).
Each case runs alone on the empty game: the engine through ``oracle.engine_check`` (a few server
steps, so errors in core.after(0) callbacks and globalsteps surface), the emulation through
``vf_luanti.loading.check``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from vf_luanti import oracle
from vf_luanti.load_report import Diagnostic, LoadReport
from vf_luanti.loading import check
from vf_luanti.mods import ModError

needs_engine = [
    pytest.mark.engine,
    pytest.mark.slow,
    pytest.mark.skipif(
        not oracle.engine_available(), reason=f"the Luanti engine is not installed ({oracle.SERVER_BINARY})"
    ),
]

CORPUS = Path(__file__).parent / "corpus" / "broken"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
VALID = [c for c in CASES if c.startswith("valid_")]


@pytest.fixture(scope="module")
def engine_reports() -> dict[str, LoadReport]:
    """All cases through the engine, four at a time (each run is ~0.5 s, mostly waiting)."""
    with ThreadPoolExecutor(4) as pool:
        reports = pool.map(lambda c: oracle.engine_check([CORPUS / c], timeout=20), CASES)
        return dict(zip(CASES, reports, strict=True))


def emulation_report(case: str) -> LoadReport:
    """The emulation's verdict; a mod set refused before loading (bad mod name) is one error."""
    try:
        return check([CORPUS / case])
    except ModError as exc:
        return LoadReport(ok=False, errors=[Diagnostic(message=str(exc))])


def _comparable(d: Diagnostic, case: str) -> tuple[str | None, str | None, int | None, str]:
    """(mod, file relative to the case folder, line, message with the case folder as <mod>)."""
    root = str((CORPUS / case).resolve())
    file = d.file[len(root) + 1 :] if d.file and d.file.startswith(root + "/") else d.file
    message = d.message.replace(root, "<mod>")
    if "\n\t" in message:
        # A dump() of a table inside the message: its key order is pairs() order, which differs
        # between LuaJIT builds and, with lupa's randomised string hashing, between runs
        # (docs/fidelity.md). Compare its lines as a set.
        head, _, rest = message.partition("\n")
        message = head + "\n" + "\n".join(sorted(line.rstrip(",") for line in rest.split("\n")))
    return d.mod, file, d.line, message


def test_corpus_is_large_enough() -> None:
    assert len(CASES) - len(VALID) >= 30 and len(VALID) >= 3


@pytest.mark.parametrize("case", [pytest.param(c, marks=needs_engine) for c in CASES])
def test_engine_verdict_is_as_the_case_name_says(engine_reports: dict[str, LoadReport], case: str) -> None:
    """Guards the corpus itself: valid_* cases load in the engine, every other case fails."""
    report = engine_reports[case]
    assert report.ok == (case in VALID), [str(e) for e in report.errors]
    assert report.ok or report.errors


@pytest.mark.parametrize("case", [pytest.param(c, marks=needs_engine) for c in CASES])
def test_errors_match_engine(engine_reports: dict[str, LoadReport], case: str) -> None:
    engine = engine_reports[case]
    emulation = emulation_report(case)
    want = [_comparable(d, case) for d in engine.errors]
    got = [_comparable(d, case) for d in emulation.errors]
    assert emulation.ok == engine.ok and got == want


@pytest.mark.parametrize("case", [pytest.param(c, marks=needs_engine) for c in CASES])
def test_engine_warnings_are_reported(engine_reports: dict[str, LoadReport], case: str) -> None:
    """Every warning the engine logs for the case is among the emulation's warnings (message text)."""
    want = {_comparable(d, case)[3] for d in engine_reports[case].warnings}
    got = {_comparable(d, case)[3] for d in emulation_report(case).warnings}
    assert want <= got, sorted(want - got)


# A log as the engine prints it (shortened), for the parser alone: no engine needed.
_W = "/tmp/vfo/w/worldmods/m0"
_B = "/usr/share/games/minetest/builtin/game/register.lua"
_LOG = "".join(
    f"2026-01-01 00:00:00: {line}\n"
    for line in [
        "[Main]: Using game specified by --gameid on the command line",
        f'WARNING[Main]: Undeclared global variable "x" accessed at {_W}/init.lua:4',
        "ERROR[Main]: Invalid field recipe (expected string got table).",
        "ERROR[Main]: stack traceback:",
        "ERROR[Main]: \t[C]: in function 'register_craft'",
        f"ERROR[Main]: \t{_W}/init.lua:7: in main chunk",
        "ACTION[Main]: Server: Shutting down",
        f"ERROR[Main]: ModError: Failed to load and run script from {_W}/init.lua:",
        f"ERROR[Main]: {_B}:150: Unable to register item: Type is invalid: {{",
        'ERROR[Main]: \ttype = "bogus"',
        "ERROR[Main]: }",
        "ERROR[Main]: stack traceback:",
        "ERROR[Main]: \t[C]: in function 'error'",
        f"ERROR[Main]: \t{_B}:150: in function 'register_item'",
        "ERROR[Main]: \t...vfo/w/worldmods/m0/lib.lua:3: in function 'helper'",
        f"ERROR[Main]: \t{_W}/init.lua:9: in main chunk",
    ]
)


def test_a_line_printed_into_the_start_up_banner_is_kept() -> None:
    """The engine draws its banner in pieces from the main thread; a mod's print can land after a
    piece of it, in the same output line. The banner is dropped, the print kept."""
    banner = [
        "         __.               __.                 __.  ",
        "  _____ |__| ____   _____ /  |_  _____  _____ /  |_ ",
        "|__|_|  /  |___|  /\\______>  |  \\______>_____/|  |  ",
    ]
    text = banner[0] + "WP|first=1\n" + "\n".join(banner[1:]) + "\nWP|second=2\n"
    assert [ln.text for ln in oracle.parse_log(text)] == ["WP|first=1", "WP|second=2"]


def test_a_banner_piece_before_a_log_lines_break_is_dropped() -> None:
    """Seen in CI: the server thread logged a line while the main thread drew the banner, and a
    piece of the banner landed between the line's text and its line break."""
    piece = "|__|_|  /  |___|  /\\______>  |  \\______>_____/|  |  "
    text = (
        "2026-12-07 21:40:01: ACTION[Server]: Moving ghost to static spawnpoint at (1,2.5,-3)" + piece + "\n"
        "2026-12-07 21:40:01: ACTION[Server]: a line that ends in dots...\n"
    )
    assert [(ln.level, ln.text) for ln in oracle.parse_log(text)] == [
        ("ACTION", "Moving ghost to static spawnpoint at (1,2.5,-3)"),
        ("ACTION", "a line that ends in dots..."),
    ]


def test_diagnose_parses_engine_log_without_engine() -> None:
    """The log parser alone: wrapper line dropped, multi-line message kept, builtin location
    replaced by the innermost mod frame (a LuaJIT-shortened path), copies mapped back."""
    run = oracle.EngineRun(
        exit_code=1,
        log=_LOG,
        lines=oracle.parse_log(_LOG),
        wall_time=0.5,
        timed_out=False,
        path_map={"/tmp/vfo/w/worldmods/m0": "/src/mymod"},
        mod_roots={"/src/mymod": "mymod"},
    )
    report = oracle.diagnose(run)
    assert not report.ok
    message = 'Unable to register item: Type is invalid: {\n\ttype = "bogus"\n}'
    assert report.errors == [Diagnostic(mod="mymod", file="/src/mymod/lib.lua", line=3, message=message)]
    assert {(w.file, w.line, w.message) for w in report.warnings} == {
        (None, None, 'Undeclared global variable "x" accessed at /src/mymod/init.lua:4'),
        ("/src/mymod/init.lua", 7, "Invalid field recipe (expected string got table)."),
    }
