"""API coverage of the train split: which API identifiers the eval's references use that the
generated references use too (issue 15's metric).

A model trained on the generated tasks should have seen every piece of the API the eval tests. The
measure is lexical, over references (gold answers), with the lossless lexer of vf_luanti.lualex:

* core functions and fields: ``minetest.X`` / ``core.X`` (one name, written ``core.X``);
* methods: ``:name(...)`` calls (ObjectRef, ItemStack, InvRef, MetaDataRef, NodeTimerRef ...), Lua's
  own string methods aside (``:sub``, ``:match`` ...), written ``:name``;
* callback fields: table keys and field assignments named like the engine's callbacks
  (``on_*``, ``after_*``, ``allow_*``, ``can_dig``, ``get_staticdata``, ``func``, ``action`` ...),
  written ``.name``;
* helpers builtin adds: ``vector.X``, ``ItemStack``, ``PseudoRandom``, ``VoxelArea``, ``dump``,
  ``table.copy``, ``string.split`` ... (their own spelling).

``eval_identifiers(min_refs)`` counts, per identifier, the eval references that use it;
``coverage(min_refs, n, seed)`` compares with the references of ``n`` generated tasks.
``python -m vf_luanti.generate.coverage`` prints the table docs/data.md shows.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ..lualex import lua_tokens

#: Lua's own string methods: ``s:sub(1, 2)`` is not engine API.
LUA_STRING_METHODS = frozenset(
    [
        "byte",
        "char",
        "dump",
        "find",
        "format",
        "gmatch",
        "gsub",
        "len",
        "lower",
        "match",
        "rep",
        "reverse",
        "sub",
        "upper",
    ]
)
#: Globals builtin (or LuaJIT-side Luanti) adds, counted as identifiers of their own.
HELPER_GLOBALS = frozenset(
    [
        "ItemStack",
        "PseudoRandom",
        "PcgRandom",
        "SecureRandom",
        "VoxelArea",
        "VoxelManip",
        "PerlinNoise",
        "PerlinNoiseMap",
        "Settings",
        "AreaStore",
        "Raycast",
        "dump",
        "dump2",
    ]
)
#: ``table.X`` / ``string.X`` / ``math.X`` that builtin adds to Lua's libraries.
HELPER_FIELDS = frozenset(
    [
        "table.copy",
        "table.indexof",
        "table.insert_all",
        "table.key_value_swap",
        "table.shuffle",
        "string.split",
        "string.trim",
        "math.hypot",
        "math.sign",
        "math.factorial",
        "math.round",
    ]
)
_CALLBACK = re.compile(
    r"^(on_[a-z_]+|after_[a-z_]+|allow_[a-z_]+|can_dig|get_staticdata|preserve_metadata|func|action)$"
)


def identifiers(code: str) -> set[str]:
    """The API identifiers a piece of Lua code uses (module docstring)."""
    toks = [t for t in lua_tokens(code) if t.kind not in ("space", "comment")]
    out: set[str] = set()
    for k, t in enumerate(toks):
        prev = toks[k - 1].text if k else ""
        nxt = toks[k + 1].text if k + 1 < len(toks) else ""
        after = toks[k + 2] if k + 2 < len(toks) else None
        if t.kind != "name":
            continue
        if t.text in ("minetest", "core") and prev not in (".", ":") and nxt == "." and after:
            if after.kind == "name":
                out.add(f"core.{after.text}")
        elif t.text == "vector" and prev not in (".", ":") and nxt == "." and after and after.kind == "name":
            out.add(f"vector.{after.text}")
        elif t.text in ("table", "string", "math") and prev not in (".", ":") and nxt == "." and after:
            name = f"{t.text}.{after.text}"
            if name in HELPER_FIELDS:
                out.add(name)
        elif t.text in HELPER_GLOBALS and prev not in (".", ":"):
            out.add(t.text)
        elif prev == ":" and (nxt in ("(", "{") or (k + 1 < len(toks) and toks[k + 1].kind == "string")):
            if t.text in ("split", "trim"):
                out.add(f"string.{t.text}")
            elif t.text not in LUA_STRING_METHODS:
                out.add(f":{t.text}")
        elif _CALLBACK.match(t.text) and nxt == "=":
            if prev in ("{", ",", ";", "."):  # a table key, or ``def.on_use = ...``
                out.add(f".{t.text}")
        elif (
            _CALLBACK.match(t.text) and prev == "." and nxt == "(" and toks[max(k - 3, 0)].text == "function"
        ):
            out.add(f".{t.text}")  # function def.on_rightclick(...)
    return out


def count_identifiers(codes: Iterable[str]) -> Counter[str]:
    """For each identifier, how many of ``codes`` use it."""
    c: Counter[str] = Counter()
    for code in codes:
        c.update(identifiers(code))
    return c


def eval_identifiers(min_refs: int = 3) -> Counter[str]:
    """Identifiers used by at least ``min_refs`` references of the eval split (with their counts)."""
    from ..splits import load_tasks

    c = count_identifiers(t.reference for t in load_tasks("eval"))
    return Counter({k: v for k, v in c.items() if v >= min_refs})


def kind_identifiers(draws: int = 6) -> dict[str, set[str]]:
    """For each feature kind, the identifiers its reference code uses over a few draws (kinds vary
    their code with their parameters)."""
    import random

    from .base import KINDS

    out: dict[str, set[str]] = {}
    for name, kind in sorted(KINDS.items()):
        if not kind.standalone:
            continue
        rng = random.Random(name)
        ids: set[str] = set()
        for _ in range(draws):
            ids |= identifiers(kind.make(rng, "mymod").code)
        out[name] = ids
    return out


@dataclass
class Coverage:
    """The eval identifiers, the generated references' use of each, and the share covered."""

    eval_counts: Counter[str]
    train_counts: Counter[str]
    n: int
    seed: int

    @property
    def covered(self) -> list[str]:
        return sorted(k for k in self.eval_counts if self.train_counts[k])

    @property
    def missing(self) -> list[str]:
        return sorted(k for k in self.eval_counts if not self.train_counts[k])

    @property
    def share(self) -> float:
        return len(self.covered) / len(self.eval_counts) if self.eval_counts else 1.0

    def table(self) -> str:
        """A markdown table: identifier, eval references using it, generated references using it,
        and the feature kinds whose references use it."""
        by_kind = kind_identifiers()
        rows = ["| identifier | eval refs | generated refs | kinds |", "|---|---|---|---|"]
        for k, v in sorted(self.eval_counts.items(), key=lambda kv: (-kv[1], kv[0])):
            kinds = [name for name, ids in by_kind.items() if k in ids]
            shown = ", ".join(kinds[:6]) + (f" (+{len(kinds) - 6})" if len(kinds) > 6 else "")
            rows.append(f"| `{k}` | {v} | {self.train_counts[k] or '-'} | {shown or '-'} |")
        return "\n".join(rows)


def coverage(min_refs: int = 3, n: int = 2000, seed: int = 0) -> Coverage:
    """The coverage of the eval's identifiers by ``n`` generated tasks of ``seed`` (references and
    repair/refactor inputs aside: a reference is what a model learns to write)."""
    from . import generate_tasks

    train = count_identifiers(t.reference for t in generate_tasks(n=n, seed=seed))
    return Coverage(eval_identifiers(min_refs), train, n, seed)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--min-refs", type=int, default=3)
    ap.add_argument("--table", action="store_true", help="print the markdown table")
    args = ap.parse_args(argv)
    cov = coverage(args.min_refs, args.n, args.seed)
    print(
        f"{len(cov.covered)}/{len(cov.eval_counts)} eval identifiers (used by >= {args.min_refs} eval "
        f"references) are used by {args.n} generated references (seed {args.seed}): {100 * cov.share:.0f} %"
    )
    print("missing:", " ".join(cov.missing))
    if args.table:
        print(cov.table())


if __name__ == "__main__":
    main()
