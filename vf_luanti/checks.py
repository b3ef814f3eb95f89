"""The check language: plain-JSON checks, validated on task load and interpreted inside the worker.

Kinds (docs/tasks.md, "Checks", is the reference for item authors):

* registry assertions: ``item``, ``craft``, ``alias``, ``abm``, ``lbm``, ``entity``, ``chatcommand``,
  ``privilege``, ``callback``;
* ``scenario``: steps through the event driver (vf_luanti.world), with ``expect`` steps on the
  world, inventories, metadata, chat, HP and entities;
* ``preserve``: what the task input registers stays identical (refactor/repair);
* ``lua``: an assertion snippet run in the loaded mod's environment.

Every check has a human-readable ``desc``; a failing check's feedback says what was expected and
what was found. Values in checks are compared with the matcher language of ``match`` below.
"""

from __future__ import annotations

import json
import math
import re
import weakref
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from .intent import IntentError, check_code, validate_calls_check, validate_code_check

if TYPE_CHECKING:
    from .runtime import LuanRuntime

REGISTRY_KINDS = ("item", "craft", "alias", "abm", "lbm", "entity", "chatcommand", "privilege", "callback")
KINDS = (*REGISTRY_KINDS, "scenario", "preserve", "lua", "warnings", "code", "calls", "globals")
#: Kinds judged on the whole session after the soak (every load, scenario and server step).
SESSION_KINDS = ("warnings", "calls")
CRAFT_TYPES = ("shaped", "shapeless", "cooking", "fuel", "toolrepair")
ITEM_TYPES = ("node", "craft", "tool", "none")
#: The global callback lists a ``callback`` check may count (core.registered_<event>s).
CALLBACK_EVENTS = (
    "on_joinplayer",
    "on_leaveplayer",
    "on_newplayer",
    "on_dieplayer",
    "on_respawnplayer",
    "on_placenode",
    "on_dignode",
    "on_punchnode",
    "on_chat_message",
    "on_player_receive_fields",
    "on_craft",
    "on_item_eat",
    "on_punchplayer",
    "on_player_hpchange",
    "on_mods_loaded",
    "on_shutdown",
    "globalstep",
    "on_generated",
    "on_prejoinplayer",
    "on_protection_violation",
    "on_cheat",
    "on_priv_grant",
    "on_priv_revoke",
    "on_authplayer",
    "on_player_inventory_action",
)
MATCH_OPS = (
    "$exact",
    "$absent",
    "$present",
    "$type",
    "$contains",
    "$regex",
    "$range",
    "$any_of",
    "$not",
    "$len",
)
LUA_TYPES = ("function", "string", "number", "table", "boolean", "nil")
FUNCTION_JSON = "<function>"  # how the registry report encodes a function value
#: After its checks every world runs on as a server would (a later error would crash it): the first
#: SOAK_SECONDS of game time in the engine's dedicated-server steps, then up to SOAK_HORIZON in
#: coarse steps, jumping ahead while only timers are pending (World.soak).
SOAK_SECONDS, SOAK_DTIME, SOAK_HORIZON, SOAK_COARSE = 60.0, 0.09, 3600.0, 10.0


class CheckError(ValueError):
    """A check that does not follow the check language (raised on task load, never while scoring)."""


@dataclass
class CheckResult:
    """Outcome of one check: ``feedback`` says what was expected when it failed."""

    desc: str
    kind: str
    passed: bool
    feedback: str = ""
    baseline: bool = False  # the do-nothing answer passes it too (vf_luanti.scoring.task_credit)

    def to_dict(self) -> dict[str, Any]:
        return {"desc": self.desc, "kind": self.kind, "passed": self.passed, "feedback": self.feedback,
                "baseline": self.baseline}


# --------------------------------------------------------------------------- the matcher language


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
            return (f"{path}: expected {len(expected)} element(s) {_short(expected)}, "
                    f"got {len(actual)} {_short(actual)}")
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

_POS = "a position [x, y, z] of integers"


def _need(c: dict, key: str, types: type | tuple, what: str) -> Any:
    v = c.get(key)
    if (
        v is None
        or not isinstance(v, types)
        or (isinstance(v, bool) and bool not in (types if isinstance(types, tuple) else (types,)))
    ):
        raise CheckError(f"'{key}' must be {what}")
    return v


def _opt(c: dict, key: str, types: type | tuple, what: str) -> Any:
    return None if c.get(key) is None else _need(c, key, types, what)


def _is_pos(v: Any) -> bool:
    return (
        isinstance(v, list) and len(v) == 3 and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
    )


def _allowed(c: dict, keys: tuple[str, ...]) -> None:
    extra = sorted(set(c) - {"kind", "desc", *keys})
    if extra:
        raise CheckError(
            f"unknown key(s) {', '.join(extra)} for kind {c['kind']!r} (allowed: desc, {', '.join(keys)})"
        )


#: Scenario actions: name -> (required keys, optional keys). Semantics in docs/tasks.md.
ACTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "join": (("player",), ("privs",)),
    "leave": (("player",), ()),
    "set_node": (("pos", "node"), ("param2",)),
    "give": (("player", "item"), ()),
    "wield": (("player", "item"), ()),
    "place": (("player", "pos", "item"), ()),
    "dig": (("player", "pos"), ()),
    "punch_node": (("player", "pos"), ()),
    "rightclick_node": (("player", "pos"), ()),
    "use": (("player",), ("pos",)),
    "chat": (("player", "message"), ()),
    "run_abms": ((), ("times",)),
    "step": (("seconds",), ("dtime",)),
    "set_hp": (("player", "hp"), ()),
    "add_entity": (("pos", "name", "as"), ("staticdata",)),
    "punch_entity": (("player", "entity"), ()),
    "rightclick_entity": (("player", "entity"), ()),
    "receive_fields": (("player", "formname", "fields"), ()),
    "node_fields": (("player", "pos", "fields"), ("formname",)),
    "set_meta": (("pos", "key", "value"), ()),
    "move_item": (("player", "from", "to"), ("count",)),
    "lua": (("code",), ()),
}
#: Expectations: name -> (required keys, optional keys).
EXPECTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "node": (("pos",), ("name", "param2")),
    "meta": (("pos", "key", "value"), ()),
    "inventory": ((), ("pos", "player", "list", "contains", "lacks", "count", "size")),
    "chat": (("player",), ("contains", "lacks", "count", "message")),
    "hp": (("player", "value"), ()),
    "entity": (("entity",), ("alive", "hp", "name", "props", "fields")),
    "entity_count": (("name", "count"), ()),
    "formspec": (("player",), ("contains", "formname")),
    "command": (("player",), ("success", "message")),
    "wield": (("player", "item"), ()),
    "lua": (("code",), ()),
}


