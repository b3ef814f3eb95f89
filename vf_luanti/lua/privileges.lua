-- privileges.lua: register_privilege, the builtin privileges, the authentication handler and the
-- privilege checks (engine: builtin/game/privileges.lua, auth.lua, misc.lua and the C++ auth
-- bridge). Auth data lives in memory (I.auth): a fresh world with no players.
local core, I = ...
local H = I.host
local type, tostring, pairs = H.type, H.tostring, H.pairs
local error, assert, sort, concat = H.error, H.assert, H.table.sort, H.table.concat
local gmatch, smatch, slower = H.string.gmatch, H.string.match, H.string.lower
local S = I.translator("__builtin")

core.registered_privileges = {}

function core.register_privilege(name, param)
	local def
	if type(param) == "table" then
		def = param
	else
		def = { description = param }
	end
	if def.give_to_singleplayer == nil then
		def.give_to_singleplayer = true
	end
	if def.give_to_admin == nil then
		def.give_to_admin = def.give_to_singleplayer
	end
	if def.description == nil then
		def.description = S("(no description)")
	end
	core.registered_privileges[name] = def
end

-- "a, b" -> {a=true, b=true}, as core.string_to_privs (without depending on the helper file).
local function privs_from_string(str)
	local privs = {}
	for part in gmatch(str, "[^,]+") do
		local p = smatch(part, "^%s*(.-)%s*$")
		if p ~= "" then
			privs[p] = true
		end
	end
	return privs
end

