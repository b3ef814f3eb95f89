-- strict.lua: the mods' global table warns about undeclared globals, as the engine's does.
-- Reading an undeclared global gives nil and a warning; creating a global inside a function (not at
-- a chunk's top level) warns. Neither is an error. Each warning is given once per source, line and
-- name, logged as the engine logs it ("WARNING[Main]: ...") and recorded as a diagnostic.
-- Accesses from emulation code (I.is_engine_source: the engine's builtin paths, names mods cannot
-- give their code, sandbox.lua) never warn: they are not the mod's.
--
-- The engine lets a mod replace or change this metatable (setmetatable(_G, ...), or assigning into
-- getmetatable(_G)); so does the emulation, but as a finding: it switches the undeclared-global
-- checks off and can hide the mod's globals (a __newindex that stores them elsewhere), so every
-- such change is recorded as a warning naming the mod, and I.global_names() reports it to the judge.
local core, I = ...
local H = I.host
local G = I.G
local type, tostring, rawget, rawset, rawequal, getinfo = H.type, H.tostring, H.rawget, H.rawset, H.rawequal,
	H.debug.getinfo
local next, getmetatable, setmetatable = H.next, H.debug.getmetatable, H.setmetatable
local sformat, ssub, sort = H.string.format, H.string.sub, H.table.sort

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
	return info and info.what ~= "C" and not I.is_engine_source(info.source)
end

local strict_meta = {
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
}
setmetatable(G, strict_meta)

-- Take a global back out as if it had never been declared (versions.lua: a name newer than the
-- target version), so reading it warns as on a server that never had it.
function I.undeclare_global(name)
	rawset(G, name, nil)
	declared[name] = nil
end
local strict_index, strict_newindex = strict_meta.__index, strict_meta.__newindex

-- _G's metatable as last seen: the metatable and the two fields that govern global access.
local known_meta, known_index, known_newindex

local function remember(mt)
	known_meta = mt
	known_index = mt and rawget(mt, "__index")
	known_newindex = mt and rawget(mt, "__newindex")
end
remember(strict_meta)

local function changed(mt)
	return mt ~= known_meta or (mt ~= nil and (rawget(mt, "__index") ~= known_index
		or rawget(mt, "__newindex") ~= known_newindex))
end

local function record_change(where)
	I.diag("warning", sformat("mod '%s' replaced the metatable of the global environment (_G); "
		.. "undeclared-global checks no longer apply", tostring(where.mod or I.current_mod or "??")), where)
end

-- Whether _G's metatable changed in place since last seen (a mod assigned into getmetatable(_G));
-- if so, record it. `f`, when given, is the mod code that just ran (I.protected_call): the finding
-- names its file.
function I.check_global_meta(f)
	local mt = getmetatable(G)
	if not changed(mt) then
		return
	end
	remember(mt)
	record_change(I.defined_where(f))
end

-- Where mod function `f` is defined ({mod, file, line}; {} for engine code or no function): the place
-- a finding about what the mod code just did names.
function I.defined_where(f)
	local src = type(f) == "function" and getinfo(f, "S")
	if src and I.is_mod_source(src.source) then
		local file = ssub(src.source, 2)
		return { mod = I.mod_of_file(file), file = file, line = src.linedefined }
	end
	return {}
end

-- The mods' setmetatable: a replacement of _G's metatable is recorded where the mod makes it. The
-- call stays a tail call, so its argument errors read as the engine's. A C function in the engine.
G.setmetatable = I.mark_c(function(t, mt)
	if rawequal(t, G) and (mt == nil or type(mt) == "table") then
		local cur = getmetatable(G)
		if cur == nil or rawget(cur, "__metatable") == nil then -- else setmetatable refuses
			I.check_global_meta()
			if mt ~= cur then
				remember(mt)
				record_change(I.mod_frame() or {})
			end
		end
	end
	return setmetatable(t, mt)
end)

-- The global names in the mods' environment, read with the host's next (a mod can replace pairs,
-- next and _G's metatable, not this), sorted; and whether _G's metatable is no longer the one this
-- file installed (then globals may live where no listing sees them: the judge counts that as new).
function I.global_names()
	I.check_global_meta()
	local names = {}
	for k in next, G do
		if type(k) == "string" then
			names[#names + 1] = k
		end
	end
	sort(names)
	return names, known_meta ~= strict_meta or known_index ~= strict_index or known_newindex ~= strict_newindex
end

-- For the judge: JSON {ok, names, metatable_replaced} (I.global_names).
I.api = I.api or {}
function I.api.global_names()
	local names, replaced = I.global_names()
	return I.to_json({ ok = true, names = names, metatable_replaced = replaced })
end

function core.global_exists(name)
	if type(name) ~= "string" then
		H.error("core.global_exists: " .. tostring(name) .. " is not a string")
	end
	return rawget(G, name) ~= nil
end
