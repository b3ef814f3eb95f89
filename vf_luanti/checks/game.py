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


class GameError(ValueError):
    """``$VF_LUANTI_GAME`` names no readable game."""


def game_path() -> Path | None:
    """The game folder the game run uses, or None when there is none (or it is turned off)."""
    value = os.environ.get(GAME_ENV)
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
