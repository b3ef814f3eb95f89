"""CPU per passing gold scaffold sample, two trees side by side (docs/sandbox.md).

Usage: python benchmarks/side_by_side.py OTHER_TREE [--rounds 2] [--samples N]

On a shared, noisy machine two runs one after the other say little about a 10 % change: the load
moves between them. Here each tree (this one and OTHER_TREE, e.g. a ``git worktree add`` of the
commit to compare with) scores in worker processes of its own, with the run beside the game and
without it (``VF_LUANTI_GAME=off``), and every gold scaffold sample goes to each worker in turn
before the next sample, so all four see the same moment of the machine. A warm-up pass first (each
task's reference beside the game, once per worker). Prints the p50 and mean CPU time
(``time.process_time`` around ``score_job``, the closing of the sample's Lua states after it not
counted: a worker does that between jobs) and, per sample, the p50 of this tree's time over the
other's. Figures only: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

# A worker, in whichever tree PYTHONPATH names: a sample index in, its CPU ms and verdict out.
WORKER = """
import json, sys, time
from vf_luanti import runtime
from vf_luanti.execution import Limits
from vf_luanti.runtime import job_scope
from vf_luanti.scoring import score_job
from vf_luanti.splits import load_tasks
payloads = [{"task": t.json_text, "completion": f"```lua\\n{t.reference}\\n```"}
            for t in load_tasks("eval", "scaffold")]
print(len(payloads), flush=True)
for line in sys.stdin:
    s = time.process_time()
    with job_scope(Limits()):
        passed = bool(score_job(payloads[int(line)]).get("passed"))
    took = time.process_time() - s
    runtime._retired.clear()
    print(json.dumps({"ms": took * 1000, "passed": passed}), flush=True)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("other", type=Path, help="the tree to compare with (its repository root)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--samples", type=int, default=10**6, help="the first N gold scaffold answers")
    args = ap.parse_args()
    trees = {"other": args.other.resolve(), "this": HERE}
    workers: dict[tuple[str, str], subprocess.Popen[str]] = {}
    total = 0
    for game in ("on", "off"):
        for name, tree in trees.items():
            env = dict(os.environ, PYTHONPATH=str(tree))
            if game == "off":
                env["VF_LUANTI_GAME"] = "off"
            proc = subprocess.Popen(
                [sys.executable, "-c", WORKER],
                env=env,
                cwd=tree,
                text=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            assert proc.stdout is not None
            total = int(proc.stdout.readline())
            workers[(game, name)] = proc

    def ask(proc: subprocess.Popen[str], i: int) -> dict:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(f"{i}\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    n = min(args.samples, total)
    for i in range(n):
        for proc in workers.values():
            ask(proc, i)
    times: dict[tuple[str, str], list[float | None]] = {k: [] for k in workers}
    for _ in range(args.rounds):
        for i in range(n):
            for key, proc in workers.items():
                out = ask(proc, i)
                times[key].append(out["ms"] if out["passed"] else None)
    for proc in workers.values():
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()
    print(f"this tree: {HERE}; other: {trees['other']}; {n} gold scaffold answers x {args.rounds} rounds")
    for game in ("on", "off"):
        for name in trees:
            ms = [t for t in times[(game, name)] if t is not None]
            print(
                f"  game run {game:3s} {name:5s}: p50 {statistics.median(ms):7.2f} ms  "
                f"mean {statistics.mean(ms):7.2f} ms  ({len(ms)} passing samples)"
            )
        both = zip(times[(game, "other")], times[(game, "this")], strict=True)
        pairs = [(a, b) for a, b in both if a and b]
        ratio = statistics.median(b / a for a, b in pairs)
        print(f"  game run {game:3s}: this / other, p50 over samples {ratio:.3f}")


if __name__ == "__main__":
    main()
