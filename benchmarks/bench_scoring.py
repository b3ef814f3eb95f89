"""Throughput and latency of sandboxed checking through the worker pool (docs/sandbox.md).

Usage: python benchmarks/bench_scoring.py [--samples N] [--workers 1 2] [--game-only]

A realistic mix of completions (valid mods and the broken-mod corpus: every one a full
``vf_luanti.loading:check_job`` run, runtime creation included) goes through an Executor of 1,
then 2 workers; then full task scoring (``vf_luanti.scoring:score_job``: every check of the task,
scenarios in fresh worlds beside the first) of each eval item's gold and corrupted answer. Prints samples/s,
p50/p99 latency per sample as the caller sees it, and the peak RSS of each worker. Then hostile
samples, one at a time, with their cost next to the deadline. The gold scaffold answers' CPU time
per passing sample with and without the run beside minetest_game is printed with them
(``--game-only``: that alone).
The in-process cost of one check (no pool) and of runtime creation alone are printed first.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from vf_luanti.execution import Executor, Limits
from vf_luanti.loading import check_job
from vf_luanti.mutation import mutants
from vf_luanti.runtime import LuanRuntime, job_scope
from vf_luanti.splits import load_tasks
from vf_luanti.syntax import syntax_error

CHECK = "vf_luanti.loading:check_job"
SCORE = "vf_luanti.scoring:score_job"
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "broken"

TYPICAL_MOD = """
local S = core.get_translator("mymod")
local modpath = core.get_modpath("mymod")
core.register_node("mymod:ore", {
	description = S("Ore"), tiles = {"mymod_ore.png"}, groups = {cracky = 2}, drop = "mymod:lump",
	sounds = {}, light_source = 3,
})
core.register_craftitem("mymod:lump", {description = S("Lump"), inventory_image = "mymod_lump.png"})
core.register_tool("mymod:pick", {
	description = S("Pick"), inventory_image = "mymod_pick.png",
	tool_capabilities = {full_punch_interval = 1.0, max_drop_level = 1,
		groupcaps = {cracky = {times = {[1] = 3.0, [2] = 1.5, [3] = 0.8}, uses = 20, maxlevel = 2}},
		damage_groups = {fleshy = 4}},
})
core.register_craft({output = "mymod:pick", recipe = {
	{"mymod:lump", "mymod:lump", "mymod:lump"}, {"", "group:stick", ""}, {"", "group:stick", ""}}})
core.register_craft({type = "cooking", output = "mymod:lump", recipe = "mymod:ore", cooktime = 5})
core.register_abm({label = "glow", nodenames = {"mymod:ore"}, interval = 10, chance = 50,
	action = function(pos, node) core.log("action", "glow at " .. core.pos_to_string(pos)) end})
core.register_chatcommand("ore", {params = "", description = "count", privs = {interact = true},
	func = function(name) return true, "ok" end})
