"""Does the code compile? The first thing the judge asks of an answer, and the parser's test for an
untagged fenced block being Lua: one compile-only LuaJIT state per process, never running code."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _syntax_state() -> Any:
    """A bare LuaJIT state used only to compile (never run) completions."""
    import lupa.luajit21 as lupa_rt

    lua = lupa_rt.LuaRuntime(register_eval=False, register_builtins=False)
    return lua.eval(
        "function(src) local f, err = loadstring(src, '=init.lua') if f then return true end return err end"
    )


def syntax_error(code: str) -> str | None:
    """None when ``code`` compiles under LuaJIT, else the compiler's message (``init.lua:LINE: ...``)."""
    if code.startswith("\x1b"):
        return "init.lua: precompiled bytecode is not accepted"
    res = _syntax_state()(code)
    return None if res is True else str(res)
