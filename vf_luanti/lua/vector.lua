-- vector.lua: the vector library (engine: builtin/common/vector.lua). The metatable is the one the
-- engine's C++ side creates (sandbox.lua makes it), so vectors from engine functions and from this
-- library share it. Behaviour and error texts follow 5.6.1, checked by tests/lua/helpers_probe.lua;
-- in_area, abs, ceil, sign, random_direction and random_in_area are the later versions' additions.
-- Errors the engine raises with assert/error in its vector.lua are raised at level 1 here too, so
-- their messages carry a position in this file, as the engine's carry one in its vector.lua.
local core, I = ...
local H = I.host
local type, error, tonumber, rawget, rawset = H.type, H.error, H.tonumber, H.rawget, H.rawset
local setmetatable, getmetatable = H.setmetatable, H.getmetatable
local floor, ceil, sqrt, abs, min, max = H.math.floor, H.math.ceil, H.math.sqrt, H.math.abs, H.math.min,
	H.math.max
local msin, mcos, atan2, asin, pi, random = H.math.sin, H.math.cos, H.math.atan2, H.math.asin, H.math.pi,
	H.math.random
local sformat, smatch = H.string.format, H.string.match

local vector = I.G.vector
local meta = vector.metatable
-- math.round / math.sign come from misc_helpers.lua and are looked up at call time, like the
-- engine's vector library does (a mod replacing math.round changes vector.round there too).
local math = I.G.math

local function fast_new(x, y, z)
	return setmetatable({ x = x, y = y, z = z }, meta)
end
I.vec = fast_new

-- v[1], v[2], v[3] alias x, y, z (both reading and writing); other missing keys read the library,
-- so v:length() works. Only consulted for keys the table does not hold.
local AXIS = { "x", "y", "z" }
meta.__index = function(v, key)
	local axis = AXIS[key]
	return axis and rawget(v, axis) or vector[key]
end
meta.__newindex = function(v, key, value)
	rawset(v, AXIS[key] or key, value)
end

function vector.zero()
	return fast_new(0, 0, 0)
end

function vector.copy(v)
	if not (v.x and v.y and v.z) then
		error("Invalid vector passed to vector.copy()")
	end
	return fast_new(v.x, v.y, v.z)
end

-- new(x, y, z) takes any three truthy values unchecked; new(table) copies; new() is the origin.
function vector.new(a, b, c)
	if a and b and c then
		return fast_new(a, b, c)
	elseif type(a) == "table" then
		return vector.copy(a)
	elseif a then
		error("Invalid arguments for vector.new()")
	end
	return fast_new(0, 0, 0)
end

local NUM = "([^%s,]+)"
local FROM_STRING = "^%s*%(%s*" .. NUM .. "%s*[,%s]%s*" .. NUM .. "%s*[,%s]%s*" .. NUM .. "%s*[,%s]?%s*%)()"

function vector.from_string(s, init)
	local x, y, z, after = smatch(s, FROM_STRING, init)
	x, y, z = tonumber(x), tonumber(y), tonumber(z)
	if x and y and z then
		return fast_new(x, y, z), after
	end
	return nil
end

function vector.to_string(v)
	return sformat("(%g, %g, %g)", v.x, v.y, v.z)
end
meta.__tostring = vector.to_string

function vector.equals(a, b)
	return a.x == b.x and a.y == b.y and a.z == b.z
end
meta.__eq = vector.equals

function vector.length(v)
	return sqrt(v.x * v.x + v.y * v.y + v.z * v.z)
end

function vector.apply(v, f, ...)
	return fast_new(f(v.x, ...), f(v.y, ...), f(v.z, ...))
end

function vector.combine(a, b, f)
	return fast_new(f(a.x, b.x), f(a.y, b.y), f(a.z, b.z))
end

function vector.floor(v)
	return fast_new(floor(v.x), floor(v.y), floor(v.z))
end

function vector.ceil(v)
	return fast_new(ceil(v.x), ceil(v.y), ceil(v.z))
end

function vector.round(v)
	local round = math.round
	return fast_new(round(v.x), round(v.y), round(v.z))
end

function vector.sign(v, tolerance)
	local sign = math.sign
	return fast_new(sign(v.x, tolerance), sign(v.y, tolerance), sign(v.z, tolerance))
end

function vector.abs(v)
	return fast_new(abs(v.x), abs(v.y), abs(v.z))
end

-- Component-wise arithmetic; the second operand may be a table (per axis) or a scalar. Written
-- out (operands named a and b) so a bad operand's error names the same local as the engine's.
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

function vector.normalize(v)
	local len = vector.length(v)
	if len == 0 then
		return fast_new(0, 0, 0)
	end
	return vector.divide(v, len)
end

function vector.distance(a, b)
	local dx, dy, dz = a.x - b.x, a.y - b.y, a.z - b.z
	return sqrt(dx * dx + dy * dy + dz * dz)
