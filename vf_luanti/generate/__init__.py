"""The train split: a seeded procedural generator of tasks in all four families.

A task is assembled from 1-3 *features* (a node, a tool, a craft, a chat command, an ABM, a node
timer ...). Each feature is generated from random names and values and yields three things that
come from the same parameters: Lua code, the checks that pin its behaviour down, and a sentence of
the instruction. Families build on that:

* scaffold: instruction = the feature sentences; reference = the code.
* repair: a feature's ``bug`` rewrites its code into a known-broken form (a misspelt field, a flat
  shaped recipe, a wrong callback signature ...); input = broken code, reference = the code.
* refactor: a feature's ``change`` yields changed parameters (a new light level, a rename with an
  alias, translated descriptions ...); input = old code, reference = new code, checks = a
  ``preserve`` check plus the new feature's checks.
* doc: input = a documentation excerpt for the feature's API (written for this project),
  instruction = "use the API above to ...".

The same (seed, n) gives the same tasks. ``verify_tasks`` scores each reference and keeps only the
items whose reference passes its checks (data generate does this before writing the SFT file).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

from ..lualiteral import lua_literal
from ..rubric import FAMILIES
from ..tasks import Task

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


def _title(name: str) -> str:
    return name.split(":")[-1].replace("_", " ").title()


@dataclass
class Feature:
    """Code + checks + instruction sentence, all from one set of parameters."""

    kind: str
    code: str
    checks: list[dict[str, Any]]
    says: str
    params: dict[str, Any]
    names: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- features


def node_feature(rng: random.Random, mod: str, p: dict[str, Any] | None = None) -> Feature:
    p = p or {
        "name": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(SHAPES)}",
        "groups": {g: rng.randint(1, 3) for g in rng.sample(GROUPS, rng.randint(1, 2))},
        "light": rng.choice((0, 0, rng.randint(1, 14))),
        "drawtype": rng.choice(DRAWTYPES),
        "translate": False,
    }
    name = p["name"]
    desc = _title(name)
    desc_lua = f'S("{desc}")' if p["translate"] else lua_literal(desc)
    lines = [
        f"\tdescription = {desc_lua},",
        f'\ttiles = {{"{name.replace(":", "_")}.png"}},',
        f"\tgroups = {lua_literal(p['groups'])},",
        f'\tdrawtype = "{p["drawtype"]}",',
    ]
    fields: dict[str, Any] = {"groups": {"$exact": p["groups"]}, "drawtype": p["drawtype"]}
    if p["light"]:
        lines += ['\tparamtype = "light",', f"\tlight_source = {p['light']},"]
        fields["light_source"] = p["light"]
    else:
        fields["light_source"] = {"$any_of": [{"$absent": True}, 0]}
    # a translated string carries the text domain: "\x1b(T@mod)Text\x1bE"
    fields["description"] = {"$regex": rf"\(T@{mod}\).*{desc}"} if p["translate"] else desc
    code = f'minetest.register_node("{name}", {{\n' + "\n".join(lines) + "\n})\n"
    groups = ", ".join(f"{g} = {v}" for g, v in p["groups"].items())
    says = f'a node `{name}` described as "{desc}" with groups {{{groups}}}, drawtype "{p["drawtype"]}"' + (
        f" and light_source {p['light']}" if p["light"] else ""
    )
    checks = [
        {
            "kind": "item",
            "desc": f"{name} is a node with the requested fields",
            "name": name,
            "type": "node",
            "fields": fields,
        }
    ]
    return Feature("node", code, checks, says, p, [name])


def tool_feature(rng: random.Random, mod: str, p: dict[str, Any] | None = None) -> Feature:
    p = p or {
        "name": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(TOOLS)}",
        "group": rng.choice(GROUPS[:4]),
        "times": [round(rng.uniform(0.5, 4.0), 1) for _ in range(3)],
        "uses": rng.randint(10, 60),
        "maxlevel": rng.randint(1, 3),
        "damage": rng.randint(1, 8),
        "interval": rng.choice((0.9, 1.0, 1.2, 1.5)),
    }
    name = p["name"]
    times = ", ".join(f"[{i + 1}] = {t}" for i, t in enumerate(p["times"]))
    code = (
        f'minetest.register_tool("{name}", {{\n\tdescription = "{_title(name)}",\n'
        f'\tinventory_image = "{name.replace(":", "_")}.png",\n\ttool_capabilities = {{\n'
        f"\t\tfull_punch_interval = {p['interval']},\n\t\tmax_drop_level = 1,\n\t\tgroupcaps = {{\n"
        f"\t\t\t{p['group']} = {{times = {{{times}}}, uses = {p['uses']}, maxlevel = {p['maxlevel']}}},\n"
        f"\t\t}},\n\t\tdamage_groups = {{fleshy = {p['damage']}}},\n\t}},\n}})\n"
    )
    caps = {
        "full_punch_interval": p["interval"],
        "max_drop_level": 1,
        "groupcaps": {p["group"]: {"times": p["times"], "uses": p["uses"], "maxlevel": p["maxlevel"]}},
        "damage_groups": {"fleshy": p["damage"]},
    }
    says = (
        f'a tool `{name}` ("{_title(name)}") that digs {p["group"]} nodes with times {p["times"]} for '
        f"levels 1-3, {p['uses']} uses, maxlevel {p['maxlevel']}, full_punch_interval {p['interval']}, "
        f"max_drop_level 1 and {p['damage']} fleshy damage"
    )
    checks = [
        {
            "kind": "item",
            "desc": f"{name} is a tool with the requested capabilities",
            "name": name,
            "type": "tool",
            "fields": {"description": _title(name), "tool_capabilities": caps},
        }
    ]
    return Feature("tool", code, checks, says, p, [name])


def food_feature(rng: random.Random, mod: str, p: dict[str, Any] | None = None) -> Feature:
    p = p or {
        "name": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(FOODS)}",
        "heal": rng.randint(1, 8),
        "stack": rng.choice((16, 32, 50, 64)),
    }
    name = p["name"]
    code = (
        f'minetest.register_craftitem("{name}", {{\n\tdescription = "{_title(name)}",\n'
        f'\tinventory_image = "{name.replace(":", "_")}.png",\n\tstack_max = {p["stack"]},\n'
        f"\ton_use = minetest.item_eat({p['heal']}),\n}})\n"
    )
    says = (
        f'a craftitem `{name}` ("{_title(name)}", stacks of at most {p["stack"]}) that heals '
        f"{p['heal']} HP when eaten (used)"
    )
    checks = [
        {
            "kind": "item",
            "desc": f"{name} is a craftitem",
            "name": name,
            "type": "craft",
            "fields": {"description": _title(name), "stack_max": p["stack"], "on_use": {"$type": "function"}},
        },
        {
            "kind": "scenario",
            "desc": f"eating {name} at 5 HP heals {p['heal']} HP and uses one item",
            "steps": [
                {"do": "join", "player": "p1"},
                {"do": "set_hp", "player": "p1", "hp": 5},
                {"do": "wield", "player": "p1", "item": f"{name} 3"},
                {"do": "use", "player": "p1"},
                {"expect": "hp", "player": "p1", "value": 5 + p["heal"]},
                {"expect": "wield", "player": "p1", "item": {"$regex": f"^{name} 2$"}},
            ],
        },
    ]
    return Feature("food", code, checks, says, p, [name])


def craft_feature(rng: random.Random, mod: str, output: str, p: dict[str, Any] | None = None) -> Feature:
    kind = p["type"] if p else rng.choice(("shaped", "shaped", "shapeless", "cooking", "fuel"))
    if p is None:
        p = {"type": kind, "output": output, "count": rng.choice((1, 1, 2, 4, 8))}
        if kind == "shaped":
            w, h = rng.choice(((2, 2), (3, 3), (3, 1), (1, 3), (2, 3)))
            items = rng.sample(INGREDIENTS, 2)
            p["recipe"] = [
                [rng.choice([*items, ""]) if (w * h > 4) else rng.choice(items) for _ in range(w)]
                for _ in range(h)
            ]
            if not all(any(r) for r in p["recipe"]):
                p["recipe"][0][0] = items[0]
        elif kind == "shapeless":
            p["recipe"] = rng.sample(INGREDIENTS, rng.randint(2, 4))
        elif kind == "cooking":
            p["recipe"] = rng.choice(INGREDIENTS)
            p["cooktime"] = rng.randint(2, 15)
        else:
            p["burntime"] = rng.randint(5, 80)
    out = f"{p['output']} {p['count']}" if p["count"] != 1 else p["output"]
    check: dict[str, Any] = {"kind": "craft", "desc": f"a {kind} craft for {p['output']}", "type": kind}
    if kind == "fuel":
        code = (
            f'minetest.register_craft({{\n\ttype = "fuel",\n\trecipe = "{p["output"]}",\n'
            f"\tburntime = {p['burntime']},\n}})\n"
        )
        check.update(recipe=p["output"], burntime=p["burntime"])
        says = f"`{p['output']}` usable as furnace fuel burning for {p['burntime']} seconds"
    elif kind == "cooking":
        code = (
            f'minetest.register_craft({{\n\ttype = "cooking",\n\toutput = "{out}",\n'
            f'\trecipe = "{p["recipe"]}",\n\tcooktime = {p["cooktime"]},\n}})\n'
        )
        check.update(output=out, recipe=p["recipe"], cooktime=p["cooktime"])
        says = f"a cooking recipe turning `{p['recipe']}` into `{out}` in {p['cooktime']} seconds"
    else:
        extra = '\ttype = "shapeless",\n' if kind == "shapeless" else ""
        code = (
            f'minetest.register_craft({{\n{extra}\toutput = "{out}",\n'
            f"\trecipe = {lua_literal(p['recipe'])},\n}})\n"
        )
        check.update(output=out, recipe=p["recipe"])
        says = f"a {kind} craft of `{out}` from {lua_literal(p['recipe'])}"
    return Feature("craft", code, [check], says, p)


def command_feature(rng: random.Random, mod: str, p: dict[str, Any] | None = None) -> Feature:
    transforms = {
        "upper": ("string.upper(param)", str.upper, "the argument in upper case"),
        "reverse": ("string.reverse(param)", lambda s: s[::-1], "the argument reversed"),
        "length": (
            '"Length: " .. #param',
            lambda s: f"Length: {len(s)}",
            'the text "Length: N" (N = argument length)',
        ),
        "bracket": ('"[" .. param .. "]"', lambda s: f"[{s}]", "the argument in square brackets"),
    }
    p = p or {
        "cmd": f"{rng.choice(WORDS)}{rng.randint(1, 99)}",
        "transform": rng.choice(sorted(transforms)),
        "arg": rng.choice(("hello", "stone age", "luanti", "abc def", "mods")),
    }
    expr, fn, what = transforms[p["transform"]]
    code = (
        f'minetest.register_chatcommand("{p["cmd"]}", {{\n\tparams = "<text>",\n'
        f"\tdescription = {lua_literal('Reply with ' + what)},\n\tfunc = function(name, param)\n"
        f"\t\treturn true, {expr}\n\tend,\n}})\n"
    )
    says = f"a chat command `/{p['cmd']} <text>` that replies with {what}"
    checks = [
        {
            "kind": "chatcommand",
            "desc": f"/{p['cmd']} is registered with params",
            "name": p["cmd"],
            "fields": {"params": "<text>", "func": {"$type": "function"}},
        },
        {
            "kind": "scenario",
            "desc": f"/{p['cmd']} {p['arg']} replies {fn(p['arg'])!r}",
            "steps": [
                {"do": "join", "player": "p1"},
                {"do": "chat", "player": "p1", "message": f"/{p['cmd']} {p['arg']}"},
                {"expect": "chat", "player": "p1", "contains": fn(p["arg"])},
            ],
        },
    ]
    return Feature("command", code, checks, says, p)


def abm_feature(rng: random.Random, mod: str, p: dict[str, Any] | None = None) -> Feature:
    if p is None:
        a, b, c = rng.sample(MATERIALS, 3)
        p = {
            "from": f"{mod}:{a}_{rng.choice(SHAPES)}",
            "to": f"{mod}:{b}_{rng.choice(SHAPES)}",
            "near": f"{mod}:{c}_source",
            "interval": rng.choice((1, 2, 5, 10, 30)),
        }
    nodes = "".join(
        f'minetest.register_node("{n}", {{description = "{_title(n)}", '
        f'tiles = {{"{n.replace(":", "_")}.png"}}}})\n'
        for n in (p["from"], p["to"], p["near"])
    )
    code = nodes + (
        f'minetest.register_abm({{\n\tlabel = "{_title(p["from"])} turns into {_title(p["to"])}",\n'
        f'\tnodenames = {{"{p["from"]}"}},\n\tneighbors = {{"{p["near"]}"}},\n'
        f"\tinterval = {p['interval']},\n\tchance = 1,\n"
        f'\taction = function(pos, node)\n\t\tminetest.set_node(pos, {{name = "{p["to"]}"}})\n\tend,\n}})\n'
    )
    says = (
        f"three nodes `{p['from']}`, `{p['to']}` and `{p['near']}`, and an ABM (interval {p['interval']}, "
        f"chance 1) that turns `{p['from']}` next to `{p['near']}` into `{p['to']}`"
    )
    checks = [
        {
            "kind": "abm",
            "desc": f"an ABM acts on {p['from']} near {p['near']}",
            "nodenames": [p["from"]],
            "neighbors": [p["near"]],
            "interval": p["interval"],
            "chance": 1,
        },
        {
            "kind": "scenario",
            "desc": f"{p['from']} next to {p['near']} becomes {p['to']}; alone it stays",
            "steps": [
                {"do": "set_node", "pos": [0, 0, 0], "node": p["from"]},
                {"do": "set_node", "pos": [1, 0, 0], "node": p["near"]},
                {"do": "set_node", "pos": [10, 0, 0], "node": p["from"]},
                {"do": "run_abms", "times": 1},
                {"expect": "node", "pos": [0, 0, 0], "name": p["to"]},
                {"expect": "node", "pos": [10, 0, 0], "name": p["from"]},
            ],
        },
    ]
    return Feature("abm", code, checks, says, p, [p["from"], p["to"], p["near"]])


def toggle_feature(rng: random.Random, mod: str, p: dict[str, Any] | None = None) -> Feature:
    base = f"{mod}:{rng.choice(MATERIALS)}_lamp"
    p = p or {"off": base + "_off", "on": base + "_on", "light": rng.randint(5, 14)}
    code = (
        f'minetest.register_node("{p["off"]}", {{\n\tdescription = "{_title(p["off"])}",\n'
        f'\ttiles = {{"{p["off"].replace(":", "_")}.png"}},\n\tgroups = {{cracky = 3}},\n'
        f'\ton_punch = function(pos, node)\n\t\tminetest.swap_node(pos, {{name = "{p["on"]}"}})\n'
        "\tend,\n})\n"
        f'minetest.register_node("{p["on"]}", {{\n\tdescription = "{_title(p["on"])}",\n'
        f'\ttiles = {{"{p["on"].replace(":", "_")}.png"}},\n'
        "\tgroups = {cracky = 3, not_in_creative_inventory = 1},\n"
        f'\tparamtype = "light",\n\tlight_source = {p["light"]},\n\tdrop = "{p["off"]}",\n'
        f'\ton_punch = function(pos, node)\n\t\tminetest.swap_node(pos, {{name = "{p["off"]}"}})\n'
        "\tend,\n})\n"
    )
    says = (
        f"a lamp: `{p['off']}` and `{p['on']}` (light_source {p['light']}, drops `{p['off']}`, "
        f"not_in_creative_inventory = 1); punching either switches to the other; both cracky = 3"
    )
    checks = [
        {
            "kind": "item",
            "desc": f"{p['on']} glows and drops the off lamp",
            "name": p["on"],
            "type": "node",
            "fields": {
                "light_source": p["light"],
                "drop": p["off"],
                "groups": {"$exact": {"cracky": 3, "not_in_creative_inventory": 1}},
            },
        },
        {
            "kind": "item",
            "desc": f"{p['off']} is a plain cracky node",
            "name": p["off"],
            "type": "node",
            "fields": {
                "groups": {"$exact": {"cracky": 3}},
                "light_source": {"$any_of": [{"$absent": True}, 0]},
            },
        },
        {
            "kind": "scenario",
            "desc": "punching the lamp twice turns it on, then off",
            "steps": [
                {"do": "join", "player": "p1"},
                {"do": "set_node", "pos": [0, 0, 0], "node": p["off"]},
                {"do": "punch_node", "player": "p1", "pos": [0, 0, 0]},
                {"expect": "node", "pos": [0, 0, 0], "name": p["on"]},
                {"do": "punch_node", "player": "p1", "pos": [0, 0, 0]},
                {"expect": "node", "pos": [0, 0, 0], "name": p["off"]},
            ],
        },
    ]
    return Feature("toggle", code, checks, says, p, [p["off"], p["on"]])


def counter_feature(rng: random.Random, mod: str, p: dict[str, Any] | None = None) -> Feature:
    p = p or {
        "name": f"{mod}:{rng.choice(MATERIALS)}_counter",
        "key": rng.choice(("clicks", "count", "uses")),
        "label": rng.choice(("Clicks", "Count", "Used")),
        "times": rng.randint(2, 5),
    }
    code = (
        f'minetest.register_node("{p["name"]}", {{\n\tdescription = "{_title(p["name"])}",\n'
        f'\ttiles = {{"{p["name"].replace(":", "_")}.png"}},\n\tgroups = {{choppy = 2}},\n'
        f"\ton_rightclick = function(pos, node, clicker, itemstack)\n"
        f"\t\tlocal meta = minetest.get_meta(pos)\n"
        f'\t\tlocal n = meta:get_int("{p["key"]}") + 1\n'
        f'\t\tmeta:set_int("{p["key"]}", n)\n'
        f'\t\tmeta:set_string("infotext", "{p["label"]}: " .. n)\n\tend,\n}})\n'
    )
    says = (
        f'a node `{p["name"]}` (choppy = 2) that counts right-clicks in its metadata integer "{p["key"]}" '
        f'and shows "{p["label"]}: N" as infotext'
    )
    steps: list[dict[str, Any]] = [
        {"do": "join", "player": "p1"},
        {"do": "set_node", "pos": [0, 0, 0], "node": p["name"]},
    ]
    steps += [{"do": "rightclick_node", "player": "p1", "pos": [0, 0, 0]}] * p["times"]
    steps += [
        {"expect": "meta", "pos": [0, 0, 0], "key": p["key"], "value": str(p["times"])},
        {"expect": "meta", "pos": [0, 0, 0], "key": "infotext", "value": f"{p['label']}: {p['times']}"},
    ]
    checks = [
        {
            "kind": "item",
            "desc": f"{p['name']} is a choppy node with on_rightclick",
            "name": p["name"],
            "type": "node",
            "fields": {"groups": {"$exact": {"choppy": 2}}, "on_rightclick": {"$type": "function"}},
        },
        {"kind": "scenario", "desc": f"{p['times']} right-clicks count to {p['times']}", "steps": steps},
    ]
    return Feature("counter", code, checks, says, p, [p["name"]])


def timer_feature(rng: random.Random, mod: str, p: dict[str, Any] | None = None) -> Feature:
    m = rng.choice(MATERIALS)
    p = p or {"seed": f"{mod}:{m}_sapling", "grown": f"{mod}:{m}_tree", "secs": rng.randint(2, 30)}
    code = (
        f'minetest.register_node("{p["grown"]}", {{description = "{_title(p["grown"])}", '
        f'tiles = {{"{p["grown"].replace(":", "_")}.png"}}, groups = {{choppy = 2}}}})\n'
        f'minetest.register_node("{p["seed"]}", {{\n\tdescription = "{_title(p["seed"])}",\n'
        f'\tdrawtype = "plantlike",\n\ttiles = {{"{p["seed"].replace(":", "_")}.png"}},\n'
        f"\tgroups = {{snappy = 3}},\n\ton_construct = function(pos)\n"
        f"\t\tminetest.get_node_timer(pos):start({p['secs']})\n\tend,\n"
        f'\ton_timer = function(pos)\n\t\tminetest.set_node(pos, {{name = "{p["grown"]}"}})\n\tend,\n}})\n'
    )
    says = (
        f"a plantlike sapling `{p['seed']}` (snappy = 3) that starts a {p['secs']} s node timer when "
        f"placed and then becomes `{p['grown']}` (a choppy = 2 node you also register)"
    )
    checks = [
        {
            "kind": "item",
            "desc": f"{p['seed']} is a plantlike node with on_construct and on_timer",
            "name": p["seed"],
            "type": "node",
            "fields": {
                "drawtype": "plantlike",
                "groups": {"$exact": {"snappy": 3}},
                "on_construct": {"$type": "function"},
                "on_timer": {"$type": "function"},
            },
        },
        {
            "kind": "item",
            "desc": f"{p['grown']} is a choppy node",
            "name": p["grown"],
            "type": "node",
            "fields": {"groups": {"$exact": {"choppy": 2}}},
        },
        {
            "kind": "scenario",
            "desc": f"the sapling grows after {p['secs']} s, not before",
            "steps": [
                {"do": "set_node", "pos": [0, 0, 0], "node": p["seed"]},
                {"do": "step", "seconds": p["secs"] - 1},
                {"expect": "node", "pos": [0, 0, 0], "name": p["seed"]},
                {"do": "step", "seconds": 1.5},
                {"expect": "node", "pos": [0, 0, 0], "name": p["grown"]},
            ],
        },
    ]
    return Feature("timer", code, checks, says, p, [p["seed"], p["grown"]])


def greeting_feature(rng: random.Random, mod: str, p: dict[str, Any] | None = None) -> Feature:
    p = p or {
        "server": rng.choice(("Stonehaven", "Mossgrove", "Skyreach", "Ironhold", "Dunmere")),
        "player": rng.choice(("alice", "bob", "carol", "dave")),
    }
    code = (
        f"minetest.register_on_joinplayer(function(player)\n\tlocal name = player:get_player_name()\n"
        f'\tminetest.chat_send_player(name, "Welcome to {p["server"]}, " .. name .. "!")\nend)\n'
    )
    says = f'a join greeting: every joining player gets the chat message "Welcome to {p["server"]}, <name>!"'
    checks: list[dict[str, Any]] = [
        {
            "kind": "callback",
            "desc": "an on_joinplayer callback is registered",
            "event": "on_joinplayer",
            "count": 1,
        },
        {
            "kind": "scenario",
            "desc": "a joining player is greeted by name",
            "steps": [
                {"do": "join", "player": p["player"]},
                {
                    "expect": "chat",
                    "player": p["player"],
                    "contains": f"Welcome to {p['server']}, {p['player']}!",
                },
            ],
        },
    ]
    return Feature("greeting", code, checks, says, p)


FEATURES: dict[str, Callable[..., Feature]] = {
    "node": node_feature,
    "tool": tool_feature,
    "food": food_feature,
    "command": command_feature,
    "abm": abm_feature,
    "toggle": toggle_feature,
    "counter": counter_feature,
    "timer": timer_feature,
    "greeting": greeting_feature,
}


# ------------------------------------------------------------- bugs (repair) and changes (refactor)


def _sub_once(code: str, old: str, new: str) -> str | None:
    return code.replace(old, new, 1) if old in code else None


#: kind -> (bug function, what a careful reader would notice). A bug returns None when not applicable.
BUGS: dict[str, list[tuple[Callable[[str, dict[str, Any]], str | None], str]]] = {
    "node": [
        (lambda c, p: _sub_once(c, "\tgroups = ", "\tgroup = "), "the node has no groups"),
        (
            lambda c, p: _sub_once(c, f'"{p["name"]}"', f'"{p["name"].split(":")[1]}"'),
            "the mod does not load (the node name lacks the mod prefix)",
        ),
    ],
    "tool": [
        (lambda c, p: _sub_once(c, "tool_capabilities", "tool_capabilites"), "the tool cannot dig anything"),
        (
            lambda c, p: _sub_once(c, "minetest.register_tool", "minetest.register_craftitem"),
            "the item is not a tool",
        ),
    ],
    "food": [
        (
            lambda c, p: _sub_once(c, f"minetest.item_eat({p['heal']})", "minetest.item_eat"),
            "eating it raises an error",
        )
    ],
    "command": [
        (
            lambda c, p: _sub_once(c, "function(name, param)", "function(param)"),
            "the command replies with the wrong text or errors",
        )
    ],
    "abm": [
        (
            lambda c, p: _sub_once(
                c, f'minetest.set_node(pos, {{name = "{p["to"]}"}})', f'minetest.set_node(pos, "{p["to"]}")'
            ),
            "the ABM raises an error",
        )
    ],
    "toggle": [
        (
            lambda c, p: _sub_once(
                c, f'swap_node(pos, {{name = "{p["off"]}"}})', f'swap_node(pos, {{name = "{p["on"]}"}})'
            ),
            "the lamp never turns off",
        )
    ],
    "counter": [
        (
            lambda c, p: _sub_once(c, f'meta:set_int("{p["key"]}", n)', f'meta:set_int("{p["key"]}_", n)'),
            "the count never goes past 1",
        )
    ],
    "timer": [(lambda c, p: _sub_once(c, f":start({p['secs']})", ""), "the sapling never grows")],
    "greeting": [
        (
            lambda c, p: _sub_once(
                c, "register_on_joinplayer(function(player)", "register_on_joinplayer(function(name)"
            ),
            "joining raises an error",
        )
    ],
}


def _change(f: Feature, rng: random.Random, mod: str) -> tuple[Feature, str, dict[str, Any]] | None:
    """A refactor: (new feature, instruction, preserve check) or None for kinds without one."""
    p = dict(f.params)
    if f.kind == "node":
        choice = rng.choice(("light", "translate", "rename"))
        if choice == "light":
            p["light"] = rng.choice([v for v in range(1, 15) if v != p["light"]])
            new = node_feature(rng, mod, p)
            return (
                new,
                f'Make `{p["name"]}` emit light at level {p["light"]} (with paramtype "light").',
                {
                    "kind": "preserve",
                    "desc": "everything else stays as it was",
                    "except_fields": {p["name"]: ["light_source", "paramtype"]},
                },
            )
        if choice == "translate":
            p["translate"] = True
            new = node_feature(rng, mod, p)
            new.code = f'local S = minetest.get_translator("{mod}")\n' + new.code
            return (
                new,
                (
                    "Make the node's description translatable: get a translator for the mod's text "
                    "domain into a local `S` and wrap the description in `S()`."
                ),
                {
                    "kind": "preserve",
                    "desc": "everything but the description stays as it was",
                    "except_fields": {p["name"]: ["description"]},
                },
            )
        old = p["name"]
        p["name"] = f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(SHAPES)}"
        if p["name"] == old:
            return None
        new = node_feature(rng, mod, p)
        new.code += f'minetest.register_alias("{old}", "{p["name"]}")\n'
        new.checks.append(
            {"kind": "alias", "desc": f"the old name {old} still works", "name": old, "target": p["name"]}
        )
        return (
            new,
            f"Rename the node `{old}` to `{p['name']}`; keep the old name working as an alias.",
            {"kind": "preserve", "desc": "nothing else changes", "except": [old]},
        )
    if f.kind == "tool":
        p["uses"] = p["uses"] * 2
        new = tool_feature(rng, mod, p)
        return (
            new,
            f"Double the durability of `{p['name']}` (uses {p['uses']}); change nothing else.",
            {
                "kind": "preserve",
                "desc": "everything else stays",
                "except_fields": {p["name"]: ["tool_capabilities"]},
            },
        )
    if f.kind == "abm":
        p["interval"] = p["interval"] * 2
        new = abm_feature(rng, mod, p)
        return (
            new,
            f"Halve the ABM's speed: make its interval {p['interval']} seconds.",
            {"kind": "preserve", "desc": "the nodes stay as they were", "except": [p["from"]]},
        )
    return None


# --------------------------------------------------------------------------- docs (for the doc family)

#: Documentation excerpts written for this project (paraphrased API facts, not copied text).
DOCS: dict[str, str] = {
    "node": (
        "`minetest.register_node(name, definition)` registers a node. `name` must be "
        '"modname:itemname". Useful fields: `description` (string), `tiles` (list of texture names), '
        "`groups` (table group -> level; e.g. cracky, crumbly, choppy, snappy, oddly_breakable_by_hand), "
        '`drawtype` ("normal", "glasslike", "allfaces", "plantlike", "glasslike_framed" ...), '
        '`paramtype = "light"` for nodes that are lit, `light_source` (0..14).'
    ),
    "tool": (
        "`minetest.register_tool(name, definition)` registers a tool. `tool_capabilities` = "
        "{full_punch_interval = seconds, max_drop_level = n, groupcaps = {<group> = {times = {[level] = "
        "seconds}, uses = n, maxlevel = n}}, damage_groups = {fleshy = n}}. A tool wears out after `uses` "
        "digs of a node at its maximum level."
    ),
    "food": (
        "`minetest.register_craftitem(name, def)` registers an item that is not a node or tool. "
        "`stack_max` limits the stack size. `minetest.item_eat(hp_change)` returns a function usable as "
        "`on_use`: it adds `hp_change` HP to the user and takes one item from the stack."
    ),
    "command": (
        "`minetest.register_chatcommand(cmd, def)`: def has `params` (a usage string), `description`, "
        "`privs` (table of required privileges) and `func(name, param)`, which returns "
        "`success, message`; the message is sent to the caller."
    ),
    "abm": (
        "`minetest.register_abm(def)`: an Active Block Modifier. `nodenames` lists the nodes it acts on, "
        "`neighbors` requires one of these nodes next to them, `interval` (seconds) and `chance` (1 in N "
        "per interval) control frequency, `action(pos, node)` runs for each match. "
        "`minetest.set_node(pos, {name = ...})` replaces a node."
    ),
    "toggle": (
        "Node callback `on_punch(pos, node, puncher, pointed_thing)` runs when a player punches the "
        "node. `minetest.swap_node(pos, {name = ...})` changes the node but keeps its metadata and does "
        "not call on_construct/on_destruct. `drop` names the item dug nodes give."
    ),
    "counter": (
        "Node callback `on_rightclick(pos, node, clicker, itemstack, pointed_thing)`. "
        "`minetest.get_meta(pos)` returns the node's metadata: `get_int(key)` (0 when unset), "
        '`set_int(key, n)`, `set_string(key, s)`; the string "infotext" is shown when pointing at it.'
    ),
    "timer": (
        "`minetest.get_node_timer(pos)` returns a NodeTimerRef: `start(timeout)` starts it; after "
        "`timeout` seconds the node's `on_timer(pos, elapsed)` callback runs (return true to run again). "
        "`on_construct(pos)` runs when the node is placed or set."
    ),
    "greeting": (
        "`minetest.register_on_joinplayer(function(player, last_login))` runs when a player joins; "
        "`player:get_player_name()` gives the name, `minetest.chat_send_player(name, text)` sends a "
        "chat message to one player."
    ),
}


# --------------------------------------------------------------------------- assembly


def _scaffold_text(mod: str, feats: list[Feature], rng: random.Random) -> str:
    lead = rng.choice(
        (
            f"Write a Luanti mod `{mod}` that registers:",
            f"Create the init.lua of the mod `{mod}`. It should add:",
            f"Implement these features in a Luanti mod named `{mod}`:",
        )
    )
    return lead + "\n" + "\n".join(f"- {f.says}" for f in feats)


def _pick_features(rng: random.Random, mod: str, k: int) -> list[Feature]:
    kinds = rng.sample(sorted(FEATURES), k)
    feats = [FEATURES[kind](rng, mod) for kind in kinds]
    names = [n for f in feats for n in f.names]
    if len(set(names)) != len(names):  # two features drew the same random name: draw again
        return _pick_features(rng, mod, k)
    item = next((n for f in feats if f.kind in ("node", "tool", "food") for n in f.names), None)
    if item and rng.random() < 0.7:
        feats.append(craft_feature(rng, mod, item))
    return feats


class _TaskFields(TypedDict):
    """The fields of a generated task that do not depend on its family."""

    id: str
    family: str
    tags: list[str]
    mod_name: str
    difficulty: str
    source: str


def generate_task(rng: random.Random, family: str, index: int, seed: int) -> Task | None:
    """One task of ``family`` (None when the drawn features do not support it; the caller redraws)."""
    mod = rng.choice(MOD_NAMES)
    feats = _pick_features(rng, mod, rng.randint(1, 2))
    header = f"-- {mod}: generated task\n"
    code = header + "\n".join(f.code for f in feats)
    checks = [c for f in feats for c in f.checks]
    tags = sorted({f.kind for f in feats} | {"generated"})
    common: _TaskFields = {
        "id": f"gen-{seed}-{index:05d}",
        "family": family,
        "tags": tags,
        "mod_name": mod,
        "difficulty": "easy" if len(feats) == 1 else "medium",
        "source": f"generate:{seed}",
    }
    if family == "scaffold":
        return Task(
            instruction=_scaffold_text(mod, feats, rng), input="", reference=code, checks=checks, **common
        )
    if family == "doc":
        docs = "\n\n".join(DOCS[f.kind] for f in feats if f.kind in DOCS)
        if not docs:
            return None
        text = (
            f"Using only the API described in the excerpt above, write the mod `{mod}` providing:\n"
            + "\n".join(f"- {f.says}" for f in feats)
        )
        return Task(instruction=text, input=docs, reference=code, checks=checks, **common)
    if family == "repair":
        buggable = [f for f in feats if f.kind in BUGS]
        if not buggable:
            return None
        f = rng.choice(buggable)
        bug, symptom = rng.choice(BUGS[f.kind])
        broken = bug(f.code, f.params)
        if broken is None:
            return None
        text = rng.choice(
            (
                f"This mod `{mod}` is broken: {symptom}. Fix it.",
                f"Players report that {symptom}. Find and fix the bug in this mod (`{mod}`).",
                f"Repair the mod `{mod}` below ({symptom}). Keep everything else working.",
            )
        )
        return Task(
            instruction=text, input=code.replace(f.code, broken, 1), reference=code, checks=checks, **common
        )
    if family == "refactor":
        for i, f in enumerate(feats):
            res = _change(f, rng, mod)
            if res is None:
                continue
            new, text, preserve = res
            new_feats = [*feats[:i], new, *feats[i + 1 :]]
            new_code = header + "\n".join(x.code for x in new_feats)
            new_checks = [preserve, *new.checks, *(c for x in new_feats if x is not new for c in x.checks)]
            # a craft of the renamed item would not match its old checks: refactors keep features apart
            if any(x.kind == "craft" for x in new_feats) and "except" in preserve:
                return None
            return Task(
                instruction=text + " Everything else must keep working exactly as before.",
                input=code,
                reference=new_code,
                checks=new_checks,
                **common,
            )
        return None
    raise ValueError(f"unknown family {family!r}")


def generate_tasks(n: int = 400, seed: int = 0, families: list[str] | None = None) -> list[Task]:
    """``n`` tasks, round-robin over ``families`` (default: all four), reproducible from ``seed``."""
    fams = list(families or FAMILIES)
    rng = random.Random(seed)
    out: list[Task] = []
    index = 0
    while len(out) < n:
        family = fams[len(out) % len(fams)]
        for _ in range(50):  # a family that cannot use the drawn features draws again
            t = generate_task(rng, family, index, seed)
            index += 1
            if t is not None:
                out.append(t)
                break
        else:
            raise RuntimeError(f"the generator cannot make {family} tasks")
    return out
