"""``vf-luanti release --gate runs/eval [--out DIR]``: model card and results table for the gate's winner."""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from ..release import ReleaseError, make_release

    try:
        rel = make_release(args.gate, args.out)
    except (ReleaseError, KeyError) as exc:
        print(f"vf-luanti release: {exc}", file=sys.stderr)
        return 2
    for path in (rel.card, rel.results, rel.train_config):
        if path:
            print(path)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("release", help="write a model card and results table for the gate's winner")
    p.add_argument("--gate", default="runs/eval", help="gate.json, or the eval folder holding it")
    p.add_argument(
        "--out", default="runs/release", help="folder for MODEL_CARD.md, RESULTS.md, train_config.toml"
    )
    p.set_defaults(func=run)
