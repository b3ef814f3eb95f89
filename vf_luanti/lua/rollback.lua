-- rollback.lua: the rollback API (engine: src/script/lua_api/l_rollback.cpp) on a server that does
-- not record rollback (enable_rollback_recording is off by default, and the emulation records
-- nothing): after reading its arguments, get_node_actions has no manager to ask and returns no
-- value at all; a revert reverts nothing and says so (false and an empty log).
local core, I = ...
local H = I.host
local type, tonumber, error = H.type, H.tonumber, H.error

-- luaL_checknumber / luaL_checkstring: the engine's argument errors.
local function check(v, argn, what)
	local ok
	if what == "number" then
		ok = tonumber(v) ~= nil and (type(v) == "number" or type(v) == "string")
	else
		ok = type(v) == "string" or type(v) == "number"
	end
	if not ok then
		error("bad argument #" .. argn .. " to '?' (" .. what .. " expected, got "
			.. (v == nil and "no value" or type(v)) .. ")", 0)
	end
end

function core.rollback_get_node_actions(pos, range, seconds, limit)
	I.check_pos(pos, "rollback_get_node_actions")
	check(range, 2, "number")
	check(seconds, 3, "number")
	check(limit, 4, "number")
end

function core.rollback_revert_actions_by(actor, seconds)
	check(actor, 1, "string")
	check(seconds, 2, "number")
	return false, {}
end
