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
local sfind, ssub, smatch = H.string.find, H.string.sub, H.string.match

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

-- The string metatable's __index points at the mods' string table, as in the engine, so string
-- methods a mod adds work with method syntax. getmetatable("") returns a stand-in with the same
-- __index (the __metatable field): a mod that assigns to it cannot re-point method lookup or add
-- operators to every string. The metatable belongs to the Lua state, which may hold several worlds
-- (bootstrap.lua): every call from Python first makes it point at the called world's table.
local string_meta, string_standin = H.debug.getmetatable(""), { __index = G.string }
function I.activate()
	string_meta.__index = G.string
	string_meta.__metatable = string_standin
end
I.activate()

---------------------------------------------------------------------------------------------------
-- Resource guard (docs/sandbox.md). Python passes `guard`: the CPU deadline (absolute os.clock()
-- seconds), the hook interval and the limits below; it reads guard.expired after every call. The
-- engine leaves CPU to the mods; a reward sandbox cannot, so these parts are stricter than it.
---------------------------------------------------------------------------------------------------
local guard = I.guard
local clock, sethook, getinfo = H.os.clock, H.debug.sethook, H.debug.getinfo
local hpcall, select, sbyte = H.pcall, H.select, H.string.byte
local TIMEOUT = "vf-luanti: CPU time limit exceeded"
I.TIMEOUT = TIMEOUT

-- The deadline hook. Sticky: once the deadline passed, every later hook call raises again, so a
-- mod's pcall or coroutine that swallows the error only buys itself another hook interval.
local function deadline_hook()
	if guard.expired or clock() > guard.deadline then
		guard.expired = true
		error(TIMEOUT, 0)
	end
end

