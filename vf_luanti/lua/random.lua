-- random.lua: PseudoRandom, PcgRandom, SecureRandom and noise objects.
--
-- PseudoRandom and PcgRandom reproduce the engine's generators bit for bit (checked against the
-- real server: PseudoRandom(42) starts 19082, 17034, ...; PcgRandom(42):next() is -248486166), so
-- a mod's seeded behaviour is the engine's, and so is Perlin noise (below).
-- All five are userdata classes as in the engine (I.userdata_class, sandbox.lua): their state is out
-- of mods' reach and getmetatable answers the method table.
local core, I = ...
local H = I.host
local G = I.G
local type, error, tonumber, tostring = H.type, H.error, H.tonumber, H.tostring
local floor = H.math.floor
local bit = H.bit
local band, bor, bxor, lshift, rshift = bit.band, bit.bor, bit.bxor, bit.lshift, bit.rshift

local P32 = 4294967296

local function u32(x)
	return x % P32
end

local function s32(x)
	return I.wrap(x, 32, true)
end

-- Exact 32x32 -> 64 bit product as (hi, lo), using 16-bit limbs so doubles never lose precision.
local function mul32(a, b)
	local a0, a1 = a % 65536, floor(a / 65536)
	local b0, b1 = b % 65536, floor(b / 65536)
	local p, q, r = a0 * b0, a1 * b0 + a0 * b1, a1 * b1
	local lo_full = p + (q % 65536) * 65536
	local lo = lo_full % P32
	local hi = r + floor(q / 65536) + floor(lo_full / P32)
	return hi % P32, lo
end

-- (ah,al) * (bh,bl) + (ch,cl) mod 2^64
local function muladd64(ah, al, bh, bl, ch, cl)
	local hi, lo = mul32(al, bl)
	local _, x = mul32(ah, bl)
	local _, y = mul32(al, bh)
	lo = lo + cl
	hi = hi + x + y + ch + floor(lo / P32)
	return hi % P32, lo % P32
end

------------------------------------------------------------------------------------------------------
-- PseudoRandom: the engine's 32-bit LCG with signed arithmetic and truncating division.

local PseudoRandom = {}
local new_pseudo, pseudo_state = I.userdata_class("PseudoRandom", PseudoRandom)

local function pr_step(st)
	local _, lo = mul32(u32(st.state), 1103515245)
	local v = s32(lo + 12345)
	st.state = v
	return u32(I.trunc(v / 65536)) % 32768
end

-- lua_tointeger on an argument: numbers and numeric strings, truncated toward zero.
local function to_integer(v)
	return I.trunc(tonumber(v))
end

