"""Find mods on disk (or in memory) and put them in the order the engine loads them.

Accepted inputs, as the engine knows them: a single ``.lua`` file (treated as a mod's ``init.lua``),
a mod folder (``init.lua`` with optional ``mod.conf``), a modpack (``modpack.conf`` or
``modpack.txt`` with mod folders inside) and a game (``game.conf`` with a ``mods/`` folder).
"""

from __future__ import annotations

import base64
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Media the Lua side never reads; skipping them keeps a game's virtual file system small. Schematic
#: files (.mts) are not media: register_decoration, register_schematic and place_schematic read them.
MEDIA_SUFFIXES = frozenset(
    {
        ".png",
        ".jpg",
        ".jpeg",
        ".tga",
        ".bmp",
        ".ogg",
        ".wav",
        ".mp3",
        ".obj",
        ".b3d",
        ".x",
        ".gltf",
        ".glb",
        ".ttf",
        ".otf",
        ".blend",
        ".xcf",
    }
)
MAX_FILE_BYTES = 4 * 1024 * 1024
MOD_NAME_RE = re.compile(r"^[a-z0-9_]+$")

#: The user path of a dedicated server as Debian's minetest-server package runs it: the home of its
#: user Debian-minetest (/var/games/minetest-server) and the engine's ``.minetest`` in it. In-memory
#: mods live in its ``mods`` folder and check worlds in its ``worlds`` folder, so the paths a mod
#: reads (get_modpath, get_worldpath, error positions) are a real server's (docs/threat_model.md).
USER_PATH = "/var/games/minetest-server/.minetest"
MODS_PATH = USER_PATH + "/mods"


class ModError(Exception):
    """A path that is not a mod, modpack, game or Lua file, or a mod set the engine would refuse."""


@dataclass
class Mod:
    """One mod: its name, its directory in the virtual file system, and its files as bytes."""

    name: str
    path: str
    files: dict[str, bytes] = field(default_factory=dict)
    depends: list[str] = field(default_factory=list)
    optional_depends: list[str] = field(default_factory=list)
    source: str | None = None  # the real directory or file it came from, for messages
    #: Position among the mods found together (engine order: alphabetical folder names, a modpack's
    #: mods in place of the modpack), whether it came from a modpack, and the search-path group
    #: (0 = the game, 1 = the mods given on top of it, like a world's worldmods folder).
    order: tuple[str | int, ...] = ()
    in_modpack: bool = False
    group: int = 1
    #: The engine's deprecation notes on how the mod is described (no mod.conf name, depends.txt).
    deprecated: list[str] = field(default_factory=list)
    #: Trusted files' bytecode by chunk name (runtime.compile_trusted: the game's, compiled once per
    #: process); the loader uses it for a file whose text is still the one compiled. Never a sample's.
    compiled: dict[str, bytes] = field(default_factory=dict)


def parse_conf(text: str) -> dict[str, str]:
    """Parse a Luanti ``.conf`` file (``key = value`` lines, ``#`` comments, ``\"\"\"`` multi-line values)."""
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = (s.strip() for s in line.split("=", 1))
        if value.startswith('"""'):
            parts = [value[3:]]
            while '"""' not in parts[-1]:
                nxt = next(lines, None)
                if nxt is None:
                    break
                parts.append(nxt)
            value = "\n".join(parts).split('"""', 1)[0]
        out[key] = value
    return out


def _split_list(value: str | None) -> list[str]:
    return [s.strip() for s in (value or "").split(",") if s.strip()]


