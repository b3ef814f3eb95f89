-- persist.lua (host side): starting the server, stopping it and starting it again from what it
-- saved (engine: Server::Server, Server::~Server and ServerEnvironment::~ServerEnvironment in
-- src/server.cpp and src/serverenvironment.cpp; the databases of src/database/: the map (MapBlock
-- nodes with param1/param2, node metadata and inventories, node timers, static objects), mod
-- storage, players (PlayerDatabase: position, look, HP, breath, inventory lists, metadata) and
-- auth, and the environment's metadata (game time, time of day, day count); files mods wrote under
-- the world path).
--
-- api.persist() runs the engine's shutdown order and returns the saved state as text: connected
-- players are saved (forced), then the register_on_shutdown callbacks run (players still listed:
-- 5.6.1 only queues their disconnect, so on_leaveplayer is not run; what a callback changes in a
-- player's data after that save is lost), then the environment deactivates its objects (static
-- entities: get_staticdata, then on_deactivate(self, false)), and the map and mod storage are
-- written last. Lua variables, core.after jobs, detached inventories and non-static entities are
-- not saved. api.restore(text) gives a fresh world that state before any mod loads (mods read
-- their storage while loading); saved static entities are activated when the environment starts.
-- Nobody is online after a restart: players join again and get back what their record holds.
local core, I = ...
local H = I.host
local type, tostring, pairs, ipairs, error = H.type, H.tostring, H.pairs, H.ipairs, H.error
local sort = H.table.sort

local api = I.api
-- The emulation's serializer (serialize.lua), captured before any mod can replace it: strings
-- round-trip byte for byte (%q) and numbers exactly (17 significant digits).
local serialize, parse_json = core.serialize, core.parse_json

local function copy(t)
	local out = {}
	for k, v in pairs(t or {}) do
		out[k] = v
	end
	return out
end

-- An inventory as the databases write it: lists of itemstrings with their size and width.
local function save_inventory(inv)
	local lists = {}
	for name, list in pairs(inv.lists) do
		local items = {}
		for i = 1, list.size do
			items[i] = I.record_to_string(list.slots[i])
		end
		lists[name] = { size = list.size, width = list.width, items = items }
	end
	return lists
end

-- Items are read back as itemstrings are (aliases resolved, as ItemStack::deSerialize does).
local function load_inventory(lists, location)
	local inv = I.new_inventory(location)
	for name, l in pairs(lists) do
		local slots = {}
		for i = 1, l.size do
			slots[i] = I.parse_itemstring(l.items[i] or "")
		end
		inv.lists[name] = { size = l.size, width = l.width, slots = slots }
	end
	return inv
end

local function save_player(rec)
	return { pos = copy(rec.pos), yaw = rec.yaw, pitch = rec.pitch, hp = rec.hp, breath = rec.breath,
		inventory = save_inventory(rec.inventory), meta = copy(rec.meta) }
end

local function run_shutdown_callbacks()
	for _, f in ipairs(I.registry("registered_on_shutdown")) do
		I.set_origin(f)
		I.callback("on_shutdown", f)
	end
end

