-- areastore.lua: the AreaStore class (engine: src/script/lua_api/l_areastore.cpp, src/util/areastore.cpp).
--
-- A store of axis-aligned boxes (edges inclusive, corners sorted and rounded as read_v3s16 rounds)
-- with a string of data each, keyed by u32 ids: a new area takes the lowest free id. The engine
-- picks a spatial index or a plain vector; both answer the same sets, and the queries answer
-- tables keyed by id. Serialisation is the engine's: version 0, a u16 count, per area its corners
-- as s16 triples and a u16-length data string, then the u32 ids, all big-endian. Its stream reads
-- past the end as zero bytes without failing, and the ids are read only if the areas did not run
-- past the end.
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, error = H.type, H.tostring, H.tonumber, H.pairs, H.error
local floor, min, max = H.math.floor, H.math.min, H.math.max
local sbyte, schar, ssub, srep = H.string.byte, H.string.char, H.string.sub, H.string.rep
local concat, sort = H.table.concat, H.table.sort

local U32 = 4294967296

local AreaStoreMethods = {}
-- state: {areas = {[id] = {id, min, max, data}}}
local new_store, store_state, is_store = I.userdata_class("AreaStore", AreaStoreMethods)

-- checkobject: a method called on something else.
local function store(self)
	if not is_store(self) then
		error("bad argument #1 to '?' (userdata expected, got " .. (self == nil and "no value" or type(self)) .. ")", 0)
	end
	return store_state(self)
end

-- lua_isnumber: numbers and numeric strings.
local function is_number(v)
	return (type(v) == "number" or type(v) == "string") and tonumber(v) ~= nil
end

local function check_number(v, argn)
	if not is_number(v) then
		I.arg_error(argn, nil, "number", v)
	end
	return tonumber(v)
end

local check_string = I.check_string

-- readParam<bool>: Lua truth, the default when absent.
local function flag(v, default)
	if v == nil then
		return default
	end
	return v ~= false
end

local function read_pos(v)
	if v == nil then
		error("Invalid vector (expected table got no value).", 0)
	end
	return { I.check_pos(v, "AreaStore") }
end

local function sorted_box(a, b)
	return { min(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]) }, { max(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]) }
end

