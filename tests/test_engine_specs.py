"""The engine's own busted specs (builtin/common/tests) run against the emulation's helpers.

The spec files come from the installed engine (Debian minetest-data); they are read at test time,
never copied into the project. Each spec case must pass inside the emulated mod environment.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vf_luanti import mod_from_source, run_mods

SPEC_DIR = Path("/usr/share/games/minetest/builtin/common/tests")
SPECS = ["misc_helpers_spec.lua", "serialize_spec.lua", "vector_spec.lua"]
RUNNER = Path(__file__).parent / "lua" / "busted.lua"


@pytest.mark.skipif(
    not all((SPEC_DIR / s).is_file() for s in SPECS),
    reason="engine spec files not installed (apt-get install minetest-data)",
)
def test_engine_busted_specs_pass_against_the_emulation() -> None:
    specs = [{"name": s, "text": (SPEC_DIR / s).read_text()} for s in SPECS]
    # The mod passes the spec texts to the runner as one Lua table literal (JSON is valid Lua here
    # once brackets become braces is not guaranteed, so use core.parse_json).
    init = (
        "local specs = core.parse_json(" + json.dumps(json.dumps(specs)) + ")\n"
        'local runner = assert(loadfile(core.get_modpath("specrun") .. "/busted.lua"))\n'
        "runner(specs)\n"
    )
    mod = mod_from_source(init, name="specrun", extra_files={"busted.lua": RUNNER.read_text()})
    report, _ = run_mods([mod])
    assert report.errors == []
    lines = report.output
    failures = [line for line in lines if line.startswith("FAIL")]
    result = [line for line in lines if line.startswith("RESULT")]
    assert failures == []
    assert result == ["RESULT 66 passed, 0 failed"]