-- ServerEnvironment::deactivateFarObjects(true): every live entity goes; one whose static_save
-- is not false is stored with its get_staticdata result, hp, velocity and rotation.
local function deactivate_entities()
	local ids = {}
	for id, o in pairs(I.objects) do
		if o.kind == "entity" and not o.removed then
			ids[#ids + 1] = id
		end
	end
	sort(ids)
	local static = {}
	for _, id in ipairs(ids) do
		local o = I.objects[id]
		local ent = o and not o.removed and o.luaentity
		if ent then
			if o.properties.static_save ~= false then
				local staticdata = ""
				if type(ent.get_staticdata) == "function" then
					local res = { I.callback("luaentity_GetStaticdata", ent.get_staticdata, ent) }
					staticdata = res[1] and type(res[2]) == "string" and res[2] or ""
				end
				static[#static + 1] = { name = o.entity_name, pos = copy(o.pos), staticdata = staticdata,
					hp = o.hp, velocity = copy(o.velocity), rotation = copy(o.rotation) }
			end
			o.deactivated = true
			if type(ent.on_deactivate) == "function" then
				I.callback("luaentity_on_deactivate", ent.on_deactivate, ent, false)
			end
			I.remove_object(o)
		end
	end
	return static
end

local function save_map()
	local nodes, meta, timers = {}, {}, {}
	for h, n in pairs(I.nodes) do
		nodes[h] = { name = n.name, param1 = n.param1, param2 = n.param2 }
	end
	for h, m in pairs(I.node_meta) do
		meta[h] = { fields = copy(m.fields), private = copy(m.private), inventory = save_inventory(m.inv) }
	end
	for h, t in pairs(I.node_timers) do
		timers[h] = { timeout = t.timeout, elapsed = t.elapsed }
	end
	return nodes, meta, timers
end

-- Files the mods wrote into the world directory.
-- World files builtin itself writes at every shutdown, by name in the world folder -> whether a
-- text holds nothing the mods put there (then it is no data of theirs): forceloading.lua's list of
-- the blocks forced for good.
local BUILTIN_FILES = {
	["force_loaded.txt"] = function(text)
		return I.no_forced_blocks(text)
	end,
}

-- The files a real server has written into the world folder before the first mod loads (5.6.1,
-- probed: world.mt, the map's metadata, the mod storage database), world path -> text as written.
-- They are the engine's: a saved world leaves them out while they hold what it wrote, and each
-- start writes the missing ones again.
I.engine_world_files = {}

-- A noise parameter block of map_meta.txt (the engine's defaults for the biome noises).
local function noise_block(name, seed, spread, scale, octaves, persistence, offset)
	return H.string.format("%s = {\n\tflags = defaults\n\tlacunarity = 2\n\tpersistence = %s\n\tseed = %d\n"
		.. "\tspread = (%d,%d,%d)\n\tscale = %s\n\toctaves = %d\n\toffset = %s\n\t}\n", name, persistence, seed,
		spread, spread, spread, scale, octaves, offset)
end

function I.write_world_files()
	local lines = { "enable_damage = true", "creative_mode = false", "mod_storage_backend = sqlite3",
		"auth_backend = sqlite3", "player_backend = sqlite3", "backend = sqlite3", "gameid = minetest",
		"world_name = " .. H.string.match(I.worldpath, "[^/]*$") }
	local mods, user_mods = {}, I.user_path and I.user_path .. "/mods/" or "\0"
	for name, mod in pairs(I.mods) do
		if H.string.sub(mod.path, 1, #user_mods) == user_mods then
			mods[#mods + 1] = "load_mod_" .. name .. " = true"
		end
	end
	H.table.sort(mods)
	local setting = core.get_mapgen_setting
	local files = {
		["world.mt"] = H.table.concat(lines, "\n") .. "\n" .. H.table.concat(mods, "\n") .. (#mods > 0 and "\n" or ""),
		["map_meta.txt"] = noise_block("mg_biome_np_humidity_blend", 90003, 8, "1.5", 2, 1, 0)
			.. noise_block("mg_biome_np_heat_blend", 13, 8, "1.5", 2, 1, 0)
			.. "mg_flags = " .. setting("mg_flags") .. "\nchunksize = " .. setting("chunksize")
			.. "\nmapgen_limit = " .. setting("mapgen_limit") .. "\n"
			.. noise_block("mg_biome_np_heat", 5349, 1000, 50, 3, "0.5", 50)
			.. "water_level = " .. setting("water_level") .. "\n"
			.. noise_block("mg_biome_np_humidity", 842, 1000, 50, 3, "0.5", 50)
			.. "seed = " .. setting("seed") .. "\nmg_name = " .. setting("mg_name") .. "\n[end_of_params]\n",
		-- an empty SQLite database of 3 pages
		["mod_storage.sqlite"] = "SQLite format 3\0" .. H.string.rep("\0", 12288 - 16),
	}
	for name, text in pairs(files) do
		local path = I.worldpath .. "/" .. name
		I.engine_world_files[path] = text
		if I.vfs[path] == nil then
			I.vfs[path] = text
		end
	end
end

local function world_files()
	local files, prefix = {}, I.worldpath .. "/"
	for path, text in pairs(I.vfs) do
		if H.string.sub(path, 1, #prefix) == prefix and I.engine_world_files[path] ~= text then
			files[path] = text
		end
	end
	return files
end

-- The server stops (after its players were saved): on_shutdown callbacks, every entity deactivated
-- (static ones return what they would be saved with), players gone, no more steps.
function I.shutdown()
	run_shutdown_callbacks()
	local entities = deactivate_entities()
	for _, name in ipairs(I.player_order) do
		I.remove_object(I.players[name])
	end
	I.players, I.player_order = {}, {}
	I.phase = "stopped"
	return entities
end

-- The state as text, ASCII only (bytes >= 128 occur only inside string literals; written as
-- escapes), so it crosses to the host and back unchanged whatever the mods stored.
local function encode(t)
	return (H.string.gsub(serialize(t), "[\128-\255]", function(c)
		return H.string.format("\\%03d", H.string.byte(c))
	end))
end

api.persist = function()
	return I.persist()
end

-- The server stops as api.persist says and its saved state is kept (I.saved_state) when the mods
-- saved anything of their own (mod storage, files in the world folder): the state a second start
-- of the server would load.
function I.persist()
	if I.phase ~= "run" then
		error("the server is not running", 0)
	end
	local players = {}
	for name, rec in pairs(I.saved_players) do
		players[name] = save_player(rec)
	end
	for _, name in ipairs(I.player_order) do
		players[name] = save_player(I.players[name])
	end
	local entities = I.shutdown()
	local nodes, meta, timers = save_map()
	local auth = {}
	for name, entry in pairs(I.auth) do
		auth[name] = copy(entry)
		auth[name].privileges = copy(entry.privileges)
	end
	local storage = {}
	for mod, data in pairs(I.mod_storage_fields()) do
		storage[mod] = copy(data)
	end
	local files = world_files()
	local state = encode({
		storage = storage, nodes = nodes, meta = meta, timers = timers, entities = entities,
		players = players, known_players = copy(I.known_players), auth = auth, files = files,
		gametime = I.gametime, timeofday = I.timeofday, day_count = I.day_count, wall_base = I.wall_base,
		generated = copy(I.generated), -- the map database keeps generated chunks: no second on_generated
	})
	local mine, prefix = false, I.worldpath .. "/"
	for path, text in pairs(files) do
		local idle = BUILTIN_FILES[H.string.sub(path, #prefix + 1)]
		mine = mine or not (idle and idle(text))
	end
	for _, data in pairs(storage) do
		mine = mine or H.next(data) ~= nil
	end
	I.saved_state = mine and state or nil
	return state
end

-- The saved state read back (a table), or an error for text that is not one.
local function decode(text)
	local chunk = H.loadstring(tostring(text), "=persisted")
	if not chunk then
		error("not a saved world state", 0)
	end
	H.setfenv(chunk, {})
	return chunk()
end

-- edit_storage(text, mod, edits_json): the saved state with the mod's storage edited as an admin
-- edits the database while the server is stopped: each key set to its string, or removed (null).
api.edit_storage = function(text, mod, edits_json)
	local t = decode(text)
	local data, null = t.storage[tostring(mod)] or {}, {}
	for k, v in pairs(parse_json(tostring(edits_json), null) or {}) do
		data[tostring(k)] = type(v) == "string" and v or nil
	end
	t.storage[tostring(mod)] = data
	return encode(t)
end

local pending_entities = {}
local restored = false

api.restore = function(text)
	local t = decode(text)
	for mod, data in pairs(t.storage) do
		I.mod_storage[mod] = data
	end
	for h, n in pairs(t.nodes) do
		I.nodes[h] = n
	end
	for h, m in pairs(t.meta) do
		local x, y, z = I.unhash(h)
		I.node_meta[h] = { fields = m.fields, private = m.private,
			inv = load_inventory(m.inventory, { type = "node", pos = { x = x, y = y, z = z } }) }
	end
	for h, timer in pairs(t.timers) do
		I.node_timers[h] = timer
	end
	for name, p in pairs(t.players) do
		p.inventory = load_inventory(p.inventory, { type = "player", name = name })
		I.saved_players[name] = p
	end
	for name in pairs(t.known_players) do
		I.known_players[name] = true
	end
	for name, entry in pairs(t.auth) do
		I.auth[name] = entry
	end
	for path, body in pairs(t.files) do
		I.vfs[path] = body
	end
	I.gametime, I.timeofday, I.day_count = t.gametime, t.timeofday, t.day_count
	I.wall_base = t.wall_base or I.wall_base
	for h in pairs(t.generated or {}) do
		I.generated[h] = true
	end
	pending_entities = t.entities
	restored = true
	return true
end

-- The server starts (Server::Server, ServerEnvironment::loadMeta, builtin/init.lua): Python calls
-- this for every world, after any restore and before the first mod loads, with the sample's start
-- (vf_luanti/runtime.py ServerStart): the user path, the map seed, the host's clock and the game
-- time a new world has already run (whole days, so the time of day is still the world's start
-- time; a restored world keeps the time it saved). Builtin seeds math.random with the wall clock;
-- here the server's clock seeds it, so every start of a sample's worlds gets a new sequence. The
-- generator belongs to the Lua state, which a restarted world shares with the stopped one: the new
-- seed leaves nothing of what the old server did to it.
api.start_server = function(user_path, map_seed, clock_us, game_seconds, neighbour)
	I.user_path = user_path
	I.neighbour = neighbour ~= "" and neighbour or nil -- the mod check frames call from (sandbox.lua)
	I.set_map_seed(map_seed)
	if not restored then
		I.advance_time(game_seconds)
		I.wall_base = H.os.time() - H.math.floor(I.gametime) -- the host's clock now (misc.lua I.wall_time)
	end
	I.start_clock(clock_us, game_seconds)
	H.math.randomseed(I.step_clock())
	return true
end

-- When the environment starts: the saved static entities activate where they were, with their
-- staticdata and dtime_s 0 (no game time passed between the save and the load).
function I.activate_saved_objects()
	local list = pending_entities
	pending_entities = {}
	for _, e in ipairs(list) do
		I.callback("luaentity_Activate", I.add_entity, e.pos, e.name, e.staticdata, 0, e)
	end
end
