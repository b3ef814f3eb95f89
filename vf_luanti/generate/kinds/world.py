"""The world around players: a converting wand (on_use, wear, groups), position commands
(string_to_pos, vector.distance, set_pos), node and object searches, inventories and item metadata,
and an entity dropping loot when it dies."""

from __future__ import annotations

import random
import re

from ..base import (
    MATERIALS,
    PLAYERS,
    RENAME_COMMAND,
    SHAPES,
    Bug,
    Change,
    Changed,
    Check,
    Feature,
    Kind,
    Params,
    item_check,
    join,
    lua_concat,
    node_check,
    online_command,
    register,
    rename_item,
    scenario,
    simple_node,
    sub_once,
    texture,
    title,
    value_change,
)
from .entities import find_entity

_SET_POS = 'minetest.get_player_by_name("{pl}"):set_pos({{x = {x}, y = {y}, z = {z}}})'


def _wand_uses(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    uses = rng.choice([u for u in (4, 5, 8, 10, 16, 20) if u != p["uses"]])
    p = {**p, "uses": uses}
    return Changed(
        kind.build(p, mod),
        f"Make `{p['name']}` last {uses} uses instead (wear per use 65535 / {uses}, rounded down).",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


@register
class WandKind(Kind):
    """A tool whose on_use converts nodes of a group and wears out (get_item_group, add_wear)."""

    name = "wand"
    tags = ("tool", "on_use", "wear", "groups")
    craftable = True
    doc = (
        "An item's `on_use(itemstack, user, pointed_thing)` runs on left-click; return the itemstack to "
        'keep changes to it. `pointed_thing.type == "node"` when a node is pointed at, '
        "`pointed_thing.under`"
        " is its position. `minetest.get_item_group(name, group)` is the node's rating in that group (0 when "
        "not in it). `itemstack:add_wear(n)` adds wear (a tool breaks at 65535). `minetest.swap_node(pos, "
        "{name = ...})`."
    )
    bugs = (
        Bug(
            "no-return",
            lambda c, p: sub_once(
                c,
                "\t\titemstack:add_wear(WEAR)\n\t\treturn itemstack\n",
                "\t\titemstack:add_wear(WEAR)\n",
            ),
            ("the wand never wears out",),
        ),
        Bug(
            "group-name",
            lambda c, p: sub_once(
                c,
                f'minetest.get_item_group(node.name, "{p["group"]}")',
                f'minetest.get_item_group(node.name, "{p["group"]}s")',
            ),
            ("the wand does nothing to any node",),
        ),
        Bug(
            "wear-always",
            lambda c, p: sub_once(
                c,
                '\t\tif pointed_thing.type ~= "node" then\n\t\t\treturn\n\t\tend\n',
                '\t\titemstack:add_wear(WEAR)\n\t\tif pointed_thing.type ~= "node" then\n\t\t\treturn '
                "itemstack\n\t\tend\n",
            ),
            ("swinging the wand at the air wears it out",),
        ),
        Bug(
            "above-not-under",
            lambda c, p: sub_once(c, "local pos = pointed_thing.under", "local pos = pointed_thing.above"),
            ("the wand never converts the node you point at",),
        ),
    )
    changes = (
        Change("uses", _wand_uses),
        rename_item("name"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        return {
            "name": f"{mod}:{m}_{rng.choice(('wand', 'rod', 'staff', 'scepter'))}",
            "group": rng.choice(("stone", "soil", "sand", "wood", "metal")),
            "from": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(SHAPES)}",
            "to": f"{mod}:{m}_{rng.choice(('dust', 'shards', 'rubble', 'gravel'))}",
            "level": rng.randint(1, 3),
            "uses": rng.choice((4, 5, 8, 10, 16, 20)),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, g, uses = p["name"], p["group"], p["uses"]
        wear = 65535 // uses
        code = (
            simple_node(p["from"], f"cracky = 3, {g} = {p['level']}")
            + simple_node(p["to"], "crumbly = 3")
            + f"\nlocal WEAR = math.floor(65535 / {uses})\n\n"
            f'minetest.register_tool("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\tinventory_image = "{texture(name)}",\n'
            "\ton_use = function(itemstack, user, pointed_thing)\n"
            '\t\tif pointed_thing.type ~= "node" then\n\t\t\treturn\n\t\tend\n'
            "\t\tlocal pos = pointed_thing.under\n\t\tlocal node = minetest.get_node(pos)\n"
            f'\t\tif minetest.get_item_group(node.name, "{g}") == 0 then\n\t\t\treturn\n\t\tend\n'
            f'\t\tminetest.swap_node(pos, {{name = "{p["to"]}"}})\n'
            "\t\titemstack:add_wear(WEAR)\n\t\treturn itemstack\n\tend,\n})\n"
        )
        says = [
            f"a tool `{name}` whose on_use turns any pointed node in the group `{g}` into `{p['to']}` "
            f"(swap_node) and adds math.floor(65535 / {uses}) wear; other nodes and the air are left alone "
            f"without wear. Register `{p['from']}` (cracky = 3, {g} = {p['level']}) and `{p['to']}` "
            "(crumbly = 3)",
            f"`{name}`, a tool lasting {uses} uses: left-clicking a node with a nonzero `{g}` group rating "
            f"replaces it by `{p['to']}` and adds {wear} wear (65535 / {uses} rounded down); anything else: "
            f"no change, no wear. Also register the nodes `{p['from']}` (groups cracky = 3, {g} = "
            f"{p['level']}) and `{p['to']}` (crumbly = 3)",
        ]
        checks: list[Check] = [
            {"kind": "item", "desc": f"{name} is a tool", "name": name, "type": "tool"},
            scenario(
                "a group node is converted with wear; others and the air cost nothing",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": p["from"]},
                {"do": "set_node", "pos": [2, 0, 0], "node": p["to"]},
                {"do": "wield", "player": "p1", "item": name},
                {"do": "use", "player": "p1", "pos": [2, 0, 0]},
                {"do": "use", "player": "p1"},
                {"expect": "wield", "player": "p1", "item": name},
                {"do": "use", "player": "p1", "pos": [0, 0, 0]},
                {"expect": "node", "pos": [0, 0, 0], "name": p["to"]},
                {"expect": "wield", "player": "p1", "item": f"{name} 1 {wear}"},
            ),
        ]
        checks += [
            node_check(p["from"], {"cracky": 3, g: p["level"]}),
            node_check(p["to"], {"crumbly": 3}),
        ]
        checks.append(item_check(name, "tool"))
        return Feature(self.name, code, checks, says, p, [name, p["from"], p["to"]])


@register
class DistanceCommandKind(Kind):
    """A command measuring the distance to a position given as text (string_to_pos, vector.distance)."""

    name = "distance_command"
    tags = ("chatcommand", "vector", "position")
    doc = (
        '`minetest.string_to_pos(s)` parses "(x,y,z)" (or "x,y,z") into a position, nil when it cannot. '
        "`vector.distance(a, b)` is the Euclidean distance. `player:get_pos()` is the player's position. "
        '`string.format("%.1f", x)` formats with one decimal.'
    )
    bugs = (
        Bug(
            "no-nil-check",
            lambda c, p: sub_once(
                c,
                f'\t\tif not target then\n\t\t\treturn false, "Usage: /{p["cmd"]} (x,y,z)"\n\t\tend\n',
                "",
            ),
            ("a malformed position crashes the server",),
        ),
        Bug(
            "string-not-pos",
            lambda c, p: sub_once(
                c,
                "vector.distance(player:get_pos(), target)",
                "vector.distance(player:get_pos(), param)",
            ),
            ("the command always crashes",),
        ),
        Bug(
            "rounded",
            lambda c, p: sub_once(c, 'string.format("%.1f", d)', "math.floor(d)"),
            ("the distance is shown without its decimal",),
        ),
    )

    changes = (
        value_change(
            "label", ("Distance", "Range", "It is"), 'Make `/{cmd}` reply "{label} <d> nodes." instead.'
        ),
        RENAME_COMMAND,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "cmd": rng.choice(("dist", "howfar", "range", "measure")) + str(rng.randint(1, 99)),
            "me": [rng.randint(-20, 20), rng.randint(0, 10), rng.randint(-20, 20)],
            "to": [rng.randint(-40, 40), rng.randint(-5, 15), rng.randint(-40, 40)],
            "label": rng.choice(("Distance", "Range", "It is")),
            "bad": rng.choice(("here", "1,2", "north", "x y z")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        cmd = p["cmd"]
        code = (
            f'minetest.register_chatcommand("{cmd}", {{\n\tparams = "(x,y,z)",\n'
            '\tdescription = "Distance from you to a position",\n\tfunc = function(name, param)\n'
            "\t\tlocal player = minetest.get_player_by_name(name)\n"
            '\t\tif not player then\n\t\t\treturn false, "You must be online."\n\t\tend\n'
            "\t\tlocal target = minetest.string_to_pos(param)\n"
            f'\t\tif not target then\n\t\t\treturn false, "Usage: /{cmd} (x,y,z)"\n\t\tend\n'
            "\t\tlocal d = vector.distance(player:get_pos(), target)\n"
            f'\t\treturn true, "{p["label"]} " .. string.format("%.1f", d) .. " nodes."\n\tend,\n}})\n'
        )
        says = [
            f"a command `/{cmd} (x,y,z)` that parses its argument with minetest.string_to_pos and replies "
            f'"{p["label"]} <d> nodes." with the distance from the caller to that position, formatted with '
            f'one decimal (%.1f); an argument that is not a position fails with "Usage: /{cmd} (x,y,z)"',
            f'`/{cmd}` measures how far the player is from a position typed as "(x,y,z)": reply '
            f'"{p["label"]} " .. string.format("%.1f", distance) .. " nodes."; when minetest.string_to_pos '
            "cannot "
            f'read the argument return false with "Usage: /{cmd} (x,y,z)"',
        ]
        me, to = p["me"], p["to"]
        d = sum((a - b) ** 2 for a, b in zip(me, to, strict=True)) ** 0.5
        checks: list[Check] = [
            scenario(
                "the distance to a typed position, and a malformed one",
                join(),
                {"do": "lua", "code": _SET_POS.format(pl="p1", x=me[0], y=me[1], z=me[2])},
                {"do": "chat", "player": "p1", "message": f"/{cmd} ({to[0]},{to[1]},{to[2]})"},
                {
                    "expect": "command",
                    "player": "p1",
                    "success": True,
                    "message": f"{p['label']} {d:.1f} nodes.",
                },
                {"do": "chat", "player": "p1", "message": f"/{cmd} {p['bad']}"},
                {"expect": "command", "player": "p1", "success": False, "message": f"Usage: /{cmd} (x,y,z)"},
            ),
        ]
        note, cmd_checks = online_command(
            p["cmd"], "Distance from you to a position", "(x,y,z)", "You must be online."
        )
        says = [s + note for s in says]
        checks += cmd_checks
        return Feature(self.name, code, checks, says, p)


@register
class LiftCommandKind(Kind):
    """A command that moves the caller up by N nodes (get_pos, set_pos, vector.add)."""

    name = "lift_command"
    tags = ("chatcommand", "vector", "set_pos")
    doc = (
        "`player:get_pos()` / `player:set_pos(pos)` read and move a player. `vector.add(a, b)`, "
        "`vector.new(x, y, z)`. `tonumber(s)` converts text to a number (nil when it is not one)."
    )
    bugs = (
        Bug(
            "no-number-check",
            lambda c, p: sub_once(
                c,
                f"\t\tif not n or n < 1 or n > {p['max']} then\n\t\t\treturn false, "
                f'"{p["usage"]}"\n\t\tend\n',
                "",
            ),
            ("a word instead of a number crashes the server",),
        ),
        Bug(
            "absolute",
            lambda c, p: sub_once(
                c,
                "player:set_pos(vector.add(player:get_pos(), vector.new(0, n, 0)))",
                "player:set_pos(vector.new(0, n, 0))",
            ),
            ("the command teleports players to the world's centre",),
        ),
        Bug(
            "pos-not-set",
            lambda c, p: sub_once(
                c,
                "\t\tplayer:set_pos(vector.add(player:get_pos(), vector.new(0, n, 0)))\n",
                "\t\tlocal pos = vector.add(player:get_pos(), vector.new(0, n, 0))\n",
            ),
            ("the command says it worked but nobody moves",),
        ),
    )

    changes = (
        value_change("max", (50, 100, 200), "Let `/{cmd}` accept up to {max} nodes."),
        value_change(
            "usage",
            ("Give a number of nodes.", "Usage: a whole number", "How far up?"),
            'Make `/{cmd}` refuse bad input with "{usage}".',
        ),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "cmd": rng.choice(("lift", "rise", "up", "ascend")) + str(rng.randint(1, 99)),
            "max": rng.choice((50, 100, 200)),
            "n": rng.randint(2, 40),
            "start": [rng.randint(-20, 20), rng.randint(0, 10), rng.randint(-20, 20)],
            "usage": rng.choice(("Give a number of nodes.", "Usage: a whole number", "How far up?")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        cmd, mx = p["cmd"], p["max"]
        code = (
            f'minetest.register_chatcommand("{cmd}", {{\n\tparams = "<nodes>",\n'
            '\tdescription = "Move up",\n\tfunc = function(name, param)\n'
            "\t\tlocal player = minetest.get_player_by_name(name)\n"
            '\t\tif not player then\n\t\t\treturn false, "You must be online."\n\t\tend\n'
            "\t\tlocal n = tonumber(param)\n"
            f'\t\tif not n or n < 1 or n > {mx} then\n\t\t\treturn false, "{p["usage"]}"\n\t\tend\n'
            "\t\tplayer:set_pos(vector.add(player:get_pos(), vector.new(0, n, 0)))\n"
            '\t\treturn true, "Up you go."\n\tend,\n})\n'
        )
        says = [
            f"a command `/{cmd} <n>` moving the caller n nodes straight up (player:set_pos of the position "
            "plus "
            f'(0, n, 0)) and replying "Up you go."; n must be a number from 1 to {mx}, otherwise it fails '
            "with "
            f'"{p["usage"]}"',
            f"`/{cmd} <nodes>`: lift the player by that many nodes (1 to {mx}; anything else, including text "
            f'that is not a number, returns false and "{p["usage"]}"); on success reply "Up you go."',
        ]
        x, y, z = p["start"]
        n = p["n"]
        where = 'local q = minetest.get_player_by_name("p1"):get_pos() '
        checks: list[Check] = [
            scenario(
                f"/{cmd} moves the player up; bad input is refused",
                join(),
                {"do": "lua", "code": _SET_POS.format(pl="p1", x=x, y=y, z=z)},
                {"do": "chat", "player": "p1", "message": f"/{cmd} {n}"},
                {"expect": "command", "player": "p1", "success": True, "message": "Up you go."},
                {
                    "expect": "lua",
                    "code": where + f"return q.x == {x} and q.y == {y + n} and q.z == {z}, dump(q)",
                },
                {"do": "chat", "player": "p1", "message": f"/{cmd} {mx + 1}"},
                {"expect": "command", "player": "p1", "success": False, "message": p["usage"]},
                {"do": "chat", "player": "p1", "message": f"/{cmd} high"},
                {"expect": "command", "player": "p1", "success": False, "message": p["usage"]},
                {"do": "chat", "player": "p1", "message": f"/{cmd} 0"},
                {"expect": "command", "player": "p1", "success": False, "message": p["usage"]},
                {"expect": "lua", "code": where + f"return q.y == {y + n}, dump(q)"},
                {"do": "chat", "player": "p1", "message": f"/{cmd} 1"},
                {"do": "chat", "player": "p1", "message": f"/{cmd} {mx}"},
                {"expect": "command", "player": "p1", "success": True, "message": "Up you go."},
                {"expect": "lua", "code": where + f"return q.y == {y + n + 1 + mx}, dump(q)"},
            ),
        ]
        note, cmd_checks = online_command(p["cmd"], "Move up", "<nodes>", "You must be online.")
        says = [s + note for s in says]
        checks += cmd_checks
        return Feature(self.name, code, checks, says, p)


_SCAN_FORMATS = ("Found {n} {ore} nearby.", "{n} {ore} within reach.", "Scanner: {n} {ore}.")


def _scan_radius(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """Another search radius: the ores inside the new cube stay, one sits on its edge and one just
    outside it, so the old radius miscounts either way."""
    r = rng.choice([v for v in range(3, 9) if v != p["r"]])
    inside = {tuple(s) for s in p["spots"] if all(abs(c) <= r for c in s) and s[0] >= 1 - r}
    spots = sorted([list(s) for s in inside - {(0, 0, 0)}] + [[-r, 1, 0]])
    new = {**p, "r": r, "spots": [list(s) for s in dict.fromkeys(map(tuple, spots))], "far": r + 1}
    return Changed(
        kind.build(new, mod),
        f"Make `/{p['cmd']}` search {r} nodes around the player on every axis instead of {p['r']}.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


def _scan_format(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    fmt = rng.choice([f for f in _SCAN_FORMATS if f != p["fmt"]])
    ore = title(p["ore"])
    return Changed(
        kind.build({**p, "fmt": fmt}, mod),
        f'Make `/{p["cmd"]}` reply "{fmt.format(n="<n>", ore=ore)}" instead.',
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


@register
class OreScannerKind(Kind):
    """A command counting nodes of a kind around the player (find_nodes_in_area)."""

    name = "ore_scanner"
    tags = ("chatcommand", "vector", "find_nodes_in_area")
    doc = (
        "`minetest.find_nodes_in_area(minp, maxp, nodenames)` returns the positions of the matching nodes "
        "in the box between minp and maxp (inclusive). `vector.round(v)`, `vector.add(a, b)`, "
        "`vector.subtract(a, b)`, `vector.new(x, y, z)`. `player:get_pos()`."
    )
    bugs = (
        Bug(
            "radius-off-by-one",
            lambda c, p: sub_once(
                c,
                f"vector.new({p['r']}, {p['r']}, {p['r']})",
                f"vector.new({p['r'] - 1}, {p['r'] - 1}, {p['r'] - 1})",
            ),
            ("the scan misses ores at the edge of the range",),
        ),
        Bug(
            "half-box",
            lambda c, p: sub_once(c, "vector.subtract(pos, r)", "pos"),
            ("ores below or behind the player are not counted",),
        ),
        Bug(
            "count-table",
            lambda c, p: sub_once(c, '.. #found .. "', '.. tostring(found) .. "'),
            ("the scanner reports gibberish instead of a number",),
        ),
    )

    changes = (Change("r", _scan_radius), Change("fmt", _scan_format))

    def draw(self, rng: random.Random, mod: str) -> Params:
        r = rng.randint(3, 8)
        spots = [
            [rng.randint(1 - r, r), rng.randint(-r, r), rng.randint(-r, r)] for _ in range(rng.randint(2, 5))
        ]
        return {
            "cmd": rng.choice(("scan", "detect", "prospect", "sense")) + str(rng.randint(1, 99)),
            "ore": f"{mod}:{rng.choice(MATERIALS)}_ore",
            "r": r,
            # one ore on the edge of the cube: the range is inclusive
            "spots": sorted([list(s) for s in {tuple(s) for s in spots} if s != [0, 0, 0]] + [[-r, 1, 0]]),
            "far": r + 1,
            "fmt": _SCAN_FORMATS[0],
        }

    def build(self, p: Params, mod: str) -> Feature:
        cmd, ore, r = p["cmd"], p["ore"], p["r"]
        code = (
            simple_node(ore, "cracky = 2")
            + f'\nminetest.register_chatcommand("{cmd}", {{\n\tdescription = "Count nearby {title(ore)}",\n'
            "\tfunc = function(name)\n\t\tlocal player = minetest.get_player_by_name(name)\n"
            '\t\tif not player then\n\t\t\treturn false, "You must be online."\n\t\tend\n'
            "\t\tlocal pos = vector.round(player:get_pos())\n"
            f"\t\tlocal r = vector.new({r}, {r}, {r})\n"
            "\t\tlocal found = minetest.find_nodes_in_area(vector.subtract(pos, r), vector.add(pos, r), "
            f'{{"{ore}"}})\n'
            f"\t\treturn true, {lua_concat(p['fmt'].replace('{ore}', title(ore)), n='#found')}\n\tend,\n}})\n"
        )
        says = [
            f"a node `{ore}` (cracky = 2) and a command `/{cmd}` counting the `{ore}` nodes within {r} "
            "nodes of "
            "the caller on every axis (a cube around the rounded player position, "
            "minetest.find_nodes_in_area),"
            f' replying "{p["fmt"].format(n="<n>", ore=title(ore))}"',
            f'`/{cmd}` replies "{p["fmt"].format(n="<count>", ore=title(ore))}" where count is the number '
            f"of `{ore}` "
            f"(register it, cracky = 2) in the box from pos - {r} to pos + {r} around the player's rounded "
            "position",
        ]
        spots = p["spots"]
        steps: list[Check] = [join(), {"do": "lua", "code": _SET_POS.format(pl="p1", x=10.2, y=5.4, z=-7.3)}]
        for s in spots:
            steps.append({"do": "set_node", "pos": [10 + s[0], 5 + s[1], -7 + s[2]], "node": ore})
        steps.append({"do": "set_node", "pos": [10 + p["far"], 5, -7], "node": ore})
        steps.append({"do": "set_node", "pos": [10, 5 - p["far"], -7], "node": ore})
        steps += [
            {"do": "chat", "player": "p1", "message": f"/{cmd}"},
            {
                "expect": "command",
                "success": True,
                "player": "p1",
                "message": p["fmt"].format(n=len(spots), ore=title(ore)),
            },
        ]
        checks: list[Check] = [scenario("ores inside the cube are counted, farther ones are not", *steps)]
        note, cmd_checks = online_command(p["cmd"], f"Count nearby {title(ore)}", None, "You must be online.")
        says = [s + note for s in says]
        checks += cmd_checks
        checks.append(node_check(ore, {"cracky": 2}))
        return Feature(self.name, code, checks, says, p, [ore])


@register
class NearbyPlayersKind(Kind):
    """A command listing other players within a radius (get_objects_inside_radius, is_player)."""

    name = "nearby_players"
    tags = ("chatcommand", "objects", "player")
    doc = (
        "`minetest.get_objects_inside_radius(pos, radius)` returns the ObjectRefs (players and entities) "
        "within radius of pos. `obj:is_player()` tells players apart; `obj:get_player_name()`. "
        '`table.sort`, `table.concat(list, ", ")`.'
    )
    bugs = (
        Bug(
            "self-included",
            lambda c, p: sub_once(
                c,
                "if obj:is_player() and obj:get_player_name() ~= name then",
                "if obj:is_player() then",
            ),
            ("the command lists the caller too",),
        ),
        Bug(
            "entities-included",
            lambda c, p: sub_once(
                c,
                "if obj:is_player() and obj:get_player_name() ~= name then",
                "if obj:get_player_name() ~= name then",
            ),
            ("nearby mobs show up as nameless players",),
        ),
        Bug(
            "radius-typo",
            lambda c, p: sub_once(
                c,
                f"get_objects_inside_radius(player:get_pos(), {p['r']})",
                f"get_objects_inside_radius(player:get_pos(), {p['r'] // 2})",
            ),
            ("players at the edge of the range are missed",),
        ),
    )

    changes = (
        value_change(
            "none",
            ("Nobody is near.", "You are alone.", "No one around."),
            'Make `/{cmd}` reply "{none}" when nobody is in range.',
        ),
        RENAME_COMMAND,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        me, a, b, c = rng.sample(PLAYERS, 4)
        r = rng.randint(8, 30)
        return {
            "cmd": rng.choice(("near", "around", "neighbours", "close")) + str(rng.randint(1, 99)),
            "r": r,
            "me": me,
            "near": sorted((a, b)),
            "far": c,
            "none": rng.choice(("Nobody is near.", "You are alone.", "No one around.")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        cmd, r = p["cmd"], p["r"]
        code = (
            f'minetest.register_chatcommand("{cmd}", {{\n\tdescription = "Players within {r} nodes",\n'
            "\tfunc = function(name)\n\t\tlocal player = minetest.get_player_by_name(name)\n"
            '\t\tif not player then\n\t\t\treturn false, "You must be online."\n\t\tend\n'
            "\t\tlocal names = {}\n"
            f"\t\tfor _, obj in ipairs(minetest.get_objects_inside_radius(player:get_pos(), {r})) do\n"
            "\t\t\tif obj:is_player() and obj:get_player_name() ~= name then\n"
            "\t\t\t\tnames[#names + 1] = obj:get_player_name()\n\t\t\tend\n\t\tend\n"
            f'\t\tif #names == 0 then\n\t\t\treturn true, "{p["none"]}"\n\t\tend\n'
            '\t\ttable.sort(names)\n\t\treturn true, "Near you: " .. table.concat(names, ", ")\n\tend,\n})\n'
        )
        says = [
            f"a command `/{cmd}` listing the other players within {r} nodes of the caller "
            '(minetest.get_objects_inside_radius; only players, not the caller), sorted, as "Near you: a, '
            'b", '
            f'or "{p["none"]}" when there are none',
            f'`/{cmd}`: reply "Near you: " followed by the sorted names of other players at most {r} nodes '
            "away "
            f'(joined with ", "), or "{p["none"]}"; entities and the caller are never listed',
        ]
        me, (a, b), far = p["me"], p["near"], p["far"]
        checks: list[Check] = [
            scenario(
                "players in range are listed, sorted; far ones and entities are not",
                join(me),
                join(a),
                join(b),
                join(far),
                {"do": "lua", "code": _SET_POS.format(pl=me, x=0, y=0, z=0)},
                {"do": "lua", "code": _SET_POS.format(pl=a, x=r - 0.5, y=0, z=0)},
                {"do": "lua", "code": _SET_POS.format(pl=b, x=0, y=1, z=-(r // 2))},
                {"do": "lua", "code": _SET_POS.format(pl=far, x=0, y=0, z=r + 0.5)},
                {"do": "add_entity", "pos": [1, 0, 1], "name": "__builtin:item", "as": "drop"},
                {"do": "chat", "player": me, "message": f"/{cmd}"},
                {"expect": "command", "success": True, "player": me, "message": f"Near you: {a}, {b}"},
                {"do": "lua", "code": _SET_POS.format(pl=me, x=0, y=0, z=3 * r)},
                {"do": "chat", "player": me, "message": f"/{cmd}"},
                {"expect": "command", "success": True, "player": me, "message": p["none"]},
            ),
        ]
        note, cmd_checks = online_command(p["cmd"], f"Players within {r} nodes", None, "You must be online.")
        says = [s + note for s in says]
        checks += cmd_checks
        return Feature(self.name, code, checks, says, p)


_CARRY_FORMATS = (
    "You carry {t} items in {s} stacks.",
    "{t} items in {s} stacks.",
    "Items: {t}, stacks: {s}.",
)


def _carry_format(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    fmt = rng.choice([f for f in _CARRY_FORMATS if f != p["fmt"]])
    return Changed(
        kind.build({**p, "fmt": fmt}, mod),
        f'Make `/{p["cmd"]}` reply "{fmt.format(t="<items>", s="<stacks>")}" instead.',
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


def _carry_helper(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """The counting moves into a local function (checked statically), for other commands to reuse."""
    if p["helper"]:
        return None
    return Changed(
        kind.build({**p, "helper": True}, mod),
        f"Move the counting of `/{p['cmd']}` into a local function `count_list(list)` returning the item "
        "total and the number of non-empty stacks of an inventory list; the command calls it.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
        [
            {
                "kind": "code",
                "desc": "the command counts through count_list, which holds the one loop",
                "uses": ["count_list"],
                "loop": True,
            }
        ],
    )


@register
class InventoryCountKind(Kind):
    """A command summing the player's main list (get_inventory, get_list, ItemStack:get_count)."""

    name = "inventory_count"
    tags = ("chatcommand", "inventory", "itemstack")
    doc = (
        '`player:get_inventory():get_list("main")` returns the main list as a table of ItemStacks (empty '
        "slots are empty stacks). ItemStack: `is_empty()`, `get_count()`, `get_name()`."
    )
    bugs = (
        Bug(
            "slots-not-items",
            lambda c, p: sub_once(
                c,
                "\t\t\t\ttotal = total + stack:get_count()\n",
                "\t\t\t\ttotal = total + 1\n",
            ),
            ("the item total is wrong for stacks of more than one",),
        ),
        Bug(
            "empty-counted",
            lambda c, p: sub_once(
                c,
                "\t\t\tif not stack:is_empty() then\n\t\t\t\ttotal = total + "
                "stack:get_count()\n\t\t\t\tstacks = stacks + 1\n\t\t\tend\n",
                "\t\t\ttotal = total + stack:get_count()\n\t\t\tstacks = stacks + 1\n",
            ),
            ("empty slots are counted as stacks",),
        ),
        Bug(
            "list-dot",
            lambda c, p: sub_once(
                c,
                'player:get_inventory():get_list("main")',
                "player:get_inventory().main",
            ),
            ("the command always crashes",),
        ),
    )

    changes = (Change("fmt", _carry_format), Change("helper", _carry_helper))

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        return {
            "cmd": rng.choice(("bag", "carry", "load", "pockets")) + str(rng.randint(1, 99)),
            "a": f"{mod}:{m}_{rng.choice(('nugget', 'pebble', 'berry'))}",
            "b": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(('plank', 'brick', 'bar'))}",
            "na": rng.randint(2, 99),
            "nb": rng.randint(2, 99),
            "fmt": _CARRY_FORMATS[0],
            "helper": False,
        }

    def build(self, p: Params, mod: str) -> Feature:
        cmd, fmt = p["cmd"], p["fmt"]
        code = (
            f'minetest.register_craftitem("{p["a"]}", {{description = "{title(p["a"])}"}})\n'
            f'minetest.register_craftitem("{p["b"]}", {{description = "{title(p["b"])}"}})\n'
        )
        loop = (
            "local total, stacks = 0, 0\n"
            "for _, stack in ipairs({list}) do\n"
            "\tif not stack:is_empty() then\n\t\ttotal = total + stack:get_count()\n"
            "\t\tstacks = stacks + 1\n\tend\nend\n"
        )
        main = 'player:get_inventory():get_list("main")'
        if p["helper"]:  # the counting in a local function the command calls
            body = "\t" + loop.format(list="list").replace("\n", "\n\t")
            code += f"\nlocal function count_list(list)\n{body}return total, stacks\nend\n"
            counting = f"\t\tlocal total, stacks = count_list({main})\n"
        else:
            counting = "".join("\t\t" + line + "\n" for line in loop.format(list=main).splitlines())
        code += (
            f'\nminetest.register_chatcommand("{cmd}", {{\n\tdescription = "Count what you carry",\n'
            "\tfunc = function(name)\n\t\tlocal player = minetest.get_player_by_name(name)\n"
            '\t\tif not player then\n\t\t\treturn false, "You must be online."\n\t\tend\n'
            + counting
            + f"\t\treturn true, {lua_concat(p['fmt'], t='total', s='stacks')}\n\tend,\n}})\n"
        )
        says = [
            f"craftitems `{p['a']}` and `{p['b']}`, and a command `/{cmd}` replying "
            f'"{fmt.format(t="<items>", s="<stacks>")}" for the caller\'s "main" list (get_list; empty '
            "slots "
            "do not count)",
            f"`/{cmd}` sums the caller's main inventory: "
            f'"{fmt.format(t="<total item count>", s="<non-empty slots>")}"; also register the craftitems '
            f"`{p['a']}` and `{p['b']}`",
        ]
        na, nb = p["na"], p["nb"]
        stacks = (na + 98) // 99 + (nb + 98) // 99
        checks: list[Check] = [
            scenario(
                "items and stacks are counted",
                join(),
                {"do": "chat", "player": "p1", "message": f"/{cmd}"},
                {
                    "expect": "command",
                    "success": True,
                    "player": "p1",
                    "message": fmt.format(t=0, s=0),
                },
                {"do": "give", "player": "p1", "item": f"{p['a']} {na}"},
                {"do": "give", "player": "p1", "item": f"{p['b']} {nb}"},
                {"do": "chat", "player": "p1", "message": f"/{cmd}"},
                {
                    "expect": "command",
                    "success": True,
                    "player": "p1",
                    "message": fmt.format(t=na + nb, s=stacks),
                },
            ),
        ]
        note, cmd_checks = online_command(p["cmd"], "Count what you carry", None, "You must be online.")
        says = [s + note for s in says]
        checks += cmd_checks
        checks += [item_check(p["a"], "craft"), item_check(p["b"], "craft")]
        return Feature(self.name, code, checks, says, p, [p["a"], p["b"]])


@register
class ItemLabelKind(Kind):
    """A command naming the wielded item through its metadata (ItemStack:get_meta)."""

    name = "item_label"
    tags = ("chatcommand", "itemstack", "item metadata")
    doc = (
        "`stack:get_meta()` returns the ItemStack's metadata: `set_string(key, value)`, "
        '`get_string(key)`; the key "description" overrides the item\'s tooltip. The wielded item is a copy: '
        "`player:get_wielded_item()`, change it, then `player:set_wielded_item(stack)`."
    )
    bugs = (
        Bug(
            "copy-not-set",
            lambda c, p: sub_once(c, "\t\tplayer:set_wielded_item(stack)\n", ""),
            ("the item keeps its old name",),
        ),
        Bug(
            "empty-hand",
            lambda c, p: sub_once(
                c,
                '\t\tif stack:is_empty() then\n\t\t\treturn false, "' + p["empty"] + '"\n\t\tend\n',
                "",
            ),
            ("naming an empty hand reports success",),
        ),
        Bug(
            "meta-key",
            lambda c, p: sub_once(
                c,
                'stack:get_meta():set_string("description", param)',
                'stack:get_meta():set_string("name", param)',
            ),
            ("the new name never shows in the tooltip",),
        ),
    )

    changes = (
        value_change(
            "empty",
            ("Hold something first.", "Your hand is empty.", "Nothing to label."),
            'With an empty hand `/{cmd}` should fail with "{empty}".',
        ),
        RENAME_COMMAND,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "cmd": rng.choice(("label", "engrave", "rename", "inscribe")) + str(rng.randint(1, 99)),
            "item": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(('ring', 'amulet', 'blade', 'token'))}",
            "text": rng.choice(("Old Faithful", "Lucky Charm", "Gift from Ann", "Spare", "Mk II")),
            "empty": rng.choice(("Hold something first.", "Your hand is empty.", "Nothing to label.")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        cmd, item = p["cmd"], p["item"]
        code = (
            f'minetest.register_craftitem("{item}", {{description = "{title(item)}", inventory_image = '
            f'"{texture(item)}"}})\n\n'
            f'minetest.register_chatcommand("{cmd}", {{\n\tparams = "<name>",\n'
            '\tdescription = "Name the wielded item",\n\tfunc = function(name, param)\n'
            "\t\tlocal player = minetest.get_player_by_name(name)\n"
            '\t\tif not player then\n\t\t\treturn false, "You must be online."\n\t\tend\n'
            "\t\tlocal stack = player:get_wielded_item()\n"
            f'\t\tif stack:is_empty() then\n\t\t\treturn false, "{p["empty"]}"\n\t\tend\n'
            '\t\tstack:get_meta():set_string("description", param)\n'
            "\t\tplayer:set_wielded_item(stack)\n"
            '\t\treturn true, "Named it " .. param .. "."\n\tend,\n})\n'
        )
        says = [
            f"a craftitem `{item}` and a command `/{cmd} <name>` that sets the wielded item's metadata "
            '"description" to the given name and replies "Named it <name>."; with an empty hand it fails '
            "with "
            f'"{p["empty"]}"',
            f'`/{cmd} <text>` renames the item in hand: write <text> to its item metadata key "description" '
            f'(stack:get_meta()), put it back in the hand, reply "Named it <text>."; return false and '
            f'"{p["empty"]}" when nothing is held. Register the craftitem `{item}` too',
        ]
        check = (
            'local s = minetest.get_player_by_name("p1"):get_wielded_item() '
            f'return s:get_name() == "{item}" and s:get_count() == 2 '
            f'and s:get_meta():get_string("description") == "{p["text"]}", s:to_string()'
        )
        checks: list[Check] = [
            scenario(
                "the wielded stack gets the name; an empty hand is refused",
                join(),
                {"do": "chat", "player": "p1", "message": f"/{cmd} x"},
                {"expect": "command", "player": "p1", "success": False, "message": p["empty"]},
                {"do": "wield", "player": "p1", "item": f"{item} 2"},
                {"do": "chat", "player": "p1", "message": f"/{cmd} {p['text']}"},
                {"expect": "command", "player": "p1", "success": True, "message": f"Named it {p['text']}."},
                {"expect": "lua", "code": check},
            ),
        ]
        note, cmd_checks = online_command(p["cmd"], "Name the wielded item", "<name>", "You must be online.")
        says = [s + note for s in says]
        checks += cmd_checks
        checks.append(item_check(item, "craft"))
        return Feature(self.name, code, checks, says, p, [item])


@register
class EntityLootKind(Kind):
    """An entity that drops items when it dies (on_death, minetest.add_item)."""

    name = "entity_loot"
    tags = ("entity", "on_death", "add_item")
    doc = (
        "Entity callback `on_death(self, killer)` runs when its HP reaches 0 (killer: the ObjectRef that "
        'killed it, or nil). `self.object:get_pos()`. `minetest.add_item(pos, "item count")` drops an item '
        "entity into the world. `self.object:set_hp(hp)`, `get_hp()`."
    )
    bugs = (
        Bug(
            "wrong-callback",
            lambda c, p: sub_once(
                c,
                "\ton_death = function(self, killer)",
                "\ton_die = function(self, killer)",
            ),
            ("the creature never drops anything",),
        ),
        Bug(
            "pos-of-self",
            lambda c, p: sub_once(
                c,
                "minetest.add_item(self.object:get_pos(), ",
                "minetest.add_item(self:get_pos(), ",
            ),
            ("killing the creature crashes the server",),
        ),
        Bug(
            "count-lost",
            lambda c, p: sub_once(c, f'"{p["loot"]} {p["n"]}"', f'"{p["loot"]}"'),
            ("the creature drops only one item",),
        ),
    )

    changes = (
        value_change("n", (2, 3, 4, 5, 6), "Make `{name}` drop {n} `{loot}` when it dies."),
        rename_item("loot"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        return {
            "name": f"{mod}:{m}_{rng.choice(('slime', 'beetle', 'golem', 'crab'))}",
            "loot": f"{mod}:{m}_{rng.choice(('gel', 'shell', 'core', 'scale'))}",
            "hp": rng.randint(3, 20),
            "n": rng.randint(2, 6),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, loot = p["name"], p["loot"]
        code = (
            f'minetest.register_craftitem("{loot}", {{description = "{title(loot)}", inventory_image = '
            f'"{texture(loot)}"}})\n\n'
            f'minetest.register_entity("{name}", {{\n\tinitial_properties = {{\n\t\thp_max = {p["hp"]},\n'
            f'\t\tphysical = true,\n\t\tvisual = "cube",\n\t\ttextures = {{"{texture(name)}"}},\n\t}},\n'
            "\ton_death = function(self, killer)\n"
            f'\t\tminetest.add_item(self.object:get_pos(), "{loot} {p["n"]}")\n\tend,\n}})\n'
        )
        says = [
            f'a craftitem `{loot}` and an entity `{name}` (hp_max {p["hp"]}, physical, visual "cube") that '
            f"drops {p['n']} `{loot}` as one item stack at its position when it dies (on_death, "
            "minetest.add_item)",
            f"`{name}`: an entity with initial_properties hp_max = {p['hp']}, physical = true, visual = "
            '"cube"; '
            f"when killed it leaves `{loot} {p['n']}` on the ground where it was. Register `{loot}` as a "
            "craftitem",
        ]
        kill = find_entity(name, "o:set_hp(0) return true")
        drop = (
            "for _, o in ipairs(minetest.get_objects_inside_radius({x = 0, y = 1, z = 0}, 5)) do "
            "local e = o:get_luaentity() "
            f'if e and e.name == "__builtin:item" then return e.itemstring == "{loot} {p["n"]}", '
            "e.itemstring end "
            'end return false, "nothing dropped"'
        )
        checks: list[Check] = [
            {
                "kind": "entity",
                "desc": f"{name} has the requested properties",
                "name": name,
                "fields": {"initial_properties": {"hp_max": p["hp"], "physical": True, "visual": "cube"}},
            },
            scenario(
                "a dying creature leaves its loot",
                {"do": "add_entity", "pos": [0, 1, 0], "name": name, "as": "c"},
                {"expect": "entity_count", "name": "__builtin:item", "count": 0},
                {"do": "lua", "code": kill},
                {"expect": "entity", "entity": "c", "alive": False},
                {"expect": "lua", "code": drop},
            ),
        ]
        checks.append(item_check(loot, "craft"))
        return Feature(self.name, code, checks, says, p, [name, loot])


@register
class SessionTimerKind(Kind):
    """How long each player has been online, from the game time (get_gametime, join/leave)."""

    name = "session_timer"
    tags = ("chatcommand", "player callbacks", "gametime")
    exclusive = frozenset(("joinplayer-count",))
    doc = (
        "`minetest.get_gametime()` is the number of whole seconds the world has run (it keeps counting "
        "across restarts). `minetest.register_on_joinplayer(function(player))` / "
        "`minetest.register_on_leaveplayer(function(player))`; `player:get_player_name()`."
    )
    bugs = (
        Bug(
            "wall-clock",
            lambda c, p: sub_once(
                c,
                "joined[player:get_player_name()] = minetest.get_gametime()",
                "joined[player:get_player_name()] = os.time()",
            ),
            ("the online time shown is nonsense",),
        ),
        Bug(
            "shared",
            lambda c, p: sub_once(
                c,
                "minetest.get_gametime() - joined[name]",
                "minetest.get_gametime() - (joined[next(joined)] or 0)",
            ),
            ("everyone is shown the same online time",),
        ),
        Bug(
            "leave-param",
            lambda c, p: sub_once(
                c,
                "register_on_leaveplayer(function(player)",
                "register_on_leaveplayer(function(name)",
            ),
            ("the server crashes when a player leaves",),
        ),
    )

    changes = (
        value_change(
            "label",
            ("You have been online for", "Session:", "Online for"),
            'Make `/{cmd}` reply "{label} <n> s.".',
        ),
        RENAME_COMMAND,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "cmd": rng.choice(("playtime", "online", "session", "uptime")) + str(rng.randint(1, 99)),
            "first": rng.randint(20, 60),
            "second": rng.randint(5, 15),
            "label": rng.choice(("You have been online for", "Session:", "Online for")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        cmd, label = p["cmd"], p["label"]
        code = (
            "local joined = {}\n\n"
            "minetest.register_on_joinplayer(function(player)\n"
            "\tjoined[player:get_player_name()] = minetest.get_gametime()\nend)\n\n"
            "minetest.register_on_leaveplayer(function(player)\n\tjoined[player:get_player_name()] = "
            "nil\nend)\n\n"
            f'minetest.register_chatcommand("{cmd}", {{\n\tdescription = "How long you have been online",\n'
            "\tfunc = function(name)\n\t\tif not joined[name] then\n"
            '\t\t\treturn false, "You are not online."\n\t\tend\n'
            f'\t\treturn true, "{label} " .. (minetest.get_gametime() - joined[name]) .. " s."\n\tend,\n}})\n'
        )
        says = [
            f'a command `/{cmd}` replying "{label} <n> s." where n is how many seconds of game time '
            "(minetest.get_gametime) have passed since the caller joined; record the join time per player on "
            "join and forget it on leave",
            "track when each player joined, in game seconds (minetest.get_gametime, cleared on leave), and "
            "add "
            f'`/{cmd}` answering "{label} <seconds since joining> s."',
        ]
        a, b = p["first"], p["second"]

        def around(n: int) -> dict[str, str]:
            return {"$regex": "^" + re.escape(label) + f" ({n - 1}|{n}|{n + 1}) s\\.$"}

        checks: list[Check] = [
            scenario(
                "each player's own online time, restarted on rejoin",
                join("p1"),
                {"do": "step", "seconds": a, "dtime": 0.5},
                join("p2"),
                {"do": "step", "seconds": b, "dtime": 0.5},
                {"do": "chat", "player": "p1", "message": f"/{cmd}"},
                {"expect": "command", "success": True, "player": "p1", "message": around(a + b)},
                {"do": "chat", "player": "p2", "message": f"/{cmd}"},
                {"expect": "command", "success": True, "player": "p2", "message": around(b)},
                {"do": "leave", "player": "p1"},
                {"do": "step", "seconds": 3, "dtime": 0.5},
                join("p1"),
                {"do": "step", "seconds": 4, "dtime": 0.5},
                {"do": "chat", "player": "p1", "message": f"/{cmd}"},
                {"expect": "command", "success": True, "player": "p1", "message": around(4)},
            ),
        ]
        note, cmd_checks = online_command(
            p["cmd"], "How long you have been online", None, "You are not online."
        )
        says = [s + note for s in says]
        checks += cmd_checks
        return Feature(self.name, code, checks, says, p)


@register
class WieldInspectKind(Kind):
    """A command describing the wielded stack from ItemStack:to_table()."""

    name = "wield_inspect"
    tags = ("chatcommand", "itemstack", "wear")
    doc = (
        "`stack:to_table()` returns `{name = ..., count = ..., wear = ..., metadata = ...}` for a stack, or "
        "nil when it is empty. `player:get_wielded_item()` is the stack in hand."
    )
    bugs = (
        Bug(
            "no-nil-check",
            lambda c, p: sub_once(c, f'\t\tif not t then\n\t\t\treturn true, "{p["empty"]}"\n\t\tend\n', ""),
            ("inspecting an empty hand crashes the server",),
        ),
        Bug(
            "count-field",
            lambda c, p: sub_once(c, "t.count", "#t"),
            ("the count shown is always 0",),
        ),
        Bug(
            "wear-field",
            lambda c, p: sub_once(c, "t.wear", "t.wear_level"),
            ("inspecting crashes the server",),
        ),
    )

    changes = (
        value_change(
            "empty",
            ("Empty hand.", "You hold nothing.", "Nothing in hand."),
            'Make `/{cmd}` answer "{empty}" for an empty hand.',
        ),
        RENAME_COMMAND,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "cmd": rng.choice(("inspect", "hand", "what", "held")) + str(rng.randint(1, 99)),
            "tool": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(('pick', 'axe', 'hoe'))}",
            "item": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(('pebble', 'seed', 'bead'))}",
            "wear": rng.randint(100, 60000),
            "n": rng.randint(2, 99),
            "empty": rng.choice(("Empty hand.", "You hold nothing.", "Nothing in hand.")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        cmd = p["cmd"]
        code = (
            f'minetest.register_tool("{p["tool"]}", {{description = "{title(p["tool"])}"}})\n'
            f'minetest.register_craftitem("{p["item"]}", {{description = "{title(p["item"])}"}})\n\n'
            f'minetest.register_chatcommand("{cmd}", {{\n\tdescription = "Describe the wielded item",\n'
            "\tfunc = function(name)\n\t\tlocal player = minetest.get_player_by_name(name)\n"
            '\t\tif not player then\n\t\t\treturn false, "You must be online."\n\t\tend\n'
            "\t\tlocal t = player:get_wielded_item():to_table()\n"
            f'\t\tif not t then\n\t\t\treturn true, "{p["empty"]}"\n\t\tend\n'
            '\t\treturn true, t.name .. " x" .. t.count .. ", wear " .. t.wear\n\tend,\n})\n'
        )
        says = [
            f"a tool `{p['tool']}`, a craftitem `{p['item']}` and a command `/{cmd}` that describes the "
            "wielded "
            'stack from ItemStack:to_table() as "<name> x<count>, wear <wear>", or replies '
            f'"{p["empty"]}" when the hand is empty',
            f'`/{cmd}`: take the wielded ItemStack\'s to_table() and reply "<name> x<count>, wear <wear>"; '
            "an "
            f'empty hand (to_table gives nil) answers "{p["empty"]}". Register `{p["tool"]}` (tool) and '
            f"`{p['item']}` (craftitem) as test items",
        ]
        checks: list[Check] = [
            scenario(
                "a worn tool, a stack and an empty hand are described",
                join(),
                {"do": "chat", "player": "p1", "message": f"/{cmd}"},
                {"expect": "command", "success": True, "player": "p1", "message": p["empty"]},
                {"do": "wield", "player": "p1", "item": f"{p['tool']} 1 {p['wear']}"},
                {"do": "chat", "player": "p1", "message": f"/{cmd}"},
                {
                    "expect": "command",
                    "success": True,
                    "player": "p1",
                    "message": f"{p['tool']} x1, wear {p['wear']}",
                },
                {"do": "wield", "player": "p1", "item": f"{p['item']} {p['n']}"},
                {"do": "chat", "player": "p1", "message": f"/{cmd}"},
                {
                    "expect": "command",
                    "success": True,
                    "player": "p1",
                    "message": f"{p['item']} x{p['n']}, wear 0",
                },
            ),
        ]
        note, cmd_checks = online_command(p["cmd"], "Describe the wielded item", None, "You must be online.")
        says = [s + note for s in says]
        checks += cmd_checks
        checks += [item_check(p["tool"], "tool"), item_check(p["item"], "craft")]
        return Feature(self.name, code, checks, says, p, [p["tool"], p["item"]])
