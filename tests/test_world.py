"""The simulated world and the event driver, with real mods written here.

Scenarios follow what task checks do: join a player, place and dig with drops, right-click a
furnace-like node with a timer and a meta inventory, run ABMs, punch entities, chat commands that
change HP, and the engine's load-time behaviour (map functions return no values at all).
"""

from __future__ import annotations

import pytest

from vf_luanti.mods import MODS_PATH, mod_from_source
from vf_luanti.world import World, WorldError, load_world


def make_world(src: str, name: str = "tmod") -> World:
    report, w = load_world([mod_from_source(src, name=name)])
    assert report.ok, [str(e) for e in report.errors]
    return w


def _wp_lines(w: World) -> list[str]:
    """What a probe mod printed (its lines start with "WP|")."""
    return [ln for ln in w.output() if ln.startswith("WP|")]


BASE = r"""
core.register_node("tmod:stone", {description = "Stone", groups = {cracky = 3}, drop = "tmod:cobble"})
core.register_node("tmod:dirt", {description = "Dirt", groups = {crumbly = 3}})
core.register_node("tmod:grass", {description = "Grass", groups = {crumbly = 3}})
core.register_craftitem("tmod:cobble", {description = "Cobble"})
core.register_tool("tmod:pick", {
    tool_capabilities = {full_punch_interval = 1.0,
        groupcaps = {cracky = {times = {[3] = 1.0}, uses = 10, maxlevel = 1}},
        damage_groups = {fleshy = 4}},
})
"""


# -- load time -----------------------------------------------------------------------------------

LOADTIME = r"""
local p = {x = 0, y = 0, z = 0}
local counts = {}
local function count(label, ...) counts[#counts + 1] = label .. "=" .. select("#", ...) end
count("get_node", core.get_node(p))
count("get_node_or_nil", core.get_node_or_nil(p))
count("set_node", core.set_node(p, {name = "air"}))
count("get_meta", core.get_meta(p))
count("get_node_timer", core.get_node_timer(p))
count("add_entity", core.add_entity(p, "tmod:x"))
count("find_node_near", core.find_node_near(p, 2, "air"))
count("get_gametime", core.get_gametime())
count("get_player_by_name", core.get_player_by_name("x"))
count("get_voxel_manip", core.get_voxel_manip())
core.register_on_mods_loaded(function()
    count("mods_loaded_get_node", core.get_node(p))
end)
function tmod_counts() return counts end
local ok, err = pcall(function() return tostring(core.get_node(p)) end)
tmod_tostring_error = err
"""


def test_load_time_functions_return_no_values() -> None:
    w = make_world(LOADTIME)
    counts = w.eval("return tmod_counts()")
    assert all(c.endswith("=0") for c in counts), counts
    assert "mods_loaded_get_node=0" in counts
    assert "value expected" in w.eval("return tmod_tostring_error")
    # At run time the environment exists: one value, and unknown players still give none.
    assert w.eval("return select('#', core.get_node({x=0,y=0,z=0}))") == 1
    assert w.eval("return select('#', core.get_player_by_name('nobody'))") == 0
    assert w.eval("return core.get_node({x=0,y=0,z=0})") == {"name": "air", "param1": 15, "param2": 0}
    assert w.eval("return core.get_node({x=0,y=40000,z=0}).name") == "ignore"


# -- placing and digging ---------------------------------------------------------------------------


def test_place_and_dig_with_drops_and_wear() -> None:
    w = make_world(BASE)
    assert w.join_player("sam")["ok"]
    assert w.give_item("sam", "tmod:stone 5") == ""
    res = w.place_node("sam", (0, 1, 0))
    assert res["ok"] and res["node"]["name"] == "tmod:stone"
    assert w.player("sam")["wielded"] == "tmod:stone 4"
    # The hand cannot dig cracky nodes: nothing happens.
    w.set_wield_index("sam", 2)
    assert not w.dig_node("sam", (0, 1, 0))["ok"]
    assert w.get_node((0, 1, 0))["name"] == "tmod:stone"
    w.set_wielded("sam", "tmod:pick")
    res = w.dig_node("sam", (0, 1, 0))
    assert res["ok"] and res["dug"]
    assert w.get_node((0, 1, 0))["name"] == "air"
    inv = w.get_inventory("player", "sam")["main"]
    assert inv[0] == "tmod:stone 4" and inv[1] == "tmod:pick 1 2184" and inv[2] == "tmod:cobble"
    assert any("sam digs tmod:stone at (0,1,0)" in line for line in w.runtime.report()["output"])


DROPS = (
    BASE
    + r"""
core.register_node("tmod:ore", {groups = {cracky = 3}, drop = {max_items = 1, items = {
    {items = {"tmod:cobble 2"}, tools = {"tmod:pick"}},
    {items = {"tmod:dirt"}},
}}})
core.register_node("tmod:nodrop", {groups = {cracky = 3}, drop = ""})
"""
)


def test_drop_tables() -> None:
    w = make_world(DROPS)
    assert w.eval("return core.get_node_drops('tmod:ore', 'tmod:pick')") == ["tmod:cobble 2"]
    assert w.eval("return core.get_node_drops('tmod:ore', '')") == ["tmod:dirt"]
    assert w.eval("return #core.get_node_drops('tmod:nodrop', '')") == 0
    assert w.eval("return core.get_node_drops({name = 'tmod:dirt', param2 = 0}, '')") == ["tmod:dirt"]


ORDER = (
    BASE
    + r"""
tmod_log = {}
local function log(s) tmod_log[#tmod_log + 1] = s end
core.register_node("tmod:watched", {
    on_construct = function(pos) log("construct") end,
    on_destruct = function(pos) log("destruct") end,
    after_destruct = function(pos, old) log("after_destruct " .. old.name) end,
    after_place_node = function(pos, placer, stack, pt) log("after_place " .. placer:get_player_name()) end,
    after_dig_node = function(pos, old, meta, digger) log("after_dig " .. meta.fields.k) end,
    can_dig = function(pos, player) return core.get_meta(pos):get_string("k") ~= "locked" end,
    groups = {dig_immediate = 3},       -- diggable by anything (the builtin hand has no capabilities)
})
core.register_on_placenode(function(pos, new, placer, old)
    log("on_placenode " .. new.name .. " " .. old.name)
end)
core.register_on_dignode(function(pos, old, digger) log("on_dignode " .. old.name) end)
"""
)


def test_callback_order_matches_engine() -> None:
    w = make_world(ORDER)
    w.join_player("sam")
    w.give_item("sam", "tmod:watched")
    w.place_node("sam", (0, 0, 0))
    w.set_meta_string((0, 0, 0), "k", "locked")
    w.set_wield_index("sam", 2)
    assert w.dig_node("sam", (0, 0, 0))["dug"] is False
    w.set_meta_string((0, 0, 0), "k", "v")
    assert w.dig_node("sam", (0, 0, 0))["dug"] is True
    w.eval(
        "local p = {x=5,y=0,z=0}; core.set_node(p, {name='tmod:watched'}); "
        "core.set_node(p, {name='tmod:stone'})"
    )
    assert w.eval("return tmod_log") == [
        "construct",
        "after_place sam",
        "on_placenode tmod:watched air",
        "destruct",
        "after_destruct tmod:watched",
        "after_dig v",
        "on_dignode tmod:watched",
        "construct",
        "destruct",
        "after_destruct tmod:watched",
    ]


def test_set_node_errors_and_swap_keeps_meta() -> None:
    w = make_world(BASE)
    with pytest.raises(WorldError, match='"nope:x" is not a registered node!'):
        w.eval("core.set_node({x=0,y=0,z=0}, {name='nope:x'})")
    with pytest.raises(WorldError, match=r"Invalid vector \(expected table got nil\)\."):
        w.eval("core.get_node(nil)")
    code = """
    local p = {x=1,y=2,z=3}
    core.set_node(p, {name='tmod:stone'})
    core.get_meta(p):set_string('a', '1')
    core.swap_node(p, {name='tmod:dirt', param2 = 3})
    local kept = core.get_meta(p):get_string('a')
    core.set_node(p, {name='tmod:stone'})
    return {kept, core.get_meta(p):get_string('a'), core.get_node(p).name}
    """
    assert w.eval(code) == ["1", "", "tmod:stone"]


