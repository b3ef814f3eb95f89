"""The worker pool every untrusted run goes through (docs/sandbox.md).

The Lua-side guard (sandbox.lua) stops what it can see: CPU loops, memory growth, deep nesting.
What it cannot see (a hang inside one C call, a C-stack overflow, a Lua panic, a LuaJIT bug) is
stopped here, at a process boundary: each job runs in a worker process with resource limits, the
parent waits for it with a wall-clock deadline, and kills and replaces a worker that hangs or dies.
Callers always get a dict back, either the job's result or
``{"failure": "timeout" | "memory" | "crash" | "sandbox_violation" | "error", "reason": str}``.

Workers are ``subprocess`` children (fork + exec of a fresh interpreter) rather than forks of the
caller: the trainer that calls us runs threads (asyncio, tokenizers, torch), and a fork of a
threaded process may inherit locks held by threads that do not exist in the child. A fresh
interpreter also starts from a clean environment and with nothing of the parent's memory.

A worker runs one job at a time, each in fresh Lua runtimes. Once it has sent a result it closes
that job's runtimes and builds the next jobs' ahead (``runtime.prepare_spares``), so building one
and closing it are off a sample's latency when the pool is not saturated. (Forking a process per
sample from pristine runtimes was measured too and lost; docs/sandbox.md has the figures.)
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import gc
import importlib
import json
import os
import queue
import resource
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .checks.game import GAME_ENV
from .runtime import RuntimeLimits, SandboxLimitError

#: The pool's limits are the runtime's: one dataclass for in-Lua and process-level settings.
Limits = RuntimeLimits

FAILURES = ("timeout", "memory", "crash", "sandbox_violation", "error")

_HEADER = struct.Struct("!I")
#: Fresh runtimes a worker builds ahead for its next job: a scored sample uses about three (the
#: completion, each scenario in its own world, the refactor input); more are built on demand.
SPARE_RUNTIMES = 4
_STARTUP_TIMEOUT = 60.0  # seconds a new worker may take to import and warm up
MAX_START_FAILURES = 3  # workers in a row that could not start before the pool gives up
_WORKER_MAIN = "from vf_luanti.execution import _worker_main; _worker_main()"


def failure(kind: str, reason: str) -> dict[str, str]:
    """The structured failure every caller gets instead of an exception."""
    return {"failure": kind, "reason": reason}


# ------------------------------------------------------------------------------------------------
# Jobs
# ------------------------------------------------------------------------------------------------

# ------------------------------------------------------------------------------------------------
# Framing: 4-byte big-endian length + UTF-8 JSON, both directions
# ------------------------------------------------------------------------------------------------


def _encode(obj: Any) -> bytes:
    """A message as UTF-8 JSON; TypeError/ValueError if it is not JSON."""
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _write_frame(fd: int, obj: Any) -> None:
    _write_encoded(fd, _encode(obj))


def _write_encoded(fd: int, data: bytes) -> None:
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def _read_frame(fd: int, deadline: float | None, max_bytes: int) -> Any:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if size > max_bytes:
        raise OverflowError(f"result of {size} bytes is over the limit of {max_bytes}")
    return json.loads(_read_exact(fd, size, deadline))


# ------------------------------------------------------------------------------------------------
# Worker process side
# ------------------------------------------------------------------------------------------------


def _set_limit(which: int, soft: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, hard))


_jobs: dict[str, Callable[[Any], Any]] = {}


def _resolve(name: str) -> Callable[[Any], Any]:
    """Import ``module:function`` once per worker."""
    fn = _jobs.get(name)
    if fn is None:
        module, sep, attr = name.partition(":")
        if not sep or not module or not attr:
            raise ValueError(f"job name must be 'module:function', got {name!r}")
        fn = getattr(importlib.import_module(module), attr)
        if not callable(fn):
            raise TypeError(f"job {name!r} is not callable")
        _jobs[name] = fn
    return fn


def _run_job(name: str, payload: Any, limits: RuntimeLimits) -> dict[str, Any]:
    """One job in this worker: a job-wide CPU deadline, every failure as a structured dict."""
    from lupa.luajit21 import LuaMemoryError

    from .runtime import job_scope

    try:
        fn = _resolve(name)
        # RLIMIT_CPU backs up the hook for CPU spent outside Lua: SIGXCPU ends the process
        used = resource.getrusage(resource.RUSAGE_SELF)
        _set_limit(resource.RLIMIT_CPU, int(used.ru_utime + used.ru_stime + limits.wall_deadline) + 2)
        with job_scope(limits):
            result = fn(payload)
        if not isinstance(result, dict):
            return failure("error", f"job {name} returned {type(result).__name__}, not a dict")
        return result
    except SandboxLimitError as exc:
        return failure(exc.failure, str(exc))
    except (LuaMemoryError, MemoryError) as exc:
        return failure("memory", f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        return failure("error", f"{type(exc).__name__}: {exc}")


def _worker_main() -> None:
    """Serve jobs on the pipe the parent gave as stdin/stdout until it closes it."""
    rfd, wfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)  # nothing in the worker may read the protocol or write into it
    os.dup2(devnull, 1)
    limits = RuntimeLimits.from_mapping(_read_frame(rfd, None, 1 << 20)["limits"])
    _set_limit(resource.RLIMIT_CORE, 0)  # a crash must not leave a core file behind
    _set_limit(resource.RLIMIT_AS, limits.address_space)
    _set_limit(resource.RLIMIT_STACK, limits.stack_size)

    _prepare(None, limits)
    _write_frame(wfd, {"ready": os.getpid()})
    while True:
        try:
            msg = _read_frame(rfd, None, 1 << 31)
        except EOFError:
            return
        if msg["job"] not in _jobs:
            _prepare(msg["job"], limits)
        result = _run_job(msg["job"], msg["payload"], limits)
        try:
            _write_frame(wfd, result)
        except (TypeError, ValueError) as exc:
            _write_frame(wfd, failure("error", f"job result is not JSON: {exc}"))
        _prepare(None, limits)  # while the caller reads the result


def _prepare(job: str | None, limits: RuntimeLimits) -> None:
    """Between jobs: import ``job``'s module and let it fill its per-process caches (a
    module-level ``warm_worker()``), then build spare runtimes for the next jobs. Only trusted
    code runs here, never a sample; a job that fails to import fails again when it runs."""
    from .runtime import prepare_spares

    if job is not None:
        with contextlib.suppress(Exception):
            fn = _resolve(job)
            warm = getattr(sys.modules.get(fn.__module__), "warm_worker", None)
            if callable(warm):
                warm()
    prepare_spares(SPARE_RUNTIMES, limits)
    gc.collect(1)


# ------------------------------------------------------------------------------------------------
# Parent side
# ------------------------------------------------------------------------------------------------


def _clean_env() -> dict[str, str]:
    """The worker's whole environment: no secrets, proxies or tokens of the trainer leak in."""
    return {
        "PATH": "/usr/bin:/bin",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),  # this very package
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "TMPDIR": tempfile.gettempdir(),  # the caller's choice (tests point it at a checked folder)
        # the judge's own setting: the game a passing sample also runs beside (checks/game.py)
        **{k: v for k, v in os.environ.items() if k == GAME_ENV},
    }


