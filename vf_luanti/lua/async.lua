-- async.lua: the async API (engine: builtin/game/async.lua for handle_async, async_jobs and
-- async_event_handler; C++ src/script/lua_api/l_server.cpp l_do_async_callback and
-- src/script/common/c_packer.cpp for how values cross into the async environment, which
-- l_util.cpp's serialize_roundtrip exposes).
--
-- A job runs in the async environment, a separate Lua state: the function arrives as bytecode
-- (its upvalues nil) and sees that state's globals (the standard libraries, vector, ItemStack ...,
-- and a `core` of the util functions and copies of the registered items), never the mods' globals.
-- Jobs run at the next server step in the order queued; their results come back through
-- core.async_event_handler, which the engine calls through `core`.
local core, I = ...
local H = I.host
local G = I.G
local type, pairs, next, error, select, unpack = H.type, H.pairs, H.next, H.error, H.select, H.unpack
local getinfo = H.debug.getinfo

---------------------------------------------------------------------------------------------------
-- c_packer: the copy a value becomes in another Lua state.

-- A function as the packer moves it: dumped and loaded again, so its upvalues read nil; a C
-- function cannot be dumped.
local function copy_function(f, env)
	if I.is_c_function(f) then
		error("unable to dump given function", 0)
	end
	local g = H.loadstring(H.string.dump(f), getinfo(f, "S").source)
	H.setfenv(g, env)
	return g
end

-- The packed copy of `v`: tables keep their sharing and cycles but lose their metatables,
-- ItemStacks are copied, other userdata and threads cannot cross.
local function pack(v, env, seen)
	local t = type(v)
	if t == "table" then
		if seen[v] then
			return seen[v]
		end
		local c = {}
		seen[v] = c
		for k, x in next, v do
			c[pack(k, env, seen)] = pack(x, env, seen)
		end
		return c
	elseif t == "function" then
		return copy_function(v, env)
	elseif t == "userdata" then
		if I.is_stack(v) then
			return I.new_stack(I.copy_record(I.stack_state(v)))
		end
		error("Cannot serialize unsupported userdata", 0)
	elseif t == "thread" then
		error("Cannot serialize type thread", 0)
	end
	return v
end

function core.serialize_roundtrip(value)
	return pack(value, G, {})
end

---------------------------------------------------------------------------------------------------
-- The async environment, made when the server starts (after the mods loaded: the registered items
-- it copies are those), or when a mod queues a job before that.

-- Globals the 5.6.1 async state has (probed on the real server) besides core/minetest and _G.
local ASYNC_GLOBALS = [[
DIR_DELIM ItemStack PcgRandom PerlinNoise PerlinNoiseMap PseudoRandom SecureRandom Settings VoxelArea
VoxelManip _VERSION assert bit collectgarbage coroutine debug dofile dump dump2 error getfenv
getmetatable io ipairs jit load loadfile loadstring math next os package pairs pcall print rawequal
rawget rawset require select setfenv setmetatable string table tonumber tostring type unpack vector
xpcall
]]
-- Its core (probed): constants, the util functions and builtin's shared helpers; what the engine
-- transfers (registered items and aliases) is added at start.
local ASYNC_CORE = [[
CONTENT_AIR CONTENT_IGNORE CONTENT_UNKNOWN EMERGE_CANCELLED EMERGE_ERRORED EMERGE_FROM_DISK
EMERGE_FROM_MEMORY EMERGE_GENERATED LIGHT_MAX MAP_BLOCKSIZE PLAYER_MAX_BREATH_DEFAULT
PLAYER_MAX_HP_DEFAULT colorize colorspec_to_bytes colorspec_to_colorstring compress cpdir debug
decode_base64 decompress deserialize dir_to_facedir dir_to_wallmounted dir_to_yaw encode_base64
encode_png explode_scrollbar_event explode_table_event explode_textlist_event facedir_to_dir features
formspec_escape get_all_craft_recipes get_artificial_light get_background_escape_sequence
get_builtin_path get_color_escape_sequence get_content_id get_craft_recipe get_craft_result
get_current_modname get_dir_list get_item_group get_last_run_mod get_modnames get_modpath
get_name_from_content_id get_node_group get_position_from_hash get_translator get_us_time
get_user_path get_version get_worldpath global_exists has_feature hash_node_position inventorycube
is_colored_paramtype is_nan is_singleplayer is_yes log mkdir mvdir parse_coordinates parse_json
parse_relative_number pointed_thing_to_face_pos pos_to_string privs_to_string
request_insecure_environment rmdir safe_file_write serialize set_last_run_mod setting_get_pos settings
sha1 string_to_area string_to_pos string_to_privs strip_background_colors strip_colors
strip_foreground_colors strip_param2_color translate wallmounted_to_dir wrap_text write_json
yaw_to_dir
]]

