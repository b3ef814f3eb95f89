"""Latency of one mod run in the emulation, next to the real engine's wall time.

Usage: python benchmarks/bench_check.py [--runs N] [--engine-runs M] [--big-runs K]

Prints p50/p99 of ``vf_luanti.loading.run_mods`` (a fresh runtime, load, report) for a small
in-memory mod and for minetest_game, and the wall time of the engine (``vf_luanti.oracle``) on
the same mod sets. Each line says whether the load was clean, since a failing load stops early
and is not a fair timing. Then, for the big Debian mod sets that are installed (moreblocks;
basic_materials + unifieddyes + homedecor; each on minetest_game; and the devtest game), the
median seconds of what ``vf-luanti check`` runs (``vf_luanti.check`` with the CLI's default
limits: reading the mods from disk, the load, the report) and of the engine's start to shutdown,
measured in the same run, and their ratio (issue 13 asks for <= 0.5), with the emulation's CPU
seconds beside its wall time (the steadier figure on a shared machine): first the human report
(the default: the registry is counted, not built), then the whole ``vf-luanti check`` process
(Python's start and imports included, as the engine's figure includes its own start), then
``--json`` (the full registry, as the API returns it). The figures in docs/fidelity.md come from
this script.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from vf_luanti import oracle
from vf_luanti.loading import check, run_mods
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


# Debian mod packages (installed under oracle.SHARE / "mods"), loaded on minetest_game
BIG_SETS = {
    "moreblocks": ["moreblocks"],
    "homedecor": ["basic_materials", "unifieddyes", "homedecor"],
}


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


def emulation(mods: list[Mod]) -> Callable[[], bool]:
    return lambda: run_mods(mods)[0].ok


def cli_check(paths: list[Path], game: Path, registered: bool) -> Callable[[], bool]:
    """``vf-luanti check PATHS --game GAME`` (``registered``: with ``--json``) less the printing."""
    return lambda: check(paths, game=game, registered=registered).ok


def cli_process(paths: list[Path], game: Path) -> Callable[[], bool]:
    """The ``vf-luanti check PATHS --game GAME`` command, a process of its own."""
    cmd = [sys.executable, "-m", "vf_luanti.cli", "check", *map(str, paths), "--game", str(game)]
    return lambda: subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def engine(paths: list[Path], game: str = "minetest_game") -> Callable[[], bool]:
    return lambda: oracle.run_engine(paths, game=game, steps=0).exit_code == 0


def big_sets(runs: int, engine_runs: int) -> None:
    """Emulation and engine medians (seconds) and their ratio, per installed big mod set, then the
    devtest game on its own."""
    games = oracle.SHARE / "games"
    cols = f"{'check s':>8} {'(CPU s)':>8} {'CLI s':>6} {'--json s':>9} {'(CPU s)':>8} {'engine s':>9}"
    cols += f" {'ratio':>6} {'CLI':>6} {'--json':>6}"
    print(f"\n{'mod set (on minetest_game)':26} {cols}  load")
    for name, dirs in BIG_SETS.items():
        paths = [oracle.SHARE / "mods" / d for d in dirs]
        if not all(p.is_dir() for p in paths):
            print(f"{name:26} not installed (apt-get install minetest-mod-{name})")
            continue
        side_by_side(name, paths, games / "minetest_game", engine(paths), runs, engine_runs)
    if (games / "devtest").is_dir():
        side_by_side(
            "devtest (the game alone)", [], games / "devtest", engine([], "devtest"), runs, engine_runs
        )


def side_by_side(
    name: str, paths: list[Path], game: Path, eng_fn: Callable[[], bool], runs: int, engine_runs: int
) -> None:
    """One line: the human check, the CLI process, the --json check and the engine, medians of one run."""
    human, human_cpu, ok = cpu_runs(cli_check(paths, game, registered=False), runs)
    process, process_ok = time_runs(cli_process(paths, game), runs)
    full, full_cpu, full_ok = cpu_runs(cli_check(paths, game, registered=True), runs)
    eng, eng_ok = time_runs(eng_fn, engine_runs)
    h, p, f, g = (statistics.median(x) for x in (human, process, full, eng))
    hc, fc = statistics.median(human_cpu), statistics.median(full_cpu)
    emulation_ok = ok and process_ok and full_ok
    state = "clean" if emulation_ok and eng_ok else f"FAILED ({'engine' if emulation_ok else 'emulation'})"
    print(
        f"{name:26} {h:8.3f} {hc:8.3f} {p:6.3f} {f:9.3f} {fc:8.3f} {g:9.3f}"
        f" {h / g:6.2f} {p / g:6.2f} {f / g:6.2f}  {state}"
    )


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
