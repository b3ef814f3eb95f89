-- chunks.lua: the chunk name each emulation file runs under, read by vf_luanti/runtime.py (which
-- compiles the files) and bootstrap.lua.
--
-- The installed 5.6.1 server names its builtin files by their path ("@/usr/share/games/minetest/
-- builtin/game/item.lua"), and a mod sees that name in debug.getinfo, tracebacks and error messages.
-- A file that mirrors builtin Lua runs under that file's name. A file that mirrors C++ (or is host
-- side) runs under its own name in the same directory: mods see its functions as C functions and
-- its frames never (sandbox.lua), so the name shows nowhere. Every emulation chunk name starts with
-- PREFIX; sandbox.lua's I.is_engine_source is the one place that reads it as provenance.
local PREFIX = "@/usr/share/games/minetest/builtin/"

-- Emulation file -> the builtin file it mirrors (the one holding most of its Lua-side functions).
local MIRRORS = {
	["diag.lua"] = "init.lua",
	["strict.lua"] = "common/strict.lua",
	["vector.lua"] = "common/vector.lua",
	["misc_helpers.lua"] = "common/misc_helpers.lua",
	["serialize.lua"] = "common/serialize.lua",
	["settings.lua"] = "common/mod_storage.lua",
	["register.lua"] = "game/register.lua",
	["privileges.lua"] = "game/privileges.lua",
	["chatcommands.lua"] = "common/chatcommands.lua",
	["inventory.lua"] = "game/detached_inventory.lua",
	["voxel.lua"] = "game/voxelarea.lua",
	["item.lua"] = "game/item.lua",
	["after.lua"] = "common/after.lua",
	["misc.lua"] = "game/misc.lua",
	["misc_s.lua"] = "game/misc_s.lua",
	["deprecated.lua"] = "game/deprecated.lua",
	["async.lua"] = "game/async.lua",
	["falling.lua"] = "game/falling.lua",
	["information_formspecs.lua"] = "common/information_formspecs.lua",
	["forceloading.lua"] = "game/forceloading.lua",
	["statbars.lua"] = "game/statbars.lua",
}

return {
	prefix = PREFIX,
	-- The chunk name of emulation file `file` (a name in vf_luanti/lua).
	name = function(file)
		return PREFIX .. (MIRRORS[file] or "game/" .. file)
	end,
	-- Whether the file's frames are shown to mods: it mirrors builtin Lua, and is not diag.lua (only
	-- its print is builtin Lua, which calls no mod code; its frames are the host's protected calls).
	shown = function(file)
		return MIRRORS[file] ~= nil and file ~= "diag.lua"
	end,
}
