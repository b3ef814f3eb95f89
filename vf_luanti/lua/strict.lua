-- strict.lua: the mods' global table warns about undeclared globals, as the engine's does.
-- Reading an undeclared global gives nil and a warning; creating a global inside a function (not at
-- a chunk's top level) warns. Neither is an error. Each warning is given once per source, line and
-- name, logged as the engine logs it ("WARNING[Main]: ...") and recorded as a diagnostic.
-- Accesses from emulation code (chunks named "@builtin/...") never warn: they are not the mod's.
local core, I = ...
local H = I.host
local G = I.G
local type, tostring, rawget, rawset, getinfo = H.type, H.tostring, H.rawget, H.rawset, H.debug.getinfo
local sformat, ssub = H.string.format, H.string.sub

local declared = {}

-- Where the access happened: the full chunk path (the engine prints LuaJIT's short_src, which is
-- the same path unless it is over 60 bytes, when LuaJIT cuts it to "...<tail>").
local function location(info)
	local src = info.source
	return H.string.sub(src, 1, 1) == "@" and H.string.sub(src, 2) or info.short_src
end
local warned = {}

-- `info` is the accessing function's frame (getinfo level 2 inside a metamethod).
local function warn(info, name, message)
	local key = info.source .. "\0" .. tostring(info.currentline) .. "\0" .. tostring(name)
	if warned[key] then
		return
	end
	warned[key] = true
	I.diag("warning", message, I.mod_frame(3) or { file = info.short_src, line = info.currentline })
	I.emit("WARNING[Main]: " .. message)
end

local function from_mod(info)
	return info and info.what ~= "C" and ssub(info.source, 1, 9) ~= "@builtin/"
end

H.setmetatable(G, {
	__newindex = function(t, name, value)
		-- Engine quirk (5.6): a name once declared is never stored again through this path, so after
		-- `x = nil` a later `x = 1` leaves x nil.
		if declared[name] then
			return
		end
		local info = getinfo(2, "Sl")
		if from_mod(info) and info.what ~= "main" then
			warn(info, name, sformat("Assignment to undeclared global %q inside a function at %s:%d.",
				tostring(name), location(info), info.currentline))
		end
		rawset(t, name, value)
		declared[name] = true
	end,
	__index = function(_, name)
		if declared[name] then
			return nil
		end
		local info = getinfo(2, "Sl")
		if from_mod(info) then
			warn(info, name, sformat("Undeclared global variable %q accessed at %s:%s",
				tostring(name), location(info), tostring(info.currentline)))
		end
		return nil
	end,
})

function core.global_exists(name)
	if type(name) ~= "string" then
		H.error("core.global_exists: " .. tostring(name) .. " is not a string")
	end
	return rawget(G, name) ~= nil
end
