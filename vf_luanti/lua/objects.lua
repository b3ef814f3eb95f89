-- objects.lua: ObjectRef for players and entities, LuaEntities, players' state, chat output
-- (engine: src/script/lua_api/l_object.cpp, server/luaentity_sao.cpp, server/player_sao.cpp).
--
-- An object record holds everything the engine keeps in its ServerActiveObject; the ObjectRef
-- userdata points at it. Once removed, methods return nothing, as the engine's do for a gone object.
-- Damage is enabled (enable_damage = true, as on a survival server).
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs, error, rawget, setmetatable = H.type, H.tostring, H.tonumber,
	H.pairs, H.ipairs, H.error, H.rawget, H.setmetatable
local floor, min, max, sqrt, sin, cos = H.math.floor, H.math.min, H.math.max, H.math.sqrt, H.math.sin, H.math.cos
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
I.players = {}        -- name -> player object record (connected players)
I.player_order = {}   -- names in join order
I.known_players = {}  -- name -> true for every player that ever joined (the player database)
I.saved_players = {}  -- name -> what the server's player database keeps of a player who left
I.next_object_id = 1
I.chat_log = I.chat_log or {}

local PLAYER_HP_MAX, PLAYER_BREATH_MAX = 20, 10
local PLAYER_INVENTORY_SIZE = 32

local ObjectRef = {}
local copy_color -- defined with the colour helpers below
local new_ref, ref_state, is_ref = I.userdata_class("ObjectRef", ObjectRef)

-- The engine's "non-functional ObjectRef", passed where a callback gets no object (core.punch_node's
-- puncher, core.dig_node's digger): every method answers as for a removed object.
function I.null_ref()
	return new_ref({ removed = true, kind = "none", id = 0 })
end

-- The live record behind a ref, or nil when the object is gone.
local function obj(self, fname)
	local o = ref_state(self, fname)
	if o.removed then
		return nil
	end
	return o
end
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
-- rounded 180 / pi).
local PI = I.f32(H.math.pi)
local RADTODEG, DEGTORAD = I.f32(180 / PI), I.f32(PI / 180)
local function degrees(rad)
	return I.f32(I.f32(rad) * RADTODEG)
end

local function new_object(kind, pos)
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
-- HP changes (ObjectRef:set_hp, punches, item eating), with register_on_player_hpchange modifiers
-- (run last-registered first, `true` as a second result stops them) and loggers.

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

local function player_set_hp(o, target, reason)
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
end

local function entity_set_hp(o, hp, reason)
	o.hp = max(0, min(65535, floor(hp)))
	if o.hp == 0 and not o.removed then
		I.clear_parent_attachment(o)
		I.clear_child_attachments(o)
		local ent = o.luaentity
		local on_death = ent and ent.on_death
		if type(on_death) == "function" then
			local killer = reason and reason.type == "punch" and reason.object or nil
			on_death(ent, killer)
		end
		I.remove_object(o)
	end
end

function I.set_hp(o, hp, reason)
	if o.kind == "player" then
		player_set_hp(o, hp, reason)
	else
		entity_set_hp(o, hp, reason)
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
			player_set_hp(o, o.hp - damage, reason)
		end
		return wear
	end
	local ent = o.luaentity
	local handled = false
	if ent and type(ent.on_punch) == "function" then
		handled = ent.on_punch(ent, puncher_ref, time_from_last_punch, caps_out, dir, damage) == true
	end
	if not handled and damage > 0 and not o.removed then
		entity_set_hp(o, o.hp - damage, reason)
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
-- Colours as the engine reads them (read_color / parseColorString) and hands them back ({a,r,g,b}).

function I.argb(a, r, g, b)
	return { a = a, r = r, g = g, b = b }
end

copy_color = function(c)
	if type(c) ~= "table" then
		return nil
	end
	return I.argb(c.a, c.r, c.g, c.b)
end

