"""The check language: plain-JSON checks, validated on task load and interpreted inside the worker.

One module per concern (docs/tasks.md, "Checks", is the reference for item authors):

* ``base``: the kinds, a check's result and its wording;
* ``matchers``: how an expected value is compared with what the world holds;
* ``schema``: validation of every check on task load;
* ``registry``: registry assertions (``item``, ``craft``, ``alias``, ``abm``, ``lbm``, ``entity``,
  ``chatcommand``, ``privilege``, ``callback``);
* ``preserve``: what the task input registers stays as it was (refactor/repair);
* ``scenario``: a loaded copy of the answer (its worlds, restarts, ``lua`` assertions);
* ``steps``: the scenario language, one table entry per action and expectation (keys and handler);
* ``intent``: ``code`` (static requirements) and ``calls`` (observed engine calls);
* ``session``: one sample's checks in the worker, the soak, the session-wide checks;
* ``game``: the game a passing sample also runs beside (minetest_game, ``$VF_LUANTI_GAME``).
"""

from .base import (
    CALLBACK_EVENTS,
    KINDS,
    REGISTRY_KINDS,
    CheckError,
    CheckResult,
    describe,
    outcome,
)
from .matchers import match, validate_matcher
from .registry import Registry
from .scenario import CheckWorld
from .schema import validate_check
from .session import CheckSession, baseline_globals, run_check
from .steps import ACTIONS, EXPECTS

__all__ = [
    "ACTIONS",
    "CALLBACK_EVENTS",
    "EXPECTS",
    "KINDS",
    "REGISTRY_KINDS",
    "CheckError",
    "CheckResult",
    "CheckSession",
    "CheckWorld",
    "Registry",
    "baseline_globals",
    "describe",
    "match",
    "outcome",
    "run_check",
    "validate_check",
    "validate_matcher",
]
