"""A passing sample runs once more beside minetest_game (vf_luanti/checks/game.py, docs/threat_model.md
"Beside the game"), and every check world has a real neighbour mod for check frames to pose as.

Both directions: what crashes or differs only beside the game fails, the golds still pass, and with the
game turned off the same answers pass again (so the tests would notice a game run that did nothing).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from vf_luanti.checks.game import (
    DAY_SECONDS,
    DEFAULT_GAME,
    GAME_ENV,
    START_TIME_OF_DAY,
    GameError,
    game_mods,
    game_path,
    warm_up,
)
from vf_luanti.checks.registry import _check_registry
from vf_luanti.checks.scenario import CheckWorld
from vf_luanti.scoring import Score, _score_in_worker
from vf_luanti.splits import get_task
from vf_luanti.tasks import Task

pytestmark = pytest.mark.skipif(
    not (DEFAULT_GAME / "game.conf").is_file(), reason="minetest_game (Debian minetest-data) is not installed"
)

CRYSTAL = get_task("scaffold-glow-crystal")


def judge(code: str, task: Task = CRYSTAL) -> Score:
    return _score_in_worker({"task": task.json_text, "completion": f"```lua\n{code}\n```"})


def with_crystal(extra: str) -> str:
    return CRYSTAL.reference + "\n" + extra


GAME_ONLY_CRASHES = {
    "a helper of the game that does not exist, reached only where default is installed": (
        'if minetest.get_modpath("default") then default.no_such_helper() end'
    ),
    "a dig callback that assumes the wielded item is a tool (the visitor digs the game's dirt holding "
    "one of the mod's nodes)": (
        "minetest.register_on_dignode(function(pos, oldnode, digger)\n"
        '\tif oldnode.name ~= "mymod:glow_crystal" then\n'
        "\t\tlocal _ = digger:get_wielded_item():get_definition().tool_capabilities.max_drop_level\n"
        "\tend\nend)"
    ),
    "an on_craft callback that indexes a record nobody made (the visitor crafts one of the game's "
    "recipes, the mod having none)": (
        "local seen = {}\nminetest.register_on_craft(function(itemstack, player)\n"
        "\tseen[player:get_player_name()].n = 1\nend)"
    ),
}


@pytest.mark.parametrize("extra", list(GAME_ONLY_CRASHES.values()), ids=list(GAME_ONLY_CRASHES))
def test_a_crash_only_beside_the_game_fails_the_sample(extra: str, monkeypatch: pytest.MonkeyPatch) -> None:
    s = judge(with_crystal(extra))
    assert not s.passed
    assert any("beside the game minetest_game" in f for f in s.feedback), s.feedback
    monkeypatch.setenv(GAME_ENV, "off")  # the same answer without the game run: nothing reaches the bug
    assert judge(with_crystal(extra)).passed


def test_a_correct_answer_that_uses_the_game_when_present_passes() -> None:
    guarded = (
        'if minetest.get_modpath("default") and minetest.global_exists("default") then\n'
        "\tlocal _ = default.node_sound_glass_defaults()\nend\n"
        "minetest.register_on_dignode(function(pos, oldnode, digger)\n"
        "\tlocal def = digger and digger:get_wielded_item():get_definition()\n"
        "\tlocal caps = def and def.tool_capabilities\n"
        '\tminetest.log("verbose", oldnode.name .. " " .. tostring(caps and caps.max_drop_level))\nend)'
    )
    s = judge(with_crystal(guarded))
    assert s.passed, s.feedback


def test_a_scenario_stand_in_gives_way_to_the_games_own_mod() -> None:
    task = get_task("refactor-optional-dep-modpath")
    assert judge(task.reference.strip("\n"), task).passed
    # looks real only when default is the judge's bare stand-in table
    tell = task.reference.replace(
        'minetest.get_modpath("default")',
        'minetest.get_modpath("default") and next(rawget(_G, "default") or {true}) == nil',
    )
    assert tell != task.reference
    s = judge(tell, task)
    assert not s.passed
    assert any("in place of the stand-ins" in f for f in s.feedback), s.feedback


def test_the_neighbour_mod_is_really_installed() -> None:
    """The mod that check frames pose as: listed, with a path and files, loaded after the sample."""
    probe = with_crystal(
        "function mymod_probe()\n"
        "\tlocal info = debug.getinfo(2, 'S')\n"
        "\tlocal name = info.source:match('/mods/([^/]+)/init.lua$')\n"
        "\tlocal path = name and minetest.get_modpath(name)\n"
        "\tlocal listed = false\n"
        "\tfor _, m in ipairs(minetest.get_modnames()) do listed = listed or m == name end\n"
        "\tlocal f = path and io.open(path .. '/mod.conf')\n"
        "\treturn name ~= nil and path ~= nil and listed and f ~= nil\nend"
    )
    task = json.loads(CRYSTAL.json_text)
    task["checks"] = task["checks"] + [
        {"kind": "lua", "desc": "the caller is an installed mod", "code": "return mymod_probe() == true"}
    ]
    s = _score_in_worker({"task": json.dumps(task), "completion": f"```lua\n{probe}\n```"})
    assert s.checks[-1]["passed"], s.checks[-1]


@pytest.mark.parametrize(
    "when",
    [
        "minetest.get_server_uptime() < 600",
        "minetest.get_timeofday() > 0.2 and minetest.get_timeofday() < 0.35",
    ],
    ids=["only in the server's first ten minutes", "only in the morning"],
)
def test_a_command_that_works_only_right_after_the_start_fails_beside_the_game(
    when: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plain worlds' players come at the new world's morning, seconds after the start; the game
    worlds' after a warm-up of a day or two into the afternoon, as on a server that has been up."""
    task = get_task("scaffold-heal-command")
    assert judge(task.reference, task).passed
    code = task.reference.replace("set_hp(20)", f"set_hp(({when}) and 20 or player:get_hp())")
    assert code != task.reference
    s = judge(code, task)
    assert not s.passed
    assert any("beside the game minetest_game" in f for f in s.feedback), s.feedback
    monkeypatch.setenv(GAME_ENV, "off")
    assert judge(code, task).passed


