-- random.lua: PseudoRandom, PcgRandom, SecureRandom and noise objects.
--
-- PseudoRandom and PcgRandom reproduce the engine's generators bit for bit (checked against the
-- real server: PseudoRandom(42) starts 19082, 17034, ...; PcgRandom(42):next() is -248486166), so
-- a mod's seeded behaviour is the engine's. Noise is a deterministic approximation (documented in
-- docs/emulation.md): same seed and position give the same value, with Perlin-like smoothness.
-- All five are userdata classes as in the engine (I.userdata_class, sandbox.lua): their state is out
-- of mods' reach and getmetatable answers the method table.
local core, I = ...
local H = I.host
local G = I.G
local type, error, tonumber = H.type, H.error, H.tonumber
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
-- SecureRandom: the engine reads the OS CSPRNG; here bytes come from a PCG seeded per runtime
-- (scoring must be reproducible, and nothing here protects secrets).

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

function G.SecureRandom()
	return new_secure(pcg_seed(0x5ec0de, 0xda3e39cb, 0x94b95bdb))
end

------------------------------------------------------------------------------------------------------
-- Noise: deterministic gradient-free value noise with octaves (an approximation of the engine's
-- Perlin noise: same parameters and seed give the same, smooth values, not the engine's numbers).

local function hash3(x, y, z, seed)
	local h = bxor(x * 73856093, y * 19349663, z * 83492791, seed * 1013904223)
	h = bxor(h, rshift(h, 13)) * 1274126177
	return band(bxor(h, rshift(h, 16)), 0x7fffffff) / 0x7fffffff * 2 - 1
end

local function smooth(t)
	return t * t * (3 - 2 * t)
end

local function value3(x, y, z, seed)
	local x0, y0, z0 = floor(x), floor(y), floor(z)
	local fx, fy, fz = smooth(x - x0), smooth(y - y0), smooth(z - z0)
	local function lerp(a, b, t)
		return a + (b - a) * t
	end
	local function c(dx, dy, dz)
		return hash3(x0 + dx, y0 + dy, z0 + dz, seed)
	end
	return lerp(
		lerp(lerp(c(0, 0, 0), c(1, 0, 0), fx), lerp(c(0, 1, 0), c(1, 1, 0), fx), fy),
		lerp(lerp(c(0, 0, 1), c(1, 0, 1), fx), lerp(c(0, 1, 1), c(1, 1, 1), fx), fy), fz)
end

local PerlinNoise = {}
local new_noise, noise_state = I.userdata_class("PerlinNoise", PerlinNoise)

local function noise_params(a, b, c, d)
	if type(a) == "table" then
		return {
			offset = a.offset or 0, scale = a.scale or 1, spread = a.spread or { x = 250, y = 250, z = 250 },
			seed = a.seed or 0, octaves = a.octaves or 3, persistence = a.persistence or a.persist or 0.6,
			lacunarity = a.lacunarity or 2.0,
		}
	end
	-- legacy: PerlinNoise(seed, octaves, persistence, spread)
	return { offset = 0, scale = 1, spread = { x = d or 250, y = d or 250, z = d or 250 }, seed = a or 0,
		octaves = b or 3, persistence = c or 0.6, lacunarity = 2.0 }
end

local function noise3(np, p)
	local total, amp, freq = 0, 1, 1
	for o = 1, np.octaves do
		total = total + amp * value3(p.x / np.spread.x * freq, p.y / np.spread.y * freq,
			p.z / np.spread.z * freq, np.seed + o)
		amp, freq = amp * np.persistence, freq * np.lacunarity
	end
	return np.offset + np.scale * total
end

local function noise2(np, p)
	return noise3(np, { x = p.x, y = p.y, z = 0 })
end

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
	if type(a) == "table" then
		local np = {}
		for k, v in H.pairs(a) do
			np[k] = v
		end
		np.seed = (np.seed or 0) + 1
		return G.PerlinNoise(np)
	end
	return G.PerlinNoise(a, b, c, d)
end
function core.get_perlin_map(np, size)
	if I.phase ~= "run" then
		return
	end
	return G.PerlinNoiseMap(np, size)
end

