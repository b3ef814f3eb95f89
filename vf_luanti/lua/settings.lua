-- settings.lua: Settings objects, core.settings, and mod storage.
--
-- Values are strings, as in the engine. core.settings answers with the engine's built-in defaults
-- for the settings mods commonly read (values read off the real 5.6.1 server with a probe mod);
-- unknown settings are nil. Settings and StorageRef objects are userdata whose metatable is
-- hidden behind the method table, like the engine's C++ classes, and their argument checks and
-- error texts are the engine's (checked by tests/lua/helpers_probe.lua against the real server).
local core, I = ...
local H = I.host
local G = I.G
local type, tostring, tonumber, pairs, error = H.type, H.tostring, H.tonumber, H.pairs, H.error
local smatch, sfind, sformat = H.string.match, H.string.find, H.string.format

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

local is_yes = I.is_yes -- misc_helpers.lua: the engine's is_yes, which get_bool uses

------------------------------------------------------------------------------------------------------
-- Userdata objects (I.userdata_class, sandbox.lua); `check` raises the type error at the mod's call.

local function userdata_class(class_name, methods)
	local new, state, is = I.userdata_class(class_name, methods)
	-- The object's state, or the engine's "bad argument #1" when a method gets something else.
	local function check(self, method)
		if not is(self) then
			error(sformat("bad argument #1 to '%s' (%s expected, got %s)", method, class_name, type(self)), 3)
		end
		return state(self)
	end
	return new, check
end

-- luaL_checkstring: strings, and numbers converted to text. Arguments are numbered as LuaJIT does
-- for method calls (self not counted).
local function check_text(v, n, method)
	local t = type(v)
	if t == "string" then
		return v
	elseif t == "number" then
		return tostring(v)
	end
	error(sformat("bad argument #%d to '%s' (string expected, got %s)", n, method, t),
		3)
end

-- luaL_checknumber: numbers, and strings that convert.
local function check_number(v, n, method)
	local x = tonumber(v)
	if type(v) == "number" or (type(v) == "string" and x) then
		return x
	end
	error(sformat("bad argument #%d to '%s' (number expected, got %s)", n, method, type(v)), 3)
end

------------------------------------------------------------------------------------------------------
-- Settings

local Settings = {}
local new_settings, check_settings = userdata_class("Settings", Settings)

-- Flag settings the engine describes (get_flags gives every described flag, true or false).
local FLAG_DESC = {
	mg_flags = { "caves", "dungeons", "light", "decorations", "biomes", "ores" },
}

-- Names with whitespace or any of = " { } # are refused (and logged), as are values holding a
-- `"""` line.
local function valid_entry(name, value)
	if sfind(name, "[%s=\"{}#]") then
		I.emit('ERROR[Main]: Invalid setting name "' .. name .. '"')
		return false
	end
	return value == nil or not (H.string.sub(value, 1, 3) == '"""' or sfind(value, '\n"""', 1, true))
end

local function writable(data, name, method, value)
	if data.main and H.string.sub(name, 1, 7) == "secure." then
		error("Attempted to set secure setting.", 0)
	end
	if not valid_entry(name, value) then
		error("Invalid sequence found in setting parameters", 0)
	end
	return data.values
end

local function lookup(data, name)
	local v = data.values[name]
	if v == nil then
		v = data.defaults[name]
	end
	if type(v) == "table" then
		error("Setting [" .. name .. "] is a group.", 0)
	end
	return v
end

function Settings:get(name)
	local data = check_settings(self, "get")
	return lookup(data, check_text(name, 1, "get"))
end

function Settings:get_bool(name, default)
	local data = check_settings(self, "get_bool")
	local v = lookup(data, check_text(name, 1, "get_bool"))
	if v == nil then
		return default
	end
	return is_yes(v)
end

function Settings:get_flags(name)
	local data = check_settings(self, "get_flags")
	name = check_text(name, 1, "get_flags")
	local desc, v = FLAG_DESC[name], lookup(data, name)
	if not desc or v == nil then
		return nil
	end
	local set = {}
	for word in H.string.gmatch(v, "[^,%s]+") do
		set[word] = true
	end
	local flags = {}
	for _, f in H.ipairs(desc) do
		flags[f] = set[f] == true
	end
	return flags
end

local function copy_group(t)
	local c = {}
	for k, v in pairs(t) do
		c[k] = type(v) == "table" and copy_group(v) or v
	end
	return c
end

function Settings:get_np_group(name)
	local data = check_settings(self, "get_np_group")
	local v = data.values[check_text(name, 1, "get_np_group")]
	return type(v) == "table" and copy_group(v) or nil
end

function Settings:set(name, value)
	local data = check_settings(self, "set")
	name, value = check_text(name, 1, "set"), check_text(value, 2, "set")
	writable(data, name, "set", value)[name] = value
end

function Settings:set_bool(name, value)
	local data = check_settings(self, "set_bool")
	name = check_text(name, 1, "set_bool")
	writable(data, name, "set_bool")[name] = value and "true" or "false"
end

function Settings:set_np_group(name, value)
	local data = check_settings(self, "set_np_group")
	name = check_text(name, 1, "set_np_group")
	if type(value) ~= "table" then
		error(sformat("bad argument #2 to 'set_np_group' (table expected, got %s)", type(value)), 2)
	end
	writable(data, name, "set_np_group")[name] = copy_group(value)
end

function Settings:remove(name)
	local data = check_settings(self, "remove")
	name = check_text(name, 1, "remove")
	local values = writable(data, name, "remove")
	local had = values[name] ~= nil
	values[name] = nil
	return had
end

function Settings:get_names()
	return I.sorted_keys(check_settings(self, "get_names").values)
