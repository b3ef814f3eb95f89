-- compress.lua: core.compress / core.decompress and core.encode_png's C part (engine:
-- src/script/lua_api/l_util.cpp, compressZlib/decompressZlib in src/serialization.cpp, encodePNG in
-- src/util/png.cpp). 5.6.1 knows one method, zlib's deflate: the method argument is not read.
--
-- The zlib stream is written here in Lua, byte for byte as the engine's zlib (1.2.x) writes it
-- (tests/test_compress.py compares with the system libz and the engine): compressZlib runs
-- deflateInit(level) (32 KiB window, memLevel 8, default strategy) and deflate(Z_FINISH) on the
-- whole input into 16 KiB buffers. Level 0 writes stored blocks sized by those buffers; levels 1-3
-- take the first match found, 4-9 evaluate lazily, with zlib's hash chains and per-level limits; a
-- block ends at 16383 symbols and is stored, fixed or dynamic, whichever zlib computes shortest,
-- with zlib's Huffman trees. Written from the DEFLATE spec (RFC 1950/1951) and zlib's documented
-- algorithm. Decompression reads every block type.
local core, I = ...
local H = I.host
local type, tostring, tonumber, error, select = H.type, H.tostring, H.tonumber, H.error, H.select
local floor = H.math.floor
local sbyte, schar, ssub = H.string.byte, H.string.char, H.string.sub
local concat = H.table.concat
local bit = H.bit
local band, bxor, rshift = bit.band, bit.bxor, bit.rshift
local table_new = H.require("table.new") -- LuaJIT's preallocating constructor

-- luaL_checklstring (numbers read as strings) and readParam<int>.
local check_string, check_int = I.check_string, I.check_int

---------------------------------------------------------------------------------------------------
-- Checksums.

-- Adler-32 of the bytes bytes[1 .. n] (numbers).
local function adler32(bytes, n)
	local a, b = 1, 0
	for i = 1, n, 4096 do
		local j = i + 4095 < n and i + 4095 or n
		for k = i, j do
			a = a + bytes[k]
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
-- Deflate, as the engine's zlib writes it. 5.6.1's compressZlib calls deflateInit(level) (32 KiB
-- window, memLevel 8, the default strategy) and deflate(Z_FINISH) with all the input at once, into a
-- 16 KiB buffer per call until the stream ends. What follows reproduces zlib's choices from its
-- documented algorithm: the same matches, the same block boundaries and block types, the same
-- Huffman codes, hence the same bytes.

local LEN_BASE = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
	131, 163, 195, 227, 258 }
local LEN_EXTRA = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 }
local DIST_BASE = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
	2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 }
local DIST_EXTRA = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 }

local WSIZE = 32768
local MAX_DIST = WSIZE - 262 -- the window keeps a longest match plus 4 bytes of lookahead
local SLIDE_AT = WSIZE + MAX_DIST -- the window (2 * WSIZE) drops its older half once this is passed
local TOO_FAR = 4096 -- a 3-byte match farther than this costs more than its literals (lazy levels)
local SYM_LIMIT = 16383 -- a block ends when it holds this many symbols (memLevel 8's buffer, less one)
local ENGINE_OUT = 16384 -- compressZlib's output buffer: what one deflate call may write
local HEAP_SIZE = 2 * 286 + 1
local BL_ORDER = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 }
local BL_EXTRA = { [16] = 2, [17] = 3, [18] = 7 }

-- zlib's configuration per level: good length (a previous match this long quarters the chain),
-- lazy limit (levels 4-9: no lazy search after a match this long; levels 1-3: the longest match whose
-- strings are all hashed), nice length (a match this long ends the search), chain length. Levels
-- 1-3 take the first match found (deflate_fast), 4-9 look one byte ahead (deflate_slow).
local LEVELS = { { 4, 4, 8, 4 }, { 4, 5, 16, 8 }, { 4, 6, 32, 32 }, { 4, 4, 16, 16 }, { 8, 16, 32, 32 },
	{ 8, 16, 128, 128 }, { 8, 32, 128, 256 }, { 32, 128, 258, 1024 }, { 32, 258, 258, 4096 } }

