"""Every difference between the engine's and the emulation's normalised registries."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any


def registry_differences(
    engine: dict[str, Any],
    emulation: dict[str, Any],
    ignore: Callable[[str], bool] = lambda _key: False,
    limit: int = 60,
) -> list[str]:
    """Every difference between two normalised registries, as "key: engine=... emulation=..." lines.

    Keys are paths such as ``items/default:stone/description``, ``aliases/stone``,
    ``crafts``, ``abms/3``, ``entities``; ``ignore(key)`` drops the differences a test knowingly
    accepts. At most ``limit`` lines are returned (the last one says how many were left out).
    """
    diffs: list[str] = []

    def note(key: str, a: Any, b: Any, labels: tuple[str, str] = ("engine", "emulation")) -> None:
        if not ignore(key):
            diffs.append(
                f"{key}: {labels[0]}={json.dumps(a, ensure_ascii=False)[:200]} "
                f"{labels[1]}={json.dumps(b, ensure_ascii=False)[:200]}"
            )

    missing = object()
    for section in ("items", "aliases"):
        a, b = engine.get(section) or {}, emulation.get(section) or {}
        for name in sorted(set(a) | set(b)):
            key = f"{section}/{name or chr(34) * 2}"  # the hand's name is ""
            da, db = a.get(name, missing), b.get(name, missing)
            if da is missing or db is missing:
                note(key, None if da is missing else "present", None if db is missing else "present")
            elif section == "items" and isinstance(da, dict) and isinstance(db, dict):
                for fld in sorted(set(da) | set(db)):
                    if da.get(fld, missing) != db.get(fld, missing):
                        note(f"{key}/{fld}", da.get(fld), db.get(fld))
            elif da != db:
                note(key, da, db)
    ca = [json.dumps(c, sort_keys=True) for c in engine.get("crafts") or []]
    cb = [json.dumps(c, sort_keys=True) for c in emulation.get("crafts") or []]
    if ca != cb:
        only_a, only_b = Counter(ca) - Counter(cb), Counter(cb) - Counter(ca)
        for c in sorted(only_a.elements()):
            note("crafts", json.loads(c), None)
        for c in sorted(only_b.elements()):
            note("crafts", None, json.loads(c))
    for section in ("abms", "lbms"):
        a, b = engine.get(section) or [], emulation.get(section) or []
        for i in range(max(len(a), len(b))):
            ea, eb = (a[i] if i < len(a) else None), (b[i] if i < len(b) else None)
            if ea != eb:
                note(f"{section}/{i}", ea, eb)
    for section in ("entities", "chatcommands", "privileges"):
        a, b = set(engine.get(section) or []), set(emulation.get(section) or [])
        if a != b:
            note(section, sorted(a - b), sorted(b - a), ("only in engine", "only in emulation"))
    if len(diffs) > limit:
        diffs = [*diffs[:limit], f"... and {len(diffs) - limit} more"]
    return diffs
