"""Time: globalsteps, minetest.after jobs (and cancelling them), and LBMs."""

from __future__ import annotations

import random

from ..base import (
    MATERIALS,
    NAMED_CALLBACK,
    SHAPES,
    Bug,
    Change,
    Changed,
    Check,
    Feature,
    Kind,
    Params,
    join,
    node_check,
    online_command,
    register,
    scenario,
    simple_node,
    sub_once,
    title,
    value_change,
)


def _regen_period(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    p = {**p, "period": p["period"] + rng.randint(1, 4)}
    return Changed(
        kind.build(p, mod),
        f"Slow the regeneration down: one HP every {p['period']} seconds.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
        [{"kind": "callback", "desc": "still one globalstep", "event": "globalstep", "count": 1}],
    )


@register
class GlobalstepRegenKind(Kind):
    """Health regeneration for everyone online from a globalstep timer."""

    name = "globalstep_regen"
    tags = ("globalstep", "player", "hp")
    exclusive = frozenset(("globalstep-count", "hp-over-time"))
    doc = (
        "`minetest.register_globalstep(function(dtime))` runs every server step; `dtime` is the seconds "
        "since the previous step (about 0.09), so add it up to act every N seconds and subtract N when "
        "acting. `minetest.get_connected_players()` lists the online players' ObjectRefs; "
        "`player:get_hp()`, `player:set_hp(hp)` (hp_max is 20)."
    )
    bugs = (
        Bug(
            "timer-not-reset",
            lambda c, p: sub_once(c, f"\ttimer = timer - {p['period']}\n", ""),
            ("after the first heal, players heal every step",),
        ),
        Bug(
            "steps-not-seconds",
            lambda c, p: sub_once(c, "\ttimer = timer + dtime\n", "\ttimer = timer + 1\n"),
            ("players heal far too fast",),
        ),
        Bug(
            "dead-healed",
            lambda c, p: sub_once(c, "\t\tif hp > 0 and hp < 20 then\n", "\t\tif hp < 20 then\n"),
            ("dead players come back to life by themselves",),
        ),
    )
    changes = (
        Change("period", _regen_period),
        NAMED_CALLBACK,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {"period": rng.randint(2, 6), "hp": rng.randint(3, 15)}

    def build(self, p: Params, mod: str) -> Feature:
        n = p["period"]
        code = (
            "local timer = 0\n\nminetest.register_globalstep(function(dtime)\n\ttimer = timer + dtime\n"
            f"\tif timer < {n} then\n\t\treturn\n\tend\n\ttimer = timer - {n}\n"
            "\tfor _, player in ipairs(minetest.get_connected_players()) do\n\t\tlocal hp = player:get_hp()\n"
            "\t\tif hp > 0 and hp < 20 then\n\t\t\tplayer:set_hp(hp + 1)\n\t\tend\n\tend\nend)\n"
        )
        says = [
            f"health regeneration: a globalstep that, every {n} seconds of game time, gives each connected "
            "player who is alive and below 20 HP one HP back (count dtime in a local timer)",
            f"every {n} s (sum dtime in a globalstep), each online player with 1-19 HP regains 1 HP; dead "
            "players stay dead",
        ]
        hp = p["hp"]
        checks: list[Check] = [
            {"kind": "callback", "desc": "one globalstep", "event": "globalstep", "count": 1},
            scenario(
                f"one HP every {n} s, not faster",
                join("p1"),
                join("p2"),
                join("p3"),
                join("p4"),
                {"do": "set_hp", "player": "p1", "hp": hp},
                {"do": "set_hp", "player": "p2", "hp": 0},
                {"do": "set_hp", "player": "p3", "hp": 19},
                {"do": "set_hp", "player": "p4", "hp": 1},
                {"do": "step", "seconds": n - 0.75, "dtime": 0.25},
                {"expect": "hp", "player": "p1", "value": hp},
                {"do": "step", "seconds": 1, "dtime": 0.25},
                {"expect": "hp", "player": "p1", "value": hp + 1},
                {"expect": "hp", "player": "p3", "value": 20},
                {"expect": "hp", "player": "p4", "value": 2},
                {"do": "step", "seconds": 2 * n, "dtime": 0.25},
                {"expect": "hp", "player": "p1", "value": hp + 3},
                {"expect": "hp", "player": "p2", "value": 0},
            ),
        ]
        return Feature(self.name, code, checks, says, p)


def _countdown_delay(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """Another delay, at least 3 s away (closer ones the scenario's timing cannot tell apart)."""
    delay = rng.choice([d for d in range(3, 16) if abs(d - p["delay"]) >= 3])
    p = {**p, "delay": delay}
    return Changed(
        kind.build(p, mod),
        f"Make `/{p['cmd']}` wait {delay} seconds instead (its reply says so too).",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


@register
class AfterCountdownKind(Kind):
    """A delayed heal with minetest.after, restarted (job:cancel) when asked again."""

    name = "after_countdown"
    tags = ("after", "chatcommand", "hp")
    exclusive = frozenset(("hp-over-time",))
    doc = (
        "`minetest.after(seconds, func, ...)` calls `func(...)` once after that many seconds and returns a "
        "job; `job:cancel()` stops it from running. Pass the player's *name* and look the player up "
        "again with `minetest.get_player_by_name(name)` when the job runs: the player may have left "
        "(nil). `player:get_hp()`, `player:set_hp(hp)`."
    )
    bugs = (
        Bug(
            "no-nil-check",
            lambda c, p: sub_once(c, "\t\tif not player then\n\t\t\treturn\n\t\tend\n", ""),
            ("the server crashes when a player leaves during the countdown",),
        ),
        Bug(
            "not-cancelled",
            lambda c, p: sub_once(c, "\t\tif jobs[name] then\n\t\t\tjobs[name]:cancel()\n\t\tend\n", ""),
            ("using the command twice heals twice",),
        ),
        Bug(
            "called-now",
            lambda c, p: sub_once(
                c,
                f"minetest.after({p['delay']}, finish, name)",
                f"minetest.after({p['delay']}, finish(name))",
            ),
            ("the command heals at once and then crashes the server",),
        ),
    )

    changes = (
        Change("delay", _countdown_delay),
        value_change(
            "done",
            ("You feel better.", "Rested.", "Healed up.", "All better."),
            'Change the message after the wait of `/{cmd}` to "{done}".',
        ),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "cmd": rng.choice(("rest", "meditate", "bandage", "sleep", "pray")) + str(rng.randint(1, 99)),
            "delay": rng.randint(3, 12),
            "amount": rng.randint(2, 6),
            "hp": rng.randint(1, 10),
            "done": rng.choice(("You feel better.", "Rested.", "Healed up.", "All better.")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        d, amt = p["delay"], p["amount"]
        code = (
            "local jobs = {}\n\nlocal function finish(name)\n\tjobs[name] = nil\n"
            "\tlocal player = minetest.get_player_by_name(name)\n"
            "\t\tif not player then\n\t\t\treturn\n\t\tend\n"
            f"\tplayer:set_hp(player:get_hp() + {amt})\n"
            f'\tminetest.chat_send_player(name, "{p["done"]}")\nend\n\n'
            f'minetest.register_chatcommand("{p["cmd"]}", {{\n\tdescription = "Heal after a while",\n'
            "\tfunc = function(name)\n\t\tif jobs[name] then\n\t\t\tjobs[name]:cancel()\n\t\tend\n"
            f"\t\tjobs[name] = minetest.after({d}, finish, name)\n"
            f'\t\treturn true, "Wait {d} seconds..."\n\tend,\n}})\n'
        )
        says = [
            f'a command `/{p["cmd"]}` replying "Wait {d} seconds..."; {d} seconds later (minetest.after) the '
            f'caller gains {amt} HP and is told "{p["done"]}". Using it again before then restarts the wait '
            "(cancel the pending job); nothing happens for a player who left meanwhile",
            f'`/{p["cmd"]}` schedules, with minetest.after, a heal of {amt} HP and the message "{p["done"]}" '
            f'{d} s later and answers "Wait {d} seconds..."; a second use cancels the first job and starts '
            "a new one; look the player up by name when the job runs (they may be gone)",
        ]
        hp, name = p["hp"], "p1"
        checks: list[Check] = [
            scenario(
                f"the heal comes {d} s later, once, restarted by a second use",
                join(name),
                {"do": "set_hp", "player": name, "hp": hp},
                {"do": "chat", "player": name, "message": f"/{p['cmd']}"},
                {"do": "step", "seconds": d - 1.5, "dtime": 0.25},
                {"expect": "hp", "player": name, "value": hp},
                {"do": "chat", "player": name, "message": f"/{p['cmd']}"},
                {"do": "step", "seconds": 2, "dtime": 0.25},
                {"expect": "hp", "player": name, "value": hp},
                {"do": "step", "seconds": d, "dtime": 0.25},
                {"expect": "hp", "player": name, "value": hp + amt},
                {"expect": "chat", "player": name, "contains": p["done"], "count": 1},
            ),
            scenario(
                "a player who leaves during the wait does not crash the server",
                join(name),
                join("p2"),
                {"do": "chat", "player": name, "message": f"/{p['cmd']}"},
                {"do": "leave", "player": name},
                {"do": "step", "seconds": d + 1, "dtime": 0.25},
                {"expect": "chat", "player": "p2", "lacks": p["done"]},
            ),
            {"kind": "calls", "desc": "the delay is a minetest.after job", "fn": "minetest.after"},
        ]
        note, cmd_checks = online_command(p["cmd"], "Heal after a while")
        says = [s + note for s in says]
        checks += cmd_checks
        return Feature(self.name, code, checks, says, p)


_FACEDIR = 'paramtype2 = "facedir"'


def _lbm_every_load(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """The LBM runs on every load (a schematic mod keeps placing the legacy node)."""
    if p["every"]:
        return None
    return Changed(
        kind.build({**p, "every": True}, mod),
        f"A schematic mod keeps placing `{p['old']}` in new chunks: make `{p['lbm']}` run every time a "
        "block with the legacy node loads, not once per block.",
        {"kind": "preserve", "desc": "the nodes and the LBM's node names stay as they were"},
    )


def _lbm_rename(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """A new LBM name, so that the upgrade runs once more over blocks the old name has done (the
    engine remembers which LBM names ran where)."""
    suffix = rng.choice(("_v2", "_again", "_2"))
    if p["lbm"].endswith(suffix):
        return None
    new = {**p, "lbm": p["lbm"] + suffix}
    return Changed(
        kind.build(new, mod),
        f"Rename the LBM to `{new['lbm']}` so that it runs once more over blocks it has already upgraded.",
        {"kind": "preserve", "desc": "the new node stays as it was", "except": [p["old"]]},
    )


@register
class LbmUpgradeKind(Kind):
    """An LBM that replaces a legacy node by its successor when map blocks load."""

    name = "lbm_upgrade"
    tags = ("lbm", "node", "swap_node")
    doc = (
        '`minetest.register_lbm({name = "mod:lbmname", label = ..., nodenames = {...}, run_at_every_load '
        "= bool, action = function(pos, node, dtime_s)})`: a Loading Block Modifier runs `action` for each "
        "matching node when its map block is loaded (once per block when run_at_every_load is false; every "
        "load when true). `minetest.swap_node(pos, {name = ..., param2 = ...})` replaces a node keeping "
        "its metadata."
    )
    bugs = (
        Bug(
            "no-name",
            lambda c, p: sub_once(c, f'\tname = "{p["lbm"]}",\n', ""),
            ("the mod fails to load",),
        ),
        Bug(
            "param2-lost",
            lambda c, p: sub_once(
                c, f'{{name = "{p["new"]}", param2 = node.param2}}', f'{{name = "{p["new"]}"}}'
            ),
            ("upgraded nodes lose their rotation",),
        ),
        Bug(
            "set-node",
            lambda c, p: sub_once(c, "\t\tminetest.swap_node(pos, ", "\t\tminetest.set_node(pos, "),
            ("upgraded nodes lose their stored text",),
        ),
    )

    changes = (Change("every", _lbm_every_load), Change("rename", _lbm_rename))

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        shape = rng.choice(SHAPES)
        return {
            "old": f"{mod}:old_{m}_{shape}",
            "new": f"{mod}:{m}_{shape}",
            "lbm": f"{mod}:upgrade_{m}_{shape}",
            "param2": rng.randint(1, 23),
            "note": rng.choice(("built by bob", "keep", "v1", "north wall")),
            "every": False,
        }

    def build(self, p: Params, mod: str) -> Feature:
        code = (
            simple_node(p["new"]).replace(
                "groups = {cracky = 3}", 'groups = {cracky = 3}, paramtype2 = "facedir"'
            )
            + simple_node(p["old"]).replace(
                "groups = {cracky = 3}",
                'groups = {cracky = 3, not_in_creative_inventory = 1}, paramtype2 = "facedir"',
            )
            + f'\nminetest.register_lbm({{\n\tname = "{p["lbm"]}",\n\tlabel = "Upgrade {title(p["old"])}",\n'
            f'\tnodenames = {{"{p["old"]}"}},\n\trun_at_every_load = {"true" if p["every"] else "false"},\n'
            "\taction = function(pos, node)\n"
            f'\t\tminetest.swap_node(pos, {{name = "{p["new"]}", param2 = node.param2}})\n\tend,\n}})\n'
        )
        once = "run_at_every_load true" if p["every"] else "run_at_every_load false"
        when = "every time a block with one loads" if p["every"] else "once per block"
        says = [
            f"two facedir nodes, `{p['new']}` (cracky = 3) and the legacy `{p['old']}` (cracky = 3, "
            f"not_in_creative_inventory = 1), and an LBM `{p['lbm']}` ({once}) that swaps "
            "every legacy node it finds for the new one, keeping param2 and metadata",
            f"an LBM named `{p['lbm']}` upgrading old maps: each `{p['old']}` becomes `{p['new']}` with the "
            f"same param2 (minetest.swap_node, so metadata stays), {when}. Register both nodes: "
            "cracky "
            f'= 3, paramtype2 "facedir", and not_in_creative_inventory = 1 for `{p["old"]}`',
        ]
        checks: list[Check] = [
            {"kind": "lbm", "desc": "the upgrade LBM", "nodenames": [p["old"]], "name": p["lbm"]},
            {
                "kind": "item",
                "desc": f"{p['old']} is a hidden legacy node",
                "name": p["old"],
                "type": "node",
                "fields": {
                    "groups": {"$exact": {"cracky": 3, "not_in_creative_inventory": 1}},
                    "paramtype2": "facedir",
                },
            },
            {
                "kind": "lua",
                "desc": f"the LBM runs {when} and swaps the node, keeping param2 and metadata",
                "code": (
                    "local l for _, d in ipairs(minetest.registered_lbms) do "
                    f'if d.name == "{p["lbm"]}" then l = d end end '
                    'if not l then return false, "no such LBM" end '
                    f"if {'not ' if p['every'] else ''}l.run_at_every_load then "
                    'return false, "run_at_every_load" end '
                    f"local p = {{x = 2, y = 0, z = 3}} "
                    f'minetest.set_node(p, {{name = "{p["old"]}", param2 = {p["param2"]}}}) '
                    f'minetest.get_meta(p):set_string("note", "{p["note"]}") '
                    "l.action(p, minetest.get_node(p), 0) "
                    "local n = minetest.get_node(p) "
                    f'return n.name == "{p["new"]}" and n.param2 == {p["param2"]} '
                    f'and minetest.get_meta(p):get_string("note") == "{p["note"]}", dump(n)'
                ),
            },
        ]
        checks.append(node_check(p["new"], {"cracky": 3}, paramtype2="facedir"))
        return Feature(self.name, code, checks, says, p, [p["old"], p["new"]])