def test_the_warm_up_ends_in_the_afternoon_a_day_or_two_after_the_start() -> None:
    for seed in (0, 1, 999, 1000, 123456789, 2**64 - 1):
        w = warm_up(seed)
        assert 23.5 * 60 <= w <= 49 * 60, w
        time_of_day = (START_TIME_OF_DAY + w / DAY_SECONDS) % 1
        assert 0.45 - 1e-9 <= time_of_day < 0.7, time_of_day


def test_a_bad_game_setting_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(GAME_ENV, str(tmp_path))
    with pytest.raises(GameError, match="not a game folder"):
        game_path()
    monkeypatch.setenv(GAME_ENV, "off")
    assert game_path() is None


def _game_world(code: str, **kw: object) -> CheckWorld:
    return CheckWorld(code, "mymod", None, game=game_mods(), **kw)  # type: ignore[arg-type]


def test_a_game_file_loads_from_bytecode_as_the_same_functions() -> None:
    """What a mod reads of the game's functions through debug is what compiling the text gives."""
    probe = (
        "local out = {}\n"
        "for _, f in ipairs({default.node_sound_stone_defaults, stairs.register_stair, doors.register}) do\n"
        '\tlocal i = debug.getinfo(f, "Su")\n'
        "\tout[#out + 1] = i.source .. ':' .. i.linedefined .. '-' .. i.lastlinedefined .. '/' .. i.nparams\n"
        "end\n"
        "return table.concat(out, ' ')"
    )
    answers = []
    for compiled in (True, False):
        world = _game_world("")
        if not compiled:
            world = CheckWorld("", "mymod", None, game=tuple(replace(m, compiled={}) for m in game_mods()))
        answers.append(world.world.eval(probe))
    assert answers[0] == answers[1] and "/mods/default/functions.lua:" in answers[0], answers


def test_a_game_worlds_registry_of_the_named_items_answers_as_the_whole_one() -> None:
    """Beside the game the registry holds the items the item checks name (as written, without the ":"
    prefix, and what they are aliases of): each such check answers as it does on the whole registry."""
    code = (
        'minetest.register_node("mymod:block", {description = "Block", groups = {cracky = 3}})\n'
        'minetest.register_node("mymod:new_block", {description = "New", groups = {cracky = 2}})\n'
        'minetest.register_alias("mymod:old_block", "mymod:new_block")\n'
        'minetest.override_item("", {range = 5})\n'
        'minetest.override_item("default:dirt", {description = "Soil"})'
    )
    checks = [
        {"kind": "item", "name": "mymod:block", "type": "node", "fields": {"groups": {"cracky": 3}}},
        {"kind": "item", "name": ":mymod:block", "fields": {"description": "Block"}},
        {"kind": "item", "name": "mymod:old_block", "type": "node", "fields": {"description": "New"}},
        {"kind": "item", "name": "", "type": "none", "fields": {"range": 5}},
        {"kind": "item", "name": "default:dirt", "fields": {"description": "Soil"}},
        {"kind": "item", "name": "mymod:nothing", "absent": True},
        {"kind": "item", "name": "mymod:nothing"},
        {"kind": "item", "name": "default:stone", "absent": True},
    ]
    named = frozenset(n for c in checks for n in (c["name"], c["name"].lstrip(":")))
    whole = _game_world(code, depends=("default",))
    some = _game_world(code, depends=("default",), registered=named)
    assert whole.report.ok and some.report.ok, whole.report.errors
    assert len(some.report.registered["items"]) < len(whole.report.registered["items"]) / 50
    for c in checks:
        assert (_check_registry(c, some.registry), c) == (_check_registry(c, whole.registry), c)
