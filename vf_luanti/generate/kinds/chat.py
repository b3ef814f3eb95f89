"""Chat commands and join messages."""

from __future__ import annotations

import random

from ...lualiteral import lua_literal
from ..base import (
    NAMED_CALLBACK,
    RENAME_COMMAND,
    WORDS,
    Bug,
    Change,
    Changed,
    Check,
    Feature,
    Kind,
    Params,
    online_command,
    register,
    sub_once,
    sub_re,
    value_change,
)

_TRANSFORMS = {
    "upper": ("string.upper(param)", str.upper, "the argument in upper case"),
    "reverse": ("string.reverse(param)", lambda s: s[::-1], "the argument reversed"),
    "length": (
        '"Length: " .. #param',
        lambda s: f"Length: {len(s)}",
        'the text "Length: N" (N = argument length)',
    ),
    "bracket": ('"[" .. param .. "]"', lambda s: f"[{s}]", "the argument in square brackets"),
}


def _command_transform(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    """The command replies with another transformation of its argument."""
    p = {**p, "transform": rng.choice([t for t in sorted(_TRANSFORMS) if t != p["transform"]])}
    return Changed(
        kind.build(p, mod),
        f"Make `/{p['cmd']}` reply with {_TRANSFORMS[p['transform']][2]} instead.",
        {"kind": "preserve", "desc": "the command stays registered"},
    )


@register
class CommandKind(Kind):
    name = "command"
    tags = ("chatcommand",)
    doc = (
        "`minetest.register_chatcommand(cmd, def)`: def has `params` (a usage string), `description`, "
        "`privs` (table of required privileges) and `func(name, param)`, which returns "
        "`success, message`; the message is sent to the caller."
    )
    bugs = (
        Bug(
            "func-signature",
            lambda c, p: sub_once(c, "function(name, param)", "function(param)"),
            ("the command replies with the wrong text or errors",),
        ),
        Bug(
            "no-return",
            lambda c, p: sub_once(c, "\t\treturn true, ", "\t\tlocal reply = "),
            ("the command answers nothing",),
        ),
        Bug(
            "name-not-param",
            lambda c, p: sub_re(c, r"(return true, [^\n]*?)\bparam\b", r"\1name"),
            ("the command answers about the player's name instead of the text given",),
        ),
    )

    changes = (
        Change("transform", _command_transform),
        RENAME_COMMAND,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "cmd": f"{rng.choice(WORDS)}{rng.randint(1, 99)}",
            "transform": rng.choice(sorted(_TRANSFORMS)),
            "arg": rng.choice(("hello", "stone age", "luanti", "abc def", "mods", "red fox", "moss")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        expr, fn, what = _TRANSFORMS[p["transform"]]
        code = (
            f'minetest.register_chatcommand("{p["cmd"]}", {{\n\tparams = "<text>",\n'
            f"\tdescription = {lua_literal('Reply with ' + what)},\n\tfunc = function(name, param)\n"
            f"\t\treturn true, {expr}\n\tend,\n}})\n"
        )
        says = [
            f"a chat command `/{p['cmd']} <text>` that replies with {what}",
            f'a command `/{p["cmd"]}` (params "<text>") answering the caller with {what}',
        ]
        checks = [
            {
                "kind": "chatcommand",
                "desc": f"/{p['cmd']} is registered with params",
                "name": p["cmd"],
                "fields": {"params": "<text>", "func": {"$type": "function"}},
            },
            {
                "kind": "scenario",
                "desc": f"/{p['cmd']} {p['arg']} replies {fn(p['arg'])!r}",
                "steps": [
                    {"do": "join", "player": "p1"},
                    {"do": "chat", "player": "p1", "message": f"/{p['cmd']} {p['arg']}"},
                    {"expect": "chat", "player": "p1", "contains": fn(p["arg"])},
                    {"expect": "command", "player": "p1", "success": True},
                ],
            },
        ]
        note, cmd_checks = online_command(p["cmd"], "Reply with " + what, "<text>")
        says = [s + note for s in says]
        checks += cmd_checks
        return Feature(self.name, code, checks, says, p)


_SERVERS = ("Stonehaven", "Mossgrove", "Skyreach", "Ironhold", "Dunmere", "Ashvale", "Brightwater")


@register
class GreetingKind(Kind):
    name = "greeting"
    tags = ("player callbacks", "on_joinplayer")
    exclusive = frozenset(("joinplayer-count",))
    doc = (
        "`minetest.register_on_joinplayer(function(player, last_login))` runs when a player joins; "
        "`player:get_player_name()` gives the name, `minetest.chat_send_player(name, text)` sends a "
        "chat message to one player."
    )
    bugs = (
        Bug(
            "param-is-name",
            lambda c, p: sub_once(
                c, "register_on_joinplayer(function(player)", "register_on_joinplayer(function(name)"
            ),
            ("joining raises an error",),
        ),
        Bug(
            "send-to-object",
            lambda c, p: sub_once(
                c, "minetest.chat_send_player(name, ", "minetest.chat_send_player(player, "
            ),
            ("joining players get no greeting, or the server crashes",),
        ),
        Bug(
            "greets-everyone",
            lambda c, p: sub_once(c, "minetest.chat_send_player(name, ", "minetest.chat_send_all("),
            ("everyone online is spammed with each new player's greeting",),
        ),
    )

    changes = (
        value_change(
            "server",
            _SERVERS,
            'The server was renamed: greet joining players with "Welcome to {server}, <name>!" instead.',
        ),
        NAMED_CALLBACK,
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "server": rng.choice(_SERVERS),
            "player": rng.choice(("alice", "bob", "carol", "dave")),
        }

    def build(self, p: Params, mod: str) -> Feature:
        code = (
            f"minetest.register_on_joinplayer(function(player)\n\tlocal name = player:get_player_name()\n"
            f'\tminetest.chat_send_player(name, "Welcome to {p["server"]}, " .. name .. "!")\nend)\n'
        )
        says = [
            f'a join greeting: every joining player gets the chat message "Welcome to {p["server"]}, '
            '<name>!"',
            f'greet each player who joins with "Welcome to {p["server"]}, <their name>!" (sent to that '
            "player only)",
        ]
        checks: list[Check] = [
            {
                "kind": "callback",
                "desc": "an on_joinplayer callback is registered",
                "event": "on_joinplayer",
                "count": 1,
            },
            {
                "kind": "scenario",
                "desc": "a joining player is greeted by name",
                "steps": [
                    {"do": "join", "player": "p0"},
                    {"do": "join", "player": p["player"]},
                    {"expect": "chat", "player": "p0", "lacks": f"Welcome to {p['server']}, {p['player']}!"},
                    {
                        "expect": "chat",
                        "player": p["player"],
                        "contains": f"Welcome to {p['server']}, {p['player']}!",
                    },
                ],
            },
        ]
        return Feature(self.name, code, checks, says, p)
