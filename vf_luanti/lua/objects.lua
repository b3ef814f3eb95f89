-- objects.lua: ObjectRef core: the object tables, the ObjectRef class and its argument readers,
-- creation and removal, attachments, punches, the methods every object has and the object searches
-- (engine: src/script/lua_api/l_object.cpp, src/server/serveractiveobject.cpp, unit_sao.cpp,
-- src/script/lua_api/l_env.cpp for get_objects_*).
--
-- An object record holds everything the engine keeps in its ServerActiveObject; the ObjectRef
-- userdata points at it. Once removed, methods return nothing, as the engine's do for a gone object.
-- Damage is enabled (enable_damage = true, as on a survival server). The other object files add to
-- the class: properties.lua, players.lua (PlayerSAO, player methods), hud.lua (HUD, sky and other
-- client-side effects), entities.lua (LuaEntitySAO), raycast.lua.
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs, error, rawget = H.type, H.tostring, H.tonumber, H.pairs, H.ipairs,
	H.error, H.rawget
local min, max, sqrt = H.math.min, H.math.max, H.math.sqrt
local sort = H.table.sort

I.objects = {}        -- id -> object record
-- The engine's tables of live ObjectRefs and LuaEntities by object id. A removed object leaves them
-- at the next object-management pass (every 0.5 s of server steps), not at once.
core.object_refs = {}
core.luaentities = {}
I.unlisted_objects = {} -- removed records still in core.object_refs / core.luaentities
local manage_timer = 0
function I.manage_objects(dtime)
	manage_timer = manage_timer + dtime
	if manage_timer < 0.5 then
		return
	end
	manage_timer = manage_timer - 0.5
	if manage_timer >= 0.5 then
		manage_timer = 0
	end
	local refs, ents = rawget(core, "object_refs"), rawget(core, "luaentities")
	for _, o in ipairs(I.unlisted_objects) do
		if type(refs) == "table" and H.rawequal(refs[o.id], o.ref) then
			refs[o.id] = nil
		end
		if type(ents) == "table" and o.luaentity ~= nil and H.rawequal(ents[o.id], o.luaentity) then
			ents[o.id] = nil
		end
	end
	I.unlisted_objects = {}
end
I.gone_objects = {}   -- id -> removed object record (the host can still read its last state)
I.next_object_id = 1

local ObjectRef = {}
local new_ref, ref_state, is_ref = I.userdata_class("ObjectRef", ObjectRef)

-- The engine's "non-functional ObjectRef", passed where a callback gets no object (core.punch_node's
-- puncher, core.dig_node's digger): every method answers as for a removed object.
function I.null_ref()
	return new_ref({ removed = true, kind = "none", id = 0 })
end

-- The live record behind a ref, or nil when the object is gone; `fname` names the method in the
-- error for a `self` that is no ObjectRef. I.live_object: for the files that wrap a method (hud.lua,
-- players.lua), whose wrapper must look at the object itself.
local function obj(self, fname)
	local o = ref_state(self, fname)
	if o.removed then
		return nil
	end
	return o
end
I.live_object = obj
I.object_of = function(ref)
	return is_ref(ref) and not ref_state(ref).removed and ref_state(ref) or nil
end

local function copy_vec(v)
	return I.vec(v.x, v.y, v.z)
end

local trunc = I.trunc

-- The type Lua's argument errors name for argument n of `...`: "no value" when it is missing.
local function arg_type(n, ...)
	return H.select("#", ...) < n and "no value" or type((H.select(n, ...)))
end

-- check_v3f: a table whose x, y and z are numbers (numeric strings are refused), with the engine's
-- messages. `...` is the argument list from the vector on, so a missing one reads "no value".
-- I.read_v3f: for entities.lua and raycast.lua.
local function read_v3f(...)
	local v = ...
	if type(v) ~= "table" then
		error("Invalid vector (expected table got " .. arg_type(1, ...) .. ").", 0)
	end
	local p = { x = v.x, y = v.y, z = v.z }
	for _, c in ipairs({ "x", "y", "z" }) do
		if type(p[c]) ~= "number" then
			error("Invalid vector coordinate " .. c .. " (expected number got " .. type(p[c]) .. ").", 0)
		end
	end
	return p
