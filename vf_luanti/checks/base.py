"""The check language's vocabulary: the kinds, the result of a check, and how a result is worded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REGISTRY_KINDS = ("item", "craft", "alias", "abm", "lbm", "entity", "chatcommand", "privilege", "callback")
KINDS = (*REGISTRY_KINDS, "scenario", "preserve", "lua", "warnings", "code", "calls", "globals")
#: Kinds judged on the whole session after the soak (every load, scenario and server step).
SESSION_KINDS = ("warnings", "calls", "globals")
CRAFT_TYPES = ("shaped", "shapeless", "cooking", "fuel", "toolrepair")
ITEM_TYPES = ("node", "craft", "tool", "none")
#: The global callback lists a ``callback`` check may count (core.registered_<event>s).
CALLBACK_EVENTS = (
    "on_joinplayer",
    "on_leaveplayer",
    "on_newplayer",
    "on_dieplayer",
    "on_respawnplayer",
    "on_placenode",
    "on_dignode",
    "on_punchnode",
    "on_chat_message",
    "on_player_receive_fields",
    "on_craft",
    "on_item_eat",
    "on_punchplayer",
    "on_player_hpchange",
    "on_mods_loaded",
    "on_shutdown",
    "globalstep",
    "on_generated",
    "on_prejoinplayer",
    "on_protection_violation",
    "on_cheat",
    "on_priv_grant",
    "on_priv_revoke",
    "on_authplayer",
    "on_player_inventory_action",
)
MATCH_OPS = (
    "$exact",
    "$absent",
    "$present",
    "$type",
    "$contains",
    "$regex",
    "$range",
    "$any_of",
    "$not",
    "$len",
)
LUA_TYPES = ("function", "string", "number", "table", "boolean", "nil")
FUNCTION_JSON = "<function>"  # how the registry report encodes a function value
#: After its checks every world runs on as a server would (a later error would crash it): the first
#: SOAK_SECONDS of game time in the engine's dedicated-server steps, then up to SOAK_HORIZON in
#: coarse steps, jumping ahead while only timers are pending (World.soak).
SOAK_SECONDS, SOAK_DTIME, SOAK_HORIZON, SOAK_COARSE = 60.0, 0.09, 3600.0, 30.0
#: ... and past SOAK_HORIZON, timers alone (after jobs, node timers) are followed for 30 game days.
SOAK_TIMER_HORIZON = 30 * 86400.0


class CheckError(ValueError):
    """A check that does not follow the check language (raised on task load, never while scoring)."""


@dataclass
class CheckResult:
    """Outcome of one check: ``feedback`` says what was expected when it failed."""

    desc: str
    kind: str
    passed: bool
    feedback: str = ""
    baseline: bool = False  # the do-nothing answer passes it too (vf_luanti.scoring.task_credit)

    def to_dict(self) -> dict[str, Any]:
        return {
            "desc": self.desc,
            "kind": self.kind,
            "passed": self.passed,
            "feedback": self.feedback,
            "baseline": self.baseline,
        }


# --------------------------------------------------------------------------- the matcher language


def describe(c: dict) -> str:
    return c["desc"].strip()


def outcome(c: dict, err: str | None) -> CheckResult:
    """The result of check ``c`` given what was wrong (None: it passed)."""
    if err is None:
        return CheckResult(describe(c), c["kind"], True)
    return CheckResult(describe(c), c["kind"], False, f"{describe(c)} -- {err}")


# --------------------------------------------------------------------------- the session (in the worker)
