-- properties.lua: object properties (engine: src/object_properties.cpp for the defaults,
-- read_object_properties in src/script/common/c_content.cpp, ObjectRef set_properties /
-- get_properties and the nametag attributes in src/script/lua_api/l_object.cpp).
--
-- An object's properties are a table of the engine's fields, each read as its C++ type.
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs, error, rawget = H.type, H.tostring, H.tonumber, H.pairs, H.ipairs,
	H.error, H.rawget
local min, max = H.math.min, H.math.max
local trunc = I.trunc
local method = I.object_method
local copy_color = I.copy_color

local PROPERTY_KEYS = { "hp_max", "breath_max", "physical", "collide_with_objects", "collisionbox",
	"selectionbox", "pointable", "visual", "visual_size", "mesh", "textures", "colors", "use_texture_alpha",
	"spritediv", "initial_sprite_basepos", "is_visible", "makes_footstep_sound", "automatic_rotate",
	"stepheight", "automatic_face_movement_dir", "automatic_face_movement_max_rotation_per_sec",
	"backface_culling", "glow", "nametag", "nametag_color", "nametag_bgcolor", "infotext",
	"static_save", "damage_texture_modifier", "shaded", "show_on_minimap", "wield_item", "zoom_fov",
	"eye_height" }

-- ObjectProperties defaults (as get_properties reports them in the engine); players.lua and
-- entities.lua start from them.
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

---------------------------------------------------------------------------------------------------
-- Methods.

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
	o.properties_unsent = true -- a player's are sent at its next step ("properties_changed")
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
