"""The game beside the sample: most real servers run minetest_game, so a passing sample is loaded once
more on top of it and lives a server's life there (docs/threat_model.md, "Beside the game").

Check worlds load the task's mod alone, which no real server does. A mod can take a branch only a
game reaches (``if minetest.get_modpath("default") then default.some_helper() end``), tell a
scenario's few-line stand-in mod from the real one, or crash on what players do with the game's
things (digging its dirt, crafting its recipes). The game run closes those: the sample loads beside
the real game (its mod first, as the engine orders a world mod without dependencies), runs the
engine's start-up steps, the server's life with the visitors meeting the sample's things and the
game's, the soak and a second start; any error is a crash. A scenario whose stand-in mods name the
game's mods runs again with the game's own mods in their place and must pass there too.

The game is read from ``$VF_LUANTI_GAME`` (a game folder; ``off`` disables the run), else from the
Debian ``minetest-data`` location; without one the run is skipped (``game_available``), which
``vf-luanti data validate`` reports. Read (and its Lua compiled) once per worker process.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from ..mods import Mod, ModError, discover
from ..runtime import compile_trusted

#: Where Debian's minetest-data installs minetest_game (the game nearly every server runs).
DEFAULT_GAME = Path("/usr/share/games/minetest/games/minetest_game")
GAME_ENV = "VF_LUANTI_GAME"


#: The engine's day in seconds of server time (time_speed 72) and a new world's start time of day
#: (world_start_time 6125 of 24000: vf_luanti/lua/map.lua).
DAY_SECONDS, START_TIME_OF_DAY = 86400 / 72, 6125 / 24000


def warm_up(seed: int) -> float:
    """Seconds a game world runs before its checks (ServerStart.warm_up): one or two days and then
    into the afternoon (time of day 0.45 to 0.7, drawn from ``seed``), so the players come to a
    server that has been up 24 to 49 minutes, not seconds, and at another time of day than the
    plain worlds' morning. A check the task's reference does not pass after such a wait (one that
    counts from the start) is not asked there (session._checks_beside_game)."""
    afternoon = 0.45 + (seed % 1000) / 1000 * 0.25
    return DAY_SECONDS * (1 + seed // 1000 % 2 + afternoon - START_TIME_OF_DAY)


class GameError(ValueError):
    """``$VF_LUANTI_GAME`` names no readable game."""


def game_path() -> Path | None:
    """The game folder the game run uses, or None when there is none (or it is turned off)."""
    return _game_path(os.environ.get(GAME_ENV))


@cache
def _game_path(value: str | None) -> Path | None:
    """``game_path`` for the environment's value, looked up once per process and value: it is
    asked for every passing sample."""
    if value is None:
        return DEFAULT_GAME if (DEFAULT_GAME / "game.conf").is_file() else None
    if value.strip().lower() in ("", "off", "none", "0"):
        return None
    path = Path(value).expanduser()
    if not (path / "game.conf").is_file():
        raise GameError(
            f"{GAME_ENV}={value!r} is not a game folder (no game.conf); set it to one or to 'off'"
        )
    return path


@cache
def _read_game(path: Path) -> tuple[Mod, ...]:
    try:
        mods = discover(path)
    except ModError as exc:
        raise GameError(f"{GAME_ENV}: cannot read the game at {path}: {exc}") from exc
    for m in mods:
        m.group = 0  # the game's search path, before the world's mods
        m.compiled = compile_trusted(m)  # each game world loads its files from bytecode
    return tuple(mods)


def game_mods() -> tuple[Mod, ...]:
    """The game's mods (read once per process and path); () without a game."""
    path = game_path()
    return _read_game(path) if path is not None else ()


def game_available() -> bool:
    """Whether samples run beside a game (a configured game that cannot be read raises GameError)."""
    return bool(game_mods())
