"""Validating checks on task load: every problem names the key and says what is expected (a bad check
never reaches a worker)."""

from __future__ import annotations

import re
from typing import Any

from .base import CALLBACK_EVENTS, CRAFT_TYPES, ITEM_TYPES, KINDS, CheckError
from .cases import player_name_pattern, validate_templates
from .intent import IntentError, validate_calls_check, validate_code_check
from .matchers import validate_matcher
from .steps import ACTIONS, EXPECTS

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


_SLOT = (
    'an inventory slot {"pos": [x, y, z] | "player": name | "detached": name, "list": str, "index": int >= 1}'
)


def _validate_slot(v: Any, where: str) -> None:
    owners = [k for k in ("pos", "player", "detached") if isinstance(v, dict) and k in v]
    if not (
        isinstance(v, dict)
        and len(owners) == 1
        and set(v) == {owners[0], "list", "index"}
        and isinstance(v["list"], str)
        and v["list"]
        and isinstance(v["index"], int)
        and v["index"] >= 1
        and (_is_pos(v["pos"]) if owners[0] == "pos" else isinstance(v[owners[0]], str))
    ):
        raise CheckError(f"{where}: must be {_SLOT}")


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
    req, opt = table[name].required, table[name].optional
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
    if name == "join" and isinstance(s["player"], str) and not player_name_pattern.match(s["player"]):
        raise CheckError(
            f"{where}: join 'player' {s['player']!r} is not a name the engine accepts "
            "(letters, digits, '-' and '_', 1 to 20 characters)"
        )
    if name == "inventory" and key == "expect":
        if ("pos" in s) == ("player" in s):
            raise CheckError(f"{where}: expect 'inventory' needs exactly one of 'pos' or 'player'")
        if not any(k in s for k in ("contains", "lacks", "count", "size")):
            raise CheckError(f"{where}: expect 'inventory' needs contains, lacks, count or size")
    if name == "chat" and key == "expect" and not set(s) & {"contains", "lacks", "count", "message"}:
        raise CheckError(f"{where}: expect 'chat' needs contains, lacks, count or message")
    for k in (
        "value",
        "name",
        "param2",
        "count",
        "size",
        "hp",
        "props",
        "fields",
        "item",
        "alive",
        "success",
        "message",
    ):
        if k in s and key == "expect":
            validate_matcher(s[k], f"{where}.{k}")
    if "storage" in s and not (
        isinstance(s["storage"], dict)
        and s["storage"]
        and all(
            isinstance(k, str) and k and (v is None or isinstance(v, str)) for k, v in s["storage"].items()
        )
    ):
        raise CheckError(f"{where}: 'storage' must map keys to a string (set) or null (removed)")
    if "mod" in s and not (isinstance(s["mod"], str) and s["mod"]):
        raise CheckError(f"{where}: 'mod' must be a non-empty string")
    if "times" in s and not (isinstance(s["times"], int) and 1 <= s["times"] <= 1000):
        raise CheckError(f"{where}: 'times' must be an integer 1..1000")
    if "seconds" in s and not (isinstance(s["seconds"], int | float) and 0 < s["seconds"] <= 3600):
        raise CheckError(f"{where}: 'seconds' must be a number in (0, 3600]")
    if "dtime" in s and not (isinstance(s["dtime"], int | float) and 0.001 <= s["dtime"] <= 10):
        raise CheckError(f"{where}: 'dtime' must be a number in [0.001, 10]")


#: Most stand-in mods one scenario may load.
MAX_STAND_INS = 4


def _validate_stand_ins(mods: Any) -> None:
    """A scenario's ``mods``: stand-ins for mods the task's mod may use (optional dependencies)."""
    if not isinstance(mods, list) or len(mods) > MAX_STAND_INS:
        raise CheckError(f"'mods' must be a list of at most {MAX_STAND_INS} stand-in mods")
    names = set()
    for i, m in enumerate(mods):
        if not (
            isinstance(m, dict)
            and set(m) == {"name", "code"}
            and isinstance(m["code"], str)
            and isinstance(m["name"], str)
            and re.fullmatch(r"[a-z0-9_]+", m["name"])
        ):
            raise CheckError(f'mods[{i}]: must be {{"name": a mod name of [a-z0-9_], "code": its init.lua}}')
        if m["name"] in names:
            raise CheckError(f"mods[{i}]: mod {m['name']!r} is given twice")
        names.add(m["name"])


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
        _allowed(c, ("steps", "mods", "vars"))
        _validate_stand_ins(c.get("mods", []))
        steps = _need(c, "steps", list, "a list of steps")
        if not any("expect" in s for s in steps if isinstance(s, dict)):
            raise CheckError("a scenario needs at least one 'expect' step")
        # generated values (checks/cases.py): the steps are validated as one sample binds them
        for i, s in enumerate(validate_templates(steps, c.get("vars"))):
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
        _allowed(c, ("fn", "count", "sites", "lines", "during"))
        _intent(validate_calls_check, c)
        if c.get("during", "after") != "after":
            raise CheckError("'during' takes \"after\" (count only the calls made by core.after jobs)")
        validate_matcher(c.get("count", {"$range": [1, 10**9]}), "count")
        for key in ("sites", "lines"):
            if key in c:
                validate_matcher(c[key], key)


def _intent(validate: Any, c: dict) -> None:
    try:
        validate(c)
    except IntentError as exc:
        raise CheckError(str(exc)) from None


# --------------------------------------------------------------------------- registry checks
