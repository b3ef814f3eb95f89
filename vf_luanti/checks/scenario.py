"""One loaded copy of the answer and the scenario language run on it: actions through the event
driver, expectations read from engine-side state, Lua assertions in the check environment
(docs/tasks.md §3.3, §3.5)."""

from __future__ import annotations

import json
import weakref
from typing import TYPE_CHECKING, Any

from ..lualiteral import lua_literal
from .base import (
    CALLBACK_EVENTS,
    SOAK_COARSE,
    SOAK_DTIME,
    SOAK_HORIZON,
    SOAK_SECONDS,
    SOAK_TIMER_HORIZON,
    CheckError,
)
from .cases import (
    bind_steps,
    draw,
    fixed_words,
    hidden_expectations,
    quoted_numbers,
    sample_seed,
)
from .matchers import _short
from .registry import Registry
from .steps import ACTIONS, EXPECTS

if TYPE_CHECKING:
    from ..load_report import LoadReport
    from ..mods import Mod
    from ..runtime import LuanRuntime
    from ..world import World


_CALLBACK_TABLES = {e: f"registered_{e}s" for e in CALLBACK_EVENTS} | {
    "on_mods_loaded": "registered_on_mods_loaded",
    "on_shutdown": "registered_on_shutdown",
    "on_player_receive_fields": "registered_on_player_receive_fields",
    "on_protection_violation": "registered_on_protection_violation",
    "on_priv_grant": "registered_on_priv_grant",
    "on_priv_revoke": "registered_on_priv_revoke",
    "globalstep": "registered_globalsteps",
}


#: The feedback of a failing hidden case: what failed, never the value the judge expected.
HIDDEN_CASE = (
    "wrong for an input the instruction does not state (a hidden case: its expected value is not "
    "shown; the instruction's rule decides it)"
)


#: Pieces of the neighbour mod's init.lua: local helpers such as an integration mod keeps for the
#: mods it may meet. Each only defines functions, so loading it calls nothing.
_NEIGHBOUR_PIECES = (
    'local function owner_of(pos)\n\tlocal owner = minetest.get_meta(pos):get_string("owner")\n'
    '\treturn owner ~= "" and owner or nil\nend',
    "local function short_name(itemname)\n\tlocal def = minetest.registered_items[itemname]\n"
    '\treturn def and def.short_description or (itemname:gsub("^[^:]*:", ""))\nend',
    "local function node_below(pos)\n"
    "\treturn minetest.get_node({x = pos.x, y = pos.y - 1, z = pos.z}).name\nend",
    "local function is_player(obj)\n\treturn minetest.is_player(obj)\nend",
    "local function count_items(list)\n\tlocal n = 0\n\tfor _, stack in ipairs(list) do\n"
    "\t\tn = n + stack:get_count()\n\tend\n\treturn n\nend",
    "local function clamp(v, lo, hi)\n\treturn math.max(lo, math.min(hi, v))\nend",
    'local function join_names(names)\n\ttable.sort(names)\n\treturn table.concat(names, ", ")\nend',
)


#: The neighbour's API pieces, one per world: a registration helper it offers other mods, as
#: integration mods do (``areas:registerOnAdd``, ``awards.register_award``). Defining one registers
#: nothing and calls nothing, yet the text reads like a mod that registers, as real ones do.
_NEIGHBOUR_API = (
    "local registered = {}\nlocal function register_hook(name, func)\n\tregistered[name] = func\n"
    '\tminetest.log("verbose", "hook " .. name)\nend',
    "local function register_compat_alias(old, new)\n\tif not minetest.registered_aliases[old] then\n"
    "\t\tminetest.register_alias(old, new)\n\tend\nend",
    "local function register_on_join_of(name, func)\n\tminetest.register_on_joinplayer(function(player)\n"
    "\t\tif player:get_player_name() == name then func(player) end\n\tend)\nend",
    "local function register_privilege_if_missing(priv, description)\n"
    "\tif not minetest.registered_privileges[priv] then\n"
    "\t\tminetest.register_privilege(priv, {description = description, give_to_singleplayer = false})\n"
    "\tend\nend",
)


