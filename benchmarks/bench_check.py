"""Latency of one mod run in the emulation, next to the real engine's wall time.

Usage: python benchmarks/bench_check.py [--runs N] [--engine-runs M] [--big-runs K]

Prints p50/p99 of ``vf_luanti.loading.run_mods`` (a fresh runtime, load, report) for a small
in-memory mod and for minetest_game, and the wall time of the engine (``vf_luanti.oracle``) on
the same mod sets. Each line says whether the load was clean, since a failing load stops early
and is not a fair timing. Then, for the big Debian mod sets that are installed (moreblocks;
basic_materials + unifieddyes + homedecor; each on minetest_game; and the devtest game, with
``vf-luanti check``'s default limits), the median seconds of ``check``'s load in the emulation
and of the engine's start to shutdown, measured in the same run, and their ratio (issue 13 asks
for <= 0.5), with the emulation's CPU seconds beside its wall time (the steadier figure on a
shared machine). The figures in docs/fidelity.md come from this script.
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
from vf_luanti.runtime import MiB, RuntimeLimits

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


# Debian mod packages (installed under oracle.SHARE / "mods"), loaded on minetest_game
BIG_SETS = {
    "moreblocks": ["moreblocks"],
    "homedecor": ["basic_materials", "unifieddyes", "homedecor"],
}

#: ``vf-luanti check``'s default limits (commands/check.py): the big sets exceed the sandbox's.
CHECK_LIMITS = RuntimeLimits(cpu_seconds=120, max_memory=2048 * MiB)


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


def cpu_runs(fn: Callable[[], bool], runs: int) -> tuple[list[float], list[float], bool]:
    """Wall and CPU seconds of each run: on a shared machine the CPU time (this process's) moves
    far less with the other load than the wall time does."""
    wall, cpu, ok = [], [], True
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        ok = fn() and ok
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu, ok


def emulation(mods: list[Mod], limits: RuntimeLimits | None = None) -> Callable[[], bool]:
    return lambda: run_mods(mods, limits)[0].ok


def engine(paths: list[Path], game: str = "minetest_game") -> Callable[[], bool]:
    return lambda: oracle.run_engine(paths, game=game, steps=0).exit_code == 0


def big_sets(runs: int, engine_runs: int) -> None:
    """Emulation and engine medians (seconds) and their ratio, per installed big mod set, then the
    devtest game on its own."""
    mtg = discover(oracle.SHARE / "games" / "minetest_game")
    head = f"{'emulation s':>12} {'(CPU s)':>8} {'engine s':>9} {'ratio':>6}"
    print(f"\n{'mod set (on minetest_game)':32} {head}  load")
    for name, dirs in BIG_SETS.items():
        paths = [oracle.SHARE / "mods" / d for d in dirs]
        if not all(p.is_dir() for p in paths):
            print(f"{name:32} not installed (apt-get install minetest-mod-{name})")
            continue
        mods = mtg + [m for p in paths for m in discover(p)]
        side_by_side(name, emulation(mods, CHECK_LIMITS), engine(paths), runs, engine_runs)
    devtest = oracle.SHARE / "games" / "devtest"
    if devtest.is_dir():
        side_by_side(
            "devtest (the game alone)",
            emulation(discover(devtest), CHECK_LIMITS),
            engine([], game="devtest"),
            runs,
            engine_runs,
        )


def side_by_side(
    name: str, emu_fn: Callable[[], bool], eng_fn: Callable[[], bool], runs: int, engine_runs: int
) -> None:
    emu, emu_cpu, ok = cpu_runs(emu_fn, runs)
    eng, eng_ok = time_runs(eng_fn, engine_runs)
    e, c, g = statistics.median(emu), statistics.median(emu_cpu), statistics.median(eng)
    state = "clean" if ok and eng_ok else f"FAILED ({'emulation' if not ok else 'engine'})"
    print(f"{name:32} {e:12.3f} {c:8.3f} {g:9.3f} {e / g:6.2f}  {state}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200, help="emulation runs per mod set")
    ap.add_argument("--engine-runs", type=int, default=5, help="engine runs per mod set")
    ap.add_argument("--big-runs", type=int, default=5, help="emulation runs per big Debian mod set")
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
    if oracle.engine_available():
        big_sets(args.big_runs, args.engine_runs)


if __name__ == "__main__":
    main()
