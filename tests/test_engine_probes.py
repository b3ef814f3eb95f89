"""Engine probes: probe mods run in the real engine (Debian's minetestserver 5.6.1, headless; a real
client where a player is needed) and in the emulation must print the same lines. Each probe covers one
API area; the emulation's behaviour there is what these comparisons pinned down.
"""

from __future__ import annotations

import pytest

from tests.engine_client import engine_player_run
from tests.test_world import (
    DEPRECATED_ALIASES,
    DEPRECATED_LOG,
    TIMEOFDAY,
    _warning_lines,
    _wp_lines,
    make_world,
)
from vf_luanti.mods import MODS_PATH, mod_from_source
from vf_luanti.world import load_world

PROBE_HELPERS = r"""
local function fmt(v)
    local t = type(v)
    if t == "number" then return string.format("%.9g", v) end
    if t == "string" then return string.format("%q", v) end
    if t == "userdata" or t == "table" then
        if v.to_string and v.get_name then return "IS(" .. v:to_string() .. ")" end
        if v.get_pos then return "ObjectRef" end
    end
    if t ~= "table" then return tostring(v) end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local out = {}
    for _, k in ipairs(keys) do out[#out + 1] = tostring(k) .. ":" .. fmt(v[k]) end
    return "{" .. table.concat(out, ",") .. "}"
end
local function P(label, ...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = fmt((select(i, ...))) end
    print("WP|" .. label .. "=" .. table.concat(parts, ";"))
end
local function err(f, ...)
    local ok, e = pcall(f, ...)
    return ok and "ok" or (tostring(e):gsub("^.-:%d+: ", ""))
end
"""


PROBE = (
    PROBE_HELPERS
    + r"""
local events = {}
core.register_node("wp:n", {groups = {cracky = 3, crumbly = 1},
    on_construct = function(pos) events[#events + 1] = "construct" end,
    on_destruct = function(pos) events[#events + 1] = "destruct" end,
    after_destruct = function(pos, old) events[#events + 1] = "after_destruct " .. old.name end})
core.register_node("wp:m", {groups = {crumbly = 2}})
core.register_craftitem("wp:c", {stack_max = 10})
core.register_tool("wp:t", {tool_capabilities = {full_punch_interval = 1, punch_attack_uses = 20,
    groupcaps = {cracky = {times = {[3] = 1.0}, uses = 10, maxlevel = 1}}, damage_groups = {fleshy = 4}}})
core.register_entity("wp:e", {initial_properties = {hp_max = 10},
    on_punch = function(self, puncher, tflp, caps, dir, damage) events[#events + 1] = "punch " .. damage end})
P("load_get_node", select("#", core.get_node({x = 0, y = 0, z = 0})))
core.after(0, function()
    core.emerge_area({x = -20, y = -20, z = -20}, {x = 20, y = 20, z = 20})
    core.after(1, function()
        local c = {x = 0, y = 0, z = 0}
        P("air", core.get_node({x = 1, y = 1, z = 1}))
        core.set_node(c, {name = "wp:n"})
        core.get_meta(c):set_int("k", 5)
        core.get_node_timer(c):start(5)
        core.set_node(c, {name = "wp:n"})
        P("events", events)
        P("meta_after_set", core.get_meta(c):to_table(), core.get_node_timer(c):is_started())
        core.set_node({x = 2, y = 0, z = 0}, {name = "wp:n"})
        core.set_node({x = 0, y = 0, z = -2}, {name = "wp:m"})
        P("near", core.find_node_near(c, 3, {"group:crumbly"}), core.find_node_near(c, 3, "wp:m"))
        P("area", core.find_nodes_in_area({x = -3, y = 0, z = -3}, {x = 3, y = 0, z = 3}, {"group:crumbly"}))
        P("light", core.get_node_light({x = 5, y = 5, z = 5}, 0.5),
            core.get_node_light({x = 0, y = -1, z = 0}, 0.5))
        local s = ItemStack("wp:c 5")
        s:get_meta():set_string("a", "b c")
        P("stack", s:to_string(), tostring(ItemStack("wp:c 3")), ItemStack("wp:t 5"):to_string(),
            ItemStack("wp:c 500"):get_count(), ItemStack(" wp:c"):is_empty())
        local t = ItemStack("wp:t")
        t:add_wear_by_uses(3)
        P("wear", t:get_wear(), core.get_dig_params({cracky = 3}, t:get_tool_capabilities()),
            core.get_hit_params({fleshy = 100}, t:get_tool_capabilities(), 0.5))
        local m = ItemStack("wp:c"):get_meta()
        m:set_string("f", "3.7")
        m:set_float("g", 0.1)
        P("meta", m:get_float("f"), m:get_int("f"), m:get_string("g"))
        local inv = core.create_detached_inventory("wp", {})
        inv:set_size("main", 2)
        P("inv", inv:add_item("main", "wp:c 150"):to_string(), inv:get_stack("main", 1):to_string(),
            inv:room_for_item("main", "wp:c 99"), inv:remove_item("main", "wp:c 3"):to_string(),
            inv:get_stack("main", 1):to_string(), inv:get_location())
        local e = core.add_entity({x = 3, y = 3, z = 3}, "wp:e")
        local p = core.add_entity({x = 5, y = 5, z = 5}, "wp:e")
        e:punch(p, 0.5, {full_punch_interval = 1, damage_groups = {fleshy = 6}})
        P("entity", e:get_hp(), e:get_armor_groups(), events[#events])
        e:set_hp(0)
        P("gone", e:get_hp(), select("#", e:get_pos()), e:get_luaentity(), core.add_item(c, ""))
        P("dirs", core.facedir_to_dir(13), core.wallmounted_to_dir(3),
            core.dir_to_facedir({x = -1, y = 0, z = 0.2}), core.dir_to_wallmounted({x = 0, y = -1, z = 0}))
    end)
end)
"""
)