end
I.read_v3f = read_v3f

-- read_groups on a method's table argument (5.6.1): ratings are truncated to integers and a 0
-- rating leaves the group out. A number key is converted in place, which breaks the engine's
-- iteration; other bad keys or values are argument errors. On any error nothing is set.
local function read_groups(fname, ...)
	local t = ...
	if type(t) ~= "table" then
		error("bad argument #1 to '" .. fname .. "' (table expected, got " .. arg_type(1, ...) .. ")", 0)
	end
	local groups = {}
	for k, v in pairs(t) do
		local tk = type(k)
		if tk ~= "string" and tk ~= "number" then
			error("bad argument #3 to '" .. fname .. "' (string expected, got " .. tk .. ")", 0)
		end
		local rating = tonumber(v)
		if rating == nil then
			error("bad argument #4 to '" .. fname .. "' (number expected, got " .. type(v) .. ")", 0)
		end
		rating = trunc(rating)
		if rating ~= 0 then
			groups[tostring(k)] = rating
		end
		if tk == "number" then
			error("invalid key to 'next'", 0)
		end
	end
	return groups
end

-- luaL_checknumber on a method's argument n (self not counted), with Lua's message.
local function number_arg(fname, n, ...)
	local x = tonumber((H.select(n, ...)))
	if x == nil then
		error("bad argument #" .. n .. " to '" .. fname .. "' (number expected, got " .. arg_type(n, ...) .. ")", 0)
	end
	return x
end

-- Irrlicht's angle conversions in single precision (RADTODEG is 180.0f / PI: one ulp off the
-- rounded 180 / pi). I.degrees / I.radians: players.lua's look angles use them too.
local PI = I.f32(H.math.pi)
local RADTODEG, DEGTORAD = I.f32(180 / PI), I.f32(PI / 180)
function I.degrees(rad)
	return I.f32(I.f32(rad) * RADTODEG)
end
function I.radians(deg)
	return I.f32(deg * DEGTORAD)
end

-- A new object record of `kind` ("player", "entity") at `pos`, listed in I.objects and
-- core.object_refs. I.new_object: players.lua and entities.lua fill in the rest.
function I.new_object(kind, pos)
	local o = {
		id = I.next_object_id, kind = kind, pos = pos, velocity = { x = 0, y = 0, z = 0 },
		acceleration = { x = 0, y = 0, z = 0 }, rotation = { x = 0, y = 0, z = 0 },
		armor_groups = { fleshy = 100 }, properties = {}, nametag = {}, children = {},
		animation = {}, bones = {}, texture_mod = "",
	}
	I.next_object_id = I.next_object_id + 1
	o.ref = new_ref(o)
	I.objects[o.id] = o
	local refs = rawget(core, "object_refs")
	if type(refs) == "table" then
		refs[o.id] = o.ref
	end
	return o
end

-- HP changes (ObjectRef:set_hp, punches, item eating): PlayerSAO's in players.lua (with the
-- register_on_player_hpchange callbacks), LuaEntitySAO's in entities.lua (on_death).
function I.set_hp(o, hp, reason)
	if o.kind == "player" then
		I.set_player_hp(o, hp, reason)
	else
		I.set_entity_hp(o, hp, reason)
	end
end

function I.remove_object(o)
	if o.removed then
		return
	end
	if o.kind == "entity" and o.luaentity and not o.deactivated then
		o.deactivated = true
		local f = o.luaentity.on_deactivate
		if type(f) == "function" then
			f(o.luaentity, true)
		end
	end
	o.removed = true
	I.objects[o.id] = nil
	I.gone_objects[o.id] = o
	I.unlisted_objects[#I.unlisted_objects + 1] = o
	-- links the engine-defined paths (remove, death, leaving) have not already cleared
	for _, child in pairs(o.children) do
		child.attach = nil
	end
	if o.attach then
		o.attach.parent.children[o.id] = nil
	end
end

---------------------------------------------------------------------------------------------------
-- Attachments (UnitSAO). As in the engine, a child's `attach` and its parent's `children` list are
-- updated separately: set_attach takes the child off its old parent's list and puts it on the new
-- parent's even when the attachment itself is refused as circular (the list then names a child
-- that is not attached). Changes run the entity callbacks on_detach, on_detach_child and
-- on_attach_child; players have none.

