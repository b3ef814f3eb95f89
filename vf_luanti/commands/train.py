"""``vf-luanti train [--config FILE] [section.key=value ...]``: LoRA SFT on the train split."""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from ..train.config import ConfigError, load_config
    from ..train.data import DataError

    try:
        cfg = load_config(args.config, args.overrides)
    except ConfigError as exc:
        print(f"vf-luanti train: {exc}", file=sys.stderr)
        return 2
    if args.print_config:
        import json

        print(json.dumps(cfg.to_dict(), indent=2))
        return 0
    from ..train.backends import BackendError
    from ..train.trainer import train

    try:
        result = train(cfg, progress=not args.no_progress)
    except (ConfigError, DataError, BackendError) as exc:
        print(f"vf-luanti train: {exc}", file=sys.stderr)
        return 2
    print(f"adapter: {result.final_checkpoint}")
    print(
        f"steps: {result.steps}  last loss: {result.last_loss:.4f}"
        + (f"  eval loss: {result.eval_loss:.4f}" if result.eval_loss is not None else "")
    )
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="LoRA/QLoRA SFT of a base model on the train split")
    p.add_argument("--config", help="TOML config (default: the seed run, see configs/train_default.toml)")
    p.add_argument(
        "overrides",
        nargs="*",
        metavar="section.key=value",
        help="override config values, e.g. optim.lr=1e-4 run.max_steps=100 lora.layers=[0,1]",
    )
    p.add_argument("--print-config", action="store_true", help="print the resolved config as JSON and exit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (log.jsonl is still written)")
    p.set_defaults(func=run)
