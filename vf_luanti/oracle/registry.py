"""The engine's registry in the shape of ``vf-luanti check --json``'s "registered" section, and the
normal form both registries are compared in."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..load_report import LoadReport
from ..loading import CHECK_LIMITS, run_mods
from ..mods import discover
from .run import OracleError, run_engine

# ---------------------------------------------------------------------------------------------
# The registry, in the shape of `vf-luanti check --json`'s "registered" section


_LIST_SECTIONS = ("crafts", "abms", "lbms", "entities", "chatcommands", "privileges")


@functools.cache
def _engine_registry_cached(game: str, mods: tuple[str, ...], timeout: float) -> str:
    run = run_engine(mods, game=game, dump=True, steps=0, timeout=timeout)
    data = run.outputs.get("vfl_registry.json")
    if run.exit_code != 0 or data is None:
        raise OracleError(
            f"the engine did not load {game} + {list(mods)} (exit {run.exit_code}):\n"
            + "\n".join(run.errors[:20])
        )
    return data.decode("utf-8", errors="replace")


def engine_registry(
    game: str | Path = "minetest_game", mods: Sequence[str | Path] = (), timeout: float = 60.0
) -> dict[str, Any]:
    """The engine's registry after loading ``game`` and ``mods`` (cached: each run starts the engine).

    Same shape as the emulation's report: items (raw definition fields, functions as
    "<function>"), aliases, crafts (as the engine reports recipes, see ``craft_normal_form``),
    abms, lbms, and sorted name lists of entities, chat commands and privileges. Raises
    ``OracleError`` when the mods do not load cleanly.
    """
    reg = json.loads(_engine_registry_cached(str(game), tuple(str(m) for m in mods), timeout))
    for key in _LIST_SECTIONS:  # the dumper's encoder writes an empty table as {}
        if reg.get(key) == {}:
            reg[key] = []
    return reg


#: The vfl_oracle dumper's recipe listing, run in the emulation as check code (the API as it was
#: before the mods): every registered item's recipes and ""'s, through core.get_all_craft_recipes.
_LIST_CRAFTS = r"""
local names = {}
for name in next, core.registered_items do
    if type(name) == "string" then names[#names + 1] = name end
end
table.sort(names)
if not core.registered_items[""] then table.insert(names, 1, "") end
local out = {}
for _, name in ipairs(names) do
    for _, r in ipairs(core.get_all_craft_recipes(name) or {}) do
        local items = {}
        for i = 1, table.maxn(r.items or {}) do items[i] = r.items[i] or "" end
        out[#out + 1] = {method = r.method, width = r.width, output = r.output, items = items}
    end
end
return core.write_json(out)
"""


def emulation_check(paths: Sequence[str | Path], game: str | Path | None = None) -> LoadReport:
    """``vf_luanti.check`` (in this process), its registry's crafts listed as the engine's dump lists
    them: the recipes ``core.get_all_craft_recipes`` gives for each registered item and for "".

    The engine cannot enumerate its recipes, and what it lists is its lookup, not the definitions: a
    recipe sits under its output's name as resolved when it was registered (one made for an alias
    registered later is listed under no item), and its items go through one level of alias as they
    are listed. The report's own list holds every definition as registered; this one is the same
    lookup in the emulation, so both sides show the same recipes.
    """
    mods = []
    if game is not None:
        for m in discover(Path(game)):
            m.group = 0
            mods.append(m)
    for i, p in enumerate(paths):
        for m in discover(Path(p)):
            m.order = (i, *m.order)
            mods.append(m)
    report, rt = run_mods(mods, CHECK_LIMITS)
    res = json.loads(rt.call("eval", _LIST_CRAFTS))
    if not res.get("ok"):
        raise OracleError(f"listing the emulation's recipes failed: {res.get('error')}")
    listed = json.loads(res["value"])  # an empty list may come back as null or {}
    report.registered = {**report.registered, "crafts": listed if isinstance(listed, list) else []}
    return report


def _stack_name(itemstring: str) -> tuple[str, list[str]]:
    parts = itemstring.split()
    return (parts[0] if parts else ""), parts[1:]


def craft_normal_form(
    craft: dict[str, Any], aliases: dict[str, str], items: Iterable[str]
) -> dict[str, Any] | None:
    """One craft in the form both sides are compared in, or None when the engine cannot list it.

    Accepts a recipe as the engine lists it (``core.get_all_craft_recipes``: method, width, items,
    output) or a definition as registered (``core.register_craft``'s table, the emulation's
    report). The normal form is ``{"type", "output", "items", "width"|"time"}``:

    * type: shaped (width > 0), shapeless (sorted items), cooking (time = int(cooktime),
      default 3), fuel (time = int(burntime), default 1; the engine lists fuels as method
      "cooking" with an empty output and the burn time in ``width``);
    * item names go through aliases, counts on inputs are dropped (the engine keeps names only),
      the output keeps its count unless it is 1, and trailing empty slots are dropped (the engine
      lists a shaped recipe as a sparse table);
    * None for what the engine cannot enumerate: tool repair recipes, and recipes whose output is
      not a registered item (recipes are looked up by output item name). Replacements are not
      visible through the engine API, so they are not compared.
    """
    registered = items if isinstance(items, (set, frozenset, dict)) else set(items)

    def resolve(name: object) -> str:
        name = _stack_name(name)[0] if isinstance(name, str) else ""
        return name if name.startswith("group:") else aliases.get(name, name)

    def output_of(itemstring: Any) -> str | None:
        name, rest = _stack_name(itemstring if isinstance(itemstring, str) else "")
        name = resolve(name)
        if name not in registered:
            return None
        if rest and rest[0] == "1" and len(rest) == 1:
            rest = []
        return " ".join([name, *rest])

    def trimmed(names: list[str]) -> list[str]:
        while names and names[-1] == "":
            names.pop()
        return names

    if "method" in craft:  # the engine's recipe listing
        method, width = craft.get("method"), int(craft.get("width") or 0)
        raw = craft.get("items") or []
        names = [resolve(n) for n in (raw if isinstance(raw, list) else raw.values())]
        if method == "cooking" and craft.get("output", "") == "":
            return {"type": "fuel", "output": "", "items": names, "time": width}
        output = output_of(craft.get("output", ""))
        if output is None:
            return None
        if method == "cooking":
            return {"type": "cooking", "output": output, "items": names, "time": width}
        if width == 0:
            return {"type": "shapeless", "output": output, "items": sorted(names)}
        return {"type": "shaped", "output": output, "items": trimmed(names), "width": width}

    kind = craft.get("type", "shaped")
    recipe = craft.get("recipe")
    if kind == "fuel":
        return {
            "type": "fuel",
            "output": "",
            "items": [resolve(recipe)],
            "time": int(float(craft.get("burntime", 1.0))),
        }
    if kind == "toolrepair":  # the engine lists it under the output "" like a fuel with no items
        return {
            "type": "fuel",
            "output": "",
            "items": [],
            "time": int(float(craft.get("additional_wear", 0))),
        }
    output = output_of(craft.get("output", ""))
    if output is None:
        return None
    if kind == "cooking":
        return {
            "type": "cooking",
            "output": output,
            "items": [resolve(recipe)],
            "time": int(float(craft.get("cooktime", 3.0))),
        }
    if kind == "shapeless":
        return {"type": "shapeless", "output": output, "items": sorted(resolve(n) for n in recipe or [])}
    rows = recipe or []
    width = len(rows[0]) if rows else 0
    return {
        "type": "shaped",
        "output": output,
        "width": width,
        "items": trimmed([resolve(n) for row in rows for n in row]),
    }


def normalize_registry(reg: dict[str, Any]) -> dict[str, Any]:
    """The comparable form of a "registered" section, from the engine's dump or the emulation's report.

    Only crafts change: each goes through ``craft_normal_form`` and the list is sorted (the
    engine lists recipes per output item, the emulation in registration order). ABMs and LBMs
    keep their registration order, which both sides share.
    """
    aliases = reg.get("aliases") or {}
    items = set(reg.get("items") or {})
    crafts = [c for c in (craft_normal_form(c, aliases, items) for c in reg.get("crafts") or []) if c]
    crafts.sort(key=lambda c: json.dumps(c, sort_keys=True))
    out = dict(reg)
    out["crafts"] = crafts
    for key in ("abms", "lbms"):  # the engine's dumper writes an empty list as {}
        out[key] = [
            {k: ([] if v == {} else v) for k, v in e.items()} if isinstance(e, dict) else e
            for e in out.get(key) or []
        ]
    for key in _LIST_SECTIONS:
        if out.get(key) == {}:
            out[key] = []
    return out