local counts = {}
for i = 1, 20 do counts[#counts + 1] = string.format("%d:%d", i, i * i) end
core.log("info", table.concat(counts, ","))
"""

HOSTILE = {
    "cpu loop": "while true do end",
    "pcall-swallowed loop": "while true do pcall(function() while true do end end) end",
    "memory bomb": "local t = {} for i = 1, 1e9 do t[i] = {i} end",
    "string doubling": "local s = 'x' while true do s = s .. s end",
    "C-level backtracking": "print(string.rep('ab', 3e6):find(('.-'):rep(8) .. 'X'))",
    "nested coroutines": "local function f() coroutine.wrap(f)() end f()",
}


def mix() -> list[str]:
    """Two typical valid mods per broken-corpus mod (the corpus: mostly broken, a few valid)."""
    corpus = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*/init.lua"))]
    return [s for c in corpus for s in (TYPICAL_MOD, c, TYPICAL_MOD)]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))] * 1000


def peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def in_process(sources: list[str], runs: int) -> None:
    LuanRuntime()
    t = []
    for _ in range(runs):
        s = time.perf_counter()
        LuanRuntime()
        t.append(time.perf_counter() - s)
    print(f"in-process runtime creation: p50 {pct(t, 0.5):.2f} ms  p99 {pct(t, 0.99):.2f} ms")
    t = []
    for i in range(runs):
        s = time.perf_counter()
        with job_scope(Limits()):
            check_job({"source": sources[i % len(sources)]})
        t.append(time.perf_counter() - s)
    print(f"in-process check_job (mix):  p50 {pct(t, 0.5):.2f} ms  p99 {pct(t, 0.99):.2f} ms")


def pooled(job: str, payloads: list[dict], workers: int, samples: int) -> None:
    """Run ``samples`` jobs (cycling through ``payloads``) through a pool of ``workers``."""
    payloads = [payloads[i % len(payloads)] for i in range(samples)]
    with Executor(workers=workers) as ex:
        ex.run_many([(job, p) for p in payloads[: 4 * workers]])  # workers started and warm
        lat: list[float] = []

        def timed(p: dict) -> dict:
            s = time.perf_counter()
            r = ex.run(job, p)
            lat.append(time.perf_counter() - s)
            return r

        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as tp:
            results = list(tp.map(timed, payloads))
        wall = time.perf_counter() - start
        rss = [peak_rss_mib(pid) for pid in ex.pids()]
    failures = sum(bool(r.get("failure")) for r in results)
    good = sum(r.get("ok", r.get("passed")) is True for r in results)
    print(
        f"  workers={workers}: {samples / wall:7.0f} samples/s  p50 {pct(lat, 0.5):.2f} ms  "
        f"p99 {pct(lat, 0.99):.2f} ms  peak RSS/worker {', '.join(f'{r:.0f}' for r in rss)} MiB  "
        f"(pass {good}, fail {samples - good - failures}, sandbox failures {failures})"
    )


def unsaturated(job: str, payloads: list[dict], samples: int) -> None:
    """Latency as a caller sees it when the pool has spare time: one sample at a time, with a
    pause after each in which the worker builds the next runtimes (as between RL steps)."""
    with Executor(workers=1) as ex:
        ex.run(job, payloads[0])
        lat = []
        for i in range(samples):
            time.sleep(0.01)
            s = time.perf_counter()
            ex.run(job, payloads[i % len(payloads)])
            lat.append(time.perf_counter() - s)
    print(f"  one at a time: p50 {pct(lat, 0.5):.2f} ms  p99 {pct(lat, 0.99):.2f} ms")


def eval_payloads() -> list[dict]:
    """Full task scoring: each eval item's gold answer and a plausible wrong one (a mutant of the
    gold code that still loads: one changed value, operator or callback), as score_job payloads."""
    out = []
    for t in load_tasks("eval"):
        wrong = next(
            (m.code for m in mutants(t.reference, seed=0, limit=8) if syntax_error(m.code) is None),
            t.reference,
        )
        for code in (t.reference, wrong):
            out.append({"task": t.json_text, "completion": f"```lua\n{code}\n```"})  # as score_many sends it
    return out


def scaffold_payloads() -> list[dict]:
    """score_job payloads of the eval's gold scaffold answers."""
    return [
        {"task": t.json_text, "completion": f"```lua\n{t.reference}\n```"}
        for t in load_tasks("eval", "scaffold")
    ]


