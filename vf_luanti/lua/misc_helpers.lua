-- misc_helpers.lua: the string/table/math additions and text helpers every mod environment has
-- (engine: builtin/common/misc_helpers.lua). Behaviour and error texts follow Luanti 5.6.1.
local core, I = ...
local H = I.host
local G = I.G
local type, tostring, tonumber, pairs, ipairs, error, select = H.type, H.tostring, H.tonumber, H.pairs,
	H.ipairs, H.error, H.select
local setmetatable, getmetatable = H.setmetatable, H.getmetatable
local sfind, ssub, sformat, sgsub, smatch, sbyte, schar, srep = H.string.find, H.string.sub, H.string.format,
	H.string.gsub, H.string.match, H.string.byte, H.string.char, H.string.rep
local concat, sort = H.table.concat, H.table.sort
local floor, ceil, huge, sqrt = H.math.floor, H.math.ceil, H.math.huge, H.math.sqrt
local ESC = "\27"
local string, table, math = G.string, G.table, G.math

------------------------------------------------------------------------------------------------------
-- dump / dump2

local KEYWORDS = {}
for w in ("and break do else elseif end false for function goto if in local nil not or repeat return "
	.. "then true until while"):gmatch("%S+") do
	KEYWORDS[w] = true
end

local function is_identifier(s)
	return sfind(s, "^[%a_][%w_]*$") ~= nil and not KEYWORDS[s]
end
I.is_identifier = is_identifier

local function scalar_text(v)
	local t = type(v)
	if t == "string" then
		return sformat("%q", v)
	elseif t == "number" or t == "boolean" or t == "userdata" then
		return tostring(v)
	elseif t == "nil" then
		return "nil"
	end
	return "<" .. t .. ">"
end

