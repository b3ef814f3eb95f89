"""The real engine as an oracle: run Debian's ``minetestserver`` 5.6.1 headless on mods.

Fidelity of the emulation is measured, not assumed: the tests load the same mods in the engine and
in the emulation and compare the registry (``engine_registry``) and the load errors
(``engine_check``). Each run gets a fresh temporary world under a short base folder (LuaJIT cuts
chunk names over 60 characters, so long world paths would garble the error messages), a free UDP
port on 127.0.0.1, and its own process group, which is killed on timeout.

The mods are copied into ``<world>/worldmods/`` together with the ``vfl_oracle`` helper mod
(package data in ``vf_luanti/oracle_mod``), which loads last, writes the registry as JSON and asks
the server to shut down after a few steps. Paths in the engine's messages are mapped back to the
caller's mod folders, so diagnostics name the same files as the emulation's.

One module per step: ``run`` (the engine run), ``registry`` (its registry, normalised),
``diagnose`` (its load errors as Diagnostics), ``compare`` (registry differences).
"""

from .compare import registry_differences
from .diagnose import diagnose, engine_check
from .registry import craft_normal_form, emulation_check, engine_registry, normalize_registry
from .run import (
    DEFAULT_STEPS,
    HELPER_MOD,
    ORACLE_BASE,
    SERVER_BINARY,
    SHARE,
    EngineRun,
    LogLine,
    OracleError,
    engine_available,
    parse_log,
    run_engine,
)

__all__ = [
    "DEFAULT_STEPS",
    "HELPER_MOD",
    "ORACLE_BASE",
    "SERVER_BINARY",
    "SHARE",
    "EngineRun",
    "LogLine",
    "OracleError",
    "craft_normal_form",
    "diagnose",
    "emulation_check",
    "engine_available",
    "engine_check",
    "engine_registry",
    "normalize_registry",
    "parse_log",
    "registry_differences",
    "run_engine",
]
