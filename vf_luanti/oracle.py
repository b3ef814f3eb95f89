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
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .load_report import Diagnostic, LoadReport
from .mods import MEDIA_SUFFIXES, Mod, ModError, discover, load_order

SERVER_BINARY = Path(os.environ.get("VFL_MINETESTSERVER", "/usr/lib/minetest/minetestserver"))
SHARE = Path("/usr/share/games/minetest")
#: Short on purpose: ``/tmp/vfo/XXXXXXXX/worldmods/mN/init.lua`` stays far below LuaJIT's 60 characters.
ORACLE_BASE = Path(os.environ.get("VFL_ORACLE_BASE", "/tmp/vfo"))
#: Server steps the helper mod lets run before shutting down (surfaces after(0)/globalstep errors).
DEFAULT_STEPS = 3
HELPER_MOD = "vfl_oracle"

_LOG_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: ([A-Z]*)\[([^\]]*)\]: ?(.*)$")
#: "path:line: message", where path is a Lua file (absolute, or shortened by LuaJIT to "...tail").
_LOCATION_RE = re.compile(r"^((?:/|\.\.\.)[^\n:]*?\.lua):(\d+): (.*)$", re.S)
_FRAME_RE = re.compile(r"^\t((?:/|\.\.\.)[^:]*?\.lua):(\d+): ")
_CALLBACK_RE = re.compile(r"^(?:ServerError: AsyncErr: Lua|ModError): (Runtime error from mod '([^']*)' "
                          r"in callback [^\s]*: )(.*)$", re.S)
_SCRIPT_RE = re.compile(r"^ModError: Failed to load and run script from (.*):$")
_DEPS_RE = re.compile(r'^mod "([^"]*)" has unsatisfied dependencies: ')
_BANNER_RE = re.compile(r"__\.|_____|^ /     |^\|  Y Y|^\|__\|_\||^      \\/")
#: The characters the banner is drawn with. The engine writes it in pieces from its main thread
#: while the server thread may already print: a printed line can end up after a piece of it.
_BANNER_CHARS = re.compile(r"[ _.|/\\<>Y]*")


class OracleError(Exception):
    """The engine could not be run (not installed, game not found, output unreadable)."""


@dataclass(frozen=True)
class LogLine:
    """One engine log line: level (ERROR, WARNING, ..., "" for none), thread and text.

    Text the mods printed to stdout has level "" and thread "" (the start-up banner is dropped).
    """

    level: str
    thread: str
    text: str


@dataclass
class EngineRun:
    """What one engine process did: exit code (124 on timeout), log, parsed lines, wall time, outputs."""

    exit_code: int
    log: str
    lines: list[LogLine]
    wall_time: float
    timed_out: bool
    outputs: dict[str, bytes] = field(default_factory=dict)  # files the helper mod wrote to the world
    path_map: dict[str, str] = field(default_factory=dict)  # world copy path -> caller's path
    mod_roots: dict[str, str] = field(default_factory=dict)  # caller's mod folder -> mod name

    @property
    def errors(self) -> list[str]:
        return [ln.text for ln in self.lines if ln.level == "ERROR"]

    @property
    def warnings(self) -> list[str]:
        return [ln.text for ln in self.lines if ln.level == "WARNING"]

    def real_path(self, path: str) -> str:
        """Map a path from the engine's messages (maybe ``...``-shortened) back to the caller's file."""
        if path.startswith("..."):  # LuaJIT kept only the tail: find the copy it ends with
            tail = path[3:]
            for copy, real in self.path_map.items():
                if copy.endswith(tail):
                    return real
                for j in range(1, len(tail)):
                    if tail[j] == "/" and copy.endswith(tail[:j]):
                        return real + tail[j:]
            return path
        for copy, real in self.path_map.items():
            if path == copy or path.startswith(copy + "/"):
                return real + path[len(copy):]
        return path


def engine_available() -> bool:
    """True when the server binary exists and is executable (the engine tests skip otherwise)."""
    return SERVER_BINARY.is_file() and os.access(SERVER_BINARY, os.X_OK)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _game_spec(game: str | Path, base: Path) -> tuple[str, Path]:
    """(gameid, folder to put in MINETEST_SUBGAME_PATH) for "minetest_game", "emptygame" or a game path."""
    games = base / "games"
    empty = games / "emptygame"
    if not (empty / "game.conf").is_file():
        (empty / "mods").mkdir(parents=True, exist_ok=True)
        (empty / "game.conf").write_text("title = Empty Game\nname = emptygame\n")
    if str(game) == "emptygame":
        return "emptygame", games
    path = Path(game)
    if not path.is_dir():
        path = SHARE / "games" / str(game)
    if not (path / "game.conf").is_file():
        raise OracleError(f"no such game: {game}")
    gameid = path.name[: -len("_game")] if path.name.endswith("_game") else path.name
    return gameid, path.parent


