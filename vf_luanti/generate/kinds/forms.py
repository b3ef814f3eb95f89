"""Formspecs: a player form shown by a command (show_formspec, on_player_receive_fields,
formspec_escape) and a node form kept in metadata (on_receive_fields, is_protected)."""

from __future__ import annotations

import random

from ...lualiteral import lua_literal
from ..base import (
    MATERIALS,
    Bug,
    Change,
    Changed,
    Check,
    Feature,
    Kind,
    Params,
    join,
    online_command,
    register,
    scenario,
    sub_once,
    texture,
    title,
    value_change,
)

#: texts a player types: each has a character formspec_escape must escape
NOTES = (
    "buy 4 [iron]; sell wood",
    "meet at [spawn] at noon",
    "a;b;c are done",
    "todo: fix \\ the bridge",
    "[x] feed the sheep",
    "coords 10,4; then north",
    "bring [3] torches",
    "ask bob; then carol",
)


def escape(text: str) -> str:
    """What minetest.formspec_escape makes of ``text``."""
    return "".join("\\" + ch if ch in "\\[];," else ch for ch in text)


def _form_saved(kind: Kind, rng: random.Random, mod: str, p: Params) -> Changed | None:
    msg = rng.choice([m for m in _SAVED if m != p["saved"]])
    p = {**p, "saved": msg}
    return Changed(
        kind.build(p, mod),
        f'When the form `{p["form"]}` is submitted with a note, reply "{msg}" instead.',
        {"kind": "preserve", "desc": "the command stays registered"},
    )


_SAVED = ("Note saved.", "Saved.", "Your note is stored.", "Got it.", "Memo updated.")