end

function Settings:to_table()
	local t = {}
	for k, v in pairs(check_settings(self, "to_table").values) do
		t[k] = type(v) == "table" and copy_group(v) or v
	end
	return t
end

function Settings:write()
	local data = check_settings(self, "write")
	if not data.path then
		return false
	end
	local lines = {}
	for _, k in H.ipairs(I.sorted_keys(data.values)) do
		local v = data.values[k]
		if type(v) == "string" then
			lines[#lines + 1] = k .. " = " .. v
		end
	end
	I.vfs[data.path] = H.table.concat(lines, "\n") .. "\n"
	return true
end

-- Settings(path): a settings file in the virtual file system (mod directories, world).
function G.Settings(path)
	local p = I.normalize_path(path)
	if not p or not I.may_read(p) then
		error("Mod security: Blocked attempted read from " .. tostring(path), 0)
	end
	local values = {}
	for line in H.string.gmatch(I.vfs[p] or "", "[^\n]+") do
		local k, v = smatch(line, "^%s*([^#=%s][^=]-)%s*=%s*(.-)%s*$")
		if k then
			values[k] = v
		end
	end
	return new_settings({ values = values, defaults = {}, path = p })
end

-- The server's settings: explicit values (none; the oracle's config only sets network options)
-- over the defaults.
core.settings = new_settings({ values = {}, defaults = DEFAULTS, main = true })

------------------------------------------------------------------------------------------------------
-- Mod storage: one StorageRef per mod, obtainable only while that mod loads.

local Storage = {}
local new_storage, check_storage = userdata_class("StorageRef", Storage)

-- C's atoi / atof: the longest numeric prefix after leading whitespace, 0 when there is none.
local function atoi(s)
	return tonumber(smatch(s, "^%s*([-+]?%d+)")) or 0
end

local function atof(s)
	local mant = smatch(s, "^%s*([-+]?%d*%.?%d*)")
	if not mant or not sfind(mant, "%d") then
		return 0
	end
	local rest = H.string.sub(s, #smatch(s, "^%s*") + #mant + 1)
	return tonumber(mant .. (smatch(rest, "^[eE][-+]?%d+") or "")) or 0
end

-- lua_tointeger then a cast to C int: truncate toward zero, wrap to 32 bits.
local function to_int32(x)
	return I.wrap(I.trunc(x), 32, true)
end

function Storage:get(k)
	return check_storage(self, "get").data[check_text(k, 1, "get")]
end
function Storage:get_string(k)
	return check_storage(self, "get_string").data[check_text(k, 1, "get_string")] or ""
end
function Storage:get_int(k)
	local v = check_storage(self, "get_int").data[check_text(k, 1, "get_int")]
	return v and atoi(v) or 0
end
function Storage:get_float(k)
	local v = check_storage(self, "get_float").data[check_text(k, 1, "get_float")]
	return v and atof(v) or 0
end
function Storage:contains(k)
	return check_storage(self, "contains").data[check_text(k, 1, "contains")] ~= nil
end

local function store(data, k, v)
	data.data[k] = v ~= "" and v or nil
end
function Storage:set_string(k, v)
	local data = check_storage(self, "set_string")
	store(data, check_text(k, 1, "set_string"), v == nil and "" or check_text(v, 2, "set_string"))
end
function Storage:set_int(k, v)
	local data = check_storage(self, "set_int")
	store(data, check_text(k, 1, "set_int"), sformat("%d", to_int32(check_number(v, 2, "set_int"))))
end
function Storage:set_float(k, v)
	local data = check_storage(self, "set_float")
	store(data, check_text(k, 1, "set_float"), sformat("%g", check_number(v, 2, "set_float")))
end
function Storage:get_keys()
	return I.sorted_keys(check_storage(self, "get_keys").data)
end
function Storage:to_table()
	local fields = {}
	for k, v in pairs(check_storage(self, "to_table").data) do
		fields[k] = v
	end
	return { fields = fields }
end
function Storage:from_table(t)
	local data = check_storage(self, "from_table")
	data.data = {}
	if type(t) == "table" then
		I.fields_from_table(data.data, t.fields)
	end
	return true
end
function Storage:equals(other)
	return I.same_fields(check_storage(self, "equals").data, check_storage(other, "equals").data)
end

local storages = {}
-- The mod storage database: mod -> its key/value strings. A restarted world starts from what the
-- last one saved (persist.lua), before any mod loads; a mod's StorageRef then works on its entry,
-- whose record is read at saving (from_table replaces rec.data).
I.mod_storage = {}
I.storage_records = {}

function core.get_mod_storage()
	local mod = I.current_mod
	if not mod then
		return nil
	end
	local s = storages[mod]
	if not s then
		local rec = { data = I.mod_storage[mod] or {}, mod = mod }
		s = new_storage(rec)
		storages[mod] = s
		I.mod_storage[mod] = nil
		I.storage_records[mod] = rec
	end
	return s
end

-- Every mod's key/value strings, as the database holds them (opened storages read live).
function I.mod_storage_fields()
	local out = {}
	for mod, data in pairs(I.mod_storage) do
		out[mod] = data
	end
	for mod, rec in pairs(I.storage_records) do
		out[mod] = rec.data
	end
	return out
end

-- A setting read as the engine's builtin Lua reads one (through core.settings, which a mod may have
-- replaced), or nil when that fails; the one setting reader of the emulation files.
function I.setting(key)
	local ok, v = H.pcall(function()
		return core.settings:get(key)
	end)
	return ok and v or nil
end

function I.setting_bool(key)
	local ok, v = H.pcall(function()
		return core.settings:get_bool(key)
	end)
	return ok and v or nil
end
