"""A player's life: what new players get (on_newplayer), where they come back after dying
(on_respawnplayer, player metadata) and what the server remembers about them (player metadata)."""

from __future__ import annotations

import random

from ..base import (
    MATERIALS,
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
    scenario,
    sub_once,
    texture,
    title,
    value_change,
)

_KIT_MESSAGES = (
    "Welcome! Your starter kit is in your inventory.",
    "Here is a little something to get you started.",
    "Good luck out there, take these.",
    "A starter kit has been added to your inventory.",
)


def _respawn(player: str) -> Check:
    """The player comes back after dying, as the engine respawns them (on_respawnplayer)."""
    return {"do": "lua", "code": f'minetest.get_player_by_name("{player}"):respawn()'}


def _at(player: str, pos: list[int]) -> Check:
    """An expectation that ``player`` stands exactly at ``pos``."""
    x, y, z = pos
    return {
        "expect": "lua",
        "code": (
            f'local p = minetest.get_player_by_name("{player}"):get_pos() '
            f"return p.x == {x} and p.y == {y} and p.z == {z}, minetest.pos_to_string(p)"
        ),
    }


def _player_meta(player: str, key: str, want: str) -> Check:
    """An expectation on a player's metadata string (as other mods would read it)."""
    return {
        "expect": "lua",
        "code": (
            f'local v = minetest.get_player_by_name("{player}"):get_meta():get_string("{key}") '
            f'return v == "{want}", v'
        ),
    }