def _game_dir(game: str | Path) -> Path | None:
    if str(game) == "emptygame":
        return None
    path = Path(game)
    return path if path.is_dir() else SHARE / "games" / str(game)


def _known_mods(paths: Iterable[str | Path]) -> tuple[dict[str, str], list[str]]:
    """({mod folder: name}, names of the mods that can load) for mods, modpacks and games at ``paths``.

    Folders that are not valid mods are skipped here; the engine reports them itself.
    """
    found: list[Mod] = []
    for p in paths:
        try:
            found.extend(discover(Path(p)))
        except ModError:
            continue
    try:
        order, _missing = load_order(found)
    except ModError:  # a mod present twice: the engine refuses the set anyway
        order = []
    return {m.path: m.name for m in found}, [m.name for m in order]


def _copy_ignore(_dir: str, names: list[str]) -> set[str]:
    return {n for n in names if n.startswith(".") or Path(n).suffix.lower() in MEDIA_SUFFIXES}


def _install_mods(world: Path, mod_dirs: Sequence[str | Path], path_map: dict[str, str]) -> None:
    """Copy each mod (folder, modpack or single .lua file) into worldmods under a short name."""
    worldmods = world / "worldmods"
    for i, src in enumerate(Path(p) for p in mod_dirs):
        if src.is_file() and src.suffix == ".lua":
            # the emulation's naming rule for a lone file (mods.discover)
            name = discover(src)[0].name
            dest = worldmods / f"m{i}"
            dest.mkdir(parents=True)
            shutil.copy(src, dest / "init.lua")
            (dest / "mod.conf").write_text(f"name = {name}\n")
            path_map[str(dest / "init.lua")] = str(src.resolve())
            continue
        if not src.is_dir():
            raise OracleError(f"not a mod folder or .lua file: {src}")
        # A folder without mod.conf "name =" is named after its folder, so keep that name.
        conf = src / "mod.conf"
        keep = not conf.is_file() or not re.search(r"^\s*name\s*=", conf.read_text(errors="replace"), re.M)
        dest = worldmods / (src.name if keep else f"m{i}")
        shutil.copytree(src, dest, ignore=_copy_ignore)
        path_map[str(dest)] = str(src.resolve())


def _install_helper(world: Path, after: list[str]) -> None:
    dest = world / "worldmods" / HELPER_MOD
    src = resources.files("vf_luanti") / "oracle_mod" / HELPER_MOD
    dest.mkdir(parents=True)
    (dest / "init.lua").write_bytes((src / "init.lua").read_bytes())
    deps = ", ".join(n for n in dict.fromkeys(after) if n != HELPER_MOD)
    (dest / "mod.conf").write_text(f"name = {HELPER_MOD}\noptional_depends = {deps}\n")


def parse_log(text: str) -> list[LogLine]:
    """Split the server's output into log lines; continuation lines of a message keep its level."""
    lines: list[LogLine] = []
    for raw in text.splitlines():
        if _BANNER_RE.search(raw):
            raw = raw[_BANNER_CHARS.match(raw).end():]  # what was printed into the banner, if anything
        m = _LOG_RE.match(raw)
        if m:
            lines.append(LogLine(m.group(1), m.group(2), m.group(3)))
        elif raw.strip():
            lines.append(LogLine("", "", raw))
    return lines