# -- furnace-like node: right-click, meta inventory, node timer ---------------------------------------

FURNACE = (
    BASE
    + r"""
core.register_node("tmod:furnace", {
    description = "Furnace", paramtype2 = "facedir", groups = {cracky = 3},
    on_construct = function(pos)
        local meta = core.get_meta(pos)
        meta:set_string("infotext", "Furnace (idle)")
        local inv = meta:get_inventory()
        inv:set_size("src", 1)
        inv:set_size("dst", 4)
    end,
    on_rightclick = function(pos, node, clicker, itemstack)
        local inv = core.get_meta(pos):get_inventory()
        local left = inv:add_item("src", itemstack)
        core.get_node_timer(pos):start(2)
        core.get_meta(pos):set_string("infotext", "Furnace (active)")
        return left
    end,
    on_timer = function(pos, elapsed)
        local meta = core.get_meta(pos)
        local inv = meta:get_inventory()
        local src = inv:get_stack("src", 1)
        if src:get_name() == "tmod:cobble" then
            src:take_item()
            inv:set_stack("src", 1, src)
            inv:add_item("dst", "tmod:stone")
            meta:set_int("cooked", meta:get_int("cooked") + 1)
        end
        if inv:is_empty("src") then
            meta:set_string("infotext", "Furnace (idle)")
            return false
        end
        return true
    end,
})
"""
)


def test_furnace_timer_and_meta_inventory() -> None:
    w = make_world(FURNACE)
    w.join_player("sam", pos=(0, 1, -3))
    w.give_item("sam", "tmod:furnace")
    w.place_node("sam", (0, 1, 0))
    node = w.get_node((0, 1, 0))
    assert node["name"] == "tmod:furnace" and node["param2"] == 0  # facing the placer (+z look)
    assert w.get_meta((0, 1, 0))["fields"] == {"infotext": "Furnace (idle)"}
    w.set_wielded("sam", "tmod:cobble 3")
    res = w.rightclick_node("sam", (0, 1, 0))
    assert res["ok"] and res["wielded"] == ""
    meta = w.get_meta((0, 1, 0))
    assert meta["inventory"]["src"] == ["tmod:cobble 3"]
    assert w.node_timer((0, 1, 0))["started"]
    w.step(3.05)
    assert w.get_meta((0, 1, 0))["fields"]["cooked"] == "1"
    w.step(10)
    meta = w.get_meta((0, 1, 0))
    assert meta["fields"] == {"infotext": "Furnace (idle)", "cooked": "3"}
    assert meta["inventory"]["dst"] == ["tmod:stone 3", "", "", ""]
    assert not w.node_timer((0, 1, 0))["started"]


def test_sneak_places_instead_of_rightclick() -> None:
    w = make_world(FURNACE)
    w.join_player("sam")
    w.set_node((0, 0, 0), "tmod:furnace")
    w.set_wielded("sam", "tmod:stone")
    w.set_player_control("sam", ["sneak"])
    w.rightclick_node("sam", (0, 0, 0))
    assert w.get_node((0, 1, 0))["name"] == "tmod:stone"
    assert w.get_meta((0, 0, 0))["inventory"]["src"] == [""]


# -- ABMs ----------------------------------------------------------------------------------------

ABM = (
    BASE
    + r"""
core.register_abm({
    label = "grass spreads", nodenames = {"tmod:dirt"}, neighbors = {"group:crumbly"},
    interval = 5, chance = 4,
    action = function(pos, node) core.set_node(pos, {name = "tmod:grass"}) end,
})
"""
)


def test_abm_modes_and_neighbors() -> None:
    w = make_world(ABM)
    for x in range(10):
        w.set_node((x, 0, 0), "tmod:dirt")
    w.set_node((20, 0, 0), "tmod:dirt")  # no crumbly neighbour: never turns
    w.set_abm_mode("always")
    assert w.run_abms(1) == 10
    assert [n["name"] for n in w.find_nodes((0, 0, 0), (20, 0, 0), ["tmod:grass"])] == ["tmod:grass"] * 10
    assert w.get_node((20, 0, 0))["name"] == "tmod:dirt"


def test_abm_chance_is_seeded_and_interval_respected() -> None:
    def turned(seed: int) -> list[int]:
        w = make_world(ABM)
        for x in range(40):
            w.set_node((x, 0, 0), "tmod:dirt")
        w.set_abm_mode("random", seed)
        w.run_abms(1)
        return [n["x"] for n in w.find_nodes((0, 0, 0), (40, 0, 0), ["tmod:grass"])]

    first = turned(7)
    assert first == turned(7)
    assert 0 < len(first) < 40
    w = make_world(ABM)
    w.set_node((0, 0, 0), "tmod:dirt")
    w.set_node((1, 0, 0), "tmod:dirt")
    w.set_abm_mode("always")
    w.step(4.5)
    assert w.get_node((0, 0, 0))["name"] == "tmod:dirt"
    w.step(1)
    assert w.get_node((0, 0, 0))["name"] == "tmod:grass"


# -- entities --------------------------------------------------------------------------------------

MOB = (
    BASE
    + r"""
core.register_entity("tmod:mob", {
    initial_properties = {hp_max = 10, physical = false},
    on_activate = function(self, staticdata, dtime_s) self.data = staticdata; self.steps = 0 end,
    on_step = function(self, dtime, moveresult) self.steps = self.steps + 1 end,
    on_punch = function(self, puncher, tflp, caps, dir, damage)
        self.last_damage = damage
        self.puncher = puncher and puncher:get_player_name() or ""
    end,
    on_rightclick = function(self, clicker) self.clicked = clicker:get_player_name() end,
    on_death = function(self, killer) tmod_death = killer and killer:get_player_name() or "?" end,
})
core.register_entity("tmod:tank", {
    initial_properties = {hp_max = 10},
    on_punch = function(self) return true end,
})
"""
)


def test_entity_punch_rightclick_death() -> None:
    w = make_world(MOB)
    w.join_player("sam")
    oid = w.add_entity((3, 0, 0), "tmod:mob", "hello")
    assert oid is not None
    e = w.entity(oid)
    assert e["hp"] == 10 and e["fields"]["data"] == "hello"
    assert (
        w.eval("""
        for _, o in ipairs(core.get_objects_inside_radius({x=3,y=0,z=0}, 1)) do
            local ent = o:get_luaentity()
            if ent then return getmetatable(ent) == core.registered_entities['tmod:mob'] end
        end""")
        is True
    )
    w.step(1)
    assert w.entity(oid)["fields"]["steps"] == 10
    w.set_wielded("sam", "tmod:pick")
    res = w.punch_entity(oid, "sam")
    assert res["object"]["hp"] == 6 and res["object"]["fields"]["last_damage"] == 4
    # registration fills punch_attack_uses = uses * 3^(maxlevel-1) = 10: the pick takes 65536 // 10
    assert res["wielded"] == "tmod:pick 1 6553"
    assert res["object"]["fields"]["puncher"] == "sam"
    w.rightclick_entity(oid, "sam")
    assert w.entity(oid)["fields"]["clicked"] == "sam"
    w.punch_entity(oid, "sam")
    res = w.punch_entity(oid, "sam")
    assert res["object"]["removed"] and res["object"]["hp"] == 0
    assert w.eval("return tmod_death") == "sam"
    assert all(o["id"] != oid for o in w.objects())
    tank = w.add_entity((0, 0, 0), "tmod:tank")
    assert w.punch_entity(tank, "sam")["object"]["hp"] == 10  # on_punch returning true: no damage


