-- players.lua: players: the connected players and the player database, HP and breath, the
-- player-only ObjectRef methods (inventory and wield, look, physics, meta, controls), PlayerMetaRef,
-- joining and respawning, chat output (engine: src/server/player_sao.cpp, src/remoteplayer.cpp,
-- src/script/lua_api/l_object.cpp, l_playermeta.cpp, s_player.cpp for the HP-change callbacks,
-- l_server.cpp for chat_send_* and get_player_by_name, l_env.cpp for get_connected_players).
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs, error, rawget = H.type, H.tostring, H.tonumber, H.pairs, H.ipairs,
	H.error, H.rawget
local floor, min, max, sin, cos = H.math.floor, H.math.min, H.math.max, H.math.sin, H.math.cos
local R, obj, method, player_method = I.object_methods, I.live_object, I.object_method, I.player_method

I.players = {}        -- name -> player object record (connected players)
I.player_order = {}   -- names in join order
I.known_players = {}  -- name -> true for every player that ever joined (the player database)
I.saved_players = {}  -- name -> what the server's player database keeps of a player who left
I.chat_log = I.chat_log or {}

local PLAYER_HP_MAX, PLAYER_BREATH_MAX = 20, 10
local PLAYER_INVENTORY_SIZE = 32

---------------------------------------------------------------------------------------------------
-- Chat output (core.chat_send_player / chat_send_all); the host reads I.chat_log.

