"""The embedded Luanti: a fresh LuaJIT state with the emulation loaded, driven from Python.

One ``LuanRuntime`` is one simulated server start: mods are loaded into it once, then the event
driver (``vf_luanti.world``) may run callbacks in it. It is never reused for another mod set, so
nothing a mod does can leak into the next run.

Everything crossing the Python/Lua boundary is a string or a number. Python never indexes a Lua
table a mod could have touched, and Lua never sees a Python object: lupa's ``python`` global is
removed before any emulation code runs.
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from typing import Any

import lupa.luajit21 as lupa_rt

from .mods import USER_PATH, Mod

#: Server steps run after loading (the oracle lets the real engine run as many before shutdown).
STARTUP_STEPS = 3

#: The world of a load given no real path: the world a dedicated server creates when it is started
#: without one (``worlds/world`` in its user path; mods.MODS_PATH says where in-memory mods live).
WORLD_PATH = USER_PATH + "/worlds/world"

#: Game time of one day at the default time_speed (72 game seconds a second: 86400 / 72): a world
#: that ran whole days has the time of day it was created with.
DAY_SECONDS = 1200
_DAY_US = 86400 * 1_000_000

MiB = 1024 * 1024


@cache
def emulation_sources() -> dict[str, str]:
    """The emulation's Lua files, read once per process (workers reuse them for every runtime)."""
    pkg = resources.files("vf_luanti") / "lua"
    return {p.name: p.read_text(encoding="utf-8") for p in pkg.iterdir() if p.name.endswith(".lua")}


@cache
def emulation_bytecode() -> dict[str, bytes]:
    """The emulation files compiled once per process (``string.dump``, debug info kept).

    Compiling the emulation's Lua dominates runtime creation; loading the dumped bytecode takes a
    fraction of that (figures: docs/sandbox.md). Only our own trusted files take this path: mod
    code is always compiled from text, and the mods' loaders refuse bytecode.
    """
    lua = lupa_rt.LuaRuntime(register_eval=False, register_builtins=False, encoding=None)
    # each file runs under the chunk name chunks.lua gives it (the engine's builtin paths)
    dump = lua.eval(
        "function(src, chunks, file) return string.dump(assert(loadstring(src, chunks.name(file)))) end"
    )
    sources = emulation_sources()
    chunks = lua.execute(sources["chunks.lua"].encode())
    return {name: dump(src.encode(), chunks, name.encode()) for name, src in sources.items()}


def lua_path(path: str) -> str:
    """``path`` as the emulation's file system names it (sandbox.lua's I.normalize_path)."""
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            parts = parts[:-1]
        elif part not in ("", "."):
            parts.append(part)
    return "/" + "/".join(parts)


def compile_trusted(mod: Mod) -> dict[str, bytes]:
    """The bytecode of ``mod``'s Lua files by chunk name (``@`` and the file's path), for a trusted
    mod read once per process (the game's: checks/game.py): a game world then loads each file from
    bytecode, about a seventh of compiling its text again (docs/sandbox.md). The functions are
    the same (debug info kept, the same chunk name); a file that does not compile is left out (its
    text gives the error). Never for a sample's code: the mods' loaders refuse bytecode."""
    lua = lupa_rt.LuaRuntime(register_eval=False, register_builtins=False, encoding=None)
    dump = lua.eval(
        "function(src, name) local f = loadstring(src, name) return f and string.dump(f) or '' end"
    )
    out = {}
    for rel, text in mod.files.items():
        if rel.endswith(".lua"):
            chunk = "@" + lua_path(f"{mod.path}/{rel}")
            code = dump(text, chunk.encode())
            if code:
                out[chunk] = code
    return out


def _blob(entries: Iterator[tuple[str, bytes | str]]) -> bytes:
    """Named byte strings as one argument (modload.lua's read_blob): name, NUL, length, NUL, the
    bytes; one call in place of one per file (a game has some 650)."""
    parts = []
    for name, data in entries:
        raw = data.encode() if isinstance(data, str) else data
        parts.append(b"%s\0%d\0%s" % (name.encode(), len(raw), raw))
    return b"".join(parts)


@cache
def _host_chunk_name() -> str:
    """bootstrap.lua's chunk name (chunks.lua): host-side code whose frames mods never see."""
    lua = lupa_rt.LuaRuntime(register_eval=False, register_builtins=False)
    return str(lua.execute(emulation_sources()["chunks.lua"]).name("bootstrap.lua"))