-- Line visits, for the judge's `sites` (driver.lua, observe): while on, a mod line that its
-- function reaches from another of its lines or by jumping back (a loop's next turn) counts a visit
-- of "source:line"; coming back to the line from a call it made does not (LuaJIT reports that as a
-- line event too). So calls made from one line in one visit are the calls written on it, told
-- apart from one call that a loop runs.
local line_visits, last_func
local function lines_hook(event, line)
	if event ~= "line" then
		return deadline_hook()
	end
	local info = getinfo(2, "Sf")
	local f = info.func
	if f == last_func and not I.is_engine_source(info.source) then
		local key = info.source .. ":" .. line
		line_visits[key] = (line_visits[key] or 0) + 1
	end
	last_func = f
end
-- The hooks of a thread (`co`, or the running one): the deadline's, and line visits while counted.
local function set_hooks(co)
	local hook, mask = deadline_hook, ""
	if line_visits then
		hook, mask = lines_hook, "l"
	end
	if co then
		sethook(co, hook, mask, guard.hook_count)
	else
		sethook(hook, mask, guard.hook_count)
	end
end
set_hooks()

function I.count_line_visits()
	if not line_visits then
		line_visits = {}
		set_hooks()
	end
end

-- Back to the deadline hook alone; line_visit answers nil from now on (sites are lines again).
function I.stop_line_visits()
	if line_visits then
		line_visits, last_func = nil, nil
		set_hooks()
	end
end

-- The visits of a mod line so far (nil while line visits are not counted).
function I.line_visit(key)
	return line_visits and (line_visits[key] or 0)
end

-- Where the engine's own Lua would loop forever, the sample's time is spent at once: the verdict
-- is the hung server's, without burning the deadline. `why` becomes the failure's reason.
function I.never_returns(why)
	guard.expired = true
	guard.reason = why
	error(TIMEOUT, 0)
end

-- Emulation functions that are C functions in the engine -> their upvalue count there (0 but for
-- closures such as coroutine.wrap's); weak keys: a world's functions die with it.
local c_functions = H.setmetatable({}, { __mode = "k" })
function I.mark_c(f, nups)
	if type(f) == "function" then
		c_functions[f] = nups or 0
	end
	return f
end

-- Whether mods see `f` as a C function (a host C function, or an emulation function marked so).
function I.is_c_function(f)
	return c_functions[f] ~= nil or H.debug.getinfo(f, "S").what == "C"
end

-- Pass results through, unless the deadline expired meanwhile (the error was caught by a pcall).
local function unless_expired(...)
	if guard.expired then
		error(TIMEOUT, 0)
	end
	return ...
end

G.pcall = function(f, ...)
	return unless_expired(hpcall(f, ...))
end
G.xpcall = function(f, handler, ...)
	return unless_expired(H.xpcall(f, handler, ...))
end

-- Nesting of C calls that re-enter Lua (coroutine resume, gsub callbacks). LuaJIT does not bound
-- them and overflows the C stack (SIGSEGV); Lua 5.1 stops at 200 with this message.
local c_depth = 0
local function leave_c(ok, ...)
	c_depth = c_depth - 1
	if guard.expired then
		error(TIMEOUT, 0)
	end
	return ok, ...
end
local function enter_c()
	if c_depth >= guard.c_depth then
		error("C stack overflow", 0)
	end
	c_depth = c_depth + 1
end

-- Coroutines: hooked at creation (LuaJIT's hook is global, Lua 5.1's is per thread), resumes
-- counted, and a timeout caught by resume is raised again in the resumer.
local co_create, co_resume = H.coroutine.create, H.coroutine.resume
G.coroutine.create = function(f)
	local co = co_create(f)
	set_hooks(co)
	return co
end
G.coroutine.resume = function(co, ...)
	if type(co) ~= "thread" then
		error("bad argument #1 to 'resume' (coroutine expected)", 2)
	end
	enter_c()
	return leave_c(co_resume(co, ...))
end
local function unwrap(ok, ...)
	if not ok then
		error((...), 0)
	end
	return ...
end
G.coroutine.wrap = function(f)
	local co = G.coroutine.create(f)
	return I.mark_c(function(...) -- a C function in the engine, with the coroutine as upvalue
		enter_c()
		return unwrap(leave_c(co_resume(co, ...)))
	end, 1)
end

-- Patterns: LuaJIT's matcher backtracks without limit inside one C call (the hook cannot stop it),
-- so overlong patterns and ones with more quantifiers than any real mod writes are refused. What
-- slips through is stopped by the worker's wall-clock deadline.
local pattern_ok = H.setmetatable({}, { __mode = "k" })
local function check_pattern(p, fname)
	if type(p) ~= "string" or pattern_ok[p] then
		return
	end
	if #p > guard.pattern_max then
		error("bad argument #2 to '" .. fname .. "' (pattern too long: over " .. guard.pattern_max .. " bytes)", 3)
	end
	local quantifiers, i, n = 0, 1, #p
	while i <= n do
		local c = sbyte(p, i)
		if c == 37 then -- %x: an escape, skip the escaped character
			i = i + 1
		elseif c == 42 or c == 43 or c == 45 or c == 63 then -- * + - ?
			quantifiers = quantifiers + 1
		end
		i = i + 1
	end
	if quantifiers > guard.pattern_quantifiers then
		error("bad argument #2 to '" .. fname .. "' (pattern too complex: over "
			.. guard.pattern_quantifiers .. " quantifiers)", 3)
	end
	pattern_ok[p] = true
end

local hs = H.string
G.string.find = function(s, p, init, plain)
	if not plain then
		check_pattern(p, "find")
	end
	return hs.find(s, p, init, plain)
end
G.string.match = function(s, p, init)
	check_pattern(p, "match")
	return hs.match(s, p, init)
end
G.string.gmatch = function(s, p)
	check_pattern(p, "gmatch")
	return hs.gmatch(s, p)
end
G.string.gsub = function(s, p, repl, n)
	check_pattern(p, "gsub")
	local t = type(repl)
	if t == "string" or t == "number" then
		return hs.gsub(s, p, repl, n)
	end
	-- a function or table replacement re-enters Lua from C: counted, errors passed on unchanged
	enter_c()
	return unwrap(leave_c(hpcall(hs.gsub, s, p, repl, n)))
end

-- getfenv/setfenv: C functions and level 0 answer with the thread's environment, which is the
-- host's globals here (the engine swaps the thread's environment; lupa needs the host's for its
-- debug.traceback lookup), so the host table is answered as the mods' _G and cannot be replaced.
local host_G = H._G
local function level_up(f)
	if f == nil then
		return 2
	end
	if type(f) == "number" and f > 0 then
		return f + 1
	end
	return f
end
-- A stack level counts the frames mods see (I.visible_frame, below): the environment of another
-- frame is its function's when that is mod code, else the mods' globals, and only mod code's can be
-- replaced, so no level reaches the judge's check environment or an emulation function.
local function is_level(f)
	return f == nil or (type(f) == "number" and f > 0)
end
local function frame_func(level)
	local frame = I.visible_frame(level)
	local fn = frame and frame.func
	if fn and not c_functions[fn] and H.getfenv(fn) ~= host_G then
		return fn
	end
end
G.getfenv = function(f)
	local env = H.getfenv(level_up(f)) -- the host's argument errors
	if is_level(f) then
		local fn = frame_func(f or 1)
		env = fn and H.getfenv(fn) or G
	end
	if env == host_G then
		return G
	end
	return env
end
G.setfenv = function(f, env)
	if is_level(f) then
		H.getfenv(level_up(f)) -- the host's argument errors
		f = frame_func(f or 1)
		if not f then
			error("'setfenv' cannot change environment of given object", 2)
		end
	end
	f = level_up(f)
	if f == 0 or (type(f) ~= "number" and (H.getfenv(f) == host_G or c_functions[f])) then
		error("'setfenv' cannot change environment of given object", 2)
	end
	return H.setfenv(f, env)
end

-- debug: a mod's sethook is recorded (gethook returns it) but never replaces the deadline hook
-- and is not called (a hook runs with hooks disabled, so it could not be stopped); debug.debug
-- (an interactive console on stdin) does nothing.
local mod_hook = {}
G.debug.sethook = function(...)
	local off = type((...)) == "thread" and 1 or 0
	mod_hook = { select(1 + off, ...) }
end
G.debug.gethook = function()
	return mod_hook[1], mod_hook[2], mod_hook[3]
end
G.debug.debug = function() end

---------------------------------------------------------------------------------------------------
-- The engine as mods see it through debug (issue 12: a mod must not tell the emulation from the
-- engine by cheap fingerprints). In the engine most of core and every method of an engine class
-- are C functions, and builtin Lua runs under its install path (chunks.lua). Here they are Lua, so
-- the mods' debug.getinfo and debug.traceback (and string.dump, setfenv) answer for them as for C
-- functions, and walking the stack shows a call into one (with the emulation frames it runs) as one
-- C frame. Frames of the files that mirror C++ or are host side (the driver, check code) show not
-- at all, as C++ has no frames. The diagnostics read frames with the host's debug, unaffected.
---------------------------------------------------------------------------------------------------
local ENGINE_PREFIX, hidden_sources = I.engine_prefix, I.hidden_sources
local PREFIX_LEN = #ENGINE_PREFIX

-- Whether a chunk name is the emulation's (the engine's builtin). The one place that decides
-- provenance: mods cannot name their chunks so (compile below renames such names).
function I.is_engine_source(src)
	return type(src) == "string" and ssub(src, 1, PREFIX_LEN) == ENGINE_PREFIX