-- CSS colour names the engine knows (a subset: the common ones).
local NAMED_COLORS = {
	black = "000000", white = "ffffff", red = "ff0000", lime = "00ff00", blue = "0000ff",
	yellow = "ffff00", cyan = "00ffff", aqua = "00ffff", magenta = "ff00ff", fuchsia = "ff00ff",
	silver = "c0c0c0", gray = "808080", grey = "808080", maroon = "800000", olive = "808000",
	green = "008000", purple = "800080", teal = "008080", navy = "000080", orange = "ffa500",
	pink = "ffc0cb", brown = "a52a2a", gold = "ffd700", violet = "ee82ee", indigo = "4b0082",
	darkgreen = "006400", darkred = "8b0000", darkblue = "00008b", darkgray = "a9a9a9",
	darkgrey = "a9a9a9", lightgray = "d3d3d3", lightgrey = "d3d3d3", lightblue = "add8e6",
	lightgreen = "90ee90", orangered = "ff4500", skyblue = "87ceeb", tomato = "ff6347",
	crimson = "dc143c", coral = "ff7f50", salmon = "fa8072", khaki = "f0e68c", beige = "f5f5dc",
	tan = "d2b48c", chocolate = "d2691e", turquoise = "40e0d0", plum = "dda0dd", orchid = "da70d6",
	limegreen = "32cd32", forestgreen = "228b22", seagreen = "2e8b57", steelblue = "4682b4",
	royalblue = "4169e1", dodgerblue = "1e90ff", deepskyblue = "00bfff", hotpink = "ff69b4",
	deeppink = "ff1493", darkorange = "ff8c00", goldenrod = "daa520", sienna = "a0522d",
	slategray = "708090", slategrey = "708090", dimgray = "696969", dimgrey = "696969",
	whitesmoke = "f5f5f5", ivory = "fffff0", snow = "fffafa", lavender = "e6e6fa",
}

local function hex_byte(s)
	return tonumber(s, 16)
end

-- parseColorString: "#RGB", "#RGBA", "#RRGGBB", "#RRGGBBAA" or a name with an optional "#A"/"#AA"
-- alpha; nil when invalid.
local function parse_color_string(str)
	local hex = H.string.match(str, "^#(%x+)$")
	if hex then
		local n = #hex
		if n == 3 or n == 4 then
			local v = {}
			for i = 1, n do
				local c = H.string.sub(hex, i, i)
				v[i] = hex_byte(c .. c)
			end
			return I.argb(v[4] or 255, v[1], v[2], v[3])
		elseif n == 6 or n == 8 then
			local function b(i)
				return hex_byte(H.string.sub(hex, i, i + 1))
			end
			return I.argb(n == 8 and b(7) or 255, b(1), b(3), b(5))
		end
		return nil
	end
	if H.string.sub(str, 1, 1) == "#" then
		return nil
	end
	local name, alpha = H.string.match(str, "^([^#]*)#(.*)$")
	name = name or str
	local a = 255
	if alpha then
		if H.string.match(alpha, "^%x$") then
			a = hex_byte(alpha .. alpha)
		elseif H.string.match(alpha, "^%x%x$") then
			a = hex_byte(alpha)
		else
			return nil
		end
	end
	local rgb = NAMED_COLORS[H.string.lower(name)]
	if not rgb then
		return nil
	end
	return I.argb(a, hex_byte(H.string.sub(rgb, 1, 2)), hex_byte(H.string.sub(rgb, 3, 4)),
		hex_byte(H.string.sub(rgb, 5, 6)))
end

-- read_color: a table {a=255,r=0,g=0,b=0} (each a byte, wrapped), an ARGB number or a colour
-- string; anything unreadable leaves `old` unchanged.
function I.read_color(v, old)
	local t = type(v)
	if t == "table" then
		local function byte(k, d)
			return trunc(tonumber(v[k]) or d) % 256
		end
		return I.argb(byte("a", 255), byte("r", 0), byte("g", 0), byte("b", 0))
	elseif t == "number" then
		local n = floor(v) % 4294967296
		return I.argb(floor(n / 16777216) % 256, floor(n / 65536) % 256, floor(n / 256) % 256, n % 256)
	elseif t == "string" then
		local c = parse_color_string(v)
		if c then
			return c
		end
	end
	return copy_color(old) or old
end

---------------------------------------------------------------------------------------------------
-- ObjectRef methods.

local R = ObjectRef

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