-- A Huffman code from lengths[0 .. max_code]: each symbol's code, bits reversed as deflate sends
-- them (least significant bit first).
local function canonical(lengths, max_code)
	local count, next_code, code = {}, {}, 0
	for b = 0, 15 do
		count[b] = 0
	end
	for sym = 0, max_code do
		count[lengths[sym]] = count[lengths[sym]] + 1
	end
	count[0] = 0
	for b = 1, 15 do
		code = (code + count[b - 1]) * 2
		next_code[b] = code
	end
	local rev = {}
	for sym = 0, max_code do
		local len = lengths[sym]
		if len ~= 0 then
			local c, r = next_code[len], 0
			next_code[len] = c + 1
			for _ = 1, len do
				local low = c % 2
				r, c = r * 2 + low, (c - low) / 2
			end
			rev[sym] = r
		end
	end
	return rev
end

-- The tables deflate needs, built at its first use in the Lua state (most worlds never compress).
local function deflate_tables()
	local T = I.constants.deflate
	if T then
		return T
	end
	T = { len_code = {}, dist_code = {}, pow2 = {} }
	for code = 1, 29 do
		local top = code < 29 and LEN_BASE[code] + 2 ^ LEN_EXTRA[code] - 1 or 258
		for len = LEN_BASE[code], top do
			T.len_code[len] = code
		end
	end
	T.len_code[258] = 29
	-- distance -> code (1-based): distances to 256 directly, farther ones by 128s at 256 + (d-1)/128
	for code = 1, 30 do
		local first, last = DIST_BASE[code], DIST_BASE[code] + 2 ^ DIST_EXTRA[code] - 1
		for d = first, last do
			if d <= 256 then
				T.dist_code[d] = code
			else
				T.dist_code[256 + floor((d - 1) / 128)] = code
			end
		end
	end
	for b = 0, 52 do
		T.pow2[b] = 2 ^ b
	end
	-- the fixed codes (RFC 1951 3.2.6)
	local lit, dist = {}, {}
	for sym = 0, 287 do
		lit[sym] = sym < 144 and 8 or sym < 256 and 9 or sym < 280 and 7 or 8
	end
	for sym = 0, 29 do
		dist[sym] = 5
	end
	T.fixed_lit_len, T.fixed_dist_len = lit, dist
	T.fixed_lit, T.fixed_dist = canonical(lit, 287), canonical(dist, 29)
	I.constants.deflate = T
	return T
end