end
local is_engine_source = I.is_engine_source

-- core's C functions in 5.6.1 (the real server: debug.getinfo(v).what of every member) and the
-- engine classes' global constructors; marked when the first mod code is compiled, so every file
-- has defined them and no mod has replaced one yet (a wrapper the judge installs counts as one).
local CORE_C = [[
add_entity add_item add_node add_node_level add_particle add_particlespawner ban_player
bulk_set_node chat_send_all chat_send_player check_password_entry clear_craft clear_objects
clear_registered_schematics colorspec_to_bytes colorspec_to_colorstring compare_block_status
compress cpdir create_detached_inventory_raw create_schematic decode_base64 decompress
delete_area delete_particlespawner dig_node disconnect_player do_async_callback
dynamic_add_media emerge_area encode_base64 find_node_near find_nodes_in_area
find_nodes_in_area_under_air find_nodes_with_meta find_path fix_light generate_decorations
generate_ores get_all_craft_recipes get_ban_description get_ban_list get_biome_data get_biome_id
get_biome_name get_builtin_path get_connected_players get_content_id get_craft_recipe
get_craft_result get_current_modname get_day_count get_decoration_id get_dig_params get_dir_list
get_gametime get_gen_notify get_heat get_hit_params get_humidity get_inventory get_last_run_mod
get_mapgen_object get_mapgen_params get_mapgen_setting get_mapgen_setting_noiseparams get_meta
get_modnames get_modpath get_name_from_content_id get_natural_light get_node get_node_level
get_node_light get_node_max_level get_node_or_nil get_node_timer get_noiseparams
get_objects_in_area get_objects_inside_radius get_password_hash get_perlin get_perlin_map
get_player_by_name get_player_information get_player_ip get_player_privs get_server_max_lag
get_server_status get_server_uptime get_spawn_level get_timeofday get_tool_wear_after_use
get_translated_string get_us_time get_user_path get_version get_voxel_manip get_worldpath
is_singleplayer is_yes line_of_sight load_area log mkdir mod_channel_join mvdir
notify_authentication_modified parse_json place_node place_schematic place_schematic_on_vmanip
punch_node raycast read_schematic register_async_dofile register_craft register_schematic
remove_detached_inventory_raw remove_node remove_player request_http_api
request_insecure_environment request_shutdown rmdir rollback_get_node_actions
rollback_revert_actions_by safe_file_write serialize_roundtrip serialize_schematic
set_gen_notify set_last_run_mod set_mapgen_params set_mapgen_setting
set_mapgen_setting_noiseparams set_node set_node_level set_noiseparams set_timeofday sha1
show_formspec sound_fade sound_play sound_stop spawn_tree swap_node transforming_liquid_add
unban_player_or_ip write_json
]]
local CLASSES_C = "AreaStore ItemStack PcgRandom PerlinNoise PerlinNoiseMap PseudoRandom Raycast "
	.. "SecureRandom Settings VoxelManip"