PROBE2 = (
    PROBE.split("local events = {}")[0]
    + r"""
core.register_node("wp:stone", {groups = {cracky = 3}})
core.register_node("wp:sand", {groups = {crumbly = 3, falling_node = 1}})
core.register_node("wp:glass", {sunlight_propagates = true, paramtype = "light"})
core.after(0, function()
    core.emerge_area({x = -20, y = -20, z = -20}, {x = 20, y = 20, z = 20})
    core.after(1, function()
        local c = {x = 0, y = 0, z = 0}
        P("errors", select(2, pcall(core.get_node, nil)),
            select(2, pcall(core.set_node, c, {name = "nope:x"})), select(2, pcall(core.set_node, c, {})))
        core.set_node(c, {name = "wp:stone"})
        core.get_meta(c):set_string("keep", "yes")
        core.swap_node(c, {name = "wp:glass", param2 = 7})
        P("swap", core.get_node(c), core.get_meta(c):get_string("keep"))
        core.set_node({x = 0, y = 3, z = 0}, {name = "wp:stone"})
        P("under_air", core.find_nodes_in_area_under_air({x = -1, y = -1, z = -1}, {x = 1, y = 4, z = 1},
            {"wp:stone", "wp:glass"}))
        P("los", core.line_of_sight({x = 0, y = 1, z = 0}, {x = 0, y = 5, z = 0}),
            core.line_of_sight({x = 1, y = 1, z = 1}, {x = 1, y = 9, z = 1}))
        P("light_glass", core.get_node_light({x = 0, y = -1, z = 0}, 0.5), core.get_node_light(c, 0.5),
            core.get_node_light({x = 0, y = 2, z = 0}, 0.5))
        local vm = core.get_voxel_manip()
        local emin, emax = vm:read_from_map({x = -1, y = 0, z = 0}, {x = 1, y = 0, z = 0})
        local area = VoxelArea:new({MinEdge = emin, MaxEdge = emax})
        local data = vm:get_data()
        P("vm", emin, emax, #data, data[area:index(0, 0, 0)] == core.get_content_id("wp:glass"),
            data[area:index(5, 5, 5)] == core.get_content_id("air"), vm:get_node_at(c))
        data[area:index(1, 0, 0)] = core.get_content_id("wp:stone")
        vm:set_data(data)
        vm:write_to_map(true)
        P("vm_written", core.get_node({x = 1, y = 0, z = 0}).name)
        local inv = core.create_detached_inventory("wp2", {})
        inv:set_list("l", {"wp:stone 3", "", "wp:stone 2"})
        P("inv2", inv:get_size("l"), inv:contains_item("l", "wp:stone 5"),
            inv:contains_item("l", "wp:stone 6"), inv:get_list("l")[3]:to_string(), inv:is_empty("l"),
            inv:set_stack("l", 4, "wp:stone"))
        core.set_node({x = 5, y = 0, z = 5}, {name = "wp:stone"})
        core.set_node({x = 5, y = 4, z = 5}, {name = "wp:sand"})
        core.check_for_falling({x = 5, y = 4, z = 5})
        P("sand_now", core.get_node({x = 5, y = 4, z = 5}).name)
        core.after(2, function()
            P("sand_landed", core.get_node({x = 5, y = 1, z = 5}).name,
                core.get_node({x = 5, y = 2, z = 5}).name)
        end)
    end)
end)
"""
)


PROBE3 = (
    PROBE.split("local events = {}")[0]
    + r"""
local function methods(x)
    local mt = getmetatable(x)
    local idx = type(mt) == "table" and (type(mt.__index) == "table" and mt.__index or mt) or {}
    local names = {}
    for k in pairs(idx) do names[#names + 1] = tostring(k) end
    table.sort(names)
    return table.concat(names, " ")
end
local storage = core.get_mod_storage()
P("storage", methods(storage), err(function() return storage:get_keys() end))
P("stack", methods(ItemStack("x")), methods(ItemStack("x"):get_meta()))
P("load_get_player_by_name", select("#", core.get_player_by_name(nil)))
local cb = {}
core.register_privilege("wp_p", {
    on_grant = function(name, granter) cb[#cb + 1] = "grant " .. name end,
    on_revoke = function(name, revoker) cb[#cb + 1] = "revoke " .. name end})
core.register_entity("wp:plain", {})
core.register_entity("wp:e", {initial_properties = {hp_max = 10},
    on_punch = function(self, puncher, tflp, caps, dir, damage) P("on_punch", tflp, caps, dir, damage) end})
core.after(0, function()
    core.emerge_area({x = -20, y = -20, z = -20}, {x = 20, y = 20, z = 20})
    core.after(1, function()
        P("nodemeta", methods(core.get_meta({x = 0, y = 0, z = 0})))
        P("get_player_by_name", err(core.get_player_by_name, nil), err(core.get_player_by_name, {}),
            err(function() local r = core.get_player_by_name(nil) return r end),
            select("#", core.get_player_by_name(5)))
        local e = core.add_entity({x = 0, y = 1, z = 0}, "wp:plain")
        P("props", e:get_properties(), e:get_hp())
        e:set_properties({visual_size = {x = 2, y = 3}})
        P("visual_size", e:get_properties().visual_size)
        e:set_properties({visual_size = {y = 7}})
        P("visual_size_y", e:get_properties().visual_size)
        P("nametag", e:get_nametag_attributes())
        e:set_nametag_attributes({color = "#FF0000", bgcolor = "#00FF0080", text = "hi"})
        P("nametag_set", e:get_nametag_attributes())
        e:set_nametag_attributes({color = {r = 1, g = 2, b = 3}, bgcolor = false})
        P("nametag_table", e:get_nametag_attributes(), e:get_properties().nametag_color)
        e:set_nametag_attributes({color = "red#80", bgcolor = 0x40102030})
        P("nametag_named", e:get_nametag_attributes())
        local f = core.add_entity({x = 3, y = 1, z = 0}, "wp:e")
        P("punch_nil_caps", err(f.punch, f, e, 1, nil, {x = 1, y = 0, z = 0}))
        P("punch_no_dir", err(f.punch, f, e, nil, {full_punch_interval = 1, damage_groups = {fleshy = 2}}))
        P("punched_hp", f:get_hp())
        core.get_auth_handler().create_auth("bob", "x")
        core.set_player_privs("bob", {wp_p = true})
        core.set_player_privs("bob", {})
        P("priv_callbacks", cb)
    end)
end)
"""
)


