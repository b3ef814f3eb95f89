"""The engine's registry in the shape of ``vf-luanti check --json``'s "registered" section, and the
normal form both registries are compared in."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from importlib import resources
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


def _dumper_code() -> str:
    """The vfl_oracle dumper's registry_json() as check code: its source up to the on_mods_loaded
    callback, returning the registry."""
    text = (resources.files("vf_luanti") / "oracle_mod" / "vfl_oracle" / "init.lua").read_text()
    return text.split("core.register_on_mods_loaded(", 1)[0] + "\nreturn registry_json()\n"


def emulation_check(paths: Sequence[str | Path], game: str | Path | None = None) -> LoadReport:
    """``vf_luanti.check`` (in this process), its registry's items and crafts dumped by the
    vfl_oracle dumper's own code, run in the emulation as check code, so both sides are read alike.

    The dumper reads what Lua sees, and the engine's recipes only through its lookup. The report
    holds something else in two places: an item's fields as C++ read them at registration (a
    field a mod changes in the registered table afterwards, moreblocks' glass tiles or skyblock
    registering one table under two names, shows in the Lua table, not in the engine's copy), and
    every recipe as registered (the engine files a recipe under its output's name as resolved
    when it was registered, so one made for an alias registered later is listed under no item,
    and it lists the items through one level of alias). Aliases, ABMs, LBMs and the name lists
    stay the report's. The engine dumps in on_mods_loaded, this after check's start-up steps: an
    item a mod changes in an after(0) callback or a globalstep would show changed here only.
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
    if not report.registered:
        return report
    res = json.loads(rt.call("eval", _dumper_code()))
    if not res.get("ok"):
        raise OracleError(f"the dumper failed in the emulation: {res.get('error')}")
    dumped = json.loads(res["value"])
    crafts = dumped.get("crafts")
    report.registered = {
        **report.registered,
        "items": dumped.get("items") or {},
        "crafts": crafts if isinstance(crafts, list) else [],  # an empty list may come as {}
    }
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