local sealed = false
local function seal_c_functions()
	sealed = true
	for name in H.string.gmatch(CORE_C, "%S+") do
		I.mark_c(H.rawget(core, name))
	end
	for name in H.string.gmatch(CLASSES_C, "%S+") do
		I.mark_c(H.rawget(G, name))
	end
	for _, methods in pairs(I.class_methods or {}) do
		for _, f in next, methods do
			I.mark_c(f)
		end
	end
end

local C_TEMPLATE = H.type -- a C function: what getinfo answers for one (but nups, below)

-- The mods' view of a chunk name: one renamed by compile ("=" for "@", below) reads as given.
local function mod_view(info)
	local src = info.source
	if type(src) == "string" and ssub(src, 1, 1) == "=" and is_engine_source("@" .. ssub(src, 2)) then
		info.source = "@" .. ssub(src, 2)
	end
	return info
end

-- What getinfo answers for a C function (`f`, its name as the caller called it: `named`).
local function c_info(what, f, named)
	local info = getinfo(C_TEMPLATE, what)
	if info.nups then
		info.nups = c_functions[f] or 0 -- the engine's, not the template's (a fast function has some)
	end
	if named and sfind(what, "n", 1, true) then
		info.name, info.namewhat = named.name, named.namewhat
	end
	info.func = info.func and f
	return info
end