-- luaL_checkinteger for the constructors (the engine's message names the function '?').
local function check_seed(v)
	if tonumber(v) == nil then
		error("bad argument #1 to '?' (number expected, got " .. (v == nil and "no value" or type(v)) .. ")", 0)
	end
	return to_integer(v)
end

-- next(min = 0, max = 32767): the range must be the full 32768 values or at most 32767/5 wide,
-- else the engine refuses it (its modulo would skew the distribution).
function PseudoRandom:next(min, max)
	local st = pseudo_state(self, "next")
	min = tonumber(min) and to_integer(min) or 0
	max = tonumber(max) and to_integer(max) or 32767
	if max < min then
		I.emit("ERROR[Main]: PseudoRandom.next(): max=" .. max .. " min=" .. min)
		error("PseudoRandom.next(): max < min", 0)
	end
	if max - min ~= 32767 and max - min > 6553 then
		error("PseudoRandom.next() max-min is not 32767 and is > 32768/5. This is disallowed due to the bad "
			.. "random distribution the implementation would otherwise make.", 0)
	end
	return pr_step(st) % (max - min + 1) + min
end

function PseudoRandom:get_state()
	return pseudo_state(self, "get_state").state
end

function G.PseudoRandom(seed)
	return new_pseudo({ state = s32(check_seed(seed)) })
end

------------------------------------------------------------------------------------------------------
-- PcgRandom: PCG32 (XSH-RR) with the engine's seeding and range reduction.

local PcgRandom = {}
local new_pcg, pcg_state = I.userdata_class("PcgRandom", PcgRandom)
local MUL_HI, MUL_LO = 0x5851F42D, 0x4C957F2D

local function split64(n)
	n = floor(n)
	return u32(floor(n / P32)), u32(n)
end

local function pcg_next(st)
	local oh, ol = st.hi, st.lo
	st.hi, st.lo = muladd64(oh, ol, MUL_HI, MUL_LO, st.inc_hi, st.inc_lo)
	-- xorshifted = ((old >> 18) ^ old) >> 27 (low 32 bits); rot = old >> 59
	local xh = rshift(oh, 18)
	local xl = bor(rshift(ol, 18), lshift(oh, 14))
	local yh, yl = bxor(xh, oh), bxor(xl, ol)
	local xs = bor(rshift(yl, 27), lshift(yh, 5))
	local rot = floor(oh / 134217728) -- oh >> 27
	return u32(bor(rshift(xs, rot), lshift(xs, band(-rot, 31))))
end

local function pcg_range(st, bound)
	if bound == 0 then
		return pcg_next(st)
	end
	local threshold = (P32 - bound) % bound
	while true do
		local r = pcg_next(st)
		if r >= threshold then
			return r % bound
		end
	end
end

-- next(min, max) on a generator's state.
local function pcg_between(st, min, max)
	min = tonumber(min) and to_integer(min) or -2147483648
	max = tonumber(max) and to_integer(max) or 2147483647
	if max < min then
		error("Invalid range (max < min)", 0)
	end
	return s32(pcg_range(st, u32(max - min + 1)) + min)
end

function PcgRandom:next(min, max)
	return pcg_between(pcg_state(self, "next"), min, max)
end

function PcgRandom:rand_normal_dist(min, max, trials)
	local st = pcg_state(self, "rand_normal_dist")
	min, max, trials = min or -2147483648, max or 2147483647, trials or 6
	if trials < 1 then
		return -2147483648 -- the engine's integer 0/0
	end
	local acc = 0
	for _ = 1, trials do
		acc = acc + pcg_between(st, min, max)
	end
	return I.round(acc / trials)
end

function PcgRandom:get_state()
	local st = pcg_state(self, "get_state")
	return st.hi * P32 + st.lo
end

-- A seeded generator state.
local function pcg_seed(seed, seq_hi, seq_lo)
	local st = {}
	st.inc_hi = u32(bor(lshift(seq_hi, 1), rshift(seq_lo, 31)))
	st.inc_lo = u32(bor(lshift(seq_lo, 1), 1))
	st.hi, st.lo = 0, 0
	pcg_next(st)
	local sh, sl = split64(seed)
	local lo = st.lo + sl
	st.hi, st.lo = (st.hi + sh + floor(lo / P32)) % P32, lo % P32
	pcg_next(st)
	return st
end

function G.PcgRandom(seed, seq)
	local qh, ql = 0xda3e39cb, 0x94b95bdb
	if seq then
		qh, ql = split64(seq)
	end
	return new_pcg(pcg_seed(check_seed(seed), qh, ql))
end

------------------------------------------------------------------------------------------------------
-- SecureRandom: the engine reads the OS CSPRNG; here bytes come from a PCG seeded from the server's
-- clock (per sample, as the start is: scoring must be reproducible, and nothing here protects
-- secrets) and a count of the objects made, so no two objects and no two samples' servers give
-- the same bytes.

local SecureRandom = {}
local new_secure, secure_state = I.userdata_class("SecureRandom", SecureRandom)

function SecureRandom:next_bytes(count)
	local st = secure_state(self, "next_bytes")
	count = H.math.min(count or 1, 2048) -- the engine silently caps the count
	local out = {}
	for i = 1, count do
		out[i] = H.string.char(pcg_between(st, 0, 255))
	end
	return H.table.concat(out)
end

local secure_made = 0
function G.SecureRandom()
	secure_made = secure_made + 1
	local us = I.step_clock()
	return new_secure(pcg_seed(0x5ec0de + secure_made, floor(us / P32) % P32, us % P32))
end

------------------------------------------------------------------------------------------------------
-- Noise: the engine's Perlin noise (src/noise.cpp noise2d/noise3d, noise2d_gradient /
-- noise3d_gradient, NoisePerlin2D/3D) in single precision, value for value (checked against the
-- real server). Noise maps give each point's value as the point functions do; the engine's map
-- code interpolates incrementally and may differ in the last bits.

-- itemstack.lua defines I.f32 after this file runs
local function f32(x)
	return I.f32(x)
