-- vector.lua: the vector library (engine: builtin/common/vector.lua; the metatable is the one the
-- C++ side creates, so vectors returned by engine functions and by this library compare equal).
local core, I = ...
local H = I.host
local type, error, tonumber, rawget = H.type, H.error, H.tonumber, H.rawget
local setmetatable, getmetatable = H.setmetatable, H.getmetatable
local floor, ceil, sqrt, abs = H.math.floor, H.math.ceil, H.math.sqrt, H.math.abs
local sin, cos, atan2, asin = H.math.sin, H.math.cos, H.math.atan2, H.math.asin
local sformat, smatch = H.string.format, H.string.match

local vector = I.G.vector
local meta = vector.metatable

local function fast_new(x, y, z)
	return setmetatable({ x = x, y = y, z = z }, meta)
end
I.vec = I.vec or fast_new

function vector.new(a, b, c)
	if a and b and c then
		return fast_new(a, b, c)
	elseif type(a) == "table" then
		if not (type(a.x) == "number" and type(a.y) == "number" and type(a.z) == "number") then
			error("Invalid vector passed to vector.new()", 2)
		end
		return fast_new(a.x, a.y, a.z)
	elseif a == nil then
		return fast_new(0, 0, 0)
	end
	error("Invalid arguments for vector.new()", 2)
end

function vector.zero()
	return fast_new(0, 0, 0)
end

function vector.copy(v)
	return fast_new(v.x, v.y, v.z)
end

function vector.from_string(s, init)
	local x, y, z, np = smatch(s, "^%s*%(%s*([^%s,]+)%s*[,%s]%s*([^%s,]+)%s*[,%s]%s*([^%s,]+)%s*[,%s]?%s*%)()", init)
	x, y, z = tonumber(x), tonumber(y), tonumber(z)
	if not (x and y and z) then
		return nil
	end
	return fast_new(x, y, z), np
end

function vector.to_string(v)
	return sformat("(%s, %s, %s)", v.x, v.y, v.z)
end
meta.__tostring = vector.to_string

function vector.equals(a, b)
	return a.x == b.x and a.y == b.y and a.z == b.z
end
meta.__eq = vector.equals

function vector.length(v)
	return sqrt(v.x * v.x + v.y * v.y + v.z * v.z)
end

function vector.normalize(v)
	local len = vector.length(v)
	if len == 0 then
		return fast_new(0, 0, 0)
	end
	return fast_new(v.x / len, v.y / len, v.z / len)
end

function vector.floor(v)
	return fast_new(floor(v.x), floor(v.y), floor(v.z))
end

function vector.ceil(v)
	return fast_new(ceil(v.x), ceil(v.y), ceil(v.z))
end

-- round and sign use math.round/math.sign (misc_helpers.lua), looked up at call time as the
-- engine's vector library does.
local math = I.G.math

function vector.round(v)
	return fast_new(math.round(v.x), math.round(v.y), math.round(v.z))
end

function vector.sign(v, tolerance)
	return fast_new(math.sign(v.x, tolerance), math.sign(v.y, tolerance), math.sign(v.z, tolerance))
end

function vector.abs(v)
	return fast_new(abs(v.x), abs(v.y), abs(v.z))
end

function vector.apply(v, f, ...)
	return fast_new(f(v.x, ...), f(v.y, ...), f(v.z, ...))
end

function vector.combine(a, b, f)
	return fast_new(f(a.x, b.x), f(a.y, b.y), f(a.z, b.z))
end

function vector.distance(a, b)
	local x, y, z = a.x - b.x, a.y - b.y, a.z - b.z
	return sqrt(x * x + y * y + z * z)
end

function vector.direction(a, b)
	return vector.normalize(fast_new(b.x - a.x, b.y - a.y, b.z - a.z))
end

function vector.angle(a, b)
	local dot = a.x * b.x + a.y * b.y + a.z * b.z
	local cx, cy, cz = a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x
	return atan2(sqrt(cx * cx + cy * cy + cz * cz), dot)
end

function vector.dot(a, b)
	return a.x * b.x + a.y * b.y + a.z * b.z
end