# Common run-time calls (the frequency table of shared/research/luanti_api.md): groups, hashes,
# add_node through an alias, swap/remove_node and metadata, get_node_or_nil out of the map, add_item,
# object searches by radius and area, sound handles, find_node_near, dig/place/punch_node, facedir
# and wallmounted conversions, get_craft_result.
MISC_PROBE = (
    PROBE_HELPERS
    + r"""
local log = {}
core.register_node("wp:n", {groups = {cracky = 3, level = 2},
    on_construct = function(pos) log[#log + 1] = "construct" end,
    on_destruct = function(pos) log[#log + 1] = "destruct" end,
    after_destruct = function(pos, old) log[#log + 1] = "after_destruct " .. old.name end,
    on_blast = function() end})
core.register_node("wp:m", {})
core.register_alias("wp:alias", "wp:n")
core.register_entity("wp:e", {})
local group = core.get_item_group
P("load_item_group", group("wp:n", "cracky"), group("wp:n", "nope"), group("nope:x", "cracky"))
P("load_node_group", core.get_node_group("wp:n", "level"))
P("load_protected", core.is_protected({x = 0, y = 0, z = 0}, "sam"))
local hash = core.hash_node_position
P("load_hash", hash({x = 1, y = -2, z = 3}), core.get_position_from_hash(hash({x = -5, y = 7, z = 0})))
P("load_connected", #core.get_connected_players())
core.after(0, function()
    core.emerge_area({x = -20, y = -20, z = -20}, {x = 20, y = 20, z = 20})
    core.after(1, function()
        local c = {x = 0, y = 0, z = 0}
        local added = err(function() core.add_node(c, {name = "wp:alias"}) end)
        P("add_node_alias", added, core.get_node(c).name, log)
        log = {}
        core.get_meta(c):set_string("k", "v")
        core.swap_node(c, {name = "wp:m"})
        P("swap_keeps_meta", core.get_meta(c):get_string("k"), log)
        core.swap_node(c, {name = "wp:n", param2 = 3})
        core.remove_node(c)
        P("remove_node", core.get_node(c).name, core.get_meta(c):get_string("k"), log)
        local far = {x = 0, y = 40000, z = 0}
        P("get_node_or_nil", core.get_node_or_nil({x = 0, y = 0, z = 0}), core.get_node_or_nil(far))
        P("get_node_far", core.get_node(far))
        local item = core.add_item({x = 1, y = 1, z = 1}, "wp:n 3")
        P("add_item", item ~= nil, item and item:get_luaentity().itemstring)
        P("add_item_empty", core.add_item({x = 1, y = 1, z = 1}, ""))
        local e1 = core.add_entity({x = 2, y = 1, z = 1}, "wp:e")
        local e2 = core.add_entity({x = 5, y = 1, z = 1}, "wp:e")
        local objs = core.get_objects_inside_radius({x = 1, y = 1, z = 1}, 1.0)
        P("radius_1", #objs)
        P("radius_4", #core.get_objects_inside_radius({x = 1, y = 1, z = 1}, 4.0))
        P("radius_exact", #core.get_objects_inside_radius({x = 1, y = 1, z = 1}, 4))
        P("in_area", #core.get_objects_in_area({x = 0, y = 0, z = 0}, {x = 2, y = 2, z = 2}))
        P("sound", type(core.sound_play("x", {pos = c})), type(core.sound_play("x", {}, true)))
        P("find_near_center", core.find_node_near(c, 2, {"air"}, true), core.find_node_near(c, 2, {"air"}))
        core.set_node(c, {name = "wp:n"})
        P("find_near_group", core.find_node_near({x = 1, y = 0, z = 0}, 1, "group:cracky"))
        P("dig_node", core.dig_node(c), core.get_node(c).name)
        P("place_node", core.place_node(c, {name = "wp:m"}), core.get_node(c).name)
        P("punch_node", core.punch_node(c))
        P("get_item_group_alias", core.get_item_group("wp:alias", "cracky"))
        P("registered_alias_lookup", core.registered_nodes["wp:alias"] ~= nil,
            core.registered_items["wp:alias"] ~= nil)
        P("itemstack_alias", ItemStack("wp:alias"):get_name())
        P("facedir", core.facedir_to_dir(0), core.facedir_to_dir(23), core.facedir_to_dir(24))
        P("wallmounted", core.wallmounted_to_dir(0), core.wallmounted_to_dir(5), core.wallmounted_to_dir(6))
        P("dir_to_facedir", core.dir_to_facedir({x = 0, y = 0, z = -1}),
            core.dir_to_facedir({x = 0, y = 1, z = 0}, true))
        P("dir_to_wallmounted", core.dir_to_wallmounted({x = 0, y = -1, z = 0}),
            core.dir_to_wallmounted({x = 1, y = 0, z = 0}))
        P("is_area_protected", core.is_area_protected({x = 0, y = 0, z = 0}, {x = 1, y = 1, z = 1}, "sam"))
        P("get_craft_result", core.get_craft_result({method = "normal", width = 1, items = {"wp:n"}}))
        e1:remove(); e2:remove(); if item then item:remove() end
    end)
end)
"""
)


# The builtin chat commands called directly (no player online): their return values and messages.
COMMANDS_PROBE = (
    PROBE_HELPERS
    + r"""
core.register_privilege("wp_p", {description = "test priv", give_to_singleplayer = false})
core.register_craftitem("wp:x", {description = "X"})
core.register_chatcommand("wp_c", {params = "<n>", description = "a cmd", privs = {interact = true},
    func = function(name, param) return true, "got " .. param end})
core.after(1, function()  -- after the engine's start-up log
    local C = core.registered_chatcommands
    local function run(cmd, name, param)
        local def = C[cmd]
        if not def then P(cmd, "missing") return end
        local ok, a, b = pcall(def.func, name, param)
        P(cmd .. " " .. param, ok, a, b)
    end
    run("privs", "sam", "")
    run("privs", "sam", "nobody")
    run("haspriv", "sam", "interact")
    run("haspriv", "sam", "nopriv")
    run("grant", "sam", "sam interact")
    run("grant", "sam", "nobody wp_p")
    run("grant", "sam", "")
    run("grantme", "sam", "all")
    run("revoke", "sam", "sam interact")
    run("revoke", "sam", "sam nopriv")
    run("give", "sam", "sam wp:x 5")
    run("give", "sam", "nobody wp:x")
    run("give", "sam", "sam nope:item")
    run("giveme", "sam", "wp:x")
    run("time", "sam", "")
    run("time", "sam", "12:00")
    run("time", "sam", "bad")
    run("days", "sam", "")
    run("me", "sam", "waves")
    run("msg", "sam", "nobody hello")
    run("msg", "sam", "")
    run("teleport", "sam", "1 2 3")
    run("kill", "sam", "")
    run("clearinv", "sam", "")
    run("help", "sam", "wp_c")
    run("help", "sam", "nope")
    run("wp_c", "sam", "x")
    run("spawnentity", "sam", "wp:none")
    run("pulverize", "sam", "")
    run("set", "sam", "")
    run("admin", "sam", "")
    run("kick", "sam", "nobody")
    run("ban", "sam", "")
    run("last-login", "sam", "nobody")
    run("kick", "sam", "")
    run("unban", "sam", "nobody")
    run("set", "sam", "wp_nope")
    run("set", "sam", "wp_nope 5")
    run("set", "sam", "-n wp_new 5")
    run("set", "sam", "wp_new 6")
    run("set", "sam", "secure.x 1")
    run("set", "sam", "wp_new")
    P("unban_ret", select("#", core.unban_player_or_ip("x")), core.unban_player_or_ip("x"))

end)
"""
)


# core.after: arguments with a nil among them, the order of jobs due together (the engine swaps the
# last job into a finished one's slot), cancel, bad calls. Steps are not counted: their lengths differ.
AFTER_PROBE = (
    PROBE_HELPERS
    + r"""
local order = {}
local steps = 0
core.register_globalstep(function(dtime) steps = steps + 1 end)
core.after(0, function(a, b, c)
    order[#order + 1] = "a0:" .. tostring(a) .. tostring(b) .. tostring(c) .. ":" .. steps
    core.after(0, function() order[#order + 1] = "nested0:" .. steps end)
end, 1, nil, 3)
core.after(-1, function() order[#order + 1] = "neg:" .. steps end)
local job = core.after(0.5, function() order[#order + 1] = "cancelled" end)
job:cancel()
P("cancel_twice", err(function() job:cancel() end))
for i = 1, 5 do core.after(0.35, function() order[#order + 1] = "t#" .. i end) end
core.after(0.6, function()
    for i = 1, 3 do core.after(0, function() order[#order + 1] = "late#" .. i end) end
end)
P("bad_after", err(function() core.after("x", function() end) end), err(function() core.after(1) end),
    err(function() core.after(1, "f") end))
P("after_ret", type(core.after(10, function() end)))
core.after(1.5, function()
    P("order", table.concat(order, ","))
end)
"""
)


