-- diag.lua: diagnostics, core.log and print.
--
-- Every error and warning the emulation reports carries the mod, file and line of the mod code that
-- caused it (the first stack frame in a mod file), and the message text the engine would print,
-- without the "path:line: " prefix (that goes into file/line).
local core, I = ...
local H = I.host
local G = I.G
local type, tostring, tonumber = H.type, H.tostring, H.tonumber
local getinfo = H.debug.getinfo
local ssub, smatch, sformat = H.string.sub, H.string.match, H.string.format

I.errors = {}
I.warnings = {}
I.output = {}            -- print() and core.log lines, capped
I.output_bytes = 0
I.OUTPUT_LIMIT = 64 * 1024

-- Which mod a source path belongs to (the longest mod path that contains it).
function I.mod_of_file(path)
	local best, best_len = nil, -1
	for name, mod in H.pairs(I.mods or {}) do
		local p = mod.path
		if (path == p or ssub(path, 1, #p + 1) == p .. "/") and #p > best_len then
			best, best_len = name, #p
		end
	end
	return best
end

-- Whether a chunk name is mod code (an "@path" that is not one of the emulation's own files).
local function is_mod_source(src)
	return type(src) == "string" and ssub(src, 1, 1) == "@" and not I.is_engine_source(src)
end
I.is_mod_source = is_mod_source

-- The innermost frame running mod code, starting `level` frames up from the caller.
function I.mod_frame(level)
	level = (level or 1) + 1
	while true do
		local info = getinfo(level, "Sl")
		if not info then
			return nil
		end
		if is_mod_source(info.source) then
			local file = ssub(info.source, 2)
			return { mod = I.mod_of_file(file), file = file, line = info.currentline }
		end
		level = level + 1
	end
end

-- Whether a path in a message is the emulation's (a chunk name without "@"; LuaJIT shortens one over
-- 60 bytes to "...<tail>", and mod files were looked up before).
local function engine_path(path)
	return I.is_engine_source("@" .. path) or (ssub(path, 1, 3) == "..." and H.string.find(path, "/builtin/", 1, true) ~= nil)
end

-- Split "path:line: message" into its parts when the path is a chunk we know (mod file or builtin).
-- LuaJIT shortens chunk names over 60 bytes to "...<tail>" in messages (as in the engine); the full
-- path of a mod file is recovered from the virtual file system.
function I.split_location(msg)
	local path, line, rest = smatch(msg, "^([^\n]-):(%d+): (.*)$")
	if path and ssub(path, 1, 3) == "..." then
		local tail = ssub(path, 4)
		for p in H.pairs(I.vfs) do
			if ssub(p, -#tail) == tail then
				path = p
				break
			end
		end
	end
	if path and (ssub(path, 1, 1) == "/" or I.mod_of_file(path) or engine_path(path)) then
		return path, tonumber(line), rest
	end
	return nil, nil, msg
end

-- I.errors and I.warnings hold distinct diagnostics in first-seen order (Python reads them from an
-- index on), each with `count`: a repeat of the same mod, file, line and message only counts up,
-- so a flood of one diagnostic cannot push later ones out. At most DISTINCT_LIMIT distinct entries
-- are kept (memory); the first one past it adds one overflow entry (an overflow is a finding too)
-- whose message ends with how many distinct diagnostics were not recorded, and later ones count
-- up there. Callers may rewrite an entry's message after recording it (after.lua adds the engine's
-- "Runtime error from mod ..." prefix), so the overflow count is kept at the end of its message.
local DISTINCT_LIMIT = 1000
local add_entry
local seen = { [I.errors] = {}, [I.warnings] = {} } -- list -> {key -> entry}
local overflow = {}                                  -- list -> its overflow entry

-- Every error recorded, repeats included: I.error_events counts them and I.last_error is the
-- entry of the latest, so a server step that repeats an earlier error is still seen to fail.
I.error_events = 0

local function add(list, rec)
	local entry = add_entry(list, rec)
	if list == I.errors then
		I.error_events = I.error_events + 1
		I.last_error = entry
	end
	return entry
end

add_entry = function(list, rec)
	local key = tostring(rec.mod) .. "\0" .. tostring(rec.file) .. "\0" .. tostring(rec.line) .. "\0"
		.. tostring(rec.message)
	local index = seen[list]
	local old = index[key] or (#list >= DISTINCT_LIMIT and overflow[list])
	if old then
		local n = old.count
		old.count = n + 1
		if old == overflow[list] then
			old.message = ssub(old.message, 1, #old.message - #tostring(n)) .. (n + 1)
		end
		return old
	end
	if #list >= DISTINCT_LIMIT then
		local what = list == I.errors and "errors" or "warnings"
		rec.message = sformat("more than %d distinct %s; distinct %s not recorded: 1", DISTINCT_LIMIT, what, what)
		overflow[list] = rec
	else
		index[key] = rec
	end
	rec.count = 1
	list[#list + 1] = rec
	return rec
end

-- Record a diagnostic. `where` is a frame record ({mod,file,line}) or nil to locate the caller.
-- Returns the entry (an earlier one when this diagnostic repeats it).
function I.diag(kind, message, where)
	where = where or I.mod_frame(2) or {}
	local rec = { mod = where.mod or I.current_mod, file = where.file, line = where.line, message = message }
	return add(kind == "error" and I.errors or I.warnings, rec)
end

-- An error value that is not a string, as text; one whose __tostring itself fails is still an error
-- (the server would crash on it), never a failure of the judge.
function I.describe_error(err)
	local ok, text = H.pcall(tostring, err)
	if ok and type(text) == "string" then
		return text
	end
	return "(error object is a " .. type(err) .. " value)"
end

-- Turn an error raised by Lua code into a diagnostic: the message's own location if it points into
-- a mod file, otherwise the innermost mod frame of the traceback `frame`.
-- A call of a missing API name also gets a hint (I.explain_error, versions.lua).
function I.error_record(err, frame)
	local msg = type(err) == "string" and err or I.describe_error(err)
	local path, line, rest = I.split_location(msg)
	local rec
	if path and not engine_path(path) then
		rec = { mod = I.mod_of_file(path) or I.current_mod, file = path, line = line, message = rest }
	else
		frame = frame or {}
		rec = { mod = frame.mod or I.current_mod, file = frame.file, line = frame.line, message = rest }
	end
	I.explain_error(rec)
	return rec
end

-- xpcall handler: capture the innermost mod frame while the failing stack still exists.
function I.traceback_handler(err)
	return { err = err, frame = I.mod_frame(2) }
end

-- xpcall's results as protected_call hands them on: true and the results without trailing nils
-- (a table only where there are some), or false with the error recorded.
local function settled(f, ok, ...)
	I.check_global_meta(f)
	I.check_env_meta(f)
	if ok then
		local n = H.select("#", ...)
		if n == 0 or H.select(n, ...) ~= nil then
			return true, ...
		end
		local res = { ... }
		return true, H.unpack(res, 1, H.table.maxn(res))
	end
	local caught = ...
	if type(caught) ~= "table" then
		-- LuaJIT skips the handler for out-of-memory; that ends the run (the engine aborts too)
		H.error(caught, 0)
	end
	add(I.errors, I.error_record(caught.err, caught.frame))
	return false
end

-- Run f(...) as the engine runs mod code; on error record it and return false. Afterwards, a change
-- the mod code made to _G's metatable (strict.lua) or to core.env (deprecated.lua) is recorded.
function I.protected_call(f, ...)
	return settled(f, H.xpcall(f, I.traceback_handler, ...))
end

local function emit(line)
	if I.output_bytes >= I.OUTPUT_LIMIT then
		return
	end
	I.output_bytes = I.output_bytes + #line + 1
	I.output[#I.output + 1] = line
end
I.emit = emit

local LEVELS = { none = true, error = true, warning = true, action = true, info = true, verbose = true }

function core.log(level, text)
	if text == nil then
		level, text = "none", level
	end
	if level == "deprecated" then
		-- log_deprecated: a WARNING on every call, naming the caller of core.log's caller.
		I.deprecated_call(tostring(text), 1) -- not a tail call: the frames count
		return
	end
	if type(level) ~= "string" or not LEVELS[level] then
		emit("WARNING[Main]: Tried to log at unknown level '" .. tostring(level) .. "'.  Defaulting to \"none\".")
		level = "none"
	end
	text = tostring(text)
	if level == "error" or level == "warning" then
		I.diag("warning", text)
	end
	emit((level == "none" and "" or level:upper() .. "[Main]: ") .. text)
end

function core.debug(...)
	local parts = {}
	for i = 1, H.select("#", ...) do
		parts[i] = tostring((H.select(i, ...)))
	end
	core.log("none", H.table.concat(parts, "\t"))
end

-- print writes raw lines (no level prefix), as the engine's replacement does.
function G.print(...)
	local parts = {}
	for i = 1, H.select("#", ...) do
		parts[i] = tostring((H.select(i, ...)))
	end
	emit(H.table.concat(parts, "\t"))
end

-- Warnings the engine would print once per location (strict globals, deprecations).
I.warned_at = {}
function I.warn_once(key, message, where)
	where = where or I.mod_frame(2) or {}
	local k = key .. "@" .. tostring(where.file) .. ":" .. tostring(where.line)
	if I.warned_at[k] then
		return
	end
	I.warned_at[k] = true
	I.diag("warning", message, where)
end

