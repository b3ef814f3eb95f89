-- compress.lua: core.compress / core.decompress and core.encode_png's C part (engine:
-- src/script/lua_api/l_util.cpp, compressZlib/decompressZlib in src/util/serialize.cpp, encodePNG in
-- src/util/png.cpp). 5.6.1 knows one method, zlib's deflate: the method argument is not read.
--
-- The zlib stream is written here in Lua: the header zlib writes for the level, one final block,
-- the Adler-32 trailer. Level 0 stores the data as zlib does; other levels find matches with lazy
-- evaluation as zlib's deflate_slow does and code them with the fixed Huffman codes, which is what
-- zlib itself emits for short inputs (its output there is byte for byte the same); for long inputs
-- zlib switches to dynamic codes, so the bytes (and the length) differ while any inflater reads
-- both the same. Decompression reads every block type.
local core, I = ...
local H = I.host
local type, tostring, tonumber, error, select = H.type, H.tostring, H.tonumber, H.error, H.select
local floor = H.math.floor
local sbyte, schar, ssub = H.string.byte, H.string.char, H.string.sub
local concat = H.table.concat
local bit = H.bit
local band, bxor, rshift = bit.band, bit.bxor, bit.rshift

-- luaL_checklstring (numbers read as strings) and readParam<int>.
local check_string, check_int = I.check_string, I.check_int

---------------------------------------------------------------------------------------------------
-- Checksums.

local function adler32(s)
	local a, b = 1, 0
	local n = #s
	for i = 1, n, 4096 do
		local j = i + 4095 < n and i + 4095 or n
		for k = i, j do
			a = a + sbyte(s, k)
			b = b + a
		end
		a, b = a % 65521, b % 65521
	end
	return b * 65536 + a
end

-- The constant tables are built once per Lua state (I.constants), not by every world.
local K = I.constants.compress
local CRC_TABLE = K and K.crc or {}
if not K then
	for i = 0, 255 do
		local c = i
		for _ = 1, 8 do
			if band(c, 1) == 1 then
				c = bxor(rshift(c, 1), 0xEDB88320)
			else
				c = rshift(c, 1)
			end
		end
		CRC_TABLE[i] = c
	end
end

local function crc32(s)
	local c = 0xFFFFFFFF
	for i = 1, #s do
		c = bxor(CRC_TABLE[band(bxor(c, sbyte(s, i)), 0xFF)], rshift(c, 8))
	end
	return bxor(c, 0xFFFFFFFF) % 4294967296
end

local function u32be(n)
	return schar(floor(n / 16777216) % 256, floor(n / 65536) % 256, floor(n / 256) % 256, n % 256)
end

---------------------------------------------------------------------------------------------------
-- Deflate.

local LEN_BASE = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
	131, 163, 195, 227, 258 }
local LEN_EXTRA = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 }
local DIST_BASE = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
	2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 }
local DIST_EXTRA = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 }

-- Length and distance -> code index (1-based into the tables above).
local LEN_CODE, DIST_CODE = K and K.len_code or {}, {}
if not K then
	for i = 1, 29 do
		local top = i < 29 and LEN_BASE[i] + 2 ^ LEN_EXTRA[i] - 1 or 258
		for l = LEN_BASE[i], top do
			LEN_CODE[l] = i
		end
	end
	LEN_CODE[258] = 29
end

local function dist_code(d)
	local lo, hi = 1, 30
	while lo < hi do
		local mid = floor((lo + hi + 1) / 2)
		if DIST_BASE[mid] <= d then
			lo = mid
		else
			hi = mid - 1
		end
	end
	return lo
end

