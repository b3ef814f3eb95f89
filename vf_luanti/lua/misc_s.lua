-- misc_s.lua: builtin's server-and-async helpers (engine: builtin/game/misc_s.lua): a position read
-- from a setting, and the safety wrapper around the C PNG encoder (compress.lua).
local core, I = ...
local H = I.host

-- A setting holding "(x,y,z)" (or "x,y,z") as a position; nil when unset or unreadable.
function core.setting_get_pos(name)
	local value = core.settings:get(name)
	if not value then
		return nil
	end
	return core.string_to_pos(value)
end