_SLOT = ('an inventory slot {"pos": [x, y, z] | "player": name | "detached": name, '
         '"list": str, "index": int >= 1}')


def _validate_slot(v: Any, where: str) -> None:
    owners = [k for k in ("pos", "player", "detached") if isinstance(v, dict) and k in v]
    if not (isinstance(v, dict) and len(owners) == 1 and set(v) == {owners[0], "list", "index"}
            and isinstance(v["list"], str) and v["list"] and isinstance(v["index"], int) and v["index"] >= 1
            and (_is_pos(v["pos"]) if owners[0] == "pos" else isinstance(v[owners[0]], str))):
        raise CheckError(f"{where}: must be {_SLOT}")


def _slot(v: dict[str, Any]) -> tuple[str, Any, str, int]:
    kind = "node" if "pos" in v else "player" if "player" in v else "detached"
    return kind, v.get("pos", v.get("player", v.get("detached"))), v["list"], v["index"]


def _validate_step(s: Any, where: str) -> None:
    if not isinstance(s, dict):
        raise CheckError(f"{where}: a step must be an object")
    if ("do" in s) == ("expect" in s):
        raise CheckError(f"{where}: a step has exactly one of 'do' (an action) or 'expect' (an assertion)")
    key = "do" if "do" in s else "expect"
    table = ACTIONS if key == "do" else EXPECTS
    name = s[key]
    if name not in table:
        raise CheckError(f"{where}: unknown {key} {name!r} (known: {', '.join(table)})")
    req, opt = table[name]
    missing = [k for k in req if k not in s]
    if missing:
        raise CheckError(f"{where}: {key} {name!r} needs {', '.join(missing)}")
    extra = sorted(set(s) - {key, "desc", *req, *opt})
    if extra:
        raise CheckError(f"{where}: {key} {name!r} does not take {', '.join(extra)}")
    for k in ("from", "to"):
        if k in s:
            _validate_slot(s[k], f"{where}.{k}")
    if "pos" in s and not _is_pos(s["pos"]):
        raise CheckError(f"{where}: 'pos' must be {_POS}")
    for k in ("player", "entity", "as", "node", "code", "message", "formname", "key"):
        if k == "message" and key == "expect":
            continue  # an expected message is a matcher (validated below)
        if k in s and not (isinstance(s[k], str) and s[k]):
            raise CheckError(f"{where}: '{k}' must be a non-empty string")
    if name == "inventory" and key == "expect":
        if ("pos" in s) == ("player" in s):
            raise CheckError(f"{where}: expect 'inventory' needs exactly one of 'pos' or 'player'")
        if not any(k in s for k in ("contains", "lacks", "count", "size")):
            raise CheckError(f"{where}: expect 'inventory' needs contains, lacks, count or size")
    if name == "chat" and key == "expect" and not set(s) & {"contains", "lacks", "count", "message"}:
        raise CheckError(f"{where}: expect 'chat' needs contains, lacks, count or message")
    for k in ("value", "name", "param2", "count", "size", "hp", "props", "fields", "item", "alive", "success",
              "message"):
        if k in s and key == "expect":
            validate_matcher(s[k], f"{where}.{k}")
    if "times" in s and not (isinstance(s["times"], int) and 1 <= s["times"] <= 1000):
        raise CheckError(f"{where}: 'times' must be an integer 1..1000")
    if "seconds" in s and not (isinstance(s["seconds"], int | float) and 0 < s["seconds"] <= 3600):
        raise CheckError(f"{where}: 'seconds' must be a number in (0, 3600]")
    if "dtime" in s and not (isinstance(s["dtime"], int | float) and 0.001 <= s["dtime"] <= 10):
        raise CheckError(f"{where}: 'dtime' must be a number in [0.001, 10]")