@dataclass(frozen=True)
class RuntimeLimits:
    """Resource limits for one sample (docs/sandbox.md).

    The first group is enforced inside the Lua state (sandbox.lua's guard, lupa's allocator), the
    second by the worker pool (vf_luanti.execution) around the process that runs the sample.
    Build from a settings mapping (e.g. the environment's kwargs) with ``from_mapping``.
    """

    cpu_seconds: float = 2.0  # CPU time per sample (all its runtimes), via the count hook
    max_memory: int = 64 * MiB  # Lua heap per state, siblings included (lupa's counting allocator)
    hook_count: int = 10_000  # VM instructions between deadline checks (each reads the CPU clock)
    pattern_max: int = 4096  # longest Lua pattern string.find/match/gmatch/gsub accept
    pattern_quantifiers: int = 32  # most quantifiers (* + - ?) in one pattern
    c_depth: int = 200  # nesting of coroutine resumes and gsub callbacks
    wall_seconds: float | None = None  # per-sample wall deadline; None: 2 x cpu_seconds + startup_margin
    startup_margin: float = 1.0  # seconds added to the default wall deadline
    address_space: int = 1024 * MiB  # RLIMIT_AS of a worker process
    stack_size: int = 16 * MiB  # RLIMIT_STACK of a worker process
    max_result_bytes: int = 32 * MiB  # largest job result a worker may send back

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and not (isinstance(value, (int, float)) and value > 0):
                raise ValueError(f"RuntimeLimits.{f.name} must be a positive number, got {value!r}")

    @property
    def wall_deadline(self) -> float:
        """Seconds the pool waits for one sample before it kills the worker: twice its CPU time,
        which is up to three budgets (the checks; beside the game, the reference's checks once per
        worker and task, then the sample's own run: ``second_budget``)."""
        if self.wall_seconds is not None:
            return self.wall_seconds
        return 6 * self.cpu_seconds + self.startup_margin

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any] | None) -> RuntimeLimits:
        """Limits from a settings mapping; an unknown key is an error that lists the known ones."""
        settings = dict(settings or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"unknown limit(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**settings)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: Names of popular server mods that integrate with others (ContentDB): the neighbour a sample's
#: world installs (ServerStart.neighbour). None is a game mod or a name a task gives its mod.
NEIGHBOUR_MODS = (
    "areas",
    "mobs_redo",
    "unified_inventory",
    "hudbars",
    "awards",
    "pipeworks",
    "technic",
    "travelnet",
    "signs_lib",
    "mesecons_mvps",
    "stamina",
    "i3",
    "playerfactions",
    "xban2",
)


@dataclass(frozen=True)
class ServerStart:
    """What a starting server reads from its host and its world's files, chosen per sample.

    A real server's map seed is random, its ``get_us_time`` is the host's monotonic clock (time
    since boot), its world has run for a while and builtin seeds ``math.random`` with the time. A
    check world with seed 0, a clock at 0, game time 0 and an unseeded ``math.random`` tells a mod
    that it is being judged (docs/threat_model.md, "Fingerprints"). ``for_sample`` draws the values
    from a hash of the sample: a mod cannot predict them, and one sample always gets the same world
    (the same verdict). The defaults are the old fixed world, for loads outside the judge.
    """

    map_seed: int = 0  # the world's seed (u64, as map_meta.txt writes it)
    clock_us: int = 0  # get_us_time() as the first world starts (the host's uptime, µs)
    days: int = 0  # whole days a new world has already run (days * DAY_SECONDS of game time)
    #: Another mod installed in the world beside the sample ("": none), as on every real server; the
    #: Lua caller that check frames show when they call into the sample (sandbox.lua caller_view).
    neighbour: str = ""
    #: Seconds the server runs after its start-up steps, with nobody online, before anything else
    #: happens (modload.lua ``finish_loading``): players come to a server that has been up a while
    #: (the game run draws it: game.py ``warm_up``).
    warm_up: float = 0.0

    @classmethod
    def for_sample(cls, task_text: str, code: str) -> ServerStart:
        """The start of every world of one sample: the task's JSON text and the completion's code."""
        digest = hashlib.sha256(
            b"%d:%s%s" % (len(task_text), task_text.encode(), code.encode(errors="surrogatepass"))
        ).digest()
        a, b, c, d = (int.from_bytes(digest[i : i + 8], "little") for i in (0, 8, 16, 24))
        return cls(
            map_seed=a,
            clock_us=_DAY_US + b % (364 * _DAY_US),  # a host up for 1 to 365 days
            days=30 + c % 2971,  # 30 to 3000 days: 10 h to 41 days of game time
            neighbour=NEIGHBOUR_MODS[d % len(NEIGHBOUR_MODS)],
        )


class SandboxLimitError(Exception):
    """A sample stopped by the sandbox; ``failure`` is the pool's failure kind for it."""

    failure = "error"


class CPUTimeExceeded(SandboxLimitError):
    failure = "timeout"


class MemoryLimitExceeded(SandboxLimitError):
    failure = "memory"


class SandboxViolation(SandboxLimitError):
    failure = "sandbox_violation"


#: Memory the host side may use beyond a runtime's limit between calls (see LuanRuntime._guarded).
_HEADROOM = 4 * MiB


class _JobScope:
    """One sample's shared CPU deadline and the runtimes created for it (checked afterwards)."""

    def __init__(self, limits: RuntimeLimits) -> None:
        self.limits = limits
        self.deadline = time.process_time() + limits.cpu_seconds
        self.runtimes: list[LuanRuntime] = []


_scope: _JobScope | None = None


def second_budget() -> None:
    """The sample's CPU deadline moves to ``cpu_seconds`` from now: the run beside the game
    (checks/session.py) gets a budget of its own, and so does the reference's run there that it
    needs first (once per worker and task), so a sample is not failed for the time the game's own
    mods take. Runtimes made from now on get the new deadline."""
    if _scope is not None:
        _scope.deadline = time.process_time() + _scope.limits.cpu_seconds


@contextmanager
def job_scope(limits: RuntimeLimits) -> Iterator[_JobScope]:
    """Run one sample: runtimes created inside default to ``limits`` and share one CPU deadline.

    The worker pool wraps every job in this, so job functions (scoring, checks) need not pass
    limits around. On exit each runtime is checked for tampering with the host state.
    """
    global _scope
    outer, _scope = _scope, _JobScope(limits)
    try:
        yield _scope
        for rt in _scope.runtimes:
            rt.check_integrity()
    finally:
        _retired[:] = _scope.runtimes  # closed by the next prepare_spares (or job), not on the way out
        _scope = outer


def _drop_python_bridge(lua: lupa_rt.LuaRuntime) -> None:
    """lupa registers ``python`` even with register_builtins=False; nothing Lua-side may reach Python."""
    lua.execute("python = nil; package.loaded.python = nil")


# Host-side check that nothing a mod did reached the host state lupa relies on: lupa looks up the
# global debug.traceback before every call (a forged one would rewrite errors) and a metatable on
# the host's _G could make that lookup raise outside any pcall (a process panic).
_INTEGRITY = """
local G, dbg, tb, gmt, smeta = _G, debug, debug.traceback, debug.getmetatable, getmetatable("")
local rawget, rawequal, sethook = rawget, rawequal, debug.sethook
return function()
    sethook()
    return rawequal(rawget(G, "debug"), dbg) and rawequal(rawget(dbg, "traceback"), tb)
        and gmt(G) == nil and rawget(G, "python") == nil and rawequal(gmt(""), smeta)
end
"""


# How LuanRuntime._guarded calls into Lua, in three calls: ``stash(...)`` keeps the arguments and
# ``fetch()`` hands back the results, both with the headroom in place; ``run(f)`` calls f under the
# tight memory limit, where lupa pushes only a reference (no allocation) and converts nothing (it
# returns nothing). Neither table outlives its use, so no argument or result stays alive to count
# against the next call. Compiled under bootstrap.lua's chunk name, whose frames mods never see
# (sandbox.lua): a mod walking the stack finds no host frame below the engine's.
_CALL_EDGES = """
local unpack, select = unpack, select
local args, nargs, res, nres = nil, 0, nil, 0
local function keep(...) nres = select("#", ...); res = { ... } end
local function stash(...) nargs = select("#", ...); args = { ... } end
local function run(f)
    local a, n = args, nargs
    args, nargs, res, nres = nil, 0, nil, 0
    if n == 0 then keep(f()) else keep(f(unpack(a, 1, n))) end
end
local function fetch()
    local r, n = res, nres
    res, nres = nil, 0
    if r then return unpack(r, 1, n) end
end
return stash, run, fetch
"""


#: Fresh runtimes built ahead of need (``prepare_spares``): a sandbox worker builds them between
#: jobs, and each is handed out once, as new, to the next ``LuanRuntime`` call of the next job.
_spares: list[LuanRuntime] = []

#: The runtimes of the last job. Closing a Lua state frees every object in it (a fifth of the cost
#: of a check run), so a worker does it between jobs, after the result is sent.
_retired: list[LuanRuntime] = []


def prepare_spares(count: int, limits: RuntimeLimits) -> None:
    """Close the last job's runtimes, then build runtimes with ``limits`` until ``count`` wait for
    later ``LuanRuntime(limits)`` calls."""
    _retired.clear()
    kept = [rt for rt in _spares if rt.limits == limits]
    _spares.clear()  # LuanRuntime() would take a spare instead of building one
    kept.extend(LuanRuntime(limits) for _ in range(count - len(kept)))
    _spares[:] = kept


class LuanRuntime:
    """A LuaJIT state (JIT off) with the Luanti emulation loaded and its host API at hand."""

    # Set by __init__, or copied from a spare (``prepare_spares``) or the runtime a ``sibling`` shares
    # its state with. The Lua values are lupa objects (lupa ships no types).
    limits: RuntimeLimits
    lua: lupa_rt.LuaRuntime
    guard: Any  # Lua table: the deadline hook's settings, and ``expired``/``reason`` once it fired
    api: Any  # Lua table: host API function name -> Lua function
    _integrity: Any  # Lua function: ``_INTEGRITY``'s check
    _stash: Any  # Lua functions: ``_CALL_EDGES``, how ``_guarded`` calls into Lua
    _run: Any
    _fetch: Any
    _new_world: Any  # Lua function: builds a fresh emulation in this state (``sibling``)

    def __init__(self, limits: RuntimeLimits | None = None, start: ServerStart | None = None) -> None:
        """``start``: how every world of this state starts (its siblings' too); none: ServerStart()."""
        scope = _scope
        limits = limits or (scope.limits if scope else RuntimeLimits())
        deadline = time.process_time() + limits.cpu_seconds
        if scope is not None:
            deadline = min(deadline, scope.deadline)
            scope.runtimes.append(self)
        if _spares and _spares[-1].limits == limits:
            self.__dict__.update(_spares.pop().__dict__)  # never used: as fresh as a new one
            self.guard["deadline"] = deadline
            self.start = start or ServerStart()
            return
        self.start = start or ServerStart()
        self.limits = limits
        self.lua = lupa_rt.LuaRuntime(
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            max_memory=limits.max_memory + _HEADROOM,  # lowered to max_memory during calls (_guarded)
        )
        _drop_python_bridge(self.lua)
        self.lua.execute("jit.off(); jit.flush()")  # hooks do not fire in compiled code
        self._integrity = self.lua.execute(_INTEGRITY)
        compile_hidden = self.lua.eval("function(src, name) return assert(loadstring(src, name))() end")
        self._stash, self._run, self._fetch = compile_hidden(_CALL_EDGES, _host_chunk_name())
        self.guard = self.lua.table_from(
            {
                "deadline": deadline,
                "expired": False,
                "hook_count": limits.hook_count,
                "pattern_max": limits.pattern_max,
                "pattern_quantifiers": limits.pattern_quantifiers,
                "c_depth": limits.c_depth,
            }
        )
        code = emulation_bytecode()
        boot = self.lua.eval("function(boot, files, guard) return assert(loadstring(boot))(files, guard) end")
        self.api, self._new_world = self._guarded(
            boot, code["bootstrap.lua"], self.lua.table_from(code), self.guard
        )

    def sibling(self) -> LuanRuntime:
        """A fresh world in this runtime's Lua state: the emulation built anew (its own ``core``,
        globals, registries and map), sharing only the state with this one, so its memory limit
        and CPU deadline too. It costs about a third of a new state to build and nothing to close.

        For more worlds of one sample (a task's scenarios), never across samples: what is per state
        rather than per world (the collector's settings, ``math.random``'s generator, reseeded as
        each world starts) is shared, and so is ``start``.
        """
        twin = object.__new__(LuanRuntime)
        twin.__dict__.update(self.__dict__)
        twin.api = self._guarded(self._new_world)
        if _scope is not None:
            _scope.runtimes.append(twin)
        return twin

    def _guarded(self, fn: Any, *args: Any) -> Any:
        """Call into Lua; a run out of CPU time or memory becomes the matching SandboxLimitError.

        Only Lua code runs under the memory limit; whatever lupa does outside a protected call
        gets headroom, because an allocation failing there is a Lua panic ("PANIC: unprotected
        error in call to Lua API (not enough memory)") that ends the process. That includes the
        call's own edges: lupa pushes the arguments before its lua_pcall and converts the results
        after it. A sample that fills the heap to the limit and keeps it (a memory bomb caught by
        its own pcall) left no room for the next call's string argument, and the worker died.
        So the arguments go in, and the results come out, through ``_CALL_EDGES`` with the
        headroom; under the limit lupa only pushes a reference and gets nothing back.
        """
        if args:
            self._stash(*args)
        self.lua.set_max_memory(self.limits.max_memory)
        try:
            self._run(fn)
        except lupa_rt.LuaMemoryError:
            raise self._out_of_memory() from None
        except lupa_rt.LuaError as exc:
            self.lua.set_max_memory(self.limits.max_memory + _HEADROOM)
            if self.guard["expired"]:
                raise self._timeout() from None
            msg = str(exc)
            # memory errors re-raised by the emulation (diag.lua), or whose traceback failed too
            if msg.startswith("not enough memory") or (
                msg.startswith("error in error handling")
                and self.lua.get_memory_used() > self.limits.max_memory - _HEADROOM
            ):
                raise self._out_of_memory() from None
            raise
        finally:
            self.lua.set_max_memory(self.limits.max_memory + _HEADROOM)
        if self.guard["expired"]:
            raise self._timeout()
        return self._fetch()

    def _out_of_memory(self) -> MemoryLimitExceeded:
        return MemoryLimitExceeded(f"Lua memory limit of {self.limits.max_memory // MiB} MiB exceeded")

    def _timeout(self) -> CPUTimeExceeded:
        reason = self.guard["reason"]  # set where the engine itself would never return
        if reason:
            return CPUTimeExceeded(f"{reason} (the real server hangs there)")
        return CPUTimeExceeded(f"CPU time limit of {self.limits.cpu_seconds:g} s exceeded")

    def check_integrity(self) -> None:
        """Raise SandboxViolation if the host state lupa relies on was changed (never expected)."""
        if self.guard["expired"]:
            return  # the deadline hook raises on every call now; the sample failed anyway
        try:
            ok = self._integrity()
        except lupa_rt.LuaError as exc:
            raise SandboxViolation(f"host state check failed: {exc}") from None
        if not ok:
            raise SandboxViolation("a sample changed the host Lua state (debug, _G metatable, python)")

    def call(self, name: str, *args: Any) -> Any:
        """Call a host API function by name (arguments: strings and numbers only)."""
        return self._guarded(self.api[name], *args)

    def call_json(self, name: str, *args: Any) -> Any:
        """Call a host API function that returns JSON text and decode it.

        Python's cyclic collector is paused while decoding: a registry report is hundreds of
        thousands of containers, each of which counts toward the collector's thresholds, so it
        would walk the growing heap again and again (a third of moreblocks' decode time), and
        decoded JSON holds no cycles for it to find.
        """
        text = self.call(name, *args)
        paused = gc.isenabled()
        gc.disable()
        try:
            return json.loads(text)
        finally:
            if paused:
                gc.enable()

    def load_mods(
        self, mods: list[Mod], worldpath: str = WORLD_PATH, startup_steps: int = STARTUP_STEPS
    ) -> bool:
        """Start the server (``self.start``; after a restore, its saved time is kept), load mods in
        the given (dependency) order, run the on_mods_loaded phase, then the first ``startup_steps``
        server steps (where after(0) and globalstep errors surface, as in the engine) and the
        start's ``warm_up``."""
        s = self.start
        self.call("start_server", USER_PATH, str(s.map_seed), s.clock_us, s.days * DAY_SECONDS, s.neighbour)
        self.call("set_worldpath", worldpath)
        for mod in mods:
            self.call("declare_mod", mod.name, mod.path)  # get_modpath knows every enabled mod
        files = ((f"{m.path}/{rel}", text) for m in mods for rel, text in m.files.items())
        self.call("add_files", _blob(files))
        if any(m.compiled for m in mods):
            self.call("add_compiled", _blob(item for m in mods for item in m.compiled.items()))
        for mod in mods:
            if not self.call("load_mod", mod.name, mod.path):
                break
        return bool(self.call("finish_loading", startup_steps, float(s.warm_up)))

    def report(
        self, registered: bool | frozenset[str] = True, listed: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """The load report (LoadReport's dict); ``registered=False`` leaves its registry empty (its
        summary counts it all the same), a set of item names leaves out every other item (with the
        items those names are aliases of), the rest of the registry whole: a game world's registry
        checks read their own items, a seventh of the game's registry text (docs/sandbox.md); the
        summary lists the items of the ``listed`` mods."""
        only = None if isinstance(registered, bool) else "".join(f"{n}\n" for n in sorted(registered))
        return self.call_json("report_json", registered is not False, " ".join(listed), only)