def run_engine(mod_dirs: Sequence[str | Path] = (), game: str | Path = "minetest_game", timeout: float = 30.0,
               steps: int = DEFAULT_STEPS, dump: bool = False,
               settings: dict[str, str] | None = None) -> EngineRun:
    """Run the server once on a fresh world with ``mod_dirs`` installed as world mods.

    The helper mod shuts the server down ``steps`` server steps after loading (0: right after the
    mods are loaded) and, with ``dump``, writes the registry to ``outputs["vfl_registry.json"]``.
    A mod set that never lets the helper run (a missing dependency keeps the server up in 5.6) is
    stopped by ``timeout``: the whole process group is killed and ``exit_code`` is 124.
    """
    if not engine_available():
        raise OracleError(f"the engine is not installed ({SERVER_BINARY})")
    ORACLE_BASE.mkdir(parents=True, exist_ok=True)
    (ORACLE_BASE / "home").mkdir(exist_ok=True)
    gameid, games_path = _game_spec(game, ORACLE_BASE)
    world = Path(tempfile.mkdtemp(dir=ORACLE_BASE))
    conf = world.with_suffix(".conf")
    path_map: dict[str, str] = {}
    try:
        (world / "worldmods").mkdir()
        _install_mods(world, mod_dirs, path_map)
        game_dir = _game_dir(game)
        # The helper optionally depends on every mod that can load, so it loads (and dumps) last;
        # an optional dependency on a mod with missing dependencies would block it in 5.6.
        mod_roots, loadable = _known_mods([*([game_dir] if game_dir else []), *mod_dirs])
        _install_helper(world, loadable)
        (world / "world.mt").write_text(
            f"gameid = {gameid}\nbackend = sqlite3\nplayer_backend = sqlite3\n"
            "auth_backend = sqlite3\nmod_storage_backend = sqlite3\n")
        conf_lines = {"bind_address": "127.0.0.1", "ipv6_server": "false", "server_announce": "false",
                      "mg_name": "singlenode", "debug_log_level": "action",
                      "vfl_oracle_dump": "true" if dump else "false", "vfl_oracle_steps": str(steps),
                      **(settings or {})}
        conf.write_text("".join(f"{k} = {v}\n" for k, v in conf_lines.items()))
        env = {**os.environ, "HOME": str(ORACLE_BASE / "home"), "MINETEST_SUBGAME_PATH": str(games_path)}
        cmd = [str(SERVER_BINARY), "--color", "never", "--config", str(conf), "--logfile", "",
               "--world", str(world), "--gameid", gameid, "--port", str(_free_port())]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        timed_out = False
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        finally:
            if proc.poll() is None:  # e.g. KeyboardInterrupt while waiting
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        wall = time.monotonic() - start
        outputs = {p.name: p.read_bytes() for p in world.glob("vfl_*.json")}
        text = out.decode("utf-8", errors="replace")
        return EngineRun(exit_code=124 if timed_out else proc.returncode, log=text, lines=parse_log(text),
                         wall_time=wall, timed_out=timed_out, outputs=outputs, path_map=path_map,
                         mod_roots=mod_roots)
    finally:
        shutil.rmtree(world, ignore_errors=True)
        conf.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# The registry, in the shape of `vf-luanti check --json`'s "registered" section


_LIST_SECTIONS = ("crafts", "abms", "lbms", "entities", "chatcommands", "privileges")


@functools.cache
def _engine_registry_cached(game: str, mods: tuple[str, ...], timeout: float) -> str:
    run = run_engine(mods, game=game, dump=True, steps=0, timeout=timeout)
    data = run.outputs.get("vfl_registry.json")
    if run.exit_code != 0 or data is None:
        raise OracleError(f"the engine did not load {game} + {list(mods)} (exit {run.exit_code}):\n"
                          + "\n".join(run.errors[:20]))
    return data.decode("utf-8", errors="replace")


def engine_registry(game: str | Path = "minetest_game", mods: Sequence[str | Path] = (),
                    timeout: float = 60.0) -> dict[str, Any]:
    """The engine's registry after loading ``game`` and ``mods`` (cached per process: ~0.5 s a run).

    Same shape as the emulation's report: items (raw definition fields, functions as
    "<function>"), aliases, crafts (as the engine reports recipes, see ``craft_normal_form``),
    abms, lbms, and sorted name lists of entities, chat commands and privileges. Raises
    ``OracleError`` when the mods do not load cleanly.
    """
    reg = json.loads(_engine_registry_cached(str(game), tuple(str(m) for m in mods), timeout))
    for key in _LIST_SECTIONS:  # the dumper's encoder writes an empty table as {}
        if reg.get(key) == {}:
            reg[key] = []
    return reg


def _stack_name(itemstring: str) -> tuple[str, list[str]]:
    parts = itemstring.split()
    return (parts[0] if parts else ""), parts[1:]


