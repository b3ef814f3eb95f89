"""Intent checks: what the answer's code is made of, and which engine functions it really called.

Behavioural checks say *what* a mod does; some tasks also ask *how* (a refactor into a loop, a
deprecated call replaced, a documented API used instead of a hand-made equivalent, "keep the node
timer"). Two check kinds say it (docs/tasks.md §3.7):

* ``code``: static requirements over the parsed code, comments and strings ignored: names that
  must be referenced (``uses``), names that must not appear (``absent``), names referenced at most
  N times (``at_most``: copy-paste instead of the loop asked for), and ``loop`` (some ``for``,
  ``while`` or ``repeat``). ``minetest.x`` and ``core.x`` are the same name.
* ``calls``: how often an engine function was called while the session ran (every load, scenario
  and soak), whatever alias the mod called it by: the function is wrapped before any mod loads
  (``World`` observe), so a cached reference counts too, and the judge's own calls never do.

Static requirements alone can be met by dead code, and call counts alone by a call whose result
is thrown away; items use them beside behavioural checks, never instead of them.
"""

from __future__ import annotations

from typing import Any

from ..lualex import lua_tokens

NAMESPACES = ("minetest", "core")


class IntentError(ValueError):
    """An intent check that does not follow the check language (raised on task load)."""


def _names(v: Any, key: str) -> list[str]:
    if not (isinstance(v, list) and v and all(isinstance(x, str) and _valid_name(x) for x in v)):
        raise IntentError(f"'{key}' must be a non-empty list of Lua names such as \"minetest.after\"")
    return v


def _valid_name(name: str) -> bool:
    parts = name.replace(":", ".").split(".")
    return all(p.isidentifier() for p in parts)


def validate_code_check(c: dict) -> None:
    """Validate the keys of a ``code`` check (the caller checked kind, desc and unknown keys)."""
    if not any(k in c for k in ("uses", "absent", "at_most", "loop")):
        raise IntentError("a 'code' check needs at least one of uses, absent, at_most, loop")
    for key in ("uses", "absent"):
        if key in c:
            _names(c[key], key)
    if "at_most" in c:
        am = c["at_most"]
        if not (
            isinstance(am, dict)
            and am
            and all(
                _valid_name(k) and isinstance(n, int) and not isinstance(n, bool) and n >= 0
                for k, n in am.items()
            )
        ):
            raise IntentError("'at_most' maps Lua names to the most times each may appear (integers >= 0)")
    if "loop" in c and c["loop"] is not True:
        raise IntentError("'loop' takes true")


def validate_calls_check(c: dict) -> None:
    """Validate the keys of a ``calls`` check (``count`` is validated as a matcher by the caller)."""
    fn = c.get("fn")
    if not (isinstance(fn, str) and _valid_name(fn) and ":" not in fn):
        raise IntentError('\'fn\' must name an engine function, e.g. "minetest.serialize" or "print"')


def _spelling(name: str) -> list[list[str]]:
    """The token sequences that spell ``name`` (both namespaces for engine names)."""
    parts = name.replace(":", " : ").replace(".", " . ").split()
    if parts[0] in NAMESPACES:
        return [[ns, *parts[1:]] for ns in NAMESPACES]
    return [parts]


def count_references(code: str, name: str) -> int:
    """How often ``name`` is referenced in ``code`` (comments and strings ignored). A bare name
    counts only where it is not a field of something else (``print``, not ``obj.print``)."""
    toks = [t.text for t in lua_tokens(code) if t.kind not in ("space", "comment", "string")]
    n = 0
    for seq in _spelling(name):
        k = len(seq)
        for i in range(len(toks) - k + 1):
            if toks[i : i + k] == seq and (i == 0 or toks[i - 1] not in (".", ":")):
                n += 1
    return n


def has_loop(code: str) -> bool:
    """Whether the code has a ``for``, ``while`` or ``repeat`` loop."""
    return any(t.kind == "keyword" and t.text in ("for", "while", "repeat") for t in lua_tokens(code))


def check_code(c: dict, code: str) -> str | None:
    """None when ``code`` meets the static requirements of check ``c``, else what is wrong."""
    for name in c.get("uses", []):
        if not count_references(code, name):
            return f"the code never uses {name}"
    for name in c.get("absent", []):
        if n := count_references(code, name):
            return f"the code still uses {name} ({n} time{'s' if n > 1 else ''})"
    for name, most in c.get("at_most", {}).items():
        if (n := count_references(code, name)) > most:
            return f"{name} appears {n} times in the code, at most {most} expected"
    if c.get("loop") and not has_loop(code):
        return "the code has no loop"
    return None


__all__ = [
    "IntentError",
    "check_code",
    "count_references",
    "has_loop",
    "validate_calls_check",
    "validate_code_check",
]
