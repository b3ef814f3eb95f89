-- mapgen.lua: biomes, ores, decorations, schematics and mapgen settings (engine: C++ l_mapgen.cpp
-- plus builtin's registration wrappers), and map generation (engine: EmergeThread::finishGen in
-- src/emerge.cpp, MapgenSinglenode::makeChunk, l_get_mapgen_object). Definitions are checked and
-- recorded as the engine's registration functions do (refusals and warnings of l_mapgen.cpp, a
-- decoration's schematic loaded); no terrain, ore or decoration is ever placed from them: a
-- generated chunk is air, and the mods' on_generated callbacks run over it (see docs/world.md).
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs, next = H.type, H.tostring, H.tonumber, H.pairs, H.ipairs, H.next
local error = H.error
local floor = H.math.floor

local function table_arg(fname, v)
	if type(v) ~= "table" then
		error("bad argument #1 to '" .. fname .. "' (table expected, got " .. (v == nil and "no value" or type(v)) .. ")", 0)
	end
end

-- One C++ object manager (ObjDefManager): definitions by handle (0-based index here; the engine's
-- handles also carry a random uid, so mods cannot count on their values) and by name. A second
-- object of a name already kept, or one beyond OBJDEF_MAX_ITEMS, is refused (nil).
local MAX_ITEMS = 262144
local function manager()
	return { list = {}, by_name = {} }
end
local M = { biome = manager(), ore = manager(), decoration = manager(), schematic = manager() }

-- The biome manager starts with the engine's own biome "default" (index 0), which clearing keeps;
-- it is no registered biome of the Lua side.
local DEFAULT_BIOME = { name = "default" }
local function reset_biomes()
	M.biome.list, M.biome.by_name = { DEFAULT_BIOME }, { default = 0 }
end
reset_biomes()

local function add(m, def, name)
	if name ~= "" and m.by_name[name] ~= nil or #m.list >= MAX_ITEMS then
		return nil
	end
	local id = #m.list
	m.list[id + 1] = def
	if name ~= "" then
		m.by_name[name] = id
	end
	return id
end

local function clear(m)
	m.list, m.by_name = {}, {}
end

-- The C++ field readers (c_converter.cpp, c_content.cpp), through the table's metamethods: a number
-- field takes a number or a numeric string (lua_isnumber), an integer one truncated; a string field
-- takes a string or a number (lua_isstring); anything else gives the default.
local function number(v)
	if type(v) == "number" then
		return v
	elseif type(v) == "string" then
		return tonumber(v)
	end
end
local function intfield(t, key, default)
	local v = number(t[key])
	if v == nil or v ~= v then
		return default
	end
	return v < 0 and -floor(-v) or floor(v)
end
local function strfield(t, key, default)
	local v = t[key]
	if type(v) == "string" or type(v) == "number" then
		return tostring(v)
	end
	return default
end
-- getenumfield: the value's index in `names` (0-based), else the default.
local function enumfield(t, key, names, default)
	local v = strfield(t, key, "")
	for i, name in ipairs(names) do
		if name == v then
			return i - 1
		end
	end
	return default
end
-- getstringlistfield: how many strings a string or a list (every string or number value) gives.
local function stringlist(v)
	if type(v) == "table" then
		local n = 0
		for _, e in H.next, v do
			if type(e) == "string" or type(e) == "number" then
				n = n + 1
			end
		end
		return n
	elseif type(v) == "string" or type(v) == "number" then
		return 1
	end
	return 0
end

-- The engine's errorstream during registration: an ERROR line, a warning of the load check.
local function log_error(message)
	I.diag("warning", message)
	I.emit("ERROR[" .. (I.phase == "run" and "Server" or "Main") .. "]: " .. message)
end

-- warn_if_field_exists: a WARNING when the old field is set.
local function warn_if_field(t, key, message)
	if t[key] ~= nil then
		local text = 'Field "' .. key .. '": ' .. message
		I.diag("warning", text)
		I.emit("WARNING[" .. (I.phase == "run" and "Server" or "Main") .. "]: " .. text)
	end
end

local raw = {}
function raw.register_biome(def)
	table_arg("register_biome", def)
	return add(M.biome, def, strfield(def, "name", ""))
end

-- register_ore (l_register_ore): the ore type (scatter unless a known one is named), clust_scarcity
-- (a u32) and clust_num_ores (an s16) above 0, the old field names warned about, and noise_params
-- for the types that need noise (sheet, puff, blob, vein: a deprecation, defaults used).
local ORE_TYPES = { "scatter", "sheet", "puff", "blob", "vein", "stratum" }
local ORE_NEEDS_NOISE = { [1] = true, [2] = true, [3] = true, [4] = true }
local WRAPPER_CALL = "/usr/share/games/minetest/builtin/game/register.lua:506" -- local retval = orig_reg_fn(def)