# A detached inventory through InvRef: sizes, widths, add/remove/contains (a removal may exceed
# stack_max), unknown lists, set_stack/set_list out of range, shrinking, unknown items.
INVENTORY_PROBE = (
    PROBE_HELPERS
    + r"""
core.register_craftitem("wp:a", {stack_max = 10})
core.register_tool("wp:t", {})
core.after(1, function()  -- after the engine's start-up log
    local inv = core.create_detached_inventory("wp_d", {})
    P("location", inv:get_location())
    P("set_size", inv:set_size("main", 3), inv:get_size("main"), inv:get_width("main"), inv:is_empty("main"))
    P("add_item", inv:add_item("main", "wp:a 25"), inv:get_list("main"))
    P("add_item_full", inv:add_item("main", "wp:a 15"))
    P("room", inv:room_for_item("main", "wp:a 1"), inv:room_for_item("main", "wp:t"))
    P("contains", inv:contains_item("main", "wp:a 30"), inv:contains_item("main", "wp:a 31"),
        inv:contains_item("main", ItemStack("wp:a 5")))
    P("remove", inv:remove_item("main", "wp:a 12"), inv:get_list("main"))
    P("remove_more", inv:remove_item("main", "wp:a 50"), inv:is_empty("main"))
    P("unknown_list", inv:get_size("nope"), inv:get_list("nope"), inv:add_item("nope", "wp:a"),
        inv:is_empty("nope"))
    P("set_stack", inv:set_stack("main", 1, "wp:t"), inv:set_stack("main", 9, "wp:a"),
        inv:get_stack("main", 9), inv:get_stack("main", 0))
    P("set_list", err(function() inv:set_list("main", {"wp:a 3", "", "wp:t", "wp:a 1"}) end),
        inv:get_size("main"), inv:get_list("main"))
    P("shrink", inv:set_size("main", 1), inv:get_list("main"))
    P("width", inv:set_width("main", 4), inv:get_width("main"))
    P("neg_size", err(function() inv:set_size("main", -1) end), inv:get_size("main"))
    P("zero_size", inv:set_size("main", 0), inv:get_list("main"), inv:get_size("main"))
    P("lists", inv:get_lists())
    inv:set_size("x", 2)
    P("add_tool", inv:add_item("x", "wp:t"), inv:add_item("x", "wp:t"), inv:add_item("x", "wp:t"))
    P("add_unknown", inv:add_item("x", "nope:thing 5"))
    inv:set_list("x", {})
    P("add_unknown2", inv:add_item("x", "nope:thing 500"), inv:get_list("x"))
    P("remove_detached", core.remove_detached_inventory("wp_d"),
        core.get_inventory({type = "detached", name = "wp_d"}))
end)
"""
)


# Node callbacks through core.place_node / punch_node / dig_node / set_node / remove_node /
# item_place_node: their order, the non-functional ObjectRef given as puncher and digger, and what
# dig_node returns.
NODE_CALLBACKS_PROBE = (
    PROBE_HELPERS
    + r"""
local log = {}
local function L(s) log[#log + 1] = s end
local function flush(label)
    print("WP|" .. label .. "=" .. table.concat(log, " | "))
    log = {}
end
core.register_node("wp:n", {groups = {cracky = 3},
    on_construct = function(pos) L("construct") end,
    after_place_node = function(pos, placer, itemstack, pointed)
        L("after_place " .. tostring(placer) .. " " .. itemstack:to_string())
    end,
    can_dig = function(pos, player) L("can_dig " .. type(player)) return true end,
    on_dig = function(pos, node, digger)
        L("on_dig " .. node.name .. " " .. type(digger))
        return core.node_dig(pos, node, digger)
    end,
    on_destruct = function(pos) L("destruct") end,
    after_destruct = function(pos, old) L("after_destruct " .. old.name) end,
    after_dig_node = function(pos, oldnode, oldmeta, digger)
        L("after_dig " .. oldnode.name .. " " .. type(oldmeta))
    end,
    drop = "wp:d 2",
})
core.register_craftitem("wp:d", {})
core.register_on_placenode(function(pos, newnode, placer, oldnode, itemstack, pointed)
    L("on_placenode " .. newnode.name .. " " .. oldnode.name .. " " .. tostring(placer) .. " "
        .. tostring(itemstack and itemstack:to_string()))
end)
core.register_on_dignode(function(pos, oldnode, digger)
    L("on_dignode " .. oldnode.name .. " " .. type(digger))
end)
core.register_on_punchnode(function(pos, node, puncher, pointed)
    L("on_punchnode " .. node.name .. " " .. type(puncher) .. " '" .. puncher:get_player_name() .. "' "
        .. tostring(puncher:is_player()) .. " " .. select("#", puncher:get_pos()) .. " "
        .. tostring(pointed.type))
end)
core.after(0, function()
    core.emerge_area({x = -20, y = -20, z = -20}, {x = 20, y = 20, z = 20})
    core.after(1, function()
        local p = {x = 0, y = 1, z = 0}
        print("WP|place=" .. tostring(core.place_node(p, {name = "wp:n"})) .. " " .. core.get_node(p).name)
        flush("log1")
        print("WP|punch=" .. tostring(core.punch_node(p)))
        flush("log2")
        print("WP|dig_air=" .. tostring(core.dig_node(p)) .. " " .. core.get_node(p).name)
        flush("log3")
        core.set_node(p, {name = "wp:n"})
        flush("log4")
        print("WP|dig=" .. tostring(core.dig_node(p)) .. " " .. core.get_node(p).name)
        flush("log5")
        print("WP|drops=" .. table.concat(core.get_node_drops("wp:n", ""), ",") .. " "
            .. #core.get_objects_inside_radius(p, 3))
        core.set_node(p, {name = "wp:n"})
        core.remove_node(p)
        flush("log6")
        local under, above = {x = 5, y = 0, z = 5}, {x = 5, y = 1, z = 5}
        local pointed = {type = "node", under = under, above = above}
        local ret, pos2 = core.item_place_node(ItemStack("wp:n 3"), nil, pointed)
        print("WP|item_place_node=" .. tostring(ret and ret:to_string()) .. " "
            .. tostring(pos2 and core.pos_to_string(pos2)) .. " " .. core.get_node(above).name)
        flush("log7")
    end)
end)
"""
)


