"""Mod discovery and load order (vf_luanti/mods.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vf_luanti.mods import Mod, ModError, discover, load_order, parse_conf


def _mod(root: Path, name: str, conf: str = "", init: str = "") -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "init.lua").write_text(init)
    if conf:
        (d / "mod.conf").write_text(conf)
    return d


def test_parse_conf_handles_comments_and_multiline() -> None:
    conf = parse_conf('# c\nname = a\ndescription = """two\nlines"""\ndepends = b, c\n')
    assert conf == {"name": "a", "description": "two\nlines", "depends": "b, c"}


def test_mod_name_comes_from_mod_conf(tmp_path: Path) -> None:
    d = _mod(tmp_path, "folder", "name = realname\n")
    [mod] = discover(d)
    assert mod.name == "realname"
    assert mod.path == d.resolve().as_posix()
    assert mod.files["init.lua"] == b""


def test_bad_mod_name_is_the_engine_error(tmp_path: Path) -> None:
    d = _mod(tmp_path, "Bad-Mod")
    with pytest.raises(ModError, match=r"Only characters \[a-z0-9_\] are allowed"):
        discover(d)


def test_modpack_and_game(tmp_path: Path) -> None:
    game = tmp_path / "g"
    (game / "mods" / "pack").mkdir(parents=True)
    (game / "game.conf").write_text("name = g\n")
    (game / "mods" / "pack" / "modpack.conf").write_text("name = pack\n")
    _mod(game / "mods" / "pack", "b", "name = b\ndepends = a\n")
    _mod(game / "mods", "a", "name = a\n")
    names = [m.name for m in discover(game)]
    assert sorted(names) == ["a", "b"]


def test_load_order_respects_dependencies_and_reports_missing() -> None:
    mods = [
        Mod("c", "/c", optional_depends=["b", "nope"]),
        Mod("b", "/b", depends=["a"]),
        Mod("a", "/a"),
        Mod("x", "/x", depends=["missing"]),
        Mod("y", "/y", depends=["x"]),
    ]
    order, missing = load_order(mods)
    assert [m.name for m in order] == ["a", "b", "c"]
    assert missing == {"x": ["missing"], "y": ["x"]}


def test_dependency_cycle_is_refused() -> None:
    order, missing = load_order([Mod("a", "/a", depends=["b"]), Mod("b", "/b", depends=["a"])])
    assert order == []
    assert set(missing) == {"a", "b"}


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModError, match="no such file"):
        discover(tmp_path / "nothing")


def test_depends_txt_is_read_when_mod_conf_names_no_dependencies(tmp_path) -> None:
    # the engine (5.6.1) falls back to depends.txt, with its deprecation warnings (probed)
    from vf_luanti import check

    for name, conf, init in (
        ("moda", "name = moda\n", "moda = {}\n"),
        ("modb", "name = modb\n", "assert(moda)\n"),
        ("modc", None, "assert(moda)\n"),
    ):
        d = tmp_path / name
        d.mkdir()
        if conf:
            (d / "mod.conf").write_text(conf)
        (d / "init.lua").write_text(init)
        if name != "moda":
            (d / "depends.txt").write_text("moda\n")
    r = check([str(tmp_path / "modb"), str(tmp_path / "moda"), str(tmp_path / "modc")])
    assert r.ok, [str(e) for e in r.errors]
    assert [w.message for w in r.warnings] == [
        f"Mod modb at {tmp_path / 'modb'}:\n\tdepends.txt is deprecated, please use mod.conf instead.",
        f"Mod modc at {tmp_path / 'modc'}:\n\tMods not having a mod.conf file with the name is deprecated.\n"
        "\tdepends.txt is deprecated, please use mod.conf instead.",
    ]


def test_description_txt_is_deprecated_unless_mod_conf_describes_the_mod(tmp_path) -> None:
    # parseModContents (5.6.1): without `description` in mod.conf, description.txt is read and warned
    from vf_luanti import check

    for name, conf in (("moda", "name = moda\n"), ("modb", "name = modb\ndescription = B\n")):
        d = tmp_path / name
        d.mkdir()
        (d / "mod.conf").write_text(conf)
        (d / "init.lua").write_text("")
        (d / "description.txt").write_text("a mod")
    r = check([str(tmp_path / "moda"), str(tmp_path / "modb")])
    assert [w.message for w in r.warnings] == [
        f"Mod moda at {tmp_path / 'moda'}:\n\tdescription.txt is deprecated, please use mod.conf instead."
    ]


def test_a_mod_reads_its_files_but_no_media_or_hidden_ones(tmp_path: Path) -> None:
    # A mod in the engine's default user folder (~/.minetest/mods) is read like any other: only
    # what is hidden below the mod's own folder is left out.
    d = tmp_path / ".minetest" / "mods" / "m"
    (d / "src").mkdir(parents=True)
    (d / ".git").mkdir()
    (d / "textures").mkdir()
    (d / "init.lua").write_text("-- init\n")
    (d / "src" / "b.lua").write_text("-- b\n")
    (d / "src" / "a.lua").write_text("-- a\n")
    (d / ".git" / "config").write_text("x")
    (d / ".hidden.lua").write_text("x")
    (d / "textures" / "m_block.png").write_bytes(b"\x89PNG")
    [mod] = discover(d)
    assert list(mod.files) == ["init.lua", "src/a.lua", "src/b.lua"]