-- Each ore's `ore` node name as read at registration; the engine resolves it once the mods are
-- loaded (I.resolve_ore_nodes).
local ore_nodes = {}
function raw.register_ore(def)
	table_arg("register_ore", def)
	local oretype = enumfield(def, "ore_type", ORE_TYPES, 0)
	local name = strfield(def, "name", "")
	local scarcity = intfield(def, "clust_scarcity", 1) % 4294967296
	local num_ores = (intfield(def, "clust_num_ores", 1) + 32768) % 65536 - 32768
	warn_if_field(def, "noise_threshhold", 'Deprecated: new name is "noise_threshold".')
	warn_if_field(def, "height_min", 'Deprecated: new name is "y_min".')
	warn_if_field(def, "height_max", 'Deprecated: new name is "y_max".')
	if scarcity <= 0 or num_ores <= 0 then
		log_error("register_ore: clust_scarcity and clust_num_oresmust be greater than 0")
		return nil
	end
	if type(def.noise_params) ~= "table" and ORE_NEEDS_NOISE[oretype] then
		-- log_deprecated names the C function's caller: builtin's registration wrapper
		local text = "register_ore: ore type requires 'noise_params' but it is not specified, falling back to defaults"
		I.diag("warning", text)
		I.emit("WARNING[" .. (I.phase == "run" and "Server" or "Main") .. "]: " .. text .. " (at " .. WRAPPER_CALL .. ")")
	end
	local id = add(M.ore, def, name)
	if id ~= nil then
		ore_nodes[id + 1] = def.ore
	end
	return id
end

-- register_decoration (l_register_decoration): a known placement type ("simple" or "schematic"),
-- sidelen above 0, then by type: a simple one needs a height above 0, decoration nodes and param2
-- within 0-255; a schematic one gets its schematic as place_schematic does (a kept one, else loaded
-- with the replacements and kept).
local DECO_TYPES = { "simple", "schematic", "lsystem" }

local function read_deco_simple(def)
	if intfield(def, "height", 1) <= 0 then
		log_error("register_decoration: simple decoration height must be greater than 0")
		return false
	end
	if stringlist(def.decoration) == 0 then
		log_error("register_decoration: no decoration nodes defined")
		return false
	end
	local p2, p2max = intfield(def, "param2", 0), intfield(def, "param2_max", 0)
	if p2 < 0 or p2 > 255 or p2max < 0 or p2max > 255 then
		log_error("register_decoration: param2 or param2_max out of bounds (0-255)")
		return false
	end
	return true
end

local function read_deco_schematic(def)
	local replacements = def.replacements
	local map = type(replacements) == "table" and I.schematic_replacements(replacements) or {}
	return I.get_or_load_schematic(def.schematic, map) ~= nil
end

function raw.register_decoration(def)
	table_arg("register_decoration", def)
	local decotype = enumfield(def, "deco_type", DECO_TYPES, -1)
	if decotype ~= 0 and decotype ~= 1 then
		log_error("register_decoration: decoration placement type " .. decotype .. " not implemented")
		return nil
	end
	local name = strfield(def, "name", "")
	if intfield(def, "sidelen", 8) <= 0 then
		log_error("register_decoration: sidelen must be greater than 0")
		return nil
	end
	if stringlist(def.spawn_by) == 0 and intfield(def, "num_spawn_by", -1) ~= -1 then
		log_error("register_decoration: no spawn_by nodes defined, but num_spawn_by specified")
	end
	local ok
	if decotype == 0 then
		ok = read_deco_simple(def)
	else
		ok = read_deco_schematic(def)
	end
	if not ok then
		return nil
	end
	return add(M.decoration, def, name)
end
function raw.clear_registered_biomes()
	reset_biomes()
end
function raw.clear_registered_ores()
	clear(M.ore)
	ore_nodes = {}
end

-- The engine's NodeResolver after on_mods_loaded, before the first server step: an ore whose `ore`
-- names no node (nor an alias of one; a group is not resolved) logs an error, per ore. The other
-- node lists of ores, decorations and biomes fall back silently (probed on 5.6.1).
function I.resolve_ore_nodes()
	local nodes, aliases = core.registered_nodes, core.registered_aliases
	for i = 1, #M.ore.list do
		local name = ore_nodes[i]
		if type(name) == "string" and not (nodes[name] or nodes[aliases[name] or ""]) then
			I.log("error", "NodeResolver: failed to resolve node name '" .. name .. "'.")
		end
	end
