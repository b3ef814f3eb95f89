"""The event driver: play the server's part against loaded mods (players, actions, time, chat).

``load_world(mods)`` loads mods like ``vf_luanti.loading.run_mods`` and returns the load report and a
``World`` over the same runtime. Task checks drive it: join a player, place and dig nodes, run ABMs
and node timers, run chat commands, punch entities, then assert on world state, inventories,
metadata, chat output and HP. The API reference is docs/world.md.

Every method calls one host function of vf_luanti/lua/driver.lua. A Lua error inside a mod
callback never raises here: it is recorded as the engine reports it (``Runtime error from mod 'x'
in callback ...``) and shows in ``errors()``; the method's result says ``ok: False``. Misuse of the
driver itself (an unknown player, a bad position) raises ``WorldError``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .load_report import Diagnostic, LoadReport
from .loading import run_mods
from .mods import Mod
from .runtime import LuanRuntime, RuntimeLimits

Pos = Sequence[float] | Mapping[str, float]
#: An inventory slot: (kind, where, list, 1-based index); kind "player"/"node"/"detached".
Slot = tuple[str, "str | Pos", str, int]


class WorldError(Exception):
    """The driver could not do what was asked (unknown player/object, bad argument, Lua error in eval)."""


def _pos(p: Pos) -> str:
    """A position as the driver's "x,y,z" text; accepts (x, y, z) or {"x":, "y":, "z":}."""
    if isinstance(p, Mapping):
        x, y, z = p["x"], p["y"], p["z"]
    else:
        x, y, z = p
    return f"{float(x)!r},{float(y)!r},{float(z)!r}"


def _list(v: Any) -> list[Any]:
    """Lua's JSON encoder writes an empty table as {}; lists come back as lists either way."""
    if v is None or v == {}:
        return []
    return list(v)