#: How a worker killed by a signal failed: RLIMIT_CPU ends it with SIGXCPU; anything else is a crash.
_SIGNAL_FAILURE = {signal.SIGXCPU: "timeout", signal.SIGKILL: "crash"}


class _Worker:
    """One worker process and its pipe ends."""

    def __init__(self, limits: RuntimeLimits) -> None:
        self.limits = limits
        # What the worker prints to stderr (an import error, a traceback while it starts) is kept
        # in a file, so a worker that cannot start can say why.
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the worker, in kill)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER_MAIN],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=_clean_env(),
            cwd="/",
            close_fds=True,
            start_new_session=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.wfd, self.rfd = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        self.ready = False
        self.start_failed = False
        self.jobs = 0
        _write_frame(self.wfd, {"limits": limits.to_dict()})

    def _death(self) -> dict[str, str]:
        """Why the process ended (it has, or is about to: the pipe closed)."""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            return failure("crash", "the worker closed its pipe and did not exit")
        if code < 0:
            sig = signal.Signals(-code)
            return failure(_SIGNAL_FAILURE.get(sig, "crash"), f"the worker died on {sig.name}")
        return failure("crash", f"the worker exited with status {code}")

    def stderr_tail(self, limit: int = 2000) -> str:
        """The end of what the worker wrote to stderr."""
        self.stderr.seek(0)
        text = self.stderr.read().decode("utf-8", "replace").strip()
        return text[-limit:]

    def request(self, request: bytes) -> tuple[dict[str, Any], bool]:
        """Run one encoded job: (result or failure, whether this worker may be reused)."""
        if not self.ready:
            try:
                _read_frame(self.rfd, time.monotonic() + _STARTUP_TIMEOUT, 1 << 10)
            except TimeoutError:
                self.kill()
                self.start_failed = True
                return failure("crash", "the worker did not start in time"), False
            except (EOFError, OSError, ValueError):
                self.start_failed = True
                death = self._death()
                tail = self.stderr_tail()
                if tail:
                    death["reason"] += f"; it printed: {tail}"
                return death, False
            self.ready = True
        try:
            _write_encoded(self.wfd, request)
        except OSError:
            return self._death(), False
        deadline = time.monotonic() + self.limits.wall_deadline
        try:
            result = _read_frame(self.rfd, deadline, self.limits.max_result_bytes)
        except TimeoutError:
            self.kill()
            return failure(
                "timeout",
                f"no result within the wall-clock deadline of {self.limits.wall_deadline:g} s; worker killed",
            ), False
        except OverflowError as exc:
            self.kill()
            return failure("error", str(exc)), False
        except (EOFError, OSError, ValueError):
            return self._death(), False
        self.jobs += 1
        return result, True

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.stderr):
            if f is not None:
                with contextlib.suppress(OSError):
                    f.close()

    def close(self) -> None:
        """Ask the worker to exit (EOF on its input), kill it if it does not."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


_live: weakref.WeakSet[Executor] = weakref.WeakSet()


class Executor:
    """A pool of sandbox worker processes.

    ``workers`` defaults to ``os.cpu_count()``. ``max_jobs_per_worker`` replaces a worker after
    that many jobs, bounding whatever a long-lived interpreter accumulates. Use as a context
    manager or call ``close()``; pools still open at interpreter exit are closed by atexit.
    """

    def __init__(
        self,
        workers: int | None = None,
        limits: RuntimeLimits | None = None,
        max_jobs_per_worker: int = 10_000,
    ) -> None:
        self.limits = limits or Limits()
        self.size = max(1, workers or os.cpu_count() or 1)
        self.max_jobs_per_worker = max_jobs_per_worker
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._start_failures = 0  # workers in a row that could not start
        self._broken: dict[str, str] | None = None  # why the pool gave up starting workers
        for _ in range(self.size):
            self._idle.put(self._spawn())
        self._threads = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="vf-luanti-exec")
        _live.add(self)

    def _spawn(self) -> _Worker:
        w = _Worker(self.limits)
        with self._lock:
            self._workers.add(w)
        return w

    def _retire(self, w: _Worker) -> None:
        w.close()
        with self._lock:
            self._workers.discard(w)

    def pids(self) -> list[int]:
        """Process ids of the current workers (for tests and monitoring)."""
        with self._lock:
            return [w.proc.pid for w in self._workers]

    def run(self, job: str, payload: Any) -> dict[str, Any]:
        """Run ``job`` ("module:function") on ``payload`` in a worker; never raises."""
        if self._closed:
            return failure("error", "the executor is closed")
        if self._broken is not None:
            return dict(self._broken)
        try:
            request = _encode({"job": job, "payload": payload})
        except (TypeError, ValueError) as exc:
            return failure("error", f"payload is not JSON: {exc}")
        while True:
            try:
                w = self._idle.get(timeout=0.5)
                break
            except queue.Empty:
                if self._closed:
                    return failure("error", "the executor is closed")
        healthy = False
        try:
            result, healthy = w.request(request)
            return result
        except Exception as exc:  # a bug here must not reach the trainer either
            return failure("error", f"executor: {type(exc).__name__}: {exc}")
        finally:
            self._after_job(w, healthy)

    def _after_job(self, w: _Worker, healthy: bool) -> None:
        """Put the worker back, or replace it. Workers that cannot start are not replaced without
        end: after MAX_START_FAILURES in a row the pool gives up, and every job fails at once with
        the last worker's reason (its stderr included) instead of waiting for another start."""
        if healthy and w.jobs < self.max_jobs_per_worker:
            self._idle.put(w)
            return
        with self._lock:
            self._start_failures = self._start_failures + 1 if w.start_failed else 0
            if self._start_failures >= MAX_START_FAILURES and self._broken is None:
                self._broken = failure(
                    "error",
                    f"{MAX_START_FAILURES} sandbox workers in a row could not start; the last: "
                    + w.stderr_tail(4000),
                )
        self._retire(w)
        if not self._closed:
            # a replacement is started even for a broken pool: jobs waiting for a worker get one,
            # and it answers with the pool's reason at once
            self._idle.put(self._spawn())

    def run_many(self, jobs: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
        """Run jobs concurrently across the workers; results in input order."""
        jobs = list(jobs)
        if self._closed:
            return [failure("error", "the executor is closed") for _ in jobs]
        return list(self._threads.map(lambda j: self.run(*j), jobs))

    async def arun_many(self, jobs: Sequence[tuple[str, Any]]) -> list[dict[str, Any]]:
        """``run_many`` for asyncio callers: awaits without blocking the event loop."""
        loop = asyncio.get_running_loop()
        if self._closed:
            return [failure("error", "the executor is closed") for _ in jobs]
        futures = [loop.run_in_executor(self._threads, self.run, job, payload) for job, payload in jobs]
        return list(await asyncio.gather(*futures))

    def close(self) -> None:
        """Stop every worker and wait for it; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._threads.shutdown(wait=True)
        with self._lock:
            workers = list(self._workers)
        for w in workers:
            self._retire(w)

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_default: Executor | None = None
_default_lock = threading.Lock()


_configured: dict[str, Any] = {}


def configure_default(workers: int | None = None, limits: RuntimeLimits | None = None) -> None:
    """Settings for the shared pool, applied at its next use (the environment's kwargs): nothing
    starts in a process that only loads tasks and never scores."""
    with _default_lock:
        _configured.update({k: v for k, v in (("workers", workers), ("limits", limits)) if v is not None})


def default_executor(workers: int | None = None, limits: RuntimeLimits | None = None) -> Executor:
    """The shared pool, created on first use, with ``configure_default``'s settings unless others
    are given. Settings that differ from the current pool's replace it."""
    global _default
    workers = workers if workers is not None else _configured.get("workers")
    limits = limits if limits is not None else _configured.get("limits")
    with _default_lock:
        stale = _default is not None and (
            _default._closed
            or (workers is not None and workers != _default.size)
            or (limits is not None and limits != _default.limits)
        )
        if stale and _default is not None:
            _default.close()
        if _default is None or stale:
            _default = Executor(workers, limits)
        return _default


@atexit.register
def _close_all() -> None:
    for ex in list(_live):
        ex.close()
