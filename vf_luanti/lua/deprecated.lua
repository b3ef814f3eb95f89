-- deprecated.lua: deprecated names real mods still use (engine: builtin/game/deprecated.lua).
-- Each use logs the engine's deprecation warning once per location, with the mod's file:line.
local core, I = ...
local H = I.host
local type, rawget, rawset = H.type, H.rawget, H.rawset

-- The engine's log_deprecated: a WARNING naming where the call came from (once per location).
function I.deprecated(message, level)
	local where = I.mod_frame((level or 2) + 1) or {}
	local k = "deprecated:" .. message
	local suffix = where.file and (" (at " .. where.file .. ":" .. H.tostring(where.line) .. ")") or ""
	if not I.warned_at[k .. suffix] then
		I.warned_at[k .. suffix] = true
		I.diag("warning", message, where)
		I.emit("WARNING[Main]: " .. message .. suffix)
	end
end

-- The two ways 5.6.1's C++ API reports a deprecated call, as WARNING lines of the thread running it
-- ("Server" once the server runs). Both name the innermost mod frame.
local function thread()
	return I.phase == "run" and "Server" or "Main"
end

-- The engine names the method's immediate caller: "[C]:-1" when that is pcall or another C function.
local function caller_location(where, skip)
	local info = H.debug.getinfo(4 + (skip or 0), "S")
	if info and info.what == "C" then
		return "[C]:-1"
	end
	return where.file and (where.file .. ":" .. H.tostring(where.line))
end

-- "Call to deprecated function 'old', please use 'new' at file:line": once per location and
-- thread, whichever deprecated function it calls (5.6.1 keeps one list of logged locations).
function I.deprecated_function(old, new)
	local where = I.mod_frame(3) or {}
	local message = "Call to deprecated function '" .. old .. "', please use '" .. new .. "'"
	local loc = caller_location(where)
	local suffix = loc and (" at " .. loc) or ""
	local k = "deprecated_function:" .. thread() .. ":" .. (loc or "")
	if not I.warned_at[k] then
		I.warned_at[k] = true
		I.diag("warning", message, where)
		I.emit("WARNING[" .. thread() .. "]: " .. message .. suffix)
	end
end

-- log_deprecated(L, "message"): "message (at file:line)" on every call. `skip`: further frames
-- between the deprecated function and the caller to name (core.log("deprecated", ...) names its
-- caller's caller).
function I.deprecated_call(message, skip)
	local where = I.mod_frame(3 + (skip or 0)) or {}
	local loc = caller_location(where, skip)
	local suffix = loc and (" (at " .. loc .. ")") or ""
	I.diag("warning", message, where)
	I.emit("WARNING[" .. thread() .. "]: " .. message .. suffix)
end

-- core.env: the old EnvRef; core.env:f(...) forwards to core.f(...).
local env_warned = false
local function env_index(t, key)
	if not env_warned then
		env_warned = true
		I.deprecated("core.env:[...] is deprecated and should be replaced with core.[...]")
	end
	local f = core[key]
	if type(f) == "function" then
		rawset(t, key, function(_, ...)
			return f(...)
		end)
	end
	return rawget(t, key)
end
local env_meta = { __index = env_index }
local env = H.setmetatable({}, env_meta)
core.env = env

-- The judge's watch on core.env (a finding, not an engine message): the engine lets a mod replace
-- the table, its metatable or its __index, which silences the warning of every later use of the
-- deprecated object; so the change itself counts as a deprecation finding, named where the mod
-- code that made it is defined. Checked after each run of mod code (I.protected_call), once.
local env_changed = false
function I.check_env_meta(f)
	if env_changed then
		return
	end
	local mt = H.rawequal(rawget(core, "env"), env) and H.debug.getmetatable(env)
	if H.rawequal(mt, env_meta) and rawget(env_meta, "__index") == env_index and H.next(env_meta, "__index") == nil
		and H.next(env_meta) == "__index" then
		return
	end
	env_changed = true
	local where = I.defined_where(f)
	I.diag("warning", "mod '" .. H.tostring(where.mod or I.current_mod or "??") .. "' changed core.env or its "
		.. "metatable: uses of the deprecated core.env are no longer reported", where)
end

function core.rollback_get_last_node_actor(pos, range, seconds)
	return core.rollback_get_node_actions(pos, range, seconds, 1)[1]
end

local function setting_proxy(method)
	return function(...)
		I.deprecated("WARNING: minetest.setting_* functions are deprecated.  Use methods on the minetest.settings object.")
		local settings = rawget(core, "settings")
		return settings[method](settings, ...)
	end
end

core.setting_set = setting_proxy("set")
core.setting_get = setting_proxy("get")
core.setting_setbool = setting_proxy("set_bool")
core.setting_getbool = setting_proxy("get_bool")
core.setting_save = setting_proxy("write")

function core.register_on_auth_fail(func)
	I.deprecated("core.register_on_auth_fail is deprecated and should be replaced by core.register_on_authplayer instead.")
	core.register_on_authplayer(function(player_name, ip, is_success)
		if not is_success then
			func(player_name, ip)
		end
	end)
end
