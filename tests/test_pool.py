"""The worker pool (vf_luanti.execution): limits, deadlines, respawn, batching, clean shutdown."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator

import pytest

from tests.sandbox_jobs import alive, checked_pool
from vf_luanti.execution import FAILURES, Executor, Limits, default_executor
from vf_luanti.runtime import MiB, RuntimeLimits

CHECK = "vf_luanti.loading:check_job"
JOBS = "tests.sandbox_jobs"
LIMITS = Limits(cpu_seconds=0.5, startup_margin=0.5)  # wall deadline 1.5 s
GOOD = 'core.register_node("mymod:block", {description = "Block"})'


@pytest.fixture(scope="module")
def tmpdir_checked() -> Iterator[str]:
    """Point the workers' temp folder at a fresh one and require it to be empty at the end."""
    old = tempfile.tempdir
    path = tempfile.mkdtemp(prefix="vfl-pool-")
    tempfile.tempdir = path
    try:
        yield path
        assert os.listdir(path) == [], "workers left temp files behind"
    finally:
        tempfile.tempdir = old
        os.rmdir(path)


@pytest.fixture(scope="module")
def ex(tmpdir_checked: str) -> Iterator[Executor]:
    with checked_pool(2, LIMITS) as pool:
        yield pool


def healthy(ex: Executor) -> bool:
    res = ex.run_many([(CHECK, {"source": GOOD})] * ex.size)
    return all(r.get("ok") is True for r in res)


def test_check_job_returns_the_load_report(ex: Executor) -> None:
    res = ex.run(CHECK, {"source": GOOD, "mod_name": "mymod"})
    assert res["ok"] is True
    assert "mymod:block" in res["registered"]["items"]
    assert res["errors"] == []


def test_worker_process_is_limited_and_clean(ex: Executor, tmpdir_checked: str) -> None:
    res = ex.run(f"{JOBS}:env_job", {})
    assert set(res["env"]) == {
        "PATH",
        "LC_ALL",
        "PYTHONPATH",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONHASHSEED",
        "TMPDIR",
    }
    assert res["rlimit_as"] == LIMITS.address_space
    assert res["rlimit_stack"] == LIMITS.stack_size
    assert res["rlimit_core"] == 0
    assert 0 < res["rlimit_cpu"] < 10_000  # re-armed per job relative to the CPU used so far
    assert res["stdin"] == res["stdout"] == "/dev/null"  # the protocol pipe is out of reach
    assert res["cwd"] == "/"
    assert res["pid"] in ex.pids() and res["pid"] != os.getpid()


def test_each_job_is_handed_runtimes_built_ahead(tmpdir_checked: str) -> None:
    from vf_luanti.execution import SPARE_RUNTIMES

    with Executor(workers=1, limits=LIMITS) as pool:
        for _ in range(2):  # the worker tops its spares up after every job
            res = pool.run(f"{JOBS}:spares_job", {})
            assert res["ready"] == SPARE_RUNTIMES and res["left"] == SPARE_RUNTIMES - 1
            assert "mymod:block" in res["items"]


@pytest.mark.parametrize(
    ("job", "payload", "kind", "needle"),
    [
        ("nosuchmodule_xyz:job", {}, "error", "ModuleNotFoundError"),
        ("vf_luanti.execution", {}, "error", "module:function"),
        (f"{JOBS}:raise_job", {}, "error", "job bug"),
        (f"{JOBS}:not_a_dict_job", {}, "error", "not a dict"),
        (f"{JOBS}:not_json_job", {}, "error", "not JSON"),
        (f"{JOBS}:alloc_job", {"bytes": 4096 * MiB}, "memory", "MemoryError"),
        (f"{JOBS}:crash_job", {"signal": "SIGSEGV"}, "crash", "SIGSEGV"),
        (f"{JOBS}:crash_job", {"signal": "SIGABRT"}, "crash", "SIGABRT"),
        (f"{JOBS}:crash_job", {"exit": 1}, "crash", "status 1"),
        (f"{JOBS}:crash_job", {"signal": "SIGXCPU"}, "timeout", "SIGXCPU"),
        (f"{JOBS}:sleep_job", {"seconds": 30}, "timeout", "wall-clock"),
        (CHECK, {"no_source": 1}, "error", "KeyError"),
    ],
)
def test_failures_are_structured_and_the_pool_recovers(
    ex: Executor, job: str, payload: dict, kind: str, needle: str
) -> None:
    start = time.monotonic()
    res = ex.run(job, payload)
    assert res["failure"] == kind and kind in FAILURES
    assert needle in res["reason"]
    assert time.monotonic() - start < LIMITS.wall_deadline + 1.0
    assert healthy(ex)


def test_unserialisable_payload_is_refused_without_a_worker(ex: Executor) -> None:
    pids = ex.pids()
    assert ex.run(CHECK, {"source": object()})["failure"] == "error"
    assert ex.pids() == pids


def test_result_size_is_capped(tmpdir_checked: str) -> None:
    with Executor(workers=1, limits=Limits(max_result_bytes=1000)) as small:
        assert small.run(f"{JOBS}:big_result_job", {"size": 10})["x"] == "y" * 10
        res = small.run(f"{JOBS}:big_result_job", {"size": 5000})
        assert res["failure"] == "error" and "over the limit" in res["reason"]
        assert small.run(f"{JOBS}:big_result_job", {"size": 10})["x"] == "y" * 10