def test_unknown_entity_gives_objectref_and_logs() -> None:
    w = make_world(BASE)
    assert w.eval("return type(core.add_entity({x=0,y=0,z=0}, 'nomod:nothing'))") == "userdata"
    assert 'ERROR[Server]: LuaEntity name "nomod:nothing" not defined' in w.runtime.report()["output"]


def test_items_drop_and_pickup() -> None:
    w = make_world(BASE)
    w.join_player("sam")
    w.set_node((0, -1, 0), "tmod:stone")
    oid = w.add_item((0, 1, 0), "tmod:cobble 3")
    assert oid is not None
    assert w.entity(oid)["fields"]["itemstring"] == "tmod:cobble 3"
    w.step(2)
    assert w.entity(oid)["pos"]["y"] > -0.5  # landed on the stone, not through it
    w.punch_entity(oid, "sam")
    assert w.get_inventory("player", "sam")["main"][0] == "tmod:cobble 3"
    assert w.entity(oid)["removed"]


FALLING = (
    BASE
    + r"""
core.register_node("tmod:sand", {groups = {crumbly = 3, falling_node = 1}})
"""
)


def test_falling_node_falls_and_lands() -> None:
    w = make_world(FALLING)
    w.set_node((0, 0, 0), "tmod:stone")
    w.set_node((0, 5, 0), "tmod:sand")
    w.eval("core.check_for_falling({x=0,y=5,z=0})")
    assert w.get_node((0, 5, 0))["name"] == "air"
    w.step(3)
    assert w.get_node((0, 1, 0))["name"] == "tmod:sand"
    assert [o for o in w.objects() if o["kind"] == "entity"] == []


# -- players: HP, eating, chat ------------------------------------------------------------------------

HP = (
    BASE
    + r"""
core.register_on_player_hpchange(function(player, change, reason)
    if change < 0 and tmod_halve then return math.floor(change / 2) end
    return change
end, true)
core.register_on_dieplayer(function(player, reason) tmod_died = reason.type end)
core.register_craftitem("tmod:apple", {on_use = core.item_eat(2)})
"""
)

CHAT = (
    HP
    + r"""
core.register_chatcommand("hurt", {
    params = "<amount>", description = "Hurt yourself",
    func = function(name, param)
        local amount = tonumber(param)
        if not amount then return false, "Not a number: " .. param end
        local player = core.get_player_by_name(name)
        player:set_hp(player:get_hp() - amount)
        return true, "Ouch! HP is now " .. player:get_hp()
    end,
})
"""
)


def test_hp_modifier_death_and_eating() -> None:
    w = make_world(HP)
    w.join_player("sam")
    w.eval("_G.tmod_halve = true")  # the mods' globals: a check's own names are private
    assert w.set_hp("sam", 10) == 15  # -10 halved by the modifier
    w.eval("_G.tmod_halve = false")
    w.set_wielded("sam", "tmod:apple 2")
    res = w.use_item("sam")
    assert res["called"] and res["wielded"] == "tmod:apple"
    assert w.player("sam")["hp"] == 17
    w.set_hp("sam", 0)
    w.set_hp("sam", 0)
    assert w.player("sam")["hp"] == 0
    assert w.eval("return tmod_died") == "set_hp"
    assert w.respawn_player("sam")["hp"] == 20


def test_chat_command_changes_hp() -> None:
    w = make_world(CHAT)
    w.join_player("sam", privs=["interact", "shout"])
    res = w.chat_command("sam", "/hurt 4")
    assert res["ok"] and res["success"] is True
    assert w.player("sam")["hp"] == 16
    assert "Ouch! HP is now 16" in [m["message"] for m in w.chat_log()]
    bad = w.chat_command("sam", "/hurt lots")
    assert any("Not a number: lots" in m for m in bad["chat"])


# -- errors ----------------------------------------------------------------------------------------

ERRORS = (
    BASE
    + r"""
core.register_node("tmod:broken", {
    groups = {oddly_breakable_by_hand = 3},
    on_punch = function(pos, node, puncher)
        local t = nil
        return t.field
    end,
})
core.register_globalstep(function(dtime)
    if tmod_fail then error("step failed") end
end)
tmod_after_err = select(2, pcall(core.after, "soon", nil))
"""
)


def test_runtime_errors_are_recorded_not_raised() -> None:
    w = make_world(ERRORS)
    assert "Invalid minetest.after invocation" in w.eval("return tmod_after_err")
    w.join_player("sam")
    w.set_node((0, 0, 0), "tmod:broken")
    res = w.punch_node("sam", (0, 0, 0))
    assert res["ok"] is False
    err = w.errors()[-1]
    assert err.message == (
        "Runtime error from mod 'tmod' in callback node_on_punch(): attempt to index local 't' (a nil value)"
    )
    line = next(i for i, text in enumerate(ERRORS.split("\n"), 1) if "return t.field" in text)
    assert err.mod == "tmod" and err.file and err.file.endswith("tmod/init.lua") and err.line == line
    w.eval("_G.tmod_fail = true")
    w.step(0.1)
    assert "in callback environment_Step(): step failed" in w.errors()[-1].message
    with pytest.raises(WorldError, match="no such player"):
        w.player("nobody")


# -- voxel manipulator ---------------------------------------------------------------------------------


def test_voxelmanip_round_trip() -> None:
    w = make_world(BASE)
    code = """
    local vm = core.get_voxel_manip()
    local emin, emax = vm:read_from_map({x=0,y=0,z=0}, {x=3,y=3,z=3})
    local area = VoxelArea:new({MinEdge = emin, MaxEdge = emax})
    local data = vm:get_data()
    local stone = core.get_content_id("tmod:stone")
    for i in area:iter(0, 0, 0, 2, 0, 0) do data[i] = stone end
    vm:set_data(data)
    vm:write_to_map()
    local p = area:position(area:index(2, 0, 0))
    return {emin, emax, core.get_node({x=2,y=0,z=0}).name, core.get_node({x=3,y=0,z=0}).name,
        area:getVolume(), p, area:containsp({x=16,y=0,z=0})}
    """
    emin, emax, n2, n3, vol, p, contains = w.eval(code)
    assert emin == {"x": 0, "y": 0, "z": 0} and emax == {"x": 15, "y": 15, "z": 15}
    assert (n2, n3, vol, p, contains) == ("tmod:stone", "air", 4096, {"x": 2, "y": 0, "z": 0}, False)


# -- searches, time, core.after ------------------------------------------------------------------------

AFTER = (
    BASE
    + r"""
tmod_events = {}
local function log(s) tmod_events[#tmod_events + 1] = s end
core.after(1, log, "one")
local job = core.after(1.5, log, "cancelled")
job:cancel()
core.after(2, function(a, b) log(a .. b) end, "t", "wo")
local conn = core.get_connected_players()
tmod_conn_count = #conn
"""
)


def test_after_searches_and_time() -> None:
    w = make_world(AFTER)
    assert w.eval("return tmod_conn_count") == 0
    assert any(
        d.message == "Calling get_connected_players() at mod load time is deprecated" for d in w.warnings()
    )
    w.step(0.9)
    assert not w.eval("return tmod_events")  # an empty Lua table (JSON {})
    w.step(0.1)  # ten steps of 0.1 s: exactly 1 s
    assert w.eval("return tmod_events") == ["one"]
    w.step(1.0)
    assert w.eval("return tmod_events") == ["one", "two"]
    assert w.eval("return core.get_gametime()") == 2
    for x in (-2, 1, 3):
        w.set_node((x, 0, 0), "tmod:stone")
    w.set_node((0, 0, 0), "tmod:dirt")
    near = w.eval("return core.find_node_near({x=0,y=0,z=0}, 5, {'tmod:stone'})")
    assert near == {"x": 1, "y": 0, "z": 0}
    assert w.eval("return core.find_node_near({x=0,y=0,z=0}, 5, 'tmod:dirt')") is None
    centre = w.eval("return core.find_node_near({x=0,y=0,z=0}, 5, 'tmod:dirt', true)")
    assert centre == {"x": 0, "y": 0, "z": 0}
    pos, counts = w.eval(
        "return {core.find_nodes_in_area({x=-5,y=0,z=0}, {x=5,y=0,z=0}, "
        "{'tmod:stone', 'group:crumbly', 'tmod:grass'})}"
    )
    assert pos == [
        {"x": -2, "y": 0, "z": 0},
        {"x": 0, "y": 0, "z": 0},
        {"x": 1, "y": 0, "z": 0},
        {"x": 3, "y": 0, "z": 0},
    ]
    assert counts == {"tmod:stone": 3, "tmod:dirt": 1, "tmod:grass": 0}
    w.eval(
        "core.emerge_area({x=0,y=0,z=0}, {x=20,y=0,z=0}, function(bp, action, left) "
        "tmod_events[#tmod_events + 1] = 'emerged ' .. left end)"
    )
    w.step(0.1)
    assert w.eval("return tmod_events")[-2:] == ["emerged 1", "emerged 0"]


