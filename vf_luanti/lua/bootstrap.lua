-- bootstrap.lua: runs in the host Lua state, never in the mods' environment.
--
-- It builds the global table that mods see (the engine's secure environment), loads the emulation
-- files into it in engine order, and returns the host API that Python drives (vf_luanti/runtime.py).
-- Each emulation file is a chunk called as `file(core, I)`: `core` is the public engine namespace,
-- `I` the internal state shared by the emulation files. `I` is only reachable through upvalues of
-- emulation functions, and mods get no debug.getupvalue, so a mod cannot reach it.
--
-- Everything that crosses to Python is a string or number (JSON for structured data), so Python
-- never walks a table a mod could have booby-trapped with metamethods.

-- {[filename] = source text or trusted bytecode} of the emulation files, and the resource guard
-- (limits and the deadline state, see sandbox.lua), both from Python (vf_luanti/runtime.py).
local sources, guard = ...

-- Engine order: common helpers first, then the game API split by concern, then the host-side parts.
local FILES = {
	"sandbox.lua",        -- secure globals: safe libs, load/loadstring/dofile, io/os on the virtual FS
	"diag.lua",           -- diagnostics (errors/warnings with mod, file, line), core.log, print
	"strict.lua",         -- undeclared-global warnings on the mods' _G
	"vector.lua",         -- the vector library
	"misc_helpers.lua",   -- string/table/math helpers, dump, pos strings, formspec/colour escapes, translation
	"serialize.lua",      -- core.serialize / core.deserialize
	"json.lua",           -- core.write_json / core.parse_json (engine quirks) and I.json for the host
	"settings.lua",       -- Settings, core.settings, mod storage
	"random.lua",         -- PseudoRandom, PcgRandom, SecureRandom, PerlinNoise(Map) stand-ins
	"versions.lua",       -- which core.* names exist in which Luanti version
	"register.lua",       -- register_item/node/craftitem/tool, defaults, aliases, entities, ABM/LBM, callbacks
	"craft.lua",          -- register_craft, clear_craft, get_craft_result, recipe queries
	"privileges.lua",     -- register_privilege, builtin privileges, auth, check_player_privs
	"chatcommands.lua",   -- register_chatcommand, the builtin commands
	"itemstack.lua",      -- ItemStack
	"inventory.lua",      -- InvRef, detached inventories
	"inventory_move.lua", -- a player's inventory move: allow_*/on_* inventory callbacks (IMoveAction)
	"map.lua",            -- the simulated map: nodes, metadata, node timers, searches
	"voxel.lua",          -- VoxelArea, VoxelManip
	"areastore.lua",      -- AreaStore
	"colors.lua",         -- colour parsing (read_color): nametags, entity colours, sky
	"objects.lua",        -- ObjectRef core: object tables, attachments, punches, object searches
	"properties.lua",     -- object properties: defaults, the typed reader, set/get_properties, nametags
	"players.lua",        -- players: HP and breath, player methods, PlayerMetaRef, joining, chat output
	"hud.lua",            -- HUD, hotbar, sky and the other client-side player settings
	"entities.lua",       -- LuaEntities: spawning, activation, HP and death, physics and on_step
	"raycast.lua",        -- Raycast
	"item.lua",           -- item_place, node_dig, node_punch, drops, item_eat (engine interaction logic)
	"falling.lua",        -- the falling-node entity, check_for_falling, attached nodes
	"after.lua",          -- core.after, globalsteps
	"compress.lua",       -- compress/decompress (zlib streams), encode_png's encoder
	"misc_s.lua",         -- setting_get_pos, the encode_png wrapper (builtin game/misc_s.lua)
	"schematics.lua",     -- read/serialize/create/place schematics (MTS and Lua tables)
	"pathfinder.lua",     -- find_path (A* and Dijkstra as src/pathfinder.cpp)
	"treegen.lua",        -- spawn_tree (L-system trees)
	"misc.lua",           -- protection, creative, sounds, formspecs, HUD, particles, misc engine calls
	"information_formspecs.lua", -- the /help formspecs and their fields handler
	"forceloading.lua",   -- forceload_block counting, force_loaded.txt
	"statbars.lua",       -- the builtin health and breath HUD bars
	"mapgen.lua",         -- biomes/ores/decorations/schematics: accepted and recorded
	"deprecated.lua",     -- core.env and other deprecated names real mods still use
	"async.lua",          -- handle_async and the async environment, serialize_roundtrip (c_packer)
	"rollback.lua",       -- the rollback API of a server that records no rollback
	"modload.lua",        -- host side: loading mods in order, load-time phases
	"driver.lua",         -- host side: the event driver (join, place, dig, punch, right-click, steps)
	"persist.lua",        -- host side: server shutdown and restart from what the databases kept
	"report.lua",         -- host side: the registry report as JSON
}

local host_G = _G
local ipairs, next, setfenv = host_G.ipairs, host_G.next, host_G.setfenv

-- Chunk names (chunks.lua): each file runs under the name of the engine builtin file it mirrors
-- (runtime.py's bytecode carries the same names). Frames of the other files (C++ mirrors, host
-- side, this file) are never shown to mods: sandbox.lua reads `hidden`.
local names = host_G.assert(host_G.loadstring(sources["chunks.lua"], "@chunks.lua"))()
local hidden = { [host_G.debug.getinfo(1, "S").source] = true }

-- The files are compiled once per Lua state; each world runs them again (new_world).
local chunks = {}
for i, name in ipairs(FILES) do
	local src = sources[name]
	if src == nil then
		error("vf-luanti emulation file missing: " .. name, 0)
	end
	local chunk, err = host_G.loadstring(src, names.name(name))
	if not chunk then
		error(err, 0)
	end
	chunks[i] = chunk
	if not names.shown(name) then
		hidden[host_G.debug.getinfo(chunk, "S").source] = true
	end
end

-- One simulated server: its own `core`, the mods' global table `G` (sandbox.lua fills it with the
-- allowed globals) and the internal state `I`, built by running every file. Returns the host API
-- that Python drives. A state may hold several worlds of one sample (the scenarios of a task,
-- vf_luanti/checks.py); they share nothing but the state itself, and every call from Python first
-- makes its world the active one (I.activate: the string metatable is the state's).
-- Tables of constants the emulation files compute (CRC and Huffman tables ...): the same for every
-- world of the state, never handed to mod code, never written after they are built.
local CONSTANTS = {}

local function new_world()
	local I = {
		host = host_G,           -- the host globals (full libraries); emulation code only
		constants = CONSTANTS,   -- read-only tables a file builds once per state, not once per world
		files = FILES,
		guard = guard,
		engine_prefix = names.prefix, -- every emulation chunk name starts with it (sandbox.lua)
		hidden_sources = hidden,  -- chunk names whose frames mods never see (sandbox.lua)
	}
	local core = {}
	local G = {}
	I.G = G
	for _, chunk in ipairs(chunks) do
		setfenv(chunk, G)  -- the closures a file creates keep the G they were created with
		chunk(core, I)
	end
	local api, activate = {}, I.activate
	for name, f in next, I.api do  -- I.api is assembled by the host-side files (modload, driver, report)
		api[name] = function(...)
			activate()
			return f(...)
		end
	end
	return api
end

-- The first world is built with the collector stopped: everything the files build stays alive
-- (about 1 MB), so collection steps here would only trace it again, at a tenth of the runtime's
-- creation cost. The collector then restarts with its next cycle a full pause away (LuaJIT:
-- argument -1 sets the threshold to pause% of what is in use), not at once: a plain restart would
-- trace all of it at the first allocation of the mod's load, in a runtime that lives a few
-- milliseconds. Later worlds are built with the collector running, which keeps the garbage of a
-- long sample bounded as usual.
host_G.collectgarbage("stop")
local api = new_world()
host_G.collectgarbage("restart", -1)
return api, new_world
