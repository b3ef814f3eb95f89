"""The scenario language, one table entry per step: the keys it takes and what it does (docs/tasks.md
§3.3). ``ACTIONS`` act on the world through the event driver; ``EXPECTS`` read it back from state the
mod cannot reach and return what is wrong (None when the expectation holds). The schema
(vf_luanti.checks.schema) validates steps against these tables, the scenario runner
(vf_luanti.checks.scenario) dispatches through them: adding a step is adding an entry here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..lualiteral import lua_literal
from .base import CheckError
from .matchers import _short, match
from .registry import _item_string

if TYPE_CHECKING:
    from ..world import World

Step = dict[str, Any]


class CheckWorld(Protocol):
    """What a step needs from the loaded copy of the answer it runs in (scenario.CheckWorld)."""

    world: World
    mod_name: str
    entities: dict[str, int | None]
    commands: dict[str, dict[str, Any]]

    def eval_action(self, code: str) -> str | None: ...
    def assert_lua(self, code: str) -> str | None: ...
    def restart(self, storage: dict[str, str | None] | None = None, mod: str | None = None) -> str | None: ...


@dataclass(frozen=True)
class StepKind:
    """One action or expectation: its required and optional keys and its handler."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    run: Callable[[CheckWorld, Step], str | None]


class StepFailed(Exception):
    """A scenario step that cannot go on (its entity is gone); the message is the feedback."""


def _slot(v: dict[str, Any]) -> tuple[str, Any, str, int]:
    kind = "node" if "pos" in v else "player" if "player" in v else "detached"
    return kind, v.get("pos", v.get("player", v.get("detached"))), v["list"], v["index"]


def _pos_lua(p: list[int]) -> str:
    return f"{{x = {p[0]}, y = {p[1]}, z = {p[2]}}}"


def _item_count(stacks: list[str], item: str) -> int:
    name = item.split()[0].lstrip(":")
    return sum(max(_item_string(s)[1], 0) for s in stacks if s and _item_string(s)[0] == name)


def _list_of(v: Any) -> list[str]:
    return [] if v in (None, {}) else [str(x) for x in v]


def _entity(cw: CheckWorld, handle: str) -> int:
    if handle not in cw.entities:
        raise CheckError(f"no entity was added 'as' {handle!r} before this step")
    eid = cw.entities[handle]
    if eid is None:
        raise StepFailed(f"entity {handle!r} was removed when it was added")
    return eid


# --------------------------------------------------------------------------- actions


def _join(cw: CheckWorld, s: Step) -> str | None:
    res = cw.world.join_player(s["player"], s.get("privs"), s.get("pos"))
    return None if res.get("ok") else f"player {s['player']} could not join: {res.get('refused')}"


def _place(cw: CheckWorld, s: Step) -> None:
    cw.world.set_wielded(s["player"], s["item"])
    cw.world.place_node(s["player"], s["pos"])


def _chat(cw: CheckWorld, s: Step) -> None:
    if s["message"].startswith("/"):
        res = cw.world.chat_command(s["player"], s["message"])
        cw.commands[s["player"]] = {"success": res.get("success"), "message": res.get("message")}
    else:
        cw.world.say(s["player"], s["message"])


def _add_entity(cw: CheckWorld, s: Step) -> None:
    cw.entities[s["as"]] = cw.world.add_entity(s["pos"], s["name"], s.get("staticdata", ""))


def _receive_fields(cw: CheckWorld, s: Step) -> str | None:
    # the engine's order: callbacks in reverse registration order until one returns true
    return cw.eval_action(
        f"local p = minetest.get_player_by_name({lua_literal(s['player'])}) "
        f"for _, f in ipairs(minetest.registered_on_player_receive_fields) do "
        f"if f(p, {lua_literal(s['formname'])}, {lua_literal(s['fields'])}) then break end end"
    )


