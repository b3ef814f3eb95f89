"""Players: privileges and HP (a heal command), the wielded item, death, join/leave tracking,
chat messages, and node placing/digging callbacks."""

from __future__ import annotations

import random

from ..base import (
    MATERIALS,
    NAMED_CALLBACK,
    PLAYERS,
    RENAME_COMMAND,
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
    scenario,
    simple_node,
    sub_once,
    texture,
    title,
    value_change,
)


def _start_hp(rng: random.Random, amount: int) -> int:
    """HP before healing: below 20 - amount, and not a number the instruction states."""
    return rng.choice([v for v in range(1, 20 - amount) if v != amount])


def _heal_amount(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    amount = p["amount"] + rng.randint(1, 3)
    p = {**p, "amount": amount, "hp": _start_hp(rng, amount)}
    return Changed(
        kind.build(p, mod),
        f"Make `/{p['cmd']}` heal {p['amount']} HP instead.",
        {"kind": "preserve", "desc": "the command and privilege stay registered as they were"},
    )


@register
class HealCommandKind(Kind):
    """A privileged command that heals another player (privileges, get_player_by_name, HP)."""

    name = "heal_command"
    tags = ("chatcommand", "privilege", "player", "hp")
    doc = (
        "`minetest.register_privilege(name, {description = ..., give_to_singleplayer = bool})` defines a "
        "privilege. A chat command's `privs = {name = true}` lets only players holding it run the "
        "command. `minetest.get_player_by_name(name)` returns the online player's ObjectRef or nil. "
        "`player:get_hp()` / `player:set_hp(hp)` read and set health (at most hp_max, 20 by default). "
        "A command's func returns `success, message`."
    )
    bugs = (
        Bug(
            "no-nil-check",
            lambda c, p: sub_once(
                c,
                '\t\tif not target then\n\t\t\treturn false, "No player named " .. param .. "."\n\t\tend\n',
                "",
            ),
            ("healing a player who is not online crashes the server",),
        ),
        Bug(
            "absolute-hp",
            lambda c, p: sub_once(
                c, f"target:set_hp(target:get_hp() + {p['amount']})", f"target:set_hp({p['amount']})"
            ),
            ("the heal command sets health to a fixed value instead of adding to it",),
        ),
        Bug(
            "no-privs",
            lambda c, p: sub_once(c, f"\tprivs = {{{p['priv']} = true}},\n", ""),
            ("anyone can use the heal command",),
        ),
        Bug(
            "hp-dot-call",
            lambda c, p: sub_once(c, "target:get_hp()", "target.get_hp()"),
            ("the heal command always errors",),
        ),
    )
    changes = (
        Change("amount", _heal_amount),
        RENAME_COMMAND,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        healer, patient = rng.sample(PLAYERS, 2)
        amount = rng.randint(2, 8)
        return {
            "cmd": rng.choice(("heal", "mend", "cure", "patch", "restore")) + str(rng.randint(1, 99)),
            "priv": rng.choice(("healer", "medic", "cleric", "doctor")) + str(rng.randint(1, 9)),
            "amount": amount,
            "healer": healer,
            "patient": patient,
            "hp": _start_hp(rng, amount),
            "absent": rng.choice(("ghost", "zed", "quinn", "xavier", "mallory")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        cmd, priv, amt = p["cmd"], p["priv"], p["amount"]
        code = (
            f'minetest.register_privilege("{priv}", {{\n\tdescription = "Can heal other players",\n'
            "\tgive_to_singleplayer = false,\n})\n\n"
            f'minetest.register_chatcommand("{cmd}", {{\n\tparams = "<player>",\n'
            f'\tdescription = "Heal a player by {amt} HP",\n\tprivs = {{{priv} = true}},\n'
            "\tfunc = function(name, param)\n\t\tlocal target = minetest.get_player_by_name(param)\n"
            '\t\tif not target then\n\t\t\treturn false, "No player named " .. param .. "."\n\t\tend\n'
            f"\t\ttarget:set_hp(target:get_hp() + {amt})\n"
            '\t\treturn true, "Healed " .. param .. "."\n\tend,\n})\n'
        )
        says = [
            f'a privilege `{priv}` (description "Can heal other players", not given to singleplayer) and a '
            f"command `/{cmd} <player>` that only holders of `{priv}` may use: it adds {amt} HP to the named "
            'online player and replies "Healed <player>."; for a player who is not online it fails with '
            '"No player named <player>."',
            f'`/{cmd} <player>` (requires the new privilege `{priv}`, described as "Can heal other '
            'players", '
            f"give_to_singleplayer false) heals the player by {amt} HP (get_hp + {amt}). Reply "
            '"Healed <player>." on success; return false and "No player named <player>." when nobody of that '
            "name is online",
        ]
        h, pt = p["healer"], p["patient"]
        checks: list[Check] = [
            {
                "kind": "privilege",
                "desc": f"the {priv} privilege",
                "name": priv,
                "fields": {"description": "Can heal other players", "give_to_singleplayer": False},
            },
            {
                "kind": "chatcommand",
                "desc": f"/{cmd} needs {priv}",
                "name": cmd,
                "fields": {"privs": {priv: True}},
            },
            scenario(
                f"a {priv} holder heals another player by {amt}",
                join(h, ["interact", "shout", priv]),
                join(pt),
                {"do": "set_hp", "player": pt, "hp": p["hp"]},
                {"do": "chat", "player": h, "message": f"/{cmd} {pt}"},
                {"expect": "hp", "player": pt, "value": p["hp"] + amt},
                {"expect": "command", "player": h, "success": True, "message": f"Healed {pt}."},
            ),
            scenario(
                "healing someone offline fails; without the privilege nothing happens",
                join(h, ["interact", "shout", priv]),
                join(pt),
                {"do": "chat", "player": h, "message": f"/{cmd} {p['absent']}"},
                {
                    "expect": "command",
                    "player": h,
                    "success": False,
                    "message": f"No player named {p['absent']}.",
                },
                {"do": "set_hp", "player": h, "hp": p["hp"]},
                {"do": "chat", "player": pt, "message": f"/{cmd} {h}"},
                {"expect": "hp", "player": h, "value": p["hp"]},
            ),
        ]
        note, cmd_checks = online_command(p["cmd"], f"Heal a player by {amt} HP", "<player>")
        says = [s + note for s in says]
        checks += cmd_checks
        return Feature(self.name, code, checks, says, p)


@register
class WieldSwapKind(Kind):
    """A command that converts the wielded stack (get_wielded_item, set_wielded_item, ItemStack)."""

    name = "wield_swap"
    tags = ("chatcommand", "itemstack", "wielded item", "craftitem")
    doc = (
        "`player:get_wielded_item()` returns a copy of the wielded ItemStack; change the player's hand "
        "with `player:set_wielded_item(stack)`. ItemStack methods: `get_name()`, `get_count()`, "
        '`is_empty()`, `take_item(n)`; `ItemStack("name count")` makes a stack. Commands get the caller\'s '
        "name; `minetest.get_player_by_name(name)` gives the player."
    )
    bugs = (
        Bug(
            "copy-not-set",
            lambda c, p: sub_once(c, "\t\tplayer:set_wielded_item(ItemStack(", "\t\tstack = (ItemStack("),
            ("the command reports success but the item in hand does not change",),
        ),
        Bug(
            "count-lost",
            lambda c, p: sub_once(
                c, f'ItemStack("{p["refined"]} " .. count)', f'ItemStack("{p["refined"]}")'
            ),
            ("refining a whole stack leaves only one item",),
        ),
        Bug(
            "compare-stack",
            lambda c, p: sub_once(
                c, f'if stack:get_name() ~= "{p["raw"]}" then', f'if stack ~= "{p["raw"]}" then'
            ),
            ("the command always says to hold the raw item, even when you do",),
        ),
    )

    changes = (
        value_change(
            "verb",
            ("polish", "refine", "smelt", "purify", "temper"),
            'Make `/{cmd}` answer with the verb "{verb}" (e.g. "{verb}d 3."), nothing else changes.',
        ),
        RENAME_COMMAND,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        verb = rng.choice(("polish", "refine", "smelt", "purify", "temper"))
        return {
            "cmd": verb + str(rng.randint(1, 99)),
            "verb": verb,
            "raw": f"{mod}:raw_{m}",
            "refined": f"{mod}:{m}_{rng.choice(('ingot', 'gem', 'bar', 'shard'))}",
            "count": rng.randint(2, 40),
        }

    def build(self, p: Params, mod: str) -> Feature:
        raw, ref, cmd = p["raw"], p["refined"], p["cmd"]
        done = p["verb"].capitalize() + "d"
        hint = f"Hold some {title(raw)} first."
        code = (
            f'minetest.register_craftitem("{raw}", {{description = "{title(raw)}", '
            f'inventory_image = "{texture(raw)}"}})\n'
            f'minetest.register_craftitem("{ref}", {{description = "{title(ref)}", '
            f'inventory_image = "{texture(ref)}"}})\n\n'
            f'minetest.register_chatcommand("{cmd}", {{\n\tdescription = "Turn the wielded {title(raw)} into '
            f'{title(ref)}",\n\tfunc = function(name)\n\t\tlocal player = minetest.get_player_by_name(name)\n'
            '\t\tif not player then\n\t\t\treturn false, "You must be online."\n\t\tend\n'
            "\t\tlocal stack = player:get_wielded_item()\n"
            f'\t\tif stack:get_name() ~= "{raw}" then\n\t\t\treturn false, "{hint}"\n\t\tend\n'
            "\t\tlocal count = stack:get_count()\n"
            f'\t\tplayer:set_wielded_item(ItemStack("{ref} " .. count))\n'
            f'\t\treturn true, "{done} " .. count .. "."\n\tend,\n}})\n'
        )
        says = [
            f"craftitems `{raw}` and `{ref}`, and a command `/{cmd}` that replaces the caller's wielded "
            "stack "
            f'of `{raw}` by as many `{ref}` and replies "{done} <count>."; when the wielded item is anything '
            f'else it fails with "{hint}" and changes nothing',
            f"a `/{cmd}` command: if the player holds `{raw}` (register it and `{ref}` as craftitems), the "
            "whole "
            f'stack in hand becomes `{ref}` with the same count and the reply is "{done} <count>."; '
            "otherwise "
            f'return false with "{hint}"',
        ]
        n = p["count"]
        checks: list[Check] = [
            scenario(
                f"a wielded stack of {raw} becomes {ref} of the same count",
                join(),
                {"do": "wield", "player": "p1", "item": f"{raw} {n}"},
                {"do": "chat", "player": "p1", "message": f"/{cmd}"},
                {"expect": "wield", "player": "p1", "item": f"{ref} {n}"},
                {"expect": "command", "player": "p1", "success": True, "message": f"{done} {n}."},
            ),
            scenario(
                "anything else in hand is refused and kept",
                join(),
                {"do": "wield", "player": "p1", "item": f"{ref} 3"},
                {"do": "chat", "player": "p1", "message": f"/{cmd}"},
                {"expect": "wield", "player": "p1", "item": f"{ref} 3"},
                {"expect": "command", "player": "p1", "success": False, "message": hint},
            ),
        ]
        note, cmd_checks = online_command(
            p["cmd"], f"Turn the wielded {title(raw)} into {title(ref)}", None, "You must be online."
        )
        says = [s + note for s in says]
        checks += cmd_checks
        checks += [item_check(raw, "craft"), item_check(ref, "craft")]
        return Feature(self.name, code, checks, says, p, [raw, ref])


_SET_POS = 'minetest.get_player_by_name("{pl}"):set_pos({{x = {x}, y = {y}, z = {z}}})'


@register
class DeathMessageKind(Kind):
    """A death announcement with the rounded position (on_dieplayer, pos_to_string, vector.round)."""

    name = "death_message"
    tags = ("player callbacks", "on_dieplayer", "vector")
    exclusive = frozenset(("dieplayer-count",))
    doc = (
        "`minetest.register_on_dieplayer(function(player, reason))` runs when a player dies. "
        "`player:get_pos()` is the position (fractional), `vector.round(v)` rounds each coordinate, "
        '`minetest.pos_to_string(pos)` formats it as "(x,y,z)". `minetest.chat_send_all(text)` sends a '
        "chat message to every player."
    )
    bugs = (
        Bug(
            "callback-param",
            lambda c, p: sub_once(
                c, "register_on_dieplayer(function(player)", "register_on_dieplayer(function(name)"
            ),
            ("the server crashes whenever a player dies",),
        ),
        Bug(
            "not-rounded",
            lambda c, p: sub_once(
                c,
                "minetest.pos_to_string(vector.round(player:get_pos()))",
                "minetest.pos_to_string(player:get_pos())",
            ),
            ("death positions are shown with long fractions",),
        ),
        Bug(
            "send-player",
            lambda c, p: sub_once(c, "minetest.chat_send_all(", "minetest.chat_send_player(name, "),
            ("only the dead player sees the death message",),
        ),
    )

    changes = (
        value_change(
            "verb",
            ("died", "fell", "was defeated", "perished", "met their end"),
            'Change the death announcement to "<name> {verb} at (x,y,z)".',
        ),
        NAMED_CALLBACK,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        dead, other = rng.sample(PLAYERS, 2)
        return {
            "verb": rng.choice(("died", "fell", "was defeated", "perished", "met their end")),
            "dead": dead,
            "other": other,
            "pos": [
                round(rng.uniform(-50, 50), 2),
                round(rng.uniform(-10, 30), 2),
                round(rng.uniform(-50, 50), 2),
            ],
        }

    def build(self, p: Params, mod: str) -> Feature:
        code = (
            "minetest.register_on_dieplayer(function(player)\n\tlocal name = player:get_player_name()\n"
            "\tlocal where = minetest.pos_to_string(vector.round(player:get_pos()))\n"
            f'\tminetest.chat_send_all(name .. " {p["verb"]} at " .. where)\nend)\n'
        )
        says = [
            f'a death message: when a player dies, everyone gets "<name> {p["verb"]} at (x,y,z)" with the '
            "position rounded to whole nodes (minetest.pos_to_string of the rounded position)",
            f'announce deaths to all players as "<name> {p["verb"]} at <pos>", <pos> being '
            "minetest.pos_to_string(vector.round(pos)) of where the player died",
        ]
        x, y, z = p["pos"]

        def rnd(v: float) -> int:  # vector.round: half away from zero
            return int(v + 0.5) if v >= 0 else -int(-v + 0.5)

        where = f"({rnd(x)},{rnd(y)},{rnd(z)})"
        d, o = p["dead"], p["other"]
        checks: list[Check] = [
            {"kind": "callback", "desc": "one on_dieplayer callback", "event": "on_dieplayer", "count": 1},
            scenario(
                "everyone is told who died where",
                join(d),
                join(o),
                {"do": "lua", "code": _SET_POS.format(pl=d, x=x, y=y, z=z)},
                {"do": "set_hp", "player": d, "hp": 0},
                {"expect": "chat", "player": o, "message": f"{d} {p['verb']} at {where}"},
                {"expect": "chat", "player": d, "message": f"{d} {p['verb']} at {where}"},
            ),
        ]
        return Feature(self.name, code, checks, says, p)


@register
class OnlineListKind(Kind):
    """Tracking who is online (on_joinplayer, on_leaveplayer) and listing them sorted."""

    name = "online_list"
    tags = ("player callbacks", "on_leaveplayer", "on_joinplayer", "chatcommand")
    exclusive = frozenset(("joinplayer-count",))
    doc = (
        "`minetest.register_on_joinplayer(function(player, last_login))` and "
        "`minetest.register_on_leaveplayer(function(player, timed_out))` run when a player connects and "
        "disconnects; `player:get_player_name()` gives the name. `table.sort(list)` sorts a list of "
        "strings, `table.concat(list, sep)` joins it."
    )
    bugs = (
        Bug(
            "not-removed",
            lambda c, p: sub_once(c, "\tonline[player:get_player_name()] = nil\n", "\tlocal _ = player\n"),
            ("players who left are still listed",),
        ),
        Bug(
            "leave-param",
            lambda c, p: sub_once(
                c, "register_on_leaveplayer(function(player)", "register_on_leaveplayer(function(name)"
            ),
            ("the server crashes when someone leaves",),
        ),
        Bug(
            "length-of-set",
            lambda c, p: sub_once(c, ' (" .. #names .. "): "', ' (" .. #online .. "): "'),
            ("the player count is always 0",),
        ),
    )

    changes = (
        value_change(
            "label",
            ("Online", "Players here", "Connected", "Around"),
            'Make `/{cmd}` start its reply with "{label} (<n>): ".',
        ),
        RENAME_COMMAND,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        names = rng.sample(PLAYERS, 4)
        return {
            "cmd": rng.choice(("who", "online", "players", "list")) + str(rng.randint(1, 99)),
            "label": rng.choice(("Online", "Players here", "Connected", "Around")),
            "order": names,
        }

    def build(self, p: Params, mod: str) -> Feature:
        code = (
            "local online = {}\n\n"
            "minetest.register_on_joinplayer(function(player)\n\tonline[player:get_player_name()] = "
            "true\nend)\n\n"
            "minetest.register_on_leaveplayer(function(player)\n\tonline[player:get_player_name()] = "
            "nil\nend)\n\n"
            f'minetest.register_chatcommand("{p["cmd"]}", {{\n\tdescription = "List online players",\n'
            "\tfunc = function()\n\t\tlocal names = {}\n\t\tfor name in pairs(online) do\n"
            "\t\t\tnames[#names + 1] = name\n\t\tend\n\t\ttable.sort(names)\n"
            f'\t\treturn true, "{p["label"]} (" .. #names .. "): " .. table.concat(names, ", '
            '")\n\tend,\n})\n'
        )
        says = [
            f"keep a local set of online players (add on join, remove on leave) and a command `/{p['cmd']}` "
            f'replying "{p["label"]} (<n>): <names>" with the names sorted alphabetically and joined by ", "',
            f'`/{p["cmd"]}` lists who is online as "{p["label"]} (<count>): a, b, c" (sorted names); track '
            "players with register_on_joinplayer / register_on_leaveplayer",
        ]
        a, b, c, d = p["order"]
        stay = sorted((a, c, d))
        checks: list[Check] = [
            scenario(
                "the list is sorted and drops players who left",
                join(a),
                join(b),
                join(c),
                join(d),
                {"do": "leave", "player": b},
                {"do": "chat", "player": a, "message": f"/{p['cmd']}"},
                {
                    "expect": "command",
                    "player": a,
                    "success": True,
                    "message": f"{p['label']} (3): {', '.join(stay)}",
                },
                {"do": "leave", "player": d},
                {"do": "chat", "player": c, "message": f"/{p['cmd']}"},
                {
                    "expect": "command",
                    "success": True,
                    "player": c,
                    "message": f"{p['label']} (2): {', '.join(sorted((a, c)))}",
                },
            ),
        ]
        note, cmd_checks = online_command(p["cmd"], "List online players")
        says = [s + note for s in says]
        checks += cmd_checks
        return Feature(self.name, code, checks, says, p)


_CLEAN = ("nice build over there", "who wants to trade wood", "see you at the mine", "good morning all")


@register
class ChatFilterKind(Kind):
    """A chat filter (register_on_chat_message): blocked words are not broadcast."""

    name = "chat_filter"
    tags = ("player callbacks", "on_chat_message", "chat")
    exclusive = frozenset(("chat-message-count",))
    doc = (
        "`minetest.register_on_chat_message(function(name, message))` runs for every chat message that is "
        "not a command; returning true stops it (it is not broadcast), returning nothing lets it through "
        "to everyone as `<name> message`. `string.lower(s)`, `s:find(word, 1, true)` (plain search)."
    )
    bugs = (
        Bug(
            "no-return",
            lambda c, p: sub_once(c, "\t\treturn true\n", ""),
            ("the warning is sent but the bad message still reaches everyone",),
        ),
        Bug(
            "case-sensitive",
            lambda c, p: sub_once(c, "message:lower():find(", "message:find("),
            ("the filter misses the word when it is written in capitals",),
        ),
        Bug(
            "swallow-all",
            lambda c, p: sub_once(c, "\t\treturn true\n\tend\nend)", "\tend\n\treturn true\nend)"),
            ("nobody can chat any more",),
        ),
    )

    changes = (
        value_change(
            "warn",
            ("Watch your language!", "Please be nice.", "That word is not allowed.", "Mind your words."),
            'Change the warning of the chat filter to "{warn}".',
        ),
        NAMED_CALLBACK,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        word = rng.choice(("griefer", "noob", "lag", "creeper", "spam", "dummy", "cheat"))
        return {
            "word": word,
            "warn": rng.choice(("Watch your language!", "Please be nice.", "That word is not allowed.")),
            "bad": rng.choice(("{W} alert", "{W}s everywhere", "{W} again?", "{W} in the base")).replace(
                "{W}", word.upper() if rng.random() < 0.5 else word.capitalize()
            ),
            "clean": rng.choice(_CLEAN),
        }

    def build(self, p: Params, mod: str) -> Feature:
        code = (
            "minetest.register_on_chat_message(function(name, message)\n"
            f'\tif message:lower():find("{p["word"]}", 1, true) then\n'
            f'\t\tminetest.chat_send_player(name, "{p["warn"]}")\n\t\treturn true\n\tend\nend)\n'
        )
        says = [
            f'a chat filter: a chat message containing "{p["word"]}" in any letter case is not broadcast and '
            f'its sender is told "{p["warn"]}"; other messages go through normally',
            f'block chat messages that contain the word "{p["word"]}" (case-insensitive): the sender gets '
            f'"{p["warn"]}" and nobody else sees the message. Leave every other message alone',
        ]
        checks: list[Check] = [
            {"kind": "callback", "desc": "one chat message callback", "event": "on_chat_message", "count": 1},
            scenario(
                "a message with the word is blocked and warned about; a clean one is broadcast",
                join("p1"),
                join("p2"),
                {"do": "chat", "player": "p1", "message": p["bad"]},
                {"expect": "chat", "player": "p1", "message": p["warn"]},
                {"expect": "chat", "player": "p2", "lacks": p["bad"]},
                {"do": "chat", "player": "p1", "message": p["clean"]},
                {"expect": "chat", "player": "p2", "contains": p["clean"]},
                {"expect": "chat", "player": "p1", "contains": p["warn"], "count": 1},
            ),
        ]
        return Feature(self.name, code, checks, says, p)


_STATS_FORMATS = ("Placed {p}, dug {d}.", "{p} placed, {d} dug.", "You built {p} and removed {d}.")


def _stats_format(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    fmt = rng.choice([f for f in _STATS_FORMATS if f != p["fmt"]])
    return Changed(
        kind.build({**p, "fmt": fmt}, mod),
        f'Make `/{p["cmd"]}` reply "{fmt.format(p="<placed>", d="<dug>")}" instead.',
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


def _stats_storage(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """The counts move to mod storage: read engine-side (the storage expectations of the new
    feature's scenario) and reached through get_mod_storage."""
    if p["store"]:
        return None
    return Changed(
        kind.build({**p, "store": True}, mod),
        "The statistics are lost on every restart: keep them in mod storage instead, as integers under "
        '"placed:<player name>" and "dug:<player name>" (set_int/get_int).',
        {"kind": "preserve", "desc": "the registrations stay as they were"},
        [{"kind": "calls", "desc": "the counts live in mod storage", "fn": "minetest.get_mod_storage"}],
    )


@register
class BuildStatsKind(Kind):
    """Counting placed and dug nodes per player (on_placenode, on_dignode)."""

    name = "build_stats"
    tags = ("player callbacks", "on_placenode", "on_dignode", "chatcommand")
    doc = (
        "`minetest.register_on_placenode(function(pos, newnode, placer, oldnode, itemstack, pointed_thing))` "
        "runs after a player places a node; `minetest.register_on_dignode(function(pos, oldnode, digger))` "
        "after one is dug. `placer` and `digger` are the players (may be nil for non-players)."
    )
    bugs = (
        Bug(
            "placer-position",
            lambda c, p: sub_once(
                c,
                "register_on_placenode(function(pos, newnode, placer)",
                "register_on_placenode(function(pos, placer)",
            ),
            ("placing any node crashes the server",),
        ),
        Bug(
            "no-default",
            lambda c, p: sub_once(
                c, "placed[name] = (placed[name] or 0) + 1", "placed[name] = placed[name] + 1"
            ),
            ("the first node a player places crashes the server",),
        ),
        Bug(
            "same-table",
            lambda c, p: sub_once(
                c, "dug[name] = (dug[name] or 0) + 1", "placed[name] = (placed[name] or 0) + 1"
            ),
            ("digging counts as placing",),
        ),
    )
    changes = (
        Change("fmt", _stats_format),
        Change("store", _stats_storage),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "cmd": rng.choice(("stats", "buildstats", "mystats", "work")) + str(rng.randint(1, 99)),
            "block": f"{mod}:{rng.choice(MATERIALS)}_brick",
            "placed": rng.randint(2, 4),
            "dug": rng.randint(1, 2),
            "fmt": _STATS_FORMATS[0],
            "store": False,
        }

    def build(self, p: Params, mod: str) -> Feature:
        fmt = p["fmt"]
        if p["store"]:  # the counts in mod storage, under "placed:<name>" and "dug:<name>"
            count = (
                '\t\tlocal key = "{what}:" .. {who}:get_player_name()\n'
                "\t\tstorage:set_int(key, storage:get_int(key) + 1)\n"
            )
            state = "local storage = minetest.get_mod_storage()\n\n"
            reply = lua_concat(
                fmt, p='storage:get_int("placed:" .. name)', d='storage:get_int("dug:" .. name)'
            )
        else:
            count = "\t\tlocal name = {who}:get_player_name()\n\t\t{what}[name] = ({what}[name] or 0) + 1\n"
            state = "local placed, dug = {}, {}\n\n"
            reply = lua_concat(fmt, p="(placed[name] or 0)", d="(dug[name] or 0)")
        code = (
            simple_node(p["block"], "dig_immediate = 3")
            + "\n"
            + state
            + "minetest.register_on_placenode(function(pos, newnode, placer)\n"
            "\tif placer and placer:is_player() then\n"
            + count.format(what="placed", who="placer")
            + "\tend\nend)\n\n"
            "minetest.register_on_dignode(function(pos, oldnode, digger)\n"
            "\tif digger and digger:is_player() then\n"
            + count.format(what="dug", who="digger")
            + "\tend\nend)\n\n"
            f'minetest.register_chatcommand("{p["cmd"]}", {{\n\tdescription = "Show your building stats",\n'
            f"\tfunc = function(name)\n\t\treturn true, {reply}\n\tend,\n}})\n"
        )
        says = [
            f"a node `{p['block']}` (dig_immediate = 3) and per-player building statistics: count the nodes "
            "each "
            "player places (register_on_placenode) and digs (register_on_dignode); "
            f'`/{p["cmd"]}` replies "{fmt.format(p="<p>", d="<d>")}" for the caller',
            f'`/{p["cmd"]}` tells the caller "{fmt.format(p="<n>", d="<m>")}" — how many nodes they '
            "placed and dug since the "
            f"server started (global placenode/dignode callbacks); also register `{p['block']}` with "
            "dig_immediate = 3",
        ]
        steps: list[Check] = [
            join("p1"),
            join("p2"),
            {"do": "set_node", "pos": [0, -1, 0], "node": p["block"]},
        ]
        for i in range(p["placed"]):
            steps.append({"do": "place", "player": "p1", "pos": [i + 1, 0, 0], "item": p["block"]})
        for i in range(p["dug"]):
            steps.append({"do": "dig", "player": "p1", "pos": [i + 1, 0, 0]})
        steps += [
            {"do": "place", "player": "p2", "pos": [0, 0, 5], "item": p["block"]},
            {"do": "chat", "player": "p1", "message": f"/{p['cmd']}"},
            {
                "expect": "command",
                "player": "p1",
                "success": True,
                "message": fmt.format(p=p["placed"], d=p["dug"]),
            },
            {"do": "chat", "player": "p2", "message": f"/{p['cmd']}"},
            {"expect": "command", "success": True, "player": "p2", "message": fmt.format(p=1, d=0)},
        ]
        if p["store"]:
            steps += [
                {"expect": "storage", "key": "placed:p1", "value": str(p["placed"])},
                {"expect": "storage", "key": "dug:p1", "value": str(p["dug"])},
            ]
        checks: list[Check] = [
            scenario("places and digs are counted per player", *steps),
            node_check(p["block"], {"dig_immediate": 3}),
        ]
        note, cmd_checks = online_command(p["cmd"], "Show your building stats")
        says = [s + note for s in says]
        checks += cmd_checks
        return Feature(self.name, code, checks, says, p, [p["block"]])
