"""Item registrations: nodes, tools, food and craft recipes."""

from __future__ import annotations

import random
from typing import Any

from ...lualiteral import lua_literal
from ..base import (
    DRAWTYPES,
    FOODS,
    GROUPS,
    INGREDIENTS,
    MATERIALS,
    SHAPES,
    TOOLS,
    Bug,
    Change,
    Changed,
    Feature,
    Kind,
    Params,
    register,
    rename_item,
    sub_once,
    texture,
    title,
)


def _node_light(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    p = {**p, "light": rng.choice([v for v in range(1, 15) if v != p["light"]])}
    return Changed(
        kind.build(p, mod),
        f'Make `{p["name"]}` emit light at level {p["light"]} (with paramtype "light").',
        {
            "kind": "preserve",
            "desc": "everything else stays as it was",
            "except_fields": {p["name"]: ["light_source", "paramtype"]},
        },
    )


def _node_translate(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    p = {**p, "translate": True}
    new = kind.build(p, mod)
    new.code = f'local S = minetest.get_translator("{mod}")\n' + new.code
    return Changed(
        new,
        "Make the node's description translatable: get a translator for the mod's text "
        "domain into a local `S` and wrap the description in `S()`.",
        {
            "kind": "preserve",
            "desc": "everything but the description stays as it was",
            "except_fields": {p["name"]: ["description"]},
        },
        [{"kind": "calls", "desc": "a translator is made", "fn": "minetest.get_translator"}],
    )


def _node_rename(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    old = p["name"]
    p = {**p, "name": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(SHAPES)}"}
    if p["name"] == old:
        return None
    new = kind.build(p, mod)
    new.code += f'minetest.register_alias("{old}", "{p["name"]}")\n'
    new.checks.append(
        {"kind": "alias", "desc": f"the old name {old} still works", "name": old, "target": p["name"]}
    )
    new.names.append(old)
    return Changed(
        new,
        f"Rename the node `{old}` to `{p['name']}`; keep the old name working as an alias.",
        {"kind": "preserve", "desc": "nothing else changes", "except": [old]},
    )


@register
class NodeKind(Kind):
    name = "node"
    tags = ("node",)
    craftable = True
    doc = (
        "`minetest.register_node(name, definition)` registers a node. `name` must be "
        '"modname:itemname". Useful fields: `description` (string), `tiles` (list of texture names), '
        "`groups` (table group -> level; e.g. cracky, crumbly, choppy, snappy, oddly_breakable_by_hand), "
        '`drawtype` ("normal", "glasslike", "allfaces", "plantlike", "glasslike_framed" ...), '
        '`paramtype = "light"` for nodes that are lit, `light_source` (0..14).'
    )
    bugs = (
        Bug("group-typo", lambda c, p: sub_once(c, "\tgroups = ", "\tgroup = "), ("the node has no groups",)),
        Bug(
            "no-mod-prefix",
            lambda c, p: sub_once(c, f'"{p["name"]}"', f'"{p["name"].split(":")[1]}"'),
            ("the mod does not load (the node name lacks the mod prefix)", "the server refuses to start"),
        ),
        Bug(
            "light-field-name",
            lambda c, p: sub_once(c, "\tlight_source = ", "\tlight = "),
            ("the node does not glow", "the node gives no light"),
        ),
    )
    changes = (
        Change("light", _node_light),
        Change("translate", _node_translate),
        Change("rename", _node_rename),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "name": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(SHAPES)}",
            "groups": {g: rng.randint(1, 3) for g in rng.sample(GROUPS, rng.randint(1, 2))},
            "light": rng.choice((0, 0, rng.randint(1, 14))),
            "drawtype": rng.choice(DRAWTYPES),
            "translate": False,
        }

    def build(self, p: Params, mod: str) -> Feature:
        name = p["name"]
        desc = title(name)
        desc_lua = f'S("{desc}")' if p["translate"] else lua_literal(desc)
        lines = [
            f"\tdescription = {desc_lua},",
            f'\ttiles = {{"{texture(name)}"}},',
            f"\tgroups = {lua_literal(p['groups'])},",
            f'\tdrawtype = "{p["drawtype"]}",',
        ]
        fields: dict[str, Any] = {"groups": {"$exact": p["groups"]}, "drawtype": p["drawtype"]}
        if p["light"]:
            lines += ['\tparamtype = "light",', f"\tlight_source = {p['light']},"]
            fields["light_source"] = p["light"]
            fields["paramtype"] = "light"
        else:
            fields["light_source"] = {"$any_of": [{"$absent": True}, 0]}
        # a translated string carries the text domain: "\x1b(T@mod)Text\x1bE"
        fields["description"] = {"$regex": rf"\(T@{mod}\).*{desc}"} if p["translate"] else desc
        code = f'minetest.register_node("{name}", {{\n' + "\n".join(lines) + "\n})\n"
        groups = ", ".join(f"{g} = {v}" for g, v in p["groups"].items())
        light = f" and light_source {p['light']}" if p["light"] else ""
        says = [
            f'a node `{name}` described as "{desc}" with groups {{{groups}}}, drawtype '
            f'"{p["drawtype"]}"{light}',
            f'the node `{name}` ("{desc}"; groups {groups}; drawtype {p["drawtype"]}{light})',
        ]
        checks = [
            {
                "kind": "item",
                "desc": f"{name} is a node with the requested fields",
                "name": name,
                "type": "node",
                "fields": fields,
            }
        ]
        return Feature(self.name, code, checks, says, p, [name])


def _tool_durability(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    p = {**p, "uses": p["uses"] * 2}
    return Changed(
        kind.build(p, mod),
        f"Double the durability of `{p['name']}` (uses {p['uses']}); change nothing else.",
        {
            "kind": "preserve",
            "desc": "everything else stays",
            "except_fields": {p["name"]: ["tool_capabilities"]},
        },
    )


def _tool_damage(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    p = {**p, "damage": p["damage"] + rng.randint(1, 4)}
    return Changed(
        kind.build(p, mod),
        f"Make `{p['name']}` hit harder: {p['damage']} fleshy damage; keep its digging as it is.",
        {
            "kind": "preserve",
            "desc": "everything else stays",
            "except_fields": {p["name"]: ["tool_capabilities"]},
        },
    )


@register
class ToolKind(Kind):
    name = "tool"
    tags = ("tool",)
    craftable = True
    doc = (
        "`minetest.register_tool(name, definition)` registers a tool. `tool_capabilities` = "
        "{full_punch_interval = seconds, max_drop_level = n, groupcaps = {<group> = {times = {[level] = "
        "seconds}, uses = n, maxlevel = n}}, damage_groups = {fleshy = n}}. A tool wears out after `uses` "
        "digs of a node at its maximum level."
    )
    bugs = (
        Bug(
            "capabilities-typo",
            lambda c, p: sub_once(c, "tool_capabilities", "tool_capabilites"),
            ("the tool cannot dig anything",),
        ),
        Bug(
            "registered-as-craftitem",
            lambda c, p: sub_once(c, "minetest.register_tool", "minetest.register_craftitem"),
            ("the item is not a tool", "the tool stacks like a plain item and has no wear bar"),
        ),
        Bug(
            "groupcaps-outside",
            lambda c, p: sub_once(c, "\t\tgroupcaps = {", "\t\tgroupcap = {"),
            ("the tool digs nothing faster than a hand",),
        ),
    )
    changes = (Change("durability", _tool_durability), Change("damage", _tool_damage))

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "name": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(TOOLS)}",
            "group": rng.choice(GROUPS[:4]),
            "times": [round(rng.uniform(0.5, 4.0), 1) for _ in range(3)],
            "uses": rng.randint(10, 60),
            "maxlevel": rng.randint(1, 3),
            "damage": rng.randint(1, 8),
            "interval": rng.choice((0.9, 1.0, 1.2, 1.5)),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name = p["name"]
        times = ", ".join(f"[{i + 1}] = {t}" for i, t in enumerate(p["times"]))
        code = (
            f'minetest.register_tool("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\tinventory_image = "{texture(name)}",\n\ttool_capabilities = {{\n'
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
        rest = (
            f"{p['uses']} uses, maxlevel {p['maxlevel']}, full_punch_interval {p['interval']}, "
            f"max_drop_level 1 and {p['damage']} fleshy damage"
        )
        says = [
            f'a tool `{name}` ("{title(name)}") that digs {p["group"]} nodes with times {p["times"]} for '
            f"levels 1-3, {rest}",
            f'the tool `{name}` ("{title(name)}"): {p["group"]} digging times {p["times"]} (levels 1, 2, 3), '
            f"{rest}",
        ]
        checks = [
            {
                "kind": "item",
                "desc": f"{name} is a tool with the requested capabilities",
                "name": name,
                "type": "tool",
                "fields": {"description": title(name), "tool_capabilities": caps},
            }
        ]
        return Feature(self.name, code, checks, says, p, [name])


def _food_heal(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """Another heal amount (never the HP the scenario starts from: that would quote its input)."""
    heal = rng.choice([h for h in range(1, 9) if h not in (p["heal"], p["start"])])
    return Changed(
        kind.build({**p, "heal": heal}, mod),
        f"Rebalance `{p['name']}`: eating it should heal {heal} HP.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


@register
class FoodKind(Kind):
    name = "food"
    tags = ("craftitem", "item_eat")
    craftable = True
    doc = (
        "`minetest.register_craftitem(name, def)` registers an item that is not a node or tool. "
        "`stack_max` limits the stack size. `minetest.item_eat(hp_change)` returns a function usable as "
        "`on_use`: it adds `hp_change` HP to the user and takes one item from the stack."
    )
    bugs = (
        Bug(
            "item-eat-uncalled",
            lambda c, p: sub_once(c, f"minetest.item_eat({p['heal']})", "minetest.item_eat"),
            ("eating it raises an error", "the server crashes when someone eats it"),
        ),
        Bug(
            "on-place-not-use",
            lambda c, p: sub_once(c, "\ton_use = ", "\ton_secondary_use = "),
            ("left-clicking with it does not eat it",),
        ),
        Bug(
            "stack-max-typo",
            lambda c, p: sub_once(c, "\tstack_max = ", "\tmax_stack = "),
            ("the food stacks to 99 instead of its limit",),
        ),
    )

    changes = (
        Change("heal", _food_heal),
        rename_item("name"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        heal = rng.randint(1, 8)
        return {
            "name": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(FOODS)}",
            "heal": heal,
            "stack": rng.choice((16, 32, 50, 64)),
            # the HP before eating: a value the instruction does not quote (vf_luanti.hidden)
            "start": rng.choice([v for v in range(2, 12) if v != heal]),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name = p["name"]
        code = (
            f'minetest.register_craftitem("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\tinventory_image = "{texture(name)}",\n\tstack_max = {p["stack"]},\n'
            f"\ton_use = minetest.item_eat({p['heal']}),\n}})\n"
        )
        says = [
            f'a craftitem `{name}` ("{title(name)}", stacks of at most {p["stack"]}) that heals '
            f"{p['heal']} HP when eaten (used)",
            f'food: `{name}` ("{title(name)}"), stack_max {p["stack"]}, eating it (on_use) restores '
            f"{p['heal']} HP",
        ]
        checks = [
            {
                "kind": "item",
                "desc": f"{name} is a craftitem",
                "name": name,
                "type": "craft",
                "fields": {
                    "description": title(name),
                    "stack_max": p["stack"],
                    "on_use": {"$type": "function"},
                },
            },
            {
                "kind": "scenario",
                "desc": f"eating {name} at {p['start']} HP heals {p['heal']} HP and uses one item",
                "steps": [
                    {"do": "join", "player": "p1"},
                    {"do": "set_hp", "player": "p1", "hp": p["start"]},
                    {"do": "wield", "player": "p1", "item": f"{name} 3"},
                    {"do": "use", "player": "p1"},
                    {"expect": "hp", "player": "p1", "value": p["start"] + p["heal"]},
                    {"expect": "wield", "player": "p1", "item": {"$regex": f"^{name} 2$"}},
                ],
            },
        ]
        return Feature(self.name, code, checks, says, p, [name])


@register
class CraftKind(Kind):
    """A recipe for an item another feature registers (``draw_for``); never drawn alone."""

    name = "craft"
    tags = ("craft",)
    standalone = False
    doc = (
        '`minetest.register_craft(recipe)`: a shaped recipe is {output = "item count", recipe = rows of '
        'item names ("" = empty)}; type = "shapeless" takes a flat list; type = "cooking" has '
        'recipe = one item and cooktime; type = "fuel" has recipe and burntime.'
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        raise TypeError("a craft needs an output: use draw_for")

    def draw_for(self, rng: random.Random, output: str) -> Params:
        kind = rng.choice(("shaped", "shaped", "shapeless", "cooking", "fuel"))
        p: Params = {"type": kind, "output": output, "count": rng.choice((1, 1, 2, 4, 8))}
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
        return p

    def build(self, p: Params, mod: str) -> Feature:
        kind = p["type"]
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
        return Feature(self.name, code, [check], [says], p)
