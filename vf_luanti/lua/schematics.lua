-- schematics.lua: schematics as mods use them directly (engine: src/mapgen/mg_schematic.cpp and the
-- schematic functions of src/script/lua_api/l_mapgen.cpp): read_schematic, serialize_schematic,
-- create_schematic, place_schematic, place_schematic_on_vmanip.
--
-- A schematic is a box of nodes (x fastest, then y, then z) over a list of node names, each node
-- with a probability byte (bits 0-6: chance out of 127, bit 7: force placement) and param2, plus a
-- probability per Y slice. It comes from a Lua table, from an MTS file (a path relative to the
-- current mod's folder unless absolute), or is one the engine keeps (engine: get_or_load_schematic):
-- registered ones, and each one a placement or a decoration loaded, found by handle or by name (a
-- file's full path; a table's schematic has none). mapgen.lua holds the kept ones.
-- Probabilities below "always" draw from the engine's own generator, which mods cannot reach or
-- seed; here a private one stands in for it.
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs, error = H.type, H.tostring, H.tonumber, H.pairs, H.ipairs, H.error
local floor, min, max = H.math.floor, H.math.min, H.math.max
local sbyte, schar, ssub, sformat, srep = H.string.byte, H.string.char, H.string.sub, H.string.format, H.string.rep
local concat = H.table.concat
local band = H.bit.band

local compress, decompress = core.compress, core.decompress
local PROB_ALWAYS, PROB_NEVER, FORCE_PLACE = 127, 0, 128

-- The engine's private myrand_range(1, 127) stands in as a linear congruential generator.
local seed = 12345
local function myrand_127()
	seed = (seed * 1103515245 + 12345) % 2147483648
	return floor(seed / 65536) % 127 + 1
end

---------------------------------------------------------------------------------------------------
-- Reading schematics.

local function u16(n)
	n = n % 65536
	return schar(floor(n / 256), n % 256)
end

-- The engine's errorstream, at load time from the main thread, once the server runs from its own; a
-- load check reports each line as a warning.
local function log_error(message)
	I.diag("warning", message)
	I.emit("ERROR[" .. (I.phase == "run" and "Server" or "Main") .. "]: " .. message)
end

-- read_schematic_def: size, data (every node: name, prob 0-255 halved into 0-127, param2,
-- force_place) and yslice_prob. Nil (with the engine's error logged) when the data is short.
local function from_table(t)
	local size = t.size
	if type(size) ~= "table" then
		return nil
	end
	local sx, sy, sz = I.check_pos(size, "read_schematic")
	local count = sx * sy * sz
	local data = type(t.data) == "table" and t.data or {}
	local n = 0
	while data[n + 1] ~= nil do
		n = n + 1
	end
	if n < count then
		log_error("read_schematic_def: incorrect number of nodes provided in raw schematic data (got " .. n
			.. ", expected " .. count .. ").")
		return nil
	end
	local s = { size = { sx, sy, sz }, names = {}, ids = {}, prob = {}, param2 = {}, slice = {} }
	local index = {}
	for i = 1, count do
		local d = data[i]
		local name = type(d) == "table" and tostring(d.name or "air") or "air"
		if not index[name] then
			s.names[#s.names + 1] = name
			index[name] = #s.names
		end
		s.ids[i] = index[name]
		local prob = floor((type(d) == "table" and tonumber(d.prob) or 255) % 256 / 2)
		if type(d) == "table" and d.force_place then
			prob = prob + FORCE_PLACE
		end
		s.prob[i] = prob
		s.param2[i] = floor(type(d) == "table" and tonumber(d.param2) or 0) % 256
	end
	for y = 1, sy do
		s.slice[y] = PROB_ALWAYS
	end
	if type(t.yslice_prob) == "table" then
		for _, e in ipairs(t.yslice_prob) do
			local y = type(e) == "table" and tonumber(e.ypos)
			if y and y >= 0 and y < sy then
				s.slice[floor(y) + 1] = floor((tonumber(e.prob) or 255) % 256 / 2)
			end
		end
	end
	return s
end

-- Schematic::deserializeFromMts (versions 3 and 4): nil for anything else.
local function from_mts(str)
	if ssub(str, 1, 4) ~= "MTSM" then
		log_error("deserializeFromMts: invalid schematic file")
		return nil
	end
	if #str < 12 then
		return nil
	end
	local pos = 5
	local function read_u16()
		local a, b = sbyte(str, pos, pos + 1)
		pos = pos + 2
		return (a or 0) * 256 + (b or 0)
	end
	local version = read_u16()
	if version > 4 then
		log_error("deserializeFromMts: unsupported schematic file version")
		return nil
	elseif version < 3 then
		return nil
	end
	local function s16()
		local v = read_u16()
		return v >= 32768 and v - 65536 or v
	end
	local sx, sy, sz = s16(), s16(), s16()
	local s = { size = { sx, sy, sz }, names = {}, ids = {}, prob = {}, param2 = {}, slice = {} }
	for y = 1, sy do
		s.slice[y] = sbyte(str, pos) or PROB_ALWAYS
		pos = pos + 1
	end
	for i = 1, read_u16() do
		local len = read_u16()
		local name = ssub(str, pos, pos + len - 1)
		s.names[i] = name == "ignore" and "air" or name -- a file's "ignore" reads as air
		pos = pos + len
	end
	local ok, bulk = H.pcall(decompress, ssub(str, pos))
	local count = sx * sy * sz
	if not ok or #bulk < count * 4 then
		return nil
	end
	for i = 1, count do
		local a, b = sbyte(bulk, 2 * i - 1, 2 * i)
		s.ids[i] = a * 256 + b + 1
		s.prob[i] = sbyte(bulk, 2 * count + i)
		s.param2[i] = sbyte(bulk, 3 * count + i)
	end
	return s
end

local function copy(s)
	local c = { size = s.size, names = {}, ids = s.ids, prob = s.prob, param2 = s.param2, slice = s.slice }
	for i, name in ipairs(s.names) do
		c.names[i] = name
	end
	return c
end

-- loadSchematicFromFile: an MTS file by path (relative to the current mod's folder unless
-- absolute), named by that path.
local function from_file(name)
	local path = name
	if ssub(path, 1, 1) ~= "/" then
		local mod = I.current_mod and I.mods and I.mods[I.current_mod]
		path = (mod and mod.path or ".") .. "/" .. path -- no current mod once the server runs
	end
	local data = I.read_file(path)
	if data == nil then
		log_error("loadSchematicFromFile: unable to open file '" .. path .. "'")
		return nil
	end
	local s = from_mts(data)
	if s then
		s.name = path
	end
	return s
end

-- read_schematic_replacements: {old = new} or {{old, new}, ...}; the first pair for a name wins.
function I.schematic_replacements(replacements)
	local map = {}
	if type(replacements) ~= "table" then
		return map
	end
	local function text(v, what)
		if type(v) ~= "string" and type(v) ~= "number" then
			error("schematics: " .. what .. " field is not a string", 0)
		end
		return tostring(v)
	end
	for k, v in H.next, replacements do
		local from, to
		if type(v) == "table" then
			from, to = text(H.rawget(v, 1), "replace_from"), text(H.rawget(v, 2), "replace_to")
		else
			from, to = text(k, "replace_from"), text(v, "replace_to")
		end
		if map[from] == nil then
			map[from] = to
		end
	end
	return map
end

local function replace(s, map)
	for i, name in ipairs(s.names) do
		s.names[i] = map[name] or name
	end
end

-- load_schematic: a table or a file (any other string), the replacements applied; nil for anything
-- else (a number names no file).
function I.load_schematic(v, replacements)
	local s
	if type(v) == "table" then
		s = from_table(v)
	elseif type(v) == "string" and tonumber(v) == nil then
		s = from_file(v)
	end
	if s and replacements then
		replace(s, replacements)
	end
	return s
end

-- get_objdef: a kept schematic by handle (a number, or a numeric string) or by name.
local function kept(v)
	if type(v) == "number" or type(v) == "string" then
		return I.kept_schematic(v)
	end
end

-- get_or_load_schematic: a kept one (its names as first loaded, whatever the replacements now),
-- else loaded with the replacements and kept (nil when a kept one has its name already).
function I.get_or_load_schematic(v, replacements)
	local s = kept(v)
	if s then
		return s
	end
	s = I.load_schematic(v, replacements)
	if s and I.keep_schematic(s) == nil then
		return nil
	end
	return s
end

---------------------------------------------------------------------------------------------------
-- read_schematic and serialize_schematic.

-- read_schematic and serialize_schematic: a kept one, else loaded for the call only.
local function loaded(v, fname)
	local s = kept(v) or I.load_schematic(v)
	if not s then
		log_error(fname .. ": failed to get schematic")
	end
	return s
end

function core.read_schematic(schematic, options)
	local s = loaded(schematic, "read_schematic")
	if not s then
		return
	end
	local mode = type(options) == "table" and options.write_yslice_prob or "all"
	local t = { size = I.vec(s.size[1], s.size[2], s.size[3]), data = {} }
	if mode ~= "none" then
		local slices = {}
		for y, p in ipairs(s.slice) do
			if mode ~= "low" or p < PROB_ALWAYS then
				slices[y] = { ypos = y - 1, prob = p * 2 }
			end
		end
		t.yslice_prob = slices
	end
	for i = 1, #s.ids do
		local p = s.prob[i]
		local node = { name = s.names[s.ids[i]], prob = band(p, PROB_ALWAYS) * 2, param2 = s.param2[i] }
		if p >= FORCE_PLACE then
			node.force_place = true
		end
		t.data[i] = node
	end
	return t
end

-- Schematic::serializeToMts: signature, version 4, size, slice probabilities, names, then the
-- nodes' ids, probabilities and param2 compressed together.
local function to_mts(s)
	local out = { "MTSM", u16(4), u16(s.size[1]), u16(s.size[2]), u16(s.size[3]) }
	for _, p in ipairs(s.slice) do
		out[#out + 1] = schar(p)
	end
	out[#out + 1] = u16(#s.names)
	for _, name in ipairs(s.names) do
		out[#out + 1] = u16(#name) .. name
	end
	local bulk = {}
	for i, id in ipairs(s.ids) do
		bulk[i] = u16(id - 1)
	end
	for i, p in ipairs(s.prob) do
		bulk[#s.ids + i] = schar(p)
	end
	for i, p2 in ipairs(s.param2) do
		bulk[2 * #s.ids + i] = schar(p2)
	end
	out[#out + 1] = compress(concat(bulk))
	return concat(out)
end

-- Schematic::serializeToLua: a "schematic = {...}" chunk, tab-indented unless told otherwise,
-- optionally with a "-- z=, y=" comment before each row.
local function to_lua(s, comments, spaces)
	local pad = spaces and srep(" ", spaces) or "\t"
	local out = { "schematic = {\n", pad, sformat("size = {x=%d, y=%d, z=%d},\n", s.size[1], s.size[2], s.size[3]),
		pad, "yslice_prob = {\n" }
	for y, p in ipairs(s.slice) do
		out[#out + 1] = pad .. pad .. sformat("{ypos=%d, prob=%d},\n", y - 1, p * 2)
	end
	out[#out + 1] = pad .. "},\n" .. pad .. "data = {\n"
	local sx, sy = s.size[1], s.size[2]
	for i = 1, #s.ids do
		local x, y, z = (i - 1) % sx, floor((i - 1) / sx) % sy, floor((i - 1) / (sx * sy))
		if comments and x == 0 then
			out[#out + 1] = "\n" .. pad .. pad .. sformat("-- z=%d, y=%d\n", z, y)
		end
		local p = s.prob[i]
		out[#out + 1] = pad .. pad .. sformat('{name="%s", prob=%d, param2=%d%s},\n', s.names[s.ids[i]],
			band(p, PROB_ALWAYS) * 2, s.param2[i], p >= FORCE_PLACE and ", force_place=true" or "")
	end
	out[#out + 1] = pad .. "},\n}\n"
	return concat(out)
end

function core.serialize_schematic(schematic, format, options)
	if options == nil then
		error("attempt to index a nil value", 0)
	end
	local s = loaded(schematic, "serialize_schematic")
	if not s then
		return
	end
	-- the options are read first, whatever the format (indexing a missing table fails)
	local comments = options.lua_use_comments
	local spaces = tonumber(options.lua_num_indent_spaces)
	if format == "lua" then
		return to_lua(s, comments, spaces and spaces > 0 and floor(spaces) or nil)
	end
	return to_mts(s) -- "mts", and any other format
end

---------------------------------------------------------------------------------------------------
-- Placement.

-- Param2 of a facedir / wallmounted node after turning the schematic by 90, 180 or 270 degrees
-- (MapNode::rotateAlongYAxis), probed on the 5.6.1 server: row = param2, column = turn.
local FACEDIR_TURNED = { { 0, 1, 2, 3 }, { 1, 2, 3, 0 }, { 2, 3, 0, 1 }, { 3, 0, 1, 2 }, { 4, 13, 10, 19 },
	{ 5, 14, 11, 16 }, { 6, 15, 8, 17 }, { 7, 12, 9, 18 }, { 8, 17, 6, 15 }, { 9, 18, 7, 12 }, { 10, 19, 4, 13 },
	{ 11, 16, 5, 14 }, { 12, 9, 18, 7 }, { 13, 10, 19, 4 }, { 14, 11, 16, 5 }, { 15, 8, 17, 6 }, { 16, 5, 14, 11 },
	{ 17, 6, 15, 8 }, { 18, 7, 12, 9 }, { 19, 4, 13, 10 }, { 20, 23, 22, 21 }, { 21, 20, 23, 22 },
	{ 22, 21, 20, 23 }, { 23, 22, 21, 20 } }
local WALLMOUNTED_TURNED = { { 0, 0, 0, 0 }, { 1, 1, 1, 1 }, { 2, 5, 3, 4 }, { 3, 4, 2, 5 }, { 4, 2, 5, 3 },
	{ 5, 3, 4, 2 }, { 6, 4, 2, 5 }, { 7, 3, 4, 2 } }

local function turned_param2(name, p2, rot)
	local def = I.node_def(name)
	local pt2 = def and def.paramtype2
	if pt2 == "facedir" or pt2 == "colorfacedir" then
		return p2 - p2 % 32 + FACEDIR_TURNED[p2 % 32 % 24 + 1][rot + 1]
	elseif pt2 == "wallmounted" or pt2 == "colorwallmounted" then
		return p2 - p2 % 8 + WALLMOUNTED_TURNED[p2 % 8 + 1][rot + 1]
	end
	return p2
end

local ROTATIONS = { ["0"] = 0, ["90"] = 1, ["180"] = 2, ["270"] = 3 }

local function read_rotation(v)
	if v == "random" then
		return floor(myrand_127() % 4)
	end
	return ROTATIONS[tostring(v)] or 0
end

-- flags: "place_center_x, place_center_z" or {place_center_x = true, ...}
local function read_flags(v)
	local f = {}
	if type(v) == "string" then
		for word in H.string.gmatch(v, "[^,%s]+") do
			f[word] = true
		end
	elseif type(v) == "table" then
		for k, on in pairs(v) do
			f[k] = on and true or nil
		end
	end
	return f
end

-- Schematic::blitToVManip: turns, skips slices and nodes by probability (a skipped slice does not
-- advance the placement height), keeps occupied positions unless forced, clears param1.
-- `get(x, y, z)` reads a position's node name (nil outside the target), `set` writes one.
local function blit(s, px, py, pz, rot, force, get, set)
	local sx, sy, sz = s.size[1], s.size[2], s.size[3]
	local xs, ys, zs = 1, sx, sx * sy
	local start, step_x, step_z = 0, xs, zs
	if rot == 1 then
		start, step_x, step_z = sx - 1, zs, -xs
		sx, sz = sz, sx
	elseif rot == 2 then
		start, step_x, step_z = zs * (sz - 1) + sx - 1, -xs, -zs
	elseif rot == 3 then
		start, step_x, step_z = zs * (sz - 1), -zs, xs
		sx, sz = sz, sx
	end
	local y_map = py
	for y = 0, sy - 1 do
		local slice = s.slice[y + 1]
		if not (slice ~= PROB_ALWAYS and slice <= myrand_127()) then
			for z = 0, sz - 1 do
				local i = z * step_z + y * ys + start
				for x = 0, sx - 1 do
					local current = get(px + x, y_map, pz + z)
					local name = s.names[s.ids[i + 1]]
					if current ~= nil and name ~= "ignore" then
						local p = s.prob[i + 1]
						local chance = band(p, PROB_ALWAYS)
						if chance ~= PROB_NEVER and (force or p >= FORCE_PLACE or current == "air" or current == "ignore")
							and not (chance ~= PROB_ALWAYS and chance <= myrand_127()) then
							local p2 = s.param2[i + 1]
							set(px + x, y_map, pz + z, name, rot ~= 0 and turned_param2(name, p2, rot) or p2)
						end
					end
					i = i + step_x
				end
			end
			y_map = y_map + 1
		end
	end
end

-- Unknown names place as air (the engine's node resolver falls back to it).
local function resolve(s)
	for i, name in ipairs(s.names) do
		local r = I.resolve_alias(name)
		if r ~= "air" and r ~= "ignore" and not I.node_def(r) then
			r = "air"
		end
		s.names[i] = r
	end
end

local function placement(pos, schematic, rotation, replacements, flags)
	local px, py, pz = I.check_pos(pos, "place_schematic")
	local map = type(replacements) == "table" and I.schematic_replacements(replacements) or nil
	local s = I.get_or_load_schematic(schematic, map)
	if not s then
		return nil
	end
	s = copy(s)
	resolve(s)
	local rot = read_rotation(rotation)
	local size = { s.size[1], s.size[2], s.size[3] }
	if rot % 2 == 1 then
		size[1], size[3] = size[3], size[1]
	end
	local f = read_flags(flags)
	if f.place_center_x then
		px = px - I.trunc((size[1] - 1) / 2)
	end
	if f.place_center_y then
		py = py - I.trunc((size[2] - 1) / 2)
	end
	if f.place_center_z then
		pz = pz - I.trunc((size[3] - 1) / 2)
	end
	return s, px, py, pz, rot, size
end

-- place_schematic: written as a VoxelManip writes (no node callbacks); force_placement defaults
-- to true.
function core.place_schematic(...)
	if I.phase ~= "run" then
		return
	end
	if H.select("#", ...) == 0 then
		error("Invalid vector (expected table got no value).", 0)
	end
	local pos, schematic, rotation, replacements, force_placement, flags = ...
	local s, px, py, pz, rot = placement(pos, schematic, rotation, replacements, flags)
	if not s then
		log_error("place_schematic: failed to get schematic")
		return
	end
	local force = true
	if type(force_placement) == "boolean" then
		force = force_placement
	end
	blit(s, px, py, pz, rot, force, function(x, y, z)
		local name = I.node_at(x, y, z)
		if name == "ignore" then
			return nil
		end
		return name
	end, function(x, y, z, name, p2)
		I.raw_set(x, y, z, name, 0, p2)
	end)
	return true
end

-- place_schematic_on_vmanip: into the VM's data; false when part of the schematic falls outside it.
function core.place_schematic_on_vmanip(vmanip, pos, schematic, rotation, replacements, force_placement, flags)
	local methods = I.class_methods.VoxelManip
	local emin, emax = methods.get_emerged_area(vmanip)
	local s, px, py, pz, rot, size = placement(pos, schematic, rotation, replacements, flags)
	if not s then
		log_error("place_schematic: failed to get schematic")
		return
	end
	local force = true
	if type(force_placement) == "boolean" then
		force = force_placement
	end
	local function inside(x, y, z)
		return x >= emin.x and x <= emax.x and y >= emin.y and y <= emax.y and z >= emin.z and z <= emax.z
	end
	blit(s, px, py, pz, rot, force, function(x, y, z)
		if not inside(x, y, z) then
			return nil
		end
		return methods.get_node_at(vmanip, I.vec(x, y, z)).name
	end, function(x, y, z, name, p2)
		methods.set_node_at(vmanip, I.vec(x, y, z), { name = name, param1 = 0, param2 = p2 })
	end)
	return inside(px, py, pz) and inside(px + size[1] - 1, py + size[2] - 1, pz + size[3] - 1)
end

---------------------------------------------------------------------------------------------------
-- create_schematic: the map's nodes in the box (names in order of first appearance), probability
-- bytes as given (not halved: 0-255 reaches the force bit), saved as MTS under mod security.
function core.create_schematic(p1, p2, probability_list, filename, slice_prob_list)
	local x1, y1, z1 = I.check_pos(p1, "create_schematic")
	local x2, y2, z2 = I.check_pos(p2, "create_schematic")
	x1, x2, y1, y2, z1, z2 = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2), min(z1, z2), max(z1, z2)
	filename = tostring(filename)
	local path = I.normalize_path(filename)
	if not path or not I.may_write(path) then
		error("Mod security: Blocked attempted write to " .. filename, 0)
	end
	local sx, sy, sz = x2 - x1 + 1, y2 - y1 + 1, z2 - z1 + 1
	local s = { size = { sx, sy, sz }, names = {}, ids = {}, prob = {}, param2 = {}, slice = {} }
	local index = {}
	local i = 0
	for z = z1, z2 do
		for y = y1, y2 do
			for x = x1, x2 do
				i = i + 1
				local name, _, p2 = I.node_at(x, y, z)
				if not index[name] then
					s.names[#s.names + 1] = name
					index[name] = #s.names
				end
				s.ids[i], s.prob[i], s.param2[i] = index[name], PROB_ALWAYS, p2
			end
		end
	end
	for y = 1, sy do
		s.slice[y] = PROB_ALWAYS
	end
	if type(probability_list) == "table" then
		for _, e in ipairs(probability_list) do
			if type(e) == "table" and type(e.pos) == "table" then
				local x, y, z = I.check_pos(e.pos, "create_schematic")
				if x >= x1 and x <= x2 and y >= y1 and y <= y2 and z >= z1 and z <= z2 then
					s.prob[(z - z1) * sx * sy + (y - y1) * sx + (x - x1) + 1] = floor(tonumber(e.prob) or 0) % 256
				end
			end
		end
	end
	if type(slice_prob_list) == "table" then
		for _, e in ipairs(slice_prob_list) do
			local y = type(e) == "table" and tonumber(e.ypos)
			if y and y >= 0 and y < sy then
				s.slice[floor(y) + 1] = floor(tonumber(e.prob) or 0) % 256
			end
		end
	end
	I.vfs[path] = to_mts(s)
	return true
end
