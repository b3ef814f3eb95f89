-- voxel.lua: VoxelArea (a Lua class in the engine's builtin) and VoxelManip (engine:
-- src/script/lua_api/l_vmanip.cpp) working in memory over the simulated map.
--
-- A VoxelManip reads whole map blocks (16^3) covering the requested area, as the engine does;
-- write_to_map writes changed nodes back without running node callbacks; lighting and liquid
-- updates are accepted and do nothing (the map has no light or liquid simulation). The mapgen
-- VoxelManip (core.get_mapgen_object("voxelmanip") inside on_generated, mapgen.lua) is the same
-- class over a packed store built on first use (see "The mapgen VoxelManip" below).
local core, I = ...
local H = I.host
local G = I.G
local type, tonumber, setmetatable, error, rawget = H.type, H.tonumber, H.setmetatable, H.error, H.rawget
local ipairs, next = H.ipairs, H.next
local table_new = H.require("table.new") -- LuaJIT's preallocating constructor
local floor, min, max, abs = H.math.floor, H.math.min, H.math.max, H.math.abs

---------------------------------------------------------------------------------------------------
-- VoxelArea

local VoxelArea = {
	MinEdge = I.vec(1, 1, 1),
	MaxEdge = I.vec(0, 0, 0),
	ystride = 0,
	zstride = 0,
}

function VoxelArea:new(o)
	o = o or {}
	setmetatable(o, self)
	self.__index = self
	local e = o:getExtent()
	o.ystride = e.x
	o.zstride = e.x * e.y
	return o
end

function VoxelArea:getExtent()
	local a, b = self.MinEdge, self.MaxEdge
	return I.vec(b.x - a.x + 1, b.y - a.y + 1, b.z - a.z + 1)
end

function VoxelArea:getVolume()
	local e = self:getExtent()
	return e.x * e.y * e.z
end

function VoxelArea:index(x, y, z)
	local m = self.MinEdge
	return floor((z - m.z) * self.zstride + (y - m.y) * self.ystride + (x - m.x) + 1)
end

function VoxelArea:indexp(p)
	local m = self.MinEdge
	return floor((p.z - m.z) * self.zstride + (p.y - m.y) * self.ystride + (p.x - m.x) + 1)
end

function VoxelArea:position(i)
	local m = self.MinEdge
	i = i - 1
	local z = floor(i / self.zstride)
	i = i - z * self.zstride
	local y = floor(i / self.ystride)
	local x = i - y * self.ystride
	return I.vec(x + m.x, y + m.y, z + m.z)
end

function VoxelArea:contains(x, y, z)
	local a, b = self.MinEdge, self.MaxEdge
	return x >= a.x and x <= b.x and y >= a.y and y <= b.y and z >= a.z and z <= b.z
end

function VoxelArea:containsp(p)
	return self:contains(p.x, p.y, p.z)
end

function VoxelArea:containsi(i)
	return i >= 1 and i <= self:getVolume()
end

-- Indices of the box, x fastest.
function VoxelArea:iter(minx, miny, minz, maxx, maxy, maxz)
	local i = self:index(minx, miny, minz) - 1
	local xrange = maxx - minx + 1
	local nextaction = i + 1 + xrange
	local y, z = 0, 0
	local yrange, zrange = maxy - miny + 1, maxz - minz + 1
	local ystride, zstride = self.ystride, self.zstride
	return function()
		i = i + 1
		if i ~= nextaction then
			return i
		end
		y = y + 1
		if y ~= yrange then
			i = i + ystride - xrange
		else
			z = z + 1
			if z == zrange then
				return nil
			end
			y = 0
			i = i + zstride - (yrange - 1) * ystride - xrange
		end
		nextaction = i + xrange
		return i
	end
end

function VoxelArea:iterp(minp, maxp)
	return self:iter(minp.x, minp.y, minp.z, maxp.x, maxp.y, maxp.z)
end

G.VoxelArea = VoxelArea

---------------------------------------------------------------------------------------------------
-- VoxelManip

-- Content IDs as the registration API assigns them (I.content_id / I.content_name, the engine's
-- NodeDefManager); names it does not know read as "unknown".
local function content_id(name)
	local ids = I.content_id
	return type(ids) == "table" and ids[name] or core.CONTENT_UNKNOWN