def craft_normal_form(craft: dict[str, Any], aliases: dict[str, str],
                      items: Iterable[str]) -> dict[str, Any] | None:
    """One craft in the form both sides are compared in, or None when the engine cannot list it.

    Accepts a recipe as the engine lists it (``core.get_all_craft_recipes``: method, width, items,
    output) or a definition as registered (``core.register_craft``'s table, the emulation's
    report). The normal form is ``{"type", "output", "items", "width"|"time"}``:

    * type: shaped (width > 0), shapeless (sorted items), cooking (time = int(cooktime),
      default 3), fuel (time = int(burntime), default 1; the engine lists fuels as method
      "cooking" with an empty output and the burn time in ``width``);
    * item names go through aliases, counts on inputs are dropped (the engine keeps names only),
      the output keeps its count unless it is 1, and trailing empty slots are dropped (the engine
      lists a shaped recipe as a sparse table);
    * None for what the engine cannot enumerate: tool repair recipes, and recipes whose output is
      not a registered item (recipes are looked up by output item name). Replacements are not
      visible through the engine API, so they are not compared.
    """
    registered = items if isinstance(items, (set, frozenset, dict)) else set(items)

    def resolve(name: str) -> str:
        name = _stack_name(name)[0] if isinstance(name, str) else ""
        return name if name.startswith("group:") else aliases.get(name, name)

    def output_of(itemstring: Any) -> str | None:
        name, rest = _stack_name(itemstring if isinstance(itemstring, str) else "")
        name = resolve(name)
        if name not in registered:
            return None
        if rest and rest[0] == "1" and len(rest) == 1:
            rest = []
        return " ".join([name, *rest])

    def trimmed(names: list[str]) -> list[str]:
        while names and names[-1] == "":
            names.pop()
        return names

    if "method" in craft:  # the engine's recipe listing
        method, width = craft.get("method"), int(craft.get("width") or 0)
        raw = craft.get("items") or []
        names = [resolve(n) for n in (raw if isinstance(raw, list) else raw.values())]
        if method == "cooking" and craft.get("output", "") == "":
            return {"type": "fuel", "output": "", "items": names, "time": width}
        output = output_of(craft.get("output", ""))
        if output is None:
            return None
        if method == "cooking":
            return {"type": "cooking", "output": output, "items": names, "time": width}
        if width == 0:
            return {"type": "shapeless", "output": output, "items": sorted(names)}
        return {"type": "shaped", "output": output, "items": trimmed(names), "width": width}

    kind = craft.get("type", "shaped")
    recipe = craft.get("recipe")
    if kind == "fuel":
        return {"type": "fuel", "output": "", "items": [resolve(recipe)],
                "time": int(float(craft.get("burntime", 1.0)))}
    if kind == "toolrepair":  # the engine lists it under the output "" like a fuel with no items
        return {"type": "fuel", "output": "", "items": [],
                "time": int(float(craft.get("additional_wear", 0)))}
    output = output_of(craft.get("output", ""))
    if output is None:
        return None
    if kind == "cooking":
        return {"type": "cooking", "output": output, "items": [resolve(recipe)],
                "time": int(float(craft.get("cooktime", 3.0)))}
    if kind == "shapeless":
        return {"type": "shapeless", "output": output, "items": sorted(resolve(n) for n in recipe or [])}
    rows = recipe or []
    width = len(rows[0]) if rows else 0
    return {"type": "shaped", "output": output, "width": width,
            "items": trimmed([resolve(n) for row in rows for n in row])}


def normalize_registry(reg: dict[str, Any]) -> dict[str, Any]:
    """The comparable form of a "registered" section, from the engine's dump or the emulation's report.

    Only crafts change: each goes through ``craft_normal_form`` and the list is sorted (the
    engine lists recipes per output item, the emulation in registration order). ABMs and LBMs
    keep their registration order, which both sides share.
    """
    aliases = reg.get("aliases") or {}
    items = set(reg.get("items") or {})
    crafts = [c for c in (craft_normal_form(c, aliases, items) for c in reg.get("crafts") or []) if c]
    crafts.sort(key=lambda c: json.dumps(c, sort_keys=True))
    out = dict(reg)
    out["crafts"] = crafts
    for key in ("abms", "lbms"):  # the engine's dumper writes an empty list as {}
        out[key] = [{k: ([] if v == {} else v) for k, v in e.items()} if isinstance(e, dict) else e
                    for e in out.get(key) or []]
    for key in _LIST_SECTIONS:
        if out.get(key) == {}:
            out[key] = []
    return out


# ---------------------------------------------------------------------------------------------
# Load errors, in the emulation's Diagnostic shape