local function sorted_names(set)
	local list = {}
	for k, v in pairs(set) do
		if v then
			list[#list + 1] = k
		end
	end
	sort(list)
	return list
end

local setting = I.setting

core.register_privilege("interact", S("Can interact with things and modify the world"))
core.register_privilege("shout", S("Can speak in chat"))
local basic_privs = privs_from_string(setting("basic_privs") or "shout,interact")
core.register_privilege("basic_privs", S("Can modify basic privileges (@1)", concat(sorted_names(basic_privs), ", ")))
core.register_privilege("privs", S("Can modify privileges"))
core.register_privilege("teleport", { description = S("Can teleport self"), give_to_singleplayer = false })
core.register_privilege("bring", { description = S("Can teleport other players"), give_to_singleplayer = false })
core.register_privilege("settime", { description = S("Can set the time of day using /time"),
	give_to_singleplayer = false })
core.register_privilege("server", { description = S("Can do server maintenance stuff"),
	give_to_singleplayer = false, give_to_admin = true })
core.register_privilege("protection_bypass", { description = S("Can bypass node protection in the world"),
	give_to_singleplayer = false })
core.register_privilege("ban", { description = S("Can ban and unban players"), give_to_singleplayer = false,
	give_to_admin = true })
core.register_privilege("kick", { description = S("Can kick players"), give_to_singleplayer = false,
	give_to_admin = true })
core.register_privilege("give", { description = S("Can use /give and /giveme"), give_to_singleplayer = false })
core.register_privilege("password", { description = S("Can use /setpassword and /clearpassword"),
	give_to_singleplayer = false, give_to_admin = true })
core.register_privilege("fly", { description = S("Can use fly mode"), give_to_singleplayer = false })
core.register_privilege("fast", { description = S("Can use fast mode"), give_to_singleplayer = false })
core.register_privilege("noclip", { description = S("Can fly through solid nodes using noclip mode"),
	give_to_singleplayer = false })
core.register_privilege("rollback", { description = S("Can use the rollback functionality"),
	give_to_singleplayer = false })
core.register_privilege("debug", { description = S("Can enable wireframe"), give_to_singleplayer = false })

-- builtin privileges.lua: holders of the administrative privileges may join past max_users
core.register_can_bypass_userlimit(function(name)
	local privs = core.get_player_privs(name)
	return privs["server"] or privs["ban"] or privs["privs"] or privs["password"]
end)

---------------------------------------------------------------------------------------------------
-- Authentication: the builtin handler over an in-memory store (the engine's core.auth).

I.auth = {}      -- name -> {id, name, password, privileges = {priv = true}, last_login}
local auth_ids = 0

local function copy_privs(privs)
	local out = {}
	for k in pairs(privs) do
		out[k] = true
	end
	return out
end

core.builtin_auth_handler = {
	get_auth = function(name)
		assert(type(name) == "string")
		local entry = I.auth[name]
		if not entry then
			return nil
		end
		local privileges = copy_privs(entry.privileges)
		-- a dedicated server: the admin (setting "name") gets the give_to_admin privileges
		if name == setting("name") then
			for priv, def in pairs(core.registered_privileges) do
				if def.give_to_admin then
					privileges[priv] = true
				end
			end
		end
		return { password = entry.password, privileges = privileges, last_login = entry.last_login }
	end,
	-- Returns a copy of the new entry with its database id, as the engine's core.auth.create does.
	create_auth = function(name, password)
		assert(type(name) == "string")
		assert(type(password) == "string")
		I.log("info", "Built-in authentication handler adding player '" .. name .. "'")
		auth_ids = auth_ids + 1
		local entry = { id = auth_ids, name = name, password = password,
			privileges = privs_from_string(setting("default_privs") or "interact, shout"), last_login = -1 }
		I.auth[name] = entry
		return { id = entry.id, name = name, password = password, privileges = copy_privs(entry.privileges),
			last_login = -1 }
	end,
	delete_auth = function(name)
		assert(type(name) == "string")
		if not I.auth[name] then
			return false
		end
		I.log("info", "Built-in authentication handler deleting player '" .. name .. "'")
		I.auth[name] = nil
		return true
	end,
	set_password = function(name, password)
		assert(type(name) == "string")
		assert(type(password) == "string")
		if not I.auth[name] then
			core.builtin_auth_handler.create_auth(name, password)
		else
			I.log("info", "Built-in authentication handler setting password of player '" .. name .. "'")
			I.auth[name].password = password
		end
		return true
	end,
	set_privileges = function(name, privileges)
		assert(type(name) == "string")
		assert(type(privileges) == "table")
		if not I.auth[name] then
			core.builtin_auth_handler.create_auth(name, "")
		end
		-- No on_grant/on_revoke callbacks: 5.6.1's handler compares the new table with itself (it
		-- stores it first), so its callback loops never fire. /grant and /revoke run them.
		I.auth[name].privileges = copy_privs(privileges)
		core.notify_authentication_modified(name)
	end,
	reload = function()
		return true
	end,
	record_login = function(name)
		assert(type(name) == "string")
		local entry = I.auth[name]
		assert(entry)
		entry.last_login = I.wall_time()
	end,
	iterate = function()
		local names = {}
		for name in pairs(I.auth) do
			names[name] = true
		end
		return pairs(names)
	end,
}

function core.notify_authentication_modified()
end

-- Refuse a new name that differs from an existing account only in case (builtin auth.lua).
core.register_on_prejoinplayer(function(name)
	if core.registered_auth_handler ~= nil or I.auth[name] ~= nil then
		return
	end
	local lower = slower(name)
	for k in core.builtin_auth_handler.iterate() do
		if slower(k) == lower then
			return H.string.format("\nCannot create new player called '%s'. Another account called '%s' is "
				.. "already registered. Please check the spelling if it's your account or use a different "
				.. "nickname.", name, k)
		end
	end
end)

function core.register_authentication_handler(handler)
	if core.registered_auth_handler then
		error("Add-on authentication handler already registered by " .. tostring(core.registered_auth_handler_modname))
	end
	core.registered_auth_handler = handler
	core.registered_auth_handler_modname = core.get_current_modname()
	handler.mod_origin = core.registered_auth_handler_modname
end

function core.get_auth_handler()
	return core.registered_auth_handler or core.builtin_auth_handler
end

local function auth_pass(method)
	return function(...)
		local handler = core.get_auth_handler()
		if handler[method] then
			return handler[method](...)
		end
		return false
	end
end

core.set_player_password = auth_pass("set_password")
core.set_player_privs = auth_pass("set_privileges")
core.remove_player_auth = auth_pass("delete_auth")
core.auth_reload = auth_pass("reload")

local record_login = auth_pass("record_login")
core.register_on_joinplayer(function(player)
	record_login(player:get_player_name())
end)

-- C++ side of the auth bridge: usable only once the server environment exists.
local function auth_ready()
	if I.phase ~= "run" then
		error("Attempt to access an auth function but the auth system is yet not initialized. This causes bugs.", 0)
	end
end

function core.get_player_privs(name)
	if type(name) ~= "string" and type(name) ~= "number" then
		error("bad argument #1 to 'get_player_privs' (string expected, got " .. type(name) .. ")", 0)
	end
	auth_ready()
	local entry = core.get_auth_handler().get_auth(tostring(name))
	local privs = {}
	if type(entry) == "table" and type(entry.privileges) == "table" then
		for k, v in pairs(entry.privileges) do
			if v then
				privs[k] = true
			end
		end
	end
	return privs
end

function core.check_player_privs(name, ...)
	if core.is_player(name) then
		name = name:get_player_name()
	elseif type(name) ~= "string" then
		error("core.check_player_privs expects a player or playername as argument.", 2)
	end
	local requested = { ... }
	local have = core.get_player_privs(name)
	local missing = {}
	if type(requested[1]) == "table" then
		for priv, value in pairs(requested[1]) do
			if value and not have[priv] then
				missing[#missing + 1] = priv
			end
		end
	else
		for _, priv in pairs(requested) do
			if not have[priv] then
				missing[#missing + 1] = priv
			end
		end
	end
	if #missing > 0 then
		return false, missing
	end
	return true, ""
end

local check_string = I.check_string

-- translate_password (src/util/auth.cpp): the legacy hash, base64 of SHA-1 over name .. password;
-- an empty password hashes to "".
local function legacy_hash(name, password)
	if password == "" then
		return ""
	end
	return core.encode_base64(core.sha1(name .. password, true))
end

function core.get_password_hash(name, raw_password)
	return legacy_hash(check_string(name, 1), check_string(raw_password, 2))
end

-- base64_is_valid (src/util/base64.cpp): base64 characters, then only "=".
local function base64_valid(s)
	return smatch(s, "^[%w%+/]*=*$") ~= nil
end

-- l_check_password_entry: a legacy entry is compared with the password's legacy hash; an SRP entry
-- ("#1#salt#verifier") needs its verifier recomputed, which the emulation does not do (every entry
-- it writes is legacy, as builtin's set_password writes them), so a password never matches one;
-- anything else is logged as an invalid format and does not match.
function core.check_password_entry(name, entry, password)
	name, entry, password = check_string(name, 1), check_string(entry, 2), check_string(password, 3)
	if base64_valid(entry) then
		return legacy_hash(name, password) == entry
	end
	local parts = {}
	for part in gmatch(entry .. "#", "([^#]*)#") do
		parts[#parts + 1] = part
	end
	if #parts ~= 4 or parts[2] ~= "1" or not base64_valid(parts[3]) or not base64_valid(parts[4]) then
		local message = "Invalid password format for " .. name
		I.diag("warning", message, I.mod_frame(2) or {})
		I.emit("WARNING[" .. (I.phase == "run" and "Server" or "Main") .. "]: " .. message)
		return false
	end
	return false
end

-- Host side: the privileges of a player as a sorted list (reports, checks).
function I.player_privs_list(name)
	local entry = I.auth[name]
	return entry and sorted_names(entry.privileges) or {}
end

I.privs_from_string = privs_from_string
I.sorted_names = sorted_names