end

local function content_name(id)
	local names = I.content_name
	return type(names) == "table" and names[floor(tonumber(id) or -1)] or "unknown"
end

local VM = {}
local new_vm, vm_state = I.userdata_class("VoxelManip", VM)
-- The storage-dependent methods, by kind of VM: Plain (get_voxel_manip / VoxelManip()) and Gen
-- (the mapgen VM); VM's methods dispatch on the state.
local Plain, Gen = {}, {}

local function block_edges(p1, p2)
	local x1, y1, z1 = I.check_pos(p1, "read_from_map")
	local x2, y2, z2 = I.check_pos(p2, "read_from_map")
	local a = { x = floor(min(x1, x2) / 16) * 16, y = floor(min(y1, y2) / 16) * 16, z = floor(min(z1, z2) / 16) * 16 }
	local b = { x = floor(max(x1, x2) / 16) * 16 + 15, y = floor(max(y1, y2) / 16) * 16 + 15,
		z = floor(max(z1, z2) / 16) * 16 + 15 }
	return a, b
end

local function vm_index(s, x, y, z)
	local a, b = s.emin, s.emax
	if not a or x < a.x or x > b.x or y < a.y or y > b.y or z < a.z or z > b.z then
		return nil
	end
	local ys = b.x - a.x + 1
	local zs = ys * (b.y - a.y + 1)
	return (z - a.z) * zs + (y - a.y) * ys + (x - a.x) + 1
end

-- Reading again grows the VM to the box around both areas (MMVManip::initialEmerge): blocks it
-- holds already keep their (possibly changed) data, new blocks are read from the map and the rest
-- of the box is "ignore".
function Plain.read_from_map(s, p1, p2)
	if I.phase ~= "run" then
		return
	end
	local ra, rb = block_edges(p1, p2)
	local a, b = ra, rb
	local old = s.emin and { emin = s.emin, emax = s.emax, names = s.names, p1 = s.p1, p2 = s.p2 }
	if old then
		a = { x = min(ra.x, old.emin.x), y = min(ra.y, old.emin.y), z = min(ra.z, old.emin.z) }
		b = { x = max(rb.x, old.emax.x), y = max(rb.y, old.emax.y), z = max(rb.z, old.emax.z) }
	end
	s.emin, s.emax = a, b
	s.names, s.p1, s.p2 = {}, {}, {}
	local i = 0
	for z = a.z, b.z do
		for y = a.y, b.y do
			for x = a.x, b.x do
				i = i + 1
				local j = old and vm_index(old, x, y, z)
				if j then
					s.names[i], s.p1[i], s.p2[i] = old.names[j], old.p1[j], old.p2[j]
				elseif x >= ra.x and x <= rb.x and y >= ra.y and y <= rb.y and z >= ra.z and z <= rb.z then
					local name, q1, q2 = I.node_at(x, y, z)
					s.names[i], s.p1[i], s.p2[i] = name, name == "ignore" and q1 or I.read_param1(x, y, z, name, q1), q2
				else
					s.names[i], s.p1[i], s.p2[i] = "ignore", 0, 0
				end
			end
		end
	end
	s.volume = i
	return I.vec(a.x, a.y, a.z), I.vec(b.x, b.y, b.z)
end

-- An empty VM's area is VoxelArea's empty box (1,1,1)..(0,0,0).
function VM.get_emerged_area(self)
	local s = vm_state(self, "get_emerged_area")
	if not s.emin then
		return I.vec(1, 1, 1), I.vec(0, 0, 0)
	end
	return I.vec(s.emin.x, s.emin.y, s.emin.z), I.vec(s.emax.x, s.emax.y, s.emax.z)
end

local function get_array(s, key, convert, buf)
	local out = type(buf) == "table" and buf or {}
	local src = s[key] or {}
	for i = 1, s.volume or 0 do
		out[i] = convert and convert(src[i]) or src[i]
	end
	return out
end

local function set_array(s, key, data, convert)
	if type(data) ~= "table" then
		error("bad argument #2 to 'set_data' (table expected, got " .. type(data) .. ")", 0)
	end
	local dst = s[key] or {}
	for i = 1, s.volume or 0 do
		local v = data[i]
		if v ~= nil then
			dst[i] = convert and convert(v) or v
		end
	end
	s[key] = dst
