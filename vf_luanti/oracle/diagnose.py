"""The engine's load errors and warnings in the emulation's Diagnostic shape (``engine_check``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..load_report import Diagnostic, LoadReport
from .run import DEFAULT_STEPS, EngineRun, LogLine, run_engine

# ---------------------------------------------------------------------------------------------
# Load errors, in the emulation's Diagnostic shape

_LOCATION_RE = re.compile(r"^((?:/|\.\.\.)[^\n:]*?\.lua):(\d+): (.*)$", re.S)
_FRAME_RE = re.compile(r"^\t((?:/|\.\.\.)[^:]*?\.lua):(\d+): ")
_CALLBACK_RE = re.compile(
    r"^(?:ServerError: AsyncErr: Lua|ModError): (Runtime error from mod '([^']*)' "
    r"in callback [^\s]*: )(.*)$",
    re.S,
)
_SCRIPT_RE = re.compile(r"^ModError: Failed to load and run script from (.*):$")
_DEPS_RE = re.compile(r'^mod "([^"]*)" has unsatisfied dependencies: ')


def _mod_of(run: EngineRun, path: str | None) -> str | None:
    if not path:
        return None
    best = max(
        (root for root in run.mod_roots if path == root or path.startswith(root + "/")), key=len, default=None
    )
    return run.mod_roots[best] if best else None


def _map_paths(run: EngineRun, text: str) -> str:
    for copy, real in sorted(run.path_map.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(copy, real)
    return text


def _entries(lines: list[LogLine], level: str) -> list[tuple[list[str], list[str]]]:
    """Group consecutive ``level`` lines into (message lines, traceback frame lines) entries.

    A message continues on lines starting with a tab or "}" (builtin's ``dump`` of a definition)
    until "stack traceback:"; after the traceback, or on a line that starts a known message, a
    new entry begins.
    """
    out: list[tuple[list[str], list[str]]] = []
    cur: tuple[list[str], list[str]] | None = None
    in_tb = False
    for ln in lines:
        if ln.level != level:
            cur, in_tb = None, False
            continue
        t = ln.text
        if cur is not None and t == "stack traceback:":
            in_tb = True
        elif cur is not None and in_tb and t.startswith("\t"):
            cur[1].append(t)
        elif cur is not None and not in_tb and t.startswith(("\t", "}")) and not _SCRIPT_RE.match(cur[0][-1]):
            cur[0].append(t)
        elif cur is not None and not in_tb and _SCRIPT_RE.match(cur[0][0]) and len(cur[0]) == 1:
            cur[0].append(t)  # the message after "Failed to load and run script from X:"
        else:
            cur, in_tb = ([t], []), False
            out.append(cur)
    return out


def _diagnostic(run: EngineRun, message: str, frames: list[str], mod: str | None) -> Diagnostic:
    """Where the emulation would put it: the message's own location if it is in a mod file, else the
    innermost mod frame of the traceback; message without location (and paths mapped back)."""
    file: str | None = None
    line: int | None = None
    m = _LOCATION_RE.match(message)
    if m:
        path = run.real_path(m.group(1))
        message = m.group(3)
        if _mod_of(run, path):
            file, line = path, int(m.group(2))
    if file is None:
        for fr in frames:
            fm = _FRAME_RE.match(fr)
            if fm and _mod_of(run, run.real_path(fm.group(1))):
                file, line = run.real_path(fm.group(1)), int(fm.group(2))
                break
    return Diagnostic(message=_map_paths(run, message), mod=_mod_of(run, file) or mod, file=file, line=line)


def diagnose(run: EngineRun) -> LoadReport:
    """Turn an engine run into the emulation's load report (registry left empty).

    errors: the fatal error (a script that failed to load, a failing on_mods_loaded or server-step
    callback, a bad mod name) and "unsatisfied dependencies" (the engine skips such mods and keeps
    running in 5.6). warnings: WARNING lines and non-fatal ERROR lines (e.g. "Invalid field
    walkable (expected boolean got string)."). output: what the mods printed.
    """
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    for msg_lines, frames in _entries(run.lines, "ERROR"):
        head = msg_lines[0]
        script = _SCRIPT_RE.match(head)
        callback = _CALLBACK_RE.match("\n".join(msg_lines))
        deps = _DEPS_RE.match(head)
        if script:
            where = run.real_path(script.group(1))
            errors.append(_diagnostic(run, "\n".join(msg_lines[1:]), frames, _mod_of(run, where)))
        elif callback:
            # keep the engine's "Runtime error from mod 'x' in callback f(): " prefix, as the emulation does
            d = _diagnostic(run, callback.group(3), frames, callback.group(2))
            errors.append(replace(d, message=callback.group(1) + d.message))
        elif head.startswith("ModError: "):
            errors.append(Diagnostic(message=_map_paths(run, head[len("ModError: ") :])))
        elif deps:
            errors.append(Diagnostic(message=head, mod=deps.group(1)))
        else:
            warnings.append(_diagnostic(run, "\n".join(msg_lines), frames, None))
    for msg_lines, frames in _entries(run.lines, "WARNING"):
        warnings.append(_diagnostic(run, "\n".join(msg_lines), frames, None))
    output = [ln.text for ln in run.lines if ln.level == "" and ln.thread == ""]
    ok = run.exit_code == 0 and not errors
    if run.exit_code != 0 and not errors:
        errors.append(
            Diagnostic(
                message=f"engine exited with status {run.exit_code}" + (" (timeout)" if run.timed_out else "")
            )
        )
    return LoadReport(ok=ok, errors=errors, warnings=warnings, output=output)


def engine_check(
    mod_dirs: Sequence[str | Path],
    game: str | Path = "emptygame",
    timeout: float = 30.0,
    steps: int = DEFAULT_STEPS,
) -> LoadReport:
    """Load ``mod_dirs`` in the engine, let it run ``steps`` server steps, and report like ``check()``."""
    return diagnose(run_engine(mod_dirs, game=game, timeout=timeout, steps=steps))