end

-- (a * b) mod 2^31 for a, b < 2^32, exactly.
local function mulmod31(a, b)
	local b0, b1 = b % 65536, floor(b / 65536)
	return (a * b0 + (a * b1 % 2147483648) * 65536) % 2147483648
end

local function lattice(n)
	n = bxor(floor(n / 8192), n) % 2147483648
	n = (mulmod31(n, (mulmod31(mulmod31(n, n), 60493) + 19990303) % 2147483648) + 1376312589) % 2147483648
	return f32(1 - f32(n) / 1073741824) -- (float)(int)n, then the division
end

local function lattice2(x, y, seed)
	return lattice((1619 * x + 31337 * y + 1013 * seed) % 2147483648)
end

local function lattice3(x, y, z, seed)
	return lattice((1619 * x + 31337 * y + 52591 * z + 1013 * seed) % 2147483648)
end

-- myfloor: C's (int) truncation less one for negatives (so -2.0 gives -3, as the engine's does).
local function myfloor(x)
	if x < 0 then
		return I.trunc(x) - 1
	end
	return I.trunc(x)
end

local function ease(t)
	return f32(f32(f32(t * t) * t) * f32(f32(t * f32(f32(6 * t) - 15)) + 10))
end

local function lerp(a, b, t)
	return f32(a + f32(f32(b - a) * t))
end

local function gradient2(x, y, seed, eased)
	local x0, y0 = myfloor(x), myfloor(y)
	local tx, ty = f32(x - x0), f32(y - y0)
	if eased then
		tx, ty = ease(tx), ease(ty)
	end
	local u = lerp(lattice2(x0, y0, seed), lattice2(x0 + 1, y0, seed), tx)
	local v = lerp(lattice2(x0, y0 + 1, seed), lattice2(x0 + 1, y0 + 1, seed), tx)
	return lerp(u, v, ty)
end

local function gradient3(x, y, z, seed, eased)
	local x0, y0, z0 = myfloor(x), myfloor(y), myfloor(z)
	local tx, ty, tz = f32(x - x0), f32(y - y0), f32(z - z0)
	if eased then
		tx, ty, tz = ease(tx), ease(ty), ease(tz)
	end
	local function plane(dz)
		local u = lerp(lattice3(x0, y0, z0 + dz, seed), lattice3(x0 + 1, y0, z0 + dz, seed), tx)
		local v = lerp(lattice3(x0, y0 + 1, z0 + dz, seed), lattice3(x0 + 1, y0 + 1, z0 + dz, seed), tx)
		return lerp(u, v, ty)
	end
	return lerp(plane(0), plane(1), tz)
end

local FLAG_DEFAULTS, FLAG_EASED, FLAG_ABSVALUE = 1, 2, 4
local FLAG_NAMES = { defaults = FLAG_DEFAULTS, eased = FLAG_EASED, absvalue = FLAG_ABSVALUE }

-- readFlagString / read_flags_table: only the flags named ("noX" clears X).
local function read_flags(v)
	local flags = 0
	local function set(word, on)
		local bitv = FLAG_NAMES[word]
		if bitv then
			flags = on and bor(flags, bitv) or band(flags, bit.bnot(bitv))
		end
	end
	if type(v) == "string" or type(v) == "number" then
		for word in H.string.gmatch(tostring(v), "[^,]+") do
			word = H.string.match(word, "^%s*(.-)%s*$")
			if H.string.sub(word, 1, 2) == "no" then
				set(H.string.sub(word, 3), false)
			else
				set(word, true)
			end
		end
	elseif type(v) == "table" then
		for name in H.pairs(FLAG_NAMES) do
			if v[name] ~= nil then
				set(name, v[name] ~= false)
			end
		end
	end
	return flags
end

local function number_field(t, k, default)
	local v = tonumber(t[k])
	return v ~= nil and v or default
end