end

function Plain.get_data(s, buf)
	return get_array(s, "names", content_id, buf)
end

function Plain.set_data(s, data)
	set_array(s, "names", data, content_name)
end

function Plain.get_param2_data(s, buf)
	return get_array(s, "p2", nil, buf)
end

function Plain.set_param2_data(s, data)
	set_array(s, "p2", data, function(v)
		return floor(tonumber(v) or 0) % 256
	end)
end

function Plain.get_light_data(s, buf)
	return get_array(s, "p1", nil, buf)
end

function Plain.set_light_data(s, data)
	set_array(s, "p1", data, function(v)
		return floor(tonumber(v) or 0) % 256
	end)
end

function Plain.get_node_at(s, pos)
	local i = vm_index(s, I.check_pos(pos, "get_node_at"))
	if not i then
		return { name = "ignore", param1 = 0, param2 = 0 }
	end
	return { name = s.names[i], param1 = s.p1[i], param2 = s.p2[i] }
end

function Plain.set_node_at(s, pos, node)
	local i = vm_index(s, I.check_pos(pos, "set_node_at"))
	local name, p1, p2 = I.read_node(node)
	if i then
		s.names[i], s.p1[i], s.p2[i] = name, p1, p2
	end
end

function Plain.write_to_map(s)
	if I.phase ~= "run" or not s.emin then
		return
	end
	local a, b = s.emin, s.emax
	local i = 0
	for z = a.z, b.z do
		for y = a.y, b.y do
			for x = a.x, b.x do
				i = i + 1
				local name = s.names[i]
				if name ~= "ignore" then
					local on, op1, op2 = I.node_at(x, y, z)
					if on ~= name or op1 ~= s.p1[i] or op2 ~= s.p2[i] then
						I.raw_set(x, y, z, name, s.p1[i], s.p2[i])
					end
				end
			end
		end
	end
end

-- Only a mapgen VM (not simulated) is ever "modified" in 5.6.1: set_data, set_node_at and
-- write_to_map leave a VM from get_voxel_manip / VoxelManip() at false.
function Plain.was_modified()
	return false
end

---------------------------------------------------------------------------------------------------
-- The mapgen VoxelManip (engine: the MMVManip of BlockMakeData that EmergeThread::finishGen hands
-- to on_generated): the chunk plus one map block around it, 112^3 nodes for chunksize 5. A node is
-- one number, content id + (param1 * 256 + param2) / 65536 (exact in a double), in one array built
-- when a mod first reads or writes nodes: a chunk nobody looks at costs nothing, one that is looked
-- at costs one array beside the mod's own, and each copy is a loop of plain arithmetic. Blocks of
-- generated chunks hold what the map holds (air lit 15 where nothing is set), blocks of chunks not
-- generated yet hold "ignore", as in the engine.

local BLOCK = 16
local LIMIT = 31007
local node_position = VoxelArea.position -- as defined above, whatever a mod does to VoxelArea
local IGNORE_ID = core.CONTENT_IGNORE
local AIR, IGNORE = core.CONTENT_AIR + 15 * 256 / 65536, IGNORE_ID

local function pack(id, p1, p2)
	return id + (p1 * 256 + p2) / 65536
end

local function unpack_node(v)
	local f = v % 1 * 65536
	return v - v % 1, (f - f % 256) / 256, f % 256
end

-- `generated(bx, by, bz)`: whether the map block belongs to a generated chunk.
function I.new_mapgen_vm(emin, emax, generated)
	-- copies: the mod gets the same positions and may change its tables
	emin, emax = { x = emin.x, y = emin.y, z = emin.z }, { x = emax.x, y = emax.y, z = emax.z }
	local n = { x = (emax.x - emin.x + 1) / BLOCK, y = (emax.y - emin.y + 1) / BLOCK,
		z = (emax.z - emin.z + 1) / BLOCK }
	local defaults, j = {}, 0
	for bz = 0, n.z - 1 do
		for by = 0, n.y - 1 do
			for bx = 0, n.x - 1 do
				j = j + 1
				local x, y, z = emin.x / BLOCK + bx, emin.y / BLOCK + by, emin.z / BLOCK + bz
				defaults[j] = generated(x, y, z) and AIR or IGNORE
			end
		end
	end
	return new_vm({ gen = true, emin = emin, emax = emax, volume = n.x * n.y * n.z * BLOCK ^ 3, blocks = n,
		defaults = defaults, version = I.map_version })
