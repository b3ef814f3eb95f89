"""The embedded Luanti: a fresh LuaJIT state with the emulation loaded, driven from Python.

One ``LuanRuntime`` is one simulated server start: mods are loaded into it once, then the event
driver (``vf_luanti.world``) may run callbacks in it. It is never reused for another mod set, so
nothing a mod does can leak into the next run.

Everything crossing the Python/Lua boundary is a string or a number. Python never indexes a Lua
table a mod could have touched, and Lua never sees a Python object: lupa's ``python`` global is
removed before any emulation code runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import lupa.luajit21 as lupa_rt

from .mods import Mod

#: Where mods and the world live inside the virtual file system when the caller gives no real path.
VIRTUAL_ROOT = "/vfl"


@cache
def emulation_sources() -> dict[str, str]:
    """The emulation's Lua files, read once per process (workers reuse them for every runtime)."""
    pkg = resources.files("vf_luanti") / "lua"
    return {p.name: p.read_text(encoding="utf-8") for p in pkg.iterdir() if p.name.endswith(".lua")}


@dataclass(frozen=True)
class RuntimeLimits:
    """Resource limits for one runtime. Enforcement is in-runtime; the worker pool adds a process boundary."""

    max_memory: int = 64 * 1024 * 1024


def _drop_python_bridge(lua: Any) -> None:
    """lupa registers ``python`` even with register_builtins=False; nothing Lua-side may reach Python."""
    lua.execute("python = nil; package.loaded.python = nil")


class LuanRuntime:
    """A LuaJIT state (JIT off) with the Luanti emulation loaded and its host API at hand."""

    def __init__(self, limits: RuntimeLimits | None = None) -> None:
        limits = limits or RuntimeLimits()
        self.lua = lupa_rt.LuaRuntime(
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            max_memory=limits.max_memory,
        )
        _drop_python_bridge(self.lua)
        self.lua.execute("jit.off()")
        sources = emulation_sources()
        boot = self.lua.eval("function(src, sources) return assert(loadstring(src, '@builtin/bootstrap.lua'))(sources) end")
        self.api = boot(sources["bootstrap.lua"], self.lua.table_from(sources))

    def call(self, name: str, *args: Any) -> Any:
        """Call a host API function by name (arguments: strings and numbers only)."""
        return self.api[name](*args)

    def call_json(self, name: str, *args: Any) -> Any:
        """Call a host API function that returns JSON text and decode it."""
        return json.loads(self.api[name](*args))

    def load_mods(self, mods: list[Mod], worldpath: str = VIRTUAL_ROOT + "/world") -> bool:
        """Load mods in the given (dependency) order, then run the on_mods_loaded phase."""
        self.call("set_worldpath", worldpath)
        for mod in mods:
            for rel, text in mod.files.items():
                self.call("add_file", f"{mod.path}/{rel}", text)
        for mod in mods:
            if not self.call("load_mod", mod.name, mod.path):
                break
        return bool(self.call("finish_loading"))

    def report(self) -> dict[str, Any]:
        return self.call_json("report_json")
