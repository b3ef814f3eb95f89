"""The real 5.6.1 server with the headless client joined: the oracle for behaviour that needs a
connected player (ABMs, player callbacks, map generation around a player)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from vf_luanti import oracle

CLIENT_BINARY = Path("/usr/games/minetest")


def engine_player_run(tmp_path: Path, probe: str, server_conf: str = "") -> str:
    """Run ``probe`` as the mod "wp" of an empty game in a singlenode world with the client joined
    as "sam"; returns the server log. ``server_conf`` adds lines to the server's config (a fixed map
    seed, say). Skips where the server or the client is not installed."""
    if not oracle.engine_available() or not CLIENT_BINARY.exists():
        pytest.skip("the Luanti engine (server and client) is not installed")
    games = tmp_path / "games" / "emptygame"
    (games / "mods").mkdir(parents=True)
    (games / "game.conf").write_text("title = Empty Game\nname = emptygame\n")
    world = tmp_path / "w"
    (world / "worldmods" / "wp").mkdir(parents=True)
    (world / "worldmods" / "wp" / "mod.conf").write_text("name = wp\n")
    (world / "worldmods" / "wp" / "init.lua").write_text(probe)
    (world / "world.mt").write_text(
        "gameid = emptygame\nbackend = sqlite3\nplayer_backend = sqlite3\n"
        "auth_backend = sqlite3\nmod_storage_backend = sqlite3\n"
    )
    (tmp_path / "server.conf").write_text(
        "bind_address = 127.0.0.1\nipv6_server = false\nserver_announce = false\n"
        "mg_name = singlenode\n" + server_conf
    )
    (tmp_path / "client.conf").write_text("video_driver = null\nenable_sound = false\n")
    (tmp_path / "home").mkdir()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    env = {**os.environ, "HOME": str(tmp_path / "home"), "MINETEST_SUBGAME_PATH": str(tmp_path / "games")}
    server = subprocess.Popen(
        [
            str(oracle.SERVER_BINARY),
            "--config",
            str(tmp_path / "server.conf"),
            "--logfile",
            "",
            "--world",
            str(world),
            "--gameid",
            "emptygame",
            "--port",
            port,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    time.sleep(1.5)  # the server binds its port before the client knocks
    client = subprocess.run(
        [
            str(CLIENT_BINARY),
            "--config",
            str(tmp_path / "client.conf"),
            "--address",
            "127.0.0.1",
            "--port",
            port,
            "--name",
            "sam",
            "--password",
            "pw",
            "--go",
            "--logfile",
            "",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    try:
        log, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert "WP|" in log, (client.returncode, log[-2000:])
    return log