end

-- Another handle on the same VM (each get_mapgen_object call makes a new one).
function I.same_vm(vm)
	return new_vm(vm_state(vm, "get_mapgen_object"))
end

-- Calls f(i, default) for each x row of a block in index order: the row's nodes are i + 1 .. i + 16.
local function each_row(s, f)
	local n, defaults = s.blocks, s.defaults
	local i = 0
	for z = 0, n.z * BLOCK - 1 do
		local bz = floor(z / BLOCK) * n.y
		for y = 0, n.y * BLOCK - 1 do
			local row = (bz + floor(y / BLOCK)) * n.x
			for bx = 1, n.x do
				f(i, defaults[row + bx])
				i = i + BLOCK
			end
		end
	end
end

local function area_of(s)
	return { MinEdge = s.emin, ystride = s.blocks.x * BLOCK, zstride = s.blocks.x * s.blocks.y * BLOCK * BLOCK }
end

-- What the VM holds where the map has nothing, at node index i.
local function default_at(s, i)
	local p, a, n = node_position(area_of(s), i), s.emin, s.blocks
	local bx, by, bz = floor((p.x - a.x) / BLOCK), floor((p.y - a.y) / BLOCK), floor((p.z - a.z) / BLOCK)
	return s.defaults[(bz * n.y + by) * n.x + bx + 1]
end

-- The nodes. `snap` holds the map's own nodes inside the generated blocks as the VM last saw
-- them (index -> packed node): when the map changed since (set_node in on_generated), the VM takes
-- the change, as the engine's mapgen VM does; write_to_map compares with them.
local function gen_data(s)
	local d = s.data
	if not d then
		d = table_new(s.volume, 0)
		each_row(s, function(i, v)
			for j = i + 1, i + BLOCK do
				d[j] = v
			end
		end)
		s.data, s.snap = d, {}
	end
	if s.synced == I.map_version then
		return d
	end
	s.synced = I.map_version
	local snap, seen = s.snap, {}
	for h, node in next, I.nodes do
		local x, y, z = I.unhash(h)
		local i = vm_index(s, x, y, z)
		if i and default_at(s, i) ~= IGNORE then
			local v = pack(content_id(node.name), I.read_param1(x, y, z, node.name, node.param1), node.param2)
			seen[i] = true
			if snap[i] ~= v then
				snap[i], d[i] = v, v
			end
		end
	end
	for i in next, snap do
		if not seen[i] then -- the map's node went: air again
			snap[i], d[i] = nil, default_at(s, i)
		end
	end
	return d
end

local function out_table(s, buf)
	return type(buf) == "table" and buf or table_new(s.volume, 0)
end

local function check_data(data)
	if type(data) ~= "table" then
		error("bad argument #2 to 'set_data' (table expected, got " .. type(data) .. ")", 0)
	end
end

-- lua_tointeger, then the engine's integer type (content_t: 16 bits, param1/param2: 8 bits).
local function to_uint(v, modulus)
	if type(v) == "number" and v % 1 == 0 and v >= 0 and v < modulus then
		return v
	end
	local n = tonumber(v) or 0
	return (n >= 0 and floor(n) or -floor(-n)) % modulus
end

function Gen.get_data(s, buf)
	local d, out = gen_data(s), out_table(s, buf)
	for i = 1, s.volume do
		local v = d[i]
		out[i] = v - v % 1
	end
	return out
end

-- Entries that are nil keep the node's value, as for the other VMs (set_array).
function Gen.set_data(s, data)
	check_data(data)
	local d = gen_data(s)
	for i = 1, s.volume do
		local v, old = data[i], d[i]
		if v ~= nil and v ~= old - old % 1 then
			d[i] = to_uint(v, 65536) + old % 1
		end
	end
end

function Gen.get_light_data(s, buf)
	local d, out = gen_data(s), out_table(s, buf)
	for i = 1, s.volume do
		local f = d[i] % 1 * 256
		out[i] = f - f % 1
	end
	return out
end