def _node_fields(cw: CheckWorld, s: Step) -> str | None:
    return cw.eval_action(
        f"local pos = {_pos_lua(s['pos'])} "
        "local def = minetest.registered_nodes[minetest.get_node(pos).name] "
        "if def and def.on_receive_fields then def.on_receive_fields(pos, "
        f"{lua_literal(s.get('formname', ''))}, {lua_literal(s['fields'])}, "
        f"minetest.get_player_by_name({lua_literal(s['player'])})) end"
    )


def _leave(cw: CheckWorld, s: Step) -> None:
    cw.world.leave_player(s["player"])


def _restart(cw: CheckWorld, s: Step) -> str | None:
    return cw.restart(s.get("storage"), s.get("mod"))


def _set_node(cw: CheckWorld, s: Step) -> None:
    cw.world.set_node(s["pos"], s["node"], s.get("param2", 0))


def _give(cw: CheckWorld, s: Step) -> None:
    cw.world.give_item(s["player"], s["item"])


def _wield(cw: CheckWorld, s: Step) -> None:
    cw.world.set_wielded(s["player"], s["item"])


def _dig(cw: CheckWorld, s: Step) -> None:
    cw.world.dig_node(s["player"], s["pos"])


def _punch_node(cw: CheckWorld, s: Step) -> None:
    cw.world.punch_node(s["player"], s["pos"])


def _rightclick_node(cw: CheckWorld, s: Step) -> None:
    cw.world.rightclick_node(s["player"], s["pos"])


def _use(cw: CheckWorld, s: Step) -> None:
    cw.world.use_item(s["player"], s.get("pos"))


def _run_abms(cw: CheckWorld, s: Step) -> None:
    cw.world.run_abms(s.get("times", 1))


def _step(cw: CheckWorld, s: Step) -> None:
    cw.world.step(s["seconds"], s.get("dtime", 0.1))


def _set_hp(cw: CheckWorld, s: Step) -> None:
    cw.world.set_hp(s["player"], s["hp"])


def _punch_entity(cw: CheckWorld, s: Step) -> None:
    cw.world.punch_entity(_entity(cw, s["entity"]), s["player"])


def _rightclick_entity(cw: CheckWorld, s: Step) -> None:
    cw.world.rightclick_entity(_entity(cw, s["entity"]), s["player"])


def _set_meta(cw: CheckWorld, s: Step) -> None:
    cw.world.set_meta_string(s["pos"], s["key"], str(s["value"]))


def _move_item(cw: CheckWorld, s: Step) -> None:
    cw.world.move_item(s["player"], _slot(s["from"]), _slot(s["to"]), s.get("count", 0))


def _lua(cw: CheckWorld, s: Step) -> str | None:
    return cw.eval_action(s["code"])


ACTIONS: dict[str, StepKind] = {
    "join": StepKind(("player",), ("privs", "pos"), _join),
    "leave": StepKind(("player",), (), _leave),
    "restart": StepKind((), ("storage", "mod"), _restart),
    "set_node": StepKind(("pos", "node"), ("param2",), _set_node),
    "give": StepKind(("player", "item"), (), _give),
    "wield": StepKind(("player", "item"), (), _wield),
    "place": StepKind(("player", "pos", "item"), (), _place),
    "dig": StepKind(("player", "pos"), (), _dig),
    "punch_node": StepKind(("player", "pos"), (), _punch_node),
    "rightclick_node": StepKind(("player", "pos"), (), _rightclick_node),
    "use": StepKind(("player",), ("pos",), _use),
    "chat": StepKind(("player", "message"), (), _chat),
    "run_abms": StepKind((), ("times",), _run_abms),
    "step": StepKind(("seconds",), ("dtime",), _step),
    "set_hp": StepKind(("player", "hp"), (), _set_hp),
    "add_entity": StepKind(("pos", "name", "as"), ("staticdata",), _add_entity),
    "punch_entity": StepKind(("player", "entity"), (), _punch_entity),
    "rightclick_entity": StepKind(("player", "entity"), (), _rightclick_entity),
    "receive_fields": StepKind(("player", "formname", "fields"), (), _receive_fields),
    "node_fields": StepKind(("player", "pos", "fields"), ("formname",), _node_fields),
    "set_meta": StepKind(("pos", "key", "value"), (), _set_meta),
    "move_item": StepKind(("player", "from", "to"), ("count",), _move_item),
    "lua": StepKind(("code",), (), _lua),
}


