-- voxel.lua: VoxelArea (a Lua class in the engine's builtin) and VoxelManip (engine:
-- src/script/lua_api/l_vmanip.cpp) working in memory over the simulated map.
--
-- A VoxelManip reads whole map blocks (16^3) covering the requested area, as the engine does;
-- write_to_map writes changed nodes back without running node callbacks; lighting and liquid
-- updates are accepted and do nothing (the map has no light or liquid simulation).
local core, I = ...
local H = I.host
local G = I.G
local type, tonumber, setmetatable, error, rawget = H.type, H.tonumber, H.setmetatable, H.error, H.rawget
local floor, min, max = H.math.floor, H.math.min, H.math.max

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
function VM.read_from_map(self, p1, p2)
	local s = vm_state(self, "read_from_map")
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

function VM.get_data(self, buf)
	return get_array(vm_state(self, "get_data"), "names", content_id, buf)
end

function VM.set_data(self, data)
	set_array(vm_state(self, "set_data"), "names", data, content_name)
end

function VM.get_param2_data(self, buf)
	return get_array(vm_state(self, "get_param2_data"), "p2", nil, buf)
end

function VM.set_param2_data(self, data)
	set_array(vm_state(self, "set_param2_data"), "p2", data, function(v)
		return floor(tonumber(v) or 0) % 256
	end)
end

function VM.get_light_data(self, buf)
	return get_array(vm_state(self, "get_light_data"), "p1", nil, buf)
end

function VM.set_light_data(self, data)
	set_array(vm_state(self, "set_light_data"), "p1", data, function(v)
		return floor(tonumber(v) or 0) % 256
	end)
end

function VM.get_node_at(self, pos)
	local s = vm_state(self, "get_node_at")
	local i = vm_index(s, I.check_pos(pos, "get_node_at"))
	if not i then
		return { name = "ignore", param1 = 0, param2 = 0 }
	end
	return { name = s.names[i], param1 = s.p1[i], param2 = s.p2[i] }
end

function VM.set_node_at(self, pos, node)
	local s = vm_state(self, "set_node_at")
	local i = vm_index(s, I.check_pos(pos, "set_node_at"))
	local name, p1, p2 = I.read_node(node)
	if i then
		s.names[i], s.p1[i], s.p2[i] = name, p1, p2
	end
end

function VM.write_to_map(self)
	local s = vm_state(self, "write_to_map")
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
function VM.was_modified(self)
	vm_state(self, "was_modified")
	return false
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

local function voxel_manip(p1, p2)
	local vm = new_vm({})
	if p1 and p2 then
		VM.read_from_map(vm, p1, p2)
	end
	return vm
end
G.VoxelManip = voxel_manip

function core.get_voxel_manip(p1, p2)
	if I.phase ~= "run" then
		return
	end
	return voxel_manip(p1, p2)
end