class World:
    """A running simulated server over a runtime that has loaded mods."""

    #: What the server saved at its final shutdown when the mods kept anything of their own
    #: (storage, files), for a second start (checks/session.py); None otherwise (set by ``soak``).
    saved_state: str | None = None

    def __init__(self, runtime: LuanRuntime) -> None:
        self.runtime = runtime

    def _call(self, name: str, *args: Any) -> dict[str, Any]:
        res = self.runtime.call_json(name, *args)
        if res.get("driver_error"):
            raise WorldError(res["error"])
        return res

    # -- players ------------------------------------------------------------------------------

    def join_player(
        self, name: str = "singleplayer", privs: Iterable[str] | None = None, pos: Pos | None = None
    ) -> dict[str, Any]:
        """Connect a player: prejoin, newplayer (first time), joinplayer callbacks.

        ``privs`` replaces the player's privileges (default: the server's defaults). Returns
        ``{"ok": True, "new": bool}`` or ``{"ok": False, "refused": reason}`` when a prejoin
        callback refused the name.
        """
        return self._call(
            "join_player",
            name,
            ",".join(privs) if privs is not None else "",
            _pos(pos) if pos is not None else "",
        )

    def leave_player(self, name: str, timed_out: bool = False) -> dict[str, Any]:
        """Disconnect a player (on_leaveplayer callbacks)."""
        return self._call("leave_player", name, 1 if timed_out else 0)

    def respawn_player(self, name: str) -> dict[str, Any]:
        """Respawn a (dead) player: full HP, on_respawnplayer, spawn position unless handled."""
        return self._call("respawn_player", name)

    def set_player_pos(self, name: str, pos: Pos) -> None:
        self._call("set_player_pos", name, _pos(pos))

    def set_player_look(self, name: str, yaw: float, pitch: float = 0.0) -> None:
        """Look direction in radians (yaw 0 looks towards +z)."""
        self._call("set_player_look", name, float(yaw), float(pitch))

    def set_player_control(self, name: str, keys: Iterable[str]) -> None:
        """Keys held from now on (up, down, left, right, jump, aux1, sneak, dig, place, zoom)."""
        self._call("set_player_control", name, ",".join(keys))

    def set_wield_index(self, name: str, index: int) -> None:
        """Select the hotbar slot (1-based) of the player's main list."""
        self._call("set_wield_index", name, int(index))

    def give_item(self, name: str, item: str) -> str:
        """Add an itemstring to the player's main list; returns the leftover itemstring."""
        return self._call("give_item", name, item)["leftover"]

    def set_wielded(self, name: str, item: str) -> str:
        """Put an itemstring into the wielded slot; returns the wielded itemstring."""
        return self._call("set_wielded", name, item)["wielded"]

    def set_hp(self, name: str, hp: int) -> int:
        """Set HP as a mod's set_hp would (hpchange modifiers, on_dieplayer at 0); returns the HP."""
        return self._call("set_hp", name, int(hp))["hp"]

    def player(self, name: str) -> dict[str, Any]:
        """Player state: name, hp, hp_max, breath, pos, yaw, pitch, wield_index, wielded,
        inventory {list: [itemstring...]}, meta {key: str}, privs [names], physics, hud."""
        p = self._call("player_state", name)["player"]
        p["privs"] = _list(p.get("privs"))
        p["hud"] = _list(p.get("hud"))
        for k in ("inventory", "meta"):
            if p.get(k) == []:
                p[k] = {}
        return p

    def players(self) -> list[str]:
        """Connected players in join order."""
        return _list(self._call("players")["players"])

    # -- player actions -----------------------------------------------------------------------

    def place_node(self, name: str, pos: Pos, under: Pos | None = None) -> dict[str, Any]:
        """Right-click with the wielded item on the node below ``pos`` (or ``under``), placing at pos.

        Runs the item's on_place (default core.item_place). Returns ``{"ok", "called",
        "wielded", "node"}`` where node is the node now at ``pos``.
        """
        return self._call("place_node", name, _pos(pos), _pos(under) if under is not None else "")

    def rightclick_node(self, name: str, pos: Pos) -> dict[str, Any]:
        """Right-click the node at ``pos`` with the wielded item (item on_place -> node on_rightclick)."""
        return self._call("rightclick_node", name, _pos(pos))

    def punch_node(self, name: str, pos: Pos) -> dict[str, Any]:
        """Punch the node at ``pos`` (its on_punch; default runs on_punchnode callbacks)."""
        return self._call("punch_node", name, _pos(pos))

    def dig_node(self, name: str, pos: Pos) -> dict[str, Any]:
        """Dig the node at ``pos`` with the wielded item: a punch, then on_dig when diggable.

        Returns ``{"ok", "dug", "node", "wielded", "time"}``; ``ok`` is False (with
        ``error``) when the node cannot be dug with the wielded item or the hand.
        """
        return self._call("dig_node", name, _pos(pos))

    def use_item(self, name: str, pos: Pos | None = None, secondary: bool = False) -> dict[str, Any]:
        """Left-click with the wielded item (on_use) at a node or at nothing; ``secondary`` uses
        on_secondary_use (right-click in the air)."""
        return self._call("use_item", name, _pos(pos) if pos is not None else "", 1 if secondary else 0)

    def drop_item(self, name: str) -> dict[str, Any]:
        """Drop the wielded stack (its on_drop, default core.item_drop)."""
        return self._call("drop_item", name)

    # -- map ----------------------------------------------------------------------------------

    def set_node(self, pos: Pos, node: str, param2: int = 0) -> dict[str, Any]:
        """Set a node as core.set_node does (on_destruct, after_destruct, on_construct run)."""
        return self._call("set_node", _pos(pos), node, int(param2))

    def get_node(self, pos: Pos) -> dict[str, Any]:
        """The node at ``pos``: {"name", "param1", "param2"} (unset positions are air)."""
        return self._call("get_node", _pos(pos))["node"]

    def get_meta(self, pos: Pos) -> dict[str, Any]:
        """Node metadata: {"fields": {key: str}, "inventory": {list: [itemstring...]}}."""
        m = self._call("get_meta", _pos(pos))["meta"]
        return {"fields": m.get("fields") or {}, "inventory": m.get("inventory") or {}}

    def set_meta_string(self, pos: Pos, key: str, value: str) -> None:
        self._call("set_meta_string", _pos(pos), key, value)

    def get_inventory(self, kind: str, where: str | Pos) -> dict[str, list[str]]:
        """An inventory as {list: [itemstring...]}; kind is "player" (name), "node" (pos) or
        "detached" (name)."""
        arg = where if isinstance(where, str) else _pos(where)
        return self._call("get_inventory", kind, arg)["inventory"] or {}

    def set_inventory_stack(self, kind: str, where: str | Pos, listname: str, index: int, item: str) -> None:
        """Put an itemstring into slot ``index`` (1-based) of an existing list."""
        arg = where if isinstance(where, str) else _pos(where)
        self._call("set_inventory_stack", kind, arg, listname, int(index), item)

    def move_item(self, player: str, src: Slot, dst: Slot, count: int = 0) -> int:
        """The player moves items between inventory slots, as through a formspec.

        ``src``/``dst`` are (kind, where, list, index) with kind "player"/"node"/"detached" and
        1-based index; ``count`` 0 moves the whole stack. The allow_* callbacks limit the count,
        then on_move, or on_put (destination) and on_take (source) run. Returns the number moved.
        """

        def loc(kind: str, where: str | Pos) -> str:
            return where if isinstance(where, str) else _pos(where)

        return self._call(
            "move_item",
            player,
            src[0],
            loc(src[0], src[1]),
            src[2],
            int(src[3]),
            dst[0],
            loc(dst[0], dst[1]),
            dst[2],
            int(dst[3]),
            int(count),
        )["moved"]

    def node_timer(self, pos: Pos) -> dict[str, Any]:
        """{"started", "timeout", "elapsed"} of the node timer at ``pos``."""
        return self._call("node_timer", _pos(pos))

    def start_node_timer(self, pos: Pos, timeout: float) -> None:
        self._call("start_node_timer", _pos(pos), float(timeout))

    def find_nodes(self, minp: Pos, maxp: Pos, names: Iterable[str]) -> list[dict[str, Any]]:
        """Nodes in the box whose name (or "group:x") matches: [{"x","y","z","name"}...]."""
        return _list(self._call("find_nodes", _pos(minp), _pos(maxp), ",".join(names))["nodes"])

    # -- time ---------------------------------------------------------------------------------

    def step(self, seconds: float, dtime: float = 0.1) -> dict[str, Any]:
        """Advance ``seconds`` in server steps of ``dtime``: node timers, ABMs by interval,
        globalsteps (core.after), entity on_step, emerge callbacks."""
        return self._call("step", float(seconds), float(dtime))

    def call_counts(self, during: str | None = None) -> dict[str, int]:
        """How often each observed engine function (``load_world(observe=...)``) was called; with
        ``during="after"``, only the calls made while a ``core.after`` job ran."""
        res = self._call("call_counts")
        counts = res["in_after"] if during == "after" else res["counts"]
        return {str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else {}

    def call_sites(self, innermost: bool = False) -> dict[str, set[str]]:
        """Where each observed engine function was called from ("source:line"), whatever name the
        mod called it by: the outermost line of mod code on the stack (the main chunk's, at load
        time), or with ``innermost`` the line that made the call itself."""
        sites = self._call("call_counts")["lines" if innermost else "sites"]
        return (
            {str(k): {str(x) for x in _list(v)} for k, v in sites.items()} if isinstance(sites, dict) else {}
        )

    def storage(self, mod: str) -> dict[str, str]:
        """A mod's storage as the engine's database holds it (read engine-side, not through the mod)."""
        fields = self._call("storage", mod)["fields"]
        return {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {}

    def shown_formspec(self, player: str) -> dict[str, Any] | None:
        """The last formspec sent to ``player`` ({"formname", "spec"}), or None when none was."""
        res = self._call("shown_formspec", player)
        return {"formname": res["formname"], "spec": res["spec"]} if "formname" in res else None

    def soak(
        self,
        seconds: float = 60.0,
        dtime: float = 0.09,
        horizon: float | None = None,
        coarse: float | None = None,
        timer_horizon: float | None = None,
        mods: tuple[str, ...] = (),
    ) -> list[Diagnostic]:
        """Let the server run on, then live on until it shuts down, and return the first error raised
        (the real server would crash there). ``seconds`` of game time run in steps of ``dtime`` (the
        engine's dedicated-server step), then on to ``horizon`` seconds in steps of ``coarse``; while
        only timers are pending, time jumps to the next one due, up to ``timer_horizon``. Then a
        player joins, chats, dies, respawns and everyone leaves; static entities are unloaded and
        activated again; the server shuts down (driver.lua ``life_goes_on``) and saves the world
        (``saved_state``). The world is stopped afterwards. ``mods``: the mods whose nodes, items
        and chat commands the visitors meet (default every mod's; beside a game, the sample's)."""
        horizon = horizon or seconds
        res = self._call(
            "soak",
            float(seconds),
            float(dtime),
            float(horizon),
            float(coarse or dtime),
            float(timer_horizon or horizon),
            ",".join(mods),
        )
        self.saved_state = res.get("saved")
        return [Diagnostic.from_dict(d) for d in _list(res["errors"])]

    def run_abms(self, times: int = 1) -> int:
        """Run every ABM ``times`` times now, ignoring intervals; returns how many actions ran."""
        return self._call("run_abms", int(times))["fired"]

    def run_lbms(self, dtime_s: float = 0.0) -> int:
        """Run every LBM over the nodes it matches, as when their map blocks load; returns the count."""
        return self._call("run_lbms", float(dtime_s))["fired"]

    def set_abm_mode(self, mode: str, seed: int = 0) -> None:
        """ "random": chance drawn from a PRNG seeded with ``seed`` (default); "always": chance ignored."""
        self._call("set_abm_mode", mode, int(seed))

    def set_timeofday(self, t: float) -> None:
        self._call("set_timeofday", float(t))

    def time(self) -> dict[str, Any]:
        """{"gametime", "timeofday", "day_count", "steps", "after_pending", "after_next"}."""
        return self._call("time")

    # -- chat ---------------------------------------------------------------------------------

    def chat_command(self, name: str, line: str) -> dict[str, Any]:
        """Run "/cmd args" as the player typed it. Returns {"ok", "success", "message", "chat"}
        where chat lists the messages sent during the command."""
        res = self._call("chat_command", name, line)
        res["chat"] = _list(res.get("chat"))
        return res

    def say(self, name: str, text: str) -> dict[str, Any]:
        """A chat message (on_chat_message callbacks, else broadcast as "<name> text")."""
        return self._call("say", name, text)

    def chat_log(self, since: int = 0) -> list[dict[str, Any]]:
        """Chat messages sent so far: [{"to": player name or "*", "message": str}...]."""
        return _list(self._call("chat_log", int(since))["chat"])

    # -- objects ------------------------------------------------------------------------------

    def add_entity(self, pos: Pos, name: str, staticdata: str = "") -> int | None:
        """Spawn an entity (on_activate runs); returns its object id, None if it is gone."""
        return self._call("add_entity", _pos(pos), name, staticdata).get("id")

    def add_item(self, pos: Pos, item: str) -> int | None:
        """Spawn a dropped item (__builtin:item); returns its object id."""
        return self._call("add_item", _pos(pos), item).get("id")

    def punch_entity(
        self, obj_id: int, player: str, time_from_last_punch: float = 1000000.0
    ) -> dict[str, Any]:
        """The player punches the object with the wielded item (its tool capabilities, get_hit_params,
        on_punch, damage unless on_punch returns true, on_death at 0 HP); the tool then takes the
        punch's wear. Returns {"ok", "object", "wielded"}."""
        return self._call("punch_entity", int(obj_id), player, float(time_from_last_punch))

    def rightclick_entity(self, obj_id: int, player: str) -> dict[str, Any]:
        """The player right-clicks the object (on_rightclick(self, clicker))."""
        return self._call("rightclick_entity", int(obj_id), player)

    def reload_entity(self, obj_id: int, dtime_s: float = 0.0) -> int | None:
        """Unload and reload an entity (get_staticdata, on_deactivate, then on_activate(staticdata,
        dtime_s) on a new object); returns the new object id."""
        return self._call("reload_entity", int(obj_id), float(dtime_s)).get("id")

    def entity(self, obj_id: int) -> dict[str, Any]:
        """Object state: id, kind, name, pos, velocity, hp, armor_groups, removed, fields
        (the LuaEntity's own string/number/boolean fields)."""
        return self._call("entity_state", int(obj_id))["object"]

    def objects(self) -> list[dict[str, Any]]:
        """Every live object (players and entities) by id."""
        return _list(self._call("objects")["objects"])

    # -- restart ------------------------------------------------------------------------------

    def persist(self) -> str:
        """Stop the server as the engine does and return what it saved (opaque; pass it to
        ``load_world(restore=...)`` to start the server again from it).

        Connected players are saved, then the on_shutdown callbacks run (on_leaveplayer does not:
        5.6.1 saves and kicks players without it), then static entities are deactivated
        (get_staticdata, on_deactivate). Saved: mod storage, the map (nodes, node metadata and
        inventories, node timers, static entities), players (position, HP, inventory, metadata),
        auth, the time and files in the world directory; not saved: Lua variables, after() jobs,
        detached inventories, non-static entities. A Lua error in a callback is recorded, as
        usual, in ``errors()``. The world is stopped afterwards (no more steps, no soak).
        """
        state = self.runtime.call("persist")
        if not state.startswith(("return", "local")):  # a driver error comes back as JSON
            raise WorldError(json.loads(state).get("error", "persist failed"))
        return state

    # -- diagnostics and checks -----------------------------------------------------------------

    def errors(self, since: int = 0) -> list[Diagnostic]:
        """Errors recorded so far (load errors and runtime errors in callbacks)."""
        res = self._call("diagnostics", int(since), 0)
        return [Diagnostic.from_dict(d) for d in _list(res["errors"])]

    def warnings(self, since: int = 0) -> list[Diagnostic]:
        res = self._call("diagnostics", 0, int(since))
        return [Diagnostic.from_dict(d) for d in _list(res["warnings"])]

    def output(self, since: int = 0) -> list[str]:
        """Lines printed or logged so far (print, core.log with its level prefix, engine messages)."""
        return _list(self._call("output", int(since))["output"])

    def eval(self, code: str) -> Any:
        """Run Lua check code; returns its first result decoded from JSON (ItemStacks as
        itemstrings, ObjectRefs as {"object": id}). Raises WorldError on a Lua error.

        The code reads the engine API as it was before any mod loaded (a mod cannot change what a
        check reads), except the engine's override points, read live; what it writes to ``minetest``
        reaches the live engine (setup code acting on the game)."""
        res = self.runtime.call_json("eval", code)
        if not res.get("ok"):
            raise WorldError(res.get("error", "eval failed"))
        return res.get("value")


def load_world(
    mods: list[Mod],
    limits: RuntimeLimits | None = None,
    luanti_version: str | None = None,
    runtime: LuanRuntime | None = None,
    startup_steps: int = 0,
    observe: tuple[str, ...] = (),
    restore: str | None = None,
    observe_sites: bool = False,
    registered: bool | frozenset[str] = True,
) -> tuple[LoadReport, World]:
    """Load ``mods`` (dependency order applied) and return the load report and the world
    (in ``runtime`` when given: a fresh one, as for ``run_mods``).

    ``startup_steps`` server steps run after loading, as the engine's start-up does (task checks
    pass the engine's count, so an error in ``after(0, ...)`` or a globalstep fails the load); the
    default 0 keeps the clock at zero for driving the world by hand. ``observe``: engine functions
    whose calls ``World.call_counts`` counts, by any alias, and ``observe_sites`` (run_mods).
    ``restore``: the state a stopped world saved (``World.persist``), to start this one from it (a
    restart). ``registered=False``: the report's registry stays empty (run_mods)."""
    report, rt = run_mods(
        mods,
        limits,
        startup_steps=startup_steps,
        luanti_version=luanti_version,
        runtime=runtime,
        observe=observe,
        restore=restore,
        observe_sites=observe_sites,
        registered=registered,
    )
    return report, World(rt)


__all__ = ["World", "WorldError", "load_world"]