def validate_check(c: Any, family: str = "scaffold") -> None:
    """Raise CheckError when ``c`` is not a valid check (the message says which key and why)."""
    if not isinstance(c, dict):
        raise CheckError("a check must be a JSON object")
    kind = c.get("kind")
    if kind not in KINDS:
        raise CheckError(f"unknown kind {kind!r} (kinds: {', '.join(KINDS)})")
    desc = c.get("desc")
    if not isinstance(desc, str) or not desc.strip():
        raise CheckError("'desc' (a human-readable description) is required")
    if kind == "item":
        _allowed(c, ("name", "type", "fields", "absent"))
        _need(c, "name", str, "an item name")
        if c.get("type") is not None and c["type"] not in ITEM_TYPES:
            raise CheckError(f"'type' must be one of {', '.join(ITEM_TYPES)}")
        _opt(c, "fields", dict, "an object of field matchers")
        if c.get("absent") not in (None, True):
            raise CheckError("'absent' takes true")
        if c.get("absent") and (c.get("fields") or c.get("type")):
            raise CheckError("an 'absent' item check takes no fields or type")
        validate_matcher(c.get("fields") or {}, "fields")
    elif kind == "craft":
        _allowed(
            c,
            ("output", "type", "recipe", "cooktime", "burntime", "replacements", "count", "additional_wear"),
        )
        ctype = c.get("type", "shaped")
        if ctype not in CRAFT_TYPES:
            raise CheckError(f"'type' must be one of {', '.join(CRAFT_TYPES)}")
        if ctype not in ("fuel", "toolrepair"):
            _need(c, "output", str, 'an item string such as "mymod:thing 4"')
        if ctype in ("cooking", "fuel") and "recipe" in c:
            _need(c, "recipe", str, "an item name for cooking/fuel crafts")
        if (
            ctype == "shaped"
            and "recipe" in c
            and not (isinstance(c["recipe"], list) and all(isinstance(r, list) for r in c["recipe"]))
        ):
            raise CheckError("a shaped 'recipe' is a list of rows (lists of item names)")
        if ctype == "shapeless" and "recipe" in c and not isinstance(c["recipe"], list):
            raise CheckError("a shapeless 'recipe' is a list of item names")
        _opt(c, "count", int, "an integer (how many matching crafts exist)")
    elif kind == "alias":
        _allowed(c, ("name", "target"))
        _need(c, "name", str, "the alias name")
        _need(c, "target", str, "the item the alias points to")
    elif kind in ("abm", "lbm"):
        _allowed(c, ("nodenames", "neighbors", "interval", "chance", "label", "name", "count"))
        _need(c, "nodenames", list, "a list of node names or groups")
        for k in ("interval", "chance", "label", "name", "neighbors", "count"):
            if k in c:
                validate_matcher(c[k], k)
    elif kind in ("entity", "chatcommand", "privilege"):
        _allowed(c, ("name", "fields", "absent"))
        _need(c, "name", str, "a name")
        _opt(c, "fields", dict, "an object of field matchers")
        validate_matcher(c.get("fields") or {}, "fields")
        if c.get("absent") not in (None, True):
            raise CheckError("'absent' takes true")
    elif kind == "callback":
        _allowed(c, ("event", "count"))
        if c.get("event") not in CALLBACK_EVENTS:
            raise CheckError(f"'event' must be one of {', '.join(CALLBACK_EVENTS)}")
        validate_matcher(c.get("count", {"$range": [1, 1000]}), "count")
    elif kind == "scenario":
        _allowed(c, ("steps",))
        steps = _need(c, "steps", list, "a list of steps")
        if not any("expect" in s for s in steps if isinstance(s, dict)):
            raise CheckError("a scenario needs at least one 'expect' step")
        for i, s in enumerate(steps):
            _validate_step(s, f"steps[{i}]")
    elif kind == "preserve":
        _allowed(c, ("except", "except_fields"))
        if family not in ("refactor", "repair"):
            raise CheckError(
                "'preserve' checks belong to refactor and repair tasks (they compare with 'input')"
            )
        exc = c.get("except", [])
        if not (isinstance(exc, list) and all(isinstance(x, str) for x in exc)):
            raise CheckError("'except' must be a list of names")
        ef = c.get("except_fields", {})
        if not (isinstance(ef, dict) and all(isinstance(v, list) for v in ef.values())):
            raise CheckError("'except_fields' must map names to lists of field names")
    elif kind == "warnings":
        _allowed(c, ("lacks",))
        _opt(c, "lacks", str, "text no warning may contain (case-insensitive)")
    elif kind == "lua":
        _allowed(c, ("code",))
        _need(c, "code", str, "Lua code that returns true, or false/nil and a message")
    elif kind == "globals":
        _allowed(c, ("allowed",))
        allowed = c.get("allowed", [])
        if not (isinstance(allowed, list) and all(isinstance(x, str) for x in allowed)):
            raise CheckError("'allowed' must be a list of global names (the mod's own is always allowed)")
    elif kind == "code":
        _allowed(c, ("uses", "absent", "at_most", "loop"))
        _intent(validate_code_check, c)
    elif kind == "calls":
        _allowed(c, ("fn", "count"))
        _intent(validate_calls_check, c)
        validate_matcher(c.get("count", {"$range": [1, 10**9]}), "count")


def _intent(validate: Any, c: dict) -> None:
    try:
        validate(c)
    except IntentError as exc:
        raise CheckError(str(exc)) from None


# --------------------------------------------------------------------------- registry checks


def _item_string(s: str) -> tuple[str, int]:
    parts = s.split()
    if not parts:
        return "", 0
    try:
        count = int(parts[1]) if len(parts) > 1 else 1
    except ValueError:
        count = -1
    return parts[0].lstrip(":"), count


def _resolve(name: str, aliases: dict[str, str]) -> str:
    name = name.lstrip(":")
    return aliases.get(name, name)


def _shaped_grid(recipe: Any, aliases: dict[str, str]) -> list[list[str]] | None:
    """A shaped recipe cut to its bounding box (the engine matches it anywhere in the grid)."""
    if not isinstance(recipe, list) or not all(isinstance(r, list) for r in recipe):
        return None
    width = max((len(r) for r in recipe), default=0)
    grid = [[_resolve(str(x), aliases) if x else "" for x in r] + [""] * (width - len(r)) for r in recipe]
    rows = [i for i, r in enumerate(grid) if any(r)]
    cols = [j for j in range(width) if any(r[j] for r in grid)]
    if not rows:
        return []
    return [r[cols[0] : cols[-1] + 1] for r in grid[rows[0] : rows[-1] + 1]]


def _craft_view(d: dict, aliases: dict[str, str]) -> dict[str, Any]:
    """A registered craft in the shape craft checks are written in."""
    ctype = d.get("type") or "shaped"
    out: dict[str, Any] = {"type": ctype}
    if isinstance(d.get("output"), str):
        name, count = _item_string(d["output"])
        out["output"] = (_resolve(name, aliases), count)
    recipe = d.get("recipe")
    if ctype == "shaped":
        out["recipe"] = _shaped_grid(recipe, aliases)
    elif ctype == "shapeless":
        out["recipe"] = (
            sorted(_resolve(str(x), aliases) for x in recipe) if isinstance(recipe, list) else None
        )
    elif isinstance(recipe, str):
        out["recipe"] = _resolve(recipe, aliases)
    if ctype == "cooking":
        out["cooktime"] = d.get("cooktime", 3)
    if ctype == "fuel":
        out["burntime"] = d.get("burntime", 1)
    if ctype == "toolrepair":
        out["additional_wear"] = d.get("additional_wear", 0)
    if d.get("replacements") is not None:
        out["replacements"] = d["replacements"]
    return out


