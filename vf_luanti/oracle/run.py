"""Running Debian's ``minetestserver`` 5.6.1 headless on mods: a fresh world, the mods and the
``vfl_oracle`` helper mod installed, a free port on 127.0.0.1, its own process group, the log parsed."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..mods import MEDIA_SUFFIXES, Mod, ModError, discover, load_order

SERVER_BINARY = Path(os.environ.get("VFL_MINETESTSERVER", "/usr/lib/minetest/minetestserver"))
SHARE = Path("/usr/share/games/minetest")
#: Short on purpose: ``/tmp/vfo/XXXXXXXX/worldmods/mN/init.lua`` stays far below LuaJIT's 60 characters.
ORACLE_BASE = Path(os.environ.get("VFL_ORACLE_BASE", "/tmp/vfo"))
#: Server steps the helper mod lets run before shutting down (surfaces after(0)/globalstep errors).
DEFAULT_STEPS = 3
HELPER_MOD = "vfl_oracle"

_LOG_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: ([A-Z]*)\[([^\]]*)\]: ?(.*)$")
#: "path:line: message", where path is a Lua file (absolute, or shortened by LuaJIT to "...tail").
_BANNER_RE = re.compile(r"__\.|_____|^ /     |^\|  Y Y|^\|__\|_\||^      \\/")
#: The characters the banner is drawn with. The engine writes it in pieces from its main thread
#: while the server thread may already print or log: a line can end up after a piece of it, or a
#: piece between a line's text and its line break.
_BANNER_CHARS = " _.|/\\<>Y"
#: A trailing run of banner characters and whether it holds a piece of the banner.
_BANNER_TAIL = re.compile(r"[ _.|/\\<>Y]*$")
_BANNER_PIECE = re.compile(r"__\.|_____|\|__\|_\|")


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
                return real + path[len(copy) :]
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
            raw = raw.lstrip(_BANNER_CHARS)  # what was printed into the banner, if anything
            tail = _BANNER_TAIL.search(raw)
            if tail is not None and _BANNER_PIECE.search(tail.group()):
                raw = raw[: tail.start()]  # a piece written before the line's break
        m = _LOG_RE.match(raw)
        if m:
            lines.append(LogLine(m.group(1), m.group(2), m.group(3)))
        elif raw.strip():
            lines.append(LogLine("", "", raw))
    return lines


def run_engine(
    mod_dirs: Sequence[str | Path] = (),
    game: str | Path = "minetest_game",
    timeout: float = 30.0,
    steps: int = DEFAULT_STEPS,
    dump: bool = False,
    settings: dict[str, str] | None = None,
) -> EngineRun:
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
            "auth_backend = sqlite3\nmod_storage_backend = sqlite3\n"
        )
        conf_lines = {
            "bind_address": "127.0.0.1",
            "ipv6_server": "false",
            "server_announce": "false",
            "mg_name": "singlenode",
            "debug_log_level": "action",
            "vfl_oracle_dump": "true" if dump else "false",
            "vfl_oracle_steps": str(steps),
            **(settings or {}),
        }
        conf.write_text("".join(f"{k} = {v}\n" for k, v in conf_lines.items()))
        env = {**os.environ, "HOME": str(ORACLE_BASE / "home"), "MINETEST_SUBGAME_PATH": str(games_path)}
        # Line-buffered output (coreutils' stdbuf where it exists): piped, the server's stdout is
        # block-buffered, and a mod's print could share a line with the start-up banner.
        stdbuf = shutil.which("stdbuf")
        cmd = [
            *([stdbuf, "-oL", "-eL"] if stdbuf else []),
            str(SERVER_BINARY),
            "--color",
            "never",
            "--config",
            str(conf),
            "--logfile",
            "",
            "--world",
            str(world),
            "--gameid",
            gameid,
            "--port",
            str(_free_port()),
        ]
        start = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
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
        return EngineRun(
            exit_code=124 if timed_out else proc.returncode,
            log=text,
            lines=parse_log(text),
            wall_time=wall,
            timed_out=timed_out,
            outputs=outputs,
            path_map=path_map,
            mod_roots=mod_roots,
        )
    finally:
        shutil.rmtree(world, ignore_errors=True)
        conf.unlink(missing_ok=True)