def _mod_of(run: EngineRun, path: str | None) -> str | None:
    if not path:
        return None
    best = max((root for root in run.mod_roots if path == root or path.startswith(root + "/")),
               key=len, default=None)
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
        elif (cur is not None and not in_tb and t.startswith(("\t", "}"))
              and not _SCRIPT_RE.match(cur[0][-1])):
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
            errors.append(Diagnostic(message=_map_paths(run, head[len("ModError: "):])))
        elif deps:
            errors.append(Diagnostic(message=head, mod=deps.group(1)))
        else:
            warnings.append(_diagnostic(run, "\n".join(msg_lines), frames, None))
    for msg_lines, frames in _entries(run.lines, "WARNING"):
        warnings.append(_diagnostic(run, "\n".join(msg_lines), frames, None))
    output = [ln.text for ln in run.lines if ln.level == "" and ln.thread == ""]
    ok = run.exit_code == 0 and not errors
    if run.exit_code != 0 and not errors:
        errors.append(Diagnostic(message=f"engine exited with status {run.exit_code}"
                                 + (" (timeout)" if run.timed_out else "")))
    return LoadReport(ok=ok, errors=errors, warnings=warnings, output=output)


def engine_check(mod_dirs: Sequence[str | Path], game: str | Path = "emptygame", timeout: float = 30.0,
                 steps: int = DEFAULT_STEPS) -> LoadReport:
    """Load ``mod_dirs`` in the engine, let it run ``steps`` server steps, and report like ``check()``."""
    return diagnose(run_engine(mod_dirs, game=game, timeout=timeout, steps=steps))


def registry_differences(engine: dict[str, Any], emulation: dict[str, Any],
                         ignore: Callable[[str], bool] = lambda _key: False, limit: int = 60) -> list[str]:
    """Every difference between two normalised registries, as "key: engine=... emulation=..." lines.

    Keys are paths such as ``items/default:stone/description``, ``aliases/stone``,
    ``crafts``, ``abms/3``, ``entities``; ``ignore(key)`` drops the differences a test knowingly
    accepts. At most ``limit`` lines are returned (the last one says how many were left out).
    """
    diffs: list[str] = []

    def note(key: str, a: Any, b: Any, labels: tuple[str, str] = ("engine", "emulation")) -> None:
        if not ignore(key):
            diffs.append(f"{key}: {labels[0]}={json.dumps(a, ensure_ascii=False)[:200]} "
                         f"{labels[1]}={json.dumps(b, ensure_ascii=False)[:200]}")

    missing = object()
    for section in ("items", "aliases"):
        a, b = engine.get(section) or {}, emulation.get(section) or {}
        for name in sorted(set(a) | set(b)):
            key = f"{section}/{name or chr(34) * 2}"  # the hand's name is ""
            da, db = a.get(name, missing), b.get(name, missing)
            if da is missing or db is missing:
                note(key, None if da is missing else "present",
                     None if db is missing else "present")
            elif section == "items" and isinstance(da, dict) and isinstance(db, dict):
                for fld in sorted(set(da) | set(db)):
                    if da.get(fld, missing) != db.get(fld, missing):
                        note(f"{key}/{fld}", da.get(fld), db.get(fld))
            elif da != db:
                note(key, da, db)
    ca = [json.dumps(c, sort_keys=True) for c in engine.get("crafts") or []]
    cb = [json.dumps(c, sort_keys=True) for c in emulation.get("crafts") or []]
    if ca != cb:
        only_a, only_b = Counter(ca) - Counter(cb), Counter(cb) - Counter(ca)
        for c in sorted(only_a.elements()):
            note("crafts", json.loads(c), None)
        for c in sorted(only_b.elements()):
            note("crafts", None, json.loads(c))
    for section in ("abms", "lbms"):
        a, b = engine.get(section) or [], emulation.get(section) or []
        for i in range(max(len(a), len(b))):
            ea, eb = (a[i] if i < len(a) else None), (b[i] if i < len(b) else None)
            if ea != eb:
                note(f"{section}/{i}", ea, eb)
    for section in ("entities", "chatcommands", "privileges"):
        a, b = set(engine.get(section) or []), set(emulation.get(section) or [])
        if a != b:
            note(section, sorted(a - b), sorted(b - a), ("only in engine", "only in emulation"))
    if len(diffs) > limit:
        diffs = [*diffs[:limit], f"... and {len(diffs) - limit} more"]
    return diffs
