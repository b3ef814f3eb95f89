"""Preservation: what the task input registered stays as it was in the answer, compared as the
engine sees definitions (defaults applied; docs/tasks.md §3.4)."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import Any

from .matchers import _short
from .registry import _craft_view, _item_string


@cache
def _item_defaults() -> dict[str, dict[str, Any]]:
    """The engine's definition defaults per item type, read from an empty world.

    register.lua puts them behind every item definition (``core.nodedef_default`` ...); the load
    report lists raw fields only, so preservation applies them here to compare what the engine sees.
    """
    from ..world import load_world

    return load_world([])[1].eval(
        "return {node = core.nodedef_default, craft = core.craftitemdef_default, "
        "tool = core.tooldef_default, none = core.noneitemdef_default}"
    )


def _effective_item(d: dict[str, Any]) -> dict[str, Any]:
    """An item definition as the engine reads it: its raw fields over its type's defaults, so a
    field written out with its default value and a field left out compare equal."""
    return {**(_item_defaults().get(d.get("type", "")) or {}), **d}


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