def _craft_mismatch(c: dict, view: dict, aliases: dict[str, str]) -> str | None:
    if view["type"] != c.get("type", "shaped"):
        return f"type is {view['type']}"
    if "output" in c:
        name, count = _item_string(c["output"])
        if view.get("output") != (_resolve(name, aliases), count):
            got = view.get("output")
            return f"output is {got[0]} {got[1]}" if got else "it has no output"
    if "recipe" in c:
        want = _craft_view({"type": c.get("type"), "recipe": c["recipe"]}, aliases)["recipe"]
        if view.get("recipe") != want:
            return f"recipe is {_short(view.get('recipe'))}, expected {_short(want)}"
    for k in ("cooktime", "burntime", "replacements", "additional_wear"):
        if k in c and match(c[k], view.get(k), k) is not None:
            return match(c[k], view.get(k), k)
    return None


def _names_cover(want: list[str], have: list[str]) -> bool:
    return set(want) <= set(have)


class Registry:
    """The load report's registry plus lazily fetched definitions the report lists by name only."""

    def __init__(self, registered: dict[str, Any], world: Any = None) -> None:
        self.r = registered
        self.world = world

    @property
    def aliases(self) -> dict[str, str]:
        return self.r.get("aliases") or {}

    def definition(self, table: str, name: str) -> Any:
        """``core.registered_<table>[name]`` as JSON (functions as "<function>"), read in the runtime."""
        if self.world is None:
            return None
        return self.world.registered(table, name)


def _check_registry(c: dict, reg: Registry) -> str | None:
    kind = c["kind"]
    r = reg.r
    if kind == "item":
        if c.get("absent"):  # the name itself, not what an alias makes of it
            return (
                None
                if c["name"] not in (r.get("items") or {})
                else (f"item {c['name']} should not be registered, but it is")
            )
        name = _resolve(c["name"], reg.aliases)
        d = (r.get("items") or {}).get(name)
        if d is None:
            return f"item {c['name']} is not registered"
        if c.get("type") and d.get("type") != c["type"]:
            return (
                f"item {c['name']}: expected type {c['type']!r} (registered with register_"
                f"{ {'craft': 'craftitem'}.get(c['type'], c['type']) }), got {d.get('type')!r}"
            )
        return match(c.get("fields") or {}, d, c["name"])
    if kind == "craft":
        views = [_craft_view(d, reg.aliases) for d in r.get("crafts") or [] if isinstance(d, dict)]
        hits = [v for v in views if _craft_mismatch(c, v, reg.aliases) is None]
        want = c.get("count")
        if want is not None:
            return None if len(hits) == want else f"expected {want} matching craft(s), found {len(hits)}"
        if hits:
            return None
        target = _item_string(c["output"])[0] if "output" in c else None
        near = [
            v for v in views if target and v.get("output") and v["output"][0] == _resolve(target, reg.aliases)
        ]
        if not near:
            what = f"output {c['output']}" if "output" in c else f"recipe {_short(c.get('recipe'))}"
            return f"no {c.get('type', 'shaped')} craft with {what} is registered"
        return "a craft for it exists but " + _craft_mismatch(c, near[0], reg.aliases)
    if kind == "alias":
        got = reg.aliases.get(c["name"])
        if got is None:
            return f"alias {c['name']} is not registered"
        return (
            None
            if got.lstrip(":") == c["target"]
            else f"alias {c['name']} points to {got}, expected {c['target']}"
        )
    if kind in ("abm", "lbm"):
        lst = [a for a in r.get(kind + "s") or [] if _names_cover(c["nodenames"], a.get("nodenames") or [])]
        if "count" in c and not lst:  # e.g. count 0: none may be registered
            return match(c["count"], 0, f"number of {kind.upper()}s on {c['nodenames']}")
        if not lst:
            return f"no {kind.upper()} on nodenames {c['nodenames']} is registered"
        errs = []
        for a in lst:
            err = next(
                (
                    e
                    for k in ("neighbors", "interval", "chance", "label", "name")
                    if k in c
                    for e in [match(c[k], a.get(k), f"{kind}.{k}")]
                    if e
                ),
                None,
            )
            if err is None:
                break
            errs.append(err)
        else:
            return errs[0]
        if "count" in c:
            return match(c["count"], len(lst), f"number of {kind.upper()}s on {c['nodenames']}")
        return None
    if kind in ("entity", "chatcommand", "privilege"):
        table = {"entity": "entities", "chatcommand": "chatcommands", "privilege": "privileges"}[kind]
        present = c["name"] in (r.get(table) or [])
        if c.get("absent"):
            return None if not present else f"{kind} {c['name']} should not be registered, but it is"
        if not present:
            return f"{kind} {c['name']} is not registered"
        if not c.get("fields"):
            return None
        return match(c["fields"], reg.definition(table, c["name"]), f"{kind} {c['name']}")
    if kind == "callback":
        n = reg.world.callback_count(c["event"]) if reg.world is not None else 0
        return match(c.get("count", {"$range": [1, 1000]}), n, f"number of register_{c['event']} callbacks")
    raise CheckError(f"not a registry kind: {kind}")


# --------------------------------------------------------------------------- preservation


@cache
def _item_defaults() -> dict[str, dict[str, Any]]:
    """The engine's definition defaults per item type, read from an empty world.

    register.lua puts them behind every item definition (``core.nodedef_default`` ...); the load
    report lists raw fields only, so preservation applies them here to compare what the engine sees.
    """
    from .world import load_world

    return load_world([])[1].eval(
        "return {node = core.nodedef_default, craft = core.craftitemdef_default, "
        "tool = core.tooldef_default, none = core.noneitemdef_default}"
    )


def _effective_item(d: dict[str, Any]) -> dict[str, Any]:
    """An item definition as the engine reads it: its raw fields over its type's defaults, so a
    field written out with its default value and a field left out compare equal."""
    return {**(_item_defaults().get(d.get("type")) or {}), **d}