# Privileges and the builtin auth handler with no player online: unknown names, set_player_privs
# creating an entry, definitions' defaults, create_auth's return value, player_exists.
PRIVILEGES_PROBE = (
    PROBE_HELPERS
    + r"""
core.register_privilege("wp_p", {description = "test", give_to_singleplayer = false, give_to_admin = false})
core.register_privilege("wp_q", "short form")
local function show(label, t)
    local keys = {}
    for k, v in pairs(t or {}) do keys[#keys + 1] = k .. "=" .. tostring(v) end
    table.sort(keys)
    print("WP|" .. label .. "=" .. (t == nil and "nil" or table.concat(keys, ",")))
end
local function def(name)
    local d = core.registered_privileges[name]
    return {desc = d.description, single = d.give_to_singleplayer, admin = d.give_to_admin}
end
core.after(1, function()  -- after the engine's start-up log
    show("get_unknown", core.get_player_privs("nobody"))
    P("exists", core.player_exists("nobody"))
    P("check_unknown", core.check_player_privs("nobody", {interact = true}),
        core.privs_to_string(select(2, core.check_player_privs("nobody", {interact = true}))))
    P("set_unknown", err(core.set_player_privs, "nobody", {interact = true}), core.player_exists("nobody"))
    show("get_after_set", core.get_player_privs("nobody"))
    show("def_p", def("wp_p"))
    show("def_q", def("wp_q"))
    show("def_interact", def("interact"))
    show("string_to_privs", core.string_to_privs("a,b , c,,"))
    P("privs_to_string", core.privs_to_string({a = true, c = false}))
    local h = core.get_auth_handler()
    local au = h.get_auth("nobody")
    P("auth_unknown", au.last_login, au.password, core.privs_to_string(au.privileges))
    local created = h.create_auth("newbie", "hash")
    P("create", type(created.id), created.last_login, created.name, created.password,
        core.privs_to_string(created.privileges), created == h.get_auth("newbie"))
    local a = h.get_auth("newbie")
    P("auth_new", core.privs_to_string(a.privileges), a.password, type(a.last_login),
        core.player_exists("newbie"))
    core.set_player_privs("newbie", {wp_p = true, interact = true})
    show("get_new", core.get_player_privs("newbie"))
    P("check_new", core.check_player_privs("newbie", "interact", "wp_p"),
        select(2, core.check_player_privs("newbie", "interact", "wp_q"))[1])
end)
"""
)


# ItemStack methods: counts, add/take/peek, item_fits (fits and leftover), set_count limits, tool
# wear, unknown items, tables, descriptions from metadata, replace and clear.
ITEMSTACK_PROBE = (
    PROBE_HELPERS
    + r"""
core.register_craftitem("wp:a", {stack_max = 10, description = "A item"})
core.register_tool("wp:t", {tool_capabilities = {full_punch_interval = 0.7, max_drop_level = 1,
    groupcaps = {cracky = {times = {[1] = 2.0}, uses = 5, maxlevel = 2}}, damage_groups = {fleshy = 3}}})
core.after(1, function()  -- after the engine's start-up log
    local s = ItemStack("wp:a 7")
    P("basic", s:get_name(), s:get_count(), s:get_wear(), s:get_stack_max(), s:get_free_space(), s:is_known(),
        s:is_empty())
    P("add", s:add_item("wp:a 5"), s:get_count(), s:add_item("wp:t"), s:item_fits("wp:a 1"),
        s:item_fits("wp:a 2"))
    P("take", s:take_item(3), s:get_count(), s:take_item(), s:peek_item(4), s:get_count())
    P("set_count", s:set_count(0), s:to_string(), s:get_name(), s:is_empty())
    P("set_count_big", ItemStack("wp:a"):set_count(70000), ItemStack("wp:a 70000"):get_count())
    local t = ItemStack("wp:t")
    P("tool", t:get_stack_max(), t:add_wear(1000), t:get_wear(), t:add_wear(70000), t:to_string())
    local t2 = ItemStack("wp:t")
    local caps = t2:get_tool_capabilities()
    P("tool_caps", caps.full_punch_interval, caps.groupcaps.cracky.uses)
    P("add_wear_by_uses", type(t2.add_wear_by_uses))
    P("unknown", ItemStack("nope:x 3"):is_known(), ItemStack("nope:x 3"):get_stack_max(),
        ItemStack("nope:x 300"):to_string())
    P("table", ItemStack({name = "wp:a", count = 3, wear = 5}):to_string(), ItemStack({}):to_string())
    P("to_table", ItemStack("wp:a 3"):to_table(), ItemStack(""):to_table())
    P("desc", ItemStack("wp:a"):get_description(), ItemStack("wp:a"):get_short_description())
    local m = ItemStack("wp:a"):get_meta()
    m:set_string("description", "Custom")
    P("meta_desc", m:get_string("description"))
    local ms = ItemStack("wp:a")
    ms:get_meta():set_string("description", "Custom")
    P("meta_desc2", ms:get_description(), ms:to_string())
    P("replace", err(function() local r = ItemStack("wp:a") r:replace("wp:t") return r:to_string() end))
    P("clear", (function() local r = ItemStack("wp:a 5") r:clear() return r:to_string(), r:is_empty() end)())
end)
"""
)


def _engine_run(tmp_path, probe: str, steps: int):
    """Run ``probe`` as the mod "wp" in the real server (the test is skipped where it is absent)."""
    from vf_luanti import oracle

    if not oracle.engine_available():
        pytest.skip("the Luanti engine is not installed")
    mod = tmp_path / "wp"
    mod.mkdir()
    (mod / "mod.conf").write_text("name = wp\n")
    (mod / "init.lua").write_text(probe)
    return oracle.run_engine([mod], game="emptygame", steps=steps, timeout=30)


