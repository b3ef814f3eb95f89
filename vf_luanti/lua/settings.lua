-- settings.lua: Settings objects, core.settings, and mod storage.
--
-- Values are strings, as in the engine. core.settings answers with the engine's built-in defaults
-- for the settings mods commonly read (values read off the real 5.6.1 server with a probe mod);
-- unknown settings are nil. get_bool follows the engine's is_yes: "true"/"yes"/"y"/"on" or a
-- non-zero integer prefix ("15" and "9.81" are true, "0.2" is false).
local core, I = ...
local H = I.host
local G = I.G
local type, tostring, tonumber, pairs, setmetatable, error = H.type, H.tostring, H.tonumber, H.pairs,
	H.setmetatable, H.error
local smatch, slower, sformat = H.string.match, H.string.lower, H.string.format
local concat = H.table.concat

local DEFAULTS = {
	enable_damage = "true", creative_mode = "false", enable_pvp = "true", max_users = "15", name = "",
	server_name = "", time_speed = "72", default_privs = "interact, shout", enable_rollback_recording = "false",
	disallow_empty_password = "false", mg_name = "singlenode", water_level = "1", chunksize = "5",
	port = "30000", default_game = "minetest", dedicated_server_step = "0.09", active_block_range = "4",
	max_objects_per_block = "256", enable_minimap = "true", fixed_map_seed = "", viewing_range = "190",
	enable_mod_channels = "false", ["secure.enable_security"] = "true", player_transfer_distance = "0",
	movement_speed_walk = "4", movement_speed_jump = "6.5", movement_gravity = "9.81", language = "",
	abm_interval = "1.0", nodetimer_interval = "0.2", liquid_update = "1.0", mapgen_limit = "31007",
	motd = "", remote_media = "", strict_protocol_version_checking = "false",
	max_simultaneous_block_sends_per_client = "40", enable_client_modding = "false",
	mg_flags = "caves, dungeons, light, decorations, biomes, ores", deprecated_lua_api_handling = "log",
	world_start_time = "6125", sqlite_synchronous = "2", bind_address = "", ipv6_server = "false",
	server_announce = "false", debug_log_level = "action",
}

local function is_yes(s)
	local l = slower(s)
	if l == "true" or l == "yes" or l == "y" or l == "on" then
		return true
	end
	local n = tonumber(smatch(s, "^%s*([-+]?%d+)"))
	return n ~= nil and n ~= 0
end

local function check_key(name)
	if type(name) ~= "string" then
		error("bad argument #1 (string expected, got " .. type(name) .. ")", 3)
	end
	if name == "" or H.string.find(name, "[=\"{}#\n]") then
		error("Setting names can't contain whitespace or any of '=\"{}#'.", 3)
	end
end

local Settings = {}
Settings.__index = Settings

local function new_settings(values, defaults, path)
	return setmetatable({ values = values, defaults = defaults or {}, path = path }, Settings)
end

function Settings:get(name)
	local v = self.values[name]
	if v == nil then
		v = self.defaults[name]
	end
	return v
end

function Settings:get_bool(name, default)
	local v = self:get(name)
	if v == nil then
		return default
	end
	return is_yes(v)
end

function Settings:get_flags(name)
	local v = self:get(name)
	if v == nil then
		return nil
	end
	local flags = {}
	for f in v:gmatch("[^,%s]+") do
		if f:sub(1, 2) == "no" then
			flags[f:sub(3)] = false
		else
			flags[f] = true
		end
	end
	return flags
end

function Settings:get_np_group(name)
	local v = self:get(name)
	if type(v) == "table" then
		return v
	end
	return nil
end

function Settings:set(name, value)
	check_key(name)
	self.values[name] = tostring(value)
end

function Settings:set_bool(name, value)
	check_key(name)
	self.values[name] = value and "true" or "false"
end

function Settings:set_np_group(name, value)
	check_key(name)
	self.values[name] = value
end

function Settings:remove(name)
	local had = self.values[name] ~= nil
	self.values[name] = nil
	return had
end

function Settings:get_names()
	return I.sorted_keys(self.values)
end

function Settings:has(name)
	return self.values[name] ~= nil
end

function Settings:to_table()
	local t = {}
	for k, v in pairs(self.values) do
		t[k] = v
	end
	return t
end

function Settings:write()
	if not self.path then
		return false
	end
	local lines = {}
	for _, k in H.ipairs(self:get_names()) do
		local v = self.values[k]
		if type(v) == "string" then
			lines[#lines + 1] = k .. " = " .. v
		end
	end
	I.vfs[self.path] = concat(lines, "\n") .. "\n"
	return true
end

-- Settings(path): a settings file in the virtual file system (mod directories, world).
function G.Settings(path)
	local p = I.normalize_path(path)
	if not p or not I.may_read(p) then
		error("Mod security: Blocked attempted read from " .. tostring(path), 2)
	end
	local values = {}
	for line in (I.vfs[p] or ""):gmatch("[^\n]+") do
		local k, v = smatch(line, "^%s*([^#=%s][^=]-)%s*=%s*(.-)%s*$")
		if k then
			values[k] = v
		end
	end
	return new_settings(values, nil, p)
end

-- The server's settings: a few explicit values (as the oracle's config sets them) over defaults.
core.settings = new_settings({}, DEFAULTS)
I.settings_values = core.settings.values

------------------------------------------------------------------------------------------------------
-- Mod storage: one StorageRef per mod, obtainable only while that mod loads.

local Storage = {}
Storage.__index = Storage

function Storage:get_string(k)
	return self.data[k] or ""
end
function Storage:get(k)
	return self.data[k]
end
function Storage:get_int(k)
	return H.math.floor(tonumber(self.data[k]) or 0)
end
function Storage:get_float(k)
	return tonumber(self.data[k]) or 0
end
function Storage:set_string(k, v)
	v = tostring(v)
	self.data[k] = v ~= "" and v or nil
end
function Storage:set_int(k, v)
	self.data[k] = sformat("%d", tonumber(v) or 0)
end
function Storage:set_float(k, v)
	self.data[k] = tostring(tonumber(v) or 0)
end
function Storage:contains(k)
	return self.data[k] ~= nil
end
function Storage:get_keys()
	return I.sorted_keys(self.data)
end
function Storage:to_table()
	local fields = {}
	for k, v in pairs(self.data) do
		fields[k] = v
	end
	return { fields = fields }
end
function Storage:from_table(t)
	self.data = {}
	for k, v in pairs(type(t) == "table" and t.fields or {}) do
		self.data[k] = tostring(v)
	end
	return true
end
function Storage:equals(other)
	for k, v in pairs(self.data) do
		if other.data[k] ~= v then
			return false
		end
	end
	for k in pairs(other.data) do
		if self.data[k] == nil then
			return false
		end
	end
	return true
end

I.storages = {}

function core.get_mod_storage()
	local mod = I.current_mod
	if not mod then
		return nil
	end
	local s = I.storages[mod]
	if not s then
		s = setmetatable({ data = {}, mod = mod }, Storage)
		I.storages[mod] = s
	end
	return s
end

-- is_yes is shared with core.is_yes semantics for settings-like strings.
I.is_yes = is_yes