@register
class FormCommandKind(Kind):
    """A chat command that shows a form with the player's note; submitting it stores the note."""

    name = "formspec_note"
    tags = ("formspec", "chatcommand", "on_player_receive_fields")
    doc = (
        "`minetest.show_formspec(playername, formname, formspec)` shows a form to a player. When the "
        "player submits it (a button, Enter, or closing it: then `fields.quit` is set and other fields "
        "may be missing), every `minetest.register_on_player_receive_fields(function(player, formname, "
        "fields))` callback runs until one returns true; check `formname` and return false for forms "
        "that are not yours. `fields` maps element names to their values (strings). "
        "`minetest.formspec_escape(text)` escapes `[ ] ; , \\\\` so that text can be put in a "
        'formspec element, e.g. `"field[0,0;4,1;name;Label;" .. minetest.formspec_escape(text) .. "]"`.'
    )
    bugs = (
        Bug(
            "no-escape",
            lambda c, p: sub_once(c, 'minetest.formspec_escape(notes[name] or "")', '(notes[name] or "")'),
            ("a note with [brackets] or semicolons breaks the form",),
        ),
        Bug(
            "no-formname-check",
            lambda c, p: sub_once(c, f'\tif formname ~= "{p["form"]}" then\n\t\treturn false\n\tend\n', ""),
            ("submitting any other mod's form overwrites the note",),
        ),
        Bug(
            "no-nil-check",
            lambda c, p: sub_once(c, f"\tif fields.{p['field']} then\n", "\tif true then\n"),
            ("closing the form with Escape erases the note",),
        ),
    )
    changes = (
        Change("saved-message", _form_saved),
        value_change(
            "label",
            ("Note", "Your note", "Text", "Memo"),
            'Label the note field of the form `{form}` "{label}".',
        ),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        word = rng.choice(("note", "memo", "diary", "todo", "journal"))
        return {
            "cmd": f"{word}{rng.randint(1, 99)}",
            "form": f"{mod}:{word}_{rng.choice(('form', 'editor', 'page'))}",
            "field": rng.choice(("text", "note", "memo", "entry")),
            "label": rng.choice(("Note", "Your note", "Text", "Memo")),
            "saved": rng.choice(_SAVED),
            "texts": rng.sample(NOTES, 2),
            "w": rng.choice((6, 7, 8)),
        }

    def build(self, p: Params, mod: str) -> Feature:
        w, fld = p["w"], p["field"]
        head = f"size[{w},3]field[0.5,1;{w - 1},1;{fld};{p['label']};"
        tail = f"]button_exit[{(w - 2) / 2:g},2;2,1;save;Save]"
        code = (
            "local notes = {}\n\n"
            f'minetest.register_chatcommand("{p["cmd"]}", {{\n\tdescription = "Edit your note",\n'
            "\tfunc = function(name)\n"
            '\t\tlocal text = minetest.formspec_escape(notes[name] or "")\n'
            f'\t\tminetest.show_formspec(name, "{p["form"]}", {lua_literal(head)} .. text .. '
            f"{lua_literal(tail)})\n"
            "\t\treturn true\n\tend,\n})\n\n"
            "minetest.register_on_player_receive_fields(function(player, formname, fields)\n"
            f'\tif formname ~= "{p["form"]}" then\n\t\treturn false\n\tend\n'
            f"\tif fields.{fld} then\n\t\tlocal name = player:get_player_name()\n"
            f"\t\tnotes[name] = fields.{fld}\n"
            f'\t\tminetest.chat_send_player(name, "{p["saved"]}")\n\tend\n\treturn true\nend)\n'
        )
        says = [
            f"a chat command `/{p['cmd']}` that shows the caller the form `{p['form']}`: "
            f'"{head}<note>{tail}" where <note> is the note the player saved last (empty at first), '
            f"escaped with minetest.formspec_escape. Submitting that form with the field `{fld}` stores it "
            f'as the player\'s note (in a local table) and tells them "{p["saved"]}"; a submit without '
            "that field (closing the form) and other forms change nothing",
            f"a personal note editor: `/{p['cmd']}` shows form `{p['form']}` with the formspec "
            f'`{head}<escaped note>{tail}` (<escaped note> = the saved note, formspec_escape\'d, or ""). '
            f'When that form comes back with `fields.{fld}`, save it for the player and send "{p["saved"]}"; '
            "ignore other form names and submits without the field",
        ]
        a, b = p["texts"]
        form = {"expect": "formspec", "player": "p1", "formname": p["form"]}
        checks: list[Check] = [
            {"kind": "chatcommand", "desc": f"/{p['cmd']} is registered", "name": p["cmd"]},
            scenario(
                "the form starts empty, and shows the saved note escaped",
                join(),
                {"do": "chat", "player": "p1", "message": f"/{p['cmd']}"},
                {"expect": "command", "player": "p1", "success": True},
                {**form, "contains": head + tail},
                {"do": "receive_fields", "player": "p1", "formname": p["form"], "fields": {fld: a}},
                {"expect": "chat", "player": "p1", "message": p["saved"]},
                {"do": "chat", "player": "p1", "message": f"/{p['cmd']}"},
                {**form, "contains": head + escape(a) + tail},
            ),
            scenario(
                "other forms and a closed form change nothing; each player has their own note",
                join(),
                join("p2"),
                {"do": "receive_fields", "player": "p1", "formname": p["form"], "fields": {fld: b}},
                {"do": "receive_fields", "player": "p1", "formname": f"{mod}:other", "fields": {fld: a}},
                {"do": "receive_fields", "player": "p1", "formname": p["form"], "fields": {"quit": ""}},
                {"expect": "chat", "player": "p1", "contains": p["saved"], "count": 1},
                {"do": "chat", "player": "p1", "message": f"/{p['cmd']}"},
                {**form, "contains": head + escape(b) + tail},
                {"do": "chat", "player": "p2", "message": f"/{p['cmd']}"},
                {"expect": "formspec", "player": "p2", "formname": p["form"], "contains": head + tail},
            ),
        ]
        note, cmd_checks = online_command(p["cmd"], "Edit your note")
        says = [s + note for s in says]
        checks += cmd_checks
        return Feature(self.name, code, checks, says, p)


_PROTECT = (
    "local old = minetest.is_protected "
    'minetest.is_protected = function(pos, name) if name == "intruder" then return true end '
    "return old(pos, name) end"
)


@register
class NodeFormKind(Kind):
    """A sign-like node: a metadata formspec whose submit sets its text, unless protected."""

    name = "formspec_sign"
    tags = ("formspec", "node", "on_receive_fields", "metadata", "protection")
    doc = (
        'A node shows the formspec stored in its metadata string "formspec" when right-clicked; '
        "`${key}` in it is replaced by the metadata string `key`. Submitting it calls the node's "
        "`on_receive_fields(pos, formname, fields, sender)` (sender: the player; `fields.quit` alone "
        "when the form was just closed). `minetest.is_protected(pos, name)` tells whether `name` may not "
        "change the node at pos; `minetest.record_protection_violation(pos, name)` reports an attempt. "
        '`meta:set_string("infotext", text)` sets the text shown when pointing at the node.'
    )
    bugs = (
        Bug(
            "receive-signature",
            lambda c, p: sub_once(
                c,
                "on_receive_fields = function(pos, formname, fields, sender)",
                "on_receive_fields = function(pos, fields, sender)",
            ),
            ("submitting the sign's form crashes the server",),
        ),
        Bug(
            "no-protection",
            lambda c, p: sub_once(
                c,
                "\t\tif minetest.is_protected(pos, name) then\n"
                "\t\t\tminetest.record_protection_violation(pos, name)\n\t\t\treturn\n\t\tend\n",
                "",
            ),
            ("anyone can rewrite signs, even in protected areas",),
        ),
        Bug(
            "no-nil-check",
            lambda c, p: sub_once(c, "\t\tif fields.text then\n", "\t\tif fields then\n"),
            ("closing the sign's form without saving crashes the server",),
        ),
    )

    changes = (
        value_change(
            "prefix",
            ("Sign: ", "It says: ", "~ ", "Note: "),
            'Make `{name}` show "{prefix}" followed by the text as its infotext.',
        ),
        value_change(
            "label",
            ("Text", "Message", "Inscription", "Write here"),
            'Label the text field of `{name}`\'s form "{label}".',
        ),
    )

    def draw(self, rng: random.Random, mod: str) -> Params:
        return {
            "name": f"{mod}:{rng.choice(MATERIALS)}_{rng.choice(('sign', 'plaque', 'board', 'banner'))}",
            "label": rng.choice(("Text", "Message", "Inscription", "Write here")),
            "prefix": rng.choice(("Sign: ", "It says: ", "", "~ ")),
            "text": rng.choice(("Welcome home", "Mine entrance", "Keep out", "Farm to the east", "Shop 9")),
            "w": rng.choice((5, 6, 7)),
        }

    def build(self, p: Params, mod: str) -> Feature:
        name = p["name"]
        form = f"size[{p['w']},2]field[0.5,0.8;{p['w'] - 1},1;text;{p['label']};${{text}}]"
        code = (
            f'minetest.register_node("{name}", {{\n\tdescription = "{title(name)}",\n'
            f'\ttiles = {{"{texture(name)}"}},\n\tgroups = {{choppy = 2, oddly_breakable_by_hand = 1}},\n'
            f"\ton_construct = function(pos)\n"
            f'\t\tminetest.get_meta(pos):set_string("formspec", {lua_literal(form)})\n\tend,\n'
            "\ton_receive_fields = function(pos, formname, fields, sender)\n"
            "\t\tlocal name = sender:get_player_name()\n"
            "\t\tif minetest.is_protected(pos, name) then\n"
            "\t\t\tminetest.record_protection_violation(pos, name)\n\t\t\treturn\n\t\tend\n"
            "\t\tif fields.text then\n\t\t\tlocal meta = minetest.get_meta(pos)\n"
            '\t\t\tmeta:set_string("text", fields.text)\n'
            f'\t\t\tmeta:set_string("infotext", {lua_literal(p["prefix"])} .. fields.text)\n'
            "\t\tend\n\tend,\n})\n"
        )
        pre = f'"{p["prefix"]}" followed by the text' if p["prefix"] else "the text itself"
        says = [
            f"a sign node `{name}` (groups choppy = 2, oddly_breakable_by_hand = 1) whose on_construct sets "
            "the "
            f'metadata formspec "{form}"; on_receive_fields stores `fields.text` in the metadata string '
            '"text" '
            f"and sets the infotext to {pre}, but only when `fields.text` is present and the sender may "
            "change "
            "the position (minetest.is_protected; record a protection violation otherwise)",
            f"a writable `{name}` (choppy = 2, oddly_breakable_by_hand = 1): its metadata formspec is "
            f'`{form}` (set in on_construct). A submitted `text` field goes into meta "text" and the '
            f"infotext becomes {pre}. Players for whom the node is protected change nothing; a form closed "
            "without the field changes nothing",
        ]
        t = p["text"]
        checks: list[Check] = [
            {
                "kind": "item",
                "desc": f"{name} is a node with the requested groups",
                "name": name,
                "type": "node",
                "fields": {
                    "description": title(name),
                    "groups": {"$exact": {"choppy": 2, "oddly_breakable_by_hand": 1}},
                },
            },
            scenario(
                "a placed sign has the form; writing on it sets text and infotext",
                join(),
                {"do": "set_node", "pos": [0, 0, 0], "node": name},
                {"expect": "meta", "pos": [0, 0, 0], "key": "formspec", "value": form},
                {"do": "node_fields", "player": "p1", "pos": [0, 0, 0], "fields": {"text": t}},
                {"expect": "meta", "pos": [0, 0, 0], "key": "text", "value": t},
                {"expect": "meta", "pos": [0, 0, 0], "key": "infotext", "value": p["prefix"] + t},
                {"do": "node_fields", "player": "p1", "pos": [0, 0, 0], "fields": {"quit": ""}},
                {"expect": "meta", "pos": [0, 0, 0], "key": "text", "value": t},
            ),
            scenario(
                "a player for whom the sign is protected cannot change it",
                join(),
                join("intruder"),
                {"do": "lua", "code": _PROTECT},
                {"do": "set_node", "pos": [0, 0, 0], "node": name},
                {"do": "node_fields", "player": "intruder", "pos": [0, 0, 0], "fields": {"text": "graffiti"}},
                {"expect": "meta", "pos": [0, 0, 0], "key": "text", "value": ""},
                {"do": "node_fields", "player": "p1", "pos": [0, 0, 0], "fields": {"text": t + "!"}},
                {"expect": "meta", "pos": [0, 0, 0], "key": "text", "value": t + "!"},
            ),
        ]
        return Feature(self.name, code, checks, says, p, [name])