PROBE4 = (
    PROBE3.split("local storage = ")[0]
    + r"""
core.register_node("wp:n", {})
core.register_entity("wp:plain", {})
local function L(m)
    local t = m:to_table()
    local inv = {}
    for name, list in pairs(t.inventory) do
        local items = {}
        for i, s in pairs(list) do items[#items + 1] = i .. "=" .. type(s) .. ":" .. s:to_string() end
        inv[name] = table.concat(items, ",") .. "#" .. m:get_inventory():get_size(name)
    end
    return t.fields, inv
end
local n = 0
local function case(label, t)
    n = n + 1
    local p = {x = n, y = 0, z = 0}
    core.set_node(p, {name = "wp:n"})
    local m = core.get_meta(p)
    m:set_string("old", "1")
    m:get_inventory():set_size("oldlist", 2)
    local ok, e = pcall(m.from_table, m, t)
    P(label, ok, e, L(m))
end
local st = core.get_mod_storage()
core.after(0, function()
    core.emerge_area({x = -20, y = -20, z = -20}, {x = 50, y = 20, z = 20})
    core.after(1, function()
        local e = core.add_entity({x = 0, y = 1, z = 0}, "wp:plain")
        P("objectref", methods(e))
        P("voxelmanip", methods(core.get_voxel_manip()))
        P("entity_deprecated", select("#", e:add_player_velocity({x = 1, y = 0, z = 0})),
            e:get_player_velocity(),
            select("#", e:get_sky_color()))
        local c = {x = 0, y = 0, z = 0}
        core.set_node(c, {name = "wp:n"})
        local m = core.get_meta(c)
        m:get_inventory():set_size("main", 2)
        m:get_inventory():set_stack("main", 2, "wp:n 5")
        local t = m:to_table()
        P("to_table", type(t.inventory.main[1]), t.inventory.main[2]:to_string(),
            (select(2, pcall(core.serialize, t)):gsub("^.-:%d+: ", "")))
        case("tbl_item", {inventory = {main = {{name = "wp:n", count = 3}}}})
        case("num_item", {inventory = {main = {5}}})
        case("bool_item", {inventory = {main = {true}}})
        case("hole", {inventory = {main = {"wp:n", nil, "wp:n 3"}}})
        case("sparse", {inventory = {main = {[5] = "wp:n 2", [1] = "wp:n", [2.7] = ItemStack("wp:n 4")}}})
        case("strkey", {inventory = {main = {a = "wp:n 2"}}})
        case("zero_index", {inventory = {main = {[0] = "wp:n"}}})
        case("empty_list", {inventory = {main = {}}})
        case("list_name_number", {inventory = {[1] = {"wp:n"}}})
        case("list_not_table", {inventory = {main = "x"}})
        case("inv_str", {inventory = "x"})
        case("fields_str", {fields = "x"})
        case("field_values", {fields = {a = {}, b = true, c = 1.5, d = "", e = "x"}})
        case("field_number_key", {fields = {[1] = "x"}})
        case("field_bool_key", {fields = {[true] = "x"}})
        case("list_name_bool", {inventory = {[true] = {"wp:n"}}})
        case("fields_first", {fields = {[1] = "x"}, inventory = {main = {"wp:n"}}})
        case("nil", nil)
        case("both", {fields = {k = "v"}, inventory = {a = {"wp:n"}, b = {"", ""}}})
        local im = ItemStack("wp:n"):get_meta()
        P("item_meta", pcall(im.from_table, im, {fields = {a = 5, b = true, c = ""}}))
        P("item_meta_fields", im:to_table())
        P("storage", pcall(st.from_table, st, {fields = {a = 5, b = true}}))
        P("storage_fields", st:to_table())
        local vm = core.get_voxel_manip()
        P("vm_fresh", vm:get_emerged_area())
        P("vm_fresh_node", vm:get_node_at(c))
        vm:read_from_map({x = 0, y = 0, z = 0}, {x = 1, y = 1, z = 1})
        vm:set_node_at({x = 1, y = 1, z = 1}, {name = "wp:n"})
        vm:set_data(vm:get_data())
        P("vm_modified", vm:was_modified())
        P("vm_union", vm:read_from_map({x = -20, y = 0, z = 0}, {x = -19, y = 0, z = 0}))
        P("vm_union_nodes", vm:get_node_at({x = -10, y = 0, z = 0}),
            vm:get_node_at({x = 1, y = 1, z = 1}).name,
            #vm:get_data())
        vm:write_to_map()
        P("vm_written", vm:was_modified(), core.get_node({x = 1, y = 1, z = 1}).name)
    end)
end)
"""
)


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.parametrize(
    "probe",
    [
        PROBE,
        PROBE2,
        PROBE3,
        PROBE4,
        MISC_PROBE,
        COMMANDS_PROBE,
        AFTER_PROBE,
        INVENTORY_PROBE,
        NODE_CALLBACKS_PROBE,
        PRIVILEGES_PROBE,
        ITEMSTACK_PROBE,
    ],
    ids=[
        "probe1",
        "probe2",
        "probe3",
        "probe4",
        "misc",
        "commands",
        "after",
        "inventory",
        "node_callbacks",
        "privileges",
        "itemstack",
    ],
)
def test_probe_matches_real_engine(tmp_path, probe: str) -> None:
    # probe3: entity defaults, punch, visual_size, privilege callbacks; probe4: NodeMetaRef
    # to_table/from_table, the ObjectRef and VoxelManip method tables, VoxelManip areas
    run = _engine_run(tmp_path, probe, steps=50)
    engine = [ln.text for ln in run.lines if ln.text.startswith("WP|")]
    assert engine, run.log[-2000:]
    w = make_world(probe, name="wp")
    w.step(4)
    emulated = _wp_lines(w)
    assert emulated == engine


# Attachments: the entity callbacks, circular and self attachment, and what removal and death detach.
ATTACH_PROBE = (
    PROBE_HELPERS
    + r"""
local function nm(o)
    if not o then return "nil" end
    local e = o:get_luaentity()
    return e and e.tag or (o:is_player() and "player" or "?")
end
local function kids(o)
    local t = {}
    for _, c in ipairs(o:get_children()) do t[#t + 1] = nm(c) end
    table.sort(t)
    return table.concat(t, ",")
end
core.register_entity("wp:a", {
    initial_properties = {hp_max = 5},
    on_activate = function(self, sd) self.tag = sd end,
    on_attach_child = function(self, child)
        P("on_attach_child", self.tag, nm(child), nm(child:get_attach()))
    end,
    on_detach_child = function(self, child)
        P("on_detach_child", self.tag, nm(child), nm(child:get_attach()))
    end,
    on_detach = function(self, parent) P("on_detach", self.tag, nm(parent), nm(self.object:get_attach())) end,
    on_death = function(self, killer)
        P("on_death", self.tag, nm(self.object:get_attach()), kids(self.object))
    end,
    on_deactivate = function(self, removal) P("on_deactivate", self.tag, removal) end,
})
core.after(0, function()
    core.emerge_area({x = -20, y = -20, z = -20}, {x = 20, y = 20, z = 20})
    core.after(1, function()
        local e = {}
        for i = 1, 9 do e[i] = core.add_entity({x = i, y = 1, z = 0}, "wp:a", "e" .. i) end
        e[2]:set_attach(e[1], "", {x = 0, y = 1, z = 0})
        e[2]:set_attach(e[1], "bone")
        P("same_parent", nm(e[2]:get_attach()), select(2, e[2]:get_attach()), kids(e[1]))
        e[2]:set_attach(e[3])
        P("moved", kids(e[1]), kids(e[3]))
        P("self", err(function() e[1]:set_attach(e[1]) end), nm(e[1]:get_attach()))
        e[3]:set_attach(e[2])  -- circular: refused, yet listed as e2's child
        P("circular", nm(e[3]:get_attach()), kids(e[2]), kids(e[3]))
        e[3]:set_attach(e[4])
        e[3]:set_attach(e[2])  -- refused again: e4 loses it from its list, e3 stays attached to e4
        P("circular_again", nm(e[3]:get_attach()), kids(e[2]), kids(e[4]))
        e[2]:remove()  -- detaches the listed e3 from e4, then itself from e3
        P("removed", nm(e[3]:get_attach()), kids(e[4]), kids(e[3]))
        e[5]:set_attach(e[6])
        e[7]:set_attach(e[5])
        e[5]:set_hp(0)  -- death: its parent first, then its children
        P("died", nm(e[7]:get_attach()), kids(e[6]))
        e[8]:set_attach(e[9])
        e[8]:punch(e[9], 1, {full_punch_interval = 1, damage_groups = {fleshy = 100}})
        e[1]:set_detach()
        e[1]:set_detach()
        core.after(0.2, function()
            P("attach_to_removed", err(function() e[3]:set_attach(e[2]) end), nm(e[3]:get_attach()))
            for i = 1, 9 do if e[i]:get_pos() then e[i]:remove() end end
        end)
    end)
end)
"""
)


