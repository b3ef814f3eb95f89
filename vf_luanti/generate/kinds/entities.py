"""Entities: registration, staticdata round trips, on_step timers, velocities, right-click/punch."""

from __future__ import annotations

import random

from ..base import (
    CREATURES,
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
    register,
    rename_item,
    scenario,
    sub_once,
    texture,
    title,
)


def find_entity(name: str, test: str, radius: int = 50) -> str:
    """Lua (a check's body) that finds the live entity ``name`` near the origin and returns ``test``
    evaluated with ``e`` its LuaEntity and ``o`` its ObjectRef; false when none is found."""
    return (
        f"for _, o in ipairs(minetest.get_objects_inside_radius({{x = 0, y = 1, z = 0}}, {radius})) do "
        f'local e = o:get_luaentity() if e and e.name == "{name}" then {test} end end '
        f'return false, "no live {name} entity"'
    )


def _pet_label(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    label = rng.choice([x for x in _LABELS if x != p["label"]])
    p = {**p, "label": label}
    return Changed(
        kind.build(p, mod),
        f'Change the message `{p["name"]}` sends when right-clicked to "{label}: <n>".',
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


def _pet_hp(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    p = {**p, "hp": p["hp"] + rng.randint(1, 10)}
    return Changed(
        kind.build(p, mod),
        f"Give the entity `{p['name']}` hp_max {p['hp']} (in its initial_properties).",
        {"kind": "preserve", "desc": "the item and command registrations stay as they were"},
    )


_LABELS = ("Pats", "Boops", "Hugs", "Taps", "Pokes", "Treats", "Cuddles")


@register
class EntityCounterKind(Kind):
    """An entity that counts right-clicks in a LuaEntity field kept through its staticdata."""

    name = "entity_counter"
    tags = ("entity", "staticdata", "on_rightclick")
    doc = (
        "`minetest.register_entity(name, def)` registers an entity (a LuaEntity). `initial_properties` "
        "holds its object properties (hp_max, physical, visual, textures, collisionbox ...). Callbacks "
        "get the LuaEntity as `self` (its ObjectRef is `self.object`): `on_activate(self, staticdata, "
        "dtime_s)` when it is created or loaded, `get_staticdata(self)` returns the string to save when it "
        "is unloaded, `on_rightclick(self, clicker)`, `on_punch(self, puncher, ...)`, "
        "`on_step(self, dtime)`. Fields set on `self` are the entity's own Lua state."
    )
    bugs = (
        Bug(
            "activate-signature",
            lambda c, p: sub_once(
                c, "on_activate = function(self, staticdata)", "on_activate = function(staticdata)"
            ),
            ("spawning the creature crashes the server", "the entity errors as soon as it is added"),
        ),
        Bug(
            "no-default",
            lambda c, p: sub_once(c, "tonumber(staticdata) or 0", "tonumber(staticdata)"),
            ("a freshly spawned creature crashes the server when right-clicked",),
        ),
        Bug(
            "staticdata-not-returned",
            lambda c, p: sub_once(
                c, f"\t\treturn tostring(self.{p['field']})", f"\t\ttostring(self.{p['field']})"
            ),
            (
                "the count is lost whenever the server restarts",
                "the creature forgets its count when unloaded",
            ),
        ),
        Bug(
            "chat-to-object",
            lambda c, p: sub_once(
                c, "chat_send_player(clicker:get_player_name(), ", "chat_send_player(clicker, "
            ),
            ("right-clicking the creature raises an error",),
        ),
    )
    changes = (Change("label", _pet_label), Change("hp", _pet_hp))

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "name": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(CREATURES)}",
            "hp": rng.randint(2, 20),
            "size": rng.choice((0.25, 0.3, 0.4, 0.5)),
            "visual": rng.choice(("sprite", "cube", "upright_sprite")),
            "field": rng.choice(("pats", "count", "clicks", "friendship", "mood")),
            "label": rng.choice(_LABELS),
            "start": rng.randint(41, 97),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, fld, s = p["name"], p["field"], p["size"]
        box = [-s, -s, -s, s, s, s]
        code = (
            f'minetest.register_entity("{name}", {{\n\tinitial_properties = {{\n'
            f'\t\thp_max = {p["hp"]},\n\t\tphysical = true,\n\t\tvisual = "{p["visual"]}",\n'
            f'\t\ttextures = {{"{texture(name)}"}},\n'
            f"\t\tcollisionbox = {{{', '.join(str(v) for v in box)}}},\n\t}},\n"
            f"\ton_activate = function(self, staticdata)\n\t\tself.{fld} = tonumber(staticdata) or "
            "0\n\tend,\n"
            f"\tget_staticdata = function(self)\n\t\treturn tostring(self.{fld})\n\tend,\n"
            f"\ton_rightclick = function(self, clicker)\n\t\tself.{fld} = self.{fld} + 1\n"
            f'\t\tminetest.chat_send_player(clicker:get_player_name(), "{p["label"]}: " .. self.{fld})\n'
            "\tend,\n})\n"
        )
        props = f'hp_max {p["hp"]}, physical, visual "{p["visual"]}", collisionbox {box}'
        says = [
            f"an entity `{name}` ({props}) that counts right-clicks in `self.{fld}`: on_activate restores it "
            f"from the staticdata (a number as text; 0 when empty), get_staticdata saves it, and each "
            f'right-click adds one and tells the clicker "{p["label"]}: <n>"',
            f"a creature entity `{name}` with initial_properties {props}. Keep a counter `self.{fld}` that "
            f"survives unloading (staticdata = the number as text, empty means 0); right-clicking it "
            f'increments the counter and sends the clicker "{p["label"]}: <counter>"',
        ]
        k = p["start"]
        checks: list[Check] = [
            {
                "kind": "entity",
                "desc": f"{name} has the requested properties",
                "name": name,
                "fields": {
                    "initial_properties": {
                        "hp_max": p["hp"],
                        "physical": True,
                        "visual": p["visual"],
                        "collisionbox": box,
                    },
                    "get_staticdata": {"$type": "function"},
                },
            },
            scenario(
                f"a {name} restored with {k} counts on from {k}",
                join(),
                {"do": "add_entity", "pos": [0, 1, 0], "name": name, "as": "e", "staticdata": str(k)},
                {"do": "rightclick_entity", "player": "p1", "entity": "e"},
                {"expect": "chat", "player": "p1", "message": f"{p['label']}: {k + 1}"},
                {"expect": "entity", "entity": "e", "fields": {fld: k + 1}},
            ),
            scenario(
                f"a new {name} counts from 0 and keeps its count through a restart",
                join(),
                {"do": "add_entity", "pos": [0, 1, 0], "name": name, "as": "e"},
                {"do": "rightclick_entity", "player": "p1", "entity": "e"},
                {"do": "rightclick_entity", "player": "p1", "entity": "e"},
                {"expect": "chat", "player": "p1", "message": f"{p['label']}: 2"},
                {"do": "restart"},
                {"expect": "lua", "code": find_entity(name, f"return e.{fld} == 2, tostring(e.{fld})")},
            ),
        ]
        return Feature(self.name, code, checks, says, p, [name])


def _mover_speed(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    p = {**p, "speed": p["speed"] + rng.randint(1, 5)}
    return Changed(
        kind.build(p, mod),
        f"Make `{p['name']}` faster: it should fly at {p['speed']} nodes per second.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


def _mover_life(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    p = {**p, "life": p["life"] + rng.randint(2, 6)}
    return Changed(
        kind.build(p, mod),
        f"Let `{p['name']}` live {p['life']} seconds before it removes itself.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


def _age_line(p: Params, rhs: str) -> str:
    """The on_step line that updates the age field (``rhs`` with ``{f}`` for the field's name)."""
    f = p["field"]
    return f"\t\tself.{f} = {rhs.format(f=f)}\n"


_AXES = {"x": "east (+x)", "z": "north (+z)", "y": "up (+y)"}


@register
class EntityMoverKind(Kind):
    """A projectile-like entity: a velocity set on activation, removed after a lifetime (on_step)."""

    name = "entity_mover"
    tags = ("entity", "on_step", "set_velocity")
    doc = (
        "Entities: `on_activate(self, staticdata)` runs when the entity appears; `on_step(self, dtime)` "
        "every server step with the seconds since the last one. `self.object` is the ObjectRef: "
        "`set_velocity(v)` / `get_velocity()` (nodes per second, a vector such as `vector.new(x, y, z)`), "
        "`get_pos()`, `remove()` (the entity disappears; do not use `self` afterwards). "
        "`static_save = false` in initial_properties stops it from being saved."
    )
    bugs = (
        Bug(
            "age-not-reset",
            lambda c, p: sub_once(c, _age_line(p, "self.{f} + dtime"), _age_line(p, "dtime")),
            ("the bolts never disappear",),
        ),
        Bug(
            "no-dtime",
            lambda c, p: sub_once(c, _age_line(p, "self.{f} + dtime"), _age_line(p, "self.{f} + 1")),
            ("the bolts vanish almost at once",),
        ),
        Bug(
            "velocity-dot",
            lambda c, p: sub_once(c, "self.object:set_velocity(", "self.object.set_velocity("),
            ("spawning a bolt crashes the server",),
        ),
        Bug(
            "remove-on-self",
            lambda c, p: sub_once(c, "\t\t\tself.object:remove()", "\t\t\tself:remove()"),
            ("the server crashes when a bolt gets old", "old bolts crash the server instead of vanishing"),
        ),
    )
    changes = (Change("speed", _mover_speed), Change("lifetime", _mover_life))

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "name": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(('bolt', 'spark', 'dart', 'orb', 'arrow'))}",
            "speed": rng.randint(2, 12),
            "axis": rng.choice(sorted(_AXES)),
            "life": rng.randint(2, 9),
            "vec": rng.random() < 0.5,
            "field": rng.choice(("age", "life_time", "alive_for", "flown")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, ax, v, fld = p["name"], p["axis"], p["speed"], p["field"]
        vel = {"x": 0, "y": 0, "z": 0, ax: v}
        vel_lua = (
            f"vector.new({vel['x']}, {vel['y']}, {vel['z']})"
            if p["vec"]
            else f"{{x = {vel['x']}, y = {vel['y']}, z = {vel['z']}}}"
        )
        code = (
            f'minetest.register_entity("{name}", {{\n\tinitial_properties = {{\n'
            f'\t\tphysical = false,\n\t\tvisual = "sprite",\n\t\ttextures = {{"{texture(name)}"}},\n'
            "\t\tstatic_save = false,\n\t},\n"
            f"\ton_activate = function(self)\n\t\tself.{fld} = "
            f"0\n\t\tself.object:set_velocity({vel_lua})\n\tend,\n"
            f"\ton_step = function(self, dtime)\n\t\tself.{fld} = self.{fld} + dtime\n"
            f"\t\tif self.{fld} >= {p['life']} "
            "then\n\t\t\tself.object:remove()\n\t\t\treturn\n\t\tend\n\tend,\n})\n"
        )
        says = [
            f"a non-physical sprite entity `{name}` (static_save false) that flies {_AXES[ax]} at {v} nodes "
            f"per second (set its velocity in on_activate) and removes itself once it is {p['life']} seconds "
            "old (count its age in on_step from dtime)",
            f"a projectile entity `{name}`: visual sprite, physical false, static_save false; on activation "
            f"its velocity is {v} nodes/s towards {_AXES[ax]}; on_step adds dtime to `self.{fld}` and the "
            f"entity removes itself when the age reaches {p['life']} s",
        ]
        life = p["life"]
        checks: list[Check] = [
            {
                "kind": "entity",
                "desc": f"{name} is a non-physical sprite that is not saved",
                "name": name,
                "fields": {
                    "initial_properties": {"physical": False, "visual": "sprite", "static_save": False}
                },
            },
            scenario(
                f"{name} flies at {v} nodes/s along {ax} and lives {life} s",
                {"do": "add_entity", "pos": [0, 1, 0], "name": name, "as": "b"},
                {
                    "expect": "lua",
                    "code": find_entity(
                        name,
                        "local v = o:get_velocity() "
                        f"return v.x == {vel['x']} and v.y == {vel['y']} and v.z == {vel['z']}, dump(v)",
                        200,
                    ),
                },
                {"do": "step", "seconds": life - 0.25, "dtime": 0.25},
                {"expect": "entity", "entity": "b", "alive": True},
                {"do": "step", "seconds": 0.25, "dtime": 0.25},
                {"expect": "entity", "entity": "b", "alive": False},
            ),
        ]
        return Feature(self.name, code, checks, says, p, [name])


def _grow_factor(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """Another growth factor (the size limit follows: the same number of feedings)."""
    factor = rng.choice([f for f in (1.25, 1.5, 2) if f != p["factor"]])
    p = {**p, "factor": factor, "max": factor ** p["steps"]}
    return Changed(
        kind.build(p, mod),
        f"Make `{p['name']}` grow by a factor of {factor:g} per feeding, up to a visual_size.x of "
        f"{p['max']:g}.",
        {"kind": "preserve", "desc": "the registrations stay as they were"},
    )


@register
class EntityGrowKind(Kind):
    """An entity that grows when fed (get_properties, set_properties, vector.multiply)."""

    name = "entity_grow"
    tags = ("entity", "properties", "on_rightclick", "vector")
    doc = (
        "`self.object:get_properties()` returns a table of the entity's object properties "
        "(`visual_size` is a vector {x, y, z}); `self.object:set_properties({visual_size = v})` changes "
        "them. "
        "`vector.multiply(v, s)` scales a vector. `clicker:get_wielded_item()` returns the stack in hand; "
        "`itemstack:take_item()`; return the itemstack from on_rightclick-like item callbacks, or set it "
        "back with `clicker:set_wielded_item(stack)`."
    )
    bugs = (
        Bug(
            "props-not-set",
            lambda c, p: sub_once(c, "\t\tself.object:set_properties({visual_size = size})\n", ""),
            ("feeding the creature does not make it any bigger",),
        ),
        Bug(
            "no-cap",
            lambda c, p: sub_once(
                c,
                f"\t\tif props.visual_size.x >= {p['max']} then\n\t\t\treturn\n\t\tend\n",
                "",
            ),
            ("the creature grows without limit",),
        ),
        Bug(
            "food-not-taken",
            lambda c, p: sub_once(c, "\t\tclicker:set_wielded_item(stack)\n", ""),
            ("feeding never uses up the food",),
        ),
    )

    changes = (
        Change("factor", _grow_factor),
        rename_item("food"),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        m = rng.choice(MATERIALS)
        factor = rng.choice((1.5, 2, 1.25))
        steps = rng.randint(1, 3)
        return {
            "name": f"{mod}:{m}_{rng.choice(CREATURES)}",
            "food": f"{mod}:{m}_{rng.choice(('treat', 'seed', 'crumb', 'nectar'))}",
            "factor": factor,
            "max": factor**steps,
            "steps": steps,
            "n": rng.randint(5, 20),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name, food, f = p["name"], p["food"], p["factor"]
        code = (
            f'minetest.register_craftitem("{food}", '
            f'{{description = "{title(food)}", '
            f'inventory_image = "{texture(food)}"}})\n\n'
            f'minetest.register_entity("{name}", {{\n\tinitial_properties = {{\n'
            f'\t\tvisual = "sprite",\n\t\ttextures = {{"{texture(name)}"}},\n'
            "\t\tvisual_size = {x = 1, y = 1, z = 1},\n\t},\n"
            "\ton_rightclick = function(self, clicker)\n\t\tlocal stack = clicker:get_wielded_item()\n"
            f'\t\tif stack:get_name() ~= "{food}" then\n\t\t\treturn\n\t\tend\n'
            "\t\tlocal props = self.object:get_properties()\n"
            f"\t\tif props.visual_size.x >= {p['max']:g} then\n\t\t\treturn\n\t\tend\n"
            f"\t\tlocal size = vector.multiply(props.visual_size, {f:g})\n"
            "\t\tself.object:set_properties({visual_size = size})\n"
            "\t\tstack:take_item()\n\t\tclicker:set_wielded_item(stack)\n\tend,\n})\n"
        )
        says = [
            f"a craftitem `{food}` and a sprite entity `{name}` (visual_size 1, 1, 1) that grows when a "
            "player "
            f"right-clicks it holding `{food}`: its visual_size is multiplied by {f:g} (get_properties, "
            f"vector.multiply, set_properties) and one `{food}` is used, until its visual_size.x has reached "
            f"{p['max']:g}; then, and with anything else in hand, nothing happens",
            f"feeding: right-clicking the entity `{name}` (sprite, initial visual_size "
            f"{{x = 1, y = 1, z = 1}}) "
            f"with `{food}` (a craftitem you register) scales its visual_size by {f:g} and takes one food "
            "from "
            f"the player's hand. Once visual_size.x is {p['max']:g} or more it refuses further food",
        ]
        n, steps = p["n"], p["steps"]
        click = {"do": "rightclick_entity", "player": "p1", "entity": "e"}
        size = round(f**steps, 6)
        checks: list[Check] = [
            scenario(
                f"each feeding multiplies the size by {f:g} up to {p['max']:g}",
                join(),
                {"do": "add_entity", "pos": [0, 1, 0], "name": name, "as": "e"},
                {"do": "wield", "player": "p1", "item": f"{food} {n}"},
                click,
                {"expect": "entity", "entity": "e", "props": {"visual_size": {"x": f, "y": f}}},
                *[click] * (steps - 1),
                click,
                click,
                {
                    "expect": "entity",
                    "entity": "e",
                    "props": {"visual_size": {"x": size, "y": size, "z": size}},
                },
                {"expect": "wield", "player": "p1", "item": f"{food} {n - steps}"},
            ),
            scenario(
                "anything else in hand does nothing",
                join(),
                {"do": "add_entity", "pos": [0, 1, 0], "name": name, "as": "e"},
                {"do": "wield", "player": "p1", "item": f"{name.split(':')[0]}:nothing"},
                click,
                {"expect": "entity", "entity": "e", "props": {"visual_size": {"x": 1, "y": 1}}},
            ),
        ]
        checks.append(
            {
                "kind": "entity",
                "desc": f"{name} is a sprite of size 1",
                "name": name,
                "fields": {
                    "initial_properties": {"visual": "sprite", "visual_size": {"x": 1, "y": 1, "z": 1}}
                },
            }
        )
        checks.append(item_check(food, "craft"))
        return Feature(self.name, code, checks, says, p, [name, food])
