"""Find mods on disk (or in memory) and put them in the order the engine loads them.

Accepted inputs, as the engine knows them: a single ``.lua`` file (treated as a mod's ``init.lua``),
a mod folder (``init.lua`` with optional ``mod.conf``), a modpack (``modpack.conf`` or
``modpack.txt`` with mod folders inside) and a game (``game.conf`` with a ``mods/`` folder).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

#: Media the Lua side never reads; skipping them keeps a game's virtual file system small.
MEDIA_SUFFIXES = frozenset(
    ".png .jpg .jpeg .tga .bmp .ogg .wav .mp3 .obj .b3d .x .gltf .glb .mts .ttf .otf .blend .xcf".split()
)
MAX_FILE_BYTES = 4 * 1024 * 1024
MOD_NAME_RE = re.compile(r"^[a-z0-9_]+$")


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
    files: dict[str, bytes] = {}
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.suffix.lower() in MEDIA_SUFFIXES or any(s.startswith(".") for s in p.parts):
            continue
        try:
            if p.stat().st_size > MAX_FILE_BYTES:
                continue
            files[p.relative_to(root).as_posix()] = p.read_bytes()
        except OSError as exc:
            raise ModError(f"cannot read {p}: {exc.strerror}") from exc
    return files


def mod_from_dir(path: Path) -> Mod:
    """A mod folder. Its name comes from mod.conf ``name =`` (as in the engine), else the folder name."""
    conf: dict[str, str] = {}
    conf_path = path / "mod.conf"
    if conf_path.is_file():
        conf = parse_conf(conf_path.read_text(encoding="utf-8", errors="replace"))
    else:
        for legacy, key in (("depends.txt", "depends"),):
            lp = path / legacy
            if lp.is_file():
                deps = [d.strip() for d in lp.read_text(errors="replace").splitlines() if d.strip()]
                conf[key] = ",".join(d for d in deps if not d.endswith("?"))
                conf["optional_depends"] = ",".join(d[:-1] for d in deps if d.endswith("?"))
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
    )


def mod_from_source(text: str | bytes, name: str = "mymod", vroot: str = "/vfl/mods",
                    extra_files: dict[str, str | bytes] | None = None,
                    depends: list[str] | None = None) -> Mod:
    """An in-memory mod whose init.lua is ``text`` (how completions are loaded)."""
    files = {"init.lua": text.encode() if isinstance(text, str) else text}
    for rel, body in (extra_files or {}).items():
        files[rel] = body.encode() if isinstance(body, str) else body
    return Mod(name=name, path=f"{vroot}/{name}", files=files, depends=list(depends or []))


def discover(path: Path, vroot: str = "/vfl/mods") -> list[Mod]:
    """All mods at ``path``: a .lua file, a mod, a modpack, a game (its mods/ folder) or a mods folder."""
    if not path.exists():
        raise ModError(f"no such file or directory: {path}")
    if path.is_file():
        if path.suffix != ".lua":
            raise ModError(f"not a Lua file or mod folder: {path}")
        stem = re.sub(r"[^a-z0-9_]", "_", path.stem.lower()) or "mod"
        if stem == "init":
            stem = re.sub(r"[^a-z0-9_]", "_", path.parent.name.lower()) or "mod"
        return [mod_from_source(path.read_bytes(), name=stem, vroot=vroot)]
    if (path / "game.conf").is_file():
        mods_dir = path / "mods"
        return discover_dir(mods_dir, vroot) if mods_dir.is_dir() else []
    if (path / "init.lua").is_file() or (path / "mod.conf").is_file():
        return [mod_from_dir(path)]
    return discover_dir(path, vroot)


def discover_dir(path: Path, vroot: str) -> list[Mod]:
    """A modpack or a plain folder of mods (recursing into nested modpacks)."""
    mods: list[Mod] = []
    for sub in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if (sub / "init.lua").is_file() or (sub / "mod.conf").is_file():
            mods.append(mod_from_dir(sub))
        elif (sub / "modpack.conf").is_file() or (sub / "modpack.txt").is_file():
            mods.extend(discover_dir(sub, vroot))
    if not mods:
        raise ModError(f"no mods found in {path}")
    return mods


def load_order(mods: list[Mod]) -> tuple[list[Mod], dict[str, list[str]]]:
    """Order mods so each loads after its (optional) dependencies.

    Returns the order and, for mods that cannot load, their unsatisfied hard dependencies (the engine
    skips such mods and logs ``mod "x" has unsatisfied dependencies``). Among mods whose dependencies
    are met, the earlier-discovered (alphabetical) mod loads first.
    """
    by_name: dict[str, Mod] = {}
    for m in mods:
        if m.name in by_name:
            raise ModError(f'Mod "{m.name}" is present twice: {by_name[m.name].source} and {m.source}')
        by_name[m.name] = m
    missing: dict[str, list[str]] = {}
    changed = True
    while changed:  # a mod whose dependency cannot load cannot load either
        changed = False
        for m in mods:
            if m.name in missing:
                continue
            bad = [d for d in m.depends if d not in by_name or d in missing]
            if bad:
                missing[m.name] = bad
                changed = True
    pending = [m for m in mods if m.name not in missing]
    done: set[str] = set()
    order: list[Mod] = []
    while pending:
        for m in pending:
            deps = set(m.depends) | {d for d in m.optional_depends if d in by_name and d not in missing}
            if deps <= done:
                order.append(m)
                done.add(m.name)
                pending.remove(m)
                break
        else:  # a dependency cycle: the engine refuses these mods too
            for m in pending:
                missing[m.name] = sorted(set(m.depends) - done)
            break
    return order, missing