end
function raw.clear_registered_decorations()
	clear(M.decoration)
end

-- Builtin's wrapper: the Lua-side registry keyed by name (or by handle when nameless).
local function wrap(kind)
	local list = {}
	local reg, clr = raw["register_" .. kind], raw["clear_registered_" .. kind .. "s"]
	core["register_" .. kind] = function(def)
		local id = reg(def)
		if id ~= nil then
			list[def.name ~= nil and def.name or id] = def
		end
		return id
	end
	core["clear_registered_" .. kind .. "s"] = function()
		for k in pairs(list) do
			list[k] = nil
		end
		return clr()
	end
	core["registered_" .. kind .. "s"] = list
	return list
end

wrap("biome")
wrap("ore")
wrap("decoration")

function core.unregister_biome(key)
	if type(key) ~= "string" then
		error("key is not a string", 2)
	end
	local list = core.registered_biomes
	if not list[key] then
		error("Attempt to unregister non-existent element - '" .. key .. "'", 2)
	end
	local keep = {}
	for k, v in pairs(list) do
		keep[k] = v
	end
	core.clear_registered_biomes()
	for k, v in pairs(keep) do
		if k ~= key then
			core.register_biome(v)
		end
	end
end

-- register_schematic (l_register_schematic): the schematic is loaded now (a table, or a file by
-- path) with the replacements, and kept; nil when it cannot be.
function core.register_schematic(def, replacements)
	local map = type(replacements) == "table" and I.schematic_replacements(replacements) or {}
	local s = I.load_schematic(def, map)
	local id = s and I.keep_schematic(s)
	if id == nil then
		return -- no value, as the C++ function
	end
	return id
end

function core.clear_registered_schematics()
	clear(M.schematic)
end