-- read_noiseparams over NoiseParams' defaults (offset 0, scale 1, spread 250, seed 12345, 3 octaves,
-- persistence 0.6, lacunarity 2, flags "defaults"), or the legacy arguments (seed, octaves,
-- persistence, spread) over the same defaults.
local function noise_params(a, b, c, d)
	if type(a) == "table" then
		local spread = type(a.spread) == "table" and a.spread or { x = 250, y = 250, z = 250 }
		local persist = number_field(a, "persist", 0.6)
		return {
			offset = f32(number_field(a, "offset", 0)), scale = f32(number_field(a, "scale", 1)),
			persist = f32(number_field(a, "persistence", persist)), lacunarity = f32(number_field(a, "lacunarity", 2)),
			seed = I.trunc(number_field(a, "seed", 12345)), octaves = I.trunc(number_field(a, "octaves", 3)),
			flags = a.flags ~= nil and read_flags(a.flags) or FLAG_DEFAULTS,
			spread = { x = f32(number_field(spread, "x", 0)), y = f32(number_field(spread, "y", 0)),
				z = f32(number_field(spread, "z", 0)) },
		}
	end
	local spread = f32(tonumber(d) or 0)
	return { offset = 0, scale = 1, persist = f32(tonumber(c) or 0), lacunarity = 2,
		seed = I.trunc(tonumber(a) or 0), octaves = I.trunc(tonumber(b) or 0), flags = FLAG_DEFAULTS,
		spread = { x = spread, y = spread, z = spread } }
end

-- NoisePerlin2D / NoisePerlin3D with seed 0 (the Lua objects pass none).
local function perlin(np, p, three)
	local x, y = f32(f32(tonumber(p.x) or 0) / np.spread.x), f32(f32(tonumber(p.y) or 0) / np.spread.y)
	local z = three and f32(f32(tonumber(p.z) or 0) / np.spread.z)
	local eased = three and band(np.flags, FLAG_EASED) ~= 0 or not three and band(np.flags, FLAG_DEFAULTS + FLAG_EASED) ~= 0
	local a, freq, g = 0, 1, 1
	for i = 0, np.octaves - 1 do
		local v
		if three then
			v = gradient3(f32(x * freq), f32(y * freq), f32(z * freq), np.seed + i, eased)
		else
			v = gradient2(f32(x * freq), f32(y * freq), np.seed + i, eased)
		end
		if band(np.flags, FLAG_ABSVALUE) ~= 0 then
			v = H.math.abs(v)
		end
		a = f32(a + f32(g * v))
		freq = f32(freq * np.lacunarity)
		g = f32(g * np.persist)
	end
	return f32(np.offset + f32(a * np.scale))
end

local function noise3(np, p)
	return perlin(np, p, true)
end

local function noise2(np, p)
	return perlin(np, p, false)
end

local PerlinNoise = {}
local new_noise, noise_state = I.userdata_class("PerlinNoise", PerlinNoise)

function PerlinNoise:get_3d(p)
	return noise3(noise_state(self, "get_3d"), p)
end

function PerlinNoise:get_2d(p)
	return noise2(noise_state(self, "get_2d"), p)
end
-- camelCase names: separate C functions in the engine (never the same function value)
function PerlinNoise:get3d(p)
	return PerlinNoise.get_3d(self, p)
end
function PerlinNoise:get2d(p)
	return PerlinNoise.get_2d(self, p)
end

function G.PerlinNoise(a, b, c, d)
	return new_noise(noise_params(a, b, c, d))
end
G.ValueNoise = G.PerlinNoise

local PerlinNoiseMap = {}
local new_noise_map, noise_map_state = I.userdata_class("PerlinNoiseMap", PerlinNoiseMap)

function PerlinNoiseMap:get_3d_map_flat(minp, buffer)
	local st = noise_map_state(self, "get_3d_map_flat")
	local out, i, size = buffer or {}, 0, st.size
	local result = {}
	for z = 0, (size.z or 1) - 1 do
		for y = 0, size.y - 1 do
			for x = 0, size.x - 1 do
				i = i + 1
				result[i] = noise3(st.np, { x = minp.x + x, y = minp.y + y, z = (minp.z or 0) + z })
				out[i] = result[i]
			end
		end
	end
	st.result = result
	return out
end

function PerlinNoiseMap:get_2d_map_flat(minp, buffer)
	local st = noise_map_state(self, "get_2d_map_flat")
	local out, i, size = buffer or {}, 0, st.size
	local result = {}
	for y = 0, size.y - 1 do
		for x = 0, size.x - 1 do
			i = i + 1
			result[i] = noise2(st.np, { x = minp.x + x, y = minp.y + y })
			out[i] = result[i]
		end
	end
	st.result = result
	return out
end