local function dump_table(o, indent, active, depth)
	if active[o] then
		return "<circular reference>"
	end
	active[o] = true
	local parts, listed = {}, {}
	for i, v in ipairs(o) do
		parts[#parts + 1] = G.dump(v, indent, active, depth + 1)
		listed[i] = true
	end
	for k, v in pairs(o) do
		if not listed[k] then
			local key = (type(k) == "string" and is_identifier(k)) and k
				or "[" .. G.dump(k, indent, active, depth + 1) .. "]"
			parts[#parts + 1] = key .. " = " .. G.dump(v, indent, active, depth + 1)
		end
	end
	active[o] = nil
	if indent == "" then
		return "{" .. concat(parts, ", ") .. "}"
	end
	local inner = "\n" .. srep(indent, depth)
	return "{" .. inner .. concat(parts, "," .. inner) .. "\n" .. srep(indent, depth - 1) .. "}"
end

function G.dump(o, indent, nested, level)
	local t = type(o)
	if t == "userdata" and not level then
		return "userdata metatable: " .. G.dump(getmetatable(o))
	elseif t ~= "table" then
		return scalar_text(o)
	end
	return dump_table(o, indent or "\t", nested or {}, level or 1)
end

function G.dump2(o, name, dumped)
	name = name or "_"
	dumped = dumped or {}
	if type(o) ~= "table" then
		return sformat("%s = %s\n", name, scalar_text(o))
	elseif dumped[o] then
		return sformat("%s = %s\n", name, dumped[o])
	end
	dumped[o] = name
	local out = {}
	for k, v in pairs(o) do
		local key
		if type(k) == "table" then
			key = dumped[k]
			if not key then
				key = sformat("_G[%q]", tostring(k))
				out[#out + 1] = G.dump2(k, key, dumped)
			end
		else
			key = scalar_text(k)
		end
		out[#out + 1] = G.dump2(v, sformat("%s[%s]", name, key), dumped)
	end
	return name .. " = {}\n" .. concat(out)
end

------------------------------------------------------------------------------------------------------
-- string

-- The engine's loop step for step, max_splits included (nil: no limit, 0: no piece at all). A
-- separator that matches the empty string makes no progress: where the engine then never returns
-- (no piece taken, or pieces without a limit), the sample ends as the hung server would.
function string.split(str, delim, include_empty, max_splits, sep_is_pattern)
	delim = delim or ","
	local budget = (max_splits or -2) + 1  -- pieces left to cut; 1: the rest is the last piece
	local out, pos, len = {}, 1, #str
	local plain = not sep_is_pattern
	repeat
		local s, e = sfind(str, delim, pos, plain)
		if not s or budget == 1 then
			s, e = len + 1, len + 1
		end
		local piece = ssub(str, pos, s - 1)
		local taken = include_empty or piece ~= ""
		if taken then
			budget = budget - 1
			out[#out + 1] = piece
		end
		if e + 1 == pos and (not taken or budget < 0) then
			I.never_returns("string.split never returns when its separator matches the empty string")
		end
		pos = e + 1
	until budget == 0 or pos > len + 1
	return out
end

function string.trim(s)
	return smatch(s, "^%s*(.-)%s*$")
end

------------------------------------------------------------------------------------------------------
-- table

function table.copy(t, seen)
	seen = seen or {}
	local n = {}
	seen[t] = n
	for k, v in pairs(t) do
		if type(k) == "table" then
			k = seen[k] or table.copy(k, seen)
		end
		if type(v) == "table" then
			v = seen[v] or table.copy(v, seen)
		end
		n[k] = v
	end
	return n
end

function table.copy_with_metatables(t, seen)
	if type(t) ~= "table" then
		return t
	end
	seen = seen or {}
	if seen[t] then
		return seen[t]
	end
	local n = {}
	seen[t] = n
	for k, v in pairs(t) do
		n[table.copy_with_metatables(k, seen)] = table.copy_with_metatables(v, seen)
	end
	return setmetatable(n, getmetatable(t))
end

function table.indexof(list, val)
	for i, v in ipairs(list) do
		if v == val then
			return i
		end
	end
	return -1
end

function table.keyof(t, val)
	for k, v in pairs(t) do
		if v == val then
			return k
		end
	end
	return nil
end

function table.insert_all(t, other)
	for i = 1, #other do
		t[#t + 1] = other[i]
	end
	return t
end

function table.key_value_swap(t)
	local out = {}
	for k, v in pairs(t) do
		out[v] = k
	end
	return out
end

-- Fisher-Yates from the top of the range down. `random` is called as the engine calls it,
-- random(0, k) for k = count-1 down to 1, so a seeded generator shuffles identically.
function table.shuffle(t, from, to, random)
	from, to, random = from or 1, to or #t, random or H.math.random
	for k = to - from, 1, -1 do
		local top, pick = from + k, from + random(0, k)
		t[pick], t[top] = t[top], t[pick]
	end
end

------------------------------------------------------------------------------------------------------
-- math

function math.hypot(x, y)
	return sqrt(x * x + y * y)
end

function math.sign(x, tolerance)
	tolerance = tolerance or 0
	if x > tolerance then
		return 1
	elseif x < -tolerance then
		return -1
	end
	return 0
end

function math.factorial(x)
	if not (x % 1 == 0 and x >= 0) then
		error("factorial expects a non-negative integer")
	end
	if x >= 171 then
		return huge
	end
	local r = 1
	for k = 2, x do
		r = r * k
	end
	return r
end

function math.round(x)
	return x >= 0 and floor(x + 0.5) or ceil(x - 0.5)
end

function math.isfinite(x)
	return x == x and x ~= huge and x ~= -huge
end

-- The engine's number conversions, for the emulation files (never the mods' math table, which a
-- mod may patch): C++ casts a double to an integer by truncating toward zero, read_v3s16 and the
-- like round half away from zero, and an integer stored in `bits` bits wraps around.
function I.trunc(x)
	return x < 0 and -floor(-x) or floor(x)
end

-- The C functions' argument reads (lauxlib's luaL_checkinteger and luaL_checklstring): a number or a
-- numeric string reads as a number, a number reads as a string, anything else is "bad argument".
function I.arg_error(argn, fname, what, v)
	error("bad argument #" .. argn .. " to '" .. (fname or "?") .. "' (" .. what .. " expected, got "
		.. (v == nil and "no value" or type(v)) .. ")", 0)
end

function I.check_int(v, argn, fname)
	local n = (type(v) == "number" or type(v) == "string") and tonumber(v) or nil
	if n == nil then
		I.arg_error(argn, fname, "number", v)
	end
	return I.trunc(n)
end

function I.check_string(v, argn, fname)
	if type(v) == "number" then
		return tostring(v)
	elseif type(v) ~= "string" then
		I.arg_error(argn, fname, "string", v)
	end
	return v
end

function I.round(x)
	return x < 0 and -floor(-x + 0.5) or floor(x + 0.5)
end

function I.wrap(n, bits, signed)
	local m = 2 ^ bits
	n = n % m
	return (signed and n >= m / 2) and n - m or n
end

------------------------------------------------------------------------------------------------------
-- positions

function core.pos_to_string(pos, decimal_places)
	local x, y, z = pos.x, pos.y, pos.z
	if decimal_places ~= nil then
		local f = "%." .. decimal_places .. "f"
		x, y, z = sformat(f, x), sformat(f, y), sformat(f, z)
	end
	return "(" .. x .. "," .. y .. "," .. z .. ")"
end

-- The engine indexes its argument as a string (a number raises), and hands the three numbers to
-- vector.new unchecked: a field that does not convert ("1.2.3") makes the origin.
local function check_string(value, name)
	if type(value) ~= "string" then
		error("attempt to index local '" .. name .. "' (a " .. type(value) .. " value)", 2)
	end
end

function core.string_to_pos(value)
	if value == nil then
		return nil
	end
	check_string(value, "value")
	value = smatch(value, "^%((.-)%)$") or value
	local x, y, z = smatch(smatch(value, "^%s*(.-)%s*$"), "^([%d.-]+)[,%s]%s*([%d.-]+)[,%s]%s*([%d.-]+)$")
	if x then
		return G.vector.new(tonumber(x), tonumber(y), tonumber(z))
	end
	return nil
end

function core.is_nan(n)
	return n ~= n
end

local function finite(n)
	return n and n == n and n ~= huge and n ~= -huge and n or nil
end

function core.parse_relative_number(arg, relative_to)
	if not arg then
		return nil
	elseif arg == "~" then
		return relative_to
	elseif ssub(arg, 1, 1) == "~" then
		local n = finite(tonumber(ssub(arg, 2)))
		return n and relative_to + n
	end
	return finite(tonumber(arg))
end

function core.parse_coordinates(x, y, z, relative_to)
	if not relative_to then
		x, y, z = tonumber(x), tonumber(y), tonumber(z)
		return x and y and z and { x = x, y = y, z = z }
	end
	local rx = core.parse_relative_number(x, relative_to.x)
	local ry = core.parse_relative_number(y, relative_to.y)
	local rz = core.parse_relative_number(z, relative_to.z)
	return rx and ry and rz and { x = rx, y = ry, z = rz }
end

local AREA_NUM = "(~?-?%d*%.?%d*)"
local AREA_POS = "^" .. AREA_NUM .. "[,%s]%s*" .. AREA_NUM .. "[,%s]%s*" .. AREA_NUM .. "$"

function core.string_to_area(value, relative_to)
	local a, b = smatch(value, "^%((.-)%)%s*%((.-)%)$")
	if not a then
		return
	end
	local function parse(s)
		local x, y, z = smatch(smatch(s, "^%s*(.-)%s*$"), AREA_POS)
		return core.parse_coordinates(x, y, z, relative_to)
	end
	a, b = parse(a), parse(b)
	if a == nil or b == nil then
		return
	end
	return a, b
end

------------------------------------------------------------------------------------------------------
-- formspec, colours, escapes

local FORMSPEC_ESC = { ["\\"] = "\\\\", ["["] = "\\[", ["]"] = "\\]", [";"] = "\\;", [","] = "\\," }
function core.formspec_escape(text)
	return text and (sgsub(text, "[\\%[%];,]", FORMSPEC_ESC))
end

local HYPERTEXT_ESC = { ["\\"] = "\\\\", ["<"] = "\\<", [">"] = "\\>" }
function core.hypertext_escape(text)
	return text and (sgsub(text, "[\\<>]", HYPERTEXT_ESC))
end

function core.rgba(r, g, b, a)
	if a then
		return sformat("#%02X%02X%02X%02X", r, g, b, a)
	end
	return sformat("#%02X%02X%02X", r, g, b)
end

function core.get_color_escape_sequence(color)
	return ESC .. "(c@" .. color .. ")"
end

function core.get_background_escape_sequence(color)
	return ESC .. "(b@" .. color .. ")"
end

function core.colorize(color, message)
	local lines = string.split(tostring(message), "\n", true)
	local start = core.get_color_escape_sequence(color)
	for i, line in ipairs(lines) do
		lines[i] = start .. line
	end
	return concat(lines, "\n") .. core.get_color_escape_sequence("#ffffff")
end

function core.strip_foreground_colors(s)
	return (sgsub(s, ESC .. "%(c@[^)]+%)", ""))
end

function core.strip_background_colors(s)
	return (sgsub(s, ESC .. "%(b@[^)]+%)", ""))
end

function core.strip_colors(s)
	return (sgsub(s, ESC .. "%([bc]@[^)]+%)", ""))
end

function core.strip_escapes(s)
	s = sgsub(s, ESC .. "%([^)]+%)", "")
	return (sgsub(s, ESC .. ".", ""))
end

------------------------------------------------------------------------------------------------------
-- translation

function core.translate(textdomain, str, ...)
	check_string(str, "str")
	local start = textdomain == "" and ESC .. "T" or ESC .. "(T@" .. textdomain .. ")"
	local nargs, args = select("#", ...), { ... }
	local expected = 1
	local out = sgsub(str, "@(.)", function(c)
		local b = sbyte(c)
		if b >= 49 and b <= 57 then -- "1".."9"
			local n = b - 48
			if n ~= expected then
				error("Escape sequences in string given to core.translate are not in the correct order: got @"
					.. c .. "but expected @" .. tostring(expected))
			end
			if n > nargs then
				error("Not enough arguments provided to core.translate")
			end
			expected = expected + 1
			return ESC .. "F" .. args[n] .. ESC .. "E"
		elseif c == "n" then
			return "\n"
		end
		return c
	end)
	if expected <= nargs then
		error("Too many arguments provided to core.translate")
	end
	return start .. out .. ESC .. "E"
end

function core.get_translator(textdomain)
	return function(str, ...)
		return core.translate(textdomain or "", str, ...)
	end
end

-- Plural forms (5.10): the n-th argument picks singular/plural; no locale, so English rules.
function core.translate_n(textdomain, str, str_plural, n, ...)
	return core.translate(textdomain, n == 1 and str or str_plural, ...)
end

-- Server-side translation into a language: no translation files are loaded, so the text is
-- returned with its escapes resolved to the source language. Like the engine's other functions
-- that need the server environment, it gives no value at all before the server runs.
function core.get_translated_string(_, s)
	if I.phase ~= "run" then
		return
	end
	s = sgsub(s, ESC .. "%(T@[^)]*%)", "")
	s = sgsub(s, ESC .. "[TFE]", "")
	return s
end

------------------------------------------------------------------------------------------------------
-- privileges as text

-- Names are trimmed after splitting, so " , a" gives {[""] = true, a = true} as in the engine.
-- The exact point where the placer's line of sight meets the pointed face: the face plane is the
-- one between `under` and `above` (half a node from under's centre); the other two coordinates
-- follow the look direction from the eye (position, eye_height and the first-person eye offset in
-- tenths). When under equals above (a player inside a node) there is no face: under itself.
function core.pointed_thing_to_face_pos(placer, pointed_thing)
	local under, above = pointed_thing.under, pointed_thing.above
	if vector.equals(above, under) then
		return under
	end
	local eye = placer:get_pos()
	eye.y = eye.y + placer:get_properties().eye_height + placer:get_eye_offset().y / 10
	local dir = placer:get_look_dir()
	local half = vector.multiply(vector.subtract(above, under), 0.5)
	-- the axis the face is across (the first non-zero component in pairs order) and the others
	local axis, others = nil, {}
	for k, v in pairs(half) do
		if axis == nil and v ~= 0 then
			axis = k
		else
			others[#others + 1] = k
		end
	end
	local plane = under[axis] + half[axis]
	local t = (plane - eye[axis]) / dir[axis]
	local out = { [axis] = plane }
	for _, k in ipairs(others) do
		out[k] = eye[k] + dir[k] * t
	end
	return out
end

function core.string_to_privs(str, delim)
	if type(str) ~= "string" then
		error("assertion failed!")
	end
	local privs = {}
	for _, p in ipairs(string.split(str, delim or ",")) do
		privs[smatch(p, "^%s*(.-)%s*$")] = true
	end
	return privs
end

-- The keys of `t` in sorted order; with `truthy`, only keys whose value is truthy (a set).
-- Shared by the emulation files (mod names, setting names, storage keys, privileges, the report).
function I.sorted_keys(t, truthy)
	local list = {}
	for k, v in pairs(t) do
		if v or not truthy then
			list[#list + 1] = k
		end
	end
	sort(list)
	return list
end

-- Whether two flat tables hold the same keys and values (metadata/storage `equals`).
function I.same_fields(a, b)
	for k, v in pairs(a) do
		if b[k] ~= v then
			return false
		end
	end
	for k in pairs(b) do
		if a[k] == nil then
			return false
		end
	end
	return true
end

function core.privs_to_string(privs, delim)
	if type(privs) ~= "table" then
		error("assertion failed!")
	end
	return concat(I.sorted_keys(privs, true), delim or ",")
end

------------------------------------------------------------------------------------------------------
-- misc

-- The engine's is_yes (C++, also behind Settings:get_bool): trimmed and lower-cased "y", "yes" or
-- "true", or text whose leading integer (as C's atoi reads it: "2a" is 2, "1.5" is 1) is not 0.
local function is_yes_text(s)
	local word = H.string.lower(smatch(s, "^%s*(.-)%s*$"))
	if word == "y" or word == "yes" or word == "true" then
		return true
	end
	local n = tonumber(smatch(s, "^%s*([-+]?%d+)"))
	return n ~= nil and n ~= 0
end
I.is_yes = is_yes_text

function core.is_yes(arg)
	if type(arg) == "string" or type(arg) == "number" then
		return is_yes_text(tostring(arg))
	end
	return arg == true
end

-- Greedy word wrap with the engine's arithmetic: text that fits is returned untouched; otherwise a
-- line's length is counted with one separator per word (the first included) and a word moves to a
-- new line once that count plus the word would reach the limit.
function core.wrap_text(text, limit, as_table)
	if #text <= limit then
		return as_table and { text } or text
	end
	local lines, words, used = {}, {}, 0
	for word in H.string.gmatch(text, "%S+") do
		if used > 0 and used + #word + 1 >= limit then
			lines[#lines + 1] = concat(words, " ")
			words, used = { word }, #word
		else
			words[#words + 1] = word
			used = used + 1 + #word
		end
	end
	lines[#lines + 1] = concat(words, " ")
	return as_table and lines or concat(lines, "\n")
end

------------------------------------------------------------------------------------------------------
-- formspec events: "TYPE:row:column" (table), "TYPE:index" (textlist), "TYPE:value" (scrollbar);
-- anything unparsable (or of type "INV") is the invalid event.

local function event_parts(evt, count)
	if evt == nil then
		return nil
	end
	local parts = string.split(evt, ":")
	if #parts ~= count then
		return nil
	end
	for i, p in ipairs(parts) do
		parts[i] = smatch(p, "^%s*(.-)%s*$")
	end
	if parts[1] == "INV" then
		return nil
	end
	for i = 2, count do
		parts[i] = tonumber(parts[i])
		if not parts[i] then
			return nil
		end
	end
	return parts
end

function core.explode_table_event(evt)
	local p = event_parts(evt, 3)
	if p then
		return { type = p[1], row = p[2], column = p[3] }
	end
	return { type = "INV", row = 0, column = 0 }
end

function core.explode_textlist_event(evt)
	local p = event_parts(evt, 2)
	if p then
		return { type = p[1], index = p[2] }
	end
	return { type = "INV", index = 0 }
end

function core.explode_scrollbar_event(evt)
	local p = event_parts(evt, 2)
	if p then
		return { type = p[1], value = p[2] }
	end
	return { type = "INV", value = 0 }
end

-- Base64 (RFC 4648 alphabet) as the engine's C++ codec: encoding writes no "=" padding; decoding
-- accepts input with or without it and gives no value at all for invalid input.
local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local B64_INDEX = {}
for i = 1, 64 do
	B64_INDEX[sbyte(B64, i)] = i - 1
end

function core.encode_base64(s)
	s = tostring(s)
	local out = {}
	for i = 1, #s, 3 do
		local a, b, c = sbyte(s, i, i + 2)
		local n = a * 65536 + (b or 0) * 256 + (c or 0)
		local c1, c2 = floor(n / 262144) % 64, floor(n / 4096) % 64
		local c3, c4 = floor(n / 64) % 64, n % 64
		out[#out + 1] = ssub(B64, c1 + 1, c1 + 1) .. ssub(B64, c2 + 1, c2 + 1)
			.. (b and ssub(B64, c3 + 1, c3 + 1) or "") .. (c and ssub(B64, c4 + 1, c4 + 1) or "")
	end
	return concat(out)
end

-- Valid input: base64 characters, then optionally "=" padding up to a multiple of four characters.
-- Invalid input gives no value (not nil), as the engine's does.
function core.decode_base64(s)
	if type(s) ~= "string" then
		return
	end
	local body, pads = smatch(s, "^([%w%+/]*)(=*)$")
	if not body or #body % 4 == 1 or (pads ~= "" and (#body + #pads) % 4 ~= 0) then
		return
	end
	-- a short final group must not carry bits beyond its last whole byte ("ab" is refused, "YQ" is "a")
	local rest = #body % 4
	if rest > 1 and B64_INDEX[sbyte(body, -1)] % (rest == 2 and 16 or 4) ~= 0 then
		return
	end
	local out = {}
	for i = 1, #body, 4 do
		local n, count = 0, 0
		for j = i, i + 3 do
			local ch = sbyte(body, j)
			n = n * 64 + (ch and B64_INDEX[ch] or 0)
			count = count + (ch and 1 or 0)
		end
		local bytes = schar(floor(n / 65536) % 256, floor(n / 256) % 256, n % 256)
		out[#out + 1] = ssub(bytes, 1, count - 1)
	end
	return concat(out)
end

-- SHA-1 over 32-bit words with the bit library (LuaJIT); core.sha1(data, raw).
local bit = H.bit
local band, bor, bxor, bnot, rol, tobit = bit.band, bit.bor, bit.bxor, bit.bnot, bit.rol, bit.tobit

function core.sha1(data, raw)
	data = tostring(data)
	local len = #data
	local msg = data .. "\128" .. srep("\0", (55 - len) % 64)
	local bits = len * 8
	local hi = floor(bits / 4294967296)
	msg = msg .. schar(floor(hi / 16777216) % 256, floor(hi / 65536) % 256, floor(hi / 256) % 256, hi % 256,
		floor(bits / 16777216) % 256, floor(bits / 65536) % 256, floor(bits / 256) % 256, bits % 256)
	local h0, h1, h2, h3, h4 = tobit(0x67452301), tobit(0xEFCDAB89), tobit(0x98BADCFE), tobit(0x10325476),
		tobit(0xC3D2E1F0)
	local w = {}
	for chunk = 1, #msg, 64 do
		for i = 0, 15 do
			local a, b, c, d = sbyte(msg, chunk + i * 4, chunk + i * 4 + 3)
			w[i] = bor(bit.lshift(a, 24), bit.lshift(b, 16), bit.lshift(c, 8), d)
		end
		for i = 16, 79 do
			w[i] = rol(bxor(w[i - 3], w[i - 8], w[i - 14], w[i - 16]), 1)
		end
		local a, b, c, d, e = h0, h1, h2, h3, h4
		for i = 0, 79 do
			local f, k
			if i < 20 then
				f, k = bor(band(b, c), band(bnot(b), d)), 0x5A827999
			elseif i < 40 then
				f, k = bxor(b, c, d), 0x6ED9EBA1
			elseif i < 60 then
				f, k = bor(band(b, c), band(b, d), band(c, d)), 0x8F1BBCDC
			else
				f, k = bxor(b, c, d), 0xCA62C1D6
			end
			local t = tobit(rol(a, 5) + f + e + k + w[i])
			a, b, c, d, e = t, a, rol(b, 30), c, d
		end
		h0, h1, h2, h3, h4 = tobit(h0 + a), tobit(h1 + b), tobit(h2 + c), tobit(h3 + d), tobit(h4 + e)
	end
	local hex = bit.tohex(h0) .. bit.tohex(h1) .. bit.tohex(h2) .. bit.tohex(h3) .. bit.tohex(h4)
	if not raw then
		return hex
	end
	return (sgsub(hex, "%x%x", function(x)
		return schar(tonumber(x, 16))
	end))
end