-- The kept schematics (schematics.lua): keep one (its name is a file's path, else empty), and find
-- one by handle (a number or numeric string, as get_objdef reads it) or by name.
function I.keep_schematic(s)
	return add(M.schematic, s, s.name or "")
end

function I.kept_schematic(v)
	local id = number(v)
	if id ~= nil then
		return M.schematic.list[(id < 0 and -floor(-id) or floor(id)) + 1]
	end
	id = M.schematic.by_name[v]
	return id ~= nil and M.schematic.list[id + 1] or nil
end

function core.get_biome_id(name)
	return M.biome.by_name[tostring(name)]
end

function core.get_biome_name(id)
	local def = M.biome.list[(tonumber(id) or -1) + 1]
	return def and def.name or nil
end

function core.get_decoration_id(name)
	return M.decoration.by_name[tostring(name)]
end

-- The biome at a position: the world has no biome map (nil, as a singlenode map gives).
function core.get_biome_data()
	return nil
end

function core.get_heat()
	return nil
end

function core.get_humidity()
	return nil
end

---------------------------------------------------------------------------------------------------
-- Mapgen settings: the oracle world's (mapgen singlenode), with the seed of the sample's world
-- (I.set_map_seed). The mapgen stays singlenode although most servers run a terrain mapgen: the
-- emulation generates no terrain, and a mod told "v7" would look for ground that is not there.

local mapgen_settings = {
	mg_name = "singlenode", seed = "0", water_level = "1", chunksize = "5", mapgen_limit = "31007",
	mg_flags = "caves, dungeons, light, decorations, biomes, ores",
}

-- Host side, as the server starts (persist.lua): the seed map_meta.txt holds, a u64 in decimal.
function I.set_map_seed(seed)
	mapgen_settings.seed = seed
end

-- The seed setting as the engine reads it (a u64 from its leading digits), in two exact 32-bit
-- words: doubles cannot hold every u64.
local U32 = 4294967296
local function seed_words()
	local hi, lo = 0, 0
	for d in H.string.gmatch(H.string.match(mapgen_settings.seed, "^%s*(%d*)"), "%d") do
		lo = lo * 10 + tonumber(d)
		hi = (hi * 10 + floor(lo / U32)) % U32
		lo = lo % U32
	end
	return hi, lo
end

-- (int) of the u64 seed: its low word as a signed 32-bit number (the world's noises add it).
function I.map_seed_s32()
	local _, lo = seed_words()
	return lo >= 2147483648 and lo - U32 or lo
end

function core.get_mapgen_setting(name)
	return mapgen_settings[tostring(name)]
end

-- Mapgen settings can change until the server runs (at load and in on_mods_loaded); later the engine
-- ignores them. Returns whether the setting could be set.
local function set_setting(name, value, override)
	if I.phase == "run" then
		return false
	end
	if override or mapgen_settings[name] == nil then
		mapgen_settings[name] = tostring(value)
	end
	return true
end

function core.set_mapgen_setting(name, value, override)
	name = tostring(name)
	if not set_setting(name, value, override) then
		local msg = "set_mapgen_setting: cannot set '" .. name .. "' after initialization"
		I.diag("warning", msg)
		I.emit("ERROR[Server]: " .. msg)
	end
end

function core.get_mapgen_setting_noiseparams()
	return nil
end

function core.set_mapgen_setting_noiseparams()
end

-- get_mapgen_params and set_mapgen_params warn on every call (5.6.1's log_deprecated).
function core.get_mapgen_params()
	I.deprecated_call("get_mapgen_params is deprecated; use get_mapgen_setting instead")
	local hi, lo = seed_words() -- lua_pushinteger of the u64: a signed 64-bit value, as a double
	return { mgname = mapgen_settings.mg_name, seed = (hi >= U32 / 2 and hi - U32 or hi) * U32 + lo,
		chunksize = tonumber(mapgen_settings.chunksize), water_level = tonumber(mapgen_settings.water_level),
		flags = mapgen_settings.mg_flags }
end

function core.set_mapgen_params(params)
	I.deprecated_call("set_mapgen_params is deprecated; use set_mapgen_setting instead")
	table_arg("set_mapgen_params", params)
	for key, setting in pairs({ mgname = "mg_name", seed = "seed", chunksize = "chunksize",
		water_level = "water_level", flags = "mg_flags" }) do
		if params[key] ~= nil then
			set_setting(setting, params[key], true)
		end
	end
end

local noiseparams = {}
function core.get_noiseparams(name)
	return noiseparams[tostring(name)]
end

function core.set_noiseparams(name, np)
	noiseparams[tostring(name)] = np
end

local gen_notify = { flags = "", deco_ids = {} }
function core.set_gen_notify(flags, deco_ids)
	if type(flags) == "string" then
		gen_notify.flags = flags
	elseif type(flags) == "table" then
		local parts = {}
		for k, v in pairs(flags) do
			if v then
				parts[#parts + 1] = k
			end
		end
		H.table.sort(parts)
		gen_notify.flags = H.table.concat(parts, ",")
	end
	if type(deco_ids) == "table" then
		for _, id in ipairs(deco_ids) do
			gen_notify.deco_ids[#gen_notify.deco_ids + 1] = id
		end
	end
end

function core.get_gen_notify()
	local ids = {}
	for i, id in ipairs(gen_notify.deco_ids) do
		ids[i] = id
	end
	return gen_notify.flags, ids
end

function core.generate_ores()
end

function core.generate_decorations()
end

-- Host side: what the mapgen registration recorded (counts for reports and checks).
function I.mapgen_counts()
	local n = {}
	for kind, m in next, M do
		n[kind] = #m.list
	end
	return n
end

-- The oracle's singlenode mapgen gives spawn level 1 everywhere; before the server runs the engine
-- logs an error on each call and still returns 1 (probed on 5.6.1).
function core.get_spawn_level()
	if I.phase ~= "run" then
		I.log("error", "EmergeManager: getSpawnLevelAtPoint() called before mapgen init")
	end
	return 1
end

---------------------------------------------------------------------------------------------------
-- Map generation. A chunk is chunksize^3 map blocks, aligned so that the origin's chunk is
-- centred ((-32,-32,-32)..(47,47,47) for chunksize 5). The engine generates the chunks a player's
-- client asks for, starting with the player's own chunk one server step after the join; a
-- dedicated server without players generates nothing. The emulation generates the chunk a player
-- joins in, as the player is created: a scenario's next action follows the join with no server
-- step between them, and in the engine a player cannot act before their chunk is there.

I.generated = {} -- chunk hash (of its minimum block) -> true
-- The chunk being generated: {minp, maxp, vm}, the mapgen's own copies (a mod may change the tables
-- it gets); nil outside on_generated.
local current

local function chunk_blocks()
	local size = floor(tonumber(mapgen_settings.chunksize) or 5)
	-- EmergeManager::getContainingChunk: C++ integer division, so the offset is -(size / 2)
	return size, -floor(size / 2)
end

local function chunk_of_block(bx, by, bz)
	local size, off = chunk_blocks()
	local function lo(b)
		return floor((b - off) / size) * size + off
	end
	return lo(bx), lo(by), lo(bz)
end

local function is_generated(bx, by, bz)
	return I.generated[I.hash(chunk_of_block(bx, by, bz))] == true
end

-- Mapgen::getBlockSeed2 in unsigned 32-bit arithmetic (doubles hold 53 bits: products are split).
local function mul32(a, b)
	local bl = b % 65536
	return (a * bl + a * ((b - bl) / 65536) % U32 * 65536) % U32
end

local function blockseed(p, seed)
	local n = (mul32(1619, p.x % U32) + mul32(31337, p.y % U32) + mul32(52591, p.z % U32)
		+ mul32(1013, seed % U32)) % U32
	n = H.bit.bxor(floor(n / 8192), n) % U32
	return (mul32(n, (mul32(mul32(n, n), 60493) + 19990303) % U32) + 1376312589) % U32
end

-- Generates the chunk holding node position `pos` unless it is generated: on_generated callbacks
-- run in registration order as builtin's run_callbacks runs them, and the first error ends the
-- chunk's callbacks (the engine's server stops with it: a fatal "AsyncErr").
function I.generate_chunk_at(pos)
	local bx, by, bz = chunk_of_block(floor(pos.x / 16), floor(pos.y / 16), floor(pos.z / 16))
	local h = I.hash(bx, by, bz)
	local size = chunk_blocks()
	local minp = I.vec(bx * 16, by * 16, bz * 16)
	local maxp = I.vec(minp.x + size * 16 - 1, minp.y + size * 16 - 1, minp.z + size * 16 - 1)
	local limit = tonumber(mapgen_settings.mapgen_limit) or 31007
	if I.generated[h] or H.math.max(-minp.x, -minp.y, -minp.z, maxp.x, maxp.y, maxp.z) > limit then
		return
	end
	I.generated[h] = true
	local callbacks = I.registry("registered_on_generateds")
	if #callbacks == 0 then
		return -- nothing to run: the chunk costs nothing
	end
	current = { minp = I.vec(minp.x, minp.y, minp.z), maxp = I.vec(maxp.x, maxp.y, maxp.z) }
	local _, seed32 = seed_words() -- the mapgen's seed is the setting's low 32 bits ((s32)seed)
	local seed = blockseed(minp, seed32)
	for _, f in ipairs(callbacks) do
		I.set_origin(f)
		if not I.callback("environment_OnGenerated", f, minp, maxp, seed) then
			break
		end
	end
	local vm = current.vm
	current = nil
	if vm then
		H.collectgarbage() -- the VM's store is garbage now, and the heap limit counts it until collected
	end
end

-- The chunk a player's arrival generates after the first: within seconds the engine emerges the
-- player's view range, here the chunk below the one around `pos` (where ores go). One, not the
-- dozens a real server makes: a chunk's on_generated may walk its whole VoxelManip (1.4 M nodes),
-- and the sample's CPU budget must hold. Nothing runs without on_generated.
function I.generate_around(pos)
	if #I.registry("registered_on_generateds") == 0 then
		return
	end
	I.generate_chunk_at(I.vec(pos.x, pos.y - chunk_blocks() * 16, pos.z))
end

-- What the mapgen offers inside on_generated (l_get_mapgen_object). The emulated mapgen is an
-- empty terrain mapgen: the heightmap is what the engine's findGroundLevel gives for a column
-- without walkable nodes (minp.y - 1); singlenode has none, but mods written for terrain mapgens
-- index it unchecked. There is no biome generator (biomemap, heatmap, humiditymap: no value, as
-- for singlenode) and nothing to notify (gennotify: an empty table).
local OBJECTS = { voxelmanip = true, heightmap = true, biomemap = true, heatmap = true,
	humiditymap = true, gennotify = true }

function core.get_mapgen_object(name)
	name = (type(name) == "string" or type(name) == "number") and tostring(name) or ""
	if not OBJECTS[name] then
		return
	end
	if not current then
		error("Must only be called in a mapgen thread!", 0)
	end
	local minp, maxp = current.minp, current.maxp
	if name == "voxelmanip" then
		local emin = I.vec(minp.x - 16, minp.y - 16, minp.z - 16)
		local emax = I.vec(maxp.x + 16, maxp.y + 16, maxp.z + 16)
		if current.vm then
			return I.same_vm(current.vm), emin, emax
		end
		current.vm = I.new_mapgen_vm(emin, emax, is_generated)
		return current.vm, emin, emax
	elseif name == "heightmap" then
		local map = {}
		for i = 1, (maxp.x - minp.x + 1) * (maxp.z - minp.z + 1) do
			map[i] = minp.y - 1
		end
		return map
	elseif name == "gennotify" then
		return {}
	end
end
