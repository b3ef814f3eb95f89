-- modload.lua (host side): load mods the way the engine's server start-up does.
--
-- Python (vf_luanti/runtime.py) puts every file of every mod into the virtual file system, then
-- calls load_mod for each mod in dependency order and finish_loading once. As in the engine, the
-- first mod that fails stops the start-up: later mods are not loaded.
local core, I = ...
local H = I.host

I.api = I.api or {}  -- versions.lua adds set_target_version before this file
local api = I.api

I.mods = {}          -- name -> {name, path}
I.mod_order = {}     -- names in load order
I.phase = "load"     -- "load" while init.lua files run, "mods_loaded" in on_mods_loaded, then "run"
I.worldpath = "/world"
I.failed = false

-- The named byte strings of runtime.py's _blob ("name\0length\0bytes" after one another), each
-- passed to put(name, bytes).
local sfind, ssub = H.string.find, H.string.sub
local function read_blob(blob, put)
	local pos = 1
	while pos <= #blob do
		local a = sfind(blob, "\0", pos, true)
		local b = sfind(blob, "\0", a + 1, true)
		local last = b + H.tonumber(ssub(blob, a + 1, b - 1))
		put(ssub(blob, pos, a - 1), ssub(blob, b + 1, last))
		pos = last + 1
	end
end

-- Every mod's files into the file system (one call for all).
function api.add_files(blob)
	read_blob(blob, function(path, text)
		I.vfs[I.normalize_path(path)] = text
	end)
end

-- Trusted files' bytecode (I.compiled, sandbox.lua).
function api.add_compiled(blob)
	read_blob(blob, function(chunkname, code)
		I.compiled[chunkname] = { I.vfs[ssub(chunkname, 2)], code }
	end)
end

function api.set_worldpath(path)
	I.worldpath = I.normalize_path(path)
end

-- Load one mod: run <path>/init.lua with get_current_modname() returning `name`.
function api.load_mod(name, path)
	if I.failed then
		return false
	end
	if I.begin_mod_loading then
		I.begin_mod_loading() -- builtin registration is over (register.lua)
	end
	I.take_pristine() -- what checks call is the API before any mod changed it (driver.lua)
	if #I.mod_order == 0 then
		I.write_world_files() -- the engine's files of a world, before any mod runs (persist.lua)
	end
	path = I.normalize_path(path)
	I.mods[name] = { name = name, path = path }
	I.mod_order[#I.mod_order + 1] = name
	local file = path .. "/init.lua"
	local text = I.vfs[file]
	if text == nil then
		-- the engine's message (its "Failed to load and run script" wrapper line is not part of it)
		I.diag("error", file .. ": No such file or directory", { mod = name })
		I.failed = true
		return false
	end
	local chunk, err = I.compile(text, "@" .. file)
	I.current_mod = name
	local ok = false
	if chunk then
		ok = I.protected_call(chunk)
	else
		I.errors[#I.errors + 1] = I.error_record(err, { mod = name, file = file })
	end
	I.current_mod = nil
	if not ok then
		I.failed = true
	end
	return ok
end

-- The collector's pause while the server starts (run_mods' startup_gc_pause): the heap mostly
-- grows then, and every cycle marks the whole registry built so far again. It holds until
-- finish_loading is done; the running server gets the pause it had back, unless a mod set its own.
local startup_pause, pause_before

function api.startup_gc_pause(pause)
	startup_pause = H.tonumber(pause)
	pause_before = H.collectgarbage("setpause", startup_pause)
end

local function end_startup_pause()
	if startup_pause then
		local now = H.collectgarbage("setpause", pause_before)
		if now ~= startup_pause then
			H.collectgarbage("setpause", now) -- a mod's own setting stays
		end
		startup_pause = nil
	end
end

-- After the last mod: run register_on_mods_loaded callbacks (still no environment), then start
-- the simulated server environment and run its first `startup_steps` steps, then `warm_up` seconds.
-- The engine's dedicated_server_step (seconds per server step).
local STARTUP_DTIME = 0.09

-- The steps of a start's warm-up (runtime.py ServerStart.warm_up): as the soak's coarse steps
-- (checks/base.py SOAK_COARSE), where nobody is online and the server only keeps time.
local WARM_UP_DTIME = 30

function api.finish_loading(startup_steps, warm_up)
	if not I.failed then
		I.phase = "mods_loaded"
		for _, f in H.ipairs(core.registered_on_mods_loaded or {}) do
			I.set_origin(f)
			if not I.callback("on_mods_loaded", f) then
				I.failed = true
				break
			end
		end
	end
	I.phase = "run"
	I.stop_line_visits() -- `sites` tells registration lines apart at load time only (its hook is slow)
	if I.start_environment then
		I.start_environment()
	end
	-- The server then starts stepping: a runtime error in an after(0) callback or a globalstep
	-- ends the engine right after start-up, so it is part of whether the mods load.
	local steps = H.tonumber(startup_steps) or 0
	local left = H.tonumber(warm_up) or 0
	for i = 1, I.failed and 0 or steps + H.math.ceil(left / WARM_UP_DTIME) do
		if i <= steps then
			I.step(STARTUP_DTIME)
		else -- then it runs on until the first player comes (warm_up)
			I.step(H.math.min(WARM_UP_DTIME, left))
			left = left - WARM_UP_DTIME
		end
		if I.error_events > 0 or #I.errors > 0 then
			I.failed = true
			break
		end
	end
	end_startup_pause()
	return not I.failed
end

function api.ok()
	return not I.failed and #I.errors == 0
end