-- The lowest id no area has.
local function next_id(s)
	local ids = {}
	for id in pairs(s.areas) do
		ids[#ids + 1] = id
	end
	sort(ids)
	local free = 0
	for _, id in H.ipairs(ids) do
		if id > free then
			return free
		end
		free = id + 1
	end
	return free
end

-- insertArea: false when the id is taken (U32_MAX or none: the next free id).
local function insert(s, minp, maxp, data, id)
	if id == nil or id == U32 - 1 then
		id = next_id(s)
	end
	if s.areas[id] then
		return nil
	end
	s.areas[id] = { id = id, min = minp, max = maxp, data = data }
	return id
end

-- push_area: true when neither corners nor data are asked for.
local function push_area(a, borders, data)
	if not borders and not data then
		return true
	end
	local t = {}
	if borders then
		t.min = I.vec(a.min[1], a.min[2], a.min[3])
		t.max = I.vec(a.max[1], a.max[2], a.max[3])
	end
	if data then
		t.data = a.data
	end
	return t
end

function AreaStoreMethods.insert_area(self, edge1, edge2, data, id)
	local s = store(self)
	local minp, maxp = sorted_box(read_pos(edge1), read_pos(edge2))
	data = check_string(data, 4)
	if is_number(id) then
		id = I.trunc(tonumber(id)) % U32
	else
		id = nil
	end
	id = insert(s, minp, maxp, data, id)
	if id then
		return id
	end
end

function AreaStoreMethods.get_area(self, id, include_borders, include_data)
	local s = store(self)
	local a = s.areas[I.trunc(check_number(id, 2)) % U32]
	if a then
		return push_area(a, flag(include_borders, true), flag(include_data, false))
	end
end

function AreaStoreMethods.get_areas_for_pos(self, pos, include_borders, include_data)
	local s = store(self)
	local p = read_pos(pos)
	local borders, data = flag(include_borders, true), flag(include_data, false)
	local out = {}
	for id, a in pairs(s.areas) do
		if p[1] >= a.min[1] and p[1] <= a.max[1] and p[2] >= a.min[2] and p[2] <= a.max[2]
			and p[3] >= a.min[3] and p[3] <= a.max[3] then
			out[id] = push_area(a, borders, data)
		end
	end
	return out
end

function AreaStoreMethods.get_areas_in_area(self, edge1, edge2, accept_overlap, include_borders, include_data)
	local s = store(self)
	local lo, hi = sorted_box(read_pos(edge1), read_pos(edge2))
	local overlap = flag(accept_overlap, false)
	local borders, data = flag(include_borders, true), flag(include_data, false)
	local out = {}
	for id, a in pairs(s.areas) do
		local hit = true
		for k = 1, 3 do
			if overlap then
				hit = hit and a.min[k] <= hi[k] and a.max[k] >= lo[k]
			else
				hit = hit and a.min[k] >= lo[k] and a.max[k] <= hi[k]
			end
		end
		if hit then
			out[id] = push_area(a, borders, data)
		end
	end
	return out
end

function AreaStoreMethods.remove_area(self, id)
	local s = store(self)
	id = I.trunc(check_number(id, 2)) % U32
	if s.areas[id] then
		s.areas[id] = nil
		return true
	end
	return false
end

-- Capacity and cache tuning change nothing a mod can observe.
function AreaStoreMethods.reserve(self, _count)
	store(self)
end

function AreaStoreMethods.set_cache_params(self, _params)
	store(self)
end

---------------------------------------------------------------------------------------------------
-- Serialisation.

local function u16(n)
	n = n % 65536
	return schar(floor(n / 256), n % 256)
end

local function serialize(s)
	local ids = {}
	for id in pairs(s.areas) do
		ids[#ids + 1] = id
	end
	sort(ids)
	local out = { "\0", u16(#ids) }
	for _, id in H.ipairs(ids) do
		local a = s.areas[id]
		for _, p in H.ipairs({ a.min, a.max }) do
			out[#out + 1] = u16(p[1]) .. u16(p[2]) .. u16(p[3])
		end
		out[#out + 1] = u16(#a.data) .. a.data
	end
	for _, id in H.ipairs(ids) do
		out[#out + 1] = u16(floor(id / 65536)) .. u16(id)
	end
	return concat(out)
end

local function deserialize(s, str)
	local pos, eof = 1, false
	local function bytes(n)
		local b = ssub(str, pos, pos + n - 1)
		pos = pos + n
		if #b < n then
			eof = true
			b = b .. srep("\0", n - #b)
		end
		return b
	end
	local function read_u16()
		local hi, lo = sbyte(bytes(2), 1, 2)
		return hi * 256 + lo
	end
	local function read_s16()
		local v = read_u16()
		return v >= 32768 and v - 65536 or v
	end
	bytes(1) -- the version byte
	local areas = {}
	for i = 1, read_u16() do
		local minp = { read_s16(), read_s16(), read_s16() }
		local maxp = { read_s16(), read_s16(), read_s16() }
		areas[i] = { min = minp, max = maxp, data = bytes(read_u16()) }
	end
	local read_ids = not eof
	for _, a in H.ipairs(areas) do
		local id
		if read_ids then
			id = read_u16() * 65536 + read_u16()
		end
		insert(s, a.min, a.max, a.data, id)
	end
	return true
end

function AreaStoreMethods.to_string(self)
	return serialize(store(self))
end

function AreaStoreMethods.from_string(self, str)
	local s = store(self)
	return deserialize(s, check_string(str, 2))
end

function AreaStoreMethods.to_file(self, filename)
	local s = store(self)
	filename = check_string(filename, 2)
	local p = I.normalize_path(filename)
	if not p or not I.may_write(p) then
		error("Mod security: Blocked attempted write to " .. filename, 0)
	end
	I.vfs[p] = serialize(s)
	return true
end

function AreaStoreMethods.from_file(self, filename)
	local s = store(self)
	filename = check_string(filename, 2)
	local p = I.normalize_path(filename)
	if not p or not I.may_read(p) then
		error("Mod security: Blocked attempted read from " .. filename, 0)
	end
	return deserialize(s, I.vfs[p] or "")
end

-- AreaStore([type_name]): the type only picks the engine's index.
I.G.AreaStore = function(_type_name)
	return new_store({ areas = {} })
end