-- zlib's Huffman tree for freq[0 .. elems-1], lengths limited to max_length. Returns the lengths
-- (0 for unused symbols), the highest symbol with a code, and what the block's symbols cost in bits
-- with these codes and with the fixed ones (fixed_len given), extra bits included: symbol sym > xbase
-- has xbits[sym - xbase] of them. The tree is zlib's: a heap ordered by frequency, then depth,
-- merging its two least nodes; lengths past the limit are moved up, then handed out again from the
-- shortest, least frequent symbols first.
local function build_tree(freq, elems, max_length, fixed_len, xbits, xbase)
	local f, depth, dad, len = {}, {}, {}, {}
	local heap, hlen, max_code = {}, 0, -1
	local opt, fixed = 0, 0
	for sym = 0, elems - 1 do
		len[sym] = 0
		if freq[sym] ~= 0 then
			hlen = hlen + 1
			heap[hlen], f[sym], depth[sym], max_code = sym, freq[sym], 0, sym
		end
	end
	-- at least two codes (a lone code still gets one bit, and the distance tree always exists):
	-- symbol 0 or the next ones up join, counted as if unused
	while hlen < 2 do
		local node = 0
		if max_code < 2 then
			max_code = max_code + 1
			node = max_code
		end
		hlen = hlen + 1
		heap[hlen], f[node], depth[node] = node, 1, 0
		opt = opt - 1
		if fixed_len then
			fixed = fixed - fixed_len[node]
		end
	end
	local function sift_down(k)
		local v = heap[k]
		local fv, dv = f[v], depth[v]
		local j = k * 2
		while j <= hlen do
			local hj = heap[j]
			if j < hlen then
				local hr = heap[j + 1]
				if f[hr] < f[hj] or (f[hr] == f[hj] and depth[hr] <= depth[hj]) then
					j, hj = j + 1, hr
				end
			end
			if fv < f[hj] or (fv == f[hj] and dv <= depth[hj]) then
				break
			end
			heap[k] = hj
			k, j = j, j * 2
		end
		heap[k] = v
	end
	for k = floor(hlen / 2), 1, -1 do
		sift_down(k)
	end
	-- merge: `order` lists the nodes as they leave the heap, from its end (the root last, first)
	local order, top, node = {}, HEAP_SIZE, elems
	repeat
		local n = heap[1]
		heap[1] = heap[hlen]
		hlen = hlen - 1
		sift_down(1)
		local m = heap[1]
		order[top - 1], order[top - 2] = n, m
		top = top - 2
		f[node] = f[n] + f[m]
		depth[node] = (depth[n] >= depth[m] and depth[n] or depth[m]) + 1
		dad[n], dad[m] = node, node
		heap[1] = node
		node = node + 1
		sift_down(1)
	until hlen < 2
	top = top - 1
	order[top] = heap[1]
	-- lengths from the root down; nodes deeper than the limit are counted and cut to it
	local count, overflow = {}, 0
	for b = 0, 15 do
		count[b] = 0
	end
	local tlen = { [order[top]] = 0 }
	for h = top + 1, HEAP_SIZE - 1 do
		local n = order[h]
		local bits = tlen[dad[n]] + 1
		if bits > max_length then
			bits, overflow = max_length, overflow + 1
		end
		tlen[n] = bits
		if n <= max_code then
			count[bits] = count[bits] + 1
			local x = n > xbase and xbits[n - xbase] or 0
			opt = opt + f[n] * (bits + x)
			if fixed_len then
				fixed = fixed + f[n] * (fixed_len[n] + x)
			end
		end
	end
	if overflow > 0 then
		repeat
			local bits = max_length - 1
			while count[bits] == 0 do
				bits = bits - 1
			end
			count[bits] = count[bits] - 1 -- a leaf moves down one level
			count[bits + 1] = count[bits + 1] + 2 -- with an overflowed leaf as its sibling
			count[max_length] = count[max_length] - 1
			overflow = overflow - 2
		until overflow <= 0
		-- the lengths again, longest first to the least frequent symbols
		local h = HEAP_SIZE
		for bits = max_length, 1, -1 do
			local k = count[bits]
			while k ~= 0 do
				h = h - 1
				local m = order[h]
				if m <= max_code then
					if tlen[m] ~= bits then
						opt = opt + (bits - tlen[m]) * f[m]
						tlen[m] = bits
					end
					k = k - 1
				end
			end
		end
	end
	for sym = 0, max_code do
		len[sym] = tlen[sym] or 0 -- leaves only: inner nodes are numbered from elems on
	end
	return len, max_code, opt, fixed
end

-- The code lengths of a dynamic block's trees as deflate sends them (lengths[0 .. max_code]):
-- runs of a length as 16 (3-6 repeats of the previous length), runs of zeros as 17 (3-10) and 18
-- (11-138), the rest as themselves. Appends symbols and their extra-bit values from syms[k + 1].
local function rle(lengths, max_code, syms, vals, k)
	local prevlen, nextlen, count = -1, lengths[0], 0
	local max_count, min_count = 7, 4
	if nextlen == 0 then
		max_count, min_count = 138, 3
	end
	for sym = 0, max_code do
		local curlen = nextlen
		nextlen = sym < max_code and lengths[sym + 1] or -1
		count = count + 1
		if count >= max_count or curlen ~= nextlen then
			if count < min_count then
				for _ = 1, count do
					k = k + 1
					syms[k], vals[k] = curlen, 0
				end
			elseif curlen ~= 0 then
				if curlen ~= prevlen then
					k = k + 1
					syms[k], vals[k] = curlen, 0
					count = count - 1
				end
				k = k + 1
				syms[k], vals[k] = 16, count - 3
			elseif count <= 10 then
				k = k + 1
				syms[k], vals[k] = 17, count - 3
			else
				k = k + 1
				syms[k], vals[k] = 18, count - 11
			end
			count, prevlen = 0, curlen
			if nextlen == 0 then
				max_count, min_count = 138, 3
			elseif curlen == nextlen then
				max_count, min_count = 6, 3
			else
				max_count, min_count = 7, 4
			end
		end
	end
	return k
end

