"""vf-luanti: judge LLM-written Luanti mods by running them in an emulated engine.

Public API: ``check`` (load mods, get a LoadReport), ``run_mods`` (load in-memory mods and keep the
runtime for the event driver), ``load_tasks`` / ``score`` (the benchmark: tasks and their scoring).
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .environment import load_environment
    from .load_report import Diagnostic, LoadReport
    from .loading import check, run_mods
    from .mods import Mod, ModError, mod_from_source
    from .runtime import LuanRuntime, RuntimeLimits
    from .scoring import Score, score
    from .splits import load_tasks
    from .tasks import Task
    from .taskset import LuantiTaskset

#: Where each public name lives: imported on first use, so ``vf-luanti check`` (and a sandbox worker,
#: which imports this package too) does not pay for the environment, the generator and scoring.
_PUBLIC = {
    "load_environment": "environment",
    "Diagnostic": "load_report",
    "LoadReport": "load_report",
    "check": "loading",
    "run_mods": "loading",
    "Mod": "mods",
    "ModError": "mods",
    "mod_from_source": "mods",
    "LuanRuntime": "runtime",
    "RuntimeLimits": "runtime",
    "Score": "scoring",
    "score": "scoring",
    "load_tasks": "splits",
    "Task": "tasks",
    "LuantiTaskset": "taskset",
}

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
    """A public name, imported from its module on first use. ``LuantiTaskset`` (the v1 taskset that
    verifiers 0.4 / prime-rl find through ``__all__``) needs verifiers.v1, which takes seconds to
    import and may be missing."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'vf_luanti' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    except ImportError as exc:
        if name != "LuantiTaskset":
            raise
        raise AttributeError(f"vf_luanti.LuantiTaskset needs verifiers.v1: {exc}") from exc
    globals()[name] = value  # the next lookup is a plain attribute
    return value
