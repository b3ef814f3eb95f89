"""Verified train tasks per minute per core of ``vf-luanti data generate`` (docs/data.md, "The
train split"), side by side for several checkouts.

Usage: python benchmarks/bench_generate.py [--n 300] [--seed 0] [--rounds 1] [TREE ...]

Each TREE is a checkout of the repository (default: this one); to compare with an older commit,
extract it first: ``git archive <commit> | tar -x -C /tmp/old`` and pass ``/tmp/old`` before
``.``. Every tree runs ``data generate --n N --seed S`` in a fresh process (its own sandbox
workers, one per CPU), trees alternating for ``--rounds`` rounds so that a busy machine slows them
alike. Per run: wall time, CPU seconds of the whole process tree (the parent that generates and
the workers that score; the workers are reaped at exit, so ``RUSAGE_CHILDREN`` holds them), tasks
per minute of wall time, and tasks per minute per core = tasks / CPU minutes, the figure that does
not depend on how many cores were free.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUN = (
    "import sys; from vf_luanti.cli import main; "
    "sys.exit(main(['data', 'generate', '--n', sys.argv[1], '--seed', sys.argv[2], '-q', '-o', sys.argv[3]]))"
)


def run(tree: Path, n: int, seed: int) -> tuple[float, float, int]:
    """One ``data generate`` run in ``tree``: wall seconds, CPU seconds, lines written."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sft.jsonl"
        env = {**os.environ, "PYTHONPATH": str(tree)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-c", RUN, str(n), str(seed), str(out)],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            sys.exit(f"{tree}: data generate failed: {proc.stderr.strip().splitlines()[-1:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu, len(out.read_text().splitlines())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trees", nargs="*", type=Path, default=[Path(__file__).resolve().parent.parent])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    print(f"data generate --n {args.n} --seed {args.seed}, {os.cpu_count()} CPUs")
    print("| tree | tasks | wall s | CPU s | tasks/min | tasks/min per core |")
    print("|---|---|---|---|---|---|")
    for _ in range(args.rounds):
        for tree in args.trees:
            wall, cpu, done = run(tree.resolve(), args.n, args.seed)
            print(
                f"| {tree} | {done} | {wall:.1f} | {cpu:.1f} | {done / wall * 60:.0f} | "
                f"{done / cpu * 60:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
