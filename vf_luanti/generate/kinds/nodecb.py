"""Node callbacks: after_place_node + can_dig (owners), on_construct/on_destruct pairs, on_place
restrictions with minetest.item_place, and a craftitem placing a plant (take_item)."""

from __future__ import annotations

import random

from ..base import (
    MATERIALS,
    PLAYERS,
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
    register,
    rename_item,
    scenario,
    simple_node,
    sub_once,
    texture,
    title,
    value_change,
)

_OWNED = ("safe", "banner", "statue", "door", "totem")


def _soil_groups(p: Params) -> str:
    return "crumbly = 3, soil = 1" if p["group"] else "crumbly = 3"


def _on_soil(p: Params, air_above: bool) -> str:
    """on_place's test that the pointed node is the soil: by name, or by group after the
    ``soil-group`` change (and either of two names after ``soil2``); ``air_above``: the free
    position above must be air too."""
    under = "minetest.get_node(pointed_thing.under).name"
    if p["group"]:
        test = f'minetest.get_item_group({under}, "soil") == 0'
    elif p.get("soil2"):
        test = f'{under} ~= "{p["soil"]}" and {under} ~= "{p["soil2"]}"'
    else:
        test = f'{under} ~= "{p["soil"]}"'
    if air_above:
        test += ' or minetest.get_node(pointed_thing.above).name ~= "air"'
    return f"\t\tif {test} then\n\t\t\treturn itemstack\n\t\tend\n"


