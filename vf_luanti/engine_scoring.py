"""Scoring against the real engine (``backend="engine"``): the Debian ``minetestserver`` decides what
it can judge headless (loading, warnings, registry checks); the emulator's verdict stands for the
rest. Built with vf_luanti.scoring.verdict, so a Score means the same from either backend.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from .rubric import COMPONENTS
from .scoring import Score
from .tasks import Task


def engine_score(task: Task, completion: str) -> Score:
    """Ground truth from the real engine (vf_luanti.oracle) where it can give it; never raises.

    The completion is installed as mod ``task.mod_name`` in a fresh world of the empty game. The
    engine decides whether the mod loads (its errors), api_usage (its warnings) and every registry
    check (items, crafts, aliases, ABMs, LBMs, entity/command/privilege names) against the registry
    it dumps. Checks the engine cannot run headless (scenarios, Lua assertions, preservation,
    callback counts, definition fields of entities/commands/privileges) keep the emulator's verdict,
    and code_quality is the emulator's; the feedback says which checks came from where.
    """
    from . import oracle
    from .checks import REGISTRY_KINDS, CheckResult, Registry, run_check
    from .parse import extract_code
    from .scoring import combine, score, verdict

    try:
        emulated = score(task, completion)
        parsed = extract_code(completion, task.family, task.input)
        if parsed.error or not emulated.components["syntax"]:
            return emulated  # nothing reaches the engine: the verdict does not depend on it
        comp = dict.fromkeys(COMPONENTS, 0.0)
        comp["syntax"] = 1.0
        with tempfile.TemporaryDirectory(prefix="vfl-engine-") as tmp:
            mod = Path(tmp) / task.mod_name
            mod.mkdir()
            (mod / "init.lua").write_text(parsed.code, encoding="utf-8")
            (mod / "mod.conf").write_text(f"name = {task.mod_name}\n", encoding="utf-8")
            run = oracle.run_engine([mod], game="emptygame", dump=True)
        report = oracle.diagnose(run)
        feedback = [*parsed.notes, "backend: real engine (Luanti 5.6.1) for load and registry checks"]
        if not report.ok:
            errors = "; ".join(e.message for e in report.errors[:3])
            feedback.append(f"the mod does not load in the engine: {errors}")
            return Score(reward=combine(task.family, comp, False), components=comp, feedback=feedback)
        registry = json.loads(run.outputs.get("vfl_registry.json", b"{}").decode("utf-8", "replace"))
        for key in ("crafts", "abms", "lbms", "entities", "chatcommands", "privileges"):
            if registry.get(key) == {}:  # the dumper writes an empty table as {}
                registry[key] = []
        emulated_checks = emulated.checks if len(emulated.checks) == len(task.checks) else []
        results: list[CheckResult] = []
        n_engine = 0
        for i, c in enumerate(task.checks):
            in_engine = (
                c["kind"] in REGISTRY_KINDS
                and c["kind"] != "callback"
                and not (c["kind"] in ("entity", "chatcommand", "privilege") and c.get("fields"))
            )
            if in_engine:
                n_engine += 1
                results.append(run_check(c, Registry(registry), None, {}))
            elif emulated_checks:
                results.append(CheckResult(**emulated_checks[i]))
            else:  # the emulator did not get to run its checks (e.g. the mod failed to load there)
                results.append(
                    CheckResult(c["desc"], c["kind"], False, f"{c['desc']} -- not run by the emulator")
                )
        for r, e in zip(results, emulated_checks or [{}] * len(results), strict=True):
            r.baseline = bool(e.get("baseline"))
        crash = next(
            (f.split(": ", 1)[-1] for f in emulated.feedback if f.startswith("the server crashed")), None
        )
        quality_notes = [f for f in emulated.feedback if f.startswith("code quality:")]
        return verdict(
            task.family,
            results,
            [w.message for w in report.warnings],
            emulated.components["code_quality"],
            [*feedback, *quality_notes],
            crash,
            summary=f" ({n_engine} judged by the engine, the rest by the emulator)",
        )
    except Exception as exc:  # the engine missing or failing must not reach a trainer
        return Score.zero(f"engine scoring failed: {type(exc).__name__}: {exc}", failure="engine_error")
