"""The matcher language: how an expected value in a check is compared with what the world holds
(docs/tasks.md §3.1)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .base import FUNCTION_JSON, LUA_TYPES, MATCH_OPS, CheckError


def _is_op(v: Any) -> bool:
    return isinstance(v, dict) and len(v) == 1 and next(iter(v)).startswith("$")


def _lua_type(v: Any) -> str:
    if v is None:
        return "nil"
    if v == FUNCTION_JSON:
        return "function"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "table"


def _short(v: Any, limit: int = 160) -> str:
    s = json.dumps(v, ensure_ascii=False, sort_keys=True) if not isinstance(v, str) else repr(v)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def match(expected: Any, actual: Any, path: str = "value") -> str | None:
    """None when ``actual`` satisfies ``expected``, else a sentence saying what differs.

    Plain values: numbers equal within 1e-6, strings/booleans equal; an object matches when each of
    its keys matches (extra keys in ``actual`` are fine); a list matches element-wise with the same
    length. An object with a single ``$`` key is an operator (docs/tasks.md lists them).
    """
    if _is_op(expected):
        op, arg = next(iter(expected.items()))
        if op == "$absent":
            return None if actual is None else f"{path}: expected absent, got {_short(actual)}"
        if op == "$present":
            return f"{path}: expected a value, got nothing" if actual is None else None
        if op == "$type":
            t = _lua_type(actual)
            return None if t == arg else f"{path}: expected a {arg}, got {t} {_short(actual)}"
        if op == "$exact":
            if isinstance(arg, dict) and isinstance(actual, dict) and set(arg) != set(actual):
                return f"{path}: expected exactly the keys {sorted(arg)}, got {sorted(actual)}"
            return match(arg, actual, path)
        if op == "$contains":
            if isinstance(actual, str) and isinstance(arg, str):
                return (
                    None
                    if arg in actual
                    else f"{path}: expected text containing {arg!r}, got {_short(actual)}"
                )
            if isinstance(actual, list):
                return (
                    None
                    if any(match(arg, a) is None for a in actual)
                    else (f"{path}: expected a list containing {_short(arg)}, got {_short(actual)}")
                )
            if isinstance(actual, dict) and isinstance(arg, str):
                return None if arg in actual else f"{path}: expected key {arg!r}, got keys {sorted(actual)}"
            return f"{path}: expected something containing {_short(arg)}, got {_short(actual)}"
        if op == "$regex":
            if isinstance(actual, str) and re.search(arg, actual):
                return None
            return f"{path}: expected text matching /{arg}/, got {_short(actual)}"
        if op == "$range":
            lo, hi = arg
            if isinstance(actual, int | float) and not isinstance(actual, bool) and lo <= actual <= hi:
                return None
            return f"{path}: expected a number in [{lo}, {hi}], got {_short(actual)}"
        if op == "$any_of":
            errs = [match(a, actual, path) for a in arg]
            return (
                None
                if any(e is None for e in errs)
                else (f"{path}: expected one of {_short(arg)}, got {_short(actual)}")
            )
        if op == "$not":
            return (
                f"{path}: expected not {_short(arg)}, got {_short(actual)}"
                if match(arg, actual) is None
                else None
            )
        if op == "$len":
            n = len(actual) if isinstance(actual, str | list | dict) else None
            if n is None:
                return f"{path}: expected something with a length, got {_short(actual)}"
            err = match(arg, n, f"#{path}")
            return None if err is None else err
        raise CheckError(f"unknown matcher {op!r}")  # validate_check stops this before scoring
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            # The report encodes an empty Lua table as [] (array) -- the same thing as {}.
            if actual == [] and not expected:
                return None
            return f"{path}: expected a table {_short(expected)}, got {_short(actual)}"
        for k, v in expected.items():
            err = match(v, actual.get(k), f"{path}.{k}")
            if err:
                return err
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            if actual == {} and not expected:
                return None
            return f"{path}: expected a list {_short(expected)}, got {_short(actual)}"
        if len(expected) != len(actual):
            return (
                f"{path}: expected {len(expected)} element(s) {_short(expected)}, "
                f"got {len(actual)} {_short(actual)}"
            )
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            err = match(e, a, f"{path}[{i + 1}]")
            if err:
                return err
        return None
    if isinstance(expected, bool) or expected is None:
        return None if actual is expected else f"{path}: expected {_short(expected)}, got {_short(actual)}"
    if isinstance(expected, int | float):
        if (
            isinstance(actual, int | float)
            and not isinstance(actual, bool)
            and math.isclose(expected, actual, abs_tol=1e-6)
        ):
            return None
        return f"{path}: expected {expected}, got {_short(actual)}"
    return None if expected == actual else f"{path}: expected {_short(expected)}, got {_short(actual)}"


def validate_matcher(m: Any, where: str) -> None:
    """Reject unknown operators and malformed operator arguments in a matcher tree."""
    if _is_op(m):
        op, arg = next(iter(m.items()))
        if op not in MATCH_OPS:
            raise CheckError(f"{where}: unknown matcher {op!r} (known: {', '.join(MATCH_OPS)})")
        if op == "$type" and arg not in LUA_TYPES:
            raise CheckError(f"{where}: $type must be one of {', '.join(LUA_TYPES)}")
        if op == "$range" and not (
            isinstance(arg, list) and len(arg) == 2 and all(isinstance(x, int | float) for x in arg)
        ):
            raise CheckError(f"{where}: $range takes [low, high]")
        if op == "$regex":
            try:
                re.compile(arg)
            except (re.error, TypeError) as exc:
                raise CheckError(f"{where}: bad $regex: {exc}") from None
        if op == "$any_of" and not (isinstance(arg, list) and arg):
            raise CheckError(f"{where}: $any_of takes a non-empty list")
        if op in ("$absent", "$present") and arg is not True:
            raise CheckError(f"{where}: {op} takes true")
        if op in ("$exact", "$not", "$len", "$contains"):
            validate_matcher(arg, f"{where}.{op}")
        if op == "$any_of":
            for i, a in enumerate(arg):
                validate_matcher(a, f"{where}.$any_of[{i}]")
        return
    if isinstance(m, dict):
        for k, v in m.items():
            if k.startswith("$"):
                raise CheckError(f"{where}: operator {k!r} must be the only key of its object")
            validate_matcher(v, f"{where}.{k}")
    elif isinstance(m, list):
        for i, v in enumerate(m):
            validate_matcher(v, f"{where}[{i}]")


# --------------------------------------------------------------------------- schema