def _registry_snapshot(r: dict, mod: str) -> dict[str, dict[str, Any]]:
    """Everything a registry holds, keyed by section and name, for comparison across two loads
    (items as effective definitions: engine defaults applied)."""
    snap: dict[str, dict[str, Any]] = {
        "item": {
            n: _effective_item(d)
            for n, d in (r.get("items") or {}).items()
            if d.get("mod_origin") in (mod, None) and ":" in n
        },
        "alias": dict(r.get("aliases") or {}),
        "entity": {n: True for n in r.get("entities") or []},
        "chatcommand": {n: True for n in r.get("chatcommands") or []},
        "privilege": {n: True for n in r.get("privileges") or []},
    }
    return snap


def _craft_key(d: dict, aliases: dict[str, str]) -> str:
    """A craft as the engine matches it (``_craft_view``: default type and times, shaped recipes cut
    to their bounding box, shapeless ones sorted), so equivalent spellings compare equal."""
    return json.dumps(_craft_view(d, aliases), sort_keys=True)


def _machine_key(x: dict) -> str:
    """An ABM/LBM without its label, its name lists order-free (the engine reads them as sets)."""
    return json.dumps(
        {k: sorted(v) if k in ("nodenames", "neighbors") else v for k, v in x.items() if k != "label"},
        sort_keys=True,
    )


def check_preserve(c: dict, before: dict, after: dict, mod: str) -> str | None:
    """Everything ``before`` (the input's registry) had stays identical in ``after``, except as allowed.

    Items compare as effective definitions (engine defaults applied) and crafts as the engine matches
    them: writing a default value out, or spelling a recipe differently, changes nothing in the game.
    """
    skip = set(c.get("except", []))
    skip_fields = {k: set(v) for k, v in (c.get("except_fields") or {}).items()}
    b, a = _registry_snapshot(before, mod), _registry_snapshot(after, mod)
    for section, entries in b.items():
        for name, d in entries.items():
            if name in skip:
                continue
            if name not in a[section]:
                return f"{section} {name} (registered by the input) is missing"
            if section == "item":
                ignore = skip_fields.get(name, set())
                d2 = a[section][name]
                for k in sorted(set(d) | set(d2)):
                    if k in ignore:
                        continue
                    if d.get(k) != d2.get(k):
                        return (
                            f"item {name}: field {k} changed from {_short(d.get(k))} to "
                            f"{_short(d2.get(k))}, but the task does not ask to change it"
                        )
            elif section == "alias" and a[section][name] != d:
                return f"alias {name} now points to {a[section][name]} instead of {d}"

    def crafts(reg: dict) -> Counter:
        aliases = reg.get("aliases") or {}
        return Counter(
            _craft_key(x, aliases)
            for x in reg.get("crafts") or []
            if _item_string(str(x.get("output", "")))[0] not in skip and str(x.get("recipe")) not in skip
        )

    lost = crafts(before) - crafts(after)
    if lost:
        return f"a craft of the input is gone or changed: {_short(json.loads(next(iter(lost))))}"

    def machines(reg: dict, kind: str) -> Counter:
        return Counter(
            _machine_key(x) for x in reg.get(kind) or [] if not set(x.get("nodenames") or []) & skip
        )

    for kind in ("abms", "lbms"):
        lost = machines(before, kind) - machines(after, kind)
        if lost:
            gone = _short(json.loads(next(iter(lost))))
            return f"an {kind[:-1].upper()} of the input is gone or changed: {gone}"
    return None


# --------------------------------------------------------------------------- runner


def describe(c: dict) -> str:
    return c["desc"].strip()


def run_check(c: dict, reg: Registry, world: Any, ctx: dict[str, Any]) -> CheckResult:
    """Run one check; any exception inside becomes a failed check with the reason."""
    kind = c["kind"]
    try:
        if kind in REGISTRY_KINDS:
            err = _check_registry(c, reg)
        elif kind == "preserve":
            before = ctx.get("input_registered")
            err = (
                "the task input did not load, so nothing can be compared"
                if before is None
                else check_preserve(c, before, reg.r, ctx["mod_name"])
            )
        elif kind == "lua":
            err = world.assert_lua(c["code"])
        elif kind == "scenario":
            err = world.run_scenario(c["steps"])
        else:
            raise CheckError(f"unknown kind {kind!r}")
    except _StepFailed as exc:
        err = str(exc)
    except Exception as exc:  # a broken mod can make the driver raise; that is a failed check
        err = f"the check could not run: {type(exc).__name__}: {exc}"
    return outcome(c, err)


def outcome(c: dict, err: str | None) -> CheckResult:
    """The result of check ``c`` given what was wrong (None: it passed)."""
    if err is None:
        return CheckResult(describe(c), c["kind"], True)
    return CheckResult(describe(c), c["kind"], False, f"{describe(c)} -- {err}")


# --------------------------------------------------------------------------- the session (in the worker)

#: callback event -> the core table holding its callbacks (most are the event name plus "s").
_CALLBACK_TABLES = {e: f"registered_{e}s" for e in CALLBACK_EVENTS} | {
    "on_mods_loaded": "registered_on_mods_loaded",
    "on_shutdown": "registered_on_shutdown",
    "on_player_receive_fields": "registered_on_player_receive_fields",
    "on_protection_violation": "registered_on_protection_violation",
    "on_priv_grant": "registered_on_priv_grant",
    "on_priv_revoke": "registered_on_priv_revoke",
    "globalstep": "registered_globalsteps",
}
_LEVEL_PREFIX = re.compile(r"^[A-Z]+\[\w+\]: ")