def test_find_node_near_order_and_light_match_engine() -> None:
    # Expected values from Luanti 5.6.1: (0,0,-2) and (2,0,0) are equally near; the engine's shell
    # order finds (2,0,0). Under a node in open daylight the light is 14 (spread sideways).
    w = make_world(BASE)
    for p in ((0, 0, 0), (2, 0, 0), (0, 0, -2)):
        w.set_node(p, "tmod:stone")
    w.set_timeofday(0.5)
    assert w.eval("return core.find_node_near({x=0,y=0,z=0}, 3, 'tmod:stone')") == {"x": 2, "y": 0, "z": 0}
    light = w.eval(
        "return {core.get_node_light({x=5,y=5,z=5}), core.get_node_light({x=0,y=-1,z=0}), "
        "core.get_node_light({x=5,y=5,z=5}, 0), core.get_node_light({x=0,y=0,z=0})}"
    )
    assert light == [15, 14, 2, 0]


STALE = (
    BASE
    + r"""
core.register_node("tmod:chest", {on_construct = function(pos)
    core.get_meta(pos):get_inventory():set_size("main", 2)
end})
core.register_entity("tmod:blob", {initial_properties = {hp_max = 5}})
"""
)


def test_refs_follow_the_engine_after_removal() -> None:
    # Values from Luanti 5.6.1: an InvRef of a node whose metadata is gone finds nothing; a gone
    # object answers get_hp() with 1 and get_pos() with no value; tostring(ItemStack).
    w = make_world(STALE)
    code = """
    local p = {x=0,y=0,z=0}
    local none = core.get_inventory({type = "node", pos = p})
    core.set_node(p, {name = "tmod:chest"})
    local inv = core.get_meta(p):get_inventory()
    local size = inv:get_size("main")
    core.set_node(p, {name = "air"})
    local e = core.add_entity({x=1,y=0,z=0}, "tmod:blob")
    local hp = e:get_hp()
    e:set_hp(0)
    return {none == nil, size, inv:get_size("main"), inv:set_size("main", 3),
        tostring(inv:get_stack("main", 1)), hp, e:get_hp(), select("#", e:get_pos()),
        e:get_luaentity() == nil, tostring(ItemStack("tmod:stone 2"))}
    """
    assert w.eval(code) == [True, 2, 0, False, 'ItemStack("")', 5, 1, 0, True, 'ItemStack("tmod:stone 2")']


def test_line_of_sight_and_raycast() -> None:
    w = make_world(MOB)
    w.set_node((3, 0, 0), "tmod:stone")
    oid = w.add_entity((6, 0, 0), "tmod:mob")
    assert w.eval("return {core.line_of_sight({x=0,y=0,z=0}, {x=2,y=0,z=0})}") == [True]
    assert w.eval("return {core.line_of_sight({x=0,y=0,z=0}, {x=9,y=0,z=0})}") == [
        False,
        {"x": 3, "y": 0, "z": 0},
    ]
    hits = w.eval("""
        local out = {}
        for pt in Raycast({x=0,y=0,z=0}, {x=9,y=0,z=0}, true, false) do
            out[#out + 1] = pt.type == "node" and {pt.under, pt.above} or pt.ref
        end
        return out""")
    assert hits == [[{"x": 3, "y": 0, "z": 0}, {"x": 2, "y": 0, "z": 0}], {"object": oid}]


def test_voxelarea_iter_matches_index() -> None:
    w = make_world(BASE)
    code = """
    local a = VoxelArea:new({MinEdge = {x=-2,y=-1,z=0}, MaxEdge = {x=3,y=2,z=4}})
    local got, want = {}, {}
    for i in a:iter(-1, 0, 1, 2, 2, 3) do got[#got + 1] = i end
    for z = 1, 3 do for y = 0, 2 do for x = -1, 2 do want[#want + 1] = a:index(x, y, z) end end end
    local same = #got == #want
    for k = 1, #want do same = same and got[k] == want[k] end
    local p = a:position(a:indexp({x=3,y=2,z=4}))
    return {same, #got, a:getVolume(), p, a:containsi(a:getVolume() + 1), a.ystride, a.zstride}
    """
    assert w.eval(code) == [True, 36, 120, {"x": 3, "y": 2, "z": 4}, False, 6, 24]


PUNCH = (
    BASE
    + r"""
core.register_entity("tmod:target", {
    initial_properties = {hp_max = 10},
    on_punch = function(self, puncher, tflp, caps, dir, damage)
        tmod_punch = {tflp, caps, dir, damage}
    end,
})
"""
)


def test_objectref_punch_matches_engine() -> None:
    # Luanti 5.6.1: the callback gets the re-read capabilities, the unit direction from the
    # puncher, and the damage; a nil puncher is an argument error.
    w = make_world(PUNCH)
    code = """
    local e = core.add_entity({x=0,y=3,z=0}, "tmod:target")
    local p = core.add_entity({x=5,y=5,z=5}, "tmod:target")
    e:punch(p, 1, {full_punch_interval = 1, damage_groups = {fleshy = 3}})
    local ok, err = pcall(e.punch, e, nil, 1, {})
    local t = tmod_punch
    return {e:get_hp(), t[1], t[2].max_drop_level, t[2].punch_attack_uses, math.floor(t[3].x * 1000),
        math.floor(t[3].y * 1000), t[4], err}
    """
    assert w.eval(code) == [
        7,
        1,
        1,
        0,
        -681,
        -273,
        3,
        "bad argument #1 to 'punch' (userdata expected, got nil)",
    ]


MOVES = (
    BASE
    + r"""
tmod_moves = {}
core.register_node("tmod:oven", {
    on_construct = function(pos)
        local inv = core.get_meta(pos):get_inventory()
        inv:set_size("src", 1)
        inv:set_size("dst", 1)
    end,
    allow_metadata_inventory_put = function(pos, listname, index, stack, player)
        if listname ~= "src" or stack:get_name() ~= "tmod:cobble" then return 0 end
        return math.min(stack:get_count(), 5)
    end,
    allow_metadata_inventory_take = function(pos, listname, index, stack, player) return -1 end,
    on_metadata_inventory_put = function(pos, listname, index, stack, player)
        local who = player:get_player_name()
        tmod_moves[#tmod_moves + 1] = "put " .. listname .. " " .. stack:to_string() .. " by " .. who
        core.get_node_timer(pos):start(1)
    end,
    on_metadata_inventory_take = function(pos, listname, index, stack, player)
        tmod_moves[#tmod_moves + 1] = "take " .. stack:to_string()
    end,
})
"""
)


