"""The parts every feature kind is made of, and the one table that registers the kinds.

A *feature kind* (a node, a chat command, an entity, a formspec ...) is one self-contained class in
vf_luanti/generate/kinds/: how its names and values are drawn (``draw``), the reference code, its
checks and its instruction phrasings, all built from the same parameters (``build``), the realistic
bugs a repair task may plant in it (``bugs``), the changes a refactor task may ask for
(``changes``), and the documentation excerpt a doc task shows (``doc``). ``@register`` puts the
class in ``KINDS``; nothing else in the generator names a kind, so adding one is adding a class.

Code is built in the ``minetest.`` spelling; ``restyle`` turns a whole task's code (input and
reference alike) into the ``core.`` spelling for some tasks, after any bug was planted, so that the
bugs and changes match one spelling only.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..lualex import Token

Check = dict[str, Any]
Params = dict[str, Any]

MOD_NAMES = (
    "mymod",
    "craftworks",
    "stonecraft",
    "lumen",
    "farmstead",
    "arcana",
    "tinker",
    "wildlands",
    "ironworks",
    "skyforge",
    "deepmine",
    "meadow",
    "harbor",
    "emberfall",
    "frostpeak",
    "hollow",
)
MATERIALS = (
    "amber",
    "basalt",
    "cobalt",
    "marble",
    "onyx",
    "quartz",
    "slate",
    "jade",
    "ruby",
    "topaz",
    "ivory",
    "granite",
    "copper",
    "tin",
    "moonstone",
    "coral",
    "cedar",
    "birch",
    "clay",
    "sandstone",
    "ash",
    "pearl",
    "zinc",
    "opal",
)
SHAPES = ("block", "bricks", "tile", "pillar", "lamp", "crystal", "panel", "stone", "ore", "glass")
TOOLS = ("pick", "axe", "shovel", "hammer", "chisel", "sickle")
FOODS = ("berry", "apple", "bread", "pie", "soup", "cheese", "carrot", "plum")
WORDS = ("echo", "shout", "whisper", "mirror", "count", "measure", "spell", "chant", "note", "sign")
CREATURES = ("slime", "beetle", "wisp", "golem", "sprite", "owl", "frog", "moth", "crab", "bat")
PLAYERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")
INGREDIENTS = (
    "default:stone",
    "default:cobble",
    "default:wood",
    "default:stick",
    "default:steel_ingot",
    "default:glass",
    "default:sand",
    "default:coal_lump",
    "default:paper",
    "default:clay_lump",
)
GROUPS = ("cracky", "crumbly", "choppy", "snappy", "oddly_breakable_by_hand")
DRAWTYPES = ("normal", "glasslike", "allfaces", "plantlike", "glasslike_framed")


def title(name: str) -> str:
    """``"mymod:ruby_lamp"`` -> ``"Ruby Lamp"``: the description a name suggests."""
    return name.split(":")[-1].replace("_", " ").title()


def texture(name: str) -> str:
    """The conventional texture file name of an item (``mymod_ruby_lamp.png``)."""
    return name.replace(":", "_") + ".png"


def item_name(rng: random.Random, mod: str, nouns: tuple[str, ...] = SHAPES) -> str:
    """A fresh ``mod:material_noun`` name."""
    return f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(nouns)}"


def simple_node(name: str, groups: str = "cracky = 3", extra: str = "") -> str:
    """A one-line node registration for nodes a feature needs but does not feature (``extra``: more
    fields, e.g. ``'paramtype2 = "facedir"'``)."""
    more = f", {extra}" if extra else ""
    desc, tiles, grp = (
        f'description = "{title(name)}"',
        f'tiles = {{"{texture(name)}"}}',
        f"groups = {{{groups}}}",
    )
    # the field order varies with the name (deterministically), as it does between real mods
    order = (desc, tiles, grp) if zlib.crc32(name.encode()) % 2 else (desc, grp, tiles)
    return f'minetest.register_node("{name}", {{{", ".join(order)}{more}}})\n'


def sub_once(code: str, old: str, new: str) -> str | None:
    """``code`` with the first ``old`` replaced, or None when ``old`` is not there (the bug or
    change does not apply to this variant of the code)."""
    return code.replace(old, new, 1) if old in code else None


def sub_re(code: str, pattern: str, new: str) -> str | None:
    """Like ``sub_once`` with a regular expression."""
    out, n = re.subn(pattern, new, code, count=1)
    return out if n else None


_NAME = re.compile(r"[\"']([a-z0-9_]+:[a-z0-9_]+)[\"']")


@cache
def eval_names() -> frozenset[str]:
    """Every ``mod:item`` name the held-out items' references use: a generated task never uses one
    (its code would share 13-grams with the eval item, vf_luanti.decontam)."""
    from ..tasks import DATA_DIR, read_jsonl

    out: set[str] = set()
    for split in ("eval", "scenarios"):
        for path in sorted((DATA_DIR / split).glob("*.jsonl")):
            for t in read_jsonl(path):
                out.update(_NAME.findall(t.reference))
    return frozenset(out)


_REGISTERED = re.compile(
    r'register_(node|craftitem|tool|entity|chatcommand|privilege|alias)\(\s*"([^"]+)"'
    r'|^\s+name = "([a-z0-9_]+:[a-z0-9_]+)"',  # an LBM's name
    re.MULTILINE,
)


def registered_names(code: str) -> list[str]:
    """Every name the code registers (items share one namespace; commands, privileges and entities
    are prefixed with their registry), for telling apart features drawn into one task."""
    out = []
    for reg, name, lbm in _REGISTERED.findall(code):
        kind = {"chatcommand": "/", "privilege": "priv:", "entity": "entity:"}.get(reg, "")
        out.append(kind + (name or lbm))
    return out


_MINETEST = re.compile(r"\bminetest\.")


def restyle(code: str, api: str) -> str:
    """The code in the ``core.`` spelling when ``api == "core"`` (both name the same table)."""
    return _MINETEST.sub("core.", code) if api == "core" else code


@dataclass
class Feature:
    """Code + checks + instruction phrasings, all from one set of parameters."""

    kind: str
    code: str
    checks: list[Check]
    says: list[str]
    params: Params
    names: list[str] = field(default_factory=list)

    def phrase(self, rng: random.Random) -> str:
        """One of the instruction phrasings (a task's sentence for this feature)."""
        return self.says[0] if len(self.says) == 1 else rng.choice(self.says)


@dataclass(frozen=True)
class Bug:
    """A realistic mistake: ``apply(code, params)`` plants it (None when this variant of the code
    has no place for it); ``symptoms`` are what a player would report."""

    name: str
    apply: Callable[[str, Params], str | None]
    symptoms: tuple[str, ...]


@dataclass
class Changed:
    """A refactor's outcome: the feature after the change, the instruction asking for it, and the
    ``preserve`` check (plus any intent checks) that pins what must stay."""

    feature: Feature
    instruction: str
    preserve: Check
    intent: list[Check] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """A change a refactor task may ask for: ``apply(kind, rng, mod, params)`` (None when it does
    not apply to these parameters)."""

    name: str
    apply: Callable[[Kind, random.Random, str, Params], Changed | None]


class Kind:
    """One feature kind: subclasses set the class attributes and implement ``draw`` and ``build``."""

    name: ClassVar[str]
    tags: ClassVar[tuple[str, ...]] = ()
    doc: ClassVar[str] = ""
    bugs: ClassVar[tuple[Bug, ...]] = ()
    changes: ClassVar[tuple[Change, ...]] = ()
    #: a craft recipe may be added for the first item this kind registers
    craftable: ClassVar[bool] = False
    #: only combined with another feature (a craft needs an item), never drawn on its own
    standalone: ClassVar[bool] = True
    #: shared things this kind's checks pin (a callback count, HP over time): two kinds that share
    #: one are never combined in a task, as one's registrations would break the other's checks
    exclusive: ClassVar[frozenset[str]] = frozenset()
    #: kinds never combined with this one (its registrations change what their checks observe)
    conflicts: ClassVar[frozenset[str]] = frozenset()

    def draw(self, rng: random.Random, mod: str) -> Params:
        """Random names and values (and a code variant) for one feature."""
        raise NotImplementedError

    def build(self, p: Params, mod: str) -> Feature:
        """The feature from its parameters (deterministic: no randomness here)."""
        raise NotImplementedError

    def make(self, rng: random.Random, mod: str) -> Feature:
        return self.build(self.draw(rng, mod), mod)


KINDS: dict[str, Kind] = {}


def register(cls: type[Kind]) -> type[Kind]:
    """Class decorator: one instance of the kind in ``KINDS`` under its ``name``."""
    if cls.name in KINDS:
        raise ValueError(f"feature kind {cls.name!r} registered twice")
    KINDS[cls.name] = cls()
    return cls


def scenario(desc: str, *steps: Check) -> Check:
    """A scenario check (docs/tasks.md §3.3)."""
    return {"kind": "scenario", "desc": desc, "steps": list(steps)}


def join(player: str = "p1", privs: list[str] | None = None) -> Check:
    step: Check = {"do": "join", "player": player}
    if privs is not None:
        step["privs"] = privs
    return step


def chat_expect(player: str, **kw: Any) -> Check:
    return {"expect": "chat", "player": player, **kw}


def node_check(name: str, groups: dict[str, int] | None = None, **fields: Any) -> Check:
    """An item check that ``name`` is a node described by its title (``DESCRIPTION_RULE``) with
    exactly these groups (and these fields): the nodes a feature registers besides its main one are
    checked too, or their fields go unpinned."""
    return item_check(name, "node", groups, **fields)


def item_check(name: str, type_: str, groups: dict[str, int] | None = None, **fields: Any) -> Check:
    """An item check: ``name`` is registered as ``type_`` ("node", "craft", "tool") with the
    description its name gives (``DESCRIPTION_RULE``), these groups when given, and these fields."""
    want: dict[str, Any] = {"description": title(name), **fields}
    if groups is not None:
        want["groups"] = {"$exact": groups}
    return {
        "kind": "item",
        "desc": f"{name} is registered as described",
        "name": name,
        "type": type_,
        "fields": want,
    }


#: what every generated instruction says about descriptions, so that checks may pin them
DESCRIPTION_RULE = (
    "Unless stated otherwise, every item's description is its name's title "
    '(`mod:ruby_lamp` -> "Ruby Lamp").'
)


def command_check(cmd: str, description: str, params: str | None = None) -> Check:
    """A chatcommand check pinning the description (and usage string) the instruction states."""
    fields: dict[str, Any] = {"description": description, "func": {"$type": "function"}}
    if params is not None:
        fields["params"] = params
    return {
        "kind": "chatcommand",
        "desc": f"/{cmd} is registered as described",
        "name": cmd,
        "fields": fields,
    }


def offline_check(cmd: str, message: str) -> Check:
    """The command called for a name that is no online player (the server console, a bridge)
    fails with ``message`` instead of crashing."""
    return {
        "kind": "lua",
        "desc": f"/{cmd} run by someone who is not online fails politely",
        "code": (
            f'local ok, msg = minetest.registered_chatcommands["{cmd}"].func("console_user", "") '
            f'return ok == false and msg == "{message}", tostring(ok) .. " " .. tostring(msg)'
        ),
    }


def command_note(description: str, params: str | None = None, offline: str | None = None) -> str:
    """The instruction's words for what ``command_check`` and ``offline_check`` test."""
    usage = f'params "{params}", ' if params else ""
    note = f' (command {usage}description "{description}")'
    if offline:
        note += f'; run for a name that is not an online player it fails with "{offline}"'
    return note


def online_command(
    cmd: str, description: str, params: str | None = None, offline: str | None = None
) -> tuple[str, list[Check]]:
    """A command's registration as an instruction note and the checks that hold the answer to it:
    ``command_check`` (description, usage), plus ``offline_check`` when the note states the reply
    for a caller who is not online. One place builds both, so a note never promises what no check
    tests."""
    checks = [command_check(cmd, description, params)]
    if offline:
        checks.append(offline_check(cmd, offline))
    return command_note(description, params, offline), checks


def lua_concat(template: str, **exprs: str) -> str:
    """A reply template as Lua: ``lua_concat("Placed {p}.", p="n")`` -> ``"Placed " .. n .. "."``
    (each ``{key}`` is the Lua expression ``exprs[key]``), so a kind's reply text can be a parameter
    that its code, instruction and checks all take from one place."""
    parts = re.split(r"\{(\w+)\}", template)
    out = [f'"{text}"' if i % 2 == 0 else exprs[text] for i, text in enumerate(parts) if text or i % 2]
    return " .. ".join(out)


def value_change(
    key: str, pool: tuple[Any, ...], say: str, except_fields: dict[str, list[str]] | None = None
) -> Change:
    """A refactor that gives parameter ``key`` another value from ``pool`` (the instruction: ``say``
    formatted with the new parameters); registrations stay as they were, but for ``except_fields``
    (``{"param holding an item name": [fields]}``). The unchanged input fails the feature's checks,
    which read the new value."""

    def apply(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
        choices = [v for v in pool if v != p[key]]
        if not choices:
            return None
        new = {**p, key: rng.choice(choices)}
        preserve: Check = {"kind": "preserve", "desc": "the registrations stay as they were"}
        if except_fields:
            preserve["except_fields"] = {new[k]: v for k, v in except_fields.items()}
        return Changed(kind.build(new, mod), say.format(**new), preserve)

    return Change(key, apply)


#: words a renamed item's name starts with (``rename_item``)
RENAME_WORDS = ("fine", "polished", "rough", "great", "small", "old", "bright")


def rename_item(key: str) -> Change:
    """A refactor renaming the item in parameter ``key`` (a node, craftitem or tool, never an entity:
    entities have no aliases) and keeping the old name as an alias, as mods do when they rename: the
    rebuilt feature's checks read the new name, an ``alias`` check pins the old one, and the preserve
    check skips the old name (its description and texture follow the name)."""

    def apply(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
        old = p[key]
        prefix, item = old.split(":", 1)
        new = f"{prefix}:{rng.choice([w for w in RENAME_WORDS if not item.startswith(w)])}_{item}"
        feat = kind.build({**p, key: new}, mod)
        feat.code += f'minetest.register_alias("{old}", "{new}")\n'
        feat.checks.append(
            {"kind": "alias", "desc": f"{old} is an alias of {new}", "name": old, "target": new}
        )
        feat.names = [*feat.names, old]
        return Changed(
            feat,
            f"Rename `{old}` to `{new}` (its description and texture follow the new name) and keep `{old}` "
            "working as an alias of it, so that existing worlds and inventories still have it.",
            {"kind": "preserve", "desc": "everything else stays as it was", "except": [old]},
        )

    return Change("rename", apply)


def _rename_command(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    old = p["cmd"]
    new = f"{mod}_{old}"
    feat = kind.build({**p, "cmd": new}, mod)
    feat.code += f'minetest.register_chatcommand("{old}", minetest.registered_chatcommands["{new}"])\n'
    feat.checks.append(
        {
            "kind": "lua",
            "desc": f"/{old} is an alias of /{new}: the same command function",
            "code": (
                f'local a, b = minetest.registered_chatcommands["{old}"], '
                f'minetest.registered_chatcommands["{new}"] '
                'return a ~= nil and b ~= nil and a.func == b.func, "not the same command"'
            ),
        }
    )
    return Changed(
        feat,
        f"Rename the command `/{old}` to `/{new}` and keep `/{old}` as an alias: register it with the "
        "same definition table.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


#: a refactor renaming a kind's command (parameter ``cmd``), the old name kept as an alias running
#: the same function (checked by a Lua assertion)
RENAME_COMMAND = Change("rename-command", _rename_command)

_CALLBACK = re.compile(
    r"^minetest\.register_(?P<event>on_\w+|globalstep)\(function\((?P<args>[^)]*)\)\n"
    r"(?P<body>.*?)^end(?P<tail>[^\n]*)\)\n",
    re.MULTILINE | re.DOTALL,
)


def _named_callback(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    f = kind.build(p, mod)
    m = _CALLBACK.search(f.code)
    if m is None:
        return None
    event = m["event"]
    name = "handle_" + event.removeprefix("on_")
    code = (
        f.code[: m.start()]
        + f"local function {name}({m['args']})\n{m['body']}end\n\n"
        + f"minetest.register_{event}({name}{m['tail']})\n"
        + f.code[m.end() :]
    )
    return Changed(
        Feature(f.kind, code, f.checks, f.says, f.params, f.names),
        f"Move the function registered with minetest.register_{event} into a local function `{name}` "
        "and register that, so that the mod's other code can call it too.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
        [{"kind": "code", "desc": f"the callback is the local function {name}", "uses": [name]}],
    )


#: a refactor turning a kind's first inline global callback (``register_on_*``, globalstep) into
#: a named local function (checked statically: the name is used)
NAMED_CALLBACK = Change("named-callback", _named_callback)


#: other spellings of local names the references use, drawn per task so that generated code does
#: not reproduce the held-out references token for token (vf_luanti.decontam counts such names as
#: task-specific); a name the instruction mentions is never renamed
SYNONYMS: dict[str, tuple[str, ...]] = {
    "message": ("msg", "text", "line"),
    "target": ("who", "other", "patient"),
    "stack": ("held", "wielded", "hand"),
    "list": ("entries", "items", "values"),
    "names": ("found", "people", "list_names"),
    "obj": ("object", "o", "ref"),
    "found": ("hits", "matches", "spots"),
    "total": ("sum", "count_all", "amount"),
    "above": ("top_pos", "up", "over"),
    "where": ("place", "at", "spot_text"),
    "jobs": ("pending", "timers_by_name", "waiting"),
    "online": ("present", "connected", "here"),
    "joined": ("since", "join_time", "arrived"),
    "notes": ("memos", "saved", "texts"),
    "storage": ("store", "mod_storage", "db"),
    "allowed": ("accepted", "whitelist", "ok_items"),
    "owner": ("owned_by", "holder", "who_owns"),
    "count": ("amount", "how_many", "qty"),
    "placed": ("places", "built", "placed_by"),
    "dug": ("digs", "removed", "dug_by"),
    "part": ("piece", "item", "word"),
    "load": ("read_list", "load_list", "fetch"),
    "finish": ("heal_later", "done", "on_wait_over"),
    "done": ("finished", "over", "complete"),
    "props": ("properties", "p", "cur"),
    "size": ("new_size", "scaled", "grown"),
    "WEAR": ("WEAR_PER_USE", "USE_WEAR", "WEAR_STEP"),
    "timer": ("elapsed_time", "acc", "t"),
    "d": ("dist", "distance", "len"),
    "r": ("radius", "range", "reach"),
    "q": ("now", "p2", "cur"),
    "oldnode": ("old_node", "was", "old"),
    "oldmetadata": ("old_meta", "meta_before", "oldmeta"),
    "listname": ("list_name", "lname", "to_list"),
    "index": ("slot", "idx", "at_index"),
    "newnode": ("new_node", "placed_node", "what"),
    "hp_change": ("change", "delta", "amount_hp"),
    "reason": ("why", "cause", "hp_reason"),
    "granter": ("by", "granted_by", "admin"),
    "revoker": ("by_whom", "revoked_by", "remover"),
    "user": ("drinker", "who_used", "consumer"),
    "pos": ("p", "at_pos", "npos"),
    "node": ("n", "this_node", "nd"),
    "player": ("pl", "ply", "person"),
    "itemstack": ("istack", "item_stack", "used_stack"),
    "placer": ("by_player", "placing", "plc"),
    "digger": ("dug_by_player", "miner", "dgr"),
    "clicker": ("by_clicker", "presser", "clk"),
    "pointed_thing": ("pointed", "pt", "target_thing"),
    "inv": ("inventory", "invref", "i_ref"),
    "meta": ("m", "md", "node_meta"),
    "dtime": ("dt", "step_time", "delta_t"),
    "staticdata": ("data", "saved_data", "sd"),
    "fields": ("f", "form_fields", "values"),
    "formname": ("form", "fname", "form_name"),
    "param": ("arg", "args", "text_arg"),
    "armor": ("armor_groups", "toughness", "ARMOR"),
    "name": ("pname", "player_name", "caller"),
    "_": ("_i", "_slot", "_k"),
}


@lru_cache(maxsize=64)
def _tokens(code: str) -> tuple[Token, ...]:
    """The Lua tokens of ``code``, kept for the few texts a task is being made of: naming and
    renaming read each text several times (it was a third of the generator's time)."""
    from ..lualex import lua_tokens

    return tuple(lua_tokens(code))


def _declared(code: str) -> set[str]:
    """Names the code declares itself: ``local a, b``, ``local function f``, function parameters."""
    toks = [t for t in _tokens(code) if t.kind not in ("space", "comment")]
    out: set[str] = set()
    for k, t in enumerate(toks):
        if t.text == "local":
            j = k + 1
            if j < len(toks) and toks[j].text == "function":
                j += 1
            while j < len(toks) and toks[j].kind == "name":
                out.add(toks[j].text)
                if j + 1 < len(toks) and toks[j + 1].text == ",":
                    j += 2
                else:
                    break
        elif t.text == "for":
            j = k + 1
            while j < len(toks) and toks[j].kind == "name":
                out.add(toks[j].text)
                if j + 1 < len(toks) and toks[j + 1].text == ",":
                    j += 2
                else:
                    break
        elif t.text == "function":
            j = k + 1
            while j < len(toks) and toks[j].text != "(":
                j += 1
            j += 1
            while j < len(toks) and toks[j].text != ")":
                if toks[j].kind == "name":
                    out.add(toks[j].text)
                j += 1
    return out


def vary_names(rng: random.Random, codes: Sequence[str], instruction: str) -> dict[str, str]:
    """A renaming of some declared local names of ``codes`` (a task's input and reference) to
    synonyms (none the instruction quotes as code in backticks, none clashing with a name already
    in the code)."""
    used = {t.text for code in codes for t in _tokens(code) if t.kind == "name"}
    spans = " ".join(re.findall(r"`([^`]*)`", instruction))
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", spans))
    out: dict[str, str] = {}
    for name in sorted(set().union(*(_declared(code) for code in codes))):
        alts = [a for a in SYNONYMS.get(name, ()) if a not in used and a not in out.values()]
        if name in words or not alts or rng.random() < 0.3:
            continue
        out[name] = rng.choice(alts)
    return out


def rename(code: str, mapping: dict[str, str]) -> str:
    """``code`` with name tokens renamed; field names (after ``.`` or ``:``, or before ``=`` in a
    table constructor) are kept, as they are part of the interface."""
    if not mapping:
        return code
    toks = _tokens(code)
    sig = [i for i, t in enumerate(toks) if t.kind not in ("space", "comment")]
    out = [t.text for t in toks]
    opened: list[str] = []  # the brackets open at each token: a key is a name right inside "{"
    for n, i in enumerate(sig):
        t = toks[i]
        if t.text in ("(", "[", "{"):
            opened.append(t.text)
        elif t.text in (")", "]", "}") and opened:
            opened.pop()
        if t.kind != "name" or t.text not in mapping:
            continue
        prev = toks[sig[n - 1]].text if n else ""
        nxt = toks[sig[n + 1]].text if n + 1 < len(sig) else ""
        in_table = bool(opened) and opened[-1] == "{"
        if prev in (".", ":") or (in_table and nxt == "=" and prev in ("{", ",", ";")):
            continue
        out[i] = mapping[t.text]
    return "".join(out)
