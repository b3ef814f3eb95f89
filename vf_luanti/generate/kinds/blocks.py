"""Nodes with behaviour: punch toggles, right-click counters, node timers and ABMs."""

from __future__ import annotations

import random
from typing import Any

from ..base import (
    MATERIALS,
    SHAPES,
    Bug,
    Change,
    Changed,
    Feature,
    Kind,
    Params,
    node_check,
    register,
    rename_item,
    simple_node,
    sub_once,
    texture,
    title,
    value_change,
)


@register
class ToggleKind(Kind):
    name = "toggle"
    tags = ("node", "on_punch", "swap_node")
    doc = (
        "Node callback `on_punch(pos, node, puncher, pointed_thing)` runs when a player punches the "
        "node. `minetest.swap_node(pos, {name = ...})` changes the node but keeps its metadata and does "
        "not call on_construct/on_destruct. `drop` names the item dug nodes give."
    )
    bugs = (
        Bug(
            "never-off",
            lambda c, p: sub_once(
                c, f'swap_node(pos, {{name = "{p["off"]}"}})', f'swap_node(pos, {{name = "{p["on"]}"}})'
            ),
            ("the lamp never turns off", "once lit, the lamp stays on"),
        ),
        Bug(
            "swap-string",
            lambda c, p: sub_once(
                c, f'swap_node(pos, {{name = "{p["on"]}"}})', f'swap_node(pos, "{p["on"]}")'
            ),
            ("punching the lamp crashes the server",),
        ),
        Bug(
            "drop-self",
            lambda c, p: sub_once(c, f'\tdrop = "{p["off"]}",\n', ""),
            ("digging a lit lamp gives a lit lamp item",),
        ),
    )

    changes = (
        value_change(
            "light",
            tuple(range(5, 15)),
            "Make the lit lamp `{on}` shine at light level {light}.",
            {"on": ["light_source"]},
        ),
        rename_item("on"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        base = f"{mod}:{rng.choice(MATERIALS)}_lamp"
        return {"off": base + "_off", "on": base + "_on", "light": rng.randint(5, 14)}

    def build(self, p: Params, mod: str) -> Feature:
        code = (
            f'minetest.register_node("{p["off"]}", {{\n\tdescription = "{title(p["off"])}",\n'
            f'\ttiles = {{"{texture(p["off"])}"}},\n\tgroups = {{cracky = 3}},\n'
            f'\ton_punch = function(pos, node)\n\t\tminetest.swap_node(pos, {{name = "{p["on"]}"}})\n'
            "\tend,\n})\n"
            f'minetest.register_node("{p["on"]}", {{\n\tdescription = "{title(p["on"])}",\n'
            f'\ttiles = {{"{texture(p["on"])}"}},\n'
            "\tgroups = {cracky = 3, not_in_creative_inventory = 1},\n"
            f'\tparamtype = "light",\n\tlight_source = {p["light"]},\n\tdrop = "{p["off"]}",\n'
            f'\ton_punch = function(pos, node)\n\t\tminetest.swap_node(pos, {{name = "{p["off"]}"}})\n'
            "\tend,\n})\n"
        )
        says = [
            f"a lamp: `{p['off']}` and `{p['on']}` (light_source {p['light']}, drops `{p['off']}`, "
            f"not_in_creative_inventory = 1); punching either switches to the other; both cracky = 3",
            f"a punch-operated lamp made of two nodes, `{p['off']}` (unlit) and `{p['on']}` (lit, "
            f"light_source {p['light']}, drop `{p['off']}`, not_in_creative_inventory = 1), both "
            "cracky = 3: a punch swaps one for the other",
        ]
        checks = [
            {
                "kind": "item",
                "desc": f"{p['on']} glows and drops the off lamp",
                "name": p["on"],
                "type": "node",
                "fields": {
                    "description": title(p["on"]),
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
                    "description": title(p["off"]),
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
        return Feature(self.name, code, checks, says, p, [p["off"], p["on"]])


@register
class CounterKind(Kind):
    name = "counter"
    tags = ("node", "on_rightclick", "metadata")
    doc = (
        "Node callback `on_rightclick(pos, node, clicker, itemstack, pointed_thing)`. "
        "`minetest.get_meta(pos)` returns the node's metadata: `get_int(key)` (0 when unset), "
        '`set_int(key, n)`, `set_string(key, s)`; the string "infotext" is shown when pointing at it.'
    )
    bugs = (
        Bug(
            "wrong-key",
            lambda c, p: sub_once(c, f'meta:set_int("{p["key"]}", n)', f'meta:set_int("{p["key"]}_", n)'),
            ("the count never goes past 1",),
        ),
        Bug(
            "get-string-arith",
            lambda c, p: sub_once(c, f'meta:get_int("{p["key"]}") + 1', f'meta:get_string("{p["key"]}") + 1'),
            ("the first right-click crashes the server",),
        ),
        Bug(
            "dot-call",
            lambda c, p: sub_once(c, "meta:set_int(", "meta.set_int("),
            ("right-clicking the counter raises an error",),
        ),
    )

    changes = (
        value_change(
            "label",
            ("Clicks", "Count", "Used", "Presses", "Taps"),
            'Make `{name}` show "{label}: N" as its infotext instead.',
        ),
        value_change(
            "key",
            ("clicks", "count", "uses", "presses", "taps"),
            'Keep the click count of `{name}` in the meta integer "{key}" instead.',
        ),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "name": f"{mod}:{rng.choice(MATERIALS)}_counter",
            "key": rng.choice(("clicks", "count", "uses", "presses", "taps")),
            "label": rng.choice(("Clicks", "Count", "Used", "Presses", "Taps")),
            "times": rng.randint(2, 5),
        }

    def build(self, p: Params, mod: str) -> Feature:
        code = (
            f'minetest.register_node("{p["name"]}", {{\n\tdescription = "{title(p["name"])}",\n'
            f'\ttiles = {{"{texture(p["name"])}"}},\n\tgroups = {{choppy = 2}},\n'
            f"\ton_rightclick = function(pos, node, clicker, itemstack)\n"
            f"\t\tlocal meta = minetest.get_meta(pos)\n"
            f'\t\tlocal n = meta:get_int("{p["key"]}") + 1\n'
            f'\t\tmeta:set_int("{p["key"]}", n)\n'
            f'\t\tmeta:set_string("infotext", "{p["label"]}: " .. n)\n\tend,\n}})\n'
        )
        says = [
            f"a node `{p['name']}` (choppy = 2) that counts right-clicks in its metadata integer "
            f'"{p["key"]}" and shows "{p["label"]}: N" as infotext',
            f"a click counter `{p['name']}` (groups choppy = 2): each right-click adds one to the "
            f'node\'s meta int "{p["key"]}" and sets the infotext to "{p["label"]}: <count>"',
        ]
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
                "fields": {
                    "description": title(p["name"]),
                    "groups": {"$exact": {"choppy": 2}},
                    "on_rightclick": {"$type": "function"},
                },
            },
            {"kind": "scenario", "desc": f"{p['times']} right-clicks count to {p['times']}", "steps": steps},
        ]
        return Feature(self.name, code, checks, says, p, [p["name"]])


def _timer_slower(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    p = {**p, "secs": p["secs"] + rng.randint(3, 20)}
    return Changed(
        kind.build(p, mod),
        f"Make the sapling `{p['seed']}` take {p['secs']} seconds to grow instead.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


@register
class TimerKind(Kind):
    name = "timer"
    tags = ("node", "node_timer", "on_construct")
    doc = (
        "`minetest.get_node_timer(pos)` returns a NodeTimerRef: `start(timeout)` starts it; after "
        "`timeout` seconds the node's `on_timer(pos, elapsed)` callback runs (return true to run again). "
        "`on_construct(pos)` runs when the node is placed or set."
    )
    bugs = (
        Bug(
            "never-started",
            lambda c, p: sub_once(c, f":start({p['secs']})", ""),
            ("the sapling never grows",),
        ),
        Bug(
            "timer-field-typo",
            lambda c, p: sub_once(c, "\ton_timer = function", "\ton_time = function"),
            ("saplings never turn into trees",),
        ),
        Bug(
            "timer-dot",
            lambda c, p: sub_once(
                c, "minetest.get_node_timer(pos):start(", "minetest.get_node_timer(pos).start("
            ),
            ("placing a sapling crashes the server",),
        ),
    )
    changes = (
        Change("slower", _timer_slower),
        rename_item("seed"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        return {"seed": f"{mod}:{m}_sapling", "grown": f"{mod}:{m}_tree", "secs": rng.randint(2, 30)}

    def build(self, p: Params, mod: str) -> Feature:
        code = (
            simple_node(p["grown"], "choppy = 2")
            + f'minetest.register_node("{p["seed"]}", {{\n\tdescription = "{title(p["seed"])}",\n'
            f'\tdrawtype = "plantlike",\n\ttiles = {{"{texture(p["seed"])}"}},\n'
            f"\tgroups = {{snappy = 3}},\n\ton_construct = function(pos)\n"
            f"\t\tminetest.get_node_timer(pos):start({p['secs']})\n\tend,\n"
            "\ton_timer = function(pos)\n"
            f'\t\tminetest.set_node(pos, {{name = "{p["grown"]}"}})\n\tend,\n}})\n'
        )
        says = [
            f"a plantlike sapling `{p['seed']}` (snappy = 3) that starts a {p['secs']} s node timer when "
            f"placed and then becomes `{p['grown']}` (a choppy = 2 node you also register)",
            f"a sapling `{p['seed']}` (drawtype plantlike, snappy = 3) that grows into `{p['grown']}` "
            f"(register it too, choppy = 2) {p['secs']} seconds after it is placed, using a node timer",
        ]
        checks = [
            {
                "kind": "item",
                "desc": f"{p['seed']} is a plantlike node with on_construct and on_timer",
                "name": p["seed"],
                "type": "node",
                "fields": {
                    "description": title(p["seed"]),
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
                "fields": {"description": title(p["grown"]), "groups": {"$exact": {"choppy": 2}}},
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
        return Feature(self.name, code, checks, says, p, [p["seed"], p["grown"]])


def _abm_slower(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    p = {**p, "interval": p["interval"] * 2}
    return Changed(
        kind.build(p, mod),
        f"Halve the speed of the ABM that turns `{p['from']}` into `{p['to']}`: make its interval "
        f"{p['interval']} seconds.",
        {"kind": "preserve", "desc": "the nodes stay as they were", "except": [p["from"]]},
    )


@register
class AbmKind(Kind):
    name = "abm"
    tags = ("abm", "set_node")
    doc = (
        "`minetest.register_abm(def)`: an Active Block Modifier. `nodenames` lists the nodes it acts on, "
        "`neighbors` requires one of these nodes next to them, `interval` (seconds) and `chance` (1 in N "
        "per interval) control frequency, `action(pos, node)` runs for each match. "
        "`minetest.set_node(pos, {name = ...})` replaces a node."
    )
    bugs = (
        Bug(
            "set-node-string",
            lambda c, p: sub_once(
                c, f'minetest.set_node(pos, {{name = "{p["to"]}"}})', f'minetest.set_node(pos, "{p["to"]}")'
            ),
            ("the ABM raises an error",),
        ),
        Bug(
            "neighbours-spelling",
            lambda c, p: sub_once(c, "\tneighbors = ", "\tneighbours = "),
            ("the conversion also happens far from the source node",),
        ),
        Bug(
            "nodenames-string",
            lambda c, p: sub_once(c, f'\tnodenames = {{"{p["from"]}"}},', f'\tnodename = "{p["from"]}",'),
            ("nothing is ever converted",),
        ),
    )
    changes = (
        Change("slower", _abm_slower),
        rename_item("from"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        a, b, c = rng.sample(MATERIALS, 3)
        return {
            "from": f"{mod}:{a}_{rng.choice(SHAPES)}",
            "to": f"{mod}:{b}_{rng.choice(SHAPES)}",
            "near": f"{mod}:{c}_source",
            "interval": rng.choice((1, 2, 5, 10, 30)),
        }

    def build(self, p: Params, mod: str) -> Feature:
        nodes = "".join(
            f'minetest.register_node("{n}", {{description = "{title(n)}", tiles = {{"{texture(n)}"}}}})\n'
            for n in (p["from"], p["to"], p["near"])
        )
        code = nodes + (
            f'minetest.register_abm({{\n\tlabel = "{title(p["from"])} turns into {title(p["to"])}",\n'
            f'\tnodenames = {{"{p["from"]}"}},\n\tneighbors = {{"{p["near"]}"}},\n'
            f"\tinterval = {p['interval']},\n\tchance = 1,\n"
            "\taction = function(pos, node)\n"
            f'\t\tminetest.set_node(pos, {{name = "{p["to"]}"}})\n\tend,\n}})\n'
        )
        says = [
            f"three nodes `{p['from']}`, `{p['to']}` and `{p['near']}`, and an ABM (interval "
            f"{p['interval']}, chance 1) that turns `{p['from']}` next to `{p['near']}` into `{p['to']}`",
            f"an ABM (every {p['interval']} s, chance 1) converting `{p['from']}` into `{p['to']}` "
            f"wherever it touches `{p['near']}`; register all three nodes",
        ]
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
        checks += [node_check(n) for n in (p["from"], p["to"], p["near"])]
        return Feature(self.name, code, checks, says, p, [p["from"], p["to"], p["near"]])
