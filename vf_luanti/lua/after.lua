-- after.lua: core.after and the server step (engine: builtin/common/after.lua, ServerEnvironment::step,
-- src/serverenvironment.cpp ABM handling, node timers).
--
-- I.step(dtime) advances the world by one server step: time of day, node timers, ABMs whose
-- interval has elapsed, the registered globalsteps (core.after is one of them, registered before
-- any mod as in the engine), entity steps, and pending emerge_area callbacks.
-- A Lua error inside a callback is recorded as the engine reports it
-- ("Runtime error from mod 'x' in callback environment_Step(): ...") and the step goes on.
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs, error, unpack = H.type, H.tostring, H.tonumber, H.pairs,
	H.ipairs, H.error, H.unpack
local floor, huge = H.math.floor, H.math.huge
local sort = H.table.sort

-- Run `f(...)` as the engine runs a callback from C++: a Lua error becomes a recorded error named
-- after the engine's callback (fxn), and the caller gets `false`. protected_call's results pass
-- through as they are (no table: the soak runs thousands of callbacks).
local function named(fxn, n, ok, ...)
	if not ok and #I.errors > n then
		local rec = I.errors[#I.errors]
		rec.message = "Runtime error from mod '" .. tostring(rec.mod or "??") .. "' in callback " .. fxn
			.. "(): " .. tostring(rec.message)
	end
	return ok, ...
end

function I.callback(fxn, f, ...)
	return named(fxn, #I.errors, I.protected_call(f, ...))
end

local function last_run_mod()
	local f = H.rawget(core, "get_last_run_mod")
	if type(f) == "function" then
		return f()
	end
	return I.current_mod
end

local function set_last_run_mod(mod)
	local f = H.rawget(core, "set_last_run_mod")
	if type(f) == "function" then
		f(mod)
	end
end

-- Before a registered callback runs, the engine makes its mod the last-run mod.
function I.set_origin(callback)
	local origin = H.rawget(I.registry("callback_origins"), callback)
	set_last_run_mod(type(origin) == "table" and origin.mod or nil)
end

---------------------------------------------------------------------------------------------------
-- core.after: jobs expire on the globalstep clock; callbacks run with their mod as last-run mod.

local jobs = {}
local clock = 0.0
local next_due = huge

local function run_jobs(dtime)
	clock = I.add_time(clock, dtime)
	if clock < next_due then
		return
	end
	next_due = huge
	-- Backwards, so jobs added by a callback wait for the next step. As in the engine, a job is
	-- taken out after it ran (the last job, perhaps one it added, moves into its place: this
	-- decides the order of jobs due together later), and its arguments are unpacked from the
	-- table {...} (a nil among them can cut off the ones after it).
	for i = #jobs, 1, -1 do
		local job = jobs[i]
		if job and clock >= job.expire then
			if not job.cancelled then
				set_last_run_mod(job.mod_origin)
				-- what a delayed job calls counts as done by an after job (driver.lua observe); a
				-- zero-delay relay does not time anything
				I.in_after_job = job.delayed
				I.callback("environment_Step", job.func, unpack(job.args))
				I.in_after_job = false
			end
			local last = #jobs
			jobs[i] = jobs[last]
			jobs[last] = nil
		elseif job and job.expire < next_due then
			next_due = job.expire
		end
	end
end

function core.after(after, func, ...)
	if not (tonumber(after) and type(func) == "function") then
		error("Invalid minetest.after invocation", 1)
	end
	local job = { func = func, expire = clock + tonumber(after), args = { ... }, mod_origin = last_run_mod(),
		delayed = tonumber(after) > 0 }
	jobs[#jobs + 1] = job
	if job.expire < next_due then
		next_due = job.expire
	end
	return {
		cancel = function()
			job.cancelled = true
		end,
	}
end

-- Builtin's own jobs that run no mod code (forceloading.lua's saves, information_formspecs.lua's
-- command tree), by function: they sit in the job list as in the engine (where they are decides
-- the order of jobs due together) but are not pending work, so they keep no soak going.
I.idle_jobs = H.setmetatable({}, { __mode = "k" })

-- Pending jobs, for the host (count and earliest expiry), builtin's idle ones left out.
function I.after_pending()
	local n, first = 0, nil
	for _, job in ipairs(jobs) do
		if not job.cancelled and not I.idle_jobs[job.func] then
			n = n + 1
			first = first and (job.expire < first and job.expire or first) or job.expire
		end
	end
	return n, first and (first - clock) or nil
end

-- In the engine after.lua registers its globalstep before any mod; register.lua provides
-- register_globalstep, so this one is first in registered_globalsteps too.
local after_step = function(dtime)
	run_jobs(dtime)
end
if type(H.rawget(core, "register_globalstep")) == "function" then
	core.register_globalstep(after_step)
	I.after_registered = true
end

---------------------------------------------------------------------------------------------------
-- ABMs. Candidates are the stored (non-air) nodes: an ABM whose nodenames match only air never fires.
-- chance: I.abm_mode "random" draws from a PRNG seeded by set_abm_mode (seed 0 by default, so runs
-- are reproducible); "always" ignores chance (every matching node fires each time).

I.abm_mode = "random"
local abm_timers = {}     -- the engine's ABM copy (I.engine_abms) -> accumulated seconds

-- A small deterministic generator (Park-Miller; exact in doubles), independent of math.random,
-- which mods may reseed.
local rng_state = 1
function I.set_abm_mode(mode, seed)
	if mode ~= "random" and mode ~= "always" then
		error("abm mode must be 'random' or 'always'", 0)
	end
	I.abm_mode = mode
	rng_state = floor(tonumber(seed) or 0) % 2147483646 + 1
end

local function rand_below(n)
	rng_state = rng_state * 16807 % 2147483647
	return floor((rng_state - 1) / 2147483646 * n)
end

local function has_neighbor(x, y, z, match)
	for dz = -1, 1 do
		for dy = -1, 1 do
			for dx = -1, 1 do
				if (dx ~= 0 or dy ~= 0 or dz ~= 0) and match((I.node_at(x + dx, y + dy, z + dz))) then
					return true
				end
			end
		end
	end
	return false
end

local function object_counts(x, y, z)
	local bx, by, bz = floor(x / 16), floor(y / 16), floor(z / 16)
	local near, wider = 0, 0
	for _, o in pairs(I.objects) do
		if not o.removed then
			local ox, oy, oz = floor(o.pos.x / 16), floor(o.pos.y / 16), floor(o.pos.z / 16)
			if ox == bx and oy == by and oz == bz then
				near = near + 1
			end
			if H.math.abs(ox - bx) <= 1 and H.math.abs(oy - by) <= 1 and H.math.abs(oz - bz) <= 1 then
				wider = wider + 1
			end
		end
	end
	return near, wider
end

-- One ABM pass (5.6.1 ABMHandler::apply), over the engine's ABM copies in `abms` (registration
-- order; I.copy_abms); returns how many times an action ran. The pass goes node by node (the stored
-- nodes when it starts, in hash order): it reads the node's content when it gets there and tries each
-- ABM for that content in turn. An action that changes the node does not stop the later ABMs for the
-- content it had: they still run on it and are handed the node as it is now (the engine passes the
-- block's node by reference), while ABMs for the new content wait for the next pass (checked in the
-- real engine). The action (and mod_origin) is looked up in core.registered_abms by the ABM's index
-- at each trigger, as LuaABM::trigger does: replacing it takes effect, removing it is an error.
local function abm_pass(abms)
	local active = {}
	for _, a in ipairs(abms) do
		active[#active + 1] = { id = a.id, match = I.node_matcher(a.nodenames),
			neighbors = a.neighbors and I.node_matcher(a.neighbors), min_y = tonumber(a.min_y),
			max_y = tonumber(a.max_y), chance = floor(tonumber(a.chance) or 50) }
	end
	if #active == 0 then
		return 0
	end
	local hashes = {}
	for h in pairs(I.nodes) do
		hashes[#hashes + 1] = h
	end
	sort(hashes)
	local fired = 0
	for _, h in ipairs(hashes) do
		local x, y, z = I.unhash(h)
		local content = (I.node_at(x, y, z))
		for _, a in ipairs(active) do
			if a.match(content) and (not a.min_y or y >= a.min_y) and (not a.max_y or y <= a.max_y)
					and (not a.neighbors or has_neighbor(x, y, z, a.neighbors))
					and (I.abm_mode == "always" or a.chance <= 1 or rand_below(a.chance) == 0) then
				local near, wider = object_counts(x, y, z)
				local name, p1, p2 = I.node_at(x, y, z)
				local spec = I.registry("registered_abms")[a.id]
				set_last_run_mod(type(spec) == "table" and spec.mod_origin or nil)
				local ok = I.callback("LuaABM::trigger", type(spec) == "table" and spec.action or nil,
					I.vec(x, y, z), { name = name, param1 = p1, param2 = p2 }, near, wider)
				if ok then
					fired = fired + 1
				end
			end
		end
	end
	return fired
end

-- Run every ABM `times` times regardless of intervals (one pass with all of them each time);
-- returns the total action count.
function I.run_abms(times)
	local total = 0
	for _ = 1, times do
		total = total + abm_pass(I.engine_abms)
	end
	return total
end

-- The ABMs whose interval has elapsed run together in one pass.
local function step_abms(dtime)
	local due = {}
	for _, a in ipairs(I.engine_abms) do
		local interval = tonumber(a.interval) or 10
		local t = I.add_time(abm_timers[a] or 0, dtime)
		if t >= interval then
			t = t - interval
			if t >= interval then
				t = 0
			end
			due[#due + 1] = a
		end
		abm_timers[a] = t
	end
	if #due > 0 then
		abm_pass(due)
	end
end

---------------------------------------------------------------------------------------------------
-- The server step.

I.step_count = 0

function I.step(dtime)
	if I.phase ~= "run" then
		return
	end
	I.step_count = I.step_count + 1
	local leaving = I.disconnects
	if #leaving > 0 then
		I.disconnects = {}
		for _, name in ipairs(leaving) do
			if I.players[name] then
				I.leave_player(I.players[name], false)
			end
		end
	end
	I.advance_time(dtime)
	local stop = I.shutdown_requested
	if stop and not stop.asked and I.gametime >= stop.due then
		I.shutdown_requested = nil
		I.diag("error", "the server shut down: the mod called minetest.request_shutdown with no player asking",
			stop.frame or {})
	end
	I.step_node_timers(dtime, I.callback)
	step_abms(dtime)
	if not I.after_registered then
		after_step(dtime)
	end
	for _, f in ipairs(I.registry("registered_globalsteps")) do
		if type(f) == "function" then
			I.set_origin(f)
			I.callback("environment_Step", f, dtime)
		end
	end
	I.step_entities(dtime, I.callback)
	I.manage_objects(dtime)
	I.run_emerges(I.callback)
	I.run_async(I.callback)
end

-- What the next server steps have to do: "busy" (a mod globalstep, an entity, a pending emerge or
-- disconnect: every step may run mod code), "abms" (ABMs are registered: the engine runs them once
-- per second, its abm_interval), "timers" (only core.after jobs or node timers are pending: nothing
-- runs before the first is due, returned as the second value) or "quiet" (nothing can run again).
local function activity()
	for _, f in ipairs(I.registry("registered_globalsteps")) do
		if f ~= after_step then
			return "busy"
		end
	end
	if #I.pending_emerges > 0 or #I.disconnects > 0 or #I.unlisted_objects > 0 or I.async_pending() > 0
		or #I.objects_where(function(o)
			return o.kind == "entity" and not o.removed
		end) > 0 then
		return "busy"
	end
	if #I.engine_abms > 0 then
		return "abms"
	end
	local n, wait = I.after_pending()
	wait = n > 0 and wait or huge
	for _, t in H.next, I.node_timers do
		if t.timeout > 0 and t.timeout - t.elapsed < wait then
			wait = t.timeout - t.elapsed
		end
	end
	if wait == huge then
		return "quiet"
	end
	return "timers", wait
end

local ABM_STEP = 1.0

-- The judge's soak (vf_luanti.checks): after a task's scenarios the server runs on, as a real one
-- does, and an error in any later step would crash it. The first `seconds` run in steps of `dtime`
-- (the engine's dedicated-server step), then on to `horizon` seconds in steps of `coarse`; steps are
-- 1 s while ABMs are the finest thing that can run (the engine's ABM interval). While only timers
-- are pending, time jumps to the next one due, also past `horizon` (up to `timer_horizon` and
-- MAX_TIMER_JUMPS jumps: a job due in a day still runs); once nothing can run, the soak ends.
-- Stops at the first new error. Returns the number of steps run.
local MAX_TIMER_JUMPS = 1000

function I.soak(seconds, dtime, horizon, coarse, timer_horizon)
	local errors, t, steps = I.error_events, 0, 0
	local act, wait, recheck = nil, nil, 0
	-- A real server gets a player sooner or later, and the engine generates the chunk the player
	-- stands in: a world whose scenarios joined nobody has its spawn chunk generated here.
	if H.next(I.generated) == nil then
		I.generate_chunk_at(I.vec(0, 0, 0))
	end
	local limit, jumps = H.math.max(horizon, timer_horizon or horizon), 0
	while t < limit - 1e-9 do
		if act ~= "busy" or t >= recheck then -- a busy world is looked at again each game second
			act, wait = activity()
			recheck = t + ABM_STEP
		end
		if act == "quiet" or (t >= horizon - 1e-9 and act ~= "timers") then
			break
		end
		local dt = t < seconds and dtime or coarse
		if act == "abms" and dt < ABM_STEP then
			dt = ABM_STEP
		elseif act == "timers" and wait > dt then
			dt = wait
		end
		if t >= horizon - 1e-9 then -- past the stepping horizon: timers only, by jumps
			jumps = jumps + 1
			if jumps > MAX_TIMER_JUMPS then
				break
			end
			dt = H.math.max(wait, 0.001)
		end
		if dt > limit - t then
			dt = limit - t
		end
		I.step(dt)
		t, steps = t + dt, steps + 1
		if I.error_events > errors then
			break
		end
	end
	return steps
end