# Entity methods: their argument errors (Lua's numbering), rotation kept in single-precision degrees
# (set_yaw resets x and z), HP truncation, armor groups as read_groups reads them, vector checks.
ENTITY_PROBE = (
    PROBE_HELPERS
    + r"""
core.register_entity("wp:mob", {
    initial_properties = {hp_max = 20, physical = false, collisionbox = {-0.3, 0, -0.3, 0.3, 1, 0.3}},
    on_activate = function(self, staticdata, dtime_s)
        P("on_activate", staticdata, dtime_s, self.object:get_hp(), self.name)
        self.timer = 0
    end,
    on_punch = function(self, puncher, tflp, caps, dir, damage)
        P("on_punch", tflp, damage, self.object:get_hp())
    end,
    on_death = function(self, killer) P("on_death", killer ~= nil) end,
})
core.after(0, function()
    core.emerge_area({x = -20, y = -20, z = -20}, {x = 20, y = 20, z = 20})
    core.after(1, function()
        local o = core.add_entity({x = 0, y = 5, z = 0}, "wp:mob", "hello")
        local e = o:get_luaentity()
        P("luaentity", e.name, e.timer, e.object == o)
        P("hp", o:get_hp(), o:get_armor_groups())
        o:set_velocity({x = 1, y = 0, z = 0})
        o:set_acceleration({x = 0, y = -10, z = 0})
        P("vel", o:get_velocity(), o:get_acceleration())
        o:set_rotation({x = 1, y = 2, z = 3})
        P("rot", o:get_rotation(), o:get_yaw())
        o:set_yaw(0.5)
        P("yaw_resets_xz", o:get_rotation(), o:get_yaw())
        P("yaw_errors", err(function() o:set_yaw() end), err(function() o:set_yaw(nil) end),
            err(function() o:set_yaw("2") end), o:get_yaw(), err(function() o:set_yaw(0/0) end))
        P("hp_errors", err(function() o:set_hp() end), err(function() o:set_hp(nil) end),
            err(function() o:set_hp("7") end), o:get_hp())
        o:set_hp(50)
        P("hp_over_max", o:get_hp())
        o:set_hp(3.999)
        P("hp_trunc", o:get_hp())
        o:set_hp(20)
        o:set_armor_groups({fleshy = 50.7, cracky = "3", a = -0.4, b = 0, c = -2.6, d = 2.5, e = "7.9"})
        P("armor_values", o:get_armor_groups())
        P("armor_number_key", err(function() o:set_armor_groups({[1] = 2}) end), o:get_armor_groups())
        P("armor_table_key", err(function() o:set_armor_groups({[{}] = 2}) end))
        P("armor_bad", err(function() o:set_armor_groups(5) end), err(function() o:set_armor_groups() end))
        P("armor_bad_value", err(function() o:set_armor_groups({x = "y"}) end),
            err(function() o:set_armor_groups({x = true}) end), o:get_armor_groups())
        P("vel_errors", err(function() o:set_velocity() end), err(function() o:set_velocity({x = 1}) end))
        P("rot_errors", err(function() o:set_rotation(5) end), o:get_rotation())
        P("pos_errors", err(function() o:set_pos({x = "1", y = 1, z = 1}) end), o:get_pos())
        P("add_entity_errors", err(function() core.add_entity() end),
            err(function() core.add_entity({x = 0}) end))
        o:set_armor_groups({fleshy = 100})
        local r = o:punch(o, 1.0, {full_punch_interval = 1.0, damage_groups = {fleshy = 10}}, nil)
        P("after_punch", r, o:get_hp())
        o:move_to({x = 4, y = 5, z = 0}, true)
        P("move_to", o:get_pos())
        P("props", o:get_properties().hp_max, o:get_properties().physical, o:get_properties().collisionbox)
        o:set_properties({hp_max = 3})
        P("props_hp", o:get_hp(), o:get_properties().hp_max)
        P("is_player", o:is_player(), o:get_player_name())
        o:set_hp(0)
        P("after_death", o:get_pos(), o:get_luaentity())
        core.after(0.2, function() P("later", o:get_pos(), o:get_hp(), o:get_luaentity()) end)
    end)
end)
"""
)

# Object properties as read_object_properties reads each type (and logs the wrong ones).
PROPERTIES_PROBE = (
    PROBE_HELPERS
    + r"""
local KEYS = {"hp_max", "physical", "collisionbox", "selectionbox", "visual", "visual_size", "textures",
    "automatic_rotate", "stepheight", "eye_height", "glow", "nametag", "infotext", "spritediv",
    "static_save", "zoom_fov", "makes_footstep_sound", "backface_culling", "mesh", "colors",
    "use_texture_alpha", "initial_sprite_basepos", "automatic_face_movement_dir", "breath_max", "wield_item"}
local function show(label, o)
    local p = o:get_properties()
    for _, k in ipairs(KEYS) do P(label .. "." .. k, p[k]) end
end
core.register_entity("wp:a", {initial_properties = {collisionbox = {-0.3, 0, -0.3, 0.3, 1.7, 0.3},
    stepheight = 0.6, eye_height = 1.1, automatic_rotate = 0.3, glow = 3.7, hp_max = 7.9,
    spritediv = {x = 2.5, y = 3}}})
core.register_entity("wp:b", {initial_properties = {}})
core.after(0, function()
    core.emerge_area({x = -20, y = -20, z = -20}, {x = 20, y = 20, z = 20})
    core.after(1, function()
        local a = core.add_entity({x = 0, y = 5, z = 0}, "wp:a")
        show("a", a)
        local b = core.add_entity({x = 1, y = 5, z = 0}, "wp:b")
        P("b_set", err(function() b:set_properties({hp_max = "12", physical = 1,
            collisionbox = {-1, -1, -1, 1, 1}, visual = 5, textures = {"a.png", 5}, automatic_rotate = "2.5",
            nametag = 5, infotext = 5,
            static_save = "no", zoom_fov = 10.1, makes_footstep_sound = true, glow = "x",
            backface_culling = 0, mesh = 7, visual_size = {x = 2}, breath_max = 3.5, wield_item = 9}) end))
        show("b", b)
        P("b_bad", err(function() b:set_properties({collisionbox = "x", textures = "y", visual = {},
            spritediv = 5, hp_max = "q", colors = {"#ff0000", 5}}) end))
        show("b2", b)
        P("b_nil", err(function() b:set_properties() end), err(function() b:set_properties(5) end))
        a:remove() b:remove()
    end)
end)
core.register_entity("wp:legacy", {physical = true, visual = "cube", hp_max = 4,
    initial_properties = {visual = "mesh", glow = 2}})
core.after(1.5, function()
    local l = core.add_entity({x = 2, y = 5, z = 0}, "wp:legacy")
    local p = l:get_properties()
    P("legacy", p.physical, p.visual, p.hp_max, p.glow, l:get_hp())
    l:remove()
end)
"""
)