# --------------------------------------------------------------------------- expectations


def _node(cw: CheckWorld, s: Step) -> str | None:
    node = cw.world.get_node(s["pos"])
    for k in ("name", "param2"):
        if k in s and (err := match(s[k], node.get(k), f"node at {tuple(s['pos'])}.{k}")):
            return err
    return None


def _meta(cw: CheckWorld, s: Step) -> str | None:
    fields = cw.world.get_meta(s["pos"])["fields"]
    return match(s["value"], fields.get(s["key"], ""), f"meta {s['key']!r} at {tuple(s['pos'])}")


def _storage(cw: CheckWorld, s: Step) -> str | None:
    mod = s.get("mod", cw.mod_name)
    fields = cw.world.storage(mod)
    return match(s["value"], fields.get(s["key"], ""), f"mod storage {s['key']!r} of {mod}")


def _inventory(cw: CheckWorld, s: Step) -> str | None:
    w = cw.world
    inv = w.get_inventory("node", s["pos"]) if "pos" in s else w.get_inventory("player", s["player"])
    lname = s.get("list", "main")
    where = f"inventory list {lname!r} of " + (f"node {tuple(s['pos'])}" if "pos" in s else s["player"])
    listed = inv.get(lname)
    if listed is None:
        return f"{where}: the list does not exist (lists: {sorted(inv)})"
    stacks = _list_of(listed)
    if "size" in s and (err := match(s["size"], len(stacks), f"size of {where}")):
        return err
    if "contains" in s:
        need = max(_item_string(s["contains"])[1], 1)
        have = _item_count(stacks, s["contains"])
        if have < need:
            found = _short([x for x in stacks if x])
            return f"{where}: expected at least {s['contains']}, found {have} ({found})"
    if "lacks" in s:
        limit = max(_item_string(s["lacks"])[1], 1)
        have = _item_count(stacks, s["lacks"])
        if have >= limit:
            return f"{where}: expected fewer than {limit} of {s['lacks'].split()[0]}, found {have}"
    if "count" in s:
        total = sum(max(_item_string(x)[1], 0) for x in stacks if x)
        return match(s["count"], total, f"number of items in {where}")
    return None


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _hedged(message: str, text: str) -> bool:
    """Whether ``message`` holds ``text`` and also the same text with at least two other sets of
    numbers: a reply that lists the candidate values ("Spawn is 0 m away. Spawn is 1 m away. ...")
    answers nothing. One other value is allowed ("You have 3 coins, the bank 10 coins."); only texts
    with a number and some words count (a bare "(1,2,3)" is often one of several in a list)."""
    if not _NUMBER.search(text) or len(re.findall(r"[A-Za-z]", text)) < 3:
        return False
    parts = _NUMBER.split(text)
    pattern = _NUMBER.pattern.join(re.escape(p) for p in parts)
    return len({m.group(0) for m in re.finditer(pattern, message)} - {text}) >= 2