def beside_the_game(payloads: list[dict], rounds: int = 2) -> None:
    """CPU time (``time.process_time``) per passing gold scaffold sample in this process, with the
    run beside the game (checks/game.py) and without it (``beside_game: False``), interleaved
    sample by sample; the closing of each sample's Lua states (done between jobs in a worker)
    not counted. A warm-up pass first: the reference's run beside the game, once per worker and task."""
    from vf_luanti import runtime
    from vf_luanti.scoring import score_job

    def cpu(payload: dict) -> tuple[float, bool]:
        s = time.process_time()
        with job_scope(Limits()):
            passed = bool(score_job(payload).get("passed"))
        took = time.process_time() - s
        runtime._retired.clear()
        return took, passed

    for p in payloads:
        cpu(p)
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for p in payloads:
            for game in (True, False):
                took, passed = cpu(p if game else {**p, "beside_game": False})
                if passed:
                    times[game].append(took)
    for game in (True, False):
        t = times[game]
        print(
            f"  CPU per passing sample, {'with the game run   ' if game else 'without the game run'}: "
            f"p50 {pct(t, 0.5):.2f} ms  mean {sum(t) / max(len(t), 1) * 1000:.2f} ms  ({len(t)} samples)"
        )


def gold_scaffold(runs: int) -> None:
    """Full task scoring of the gold scaffold answers in this process (caches warm, as in a worker),
    with the soak (docs/threat_model.md) and without it, interleaved so both see the same machine;
    then CPU per sample with and without the run beside the game."""
    from vf_luanti.checks import session
    from vf_luanti.scoring import score_job

    payloads = scaffold_payloads()
    beside_the_game(payloads)
    soak = (session.SOAK_SECONDS, session.SOAK_HORIZON)
    times: dict[bool, list[float]] = {True: [], False: []}
    for i in range(runs):
        for with_soak in (True, False):
            session.SOAK_SECONDS, session.SOAK_HORIZON = soak if with_soak else (0.0, 0.0)
            s = time.perf_counter()
            with job_scope(Limits()):
                score_job(payloads[i % len(payloads)])
            times[with_soak].append(time.perf_counter() - s)
    session.SOAK_SECONDS, session.SOAK_HORIZON = soak
    for with_soak in (True, False):
        t = times[with_soak]
        print(
            f"  in-process, soak {'on ' if with_soak else 'off'}: p50 {pct(t, 0.5):.2f} ms  "
            f"p99 {pct(t, 0.99):.2f} ms"
        )
    unsaturated(SCORE, payloads, min(runs, 500))


def hostile() -> None:
    limits = Limits()
    with Executor(workers=1, limits=limits) as ex:
        ex.run(CHECK, {"source": "x = 1"})
        for name, src in HOSTILE.items():
            s = time.perf_counter()
            r = ex.run(CHECK, {"source": src})
            took = time.perf_counter() - s
            verdict = r.get("failure") or ("error diagnostic" if r.get("errors") else "ok")
            print(
                f"  {name:22s} {verdict:17s} {took:5.2f} s  (cpu {limits.cpu_seconds:g} s, "
                f"wall deadline {limits.wall_deadline:g} s)"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--game-only", action="store_true", help="only the CPU per sample, game run on/off")
    args = ap.parse_args()
    if args.game_only:
        print("CPU per gold scaffold sample, in-process (docs/sandbox.md):")
        beside_the_game(scaffold_payloads())
        return
    sources = mix()
    print(f"cores: {os.cpu_count()}; mix of {len(sources)}: 2 typical valid mods per corpus mod")
    in_process(sources, 300)
    print("check_job (load + report) on the mix:")
    for w in args.workers:
        pooled(CHECK, [{"source": s} for s in sources], w, args.samples)
    unsaturated(CHECK, [{"source": s} for s in sources], min(args.samples, 500))
    scored = eval_payloads()
    print(f"score_job (parse + load + every check of the task) on {len(scored)} eval answers (gold, mutant):")
    for w in args.workers:
        pooled(SCORE, scored, w, args.samples)
    unsaturated(SCORE, scored, min(args.samples, 500))
    print("score_job on the gold scaffold answers (the issue's speed target: p50 <= 2 ms, soak included):")
    gold_scaffold(min(args.samples, 1000))
    print("hostile samples (one worker, default limits):")
    hostile()


if __name__ == "__main__":
    main()