def load_failure(report: LoadReport) -> str | None:
    """Why a load's mods did not load (its first error), or None when they did."""
    if report.ok:
        return None
    return str(report.errors[0]) if report.errors else "the load failed"


def _neighbour_source(name: str, seed: int) -> str:
    """The neighbour's init.lua: a header, one API piece and some helper pieces, chosen and ordered by
    the world's seed, so a mod cannot tell it by its size, a fixed text or the want of a
    registration in it (docs/threat_model.md)."""
    pieces = list(_NEIGHBOUR_PIECES)
    chosen = [_NEIGHBOUR_API[seed % len(_NEIGHBOUR_API)]]
    for _ in range(2 + seed % 3):
        seed //= len(pieces) + 1
        chosen.insert(seed % (len(chosen) + 1), pieces.pop(seed % len(pieces)))
    return (
        f"-- {name}: hooks into the other mods of this server where they are installed\n\n"
        + "\n\n".join(chosen)
        + "\n"
    )


def _neighbour(runtime: LuanRuntime | None, mod_name: str) -> list[Mod]:
    """The world's neighbour mod (ServerStart.neighbour), really installed: a mod folder with its
    mod.conf, an init.lua and a place in the load order after the sample, whose functions the check
    frames that call into the sample pose as. It calls nothing, so no ``calls`` count or global moves."""
    from ..mods import mod_from_source

    name = runtime.start.neighbour if runtime is not None else ""
    if not name or name == mod_name:
        return []
    mod = mod_from_source(_neighbour_source(name, runtime.start.map_seed), name=name)  # type: ignore[union-attr]
    mod.files["mod.conf"] = (
        f"name = {name}\ndescription = Integration with other mods\noptional_depends = {mod_name}\n"
    ).encode()
    mod.optional_depends = [mod_name]
    return [mod]