-- A string of the bytes bytes[1 .. n].
local function bytes_string(bytes, n)
	local parts = {}
	for k = 1, n, 4096 do
		parts[#parts + 1] = schar(H.unpack(bytes, k, k + 4095 < n and k + 4095 or n))
	end
	return concat(parts)
end

-- The bytes of a string as numbers, B[1 .. #s].
local function string_bytes(s)
	local n = #s
	local B = table_new(n, 0)
	for i = 1, n - 7, 8 do
		B[i], B[i + 1], B[i + 2], B[i + 3], B[i + 4], B[i + 5], B[i + 6], B[i + 7] = sbyte(s, i, i + 7)
	end
	for i = n - n % 8 + 1, n do
		B[i] = sbyte(s, i)
	end
	return B
end

-- zlib's header for a level (FLEVEL 0..3) with its check bits.
local function zlib_header(level)
	local flevel = level < 2 and 0 or level < 6 and 1 or level == 6 and 2 or 3
	local flg = flevel * 64
	flg = flg + 31 - (0x78 * 256 + flg) % 31
	return schar(0x78, flg)
end

-- A stored block's LEN and NLEN (16 bits each, as zlib writes them).
local function stored_lengths(len)
	len = len % 65536
	return schar(len % 256, floor(len / 256), (65535 - len) % 256, floor((65535 - len) / 256))
end

-- Level 0 (deflate_stored): the input in stored blocks, their sizes set by the room left in each
-- 16 KiB output buffer of the engine's calls. A block goes straight to the output when it is at
-- least 32 KiB or ends the input and fits the room left; otherwise the input goes through the
-- 64 KiB window and the pending buffer (at most 65531 bytes a block), which drains into the next
-- calls' buffers.
local function deflate_stored(data)
	local n = #data
	local parts = { zlib_header(0) }
	local avail_out = ENGINE_OUT - 2 -- the first call's buffer starts with the header
	local pending = 0 -- bytes waiting in the pending buffer
	local in_pos = 0 -- input bytes taken
	local strstart, block_start = 0, 0 -- in the window
	local done = false
	local function block(from, len, last)
		parts[#parts + 1] = schar(last and 1 or 0) .. stored_lengths(len)
		parts[#parts + 1] = ssub(data, from + 1, from + len)
	end
	while not done do
		if pending > 0 then -- the call first drains what is pending
			local k = pending < avail_out and pending or avail_out
			pending, avail_out = pending - k, avail_out - k
		end
		if avail_out > 0 then
			-- blocks straight to the output, from the window's unsent bytes then the input
			local used, last = 0, false
			while avail_out >= 5 do
				local left, avail_in = strstart - block_start, n - in_pos
				local len = left + avail_in
				len = len < 65535 and len or 65535
				len = len < avail_out - 5 and len or avail_out - 5
				if len < WSIZE and len ~= left + avail_in then
					break
				end
				last = len == left + avail_in
				block(in_pos - left, len, last)
				avail_out = avail_out - 5 - len
				local from_window = left < len and left or len
				block_start = block_start + from_window
				in_pos, used = in_pos + len - from_window, used + len - from_window
				if last then
					break
				end
			end
			if used > 0 then -- the window keeps the last 32 KiB of what went out
				if used >= WSIZE then
					strstart = WSIZE
				else
					if 2 * WSIZE - strstart <= used then
						strstart = strstart - WSIZE
					end
					strstart = strstart + used
				end
				block_start = strstart
			end
			if last then
				done = true
			else
				-- the rest of the input into the window, sliding it when the sent half can go
				local avail_in = n - in_pos
				local room = 2 * WSIZE - strstart
				if avail_in > room and block_start >= WSIZE then
					block_start, strstart = block_start - WSIZE, strstart - WSIZE
					room = room + WSIZE
				end
				room = room < avail_in and room or avail_in
				in_pos, strstart = in_pos + room, strstart + room
				avail_in = avail_in - room
				-- a block into the pending buffer: a full 32 KiB, or all that is left
				local left = strstart - block_start
				if left >= WSIZE or (avail_in == 0 and left <= 65531) then
					local len = left < 65531 and left or 65531
					last = avail_in == 0 and len == left
					block(in_pos - left, len, last)
					block_start = block_start + len
					pending = pending + 5 + len
					local k = pending < avail_out and pending or avail_out
					pending, avail_out = pending - k, avail_out - k
					done = last
				end
			end
		end
		avail_out = ENGINE_OUT -- the next call
	end
	return concat(parts)
end

-- Levels 1-9 (B: the bytes of data as numbers): LZ77 matches found through hash chains of 3-byte
-- strings, coded in blocks of at most SYM_LIMIT symbols, each block stored, fixed or dynamic,
-- whichever is shortest.
local function deflate_compressed(data, B, level)
	local T = deflate_tables()
	local LEN_CODE, DIST_CODE, P2 = T.len_code, T.dist_code, T.pow2
	local good, lazy, nice, max_chain = LEVELS[level][1], LEVELS[level][2], LEVELS[level][3], LEVELS[level][4]
	local n = #data

	-- the bit writer: bits gather in acc (nb of them), go out in 24-bit words, and into parts as a
	-- string where a stored block or the end needs whole bytes
	local parts, words, nw, acc, nb = { zlib_header(level) }, {}, 0, 0, 0
	local function put(value, bits)
		acc, nb = acc + value * P2[nb], nb + bits
		while nb >= 24 do
			local w = acc % 16777216
			nw = nw + 1
			words[nw] = w
			acc, nb = (acc - w) / 16777216, nb - 24
		end
	end
	local function align()
		local bytes, k = {}, 0
		for j = 1, nw do
			local w = words[j]
			local b0 = w % 256
			local b1 = (w - b0) / 256 % 256
			bytes[k + 1], bytes[k + 2], bytes[k + 3] = b0, b1, (w - b0 - b1 * 256) / 65536
			k = k + 3
		end
		while nb > 0 do
			local b = acc % 256
			k = k + 1
			bytes[k] = b
			acc, nb = (acc - b) / 256, nb - 8
		end
		parts[#parts + 1] = bytes_string(bytes, k)
		words, nw, acc, nb = {}, 0, 0, 0
	end

	-- the current block's symbols: a literal byte (sd 0) or a match's length + 256 and distance
	local sl, sd, count = table_new(SYM_LIMIT, 0), table_new(SYM_LIMIT, 0), 0
	local lfreq, dfreq = {}, {}
	local function clear_freqs()
		for sym = 0, 285 do
			lfreq[sym] = 0
		end
		for sym = 0, 29 do
			dfreq[sym] = 0
		end
	end
	clear_freqs()
	local block_start, base = 0, 0 -- the block's first byte and the window's, as input offsets

	local function send_symbols(lcode, llen, dcode, dlen)
		local a, b, ww, wn = acc, nb, words, nw
		for k = 1, count do
			local sym = sl[k]
			local value, bits
			if sym < 256 then
				value, bits = lcode[sym], llen[sym]
			else
				local len = sym - 256
				local lc = LEN_CODE[len]
				local s = 256 + lc
				value, bits = lcode[s] + (len - LEN_BASE[lc]) * P2[llen[s]], llen[s] + LEN_EXTRA[lc]
				a, b = a + value * P2[b], b + bits
				if b >= 24 then
					local w = a % 16777216
					wn = wn + 1
					ww[wn] = w
					a, b = (a - w) / 16777216, b - 24
				end
				local d = sd[k]
				local dc = d <= 256 and DIST_CODE[d] or DIST_CODE[256 + floor((d - 1) / 128)]
				value, bits = dcode[dc - 1] + (d - DIST_BASE[dc]) * P2[dlen[dc - 1]], dlen[dc - 1] + DIST_EXTRA[dc]
			end
			a, b = a + value * P2[b], b + bits
			if b >= 24 then
				local w = a % 16777216
				wn = wn + 1
				ww[wn] = w
				a, b = (a - w) / 16777216, b - 24
				if b >= 24 then
					w = a % 16777216
					wn = wn + 1
					ww[wn] = w
					a, b = (a - w) / 16777216, b - 24
				end
			end
		end
		acc, nb, nw = a, b, wn
		put(lcode[256], llen[256])
	end

	-- _tr_flush_block: the block of input bytes block_start .. upto - 1
	local function flush_block(upto, last)
		lfreq[256] = 1
		local llens, lmax, lopt, lfixed = build_tree(lfreq, 286, 15, T.fixed_lit_len, LEN_EXTRA, 256)
		local dlens, dmax, dopt, dfixed = build_tree(dfreq, 30, 15, T.fixed_dist_len, DIST_EXTRA, -1)
		local rs, rv = {}, {}
		local nr = rle(dlens, dmax, rs, rv, rle(llens, lmax, rs, rv, 0))
		local blfreq = {}
		for sym = 0, 18 do
			blfreq[sym] = 0
		end
		for k = 1, nr do
			blfreq[rs[k]] = blfreq[rs[k]] + 1
		end
		local bllens, blmax, blopt = build_tree(blfreq, 19, 7, nil, BL_EXTRA, 0)
		local blcodes = 19
		while blcodes > 4 and bllens[BL_ORDER[blcodes]] == 0 do
			blcodes = blcodes - 1
		end
		local opt_bytes = floor((lopt + dopt + blopt + 3 * blcodes + 14 + 3 + 7) / 8)
		local fixed_bytes = floor((lfixed + dfixed + 3 + 7) / 8)
		if fixed_bytes <= opt_bytes then
			opt_bytes = fixed_bytes
		end
		local stored_len = upto - block_start
		if stored_len + 4 <= opt_bytes and block_start >= base then
			put(last and 1 or 0, 3)
			align()
			parts[#parts + 1] = stored_lengths(stored_len)
			parts[#parts + 1] = ssub(data, block_start + 1, upto)
		elseif fixed_bytes == opt_bytes then
			put(last and 3 or 2, 3)
			send_symbols(T.fixed_lit, T.fixed_lit_len, T.fixed_dist, T.fixed_dist_len)
		else
			put(last and 5 or 4, 3)
			put(lmax - 256, 5)
			put(dmax, 5)
			put(blcodes - 4, 4)
			for r = 1, blcodes do
				put(bllens[BL_ORDER[r]], 3)
			end
			local blcode = canonical(bllens, blmax)
			for k = 1, nr do
				local sym = rs[k]
				put(blcode[sym], bllens[sym])
				if sym >= 16 then
					put(rv[k], BL_EXTRA[sym])
				end
			end
			send_symbols(canonical(llens, lmax), llens, canonical(dlens, dmax), dlens)
		end
		if last then
			align()
		end
		block_start, count = upto, 0
		clear_freqs()
	end

	-- the hash chains: head[hash] is the latest position (1-based) of a 3-byte string with that
	-- hash, prev[pos % WSIZE] the one before it; position 1 is zlib's offset 0, its "none". zlib's
	-- hash of the string at p, ((B[p] << 10) ~ (B[p + 1] << 5) ~ B[p + 2]) & 0x7FFF, rolls on from
	-- the one at p - 1 (h: the hash of position `hashed`).
	local head, prev = table_new(WSIZE, 0), table_new(WSIZE, 0)
	local h, hashed = 0, -1
	-- the window: bytes up to read_end are in it; it slides when a match search would need bytes
	-- past its end and the position has passed SLIDE_AT (stored blocks need their bytes in it)
	local read_end = n < 2 * WSIZE and n or 2 * WSIZE
	local i = 1 -- the current position (zlib's strstart + 1)
	local match_len, match_start = 2, 0
	local fast = level <= 3
	local prev_len, prev_start, avail = 2, 0, false
	while true do
		if read_end - i + 1 < 262 then
			repeat
				if i - 1 - base >= SLIDE_AT then
					base = base + WSIZE
				end
				if read_end == n then
					break
				end
				read_end = n < base + 2 * WSIZE and n or base + 2 * WSIZE
			until read_end - i + 1 >= 262 or read_end == n
		end
		local lookahead = n - i + 1
		if lookahead <= 0 then
			break
		end
		local hash_head = 0
		if lookahead >= 3 then
			if hashed == i - 1 then
				h = bxor(h % 1024 * 32, B[i + 2])
			else
				h = bxor(B[i] % 32 * 1024, B[i + 1] * 32, B[i + 2])
			end
			hash_head, hashed = head[h] or 0, i
			prev[i % WSIZE], head[h] = hash_head, i
		end
		if not fast then
			prev_len, prev_start, match_len = match_len, match_start, 2
		end
		if hash_head > 1 and i - hash_head <= MAX_DIST and (fast or prev_len < lazy) then
			-- longest_match: the chain from hash_head, nearest first, for a match longer than
			-- prev_len; the chain is cut to max_chain candidates (a quarter after a good match)
			local best, chain, cand = prev_len, max_chain, hash_head
			if fast then
				best = 2
			elseif best >= good then
				chain = floor(chain / 4)
			end
			local nice_len = nice < lookahead and nice or lookahead
			local limit = i - MAX_DIST
			limit = limit > 1 and limit or 1
			local b0, b1 = B[i], B[i + 1]
			local end1, end0 = B[i + best - 1], B[i + best]
			repeat
				if B[cand + best] == end0 and B[cand + best - 1] == end1 and B[cand] == b0 and B[cand + 1] == b1 then
					-- the third byte matches: same hash, same first two bytes; then two at a time
					local len = 3
					while len < 257 and B[cand + len] == B[i + len] and B[cand + len + 1] == B[i + len + 1] do
						len = len + 2
					end
					if len < 258 and B[cand + len] == B[i + len] then
						len = len + 1
					end
					if len > best then
						match_start, best = cand, len
						if len >= nice_len then
							break
						end
						end1, end0 = B[i + best - 1], B[i + best]
					end
				end
				cand = prev[cand % WSIZE]
				chain = chain - 1
			until cand <= limit or chain == 0
			match_len = best < lookahead and best or lookahead
			if not fast and match_len == 3 and i - match_start > TOO_FAR then
				match_len = 2
			end
		end
		if fast then
			if match_len >= 3 then
				local len, dist = match_len, i - match_start
				count = count + 1
				sl[count], sd[count] = len + 256, dist
				local s = 256 + LEN_CODE[len]
				lfreq[s] = lfreq[s] + 1
				local dc = (dist <= 256 and DIST_CODE[dist] or DIST_CODE[256 + floor((dist - 1) / 128)]) - 1
				dfreq[dc] = dfreq[dc] + 1
				if len <= lazy and lookahead - len >= 3 then -- the match's strings go into the chains
					for p = i + 1, i + len - 1 do
						h = bxor(h % 1024 * 32, B[p + 2])
						prev[p % WSIZE], head[h] = head[h] or 0, p
					end
					hashed = i + len - 1
				end
				i, match_len = i + len, 0
			else
				local c = B[i]
				count = count + 1
				sl[count], sd[count] = c, 0
				lfreq[c] = lfreq[c] + 1
				i = i + 1
			end
			if count == SYM_LIMIT then
				flush_block(i - 1, false)
			end
		elseif prev_len >= 3 and match_len <= prev_len then
			-- the match at i - 1 is no worse than the one here: it goes out
			local dist = i - 1 - prev_start
			count = count + 1
			sl[count], sd[count] = prev_len + 256, dist
			local s = 256 + LEN_CODE[prev_len]
			lfreq[s] = lfreq[s] + 1
			local dc = (dist <= 256 and DIST_CODE[dist] or DIST_CODE[256 + floor((dist - 1) / 128)]) - 1
			dfreq[dc] = dfreq[dc] + 1
			local stop = i + prev_len - 2
			local last_hashed = stop < n - 2 and stop or n - 2
			for p = i + 1, last_hashed do
				h = bxor(h % 1024 * 32, B[p + 2])
				prev[p % WSIZE], head[h] = head[h] or 0, p
			end
			hashed = last_hashed > i and last_hashed or hashed
			i, avail, match_len = stop + 1, false, 2
			if count == SYM_LIMIT then
				flush_block(i - 1, false)
			end
		elseif avail then
			-- the byte before has no better match than this one's: it goes out as a literal
			local c = B[i - 1]
			count = count + 1
			sl[count], sd[count] = c, 0
			lfreq[c] = lfreq[c] + 1
			if count == SYM_LIMIT then
				flush_block(i - 1, false)
			end
			i = i + 1
		else
			avail, i = true, i + 1
		end
	end
	if avail then
		local c = B[n]
		count = count + 1
		sl[count], sd[count] = c, 0
		lfreq[c] = lfreq[c] + 1
	end
	flush_block(n, true)
	return concat(parts)
end

-- compressZlib: level -1 is zlib's default (6); outside -1..9 deflateInit fails.
local function compress_zlib(data, level)
	if level == -1 then
		level = 6
	end
	if level < -1 or level > 9 then
		error("compressZlib: deflateInit failed", 0)
	end
	local B = string_bytes(data)
	local body = level == 0 and deflate_stored(data) or deflate_compressed(data, B, level)
	return body .. u32be(adler32(B, #data))
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
	I.constants.compress = { crc = CRC_TABLE, fixed_lit = FIXED_LIT, fixed_dist = FIXED_DIST }
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
		if sum ~= adler32(out, outn) then
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
