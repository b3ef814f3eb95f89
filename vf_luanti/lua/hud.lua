-- hud.lua: what a player's client shows, recorded per player: HUD elements and flags, the hotbar,
-- sky, sun, moon, stars, clouds, lighting, the day-night ratio, minimap modes, eye offset and local
-- animation (engine: src/script/lua_api/l_object.cpp, src/skyparams.h for the sky defaults). A
-- headless server draws nothing: getters return what the setters were given.
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs = H.type, H.tostring, H.tonumber, H.pairs, H.ipairs
local floor = H.math.floor
local R, obj, player_method = I.object_methods, I.live_object, I.player_method
local copy_color = I.copy_color

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
	I.player_event(o, "hud_changed")
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

-- Deprecated in 5.6.1 (removed in 5.9): get_sky(true).sky_color for players, nothing for entities;
-- the warning comes first, for any object.
local get_sky_color = R.get_sky_color
function R.get_sky_color(self)
	I.deprecated_call("Deprecated call to get_sky_color, use get_sky instead")
	return get_sky_color(self)
end