-- The names' values as the emulation defined them, taken when this file runs, before any mod (a
-- mod's overrides stay in its own state); the few the host-side files define later are read when
-- the environment is made.
local base_globals, base_core = {}, {}
for name in H.string.gmatch(ASYNC_GLOBALS, "%S+") do
	base_globals[name] = H.rawget(G, name)
end
for name in H.string.gmatch(ASYNC_CORE, "%S+") do
	base_core[name] = H.rawget(core, name)
end

local async_env

local function make_env()
	local env, acore = {}, {}
	for k, v in pairs(base_globals) do
		env[k] = v
	end
	for name in H.string.gmatch(ASYNC_CORE, "%S+") do
		acore[name] = base_core[name] or H.rawget(core, name)
	end
	env._G, env.core, env.minetest, env.INIT = env, acore, acore, "async_game"
	local all = pack(core.get_globals_to_transfer(), env, {})
	local by_type = { node = {}, craftitem = {}, tool = {} }
	for name, def in pairs(all.registered_items or {}) do
		if type(def) == "table" and by_type[def.type] then
			by_type[def.type][name] = def
		end
	end
	acore.registered_items = all.registered_items or {}
	acore.registered_aliases = all.registered_aliases or {}
	acore.registered_nodes, acore.registered_craftitems, acore.registered_tools =
		by_type.node, by_type.craftitem, by_type.tool
	return env
end

-- The engine's async environment starts with the server: it reads get_globals_to_transfer once and
-- removes it from core, so from the first server step on mods see nil (probed on 5.6.1).
function I.start_async_environment()
	async_env = async_env or make_env()
	H.rawset(core, "get_globals_to_transfer", nil)
end

---------------------------------------------------------------------------------------------------
-- Jobs.

local queue, next_id = {}, 0

-- l_do_async_callback: queues `func(unpack(args, 1, args.n))` in the async environment; the job id.
function core.do_async_callback(func, args, mod_origin)
	if type(func) ~= "function" then
		error("bad argument #1 to '?' (function expected, got " .. (func == nil and "no value" or type(func)) .. ")", 0)
	end
	if type(args) ~= "table" then
		error("bad argument #2 to '?' (table expected, got " .. (args == nil and "no value" or type(args)) .. ")", 0)
	end
	async_env = async_env or make_env()
	local id = next_id
	next_id = next_id + 1
	queue[#queue + 1] = { id = id, func = copy_function(func, async_env), args = pack(args, async_env, {}),
		mod = mod_origin }
	return id
end

function I.async_pending()
	return #queue
end

-- Runs the queued jobs and hands each result to core.async_event_handler (the engine's
-- stepAsync), with the job's mod as last-run mod. A job's error is the server's error (no result).
local function results(...)
	return { n = select("#", ...), ... }
end

function I.run_async(call)
	local jobs = queue
	queue = {}
	for _, job in H.ipairs(jobs) do
		local retval
		local ok = call("async_job", function()
			retval = results(job.func(unpack(job.args, 1, job.args.n)))
		end)
		if ok ~= false and retval then
			local set_last_run_mod = H.rawget(core, "set_last_run_mod")
			if type(set_last_run_mod) == "function" then
				set_last_run_mod(job.mod)
			end
			call("async_event_handler", core.async_event_handler, job.id, pack(retval, G, {}))
		end
	end
end

---------------------------------------------------------------------------------------------------
-- builtin/game/async.lua

core.async_jobs = {}

function core.async_event_handler(jobid, retval)
	local callback = core.async_jobs[jobid]
	H.assert(type(callback) == "function")
	callback(unpack(retval, 1, retval.n))
	core.async_jobs[jobid] = nil
end

function core.handle_async(func, callback, ...)
	H.assert(type(func) == "function" and type(callback) == "function",
		"Invalid minetest.handle_async invocation")
	local args = { n = select("#", ...), ... }
	local mod_origin = core.get_last_run_mod()
	local jobid = core.do_async_callback(func, args, mod_origin)
	core.async_jobs[jobid] = callback
	return true
end