-- An LSB-first bit writer.
local function bit_writer()
	local out, acc, nbits = {}, 0, 0
	local w = {}
	function w.put(value, n)
		acc = acc + value * 2 ^ nbits
		nbits = nbits + n
		while nbits >= 8 do
			out[#out + 1] = schar(acc % 256)
			acc = floor(acc / 256)
			nbits = nbits - 8
		end
	end
	-- a Huffman code goes out most significant bit first
	function w.code(code, n)
		local r = 0
		for _ = 1, n do
			r = r * 2 + code % 2
			code = floor(code / 2)
		end
		w.put(r, n)
	end
	function w.finish()
		if nbits > 0 then
			out[#out + 1] = schar(acc % 256)
		end
		return concat(out)
	end
	return w
end

local function fixed_literal(w, sym)
	if sym < 144 then
		w.code(0x30 + sym, 8)
	elseif sym < 256 then
		w.code(0x190 + sym - 144, 9)
	elseif sym < 280 then
		w.code(sym - 256, 7)
	else
		w.code(0xC0 + sym - 280, 8)
	end
end

-- zlib's configuration per level (deflate.c configuration_table): good length, lazy match limit,
-- nice length, chain length. Levels 1-3 use zlib's greedy deflate_fast there; here every level
-- searches lazily as deflate_slow does (those levels' bytes may differ from zlib's).
local LEVELS = { { 4, 4, 8, 4 }, { 4, 5, 16, 8 }, { 4, 6, 32, 32 }, { 4, 4, 16, 16 }, { 8, 16, 32, 32 },
	{ 8, 16, 128, 128 }, { 8, 32, 128, 256 }, { 32, 128, 258, 1024 }, { 32, 258, 258, 4096 } }
local MAX_DIST, TOO_FAR = 32768 - 262, 4096

-- deflate_slow's LZ77: at each position the longest earlier match (hash chains of 3-byte strings,
-- nearest first); a match found at one position is emitted only when the next position has none
-- longer, else a literal goes out and the longer match is kept pending.
local function lz77(s, level, emit_literal, emit_match)
	local good, max_lazy, nice, max_chain = LEVELS[level][1], LEVELS[level][2], LEVELS[level][3], LEVELS[level][4]
	local n = #s
	local head, prev = {}, {}
	-- inserts position i into its hash chain; the previous head of the chain. zlib's chains end at
	-- position 0 (its NIL), so the first byte never starts a match.
	local function insert(i)
		if i + 2 > n then
			return nil
		end
		local h = sbyte(s, i) * 65536 + sbyte(s, i + 1) * 256 + sbyte(s, i + 2)
		local first = head[h]
		prev[i] = first
		head[h] = i > 1 and i or nil
		return first
	end
	local function longest(i, cand, prev_len)
		local best, best_start = prev_len, nil
		local chain = prev_len >= good and floor(max_chain / 4) or max_chain
		local lookahead = n - i + 1
		local maxlen = lookahead < 258 and lookahead or 258
		local nice_len = nice < lookahead and nice or lookahead
		local limit = i - MAX_DIST -- the first candidate may be this far, later ones must be nearer
		while cand and cand >= limit and chain > 0 do
			if sbyte(s, cand + best) == sbyte(s, i + best) then
				local l = 0
				while l < maxlen and sbyte(s, cand + l) == sbyte(s, i + l) do
					l = l + 1
				end
				if l > best then
					best, best_start = l, cand
					if l >= nice_len then
						break
					end
				end
			end
			cand = prev[cand]
			limit = i - MAX_DIST + 1
			chain = chain - 1
		end
		return best, best_start
	end
	local i, match_len, match_start, available = 1, 2, nil, false
	while i <= n do
		local first = insert(i)
		local prev_len, prev_start = match_len, match_start
		match_len = 2
		if first and prev_len < max_lazy and i - first <= MAX_DIST then
			match_len, match_start = longest(i, first, prev_len)
			match_start = match_start or prev_start
			if match_len == 3 and i - match_start > TOO_FAR then
				match_len = 2
			end
		end
		if prev_len >= 3 and match_len <= prev_len then
			emit_match(prev_len, i - 1 - prev_start)
			for k = i + 1, i + prev_len - 2 do
				insert(k)
			end
			i = i + prev_len - 1
			available, match_len = false, 2
		else
			if available then
				emit_literal(sbyte(s, i - 1))
			end
			available = true
			i = i + 1
		end
	end
	if available then
		emit_literal(sbyte(s, n))
	end
end

-- zlib's header for a level (FLEVEL 0..3) with its check bits.
local function zlib_header(level)
	local flevel = level < 2 and 0 or level < 6 and 1 or level == 6 and 2 or 3
	local flg = flevel * 64
	flg = flg + 31 - (0x78 * 256 + flg) % 31
	return schar(0x78, flg)
end

-- compressZlib: level -1 is zlib's default (6); outside -1..9 deflateInit fails.
local function compress_zlib(data, level)
	if level == -1 then
		level = 6
	end
	if level < -1 or level > 9 then
		error("compressZlib: deflateInit failed", 0)
	end
	local body
	if level == 0 then
		-- stored blocks of at most 65535 bytes
		local parts, n = {}, #data
		local pos = 1
		repeat
			local len = n - pos + 1 < 65535 and n - pos + 1 or 65535
			local final = pos + len > n and 1 or 0
			parts[#parts + 1] = schar(final, len % 256, floor(len / 256), (65535 - len) % 256,
				floor((65535 - len) / 256)) .. ssub(data, pos, pos + len - 1)
			pos = pos + len
		until pos > n
		body = concat(parts)
	else
		local w = bit_writer()
		w.put(1, 1) -- final block
		w.put(1, 2) -- fixed Huffman codes
		lz77(data, level, function(byte)
			fixed_literal(w, byte)
		end, function(len, dist)
			local li = LEN_CODE[len]
			fixed_literal(w, 256 + li)
			w.put(len - LEN_BASE[li], LEN_EXTRA[li])
			local di = dist_code(dist)
			w.code(di - 1, 5)
			w.put(dist - DIST_BASE[di], DIST_EXTRA[di])
		end)
		fixed_literal(w, 256)
		body = w.finish()
	end
	return zlib_header(level) .. body .. u32be(adler32(data))
end

---------------------------------------------------------------------------------------------------
-- Inflate: canonical Huffman decoding by code length counts.

local INFLATE_FAILED = "decompressZlib: inflate failed"

-- A decoder from code lengths (lengths[0..n-1]): counts per length and symbols in code order.
local function huffman(lengths, n)
	local count, symbols = {}, {}
	for len = 0, 15 do
		count[len] = 0
	end
	for sym = 0, n - 1 do
		count[lengths[sym]] = count[lengths[sym]] + 1
	end
	local offs = { [1] = 0 }
	for len = 1, 14 do
		offs[len + 1] = offs[len] + count[len]
	end
	for sym = 0, n - 1 do
		local len = lengths[sym]
		if len ~= 0 then
			symbols[offs[len]] = sym
			offs[len] = offs[len] + 1
		end
	end
	return { count = count, symbols = symbols }
end

local FIXED_LIT, FIXED_DIST = K and K.fixed_lit, K and K.fixed_dist
if not K then
	local l = {}
	for i = 0, 143 do
		l[i] = 8
	end
	for i = 144, 255 do
		l[i] = 9
	end
	for i = 256, 279 do
		l[i] = 7
	end
	for i = 280, 287 do
		l[i] = 8
	end
	FIXED_LIT = huffman(l, 288)
	local d = {}
	for i = 0, 29 do
		d[i] = 5
	end
	FIXED_DIST = huffman(d, 30)
	I.constants.compress = { crc = CRC_TABLE, len_code = LEN_CODE, fixed_lit = FIXED_LIT, fixed_dist = FIXED_DIST }
end

local CL_ORDER = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 }
local TRUNCATED = {} -- raised when the input ends mid-stream: what was decoded stands

