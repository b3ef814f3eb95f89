-- rollback.lua: the rollback API (engine: src/script/lua_api/l_rollback.cpp) on a server that does
-- not record rollback (enable_rollback_recording is off by default, and the emulation records
-- nothing): after reading its arguments, get_node_actions has no manager to ask and returns no
-- value at all; a revert reverts nothing and says so (false and an empty log).
local core, I = ...

-- luaL_checknumber / luaL_checkstring: the engine's argument errors (values read, then unused).
local check_int, check_string = I.check_int, I.check_string

function core.rollback_get_node_actions(pos, range, seconds, limit)
	I.check_pos(pos, "rollback_get_node_actions")
	check_int(range, 2)
	check_int(seconds, 3)
	check_int(limit, 4)
end

function core.rollback_revert_actions_by(actor, seconds)
	check_string(actor, 1)
	check_int(seconds, 2)
	return false, {}
end
