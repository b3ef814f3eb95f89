"""vf-luanti: judge LLM-written Luanti mods by running them in an emulated engine.

Public API: ``check`` (load mods, get a LoadReport), ``run_mods`` (load in-memory mods and keep the
runtime for the event driver), ``load_tasks`` / ``score`` (the benchmark: tasks and their scoring).
"""

from .check import check, run_mods
from .mods import Mod, ModError, mod_from_source
from .report import Diagnostic, LoadReport
from .runtime import LuanRuntime, RuntimeLimits
from .scoring import Score, score
from .tasks import Task, load_tasks

__all__ = [
    "Diagnostic",
    "LoadReport",
    "LuanRuntime",
    "Mod",
    "ModError",
    "RuntimeLimits",
    "Score",
    "Task",
    "check",
    "load_tasks",
    "mod_from_source",
    "run_mods",
    "score",
]
