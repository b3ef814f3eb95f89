-- driver.lua (host side): the event driver. Python (vf_luanti/world.py) plays the server's part:
-- players join and leave, place, dig, punch, right-click and use items, time passes, chat commands
-- run. Arguments are strings and numbers; structured results are JSON text (I.to_json).
--
-- Events go through the same entry points the engine's C++ calls (definition callbacks, item
-- on_place/on_use, registered_on_* lists), so mod overrides take effect. State reads use internal
-- tables only, never core.* functions a mod could have replaced. A Lua error inside a callback is
-- recorded as the engine reports it and never escapes to Python.
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs, error = H.type, H.tostring, H.tonumber, H.pairs, H.ipairs, H.error
local floor, ceil = H.math.floor, H.math.ceil
local smatch, sgmatch, ssub, sfind = H.string.match, H.string.gmatch, H.string.sub, H.string.find
local sort = H.table.sort

local api = I.api

-- Called by modload when the server environment starts (after on_mods_loaded).
function I.start_environment()
	I.resolve_ore_nodes() -- NodeResolver errors (mapgen.lua)
	I.start_async_environment() -- async.lua
	I.start_abms_lbms() -- the engine's copies of the ABMs and LBMs (register.lua)
	I.builtin_entities()
	I.activate_saved_objects() -- a restarted world's static entities (persist.lua)
end

local function json(v)
	return I.to_json(v)
end

-- "x,y,z", "(x, y, z)" or {"x":..,"y":..,"z":..}.
local NUM = "[-+]?%d*%.?%d+[eE]?[-+]?%d*"