def lua_literal(v: Any) -> str:
    """A JSON value as a Lua expression (for driver calls the World API has no method for)."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid Lua escapes for \", \\, \n, \t, \uXXXX aside
    if isinstance(v, list):
        return "{" + ", ".join(lua_literal(x) for x in v) + "}"
    return "{" + ", ".join(f"[{json.dumps(str(k))}] = {lua_literal(x)}" for k, x in v.items()) + "}"


def _pos_lua(p: list[int]) -> str:
    return f"{{x = {p[0]}, y = {p[1]}, z = {p[2]}}}"


def _item_count(stacks: list[str], item: str) -> int:
    name = item.split()[0].lstrip(":")
    return sum(max(_item_string(s)[1], 0) for s in stacks if s and _item_string(s)[0] == name)


class CheckWorld:
    """One loaded copy of the completion: the registry, a World over it, and what it recorded."""

    def __init__(self, code: str, mod_name: str, luanti_version: str | None = None,
                 runtime: LuanRuntime | None = None, observe: tuple[str, ...] = ()) -> None:
        from .mods import mod_from_source
        from .runtime import STARTUP_STEPS
        from .world import load_world

        self.report, self.world = load_world([mod_from_source(code, name=mod_name)],
                                             luanti_version=luanti_version, runtime=runtime,
                                             startup_steps=STARTUP_STEPS, observe=observe)
        # A proxy, not a reference cycle: the Lua state is then freed as soon as the session drops
        # this world (the pool does it between jobs), not by the cycle collector in a later job.
        self.registry = Registry(self.report.registered, weakref.proxy(self))
        self.entities: dict[str, int | None] = {}
        self.commands: dict[str, dict[str, Any]] = {}  # player -> what their last chat command returned
        self._errors_seen = len(self.report.errors)

    # registry reads for Registry ------------------------------------------------------------
    def registered(self, table: str, name: str) -> Any:
        return self.world.eval(f"return minetest.registered_{table}[{json.dumps(name)}]")

    def callback_count(self, event: str) -> int:
        """Callbacks of ``event`` that mod code registered (the engine's record of who registered
        each, taken at registration: no chunk name or engine-made closure can hide one)."""
        table = _CALLBACK_TABLES[event]
        return int(self.world.runtime.call_json("mod_callback_count", table)["count"])

    def global_names(self) -> tuple[list[str], bool]:
        """The names in the mods' global table, read raw, and whether a mod replaced or changed
        the table's metatable (which can hide globals: the judge counts that as a global)."""
        res = self.world.runtime.call_json("global_names")
        return [str(n) for n in res.get("names") or []], bool(res.get("metatable_replaced"))

    def new_errors(self) -> list[str]:
        errs = self.world.errors(self._errors_seen)
        self._errors_seen += len(errs)
        return [str(e) for e in errs]

    def warnings(self) -> list[str]:
        return [str(w) for w in self.world.warnings()]

    # lua assertions ---------------------------------------------------------------------------
    def assert_lua(self, code: str) -> str | None:
        """Run an assertion snippet: it passes when it returns true; else its second value is the reason."""
        from .world import WorldError

        wrapped = (
            "local ok, msg = (function()\n" + code + "\nend)()\n"
            "return {ok = ok == true, msg = msg ~= nil and tostring(msg) or nil, got = ok}"
        )
        try:
            res = self.world.eval(wrapped) or {}
        except WorldError as exc:
            return f"the assertion raised an error: {exc}"
        if res.get("ok") is True:
            return None
        return f"assertion returned {_short(res.get('got'))}" + (f": {res['msg']}" if res.get("msg") else "")

    # scenarios --------------------------------------------------------------------------------
    def run_scenario(self, steps: list[dict[str, Any]]) -> str | None:
        for n, s in enumerate(steps, 1):
            what = s.get("do") or s.get("expect")
            label = s.get("desc") or f"step {n} ({'do' if 'do' in s else 'expect'} {what})"
            if "do" in s:
                err = self._do(s)
                errs = self.new_errors()
                if err is None and errs:
                    err = "the mod raised an error: " + errs[0]
            else:
                err = self._expect(s)
            if err:
                return f"{label}: {err}"
        return None

    def _entity(self, handle: str) -> int:
        if handle not in self.entities:
            raise CheckError(f"no entity was added 'as' {handle!r} before this step")
        eid = self.entities[handle]
        if eid is None:
            raise _StepFailed(f"entity {handle!r} was removed when it was added")
        return eid

    def _do(self, s: dict[str, Any]) -> str | None:
        w = self.world
        act = s["do"]
        if act == "join":
            res = w.join_player(s["player"], s.get("privs"))
            return None if res.get("ok") else f"player {s['player']} could not join: {res.get('refused')}"
        if act == "leave":
            w.leave_player(s["player"])
        elif act == "set_node":
            w.set_node(s["pos"], s["node"], s.get("param2", 0))
        elif act == "give":
            w.give_item(s["player"], s["item"])
        elif act == "wield":
            w.set_wielded(s["player"], s["item"])
        elif act == "place":
            w.set_wielded(s["player"], s["item"])
            w.place_node(s["player"], s["pos"])
        elif act == "dig":
            w.dig_node(s["player"], s["pos"])
        elif act == "punch_node":
            w.punch_node(s["player"], s["pos"])
        elif act == "rightclick_node":
            w.rightclick_node(s["player"], s["pos"])
        elif act == "use":
            w.use_item(s["player"], s.get("pos"))
        elif act == "chat":
            if s["message"].startswith("/"):
                res = w.chat_command(s["player"], s["message"])
                self.commands[s["player"]] = {"success": res.get("success"), "message": res.get("message")}
            else:
                w.say(s["player"], s["message"])
        elif act == "run_abms":
            w.run_abms(s.get("times", 1))
        elif act == "step":
            w.step(s["seconds"], s.get("dtime", 0.1))
        elif act == "set_hp":
            w.set_hp(s["player"], s["hp"])
        elif act == "add_entity":
            self.entities[s["as"]] = w.add_entity(s["pos"], s["name"], s.get("staticdata", ""))
        elif act == "punch_entity":
            w.punch_entity(self._entity(s["entity"]), s["player"])
        elif act == "rightclick_entity":
            w.rightclick_entity(self._entity(s["entity"]), s["player"])
        elif act == "set_meta":
            w.set_meta_string(s["pos"], s["key"], str(s["value"]))
        elif act == "move_item":
            w.move_item(s["player"], _slot(s["from"]), _slot(s["to"]), s.get("count", 0))
        elif act == "receive_fields":
            # the engine's order: callbacks in reverse registration order until one returns true
            return self._eval_action(
                f"local p = minetest.get_player_by_name({json.dumps(s['player'])}) "
                f"for _, f in ipairs(minetest.registered_on_player_receive_fields) do "
                f"if f(p, {json.dumps(s['formname'])}, {lua_literal(s['fields'])}) then break end end"
            )
        elif act == "node_fields":
            return self._eval_action(
                f"local pos = {_pos_lua(s['pos'])} "
                "local def = minetest.registered_nodes[minetest.get_node(pos).name] "
                "if def and def.on_receive_fields then def.on_receive_fields(pos, "
                f"{json.dumps(s.get('formname', ''))}, {lua_literal(s['fields'])}, "
                f"minetest.get_player_by_name({json.dumps(s['player'])})) end"
            )
        elif act == "lua":
            return self._eval_action(s["code"], as_mod=True)
        return None

    def _eval_action(self, code: str, as_mod: bool = False) -> str | None:
        from .world import WorldError

        try:
            self.world.eval(code, as_mod)
        except WorldError as exc:
            return f"raised an error: {exc}"
        return None

    def _expect(self, s: dict[str, Any]) -> str | None:
        from .world import WorldError

        w = self.world
        exp = s["expect"]
        if exp == "node":
            node = w.get_node(s["pos"])
            for k in ("name", "param2"):
                if k in s:
                    err = match(s[k], node.get(k), f"node at {tuple(s['pos'])}.{k}")
                    if err:
                        return err
            return None
        if exp == "meta":
            fields = w.get_meta(s["pos"])["fields"]
            return match(s["value"], fields.get(s["key"], ""), f"meta {s['key']!r} at {tuple(s['pos'])}")
        if exp == "inventory":
            inv = w.get_inventory("node", s["pos"]) if "pos" in s else w.get_inventory("player", s["player"])
            lname = s.get("list", "main")
            where = f"inventory list {lname!r} of " + (
                f"node {tuple(s['pos'])}" if "pos" in s else s["player"]
            )
            stacks = inv.get(lname)
            if stacks is None:
                return f"{where}: the list does not exist (lists: {sorted(inv)})"
            stacks = _list_of(stacks)
            if "size" in s and (err := match(s["size"], len(stacks), f"size of {where}")):
                return err
            if "contains" in s:
                need = max(_item_string(s["contains"])[1], 1)
                have = _item_count(stacks, s["contains"])
                if have < need:
                    found = _short([x for x in stacks if x])
                    return f"{where}: expected at least {s['contains']}, found {have} ({found})"
            if "lacks" in s:
                limit = max(_item_string(s["lacks"])[1], 1)
                have = _item_count(stacks, s["lacks"])
                if have >= limit:
                    return f"{where}: expected fewer than {limit} of {s['lacks'].split()[0]}, found {have}"
            if "count" in s:
                total = sum(max(_item_string(x)[1], 0) for x in stacks if x)
                return match(s["count"], total, f"number of items in {where}")
            return None
        if exp == "chat":
            msgs = [m["message"] for m in w.chat_log() if m.get("to") in (s["player"], "*")]
            shown = _short(msgs[-5:], 300)
            if "contains" in s:
                hits = [m for m in msgs if s["contains"] in m]
                if "count" in s:
                    return match(
                        s["count"],
                        len(hits),
                        f"number of chat messages to {s['player']} "
                        f"containing {s['contains']!r} (messages: {shown})",
                    )
                if not hits:
                    return f"no chat message to {s['player']} contains {s['contains']!r}; messages: {shown}"
            elif "count" in s and (
                err := match(s["count"], len(msgs), f"number of chat messages to {s['player']}")
            ):
                return err
            if "message" in s and all(match(s["message"], m) for m in msgs):
                return f"no chat message to {s['player']} matches {_short(s['message'])}; messages: {shown}"
            if "lacks" in s and any(s["lacks"] in m for m in msgs):
                return (f"a chat message to {s['player']} contains {s['lacks']!r}, expected none; "
                        f"messages: {shown}")
            return None
        if exp == "hp":
            return match(s["value"], w.player(s["player"]).get("hp"), f"HP of {s['player']}")
        if exp == "wield":
            wielded = w.player(s["player"]).get("wielded") or ""
            return match(s["item"], wielded, f"item wielded by {s['player']}")
        if exp == "entity":
            eid = (
                self.entities.get(s["entity"]) if s["entity"] in self.entities else self._entity(s["entity"])
            )
            try:
                state = w.entity(eid) if eid is not None else {"removed": True}
            except WorldError:
                state = {"removed": True}
            alive = not state.get("removed")
            if "alive" in s and (err := match(s["alive"], alive, f"entity {s['entity']!r} alive")):
                return err
            if not alive and any(k in s for k in ("hp", "name", "fields", "props")):
                return f"entity {s['entity']!r} was removed"
            for k in ("hp", "name", "fields", "props"):
                if k in s and (err := match(s[k], state.get(k), f"entity {s['entity']!r}.{k}")):
                    return err
            return None
        if exp == "entity_count":
            n = sum(1 for o in w.objects() if o.get("name") == s["name"] and not o.get("removed"))
            return match(s["count"], n, f"number of {s['name']} entities")
        if exp == "formspec":
            shown = w.shown_formspec(s["player"])
            if shown is None:
                return f"no formspec was shown to {s['player']}"
            if "formname" in s and (err := match(s["formname"], shown.get("formname"), "formspec name")):
                return err
            if "contains" in s:
                return match({"$contains": s["contains"]}, shown.get("spec"), "formspec")
            return None
        if exp == "command":
            last = self.commands.get(s["player"])
            if last is None:
                return f"{s['player']} ran no chat command before this step"
            for k in ("success", "message"):
                if k in s and (err := match(s[k], last.get(k), f"the last command's returned {k}")):
                    return err
            return None
        if exp == "lua":
            return self.assert_lua(s["code"])
        raise CheckError(f"unknown expectation {exp!r}")