local function player_method(name, f)
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
method("set_properties", function(o, ...)
	local props = ...
	if type(props) ~= "table" then  -- the engine's own argument numbering
		local n, got = 2, type(props)
		if H.select("#", ...) == 0 then
			n, got = 1, "userdata"
		end
		error("bad argument #" .. n .. " to 'set_properties' (table expected, got " .. got .. ")", 0)
	end
	if I.read_properties(o.properties, props) and o.hp > o.properties.hp_max then
		o.hp = o.properties.hp_max
	end
end)
-- Fresh tables all the way down, as the engine pushes them: changing the result changes nothing.
local function copy_value(v, depth)
	if type(v) ~= "table" or depth > 4 then
		return v
	end
	local t = {}
	for k, x in pairs(v) do
		t[k] = copy_value(x, depth + 1)
	end
	return t
end
method("get_properties", function(o)
	return copy_value(o.properties, 0)
end)
method("is_player", function(o)
	return o.kind == "player"
end, function()
	return false
end)
method("get_nametag_attributes", function(o)
	local p = o.properties
	local bg = p.nametag_bgcolor
	return { text = p.nametag or "", color = copy_color(p.nametag_color) or I.argb(255, 255, 255, 255),
		bgcolor = type(bg) == "table" and copy_color(bg) or false }
end)
-- l_set_nametag_attributes: color and bgcolor change only when given (bgcolor false: none), text is
-- always replaced ("" when missing).
method("set_nametag_attributes", function(o, attrs)
	if type(attrs) ~= "table" then
		return
	end
	local p = o.properties
	if attrs.color ~= nil then
		p.nametag_color = I.read_color(attrs.color, p.nametag_color)
	end
	if attrs.bgcolor ~= nil then
		p.nametag_bgcolor = attrs.bgcolor and I.read_color(attrs.bgcolor, p.nametag_bgcolor) or false
	end
	local text = attrs.text
	p.nametag = (type(text) == "string" or type(text) == "number") and tostring(text) or ""
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
	return I.f32(degrees(rad) * DEGTORAD)
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
	return I.f32((degrees(o.yaw) + 90) * DEGTORAD)
end)
player_method("get_look_pitch", function(o)
	return I.f32(-degrees(o.pitch) * DEGTORAD)
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

-- HUD: elements are remembered and ids handed out; nothing is drawn.
player_method("hud_add", function(o, def)
	if type(def) ~= "table" then
		return nil
	end
	local id = o.hud_next
	o.hud_next = id + 1
	local copy = {}
	for k, v in pairs(def) do
		copy[k] = v
	end
	copy.type = copy.type or copy.hud_elem_type
	o.hud[id] = copy
	return id
end)
player_method("hud_remove", function(o, id)
	o.hud[tonumber(id) or -1] = nil
end)
player_method("hud_change", function(o, id, stat, value)
	local e = o.hud[tonumber(id) or -1]
	if e then
		e[tostring(stat)] = value
	end
end)
player_method("hud_get", function(o, id)
	local e = o.hud[tonumber(id) or -1]
	if not e then
		return nil
	end
	local t = {}
	for k, v in pairs(e) do
		t[k] = v
	end
	return t
end)
player_method("hud_set_flags", function(o, flags)
	for k, v in pairs(type(flags) == "table" and flags or {}) do
		o.hud_flags[k] = v and true or false
	end
end)
player_method("hud_get_flags", function(o)
	local t = {}
	for k, v in pairs(o.hud_flags) do
		t[k] = v
	end
	return t
end)
player_method("hud_set_hotbar_itemcount", function(o, n)
	n = tonumber(n)
	if not n or n < 1 or n > 32 then
		return false
	end
	o.hotbar_itemcount = floor(n)
	return true
end)
player_method("hud_get_hotbar_itemcount", function(o)
	return o.hotbar_itemcount
end)
player_method("hud_set_hotbar_image", function(o, img)
	o.hotbar_image = img
end)
player_method("hud_get_hotbar_image", function(o)
	return o.hotbar_image or ""
end)
player_method("hud_set_hotbar_selected_image", function(o, img)
	o.hotbar_selected_image = img
end)
player_method("hud_get_hotbar_selected_image", function(o)
	return o.hotbar_selected_image or ""
end)

-- Client-side appearance settings: stored so get_* returns what set_* was given.
-- (set_minimap_modes has no getter in any Luanti version.)
player_method("set_minimap_modes", function(o, ...)
	o.look.minimap_modes = { ... }
end)
for _, k in ipairs({ "sky", "sun", "moon", "stars", "clouds", "lighting", "local_animation", "eye_offset" }) do
	local key = k
	player_method("set_" .. key, function(o, ...)
		o.look[key] = { ... }
	end)
	player_method("get_" .. key, function(o)
		local v = o.look[key]
		if v then
			return H.unpack(v)
		end
	end)
end
-- The sky colours 5.6.1 keeps per player (SkyboxParams), for get_sky_color: set_sky's table form
-- reads `type` (any string) and `sky_color` (colours over the current ones; the fog tints over
-- white when missing; fog_tint_type when a string); set_sky() resets everything.
local SKY_COLORS = {
	day_sky = { 97, 181, 245 }, day_horizon = { 144, 211, 246 }, dawn_sky = { 180, 186, 250 },
	dawn_horizon = { 186, 193, 240 }, night_sky = { 0, 107, 255 }, night_horizon = { 64, 144, 255 },
	indoors = { 100, 100, 100 },
}
local function default_sky()
	local st = { type = "regular", fog_tint_type = "default", colors = {}, base_color = I.argb(255, 255, 255, 255),
		textures = {}, clouds = true,
		fog_sun_tint = I.argb(255, 244, 125, 29), fog_moon_tint = I.argb(255, 128, 153, 204) }
	for k, c in pairs(SKY_COLORS) do
		st.colors[k] = I.argb(255, c[1], c[2], c[3])
	end
	return st
end
local function sky_state(o)
	o.sky_state = o.sky_state or default_sky()
	return o.sky_state
end
local set_sky = R.set_sky
function R.set_sky(self, ...)
	local o = obj(self, "set_sky")
	if o and o.kind == "player" then
		local n, t = H.select("#", ...), ...
		if n == 0 then
			o.sky_state = default_sky()
		elseif type(t) == "table" then
			local st = sky_state(o)
			if type(t.type) == "string" then
				st.type = t.type
			end
			if t.base_color ~= nil then
				st.base_color = I.read_color(t.base_color, st.base_color)
			end
			if type(t.textures) == "table" then
				st.textures = {}
				for i, tex in ipairs(t.textures) do
					st.textures[i] = tostring(tex)
				end
			end
			if st.type ~= "skybox" then
				st.textures = {} -- only a skybox keeps textures
			end
			if type(t.clouds) == "boolean" then
				st.clouds = t.clouds
			end
			local c = t.sky_color
			if type(c) == "table" then
				for k in pairs(SKY_COLORS) do
					if c[k] ~= nil then
						st.colors[k] = I.read_color(c[k], st.colors[k])
					end
				end
				st.fog_sun_tint = I.read_color(c.fog_sun_tint, I.argb(255, 255, 255, 255))
				st.fog_moon_tint = I.read_color(c.fog_moon_tint, I.argb(255, 255, 255, 255))
				if type(c.fog_tint_type) == "string" then
					st.fog_tint_type = c.fog_tint_type
				end
			end
		else
			I.deprecated_call("Deprecated call to set_sky, please check lua_api.txt")
			local st = sky_state(o)
			local base, kind, textures, clouds = ...
			st.base_color = I.read_color(base, st.base_color)
			if type(kind) == "string" then
				st.type = kind
			end
			st.textures = {}
			for i, tex in ipairs(type(textures) == "table" and textures or {}) do
				st.textures[i] = tostring(tex)
			end
			st.clouds = clouds ~= false
		end
	end
	return set_sky(self, ...)
end
local function sky_color(o)
	local st = sky_state(o)
	local t = { fog_sun_tint = copy_color(st.fog_sun_tint), fog_moon_tint = copy_color(st.fog_moon_tint),
		fog_tint_type = st.fog_tint_type }
	if st.type == "regular" then
		for k, c in pairs(st.colors) do
			t[k] = copy_color(c)
		end
	end
	return t
end
player_method("get_sky_color", sky_color)
-- get_sky(true): the table form; get_sky(): base_color, type, textures, clouds.
local get_sky_method
player_method("get_sky", function(o, as_table)
	local st = sky_state(o)
	local textures = {}
	for i, tex in ipairs(st.textures) do
		textures[i] = tex
	end
	if as_table then
		return { base_color = copy_color(st.base_color), type = st.type, textures = textures, clouds = st.clouds,
			sky_color = sky_color(o) }
	end
	return copy_color(st.base_color), st.type, textures, st.clouds
end)
get_sky_method = R.get_sky
function R.get_sky(self, as_table)
	local o = obj(self, "get_sky")
	if o and o.kind == "player" and not as_table then
		I.deprecated_call("Deprecated call to get_sky, please check lua_api.txt")
	end
	return get_sky_method(self, as_table)
end
player_method("override_day_night_ratio", function(o, ratio)
	o.day_night_ratio = tonumber(ratio)
end)
player_method("get_day_night_ratio", function(o)
	return o.day_night_ratio
end)
player_method("send_mapblock", function()
	return true
end)
player_method("respawn", function(o)
	I.respawn(o)
end)

-- Deprecated player methods 5.6.1 still has (removed in 5.9). The warning comes first, for any
-- object, removed ones included: add_player_velocity / get_player_velocity are
-- add_velocity / get_velocity (entities included); get_sky_color is get_sky(true).sky_color for
-- players and nothing for entities.
function R.add_player_velocity(self, ...)
	I.deprecated_function("add_player_velocity", "add_velocity") -- a gone object warns too
	R.add_velocity(self, ...)
end
function R.get_player_velocity(self)
	I.deprecated_function("get_player_velocity", "get_velocity")
	return R.get_velocity(self)
end
local get_sky_color = R.get_sky_color
function R.get_sky_color(self)
	I.deprecated_call("Deprecated call to get_sky_color, use get_sky instead")
	return get_sky_color(self)
end

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
-- Players.

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
	local o = new_object("player", pos or { x = I.spawn_pos.x, y = I.spawn_pos.y, z = I.spawn_pos.z })
	o.name = name
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

function I.respawn(o)
	o.hp = o.properties.hp_max or PLAYER_HP_MAX
	o.breath = o.properties.breath_max or PLAYER_BREATH_MAX
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

function core.is_player(player)
	local t = type(player)
	return (t == "userdata" or t == "table") and type(player.is_player) == "function" and player:is_player()
end

-- As the engine: whether the current auth handler has an entry for the name.
function core.player_exists(name)
	return core.get_auth_handler().get_auth(name) ~= nil
end

---------------------------------------------------------------------------------------------------
-- Entities.

local PROPERTY_KEYS = { "hp_max", "breath_max", "physical", "collide_with_objects", "collisionbox",
	"selectionbox", "pointable", "visual", "visual_size", "mesh", "textures", "colors", "use_texture_alpha",
	"spritediv", "initial_sprite_basepos", "is_visible", "makes_footstep_sound", "automatic_rotate",
	"stepheight", "automatic_face_movement_dir", "automatic_face_movement_max_rotation_per_sec",
	"backface_culling", "glow", "nametag", "nametag_color", "nametag_bgcolor", "infotext",
	"static_save", "damage_texture_modifier", "shaded", "show_on_minimap", "wield_item", "zoom_fov",
	"eye_height" }

-- ObjectProperties defaults (as get_properties reports them in the engine).
local function default_properties()
	return { hp_max = 10, breath_max = 0, physical = false, collide_with_objects = true,
		collisionbox = { -0.5, -0.5, -0.5, 0.5, 0.5, 0.5 }, selectionbox = { -0.5, -0.5, -0.5, 0.5, 0.5, 0.5 },
		pointable = true, visual = "sprite", mesh = "", visual_size = { x = 1, y = 1, z = 1 },
		textures = { "no_texture.png" }, colors = { { a = 255, r = 255, g = 255, b = 255 } },
		use_texture_alpha = false, spritediv = { x = 1, y = 1 }, initial_sprite_basepos = { x = 0, y = 0 },
		is_visible = true, makes_footstep_sound = false, automatic_rotate = 0, stepheight = 0,
		automatic_face_movement_dir = false, automatic_face_movement_max_rotation_per_sec = -1,
		backface_culling = true, glow = 0, nametag = "", nametag_color = { a = 255, r = 255, g = 255, b = 255 },
		nametag_bgcolor = false, infotext = "", static_save = true, damage_texture_modifier = "^[brighten",
		shaded = true, show_on_minimap = false, wield_item = "", zoom_fov = 0, eye_height = 1.625 }
end
I.default_properties = default_properties

-- read_object_properties (5.6.1): every field is read as its C++ type, and a value of another
-- type leaves the field as it was. Integers are truncated (lua_tointeger; numeric strings count),
-- floats become single precision, booleans must be booleans, strings may be numbers, boxes read
-- six numbers (missing ones 0) and put the smaller of each pair first. A collisionbox given
-- without a selectionbox sets both.
local function integer(v)
	local n = tonumber(v)
	if n == nil or n ~= n then
		return nil
	end
	return trunc(n)
end

local function read_box(v)
	local b = {}
	for i = 1, 6 do
		b[i] = I.f32((tonumber(rawget(v, i)) or 0))
	end
	for i = 1, 3 do
		if b[i] > b[i + 3] then
			b[i], b[i + 3] = b[i + 3], b[i]
		end
	end
	return b
end

local function read_v2s16(v)
	return { x = I.wrap(integer(v.x) or 0, 16, true), y = I.wrap(integer(v.y) or 0, 16, true) }
end

-- The engine logs a field of the wrong type (and keeps the old value); tables it skips silently.
local function invalid_field(k, expected, v)
	local text = "Invalid field " .. k .. " (expected " .. expected .. " got " .. type(v) .. ")."
	I.emit("ERROR[Server]: " .. text)
	I.diag("warning", text)
end

-- A list field read element by element, in lua_next order; a value that is not a table changes nothing.
local function list_reader(read)
	return function(v, old)
		if type(v) ~= "table" then
			return old
		end
		local list = {}
		for _, x in pairs(v) do
			list[#list + 1] = read(x)
		end
		return list
	end
end

-- A number field: `parse` reads it (nil: not a number), `convert` makes it the C++ type.
local function number_reader(parse, convert)
	return function(v, old, k)
		local n = parse(v)
		if n == nil then
			invalid_field(k, "number", v)
			return old
		end
		return convert(n)
	end
end

local PROPERTY_READERS = {
	hp = number_reader(integer, function(n)
		return min(max(n, 0), 65535)
	end),
	u16 = number_reader(integer, function(n)
		return I.wrap(n, 16, false)
	end),
	s8 = number_reader(integer, function(n)
		return I.wrap(n, 8, true)
	end),
	float = number_reader(tonumber, I.f32),
	length = number_reader(tonumber, function(n)
		return I.f32(I.f32(I.f32(n) * 10) / 10)  -- kept in BS = 10 units per node
	end),
	bool = function(v, old, k)
		if type(v) == "boolean" then
			return v
		end
		invalid_field(k, "boolean", v)
		return old
	end,
	string = function(v, old, k)
		local t = type(v)
		if t == "string" or t == "number" then
			return tostring(v)
		end
		invalid_field(k, "string", v)
		return old
	end,
	box = function(v, old)
		return type(v) == "table" and read_box(v) or old
	end,
	v2s16 = function(v, old)
		return type(v) == "table" and read_v2s16(v) or old
	end,
	visual_size = function(v, old)
		if type(v) ~= "table" then
			return old
		end
		local x, y = I.f32(tonumber(v.x) or 0), I.f32(tonumber(v.y) or 0)
		return { x = x, y = y, z = v.z == nil and x or I.f32(tonumber(v.z) or 0) }
	end,
	strings = list_reader(function(x)
		local t = type(x)
		return (t == "string" or t == "number") and tostring(x) or ""
	end),
	colors = list_reader(function(x)
		return I.read_color(x, I.argb(255, 255, 255, 255))
	end),
	color = function(v, old)
		return I.read_color(v, old)
	end,
	bgcolor = function(v, old)
		if v == false then
			return false
		end
		return I.read_color(v, old)
	end,
	face_dir = function(v, old)  -- a number turns it on with that offset; get_properties gives it back
		local n = tonumber(v)
		if n then
			return I.f32(n)
		elseif type(v) == "boolean" then
			return v and 0 or false
		end
		return old
	end,
	item = function(v, old)
		if v == nil then
			return old
		end
		return I.G.ItemStack(v):to_string()
	end,
}

local PROPERTY_KINDS = {
	hp_max = "hp", breath_max = "u16", glow = "s8",
	physical = "bool", collide_with_objects = "bool", pointable = "bool", is_visible = "bool",
	makes_footstep_sound = "bool", backface_culling = "bool", static_save = "bool", use_texture_alpha = "bool",
	shaded = "bool", show_on_minimap = "bool",
	visual = "string", mesh = "string", nametag = "string", infotext = "string", damage_texture_modifier = "string",
	automatic_rotate = "float", stepheight = "length", eye_height = "float", zoom_fov = "float",
	automatic_face_movement_max_rotation_per_sec = "float",
	collisionbox = "box", selectionbox = "box", spritediv = "v2s16", initial_sprite_basepos = "v2s16",
	visual_size = "visual_size", textures = "strings", colors = "colors", nametag_color = "color",
	nametag_bgcolor = "bgcolor", automatic_face_movement_dir = "face_dir", wield_item = "item",
}

-- Read the properties table `src` into `props` (the object's current properties); true when it set
-- hp_max (the caller then lowers the HP to it, as the engine does).
function I.read_properties(props, src)
	for _, k in ipairs(PROPERTY_KEYS) do
		local v = src[k]
		if v ~= nil then
			props[k] = PROPERTY_READERS[PROPERTY_KINDS[k]](v, props[k], k)
		end
	end
	if type(src.collisionbox) == "table" and type(src.selectionbox) ~= "table" then
		props.selectionbox = read_box(src.collisionbox)
	end
	return integer(src.hp_max) ~= nil
end

-- The prototype's own fields first (the deprecated way), then its initial_properties, as 5.6.1's
-- luaentity_GetProperties reads them.
local function initial_properties(proto)
	local props = default_properties()
	I.read_properties(props, proto)
	local src = proto.initial_properties
	if type(src) == "table" then
		I.read_properties(props, src)
	end
	return props
end

-- core.add_entity: a LuaEntity whose metatable is the registered prototype; on_activate runs at once.
-- `saved` (a static object loaded from the map, persist.lua): its hp, velocity and rotation, set
-- before on_activate as LuaEntitySAO's constructor reads them from the static data.
function I.add_entity(pos, name, staticdata, dtime_s, saved)
	local o = new_object("entity", read_v3f(pos))
	o.entity_name = name
	local proto = rawget(I.registry("registered_entities"), name)
	if type(proto) ~= "table" then
		local text = 'LuaEntity name "' .. tostring(name) .. '" not defined'
		I.emit("ERROR[Server]: " .. text)
		I.diag("warning", text)
		I.remove_object(o)
		return o.ref
	end
	o.properties = initial_properties(proto)
	o.hp = o.properties.hp_max
	if saved then
		o.hp, o.velocity, o.rotation = saved.hp, read_v3f(saved.velocity), read_v3f(saved.rotation)
	end
	local ent = setmetatable({ object = o.ref }, proto)
	o.luaentity = ent
	local ents = rawget(core, "luaentities")
	if type(ents) == "table" then
		ents[o.id] = ent
	end
	local on_activate = ent.on_activate
	if type(on_activate) == "function" then
		on_activate(ent, staticdata or "", dtime_s or 0)
	end
	return o.ref
end

function core.add_entity(...)
	if not running() then
		return
	end
	local pos, name, staticdata = ...
	read_v3f(...)  -- the position is checked first
	if type(name) ~= "string" then
		error("bad argument #2 to 'add_entity' (string expected, got " .. type(name) .. ")", 0)
	end
	if staticdata ~= nil and type(staticdata) ~= "string" then
		staticdata = tostring(staticdata)
	end
	return I.add_entity(pos, name, staticdata)
end

-- core.add_item: nothing for an empty or unknown item; else core.spawn_item(pos, itemstring) (which a
-- mod may override, as in the engine).
function core.add_item(pos, item)
	if not running() then
		return
	end
	local rec = I.to_record(item)
	if rec.count == 0 or I.item_def(rec.name) == nil then
		return
	end
	local spawn = rawget(core, "spawn_item")
	if spawn == nil then
		return
	end
	return (spawn(pos, I.record_to_string(rec)))
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

-- Entity physics for one step: velocity from acceleration, then the move, stopped by walkable
-- nodes on a physical entity's way (a point model: the collision box is not swept).
local function walkable(x, y, z)
	local name = I.node_at(floor(x + 0.5), floor(y + 0.5), floor(z + 0.5))
	if name == "air" then
		return false
	end
	if name == "ignore" then
		return true
	end
	local def = I.node_def(name)
	return type(def) ~= "table" or def.walkable ~= false
end

function I.move_entity(o, dtime)
	local v, a, p = o.velocity, o.acceleration, o.pos
	v.x, v.y, v.z = v.x + a.x * dtime, v.y + a.y * dtime, v.z + a.z * dtime
	local moveresult = { touching_ground = false, collides = false, standing_on_object = false, collisions = {} }
	local target = { x = p.x + v.x * dtime, y = p.y + v.y * dtime, z = p.z + v.z * dtime }
	if o.properties.physical then
		for _, axis in ipairs({ "x", "y", "z" }) do
			local probe = { x = p.x, y = p.y, z = p.z }
			probe[axis] = target[axis]
			if walkable(probe.x, probe.y, probe.z) then
				moveresult.collides = true
				moveresult.touching_ground = moveresult.touching_ground or (axis == "y" and v.y < 0)
				moveresult.collisions[#moveresult.collisions + 1] = { type = "node", axis = axis,
					old_velocity = copy_vec(v) }
				target[axis] = p[axis]
				v[axis] = 0
			end
		end
	end
	o.pos = target
	return moveresult
end

-- One entity step: physics, then on_step(self, dtime, moveresult). `call` reports errors.
function I.step_entities(dtime, call)
	for _, ref in ipairs(objects_where(function(o)
		return o.kind == "entity"
	end)) do
		local o = ref_state(ref)
		if not o.removed then
			local moveresult = I.move_entity(o, dtime)
			local ent = o.luaentity
			if ent and type(ent.on_step) == "function" then
				call("luaentity_Step", ent.on_step, ent, dtime, moveresult)
			end
		end
	end
end

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

---------------------------------------------------------------------------------------------------
-- Raycast (simplified): pointable nodes the line passes through and objects within 0.5 of it,
-- in order along the line. Intersection points are the node or object centres.

local RaycastMethods = {}
local new_raycast, raycast_state = I.userdata_class("Raycast", RaycastMethods, {
	__call = function(self)
		return RaycastMethods.next(self)
	end,
})

function RaycastMethods.next(self)
	local s = raycast_state(self, "next")
	s.i = s.i + 1
	return s.hits[s.i]
end

local function pointable(name, liquids)
	if name == "air" or name == "ignore" then
		return false
	end
	local def = I.node_def(name)
	if type(def) ~= "table" then
		return true
	end
	if def.pointable == false then
		return false
	end
	return liquids or def.liquidtype == nil or def.liquidtype == "none"
end

local function raycast(pos1, pos2, objects, liquids)
	local a, b = read_v3f(pos1), read_v3f(pos2)
	local d = { x = b.x - a.x, y = b.y - a.y, z = b.z - a.z }
	local len2 = d.x * d.x + d.y * d.y + d.z * d.z
	local function along(p)
		if len2 == 0 then
			return 0
		end
		return ((p.x - a.x) * d.x + (p.y - a.y) * d.y + (p.z - a.z) * d.z) / len2
	end
	local hits = {}
	local prev
	for _, p in ipairs(I.line_nodes(a, b)) do
		local name = I.node_at(p[1], p[2], p[3])
		if pointable(name, liquids) then
			local under = I.vec(p[1], p[2], p[3])
			local above = prev and I.vec(prev[1], prev[2], prev[3]) or I.vec(p[1], p[2], p[3])
			hits[#hits + 1] = { t = along(under), thing = { type = "node", under = under, above = above,
				intersection_point = I.vec(p[1], p[2], p[3]),
				intersection_normal = I.vec(above.x - under.x, above.y - under.y, above.z - under.z) } }
		end
		prev = p
	end
	if objects ~= false then
		for _, o in pairs(I.objects) do
			if not o.removed then
				local t = along(o.pos)
				if t >= 0 and t <= 1 then
					local cx, cy, cz = a.x + d.x * t - o.pos.x, a.y + d.y * t - o.pos.y, a.z + d.z * t - o.pos.z
					if cx * cx + cy * cy + cz * cz <= 0.25 then
						hits[#hits + 1] = { t = t, thing = { type = "object", ref = o.ref,
							intersection_point = copy_vec(o.pos), intersection_normal = I.vec(0, 0, 0) } }
					end
				end
			end
		end
	end
	sort(hits, function(x, y)
		return x.t < y.t
	end)
	local things = {}
	for i, h in ipairs(hits) do
		things[i] = h.thing
	end
	return new_raycast({ hits = things, i = 0 })
end

I.G.Raycast = raycast
core.raycast = raycast

function core.clear_objects()
	for _, o in pairs(I.objects) do
		if o.kind == "entity" then
			I.remove_object(o)
		end
	end
end