def _soil_group_change(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """Any node of group soil instead of one node name: the soil gets the group (an allowed field
    change), the test goes through get_item_group (checked by the calls the engine saw)."""
    if p["group"]:
        return None
    return Changed(
        kind.build({**p, "group": True}, mod),
        f"Other mods' soils should work too: accept any node in group `soil` (minetest.get_item_group) "
        f"instead of only `{p['soil']}`, and give `{p['soil']}` the group soil = 1.",
        {
            "kind": "preserve",
            "desc": "the registrations stay as they were",
            "except_fields": {p["soil"]: ["groups"]},
        },
        [{"kind": "calls", "desc": "the soil is recognised by its group", "fn": "minetest.get_item_group"}],
    )


def _seed_grass(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """Seeds may replace buildable_to nodes (grass) above the soil, not only air."""
    if p["grass"]:
        return None
    grass = f"{p['seed'].split(':')[0]}:{rng.choice(MATERIALS)}_grass"
    return Changed(
        kind.build({**p, "grass": grass}, mod),
        f"Seeds should also grow where grass stands: plant when the node above the soil is buildable_to "
        f"(look it up in minetest.registered_nodes), not only air, and register `{grass}` (snappy = 3, "
        "buildable_to = true) to show it.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


def _second_soil(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """A second soil name the plant accepts (a new node)."""
    if p["soil2"]:
        return None
    soil2 = f"{p['soil'].split(':')[0]}:{rng.choice(MATERIALS)}_{rng.choice(('humus', 'compost', 'marsh'))}"
    return Changed(
        kind.build({**p, "soil2": soil2}, mod),
        f"Let `{p['plant']}` grow on a second soil as well: register `{soil2}` (crumbly = 3) and accept "
        "it in on_place too.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


@register
class OwnedNodeKind(Kind):
    """A node that remembers who placed it; only they (or protection_bypass holders) may dig it."""

    name = "owned_node"
    tags = ("node", "after_place_node", "can_dig", "metadata", "privilege")
    craftable = True
    doc = (
        "Node callbacks: `after_place_node(pos, placer, itemstack, pointed_thing)` runs after a player "
        "placed the node (placer may be nil); `can_dig(pos, player)` returns false to refuse digging. "
        '`minetest.get_meta(pos)` gives the node metadata (`set_string`, `get_string`; "infotext" is '
        "shown on pointing). `minetest.check_player_privs(name, {priv = true})` is true when the player "
        "holds the privilege."
    )
    bugs = (
        Bug(
            "place-signature",
            lambda c, p: sub_once(
                c,
                "after_place_node = function(pos, placer)",
                "after_place_node = function(pos, node, placer)",
            ),
            ("placing the node crashes the server",),
        ),
        Bug(
            "can-dig-inverted",
            lambda c, p: sub_once(c, "\t\treturn owner == name or ", "\t\treturn owner ~= name or "),
            ("owners cannot dig their own node but everybody else can",),
        ),
        Bug(
            "no-bypass",
            lambda c, p: sub_once(c, " or minetest.check_player_privs(name, {protection_bypass = true})", ""),
            ("admins with protection_bypass cannot remove abandoned nodes",),
        ),
    )

    changes = (
        value_change(
            "fmt",
            ("{t} (owned by {n})", "{t} of {n}", "{n}'s {t}"),
            'Change the infotext format of `{name}`: "{fmt}" with t the title and n the owner.',
        ),
        rename_item("name"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        owner, other, admin = rng.sample(PLAYERS, 3)
        return {
            "name": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(_OWNED)}",
            "floor": f"{mod}:{rng.choice(MATERIALS)}_floor",
            "owner": owner,
            "other": other,
            "admin": admin,
            "fmt": rng.choice(("{t} (owned by {n})", "{t} of {n}", "{n}'s {t}")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, t = p["name"], title(p["name"])
        a, b = p["fmt"].split("{n}")
        lua_a, lua_b = a.replace("{t}", t), b.replace("{t}", t)
        infotext = f'"{lua_a}" .. name' + (f' .. "{lua_b}"' if lua_b else "")
        code = (
            simple_node(p["floor"], "cracky = 3")
            + f'minetest.register_node("{name}", {{\n\tdescription = "{t}",\n'
            f'\ttiles = {{"{texture(name)}"}},\n\tgroups = {{dig_immediate = 2}},\n'
            "\tafter_place_node = function(pos, placer)\n"
            '\t\tlocal name = placer and placer:get_player_name() or ""\n'
            "\t\tlocal meta = minetest.get_meta(pos)\n"
            '\t\tmeta:set_string("owner", name)\n'
            f'\t\tmeta:set_string("infotext", {infotext})\n\tend,\n'
            "\tcan_dig = function(pos, player)\n"
            '\t\tlocal owner = minetest.get_meta(pos):get_string("owner")\n'
            '\t\tlocal name = player and player:get_player_name() or ""\n'
            '\t\treturn owner == name or owner == "" '
            "or minetest.check_player_privs(name, {protection_bypass = true})\n\tend,\n})\n"
        )
        shown = p["fmt"].replace("{t}", t).replace("{n}", "<name>")
        says = [
            f"a node `{name}` (dig_immediate = 2) that stores its placer's name in the metadata string "
            f'"owner" (after_place_node) with the infotext "{shown}"; can_dig lets only the owner, anyone '
            "when there is no owner, or players with the protection_bypass privilege dig it. Also register "
            f"`{p['floor']}` (cracky = 3) to build on",
            f"an owned node `{name}` (groups dig_immediate = 2): after_place_node records the placer as meta "
            f'"owner" and sets infotext "{shown}"; can_dig refuses everyone but the owner (an ownerless '
            "node, "
            f"or a player with protection_bypass, may be dug). Register a floor node `{p['floor']}` (cracky "
            "= 3)",
        ]
        o, x, adm = p["owner"], p["other"], p["admin"]
        info = p["fmt"].replace("{t}", t).replace("{n}", o)
        checks: list[Check] = [
            scenario(
                "the placer owns it; others cannot dig it, the owner can",
                join(o),
                join(x),
                {"do": "set_node", "pos": [0, -1, 0], "node": p["floor"]},
                {"do": "place", "player": o, "pos": [0, 0, 0], "item": name},
                {"expect": "meta", "pos": [0, 0, 0], "key": "owner", "value": o},
                {"expect": "meta", "pos": [0, 0, 0], "key": "infotext", "value": info},
                {"do": "dig", "player": x, "pos": [0, 0, 0]},
                {"expect": "node", "pos": [0, 0, 0], "name": name},
                {"do": "dig", "player": o, "pos": [0, 0, 0]},
                {"expect": "node", "pos": [0, 0, 0], "name": "air"},
            ),
            scenario(
                "protection_bypass digs anything; an ownerless one is free",
                join(o),
                join(adm, ["interact", "protection_bypass"]),
                join(x),
                {"do": "set_node", "pos": [0, -1, 0], "node": p["floor"]},
                {"do": "place", "player": o, "pos": [0, 0, 0], "item": name},
                {"do": "dig", "player": adm, "pos": [0, 0, 0]},
                {"expect": "node", "pos": [0, 0, 0], "name": "air"},
                {"do": "set_node", "pos": [3, 0, 0], "node": name},
                {"do": "dig", "player": x, "pos": [3, 0, 0]},
                {"expect": "node", "pos": [3, 0, 0], "name": "air"},
            ),
        ]
        checks += [node_check(name, {"dig_immediate": 2}), node_check(p["floor"], {"cracky": 3})]
        return Feature(self.name, code, checks, says, p, [name, p["floor"]])


@register
class NodePairKind(Kind):
    """A two-node structure: on_construct adds the top part, on_destruct removes it."""

    name = "node_pair"
    tags = ("node", "on_construct", "on_destruct", "vector")
    craftable = True
    doc = (
        "Node callbacks `on_construct(pos)` (after the node is set or placed) and `on_destruct(pos)` "
        "(before it is removed or replaced). `minetest.get_node(pos)` returns `{name = ..., param2 = ...}` "
        '("air" where nothing is), `minetest.set_node(pos, node)`, `minetest.remove_node(pos)`. '
        "`vector.add(a, b)` and `vector.new(x, y, z)` build positions."
    )
    bugs = (
        Bug(
            "unconditional-remove",
            lambda c, p: sub_once(
                c,
                f'\t\tif minetest.get_node(above).name == "{p["top"]}" '
                "then\n\t\t\tminetest.remove_node(above)\n\t\tend\n",
                "\t\tminetest.remove_node(above)\n",
            ),
            ("breaking the base also destroys whatever other block was above it",),
        ),
        Bug(
            "wrong-offset",
            lambda c, p: sub_once(c, "vector.new(0, 1, 0)", "vector.new(0, -1, 0)"),
            ("the top part appears under the base",),
        ),
        Bug(
            "destruct-typo",
            lambda c, p: sub_once(c, "\ton_destruct = function(pos)", "\ton_destroy = function(pos)"),
            ("the top part stays floating when the base is removed",),
        ),
        Bug(
            "overwrite",
            lambda c, p: sub_once(
                c,
                '\t\tif minetest.get_node(above).name == "air" then\n\t\t\tminetest.set_node(above, {name = "'
                + p["top"]
                + '"})\n\t\tend\n',
                '\t\tminetest.set_node(above, {name = "' + p["top"] + '"})\n',
            ),
            ("placing the base destroys the block above it",),
        ),
    )

    changes = (
        value_change(
            "g2",
            ("cracky", "choppy", "snappy"),
            "Put `{base}` in the group {g2} = 1 (besides dig_immediate = 2) instead.",
            {"base": ["groups"]},
        ),
        rename_item("base"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        kind = rng.choice(("lamp_post", "totem", "pillar", "fountain", "statue"))
        return {
            "base": f"{mod}:{m}_{kind}",
            "top": f"{mod}:{m}_{kind}_top",
            "other": f"{mod}:{rng.choice(MATERIALS)}_slab",
            "g2": rng.choice(("cracky", "choppy", "snappy")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        base, top = p["base"], p["top"]
        code = (
            simple_node(top, "dig_immediate = 3, not_in_creative_inventory = 1", 'drop = ""')
            + simple_node(p["other"], "dig_immediate = 3")
            + f'minetest.register_node("{base}", {{\n\tdescription = "{title(base)}",\n'
            f'\ttiles = {{"{texture(base)}"}},\n\tgroups = {{dig_immediate = 2, {p["g2"]} = 1}},\n'
            "\ton_construct = function(pos)\n\t\tlocal above = vector.add(pos, vector.new(0, 1, 0))\n"
            '\t\tif minetest.get_node(above).name == "air" then\n'
            f'\t\t\tminetest.set_node(above, {{name = "{top}"}})\n\t\tend\n\tend,\n'
            "\ton_destruct = function(pos)\n\t\tlocal above = vector.add(pos, vector.new(0, 1, 0))\n"
            f'\t\tif minetest.get_node(above).name == "{top}" '
            "then\n\t\t\tminetest.remove_node(above)\n\t\tend\n"
            "\tend,\n})\n"
        )
        says = [
            f"a two-part node: `{base}` (dig_immediate = 2, {p['g2']} = 1) whose on_construct puts `{top}` "
            "(dig_immediate "
            "= 3, "
            "not_in_creative_inventory = 1, drops nothing) on the position above when that is air, and whose "
            f"on_destruct removes the `{top}` above it (only that node). Also register `{p['other']}` "
            "(dig_immediate = 3)",
            f"`{base}` (groups dig_immediate = 2, {p['g2']} = 1) with a top piece `{top}` (dig_immediate = "
            "3, "
            'not_in_creative_inventory = 1, drop = ""): setting the base adds the top above it if the '
            "space is "
            "free (on_construct), removing the base removes its top (on_destruct) but never another node. "
            f"Register `{p['other']}` (dig_immediate = 3) too",
        ]
        checks: list[Check] = [
            scenario(
                "the base grows its top and takes it away when dug",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": base},
                {"expect": "node", "pos": [0, 1, 0], "name": top},
                {"expect": "node", "pos": [0, -1, 0], "name": "air"},
                {"do": "dig", "player": "p1", "pos": [0, 0, 0]},
                {"expect": "node", "pos": [0, 1, 0], "name": "air"},
            ),
            scenario(
                "another node above is neither replaced nor removed",
                join(),
                {"do": "set_node", "pos": [4, 1, 0], "node": p["other"]},
                {"do": "set_node", "pos": [4, 0, 0], "node": base},
                {"expect": "node", "pos": [4, 1, 0], "name": p["other"]},
                {"do": "dig", "player": "p1", "pos": [4, 0, 0]},
                {"expect": "node", "pos": [4, 1, 0], "name": p["other"]},
                {"expect": "node", "pos": [4, 0, 0], "name": "air"},
            ),
        ]
        checks += [
            node_check(top, {"dig_immediate": 3, "not_in_creative_inventory": 1}, drop=""),
            node_check(p["other"], {"dig_immediate": 3}),
            node_check(base, {"dig_immediate": 2, p["g2"]: 1}),
        ]
        return Feature(self.name, code, checks, says, p, [base, top, p["other"]])


@register
class SoilOnlyKind(Kind):
    """A node item that can only be placed on a given soil (on_place + minetest.item_place)."""

    name = "soil_only"
    tags = ("node", "on_place", "item_place")
    doc = (
        "An item's `on_place(itemstack, placer, pointed_thing)` runs when a player places it; "
        "`pointed_thing.under` is the node pointed at and `pointed_thing.above` the free position in front "
        "of it. Return the itemstack (changed or not). `minetest.item_place(itemstack, placer, "
        "pointed_thing)` does the default placing and returns the new itemstack. "
        "`minetest.get_node(pos).name`."
    )
    bugs = (
        Bug(
            "no-return",
            lambda c, p: sub_once(
                c,
                "\t\treturn minetest.item_place(itemstack, placer, pointed_thing)",
                "\t\tminetest.item_place(itemstack, placer, pointed_thing)",
            ),
            ("placing works but the item is never used up",),
        ),
        Bug(
            "above-not-under",
            lambda c, p: sub_once(
                c,
                "minetest.get_node(pointed_thing.under).name",
                "minetest.get_node(pointed_thing.above).name",
            ),
            ("the plant cannot be placed anywhere",),
        ),
        Bug(
            "no-type-check",
            lambda c, p: sub_once(
                c, '\t\tif pointed_thing.type ~= "node" then\n\t\t\treturn itemstack\n\t\tend\n', ""
            ),
            ("using the plant in the air crashes the server",),
        ),
    )

    changes = (Change("soil-group", _soil_group_change), Change("soil2", _second_soil))

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        return {
            "plant": f"{mod}:{m}_{rng.choice(('fern', 'reed', 'mushroom', 'moss', 'flower'))}",
            "soil": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(('soil', 'mud', 'peat', 'loam'))}",
            "stone": f"{mod}:{rng.choice(MATERIALS)}_rock",
            "n": rng.randint(3, 30),
            "group": False,
            "soil2": None,
        }

    def build(self, p: Params, mod: str) -> Feature:
        plant, soil = p["plant"], p["soil"]
        code = (
            simple_node(soil, _soil_groups(p))
            + (simple_node(p["soil2"], "crumbly = 3") if p["soil2"] else "")
            + simple_node(p["stone"], "cracky = 3")
            + f'minetest.register_node("{plant}", {{\n\tdescription = "{title(plant)}",\n'
            f'\tdrawtype = "plantlike",\n\ttiles = {{"{texture(plant)}"}},\n'
            "\twalkable = false,\n\tgroups = {snappy = 3},\n"
            "\ton_place = function(itemstack, placer, pointed_thing)\n"
            '\t\tif pointed_thing.type ~= "node" then\n\t\t\treturn itemstack\n\t\tend\n'
            + _on_soil(p, air_above=False)
            + "\t\treturn minetest.item_place(itemstack, placer, pointed_thing)\n\tend,\n})\n"
        )
        says = [
            f"a plantlike node `{plant}` (snappy = 3, walkable false) that can only be placed on `{soil}`: "
            "its "
            "on_place does nothing (returns the itemstack unchanged) unless the pointed node is that soil, "
            "and "
            f"otherwise places normally with minetest.item_place. Register `{soil}` (crumbly = 3) and "
            f"`{p['stone']}` (cracky = 3) as well",
            f"`{plant}` (drawtype plantlike, walkable = false, snappy = 3) may only be planted on `{soil}`: "
            "override on_place to check the node under the pointed position and call minetest.item_place "
            "only "
            f"then. Also register the nodes `{soil}` (crumbly = 3) and `{p['stone']}` (cracky = 3)",
        ]
        if p["group"]:
            says = [s + f"; any node in group soil will do (give `{soil}` soil = 1)" for s in says]
        if p["soil2"]:
            says = [s + f"; `{p['soil2']}` (crumbly = 3) is a soil it may be placed on too" for s in says]
        n = p["n"]
        checks: list[Check] = [
            scenario(
                "planting on the soil uses one item; on stone nothing happens",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": soil},
                {"do": "set_node", "pos": [3, 0, 0], "node": p["stone"]},
                {"do": "place", "player": "p1", "pos": [0, 1, 0], "item": f"{plant} {n}"},
                {"expect": "node", "pos": [0, 1, 0], "name": plant},
                {"expect": "wield", "player": "p1", "item": f"{plant} {n - 1}"},
                {"do": "place", "player": "p1", "pos": [3, 1, 0], "item": f"{plant} {n}"},
                {"expect": "node", "pos": [3, 1, 0], "name": "air"},
                {"expect": "wield", "player": "p1", "item": f"{plant} {n}"},
            ),
            {
                "kind": "lua",
                "desc": "on_place with nothing pointed returns the stack",
                "code": (
                    f'local def = minetest.registered_items["{plant}"] '
                    f'local s = def.on_place(ItemStack("{plant} 3"), nil, {{type = "nothing"}}) '
                    f'return s ~= nil and s:get_count() == 3, "returned " .. tostring(s)'
                ),
            },
        ]
        checks += [
            node_check(plant, {"snappy": 3}, drawtype="plantlike", walkable=False),
            node_check(soil, {"crumbly": 3, **({"soil": 1} if p["group"] else {})}),
            node_check(p["stone"], {"cracky": 3}),
        ]
        names = [plant, soil, p["stone"]]
        if p["soil2"]:
            names.append(p["soil2"])
            checks += [
                node_check(p["soil2"], {"crumbly": 3}),
                scenario(
                    "the second soil takes the plant too",
                    join(),
                    {"do": "set_node", "pos": [0, 0, 0], "node": p["soil2"]},
                    {"do": "place", "player": "p1", "pos": [0, 1, 0], "item": f"{plant} {n}"},
                    {"expect": "node", "pos": [0, 1, 0], "name": plant},
                    {"expect": "wield", "player": "p1", "item": f"{plant} {n - 1}"},
                ),
            ]
        return Feature(self.name, code, checks, says, p, names)


@register
class SeedItemKind(Kind):
    """A craftitem that plants a node on soil and takes one from the stack (take_item)."""

    name = "seed_item"
    tags = ("craftitem", "on_place", "itemstack")
    doc = (
        "A craftitem's `on_place(itemstack, placer, pointed_thing)` runs on right-click with it; "
        '`pointed_thing.type` is "node" when a node is pointed at, with `under` (that node) and `above` '
        "(the position in front of it). `itemstack:take_item(n)` removes n items; return the itemstack "
        "so the change is kept. `minetest.get_node(pos)`, `minetest.set_node(pos, {name = ...})`."
    )
    bugs = (
        Bug(
            "not-returned",
            lambda c, p: sub_once(
                c, "\t\titemstack:take_item()\n\t\treturn itemstack\n", "\t\titemstack:take_item()\n"
            ),
            ("seeds are never used up",),
        ),
        Bug(
            "plant-under",
            lambda c, p: sub_once(
                c,
                f'minetest.set_node(pointed_thing.above, {{name = "{p["crop"]}"}})',
                f'minetest.set_node(pointed_thing.under, {{name = "{p["crop"]}"}})',
            ),
            ("planting replaces the soil instead of growing on it",),
        ),
        Bug(
            "no-air-check",
            lambda c, p: sub_once(c, ' or minetest.get_node(pointed_thing.above).name ~= "air"', ""),
            ("planting overwrites whatever is already on the soil",),
        ),
    )

    changes = (Change("soil-group", _soil_group_change), Change("grass", _seed_grass))

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        plant = rng.choice(("wheat", "bean", "pumpkin", "cotton", "flax", "pepper"))
        return {
            "seed": f"{mod}:{plant}_seed",
            "crop": f"{mod}:{plant}_{m}_sprout",
            "soil": f"{mod}:{rng.choice(('tilled', 'wet', 'rich'))}_{rng.choice(('soil', 'dirt', 'earth'))}",
            "n": rng.randint(3, 30),
            "group": False,
            "grass": None,
        }

    def build(self, p: Params, mod: str) -> Feature:
        seed, crop, soil = p["seed"], p["crop"], p["soil"]
        code = (
            simple_node(soil, _soil_groups(p))
            + simple_node(crop, "snappy = 3", 'drawtype = "plantlike", walkable = false')
            + (simple_node(p["grass"], "snappy = 3", "buildable_to = true") if p["grass"] else "")
            + f'minetest.register_craftitem("{seed}", {{\n\tdescription = "{title(seed)}",\n'
            f'\tinventory_image = "{texture(seed)}",\n'
            "\ton_place = function(itemstack, placer, pointed_thing)\n"
            '\t\tif pointed_thing.type ~= "node" then\n\t\t\treturn itemstack\n\t\tend\n'
            + _on_soil(p, air_above=not p["grass"])
            + (
                "\t\tlocal above = minetest.registered_nodes[minetest.get_node(pointed_thing.above).name]\n"
                "\t\tif not (above and above.buildable_to) then\n\t\t\treturn itemstack\n\t\tend\n"
                if p["grass"]
                else ""
            )
            + f'\t\tminetest.set_node(pointed_thing.above, {{name = "{crop}"}})\n'
            "\t\titemstack:take_item()\n\t\treturn itemstack\n\tend,\n})\n"
        )
        says = [
            f"a craftitem `{seed}` whose on_place plants `{crop}` on the free (air) position above a pointed "
            f"`{soil}` and uses up one seed (take_item, return the itemstack); anywhere else it does "
            "nothing. "
            f"Register `{soil}` (crumbly = 3) and `{crop}` (plantlike, walkable false, snappy = 3)",
            f"seeds: right-clicking `{soil}` with the craftitem `{seed}` sets `{crop}` above it (only if "
            "that "
            "position is air) and removes one seed from the stack; pointing at anything else changes "
            "nothing. "
            f"Also register `{soil}` (crumbly = 3) and the plantlike `{crop}` (snappy = 3, walkable = false)",
        ]
        if p["group"]:
            says = [s + f"; any node in group soil will do (give `{soil}` soil = 1)" for s in says]
        if p["grass"]:
            says = [
                s + f"; it may replace a buildable_to node such as `{p['grass']}` (snappy = 3, buildable_to)"
                for s in says
            ]
        n = p["n"]
        checks: list[Check] = [
            scenario(
                "a seed on soil plants the crop and is used up; elsewhere nothing happens",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": soil},
                {"do": "set_node", "pos": [2, 0, 0], "node": crop},
                {"do": "place", "player": "p1", "pos": [0, 1, 0], "item": f"{seed} {n}"},
                {"expect": "node", "pos": [0, 1, 0], "name": crop},
                {"expect": "node", "pos": [0, 0, 0], "name": soil},
                {"expect": "wield", "player": "p1", "item": f"{seed} {n - 1}"},
                {"do": "place", "player": "p1", "pos": [2, 1, 0], "item": f"{seed} {n}"},
                {"expect": "node", "pos": [2, 1, 0], "name": "air"},
                {"expect": "wield", "player": "p1", "item": f"{seed} {n}"},
            ),
            scenario(
                "a seed does not overwrite what is already on the soil",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": soil},
                {"do": "set_node", "pos": [0, 1, 0], "node": soil},
                {"do": "rightclick_node", "player": "p1", "pos": [0, 0, 0]},
                {"do": "wield", "player": "p1", "item": f"{seed} {n}"},
                {"do": "rightclick_node", "player": "p1", "pos": [0, 0, 0]},
                {"expect": "node", "pos": [0, 1, 0], "name": soil},
                {"expect": "wield", "player": "p1", "item": f"{seed} {n}"},
            ),
        ]
        checks += [
            node_check(crop, {"snappy": 3}, drawtype="plantlike", walkable=False),
            node_check(soil, {"crumbly": 3, **({"soil": 1} if p["group"] else {})}),
        ]
        checks.append(item_check(seed, "craft", on_place={"$type": "function"}))
        names = [seed, crop, soil]
        if p["grass"]:
            names.append(p["grass"])
            checks += [
                node_check(p["grass"], {"snappy": 3}, buildable_to=True),
                scenario(
                    "a seed replaces grass on the soil",
                    join(),
                    {"do": "set_node", "pos": [0, 0, 0], "node": soil},
                    {"do": "set_node", "pos": [0, 1, 0], "node": p["grass"]},
                    {"do": "wield", "player": "p1", "item": f"{seed} {n}"},
                    {"do": "rightclick_node", "player": "p1", "pos": [0, 0, 0]},
                    {"expect": "node", "pos": [0, 1, 0], "name": crop},
                    {"expect": "wield", "player": "p1", "item": f"{seed} {n - 1}"},
                ),
            ]
        return Feature(self.name, code, checks, says, p, names)