local function entity_callback(o, name, arg)
	local ent = o.kind == "entity" and o.luaentity
	local f = ent and ent[name]
	if type(f) == "function" then
		f(ent, arg)
	end
end

-- UnitSAO::setAttachment: attach `o` to `p`, or detach it (p nil).
function I.set_attachment(o, p, bone, position, rotation, forced_visible)
	if p then
		local q = p.attach and p.attach.parent
		while q do
			if q == o then
				I.diag("warning", "Mod bug: Attempted to attach object " .. o.id .. " to parent " .. p.id
					.. " but former is an (in)direct parent of latter.")
				return
			end
			q = q.attach and q.attach.parent
		end
	end
	local old = o.attach and o.attach.parent
	local attach = p and { parent = p, bone = bone or "", position = position or I.vec(0, 0, 0),
		rotation = rotation or I.vec(0, 0, 0), forced_visible = forced_visible and true or false } or nil
	o.attach = attach
	if old and old ~= p then
		entity_callback(o, "on_detach", old.ref)
		if not old.removed then
			entity_callback(old, "on_detach_child", o.ref)
		end
	end
	o.attach = attach  -- the detach callbacks may have attached it elsewhere: this call wins
	if p and old ~= p and not p.removed then
		entity_callback(p, "on_attach_child", o.ref)
	end
end

-- UnitSAO::clearParentAttachment (ObjectRef:set_detach).
function I.clear_parent_attachment(o)
	local p = o.attach and o.attach.parent
	I.set_attachment(o, nil)
	if p then
		p.children[o.id] = nil
	end
end

