"""More engine callbacks: inventory put filters, privilege grant callbacks, HP-change modifiers,
spawning entities, argument parsing with string.split, physics overrides and after_dig_node."""

from __future__ import annotations

import random

from ..base import (
    CREATURES,
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


@register
class SortingBoxKind(Kind):
    """A node inventory that only accepts some items (allow_metadata_inventory_put)."""

    name = "sorting_box"
    tags = ("node", "inventory", "allow_metadata_inventory_put")
    doc = (
        "Node callbacks for its inventory: `allow_metadata_inventory_put(pos, listname, index, stack, "
        "player)` returns how many items of `stack` may be put (0 refuses), likewise "
        "`allow_metadata_inventory_take` and `..._move`; `on_metadata_inventory_put(pos, listname, index, "
        "stack, player)` runs after a put. `minetest.get_meta(pos):get_inventory():set_size(list, n)`."
    )
    bugs = (
        Bug(
            "signature",
            lambda c, p: sub_once(
                c,
                "allow_metadata_inventory_put = function(pos, listname, index, stack, player)",
                "allow_metadata_inventory_put = function(pos, stack, player)",
            ),
            ("putting anything into the box crashes the server",),
        ),
        Bug(
            "returns-bool",
            lambda c, p: sub_once(c, "\t\t\treturn stack:get_count()\n", "\t\t\treturn true\n"),
            ("nothing can be put into the box, not even the allowed items",),
        ),
        Bug(
            "inverted",
            lambda c, p: sub_once(
                c, "\t\tif allowed[stack:get_name()] then\n", "\t\tif not allowed[stack:get_name()] then\n"
            ),
            ("the box accepts everything except the items it is meant for",),
        ),
    )

    changes = (
        value_change("size", (4, 8, 16), 'Give the "{list}" list of `{name}` {size} slots.'),
        rename_item("name"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        kinds = rng.sample(("coal", "iron", "gold", "tin", "clay", "flint"), 3)
        return {
            "name": f"{mod}:{m}_{rng.choice(('ore_box', 'bin', 'sorter', 'tray'))}",
            "list": rng.choice(("ores", "input", "slots", "bin")),
            "ok": [f"{mod}:{k}_lump" for k in kinds[:2]],
            "bad": f"{mod}:{kinds[2]}_lump",
            "size": rng.choice((4, 8, 16)),
            "n": rng.randint(2, 40),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, lst, ok, bad = p["name"], p["list"], p["ok"], p["bad"]
        allowed = ", ".join(f'["{o}"] = true' for o in ok)
        code = (
            "".join(
                f'minetest.register_craftitem("{i}", {{description = "{title(i)}"}})\n' for i in (*ok, bad)
            )
            + f"\nlocal allowed = {{{allowed}}}\n\n"
            f'minetest.register_node("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\ttiles = {{"{texture(name)}"}},\n\tgroups = {{choppy = 2}},\n'
            "\ton_construct = function(pos)\n"
            f'\t\tminetest.get_meta(pos):get_inventory():set_size("{lst}", {p["size"]})\n\tend,\n'
            "\tallow_metadata_inventory_put = function(pos, listname, index, stack, player)\n"
            "\t\tif allowed[stack:get_name()] then\n\t\t\treturn stack:get_count()\n\t\tend\n\t\treturn "
            "0\n\tend,\n})\n"
        )
        says = [
            f"craftitems `{ok[0]}`, `{ok[1]}` and `{bad}`, and a node `{name}` (choppy = 2) with a "
            f'{p["size"]}-slot node inventory list "{lst}" (set in on_construct) that accepts only `{ok[0]}` '
            f"and `{ok[1]}`: allow_metadata_inventory_put lets whole stacks of those in and refuses (0) "
            "anything else",
            f'a sorting box `{name}` (groups choppy = 2; node list "{lst}" of {p["size"]} slots created on '
            f"construct) whose allow_metadata_inventory_put admits the full stack only for `{ok[0]}` or "
            f"`{ok[1]}`; register those and `{bad}` as craftitems",
        ]
        n = p["n"]
        slot = {"pos": [0, 0, 0], "list": lst, "index": 1}
        checks: list[Check] = [
            node_check(name, {"choppy": 2}),
            *(item_check(i, "craft") for i in (*ok, bad)),
            scenario(
                "allowed items go in whole; others are refused",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": name},
                {"expect": "inventory", "pos": [0, 0, 0], "list": lst, "size": p["size"]},
                {"do": "give", "player": "p1", "item": f"{bad} 5"},
                {"do": "give", "player": "p1", "item": f"{ok[1]} {n}"},
                {
                    "do": "move_item",
                    "player": "p1",
                    "from": {"player": "p1", "list": "main", "index": 1},
                    "to": slot,
                },
                {"expect": "inventory", "pos": [0, 0, 0], "list": lst, "count": 0},
                {
                    "do": "move_item",
                    "player": "p1",
                    "from": {"player": "p1", "list": "main", "index": 2},
                    "to": slot,
                },
                {"expect": "inventory", "pos": [0, 0, 0], "list": lst, "contains": f"{ok[1]} {n}"},
                {"expect": "inventory", "player": "p1", "contains": f"{bad} 5"},
            ),
        ]
        return Feature(self.name, code, checks, says, p, [name, *ok, bad])


def _priv_single(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """The privilege given to singleplayer (and the admin) by default: the privilege check pins it."""
    if p["single"]:
        return None
    return Changed(
        kind.build({**p, "single": True}, mod),
        f"Singleplayer worlds should have `{p['priv']}` from the start: give it to singleplayer "
        "(give_to_singleplayer = true).",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


@register
class PrivAnnounceKind(Kind):
    """A privilege whose grant and revoke are announced (on_grant, on_revoke)."""

    name = "priv_announce"
    tags = ("privilege", "on_grant", "on_revoke")
    doc = (
        "`minetest.register_privilege(name, {description = ..., give_to_singleplayer = ..., on_grant = "
        "function(name, granter_name), on_revoke = function(name, revoker_name)})`: the callbacks run when "
        "the privilege is granted or revoked (e.g. by /grant and /revoke); "
        "`minetest.chat_send_player(name, text)`."
    )
    bugs = (
        Bug(
            "wrong-field",
            lambda c, p: sub_once(
                c, "\ton_grant = function(name, granter)", "\ton_granted = function(name, granter)"
            ),
            ("players are not told when they get the privilege",),
        ),
        Bug(
            "swapped-args",
            lambda c, p: sub_once(
                c,
                f'\t\tminetest.chat_send_player(name, "You may now {p["verb"]}.")',
                f'\t\tminetest.chat_send_player(granter, "You may now {p["verb"]}.")',
            ),
            ("the admin is told instead of the player who got the privilege",),
        ),
        Bug(
            "no-revoke",
            lambda c, p: sub_once(
                c, "\ton_revoke = function(name, revoker)", "\ton_revoke_priv = function(name, revoker)"
            ),
            ("players are not told when they lose the privilege",),
        ),
    )
    changes = (
        value_change(
            "verb",
            ("fly", "build", "teleport", "trade", "vote"),
            'Make the grant message "You may now {verb}."',
        ),
        Change("single", _priv_single),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        admin, user = rng.sample(PLAYERS, 2)
        verb = rng.choice(("fly", "build", "teleport", "trade", "vote"))
        priv = f"{mod}_{verb}{rng.randint(1, 9)}"
        return {"priv": priv, "verb": verb, "admin": admin, "user": user, "single": False}

    def build(self, p: Params, mod: str) -> Feature:
        priv, verb = p["priv"], p["verb"]
        single = "given to singleplayer" if p["single"] else "not given to singleplayer"
        code = (
            f'minetest.register_privilege("{priv}", {{\n\tdescription = "Can {verb}",\n'
            f"\tgive_to_singleplayer = {str(p['single']).lower()},\n\ton_grant = function(name, granter)\n"
            f'\t\tminetest.chat_send_player(name, "You may now {verb}.")\n\tend,\n'
            "\ton_revoke = function(name, revoker)\n"
            f'\t\tminetest.chat_send_player(name, "You may no longer {verb}.")\n\tend,\n}})\n'
        )
        says = [
            f'a privilege `{priv}` (description "Can {verb}", {single}) whose on_grant '
            "tells the "
            f'player who got it "You may now {verb}." and whose on_revoke tells them "You may no longer '
            f'{verb}."',
            f'register `{priv}` ("Can {verb}", give_to_singleplayer {str(p["single"]).lower()}); granting '
            "it sends the grantee "
            '"You may '
            f'now {verb}.", revoking it "You may no longer {verb}." (on_grant / on_revoke)',
        ]
        a, u = p["admin"], p["user"]
        checks: list[Check] = [
            {
                "kind": "privilege",
                "desc": f"{priv} is registered as described",
                "name": priv,
                "fields": {"description": f"Can {verb}", "give_to_singleplayer": p["single"]},
            },
            scenario(
                "grant and revoke are announced to the player concerned",
                join(a, ["interact", "shout", "privs"]),
                join(u),
                {"do": "chat", "player": a, "message": f"/grant {u} {priv}"},
                {"expect": "chat", "player": u, "message": f"You may now {verb}."},
                {"expect": "chat", "player": a, "lacks": f"You may now {verb}."},
                {"do": "chat", "player": a, "message": f"/revoke {u} {priv}"},
                {"expect": "chat", "player": u, "message": f"You may no longer {verb}."},
            ),
        ]
        return Feature(self.name, code, checks, says, p)


@register
class DamageShieldKind(Kind):
    """Damage reduction for everyone (register_on_player_hpchange as a modifier)."""

    name = "damage_shield"
    tags = ("player callbacks", "on_player_hpchange", "hp")
    exclusive = frozenset(("hp-over-time", "hpchange"))
    conflicts = frozenset(("food", "heal_command", "death_message", "globalstep_regen", "after_countdown"))
    doc = (
        "`minetest.register_on_player_hpchange(function(player, hp_change, reason), modifier)`: with "
        "`modifier = true` the function returns the new hp_change (negative for damage, positive for "
        'healing) before it is applied; reasons have `reason.type` ("set_hp", "punch", "fall" ...).'
    )
    bugs = (
        Bug(
            "not-modifier",
            lambda c, p: sub_once(c, "\nend, true)\n", "\nend)\n"),
            ("players take full damage",),
        ),
        Bug(
            "heals-too",
            lambda c, p: sub_once(c, "\tif hp_change >= 0 then\n\t\treturn hp_change\n\tend\n", ""),
            ("healing is reduced as well",),
        ),
        Bug(
            "no-return",
            lambda c, p: sub_once(
                c,
                f"\treturn math.ceil(hp_change * {p['keep']} / 100)\n",
                f"\thp_change = math.ceil(hp_change * {p['keep']} / 100)\n",
            ),
            ("the server crashes when someone is hurt",),
        ),
    )

    changes = (
        value_change("keep", (25, 50, 75), "Let players take only {keep} % of any damage instead."),
        NAMED_CALLBACK,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {"keep": rng.choice((25, 50, 75)), "hp": rng.randint(11, 19), "hit": rng.randint(4, 9)}

    def build(self, p: Params, mod: str) -> Feature:
        k = p["keep"]
        code = (
            "minetest.register_on_player_hpchange(function(player, hp_change, reason)\n"
            "\tif hp_change >= 0 then\n\t\treturn hp_change\n\tend\n"
            f"\treturn math.ceil(hp_change * {k} / 100)\nend, true)\n"
        )
        says = [
            "a damage shield: an HP-change modifier (register_on_player_hpchange with modifier true) that "
            "lets "
            f"players take only {k} % of any damage, rounded toward zero (math.ceil of the negative "
            "change), and "
            "leaves healing unchanged",
            f"all damage to players is reduced to {k} %: hp_change * {k} / 100 rounded with math.ceil for "
            "negative "
            "changes, positive changes pass as they are (a modifier hpchange callback)",
        ]
        import math

        hp, hit = p["hp"], p["hit"]
        first = 20 + math.ceil((hp - 20) * k / 100)
        after = first + math.ceil(-hit * k / 100)
        checks: list[Check] = [
            scenario(
                f"damage is cut to {k} %, healing is not",
                join(),
                {"do": "set_hp", "player": "p1", "hp": hp},
                {"expect": "hp", "player": "p1", "value": first},
                {"do": "set_hp", "player": "p1", "hp": first - hit},
                {"expect": "hp", "player": "p1", "value": after},
                {"do": "set_hp", "player": "p1", "hp": 20},
                {"expect": "hp", "player": "p1", "value": 20},
            ),
        ]
        return Feature(self.name, code, checks, says, p)


@register
class SummonPetKind(Kind):
    """A command that spawns the mod's entity with a name tag (add_entity, set_nametag_attributes)."""

    name = "summon_pet"
    tags = ("chatcommand", "entity", "add_entity")
    doc = (
        "`minetest.add_entity(pos, name, staticdata)` spawns an entity and returns its ObjectRef (nil on "
        "failure). `obj:set_nametag_attributes({text = ..., color = ...})` shows a name above it. "
        "`player:get_pos()`, `vector.add`, `vector.new`."
    )
    bugs = (
        Bug(
            "nametag-string",
            lambda c, p: sub_once(
                c, 'obj:set_nametag_attributes({text = name .. "', 'obj:set_nametag_attributes(name .. "'
            ),
            ("summoning crashes the server",),
        ),
        Bug(
            "wrong-offset",
            lambda c, p: sub_once(c, "vector.new(0, 1, 0)", "vector.new(0, 100, 0)"),
            ("pets appear high up in the sky",),
        ),
        Bug(
            "entity-name",
            lambda c, p: sub_once(
                c,
                f'vector.new(0, 1, 0)), "{p["entity"]}")',
                f'vector.new(0, 1, 0)), "{p["entity"].split(":")[1]}")',
            ),
            ("the summon command crashes the server",),
        ),
    )

    changes = (
        value_change(
            "suffix", ("'s pet", "'s friend", "'s buddy"), 'Make the pet name tag read "<name>{suffix}".'
        ),
        RENAME_COMMAND,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "cmd": rng.choice(("summon", "pet", "callpet", "companion")) + str(rng.randint(1, 99)),
            "entity": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(CREATURES)}",
            "suffix": rng.choice(("'s pet", "'s friend", "'s buddy")),
            "pos": [rng.randint(-20, 20), rng.randint(0, 10), rng.randint(-20, 20)],
        }

    def build(self, p: Params, mod: str) -> Feature:
        cmd, ent, suffix = p["cmd"], p["entity"], p["suffix"]
        code = (
            f'minetest.register_entity("{ent}", {{\n\tinitial_properties = {{\n\t\tvisual = "sprite",\n'
            f'\t\ttextures = {{"{texture(ent)}"}},\n\t}},\n}})\n\n'
            f'minetest.register_chatcommand("{cmd}", {{\n\tdescription = "Summon your pet",\n'
            "\tfunc = function(name)\n\t\tlocal player = minetest.get_player_by_name(name)\n"
            '\t\tif not player then\n\t\t\treturn false, "You must be online."\n\t\tend\n'
            "\t\tlocal obj = minetest.add_entity(vector.add(player:get_pos(), vector.new(0, 1, 0)), "
            f'"{ent}")\n'
            f'\t\tobj:set_nametag_attributes({{text = name .. "{suffix}"}})\n'
            '\t\treturn true, "Here it is."\n\tend,\n})\n'
        )
        says = [
            f"a sprite entity `{ent}` and a command `/{cmd}` that spawns it one node above the caller "
            f'(minetest.add_entity) with the name tag "<name>{suffix}" and replies "Here it is."',
            f'`/{cmd}`: add a `{ent}` (register it: visual "sprite") at the player\'s position + (0, 1, 0), '
            "set its "
            f'nametag text to the player\'s name followed by "{suffix}", reply "Here it is."',
        ]
        note, cmd_checks = online_command(cmd, "Summon your pet", None, "You must be online.")
        says = [s + note for s in says]
        x, y, z = p["pos"]
        test = (
            f"for _, o in ipairs(minetest.get_objects_inside_radius({{x = {x}, y = {y + 1}, z = {z}}}, "
            "0.5)) do "
            f'local e = o:get_luaentity() if e and e.name == "{ent}" then '
            f'return o:get_nametag_attributes().text == "p1{suffix}", o:get_nametag_attributes().text end '
            "end "
            'return false, "no pet one node above the player"'
        )
        checks: list[Check] = [
            *cmd_checks,
            scenario(
                "the pet appears above the player with its name tag",
                join(),
                {
                    "do": "lua",
                    "code": f'minetest.get_player_by_name("p1"):set_pos({{x = {x}, y = {y}, z = {z}}})',
                },
                {"do": "chat", "player": "p1", "message": f"/{cmd}"},
                {"expect": "command", "player": "p1", "success": True, "message": "Here it is."},
                {"expect": "entity_count", "name": ent, "count": 1},
                {"expect": "lua", "code": test},
            ),
        ]
        return Feature(self.name, code, checks, says, p)


@register
class SumCommandKind(Kind):
    """A command parsing comma-separated numbers (string.split, tonumber)."""

    name = "sum_command"
    tags = ("chatcommand", "string.split")
    doc = (
        "`s:split(sep)` (Luanti's string.split) returns the parts of s between separators (empty parts "
        "are dropped by default). `tonumber(s)` is nil for text that is not a number. A command's func gets "
        "(name, param) and returns success, message."
    )
    bugs = (
        Bug(
            "no-number-check",
            lambda c, p: sub_once(
                c, '\t\t\tif not n then\n\t\t\t\treturn false, "Not a number: " .. part\n\t\t\tend\n', ""
            ),
            ("a word in the list crashes the server",),
        ),
        Bug(
            "wrong-separator",
            lambda c, p: sub_once(c, f'param:split("{p["sep"]}")', 'param:split(" ")'),
            ("the command cannot read its list",),
        ),
        Bug(
            "concat-not-add",
            lambda c, p: sub_once(c, "\t\t\ttotal = total + n\n", "\t\t\ttotal = total .. n\n"),
            ("the total is the numbers glued together",),
        ),
    )

    changes = (
        value_change(
            "sep",
            (",", ";", "+", "/"),
            'Make `/{cmd}` split its list at "{sep}" instead (its usage string too).',
        ),
        RENAME_COMMAND,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        nums = [rng.randint(1, 60) for _ in range(rng.randint(3, 5))]
        return {
            "cmd": rng.choice(("sum", "add", "total", "tally")) + str(rng.randint(1, 99)),
            "sep": rng.choice((",", ";", "+", "/")),
            "nums": nums,
            "word": rng.choice(("ten", "many", "x", "lots")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        cmd, sep = p["cmd"], p["sep"]
        code = (
            f'minetest.register_chatcommand("{cmd}", {{\n\tparams = "<n>{sep}<n>{sep}...",\n'
            '\tdescription = "Add numbers",\n\tfunc = function(name, param)\n\t\tlocal total = 0\n'
            f'\t\tfor _, part in ipairs(param:split("{sep}")) do\n\t\t\tlocal n = tonumber(part)\n'
            '\t\t\tif not n then\n\t\t\t\treturn false, "Not a number: " .. part\n\t\t\tend\n'
            "\t\t\ttotal = total + n\n\t\tend\n"
            '\t\treturn true, "Total: " .. total\n\tend,\n})\n'
        )
        says = [
            f'a command `/{cmd} <n>{sep}<n>{sep}...` that splits its argument at "{sep}" (string.split), '
            "adds the "
            'numbers and replies "Total: <sum>"; a part that is not a number fails with "Not a number: '
            '<part>"',
            f'`/{cmd}` sums a "{sep}"-separated list of numbers (use param:split("{sep}") and tonumber): '
            "reply "
            '"Total: <sum>", or return false with "Not a number: <part>" for the first bad part',
        ]
        note, cmd_checks = online_command(cmd, "Add numbers", f"<n>{sep}<n>{sep}...")
        says = [s + note for s in says]
        nums = p["nums"]
        line = sep.join(str(n) for n in nums)
        checks: list[Check] = [
            *cmd_checks,
            scenario(
                "numbers are added; a word is refused",
                join(),
                {"do": "chat", "player": "p1", "message": f"/{cmd} {line}"},
                {"expect": "command", "player": "p1", "success": True, "message": f"Total: {sum(nums)}"},
                {"do": "chat", "player": "p1", "message": f"/{cmd} {nums[0]}{sep}{p['word']}"},
                {
                    "expect": "command",
                    "player": "p1",
                    "success": False,
                    "message": f"Not a number: {p['word']}",
                },
            ),
            {"kind": "calls", "desc": "the argument is split with string.split", "fn": "string.split"},
        ]
        return Feature(self.name, code, checks, says, p)


_SPEEDS = ("swift", "haste", "quick", "zephyr")


@register
class SpeedPotionKind(Kind):
    """A drink that speeds the player up for a while (set_physics_override, minetest.after)."""

    name = "speed_potion"
    tags = ("craftitem", "on_use", "physics", "after")
    exclusive = frozenset(("physics",))
    doc = (
        "`player:set_physics_override({speed = s})` multiplies the player's walking speed (1 is normal); "
        "`player:get_physics_override()` reads it. An item's `on_use(itemstack, user, pointed_thing)`; "
        "`itemstack:take_item()` and return the itemstack to use one up. `minetest.after(seconds, func, ...)`"
        " runs func later; look the player up by name then (they may have left)."
    )
    bugs = (
        Bug(
            "never-reset",
            lambda c, p: sub_once(c, "\t\tminetest.after(", "\t\tlocal _ = minetest.after and ("),
            ("the speed boost never wears off",),
        ),
        Bug(
            "not-used-up",
            lambda c, p: sub_once(c, "\t\titemstack:take_item()\n", ""),
            ("drinking never uses up the potion",),
        ),
        Bug(
            "stale-player",
            lambda c, p: sub_once(
                c,
                "\t\t\tlocal player = minetest.get_player_by_name(name)\n\t\t\tif player then\n"
                "\t\t\t\tplayer:set_physics_override({speed = 1})\n\t\t\tend\n",
                "\t\t\tminetest.get_player_by_name(name):set_physics_override({speed = 1})\n",
            ),
            ("the server crashes when a player leaves while the potion works",),
        ),
    )

    changes = (
        value_change("speed", (1.5, 2, 2.5, 3), "Make `{name}` set the speed multiplier to {speed:g}."),
        rename_item("name"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "name": f"{mod}:{rng.choice(_SPEEDS)}_{rng.choice(('potion', 'tonic', 'brew'))}",
            "speed": rng.choice((1.5, 2, 2.5, 3)),
            "secs": rng.randint(3, 15),
            "n": rng.randint(3, 10),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, speed, secs = p["name"], p["speed"], p["secs"]
        code = (
            f'minetest.register_craftitem("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\tinventory_image = "{texture(name)}",\n'
            "\ton_use = function(itemstack, user)\n\t\tif not user or not user:is_player() then\n"
            "\t\t\treturn\n\t\tend\n\t\tlocal name = user:get_player_name()\n"
            f"\t\tuser:set_physics_override({{speed = {speed:g}}})\n"
            f"\t\tminetest.after({secs}, function()\n"
            "\t\t\tlocal player = minetest.get_player_by_name(name)\n\t\t\tif player then\n"
            "\t\t\t\tplayer:set_physics_override({speed = 1})\n\t\t\tend\n\t\tend)\n"
            "\t\titemstack:take_item()\n\t\treturn itemstack\n\tend,\n})\n"
        )
        says = [
            f"a craftitem `{name}` whose on_use sets the user's physics speed to {speed:g}, uses one item, "
            "and "
            f"{secs} seconds later (minetest.after) puts the speed back to 1 if the player is still online",
            f"a speed potion `{name}` (craftitem): drinking it (on_use) takes one from the stack and makes "
            "the "
            f"player {speed:g} times as fast (set_physics_override) for {secs} s, then normal again; a "
            "player who "
            "left meanwhile must not crash anything",
        ]
        n = p["n"]
        sp = 'local s = minetest.get_player_by_name("p1"):get_physics_override().speed '
        checks: list[Check] = [
            item_check(name, "craft"),
            scenario(
                f"speed {speed:g} for {secs} s, one potion used",
                join(),
                {"do": "wield", "player": "p1", "item": f"{name} {n}"},
                {"do": "use", "player": "p1"},
                {"expect": "wield", "player": "p1", "item": f"{name} {n - 1}"},
                {"expect": "lua", "code": sp + f"return s == {speed:g}, s"},
                {"do": "step", "seconds": secs - 1, "dtime": 0.25},
                {"expect": "lua", "code": sp + f"return s == {speed:g}, s"},
                {"do": "step", "seconds": 2, "dtime": 0.25},
                {"expect": "lua", "code": sp + "return s == 1, s"},
            ),
            scenario(
                "leaving while it works does not crash",
                join(),
                join("p2"),
                {"do": "wield", "player": "p1", "item": name},
                {"do": "use", "player": "p1"},
                {"do": "leave", "player": "p1"},
                {"do": "step", "seconds": secs + 1, "dtime": 0.25},
                {"expect": "hp", "player": "p2", "value": 20},
            ),
        ]
        return Feature(self.name, code, checks, says, p, [name])


@register
class BonusDropKind(Kind):
    """A node that gives its digger a bonus item (after_dig_node)."""

    name = "bonus_drop"
    tags = ("node", "after_dig_node", "inventory")
    craftable = True
    doc = (
        "Node callback `after_dig_node(pos, oldnode, oldmetadata, digger)` runs after the node was dug "
        '(the node is gone; its metadata is in oldmetadata.fields). `digger:get_inventory():add_item("main", '
        "stack)` gives the digger items (returns what did not fit)."
    )
    bugs = (
        Bug(
            "signature",
            lambda c, p: sub_once(
                c,
                "after_dig_node = function(pos, oldnode, oldmetadata, digger)",
                "after_dig_node = function(pos, digger)",
            ),
            ("digging the node crashes the server",),
        ),
        Bug(
            "no-digger-check",
            lambda c, p: sub_once(
                c, "\t\tif not digger or not digger:is_player() then\n\t\t\treturn\n\t\tend\n", ""
            ),
            ("the node crashes the server when a machine digs it",),
        ),
        Bug(
            "wrong-list",
            lambda c, p: sub_once(
                c, 'digger:get_inventory():add_item("main", ', 'digger:get_inventory():add_item("craft", '
            ),
            ("the bonus never shows up in the inventory",),
        ),
    )

    changes = (
        value_change("n", (1, 2, 3, 4, 5), "Make `{name}` give {n} `{bonus}` to its digger."),
        rename_item("name"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        return {
            "name": f"{mod}:{m}_{rng.choice(('geode', 'nest', 'stash', 'vein'))}",
            "bonus": f"{mod}:{m}_{rng.choice(('gem', 'egg', 'coin', 'nugget'))}",
            "n": rng.randint(1, 5),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, bonus, n = p["name"], p["bonus"], p["n"]
        code = (
            f'minetest.register_craftitem("{bonus}", {{description = "{title(bonus)}"}})\n\n'
            f'minetest.register_node("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\ttiles = {{"{texture(name)}"}},\n\tgroups = {{dig_immediate = 2}},\n'
            "\tafter_dig_node = function(pos, oldnode, oldmetadata, digger)\n"
            "\t\tif not digger or not digger:is_player() then\n\t\t\treturn\n\t\tend\n"
            f'\t\tdigger:get_inventory():add_item("main", "{bonus} {n}")\n\tend,\n}})\n'
        )
        says = [
            f"a craftitem `{bonus}` and a node `{name}` (dig_immediate = 2) whose after_dig_node gives the "
            f'player who dug it {n} `{bonus}` in their "main" inventory (besides the node itself); diggers '
            "that "
            "are not players get nothing",
            f"`{name}` (groups dig_immediate = 2): a player digging it also receives `{bonus} {n}` "
            "(after_dig_node, "
            f"add to the digger's main list; ignore non-player diggers). Register `{bonus}` as a craftitem",
        ]
        checks: list[Check] = [
            node_check(name, {"dig_immediate": 2}),
            item_check(bonus, "craft"),
            scenario(
                "the digger gets the node and the bonus",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": name},
                {"do": "dig", "player": "p1", "pos": [0, 0, 0]},
                {"expect": "inventory", "player": "p1", "contains": f"{bonus} {n}"},
                {"expect": "inventory", "player": "p1", "lacks": f"{bonus} {n + 1}"},
                {"expect": "inventory", "player": "p1", "contains": name},
            ),
            {
                "kind": "lua",
                "desc": "a non-player digger is ignored",
                "code": (
                    f'local def = minetest.registered_nodes["{name}"] '
                    f'def.after_dig_node({{x = 0, y = 0, z = 0}}, {{name = "{name}"}}, {{fields = {{}}}}, '
                    "nil) "
                    "return true"
                ),
            },
        ]
        return Feature(self.name, code, checks, says, p, [name, bonus])