function Gen.set_light_data(s, data)
	check_data(data)
	local d = gen_data(s)
	for i = 1, s.volume do
		local v = data[i]
		if v ~= nil then
			local id, _, p2 = unpack_node(d[i])
			d[i] = pack(id, to_uint(v, 256), p2)
		end
	end
end

function Gen.get_param2_data(s, buf)
	local d, out = gen_data(s), out_table(s, buf)
	for i = 1, s.volume do
		out[i] = d[i] * 65536 % 256
	end
	return out
end

function Gen.set_param2_data(s, data)
	check_data(data)
	local d = gen_data(s)
	for i = 1, s.volume do
		local v = data[i]
		if v ~= nil and v ~= d[i] * 65536 % 256 then
			local id, p1 = unpack_node(d[i])
			d[i] = pack(id, p1, to_uint(v, 256))
		end
	end
end

function Gen.get_node_at(s, pos)
	local i = vm_index(s, I.check_pos(pos, "get_node_at"))
	if not i then
		return { name = "ignore", param1 = 0, param2 = 0 }
	end
	local id, p1, p2 = unpack_node(gen_data(s)[i])
	return { name = content_name(id), param1 = p1, param2 = p2 }
end

function Gen.set_node_at(s, pos, node)
	local i = vm_index(s, I.check_pos(pos, "set_node_at"))
	local name, p1, p2 = I.read_node(node)
	if i then
		gen_data(s)[i] = pack(content_id(name), p1, p2)
	end
end

-- The mapgen VM keeps its area (the chunk is what it was made for); it returns it, as 5.6.1 does
-- for an area inside it.
function Gen.read_from_map(s, p1, p2)
	I.check_pos(p1, "read_from_map")
	I.check_pos(p2, "read_from_map")
	return I.vec(s.emin.x, s.emin.y, s.emin.z), I.vec(s.emax.x, s.emax.y, s.emax.z)
end

-- Writes every node that differs from what the VM read (never "ignore"), without callbacks.
function Gen.write_to_map(s)
	local d, snap = s.data, s.snap
	if I.phase ~= "run" or not d then
		return
	end
	local area = area_of(s)
	local function put(j)
		local id, p1, p2 = unpack_node(d[j])
		local p = node_position(area, j)
		if id ~= IGNORE_ID and abs(p.x) <= LIMIT and abs(p.y) <= LIMIT and abs(p.z) <= LIMIT then
			I.raw_set(p.x, p.y, p.z, content_name(id), p1, p2)
		end
	end
	each_row(s, function(i, default)
		for j = i + 1, i + BLOCK do
			if d[j] ~= default and d[j] ~= snap[j] then
				put(j)
			end
		end
	end)
	for j, v in next, snap do -- a node the map had, turned into the block's default (air)
		if d[j] ~= v and d[j] == default_at(s, j) then
			put(j)
		end
	end
end

-- 5.6.1 marks the mapgen VM modified when the map changes under it (set_node in on_generated,
-- write_to_map).
function Gen.was_modified(s)
	return I.map_version ~= s.version
end

for _, name in ipairs({ "read_from_map", "get_data", "set_data", "get_param2_data", "set_param2_data",
	"get_light_data", "set_light_data", "get_node_at", "set_node_at", "write_to_map", "was_modified" }) do
	VM[name] = function(self, ...)
		local s = vm_state(self, name)
		return (s.gen and Gen or Plain)[name](s, ...)
	end
end

-- Accepted for compatibility; the simulated map has no light or liquid model to update.
function VM.calc_lighting(self)
	vm_state(self, "calc_lighting")
end
function VM.set_lighting(self)
	vm_state(self, "set_lighting")
end
function VM.update_liquids(self)
	vm_state(self, "update_liquids")
end
function VM.update_map(self)
	vm_state(self, "update_map")
end

-- Before the server runs (mod load time, on_mods_loaded) there is no map: the engine's
-- VoxelManip() and core.get_voxel_manip() return nothing then (probed on 5.6.1).
local function voxel_manip(p1, p2)
	if I.phase ~= "run" then
		return
	end
	local vm = new_vm({})
	if p1 and p2 then
		VM.read_from_map(vm, p1, p2)
	end
	return vm
end
G.VoxelManip = voxel_manip

function core.get_voxel_manip(p1, p2)
	return voxel_manip(p1, p2)
end