def test_move_item_runs_inventory_callbacks() -> None:
    w = make_world(MOVES)
    w.join_player("sam")
    w.set_node((0, 0, 0), "tmod:oven")
    w.give_item("sam", "tmod:cobble 8")
    w.give_item("sam", "tmod:dirt")
    assert w.move_item("sam", ("player", "sam", "main", 2), ("node", (0, 0, 0), "src", 1)) == 0
    assert w.move_item("sam", ("player", "sam", "main", 1), ("node", (0, 0, 0), "src", 1)) == 5
    assert w.get_inventory("player", "sam")["main"][:2] == ["tmod:cobble 3", "tmod:dirt"]
    assert w.get_meta((0, 0, 0))["inventory"]["src"] == ["tmod:cobble 5"]
    assert w.node_timer((0, 0, 0))["started"]
    # allow_take returning -1: the player gets the items and the oven keeps them ("infinite").
    assert w.move_item("sam", ("node", (0, 0, 0), "src", 1), ("player", "sam", "main", 3), 2) == 2
    assert w.get_meta((0, 0, 0))["inventory"]["src"] == ["tmod:cobble 5"]
    assert w.get_inventory("player", "sam")["main"][2] == "tmod:cobble 2"
    assert w.eval("return tmod_moves") == ["put src tmod:cobble 5 by sam", "take tmod:cobble 2"]


PERSIST = (
    BASE
    + r"""
core.register_entity("tmod:pet", {
    initial_properties = {hp_max = 4},
    on_activate = function(self, staticdata, dtime_s)
        self.name_tag = staticdata ~= "" and staticdata or "unnamed"
        self.loaded_after = dtime_s
    end,
    get_staticdata = function(self) return self.name_tag end,
    on_deactivate = function(self, removal) tmod_deactivated = removal end,
})
core.register_lbm({
    name = "tmod:fix_dirt", nodenames = {"tmod:dirt"}, run_at_every_load = true,
    action = function(pos, node, dtime_s) core.set_node(pos, {name = "tmod:grass"}) end,
})
"""
)


def test_reload_entity_and_lbms() -> None:
    w = make_world(PERSIST)
    oid = w.add_entity((1, 2, 3), "tmod:pet")
    w.eval("core.get_objects_inside_radius({x=1,y=2,z=3}, 0.5)[1]:get_luaentity().name_tag = 'rex'")
    new = w.reload_entity(oid, 30)
    assert new is not None and new != oid
    state = w.entity(new)
    assert state["fields"]["name_tag"] == "rex" and state["fields"]["loaded_after"] == 30
    assert state["pos"] == {"x": 1, "y": 2, "z": 3}
    assert w.eval("return tmod_deactivated") is False
    w.set_node((0, 0, 0), "tmod:dirt")
    w.set_node((5, 0, 0), "tmod:dirt")
    assert w.run_lbms() == 2
    assert w.get_node((5, 0, 0))["name"] == "tmod:grass"


# -- fidelity fixes checked against Luanti 5.6.1 (see PROBE3 below for the engine-backed twin) ------------

METHODS = r"""
tmod_storage = core.get_mod_storage()
function tmod_calls()
    local meta = core.get_meta({x = 0, y = 0, z = 0})
    local stack = ItemStack("tmod:cobble")
    local out = {}
    for _, f in ipairs({function() return tmod_storage:get_keys() end, function() return meta:get_keys() end,
            function() return stack:get_meta():get_keys() end, function() return stack:equals(stack) end}) do
        local ok, err = pcall(f)
        out[#out + 1] = ok and "ok" or err:gsub("^.-:%d+: ", "")
    end
    return out
end
"""


def test_post_561_methods_follow_the_target_version() -> None:
    # 5.6.1's MetaDataRef/StorageRef have no get_keys and ItemStack no equals (both 5.7.0).
    w = make_world(BASE + METHODS)
    assert w.eval("return tmod_calls()") == ["attempt to call method 'get_keys' (a nil value)"] * 3 + [
        "attempt to call method 'equals' (a nil value)"
    ]
    # failures the mod catches are silent, as in the engine (an uncaught one gets the hint: test_parity)
    assert not [d.message for d in w.warnings() if "needs Luanti" in d.message]
    report, w7 = load_world([mod_from_source(BASE + METHODS, name="tmod")], luanti_version="5.7")
    assert report.ok
    assert w7.eval("return tmod_calls()") == ["ok"] * 4
    # PseudoRandom/PcgRandom:get_state are 5.9.
    code = "return {pcall(function() return PcgRandom(1):get_state() end)}"
    assert w7.eval(code)[0] is False
    _, w9 = load_world([mod_from_source(BASE, name="tmod")], luanti_version="5.9")
    assert w9.eval(code)[0] is True


PRIVS = (
    BASE
    + r"""
tmod_cb = {}
core.register_privilege("fly2", {
    on_grant = function(name, by) tmod_cb[#tmod_cb + 1] = "grant " .. name .. " " .. tostring(by) end,
    on_revoke = function(name, by) tmod_cb[#tmod_cb + 1] = "revoke " .. name .. " " .. tostring(by) end,
})
"""
)


def test_set_player_privs_runs_no_priv_callbacks() -> None:
    # 5.6.1's builtin handler stores the new table before comparing, so set_privileges never runs
    # on_grant/on_revoke; /grant and /revoke run them once per named privilege.
    w = make_world(PRIVS)
    w.join_player("sam", privs=["privs", "interact"])
    w.join_player("ann")
    w.eval('core.set_player_privs("ann", {fly2 = true}); core.set_player_privs("ann", {})')
    assert w.eval("return tmod_cb") == {}
    assert w.chat_command("sam", "/grant ann fly2")["success"]
    assert w.chat_command("sam", "/revoke ann fly2")["success"]
    assert w.eval("return tmod_cb") == ["grant ann sam", "revoke ann sam"]


ENTITY_PROPS = (
    BASE
    + r"""
core.register_entity("tmod:plain", {})
"""
)


def test_entity_property_defaults_and_conversions() -> None:
    w = make_world(ENTITY_PROPS)
    code = """
    local e = core.add_entity({x = 0, y = 1, z = 0}, "tmod:plain")
    local r = {e:get_hp(), e:get_properties().hp_max}
    e:set_properties({visual_size = {x = 2, y = 3}})
    local v = e:get_properties().visual_size
    r[#r + 1] = v.x .. "," .. v.y .. "," .. v.z
    e:set_properties({visual_size = {y = 7}})
    v = e:get_properties().visual_size
    r[#r + 1] = v.x .. "," .. v.y .. "," .. v.z
    return r
    """
    assert w.eval(code) == [10, 10, "2,3,2", "0,7,0"]


def test_nametag_attributes_are_colour_tables() -> None:
    w = make_world(ENTITY_PROPS)
    code = """
    local e = core.add_entity({x = 0, y = 1, z = 0}, "tmod:plain")
    local a = e:get_nametag_attributes()
    e:set_nametag_attributes({color = "#FF0000", bgcolor = "#00FF0080", text = "hi"})
    local b = e:get_nametag_attributes()
    e:set_nametag_attributes({color = {r = 1, g = 2, b = 3}, bgcolor = false})
    local c = e:get_nametag_attributes()
    return {a.bgcolor, a.color.a, b.color.r, b.color.g, b.color.a, b.bgcolor.g, b.bgcolor.a, b.text,
        c.color.a, c.color.b, c.bgcolor, c.text, e:get_properties().nametag_color.r}
    """
    assert w.eval(code) == [False, 255, 255, 0, 255, 255, 128, "hi", 255, 3, False, "", 1]


def test_objectref_punch_without_capabilities_errors() -> None:
    w = make_world(PUNCH)
    code = """
    local e = core.add_entity({x = 0, y = 3, z = 0}, "tmod:target")
    local p = core.add_entity({x = 5, y = 5, z = 5}, "tmod:target")
    local ok, err = pcall(e.punch, e, p, 1, nil, {x = 1, y = 0, z = 0})
    return {ok, err, e:get_hp()}
    """
    assert w.eval(code) == [False, "attempt to index a nil value", 10]


def test_player_punch_direction_starts_at_the_eyes() -> None:
    w = make_world(PUNCH)
    w.join_player("sam", pos=(0, 0, 0))
    oid = w.add_entity((0, 1.625, 2), "tmod:target")
    w.punch_entity(oid, "sam")
    assert w.eval("local d = tmod_punch[3] return {d.x, d.y, d.z}") == [0, 0, 1]


