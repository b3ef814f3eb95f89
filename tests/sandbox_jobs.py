"""Job functions the pool tests run inside workers (imported there as ``tests.sandbox_jobs``)."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
import time
from collections.abc import Iterator
from typing import Any


def env_job(payload: dict[str, Any]) -> dict[str, Any]:
    """What a worker process looks like from inside: environment, limits, standard streams."""
    return {
        "env": sorted(os.environ),
        "rlimit_as": resource.getrlimit(resource.RLIMIT_AS)[0],
        "rlimit_stack": resource.getrlimit(resource.RLIMIT_STACK)[0],
        "rlimit_cpu": resource.getrlimit(resource.RLIMIT_CPU)[0],
        "rlimit_core": resource.getrlimit(resource.RLIMIT_CORE)[0],
        "stdin": os.readlink("/proc/self/fd/0"),
        "stdout": os.readlink("/proc/self/fd/1"),
        "cwd": os.getcwd(),
        "pid": os.getpid(),
        "executable": sys.executable,
    }


def sleep_job(payload: dict[str, Any]) -> dict[str, Any]:
    time.sleep(payload["seconds"])
    return {"slept": payload["seconds"], "pid": os.getpid()}


def crash_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Die the way a native crash would (signal) or the way a Lua panic does (exit status)."""
    if payload.get("exit") is not None:
        os._exit(payload["exit"])
    os.kill(os.getpid(), getattr(signal, payload.get("signal", "SIGSEGV")))
    return {}


def spares_job(payload: dict[str, Any]) -> dict[str, Any]:
    """How many fresh runtimes the worker built ahead for this job; it takes one and registers a node."""
    from vf_luanti.mods import mod_from_source
    from vf_luanti.runtime import LuanRuntime, _spares

    ready = len(_spares)
    rt = LuanRuntime()
    rt.load_mods([mod_from_source('core.register_node("mymod:block", {})', name="mymod")])
    return {"ready": ready, "left": len(_spares), "items": sorted(rt.report()["registered"]["items"])}


def raise_job(payload: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("job bug")


def not_a_dict_job(payload: dict[str, Any]) -> list[int]:
    return [1, 2]


def not_json_job(payload: dict[str, Any]) -> dict[str, Any]:
    return {"x": {1, 2}}


def big_result_job(payload: dict[str, Any]) -> dict[str, Any]:
    return {"x": "y" * payload["size"]}


def alloc_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Python-side allocation past RLIMIT_AS: a MemoryError inside the worker."""
    blob = bytearray(payload["bytes"])
    return {"len": len(blob)}


def busy_job(payload: dict[str, Any]) -> dict[str, Any]:
    """CPU burnt outside Lua, where the count hook cannot see it."""
    end = time.process_time() + payload["seconds"]
    while time.process_time() < end:
        pass
    return {}


def children(pid: int | None = None) -> list[int]:
    """Live child processes of ``pid`` (default: this process), from /proc."""
    pid = os.getpid() if pid is None else pid
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry))
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@contextlib.contextmanager
def checked_pool(workers: int, limits: Any) -> Iterator[Any]:
    """An Executor that must leave no worker process behind when it closes (the tests' ``ex``)."""
    from vf_luanti.execution import Executor

    before = set(children())  # e.g. the shared default pool other tests started
    with Executor(workers=workers, limits=limits) as pool:
        yield pool
    assert set(children()) <= before, "worker processes outlived the pool"