end

function vector.direction(from, to)
	return vector.normalize(fast_new(to.x - from.x, to.y - from.y, to.z - from.z))
end

function vector.dot(a, b)
	return a.x * b.x + a.y * b.y + a.z * b.z
end

function vector.cross(a, b)
	return fast_new(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
end

function vector.angle(a, b)
	return atan2(vector.length(vector.cross(a, b)), vector.dot(a, b))
end

function vector.offset(v, x, y, z)
	return fast_new(v.x + x, v.y + y, v.z + z)
end

function vector.sort(a, b)
	return fast_new(min(a.x, b.x), min(a.y, b.y), min(a.z, b.z)),
		fast_new(max(a.x, b.x), max(a.y, b.y), max(a.z, b.z))
end

function vector.check(v)
	return getmetatable(v) == meta
end

function vector.in_area(pos, minp, maxp)
	return pos.x >= minp.x and pos.x <= maxp.x and pos.y >= minp.y and pos.y <= maxp.y
		and pos.z >= minp.z and pos.z <= maxp.z
end

function vector.random_in_area(minp, maxp)
	return fast_new(random(minp.x, maxp.x), random(minp.y, maxp.y), random(minp.z, maxp.z))
end

-- A uniformly distributed unit vector (rejection sampling inside the unit ball).
function vector.random_direction()
	local x, y, z, l2
	repeat
		x, y, z = random() * 2 - 1, random() * 2 - 1, random() * 2 - 1
		l2 = x * x + y * y + z * z
	until l2 <= 1 and l2 >= 1e-6
	local l = sqrt(l2)
	return fast_new(x / l, y / l, z / l)
end

-- Operators. `*` and `/` take a scalar (v * v nests vectors, as in the engine); `+`, `-` want
-- two tables.
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

------------------------------------------------------------------------------------------------------
-- Rotation (radians; pitch = x, yaw = y, roll = z; the engine's left-handed convention).
-- The engine's sine is exactly 0 at multiples of pi and its cosine exactly 0 at odd multiples of
-- pi/2, so quarter turns give exact results (vector.rotate(v, {y = pi/2}) has no 6e-17 residue).

local function sin0(a)
	if a % pi == 0 then
		return 0
	end
	return msin(a)
end

local function cos0(a)
	if a % pi == pi / 2 then
		return 0
	end
	return mcos(a)
end

-- Rodrigues' rotation of v about `axis` by `angle`.
function vector.rotate_around_axis(v, axis, angle)
	local c, s = cos0(angle), sin0(angle)
	axis = vector.normalize(axis)
	local along = vector.multiply(axis, vector.dot(axis, v)) -- the part of v on the axis stays
	local perp = vector.cross(v, axis)
	return vector.new(
		perp.x * s + (v.x - along.x) * c + along.x,
		perp.y * s + (v.y - along.y) * c + along.y,
		perp.z * s + (v.z - along.z) * c + along.z)
end

-- The rotation matrix for roll, then pitch, then yaw, applied to v. (The engine takes the roll's
-- cosine without the exact-zero rule; kept so results agree to the last bit.)
function vector.rotate(v, rot)
	local sp, sy, sr = sin0(-rot.x), sin0(-rot.y), sin0(-rot.z)
	local cp, cy, cr = cos0(rot.x), cos0(rot.y), mcos(rot.z)
	local m11, m12, m13 = sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, sy * cp
	local m21, m22, m23 = cp * sr, cp * cr, -sp
	local m31, m32, m33 = cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, cy * cp
	return vector.new(
		m11 * v.x + m12 * v.y + m13 * v.z,
		m21 * v.x + m22 * v.y + m23 * v.z,
		m31 * v.x + m32 * v.y + m33 * v.z)
end

function vector.dir_to_rotation(forward, up)
	forward = vector.normalize(forward)
	local rot = vector.new(asin(forward.y), -atan2(forward.x, forward.z), 0)
	if not up then
		return rot
	end
	if not (vector.dot(forward, up) < 0.000001) then
		error("Invalid vectors passed to vector.dir_to_rotation().")
	end
	up = vector.normalize(up)
	-- "up" of the un-rolled rotation; the roll is the angle from it to `up` about `forward`, and
	-- its sign is the one for which turning `up` back by it lands on that vector.
	local unrolled_up = vector.rotate(fast_new(0, 1, 0), rot)
	rot.z = vector.angle(unrolled_up, up)
	local back = vector.rotate_around_axis(up, forward, -rot.z)
	local dx, dy, dz = back.x - unrolled_up.x, back.y - unrolled_up.y, back.z - unrolled_up.z
	if dx * dx + dy * dy + dz * dz > 0.0000001 then
		rot.z = -rot.z
	end
	return rot
end
