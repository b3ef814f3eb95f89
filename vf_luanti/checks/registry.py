"""Registry assertions: items, crafts, aliases, ABMs/LBMs, entities, commands, privileges and
callback counts, read from the load report (docs/tasks.md §3.2)."""

from __future__ import annotations

from typing import Any

from .base import CheckError
from .matchers import _short, match


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
        why = _craft_mismatch(c, near[0], reg.aliases)
        assert why is not None  # near[0] is one of the views, and none of them matched
        return "a craft for it exists but " + why
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
