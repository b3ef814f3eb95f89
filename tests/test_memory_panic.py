"""No Lua panic after a sample fills the heap (issue 14: ``data validate`` printed "PANIC:
unprotected error in call to Lua API (not enough memory)" from a worker that then died).

A sample that fills its Lua heap to the limit and keeps it (a memory bomb caught by its own pcall)
left no room for the next host call: lupa pushes a call's string arguments before its lua_pcall,
under the limit, so the allocation failed outside any protected call and LuaJIT's panic handler
printed the line and ended the process. Found with a mutant of repair-loop-closure-countdown
(``for i = 3, 1, -0``: a countdown that never ends, scheduling callbacks until memory runs out).

Each case runs in its own interpreter: a panic ends the process, which must not be pytest's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_FILL_THEN_CALL = r"""
import json, sys
from vf_luanti.mods import Mod
from vf_luanti.runtime import LuanRuntime, MemoryLimitExceeded, RuntimeLimits

FILL = b'''
hog = {}
for _, size in ipairs({65536, 4096, 256, 16, 1}) do
  pcall(function() while true do hog[#hog + 1] = string.rep("x", size) .. #hog end end)
end
'''
limits = RuntimeLimits(max_memory=16 * 2**20, cpu_seconds=20)
rt = LuanRuntime(limits)
events = []
try:
    rt.load_mods([Mod(name="hogmod", path="/m/hogmod", files={"init.lua": FILL})])
    events.append("loaded")
except MemoryLimitExceeded:
    events.append("load: memory")
used = rt.lua.get_memory_used()
size = int(sys.argv[1])
file = b"/m/hogmod/more.lua\\0%d\\0%s" % (size, b"x" * size)  # one file as add_files takes it
for name, *args in (("report_json",), ("output", 0), ("add_files", file)):
    try:
        rt.call(name, *args)
        events.append(f"{name}: ok")
    except MemoryLimitExceeded:
        events.append(f"{name}: memory")
print(json.dumps({"events": events, "used": used, "limit": limits.max_memory}))
"""


@pytest.mark.parametrize("arg_bytes", [1, 100, 100_000])
def test_a_full_heap_fails_the_next_call_without_a_panic(arg_bytes: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _FILL_THEN_CALL, str(arg_bytes)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert "PANIC" not in proc.stderr and proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads(proc.stdout)
    # The limit holds: the sample filled the heap up to it, not past it ...
    assert res["limit"] - 64 * 1024 < res["used"] <= res["limit"] + 1024, res
    # ... and every later call, string arguments included, is a memory failure, not a dead process.
    assert res["events"] == ["load: memory", "report_json: memory", "output: memory", "add_files: memory"]


def test_the_found_mutant_is_a_memory_failure() -> None:
    """The mutant data validate scored, through the sandbox workers: a memory failure, not a crash."""
    from vf_luanti.scoring import score_many
    from vf_luanti.splits import get_task

    task = get_task("repair-loop-closure-countdown")
    assert "for i = 3, 1, -1 do" in task.reference
    mutant = task.reference.replace("for i = 3, 1, -1 do", "for i = 3, 1, -0 do")
    [score] = score_many([(task, mutant)])
    assert score.failure == "memory" and not score.passed, score.feedback