-- Check code that calls into a mod (its helper API, a callback) is seen as a Lua function of
-- another mod beside it: on a real server only Lua code calls a mod's API, so a missing Lua caller
-- must not tell the judge (issue 12). The caller is the world's neighbour mod (ServerStart in
-- runtime.py: drawn per sample, really installed by the judge's worlds, with a mod path, files and
-- a place in the load order); its function is a decoy (check code stays out of the mods' reach).
local caller_src, caller_short, decoy
local function caller_view(info)
	if not caller_src then
		local name = I.neighbour or "helpers"
		local mod = I.mods[name]
		local dir = "/world/worldmods/" .. name
		if mod then
			dir = mod.path
		else
			for _, m in H.next, I.mods do -- beside the other mods, where a mod that is not installed would be
				dir = (H.string.match(m.path, "^(.*)/[^/]*$") or "/world/worldmods") .. "/" .. name
				break
			end
		end
		caller_src = "@" .. dir .. "/init.lua"
		decoy = H.setfenv(H.loadstring("return function() end", caller_src)(), G)
		caller_short = getinfo(decoy, "S").short_src
	end
	if info.source then
		info.source, info.short_src = caller_src, caller_short
	end
	if info.func then
		info.func = decoy
	end
	return info
end

-- The frames a mod sees on a stack (`co`, or the running thread when nil) from host level `first`
-- (counted from this function's caller) outwards, innermost first, as getinfo answers them with
-- options `what`; `.fn` is each C frame's function (the traceback prints its address).
-- Walking out from each mod frame, the frames up to the next mod frame are the engine's: a call
-- into a marked function with everything it ran is one C frame (nested marked calls, such as a
-- judge's counting wrapper, are one); emulation Lua frames of shown files stay (without `func`:
-- emulation internals stay out of reach); the rest (host C calls such as the emulation's xpcall,
-- frames of hidden files) are dropped, and so is a marked call made from hidden code (C++ calls
-- C++ without a frame).
local function visible_frames(co, first, what)
	local raw, n = {}, 0
	local level = co and first or first + 1
	while true do
		local info
		if co then
			info = getinfo(co, level, "Sf")
		else
			info = getinfo(level, "Sf")
		end
		if not info then
			break
		end
		local kind
		if c_functions[info.func] then
			kind = "marked"
		elseif info.what == "C" then
			kind = "c"
		elseif info.source == I.check_source then
			kind = "check"
		elseif not is_engine_source(info.source) then
			kind = "mod"
		elseif hidden_sources[info.source] then
			kind = "hidden"
		else
			kind = "engine"
		end
		n = n + 1
		raw[n] = { level = level, kind = kind, func = info.func }
		level = level + 1
	end
	local function at(r, opts)
		if co then
			return getinfo(co, r.level, opts)
		end
		return getinfo(r.level, opts)
	end
	local out, pending = {}, 0 -- pending: out's length after the last mod frame
	for i = 1, n do
		local r, outer = raw[i], raw[i + 1]
		local kind = r.kind
		if kind == "mod" then
			out[#out + 1] = mod_view(at(r, what))
			pending = #out
		elseif kind == "check" then
			out[#out + 1] = caller_view(at(r, what))
			pending = #out
		elseif kind == "marked" then
			-- the engine frames since the last mod frame ran inside this call
			for j = #out, pending + 1, -1 do
				out[j] = nil
			end
			local caller = outer and outer.kind
			if caller ~= "hidden" and caller ~= "c" and caller ~= nil then
				local info = c_info(what, r.func, at(r, "n"))
				info.fn = r.func
				out[#out + 1] = info
			end
			pending = #out
		elseif kind == "engine" then
			local info = at(r, what)
			info.func = nil
			out[#out + 1] = info
		elseif kind == "c" and outer and outer.kind == "mod" then
			local info = c_info(what, nil, at(r, "n"))
			info.fn = r.func
			out[#out + 1] = info
		end
	end
	return out
end

-- The n-th frame a mod sees, counted from the mod code that called getfenv or setfenv (which
-- ask through frame_func: two frames between that code and this function).
function I.visible_frame(n)
	return visible_frames(nil, 4, "Sf")[n]
end

G.debug.getinfo = function(a, b, c)
	local co, target, what = nil, a, b
	if type(a) == "thread" then
		co, target, what = a, b, c
	end
	-- the host's getinfo first: its argument errors and its answer for anything not special
	local info = co and getinfo(co, target, what) or getinfo(level_up(target), what)
	if type(info) ~= "table" then
		return info
	end
	what = what or "flnSu"
	if type(target) == "function" then
		if c_functions[target] then
			info = c_info(what, target)
		end
		return mod_view(info)
	end
	if not co and target == 0 then
		return c_info(what, G.debug.getinfo)
	end
	info = visible_frames(co, co and 0 or 2, what)[co and target + 1 or target]
	if info then
		info.fn = nil
	end
	return info
end

-- LuaJIT's traceback text over the frames a mod sees: the first 12, "..." and the last 10 when
-- there are more than 22 after `level`.
local sformat, tconcat = H.string.format, H.table.concat
G.debug.traceback = function(a, b, c)
	local co, msg, level = nil, a, b
	if type(a) == "thread" then
		co, msg, level = a, b, c
	end
	if msg ~= nil and type(msg) ~= "string" and type(msg) ~= "number" then
		return msg
	end
	level = H.tonumber(level) or (co and 0 or 1)
	local frames = visible_frames(co, co and 0 or 2, "Snl")
	local parts = { msg ~= nil and (tostring(msg) .. "\n") or "", "stack traceback:" }
	local first = co and level + 1 or level
	local i, last = H.math.max(first, 1), #frames
	while i <= last do
		if i == first + 12 and last >= first + 23 then
			parts[#parts + 1] = "\n\t..."
			i = last - 9
		end
		local info = frames[i]
		local s = "\n\t" .. info.short_src .. ":"
		if info.currentline > 0 then
			s = s .. info.currentline .. ":"
		end
		if info.namewhat ~= "" then
			s = s .. " in function '" .. tostring(info.name) .. "'"
		elseif info.what == "main" then
			s = s .. " in main chunk"
		elseif info.what == "C" then
			s = s .. " at " .. (smatch(tostring(info.fn), "0x%x+") or "0x0")
		else
			s = s .. sformat(" in function <%s:%d>", info.short_src, info.linedefined)
		end
		parts[#parts + 1] = s
		i = i + 1
	end
	return tconcat(parts)
end

-- string.dump refuses C functions; setfenv cannot change a C function's environment.
local hdump = H.string.dump
G.string.dump = function(f, ...)
	if c_functions[f] then
		error("unable to dump given function", 2)
	end
	return hdump(f, ...)
end

-- jit: hooks do not fire in compiled code, so the JIT stays off whatever a mod asks; mods see it
-- on, as on the engine (its status and optimisation flags as the engine's LuaJIT reports them).
G.jit.on = function() end
G.jit.opt = { start = function() end }
local jit_status = H.jit.status
G.jit.status = function()
	return true, select(2, jit_status())
end

-- Virtual file system: absolute path -> file contents. Python fills it before mods load; writes by
-- mods (io.open "w", safe_file_write) land here too, so nothing touches the real disk.
I.vfs = {}
-- Trusted files' bytecode by chunk name (runtime.compile_trusted: the game's), each kept with the
-- text it was compiled from: compile uses it only for that text under that name.
I.compiled = {}

-- Path access rules (engine checkPath, simplified to the directories that exist in the VFS):
-- read any loaded mod's directory and the world; write the world and the current mod's directory.
function I.normalize_path(path)
	if type(path) ~= "string" then
		return nil
	end
	-- already normal (absolute, no empty, "." or ".." part, no trailing "/"): as it is
	if ssub(path, 1, 1) == "/" and ssub(path, -1) ~= "/" and not sfind(path, "//", 1, true)
		and not sfind(path, "/%.%.?/") and not sfind(path, "/%.%.?$") then
		return path
	end
	local parts = {}
	for part in H.string.gmatch(path, "[^/]+") do
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
-- Provenance: the emulation's own chunks are named by the engine's builtin paths (chunks.lua), and
-- the emulation tells engine code from mod code by that name (I.is_engine_source: strict mode,
-- diagnostics, callback counts). A mod may pass any chunk name to load/loadstring; one that would
-- pass for the emulation's ("@/usr/share/games/minetest/builtin/...") gets "=" for "@": LuaJIT
-- prints both as the path, so messages read as in the engine, and the mods' debug shows the name as
-- given (mod_view), but the source no longer claims to be the emulation's.
local function compile(text, chunkname)
	if not sealed then
		seal_c_functions()
	end
	if type(text) == "string" and ssub(text, 1, 1) == "\27" then
		return nil, "Bytecode prohibited when mod security is enabled."
	end
	if is_engine_source(chunkname) then
		chunkname = "=" .. ssub(chunkname, 2)
	end
	-- text mode: a second lock behind the check above (LuaJIT refuses bytecode after a BOM or "#" line)
	local f, err
	local pre = I.compiled[chunkname] -- a trusted file's bytecode (modload.lua add_compiled)
	if pre ~= nil and pre[1] == text then
		f = H.load(pre[2], chunkname, "b")
	else
		f, err = H.load(text, chunkname, "t")
	end
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
	return compile(text, chunkname or "=(load)") -- the engine's default chunk name
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

-- The iterator checks the file at each call and blames the loop's line (LuaJIT io_file_iter).
function File:lines()
	return function()
		if self.closed then
			error("attempt to use a closed file", 2)
		end
		return self:read("*l")
	end
end

-- LuaJIT's write answers true (not the file: its 5.2 mode is off), so calls do not chain.
function File:write(...)
	if not self.writable then
		return nil, "file not opened for writing"
	end
	local buf = self.std and {} or self.buf
	for i = 1, H.select("#", ...) do
		buf[#buf + 1] = tostring((H.select(i, ...)))
	end
	if self.std then
		G.print(H.table.concat(buf))
	end
	return true
end

function File:seek()
	return self.pos - 1
end

function File:flush()
	if self.writable and not self.std then
		I.vfs[self.path] = H.table.concat(self.buf)
	end
	return true
end

function File:setvbuf()
	return true
end

function File:close()
	if self.closed then
		error("attempt to use a closed file", 2)
	end
	if self.std then
		return nil, "cannot close standard file"
	end
	self:flush()
	self.closed = true
	return true
end

-- Mod security's path check, then the open (5.6.1 s_security.cpp sl_io_open): a refused path is a
-- C++ LuaError (no position in the message); a missing file gives nil and the message (2 values).
local function io_open(path, mode)
	mode = mode or "r"
	local p = I.normalize_path(path)
	local writing = sfind(mode, "[wa+]") ~= nil
	if not p or (writing and not I.may_write(p)) or (not writing and not I.may_read(p)) then
		error("Mod security: Blocked attempted " .. (writing and "write to " or "read from ") .. tostring(path), 0)
	end
	if not writing and I.vfs[p] == nil then
		return nil, tostring(path) .. ": No such file or directory"
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

-- The default files of io.read/io.write/io.lines(nil) (LuaJIT's standard handles): the server's
-- stdin is empty, and what a mod writes to stdout shows in its output, as print does.
local function std_file(writable)
	return H.setmetatable({ data = "", pos = 1, buf = {}, writable = writable, std = true }, File)
end
local default = { input = std_file(false), output = std_file(true) }

local function is_file(f)
	return H.getmetatable(f) == File
end

-- A file argument as LuaJIT's io functions check it, called from mod security's wrappers (from C:
-- no name, no position in the message).
local function open_file(f)
	if not is_file(f) then
		error("bad argument #1 to '?' (FILE* expected, got " .. (f == nil and "no value" or type(f)) .. ")", 0)
	end
	if f.closed then
		error("attempt to use a closed file", 0)
	end
	return f
end

-- The default file for io.read/io.write/io.flush (LuaJIT's own: errors blame their caller's line).
local function std(which)
	local f = default[which]
	if f.closed then
		error("standard file is closed", 3)
	end
	return f
end

-- io.input / io.output as 5.6.1's secure wrappers (s_security.cpp sl_io_input/sl_io_output): a
-- path is checked by mod security, then LuaJIT's function runs with the first argument only. The
-- wrapper pushes that argument by stack index 1, so a call without arguments hands LuaJIT the
-- wrapped function itself ("string expected, got function"); nil asks for the current file.
local function std_getset(which, writing)
	return function(...)
		if H.select("#", ...) == 0 then
			error("bad argument #1 to '?' (string expected, got function)", 0)
		end
		local arg = ...
		if arg == nil then
			return default[which]
		end
		if type(arg) == "string" or type(arg) == "number" then
			local f, err = io_open(tostring(arg), writing and "w" or "r")
			if not f then
				error("bad argument #1 to '?' (" .. err .. ")", 0)
			end
			default[which] = f
		elseif is_file(arg) or type(arg) == "userdata" then
			default[which] = open_file(arg)
		else
			error("bad argument #1 to '?' (string expected, got " .. type(arg) .. ")", 0)
		end
		return default[which]
	end
end

G.io = {
	-- sl_io_open checks its arguments' types first (luaL_checktype: a number is no string), named
	-- as called, at the caller's line
	open = function(...)
		local n, path, mode = H.select("#", ...), ...
		local bad = type(path) ~= "string" and 1 or (n > 1 and type(mode) ~= "string") and 2 or nil
		if bad then
			local info = getinfo(1, "n")
			error("bad argument #" .. bad .. " to '" .. (info and info.name or "?") .. "' (string expected, got "
				.. (n < bad and "no value" or type(bad == 1 and path or mode)) .. ")", 2)
		end
		return io_open(path, mode)
	end,
	-- 5.6.1's sl_io_lines has the same argument slip as sl_io_input; nil reads the default input;
	-- LuaJIT's io.lines runs from C (its errors name '?', without a position)
	lines = function(...)
		if H.select("#", ...) == 0 then
			error("bad argument #1 to '?' (string expected, got function)", 0)
		end
		local path = ...
		if path == nil then
			return default.input:lines()
		elseif type(path) ~= "string" and type(path) ~= "number" then
			error("bad argument #1 to '?' (string expected, got " .. type(path) .. ")", 0)
		end
		local f, err = io_open(tostring(path), "r")
		if not f then
			error("bad argument #1 to '?' (" .. err .. ")", 0)
		end
		return f:lines()
	end,
	close = function(...)
		local f = H.select("#", ...) == 0 and default.output or ...
		if not is_file(f) then
			local info = getinfo(1, "n")
			error("bad argument #1 to '" .. (info and info.name or "?") .. "' (FILE* expected, got " .. type(f) .. ")", 2)
		elseif f.closed then
			error("attempt to use a closed file", 2)
		end
		return f:close()
	end,
	type = function(f)
		if is_file(f) then
			return f.closed and "closed file" or "file"
		end
		return nil
	end,
	input = std_getset("input", false),
	output = std_getset("output", true),
	write = function(...)
		std("output"):write(...)
		return true
	end,
	read = function(...)
		return std("input"):read(...)
	end,
	flush = function()
		return std("output"):flush()
	end,
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

-- os.time() and os.date(fmt) read the server's wall clock (misc.lua I.wall_time), the conversions
-- of a given time are the host's.
G.os.time = function(...)
	if H.select("#", ...) == 0 or (...) == nil then
		return I.wall_time()
	end
	return H.os.time(...)
end
G.os.date = function(...)
	local fmt, t = ...
	if H.select("#", ...) < 2 or t == nil then
		return H.os.date(fmt, I.wall_time())
	end
	return H.os.date(...)
end

-- Every function above that stands in for the engine's base or library function is a C function there.
for _, t in H.ipairs({ G, G.string, G.table, G.math, G.coroutine, G.bit, G.jit, G.os, G.debug, G.io, G.package }) do
	for _, f in next, t do
		if type(f) == "function" and is_engine_source(getinfo(f, "S").source) then
			I.mark_c(f)
		end
	end
end

---------------------------------------------------------------------------------------------------
-- Engine objects (ItemStack, InvRef, NodeMetaRef, ObjectRef, Settings, PseudoRandom, VoxelManip, ...)
-- are C++ userdata. They are emulated with real userdata from LuaJIT's newproxy, so `type(obj)` is
-- "userdata" as in the engine, and the object's state lives in a weak table keyed by the userdata,
-- out of mods' reach. The engine registers every class with `__metatable = methodtable`
-- (lua_api/l_*.cpp Register; checked against 5.6.1): getmetatable(obj) answers the method table, so
-- a mod can add or override methods (as real mods do) but never reaches the metatable itself to add
-- __eq, __tostring or __index to objects the judge reads. setmetatable refuses userdata anyway.

-- A userdata class: `new(state)` makes an object, `state(obj, fname)` returns its state or raises
-- the engine's type error, `is(obj)` tells an object of the class. All objects of a class share
-- one metatable: __index = methods, __metatable = methods, plus `extra_meta` (__tostring, __eq, ...).
function I.userdata_class(name, methods, extra_meta)
	I.class_methods = I.class_methods or {}
	I.class_methods[name] = methods -- versions.lua takes out the methods newer than the target
	local proto = H.newproxy(true)
	local mt = H.getmetatable(proto)
	for k, v in pairs(extra_meta or {}) do
		mt[k] = v
	end
	mt.__index = methods
	mt.__metatable = methods
	local states = H.setmetatable({}, { __mode = "k" })
	local function new(state)
		local obj = H.newproxy(proto)
		states[obj] = state
		return obj
	end
	local function state(obj, fname)
		local s = states[obj]
		if s == nil then
			error(H.string.format("bad argument #1 to '%s' (%s expected, got %s)", fname or "?", name,
				obj == nil and "no value" or type(obj)), 0)
		end
		return s
	end
	local function is(obj)
		return states[obj] ~= nil
	end
	return new, state, is
end

-- The engine namespace and its alias.
G.core = core
G.minetest = core
G.vector = { metatable = {} }
