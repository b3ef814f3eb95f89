"""``vf-luanti train [--config FILE] [section.key=value ...]``: LoRA SFT on the train split."""

from __future__ import annotations

import argparse
import importlib.util
import sys

#: What every training backend imports (the ``train-core`` extra); the QLoRA backends need more
#: (``train``), which vf_luanti.train.backends checks once the backend is known.
CORE_PACKAGES = ("torch", "transformers", "peft")
INSTALL_HINT = (
    "pip install 'vf-luanti[train-core]' (LoRA on the CPU or a GPU; install the torch build for "
    "your machine first), or 'vf-luanti[train]' for the QLoRA stack on a CUDA GPU"
)


def missing_packages(names: tuple[str, ...] = CORE_PACKAGES) -> list[str]:
    """The packages of ``names`` that cannot be imported here (not installed, or blocked)."""
    out = []
    for name in names:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a broken install or a module whose spec is unset
            found = False
        if not found:
            out.append(name)
    return out


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
    # Checked before anything loads: without the extra the first heavy import deep in the trainer
    # would end the command with a ModuleNotFoundError traceback and no hint.
    if missing := missing_packages():
        print(
            f"vf-luanti train: training needs {', '.join(missing)}, not installed: {INSTALL_HINT}",
            file=sys.stderr,
        )
        return 2
    from ..train.backends import BackendError
    from ..train.trainer import train

    try:
        result = train(cfg, progress=not args.no_progress)
    except (ConfigError, DataError, BackendError) as exc:
        print(f"vf-luanti train: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # a package the backend or a library needs beyond the core
        if (exc.name or "").partition(".")[0] in ("", "vf_luanti"):
            raise  # our own module missing is a broken install, not a missing extra
        print(f"vf-luanti train: training needs {exc.name}, not installed: {INSTALL_HINT}", file=sys.stderr)
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
