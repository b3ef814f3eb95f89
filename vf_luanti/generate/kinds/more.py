"""Aliases for renamed items, tool wear by command, entity armor groups, a guarded on_dig and
floating-point node metadata."""

from __future__ import annotations

import random

from ..base import (
    CREATURES,
    MATERIALS,
    RENAME_COMMAND,
    SHAPES,
    TOOLS,
    Bug,
    Change,
    Changed,
    Check,
    Feature,
    Kind,
    Params,
    item_check,
    join,
    node_check,
    online_command,
    register,
    rename_item,
    scenario,
    sub_once,
    texture,
    title,
    value_change,
)

_OLD_MODS = ("oldmod", "legacy", "classic", "moreblocks_old")


def _alias_loop(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """The aliases from one list in a loop: one call site registers them all (checked statically
    and by the calls the engine saw)."""
    if p["loop"]:
        return None
    return Changed(
        kind.build({**p, "loop": True}, mod),
        f"Register the old names of `{p['name']}` from one list in a loop, so that adding an old name "
        "is one more list entry (one minetest.register_alias line for all of them).",
        {"kind": "preserve", "desc": "the node and its aliases stay as they were"},
        [
            {
                "kind": "code",
                "desc": "one register_alias call, inside a loop",
                "loop": True,
                "at_most": {"minetest.register_alias": 1},
            },
            {
                "kind": "calls",
                "desc": "that one line registers every alias",
                "fn": "minetest.register_alias",
                "count": {"$range": [2, 1000]},
                "lines": 1,
            },
        ],
    )


def _alias_third(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """One more old name (from another old mod) becomes an alias too."""
    if p["old3"]:
        return None
    prefix = rng.choice([m for m in _OLD_MODS if m != p["old2"].split(":")[0]])
    old3 = f"{prefix}:{p['name'].split(':')[1]}"
    return Changed(
        kind.build({**p, "old3": old3}, mod),
        f"Worlds made with `{prefix}` still hold `{old3}`: make it an alias of `{p['name']}` too.",
        {"kind": "preserve", "desc": "the node and its aliases stay as they were"},
    )


@register
class AliasLegacyKind(Kind):
    """A node that replaced two old ones, which stay usable as aliases (register_alias)."""

    name = "alias_legacy"
    tags = ("node", "alias")
    doc = (
        "`minetest.register_alias(alias, original)`: the name `alias` (usually an old or another mod's "
        "name) refers to the registered item `original` from then on, in inventories, crafts and maps. "
        "The alias itself must not be registered as an item."
    )
    bugs = (
        Bug(
            "reversed",
            lambda c, p: sub_once(
                c,
                f'register_alias("{p["old1"]}", "{p["name"]}")',
                f'register_alias("{p["name"]}", "{p["old1"]}")',
            ),
            ("old worlds show unknown blocks where the old node was",),
        ),
        Bug(
            "missing-second",
            lambda c, p: sub_once(c, f'minetest.register_alias("{p["old2"]}", "{p["name"]}")\n', ""),
            ("one of the old names turns into an unknown item",),
        ),
        Bug(
            "no-prefix",
            lambda c, p: sub_once(
                c,
                f'register_alias("{p["old2"]}", "{p["name"]}")',
                f'register_alias("{p["old2"]}", "{p["name"].split(":")[1]}")',
            ),
            ("one of the old names points at nothing",),
        ),
    )
    changes = (Change("loop", _alias_loop), Change("old3", _alias_third))

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        shape = rng.choice(SHAPES)
        return {
            "name": f"{mod}:{m}_{shape}",
            "old1": f"{mod}:{m}{shape}",
            "old2": f"{rng.choice(_OLD_MODS)}:{m}_{shape}",
            "old3": None,
            "loop": False,
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, o1, o2 = p["name"], p["old1"], p["old2"]
        code = (
            f'minetest.register_node("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\ttiles = {{"{texture(name)}"}},\n\tgroups = {{cracky = 3}},\n}})\n'
        )
        olds = [o1, o2, *([p["old3"]] if p["old3"] else [])]
        if p["loop"]:
            listed = ", ".join(f'"{o}"' for o in olds)
            code += f'for _, old in ipairs({{{listed}}}) do\n\tminetest.register_alias(old, "{name}")\nend\n'
        else:
            code += "".join(f'minetest.register_alias("{o}", "{name}")\n' for o in olds)
        says = [
            f"a node `{name}` (cracky = 3) that replaces the old `{o1}` and `{o2}`: register both old names "
            f"as aliases of `{name}`",
            f"`{name}` (groups cracky = 3), with `{o1}` and `{o2}` kept working as aliases for it "
            "(minetest.register_alias)",
        ]
        if p["old3"]:
            says = [s + f"; `{p['old3']}` is an alias of it too" for s in says]
        checks: list[Check] = [
            node_check(name, {"cracky": 3}),
            {"kind": "alias", "desc": f"{o1} is an alias of {name}", "name": o1, "target": name},
            {"kind": "alias", "desc": f"{o2} is an alias of {name}", "name": o2, "target": name},
            {"kind": "item", "desc": f"{o1} is not registered itself", "name": o1, "absent": True},
            scenario(
                "an old name given to a player becomes the new node",
                join(),
                {"do": "give", "player": "p1", "item": f"{o2} 3"},
                {"expect": "inventory", "player": "p1", "contains": f"{name} 3"},
            ),
        ]
        if p["old3"]:
            o3 = p["old3"]
            checks.append(
                {"kind": "alias", "desc": f"{o3} is an alias of {name}", "name": o3, "target": name}
            )
        return Feature(self.name, code, checks, says, p, [name, *olds])


@register
class MendCommandKind(Kind):
    """A privileged command that repairs the wielded tool (get_wear, set_wear, get_definition)."""

    name = "mend_command"
    tags = ("chatcommand", "wear", "itemstack", "privilege")
    doc = (
        "ItemStack: `get_wear()` (0..65535), `set_wear(wear)`, `get_definition()` (the registered item "
        'definition; `.type` is "tool", "node" or "craft"). The wielded stack is a copy: give it back '
        "with `player:set_wielded_item(stack)`. A chat command's `privs = {priv = true}`."
    )
    bugs = (
        Bug(
            "copy-not-set",
            lambda c, p: sub_once(c, "\t\tplayer:set_wielded_item(stack)\n", ""),
            ("the command says the tool is mended but it stays worn",),
        ),
        Bug(
            "no-tool-check",
            lambda c, p: sub_once(
                c,
                '\t\tif stack:get_definition().type ~= "tool" then\n',
                "\t\tif stack:is_empty() then\n",
            ),
            ("mending a stack of items claims success",),
        ),
        Bug(
            "add-not-set",
            lambda c, p: sub_once(c, "stack:set_wear(0)", "stack:add_wear(0)"),
            ("the tool keeps all its wear",),
        ),
    )
    changes = (
        value_change("done", ("Good as new.", "Mended.", "Repaired!"), 'Make `/{cmd}` reply "{done}".'),
        RENAME_COMMAND,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "cmd": rng.choice(("mend", "fix", "repair", "restore")) + str(rng.randint(1, 99)),
            "priv": rng.choice(("server", "give", "debug")),
            "tool": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(TOOLS)}",
            "item": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(('chip', 'flake', 'pebble'))}",
            "wear": rng.randint(1000, 60000),
            "done": rng.choice(("Good as new.", "Mended.", "Repaired!")),
            "refuse": rng.choice(("That is not a tool.", "Hold a tool.", "Only tools can be mended.")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        cmd, tool, item = p["cmd"], p["tool"], p["item"]
        code = (
            f'minetest.register_tool("{tool}", {{description = "{title(tool)}"}})\n'
            f'minetest.register_craftitem("{item}", {{description = "{title(item)}"}})\n\n'
            f'minetest.register_chatcommand("{cmd}", {{\n\tprivs = {{{p["priv"]} = true}},\n'
            '\tdescription = "Mend the wielded tool",\n\tfunc = function(name)\n'
            "\t\tlocal player = minetest.get_player_by_name(name)\n"
            '\t\tif not player then\n\t\t\treturn false, "You must be online."\n\t\tend\n'
            "\t\tlocal stack = player:get_wielded_item()\n"
            '\t\tif stack:get_definition().type ~= "tool" then\n'
            f'\t\t\treturn false, "{p["refuse"]}"\n\t\tend\n'
            "\t\tstack:set_wear(0)\n\t\tplayer:set_wielded_item(stack)\n"
            f'\t\treturn true, "{p["done"]}"\n\tend,\n}})\n'
        )
        says = [
            f"a tool `{tool}`, a craftitem `{item}` and a command `/{cmd}` (needs the {p['priv']} privilege) "
            "that "
            f'sets the wear of the wielded tool to 0 and replies "{p["done"]}"; when the wielded item is '
            "not a "
            f'tool (get_definition().type) it fails with "{p["refuse"]}"',
            f"`/{cmd}` (privs {p['priv']}) repairs the tool in hand completely (set_wear(0)) and answers "
            f'"{p["done"]}"; '
            f'anything that is not a tool: false and "{p["refuse"]}". Register `{tool}` (tool) and `{item}` '
            "(craftitem) too",
        ]
        note, cmd_checks = online_command(cmd, "Mend the wielded tool", None, "You must be online.")
        says = [s + note for s in says]
        admin = ["interact", "shout", p["priv"]]
        checks: list[Check] = [
            *cmd_checks,
            {
                "kind": "chatcommand",
                "desc": f"/{cmd} needs {p['priv']}",
                "name": cmd,
                "fields": {"privs": {p["priv"]: True}},
            },
            item_check(tool, "tool"),
            item_check(item, "craft"),
            scenario(
                "a worn tool is mended; items are refused",
                join("p1", admin),
                {"do": "wield", "player": "p1", "item": f"{tool} 1 {p['wear']}"},
                {"do": "chat", "player": "p1", "message": f"/{cmd}"},
                {"expect": "wield", "player": "p1", "item": tool},
                {"expect": "command", "player": "p1", "success": True, "message": p["done"]},
                {"do": "wield", "player": "p1", "item": f"{item} 4"},
                {"do": "chat", "player": "p1", "message": f"/{cmd}"},
                {"expect": "command", "player": "p1", "success": False, "message": p["refuse"]},
                {"expect": "wield", "player": "p1", "item": f"{item} 4"},
            ),
            scenario(
                "without the privilege nothing is mended",
                join("p2"),
                {"do": "wield", "player": "p2", "item": f"{tool} 1 {p['wear']}"},
                {"do": "chat", "player": "p2", "message": f"/{cmd}"},
                {"expect": "wield", "player": "p2", "item": f"{tool} 1 {p['wear']}"},
            ),
        ]
        return Feature(self.name, code, checks, says, p, [tool, item])


@register
class EntityArmorKind(Kind):
    """An entity made tougher or immortal through its armor groups (set_armor_groups)."""

    name = "entity_armor"
    tags = ("entity", "armor_groups", "on_activate")
    doc = (
        "`self.object:set_armor_groups({fleshy = percent, immortal = 1})` in on_activate sets how much "
        "damage of each group the entity takes (percent of the punch's damage; immortal = 1: none). "
        "`self.object:get_armor_groups()` reads them back."
    )
    bugs = (
        Bug(
            "wrong-object",
            lambda c, p: sub_once(c, "\t\tobj:set_armor_groups(", "\t\tself:set_armor_groups("),
            ("spawning the creature crashes the server",),
        ),
        Bug(
            "in-properties",
            lambda c, p: sub_once(
                c,
                "\t\tobj:set_armor_groups(",
                "\t\tobj:set_properties(",
            ),
            ("the creature takes full damage",),
        ),
        Bug(
            "field-name",
            lambda c, p: sub_once(c, "fleshy = ", "flesh = "),
            ("the creature cannot be hurt at all",),
        ),
    )
    changes = (
        value_change("armor", (10, 25, 50, 75, 150), "Give `{name}` a fleshy armor of {armor} %."),
        value_change("hp", (10, 15, 20, 30, 40), "Give `{name}` {hp} HP (hp_max) instead."),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "name": f"{mod}:{rng.choice(('armored', 'iron', 'stone', 'tough'))}_{rng.choice(CREATURES)}",
            "armor": rng.choice((10, 25, 50, 75, 150)),
            "hp": rng.randint(10, 40),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name = p["name"]
        code = (
            f"local armor = {{fleshy = {p['armor']}}}\n\n"
            f'minetest.register_entity("{name}", {{\n\tinitial_properties = {{\n'
            f'\t\ttextures = {{"{texture(name)}"}},\n\t\tvisual = "cube",\n\t\thp_max = {p["hp"]},\n\t}},\n'
            "\ton_activate = function(self, staticdata)\n\t\tlocal obj = self.object\n"
            "\t\tobj:set_armor_groups(armor)\n\tend,\n})\n"
        )
        says = [
            f'an entity `{name}` (hp_max {p["hp"]}, visual "cube") that sets its armor groups to fleshy = '
            f"{p['armor']} when activated",
            f"`{name}`: a cube entity with hp_max = {p['hp']} whose on_activate calls "
            f"self.object:set_armor_groups({{fleshy = {p['armor']}}})",
        ]
        test = (
            f"for _, o in ipairs(minetest.get_objects_inside_radius({{x = 0, y = 1, z = 0}}, 2)) do "
            f'local e = o:get_luaentity() if e and e.name == "{name}" then local g = o:get_armor_groups() '
            f'return g.fleshy == {p["armor"]}, dump(g) end end return false, "no entity"'
        )
        checks: list[Check] = [
            {
                "kind": "entity",
                "desc": f"{name} has the requested properties",
                "name": name,
                "fields": {"initial_properties": {"hp_max": p["hp"], "visual": "cube"}},
            },
            scenario(
                "the armor groups are set on activation",
                {"do": "add_entity", "pos": [0, 1, 0], "name": name, "as": "e"},
                {"expect": "lua", "code": test},
                {"expect": "entity", "entity": "e", "hp": p["hp"]},
            ),
        ]
        return Feature(self.name, code, checks, says, p, [name])


@register
class MetaFloatKind(Kind):
    """A node keeping a decimal value in its metadata (set_float, get_float) changed by punches."""

    name = "meta_float"
    tags = ("node", "metadata", "on_punch", "on_rightclick")
    doc = (
        "Node metadata: `meta:get_float(key)` (0 when unset), `meta:set_float(key, x)`, `meta:set_string` "
        '("infotext" is shown when pointing at the node). Node callbacks `on_punch(pos, node, puncher)` '
        'and `on_rightclick(pos, node, clicker)`. `string.format("%.1f", x)` formats one decimal.'
    )
    bugs = (
        Bug(
            "int-not-float",
            lambda c, p: sub_once(
                c,
                f'meta:get_float("{p["key"]}") + {p["step"]:g}',
                f'meta:get_int("{p["key"]}") + {p["step"]:g}',
            ),
            ("the reading never gets past the first step",),
        ),
        Bug(
            "sign",
            lambda c, p: sub_once(
                c,
                f'meta:get_float("{p["key"]}") - {p["step"]:g}',
                f'meta:get_float("{p["key"]}") + {p["step"]:g}',
            ),
            ("right-clicking raises the value instead of lowering it",),
        ),
        Bug(
            "no-format",
            lambda c, p: sub_once(c, 'string.format("%.1f", v)', "v"),
            ("the display shows long fractions",),
        ),
    )

    changes = (
        value_change(
            "label",
            ("Level", "Setting", "Temperature", "Value"),
            'Make `{name}` show "{label}: <value>" as its infotext.',
        ),
        rename_item("name"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        return {
            "name": f"{mod}:{m}_{rng.choice(('dial', 'gauge', 'meter', 'thermostat'))}",
            "key": rng.choice(("level", "setting", "temperature", "value")),
            "label": rng.choice(("Level", "Setting", "Temperature", "Value")),
            # quarter steps and an odd balance: the value has two decimals, so "%.1f" shows
            "step": rng.choice((0.25, 0.75, 1.25)),
            "ups": (ups := rng.randint(4, 7)),
            "downs": ups - rng.choice((1, 3)),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, key, step = p["name"], p["key"], p["step"]
        code = (
            f'local function show(meta, v)\n\tmeta:set_float("{key}", v)\n'
            f'\tmeta:set_string("infotext", "{p["label"]}: " .. string.format("%.1f", v))\nend\n\n'
            f'minetest.register_node("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\ttiles = {{"{texture(name)}"}},\n\tgroups = {{cracky = 2}},\n'
            "\ton_punch = function(pos)\n\t\tlocal meta = minetest.get_meta(pos)\n"
            f'\t\tshow(meta, meta:get_float("{key}") + {step:g})\n\tend,\n'
            "\ton_rightclick = function(pos)\n\t\tlocal meta = minetest.get_meta(pos)\n"
            f'\t\tshow(meta, meta:get_float("{key}") - {step:g})\n\tend,\n}})\n'
        )
        says = [
            f'a node `{name}` (cracky = 2) keeping a decimal number in its metadata float "{key}" (0 at '
            "first): "
            f"each punch adds {step:g}, each right-click subtracts {step:g}, and the infotext shows "
            f'"{p["label"]}: <value with one decimal>"',
            f'`{name}` (groups cracky = 2): punching raises its meta float "{key}" by {step:g}, '
            "right-clicking "
            f'lowers it by {step:g}; after each change set the infotext to "{p["label"]}: " .. '
            'string.format("%.1f", value)',
        ]
        ups, downs = p["ups"], p["downs"]
        v = round(step * (ups - downs), 6)
        steps: list[Check] = [join(), {"do": "set_node", "pos": [0, 0, 0], "node": name}]
        steps += [{"do": "punch_node", "player": "p1", "pos": [0, 0, 0]}] * ups
        steps += [{"do": "rightclick_node", "player": "p1", "pos": [0, 0, 0]}] * downs
        steps += [
            {"expect": "meta", "pos": [0, 0, 0], "key": key, "value": {"$regex": f"^{v:g}(\\.0+)?$"}},
            {"expect": "meta", "pos": [0, 0, 0], "key": "infotext", "value": f"{p['label']}: {v:.1f}"},
        ]
        checks: list[Check] = [
            node_check(name, {"cracky": 2}),
            scenario("punches raise, right-clicks lower", *steps),
        ]
        return Feature(self.name, code, checks, says, p, [name])


@register
class KilnKind(Kind):
    """A node whose timer a right-click starts unless it already runs (NodeTimerRef:is_started)."""

    name = "kiln"
    tags = ("node", "node_timer", "on_rightclick", "is_started")
    doc = (
        "`minetest.get_node_timer(pos)` returns the node's NodeTimerRef: `start(seconds)` (re)starts it, "
        "`is_started()` tells whether it runs, `stop()`. When it expires the node's `on_timer(pos, elapsed)` "
        "runs. `minetest.swap_node(pos, {name = ...})`, `minetest.chat_send_player(name, text)`."
    )
    bugs = (
        Bug(
            "restarts",
            lambda c, p: sub_once(c, "\t\tif timer:is_started() then\n", "\t\tif false then\n"),
            ("clicking a working kiln again restarts it, so it never finishes while you click",),
        ),
        Bug(
            "not-started",
            lambda c, p: sub_once(c, f"\t\ttimer:start({p['secs']})\n", ""),
            ("the kiln never finishes firing",),
        ),
        Bug(
            "dot-call",
            lambda c, p: sub_once(c, "timer:is_started()", "timer.is_started()"),
            ("right-clicking the kiln crashes the server",),
        ),
    )
    changes = (
        value_change("secs", tuple(range(4, 30, 3)), "Make `{name}` fire for {secs} seconds."),
        rename_item("name"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        return {
            "name": f"{mod}:{m}_kiln",
            "done": f"{mod}:{m}_kiln_done",
            "secs": rng.choice(tuple(range(4, 30, 3))),
            "busy": rng.choice(("Already firing.", "Still busy.", "Be patient.")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, done, secs = p["name"], p["done"], p["secs"]
        code = (
            f'minetest.register_node("{done}", '
            f'{{description = "{title(done)}", groups = {{cracky = 2}}}})\n\n'
            f'minetest.register_node("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\ttiles = {{"{texture(name)}"}},\n\tgroups = {{cracky = 2}},\n'
            "\ton_rightclick = function(pos, node, clicker)\n\t\tlocal timer = minetest.get_node_timer(pos)\n"
            "\t\tlocal name = clicker:get_player_name()\n\t\tif timer:is_started() then\n"
            f'\t\t\tminetest.chat_send_player(name, "{p["busy"]}")\n\t\t\treturn\n\t\tend\n'
            f"\t\ttimer:start({secs})\n"
            f'\t\tminetest.chat_send_player(name, "Firing for {secs} s.")\n\tend,\n'
            f'\ton_timer = function(pos)\n\t\tminetest.swap_node(pos, {{name = "{done}"}})\n\tend,\n}})\n'
        )
        says = [
            f"nodes `{name}` and `{done}` (both cracky = 2): right-clicking the kiln starts a {secs} s node "
            "timer "
            f'and tells the player "Firing for {secs} s.", unless the timer already runs (is_started): then '
            "it "
            f'only says "{p["busy"]}"; when the timer ends the kiln becomes `{done}`',
            f"a kiln `{name}` (groups cracky = 2) fired by right-click: start its node timer ({secs} s, "
            "reply "
            f'"Firing for {secs} s.") only if it is not started yet, else reply "{p["busy"]}"; on_timer '
            "swaps "
            f"it to `{done}` (register it, cracky = 2)",
        ]
        click = {"do": "rightclick_node", "player": "p1", "pos": [0, 0, 0]}
        checks: list[Check] = [
            node_check(name, {"cracky": 2}),
            node_check(done, {"cracky": 2}),
            scenario(
                "a second click does not restart the firing",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": name},
                click,
                {"expect": "chat", "player": "p1", "message": f"Firing for {secs} s."},
                {"do": "step", "seconds": secs - 2, "dtime": 0.25},
                click,
                {"expect": "chat", "player": "p1", "message": p["busy"]},
                {"expect": "node", "pos": [0, 0, 0], "name": name},
                {"do": "step", "seconds": 3, "dtime": 0.25},
                {"expect": "node", "pos": [0, 0, 0], "name": done},
            ),
        ]
        return Feature(self.name, code, checks, says, p, [name, done])


def _beacon_helper(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """The table key computed in one local function both callbacks call (checked statically)."""
    if p["helper"]:
        return None
    return Changed(
        kind.build({**p, "helper": True}, mod),
        "Compute the beacons table's key in one local function `beacon_key(pos)` (returning the hashed "
        "position) and use it in both node callbacks, so the key is defined in one place.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
        [
            {
                "kind": "code",
                "desc": "both callbacks use beacon_key; the position is hashed in one place",
                "uses": ["beacon_key"],
                "at_most": {"minetest.hash_node_position": 1},
            }
        ],
    )


@register
class BeaconRegistryKind(Kind):
    """Placed beacons tracked by hashed position (hash_node_position, after_place_node, on_destruct)."""

    name = "beacon_registry"
    tags = ("node", "after_place_node", "on_destruct", "chatcommand")
    doc = (
        "`minetest.hash_node_position(pos)` turns a node position into a number, usable as a table key "
        "(two tables with the same coordinates are different keys; their hashes are equal). Node callbacks "
        "`after_place_node(pos, placer)` and `on_destruct(pos)`."
    )
    bugs = (
        Bug(
            "table-key",
            lambda c, p: sub_once(c, "beacons[minetest.hash_node_position(pos)] = nil", "beacons[pos] = nil"),
            ("dug beacons are still counted",),
        ),
        Bug(
            "no-destruct",
            lambda c, p: sub_once(c, "\ton_destruct = function(pos)", "\ton_destroy = function(pos)"),
            ("dug beacons are still counted",),
        ),
        Bug(
            "count-hash",
            lambda c, p: sub_once(c, "\t\tfor _ in pairs(beacons) do\n", "\t\tfor _ = 1, #beacons do\n"),
            ("the command always reports zero beacons",),
        ),
    )
    changes = (
        value_change(
            "unit", ("beacon(s)", "marker(s)", "node(s)"), 'Make `/{cmd}` reply "<n> {unit} placed." instead.'
        ),
        Change("helper", _beacon_helper),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        name = f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(('beacon', 'marker', 'waystone'))}"
        cmd = rng.choice(("beacons", "markers", "waystones")) + str(rng.randint(1, 99))
        placed = rng.randint(2, 4)
        return {
            "name": name,
            "cmd": cmd,
            "placed": placed,
            # at least one beacon stays: with none left a count that is always 0 would pass
            "dug": min(rng.randint(1, 2), placed - 1),
            "unit": "beacon(s)",
            "helper": False,
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, cmd, unit = p["name"], p["cmd"], p["unit"]
        key = "minetest.hash_node_position(pos)"
        code = "local beacons = {}\n\n"
        if p["helper"]:
            code += f"local function beacon_key(pos)\n\treturn {key}\nend\n\n"
            key = "beacon_key(pos)"
        code += (
            f'minetest.register_node("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\ttiles = {{"{texture(name)}"}},\n\tgroups = {{dig_immediate = 3}},\n'
            f"\tafter_place_node = function(pos)\n\t\tbeacons[{key}] = true\n\tend,\n"
            f"\ton_destruct = function(pos)\n\t\tbeacons[{key}] = nil\n\tend,\n}})\n\n"
            f'minetest.register_chatcommand("{cmd}", {{\n\tdescription = "Count placed beacons",\n'
            "\tfunc = function()\n\t\tlocal n = 0\n\t\tfor _ in pairs(beacons) do\n\t\t\tn = n + 1\n\t\tend\n"
            f'\t\treturn true, n .. " {unit} placed."\n\tend,\n}})\n'
        )
        says = [
            f"a node `{name}` (dig_immediate = 3) whose placements are tracked in a local table keyed by "
            "minetest.hash_node_position(pos) (added in after_place_node, removed in on_destruct), and a "
            "command "
            f'`/{cmd}` replying "<n> {unit} placed."',
            f'`/{cmd}` answers "<count> {unit} placed." for the `{name}` nodes (groups dig_immediate = 3) '
            "players placed and that still exist: keep them in a table indexed by the hashed node position",
        ]
        note, cmd_checks = online_command(cmd, "Count placed beacons")
        says = [s + note for s in says]
        steps: list[Check] = [join(), {"do": "set_node", "pos": [0, -1, 0], "node": name}]
        for i in range(p["placed"]):
            steps.append({"do": "place", "player": "p1", "pos": [i + 1, 0, 0], "item": name})
        for i in range(p["dug"]):
            steps.append({"do": "dig", "player": "p1", "pos": [i + 1, 0, 0]})
        steps += [
            {"do": "chat", "player": "p1", "message": f"/{cmd}"},
            {
                "expect": "command",
                "player": "p1",
                "success": True,
                "message": f"{p['placed'] - p['dug']} {unit} placed.",
            },
        ]
        checks: list[Check] = [
            *cmd_checks,
            node_check(name, {"dig_immediate": 3}),
            scenario("placed beacons count until dug", *steps),
        ]
        return Feature(self.name, code, checks, says, p, [name])


@register
class ToolOnlyKind(Kind):
    """A node that only a given tool can dig (on_dig, minetest.node_dig)."""

    name = "tool_only"
    tags = ("node", "on_dig", "node_dig")
    craftable = True
    doc = (
        "Node callback `on_dig(pos, node, digger)` replaces the default digging: call "
        "`minetest.node_dig(pos, node, digger)` to dig normally (it returns true when dug), or return false "
        "to refuse. `digger:get_wielded_item():get_name()` is the wielded item's name."
    )
    bugs = (
        Bug(
            "never-digs",
            lambda c, p: sub_once(
                c,
                "\t\treturn minetest.node_dig(pos, node, digger)\n",
                "\t\treturn true\n",
            ),
            ("even the right tool cannot dig it",),
        ),
        Bug(
            "wrong-compare",
            lambda c, p: sub_once(
                c,
                f'digger:get_wielded_item():get_name() ~= "{p["tool"]}"',
                f'digger:get_wielded_item() ~= "{p["tool"]}"',
            ),
            ("the node refuses every tool",),
        ),
        Bug(
            "no-refusal",
            lambda c, p: sub_once(c, "\t\t\treturn false\n", ""),
            ("any tool can dig it",),
        ),
    )

    changes = (
        value_change(
            "need",
            ("You need the right tool.", "It will not budge.", "Wrong tool."),
            'Make `{name}` tell players without the tool "{need}".',
        ),
        rename_item("name"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        return {
            "name": f"{mod}:{m}_{rng.choice(('vault', 'seal', 'lock', 'crystal'))}",
            "tool": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(('key', 'chisel', 'wrench'))}",
            "need": rng.choice(("You need the right tool.", "It will not budge.", "Wrong tool.")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, tool = p["name"], p["tool"]
        code = (
            f'minetest.register_tool("{tool}", {{description = "{title(tool)}"}})\n\n'
            f'minetest.register_node("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\ttiles = {{"{texture(name)}"}},\n\tgroups = {{dig_immediate = 2}},\n'
            "\ton_dig = function(pos, node, digger)\n"
            f'\t\tif not digger or digger:get_wielded_item():get_name() ~= "{tool}" then\n'
            "\t\t\tif digger then\n"
            f'\t\t\t\tminetest.chat_send_player(digger:get_player_name(), "{p["need"]}")\n\t\t\tend\n'
            "\t\t\treturn false\n\t\tend\n\t\treturn minetest.node_dig(pos, node, digger)\n\tend,\n})\n"
        )
        says = [
            f"a tool `{tool}` and a node `{name}` (dig_immediate = 2) whose on_dig refuses (returns false, "
            "telling "
            f'the player "{p["need"]}") unless the digger wields `{tool}`, and then digs normally with '
            "minetest.node_dig",
            f"`{name}` (groups dig_immediate = 2) can only be dug while holding `{tool}` (register it as a "
            "tool): "
            f'its on_dig calls minetest.node_dig in that case and otherwise sends "{p["need"]}" and returns '
            "false",
        ]
        checks: list[Check] = [
            node_check(name, {"dig_immediate": 2}),
            item_check(tool, "tool"),
            scenario(
                "by hand it is refused; with the tool it is dug",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": name},
                {"do": "dig", "player": "p1", "pos": [0, 0, 0]},
                {"expect": "node", "pos": [0, 0, 0], "name": name},
                {"expect": "chat", "player": "p1", "message": p["need"]},
                {"do": "wield", "player": "p1", "item": tool},
                {"do": "dig", "player": "p1", "pos": [0, 0, 0]},
                {"expect": "node", "pos": [0, 0, 0], "name": "air"},
                {"expect": "inventory", "player": "p1", "contains": name},
            ),
        ]
        return Feature(self.name, code, checks, says, p, [name, tool])


_STONE = (
    'minetest.register_node(":default:stone", '
    '{description = "Stone", tiles = {"default_stone.png"}, groups = {cracky = 3}})'
)


def _override_walkable(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """The overridden stone becomes solid or passable the other way round."""
    new = {**p, "walkable": not p["walkable"]}
    how = "solid again (walkable = true)" if new["walkable"] else "passable (walkable = false)"
    return Changed(
        kind.build(new, mod),
        f"Make the overridden default:stone {how}; keep its light.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


@register
class OverrideDefaultKind(Kind):
    """Changing another mod's node when it is present (optional dependency, override_item)."""

    name = "override_default"
    tags = ("override", "optional dependency", "node")
    doc = (
        "`minetest.override_item(name, {field = value, ...})` changes fields of an item another mod "
        "registered; it is an error for an item that does not exist, so check "
        "`minetest.registered_nodes[name]` first when that mod is only an optional dependency "
        "(mod.conf `optional_depends`)."
    )
    bugs = (
        Bug(
            "no-check",
            lambda c, p: sub_once(
                c,
                'if minetest.registered_nodes["default:stone"] then\n'
                f'\tminetest.override_item("default:stone", {{light_source = {p["light"]}, '
                f"walkable = {str(p['walkable']).lower()}}})\nend\n",
                f'minetest.override_item("default:stone", {{light_source = {p["light"]}, '
                f"walkable = {str(p['walkable']).lower()}}})\n",
            ),
            ("the mod crashes the server when minetest_game's default mod is missing",),
        ),
        Bug(
            "field-typo",
            lambda c, p: sub_once(c, "{light_source = ", "{light = "),
            ("stone does not glow",),
        ),
        Bug(
            "wrong-node",
            lambda c, p: sub_once(c, 'override_item("default:stone"', 'override_item("default:cobble"'),
            ("stone does not change",),
        ),
    )
    changes = (
        value_change("light", tuple(range(3, 14)), "Make default:stone glow at level {light} instead."),
        Change("walkable", _override_walkable),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {"light": rng.randint(3, 13), "walkable": rng.choice((True, False))}

    def build(self, p: Params, mod: str) -> Feature:
        walk = str(p["walkable"]).lower()
        code = (
            'if minetest.registered_nodes["default:stone"] then\n'
            '\tminetest.override_item("default:stone", '
            f"{{light_source = {p['light']}, walkable = {walk}}})\nend\n"
        )
        says = [
            "when the optional dependency `default` provides `default:stone`, override it "
            "(minetest.override_item) "
            f"to have light_source {p['light']} and walkable {walk}; without `default` the mod must load "
            "fine",
            f"make `default:stone` glow (light_source = {p['light']}, walkable = {walk}) with "
            "override_item, but only "
            "if the node exists: `default` is an optional dependency",
        ]
        stone = {"name": "default", "code": _STONE}
        check = (
            'local d = minetest.registered_nodes["default:stone"] '
            f"return d.light_source == {p['light']} and d.walkable == {walk} and d.description == "
            '"Stone", dump(d)'
        )
        checks: list[Check] = [
            {
                "kind": "scenario",
                "desc": "with default present, its stone is overridden (other fields kept)",
                "mods": [stone],
                "steps": [{"expect": "lua", "code": check}],
            },
            scenario(
                "without default the mod runs",
                join(),
                {"expect": "lua", "code": 'return minetest.registered_nodes["default:stone"] == nil'},
            ),
        ]
        return Feature(self.name, code, checks, says, p)


_SEATS = ("chair", "stool", "saddle", "bench")


@register
class SeatKind(Kind):
    """An entity players sit on and get off by right-clicking (set_attach, set_detach, get_attach)."""

    name = "seat"
    tags = ("entity", "attachment", "on_rightclick")
    doc = (
        "`player:set_attach(parent, bone, position, rotation)` attaches the player to an object (e.g. a seat "
        "entity: `self.object`), `player:set_detach()` releases them, `player:get_attach()` returns the "
        "parent "
        "or nil. Entity callback `on_rightclick(self, clicker)`."
    )
    bugs = (
        Bug(
            "reversed",
            lambda c, p: sub_once(
                c,
                '\t\tclicker:set_attach(self.object, ""',
                '\t\tself.object:set_attach(clicker, ""',
            ),
            ("right-clicking the seat carries it away instead of sitting down",),
        ),
        Bug(
            "never-detach",
            lambda c, p: sub_once(c, "\t\t\tclicker:set_detach()\n", ""),
            ("players cannot get up again",),
        ),
        Bug(
            "rider-not-checked",
            lambda c, p: sub_once(c, f"\t\tif self.{p['field']} then\n\t\t\treturn\n\t\tend\n", ""),
            ("a second player can sit on an occupied seat",),
        ),
    )

    changes = (
        value_change(
            "height", (3, 4, 5, 6), "Seat the riders of `{name}` at height {height} (the attach position)."
        ),
        value_change(
            "field",
            ("seated", "rider", "driver", "occupant"),
            "Keep the rider's name in `self.{field}` instead (other code reads it there).",
        ),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "name": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(_SEATS)}",
            "height": rng.choice((3, 4, 5, 6)),
            "field": rng.choice(("sitter", "occupant", "seated", "user")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, f = p["name"], p["field"]
        code = (
            f'minetest.register_entity("{name}", {{\n\tinitial_properties = {{\n\t\tvisual = "cube",\n'
            f'\t\ttextures = {{"{texture(name)}"}},\n\t\tphysical = true,\n\t}},\n'
            "\ton_rightclick = function(self, clicker)\n\t\tlocal name = clicker:get_player_name()\n"
            f"\t\tif self.{f} == name then\n\t\t\tclicker:set_detach()\n\t\t\tself.{f} = "
            "nil\n\t\t\treturn\n\t\tend\n"
            f"\t\tif self.{f} then\n\t\t\treturn\n\t\tend\n"
            f'\t\tclicker:set_attach(self.object, "", vector.new(0, {p["height"]}, 0), vector.new(0, 0, 0))\n'
            f"\t\tself.{f} = name\n\tend,\n}})\n"
        )
        says = [
            f"a physical cube entity `{name}` players sit on: right-clicking attaches the clicker to it "
            f"(set_attach with position vector.new(0, {p['height']}, 0)) and remembers them in "
            f"`self.{f}`; "
            "the rider right-clicking again gets off (set_detach); others cannot sit while it is taken",
            f"`{name}` (entity: visual cube, physical): a seat. Right-click to sit "
            "(clicker:set_attach(self.object, "
            f'"", vector.new(0, {p["height"]}, 0), vector.new(0, 0, 0)), rider name in '
            f"`self.{f}`), "
            "right-click again to stand up (set_detach); while someone sits, nobody else can",
        ]
        on = (
            'local p = minetest.get_player_by_name("{pl}") local parent, _, at = p:get_attach() '
            'return parent ~= nil and parent:get_luaentity() ~= nil and parent:get_luaentity().name == "'
            + name
            + '" and at.y == '
            + str(p["height"])
            + ", tostring(parent)"
        )
        off = 'return minetest.get_player_by_name("{pl}"):get_attach() == nil, "still attached"'
        checks: list[Check] = [
            {
                "kind": "entity",
                "desc": f"{name} is a physical cube",
                "name": name,
                "fields": {"initial_properties": {"visual": "cube", "physical": True}},
            },
            scenario(
                "sit, someone else is refused, stand up",
                join("p1"),
                join("p2"),
                {"do": "add_entity", "pos": [0, 1, 0], "name": name, "as": "s"},
                {"do": "rightclick_entity", "player": "p1", "entity": "s"},
                {"expect": "lua", "code": on.format(pl="p1")},
                {"expect": "entity", "entity": "s", "fields": {p["field"]: "p1"}},
                {"do": "rightclick_entity", "player": "p2", "entity": "s"},
                {"expect": "lua", "code": off.format(pl="p2")},
                {"do": "rightclick_entity", "player": "p1", "entity": "s"},
                {"expect": "lua", "code": off.format(pl="p1")},
                {"do": "rightclick_entity", "player": "p2", "entity": "s"},
                {"expect": "lua", "code": on.format(pl="p2")},
            ),
        ]
        return Feature(self.name, code, checks, says, p, [name])
