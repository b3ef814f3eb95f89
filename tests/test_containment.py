"""Hostile mods against the sandbox: every hazard class of the research trials (anchors.md §4b,
numbers in brackets) and the ones found while hardening, each with the containment expected.

Every sample runs through the worker pool, as scoring does. A sample is contained when the pool
returns a verdict (a load report or a structured failure) within the deadline, nothing outside
the Lua state changed, and the next sample in the same worker is unaffected.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.sandbox_jobs import checked_pool
from vf_luanti.execution import Executor, Limits

CHECK = "vf_luanti.loading:check_job"
LIMITS = Limits(cpu_seconds=0.5, startup_margin=0.5)  # wall deadline 1.5 s
MARGIN = 1.0  # seconds of pool overhead (respawn, pipes) allowed on top of the deadline

# A trusted follow-up: what the next sample in the same worker must still see.
PROBE = """
print(("abc"):upper(), string.format("%d", 7), type(os.execute), type(io.popen), type(rawget(_G, "python")),
      type(debug.getregistry), getmetatable("").__index == string, type(core.register_node))
core.register_node("mymod:probe", {description = "Probe"})
"""
PROBE_OUT = ["ABC\t7\tnil\tnil\tnil\tnil\ttrue\tfunction"]


@pytest.fixture(scope="module")
def ex() -> Iterator[Executor]:
    with checked_pool(1, LIMITS) as pool:
        yield pool


def run(ex: Executor, source: str) -> tuple[dict[str, Any], float]:
    start = time.monotonic()
    res = ex.run(CHECK, {"source": source, "mod_name": "mymod"})
    return res, time.monotonic() - start


def messages(res: dict[str, Any]) -> list[str]:
    return [e["message"] for e in res.get("errors", [])]


def assert_next_sample_unaffected(ex: Executor) -> None:
    res, _ = run(ex, PROBE)
    assert res.get("ok") is True, res
    assert res["output"] == PROBE_OUT
    assert "mymod:probe" in res["registered"]["items"]


# (trial numbers, source, expected failure kind or None for a report, text expected in the
# output or error messages)
OUTPUT_CASES = [
    (
        "1-6 bridge, package, registry",
        """
        print(type(rawget(_G, "python")), type(package.loaded), type(package.preload), type(package.loadlib),
              type(debug.getregistry), type(debug.getupvalue), type(debug.getlocal), type(debug.setmetatable))
     """,
        "nil\tnil\tnil\tnil\tnil\tnil\tnil\tnil",
    ),
    (
        "7 dump and load",
        "print(loadstring(string.dump(function() return 1 end)))",
        "nil\tBytecode prohibited when mod security is enabled.",
    ),
    (
        "8 bytecode literal",
        r'print(loadstring("\27LJ\2\0"))',
        "nil\tBytecode prohibited when mod security is enabled.",
    ),
    (
        "8b bytecode after a shebang line",
        r'print(select(2, loadstring("#!x\n" .. string.dump(function() end))))',
        "cannot load malformed bytecode",
    ),
    (
        "8c bytecode after a BOM",
        r'print(select(2, loadstring("\239\187\191" .. string.dump(function() end))))',
        "cannot load malformed bytecode",
    ),
    (
        "8d bytecode through a load reader",
        """
        local parts = {string.dump(function() end), nil}
        local i = 0
        print(load(function() i = i + 1 return parts[i] end))
     """,
        "nil\tBytecode prohibited when mod security is enabled.",
    ),
    (
        "15 getfenv levels and C functions",
        """
        print(getfenv(0) == _G, getfenv(pcall) == _G, getfenv(print) == _G, getfenv(1) == _G,
              getfenv() == _G, getfenv(2) == _G, rawget(getfenv(0), "os").execute)
     """,
        "true\ttrue\ttrue\ttrue\ttrue\ttrue\tnil",
    ),
    (
        "15b setfenv of the thread or a C function",
        """
        print(pcall(setfenv, 0, {}))
        print(pcall(setfenv, print, {}))
     """,
        "false\t'setfenv' cannot change environment of given object",
    ),
    (
        "16 loadstring chunks get the mods' globals",
        """
        print(loadstring("return _G")() == _G, loadstring("return os.execute")(),
              getfenv(loadstring("return 1")) == _G)
     """,
        "true\tnil\ttrue",
    ),
    (
        "14 string metatable stand-in",
        """
        local mt = getmetatable("")
        print(mt.__index == string, rawequal(mt, getmetatable("x")))
        mt.__index = {upper = function() return "PWNED" end}
        mt.__add = function() return "PWNED" end
        print(("abc"):upper(), pcall(function() return "a" + {} end))
     """,
        "ABC\tfalse",
    ),
    ("25 rep to a negative count", "print(#string.rep('x', 2^31))", "0"),
    ("32 deep recursion", "local function f() return 1 + f() end print(pcall(f))", "stack overflow"),
    (
        "33 __index recursion",
        """
        local t = setmetatable({}, {}) getmetatable(t).__index = function(s, k) return s[k] end
        print(pcall(function() return t.x end))
     """,
        "stack overflow",
    ),
    (
        "34 nested coroutine.wrap",
        "local function f() coroutine.wrap(f)() end print(pcall(f))",
        "C stack overflow",
    ),
    (
        "34b nested coroutine.resume",
        """
        local function f() local co = coroutine.create(f) local ok, e = coroutine.resume(co) error(e, 0) end
        print(pcall(f))
     """,
        "C stack overflow",
    ),
    (
        "36 pattern recursion",
        "print(pcall(string.find, ('a'):rep(200000), ('a?'):rep(200000)))",
        "pattern too long",
    ),
    (
        "37 pattern length cap, method call",
        "print(pcall(function() return ('a'):match(('.'):rep(5000)) end))",
        "pattern too long",
    ),
    (
        "38 parser nesting",
        "print(loadstring(('('):rep(100000) .. '1' .. (')'):rep(100000)))",
        "too many syntax levels",
    ),
    (
        "40 no newproxy, no userdata finalisers",
        "print(type(newproxy), type(gcinfo), type(module))",
        "nil\tnil\tnil",
    ),
    (
        "40b table __gc is not called (LuaJIT 2.1)",
        """
        for i = 1, 100 do setmetatable({}, {__gc = function() while true do end end}) end
        collectgarbage() collectgarbage() print("done")
     """,
        "done",
    ),
    ("42 ffi unreachable", "print(pcall(require, 'ffi'))", "require() is disabled when mod security is on."),
    (
        "46 os and io outside",
        """
        print(type(os.execute), type(os.exit), type(os.tmpname), type(io.popen), type(io.stdin))
        print(pcall(io.open, "/etc/hostname"))
     """,
        "Mod security: Blocked attempted read from /etc/hostname",
    ),
    (
        "47-49 libraries through package",
        "print(type(package.loaded), type(package.loadlib), package.path)",
        "nil\tnil\t",
    ),
    (
        "52 metatable on the mods' _G",
        """
        setmetatable(_G, {__index = error, __newindex = error})
        print("set")
     """,
        "set",
    ),
    (
        "53 forged debug.traceback",
        """
        debug = {traceback = function() return "ALL TESTS PASSED (forged)" end}
        print("forged")
     """,
        "forged",
    ),
    (
        "getinfo hides emulation functions",
        """
        local f1 = debug.getinfo(1, "f").func
        -- a function's own info gives back only that function (as the engine does for C ones)
        local caller = debug.getinfo(2, "f")
        print(type(f1), caller and caller.func, debug.getinfo(print, "f").func == print)
     """,
        "function\tnil\ttrue",
    ),
    (
        "debug.sethook cannot clear the deadline hook",
        """
        local f = function() end
        debug.sethook(f, "c", 5)
        print(debug.gethook() == f, select(2, debug.gethook()))
     """,
        "true\tc",
    ),
    ("debug.debug does not read stdin", "debug.debug() print('back')", "back"),
    (
        "gsub callback recursion (SIGSEGV in plain LuaJIT)",
        "local function f() ('a'):gsub('a', f) end print(pcall(f))",
        "C stack overflow",
    ),
    (
        "gsub table-replacement recursion",
        """
        local t = setmetatable({}, {})
        getmetatable(t).__index = function() return (("a"):gsub("a", t)) end
        print(pcall(string.gsub, "a", "a", t))
     """,
        "C stack overflow",
    ),
]


@pytest.mark.parametrize(("name", "source", "expected"), OUTPUT_CASES, ids=[c[0] for c in OUTPUT_CASES])
def test_hazard_is_contained_in_lua(ex: Executor, name: str, source: str, expected: str) -> None:
    res, elapsed = run(ex, source)
    assert "failure" not in res, res
    text = "\n".join(res["output"] + messages(res))
    assert expected in text, text
    assert elapsed < LIMITS.wall_deadline + MARGIN
    assert_next_sample_unaffected(ex)


# Samples that must end in a structured failure, within the deadline.
FAILURE_CASES = [
    ("24 plain loop", "while true do end", "timeout"),
    ("10 debug.sethook() then spin", "debug.sethook() while true do end", "timeout"),
    ("18 spin inside coroutine.wrap", "coroutine.wrap(function() while true do end end)()", "timeout"),
    (
        "20-23 jit.on() then a numeric loop",
        "jit.on() jit.opt.start('hotloop=1') for i = 1, 1e15 do end",
        "timeout",
    ),
    ("27 rep 1 GiB", "local s = string.rep('x', 2^30)", "memory"),
    ("28 table growth", "local t = {} for i = 1, 1e9 do t[i] = {i} end", "memory"),
    ("30 string doubling", "local s = 'x' while true do s = s .. s end", "memory"),
    ("31 collector stopped", "collectgarbage('stop') local t for i = 1, 1e9 do t = {i, i, i} end", "memory"),
    (
        "33 __tostring recursion",
        """
        local mt = {} mt.__tostring = function(t) return tostring(setmetatable({}, mt)) end
        print(tostring(setmetatable({}, mt)))
     """,
        "timeout",
    ),
    (
        "39 error object whose __tostring spins",
        """
        error(setmetatable({}, {__tostring = function() while true do end end}))
     """,
        "timeout",
    ),
    (
        "43 pcall swallowing the timeout",
        "while true do pcall(function() while true do end end) end",
        "timeout",
    ),
    (
        "43b xpcall with a spinning handler",
        """
        while true do xpcall(function() while true do end end, function() while true do end end) end
     """,
        "timeout",
    ),
    (
        "44 coroutine.resume as catch-all",
        """
        while true do coroutine.resume(coroutine.create(function() while true do end end)) end
     """,
        "timeout",
    ),
    (
        "44b error() inside the loop after the deadline",
        """
        while true do pcall(error, "x") end
     """,
        "timeout",
    ),
    (
        "51 backtracking below the quantifier cap (one C call: the wall deadline ends it)",
        "print(string.rep('ab', 3e6):find(('.-'):rep(8) .. 'X'))",
        "timeout",
    ),
    ("load reader that spins", "load(function() while true do end end)", "timeout"),
    (
        "timeout in a callback after load",
        """
        core.register_on_mods_loaded(function() while true do end end)
     """,
        "timeout",
    ),
]


@pytest.mark.parametrize(("name", "source", "kind"), FAILURE_CASES, ids=[c[0] for c in FAILURE_CASES])
def test_hazard_ends_in_a_structured_failure(ex: Executor, name: str, source: str, kind: str) -> None:
    res, elapsed = run(ex, source)
    assert res.get("failure") == kind, res
    assert res["reason"]
    assert elapsed < LIMITS.wall_deadline + MARGIN
    assert_next_sample_unaffected(ex)


def test_catastrophic_pattern_is_refused_before_matching(ex: Executor) -> None:
    # [51] ('a'):rep(40):find(('a*'):rep(40)..'b') hangs LuaJIT inside one C call
    res, elapsed = run(ex, "print(pcall(string.find, ('a'):rep(40), ('a*'):rep(40) .. 'b'))")
    assert "pattern too complex" in res["output"][0]
    assert elapsed < 0.5


def test_output_flood_is_capped(ex: Executor) -> None:
    # [55] 20k lines of 1000 characters
    res, _ = run(ex, "for i = 1, 20000 do print(('x'):rep(1000)) end")
    assert res["ok"] is True
    assert sum(len(line) + 1 for line in res["output"]) <= 64 * 1024 + 1001


PATCHES = [
    # [12, 13] string table and string metatable
    "string.upper = function() return 'PWNED' end string.format = function() return 'PWNED' end",
    "getmetatable('').__index.upper = function() return 'PWNED' end",
    "rawset(getmetatable(''), '__index', {upper = function() return 'PWNED' end})",
    # globals, core API, metatables
    "os = {execute = print} io = {popen = print} python = {} type = function() return 'nil' end",
    "core.register_node = function() end minetest.register_node = core.register_node",
    "setmetatable(_G, {__index = function() return 'PWNED' end}) print = function() end",
    "debug.traceback = function() return 'PWNED' end debug.getregistry = function() return {} end",
    "coroutine.wrap = nil pcall = nil string.rep = nil",
]


@pytest.mark.parametrize("patch", PATCHES)
def test_patches_do_not_reach_the_next_sample(ex: Executor, patch: str) -> None:
    pid = ex.pids()
    res, _ = run(ex, patch + "\nprint('patched')")
    assert "failure" not in res, res
    assert ex.pids() == pid  # the same worker runs the next sample
    assert_next_sample_unaffected(ex)


# What a mod sees of its environment (each entry: something one of PATCHES changes).
OBSERVE = """return {("x"):upper(), string.format("%d", 1), type(string.rep), type(os.execute), type(io),
    type(rawget(_G, "python")), tostring(undeclared_name), type(core.register_node),
    type(minetest.register_node), type(pcall), type(coroutine.wrap), type(debug.traceback("m")),
    type(rawget(_G, "print")), type(type)}"""


@pytest.mark.parametrize("patch", PATCHES)
def test_patches_do_not_reach_a_sibling_world(patch: str) -> None:
    """A task's scenarios run in sibling worlds of one Lua state (``LuanRuntime.sibling``): a world
    a mod patched changes nothing in a sibling built after it, and is not changed back by it."""
    from vf_luanti.mods import mod_from_source
    from vf_luanti.world import load_world

    clean = load_world([mod_from_source("", name="mymod")])[1].eval(OBSERVE)
    report, patched = load_world([mod_from_source(patch, name="mymod")])
    assert report.ok, report.errors
    before = patched.eval(OBSERVE)  # the same as clean only where the sandbox refused the patch
    sibling = load_world([mod_from_source("", name="mymod")], runtime=patched.runtime.sibling())[1]
    assert sibling.eval(OBSERVE) == clean
    assert patched.eval(OBSERVE) == before  # entered again after the sibling was built
    assert sibling.eval(OBSERVE) == clean


def test_a_sibling_world_shares_its_samples_deadline() -> None:
    from vf_luanti.mods import mod_from_source
    from vf_luanti.runtime import CPUTimeExceeded, LuanRuntime, RuntimeLimits

    rt = LuanRuntime(RuntimeLimits(cpu_seconds=0.3))
    rt.load_mods([mod_from_source("local t = os.clock() while os.clock() - t < 0.2 do end", name="a")])
    start = time.process_time()
    with pytest.raises(CPUTimeExceeded):
        rt.sibling().load_mods([mod_from_source("while true do end", name="b")])
    assert time.process_time() - start < 0.25  # what the first world left of the 0.3 s


def test_forged_traceback_does_not_forge_the_verdict(ex: Executor) -> None:
    # [53] the forge is in the mods' debug table; errors still carry the real message
    res, _ = run(
        ex,
        """
        debug = {traceback = function() return "ALL TESTS PASSED (forged)" end}
        error("real failure")
    """,
    )
    assert res["ok"] is False
    assert any("real failure" in m for m in messages(res))
    assert "forged" not in str(res)


def test_deadline_is_per_sample_not_per_runtime(ex: Executor) -> None:
    """A sample that times out does not shorten the next one's budget (fresh deadline per job)."""
    run(ex, "while true do end")
    res, _ = run(ex, "local t = os.clock() while os.clock() - t < 0.3 do end print('done')")
    assert res.get("output") == ["done"], res