def test_get_player_by_name_checks_its_argument() -> None:
    w = make_world(BASE)
    code = """
    local ok, err = pcall(core.get_player_by_name, nil)
    local ok2, err2 = pcall(function() local r = core.get_player_by_name() return r end)
    return {ok, err, ok2, err2, select("#", core.get_player_by_name(5))}
    """
    assert w.eval(code) == [
        False,
        "bad argument #1 to '?' (string expected, got nil)",
        False,
        "bad argument #1 to 'get_player_by_name' (string expected, got no value)",
        0,
    ]


REJOIN = (
    BASE
    + r"""
tmod_new = 0
core.register_on_newplayer(function(player) tmod_new = tmod_new + 1 end)
"""
)


def test_rejoining_player_keeps_saved_state() -> None:
    w = make_world(REJOIN)
    w.join_player("sam", privs=["interact", "fly"], pos=(3, 4, 5))
    w.give_item("sam", "tmod:cobble 7")
    w.set_hp("sam", 13)
    w.eval('core.get_player_by_name("sam"):get_meta():set_string("quest", "done")')
    w.leave_player("sam")
    assert w.join_player("sam")["new"] is False
    p = w.player("sam")
    assert p["hp"] == 13 and p["pos"] == {"x": 3, "y": 4, "z": 5}
    assert p["inventory"]["main"][0] == "tmod:cobble 7"
    assert w.eval('return core.get_player_by_name("sam"):get_meta():get_string("quest")') == "done"
    assert w.eval('return core.check_player_privs("sam", {fly = true})') is True
    assert w.eval("return tmod_new") == 1


def test_nodemeta_to_table_holds_itemstacks() -> None:
    # 5.6.1: the inventory part of NodeMetaRef:to_table() holds ItemStack copies, so the table cannot be
    # serialized as it is; from_table takes itemstrings, numbers and ItemStacks at numeric indices.
    w = make_world(BASE)
    code = """
    local p = {x = 0, y = 0, z = 0}
    core.set_node(p, {name = "tmod:stone"})
    local m = core.get_meta(p)
    m:set_string("a", "b")
    m:get_inventory():set_size("main", 2)
    m:get_inventory():set_stack("main", 2, "tmod:cobble 5")
    local t = m:to_table()
    local s = t.inventory.main[2]
    s:set_count(1)
    local ok, err = pcall(core.serialize, t)
    local r = {type(s), m:get_inventory():get_stack("main", 2):to_string(), ok, (err:gsub("^.-:%d+: ", ""))}
    r[#r + 1] = m:from_table({fields = {x = 1.5, e = "", f = true},
        inventory = {main = {[1] = "tmod:cobble 2", [4] = ItemStack("tmod:dirt")}, empty = {}, n = {7}}})
    t = m:to_table()
    r[#r + 1] = #t.inventory.main .. " " .. t.inventory.main[4]:to_string() .. " "
        .. t.inventory.main[2]:to_string()
        .. "|" .. t.inventory.n[1]:to_string() .. "|" .. #t.inventory.empty .. " " .. tostring(t.fields.x)
        .. " " .. tostring(t.fields.e) .. " " .. tostring(t.fields.f) .. " " .. tostring(t.fields.a)
    for _, bad in ipairs({{inventory = {main = "x"}}, {inventory = {main = {a = "x"}}},
            {inventory = {main = {[0] = "x"}}}, {inventory = {main = {{name = "x"}}}},
            {inventory = {main = {true}}}, {fields = {[1] = "x"}}}) do
        local ok2, e = pcall(m.from_table, m, bad)
        r[#r + 1] = tostring(ok2) .. " " .. e
    end
    r[#r + 1] = m:get_string("1") .. " " .. tostring(m:from_table(nil)) .. " " .. m:get_string("1")
    return r
    """
    assert w.eval(code) == [
        "userdata",
        "tmod:cobble 5",
        False,
        "unsupported type: userdata",
        True,
        "4 tmod:dirt |7|0 1.5 nil nil nil",
        "false bad argument #8 to '?' (table expected, got string)",
        "false bad argument #10 to '?' (number expected, got string)",
        "false Invalid inventory list index",
        "false invalid key to 'next'",
        "false Expecting itemstack, itemstring, table or nil",
        "false invalid key to 'next'",
        "x true ",
    ]


def test_falling_node_keeps_meta_inventory() -> None:
    # builtin's falling entity turns to_table's ItemStacks into strings before serializing them.
    w = make_world(BASE + 'core.register_node("tmod:sand", {groups = {crumbly = 3, falling_node = 1}})')
    w.set_node((0, 0, 0), "tmod:stone")
    w.set_node((0, 5, 0), "tmod:sand")
    w.eval('core.get_meta({x = 0, y = 5, z = 0}):get_inventory():set_size("main", 1)')
    w.set_inventory_stack("node", (0, 5, 0), "main", 1, "tmod:cobble 3")
    w.eval("core.check_for_falling({x = 0, y = 5, z = 0})")
    (falling,) = [o["id"] for o in w.objects() if o["name"] == "__builtin:falling_node"]
    w.reload_entity(falling)  # get_staticdata serializes the node and its metadata
    w.step(30)
    assert w.errors() == []
    assert w.get_node((0, 1, 0))["name"] == "tmod:sand"
    assert w.get_meta((0, 1, 0))["inventory"]["main"][0] == "tmod:cobble 3"


DEPRECATED_OBJECT = (
    BASE
    + r"""
core.register_entity("tmod:plain", {})
function tmod_deprecated()
    local e = core.add_entity({x = 0, y = 1, z = 0}, "tmod:plain")
    local p = core.get_player_by_name("sam")
    local r = {select("#", e:add_player_velocity({x = 1, y = 0, z = 0})), e:get_player_velocity().x,
        select("#", e:get_sky_color()), select("#", e:get_sky_color())}
    for _ = 1, 2 do e:get_player_velocity() end
    local c = p:get_sky_color()
    r[#r + 1] = c.day_sky.r .. "," .. c.day_sky.g .. "," .. c.day_sky.b .. " " .. c.fog_moon_tint.r .. " "
        .. c.fog_tint_type
    p:set_sky({sky_color = {day_sky = "#112233", fog_tint_type = "custom"}})
    c = p:get_sky_color()
    r[#r + 1] = c.day_sky.b .. " " .. c.fog_sun_tint.g .. " " .. c.fog_tint_type .. " " .. c.night_sky.g
    p:set_sky({type = "plain"})
    c = p:get_sky_color()
    r[#r + 1] = tostring(c.day_sky) .. " " .. c.fog_tint_type .. " "
        .. tostring(p:get_sky(true).sky_color.day_sky)
    p:set_sky()
    r[#r + 1] = p:get_sky_color().day_sky.b
    e:remove()
    r[#r + 1] = select("#", e:add_player_velocity({x = 1, y = 0, z = 0}))
    return r
end
"""
)


def test_deprecated_player_velocity_and_sky_color() -> None:
    # 5.6.1 ObjectRefs still have add_player_velocity / get_player_velocity (add_velocity / get_velocity,
    # warning once per location) and get_sky_color (get_sky(true).sky_color, warning on every call).
    w = make_world(DEPRECATED_OBJECT)
    w.join_player("sam")
    assert w.eval("return tmod_deprecated()") == [
        0,
        1,
        0,
        0,
        "97,181,245 128 default",
        "51 255 custom 107",
        "nil custom nil",
        245,
        0,
    ]
    messages = [d.message for d in w.warnings()]
    # One warning per calling location, whichever deprecated name it calls (checked in 5.6.1): the
    # get_player_velocity on the add_player_velocity line is not reported; a removed object warns too.
    assert messages.count("Call to deprecated function 'add_player_velocity', please use 'add_velocity'") == 2
    assert messages.count("Call to deprecated function 'get_player_velocity', please use 'get_velocity'") == 1
    # every call warns: one diagnostic per location (with its count), one log line per call
    assert messages.count("Deprecated call to get_sky_color, use get_sky instead") == 5
    assert sum("Deprecated call to get_sky_color, use get_sky instead" in line for line in w.output()) == 6
    # The legacy set_sky / get_sky forms warn too (players only); textures stay for a skybox only.
    legacy = """
    local p = core.get_player_by_name("sam")
    p:set_sky("#ff0000", "plain", {}, false)
    local base, kind, textures, clouds = p:get_sky()
    p:set_sky({textures = {"a.png"}, type = "regular"})
    return {base.r, kind, #textures, clouds, #p:get_sky(true).textures}
    """
    assert w.eval(legacy) == [255, "plain", 0, False, 0]
    messages = [d.message for d in w.warnings()]
    assert "Deprecated call to set_sky, please check lua_api.txt" in messages
    assert "Deprecated call to get_sky, please check lua_api.txt" in messages
    assert (
        "WARNING[Server]: Call to deprecated function 'get_player_velocity', please use 'get_velocity' "
        f"at {MODS_PATH}/tmod/init.lua:18"
    ) in w.output()