-- zlib stream -> data. Input that ends early gives what was decoded so far (the engine reads until
-- its input is used up); a bad header, bad codes or a wrong checksum fail.
local function decompress_zlib(s)
	local n = #s
	local pos, bitbuf, bitcnt = 1, 0, 0
	local out, outn = {}, 0
	local function need(k)
		while bitcnt < k do
			if pos > n then
				error(TRUNCATED, 0)
			end
			bitbuf = bitbuf + sbyte(s, pos) * 2 ^ bitcnt
			pos = pos + 1
			bitcnt = bitcnt + 8
		end
	end
	local function bits(k)
		need(k)
		local v = bitbuf % 2 ^ k
		bitbuf = floor(bitbuf / 2 ^ k)
		bitcnt = bitcnt - k
		return v
	end
	local function decode(h)
		local code, first, index = 0, 0, 0
		for len = 1, 15 do
			code = code + bits(1)
			local c = h.count[len]
			if code - c < first then
				return h.symbols[index + (code - first)]
			end
			index = index + c
			first = (first + c) * 2
			code = code * 2
		end
		error(INFLATE_FAILED, 0)
	end
	local function codes(lit, dist)
		while true do
			local sym = decode(lit)
			if sym < 256 then
				outn = outn + 1
				out[outn] = sym
			elseif sym == 256 then
				return
			else
				sym = sym - 256
				if sym > 29 then
					error(INFLATE_FAILED, 0)
				end
				local len = LEN_BASE[sym] + bits(LEN_EXTRA[sym])
				local dsym = decode(dist) + 1
				if dsym > 30 then
					error(INFLATE_FAILED, 0)
				end
				local d = DIST_BASE[dsym] + bits(DIST_EXTRA[dsym])
				if d > outn then
					error(INFLATE_FAILED, 0)
				end
				for _ = 1, len do
					outn = outn + 1
					out[outn] = out[outn - d]
				end
			end
		end
	end
	local function dynamic()
		local nlen, ndist, ncode = bits(5) + 257, bits(5) + 1, bits(4) + 4
		local lengths = {}
		for i = 0, 18 do
			lengths[i] = 0
		end
		for i = 1, ncode do
			lengths[CL_ORDER[i]] = bits(3)
		end
		local lencode = huffman(lengths, 19)
		local all, i = {}, 0
		while i < nlen + ndist do
			local sym = decode(lencode)
			if sym < 16 then
				all[i] = sym
				i = i + 1
			else
				local value, rep = 0, 0
				if sym == 16 then
					if i == 0 then
						error(INFLATE_FAILED, 0)
					end
					value, rep = all[i - 1], 3 + bits(2)
				elseif sym == 17 then
					rep = 3 + bits(3)
				else
					rep = 11 + bits(7)
				end
				if i + rep > nlen + ndist then
					error(INFLATE_FAILED, 0)
				end
				for _ = 1, rep do
					all[i] = value
					i = i + 1
				end
			end
		end
		local lit, dist = {}, {}
		for k = 0, nlen - 1 do
			lit[k] = all[k]
		end
		for k = 0, ndist - 1 do
			dist[k] = all[nlen + k]
		end
		codes(huffman(lit, nlen), huffman(dist, ndist))
	end
	local function result()
		local parts = {}
		for k = 1, outn, 4096 do
			parts[#parts + 1] = schar(H.unpack(out, k, k + 4095 < outn and k + 4095 or outn))
		end
		return concat(parts)
	end
	local ok, err = H.pcall(function()
		local cmf, flg = bits(8), bits(8)
		if cmf % 16 ~= 8 or (cmf * 256 + flg) % 31 ~= 0 or floor(cmf / 16) > 7 or floor(flg / 32) % 2 == 1 then
			error(INFLATE_FAILED, 0)
		end
		local final = 0
		while final == 0 do
			final = bits(1)
			local btype = bits(2)
			if btype == 0 then
				bitbuf, bitcnt = 0, 0
				local len, nlen = bits(16), bits(16)
				if len ~= 65535 - nlen then
					error(INFLATE_FAILED, 0)
				end
				for _ = 1, len do
					outn = outn + 1
					out[outn] = bits(8)
				end
			elseif btype == 1 then
				codes(FIXED_LIT, FIXED_DIST)
			elseif btype == 2 then
				dynamic()
			else
				error(INFLATE_FAILED, 0)
			end
		end
		bitbuf, bitcnt = 0, 0
		local sum = bits(16)
		sum = ((sum % 256) * 256 + floor(sum / 256)) * 65536
		local low = bits(16)
		sum = sum + (low % 256) * 256 + floor(low / 256)
		if sum ~= adler32(result()) then
			error(INFLATE_FAILED, 0)
		end
	end)
	if not ok and err ~= TRUNCATED then
		error(err, 0)
	end
	return result()
end

---------------------------------------------------------------------------------------------------
-- The API.

function core.compress(data, _method, ...)
	data = check_string(data, 1)
	local level = -1
	if select("#", ...) > 0 and (...) ~= nil then
		level = check_int((...), 3)
	end
	return compress_zlib(data, level)
end

function core.decompress(data, _method)
	return decompress_zlib(check_string(data, 1))
end

-- encodePNG: 8-bit RGBA, each row behind filter type 0, one IDAT chunk compressed as compress does.
local function png_chunk(kind, data)
	return u32be(#data) .. kind .. data .. u32be(crc32(kind .. data))
end

function core.encode_png(width, height, data, compression)
	width = check_int(width, 1) % 4294967296
	height = check_int(height, 2) % 4294967296
	data = check_string(data, 3)
	compression = check_int(compression, 4)
	local rows, stride = {}, width * 4
	for y = 0, height - 1 do
		rows[#rows + 1] = "\0" .. ssub(data, y * stride + 1, (y + 1) * stride)
	end
	return "\137PNG\r\n\26\n"
		.. png_chunk("IHDR", u32be(width) .. u32be(height) .. schar(8, 6, 0, 0, 0))
		.. png_chunk("IDAT", compress_zlib(concat(rows), compression))
		.. png_chunk("IEND", "")
end
