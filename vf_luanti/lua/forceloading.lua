-- forceloading.lua: forceload_block / forceload_free_block (engine: builtin/game/forceloading.lua),
-- written from its behaviour. Each block (pos / 16, floored) is counted: transient requests and
-- persistent ones separately, the block stays forced while either count is above zero, and at most
-- max_forceloaded_blocks (default 16) blocks are forced at once (a request past it answers false).
-- The persistent blocks are kept in <world>/force_loaded.txt (core.serialize of {hash = count}):
-- read at start-up, written when the server shuts down and, when they changed, by a job every 10 s
-- from 5 s after start-up, as builtin's core.after chain does.
--
-- The C++ side (the server's set of forced blocks) has nothing to do here: in 5.6.1 a forceloaded
-- block without a player nearby is not even generated (map.lua, compare_block_status), and the
-- emulation activates no blocks. Builtin's jobs run no mod code, so they are I.idle_jobs: they keep
-- no soak going (after.lua) and a world where only they are pending is quiet, as its mods left it.
local core, I = ...
local H = I.host
local pairs, tonumber, type = H.pairs, H.tonumber, H.type
local floor = H.math.floor

local BLOCKSIZE = core.MAP_BLOCKSIZE
local FILE = "/force_loaded.txt"

local forceloaded -- persistent: block hash -> count (read from the world's file on first use)
local temploaded = {} -- transient: block hash -> count
local total = 0 -- blocks forced (in either table)
local changed = false -- since the last save

-- The world's file: builtin reads it when it loads, before any mod runs. A restarted world's files
-- are put back after the emulation's builtin files ran (persist.lua), so it is read at the first
-- use instead: no mod code runs between the two.
local function persistent()
	if not forceloaded then
		local text = I.vfs[I.normalize_path(core.get_worldpath() .. FILE)]
		local t = text and text ~= "" and core.deserialize(text) or nil
		forceloaded = type(t) == "table" and t or {}
		for _ in pairs(forceloaded) do
			total = total + 1
		end
	end
	return forceloaded
end

local function block_hash(pos)
	return core.hash_node_position({ x = floor(pos.x / BLOCKSIZE), y = floor(pos.y / BLOCKSIZE),
		z = floor(pos.z / BLOCKSIZE) })
end

-- The table a request counts in, and the other one (a block is forced while either holds it).
local function tables(transient)
	if transient then
		return temploaded, persistent()
	end
	return persistent(), temploaded
end

function core.forceload_block(pos, transient)
	changed = true
	local hash = block_hash(pos)
	local mine, other = tables(transient)
	if mine[hash] ~= nil then
		mine[hash] = mine[hash] + 1
		return true
	elseif other[hash] ~= nil then
		mine[hash] = 1
	else
		if total >= (tonumber(core.settings:get("max_forceloaded_blocks")) or 16) then
			return false
		end
		total = total + 1
		mine[hash] = 1
		return true
	end
end

function core.forceload_free_block(pos, transient)
	changed = true
	local hash = block_hash(pos)
	local mine, other = tables(transient)
	if mine[hash] == nil then
		return
	end
	if mine[hash] > 1 then
		mine[hash] = mine[hash] - 1
	elseif other[hash] ~= nil then
		mine[hash] = nil
	else
		total = total - 1
		mine[hash] = nil
	end
end

local function persist()
	core.safe_file_write(core.get_worldpath() .. FILE, core.serialize(persistent()))
end

-- The file is written at every shutdown: it is the mods' data (persist.lua) only where it holds
-- blocks they forced for good.
function I.no_forced_blocks(text)
	local t = core.deserialize(text)
	return type(t) == "table" and H.next(t) == nil
end

-- 5 s after start-up the stored blocks are forced again (the C++ side: nothing here).
local function reforce() end
core.after(5, reforce)

local function persist_periodically()
	if changed then
		persist()
		changed = false
	end
	core.after(10, persist_periodically)
end
core.after(5, persist_periodically)
I.idle_jobs[reforce], I.idle_jobs[persist_periodically] = true, true

core.register_on_shutdown(persist)
