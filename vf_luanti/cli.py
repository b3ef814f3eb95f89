"""The ``vf-luanti`` command line. Exit codes: 0 success, 1 failure verdict, 2 usage or input error."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .check import check
from .mods import ModError


def _cmd_check(args: argparse.Namespace) -> int:
    try:
        report = check(args.paths, game=args.game)
    except ModError as exc:
        print(f"vf-luanti check: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(report.format_human())
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vf-luanti", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="load mods as the engine does and report errors and registrations")
    p.add_argument("paths", nargs="+", help="a .lua file, mod folder, modpack or mods folder")
    p.add_argument("--game", help="a game folder whose mods load first (e.g. minetest_game)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the human report")
    p.set_defaults(func=_cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