-- UnitSAO::clearChildAttachments: detach every listed child (from whatever it is attached to).
function I.clear_child_attachments(o)
	local listed = {}
	for _, child in pairs(o.children) do
		listed[#listed + 1] = child
	end
	for _, child in ipairs(listed) do
		if not child.removed then
			I.set_attachment(child, nil)
		end
	end
	for id in pairs(o.children) do  -- after the callbacks, as the engine does
		o.children[id] = nil
	end
end

---------------------------------------------------------------------------------------------------
-- Punches (getHitParams and the punch handlers of PlayerSAO / LuaEntitySAO).

function I.hit_params(armor, caps, time_from_last_punch, wear)
	local interval = caps.full_punch_interval
	local mult = interval > 0 and max(0, min(1, (time_from_last_punch or 1000000) / interval)) or 1
	-- The engine sums into an integer, truncating after each group.
	local damage = 0
	for group, value in pairs(caps.damage_groups) do
		damage = trunc(damage + value * mult * (tonumber(armor[group]) or 0) / 100)
	end
	local w = 0
	if caps.punch_attack_uses > 0 then
		w = trunc(I.result_wear(caps.punch_attack_uses, wear or 0) * mult)
	end
	return max(-65535, min(65535, damage)), w
end

-- Returns the wear the punch causes to the punching tool (the caller applies it or not).
local function punch(o, puncher_ref, time_from_last_punch, caps_table, dir, initial_wear)
	local puncher = puncher_ref and I.object_of(puncher_ref)
	local caps
	if caps_table ~= nil then
		caps = I.read_toolcaps(caps_table)
	elseif puncher and puncher.kind == "player" then
		caps = I.record_toolcaps(I.wielded_record(puncher))
	else
		caps = I.read_toolcaps(nil)
	end
	time_from_last_punch = tonumber(time_from_last_punch) or 1000000
	if dir == nil then
		if puncher then
			local d = { x = o.pos.x - puncher.pos.x, y = o.pos.y - puncher.pos.y, z = o.pos.z - puncher.pos.z }
			local len = sqrt(d.x * d.x + d.y * d.y + d.z * d.z)
			dir = len > 0 and I.vec(d.x / len, d.y / len, d.z / len) or I.vec(0, 0, 0)
		else
			dir = I.vec(0, 0, 0)
		end
	end
	local damage, wear = I.hit_params(o.armor_groups, caps, time_from_last_punch, initial_wear or 0)
	-- Callbacks get the capabilities as the engine re-reads them (defaults filled in).
	local caps_out = { full_punch_interval = caps.full_punch_interval, max_drop_level = caps.max_drop_level,
		punch_attack_uses = caps.punch_attack_uses, groupcaps = caps.groupcaps, damage_groups = caps.damage_groups }
	local reason = { type = "punch", object = puncher_ref, from = "engine" }
	if o.kind == "player" then
		local handled = false
		for _, f in ipairs(I.registry("registered_on_punchplayers")) do
			if f(o.ref, puncher_ref, time_from_last_punch, caps_out, dir, damage) then
				handled = true
			end
		end
		if not handled and damage ~= 0 then
			I.set_player_hp(o, o.hp - damage, reason)
		end
		return wear
	end
	local ent = o.luaentity
	local handled = false
	if ent and type(ent.on_punch) == "function" then
		handled = ent.on_punch(ent, puncher_ref, time_from_last_punch, caps_out, dir, damage) == true
	end
	if not handled and damage > 0 and not o.removed then
		I.set_entity_hp(o, o.hp - damage, reason)
	end
	return wear
end
I.punch = punch

function I.right_click(o, clicker_ref)
	if o.kind == "player" then
		for _, f in ipairs(I.registry("registered_on_rightclickplayers")) do
			f(o.ref, clicker_ref)
		end
		return
	end
	local ent = o.luaentity
	if ent and type(ent.on_rightclick) == "function" then
		ent.on_rightclick(ent, clicker_ref)
	end
end

---------------------------------------------------------------------------------------------------
-- ObjectRef methods. The other object files define theirs with the same helpers:
-- I.object_methods (the method table, for wrappers), I.object_method and I.player_method.

local R = ObjectRef
I.object_methods = R

-- Defines method `name`: f(o, ...) on the live object; a gone object gets default_fn()'s results
-- (nothing without one).
local function method(name, f, default_fn)
	R[name] = function(self, ...)
		local o = obj(self, name)
		if not o then
			if default_fn then
				return default_fn()
			end
			return
		end
		return f(o, ...)
	end
end
I.object_method = method

-- A method of players only: nothing for an entity.
function I.player_method(name, f)
	method(name, function(o, ...)
		if o.kind ~= "player" then
			return
		end
		return f(o, ...)
	end)
end

method("get_pos", function(o)
	return copy_vec(o.pos)
end)
method("set_pos", function(o, ...)
	o.pos = read_v3f(...)
end)
method("move_to", function(o, ...)
	o.pos = read_v3f(...)
end)
method("punch", function(o, puncher, tflp, caps, dir)
	if not is_ref(puncher) then
		error("bad argument #1 to 'punch' (userdata expected, got " .. (puncher == nil and "nil" or type(puncher))
			.. ")", 0)
	end
	-- l_punch reads the capabilities with lua_getfield: indexing a nil (or number, boolean...) raises.
	local ct = type(caps)
	if ct ~= "table" and ct ~= "string" and not (ct == "userdata" and H.getmetatable(caps)) then
		error("attempt to index a " .. ct .. " value", 0)
	end
	return punch(o, puncher, tflp, ct == "table" and caps or {}, dir)
end)
method("right_click", function(o, clicker)
	I.right_click(o, clicker)
end)
method("get_hp", function(o)
	return o.hp
end, function()
	return 1 -- the engine's answer for a gone object
end)
method("set_hp", function(o, ...)
	local hp, reason = number_arg("set_hp", 1, ...), H.select(2, ...)
	local r = { type = "set_hp", from = "mod" }
	if type(reason) == "table" then
		for k, v in pairs(reason) do
			r[k] = v
		end
		r.from = "mod"
	end
	I.set_hp(o, hp, r)
end)
method("set_armor_groups", function(o, ...)
	o.armor_groups = read_groups("set_armor_groups", ...)
end)
method("get_armor_groups", function(o)
	local t = {}
	for k, v in pairs(o.armor_groups) do
		t[k] = v
	end
	return t
end)
method("set_animation", function(o, frames, speed, blend, loop)
	o.animation = { frames or { x = 1, y = 1 }, speed or 15, blend or 0, loop ~= false }
end)
method("get_animation", function(o)
	local a = o.animation
	return a[1] or { x = 1, y = 1 }, a[2] or 15, a[3] or 0, a[4] ~= false
end)
method("set_animation_frame_speed", function(o, speed)
	o.animation[2] = speed
end)
method("set_bone_position", function(o, bone, position, rotation)
	o.bones[tostring(bone or "")] = { position = position, rotation = rotation }
end)
method("get_bone_position", function(o, bone)
	local b = o.bones[tostring(bone or "")] or {}
	return b.position or I.vec(0, 0, 0), b.rotation or I.vec(0, 0, 0)
end)
method("set_attach", function(o, parent, bone, position, rotation, forced_visible)
	local p = I.object_of(parent)
	if not p then
		return
	end
	if p == o then
		error("ObjectRef::set_attach: attaching object to itself is not allowed.", 0)
	end
	if o.attach then
		o.attach.parent.children[o.id] = nil
	end
	I.set_attachment(o, p, bone, position, rotation, forced_visible)
	p.children[o.id] = o
end)
method("get_attach", function(o)
	local a = o.attach
	if not a then
		return nil
	end
	return a.parent.ref, a.bone, a.position, a.rotation, a.forced_visible
end)
method("get_children", function(o)
	local t = {}
	for _, c in pairs(o.children) do
		t[#t + 1] = c.ref
	end
	return t
end)
method("set_detach", function(o)
	I.clear_parent_attachment(o)
end)
method("is_player", function(o)
	return o.kind == "player"
end, function()
	return false
end)
method("remove", function(o)
	if o.kind == "player" then
		core.log("error", "ObjectRef::l_remove(): Cannot remove players")
		return
	end
	I.clear_child_attachments(o)
	I.clear_parent_attachment(o)
	I.remove_object(o)
end)
method("set_velocity", function(o, ...)
	o.velocity = read_v3f(...)
end)
method("add_velocity", function(o, ...)
	local d = read_v3f(...)
	o.velocity = { x = o.velocity.x + d.x, y = o.velocity.y + d.y, z = o.velocity.z + d.z }
end)
method("get_velocity", function(o)
	return copy_vec(o.velocity)
end)
method("set_acceleration", function(o, ...)
	o.acceleration = read_v3f(...)
end)
method("get_acceleration", function(o)
	return copy_vec(o.acceleration)
end)
-- The engine keeps an entity's rotation in single-precision degrees: what is read back is the
-- angle after that round trip (0.5 reads back 0.49999997).
local function float_angle(rad)
	return I.radians(I.degrees(rad))
end
method("set_rotation", function(o, ...)
	local r = read_v3f(...)
	o.rotation = { x = float_angle(r.x), y = float_angle(r.y), z = float_angle(r.z) }
end)
method("get_rotation", function(o)
	return copy_vec(o.rotation)
end)
method("set_yaw", function(o, ...)
	o.rotation = { x = 0, y = float_angle(number_arg("set_yaw", 1, ...)), z = 0 }  -- x and z reset
end)
method("get_yaw", function(o)
	return o.rotation.y
end)
method("set_texture_mod", function(o, mod)
	o.texture_mod = tostring(mod or "")
end)
method("get_texture_mod", function(o)
	return o.texture_mod
end)
method("set_sprite", function(o, start, frames, speed, lock)
	o.sprite = { start, frames, speed, lock }
end)
method("get_luaentity", function(o)
	return o.luaentity
end)
method("get_entity_name", function(o)
	return o.entity_name
end)
method("get_player_name", function(o)
	return o.kind == "player" and o.name or ""
end, function()
	return ""
end)

-- Deprecated aliases the engine still has (luamethod_dep): each call warns "Call to deprecated
-- function" once per calling location (one location warns once, whichever of them it calls).
for old, new in pairs({ getpos = "get_pos", setpos = "set_pos", moveto = "move_to",
		getvelocity = "get_velocity", setvelocity = "set_velocity", getacceleration = "get_acceleration",
		setacceleration = "set_acceleration", getyaw = "get_yaw", setyaw = "set_yaw",
		settexturemod = "set_texture_mod", setsprite = "set_sprite" }) do
	local f = R[new]
	R[old] = function(...)
		I.deprecated_function(old, new)
		return f(...)
	end
end

---------------------------------------------------------------------------------------------------
-- Objects in the environment.

-- core.is_player and core.player_exists are builtin Lua in the engine (builtin/game/misc.lua); mods
-- see them as Lua functions of this file (debug.getinfo).
function core.is_player(player)
	local t = type(player)
	return (t == "userdata" or t == "table") and type(player.is_player) == "function" and player:is_player()
end

-- As the engine: whether the current auth handler has an entry for the name.
function core.player_exists(name)
	return core.get_auth_handler().get_auth(name) ~= nil
end

-- The environment exists (at load time the engine's object functions return nothing).
local function running()
	return I.phase == "run"
end

local function dist2(a, b)
	local dx, dy, dz = a.x - b.x, a.y - b.y, a.z - b.z
	return dx * dx + dy * dy + dz * dz
end

-- Live objects by id (creation order), filtered.
local function objects_where(pred)
	local ids = {}
	for id, o in pairs(I.objects) do
		if not o.removed and pred(o) then
			ids[#ids + 1] = id
		end
	end
	sort(ids)
	local t = {}
	for i, id in ipairs(ids) do
		t[i] = I.objects[id].ref
	end
	return t
end
I.objects_where = objects_where

function core.get_objects_inside_radius(...)
	if not running() then
		return
	end
	local c, radius = read_v3f(...), H.select(2, ...)
	local r = tonumber(radius) or 0
	return objects_where(function(o)
		return dist2(o.pos, c) <= r * r
	end)
end

function core.get_objects_in_area(...)
	if not running() then
		return
	end
	local a, b = read_v3f(...), read_v3f(H.select(2, ...))
	return objects_where(function(o)
		local p = o.pos
		return p.x >= min(a.x, b.x) and p.x <= max(a.x, b.x) and p.y >= min(a.y, b.y) and p.y <= max(a.y, b.y)
			and p.z >= min(a.z, b.z) and p.z <= max(a.z, b.z)
	end)
end

-- 5.9 iterator forms.
local function iterate(list)
	local i = 0
	return function()
		i = i + 1
		return list[i]
	end
end

function core.objects_inside_radius(pos, radius)
	return iterate(core.get_objects_inside_radius(pos, radius) or {})
end

function core.objects_in_area(p1, p2)
	return iterate(core.get_objects_in_area(p1, p2) or {})
end

function core.clear_objects()
	for _, o in pairs(I.objects) do
		if o.kind == "entity" then
			I.remove_object(o)
		end
	end
end

---------------------------------------------------------------------------------------------------
-- Host views.

function I.object_view(o)
	local t = { id = o.id, kind = o.kind, pos = { x = o.pos.x, y = o.pos.y, z = o.pos.z }, hp = o.hp,
		velocity = { x = o.velocity.x, y = o.velocity.y, z = o.velocity.z }, removed = o.removed == true,
		armor_groups = o.armor_groups, props = I.json_value(o.properties) }
	if o.kind == "player" then
		t.name = o.name
	else
		t.name = o.entity_name
		local ent = o.luaentity
		if ent then
			local fields = {}
			for k, v in H.next, ent do
				local tv = type(v)
				if type(k) == "string" and (tv == "string" or tv == "number" or tv == "boolean") then
					fields[k] = v
				end
			end
			t.fields = fields
		end
	end
	return t
end
