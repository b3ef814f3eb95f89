-- sandbox.lua: the secure global environment mods run in (engine: cpp_api/s_security.cpp).
--
-- Mods get copies of the standard libraries with the engine's allow-list, a `load` that takes only
-- functions, `loadstring` that refuses bytecode, `dofile`/`loadfile`/`io.open` that read from the
-- virtual file system Python fills (only mod directories and the world directory exist there),
-- and no `require`. The host globals (I.host) stay out of reach.
local core, I = ...
local H = I.host
local G = I.G

local type, pairs, next, tostring, error = H.type, H.pairs, H.next, H.tostring, H.error
local sfind, ssub = H.string.find, H.string.sub

local function copy_fields(src, names)
	local t = {}
	for _, n in H.ipairs(names) do
		t[n] = src[n]
	end
	return t
end

local function copy_all(src)
	local t = {}
	for k, v in pairs(src) do
		t[k] = v
	end
	return t
end

-- Base functions the engine copies into the secure environment.
for _, n in H.ipairs({
	"assert", "collectgarbage", "error", "getfenv", "getmetatable", "ipairs", "next", "pairs",
	"pcall", "rawequal", "rawget", "rawset", "select", "setfenv", "setmetatable", "tonumber",
	"tostring", "type", "unpack", "xpcall",
}) do
	G[n] = H[n]
end
G._VERSION = H._VERSION
G._G = G
G.DIR_DELIM = "/"
G.INIT = "game"

-- Whole libraries, shallow-copied so that additions (string.split, table.copy, ...) go to the copy.
G.string = copy_all(H.string)
G.table = copy_all(H.table)
G.math = copy_all(H.math)
G.coroutine = copy_all(H.coroutine)
G.bit = copy_all(H.bit)
G.jit = copy_fields(H.jit, { "arch", "flush", "off", "on", "opt", "os", "status", "version", "version_num" })
G.os = copy_fields(H.os, { "clock", "date", "difftime", "getenv", "time" })
G.debug = copy_fields(H.debug, { "debug", "gethook", "getinfo", "sethook", "traceback", "upvalueid" })
G.package = { config = H.package.config, path = "", cpath = "" }
G.package.searchpath = function()
	return nil, "package.searchpath is not available"
end

-- The string metatable's __index points at the mods' string table, as in the engine.
I.string_meta = H.getmetatable("")
I.string_meta.__index = G.string

-- Virtual file system: absolute path -> file contents. Python fills it before mods load; writes by
-- mods (io.open "w", safe_file_write) land here too, so nothing touches the real disk.
I.vfs = {}