# read_content_features: a node's palette (a non-empty string, or a number) needs a color
# paramtype2, or the engine warns at each registration (override_item included); items never.
PALETTE_PROBE = (
    PROBE_HELPERS
    + r"""
core.register_node("wp:p1", {palette = "p.png"})
core.register_node("wp:p2", {palette = "p.png", paramtype2 = "color"})
core.register_node("wp:p3", {palette = "p.png", paramtype2 = "colorfacedir"})
core.register_node("wp:p4", {palette = "p.png", paramtype2 = "colorwallmounted"})
core.register_node("wp:p5", {palette = "p.png", paramtype2 = "colordegrotate"})
core.register_node("wp:p6", {palette = "p.png", paramtype2 = "facedir"})
core.register_node("wp:p7", {palette = ""})
core.register_node("wp:p8", {palette = 5})
core.register_node("wp:p9", {palette = "p.png", paramtype2 = 5})
core.override_item("wp:p2", {paramtype2 = "none"})
core.register_craftitem("wp:c", {palette = "p.png"})
P("registered", core.registered_nodes["wp:p2"].paramtype2)
"""
)


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.parametrize(
    ("probe", "logged", "count"),
    [
        (ATTACH_PROBE, "Mod bug: ", 2),
        (ENTITY_PROBE, "Invalid field ", 0),
        (PROPERTIES_PROBE, "Invalid field ", 6),
        (PALETTE_PROBE, "Node wp:", 5),
    ],
    ids=["attachments", "entity", "properties", "palette"],
)
def test_probe_and_its_log_match_real_engine(tmp_path, probe: str, logged: str, count: int) -> None:
    """The printed lines, and the engine's log messages starting with ``logged`` as warnings."""
    run = _engine_run(tmp_path, probe, steps=50)
    engine = [ln.text for ln in run.lines if ln.text.startswith("WP|")]
    assert engine, run.log[-2000:]
    w = make_world(probe, name="wp")
    w.step(4)
    assert _wp_lines(w) == engine
    messages = [ln.split("]: ", 1)[1] for ln in run.log.splitlines() if "]: " + logged in ln]
    assert len(messages) == count
    assert [d.message for d in w.warnings() if d.message.startswith(logged)] == messages


# Player-only behaviour needs a connected player: the 5.6.1 client joins headless with the null video
# driver (`video_driver = null`, no display needed).

PLAYER_PROBE = (
    PROBE3.split("local storage = ")[0]
    + r"""
core.register_entity("wp:plain", {})
core.register_on_joinplayer(function(player)
    core.after(0.3, function()
        local e = core.add_entity({x = 0, y = 1, z = 0}, "wp:plain")
        P("same_methods", methods(player) == methods(e))
        P("player_velocity", select("#", player:add_player_velocity({x = 0, y = 0, z = 0})),
            select("#", player:get_player_velocity()))
        P("sky_color", player:get_sky_color())
        P("sky_color_is_get_sky", fmt(player:get_sky(true).sky_color) == fmt(player:get_sky_color()))
        player:set_sky({sky_color = {day_sky = "#112233", fog_tint_type = "custom"}})
        P("sky_color_set", player:get_sky_color())
        player:set_sky({sky_color = {night_sky = {r = 1, g = 2, b = 3}}, clouds = false})
        P("sky_color_kept", player:get_sky_color())
        player:set_sky({type = "plain", base_color = "#445566"})
        P("sky_color_plain", player:get_sky_color())
        player:set_sky()
        P("sky_color_reset", player:get_sky_color())
        P("entity_legacy_sky", select("#", e:set_sky("#ff0000", "plain", {}, false)),
            select("#", e:get_sky()))
        P("legacy_set_sky", select("#", player:set_sky("#ff0000", "plain", {}, false)))
        P("legacy_get_sky", player:get_sky())
        P("get_sky_table", player:get_sky(true))
        player:set_sky({base_color = "#00ff00", textures = {"a.png"}, clouds = false, type = "regular"})
        P("get_sky_regular", player:get_sky())
        core.request_shutdown()
    end)
end)
"""
)


# A leaving player: the engine detaches the player's children and the player itself (with the
# entity callbacks) before on_leaveplayer runs. The player is kicked by the probe.
LEAVE_PROBE = (
    ATTACH_PROBE.split("core.after(0, function()")[0]
    + r"""
local child, cart
core.register_on_joinplayer(function(player)
    core.after(0.3, function()
        child = core.add_entity({x = 0, y = 1, z = 0}, "wp:a", "child")
        cart = core.add_entity({x = 2, y = 1, z = 0}, "wp:a", "cart")
        child:set_attach(player, "", {x = 0, y = 5, z = 0})
        player:set_attach(cart)
        P("before", nm(child:get_attach()), kids(player), kids(cart), nm(player:get_attach()))
        core.kick_player(player:get_player_name(), "bye")
        P("same_step", nm(child:get_attach()), kids(cart))
    end)
end)
core.register_on_leaveplayer(function(player, timed_out)
    P("on_leave", nm(child:get_attach()), kids(cart), kids(player), nm(player:get_attach()), timed_out)
    core.after(0.5, function()
        P("later", nm(child:get_attach()), kids(cart), player:get_pos())
        child:remove()
        cart:remove()
        core.request_shutdown()
    end)
end)
"""
)


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.parametrize("probe", [PLAYER_PROBE, LEAVE_PROBE], ids=["player", "leave"])
def test_player_probe_matches_real_engine(tmp_path, probe: str) -> None:
    log = engine_player_run(tmp_path, probe)
    engine = [ln for ln in log.splitlines() if ln.startswith("WP|")]
    report, w = load_world([mod_from_source(probe, name="wp")])
    assert report.ok
    w.join_player("sam")
    w.step(10)
    assert _wp_lines(w) == engine
    import re

    warnings = {
        re.sub(r" \(at .*\)$| at \S+:-?\d+$", "", ln.split("WARNING[Server]: ", 1)[1])
        for ln in log.splitlines()
        if "WARNING[Server]: " in ln
    }
    assert sorted(warnings) == sorted({d.message for d in w.warnings()})


# -- Deprecated API of 5.6.1 (checked in the real engine; the player parts with the headless client) --


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.parametrize(
    "probe", [DEPRECATED_ALIASES, DEPRECATED_LOG, TIMEOFDAY], ids=["aliases", "log_deprecated", "timeofday"]
)
def test_deprecation_probes_match_real_engine(tmp_path, probe: str) -> None:
    import re

    run = _engine_run(tmp_path, probe, steps=20)
    engine = [
        re.sub(r"\S*/init\.lua", f"{MODS_PATH}/wp/init.lua", f"{ln.level}[{ln.thread}]: {ln.text}")
        for ln in run.lines
        if ln.level == "WARNING"
    ]
    engine += re.findall(r"WP\|[^\n]*", run.log)  # print output can land inside a log line
    assert engine, run.log[-2000:]
    w = make_world(probe, name="wp")
    w.step(2)
    assert _warning_lines(w) + _wp_lines(w) == engine