def test_voxelmanip_areas_grow_and_are_never_modified() -> None:
    w = make_world(BASE)
    code = """
    local function area(vm)
        local a, b = vm:get_emerged_area()
        return a.x .. "," .. a.y .. "," .. a.z .. ".." .. b.x .. "," .. b.y .. "," .. b.z
    end
    local vm = core.get_voxel_manip()
    local r = {area(vm), vm:get_node_at({x = 0, y = 0, z = 0}).name}
    vm:read_from_map({x = 0, y = 0, z = 0}, {x = 1, y = 1, z = 1})
    vm:set_node_at({x = 1, y = 1, z = 1}, {name = "tmod:stone"})
    vm:set_data(vm:get_data())
    r[#r + 1] = vm:was_modified()
    vm:read_from_map({x = 40, y = 0, z = 0}, {x = 41, y = 0, z = 0})
    r[#r + 1] = area(vm)
    r[#r + 1] = vm:get_node_at({x = 20, y = 0, z = 0}).name .. " "
        .. vm:get_node_at({x = 1, y = 1, z = 1}).name
        .. " " .. vm:get_node_at({x = 40, y = 0, z = 0}).name .. " " .. #vm:get_data()
    vm:write_to_map()
    r[#r + 1] = vm:was_modified()
    r[#r + 1] = core.get_node({x = 1, y = 1, z = 1}).name
    return r
    """
    assert w.eval(code) == [
        "1,1,1..0,0,0",
        "ignore",
        False,
        "0,0,0..47,15,15",
        "ignore tmod:stone air 12288",
        False,
        "tmod:stone",
    ]


# -- differential: the same probe in the real engine and in the emulation ------------------------------

# The shared head of the probes: P prints "WP|label=values" in a form that does not depend on
# table order (ItemStacks and objects by what they are, strings quoted, numbers to 9 digits); err
# gives a call's error without its position. Probes print at load or after the first second: while
# the server starts, its main thread writes log lines in pieces, and a line printed meanwhile by
# the server thread can land inside one.
KICK = r"""
tmod_left = {}
core.register_on_leaveplayer(function(player, timed_out)
    tmod_left[#tmod_left + 1] = player:get_player_name() .. (timed_out and " timed out" or " left")
end)
"""


def test_kick_disconnects_at_the_next_step_and_us_time_follows_steps() -> None:
    w = make_world(KICK)
    w.join_player("p1")
    assert w.eval("return core.kick_player('p1', 'bye')") is True
    assert w.eval("return core.get_player_by_name('p1') ~= nil and #tmod_left") == 0  # still online
    w.step(0.1)
    assert w.eval("return core.get_player_by_name('p1') == nil and tmod_left[1]") == "p1 left"
    assert w.eval("return core.kick_player('p1')") is False
    t0 = w.eval("return core.get_us_time()")
    w.step(5)
    elapsed = w.eval(f"return core.get_us_time() - {t0}")
    assert 5_000_000 <= elapsed < 5_500_000


def _warning_lines(w: World) -> list[str]:
    return [ln for ln in w.output() if ln.startswith("WARNING[")]


DEPRECATED_LOOK = r"""
core.register_on_joinplayer(function(p)
    print("WP|yaw", p:get_look_yaw(), p:get_look_pitch())
    p:set_look_horizontal(1.0); p:set_look_vertical(0.5)
    print("WP|yaw2", p:get_look_yaw(), p:get_look_pitch())
    p:set_look_yaw(2.0); p:set_look_pitch(0.25)
    print("WP|set", p:get_look_horizontal(), p:get_look_vertical())
end)
"""


def test_deprecated_look_methods_match_engine() -> None:
    w = make_world(DEPRECATED_LOOK, name="wp")
    w.join_player("sam")
    w.step(0.2)
    lines = _wp_lines(w)
    # 5.6.1: get_look_yaw is the yaw + 90 degrees, get_look_pitch the negated pitch, both through
    # single-precision degrees; set_look_yaw / set_look_pitch set the plain yaw / pitch.
    assert lines == [
        "WP|yaw\t1.5707963705063\t-0",
        "WP|yaw2\t2.570796251297\t-0.49999997019768",
        "WP|set\t2\t0.25",
    ]
    warnings = _warning_lines(w)
    where = f"(at {MODS_PATH}/wp/init.lua:"
    assert warnings[:2] == [
        "WARNING[Server]: Deprecated call to get_look_yaw, use get_look_horizontal instead " + where + "3)",
        "WARNING[Server]: Deprecated call to get_look_pitch, use get_look_vertical instead " + where + "3)",
    ]
    for name, new in (("yaw", "horizontal"), ("pitch", "vertical")):
        assert (
            f"WARNING[Server]: Deprecated call to set_look_{name}, use set_look_{new} instead. "
            + where
            + "6)"
        ) in warnings
    assert len(warnings) == 6  # every call warns
    assert all(d.message.startswith("Deprecated call to") for d in w.warnings())


DEPRECATED_ATTRIBUTES = r"""
core.register_on_joinplayer(function(p)
    p:set_attribute("a", "b")
    print("WP|attr", p:get_attribute("a"), p:get_attribute("zz"))
    p:set_attribute("a", nil)
    print("WP|attr2", p:get_attribute("a"), p:get_meta():get_string("a"))
    p:set_attribute("n", 5)
    print("WP|attr3", p:get_attribute("n"), type(p:get_attribute("n")))
end)
"""


def test_deprecated_attributes_warn_on_every_call() -> None:
    w = make_world(DEPRECATED_ATTRIBUTES, name="wp")
    w.join_player("sam")
    w.step(0.2)
    # A missing attribute is no value at all (print shows nothing for it).
    assert _wp_lines(w) == ["WP|attr\tb", "WP|attr2\tnil\t", "WP|attr3\t5\tstring"]
    warnings = _warning_lines(w)
    assert warnings[:3] == [
        "WARNING[Server]: Deprecated call to set_attribute, use MetaDataRef methods instead. "
        f"(at {MODS_PATH}/wp/init.lua:3)",
        "WARNING[Server]: Deprecated call to get_attribute, use MetaDataRef methods instead. "
        f"(at {MODS_PATH}/wp/init.lua:4)",
        "WARNING[Server]: Deprecated call to get_attribute, use MetaDataRef methods instead. "
        f"(at {MODS_PATH}/wp/init.lua:4)",
    ]
    assert len(warnings) == 8


DEPRECATED_ALIASES = r"""
core.register_entity("wp:e", {initial_properties = {}})
core.after(0, function()
    local o = core.add_entity({x = 0, y = 0, z = 0}, "wp:e")
    o:getpos()
    o:setpos({x = 0, y = 0, z = 0})
    o:moveto({x = 0, y = 0, z = 0})
    o:setvelocity({x = 0, y = 0, z = 0})
    o:getvelocity()
    o:setacceleration({x = 0, y = 0, z = 0})
    o:getacceleration()
    o:setyaw(1)
    o:getyaw()
    o:settexturemod("")
    o:setsprite()
    o:getpos() o:getpos()
    o:getpos() ; o:setpos({x = 0, y = 0, z = 0})
    for i = 1, 2 do o:getpos() end
end)
"""


