-- strict.lua: the mods' global table warns about undeclared globals, as the engine's does.
-- Reading an undeclared global gives nil and a warning; creating a global inside a function (not at
-- a chunk's top level) warns. Neither is an error. Each warning is given once per location.
local core, I = ...
local H = I.host
local G = I.G
local type, tostring, rawget, rawset, getinfo = H.type, H.tostring, H.rawget, H.rawset, H.debug.getinfo
local sformat = H.string.format

local declared = {}

local function warn(info, key, message)
	local where = I.mod_frame(3) or { file = info.short_src, line = info.currentline }
	I.warn_once(key, message, where)
	I.emit("WARNING[Main]: " .. message)
end

H.setmetatable(G, {
	__newindex = function(t, name, value)
		if not declared[name] then
			local info = getinfo(2, "Sl")
			if info and info.what ~= "main" and info.what ~= "C" then
				warn(info, "newglobal:" .. tostring(name), sformat(
					"Assignment to undeclared global %q inside a function at %s:%d.",
					tostring(name), info.short_src, info.currentline))
			end
			declared[name] = true
		end
		rawset(t, name, value)
	end,
	__index = function(_, name)
		if declared[name] then
			return nil
		end
		local info = getinfo(2, "Sl")
		if info and info.what ~= "C" then
			warn(info, "undeclared:" .. tostring(name), sformat("Undeclared global variable %q accessed at %s:%s",
				tostring(name), info.short_src, tostring(info.currentline)))
		end
		return nil
	end,
})

function core.global_exists(name)
	if type(name) ~= "string" then
		H.error("core.global_exists: " .. tostring(name) .. " is not a string", 2)
	end
	return rawget(G, name) ~= nil
end