def _read_tree(root: Path) -> dict[str, bytes]:
    """The files of a mod folder (no media, nothing hidden below ``root``), in path order.

    os.walk and plain strings: pathlib's rglob, sort and Path objects cost a big mod set's check
    (homedecor's thousands of textures) 0.03-0.05 s. Only the parts below ``root`` count as hidden:
    a mod under ``~/.minetest/mods`` is read like any other.
    """
    found: list[tuple[tuple[str, ...], str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        rel = Path(dirpath).relative_to(root).parts
        for name in filenames:
            if not name.startswith(".") and os.path.splitext(name)[1].lower() not in MEDIA_SUFFIXES:
                found.append(((*rel, name), os.path.join(dirpath, name)))
    files: dict[str, bytes] = {}
    for parts, path in sorted(found):
        try:
            info = os.stat(path)
        except OSError:
            continue  # a dangling link: not a file
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            continue
        try:
            with open(path, "rb") as f:
                files["/".join(parts)] = f.read()
        except OSError as exc:
            raise ModError(f"cannot read {path}: {exc.strerror}") from exc
    return files


def mod_from_dir(path: Path) -> Mod:
    """A mod folder. Its name comes from mod.conf ``name =`` (as in the engine), else the folder name."""
    conf: dict[str, str] = {}
    conf_path = path / "mod.conf"
    if conf_path.is_file():
        conf = parse_conf(conf_path.read_text(encoding="utf-8", errors="replace"))
    deprecated = []
    if not conf.get("name"):
        deprecated.append("Mods not having a mod.conf file with the name is deprecated.")
    # As the engine: without depends/optional_depends in mod.conf, depends.txt is read (deprecated)
    depends_txt = path / "depends.txt"
    if "depends" not in conf and "optional_depends" not in conf and depends_txt.is_file():
        deps = [d.strip() for d in depends_txt.read_text(errors="replace").splitlines() if d.strip()]
        conf["depends"] = ",".join(d for d in deps if not d.endswith("?"))
        conf["optional_depends"] = ",".join(d[:-1] for d in deps if d.endswith("?"))
        deprecated.append("depends.txt is deprecated, please use mod.conf instead.")
    if "description" not in conf and (path / "description.txt").is_file():
        deprecated.append("description.txt is deprecated, please use mod.conf instead.")
    name = conf.get("name") or path.name
    if not MOD_NAME_RE.match(name):
        raise ModError(
            f'Error loading mod "{name}": Mod name does not follow naming conventions: '
            "Only characters [a-z0-9_] are allowed."
        )
    return Mod(
        name=name,
        path=path.resolve().as_posix(),  # real paths in the VFS, so messages name the user's files
        files=_read_tree(path),
        depends=_split_list(conf.get("depends")),
        optional_depends=_split_list(conf.get("optional_depends")),
        source=str(path),
        deprecated=deprecated,
    )


def mod_from_source(
    text: str | bytes,
    name: str = "mymod",
    vroot: str = MODS_PATH,
    extra_files: dict[str, str | bytes] | None = None,
    depends: list[str] | None = None,
) -> Mod:
    """An in-memory mod whose init.lua is ``text`` (how completions are loaded)."""
    files = {"init.lua": text.encode() if isinstance(text, str) else text}
    for rel, body in (extra_files or {}).items():
        files[rel] = body.encode() if isinstance(body, str) else body
    return Mod(name=name, path=f"{vroot}/{name}", files=files, depends=list(depends or []))


def discover(path: Path, vroot: str = MODS_PATH) -> list[Mod]:
    """All mods at ``path``: a .lua file, a mod, a modpack, a game (its mods/ folder) or a mods folder."""
    if not path.exists():
        raise ModError(f"no such file or directory: {path}")
    if path.is_file():
        if path.suffix != ".lua":
            raise ModError(f"not a Lua file or mod folder: {path}")
        stem = re.sub(r"[^a-z0-9_]", "_", path.stem.lower()) or "mod"
        if stem == "init":
            stem = re.sub(r"[^a-z0-9_]", "_", path.parent.name.lower()) or "mod"
        mod = mod_from_source(path.read_bytes(), name=stem, vroot=vroot)
        mod.source = str(path.resolve())  # a file: messages name it (LoadReport.rename_file)
        return [mod]
    if (path / "game.conf").is_file():
        mods_dir = path / "mods"
        return discover_dir(mods_dir, vroot) if mods_dir.is_dir() else []
    if (path / "init.lua").is_file() or (path / "mod.conf").is_file():
        return [mod_from_dir(path)]
    in_modpack = (path / "modpack.conf").is_file() or (path / "modpack.txt").is_file()
    return discover_dir(path, vroot, in_modpack=in_modpack)


def discover_dir(path: Path, vroot: str, in_modpack: bool = False, order: tuple[str, ...] = ()) -> list[Mod]:
    """A modpack or a plain folder of mods (recursing into nested modpacks), in engine order."""
    mods: list[Mod] = []
    for sub in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if (sub / "init.lua").is_file() or (sub / "mod.conf").is_file():
            mod = mod_from_dir(sub)
            mod.order, mod.in_modpack = (*order, sub.name), in_modpack
            mods.append(mod)
        elif (sub / "modpack.conf").is_file() or (sub / "modpack.txt").is_file():
            mods.extend(discover_dir(sub, vroot, in_modpack=True, order=(*order, sub.name)))
    if not mods:
        raise ModError(f"no mods found in {path}")
    return mods


def load_order(mods: list[Mod]) -> tuple[list[Mod], dict[str, list[str]]]:
    """Order mods as the engine's dependency resolution does.

    Mods are listed per search-path group (the game's, then the added ones), modpack mods before
    the others, each in folder order; a mod of a later group replaces a same-named one of an earlier
    group in place. Mods with no unmet (optional) dependencies go on a stack; the engine loads the
    mod on top of the stack, then pushes the mods that this satisfied — so among independent mods
    the last one listed loads first. Returns the load order and, for mods that cannot load, their
    unmet dependencies (the engine skips such mods with ``mod "x" has unsatisfied dependencies``).
    """
    listed: list[Mod] = []
    index: dict[str, int] = {}
    for m in sorted(mods, key=lambda m: (m.group, not m.in_modpack, m.order)):
        if m.name in index:
            prev = listed[index[m.name]]
            if prev.group == m.group:
                raise ModError(f'Mod "{m.name}" is present twice: {prev.source} and {m.source}')
            listed[index[m.name]] = m
        else:
            index[m.name] = len(listed)
            listed.append(m)
    names = set(index)
    unmet = {m.name: set(m.depends) | {d for d in m.optional_depends if d in names} for m in listed}
    ready = [m for m in listed if not unmet[m.name]]
    waiting = [m for m in listed if unmet[m.name]]
    order: list[Mod] = []
    while ready:
        mod = ready.pop()
        order.append(mod)
        still: list[Mod] = []
        for other in waiting:
            unmet[other.name].discard(mod.name)
            (still if unmet[other.name] else ready).append(other)
        waiting = still
    missing = {
        m.name: sorted(d for d in m.depends if d in unmet[m.name]) or sorted(unmet[m.name]) for m in waiting
    }
    return order, missing


def mod_to_payload(mod: Mod) -> dict[str, Any]:
    """A ``Mod`` as JSON (file contents base64: mods may hold any bytes)."""
    return {
        "name": mod.name,
        "path": mod.path,
        "source": mod.source,
        "depends": list(mod.depends),
        "optional_depends": list(mod.optional_depends),
        "files": {rel: base64.b64encode(data).decode("ascii") for rel, data in mod.files.items()},
    }


def mod_from_payload(d: dict[str, Any]) -> Mod:
    """The ``Mod`` that ``mod_to_payload`` sent (a sandbox worker reads mods from it)."""
    return Mod(
        name=d["name"],
        path=d["path"],
        source=d.get("source"),
        depends=list(d.get("depends", [])),
        optional_depends=list(d.get("optional_depends", [])),
        files={rel: base64.b64decode(data) for rel, data in d["files"].items()},
    )