function I.parse_pos(s)
	s = tostring(s or "")
	local x, y, z
	if sfind(s, "x") then
		x = smatch(s, '"?x"?%s*[:=]%s*(' .. NUM .. ")")
		y = smatch(s, '"?y"?%s*[:=]%s*(' .. NUM .. ")")
		z = smatch(s, '"?z"?%s*[:=]%s*(' .. NUM .. ")")
	else
		local nums = {}
		for n in sgmatch(s, NUM) do
			nums[#nums + 1] = n
		end
		x, y, z = nums[1], nums[2], nums[3]
	end
	x, y, z = tonumber(x), tonumber(y), tonumber(z)
	if not (x and y and z) then
		error("bad position: " .. s, 0)
	end
	return I.vec(x, y, z)
end

local function round_pos(s)
	local p = I.parse_pos(s)
	return I.vec(I.check_pos(p))
end

-- "interact,shout", '["interact"]' or '{"interact":true}' -> {interact = true, ...}
local function parse_names(s)
	local t = {}
	for w in sgmatch(tostring(s or ""), "[%w_:%-]+") do
		if w ~= "true" and w ~= "false" then
			t[w] = true
		end
	end
	return t
end

-- Every host call runs inside a guard: an error in the driver's own argument handling comes back
-- as {"ok": false, "error": ...} instead of a Python exception from deep inside lupa.
local function guarded(f)
	return function(...)
		local res = { H.pcall(f, ...) }
		if res[1] then
			return res[2]
		end
		local msg = res[2]
		return json({ ok = false, error = type(msg) == "string" and msg or I.describe_error(msg), driver_error = true })
	end
end

local function run_list(fxn, list, ...)
	local stop
	for _, f in ipairs(list) do
		I.set_origin(f)
		local res = { I.callback(fxn, f, ...) }
		if res[1] and res[2] and stop == nil then
			stop = res[2]
		end
	end
	return stop
end

local function player(name)
	local o = I.players[tostring(name)]
	if not o then
		error("no such player: " .. tostring(name), 0)
	end
	return o
end

local function privs_of(name)
	local f = H.rawget(core, "get_player_privs")
	if type(f) ~= "function" then
		return nil
	end
	local ok, privs = H.pcall(f, name)
	return ok and type(privs) == "table" and privs or nil
end

local function may_interact(o)
	local privs = privs_of(o.name)
	return privs == nil or privs.interact == true
end

local function wielded_string(o)
	return I.record_to_string(I.wielded_record(o))
end

local function set_wielded_record(o, rec)
	local list = o.inventory.lists[o.wield_list]
	if list and o.wield_index <= list.size then
		list.slots[o.wield_index] = rec
	end
end

local function node_view(p)
	return I.public_node(p.x, p.y, p.z)
end

---------------------------------------------------------------------------------------------------
-- Players.

-- join_player(name, privs, pos): prejoin (a string refuses), auth entry, newplayer, joinplayer.
api.join_player = guarded(function(name, privs, pos)
	name = tostring(name)
	if I.phase ~= "run" then
		error("the server is not running (mods failed to load?)", 0)
	end
	if I.players[name] then
		return json({ ok = false, error = "player already connected: " .. name })
	end
	local refusal = run_list("on_prejoinplayer", I.registry("registered_on_prejoinplayers"), name, I.player_address(name))
	if type(refusal) == "string" then
		return json({ ok = false, refused = refusal })
	end
	-- The auth entry (through the auth handler a mod may have replaced, as the engine does).
	local authed = I.callback("on_authplayer", function()
		local handler_f = H.rawget(core, "get_auth_handler")
		local handler = type(handler_f) == "function" and handler_f() or nil
		if type(handler) == "table" then
			if handler.get_auth(name) == nil then
				handler.create_auth(name, "")
			end
			if privs ~= nil and privs ~= "" then
				handler.set_privileges(name, parse_names(privs))
			end
		elseif privs ~= nil and privs ~= "" and type(H.rawget(core, "set_player_privs")) == "function" then
			core.set_player_privs(name, parse_names(privs))
		end
	end)
	if not authed then
		return json({ ok = false, error = "the auth handler failed (see errors)" })
	end
	local is_new = not I.known_players[name]
	I.known_players[name] = true
	local pos_given = pos ~= nil and pos ~= ""
	local o = I.new_player(name, pos_given and I.parse_pos(pos) or nil)
	I.restore_player(o, pos_given) -- a returning player gets back what the database kept
	I.players[name] = o
	I.player_order[#I.player_order + 1] = name
	if is_new then
		run_list("on_newplayer", I.registry("registered_on_newplayers"), o.ref)
	end
	run_list("on_joinplayer", I.registry("registered_on_joinplayers"), o.ref, (not is_new) and 0 or nil)
	return json({ ok = true, new = is_new })
end)

-- A player leaves: on_leaveplayer, then the player's state is saved and the object goes.
-- Server::DeleteClient: attachments are cleared before the on_leaveplayer callbacks run.
function I.leave_player(o, timed_out)
	I.clear_child_attachments(o)
	I.clear_parent_attachment(o)
	run_list("on_leaveplayer", I.registry("registered_on_leaveplayers"), o.ref, timed_out)
	I.save_player(o)
	I.players[o.name] = nil
	for i, n in ipairs(I.player_order) do
		if n == o.name then
			H.table.remove(I.player_order, i)
			break
		end
	end
	I.remove_object(o)
end

api.leave_player = guarded(function(name, timed_out)
	I.leave_player(player(name), timed_out == 1 or timed_out == true)
	return json({ ok = true })
end)

api.respawn_player = guarded(function(name)
	local o = player(name)
	local ok = I.callback("on_respawnplayer", I.respawn, o)
	return json({ ok = ok, hp = o.hp })
end)

api.set_player_pos = guarded(function(name, pos)
	player(name).pos = I.parse_pos(pos)
	return json({ ok = true })
end)

api.set_player_look = guarded(function(name, yaw, pitch)
	local o = player(name)
	o.yaw, o.pitch = tonumber(yaw) or 0, tonumber(pitch) or 0
	return json({ ok = true })
end)

-- set_player_control(name, "sneak,up"): the keys held from now on.
api.set_player_control = guarded(function(name, keys)
	player(name).control = parse_names(keys)
	return json({ ok = true })
end)

api.set_wield_index = guarded(function(name, index)
	local o = player(name)
	local list = o.inventory.lists[o.wield_list]
	index = floor(tonumber(index) or 1)
	if not list or index < 1 or index > list.size then
		error("wield index out of range: " .. tostring(index), 0)
	end
	o.wield_index = index
	return json({ ok = true })
end)

api.give_item = guarded(function(name, item)
	local o = player(name)
	local left = I.list_add(o.inventory.lists.main, I.to_record(tostring(item)))
	return json({ ok = true, leftover = I.record_to_string(left) })
end)

api.set_wielded = guarded(function(name, item)
	local o = player(name)
	set_wielded_record(o, I.to_record(tostring(item or "")))
	return json({ ok = true, wielded = wielded_string(o) })
end)

api.set_hp = guarded(function(name, hp)
	local o = player(name)
	local ok = I.callback("on_player_hpchange", I.set_hp, o, tonumber(hp) or 0, { type = "set_hp", from = "mod" })
	return json({ ok = ok, hp = o.hp })
end)

local function player_view(o)
	local privs = privs_of(o.name) or {}
	local plist = {}
	for k, v in H.next, privs do
		if v then
			plist[#plist + 1] = k
		end
	end
	sort(plist)
	local meta = {}
	for k, v in pairs(o.meta) do
		meta[k] = v
	end
	local hud = {}
	for id, e in pairs(o.hud) do
		hud[#hud + 1] = { id = id, type = e.type, text = type(e.text) == "string" and e.text or nil,
			name = type(e.name) == "string" and e.name or nil }
	end
	sort(hud, function(a, b)
		return a.id < b.id
	end)
	return { name = o.name, hp = o.hp, hp_max = o.properties.hp_max, breath = o.breath,
		pos = { x = o.pos.x, y = o.pos.y, z = o.pos.z }, yaw = o.yaw, pitch = o.pitch,
		wield_index = o.wield_index, wielded = wielded_string(o), inventory = I.inventory_view(o.inventory),
		meta = meta, privs = plist, physics = o.physics, hud = hud, connected = not o.removed }
end

api.player_state = guarded(function(name)
	return json({ ok = true, player = player_view(player(name)) })
end)

api.players = guarded(function()
	return json({ ok = true, players = I.player_order })
end)

---------------------------------------------------------------------------------------------------
-- Player actions on nodes and items.

local function item_callback(rec, field)
	local items = I.registry("registered_items")
	local def = items[rec.name] or items.unknown
	local f = type(def) == "table" and def[field] or nil
	return type(f) == "function" and f or nil
end

-- The wielded item's callback (on_place/on_use/on_secondary_use); a returned stack replaces the
-- wielded item, as the engine's item_OnPlace / item_OnUse do.
local function wield_event(o, field, fxn, pointed)
	if not may_interact(o) then
		return { ok = false, error = o.name .. " attempted to interact without interact privilege" }
	end
	local rec = I.copy_record(I.wielded_record(o))
	local f = item_callback(rec, field)
	if not f then
		return { ok = true, called = false, wielded = wielded_string(o) }
	end
	local stack = I.new_stack(rec)
	local res = { I.callback(fxn, f, stack, o.ref, pointed) }
	if res[1] and res[2] ~= nil then
		local ok, new = H.pcall(I.to_record, res[2])
		if ok then
			set_wielded_record(o, new)
		end
	end
	return { ok = res[1] == true, called = true, wielded = wielded_string(o) }
end

-- place_node(player, pos[, under]): right-click with the wielded item on the face of `under` that
-- looks at pos. Default `under`: the node below pos when it is not buildable_to (a surface to
-- build on), else pos itself (a replaceable node such as air is pointed at directly), so that
-- core.item_place_node puts the node at pos in both cases.
local function buildable(p)
	local def = I.node_def((I.node_at(p.x, p.y, p.z)))
	return type(def) == "table" and def.buildable_to == true
end

api.place_node = guarded(function(name, pos, under)
	local o = player(name)
	local above = round_pos(pos)
	local u
	if under ~= nil and under ~= "" then
		u = round_pos(under)
	else
		u = I.vec(above.x, above.y - 1, above.z)
		if buildable(u) then
			u, above = above, I.vec(above.x, above.y + 1, above.z)
		end
	end
	local target = round_pos(pos)
	local r = wield_event(o, "on_place", "item_OnPlace", { type = "node", under = u, above = above })
	r.node = node_view(target)
	return json(r)
end)

-- rightclick_node(player, pos): right-click on the node at pos (its top face); the wielded item's
-- on_place runs, and core.item_place calls the node's on_rightclick.
api.rightclick_node = guarded(function(name, pos)
	local o = player(name)
	local u = round_pos(pos)
	local r = wield_event(o, "on_place", "item_OnPlace", { type = "node", under = u, above = I.vec(u.x, u.y + 1, u.z) })
	r.node = node_view(u)
	return json(r)
end)

local function pointed_node(p)
	return { type = "node", under = p, above = I.vec(p.x, p.y + 1, p.z) }
end

-- punch_node(player, pos): the node's on_punch (default core.node_punch -> on_punchnode callbacks).
api.punch_node = guarded(function(name, pos)
	local o = player(name)
	if not may_interact(o) then
		return json({ ok = false, error = o.name .. " attempted to interact without interact privilege" })
	end
	local p = round_pos(pos)
	local node = node_view(p)
	local def = I.node_def(node.name)
	local f = type(def) == "table" and def.on_punch or nil
	local ok = true
	if type(f) == "function" then
		ok = I.callback("node_on_punch", f, I.vec(p.x, p.y, p.z), node, o.ref, pointed_node(p))
	end
	return json({ ok = ok == true, node = node_view(p) })
end)

-- dig_node(player, pos): a punch (digging starts with one), then, if the wielded tool (or the
-- hand) can dig the node, its on_dig (default core.node_dig: drops, wear, callbacks).
api.dig_node = guarded(function(name, pos)
	local o = player(name)
	if not may_interact(o) then
		return json({ ok = false, error = o.name .. " attempted to interact without interact privilege" })
	end
	local p = round_pos(pos)
	local node = node_view(p)
	local def = I.node_def(node.name)
	if type(def) ~= "table" or def.pointable == false then
		return json({ ok = false, error = "node is not pointable: " .. node.name })
	end
	local on_punch = def.on_punch
	if type(on_punch) == "function" then
		I.callback("node_on_punch", on_punch, I.vec(p.x, p.y, p.z), node, o.ref, pointed_node(p))
	end
	node = node_view(p)
	def = I.node_def(node.name)
	if type(def) ~= "table" then
		return json({ ok = false, error = "node is gone: " .. node.name })
	end
	local rec = I.wielded_record(o)
	local params = I.dig_params(def.groups, I.record_toolcaps(rec), rec.wear)
	if not params.diggable then
		local hand = I.engine_def("")
		params = I.dig_params(def.groups, I.read_toolcaps(hand and hand.tool_capabilities), 0)
	end
	if not params.diggable then
		return json({ ok = false, error = "not diggable with the wielded item: " .. node.name })
	end
	local on_dig = def.on_dig
	local ok, dug = true, nil
	if type(on_dig) == "function" then
		ok, dug = I.callback("node_on_dig", on_dig, I.vec(p.x, p.y, p.z), node, o.ref)
	end
	return json({ ok = ok == true, dug = dug ~= false, node = node_view(p), wielded = wielded_string(o),
		time = params.time })
end)

-- use_item(player, pos_or_empty, secondary): left-click (on_use) at a node or at nothing, or
-- right-click in the air (on_secondary_use) when secondary is 1. `pos` "@name" points at that
-- online player (an object, as the engine's pointed_thing for a player in reach).
api.use_item = guarded(function(name, pos, secondary)
	local o = player(name)
	local pointed = { type = "nothing" }
	if type(pos) == "string" and ssub(pos, 1, 1) == "@" then
		pointed = { type = "object", ref = player(ssub(pos, 2)).ref }
	elseif pos ~= nil and pos ~= "" then
		pointed = pointed_node(round_pos(pos))
	end
	if secondary == 1 or secondary == true then
		return json(wield_event(o, "on_secondary_use", "item_OnSecondaryUse", pointed))
	end
	return json(wield_event(o, "on_use", "item_OnUse", pointed))
end)

-- drop_item(player): the drop key (the client's IDropAction on the wielded slot, inventory_move.lua):
-- allow_take, the stack's on_drop (default core.item_drop) at the player's position, on_take.
api.drop_item = guarded(function(name)
	local o = player(name)
	if not may_interact(o) then
		return json({ ok = false, error = o.name .. " attempted to interact without interact privilege" })
	end
	local dropped = I.drop_item(o, { type = "player", name = o.name }, o.wield_list, o.wield_index, 0)
	return json({ ok = true, dropped = dropped, wielded = wielded_string(o) })
end)

---------------------------------------------------------------------------------------------------
-- Inventory moves by a player (inventory_move.lua). Locations: "player" + name, "node" + pos,
-- "detached" + name.

local function location(kind, where)
	if kind == "player" then
		return { type = "player", name = player(where).name }
	elseif kind == "node" then
		local p = round_pos(where)
		return { type = "node", pos = { x = p.x, y = p.y, z = p.z } }
	elseif kind == "detached" then
		return { type = "detached", name = tostring(where) }
	end
	error("inventory kind must be player, node or detached: " .. tostring(kind), 0)
end

api.move_item = guarded(function(name, from_kind, from_where, from_list, from_index, to_kind, to_where, to_list,
		to_index, count)
	local o = player(name)
	local floc, tloc = location(from_kind, from_where), location(to_kind, to_where)
	return json({ ok = true, moved = I.move_item(o, floc, tloc, from_list, from_index, to_list, to_index, count) })
end)

---------------------------------------------------------------------------------------------------
-- Map state.

api.set_node = guarded(function(pos, name, param2)
	local p = round_pos(pos)
	local n, p1, p2 = I.read_node({ name = tostring(name), param2 = tonumber(param2) or 0 })
	local ok = I.callback("set_node", I.set_node, p.x, p.y, p.z, n, p1, p2)
	return json({ ok = ok == true, node = node_view(p) })
end)

api.get_node = guarded(function(pos)
	local p = round_pos(pos)
	return json({ ok = true, node = node_view(p) })
end)

api.get_meta = guarded(function(pos)
	local p = round_pos(pos)
	return json({ ok = true, meta = I.meta_view(p.x, p.y, p.z) })
end)

api.set_meta_string = guarded(function(pos, key, value)
	local p = round_pos(pos)
	local m = I.meta_record(p.x, p.y, p.z, true)
	value = tostring(value or "")
	m.fields[tostring(key)] = value ~= "" and value or nil
	return json({ ok = true })
end)

-- get_inventory(kind, name_or_pos): "player"/"node"/"detached".
api.get_inventory = guarded(function(kind, where)
	local inv
	if kind == "player" then
		inv = player(where).inventory
	elseif kind == "node" then
		local p = round_pos(where)
		local m = I.meta_record(p.x, p.y, p.z, false)
		inv = m and m.inv
	elseif kind == "detached" then
		inv = I.detached[tostring(where)]
		if not inv then
			error("no such detached inventory: " .. tostring(where), 0)
		end
	else
		error("inventory kind must be player, node or detached: " .. tostring(kind), 0)
	end
	return json({ ok = true, inventory = I.inventory_view(inv) })
end)

-- set_inventory_stack(kind, where, list, index, item): put an item into a slot (test setup).
api.set_inventory_stack = guarded(function(kind, where, listname, index, item)
	local inv
	if kind == "player" then
		inv = player(where).inventory
	elseif kind == "node" then
		local p = round_pos(where)
		inv = I.node_inventory(p.x, p.y, p.z)
	else
		inv = I.detached[tostring(where)]
	end
	local list = inv and inv.lists[tostring(listname)]
	index = floor(tonumber(index) or 0)
	if not list or index < 1 or index > list.size then
		error("no such slot: " .. tostring(listname) .. "[" .. tostring(index) .. "]", 0)
	end
	list.slots[index] = I.to_record(tostring(item or ""))
	return json({ ok = true })
end)

api.node_timer = guarded(function(pos)
	local p = round_pos(pos)
	local t = I.node_timers[I.hash(p.x, p.y, p.z)]
	return json({ ok = true, started = t ~= nil and t.timeout ~= 0, timeout = t and t.timeout or 0,
		elapsed = t and t.elapsed or 0 })
end)

api.start_node_timer = guarded(function(pos, timeout)
	local p = round_pos(pos)
	I.node_timers[I.hash(p.x, p.y, p.z)] = { timeout = tonumber(timeout) or 0, elapsed = 0 }
	return json({ ok = true })
end)

-- find_nodes(minp, maxp, names): positions of matching nodes (names comma-separated, group:x ok).
api.find_nodes = guarded(function(minp, maxp, names)
	local a, b = round_pos(minp), round_pos(maxp)
	local list = {}
	for w in sgmatch(tostring(names or ""), "[^,%s]+") do
		list[#list + 1] = w
	end
	local match = I.node_matcher(list)
	local out = {}
	for z = H.math.min(a.z, b.z), H.math.max(a.z, b.z) do
		for y = H.math.min(a.y, b.y), H.math.max(a.y, b.y) do
			for x = H.math.min(a.x, b.x), H.math.max(a.x, b.x) do
				local n = I.node_at(x, y, z)
				if match(n) then
					out[#out + 1] = { x = x, y = y, z = z, name = n }
				end
			end
		end
	end
	return json({ ok = true, nodes = out })
end)

---------------------------------------------------------------------------------------------------
-- Time.

-- step(seconds, dtime): server steps of dtime (default 0.1 s) until `seconds` have passed.
local MAX_STEPS = 100000
api.step = guarded(function(seconds, dtime)
	dtime = tonumber(dtime) or 0.1
	if dtime <= 0 then
		error("dtime must be positive", 0)
	end
	local n = ceil((tonumber(seconds) or dtime) / dtime - 1e-9)
	if n > MAX_STEPS then
		error("step: " .. n .. " steps asked, at most " .. MAX_STEPS .. " per call", 0)
	end
	for _ = 1, n do
		I.step(dtime)
	end
	return json({ ok = true, steps = n, gametime = I.gametime, timeofday = I.timeofday })
end)

api.run_abms = guarded(function(times)
	return json({ ok = true, fired = I.run_abms(floor(tonumber(times) or 1)) })
end)

-- run_lbms(): every LBM runs over the stored nodes it matches, as when their map blocks load
-- (run_at_every_load or not: each call is one load). bulk_action (5.10) gets the position list.
api.run_lbms = guarded(function(dtime_s)
	local fired = 0
	for _, l in ipairs(I.engine_lbms) do -- the engine's copies; the actions are looked up live
		local spec = I.registry("registered_lbms")[l.id]
		if type(spec) == "table" then
			local match = I.node_matcher(l.nodenames)
			local hashes = {}
			for h, n in pairs(I.nodes) do
				if match(n.name) then
					hashes[#hashes + 1] = h
				end
			end
			sort(hashes)
			if type(spec.bulk_action) == "function" and #hashes > 0 then
				local list = {}
				for i, h in ipairs(hashes) do
					list[i] = I.vec(I.unhash(h))
				end
				if I.callback("LuaLBM::trigger", spec.bulk_action, list, tonumber(dtime_s) or 0) then
					fired = fired + #list
				end
			elseif type(spec.action) == "function" then
				for _, h in ipairs(hashes) do
					local x, y, z = I.unhash(h)
					local name, p1, p2 = I.node_at(x, y, z)
					if match(name) and I.callback("LuaLBM::trigger", spec.action, I.vec(x, y, z),
							{ name = name, param1 = p1, param2 = p2 }, tonumber(dtime_s) or 0) then
						fired = fired + 1
					end
				end
			end
		end
	end
	return json({ ok = true, fired = fired })
end)

api.set_abm_mode = guarded(function(mode, seed)
	I.set_abm_mode(tostring(mode), seed)
	return json({ ok = true })
end)

api.set_timeofday = guarded(function(t)
	I.timeofday = (tonumber(t) or 0) % 1
	return json({ ok = true })
end)

api.time = guarded(function()
	local pending, next_in = I.after_pending()
	return json({ ok = true, gametime = I.gametime, timeofday = I.timeofday, day_count = I.day_count,
		steps = I.step_count, after_pending = pending, after_next = next_in })
end)

---------------------------------------------------------------------------------------------------
-- Chat.

-- chat_command(player, "/cmd args"): the chat command as the player typed it.
api.chat_command = guarded(function(name, line)
	local o = player(name)
	line = tostring(line or "")
	if ssub(line, 1, 1) ~= "/" then
		line = "/" .. line
	end
	local before = #I.chat_log
	local res
	I.player_command = o.name -- what the command does, the player asked for (misc.lua request_shutdown)
	if type(I.run_chatcommand) == "function" then
		res = { I.callback("on_chat_message", I.run_chatcommand, o.name, line) }
	else
		-- The engine's own path: the chat command dispatcher is an on_chat_message callback.
		res = { true, run_list("on_chat_message", I.registry("registered_on_chat_messages"), o.name, line) and true
			or false }
	end
	I.player_command = nil
	local replies = {}
	for i = before + 1, #I.chat_log do
		replies[#replies + 1] = I.chat_log[i].message
	end
	return json({ ok = res[1] == true, success = res[2], message = res[3], chat = replies })
end)

-- say(player, text): a chat message (Server::handleChat): on_chat_message callbacks; unhandled, it
-- is broadcast as "<name> text", or refused without the shout privilege.
api.say = guarded(function(name, text)
	local o = player(name)
	text = tostring(text or "")
	local handled = run_list("on_chat_message", I.registry("registered_on_chat_messages"), o.name, text)
	if not handled then
		local privs = privs_of(o.name)
		if privs and not privs.shout then
			I.chat(o.name, "-!- You don't have permission to shout.")
		else
			I.chat("*", "<" .. o.name .. "> " .. text)
		end
	end
	return json({ ok = true, handled = handled and true or false })
end)

api.chat_log = guarded(function(since)
	local out = {}
	for i = floor(tonumber(since) or 0) + 1, #I.chat_log do
		local e = I.chat_log[i]
		out[#out + 1] = { to = e.to, message = e.message }
	end
	return json({ ok = true, chat = out, total = #I.chat_log })
end)

---------------------------------------------------------------------------------------------------
-- Objects.

local function object(id)
	local n = floor(tonumber(id) or -1)
	local o = I.objects[n] or I.gone_objects[n]
	if not o then
		error("no such object: " .. tostring(id), 0)
	end
	return o
end

api.add_entity = guarded(function(pos, name, staticdata)
	local p = I.parse_pos(pos)
	local res = { I.callback("on_activate", I.add_entity, p, tostring(name), staticdata and tostring(staticdata) or "") }
	local ref = res[2]
	local o = ref and I.object_of(ref)
	return json({ ok = res[1] == true, id = o and o.id or nil, removed = o == nil })
end)

api.add_item = guarded(function(pos, item)
	local p = I.parse_pos(pos)
	local res = { I.callback("add_item", core.add_item, p, tostring(item)) }
	local o = res[2] and I.object_of(res[2])
	return json({ ok = res[1] == true, id = o and o.id or nil })
end)

-- punch_entity(id, player[, time_from_last_punch]): the player punches with the wielded item, which
-- then takes the punch's wear (punch_attack_uses), as the server does for a player's punch.
api.punch_entity = guarded(function(id, name, tflp)
	local o = object(id)
	local puncher = player(name)
	local rec = I.wielded_record(puncher)
	-- Server::handleCommand_Interact: the direction runs from the puncher's eyes (its position plus
	-- eye_height, 1.625 for a player by default) to the object's position, normalised.
	local eye = tonumber(puncher.properties.eye_height) or 1.625
	local d = { x = o.pos.x - puncher.pos.x, y = o.pos.y - (puncher.pos.y + eye), z = o.pos.z - puncher.pos.z }
	local len = H.math.sqrt(d.x * d.x + d.y * d.y + d.z * d.z)
	local dir = len > 0 and I.vec(d.x / len, d.y / len, d.z / len) or I.vec(0, 0, 0)
	local ok, wear = I.callback("luaentity_Punch", I.punch, o, puncher.ref, tonumber(tflp) or 1000000, nil, dir,
		rec.wear)
	if ok and (wear or 0) > 0 then
		local now = I.copy_record(I.wielded_record(puncher))
		local stack = I.new_stack(now)
		if stack:add_wear(wear) then
			set_wielded_record(puncher, I.copy_record(I.stack_state(stack)))
		end
	end
	return json({ ok = ok == true, object = I.object_view(o), wielded = wielded_string(puncher) })
end)

api.rightclick_entity = guarded(function(id, name)
	local o = object(id)
	local ok = I.callback("luaentity_Rightclick", I.right_click, o, player(name).ref)
	return json({ ok = ok == true, object = I.object_view(o) })
end)

-- reload_entity(id, dtime_s): the object is unloaded and loaded again, as when its map block is
-- saved and reactivated: get_staticdata, on_deactivate(self, false), then a new object of the same
-- entity at the same place with on_activate(staticdata, dtime_s). Returns the new id.
-- An entity unloaded (get_staticdata, on_deactivate) and activated again from its staticdata
-- after dtime_s seconds away; returns whether that ran without error, the new object, the data.
local function reload_entity(o, dtime_s)
	local ent = o.luaentity
	local staticdata = ""
	if ent and type(ent.get_staticdata) == "function" then
		local res = { I.callback("luaentity_GetStaticdata", ent.get_staticdata, ent) }
		if not res[1] then
			return false
		end
		staticdata = type(res[2]) == "string" and res[2] or ""
	end
	o.deactivated = true
	if ent and type(ent.on_deactivate) == "function" then
		I.callback("luaentity_on_deactivate", ent.on_deactivate, ent, false)
	end
	I.remove_object(o)
	local res = { I.callback("luaentity_Activate", function()
		local ref = I.add_entity(o.pos, o.entity_name, staticdata, tonumber(dtime_s) or 0)
		local new = I.object_of(ref)
		if new then
			new.velocity, new.rotation = o.velocity, o.rotation
		end
		return ref
	end) }
	return res[1] == true, res[2] and I.object_of(res[2]), staticdata
end

api.reload_entity = guarded(function(id, dtime_s)
	local o = object(id)
	if o.removed or o.kind ~= "entity" then
		error("not a live entity: " .. tostring(id), 0)
	end
	local ok, new, staticdata = reload_entity(o, dtime_s)
	return json({ ok = ok, id = new and new.id or nil, staticdata = staticdata })
end)

api.entity_state = guarded(function(id)
	return json({ ok = true, object = I.object_view(object(id)) })
end)

api.objects = guarded(function()
	local out = {}
	for _, ref in ipairs(I.objects_where(function()
		return true
	end)) do
		out[#out + 1] = I.object_view(I.object_of(ref))
	end
	return json({ ok = true, objects = out })
end)

---------------------------------------------------------------------------------------------------
-- Diagnostics and eval.

local function slice(list, since)
	local out = {}
	for i = floor(tonumber(since) or 0) + 1, #list do
		local d = list[i]
		out[#out + 1] = { mod = d.mod, file = d.file, line = d.line, message = d.message }
	end
	return out
end

api.diagnostics = guarded(function(errors_since, warnings_since)
	return json({ ok = true, errors = slice(I.errors, errors_since), warnings = slice(I.warnings, warnings_since),
		error_count = #I.errors, warning_count = #I.warnings })
end)

-- After the soak the server's life goes on as a real one's does: a player joins while the others are
-- online, chats, dies and respawns, then everyone leaves and the server runs on (after jobs that
-- still hold a player); static entities are unloaded and activated again, as when a player walks
-- away and comes back (dtime_s > 0); then the server shuts down. Each part runs only when some mod
-- code can be reached by it, so a quiet world costs nothing.
local PLAYER_LISTS = { "registered_on_prejoinplayers", "registered_on_authplayers", "registered_on_newplayers",
	"registered_on_joinplayers", "registered_on_leaveplayers", "registered_on_chat_messages",
	"registered_on_dieplayers", "registered_on_respawnplayers", "registered_on_player_hpchanges",
	"registered_on_punchplayers", "registered_on_player_receive_fields", "registered_on_chatcommands",
	"registered_globalsteps", "registered_on_placenodes", "registered_on_dignodes", "registered_on_punchnodes",
	"registered_on_crafts", "registered_craft_predicts", "registered_on_cheats", "registered_on_rightclickplayers",
	"registered_allow_player_inventory_actions", "registered_on_player_inventory_actions" }
-- The chat commands and items before the first mod loaded (I.take_pristine): the rest are the mods'.
local builtin_commands, builtin_items = {}, {}
-- The mods whose things the visitors meet (api.soak's `mods`): nil, every mod's; beside a game, the
-- sample's only (the game's own hundreds of items are the engine's business, not the task's).
local visited

-- Whether a registered definition (an item, a chat command) belongs to a mod the visitors meet.
local function visited_def(def)
	return type(def) == "table" and (visited == nil or visited[def.mod_origin] == true)
end

-- Names like any players', drawn per world from the map seed (no constant name tells the judge).
local NAMES = { "Sam", "Alex", "Robin", "kayla", "Zed_99", "mira", "Tobias", "jo3", "Lena", "Quinn_x",
	"ash", "Nova", "pierre", "Kit", "oskar_b", "Yuki", "dan", "Wren", "Ivo", "Bea_07" }
local function visitor_names()
	local seed, names = I.map_seed_s32() % 1000003, {}
	for i = 1, 4 do
		local n = NAMES[(seed * (2 * i + 1) + i * 7) % #NAMES + 1]
		while names[n] do
			n = NAMES[(seed + #n + i) % #NAMES + 1] .. i
		end
		names[n], names[i] = true, n
	end
	return names[1], names[2], names[3], names[4]
end

-- Players online at once in the busy evening of a server's life, the first visitor besides.
local CROWD = 7
-- What players type after a command: nothing, a word, a number out of range, too many words, a
-- player's name (filled in), a name nobody has.
local COMMAND_PARAMS = { "", "?", "-1", "a b c 1e999", false, "nobody_here" }
-- What players type: a word, a sentence, an empty line, leading space, punctuation, non-ASCII, a command.
local CHAT_LINES = { "hi", "hello everyone", "", "  lag?", "gg!!", "ça va ?", "/help" }

local function mod_code_reached(lists)
	for _, list in ipairs(lists) do
		local t = H.rawget(core, list)
		if type(t) == "table" then
			for _, f in H.next, t do
				if type(f) == "function" and I.callback_mod[f] ~= "*builtin*" then
					return true
				end
			end
		end
	end
	return I.after_pending() > 0
end

-- The server runs on for `seconds` in steps of `dtime`; a world where nothing can run skips ahead.
local function run_for(seconds, dtime)
	I.soak(seconds, dtime, seconds, dtime)
end

local function fresh_name(base)
	local name = base
	while I.players[name] or I.known_players[name] do
		name = name .. "x"
	end
	return name
end

-- The builtin's on_player_receive_fields dispatch: the callbacks in order until one returns true.
local function submit_fields(name, formname, fields)
	local o = I.players[name]
	for _, f in ipairs(I.registry("registered_on_player_receive_fields")) do
		if type(f) == "function" then
			I.set_origin(f)
			if I.callback("on_player_receive_fields", f, o.ref, formname, fields) then
				return
			end
		end
	end
end

local function live_entities()
	local ids = {}
	for id, o in H.next, I.objects do
		if o.kind == "entity" and not o.removed then
			ids[#ids + 1] = id
		end
	end
	sort(ids)
	return ids
end

-- What a game's hand digs (minetest_game's: crumbly 2-3, snappy 3, oddly_breakable_by_hand, and
-- dig_immediate for any hand): a real player digs such a node with nothing in hand.
local function hand_diggable(groups)
	local g = type(groups) == "table" and groups or {}
	local crumbly, snappy = tonumber(g.crumbly) or 0, tonumber(g.snappy) or 0
	return (tonumber(g.oddly_breakable_by_hand) or 0) > 0 or (tonumber(g.dig_immediate) or 0) > 0
		or crumbly == 2 or crumbly == 3 or snappy == 3
end

-- A player digs the node at p by hand where a game's hand can (the end of the engine's dig action:
-- the node's on_dig, core.node_dig unless the mod set another), with whatever it holds.
local function dig_by_hand(name, p)
	local node = node_view(p)
	local ndef = I.node_def(node.name)
	if I.players[name] and type(ndef) == "table" and ndef.diggable ~= false and hand_diggable(ndef.groups)
		and type(ndef.on_dig) == "function" then
		I.callback("node_on_dig", ndef.on_dig, I.vec(p.x, p.y, p.z), node, I.players[name].ref)
	end
end

-- The names in a registry (core.registered_items, ...) that the visited mods registered, sorted:
-- not builtin's (`builtin`, taken before the first mod loaded).
local function mods_names(registry, builtin)
	local names = {}
	for name, def in H.next, registry do
		if not builtin[name] and visited_def(def) then
			names[#names + 1] = name
		end
	end
	sort(names)
	return names
end

-- The items the mods registered, by name (what a player of the world can get and use).
local function mods_items()
	return mods_names(core.registered_items, builtin_items)
end

-- The anticheat's cheat types (5.6.1's lua_api.txt, register_on_cheat): what a busy server reports.
local CHEATS = { "moved_too_fast", "interacted_too_far", "interacted_with_self", "interacted_while_dead",
	"finished_unknown_dig", "dug_unbreakable", "dug_too_fast" }

-- A player crafts as through the craft grid (ICraftAction, then builtin's craft_predict/on_craft
-- dispatchers, read live as the engine calls them): the first normal recipe whose inputs are item
-- names -- of the mods' items if they have one, else of any item (beside a game, the game's) -- is
-- laid out in the player's 3x3 craft list and its result taken once.
local function craft_once(name)
	local o = I.players[name]
	if not o or type(core.get_all_craft_recipes) ~= "function" then
		return
	end
	local every = {}
	for item in H.next, core.registered_items do
		every[#every + 1] = item
	end
	sort(every)
	for _, names in ipairs({ mods_items(), every }) do
		for _, item in ipairs(names) do
			for _, r in ipairs(core.get_all_craft_recipes(item) or {}) do
				local width, items, concrete = tonumber(r.width) or 0, r.items or {}, true
				for _, v in H.pairs(items) do
					concrete = concrete and type(v) == "string" and ssub(v, 1, 6) ~= "group:"
				end
				if (r.method == "normal" or r.type == "normal") and concrete and width <= 3 then
					local grid = {}
					for i = 1, 9 do
						local w = width > 0 and width or 3
						local row, col = floor((i - 1) / 3), (i - 1) % 3
						grid[i] = (col < w) and items[row * w + col + 1] or ""
					end
					local ref = o.ref
					local inv = ref:get_inventory()
					inv:set_size("craft", 9)
					inv:set_list("craft", grid)
					local old = inv:get_list("craft")
					local result = core.get_craft_result({ method = "normal", width = 3, items = old })
					if result and result.item and not result.item:is_empty() then
						I.callback("craft_predict", function()
							return core.craft_predict(result.item, ref, old, inv)
						end)
						I.callback("on_craft", function()
							return core.on_craft(result.item, ref, old, inv)
						end)
					end
					inv:set_list("craft", {})
					return
				end
			end
		end
	end
end

-- The chat commands the mods registered, by name (what the admin tries out).
local function mods_commands()
	return mods_names(core.registered_chatcommands, builtin_commands)
end

-- The first slot of inventory list `l` that holds something (`full`) or nothing; nil if none.
local function first_slot(l, full)
	for i = 1, l and l.size or 0 do
		if (l.slots[i].count > 0) == full then
			return i
		end
	end
end

-- A player sorts its own inventory through the engine's inventory actions (inventorymanager.cpp,
-- inventory_move.lua), so the mods' inventory callbacks get a real player's arguments: its first
-- stack moved to an empty slot of the main list, one of it laid into the craft grid and taken back
-- (moves within one inventory), then one dropped (a take; the item's on_drop puts it in the world),
-- and one of each item whose on_drop is the mod's. A player with nothing picks up one of the mods'
-- items first. A slot that a callback took away
-- ends it (the engine refuses such an action).
local function use_own_inventory(name)
	local o = I.players[name]
	local lists = o and o.inventory.lists
	local item = mods_items()[1]
	if not lists or not lists.main or o.hp == 0 then
		return
	end
	local function first(list, full)
		return first_slot(lists[list], full)
	end
	local function holds(list, i) -- the player is online and the slot holds something
		local l = I.players[name] and lists[list]
		return l and i <= l.size and l.slots[i].count > 0
	end
	if not first("main", true) and item then
		I.list_add(lists.main, I.to_record(item .. " " .. H.math.min(2, I.stack_max(item))))
	end
	local here = { type = "player", name = name }
	local from, to, grid = first("main", true), first("main", false), first("craft", false)
	if not from or not to then
		return
	end
	I.move_item(o, here, here, "main", from, "main", to, 0)
	if grid and holds("main", to) then
		I.move_item(o, here, here, "main", to, "craft", grid, 1)
		if holds("craft", grid) and lists.main.size >= to then
			I.move_item(o, here, here, "craft", grid, "main", to, 0)
		end
	end
	if holds("main", to) and o.hp > 0 then
		I.drop_item(o, here, "main", to, 1)
	end
	for _, it in ipairs(mods_items()) do -- and one of each item whose on_drop is the mod's own
		local def = core.registered_items[it]
		local f = type(def) == "table" and def.on_drop
		local slot = type(f) == "function" and I.is_mod_source(H.debug.getinfo(f, "S").source)
			and I.players[name] and o.hp > 0 and first("main", false)
		if slot then
			lists.main.slots[slot] = I.to_record(it)
			I.drop_item(o, here, "main", slot, 1)
		end
	end
end

-- A container is placed beside the player: one of the mod's nodes that keeps an inventory, else one of
-- another mod's (beside a game, its chest). An item another player left in it is taken into the
-- player's inventory and put back, as through the node's formspec: the node's take/put callbacks
-- and the player's own inventory callbacks ("put" on the way in, "take" on the way out) run.
local CONTAINER_TRIES = 4
local CONTAINER_FIELDS = { "on_metadata_inventory_take", "allow_metadata_inventory_take",
	"on_metadata_inventory_put", "allow_metadata_inventory_put" }
local function use_a_container(name, own)
	local o = I.players[name]
	local lists = o and o.inventory.lists
	if not lists or not lists.main or o.hp == 0 then
		return
	end
	local candidates = {}
	for item, def in H.next, core.registered_nodes do
		if not builtin_items[item] and visited_def(def) == own then
			for _, field in ipairs(CONTAINER_FIELDS) do
				if type(def[field]) == "function" then
					candidates[#candidates + 1] = item
					break
				end
			end
		end
	end
	H.table.sort(candidates)
	local here = { type = "player", name = name }
	for i = 1, H.math.min(#candidates, CONTAINER_TRIES) do
		local item = candidates[i]
		local p = I.vec(floor(o.pos.x + 0.5) - 4, floor(o.pos.y + 0.5), floor(o.pos.z + 0.5) + i)
		api.set_wielded(name, item)
		api.place_node(name, "(" .. p.x .. "," .. p.y .. "," .. p.z .. ")")
		api.set_wielded(name, "")
		local inv = I.players[name] and node_view(p).name == item and I.resolve_inventory({ type = "node", pos = p })
		local listname, list
		for ln, l in H.next, inv and inv.lists or {} do
			if l.size > 0 and (listname == nil or ln < listname) then
				listname, list = ln, l
			end
		end
		local slot = first_slot(lists.main, false) -- where the item goes (placing may have filled one)
		if list and slot then
			list.slots[1] = I.to_record(item) -- left there by another player
			local there = { type = "node", pos = p }
			if I.move_item(o, there, here, listname, 1, "main", slot, 0) > 0 and I.players[name] and o.hp > 0 then
				I.move_item(o, here, there, "main", slot, listname, 1, 0)
			end
			return
		end
	end
end

-- Whether an item the mods registered has a callback of mod code (a player using it reaches the mod).
local function mod_item_code()
	for _, item in ipairs(mods_items()) do
		local def = core.registered_items[item]
		if type(def) == "table" then
			for _, v in H.next, def do
				if type(v) == "function" and I.is_mod_source(H.debug.getinfo(v, "S").source) then
					return true
				end
			end
		end
	end
	return false
end

-- A player meets the mod's own nodes and items as players do: each node is placed from the hand,
-- punched, right-clicked with it and with an empty hand, and dug by hand where a game's hand can;
-- each other item is used on air, on a node and on the `other` player, as the primary and the
-- secondary use. Only while the player is still on the server, a few nodes apart beside it.
local function meet_the_mods_things(name, dtime, other)
	local o = I.players[name]
	if not o then
		return
	end
	local base, nodes = I.vec(floor(o.pos.x + 3.5), floor(o.pos.y + 0.5), floor(o.pos.z + 0.5)), {}
	for i, item in ipairs(mods_items()) do
		local def = core.registered_items[item]
		local p = I.vec(base.x + 2 * (i % 16), base.y, base.z + 2 * floor(i / 16))
		local at = "(" .. p.x .. "," .. p.y .. "," .. p.z .. ")"
		if not I.players[name] or type(def) ~= "table" then
			break
		end
		api.set_wielded(name, item)
		if def.type == "node" then
			api.place_node(name, at)
			if node_view(p).name == item then
				nodes[#nodes + 1] = at
				api.punch_node(name, at)
				api.rightclick_node(name, at)
				api.set_wielded(name, "")
				api.rightclick_node(name, at)
				if node_view(p).name == item then
					dig_by_hand(name, p)
				end
			end
		else
			api.use_item(name, "")
			api.use_item(name, "", 1)
			if nodes[1] then
				api.use_item(name, nodes[1])
			end
			if other and I.players[other] and I.players[name] then
				api.use_item(name, "@" .. other)
			end
		end
		api.set_wielded(name, "")
		run_for(0.2, dtime)
	end
	-- a node of another mod (beside a game, the game's own), placed and dug by hand, once with one
	-- of the mod's items in hand and once with none: what the mod's dig callbacks see of any node
	local foreign, first = nil, mods_items()[1]
	for item, def in H.next, core.registered_nodes do
		if not builtin_items[item] and not visited_def(def) and def.diggable ~= false
			and hand_diggable(def.groups) and (foreign == nil or item < foreign) then
			foreign = item
		end
	end
	if foreign then
		local p = I.vec(base.x - 2, base.y, base.z)
		for _, held in ipairs({ first or "", "" }) do
			if not I.players[name] then
				break
			end
			api.set_wielded(name, foreign)
			api.place_node(name, "(" .. p.x .. "," .. p.y .. "," .. p.z .. ")")
			api.set_wielded(name, held)
			if node_view(p).name == foreign then
				dig_by_hand(name, p)
			end
			run_for(0.2, dtime)
		end
		api.set_wielded(name, "")
	end
end

-- The session's steps are the engine's dedicated-server steps, or where entities live (whose physics
-- makes every step cost) a loaded server's 0.5 s: the soak's first minute ran them finely already.
local LIFE_DTIME_ENTITIES = 0.5

local function life_goes_on(dtime, coarse, timer_horizon)
	if #live_entities() > 0 then
		dtime = LIFE_DTIME_ENTITIES
	end
	if mod_code_reached(PLAYER_LISTS) or #live_entities() > 0 or mod_item_code() or mods_commands()[1] then
		local first, second, returning, admin = visitor_names()
		local a = fresh_name(first)
		local b = fresh_name(second)
		api.join_player(a)
		if I.players[a] then
			I.protected_call(I.generate_around, I.players[a].pos) -- its view range, then its travels
		end
		run_for(1, dtime)
		api.join_player(b) -- a second player while the first is online
		run_for(1, dtime)
		for _, line in ipairs(CHAT_LINES) do
			if ssub(line, 1, 1) == "/" then
				api.chat_command(a, line)
			else
				api.say(a, line)
			end
			run_for(0.5, dtime)
		end
		submit_fields(a, "", { quit = "true" }) -- the inventory form closed
		meet_the_mods_things(a, dtime, b)
		craft_once(a)
		use_own_inventory(a)
		use_a_container(a, true)
		use_a_container(a, false)
		if I.players[a] and I.players[b] then -- a player right-clicks another
			I.callback("on_rightclickplayer", I.right_click, I.players[b], I.players[a].ref)
		end
		for _, cheat in ipairs(CHEATS) do -- the anticheat reports the first visitor
			if I.players[a] then
				run_list("on_cheat", I.registry("registered_on_cheats"), I.players[a].ref, { type = cheat })
			end
		end
		run_for(1, dtime)
		for _, id in ipairs(live_entities()) do
			api.punch_entity(id, a)
		end
		local function punch(victim, hitter, damage) -- on_punchplayer, hpchange, maybe a death
			local pv, ph = I.players[victim], I.players[hitter]
			if pv and ph then
				-- an error in a callback it reaches is recorded as the server would crash on it
				I.protected_call(pv.ref.punch, pv.ref, ph.ref, 1.0,
					{ full_punch_interval = 1.0, damage_groups = { fleshy = damage } }, { x = 1, y = 0, z = 0 })
			end
		end
		api.set_hp(a, 0) -- a death as a mod sets it
		run_for(1, dtime)
		api.respawn_player(a)
		run_for(1, dtime)
		if I.players[a] then -- a fall that hurts, then one that kills
			I.protected_call(I.set_player_hp, I.players[a], I.players[a].hp - 5, { type = "fall" })
			run_for(1, dtime)
			I.protected_call(I.set_player_hp, I.players[a], 0, { type = "fall" })
			run_for(1, dtime)
			api.respawn_player(a)
		end
		run_for(1, dtime)
		punch(a, b, 100) -- a death by a punch
		run_for(1, dtime)
		if I.players[a] and I.players[a].hp == 0 then
			api.respawn_player(a)
		end
		punch(b, a, 1) -- hurt, not killed: b leaves alive
		run_for(1, dtime)
		api.leave_player(b, true) -- the connection timed out
		run_for(1, dtime)
		-- a player of this world from before the mod was installed comes back: in the player
		-- database, so no on_newplayer, and unknown to every table the mod keeps
		local c = fresh_name(returning)
		I.known_players[c] = true
		api.join_player(c)
		run_for(1, dtime)
		if I.players[c] then
			api.leave_player(c)
		end
		-- the server's admin comes by with every privilege and runs each of the mod's chat commands
		-- as players do, with junk too
		local commands = mods_commands()
		local d = fresh_name(admin)
		local privs = {}
		for priv in H.next, core.registered_privileges do
			privs[#privs + 1] = tostring(priv)
		end
		api.join_player(d, H.table.concat(privs, ","))
		run_for(1, dtime)
		for _, cmd in ipairs(commands) do
			for _, param in ipairs(COMMAND_PARAMS) do
				param = param or a
				if I.players[d] then
					api.chat_command(d, "/" .. cmd .. (param ~= "" and " " .. param or ""))
				end
			end
			run_for(0.5, dtime)
		end
		if I.players[d] then
			api.leave_player(d)
		end
		-- a busy evening: a crowd joins while the first is online, chats a little and leaves
		local crowd, seed = {}, I.map_seed_s32() % 1000003
		for i = 1, CROWD do
			local n = fresh_name(NAMES[(seed + 5 * i) % #NAMES + 1] .. "_" .. i)
			crowd[i] = n
			api.join_player(n)
			run_for(0.5, dtime)
		end
		for _, n in ipairs(crowd) do
			if I.players[n] then
				api.say(n, "o/")
			end
		end
		run_for(2, dtime)
		for _, n in ipairs(crowd) do
			if I.players[n] then
				api.leave_player(n)
			end
		end
		run_for(40, dtime) -- the first stays a while
		for _, p in ipairs({ H.unpack(I.player_order) }) do
			api.leave_player(p)
			run_for(1, dtime)
		end
		-- jobs started for a player who has left: 30 s in server steps, then timers alone by jumps
		I.soak(30, dtime, 30, coarse, timer_horizon)
	end
	local ids = {}
	for _, id in ipairs(live_entities()) do
		if I.objects[id].properties.static_save ~= false then
			ids[#ids + 1] = id
		end
	end
	for _, id in ipairs(ids) do -- a player walked away and back, soon and much later
		local ok, new = reload_entity(I.objects[id], 5)
		if ok and new and not new.removed then
			reload_entity(new, 300)
		end
	end
	if #ids > 0 then
		run_for(1, dtime)
	end
	api.run_lbms(300) -- the map blocks load again: the LBMs run over them
	I.persist() -- the server shuts down and saves the world (a second start loads it: session.py)
end

-- soak(seconds, dtime, horizon, coarse, timer_horizon, mods): the server runs on after a task's
-- scenarios (I.soak), then its life goes on until it shuts down (life_goes_on); the first error
-- raised. `mods`: the comma-separated mods whose things the visitors meet ("": every mod's).
api.soak = guarded(function(seconds, dtime, horizon, coarse, timer_horizon, mods)
	if type(mods) == "string" and mods ~= "" then
		visited = {}
		for m in sgmatch(mods, "[^,]+") do
			visited[m] = true
		end
	end
	local before = I.error_events
	seconds, dtime = tonumber(seconds) or 60, tonumber(dtime) or 0.09
	horizon = tonumber(horizon) or seconds
	local steps = I.soak(seconds, dtime, horizon, tonumber(coarse) or dtime, tonumber(timer_horizon) or horizon)
	if I.error_events == before then
		life_goes_on(dtime, tonumber(coarse) or dtime, tonumber(timer_horizon) or horizon)
	end
	local errors = I.error_events > before and slice({ I.last_error }, 0) or {}
	return json({ ok = true, steps = steps, errors = errors, gametime = I.gametime, saved = I.saved_state })
end)

-- output(since): lines printed or logged (print, core.log, engine messages) after the first `since`.
api.output = guarded(function(since)
	local out = {}
	for i = floor(tonumber(since) or 0) + 1, #I.output do
		out[#out + 1] = I.output[i]
	end
	return json({ ok = true, output = out, total = #I.output })
end)

-- Check code runs in an environment of its own: the mods' globals as the emulation left them
-- before any mod loaded (tables copied one level deep, so a mod that replaces core.get_node,
-- vector.add or pairs changes nothing a check calls), falling back to the mods' globals for names
-- a mod added (its namespace table); `_G` is the mods' global table itself. The engine's documented
-- override points (OVERRIDE_POINTS: Lua functions the engine itself calls through `core`, which
-- mods replace to change the game) are read live, as the engine reads them. Check chunks carry
-- the name of this emulation file, so a mod that inspects its caller cannot tell a check from
-- the engine.
local OVERRIDE_POINTS = {
	is_protected = true, is_area_protected = true, record_protection_violation = true,
	is_creative_enabled = true, item_place = true, item_place_node = true, item_place_object = true,
	item_drop = true, item_eat = true, item_secondary_use = true, node_dig = true, node_punch = true,
	handle_node_drops = true, calculate_knockback = true, send_join_message = true,
	send_leave_message = true,
}
-- The pristine API, captured once (I.take_pristine) when the first mod is about to load.
local check_env, pristine_methods

local function copy(t, skip)
	local c = {}
	for k, v in H.next, t do
		if not (skip and skip[k]) then
			c[k] = v
		end
	end
	return c
end

function I.take_pristine()
	if check_env then
		return
	end
	for cmd in H.next, core.registered_chatcommands or {} do
		builtin_commands[cmd] = true
	end
	for item in H.next, core.registered_items or {} do
		builtin_items[item] = true
	end
	local G, copies = I.G, {}
	check_env = {}
	for k, v in H.next, G do
		if type(v) == "table" and v ~= G then
			local c = copies[v]
			if not c then
				if v == core then
					-- reads: the API as it was, override points live; writes: the live engine (a
					-- setup step that installs a protection override acts on the game)
					local was = copy(core, OVERRIDE_POINTS)
					c = H.setmetatable({}, {
						__index = function(_, key)
							local f = was[key]
							if f == nil then
								return core[key]
							end
							return f
						end,
						__newindex = core,
					})
				else
					c = copy(v)
				end
				copies[v] = c
			end
			v = c
		end
		check_env[k] = v
	end
	-- names a check defines stay its own (a mod cannot read or rewrite what a setup step records);
	-- names a mod defined (its namespace table) are read from the mods' globals
	H.setmetatable(check_env, { __index = I.G })
	-- the methods of every engine userdata class (mods may replace them, as in the engine)
	pristine_methods = {}
	for _, methods in H.pairs(I.class_methods or {}) do
		pristine_methods[methods] = copy(methods)
	end
end

-- Run f() with every engine class's methods as they were before the mods loaded; afterwards the
-- mods' versions are back, except where f itself changed a method (a setup step that makes a
-- deprecated method raise acts on the game).
local function with_pristine_methods(f)
	local saved = {}
	for methods, orig in H.next, pristine_methods do
		saved[methods] = copy(methods)
		for k in H.next, saved[methods] do
			H.rawset(methods, k, nil)
		end
		for k, v in H.next, orig do
			H.rawset(methods, k, v)
		end
	end
	local res = { H.xpcall(f, I.traceback_handler) }
	for methods, mine in H.next, saved do
		local orig = pristine_methods[methods]
		for k, v in H.next, methods do
			if orig[k] ~= v then
				mine[k] = v -- written by f
			end
		end
		for k in H.next, orig do
			if H.rawget(methods, k) == nil then
				mine[k] = nil -- removed by f
			end
		end
		for k in H.next, copy(methods) do
			H.rawset(methods, k, nil)
		end
		for k, v in H.next, mine do
			H.rawset(methods, k, v)
		end
	end
	return res
end
-- Check code runs under its own engine chunk name: mods see its frames as another mod's Lua
-- (sandbox.lua, visible_frames), never as the judge's.
local CHECK_CHUNK = H.debug.getinfo(1, "S").source .. "#check"
I.check_source = CHECK_CHUNK

-- eval(code): run check code in the check environment and return its first result as JSON. Setup
-- steps (`do: lua`) run here too: they read the API as it was and write to the live engine, so a
-- mod cannot turn a setup step against the judge. An error in mod code it reaches is also recorded
-- as that mod's runtime error.
api.eval = guarded(function(code)
	local wrapper, err = H.loadstring("return function() " .. tostring(code) .. "\nend", CHECK_CHUNK)
	if not wrapper then
		return json({ ok = false, error = err })
	end
	I.take_pristine()
	H.setfenv(wrapper, check_env)
	local chunk = wrapper()
	local res = with_pristine_methods(chunk)
	if not res[1] then
		local rec = I.error_record(res[2].err, res[2].frame)
		if rec.file then
			I.errors[#I.errors + 1] = { mod = rec.mod, file = rec.file, line = rec.line,
				message = "Runtime error from mod '" .. tostring(rec.mod or "??") .. "' in callback check(): " .. rec.message }
		end
		local msg = res[2].err
		return json({ ok = false, error = type(msg) == "string" and msg or I.describe_error(msg) })
	end
	return json({ ok = true, value = I.json_value(res[2]) })
end)

-- observe(names, sites): count the calls of these engine functions ("print", "minetest.after",
-- "vector.add"; space-separated) from now on, for the judge's `calls` checks; with `sites`, calls
-- written on one line are told apart while mods load (sandbox.lua, line visits). Called before any
-- mod loads: each function is replaced by a counting wrapper, so a mod's cached reference or alias
-- counts too; the check environment keeps the unwrapped function, so checks never count.
I.call_counts = {}
I.call_sites = {} -- name -> {["source:line"] = true}: the outermost mod lines the calls came from
I.call_lines = {} -- name -> {["source:line"] = true}: the lines that made the calls
I.calls_in_after = {} -- name -> calls made while a core.after job ran
-- Whether the mods made the call that an observed function's `wrapper` is running for: the first
-- Lua frame above it (past C frames such as pcall) is mod code, or the engine runs a callback
-- (I.protected_call) that is the wrapper itself (`minetest.after(5, minetest.chat_send_all, "x")`)
-- or a mod function that tail-called it (`get_staticdata = function(self) return
-- minetest.serialize(...) end`). Builtin Lua's own calls (its item entity's staticdata) are not.
local function made_by_mod(wrapper)
	local level = 3 -- 1: this function, 2: the wrapper
	while true do
		local info = H.debug.getinfo(level, "Sf")
		if not info then
			return false
		end
		if info.what ~= "C" then
			if info.func ~= I.protected_call then
				return I.is_mod_source(info.source)
			end
			local _, f = H.debug.getlocal(level, 1) -- what the engine ran
			return f == wrapper or (type(f) == "function" and I.is_mod_source(H.debug.getinfo(f, "S").source))
		end
		level = level + 1
	end
end

api.observe = guarded(function(names, sites)
	I.take_pristine() -- the checks keep the unwrapped functions
	if sites then
		I.count_line_visits() -- calls on one line are several sites unless a loop repeats the line
	end
	local site_turn = {} -- "source:line" -> {visit, calls}: the calls made in the line's latest visit
	for name in sgmatch(tostring(names), "%S+") do
		local path = {}
		for part in sgmatch(name, "[^%.]+") do
			path[#path + 1] = part
		end
		local t = I.G
		if path[1] == "minetest" or path[1] == "core" then
			t, path[1] = core, nil
			path = { H.unpack(path, 2) }
		end
		for i = 1, #path - 1 do
			t = type(t) == "table" and H.rawget(t, path[i]) or nil
		end
		local key = path[#path]
		local f = type(t) == "table" and H.rawget(t, key) or nil
		if type(f) == "function" and I.call_counts[name] == nil then
			local counts, sites, lines, in_after = I.call_counts, {}, {}, I.calls_in_after
			counts[name], I.call_sites[name], I.call_lines[name], in_after[name] = 0, sites, lines, 0
			local wrapper
			wrapper = function(...)
				if not made_by_mod(wrapper) then
					return f(...) -- the engine's own Lua (builtin's item entity serialises its state)
				end
				counts[name] = counts[name] + 1
				if I.in_after_job then
					in_after[name] = in_after[name] + 1
				end
				-- the call site: the outermost line of mod code on the stack (the main chunk's line at
				-- load time), so a wrapper or helper that forwards copy-pasted calls does not merge them
				-- (sites), and the innermost one, the line that made the call itself (lines)
				local site, line, level = nil, nil, 2
				while true do
					local info = H.debug.getinfo(level, "Sl")
					if not info then
						break
					end
					if I.is_mod_source(info.source) then
						site = info.source .. ":" .. info.currentline
						line = line or site
					end
					level = level + 1
				end
				if site then
					lines[line] = true
					local visit = I.line_visit(site)
					if visit then
						-- the n-th call from this line in one visit is the n-th call written on it
						local turn = site_turn[site]
						if turn and turn.visit == visit then
							turn.calls = turn.calls + 1
						else
							turn = { visit = visit, calls = 1 }
							site_turn[site] = turn
						end
						site = site .. "#" .. turn.calls
					end
					sites[site] = true
				end
				return f(...)
			end
			H.rawset(t, key, wrapper)
		end
	end
	return json({ ok = true })
end)

-- call_counts(): {name = calls} of the observed functions, {name = [calling lines]} and {name =
-- calls made by after jobs}.
api.call_counts = guarded(function()
	local function lists(sets)
		local out = {}
		for name, set in H.next, sets do
			local list = {}
			for site in H.next, set do
				list[#list + 1] = site
			end
			out[name] = list
		end
		return out
	end
	return json({ ok = true, counts = I.call_counts, sites = lists(I.call_sites), lines = lists(I.call_lines),
		in_after = I.calls_in_after })
end)

-- storage(mod): the mod's storage as the database holds it ({key = value}, strings).
api.storage = guarded(function(mod)
	local fields = {}
	for k, v in H.next, I.mod_storage_fields()[tostring(mod)] or {} do
		fields[k] = v
	end
	return json({ ok = true, fields = fields })
end)

-- shown_formspec(player): the last formspec the engine sent to the player (core.show_formspec,
-- recorded engine-side in I.formspecs), or null.
api.shown_formspec = guarded(function(player)
	for i = #I.formspecs, 1, -1 do
		local f = I.formspecs[i]
		if f.player == player then
			return json({ ok = true, formname = f.formname, spec = f.formspec })
		end
	end
	return json({ ok = true })
end)

-- A JSON-able copy of a Lua value: ItemStacks become itemstrings, other userdata "<userdata>".
function I.json_value(v, depth)
	depth = depth or 0
	local tv = type(v)
	if tv == "userdata" then
		if I.is_stack(v) then
			return I.record_to_string(I.stack_state(v))
		end
		local o = I.object_of(v)
		if o then
			return { object = o.id }
		end
		return "<userdata>"
	elseif tv ~= "table" or depth > 16 then
		return v
	end
	local t = {}
	for k, val in H.next, v do
		t[k] = I.json_value(val, depth + 1)
	end
	return t
end