def test_deprecated_objectref_aliases_warn_once_per_location() -> None:
    w = make_world(DEPRECATED_ALIASES, name="wp")
    w.step(0.2)
    names = [
        ("getpos", "get_pos"),
        ("setpos", "set_pos"),
        ("moveto", "move_to"),
        ("setvelocity", "set_velocity"),
        ("getvelocity", "get_velocity"),
        ("setacceleration", "set_acceleration"),
        ("getacceleration", "get_acceleration"),
        ("setyaw", "set_yaw"),
        ("getyaw", "get_yaw"),
        ("settexturemod", "set_texture_mod"),
        ("setsprite", "set_sprite"),
        ("getpos", "get_pos"),
        ("getpos", "get_pos"),
        ("getpos", "get_pos"),
    ]
    # One warning per calling location, whichever deprecated name it calls (line 16 calls getpos
    # twice, line 17 getpos and setpos: one warning each).
    assert _warning_lines(w) == [
        f"WARNING[Server]: Call to deprecated function '{old}', please use '{new}' "
        f"at {MODS_PATH}/wp/init.lua:{line}"
        for line, (old, new) in enumerate(names, start=5)
    ]


DEPRECATED_LOG = r"""
core.register_node("wp:old", {tile_images = {"a.png"}})
for i = 1, 2 do core.get_node_group("wp:old", "b") end
local function wrap() core.log("deprecated", "zz direct") end
wrap()
wrap()
local s = ItemStack("wp:old")
s:set_metadata("hello")
print("WP|meta", s:get_metadata())
core.after(0, function()
    core.get_node_group("wp:old", "b")
end)
"""


def test_core_log_deprecated_and_get_node_group() -> None:
    w = make_world(DEPRECATED_LOG, name="wp")
    w.step(0.2)
    # log_deprecated on every call, naming the caller of core.log's caller; 5.6.1 says nothing about
    # tile_images or ItemStack get_metadata / set_metadata.
    node_group = "Deprecated usage of get_node_group, use get_item_group instead"
    assert _warning_lines(w) == [
        "WARNING[Main]: " + node_group + f" (at {MODS_PATH}/wp/init.lua:3)",
        "WARNING[Main]: " + node_group + f" (at {MODS_PATH}/wp/init.lua:3)",
        f"WARNING[Main]: zz direct (at {MODS_PATH}/wp/init.lua:5)",
        f"WARNING[Main]: zz direct (at {MODS_PATH}/wp/init.lua:6)",
        "WARNING[Server]: " + node_group + f" (at {MODS_PATH}/wp/init.lua:11)",
    ]
    assert "WP|meta\thello" in w.output()


PHYSICS_POSITIONAL = r"""
core.register_on_joinplayer(function(p)
    p:set_physics_override(2, 3, 0.5)
    local t = p:get_physics_override()
    print("WP|phys", t.speed, t.jump, t.gravity, t.sneak)
    p:set_physics_override(nil, 1.5)
    t = p:get_physics_override()
    print("WP|phys2", t.speed, t.jump, t.gravity)
    p:set_physics_override(4)
    t = p:get_physics_override()
    print("WP|phys3", t.speed, t.jump, t.gravity)
end)
"""


def test_positional_physics_override_applies_with_warning() -> None:
    w = make_world(PHYSICS_POSITIONAL, name="wp")
    w.join_player("sam")
    w.step(0.2)
    # An explicit nil keeps the value; an argument left out reads as 0 (as in 5.6.1).
    assert _wp_lines(w) == ["WP|phys\t2\t3\t0.5\ttrue", "WP|phys2\t2\t1.5\t0", "WP|phys3\t4\t0\t0"]
    assert _warning_lines(w) == [
        f"WARNING[Server]: Deprecated use of set_physics_override(num, num, num) "
        f"(at {MODS_PATH}/wp/init.lua:{n})"
        for n in (3, 6, 9)
    ]


TIMEOFDAY = r"""
core.after(0, function()
    for _, v in ipairs({0.2, 0.123456789, 0.5, 1.0, 0, 0.99999, 1/3}) do
        core.set_timeofday(v)
        print("WP|tod", string.format("%.17g", core.get_timeofday()))
    end
end)
"""


def test_get_timeofday_is_whole_parts_as_float() -> None:
    w = make_world(TIMEOFDAY, name="wp")
    w.step(0.2)
    assert [ln.split("\t")[1] for ln in w.output() if ln.startswith("WP|")] == [
        "0.20000000298023224",
        "0.12341666966676712",
        "0.5",
        "1",
        "0",
        "0.999958336353302",
        "0.3333333432674408",
    ]


OBJECT_TABLES = r"""
print("WP|load", type(core.luaentities), type(core.object_refs), next(core.object_refs))
core.register_entity("wp:e", {initial_properties = {}, on_activate = function(self)
    print("WP|act", core.luaentities[next(core.object_refs)] == self)
end})
core.after(0, function()
    local o = core.add_entity({x = 0, y = 0, z = 0}, "wp:e")
    local id = next(core.object_refs)
    print("WP|ids", id, core.object_refs[id] == o, core.luaentities[id] == o:get_luaentity())
    o:remove()
    print("WP|removed", core.object_refs[id] ~= nil, core.luaentities[id] ~= nil)
    local n = 0
    local function f()
        n = n + 1
        print("WP|step", n, core.object_refs[id] ~= nil, core.luaentities[id] ~= nil)
        if n < 4 then core.after(0.25, f) end
    end
    core.after(0, f)
end)
"""


def test_object_refs_and_luaentities_tables() -> None:
    w = make_world(OBJECT_TABLES, name="wp")
    w.step(2)
    # As in 5.6.1: a removed object stays listed until the next object-management pass (0.5 s).
    assert _wp_lines(w) == [
        "WP|load\ttable\ttable\tnil",
        "WP|act\ttrue",
        "WP|ids\t1\ttrue\ttrue",
        "WP|removed\ttrue\ttrue",
        "WP|step\t1\ttrue\ttrue",
        "WP|step\t2\ttrue\ttrue",
        "WP|step\t3\tfalse\tfalse",
        "WP|step\t4\tfalse\tfalse",
    ]


ABM_ORDER = r"""
core.register_node("wp:a", {})
core.register_node("wp:b", {})
core.register_abm({nodenames = {"wp:a"}, interval = 1, chance = 1, action = function(pos, node)
    print("WP|abm1", core.pos_to_string(pos), node.name)
    core.set_node(pos, {name = "wp:b"})
end})
core.register_abm({nodenames = {"wp:b"}, interval = 1, chance = 1, action = function(pos, node)
    print("WP|abm3", core.pos_to_string(pos), node.name)
end})
core.register_abm({nodenames = {"wp:a"}, interval = 1, chance = 1, action = function(pos, node)
    print("WP|abm2", core.pos_to_string(pos), node.name)
end})
"""


@pytest.mark.parametrize("driver", [False, True], ids=["step", "run_abms"])
def test_abm_pass_goes_node_by_node(driver: bool) -> None:
    w = make_world(ABM_ORDER, name="wp")
    w.set_node((1, 1, 1), "wp:a")
    w.set_node((1, 1, 2), "wp:a")
    if driver:
        w.run_abms(1)
    else:
        w.step(1.05)
    # 5.6.1 (checked in the engine): each node gets the ABMs of the content it had when the pass
    # reached it; abm2 still runs after abm1 changed the node (and sees the new node), abm3 (for the
    # new content) waits for the next pass.
    assert _wp_lines(w) == [
        "WP|abm1\t(1,1,1)\twp:a",
        "WP|abm2\t(1,1,1)\twp:b",
        "WP|abm1\t(1,1,2)\twp:a",
        "WP|abm2\t(1,1,2)\twp:b",
    ]
