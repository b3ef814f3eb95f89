"""vf-luanti: judge LLM-written Luanti mods by running them in an emulated engine.

Public API: ``check`` (load mods, get a LoadReport), ``run_mods`` (load in-memory mods and keep the
runtime for the event driver), ``load_tasks`` / ``score`` (the benchmark: tasks and their scoring).
"""

from .environment import load_environment
from .load_report import Diagnostic, LoadReport
from .loading import check, run_mods
from .mods import Mod, ModError, mod_from_source
from .runtime import LuanRuntime, RuntimeLimits
from .scoring import Score, score
from .splits import load_tasks
from .tasks import Task

__all__ = [
    "Diagnostic",
    "LoadReport",
    "LuanRuntime",
    "LuantiTaskset",
    "Mod",
    "ModError",
    "RuntimeLimits",
    "Score",
    "Task",
    "check",
    "load_environment",
    "load_tasks",
    "mod_from_source",
    "run_mods",
    "score",
]


def __getattr__(name: str) -> object:
    """``LuantiTaskset`` (the v1 taskset that verifiers 0.4 / prime-rl find through ``__all__``) is
    imported on first use: importing verifiers.v1 takes seconds, and sandbox workers import this
    package too."""
    if name == "LuantiTaskset":
        try:
            from .taskset import LuantiTaskset
        except ImportError as exc:
            raise AttributeError(f"vf_luanti.LuantiTaskset needs verifiers.v1: {exc}") from exc
        return LuantiTaskset
    raise AttributeError(f"module 'vf_luanti' has no attribute {name!r}")