class CheckWorld:
    """One loaded copy of the completion: the registry, a World over it, and what it recorded.

    ``mods`` are stand-in mods ({"name", "code"}, a scenario's ``mods`` key) loaded before the
    completion, which lists them as optional dependencies (as a game's ``default`` would be).
    ``game``: a game's mods (game.py) loaded with it; a stand-in that names one of them gives way to
    the game's own mod, which the completion then lists as an optional dependency instead.
    ``registered=False``: the load report leaves out the registry (no registry check will read it;
    building a game's costs some 20 ms); a set of item names: its items only those (the ones the
    item checks name). A
    ``restart`` step replaces ``world`` with a new server started from what the old one saved;
    the stopped ones stay in ``stopped`` (their output and warnings still count, they are not soaked).
    """

    def __init__(
        self,
        code: str,
        mod_name: str,
        luanti_version: str | None = None,
        runtime: LuanRuntime | None = None,
        observe: tuple[str, ...] = (),
        mods: tuple[dict[str, str], ...] = (),
        observe_sites: bool = False,
        game: tuple[Mod, ...] = (),
        depends: tuple[str, ...] = (),
        registered: bool | frozenset[str] = True,
    ) -> None:
        from ..mods import mod_from_source

        in_game = {m.name for m in game}
        stand_ins = [mod_from_source(m["code"], name=m["name"]) for m in mods if m["name"] not in in_game]
        for m in stand_ins:
            m.group = 0  # like a game's mods: listed before the completion
        main = mod_from_source(code, name=mod_name)
        neighbour = [] if game else _neighbour(runtime, mod_name)  # beside a game, one of its mods
        # The stand-ins, and what the answer's mod.conf names (the loader orders the mod after those
        # installed, as a real server does; a missing one is no error: a plain world has no game).
        # Not the neighbour, which loads after the sample (it optionally depends on it).
        skip = {mod_name, *(n.name for n in neighbour)}
        main.optional_depends = list(
            dict.fromkeys([m["name"] for m in mods] + [d for d in depends if d not in skip])
        )
        #: Whether the game's own mods stand in for stand-ins this world's scenario names.
        self.game_stand_ins = any(m["name"] in in_game for m in mods)
        self.mod_name = mod_name
        self._mods = [*game, *stand_ins, main, *neighbour]
        self._version, self._observe, self._observe_sites = luanti_version, observe, observe_sites
        self._registered = registered
        self.stopped: list[World] = []
        self.report, self.world = self._start(runtime)
        # A proxy, not a reference cycle: the Lua state is then freed as soon as the session drops
        # this world (the pool does it between jobs), not by the cycle collector in a later job.
        self.registry = Registry(self.report.registered, weakref.proxy(self))
        self.entities: dict[str, int | None] = {}
        self.commands: dict[str, dict[str, Any]] = {}  # player -> what their last chat command returned
        self._errors_seen = len(self.report.errors)

    def _start(self, runtime: LuanRuntime | None, restore: str | None = None) -> tuple[LoadReport, World]:
        from ..runtime import STARTUP_STEPS
        from ..world import load_world

        return load_world(
            self._mods,
            luanti_version=self._version,
            runtime=runtime,
            startup_steps=STARTUP_STEPS,
            observe=self._observe,
            restore=restore,
            observe_sites=self._observe_sites,
            registered=self._registered,
        )

    def registry_now(self) -> Registry:
        """The registry as the running (or stopped) server holds it now: the load report taken again."""
        from ..load_report import LoadReport

        report = LoadReport.from_dict(self.world.runtime.report())
        return Registry(report.registered, weakref.proxy(self))

    @property
    def worlds(self) -> list[World]:
        """Every server of this load, the stopped ones first."""
        return [*self.stopped, self.world]

    def restart(self, storage: dict[str, str | None] | None = None, mod: str | None = None) -> str | None:
        """Stop the server (World.persist) and start a new one from what it saved, in a sibling
        world of the same Lua state; returns why the new one failed, if it did. Entity handles and
        the record of chat commands belong to the old server and are dropped. ``storage``: keys of
        ``mod``'s storage (default the task's mod) an admin sets (a string) or removes (None) in the
        database while the server is stopped, so a mod that keeps its data elsewhere shows it."""
        errs_before = len(self.world.errors())
        state = self.world.persist()
        errs = [str(e) for e in self.world.errors(errs_before)]
        if errs:
            return "the mod raised an error while the server shut down: " + errs[0]
        if storage:
            state = self.world.runtime.call("edit_storage", state, mod or self.mod_name, json.dumps(storage))
        why = self._start_from(state)
        return f"after the restart the mods did not load: {why}" if why else None

    def _start_from(self, state: str) -> str | None:
        """The stopped server's place taken by a new one started from ``state`` (a sibling world of
        the same Lua state); returns why its mods did not load, if they did not. Entity handles and
        the record of chat commands belong to the old server and are dropped."""
        self.stopped.append(self.world)
        report, self.world = self._start(self.world.runtime.sibling(), state)
        self.entities, self.commands = {}, {}
        self._errors_seen = len(report.errors)
        return load_failure(report)

    def live(self, mods: tuple[str, ...] = ()) -> str | None:
        """The server runs on as after its checks (World.soak: the first minute in server steps, the
        first hour, timers for a month, a visitor's life, the shutdown) with the visitors meeting
        ``mods``' things (default every mod's); returns the first error, which would crash the real
        server, an error no engine path caught included."""
        from ..world import WorldError

        try:
            errs = self.world.soak(
                SOAK_SECONDS, SOAK_DTIME, SOAK_HORIZON, SOAK_COARSE, SOAK_TIMER_HORIZON, mods=mods
            )
        except WorldError as exc:
            return str(exc)
        return str(errs[0]) if errs else None

    def start_again(self) -> str | None:
        """The server starts once more from what it saved at its final shutdown (after ``live``), as
        every real server does the next day: the mods load over their own saved data, the start-up
        steps run, a player joins and the server runs a few seconds; returns the first error (a
        crash). Nothing happens when the mods saved nothing of their own."""
        from ..world import WorldError

        state = self.world.saved_state
        if state is None:
            return None
        try:
            why = self._start_from(state)
            if why:
                return f"at the server's next start the mods did not load: {why}"
            errs_before = len(self.world.errors())
            self.world.join_player("Robin")
            self.world.step(5.0, 0.09)
        except WorldError as exc:
            return f"at the server's next start: {exc}"
        errs = [str(e) for e in self.world.errors(errs_before)]
        return f"at the server's next start: {errs[0]}" if errs else None

    # registry reads for Registry ------------------------------------------------------------
    def registered(self, table: str, name: str) -> Any:
        return self.world.eval(f"return minetest.registered_{table}[{lua_literal(name)}]")

    def callback_count(self, event: str) -> int:
        """Callbacks of ``event`` that mod code registered (the engine's record of who registered
        each, taken at registration: no chunk name or engine-made closure can hide one)."""
        table = _CALLBACK_TABLES[event]
        return int(self.world.runtime.call_json("mod_callback_count", table)["count"])

    def global_names(self) -> tuple[list[str], bool]:
        """The names in the mods' global table, read raw, and whether a mod replaced or changed
        the table's metatable (which can hide globals: the judge counts that as a global)."""
        res = self.world.runtime.call_json("global_names")
        return [str(n) for n in res.get("names") or []], bool(res.get("metatable_replaced"))

    def new_errors(self) -> list[str]:
        errs = self.world.errors(self._errors_seen)
        self._errors_seen += len(errs)
        return [str(e) for e in errs]

    def warnings(self) -> list[str]:
        return [str(w) for world in self.worlds for w in world.warnings()]

    # lua assertions ---------------------------------------------------------------------------
    def assert_lua(self, code: str) -> str | None:
        """Run an assertion snippet: it passes when it returns true; else its second value is the reason."""
        from ..world import WorldError

        wrapped = (
            "local ok, msg = (function()\n" + code + "\nend)()\n"
            "return {ok = ok == true, msg = msg ~= nil and tostring(msg) or nil, got = ok}"
        )
        try:
            res = self.world.eval(wrapped) or {}
        except WorldError as exc:
            return f"the assertion raised an error: {exc}"
        if res.get("ok") is True:
            return None
        return f"assertion returned {_short(res.get('got'))}" + (f": {res['msg']}" if res.get("msg") else "")

    # scenarios --------------------------------------------------------------------------------
    def run_scenario(
        self, steps: list[dict[str, Any]], variables: dict[str, Any] | None = None, instruction: str = ""
    ) -> str | None:
        """Run a scenario's steps; returns what failed. ``variables``: the scenario's ``vars``, drawn
        for this sample from its world's start (checks/cases.py) and put into the steps. A failing
        expectation of a hidden case (a generated value, or after an input the ``instruction`` does
        not quote) says what failed but not the expected value: a policy that reads the feedback
        must not learn the test set (docs/threat_model.md, "Hidden cases")."""
        bound, names = steps, set()
        if variables:
            seed = sample_seed(self.world.runtime.start, steps)
            values = draw(variables, seed, quoted_numbers(instruction), fixed_words(instruction, steps))
            names = {n for n, v in values.items() if isinstance(v, str)}  # the player-name vars
            bound = bind_steps(steps, values)
        hidden = hidden_expectations(steps, instruction, self.mod_name, names)
        for n, (s, b) in enumerate(zip(steps, bound, strict=True), 1):
            what = s.get("do") or s.get("expect")
            label = s.get("desc") or f"step {n} ({'do' if 'do' in s else 'expect'} {what})"
            if "do" in b:
                err = self._do(b)
                errs = self.new_errors()
                if err is None and errs:
                    err = "the mod raised an error: " + errs[0]
            else:
                err = self._expect(b)
                if err and n - 1 in hidden:
                    err = HIDDEN_CASE
            if err:
                return f"{label}: {err}"
        return None

    def _do(self, s: dict[str, Any]) -> str | None:
        return ACTIONS[s["do"]].run(self, s)

    def eval_action(self, code: str) -> str | None:
        """Run a setup snippet (steps.py); an error in it is the step's failure."""
        from ..world import WorldError

        try:
            self.world.eval(code)
        except WorldError as exc:
            return f"raised an error: {exc}"
        return None

    def _expect(self, s: dict[str, Any]) -> str | None:
        kind = EXPECTS.get(s["expect"])
        if kind is None:
            raise CheckError(f"unknown expectation {s['expect']!r}")
        return kind.run(self, s)