-- Path access rules (engine checkPath, simplified to the directories that exist in the VFS):
-- read any loaded mod's directory and the world; write the world and the current mod's directory.
function I.normalize_path(path)
	if type(path) ~= "string" then
		return nil
	end
	local parts = {}
	for part in path:gmatch("[^/]+") do
		if part == ".." then
			if #parts == 0 then
				return nil
			end
			parts[#parts] = nil
		elseif part ~= "." then
			parts[#parts + 1] = part
		end
	end
	return "/" .. H.table.concat(parts, "/")
end

local function under(path, dir)
	return dir ~= nil and (path == dir or ssub(path, 1, #dir + 1) == dir .. "/")
end

function I.may_read(path)
	if under(path, I.worldpath) then
		return true
	end
	for _, mod in pairs(I.mods or {}) do
		if under(path, mod.path) then
			return true
		end
	end
	return false
end

function I.may_write(path)
	if under(path, I.worldpath) then
		return not (under(path, I.worldpath .. "/worldmods") or under(path, I.worldpath .. "/game"))
	end
	local mod = I.mods and I.current_mod and I.mods[I.current_mod]
	return mod ~= nil and under(path, mod.path)
end

function I.read_file(path)
	local p = I.normalize_path(path)
	if not p or not I.may_read(p) then
		return nil, "Mod security: Blocked attempted read from " .. tostring(path)
	end
	local data = I.vfs[p]
	if data == nil then
		return nil, tostring(path) .. ": No such file or directory"
	end
	return data
end

-- Compile mod source text. Bytecode is refused exactly as the engine does.
local function compile(text, chunkname)
	if type(text) == "string" and ssub(text, 1, 1) == "\27" then
		return nil, "Bytecode prohibited when mod security is enabled."
	end
	local f, err = H.loadstring(text, chunkname)
	if not f then
		return nil, err
	end
	H.setfenv(f, G)
	return f
end
I.compile = compile

G.loadstring = function(text, chunkname)
	if type(text) ~= "string" then
		error("bad argument #1 to 'loadstring' (string expected, got " .. type(text) .. ")", 2)
	end
	return compile(text, chunkname or text)
end

G.load = function(fn, chunkname)
	if type(fn) ~= "function" then
		error("bad argument #1 to 'load' (function expected, got " .. type(fn) .. ")", 2)
	end
	local parts = {}
	while true do
		local piece = fn()
		if piece == nil or piece == "" then
			break
		end
		if type(piece) ~= "string" then
			return nil, "reader function must return a string"
		end
		parts[#parts + 1] = piece
	end
	return compile(H.table.concat(parts), chunkname or "=(load)")
end

G.loadfile = function(path)
	local text, err = I.read_file(path)
	if not text then
		return nil, err
	end
	return compile(text, "@" .. I.normalize_path(path))
end

G.dofile = function(path)
	local text, err = I.read_file(path)
	if not text then
		error(err, 0)
	end
	local f, cerr = compile(text, "@" .. I.normalize_path(path))
	if not f then
		error(cerr, 0)
	end
	return f()
end

G.require = function()
	error("require() is disabled when mod security is on.", 2)
end

-- io: file handles over the VFS. Reading returns the stored text; writing replaces it on close.
local File = {}
File.__index = File

function File:read(fmt)
	fmt = fmt or "*l"
	if self.closed then
		error("attempt to use a closed file", 2)
	end
	local data, pos = self.data, self.pos
	if fmt == "*a" or fmt == "a" or fmt == "*all" then
		self.pos = #data + 1
		return ssub(data, pos)
	end
	if pos > #data then
		return nil
	end
	if type(fmt) == "number" then
		self.pos = pos + fmt
		return ssub(data, pos, pos + fmt - 1)
	end
	if fmt == "*n" or fmt == "n" then
		local s, e = sfind(data, "^%s*[-+]?%d*%.?%d+[eE]?[-+]?%d*", pos)
		if not s then
			return nil
		end
		self.pos = e + 1
		return H.tonumber(ssub(data, s, e))
	end
	local nl = sfind(data, "\n", pos, true)
	local line = ssub(data, pos, (nl or #data + 1) - 1)
	self.pos = (nl or #data) + 1
	if fmt == "*L" or fmt == "L" then
		return line .. (nl and "\n" or "")
	end
	return line
end

function File:lines()
	return function()
		return self:read("*l")
	end
end

function File:write(...)
	if not self.writable then
		return nil, "file not opened for writing"
	end
	for i = 1, H.select("#", ...) do
		self.buf[#self.buf + 1] = tostring((H.select(i, ...)))
	end
	return self
end

function File:seek()
	return self.pos - 1
end

function File:flush()
	if self.writable then
		I.vfs[self.path] = H.table.concat(self.buf)
	end
	return true
end

function File:setvbuf()
	return true
end

function File:close()
	self:flush()
	self.closed = true
	return true
end

local function io_open(path, mode)
	mode = mode or "r"
	local p = I.normalize_path(path)
	local writing = sfind(mode, "[wa+]") ~= nil
	if not p or (writing and not I.may_write(p)) or (not writing and not I.may_read(p)) then
		error("Mod security: Blocked attempted " .. (writing and "write to " or "read from ") .. tostring(path), 2)
	end
	if not writing and I.vfs[p] == nil then
		return nil, tostring(path) .. ": No such file or directory", 2
	end
	local f = H.setmetatable({ path = p, data = I.vfs[p] or "", pos = 1, buf = {}, writable = writing }, File)
	if sfind(mode, "a") then
		f.buf[1] = I.vfs[p] or ""
	end
	if sfind(mode, "w") then
		I.vfs[p] = ""
	end
	return f
end

G.io = {
	open = io_open,
	lines = function(path)
		local f, err = io_open(path, "r")
		if not f then
			error(err, 2)
		end
		return f:lines()
	end,
	close = function(f)
		return f:close()
	end,
	type = function(f)
		if H.getmetatable(f) == File then
			return f.closed and "closed file" or "file"
		end
		return nil
	end,
	write = function(...)
		return G.print(...)
	end,
	read = function()
		return nil
	end,
	flush = function() end,
}

G.os.remove = function(path)
	local p = I.normalize_path(path)
	if not p or not I.may_write(p) then
		error("Mod security: Blocked attempted write to " .. tostring(path), 2)
	end
	if I.vfs[p] == nil then
		return nil, tostring(path) .. ": No such file or directory", 2
	end
	I.vfs[p] = nil
	return true
end

G.os.rename = function(from, to)
	local a, b = I.normalize_path(from), I.normalize_path(to)
	if not a or not I.may_write(a) then
		error("Mod security: Blocked attempted write to " .. tostring(from), 2)
	end
	if not b or not I.may_write(b) then
		error("Mod security: Blocked attempted write to " .. tostring(to), 2)
	end
	if I.vfs[a] == nil then
		return nil, tostring(from) .. ": No such file or directory", 2
	end
	I.vfs[b], I.vfs[a] = I.vfs[a], nil
	return true
end

G.os.setlocale = function()
	return "C"
end

-- The engine namespace and its alias.
G.core = core
G.minetest = core
G.vector = { metatable = {} }
