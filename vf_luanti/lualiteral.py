"""Python values as Lua source: the one writer for Lua literals (generated reference code, and the
Lua the scenario driver sends). JSON string escapes are not Lua's (``\\u00e9`` is an error in
LuaJIT), so strings are written with Lua's own escapes."""

from __future__ import annotations

import re
from typing import Any

from .lualex import LUA_KEYWORDS

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def lua_string(s: str) -> str:
    """A double-quoted Lua string for ``s`` (UTF-8 kept as is, other control bytes as ``\\ddd``)."""
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\{ord(ch):03d}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def lua_literal(v: Any) -> str:
    """A JSON-like value as a Lua expression: None is nil; tables use ``key = value`` where the key
    is a Lua name, else ``["key"] = value``."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return lua_string(v)
    if isinstance(v, list | tuple):
        return "{" + ", ".join(lua_literal(x) for x in v) + "}"
    if isinstance(v, dict):
        return (
            "{"
            + ", ".join(
                f"{k} = {lua_literal(x)}"
                if isinstance(k, str) and _IDENT.match(k) and k not in LUA_KEYWORDS
                else f"[{lua_literal(k)}] = {lua_literal(x)}"
                for k, x in v.items()
            )
            + "}"
        )
    raise TypeError(f"no Lua literal for {type(v).__name__}")