@register
class StarterKitKind(Kind):
    """Items given once to every new player (register_on_newplayer, InvRef:add_item)."""

    name = "starter_kit"
    tags = ("player callbacks", "on_newplayer", "inventory", "player inventory")
    craftable = True
    #: their scenarios count or wield what a player carries: a kit in every new inventory changes it
    conflicts = frozenset(
        (
            "inventory_count",
            "inventory_trade",
            "sorting_box",
            "item_label",
            "mend_command",
            "wield_inspect",
            "wield_swap",
        )
    )
    doc = (
        "`minetest.register_on_newplayer(function(ObjectRef))` runs once, when a player joins the "
        "server for the first time (`register_on_joinplayer` runs on every join). "
        '`player:get_inventory()` is the player\'s InvRef; the main inventory is the list "main". '
        '`inv:add_item(listname, itemstring)` adds an item string such as `"mymod:coin 5"` and returns '
        "the leftover. `minetest.chat_send_player(name, text)`."
    )
    bugs = (
        Bug(
            "on-join",
            lambda c, p: sub_once(c, "register_on_newplayer(", "register_on_joinplayer("),
            (
                "players get another starter kit every time they log in",
                "the starter kit is handed out again on every join",
            ),
        ),
        Bug(
            "no-count",
            lambda c, p: sub_once(c, f'"{p["item"]} {p["n"]}"', f'"{p["item"]}"'),
            ("new players get only one item of the kit's stack",),
        ),
        Bug(
            "name-not-object",
            lambda c, p: sub_once(
                c,
                "\tlocal inv = player:get_inventory()\n",
                "\tlocal inv = minetest.get_player_by_name(player):get_inventory()\n",
            ),
            ("the server crashes when a new player joins",),
        ),
        Bug(
            "wrong-list",
            lambda c, p: sub_once(c, 'inv:add_item("main", item)', 'inv:add_item("inventory", item)'),
            ("new players find nothing in their inventory",),
        ),
    )
    changes = (
        value_change(
            "n", (3, 5, 8, 10, 12, 16, 20), "New players should get {n} `{item}` in their starter kit now."
        ),
        value_change("msg", _KIT_MESSAGES, 'Greet new players with "{msg}" instead.'),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m1, m2 = rng.sample(MATERIALS, 2)
        return {
            "item": f"{mod}:{m1}_{rng.choice(('coin', 'ration', 'seed', 'torch', 'token'))}",
            "tool": f"{mod}:{m2}_{rng.choice(('pick', 'axe', 'shovel', 'knife'))}",
            "n": rng.choice((3, 5, 8, 10, 12, 16, 20)),
            "msg": rng.choice(_KIT_MESSAGES),
            "loop": rng.random() < 0.6,
        }

    def build(self, p: Params, mod: str) -> Feature:
        item, tool, n, msg = p["item"], p["tool"], p["n"], p["msg"]
        code = (
            f'minetest.register_craftitem("{item}", {{\n\tdescription = "{title(item)}",\n'
            f'\tinventory_image = "{texture(item)}",\n}})\n\n'
            f'minetest.register_tool("{tool}", {{\n\tdescription = "{title(tool)}",\n'
            f'\tinventory_image = "{texture(tool)}",\n}})\n\n'
        )
        if p["loop"]:
            code += (
                f'local STARTER_KIT = {{"{item} {n}", "{tool}"}}\n\n'
                "minetest.register_on_newplayer(function(player)\n"
                "\tlocal inv = player:get_inventory()\n"
                "\tfor _, item in ipairs(STARTER_KIT) do\n"
                '\t\tinv:add_item("main", item)\n\tend\n'
            )
        else:
            code += (
                "minetest.register_on_newplayer(function(player)\n"
                "\tlocal inv = player:get_inventory()\n"
                f'\tfor _, item in ipairs({{"{item} {n}", "{tool}"}}) do\n'
                '\t\tinv:add_item("main", item)\n\tend\n'
            )
        code += f'\tminetest.chat_send_player(player:get_player_name(), "{msg}")\nend)\n'
        says = [
            f"a starter kit: a player joining the server for the first time gets {n} `{item}` (a "
            f'craftitem) and one `{tool}` (a tool) in the "main" list and the message "{msg}"; '
            "players who come back get nothing more",
            f"use minetest.register_on_newplayer to give every new player `{item} {n}` and `{tool}` "
            f'(register both: craftitem and tool) and tell them "{msg}" — only once, not on every join',
            f'new players start with {n} × `{item}` and a `{tool}` in their main inventory and see "{msg}"; '
            f"register `{item}` as a craftitem and `{tool}` as a tool",
        ]
        checks: list[Check] = [
            item_check(item, "craft"),
            item_check(tool, "tool"),
            scenario(
                "a new player gets the kit once, also after coming back",
                join("p1"),
                {"expect": "inventory", "player": "p1", "contains": f"{item} {n}"},
                {"expect": "inventory", "player": "p1", "contains": tool},
                {"expect": "chat", "player": "p1", "message": msg},
                {"do": "leave", "player": "p1"},
                join("p1"),
                {"expect": "inventory", "player": "p1", "lacks": f"{item} {n + 1}"},
                {"expect": "inventory", "player": "p1", "lacks": f"{tool} 2"},
                {"expect": "chat", "player": "p1", "contains": msg, "count": 1},
            ),
        ]
        return Feature(self.name, code, checks, says, p, [item, tool])


_ANCHOR_MESSAGES = ("Respawn point set.", "You will come back here.", "Anchor bound.", "Home set.")


@register
class RespawnAnchorKind(Kind):
    """A node that sets where its user respawns (on_rightclick, player:get_meta(), on_respawnplayer
    returning true, string_to_pos)."""

    name = "respawn_anchor"
    tags = ("node", "on_rightclick", "player callbacks", "on_respawnplayer", "player metadata")
    exclusive = frozenset(("respawn",))
    #: it shields players from deaths the scenario causes
    conflicts = frozenset(("damage_shield",))
    doc = (
        "`minetest.register_on_respawnplayer(function(player))` runs when a dead player respawns; "
        "return true when the callback placed the player itself (then the engine does not move them "
        "to the spawn point). `player:get_meta()` is the player's metadata, saved with the player: "
        '`set_string(key, s)`, `get_string(key)` ("" when unset). `minetest.pos_to_string(pos)` and '
        "`minetest.string_to_pos(s)` (nil for text that is not a position) convert positions. "
        "A node's `on_rightclick(pos, node, clicker, itemstack, pointed_thing)`."
    )
    bugs = (
        Bug(
            "no-return",
            lambda c, p: sub_once(c, "\treturn true\nend)\n", "end)\n"),
            ("players still respawn at the world's spawn after using the anchor",),
        ),
        Bug(
            "no-nil-check",
            lambda c, p: sub_once(c, "\tif not saved then\n\t\treturn false\n\tend\n", ""),
            ("the server crashes when a player who never used an anchor respawns",),
        ),
        Bug(
            "inside-node",
            lambda c, p: sub_once(c, f"vector.add(saved, {{x = 0, y = {p['height']}, z = 0}})", "saved"),
            ("players respawn stuck inside their anchor",),
        ),
        Bug(
            "key-typo",
            lambda c, p: sub_once(
                c, f':get_string("{p["key"]}")', f':get_string("{p["key"].split(":")[-1]}")'
            ),
            ("the anchor says it is set, but players never respawn at it",),
        ),
    )
    changes = (
        value_change("msg", _ANCHOR_MESSAGES, 'Make the anchor answer "{msg}" when it is set.'),
        value_change("height", (1, 2, 3), "Respawn players {height} node(s) above their anchor instead."),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        return {
            "name": f"{mod}:{m}_{rng.choice(('anchor', 'totem', 'shrine', 'bedroll'))}",
            "key": f"{mod}:{rng.choice(('spawn', 'anchor', 'respawn_at', 'home'))}",
            "msg": rng.choice(_ANCHOR_MESSAGES),
            "height": rng.choice((1, 1, 2)),
            "at": [rng.randint(-30, 30), rng.randint(0, 12), rng.randint(-30, 30)],
            "hurt": rng.randint(3, 17),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, key, msg, h = p["name"], p["key"], p["msg"], p["height"]
        code = (
            f'minetest.register_node("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\ttiles = {{"{texture(name)}"}},\n\tgroups = {{cracky = 2}},\n'
            "\ton_rightclick = function(pos, node, clicker)\n"
            f'\t\tclicker:get_meta():set_string("{key}", minetest.pos_to_string(pos))\n'
            f'\t\tminetest.chat_send_player(clicker:get_player_name(), "{msg}")\n\tend,\n}})\n\n'
            "minetest.register_on_respawnplayer(function(player)\n"
            f'\tlocal saved = minetest.string_to_pos(player:get_meta():get_string("{key}"))\n'
            "\tif not saved then\n\t\treturn false\n\tend\n"
            f"\tplayer:set_pos(vector.add(saved, {{x = 0, y = {h}, z = 0}}))\n\treturn true\nend)\n"
        )
        above = "one node" if h == 1 else f"{h} nodes"
        says = [
            f"a respawn anchor `{name}` (groups cracky = 2): right-clicking it stores its position "
            f'(minetest.pos_to_string) in the clicker\'s player metadata under "{key}" and answers "{msg}"; '
            f"a player who dies respawns {above} above their anchor (return true from "
            "on_respawnplayer), others at the normal spawn point",
            f'register the node `{name}` (cracky = 2). Its on_rightclick saves "{key}" = the node\'s '
            f'position as text in `clicker:get_meta()` and tells the player "{msg}". On respawn, a '
            f"player with a saved anchor is put {above} above it; without one the engine decides",
        ]
        ax, ay, az = p["at"]
        where = f"({ax},{ay},{az})"
        checks: list[Check] = [
            node_check(name, {"cracky": 2}),
            scenario(
                "a player respawns above their anchor, another at the spawn point",
                join("p1"),
                join("p2"),
                {"do": "set_node", "pos": p["at"], "node": name},
                {"do": "rightclick_node", "player": "p1", "pos": p["at"]},
                {"expect": "chat", "player": "p1", "message": msg},
                _player_meta("p1", key, where),
                {"do": "set_hp", "player": "p1", "hp": p["hurt"]},  # hurt, not dead: no respawn
                {"expect": "hp", "player": "p1", "value": p["hurt"]},
                {"do": "set_hp", "player": "p1", "hp": 0},
                _respawn("p1"),
                _at("p1", [ax, ay + h, az]),
                {"do": "set_hp", "player": "p2", "hp": 0},
                _respawn("p2"),
                {
                    "expect": "lua",
                    "code": (
                        'local p = minetest.get_player_by_name("p2"):get_pos() '
                        f"return p.y ~= {ay + h} or p.x ~= {ax}, minetest.pos_to_string(p)"
                    ),
                },
            ),
        ]
        return Feature(self.name, code, checks, says, p, [name])


_TALLY_LABELS = ("Deaths", "Times died", "Death count", "Lives lost")
_TALLY_KEYS = ("deaths", "death_count", "died", "tally")


def _tally_key(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """Another player metadata key: the check reading the new key is the intent (the old code keeps
    counting under the old one), the command's replies stay the same."""
    key = f"{mod}:{rng.choice([k for k in _TALLY_KEYS if f'{mod}:{k}' != p['key']])}"
    p = {**p, "key": key}
    return Changed(
        kind.build(p, mod),
        f"Keep the death count under the player metadata key `{key}` instead (other mods read it there).",
        {"kind": "preserve", "desc": "the command stays registered"},
    )


@register
class DeathTallyKind(Kind):
    """A per-player death count kept in player metadata (on_dieplayer, get_meta, get_int/set_int)
    and a command that shows it."""

    name = "death_tally"
    tags = ("player callbacks", "on_dieplayer", "player metadata", "chatcommand")
    exclusive = frozenset(("dieplayer-count",))
    conflicts = frozenset(("damage_shield",))
    doc = (
        "`minetest.register_on_dieplayer(function(player, reason))` runs when a player dies. "
        "`player:get_meta()` is the player's metadata (a MetaDataRef kept with the player across "
        "sessions): `get_int(key)` (0 when unset), `set_int(key, n)`, `get_string(key)`. A chat "
        "command's func gets (name, param) and returns success, message; "
        "`minetest.get_player_by_name(name)` is nil when that player is not online."
    )
    bugs = (
        Bug(
            "get-string-arith",
            lambda c, p: sub_once(c, f'meta:get_int("{p["key"]}") + 1', f'meta:get_string("{p["key"]}") + 1'),
            ("the server crashes the first time a player dies",),
        ),
        Bug(
            "set-one",
            lambda c, p: sub_once(
                c,
                f'meta:set_int("{p["key"]}", meta:get_int("{p["key"]}") + 1)',
                f'meta:set_int("{p["key"]}", 1)',
            ),
            ("the death count never goes past 1",),
        ),
        Bug(
            "no-nil-check",
            lambda c, p: sub_once(
                c, '\t\tif not player then\n\t\t\treturn false, "You must be online."\n\t\tend\n', ""
            ),
            ("the command crashes the server when it is run from the console",),
        ),
        Bug(
            "dot-call",
            lambda c, p: sub_once(
                c, "\tlocal meta = player:get_meta()\n", "\tlocal meta = player.get_meta()\n"
            ),
            ("every death makes the server crash",),
        ),
    )
    changes = (
        value_change("label", _TALLY_LABELS, 'Make `/{cmd}` reply "{label}: <n>" instead.'),
        Change("key", _tally_key),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "cmd": rng.choice(("deaths", "tally", "mydeaths", "died")) + str(rng.randint(1, 99)),
            "key": f"{mod}:{rng.choice(_TALLY_KEYS)}",
            "label": rng.choice(_TALLY_LABELS),
            "n": rng.randint(1, 3),
            "hurt": rng.randint(3, 17),
        }

    def build(self, p: Params, mod: str) -> Feature:
        cmd, label, n = p["cmd"], p["label"], p["n"]
        key = p["key"]
        code = (
            "minetest.register_on_dieplayer(function(player)\n"
            "\tlocal meta = player:get_meta()\n"
            f'\tmeta:set_int("{key}", meta:get_int("{key}") + 1)\nend)\n\n'
            f'minetest.register_chatcommand("{cmd}", {{\n'
            '\tdescription = "Show how often you died",\n\tfunc = function(name)\n'
            "\t\tlocal player = minetest.get_player_by_name(name)\n"
            '\t\tif not player then\n\t\t\treturn false, "You must be online."\n\t\tend\n'
            f'\t\treturn true, "{label}: " .. player:get_meta():get_int("{key}")\n\tend,\n}})\n'
        )
        says = [
            f'count each player\'s deaths in their player metadata (integer key "{key}", '
            f'register_on_dieplayer) and add `/{cmd}` replying "{label}: <n>" with the caller\'s count',
            f'`/{cmd}` tells players how often they died: "{label}: <n>". Keep the count with the player '
            f'(`player:get_meta()`, set_int/get_int under "{key}"), raised by one on every death',
        ]
        note, cmd_checks = online_command(cmd, "Show how often you died", None, "You must be online.")
        says = [s + note for s in says]
        # a hurt that is no death is not counted
        steps: list[Check] = [join("p1"), join("p2"), {"do": "set_hp", "player": "p1", "hp": p["hurt"]}]
        for _ in range(n):
            steps += [{"do": "set_hp", "player": "p1", "hp": 0}, _respawn("p1")]
        steps += [
            {"do": "chat", "player": "p1", "message": f"/{cmd}"},
            {"expect": "command", "player": "p1", "success": True, "message": f"{label}: {n}"},
            {"do": "chat", "player": "p2", "message": f"/{cmd}"},
            {"expect": "command", "player": "p2", "success": True, "message": f"{label}: 0"},
            _player_meta("p1", key, str(n)),
            {"do": "leave", "player": "p1"},
            join("p1"),
            {"do": "set_hp", "player": "p1", "hp": 0},
            _respawn("p1"),
            {"do": "chat", "player": "p1", "message": f"/{cmd}"},
            {"expect": "command", "player": "p1", "success": True, "message": f"{label}: {n + 1}"},
        ]
        checks: list[Check] = [
            scenario("deaths are counted per player, kept across sessions", *steps),
            *cmd_checks,
        ]
        return Feature(self.name, code, checks, says, p)