def test_hung_worker_is_killed_and_replaced(ex: Executor) -> None:
    before = set(ex.pids())
    res = ex.run(f"{JOBS}:sleep_job", {"seconds": 60})
    assert res["failure"] == "timeout" and "worker killed" in res["reason"]
    after = set(ex.pids())
    assert len(after) == ex.size and after != before
    assert not any(alive(p) for p in before - after)
    assert healthy(ex)


def test_run_many_is_concurrent_and_ordered(ex: Executor) -> None:
    start = time.monotonic()
    res = ex.run_many([(f"{JOBS}:sleep_job", {"seconds": 0.4 + i / 100}) for i in range(4)])
    elapsed = time.monotonic() - start
    assert [r["slept"] for r in res] == [0.4 + i / 100 for i in range(4)]
    assert elapsed < 1.4, elapsed  # 2 workers: two rounds of ~0.4 s, not four
    assert len({r["pid"] for r in res}) == 2


def test_arun_many_does_not_block_the_loop(ex: Executor) -> None:
    async def main() -> tuple[list[dict], int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        t = asyncio.create_task(ticker())
        res = await ex.arun_many(
            [(f"{JOBS}:sleep_job", {"seconds": 0.3})] * 2 + [(CHECK, {"source": "while true do end"})]
        )
        t.cancel()
        return res, ticks

    res, ticks = asyncio.run(main())
    assert [r.get("slept") for r in res[:2]] == [0.3, 0.3]
    assert res[2]["failure"] == "timeout"
    assert ticks > 10


def test_workers_are_recycled_after_max_jobs(tmpdir_checked: str) -> None:
    with Executor(workers=1, limits=LIMITS, max_jobs_per_worker=3) as pool:
        pids = [pool.run(f"{JOBS}:env_job", {})["pid"] for _ in range(7)]
    assert pids[0] == pids[1] == pids[2] != pids[3]
    assert len(set(pids)) == 3


def test_closed_pool_answers_with_failures_and_leaves_nothing(tmpdir_checked: str) -> None:
    pool = Executor(workers=2, limits=LIMITS)
    pids = pool.pids()
    assert all(alive(p) for p in pids)
    pool.close()
    pool.close()  # idempotent
    assert not any(alive(p) for p in pids)
    assert pool.run(CHECK, {"source": GOOD})["failure"] == "error"
    assert pool.run_many([(CHECK, {"source": GOOD})])[0]["failure"] == "error"


def test_atexit_and_parent_death_end_the_workers(tmpdir_checked: str) -> None:
    """A trainer that never closes its pool, or dies outright, leaves no workers behind."""
    script = textwrap.dedent(f"""
        import os, sys
        from vf_luanti.execution import Executor
        ex = Executor(workers=2)
        assert ex.run({CHECK!r}, {{"source": "x = 1"}})["ok"]
        print(" ".join(map(str, ex.pids())), flush=True)
        if sys.argv[1] == "kill":
            os.kill(os.getpid(), 9)
    """)
    for mode in ("exit", "kill"):
        out = subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, timeout=60)
        pids = [int(p) for p in out.stdout.split()]
        assert len(pids) == 2, out.stderr
        deadline = time.monotonic() + 5
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(p) for p in pids), mode


def test_default_executor_is_shared_and_follows_settings(tmpdir_checked: str) -> None:
    a = default_executor()
    try:
        assert default_executor() is a
        b = default_executor(workers=1, limits=LIMITS)
        assert b is not a and b.size == 1 and a.run(CHECK, {"source": GOOD})["failure"] == "error"
        assert b.run(CHECK, {"source": GOOD})["ok"] is True
    finally:
        default_executor().close()


def test_configured_settings_apply_at_first_use(tmpdir_checked: str) -> None:
    from vf_luanti import execution

    default_executor().close()
    try:
        execution.configure_default(workers=1, limits=LIMITS)
        assert execution._default is None or execution._default._closed  # nothing started yet
        pool = default_executor()
        assert pool.size == 1 and pool.limits == LIMITS
    finally:
        default_executor().close()
        execution._configured.clear()


def test_limits_from_mapping() -> None:
    lim = RuntimeLimits.from_mapping({"cpu_seconds": 1.5, "max_memory": 32 * MiB})
    assert lim.cpu_seconds == 1.5 and lim.wall_deadline == 6 * 1.5 + lim.startup_margin
    assert RuntimeLimits(wall_seconds=7).wall_deadline == 7
    with pytest.raises(ValueError, match=r"unknown limit.*cpu_secs.*known: .*cpu_seconds"):
        RuntimeLimits.from_mapping({"cpu_secs": 1})
    with pytest.raises(ValueError, match="positive"):
        RuntimeLimits(cpu_seconds=0)


def test_workers_that_cannot_start_give_a_clear_error_and_the_pool_stops_trying(monkeypatch) -> None:
    from vf_luanti import execution

    monkeypatch.setattr(
        execution,
        "_WORKER_MAIN",
        "import sys; sys.stderr.write('ImportError: no module named lupa'); sys.exit(1)",
    )
    with Executor(workers=1, limits=LIMITS) as ex:
        first = [ex.run(CHECK, {"source": GOOD}) for _ in range(execution.MAX_START_FAILURES)]
        assert all(r["failure"] == "crash" and "no module named lupa" in r["reason"] for r in first), first
        t0 = time.monotonic()
        later = ex.run(CHECK, {"source": GOOD})
        assert time.monotonic() - t0 < 0.5  # no new start is waited for
        assert later["failure"] == "error" and "could not start" in later["reason"]
        assert "no module named lupa" in later["reason"]