def _chat_expect(cw: CheckWorld, s: Step) -> str | None:
    msgs = [m["message"] for m in cw.world.chat_log() if m.get("to") in (s["player"], "*")]
    shown = _short(msgs[-5:], 300)
    if "contains" in s:
        found = [m for m in msgs if s["contains"] in m]
        hits = [m for m in found if not _hedged(m, s["contains"])]
        if found and not hits and "count" not in s:
            return (
                f"the chat message to {s['player']} containing {s['contains']!r} also holds the same text "
                f"with other values (an answer that lists every candidate answers nothing); messages: {shown}"
            )
        if "count" in s:
            what = (
                f"number of chat messages to {s['player']} containing {s['contains']!r} (messages: {shown})"
            )
            return match(s["count"], len(hits), what)
        if not hits:
            return f"no chat message to {s['player']} contains {s['contains']!r}; messages: {shown}"
    elif "count" in s and (err := match(s["count"], len(msgs), f"number of chat messages to {s['player']}")):
        return err
    if "message" in s and all(match(s["message"], m) for m in msgs):
        return f"no chat message to {s['player']} matches {_short(s['message'])}; messages: {shown}"
    if "lacks" in s and any(s["lacks"] in m for m in msgs):
        return f"a chat message to {s['player']} contains {s['lacks']!r}, expected none; messages: {shown}"
    return None


def _entity_expect(cw: CheckWorld, s: Step) -> str | None:
    from ..world import WorldError

    eid = cw.entities.get(s["entity"]) if s["entity"] in cw.entities else _entity(cw, s["entity"])
    try:
        state = cw.world.entity(eid) if eid is not None else {"removed": True}
    except WorldError:
        state = {"removed": True}
    alive = not state.get("removed")
    if "alive" in s and (err := match(s["alive"], alive, f"entity {s['entity']!r} alive")):
        return err
    if not alive and any(k in s for k in ("hp", "name", "fields", "props")):
        return f"entity {s['entity']!r} was removed"
    for k in ("hp", "name", "fields", "props"):
        if k in s and (err := match(s[k], state.get(k), f"entity {s['entity']!r}.{k}")):
            return err
    return None


def _entity_count(cw: CheckWorld, s: Step) -> str | None:
    n = sum(1 for o in cw.world.objects() if o.get("name") == s["name"] and not o.get("removed"))
    return match(s["count"], n, f"number of {s['name']} entities")


def _formspec(cw: CheckWorld, s: Step) -> str | None:
    formspec = cw.world.shown_formspec(s["player"])
    if formspec is None:
        return f"no formspec was shown to {s['player']}"
    if "formname" in s and (err := match(s["formname"], formspec["formname"], "formspec name")):
        return err
    if "contains" in s:
        return match({"$contains": s["contains"]}, formspec["spec"], "formspec")
    return None


def _command(cw: CheckWorld, s: Step) -> str | None:
    last = cw.commands.get(s["player"])
    if last is None:
        return f"{s['player']} ran no chat command before this step"
    for k in ("success", "message"):
        if k in s and (err := match(s[k], last.get(k), f"the last command's returned {k}")):
            return err
    return None


def _hp(cw: CheckWorld, s: Step) -> str | None:
    return match(s["value"], cw.world.player(s["player"]).get("hp"), f"HP of {s['player']}")


def _wield_expect(cw: CheckWorld, s: Step) -> str | None:
    wielded = cw.world.player(s["player"]).get("wielded") or ""
    return match(s["item"], wielded, f"item wielded by {s['player']}")


def _lua_expect(cw: CheckWorld, s: Step) -> str | None:
    return cw.assert_lua(s["code"])


EXPECTS: dict[str, StepKind] = {
    "node": StepKind(("pos",), ("name", "param2"), _node),
    "meta": StepKind(("pos", "key", "value"), (), _meta),
    "storage": StepKind(("key", "value"), ("mod",), _storage),
    "inventory": StepKind((), ("pos", "player", "list", "contains", "lacks", "count", "size"), _inventory),
    "chat": StepKind(("player",), ("contains", "lacks", "count", "message"), _chat_expect),
    "hp": StepKind(("player", "value"), (), _hp),
    "entity": StepKind(("entity",), ("alive", "hp", "name", "props", "fields"), _entity_expect),
    "entity_count": StepKind(("name", "count"), (), _entity_count),
    "formspec": StepKind(("player",), ("contains", "formname"), _formspec),
    "command": StepKind(("player",), ("success", "message"), _command),
    "wield": StepKind(("player", "item"), (), _wield_expect),
    "lua": StepKind(("code",), (), _lua_expect),
}
