"""A sample's checks in the worker: the first load, fresh worlds for scenarios, the soak, and the
session-wide checks (warnings, calls, globals)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from .base import (
    REGISTRY_KINDS,
    SESSION_KINDS,
    CheckError,
    CheckResult,
    describe,
    outcome,
)
from .game import game_mods, game_path, warm_up
from .intent import check_code
from .matchers import match
from .preserve import check_preserve
from .registry import Registry, _check_registry
from .scenario import CheckWorld, load_failure
from .steps import StepFailed

if TYPE_CHECKING:
    from ..runtime import LuanRuntime


_LEVEL_PREFIX = re.compile(r"^[A-Z]+\[\w+\]: ")


def run_check(c: dict, reg: Registry, world: Any, ctx: dict[str, Any]) -> CheckResult:
    """Run one check; any exception inside becomes a failed check with the reason."""
    kind = c["kind"]
    try:
        if kind in REGISTRY_KINDS:
            err = _check_registry(c, reg)
        elif kind == "preserve":
            before = ctx.get("input_registered")
            err = (
                "the task input did not load, so nothing can be compared"
                if before is None
                else check_preserve(c, before, reg.r, ctx["mod_name"])
            )
        elif kind == "lua":
            err = world.assert_lua(c["code"])
        elif kind == "scenario":
            err = world.run_scenario(c["steps"], c.get("vars"), ctx.get("instruction", ""))
        else:
            raise CheckError(f"unknown kind {kind!r}")
    except StepFailed as exc:
        err = str(exc)
    except Exception as exc:  # a broken mod can make the driver raise; that is a failed check
        err = f"the check could not run: {type(exc).__name__}: {exc}"
    return outcome(c, err)


@cache
def baseline_globals() -> frozenset[str]:
    """Global names an empty mod set leaves in the mods' environment (everything else is the mod's)."""
    from ..world import load_world

    names = load_world([])[1].runtime.call_json("global_names").get("names") or []
    return frozenset(str(n) for n in names)


@lru_cache(maxsize=256)
def _input_registry(code: str, mod_name: str, luanti_version: str | None) -> dict | None:
    """The registry of a task's input, or None when it does not load; loaded once per worker.

    Every completion of a task is compared with the same input, which is task data, not a
    sample, so reusing its load carries nothing from one sample to the next. Callers only read it.
    """
    cw = CheckWorld(code, mod_name, luanti_version)
    return cw.report.registered if cw.report.ok else None


#: Check kinds a world answers alone (no input, no session): what the game run asks again.
_WORLD_KINDS = (*(k for k in REGISTRY_KINDS if k != "callback"), "lua", "scenario")


def _game_world(
    task: Any,
    code: str,
    start: Any,
    game: tuple[Any, ...],
    mods: tuple[Any, ...] = (),
    depends: tuple[str, ...] = (),
    registered: bool | frozenset[str] = False,
) -> CheckWorld:
    """``code`` loaded as the task's mod beside the game (and the stand-ins the game lacks), after
    the game's mods its mod.conf names (``depends``); its registry read only where a registry
    check will read it (``registered``: run_mods). Nothing the judge made up is installed there: the mod
    that check frames pose as (ServerStart.neighbour) is one of the game's own, drawn by the seed,
    so a sample that tells a made-up mod from a real one finds none beside the game. The server has
    been up a while when its checks run (game.warm_up): a day or two, into the afternoon."""
    from dataclasses import replace

    from ..runtime import LuanRuntime

    caller = game[start.map_seed % len(game)].name
    return CheckWorld(
        code,
        task.mod_name,
        task.luanti_version,
        LuanRuntime(start=replace(start, neighbour=caller, warm_up=warm_up(start.map_seed))),
        mods=mods,
        game=game,
        depends=depends,
        registered=registered,
    )


def _game_checks(
    task: Any,
    code: str,
    start: Any,
    game: tuple[Any, ...],
    asked: Collection[int],
    depends: tuple[str, ...] = (),
) -> Iterator[tuple[int, CheckResult | None, CheckWorld]]:
    """The ``asked`` world checks of ``task`` run on ``code`` beside the game, in order: registry
    and ``lua`` checks on one world of the sample and the game, each scenario on a world of its
    own, except that the last scenario without stand-ins runs in that first world when no ``lua``
    check changes it (registry checks read the load's report), as CheckSession.run_all does with
    its main world: one game load fewer. Yields (index, result or None when the mods did not
    load, the world)."""
    ctx = {"mod_name": task.mod_name, "instruction": task.instruction}
    plain: CheckWorld | None = None
    kinds = {task.checks[i]["kind"] for i in asked}
    # the registry, where a registry check reads it, with only the items the item checks name (as
    # written, and without the ":" prefix _check_registry drops): the game's are most of its text
    named = (task.checks[i]["name"] for i in asked if task.checks[i]["kind"] == "item")
    registry = frozenset(n for name in named for n in (name, name.lstrip(":")))
    registered = registry if kinds & set(REGISTRY_KINDS) else False
    own = [
        i for i in sorted(asked) if task.checks[i]["kind"] == "scenario" and not task.checks[i].get("mods")
    ]
    reuse = own[-1] if own and "lua" not in kinds else None
    for i, c in enumerate(task.checks):
        if i not in asked:
            continue
        if c["kind"] == "scenario" and i != reuse:
            cw = _game_world(task, code, start, game, tuple(c.get("mods", ())), depends)
        else:
            plain = cw = plain or _game_world(task, code, start, game, depends=depends, registered=registered)
        yield i, run_check(c, cw.registry, cw, ctx) if cw.report.ok else None, cw


#: _checks_beside_game's answers by the task's JSON text (at most _ASKED_MAX tasks per worker).
_ASKED: dict[str, frozenset[int]] = {}
_ASKED_MAX = 256


def _checks_beside_game(task: Any) -> frozenset[int]:
    """The world checks the task's reference passes beside the game, which a sample must pass there
    too; run once per worker and task (the task's own data, so nothing carries between samples)."""
    from ..runtime import ServerStart

    asked = _ASKED.get(task.json_text)
    if asked is None:
        start = ServerStart.for_sample(task.json_text, task.reference)
        candidates = [i for i, c in enumerate(task.checks) if c["kind"] in _WORLD_KINDS]
        asked = frozenset(
            i
            for i, res, _ in _game_checks(task, task.reference, start, game_mods(), candidates)
            if res is not None and res.passed
        )
        if len(_ASKED) >= _ASKED_MAX:
            _ASKED.clear()
        _ASKED[task.json_text] = asked
    return asked


class CheckSession:
    """Everything one completion's checks need: the first load, fresh loads for scenarios, the input."""

    def __init__(self, task: Any, code: str, depends: tuple[str, ...] = (), beside_game: bool = True) -> None:
        """``depends``: the mods the answer's mod.conf names (parse.ParseResult.depends);
        ``beside_game=False``: no run beside the game (``_beside_the_game``)."""
        from ..runtime import ServerStart

        self.task = task
        self.code = code
        self.depends = depends
        self.beside_game = beside_game
        self.start = ServerStart.for_sample(task.json_text, code)  # every world of this sample
        self.main = self._load(code)
        report = self.main.report
        self.loaded_ok = report.ok
        self.load_errors = [str(e) for e in report.errors]
        self._worlds = [self.main]
        self._new_globals: list[str] | None = None
        self.crash: str | None = None  # the engine's message when the server would have crashed
        self._soaked = False
        self._loaded_globals: list[str] = []  # the globals read before the soak
        self._started_again = False  # whether a world started a second time from the mod's own data
        self._settled: tuple[list[str], list[str]] | None = None  # warnings and output (_settle)

    @property
    def warnings(self) -> list[str]:
        """Distinct warnings from every load of this session (load time and scenario runs)."""
        if self._settled is not None:
            return list(self._settled[0])
        seen: dict[str, None] = {}
        for cw in self._worlds:
            for wmsg in cw.warnings():
                seen.setdefault(wmsg)
        return list(seen)

    @property
    def output(self) -> list[str]:
        """Debug output of every load of this session, at load time and while the checks and the
        soak ran (print by any alias, core.log without a level): lines the engine would print."""
        if self._settled is not None:
            return list(self._settled[1])
        return [
            line
            for cw in self._worlds
            for w in cw.worlds
            for line in w.output()
            if not _LEVEL_PREFIX.match(line)
        ]

    def _load(
        self, code: str, runtime: LuanRuntime | None = None, mods: tuple[dict[str, str], ...] = ()
    ) -> CheckWorld:
        """A fresh world with ``code`` loaded as the task's mod (after the stand-in ``mods``), for
        the task's Luanti version, counting the calls the task's ``calls`` checks ask about."""
        from ..runtime import LuanRuntime

        calls = [c for c in self.task.checks if c["kind"] == "calls"]
        observe = tuple(dict.fromkeys(c["fn"] for c in calls))
        runtime = runtime or LuanRuntime(start=self.start)  # siblings share its start
        sites = any("sites" in c for c in calls)
        return CheckWorld(
            code,
            self.task.mod_name,
            self.task.luanti_version,
            runtime,
            observe,
            mods,
            sites,
            depends=self.depends,
        )

    def new_globals(self) -> list[str]:
        """Globals the mod created: read in the main world after loading (before any scenario runs
        there) and, once the server has run on, again; both readings count."""
        if self._new_globals is None:
            names, replaced = self.main.global_names()
            found = set(names) - baseline_globals() - {self.task.mod_name}
            if replaced:
                found.add("(a replaced metatable of _G)")
            self._new_globals = sorted(found | set(self._loaded_globals))
            if not self._soaked:
                self._loaded_globals = self._new_globals
        return self._new_globals

    def run_all(self) -> list[CheckResult]:
        """Run every check; scenarios each get a freshly loaded world so they cannot affect one another.

        The checks on the main world run first, then the scenarios, then ``warnings`` checks (they
        see the warnings of every scenario run). The last scenario without stand-in ``mods`` runs
        in the main world itself when nothing has changed it since its load (no ``lua`` check ran
        there): that world is exactly what a fresh load would give, and one load fewer per sample.
        The other scenarios load (with their stand-in mods) into sibling worlds of the main world's
        Lua state (``LuanRuntime.sibling``).
        """
        checks = self.task.checks
        rank = {"scenario": 1} | dict.fromkeys(SESSION_KINDS, 2)
        order = sorted(range(len(checks)), key=lambda i: rank.get(checks[i]["kind"], 0))
        plain = [i for i in order if checks[i]["kind"] == "scenario" and not checks[i].get("mods")]
        reuse_main = plain[-1] if plain and not any(c["kind"] == "lua" for c in checks) else None
        results: dict[int, CheckResult] = {}
        for i in order:
            c = checks[i]
            if c["kind"] in SESSION_KINDS:
                if not self._soaked:
                    self._soak()
                results[i] = self._session_check(c)
                continue
            cw = self.main
            if i == reuse_main:
                self.new_globals()
            elif c["kind"] == "scenario":  # a new world beside the main one, in its Lua state
                cw = self._load(self.code, self.main.world.runtime.sibling(), tuple(c.get("mods", ())))
                self._worlds.append(cw)
            ctx = {"mod_name": self.task.mod_name, "instruction": self.task.instruction}
            if c["kind"] == "preserve":
                ctx["input_registered"] = _input_registry(
                    self.task.input, self.task.mod_name, self.task.luanti_version
                )
            if c["kind"] == "code":
                results[i] = outcome(c, check_code(c, self.code))
                continue
            results[i] = run_check(c, cw.registry, cw, ctx)
        if not self._soaked:
            self._soak()
        self._recheck_registry(results)
        self._start_again()
        self._settle()
        self._beside_the_game(results)
        return [results[i] for i in range(len(checks))]

    def _settle(self) -> None:
        """Read what the plain worlds leave for the score (warnings, debug output, the globals the
        mod created) before the run beside the game: that run gets budgets of its own
        (runtime.second_budget), after which the plain worlds' runtimes are past their deadline."""
        self.new_globals()
        self._settled = (self.warnings, self.output)

    def _beside_the_game(self, results: dict[int, CheckResult]) -> None:
        """A sample that passed everything runs once more beside the game (game.py), as most real
        servers run it. Its world checks (registry, ``lua``, scenarios) run again there, each scenario
        in a world of its own with the game's mods in place of the stand-ins they name, and must
        pass there too: a mod that does its task only where no game is loaded (``if
        minetest.get_modpath("default")``) does not do it on a real server. Only the checks the
        task's reference passes there are asked (``_checks_beside_game``): the game may change what
        a check sees (its hand digs, its bones keep a dead player's items, its mods register the
        same command). Then the plain game world (or the last scenario world whose stand-ins the
        game replaced) lives the server's life with the visitors meeting the sample's things, and
        starts again from what it saved. A load error or a run-time error there is a crash. Only
        for passing samples: a failing one fails anyway, and each game world costs some 0.1 s."""
        if not self.beside_game or self.crash is not None or not all(r.passed for r in results.values()):
            return
        game = game_mods()
        if not game:
            return
        from ..runtime import second_budget

        where = f"beside the game {game_path().name}"  # type: ignore[union-attr]
        second_budget()  # the reference's run there (once per worker and task) is task data
        asked = _checks_beside_game(self.task)
        second_budget()  # and the game's own load and life are not the sample's cost
        life: CheckWorld | None = None  # the world that lives on: see the docstring
        for i, res, cw in _game_checks(self.task, self.code, self.start, game, asked, self.depends):
            if res is None:  # reported below
                life = cw
                break
            if not res.passed:
                why = (res.feedback or "").split(" -- ", 1)[-1]
                place = ", with its own mods in place of the stand-ins" if cw.game_stand_ins else ""
                results[i] = outcome(self.task.checks[i], f"{where}{place}: {why}")
                return
            if cw.game_stand_ins or life is None:
                life = cw
        cw = life or _game_world(self.task, self.code, self.start, game, depends=self.depends)
        failure = load_failure(cw.report)
        if failure is not None:
            self.crash = f"{where} the mods did not load: {failure}"
            return
        # The game's mods save data too: the world starts again only where the sample's did.
        err = cw.live(mods=(self.task.mod_name,)) or (cw.start_again() if self._started_again else None)
        if err:
            self.crash = f"{where}: {err}"

    def _start_again(self) -> None:
        """Each world whose mods saved data of their own at the final shutdown (mod storage, files)
        starts once more from it, as a real server does the next day; an error there is a crash.
        Last, so no check reads the new server (its loads would count again in ``calls``)."""
        for cw in list(self._worlds):
            if self.crash is not None:
                return
            self._started_again = self._started_again or cw.world.saved_state is not None
            self.crash = cw.start_again()

    def _recheck_registry(self, results: dict[int, CheckResult]) -> None:
        """A definition that was right after loading must still be right after the server ran on
        (an override_item an hour later changes the game as much as a wrong registration)."""
        registry = None
        for i, c in enumerate(self.task.checks):
            if c["kind"] in REGISTRY_KINDS and c["kind"] != "callback" and results[i].passed:
                registry = registry or self.main.registry_now()
                err = run_check(c, registry, self.main, {"mod_name": self.task.mod_name}).feedback
                if err:
                    results[i] = outcome(c, "after the server ran on: " + err.split(" -- ", 1)[-1])

    def _soak(self) -> None:
        """Every world still running runs on as a server would after its checks (an hour of game
        time): a runtime error there (a late ``after`` job, a globalstep, an entity step) would crash
        the real server, so it is recorded in ``crash`` and the sample cannot pass. A server a
        ``restart`` step stopped is not soaked: the one started in its place is."""
        self.new_globals()  # as loaded, before the server ran on
        self._soaked = True
        for cw in self._worlds:
            err = cw.live()
            if err and self.crash is None:
                self.crash = err
        self._new_globals = None  # read again: a global created later is a global too

    def _session_check(self, c: dict) -> CheckResult:
        """A check on the whole session: ``warnings`` (every warning recorded) or ``calls`` (the
        calls of an engine function in every world)."""
        if c["kind"] == "globals":
            extra = [g for g in self.new_globals() if g not in c.get("allowed", [])]
            return outcome(c, f"the mod creates the global(s) {', '.join(extra[:8])}" if extra else None)
        if c["kind"] == "calls":
            worlds = [w for cw in self._worlds for w in cw.worlds]
            n = sum(w.call_counts(c.get("during")).get(c["fn"], 0) for w in worlds)
            want = c.get("count", {"$range": [1, 10**9]})
            err = match(want, n, f"number of calls of {c['fn']}")
            for key, innermost, what in (
                ("sites", False, "places in the mod's code that call"),
                ("lines", True, "code lines that call"),
            ):
                if err is None and key in c:
                    found = set().union(*(w.call_sites(innermost).get(c["fn"], set()) for w in worlds))
                    err = match(c[key], len(found), f"number of {what} {c['fn']}")
            return outcome(c, err)
        lacks = c.get("lacks")
        bad = [w for w in self.warnings if lacks is None or lacks.lower() in w.lower()]
        if not bad:
            return CheckResult(describe(c), c["kind"], True)
        return CheckResult(
            describe(c), c["kind"], False, f"{describe(c)} -- {len(bad)} warning(s) recorded, e.g. {bad[0]}"
        )
