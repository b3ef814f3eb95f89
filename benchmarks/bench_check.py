"""Latency of one mod run in the emulation, next to the real engine's wall time.

Usage: python benchmarks/bench_check.py [--runs N] [--engine-runs M]

Prints p50/p99 of ``vf_luanti.loading.run_mods`` (a fresh runtime, load, report) for a small
in-memory mod and for minetest_game, and the wall time of the engine (``vf_luanti.oracle``) on
the same mod sets. Each line says whether the load was clean, since a failing load stops early
and is not a fair timing. The figures in docs/fidelity.md come from this script.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from vf_luanti import oracle
from vf_luanti.loading import run_mods
from vf_luanti.mods import Mod, discover, mod_from_source

SMALL_MOD = """
local S = core.get_translator("bench")
core.register_node("bench:block", {
	description = S("Bench block"),
	tiles = {"bench_block.png"},
	groups = {cracky = 3},
})
core.register_craftitem("bench:dust", {description = "Dust", inventory_image = "bench_dust.png"})
core.register_craft({output = "bench:block", recipe = {{"bench:dust", "bench:dust"}}})
core.register_abm({label = "bench", nodenames = {"bench:block"}, interval = 1, chance = 1,
	action = function(pos) end})
"""


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99) in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


def time_runs(fn: Callable[[], bool], runs: int) -> tuple[list[float], bool]:
    samples, ok = [], True
    for _ in range(runs):
        start = time.perf_counter()
        ok = fn() and ok
        samples.append(time.perf_counter() - start)
    return samples, ok


def emulation(mods: list[Mod]) -> Callable[[], bool]:
    return lambda: run_mods(mods)[0].ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200, help="emulation runs per mod set")
    ap.add_argument("--engine-runs", type=int, default=5, help="engine runs per mod set")
    args = ap.parse_args()

    small = mod_from_source(SMALL_MOD, name="bench")
    mtg_dir = oracle.SHARE / "games" / "minetest_game"
    mtg = discover(mtg_dir)
    rows = [
        ("small mod (emulation)", *time_runs(emulation([small]), args.runs)),
        ("minetest_game (emulation)", *time_runs(emulation(mtg), max(1, args.runs // 10))),
    ]
    if oracle.engine_available():
        with tempfile.TemporaryDirectory() as tmp:
            mod_dir = Path(tmp) / "bench"
            mod_dir.mkdir()
            (mod_dir / "mod.conf").write_text("name = bench\n")
            (mod_dir / "init.lua").write_text(SMALL_MOD)
            rows.append(
                (
                    "small mod (engine, emptygame)",
                    *time_runs(
                        lambda: oracle.run_engine([mod_dir], game="emptygame", steps=0).exit_code == 0,
                        args.engine_runs,
                    ),
                )
            )
        rows.append(
            (
                "minetest_game (engine)",
                *time_runs(
                    lambda: oracle.run_engine([], game="minetest_game", steps=0).exit_code == 0,
                    args.engine_runs,
                ),
            )
        )
    print(f"{'mod set':32} {'runs':>5} {'p50 ms':>9} {'p99 ms':>9}  load")
    for name, samples, ok in rows:
        p50, p99 = percentiles(samples)
        print(f"{name:32} {len(samples):5d} {p50:9.1f} {p99:9.1f}  {'clean' if ok else 'FAILED'}")


if __name__ == "__main__":
    main()