function I.chat(to, message)
	I.chat_log[#I.chat_log + 1] = { to = to, message = tostring(message) }
end

function core.chat_send_player(name, message)
	I.chat(tostring(name), message)
end

function core.chat_send_all(message)
	I.chat("*", message)
end

---------------------------------------------------------------------------------------------------
-- A player's HP changes (PlayerSAO::setHP through I.set_hp and punches), with
-- register_on_player_hpchange modifiers (run last-registered first, `true` as a second result stops
-- them) and loggers; on_dieplayer at 0.

local function hpchange_callbacks()
	local t = rawget(core, "registered_on_player_hpchanges")
	if type(t) ~= "table" then
		return {}, {}
	end
	return type(t.modifiers) == "table" and t.modifiers or {}, type(t.loggers) == "table" and t.loggers or {}
end

local function run_callbacks(list, ...)
	for _, f in ipairs(list) do
		f(...)
	end
end

function I.set_player_hp(o, target, reason)
	target = max(0, min(65535, floor(target)))
	if target == o.hp then
		return
	end
	local change = target - o.hp
	local modifiers, loggers = hpchange_callbacks()
	for i = #modifiers, 1, -1 do
		local f = modifiers[i]
		local last
		change, last = f(o.ref, change, reason)
		if type(change) ~= "number" then
			local info = H.debug.getinfo(f, "S")
			error("The register_on_hp_changes function has to return a number at " .. tostring(info.short_src)
				.. " line " .. tostring(info.linedefined), 0)
		end
		if last then
			break
		end
	end
	for _, f in ipairs(loggers) do
		f(o.ref, change, reason)
	end
	local old = o.hp
	local hp = max(0, min(o.properties.hp_max or PLAYER_HP_MAX, o.hp + min(change, 65535)))
	if hp < old and (tonumber(o.armor_groups.immortal) or 0) ~= 0 then
		return
	end
	o.hp = hp
	if hp == 0 and old > 0 then
		run_callbacks(I.registry("registered_on_dieplayers"), o.ref, reason)
	end
	I.player_event(o, "health_changed")
end

-- ScriptApiPlayer::on_playerevent: the server tells builtin (statbars.lua) and mods that a player's
-- HP, breath, HUD flags or properties were sent ("health_changed", "breath_changed", "hud_changed",
-- "properties_changed"); every callback runs.
function I.player_event(o, event)
	for _, f in ipairs(I.registry("registered_playerevents")) do
		I.set_origin(f)
		f(o.ref, event)
	end
end

---------------------------------------------------------------------------------------------------
-- Player methods. The inventory and wield methods answer for entities too.

method("get_inventory", function(o)
	if o.kind == "player" then
		return I.invref(o.inventory)
	end
	return nil
end)
method("get_wield_list", function(o)
	return o.kind == "player" and o.wield_list or ""
end)
method("get_wield_index", function(o)
	return o.kind == "player" and o.wield_index or 1
end)
method("get_wielded_item", function(o)
	return I.new_stack(I.copy_record(I.wielded_record(o)))
end)
method("set_wielded_item", function(o, item)
	if o.kind ~= "player" then
		return false
	end
	local list = o.inventory.lists[o.wield_list]
	if not list or o.wield_index > list.size then
		return false
	end
	list.slots[o.wield_index] = I.to_record(item)
	return true
end)

-- Players only.
player_method("get_look_dir", function(o)
	local pitch, yaw = o.pitch, o.yaw
	return I.vec(-sin(yaw) * cos(pitch), -sin(pitch), cos(yaw) * cos(pitch))
end)
player_method("get_look_horizontal", function(o)
	return o.yaw
end)
player_method("get_look_vertical", function(o)
	return o.pitch
end)
player_method("set_look_horizontal", function(o, yaw)
	o.yaw = tonumber(yaw) or 0
end)
player_method("set_look_vertical", function(o, pitch)
	o.pitch = tonumber(pitch) or 0
end)
-- The deprecated look methods (5.6.1 PlayerSAO keeps degrees in floats): get_look_yaw is the yaw
-- plus 90 degrees (getRadYawDep), get_look_pitch the negated pitch; set_look_yaw / set_look_pitch
-- set the plain yaw / pitch (no offset, no negation). The warning comes first, for any object.
player_method("get_look_yaw", function(o)
	return I.radians(I.degrees(o.yaw) + 90)
end)
player_method("get_look_pitch", function(o)
	return I.radians(-I.degrees(o.pitch))
end)
player_method("set_look_yaw", function(o, yaw)
	o.yaw = tonumber(yaw) or 0
end)
player_method("set_look_pitch", function(o, pitch)
	o.pitch = tonumber(pitch) or 0
end)
player_method("get_breath", function(o)
	return o.breath
end)
player_method("set_breath", function(o, b)
	o.breath = max(0, min(o.properties.breath_max or PLAYER_BREATH_MAX, floor(tonumber(b) or 0)))
	I.player_event(o, "breath_changed") -- sent even when unchanged
end)
player_method("set_fov", function(o, fov, is_multiplier, transition)
	o.fov = { tonumber(fov) or 0, is_multiplier and true or false, tonumber(transition) or 0 }
end)
player_method("get_fov", function(o)
	local f = o.fov or { 0, false, 0 }
	return f[1], f[2], f[3]
end)
player_method("get_meta", function(o)
	return I.player_meta_ref(o)
end)
player_method("set_attribute", function(o, k, v)
	o.meta[tostring(k)] = v ~= nil and tostring(v) or nil
end)
player_method("get_attribute", function(o, k)
	local v = o.meta[tostring(k)]
	if v ~= nil then
		return v
	end
	-- nothing at all (not nil) for a missing attribute
end)
player_method("set_inventory_formspec", function(o, fs)
	o.inventory_formspec = tostring(fs or "")
end)
player_method("get_inventory_formspec", function(o)
	return o.inventory_formspec
end)
player_method("set_formspec_prepend", function(o, fs)
	o.formspec_prepend = tostring(fs or "")
end)
player_method("get_formspec_prepend", function(o)
	return o.formspec_prepend
end)

local CONTROL_BITS = { "up", "down", "left", "right", "jump", "aux1", "sneak", "dig", "place", "zoom" }

player_method("get_player_control", function(o)
	local t = {}
	for _, k in ipairs(CONTROL_BITS) do
		t[k] = o.control[k] == true
	end
	t.LMB, t.RMB = t.dig, t.place
	return t
end)
player_method("get_player_control_bits", function(o)
	local bits = 0
	for i, k in ipairs(CONTROL_BITS) do
		if o.control[k] then
			bits = bits + 2 ^ (i - 1)
		end
	end
	return bits
end)

local PHYSICS = { speed = 1, jump = 1, gravity = 1, sneak = true, sneak_glitch = false, new_move = true }

player_method("set_physics_override", function(o, t, ...)
	if type(t) == "table" then
		for k, v in pairs(t) do
			if PHYSICS[k] ~= nil then
				o.physics[k] = v
			end
		end
		return
	end
	-- The old positional form (speed, jump, gravity), warned about by R.set_physics_override below.
	-- The engine skips an explicit nil, but an argument left out reads as 0 (lua_isnil is false
	-- for a missing argument, lua_tonumber gives 0).
	local args, n = { t, ... }, H.select("#", ...) + 1
	for i, k in ipairs({ "speed", "jump", "gravity" }) do
		if i > n or args[i] ~= nil then
			o.physics[k] = i <= n and tonumber(args[i]) or 0
		end
	end
end)
player_method("get_physics_override", function(o)
	local t = {}
	for k, v in pairs(o.physics) do
		t[k] = v
	end
	return t
end)

player_method("send_mapblock", function()
	return true
end)
player_method("respawn", function(o)
	I.respawn(o)
end)

-- Deprecated player methods 5.6.1 still has (removed in 5.9; get_sky_color is in hud.lua). The
-- warning comes first, for any object, removed ones included: add_player_velocity /
-- get_player_velocity are add_velocity / get_velocity (entities included).
function R.add_player_velocity(self, ...)
	I.deprecated_function("add_player_velocity", "add_velocity") -- a gone object warns too
	R.add_velocity(self, ...)
end
function R.get_player_velocity(self)
	I.deprecated_function("get_player_velocity", "get_velocity")
	return R.get_velocity(self)
end

-- Deprecated methods that log_deprecated on every call ("message (at file:line)"), before looking
-- at the object (entities and removed objects warn too).
for name, message in pairs({
	get_look_yaw = "Deprecated call to get_look_yaw, use get_look_horizontal instead",
	get_look_pitch = "Deprecated call to get_look_pitch, use get_look_vertical instead",
	set_look_yaw = "Deprecated call to set_look_yaw, use set_look_horizontal instead.",
	set_look_pitch = "Deprecated call to set_look_pitch, use set_look_vertical instead.",
	get_attribute = "Deprecated call to get_attribute, use MetaDataRef methods instead.",
	set_attribute = "Deprecated call to set_attribute, use MetaDataRef methods instead.",
}) do
	local f = R[name]
	R[name] = function(...)
		I.deprecated_call(message)
		return f(...)
	end
end
local set_physics_override = R.set_physics_override
function R.set_physics_override(self, t, ...)
	local o = obj(self, "set_physics_override")
	if type(t) ~= "table" and o and o.kind == "player" then
		I.deprecated_call("Deprecated use of set_physics_override(num, num, num)")
	end
	return set_physics_override(self, t, ...)
end

---------------------------------------------------------------------------------------------------
-- Player meta (PlayerMetaRef).

local new_pmeta, pmeta_state
local PlayerMeta = I.meta_methods(function(self, fname)
	return pmeta_state(self, fname).meta
end)
new_pmeta, pmeta_state = I.userdata_class("PlayerMetaRef", PlayerMeta)

function I.player_meta_ref(o)
	return new_pmeta(o)
end

---------------------------------------------------------------------------------------------------
-- Joining, leaving, respawning; the players by name.

function I.wielded_record(o)
	if o.kind ~= "player" then
		return I.empty_record()
	end
	local list = o.inventory.lists[o.wield_list]
	local slot = list and list.slots[o.wield_index]
	return slot or I.empty_record()
end

I.spawn_pos = { x = 0, y = 0, z = 0 }

function I.new_player(name, pos)
	local o = I.new_object("player", pos or { x = I.spawn_pos.x, y = I.spawn_pos.y, z = I.spawn_pos.z })
	o.name = name
	-- the connection's start (get_player_information): joining took a few seconds (auth, media)
	o.joined_at = I.add_time(I.gametime, -(2 + (I.map_seed_s32() + #name) % 7))
	o.hp = PLAYER_HP_MAX
	o.breath = PLAYER_BREATH_MAX
	o.properties = I.default_properties()
	for k, v in pairs({ hp_max = PLAYER_HP_MAX, breath_max = PLAYER_BREATH_MAX, visual = "upright_sprite",
		collisionbox = { -0.3, 0.0, -0.3, 0.3, 1.77, 0.3 }, selectionbox = { -0.3, 0.0, -0.3, 0.3, 1.77, 0.3 },
		stepheight = 0.6, makes_footstep_sound = true, textures = { "player.png", "player_back.png" },
		show_on_minimap = true }) do
		o.properties[k] = v
	end
	o.inventory = I.new_inventory({ type = "player", name = name })
	I.inv_set_size(o.inventory, "main", PLAYER_INVENTORY_SIZE)
	I.inv_set_size(o.inventory, "craft", 9)
	o.inventory.lists.craft.width = 3
	I.inv_set_size(o.inventory, "craftpreview", 1)
	I.inv_set_size(o.inventory, "craftresult", 1)
	o.wield_list, o.wield_index = "main", 1
	o.yaw, o.pitch = 0, 0
	o.meta = {}
	o.control = {}
	o.physics = {}
	for k, v in pairs(PHYSICS) do
		o.physics[k] = v
	end
	o.properties_unsent = true -- PlayerSAO sends them at its first step
	o.hud, o.hud_next, o.hud_flags = {}, 0, { hotbar = true, healthbar = true, crosshair = true,
		wielditem = true, breathbar = true, minimap = false, minimap_radar = false }
	o.hotbar_itemcount = 8
	o.look = {}
	o.inventory_formspec, o.formspec_prepend = "", ""
	I.generate_chunk_at(o.pos) -- the chunk the player joins in (mapgen.lua)
	return o
end

-- A leaving player's database record (RemotePlayer/PlayerSAO save): position, look, HP, breath,
-- inventory and meta. Properties, physics, HUD and the wield index start afresh on the next join.
function I.save_player(o)
	I.saved_players[o.name] = { pos = { x = o.pos.x, y = o.pos.y, z = o.pos.z }, yaw = o.yaw, pitch = o.pitch,
		hp = o.hp, breath = o.breath, inventory = o.inventory, meta = o.meta }
end

-- Restores a re-joining player's record into its new object; `pos`, when the caller gives one, wins.
function I.restore_player(o, pos_given)
	local saved = I.saved_players[o.name]
	if not saved then
		return false
	end
	if not pos_given then
		o.pos = { x = saved.pos.x, y = saved.pos.y, z = saved.pos.z }
	end
	o.yaw, o.pitch, o.hp, o.breath = saved.yaw, saved.pitch, saved.hp, saved.breath
	o.inventory, o.meta = saved.inventory, saved.meta
	return true
end

-- builtin static_spawn.lua: a new or respawning player goes to the static_spawnpoint setting when
-- it is set (then no other spawn applies: the callback answers true).
local function put_player_in_spawn(player)
	local spawn = core.setting_get_pos("static_spawnpoint")
	if not spawn then
		return false
	end
	core.log("action", "Moving " .. player:get_player_name() .. " to static spawnpoint at "
		.. core.pos_to_string(spawn))
	player:set_pos(spawn)
	return true
end
core.register_on_newplayer(put_player_in_spawn)
core.register_on_respawnplayer(put_player_in_spawn)

function I.respawn(o)
	o.hp = o.properties.hp_max or PLAYER_HP_MAX
	I.player_event(o, "health_changed")
	o.breath = o.properties.breath_max or PLAYER_BREATH_MAX
	I.player_event(o, "breath_changed")
	local handled = false
	for _, f in ipairs(I.registry("registered_on_respawnplayers")) do
		if f(o.ref) then
			handled = true
		end
	end
	if not handled then
		o.pos = { x = I.spawn_pos.x, y = I.spawn_pos.y, z = I.spawn_pos.z }
	end
end

local function running()
	return I.phase == "run"
end

-- luaL_checkstring: numbers are accepted as text; the message names the function as called
-- ('?' through pcall). At load time (no environment yet) it returns nothing without checking.
function core.get_player_by_name(...)
	if not running() then
		return
	end
	local name = ...
	local t = type(name)
	if t ~= "string" and t ~= "number" then
		local info = H.debug.getinfo(1, "n")
		error("bad argument #1 to '" .. (info and info.name or "?") .. "' (string expected, got "
			.. (H.select("#", ...) == 0 and "no value" or t) .. ")", 0)
	end
	local o = I.players[tostring(name)]
	if o then
		return o.ref
	end
end

function core.get_connected_players()
	if not running() then
		I.warn_once("get_connected_players", "Calling get_connected_players() at mod load time is deprecated")
		return {}
	end
	local t = {}
	for _, name in ipairs(I.player_order) do
		t[#t + 1] = I.players[name].ref
	end
	return t
end
