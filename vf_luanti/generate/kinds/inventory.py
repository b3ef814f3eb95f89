"""Inventories: a node inventory (set_size, is_empty, can_dig) and a trade with the player's
inventory (contains_item, remove_item, add_item)."""

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
    register,
    scenario,
    sub_once,
    texture,
    title,
    value_change,
)

_CHESTS = ("chest", "crate", "box", "locker", "barrel")
LISTS = ("storage", "items", "loot", "goods", "stash", "cargo")


def _chest_bigger(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    p = {**p, "h": p["h"] + 1}
    return Changed(
        kind.build(p, mod),
        f'Give `{p["name"]}` one more row: its "{p["list"]}" list gets {p["w"] * p["h"]} slots and the '
        f"formspec list is {p['w']}x{p['h']}.",
        {"kind": "preserve", "desc": "the node's registration stays as it was"},
    )


@register
class ChestKind(Kind):
    """A storage node with an inventory list; it can only be dug while the list is empty."""

    name = "inventory_chest"
    tags = ("node", "inventory", "can_dig", "metadata", "formspec")
    craftable = True
    doc = (
        "`minetest.get_meta(pos):get_inventory()` returns the node's InvRef. `inv:set_size(listname, n)` "
        "creates or resizes a list, `inv:get_size(listname)`, `inv:is_empty(listname)`, "
        "`inv:add_item(listname, stack)` (returns what did not fit), `inv:get_list(listname)`. A node "
        "formspec shows a node list with `list[context;<listname>;x,y;w,h;]` and the player's with "
        "`list[current_player;main;x,y;w,h;]`. The node callback `can_dig(pos, player)` returns whether "
        "the node may be dug."
    )
    bugs = (
        Bug(
            "can-dig-inverted",
            lambda c, p: sub_once(
                c, f'return inv:is_empty("{p["list"]}")', f'return not inv:is_empty("{p["list"]}")'
            ),
            ("empty chests cannot be dug but full ones can, losing the items",),
        ),
        Bug(
            "wrong-list",
            lambda c, p: sub_once(c, f'inv:set_size("{p["list"]}", ', 'inv:set_size("main", '),
            ("the chest's slots do not show up",),
        ),
        Bug(
            "set-size-on-meta",
            lambda c, p: sub_once(
                c, "\t\tlocal inv = meta:get_inventory()\n\t\tinv:set_size(", "\t\tmeta:set_size("
            ),
            ("placing the chest crashes the server",),
        ),
        Bug(
            "can-dig-no-return",
            lambda c, p: sub_once(
                c, f'\t\treturn inv:is_empty("{p["list"]}")', f'\t\tinv:is_empty("{p["list"]}")'
            ),
            ("the chest can never be dug, even when empty",),
        ),
    )
    changes = (
        Change("bigger", _chest_bigger),
        value_change(
            "list",
            LISTS,
            'Rename the inventory list of `{name}` to "{list}" (formspec, size and can_dig too).',
        ),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "name": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(_CHESTS)}",
            "list": rng.choice(LISTS),
            "group": rng.choice(("choppy", "snappy", "cracky")),
            "dig": rng.choice((2, 3)),
            "w": rng.choice((4, 6, 8)),
            "h": rng.choice((1, 2, 3)),
            "fill": rng.randint(2, 30),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, lst, w, h = p["name"], p["list"], p["w"], p["h"]
        size = w * h
        form = f"size[8,{h + 5}]list[context;{lst};0,0.3;{w},{h};]list[current_player;main;0,{h + 1};8,4;]"
        code = (
            f'minetest.register_node("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\ttiles = {{"{texture(name)}"}},\n\tgroups = '
            f"{{{p['group']} = 2, dig_immediate = {p['dig']}}},\n"
            "\ton_construct = function(pos)\n\t\tlocal meta = minetest.get_meta(pos)\n"
            f'\t\tmeta:set_string("formspec", "{form}")\n'
            f'\t\tmeta:set_string("infotext", "{title(name)}")\n'
            f'\t\tlocal inv = meta:get_inventory()\n\t\tinv:set_size("{lst}", {size})\n\tend,\n'
            "\tcan_dig = function(pos, player)\n\t\tlocal inv = minetest.get_meta(pos):get_inventory()\n"
            f'\t\treturn inv:is_empty("{lst}")\n\tend,\n}})\n'
        )
        says = [
            f"a storage node `{name}` ({p['group']} = 2, dig_immediate = {p['dig']}): on_construct gives it "
            "an "
            f'inventory list "{lst}" of {size} slots, the infotext "{title(name)}" and the formspec '
            f'"{form}"; can_dig allows digging only while "{lst}" is empty',
            f"`{name}`, a chest-like node (groups {p['group']} = 2, dig_immediate = {p['dig']}) with a "
            f"{size}-slot "
            f'node inventory list "{lst}" (set in on_construct, along with infotext "{title(name)}" and '
            f'formspec `{form}`). It must refuse to be dug while anything is in "{lst}"',
        ]
        fill = (
            "minetest.get_meta({x = 0, y = 0, z = 0}):get_inventory()"
            f':add_item("{lst}", "{name} {p["fill"]}")'
        )
        checks: list[Check] = [
            {
                "kind": "item",
                "desc": f"{name} is a node with can_dig",
                "name": name,
                "type": "node",
                "fields": {
                    "description": title(name),
                    "groups": {"$exact": {p["group"]: 2, "dig_immediate": p["dig"]}},
                    "can_dig": {"$type": "function"},
                },
            },
            scenario(
                f"a placed {name} has its list, infotext and formspec",
                {"do": "set_node", "pos": [0, 0, 0], "node": name},
                {"expect": "inventory", "pos": [0, 0, 0], "list": lst, "size": size},
                {"expect": "meta", "pos": [0, 0, 0], "key": "infotext", "value": title(name)},
                {"expect": "meta", "pos": [0, 0, 0], "key": "formspec", "value": form},
            ),
            scenario(
                "a filled chest cannot be dug; an empty one can",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": name},
                {"do": "set_node", "pos": [2, 0, 0], "node": name},
                {"do": "lua", "code": fill},
                {"do": "dig", "player": "p1", "pos": [0, 0, 0]},
                {"expect": "node", "pos": [0, 0, 0], "name": name},
                {"expect": "inventory", "pos": [0, 0, 0], "list": lst, "count": p["fill"]},
                {"do": "dig", "player": "p1", "pos": [2, 0, 0]},
                {"expect": "node", "pos": [2, 0, 0], "name": "air"},
                {"expect": "inventory", "player": "p1", "contains": name},
            ),
        ]
        return Feature(self.name, code, checks, says, p, [name])


def _trade_price(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    p = {**p, "price": p["price"] + rng.randint(1, 3)}
    return Changed(
        kind.build(p, mod),
        f"Raise the price at `{p['name']}`: a trade now costs {p['price']} `{p['coin']}`.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


@register
class TradeKind(Kind):
    """A trading node: right-clicking pays from the player's inventory and gives goods."""

    name = "inventory_trade"
    tags = ("node", "inventory", "on_rightclick", "player inventory")
    doc = (
        '`player:get_inventory()` returns the player\'s InvRef; the main inventory is the list "main". '
        '`inv:contains_item(listname, "item count")` is true when the list holds at least that many '
        '(over all slots); `inv:remove_item(listname, "item count")` takes them out; '
        '`inv:add_item(listname, "item count")` adds and returns the leftover stack. '
        "Node callback: `on_rightclick(pos, node, clicker, itemstack, pointed_thing)`."
    )
    bugs = (
        Bug(
            "contains-without-count",
            lambda c, p: sub_once(
                c,
                f'inv:contains_item("main", "{p["coin"]} {p["price"]}")',
                f'inv:contains_item("main", "{p["coin"]}")',
            ),
            ("players with too few coins still get goods",),
        ),
        Bug(
            "not-paid",
            lambda c, p: sub_once(c, f'\t\tinv:remove_item("main", "{p["coin"]} {p["price"]}")\n', ""),
            ("trading is free: the coins are never taken",),
        ),
        Bug(
            "list-typo",
            lambda c, p: sub_once(c, 'inv:add_item("main", ', 'inv:add_item("mian", '),
            ("players pay but never receive the goods",),
        ),
        Bug(
            "clicker-name",
            lambda c, p: sub_once(
                c,
                "\t\tlocal inv = clicker:get_inventory()\n",
                "\t\tlocal inv = minetest.get_inventory(clicker)\n",
            ),
            ("right-clicking the trader crashes the server",),
        ),
    )
    changes = (
        Change("price", _trade_price),
        value_change("amount", (1, 2, 3, 4, 5), "Make `{name}` give {amount} `{good}` per trade."),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        return {
            "name": f"{mod}:{m}_{rng.choice(('trader', 'exchange', 'vendor', 'market'))}",
            "coin": f"{mod}:{rng.choice(('coin', 'token', 'shell', 'gem'))}",
            "good": f"{mod}:{m}_{rng.choice(('ration', 'scroll', 'potion', 'charm'))}",
            "price": rng.randint(2, 9),
            "amount": rng.randint(1, 5),
            "extra": rng.randint(1, 7),
            "full": rng.choice(
                ("Your bags are full.", "No room in your inventory.", "Make some room first.")
            ),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, coin, good, price, amount = p["name"], p["coin"], p["good"], p["price"], p["amount"]
        need = f"You need {price} {title(coin)}."
        code = (
            f'minetest.register_craftitem("{coin}", '
            f'{{description = "{title(coin)}", inventory_image = "{texture(coin)}"}})\n'
            f'minetest.register_craftitem("{good}", '
            f'{{description = "{title(good)}", inventory_image = "{texture(good)}"}})\n\n'
            f'minetest.register_node("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\ttiles = {{"{texture(name)}"}},\n\tgroups = {{cracky = 2}},\n'
            "\ton_rightclick = function(pos, node, clicker, itemstack)\n"
            "\t\tlocal inv = clicker:get_inventory()\n\t\tlocal name = clicker:get_player_name()\n"
            f'\t\tif not inv:contains_item("main", "{coin} {price}") then\n'
            f'\t\t\tminetest.chat_send_player(name, "{need}")\n\t\t\treturn\n\t\tend\n'
            f'\t\tif not inv:room_for_item("main", "{good} {amount}") then\n'
            f'\t\t\tminetest.chat_send_player(name, "{p["full"]}")\n\t\t\treturn\n\t\tend\n'
            f'\t\tinv:remove_item("main", "{coin} {price}")\n'
            f'\t\tinv:add_item("main", "{good} {amount}")\n'
            f'\t\tminetest.chat_send_player(name, "Thank you!")\n\tend,\n}})\n'
        )
        says = [
            f"craftitems `{coin}` and `{good}`, and a trader node `{name}` (cracky = 2): right-clicking it "
            f"with at least {price} `{coin}` in the main inventory takes {price} of them, gives {amount} "
            f'`{good}` and says "Thank you!"; with fewer it only tells the player "{need}"',
            f"a vending node `{name}` (groups cracky = 2) selling {amount} `{good}` for {price} `{coin}` "
            "(register "
            f'both craftitems): on right-click, if the clicker\'s "main" list holds {price} coins, remove '
            "them, "
            f'add the goods and send "Thank you!", otherwise send "{need}" and change nothing',
        ]
        says = [
            s + f'; when the goods do not fit in the main list (room_for_item) it only says "{p["full"]}"'
            for s in says
        ]
        have = price + p["extra"]
        fill = (
            'local inv = minetest.get_player_by_name("p1"):get_inventory() '
            f'for i = 1, inv:get_size("main") do inv:set_stack("main", i, "{coin} 99") end'
        )
        checks: list[Check] = [
            scenario(
                f"paying {price} {coin} buys {amount} {good}",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": name},
                {"do": "wield", "player": "p1", "item": name},
                {"do": "give", "player": "p1", "item": f"{coin} {have}"},
                {"do": "rightclick_node", "player": "p1", "pos": [0, 0, 0]},
                {"expect": "inventory", "player": "p1", "contains": f"{good} {amount}"},
                {"expect": "inventory", "player": "p1", "lacks": f"{good} {amount + 1}"},
                {"expect": "inventory", "player": "p1", "contains": f"{coin} {have - price}"},
                {"expect": "inventory", "player": "p1", "lacks": f"{coin} {have - price + 1}"},
                {"expect": "chat", "player": "p1", "message": "Thank you!"},
            ),
            scenario(
                "with too few coins nothing changes",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": name},
                {"do": "wield", "player": "p1", "item": name},
                {"do": "give", "player": "p1", "item": f"{coin} {price - 1}"},
                {"do": "rightclick_node", "player": "p1", "pos": [0, 0, 0]},
                {"expect": "inventory", "player": "p1", "lacks": good},
                {"expect": "inventory", "player": "p1", "contains": f"{coin} {price - 1}"},
                {"expect": "chat", "player": "p1", "message": need},
            ),
            scenario(
                "with a full inventory nothing is sold",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": name},
                {"do": "lua", "code": fill},
                {"do": "rightclick_node", "player": "p1", "pos": [0, 0, 0]},
                {"expect": "chat", "player": "p1", "message": p["full"]},
                {"expect": "inventory", "player": "p1", "lacks": good},
                {"expect": "inventory", "player": "p1", "count": {"$range": [99 * 8, 99 * 64]}},
            ),
        ]
        checks += [item_check(coin, "craft"), item_check(good, "craft"), node_check(name, {"cracky": 2})]
        return Feature(self.name, code, checks, says, p, [name, coin, good])
