"""Load mods the way the engine does and report the outcome (``vf-luanti check``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .load_report import Diagnostic, LoadReport
from .mods import Mod, discover, load_order, mod_from_payload, mod_from_source, mod_to_payload
from .runtime import STARTUP_STEPS, LuanRuntime, MiB, RuntimeLimits, SandboxLimitError


def run_mods(
    mods: list[Mod],
    limits: RuntimeLimits | None = None,
    startup_steps: int = STARTUP_STEPS,
    luanti_version: str | None = None,
    runtime: LuanRuntime | None = None,
    observe: tuple[str, ...] = (),
    restore: str | None = None,
    observe_sites: bool = False,
    registered: bool | frozenset[str] = True,
    listed: tuple[str, ...] = (),
    startup_gc_pause: int | None = None,
) -> tuple[LoadReport, LuanRuntime]:
    """Load ``mods`` (any order; dependency order is applied) in a fresh runtime: ``runtime`` when
    given (a new one, e.g. ``LuanRuntime.sibling()``), else a new ``LuanRuntime(limits)``.

    Like the engine's start-up, the first ``startup_steps`` server steps run after loading, so an
    error in an after(0) callback or a globalstep fails the load. The event driver passes 0 to keep
    its clock at zero for scenarios. Returns the report and the runtime, so callers (the event
    driver, task checks) can go on to run callbacks in the same simulated server.
    ``luanti_version`` ("5.9") is the release the mods target: API names newer than it are absent
    (default: the oracle's 5.6.1). ``observe`` names engine functions whose calls are counted from
    before the first mod loads (the judge's ``calls`` checks, ``World.call_counts``); with
    ``observe_sites`` the calls written on one line count as that many sites while mods load (a line
    hook, costly, so only for checks that count sites). ``restore`` is
    what a stopped world saved (``World.persist``): the new world starts from it, as a restarted
    server does, before the first mod loads (mods read their storage while loading).
    ``registered=False``: the report's registry stays empty (a world that is only run on, the
    human report: LoadReport.counts counts it all the same); a set of item names: its items only
    those (LuanRuntime.report); ``listed``: the mods whose items the
    report's ``own_items`` names. ``startup_gc_pause``: the collector's pause (percent) until the
    start-up is done (``check``: CHECK_GC_PAUSE); none: Lua's.
    """
    order, missing = load_order(mods)
    notes = [  # what the engine warns while it reads the mods' descriptions, before loading
        Diagnostic(message=f"Mod {m.name} at {m.source or m.path}:\n\t" + "\n\t".join(m.deprecated))
        for m in mods
        if m.deprecated
    ]
    rt = runtime or LuanRuntime(limits)
    if luanti_version is not None and not rt.call("set_target_version", luanti_version):
        raise ValueError(
            f'Luanti version must be a 5.x release such as "5.9" or "5.9.1" (known: 5.0 to '
            f"{rt.call('newest_version')}), got {luanti_version!r}"
        )
    if observe:
        rt.call("observe", " ".join(observe), observe_sites)
    if restore is not None:
        rt.call("restore", restore)
    if startup_gc_pause is not None:
        rt.call("startup_gc_pause", startup_gc_pause)
    rt.load_mods(order, startup_steps=startup_steps)
    report = LoadReport.from_dict(rt.report(registered, listed))
    report.warnings[:0] = notes
    for name, deps in missing.items():
        report.errors.append(
            Diagnostic(
                mod=name,
                message=f'mod "{name}" has unsatisfied dependencies: ' + "".join(f' "{d}"' for d in deps),
            )
        )  # the engine puts a space before each name
        report.ok = False
    if missing:
        report.warnings.append(
            Diagnostic(
                message="You have unsatisfied dependencies, loading your world "
                "anyway. This will become a fatal error in the future."
            )
        )
    return report, rt


#: ``check``'s limits: the user's own mods (a whole game and its mods) get room; scoring keeps the
#: strict RuntimeLimits defaults (docs/sandbox.md). The command line's --cpu-seconds/--memory-mb.
#: The deadline is looked at every 100,000 VM instructions (a fraction of a millisecond), not every
#: 10,000 as in scoring: each look reads the CPU clock, a tenth of a big mod set's Lua time at 1,000.
CHECK_LIMITS = RuntimeLimits(cpu_seconds=120.0, max_memory=2048 * MiB, hook_count=100_000)

#: The collector's pause (percent) while ``check``'s mods start up (loading, on_mods_loaded, the
#: first steps): the heap mostly grows then, and at Lua's 200 (a cycle each time it doubles) the
#: collector marks the registry again and again, 5-10 % of a big mod set's check. At 400 a cycle
#: comes each time it quadruples; the garbage of a start-up is small beside what stays (moreblocks:
#: 48 MB in use after it, 42 MB at 200). Worlds that are run on (scoring) keep Lua's pause.
CHECK_GC_PAUSE = 400


def check(
    paths: list[str | Path],
    game: str | Path | None = None,
    limits: RuntimeLimits | None = None,
    isolated: bool = False,
    luanti_version: str | None = None,
    registered: bool = True,
) -> LoadReport:
    """Load the mods at ``paths`` (after the game's mods, if ``game`` is given) and report.

    ``isolated`` runs the load in a sandbox worker process (vf_luanti.execution) with its limits
    and deadline: the way to check untrusted code. A limit hit becomes an error diagnostic.
    ``limits`` default to CHECK_LIMITS. ``registered=False`` leaves the report's registry empty:
    what the human report prints (``format_human``: counts, the given mods' items) is made
    without it, a fraction of a big mod set's check time.
    """
    limits = limits or CHECK_LIMITS
    if isinstance(paths, str | Path):  # one path given as such, not a list of characters
        paths = [paths]
    mods: list[Mod] = []
    listed: list[str] = []  # the given mods, whose items the report names
    if game is not None:
        for m in discover(Path(game)):
            m.group = 0
            mods.append(m)
    for i, p in enumerate(paths):  # like a world's worldmods folder, in the order given
        for m in discover(Path(p)):
            m.order = (i, *m.order)
            mods.append(m)
            listed.append(m.name)
    report = _check_mods(mods, limits, isolated, luanti_version, registered, tuple(listed))
    for m in mods:
        if m.source and m.source.endswith(".lua"):  # a single file, loaded as its mod's init.lua
            report.rename_file(f"{m.path}/init.lua", m.source)
    return report


def _check_mods(
    mods: list[Mod],
    limits: RuntimeLimits,
    isolated: bool,
    luanti_version: str | None,
    registered: bool,
    listed: tuple[str, ...],
) -> LoadReport:
    """``check``'s load of ``mods``: in a sandbox worker (``isolated``) or here; a limit hit is the
    report's error."""
    if isolated:
        from .execution import Executor

        with Executor(workers=1, limits=limits) as ex:
            res = ex.run(
                "vf_luanti.loading:check_job",
                {
                    "mods": [mod_to_payload(m) for m in mods],
                    "luanti_version": luanti_version,
                    "registered": registered,
                    "listed": listed,
                },
            )
        if "failure" in res:
            return LoadReport.failed(_limit_message(res["failure"], res["reason"]))
        return LoadReport.from_dict(res)
    try:
        return run_mods(
            mods,
            limits,
            luanti_version=luanti_version,
            registered=registered,
            listed=listed,
            startup_gc_pause=CHECK_GC_PAUSE,
        )[0]
    except SandboxLimitError as exc:  # a verdict, not a traceback: the mods did not load
        return LoadReport.failed(_limit_message(exc.failure, str(exc)))


def _limit_message(failure: str, reason: str) -> str:
    """A limit hit while loading, as the error a user reads (with the flag that raises the limit)."""
    how = {"timeout": " (raise it with --cpu-seconds)", "memory": " (raise it with --memory-mb)"}
    return f"loading stopped by the {failure} limit: {reason}{how.get(failure, '')}"


def check_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Load one mod set in a fresh runtime and return the load report (``vf-luanti check``).

    payload: ``{"source": init.lua text, "mod_name": "mymod"}`` for one completion, or
    ``{"mods": [mod_to_payload(m), ...]}`` for mods read from disk by the caller; optional
    ``"luanti_version"``: the release the mods target, ``"registered"`` (false: the registry left
    empty) and ``"listed"``: what ``run_mods`` takes.
    """
    if "mods" in payload:
        mods = [mod_from_payload(m) for m in payload["mods"]]
    else:
        mods = [mod_from_source(payload["source"], name=payload.get("mod_name", "mymod"))]
    report, _ = run_mods(
        mods,
        luanti_version=payload.get("luanti_version"),
        registered=payload.get("registered", True),
        listed=tuple(payload.get("listed", ())),
        startup_gc_pause=CHECK_GC_PAUSE,
    )
    return {
        **report.to_json(),
        "output": report.output,
        "summary": {"counts": report.counts, "items": report.own_items},
    }


def warm_worker() -> None:
    """Nothing to warm beyond this module's imports (a sandbox worker calls it once, see
    vf_luanti.execution._prepare)."""
