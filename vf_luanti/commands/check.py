"""``vf-luanti check [PATH...] [--game DIR] [--luanti-version X.Y] [--json]``: load mods as the engine does.

Prints the load report (docs/cli.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace


def run(args: argparse.Namespace) -> int:
    from ..loading import CHECK_LIMITS, check
    from ..mods import ModError
    from ..runtime import MiB

    if not args.paths and not args.game:
        print("vf-luanti check: give at least one mod path, or --game", file=sys.stderr)
        return 2
    try:
        limits = CHECK_LIMITS
        if args.cpu_seconds is not None:
            limits = replace(limits, cpu_seconds=args.cpu_seconds)
        if args.memory_mb is not None:
            limits = replace(limits, max_memory=int(args.memory_mb * MiB))
        report = check(
            args.paths,
            game=args.game,
            limits=limits,
            isolated=args.isolated,
            luanti_version=args.luanti_version,
            registered=args.json,  # the human report prints counts and the given mods' items only
        )
    except (ModError, ValueError) as exc:
        print(f"vf-luanti check: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(report.format_human())
    return 0 if report.ok else 1


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="load mods as the engine does and report errors and registrations")
    p.add_argument("paths", nargs="*", help="a .lua file, mod folder, modpack or mods folder")
    p.add_argument("--game", help="a game folder whose mods load first (e.g. minetest_game)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the human report")
    p.add_argument(
        "--luanti-version",
        metavar="X.Y",
        help="the Luanti release the mods target: newer API names are absent (default 5.6.1)",
    )
    # The user's own mods: generous limits, so every Debian mod set loads (scoring keeps its strict ones).
    p.add_argument(
        "--cpu-seconds",
        type=float,
        metavar="S",
        help="CPU time the whole load may take (default: vf_luanti.loading.CHECK_LIMITS, 120 s)",
    )
    p.add_argument(
        "--memory-mb",
        type=float,
        metavar="MB",
        help="Lua memory the mods may use (default: vf_luanti.loading.CHECK_LIMITS, 2048 MiB)",
    )
    p.add_argument(
        "--isolated",
        action="store_true",
        help="run in a sandbox worker process with CPU/memory/wall limits (for untrusted code)",
    )
    p.set_defaults(func=run)
