"""Registry differential: the emulation's registry equals the real engine's (vf_luanti/oracle/).

The same mods are loaded by Debian's minetestserver 5.6.1 (through the ``vfl_oracle`` dumper mod)
and by ``vf_luanti.check`` (``oracle.emulation_check``: its recipes listed through
``core.get_all_craft_recipes`` as the dumper lists the engine's); both registries go through
``oracle.normalize_registry`` (crafts in one normal form) and are compared item by item and field
by field. Differences the project knowingly accepts are listed in ``IGNORED`` below, each with
its reason (docs/fidelity.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from vf_luanti import oracle

_no_engine = pytest.mark.skipif(
    not oracle.engine_available(), reason=f"the Luanti engine is not installed ({oracle.SERVER_BINARY})"
)


def needs_engine(test: Callable) -> Callable:
    """Marks a test engine + slow, skipped with a clear reason where the engine is missing."""
    return pytest.mark.engine(pytest.mark.slow(_no_engine(test)))


MTG = oracle.SHARE / "games" / "minetest_game"
MODS = oracle.SHARE / "mods"

#: (game, extra mods) per scenario; "emptygame" is builtin alone.
SCENARIOS: dict[str, tuple[str, tuple[Path, ...]]] = {
    "builtin": ("emptygame", ()),
    "minetest_game": ("minetest_game", ()),
    "mtg+mesecons": ("minetest_game", (MODS / "mesecons",)),
    "mtg+moreores": ("minetest_game", (MODS / "moreores",)),
    "mtg+worldedit": ("minetest_game", (MODS / "worldedit",)),
}

#: Knowingly ignored differences: (key prefix as produced by oracle.registry_differences, reason).
#: Keep this minimal; every entry is documented in docs/fidelity.md.
IGNORED: tuple[tuple[str, str], ...] = (
    # register_tool derives punch_attack_uses from the first groupcap that `pairs` yields; pairs
    # order is implementation-specific and LuaJIT 2.1.0-beta3 (engine) differs from lupa's LuaJIT.
    (
        "items/moreores:axe_mithril/tool_capabilities",
        "punch_attack_uses comes from pairs() order, which differs between LuaJIT builds",
    ),
)


def _ignored(key: str) -> bool:
    return any(key == prefix or key.startswith(prefix + "/") for prefix, _reason in IGNORED)


def _emulation_registry(game: str, mods: tuple[Path, ...]) -> dict:
    report = oracle.emulation_check(list(mods), game=None if game == "emptygame" else MTG)
    assert report.ok, "the emulation failed to load the mods:\n" + "\n".join(map(str, report.errors[:10]))
    return report.registered


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def registries(request: pytest.FixtureRequest) -> tuple[dict, dict]:
    game, mods = SCENARIOS[request.param]
    engine = oracle.normalize_registry(oracle.engine_registry(game, mods))
    emulation = oracle.normalize_registry(_emulation_registry(game, mods))
    return engine, emulation


@needs_engine
def test_engine_dump_is_plausible() -> None:
    """The dumper itself: counts the research notes measured for minetest_game (§1.10)."""
    reg = oracle.engine_registry("minetest_game")
    types = [d.get("type") for d in reg["items"].values()]
    assert (len(reg["items"]), types.count("node"), len(reg["aliases"])) == (530, 436, 177)
    counts = [len(reg[k]) for k in ("abms", "lbms", "entities", "chatcommands", "privileges")]
    assert counts == [9, 12, 4, 40, 20]
    assert reg["items"]["default:torch"]["on_place"] == "<function>"
    assert reg["items"]["default:stone"]["mod_origin"] == "default"
    crafts = oracle.normalize_registry(reg)["crafts"]
    assert {"type": "shaped", "output": "default:wood 4", "width": 1, "items": ["default:tree"]} in crafts
    assert any(c["type"] == "fuel" for c in crafts) and any(c["type"] == "cooking" for c in crafts)


@needs_engine
@pytest.mark.parametrize(
    "section", ["items", "aliases", "crafts", "abms", "lbms", "entities", "chatcommands", "privileges"]
)
def test_section_matches_engine(registries: tuple[dict, dict], section: str) -> None:
    engine, emulation = registries
    diffs = oracle.registry_differences(
        {section: engine[section]}, {section: emulation.get(section)}, ignore=_ignored
    )
    assert not diffs, f"{len(diffs)} difference(s) in {section}:\n" + "\n".join(diffs)


@needs_engine
def test_craft_counts_match(registries: tuple[dict, dict]) -> None:
    engine, emulation = registries
    assert len(emulation["crafts"]) == len(engine["crafts"])


def test_normal_form_of_definitions_matches_engine_listing() -> None:
    """craft_normal_form maps a registered definition and the engine's listing of it to one form."""
    aliases, items = {"stone": "default:stone"}, {"default:stone", "default:cobble", "default:torch"}
    cases = [
        (
            {"output": "default:torch 4", "recipe": [["default:cobble"], ["stone"]]},
            {
                "method": "normal",
                "width": 1,
                "output": "default:torch 4",
                "items": ["default:cobble", "default:stone"],
            },
        ),
        (
            {"type": "shapeless", "output": "stone 1", "recipe": ["default:torch", "default:cobble"]},
            {
                "method": "normal",
                "width": 0,
                "output": "default:stone 1",
                "items": ["default:torch", "default:cobble"],
            },
        ),
        (
            {"type": "cooking", "output": "default:stone", "recipe": "default:cobble", "cooktime": 2.5},
            {"method": "cooking", "width": 2, "output": "default:stone", "items": ["default:cobble"]},
        ),
        (
            {"type": "fuel", "recipe": "default:torch", "burntime": 4},
            {"method": "cooking", "width": 4, "output": "", "items": ["default:torch"]},
        ),
    ]
    for definition, listing in cases:
        a = oracle.craft_normal_form(definition, aliases, items)
        b = oracle.craft_normal_form(listing, aliases, items)
        assert a == b and a is not None, json.dumps([definition, a, b])
    # the engine lists a tool repair recipe under the output "" as a fuel with no items (MTG dump)
    assert oracle.craft_normal_form({"type": "toolrepair", "additional_wear": -0.02}, aliases, items) == {
        "type": "fuel",
        "output": "",
        "items": [],
        "time": 0,
    }
    assert oracle.craft_normal_form({"output": "nomod:x", "recipe": [["stone"]]}, aliases, items) is None