function PerlinNoiseMap:get_2d_map(minp)
	local size = noise_map_state(self, "get_2d_map").size
	local flat, out = PerlinNoiseMap.get_2d_map_flat(self, minp), {}
	for y = 1, size.y do
		out[y] = {}
		for x = 1, size.x do
			out[y][x] = flat[(y - 1) * size.x + x]
		end
	end
	return out
end

function PerlinNoiseMap:get_3d_map(minp)
	local size = noise_map_state(self, "get_3d_map").size
	local flat, out = PerlinNoiseMap.get_3d_map_flat(self, minp), {}
	for z = 1, size.z do
		out[z] = {}
		for y = 1, size.y do
			out[z][y] = {}
			for x = 1, size.x do
				out[z][y][x] = flat[((z - 1) * size.y + (y - 1)) * size.x + x]
			end
		end
	end
	return out
end

-- calc_2d_map / calc_3d_map compute the map into the object's buffer without returning it.
function PerlinNoiseMap:calc_2d_map(minp)
	noise_map_state(self, "calc_2d_map")
	PerlinNoiseMap.get_2d_map_flat(self, minp)
end

function PerlinNoiseMap:calc_3d_map(minp)
	noise_map_state(self, "calc_3d_map")
	PerlinNoiseMap.get_3d_map_flat(self, minp)
end

-- get_map_slice (write_array_slice_float): the part of the last map from a 1-based offset (0:
-- the whole extent of that axis) of the given size, cut at the map's edge, x fastest, into
-- `buffer` when one is given.
function PerlinNoiseMap:get_map_slice(offset, size, buffer)
	local st = noise_map_state(self, "get_map_slice")
	if size == nil then
		error("Invalid vector (expected table got no value).", 0)
	end
	local ox, oy, oz = I.check_pos(offset, "get_map_slice")
	local sx, sy, sz = I.check_pos(size, "get_map_slice")
	local dim = { st.size.x, st.size.y, st.size.z }
	local lo, hi = { 0, 0, 0 }, { dim[1], dim[2], dim[3] }
	for k, pair in H.ipairs({ { ox, sx }, { oy, sy }, { oz, sz } }) do
		local o, n = pair[1] % 65536, pair[2] % 65536 -- v3u16
		if o > 0 then
			lo[k] = o - 1
			hi[k] = H.math.min(o - 1 + n, dim[k])
		end
	end
	local out = type(buffer) == "table" and buffer or {}
	local result, i = st.result or {}, 0
	for z = lo[3], hi[3] - 1 do
		for y = lo[2], hi[2] - 1 do
			for x = lo[1], hi[1] - 1 do
				i = i + 1
				out[i] = result[z * dim[1] * dim[2] + y * dim[1] + x + 1] or 0
			end
		end
	end
	return out
end

-- The engine registers the camelCase names as separate C functions: equal in behaviour, never
-- the same function value.
for alias, name in H.pairs({ get2dMap = "get_2d_map", get3dMap = "get_3d_map", get2dMap_flat = "get_2d_map_flat",
	get3dMap_flat = "get_3d_map_flat", calc2dMap = "calc_2d_map", calc3dMap = "calc_3d_map",
	getMapSlice = "get_map_slice" }) do
	local f = PerlinNoiseMap[name]
	PerlinNoiseMap[alias] = function(...)
		return f(...)
	end
end

function G.PerlinNoiseMap(np, size)
	return new_noise_map({ np = noise_params(np), size = { x = size.x, y = size.y, z = size.z or 1 } })
end
G.ValueNoiseMap = G.PerlinNoiseMap

-- The world's noises need the server's environment: at mod load time and in on_mods_loaded the
-- engine's get_perlin and get_perlin_map return nothing (probed on 5.6.1).
function core.get_perlin(a, b, c, d)
	if I.phase ~= "run" then
		return
	end
	-- the world's noise: the parameters' seed plus the map seed as a 32-bit int
	local np = noise_params(a, b, c, d)
	np.seed = s32(np.seed + I.map_seed_s32())
	return new_noise(np)
end
function core.get_perlin_map(np, size)
	if I.phase ~= "run" then
		return
	end
	local map = G.PerlinNoiseMap(np, size)
	local st = noise_map_state(map, "get_perlin_map")
	st.np.seed = s32(st.np.seed + I.map_seed_s32())
	return map
end