class _StepFailed(Exception):
    """A scenario step that cannot go on (its entity is gone); the message is the feedback."""


def _list_of(v: Any) -> list[str]:
    return [] if v in (None, {}) else [str(x) for x in v]


@cache
def baseline_globals() -> frozenset[str]:
    """Global names an empty mod set leaves in the mods' environment (everything else is the mod's)."""
    from .world import load_world

    names = load_world([])[1].runtime.call_json("global_names").get("names") or []
    return frozenset(str(n) for n in names)


@lru_cache(maxsize=256)
def _input_registry(code: str, mod_name: str, luanti_version: str | None) -> dict | None:
    """The registry of a task's input, or None when it does not load; loaded once per worker.

    Every completion of a task is compared with the same input, which is task data, not a
    sample, so reusing its load carries nothing from one sample to the next. Callers only read it.
    """
    cw = CheckWorld(code, mod_name, luanti_version)
    return cw.report.registered if cw.report.ok else None


class CheckSession:
    """Everything one completion's checks need: the first load, fresh loads for scenarios, the input."""

    def __init__(self, task: Any, code: str) -> None:
        self.task = task
        self.code = code
        self.main = self._load(code)
        report = self.main.report
        self.loaded_ok = report.ok
        self.load_errors = [str(e) for e in report.errors]
        self._worlds = [self.main]
        self._new_globals: list[str] | None = None
        self.crash: str | None = None  # the engine's message when the server would have crashed
        self._soaked = False

    @property
    def warnings(self) -> list[str]:
        """Distinct warnings from every load of this session (load time and scenario runs)."""
        seen: dict[str, None] = {}
        for cw in self._worlds:
            for wmsg in cw.warnings():
                seen.setdefault(wmsg)
        return list(seen)

    @property
    def output(self) -> list[str]:
        """Debug output of every load of this session, at load time and while the checks and the
        soak ran (print by any alias, core.log without a level): lines the engine would print."""
        return [line for cw in self._worlds for line in cw.world.output() if not _LEVEL_PREFIX.match(line)]

    def _load(self, code: str, runtime: LuanRuntime | None = None) -> CheckWorld:
        """A fresh world with ``code`` loaded as the task's mod, for the task's Luanti version,
        counting the calls the task's ``calls`` checks ask about."""
        observe = tuple(dict.fromkeys(c["fn"] for c in self.task.checks if c["kind"] == "calls"))
        return CheckWorld(code, self.task.mod_name, self.task.luanti_version, runtime, observe)

    def new_globals(self) -> list[str]:
        """Globals the mod created while loading (read before any scenario runs in the main world)."""
        if self._new_globals is None:
            names, replaced = self.main.global_names()
            found = set(names) - baseline_globals() - {self.task.mod_name}
            if replaced:
                found.add("(a replaced metatable of _G)")
            self._new_globals = sorted(found)
        return self._new_globals

    def run_all(self) -> list[CheckResult]:
        """Run every check; scenarios each get a freshly loaded world so they cannot affect one another.

        The checks on the main world run first, then the scenarios, then ``warnings`` checks (they
        see the warnings of every scenario run). The last scenario runs in the main world itself
        when nothing has changed it since its load (no ``lua`` check ran there): that world is
        exactly what a fresh load would give, and one load fewer per sample. The other scenarios
        load into sibling worlds of the main world's Lua state (``LuanRuntime.sibling``).
        """
        checks = self.task.checks
        rank = {"scenario": 1} | dict.fromkeys(SESSION_KINDS, 2)
        order = sorted(range(len(checks)), key=lambda i: rank.get(checks[i]["kind"], 0))
        scenarios = [i for i in order if checks[i]["kind"] == "scenario"]
        reuse_main = scenarios[-1] if scenarios and not any(c["kind"] == "lua" for c in checks) else None
        results: dict[int, CheckResult] = {}
        for i in order:
            c = checks[i]
            if c["kind"] in SESSION_KINDS:
                if not self._soaked:
                    self._soak()
                results[i] = self._session_check(c)
                continue
            cw = self.main
            if i == reuse_main:
                self.new_globals()
            elif c["kind"] == "scenario":  # a new world beside the main one, in its Lua state
                cw = self._load(self.code, self.main.world.runtime.sibling())
                self._worlds.append(cw)
            ctx = {"mod_name": self.task.mod_name}
            if c["kind"] == "preserve":
                ctx["input_registered"] = _input_registry(self.task.input, self.task.mod_name,
                                                          self.task.luanti_version)
            if c["kind"] in ("globals", "code"):
                results[i] = outcome(c, self._own_check(c))
                continue
            results[i] = run_check(c, cw.registry, cw, ctx)
        if not self._soaked:
            self._soak()
        return [results[i] for i in range(len(checks))]

    def _soak(self) -> None:
        """Every world runs on as a server would after its checks (an hour of game time): a runtime
        error there (a late ``after`` job, a globalstep, an entity step) would crash the real server,
        so it is recorded in ``crash`` and the sample cannot pass."""
        self._soaked = True
        for cw in self._worlds:
            errs = cw.world.soak(SOAK_SECONDS, SOAK_DTIME, SOAK_HORIZON, SOAK_COARSE)
            if errs and self.crash is None:
                self.crash = str(errs[0])

    def _own_check(self, c: dict) -> str | None:
        """``code``: the answer's text; ``globals``: the main world right after loading."""
        if c["kind"] == "code":
            return check_code(c, self.code)
        extra = [g for g in self.new_globals() if g not in c.get("allowed", [])]
        return f"the mod creates the global(s) {', '.join(extra[:8])}" if extra else None

    def _session_check(self, c: dict) -> CheckResult:
        """A check on the whole session: ``warnings`` (every warning recorded) or ``calls`` (the
        calls of an engine function in every world)."""
        if c["kind"] == "calls":
            n = sum(cw.world.call_counts().get(c["fn"], 0) for cw in self._worlds)
            want = c.get("count", {"$range": [1, 10**9]})
            return outcome(c, match(want, n, f"number of calls of {c['fn']}"))
        lacks = c.get("lacks")
        bad = [w for w in self.warnings if lacks is None or lacks.lower() in w.lower()]
        if not bad:
            return CheckResult(describe(c), c["kind"], True)
        return CheckResult(
            describe(c), c["kind"], False, f"{describe(c)} -- {len(bad)} warning(s) recorded, e.g. {bad[0]}"
        )
