-- json.lua: core.write_json / core.parse_json with the engine's (JsonCpp) behaviour, checked
-- against the real server by tests/lua/helpers_probe.lua:
-- * writing: numbers are doubles with 17 significant digits and ".0" when integral; object keys
--   sorted; an empty table is `null`; a table with positive integer keys is an array (gaps are
--   null); non-ASCII text is written as \u escapes (invalid UTF-8 as \ufffd); styled output puts
--   every container on its own lines, indented with tabs; bad tables give `nil, message`.
-- * parsing: lenient like JsonCpp's defaults (trailing commas and trailing text accepted);
--   integers are read as 64-bit integers (past 2^63 they wrap, as the engine's cast does);
--   failures log JsonCpp's "* Line L, Column C" report and the data, and return nil.
local core, I = ...
local H = I.host
local type, pairs, tostring, tonumber, pcall, error = H.type, H.pairs, H.tostring, H.tonumber, H.pcall, H.error
local sformat, sbyte, ssub, sfind, smatch, schar, srep = H.string.format, H.string.byte, H.string.sub,
	H.string.find, H.string.match, H.string.char, H.string.rep
local concat, sort, floor, huge = H.table.concat, H.table.sort, H.math.floor, H.math.huge

local ERR_TYPE = "Can only store booleans, numbers, strings, objects, arrays, and null in JSON"
local ERR_MIX = "Can't mix array and object values in JSON"
local ERR_FRACTION = "Can't use indexes with a fractional part in JSON"
local ERR_INDEX = "Can't use zero-based or negative indexes in JSON"
local ERR_KEY = "Lua key to convert to JSON is not a string or number"

------------------------------------------------------------------------------------------------------
-- Writing

local NAMED = { [8] = "\\b", [9] = "\\t", [10] = "\\n", [12] = "\\f", [13] = "\\r", [34] = '\\"', [92] = "\\\\" }

local function u_escape(cp)
	if cp >= 0x10000 then
		cp = cp - 0x10000
		return sformat("\\u%04x\\u%04x", 0xD800 + floor(cp / 0x400), 0xDC00 + cp % 0x400)
	end
	return sformat("\\u%04x", cp)
end

-- One UTF-8 sequence at i: its code point and length, or nil for an invalid byte.
local function utf8_at(s, i)
	local b = sbyte(s, i)
	local len, cp, lowest
	if b < 0xC0 then
		return nil
	elseif b < 0xE0 then
		len, cp, lowest = 2, b - 0xC0, 0x80
	elseif b < 0xF0 then
		len, cp, lowest = 3, b - 0xE0, 0x800
	elseif b < 0xF8 then
		len, cp, lowest = 4, b - 0xF0, 0x10000
	else
		return nil
	end
	for j = i + 1, i + len - 1 do
		local c = sbyte(s, j)
		if not c or c < 0x80 or c >= 0xC0 then
			return nil
		end
		cp = cp * 64 + c - 0x80
	end
	if cp < lowest or cp > 0x10FFFF then
		return nil
	end
	return cp, len
end

local function quote(s)
	if not sfind(s, '[%c"\\\128-\255]') then
		return '"' .. s .. '"'
	end
	local out, i, n = {}, 1, #s
	while i <= n do
		local b = sbyte(s, i)
		if b >= 0x80 then
			local cp, len = utf8_at(s, i)
			out[#out + 1] = u_escape(cp or 0xFFFD)
			i = i + (len or 1)
		else
			out[#out + 1] = NAMED[b] or (b < 0x20 and sformat("\\u%04x", b)) or schar(b)
			i = i + 1
		end
	end
	return '"' .. concat(out) .. '"'
end

local function number_text(n)
	if n ~= n then
		return "null"
	elseif n == huge or n == -huge then
		return n > 0 and "1e+9999" or "-1e+9999"
	end
	local s = sformat("%.17g", n)
	if not sfind(s, "[%.eEn]") then
		s = s .. ".0"
	end
	return s
end

-- Classify a non-empty table: returns true and its highest index for an array, false for an
-- object; raises the engine's message for anything else.
local function shape(v)
	local max, is_array, is_object = 0, false, false
	for k in pairs(v) do
		local tk = type(k)
		if tk == "number" then
			if k % 1 ~= 0 then
				error(ERR_FRACTION, 0)
			elseif k < 1 then
				error(ERR_INDEX, 0)
			end
			is_array = true
			if k > max then
				max = k
			end
		elseif tk == "string" then
			is_object = true
		else
			error(ERR_KEY, 0)
		end
		if is_array and is_object then
			error(ERR_MIX, 0)
		end
	end
	return is_array, max
end

-- `styled`: nil for compact output, else the current depth. `fresh`: already at the start of an
-- indented line (document start, array element), so a container opens in place.
local function encode(v, styled, fresh, active)
	local t = type(v)
	if t == "nil" then
		return "null"
	elseif t == "boolean" then
		return tostring(v)
	elseif t == "number" then
		return number_text(v)
	elseif t == "string" then
		return quote(v)
	elseif t ~= "table" or active[v] then
		error(ERR_TYPE, 0)
	end
	if H.next(v) == nil then
		return "null"
	end
	active[v] = true
	local is_array, max = shape(v)
	local parts = {}
	local inner, open, close, sep = nil, "", "", ","
	if styled then
		inner = "\n" .. srep("\t", styled + 1)
		open = fresh and "" or "\n" .. srep("\t", styled)
		close = "\n" .. srep("\t", styled)
	end
	local depth = styled and styled + 1
	if is_array then
		for i = 1, max do
			parts[i] = (inner or "") .. encode(v[i], depth, true, active)
		end
		active[v] = nil
		return open .. "[" .. concat(parts, sep) .. close .. "]"
	end
	local keys = {}
	for k in pairs(v) do
		keys[#keys + 1] = k
	end
	sort(keys)
	local colon = styled and " : " or ":"
	for i, k in H.ipairs(keys) do
		parts[i] = (inner or "") .. quote(k) .. colon .. encode(v[k], depth, false, active)
	end
	active[v] = nil
	return open .. "{" .. concat(parts, sep) .. close .. "}"
end

function core.write_json(value, styled)
	local ok, res = pcall(encode, value, styled and 0 or nil, true, {})
	if not ok then
		return nil, res
	end
	return styled and res .. "\n" or res
end

------------------------------------------------------------------------------------------------------
-- Parsing (recursive descent). A failure is raised as {msg, at, detail_at} with byte offsets.

local ESCAPES = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }

local function utf8_char(cp)
	if cp < 0x80 then
		return schar(cp)
	elseif cp < 0x800 then
		return schar(0xC0 + floor(cp / 64), 0x80 + cp % 64)
	elseif cp < 0x10000 then
		return schar(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
	end
	return schar(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64, 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
end

-- JsonCpp's integer reading: signed 64-bit, unsigned past 2^63 (wrapped by the engine's cast to a
-- signed integer), a double beyond that.
local function integer_value(text)
	local neg, digits = smatch(text, "^(%-?)0*(%d-)$")
	local n = tonumber(text)
	if digits == "" then
		return 0
	elseif #digits < 19 or (#digits == 19 and digits <= "9223372036854775807") then
		return n
	elseif neg == "" and (#digits < 20 or (#digits == 20 and digits <= "18446744073709551615")) then
		-- n - 2^64, computed in two exact halves so only the final sum rounds
		local hi, lo = tonumber(ssub(digits, 1, -11)), tonumber(ssub(digits, -10))
		return (hi - 1844674407) * 1e10 + (lo - 3709551616)
	end
	return n
end

local function parse(s, nullvalue)
	local pos = 1
	local function fail(msg, at, detail_at)
		error({ msg = msg, at = at, detail = detail_at }, 0)
	end
	local function skip()
		pos = sfind(s, "[^ \t\r\n]", pos) or #s + 1
	end
	local function read_string(start)
		local out = {}
		pos = start + 1
		while true do
			local stop = sfind(s, '["\\]', pos)
			if not stop then
				fail("Syntax error: value, object or array expected.", start)
			end
			out[#out + 1] = ssub(s, pos, stop - 1)
			if ssub(s, stop, stop) == '"' then
				pos = stop + 1
				return concat(out)
			end
			local e = ssub(s, stop + 1, stop + 1)
			if ESCAPES[e] then
				out[#out + 1] = ESCAPES[e]
				pos = stop + 2
			elseif e == "u" then
				local cp = tonumber(smatch(s, "^%x%x%x%x", stop + 2) or "", 16)
				if not cp then
					fail("Bad unicode escape sequence in string: four digits expected.", start, stop + 2)
				end
				pos = stop + 6
				if cp >= 0xD800 and cp <= 0xDBFF then
					local lo = ssub(s, pos, pos + 1) == "\\u" and tonumber(smatch(s, "^%x%x%x%x", pos + 2) or "", 16)
					if not lo or lo < 0xDC00 or lo > 0xDFFF then
						fail("expecting another \\u token to begin the second half of a unicode surrogate pair",
							start, pos)
					end
					cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
					pos = pos + 6
				end
				out[#out + 1] = utf8_char(cp)
			else
				fail("Bad escape sequence in string", start, stop + 2)
			end
		end
	end
	local value
	local function container(close, member)
		local t, n = {}, 0
		pos = pos + 1
		while true do
			skip()
			if ssub(s, pos, pos) == close then -- empty, or after a trailing comma
				pos = pos + 1
				return t
			end
			if member then
				local at = pos
				if ssub(s, pos, pos) ~= '"' then
					fail("Missing '}' or object member name", at)
				end
				local k = read_string(at)
				skip()
				if ssub(s, pos, pos) ~= ":" then
					fail("Missing ':' after object member name", pos)
				end
				pos = pos + 1
				t[k] = value()
			else
				n = n + 1
				t[n] = value()
			end
			skip()
			local d = ssub(s, pos, pos)
			if d == close then
				pos = pos + 1
				return t
			elseif d ~= "," then
				fail(member and "Missing ',' or '}' in object declaration" or "Missing ',' or ']' in array declaration",
					pos)
			end
			pos = pos + 1
		end
	end
	value = function()
		skip()
		local c, at = ssub(s, pos, pos), pos
		if c == "{" then
			return container("}", true)
		elseif c == "[" then
			return container("]", false)
		elseif c == '"' then
			return read_string(at)
		end
		if ssub(s, pos, pos + 3) == "true" then
			pos = pos + 4
			return true
		elseif ssub(s, pos, pos + 4) == "false" then
			pos = pos + 5
			return false
		elseif ssub(s, pos, pos + 3) == "null" then
			pos = pos + 4
			return nullvalue
		end
		local num = smatch(s, "^%-?%d+%.?%d*[eE]?[-+]?%d*", pos)
		if num then
			pos = pos + #num
			if not sfind(num, "[.eE]") then
				return integer_value(num)
			end
			local v = tonumber(num)
			if not v or v == huge or v == -huge then
				fail("'" .. num .. "' is not a number.", at)
			end
			return v
		end
		fail("Syntax error: value, object or array expected.", at)
	end
	return value()
end

-- "Line L, Column C" of byte offset `at` (1-based, as JsonCpp counts).
local function line_column(s, at)
	local line, line_start = 1, 1
	for nl in H.string.gmatch(ssub(s, 1, at - 1), "()\n") do
		line, line_start = line + 1, nl + 1
	end
	return sformat("Line %d, Column %d", line, at - line_start + 1)
end

local function log_error(text)
	for line in H.string.gmatch(text, "[^\n]+") do
		I.emit("ERROR[Main]: " .. line)
	end
end

function core.parse_json(str, nullvalue)
	local ts = type(str)
	if ts == "number" then
		str = tostring(str)
	elseif ts ~= "string" then
		error("bad argument #1 to 'parse_json' (string expected, got " .. (str == nil and "no value" or ts) .. ")", 2)
	end
	local ok, res = pcall(parse, str, nullvalue)
	if ok then
		return res
	end
	local report
	if type(res) == "table" then
		report = "* " .. line_column(str, res.at) .. "\n  " .. res.msg
		if res.detail then
			report = report .. "\nSee " .. line_column(str, res.detail) .. " for detail."
		end
	else
		report = tostring(res) -- e.g. nesting too deep for the parser's stack
	end
	I.diag("warning", "Failed to parse json data " .. report)
	log_error("Failed to parse json data " .. report .. '\ndata: "' .. str .. '"')
	return nil
end