function vector.cross(a, b)
	return fast_new(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
end

function vector.add(a, b)
	if type(b) == "table" then
		return fast_new(a.x + b.x, a.y + b.y, a.z + b.z)
	end
	return fast_new(a.x + b, a.y + b, a.z + b)
end

function vector.subtract(a, b)
	if type(b) == "table" then
		return fast_new(a.x - b.x, a.y - b.y, a.z - b.z)
	end
	return fast_new(a.x - b, a.y - b, a.z - b)
end

function vector.multiply(a, b)
	if type(b) == "table" then
		return fast_new(a.x * b.x, a.y * b.y, a.z * b.z)
	end
	return fast_new(a.x * b, a.y * b, a.z * b)
end

function vector.divide(a, b)
	if type(b) == "table" then
		return fast_new(a.x / b.x, a.y / b.y, a.z / b.z)
	end
	return fast_new(a.x / b, a.y / b, a.z / b)
end

function vector.offset(v, x, y, z)
	return fast_new(v.x + x, v.y + y, v.z + z)
end

function vector.sort(a, b)
	return fast_new(H.math.min(a.x, b.x), H.math.min(a.y, b.y), H.math.min(a.z, b.z)),
		fast_new(H.math.max(a.x, b.x), H.math.max(a.y, b.y), H.math.max(a.z, b.z))
end

function vector.check(v)
	return getmetatable(v) == meta
end

function vector.in_area(pos, min, max)
	return pos.x >= min.x and pos.x <= max.x and pos.y >= min.y and pos.y <= max.y
		and pos.z >= min.z and pos.z <= max.z
end

function vector.random_in_area(min, max)
	local r = H.math.random
	return fast_new(r(min.x, max.x), r(min.y, max.y), r(min.z, max.z))
end

function vector.random_direction()
	local r = H.math.random
	local x, y, z, l2
	repeat
		x, y, z = r() * 2 - 1, r() * 2 - 1, r() * 2 - 1
		l2 = x * x + y * y + z * z
	until l2 <= 1 and l2 >= 1e-6
	local l = sqrt(l2)
	return fast_new(x / l, y / l, z / l)
end

-- Operators: arithmetic between two vectors, or vector and scalar (for * and /).
meta.__unm = function(v)
	return fast_new(-v.x, -v.y, -v.z)
end
meta.__add = function(a, b)
	return fast_new(a.x + b.x, a.y + b.y, a.z + b.z)
end
meta.__sub = function(a, b)
	return fast_new(a.x - b.x, a.y - b.y, a.z - b.z)
end
meta.__mul = function(a, b)
	if type(a) == "table" then
		return fast_new(a.x * b, a.y * b, a.z * b)
	end
	return fast_new(a * b.x, a * b.y, a * b.z)
end
meta.__div = function(a, b)
	return fast_new(a.x / b, a.y / b, a.z / b)
end

-- v[1], v[2], v[3] read x, y, z; other missing keys fall back to the library (v:length()).
local index_keys = { "x", "y", "z" }
meta.__index = function(t, k)
	local c = index_keys[k]
	if c then
		return rawget(t, c)
	end
	return vector[k]
end
meta.__newindex = function(t, k, v)
	local c = index_keys[k]
	H.rawset(t, c or k, v)
end

-- Rotation: pitch (x), yaw (y), roll (z) in radians, as the engine defines them.
local function rotate_around_axis(v, axis, angle)
	local c, s = cos(angle), sin(angle)
	axis = vector.normalize(axis)
	local d = vector.dot(axis, v)
	local cr = vector.cross(v, axis) -- the engine rotates clockwise (left-handed coordinates)
	return fast_new(
		v.x * c + cr.x * s + axis.x * d * (1 - c),
		v.y * c + cr.y * s + axis.y * d * (1 - c),
		v.z * c + cr.z * s + axis.z * d * (1 - c))
end
vector.rotate_around_axis = rotate_around_axis

-- Roll (about z), then pitch (about x), then yaw (about y), each in rotate_around_axis's sense.
local X, Y, Z = { x = 1, y = 0, z = 0 }, { x = 0, y = 1, z = 0 }, { x = 0, y = 0, z = 1 }
function vector.rotate(v, rot)
	v = rotate_around_axis(v, Z, rot.z)
	v = rotate_around_axis(v, X, rot.x)
	return rotate_around_axis(v, Y, rot.y)
end

function vector.dir_to_rotation(forward, up)
	forward = vector.normalize(forward)
	local rot = fast_new(asin(forward.y), -atan2(forward.x, forward.z), 0)
	if not up then
		return rot
	end
	-- Roll turns the pitched/yawed "up" about the forward axis onto `up` (projected off forward).
	local target = vector.subtract(up, vector.multiply(forward, vector.dot(up, forward)))
	local current = vector.rotate(fast_new(0, 1, 0), rot)
	local roll = vector.angle(current, target)
	if vector.dot(vector.cross(target, current), forward) < 0 then
		roll = -roll
	end
	rot.z = roll
	return rot
end


