"""Persistent state: mod storage (get_mod_storage), serialized tables in it, and settings."""

from __future__ import annotations

import random

from ..base import (
    Bug,
    Change,
    Changed,
    Check,
    Feature,
    Kind,
    Params,
    command_check,
    join,
    online_command,
    register,
    scenario,
    sub_once,
    value_change,
)


def _counter_label(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    label = rng.choice([x for x in _VISIT_LABELS if x != p["label"]])
    p = {**p, "label": label}
    return Changed(
        kind.build(p, mod),
        f'Make `/{p["cmd"]}` reply "{label} #<n>." instead; keep the count where it is.',
        {"kind": "preserve", "desc": "the command stays registered"},
        [{"kind": "calls", "desc": "the count stays in mod storage", "fn": "minetest.get_mod_storage"}],
    )


_VISIT_LABELS = ("Visitor", "Signature", "Entry", "Guest", "Stamp")


def _local_count(code: str, p: Params) -> str | None:
    """The count in a local variable instead of mod storage."""
    key = p["key"]
    old = f'\t\tlocal n = storage:get_int("{key}") + 1\n\t\tstorage:set_int("{key}", n)\n'
    out = sub_once(code, old, "\t\tcount = count + 1\n\t\tlocal n = count\n")
    return out and out.replace("local storage = minetest.get_mod_storage()\n", "local count = 0\n", 1)


@register
class StorageCounterKind(Kind):
    """A guest book command whose count lives in mod storage (survives restarts)."""

    name = "storage_counter"
    tags = ("mod-storage", "chatcommand")
    doc = (
        "`minetest.get_mod_storage()` (call it at load time) returns the mod's StorageRef, kept by the "
        "server across restarts: `get_int(key)` (0 when unset), `set_int(key, n)`, `get_string(key)` "
        '("" when unset), `set_string(key, s)`. Local variables are lost when the server stops.'
    )
    bugs = (
        Bug("local-not-storage", _local_count, ("the count starts over after every server restart",)),
        Bug(
            "dot-call",
            lambda c, p: sub_once(c, f'storage:get_int("{p["key"]}")', f'storage.get_int("{p["key"]}")'),
            ("the command always crashes",),
        ),
        Bug(
            "get-string-arith",
            lambda c, p: sub_once(
                c, f'storage:get_int("{p["key"]}") + 1', f'storage:get_string("{p["key"]}") + 1'
            ),
            ("the first signature crashes the server",),
        ),
    )
    changes = (
        Change("label", _counter_label),
        value_change(
            "key",
            ("visits", "signatures", "guests", "entries", "checkins"),
            'Keep the count of `/{cmd}` under the storage key "{key}" instead.',
        ),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "cmd": rng.choice(("sign", "guestbook", "visit", "checkin", "stamp")) + str(rng.randint(1, 99)),
            "key": rng.choice(("visits", "signatures", "guests", "entries", "checkins")),
            "label": rng.choice(_VISIT_LABELS),
        }

    def build(self, p: Params, mod: str) -> Feature:
        code = (
            "local storage = minetest.get_mod_storage()\n\n"
            f'minetest.register_chatcommand("{p["cmd"]}", {{\n\tdescription = "Sign the guest book",\n'
            "\tfunc = function(name)\n"
            f'\t\tlocal n = storage:get_int("{p["key"]}") + 1\n\t\tstorage:set_int("{p["key"]}", n)\n'
            f'\t\treturn true, "{p["label"]} #" .. n .. "."\n\tend,\n}})\n'
        )
        says = [
            f'a guest book command `/{p["cmd"]}`: each use adds one to the integer "{p["key"]}" in the '
            "mod's "
            f'storage (minetest.get_mod_storage) and replies "{p["label"]} #<n>." with the new count; the '
            "count "
            "survives server restarts",
            f"`/{p['cmd']}` counts how often it was used, ever: keep the number in mod storage under "
            f'"{p["key"]}" '
            f'and answer "{p["label"]} #<count>." after incrementing it',
        ]
        checks: list[Check] = [
            scenario(
                "the count goes up per use, is stored, and survives a restart",
                join("a"),
                join("b"),
                {"do": "chat", "player": "a", "message": f"/{p['cmd']}"},
                {"do": "chat", "player": "b", "message": f"/{p['cmd']}"},
                {"expect": "command", "player": "b", "success": True, "message": f"{p['label']} #2."},
                {"expect": "storage", "key": p["key"], "value": "2"},
                {"do": "restart"},
                join("a"),
                {"do": "chat", "player": "a", "message": f"/{p['cmd']}"},
                {"expect": "command", "success": True, "player": "a", "message": f"{p['label']} #3."},
            ),
            {"kind": "calls", "desc": "the count is kept in mod storage", "fn": "minetest.get_mod_storage"},
        ]
        note, cmd_checks = online_command(p["cmd"], "Sign the guest book")
        says = [s + note for s in says]
        checks += cmd_checks
        return Feature(self.name, code, checks, says, p)


_ITEMS = ("apples", "rope", "iron", "torches", "bread", "coal", "seeds", "glass", "wool", "paper")


@register
class StorageListKind(Kind):
    """A shared list kept as a serialized table in mod storage (serialize, deserialize)."""

    name = "storage_list"
    tags = ("mod-storage", "serialize", "chatcommand")
    doc = (
        "`minetest.serialize(value)` turns a table (of strings, numbers, booleans, tables) into a string; "
        "`minetest.deserialize(string)` turns it back (nil for an empty or invalid string). Mod storage "
        '(`minetest.get_mod_storage()`) keeps strings across restarts: `get_string(key)` ("" when unset), '
        "`set_string(key, s)`. `table.concat(list, sep)` joins a list of strings."
    )
    bugs = (
        Bug(
            "no-default",
            lambda c, p: sub_once(
                c,
                f'minetest.deserialize(storage:get_string("{p["key"]}")) or {{}}',
                f'minetest.deserialize(storage:get_string("{p["key"]}"))',
            ),
            ("the first use of the list commands crashes the server",),
        ),
        Bug(
            "not-saved",
            lambda c, p: sub_once(c, f'\t\tstorage:set_string("{p["key"]}", minetest.serialize(list))\n', ""),
            ("added entries disappear",),
        ),
        Bug(
            "not-serialized",
            lambda c, p: sub_once(
                c,
                f'storage:set_string("{p["key"]}", minetest.serialize(list))',
                f'storage:set_string("{p["key"]}", list)',
            ),
            ("adding an entry crashes the server",),
        ),
    )

    changes = (
        value_change(
            "empty",
            ("nothing", "(empty)", "none yet", "no entries"),
            'When the list is empty, make `/{show}` reply "{label}: {empty}".',
        ),
        value_change(
            "label", ("List", "Wanted", "To do", "Needed"), 'Make `/{show}` start its reply with "{label}: ".'
        ),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        base = rng.choice(("shop", "todo", "wish", "need", "pack"))
        return {
            "add": f"{base}_add{rng.randint(1, 9)}",
            "show": f"{base}_list{rng.randint(1, 9)}",
            "key": rng.choice(("list", "wishlist", "needs", "pack")),
            "label": rng.choice(("List", "Wanted", "To do", "Needed")),
            "empty": rng.choice(("nothing", "(empty)", "none yet")),
            "words": rng.sample(_ITEMS, 3),
        }

    def build(self, p: Params, mod: str) -> Feature:
        load = f'minetest.deserialize(storage:get_string("{p["key"]}")) or {{}}'
        code = (
            "local storage = minetest.get_mod_storage()\n\n"
            f"local function load()\n\treturn {load}\nend\n\n"
            f'minetest.register_chatcommand("{p["add"]}", {{\n\tparams = "<entry>",\n'
            '\tdescription = "Add an entry to the list",\n\tfunc = function(name, param)\n'
            '\t\tif param == "" then\n\t\t\treturn false, "Give an entry."\n\t\tend\n'
            "\t\tlocal list = load()\n\t\tlist[#list + 1] = param\n"
            f'\t\tstorage:set_string("{p["key"]}", minetest.serialize(list))\n'
            '\t\treturn true, "Added."\n\tend,\n})\n\n'
            f'minetest.register_chatcommand("{p["show"]}", {{\n\tdescription = "Show the list",\n'
            "\tfunc = function()\n\t\tlocal list = load()\n"
            f'\t\tif #list == 0 then\n\t\t\treturn true, "{p["label"]}: {p["empty"]}"\n\t\tend\n'
            f'\t\treturn true, "{p["label"]}: " .. table.concat(list, ", ")\n\tend,\n}})\n'
        )
        says = [
            f'a shared list kept in mod storage as a minetest.serialize\'d table under "{p["key"]}": '
            f'`/{p["add"]} <entry>` appends the entry and replies "Added." (an empty entry fails with '
            f'"Give an entry."), `/{p["show"]}` replies "{p["label"]}: a, b, c" in the order added, or '
            f'"{p["label"]}: {p["empty"]}" when empty; it survives restarts',
            f"two commands sharing a list that persists across restarts (serialize it into mod storage, key "
            f'"{p["key"]}"): `/{p["add"]} <entry>` adds (reply "Added."; empty entry: false, "Give an '
            'entry."), '
            f'`/{p["show"]}` shows "{p["label"]}: <entries joined by \', \'>" or "{p["label"]}: '
            f'{p["empty"]}"',
        ]
        a, b, c = p["words"]
        checks: list[Check] = [
            scenario(
                "entries are listed in order and survive a restart",
                join(),
                {"do": "chat", "player": "p1", "message": f"/{p['show']}"},
                {
                    "expect": "command",
                    "success": True,
                    "player": "p1",
                    "message": f"{p['label']}: {p['empty']}",
                },
                {"do": "chat", "player": "p1", "message": f"/{p['add']} {a}"},
                {"do": "chat", "player": "p1", "message": f"/{p['add']} {b}"},
                {"expect": "command", "player": "p1", "success": True, "message": "Added."},
                {"do": "restart"},
                join(),
                {"do": "chat", "player": "p1", "message": f"/{p['add']} {c}"},
                {"do": "chat", "player": "p1", "message": f"/{p['show']}"},
                {
                    "expect": "command",
                    "success": True,
                    "player": "p1",
                    "message": f"{p['label']}: {a}, {b}, {c}",
                },
                {"expect": "storage", "key": p["key"], "value": {"$regex": "^return"}},
            ),
            {"kind": "calls", "desc": "the list is serialized", "fn": "minetest.serialize"},
            {"kind": "calls", "desc": "the list is deserialized", "fn": "minetest.deserialize"},
        ]
        says = [
            s + ' (command descriptions "Add an entry to the list" and "Show the list", '
            'params of the first "<entry>")'
            for s in says
        ]
        checks += [
            command_check(p["add"], "Add an entry to the list", "<entry>"),
            command_check(p["show"], "Show the list"),
        ]
        return Feature(self.name, code, checks, says, p)


@register
class SettingsMotdKind(Kind):
    """A command whose answer comes from minetest.conf settings (settings:get, get_bool)."""

    name = "settings_motd"
    tags = ("settings", "chatcommand")
    doc = (
        "`minetest.settings` is the server's configuration (minetest.conf): `minetest.settings:get(key)` "
        "returns the string or nil when unset, `minetest.settings:get_bool(key, default)` returns true/false "
        "(default when unset). Read settings when they are needed to honour changes."
    )
    bugs = (
        Bug(
            "no-default",
            lambda c, p: sub_once(c, f' or "{p["default"]}"', ""),
            ("with the setting unset the command crashes",),
        ),
        Bug(
            "get-not-bool",
            lambda c, p: sub_once(
                c, f'minetest.settings:get_bool("{p["flag"]}", true)', f'minetest.settings:get("{p["flag"]}")'
            ),
            ("the message is never shown unless the switch is set explicitly",),
        ),
        Bug(
            "settings-dot",
            lambda c, p: sub_once(
                c, f'minetest.settings:get("{p["key"]}")', f'minetest.settings.get("{p["key"]}")'
            ),
            ("the command always errors",),
        ),
    )

    changes = (
        value_change(
            "default",
            ("Have fun!", "No news today.", "Be kind to each other.", "Welcome!"),
            'Make `/{cmd}` fall back to "{default}" when `{key}` is unset.',
        ),
        value_change(
            "off",
            ("Nothing to show.", "Disabled.", "The board is closed."),
            'When `{flag}` is false, make `/{cmd}` fail with "{off}".',
        ),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        word = rng.choice(("motd", "rules", "news", "banner", "notice"))
        return {
            "cmd": word + str(rng.randint(1, 99)),
            "key": f"{mod}_{word}",
            "flag": f"{mod}_{word}_enabled",
            "default": rng.choice(("Have fun!", "No news today.", "Be kind to each other.", "Welcome!")),
            "off": rng.choice(("Nothing to show.", "Disabled.", "The board is closed.")),
            "text": rng.choice(
                ("Build night on Friday", "Spawn moved north", "Mine at your own risk", "Market open")
            ),
        }

    def build(self, p: Params, mod: str) -> Feature:
        code = (
            f'minetest.register_chatcommand("{p["cmd"]}", '
            f'{{\n\tdescription = "Show the message of the day",\n'
            "\tfunc = function()\n"
            f'\t\tif not minetest.settings:get_bool("{p["flag"]}", true) then\n'
            f'\t\t\treturn false, "{p["off"]}"\n\t\tend\n'
            f'\t\treturn true, minetest.settings:get("{p["key"]}") or "{p["default"]}"\n\tend,\n}})\n'
        )
        says = [
            f"a command `/{p['cmd']}` that replies with the value of the setting `{p['key']}` (read each "
            "time; "
            f'"{p["default"]}" when unset), unless the boolean setting `{p["flag"]}` (default true) is '
            "false: "
            f'then it fails with "{p["off"]}"',
            f"`/{p['cmd']}` shows the text configured in minetest.conf as `{p['key']}` (default "
            f'"{p["default"]}"); '
            f'if `{p["flag"]}` is set to false (get_bool, default true), return false and "{p["off"]}"',
        ]
        set_ = "minetest.settings:set({k!r}, {v!r})"
        checks: list[Check] = [
            scenario(
                "the default, then the configured text, then disabled",
                join(),
                {"do": "chat", "player": "p1", "message": f"/{p['cmd']}"},
                {"expect": "command", "player": "p1", "success": True, "message": p["default"]},
                {"do": "lua", "code": set_.format(k=p["key"], v=p["text"]).replace("'", '"')},
                {"do": "chat", "player": "p1", "message": f"/{p['cmd']}"},
                {"expect": "command", "player": "p1", "success": True, "message": p["text"]},
                {"do": "lua", "code": set_.format(k=p["flag"], v="false").replace("'", '"')},
                {"do": "chat", "player": "p1", "message": f"/{p['cmd']}"},
                {"expect": "command", "player": "p1", "success": False, "message": p["off"]},
            ),
        ]
        note, cmd_checks = online_command(p["cmd"], "Show the message of the day")
        says = [s + note for s in says]
        checks += cmd_checks
        return Feature(self.name, code, checks, says, p)
