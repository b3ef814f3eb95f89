"""One loaded copy of the answer and the scenario language run on it: actions through the event
driver, expectations read from engine-side state, Lua assertions in the check environment
(docs/tasks.md §3.3, §3.5)."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from ..lualiteral import lua_literal
from .base import CALLBACK_EVENTS, CheckError
from .matchers import _short, match
from .registry import Registry, _item_string
from .schema import _slot

if TYPE_CHECKING:
    from ..load_report import LoadReport
    from ..runtime import LuanRuntime
    from ..world import World


_CALLBACK_TABLES = {e: f"registered_{e}s" for e in CALLBACK_EVENTS} | {
    "on_mods_loaded": "registered_on_mods_loaded",
    "on_shutdown": "registered_on_shutdown",
    "on_player_receive_fields": "registered_on_player_receive_fields",
    "on_protection_violation": "registered_on_protection_violation",
    "on_priv_grant": "registered_on_priv_grant",
    "on_priv_revoke": "registered_on_priv_revoke",
    "globalstep": "registered_globalsteps",
}


def _pos_lua(p: list[int]) -> str:
    return f"{{x = {p[0]}, y = {p[1]}, z = {p[2]}}}"


def _item_count(stacks: list[str], item: str) -> int:
    name = item.split()[0].lstrip(":")
    return sum(max(_item_string(s)[1], 0) for s in stacks if s and _item_string(s)[0] == name)


class CheckWorld:
    """One loaded copy of the completion: the registry, a World over it, and what it recorded.

    ``mods`` are stand-in mods ({"name", "code"}, a scenario's ``mods`` key) loaded before the
    completion, which lists them as optional dependencies (as a game's ``default`` would be). A
    ``restart`` step replaces ``world`` with a new server started from what the old one saved;
    the stopped ones stay in ``stopped`` (their output and warnings still count, they are not soaked).
    """

    def __init__(
        self,
        code: str,
        mod_name: str,
        luanti_version: str | None = None,
        runtime: LuanRuntime | None = None,
        observe: tuple[str, ...] = (),
        mods: tuple[dict[str, str], ...] = (),
    ) -> None:
        from ..mods import mod_from_source

        stand_ins = [mod_from_source(m["code"], name=m["name"]) for m in mods]
        for m in stand_ins:
            m.group = 0  # like a game's mods: listed before the completion
        main = mod_from_source(code, name=mod_name)
        main.optional_depends = [m.name for m in stand_ins]
        self.mod_name = mod_name
        self._mods = [*stand_ins, main]
        self._version, self._observe = luanti_version, observe
        self.stopped: list[World] = []
        self.report, self.world = self._start(runtime)
        # A proxy, not a reference cycle: the Lua state is then freed as soon as the session drops
        # this world (the pool does it between jobs), not by the cycle collector in a later job.
        self.registry = Registry(self.report.registered, weakref.proxy(self))
        self.entities: dict[str, int | None] = {}
        self.commands: dict[str, dict[str, Any]] = {}  # player -> what their last chat command returned
        self._errors_seen = len(self.report.errors)

    def _start(self, runtime: LuanRuntime | None, restore: str | None = None) -> tuple[LoadReport, World]:
        from ..runtime import STARTUP_STEPS
        from ..world import load_world

        return load_world(
            self._mods,
            luanti_version=self._version,
            runtime=runtime,
            startup_steps=STARTUP_STEPS,
            observe=self._observe,
            restore=restore,
        )

    def registry_now(self) -> Registry:
        """The registry as the running (or stopped) server holds it now: the load report taken again."""
        from ..load_report import LoadReport

        report = LoadReport.from_dict(self.world.runtime.report())
        return Registry(report.registered, weakref.proxy(self))

    @property
    def worlds(self) -> list[World]:
        """Every server of this load, the stopped ones first."""
        return [*self.stopped, self.world]

    def restart(self) -> str | None:
        """Stop the server (World.persist) and start a new one from what it saved, in a sibling
        world of the same Lua state; returns why the new one failed, if it did. Entity handles and
        the record of chat commands belong to the old server and are dropped."""
        errs_before = len(self.world.errors())
        state = self.world.persist()
        errs = [str(e) for e in self.world.errors(errs_before)]
        if errs:
            return "the mod raised an error while the server shut down: " + errs[0]
        self.stopped.append(self.world)
        report, self.world = self._start(self.world.runtime.sibling(), state)
        self.entities, self.commands = {}, {}
        self._errors_seen = len(report.errors)
        if not report.ok:
            why = report.errors[0] if report.errors else "the load failed"
            return f"after the restart the mods did not load: {why}"
        return None

    # registry reads for Registry ------------------------------------------------------------
    def registered(self, table: str, name: str) -> Any:
        return self.world.eval(f"return minetest.registered_{table}[{lua_literal(name)}]")

    def callback_count(self, event: str) -> int:
        """Callbacks of ``event`` that mod code registered (the engine's record of who registered
        each, taken at registration: no chunk name or engine-made closure can hide one)."""
        table = _CALLBACK_TABLES[event]
        return int(self.world.runtime.call_json("mod_callback_count", table)["count"])

    def global_names(self) -> tuple[list[str], bool]:
        """The names in the mods' global table, read raw, and whether a mod replaced or changed
        the table's metatable (which can hide globals: the judge counts that as a global)."""
        res = self.world.runtime.call_json("global_names")
        return [str(n) for n in res.get("names") or []], bool(res.get("metatable_replaced"))

    def new_errors(self) -> list[str]:
        errs = self.world.errors(self._errors_seen)
        self._errors_seen += len(errs)
        return [str(e) for e in errs]

    def warnings(self) -> list[str]:
        return [str(w) for world in self.worlds for w in world.warnings()]

    # lua assertions ---------------------------------------------------------------------------
    def assert_lua(self, code: str) -> str | None:
        """Run an assertion snippet: it passes when it returns true; else its second value is the reason."""
        from ..world import WorldError

        wrapped = (
            "local ok, msg = (function()\n" + code + "\nend)()\n"
            "return {ok = ok == true, msg = msg ~= nil and tostring(msg) or nil, got = ok}"
        )
        try:
            res = self.world.eval(wrapped) or {}
        except WorldError as exc:
            return f"the assertion raised an error: {exc}"
        if res.get("ok") is True:
            return None
        return f"assertion returned {_short(res.get('got'))}" + (f": {res['msg']}" if res.get("msg") else "")

    # scenarios --------------------------------------------------------------------------------
    def run_scenario(self, steps: list[dict[str, Any]]) -> str | None:
        for n, s in enumerate(steps, 1):
            what = s.get("do") or s.get("expect")
            label = s.get("desc") or f"step {n} ({'do' if 'do' in s else 'expect'} {what})"
            if "do" in s:
                err = self._do(s)
                errs = self.new_errors()
                if err is None and errs:
                    err = "the mod raised an error: " + errs[0]
            else:
                err = self._expect(s)
            if err:
                return f"{label}: {err}"
        return None

    def _entity(self, handle: str) -> int:
        if handle not in self.entities:
            raise CheckError(f"no entity was added 'as' {handle!r} before this step")
        eid = self.entities[handle]
        if eid is None:
            raise _StepFailed(f"entity {handle!r} was removed when it was added")
        return eid

    def _do(self, s: dict[str, Any]) -> str | None:
        w = self.world
        act = s["do"]
        if act == "join":
            res = w.join_player(s["player"], s.get("privs"))
            return None if res.get("ok") else f"player {s['player']} could not join: {res.get('refused')}"
        if act == "restart":
            return self.restart()
        if act == "leave":
            w.leave_player(s["player"])
        elif act == "set_node":
            w.set_node(s["pos"], s["node"], s.get("param2", 0))
        elif act == "give":
            w.give_item(s["player"], s["item"])
        elif act == "wield":
            w.set_wielded(s["player"], s["item"])
        elif act == "place":
            w.set_wielded(s["player"], s["item"])
            w.place_node(s["player"], s["pos"])
        elif act == "dig":
            w.dig_node(s["player"], s["pos"])
        elif act == "punch_node":
            w.punch_node(s["player"], s["pos"])
        elif act == "rightclick_node":
            w.rightclick_node(s["player"], s["pos"])
        elif act == "use":
            w.use_item(s["player"], s.get("pos"))
        elif act == "chat":
            if s["message"].startswith("/"):
                res = w.chat_command(s["player"], s["message"])
                self.commands[s["player"]] = {"success": res.get("success"), "message": res.get("message")}
            else:
                w.say(s["player"], s["message"])
        elif act == "run_abms":
            w.run_abms(s.get("times", 1))
        elif act == "step":
            w.step(s["seconds"], s.get("dtime", 0.1))
        elif act == "set_hp":
            w.set_hp(s["player"], s["hp"])
        elif act == "add_entity":
            self.entities[s["as"]] = w.add_entity(s["pos"], s["name"], s.get("staticdata", ""))
        elif act == "punch_entity":
            w.punch_entity(self._entity(s["entity"]), s["player"])
        elif act == "rightclick_entity":
            w.rightclick_entity(self._entity(s["entity"]), s["player"])
        elif act == "set_meta":
            w.set_meta_string(s["pos"], s["key"], str(s["value"]))
        elif act == "move_item":
            w.move_item(s["player"], _slot(s["from"]), _slot(s["to"]), s.get("count", 0))
        elif act == "receive_fields":
            # the engine's order: callbacks in reverse registration order until one returns true
            return self._eval_action(
                f"local p = minetest.get_player_by_name({lua_literal(s['player'])}) "
                f"for _, f in ipairs(minetest.registered_on_player_receive_fields) do "
                f"if f(p, {lua_literal(s['formname'])}, {lua_literal(s['fields'])}) then break end end"
            )
        elif act == "node_fields":
            return self._eval_action(
                f"local pos = {_pos_lua(s['pos'])} "
                "local def = minetest.registered_nodes[minetest.get_node(pos).name] "
                "if def and def.on_receive_fields then def.on_receive_fields(pos, "
                f"{lua_literal(s.get('formname', ''))}, {lua_literal(s['fields'])}, "
                f"minetest.get_player_by_name({lua_literal(s['player'])})) end"
            )
        elif act == "lua":
            return self._eval_action(s["code"])
        return None

    def _eval_action(self, code: str) -> str | None:
        from ..world import WorldError

        try:
            self.world.eval(code)
        except WorldError as exc:
            return f"raised an error: {exc}"
        return None

    def _expect(self, s: dict[str, Any]) -> str | None:
        from ..world import WorldError

        w = self.world
        exp = s["expect"]
        if exp == "node":
            node = w.get_node(s["pos"])
            for k in ("name", "param2"):
                if k in s:
                    err = match(s[k], node.get(k), f"node at {tuple(s['pos'])}.{k}")
                    if err:
                        return err
            return None
        if exp == "meta":
            fields = w.get_meta(s["pos"])["fields"]
            return match(s["value"], fields.get(s["key"], ""), f"meta {s['key']!r} at {tuple(s['pos'])}")
        if exp == "storage":
            mod = s.get("mod", self.mod_name)
            fields = w.storage(mod)
            return match(s["value"], fields.get(s["key"], ""), f"mod storage {s['key']!r} of {mod}")
        if exp == "inventory":
            inv = w.get_inventory("node", s["pos"]) if "pos" in s else w.get_inventory("player", s["player"])
            lname = s.get("list", "main")
            where = f"inventory list {lname!r} of " + (
                f"node {tuple(s['pos'])}" if "pos" in s else s["player"]
            )
            stacks = inv.get(lname)
            if stacks is None:
                return f"{where}: the list does not exist (lists: {sorted(inv)})"
            stacks = _list_of(stacks)
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
        if exp == "chat":
            msgs = [m["message"] for m in w.chat_log() if m.get("to") in (s["player"], "*")]
            shown = _short(msgs[-5:], 300)
            if "contains" in s:
                hits = [m for m in msgs if s["contains"] in m]
                if "count" in s:
                    return match(
                        s["count"],
                        len(hits),
                        f"number of chat messages to {s['player']} "
                        f"containing {s['contains']!r} (messages: {shown})",
                    )
                if not hits:
                    return f"no chat message to {s['player']} contains {s['contains']!r}; messages: {shown}"
            elif "count" in s and (
                err := match(s["count"], len(msgs), f"number of chat messages to {s['player']}")
            ):
                return err
            if "message" in s and all(match(s["message"], m) for m in msgs):
                return f"no chat message to {s['player']} matches {_short(s['message'])}; messages: {shown}"
            if "lacks" in s and any(s["lacks"] in m for m in msgs):
                return (
                    f"a chat message to {s['player']} contains {s['lacks']!r}, expected none; "
                    f"messages: {shown}"
                )
            return None
        if exp == "hp":
            return match(s["value"], w.player(s["player"]).get("hp"), f"HP of {s['player']}")
        if exp == "wield":
            wielded = w.player(s["player"]).get("wielded") or ""
            return match(s["item"], wielded, f"item wielded by {s['player']}")
        if exp == "entity":
            eid = (
                self.entities.get(s["entity"]) if s["entity"] in self.entities else self._entity(s["entity"])
            )
            try:
                state = w.entity(eid) if eid is not None else {"removed": True}
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
        if exp == "entity_count":
            n = sum(1 for o in w.objects() if o.get("name") == s["name"] and not o.get("removed"))
            return match(s["count"], n, f"number of {s['name']} entities")
        if exp == "formspec":
            formspec = w.shown_formspec(s["player"])
            if formspec is None:
                return f"no formspec was shown to {s['player']}"
            if "formname" in s and (err := match(s["formname"], formspec["formname"], "formspec name")):
                return err
            if "contains" in s:
                return match({"$contains": s["contains"]}, formspec["spec"], "formspec")
            return None
        if exp == "command":
            last = self.commands.get(s["player"])
            if last is None:
                return f"{s['player']} ran no chat command before this step"
            for k in ("success", "message"):
                if k in s and (err := match(s[k], last.get(k), f"the last command's returned {k}")):
                    return err
            return None
        if exp == "lua":
            return self.assert_lua(s["code"])
        raise CheckError(f"unknown expectation {exp!r}")


class _StepFailed(Exception):
    """A scenario step that cannot go on (its entity is gone); the message is the feedback."""


def _list_of(v: Any) -> list[str]:
    return [] if v in (None, {}) else [str(x) for x in v]
