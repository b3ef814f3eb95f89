-- json.lua: core.write_json / core.parse_json with the engine's (JsonCpp) behaviour:
-- numbers are doubles written with 17 significant digits and a ".0" when integral, object keys come
-- out sorted, an empty table is `null`, a table with only positive integer keys is an array (gaps
-- filled with null), and tables that are neither are refused.
local core, I = ...
local H = I.host
local type, pairs, tostring, tonumber, pcall, error = H.type, H.pairs, H.tostring, H.tonumber, H.pcall, H.error
local sformat, sgsub, sbyte, ssub, sfind, schar, srep = H.string.format, H.string.gsub, H.string.byte,
	H.string.sub, H.string.find, H.string.char, H.string.rep
local concat, sort, floor, huge = H.table.concat, H.table.sort, H.math.floor, H.math.huge

local ERR_TYPE = "Can only store booleans, numbers, strings, objects, arrays, and null in JSON"
local ERR_MIX = "Can't mix array and object values in JSON"

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n", ["\r"] = "\\r",
	["\t"] = "\\t" }

local function quote(s)
	return '"' .. sgsub(s, '[%c"\\]', function(c)
		return ESC[c] or sformat("\\u%04x", sbyte(c))
	end) .. '"'
end

local function number_text(n)
	if n ~= n or n == huge or n == -huge then
		-- JsonCpp writes these as tokens that are not valid JSON; keep its spelling.
		return n ~= n and "null" or (n > 0 and "1e+9999" or "-1e+9999")
	end
	local s = sformat("%.17g", n)
	if not sfind(s, "[%.eEn]") then
		s = s .. ".0"
	end
	return s
end

local function encode(v, styled, depth, seen)
	local t = type(v)
	if t == "nil" then
		return "null"
	elseif t == "boolean" then
		return tostring(v)
	elseif t == "number" then
		return number_text(v)
	elseif t == "string" then
		return quote(v)
	elseif t ~= "table" then
		error(ERR_TYPE, 0)
	end
	if seen[v] then
		error(ERR_TYPE, 0)
	end
	if H.next(v) == nil then
		return "null"
	end
	seen[v] = true
	local max, is_array, is_object = 0, false, false
	for k in pairs(v) do
		if type(k) == "number" and k >= 1 and k == floor(k) then
			is_array = true
			if k > max then
				max = k
			end
		elseif type(k) == "string" then
			is_object = true
		else
			error(ERR_TYPE, 0)
		end
		if is_array and is_object then
			error(ERR_MIX, 0)
		end
	end
	local pad, inner, sep, colon = "", "", ",", ":"
	if styled then
		pad, inner, sep, colon = "\n" .. srep("   ", depth), "\n" .. srep("   ", depth + 1), ",", " : "
	end
	local parts = {}
	if is_array then
		for i = 1, max do
			parts[i] = inner .. encode(v[i], styled, depth + 1, seen)
		end
		seen[v] = nil
		return "[" .. concat(parts, sep) .. pad .. "]"
	end
	local keys = {}
	for k in pairs(v) do
		keys[#keys + 1] = k
	end
	sort(keys)
	for i, k in H.ipairs(keys) do
		parts[i] = inner .. quote(k) .. colon .. encode(v[k], styled, depth + 1, seen)
	end
	seen[v] = nil
	return "{" .. concat(parts, sep) .. pad .. "}"
end

function core.write_json(value, styled)
	local ok, res = pcall(encode, value, styled, 0, {})
	if not ok then
		return nil, res
	end
	if styled then
		res = res .. "\n"
	end
	return res
end

-- A small recursive-descent JSON parser. Errors carry the byte offset.
local function parse(s, nullvalue)
	local pos = 1
	local function fail(msg)
		error({ msg = msg .. " at offset " .. (pos - 1) }, 0)
	end
	local function skip()
		pos = sfind(s, "[^ \t\r\n]", pos) or #s + 1
	end
	local value
	local function str()
		local out = {}
		pos = pos + 1
		while true do
			local c = ssub(s, pos, pos)
			if c == "" then
				fail("Missing '\"' to close string")
			elseif c == '"' then
				pos = pos + 1
				return concat(out)
			elseif c == "\\" then
				local e = ssub(s, pos + 1, pos + 1)
				local simple = ({ b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\",
					["/"] = "/" })[e]
				if simple then
					out[#out + 1] = simple
					pos = pos + 2
				elseif e == "u" then
					local cp = tonumber(ssub(s, pos + 2, pos + 5), 16)
					if not cp then
						fail("Bad unicode escape sequence in string")
					end
					pos = pos + 6
					if cp >= 0xD800 and cp <= 0xDBFF and ssub(s, pos, pos + 1) == "\\u" then
						local lo = tonumber(ssub(s, pos + 2, pos + 5), 16)
						if lo and lo >= 0xDC00 and lo <= 0xDFFF then
							cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
							pos = pos + 6
						end
					end
					if cp < 0x80 then
						out[#out + 1] = schar(cp)
					elseif cp < 0x800 then
						out[#out + 1] = schar(0xC0 + floor(cp / 64), 0x80 + cp % 64)
					elseif cp < 0x10000 then
						out[#out + 1] = schar(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
					else
						out[#out + 1] = schar(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64,
							0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
					end
				else
					fail("Bad escape sequence in string")
				end
			else
				local stop = sfind(s, '["\\]', pos) or #s + 1
				out[#out + 1] = ssub(s, pos, stop - 1)
				pos = stop
			end
		end
	end
	value = function()
		skip()
		local c = ssub(s, pos, pos)
		if c == "{" then
			local obj = {}
			pos = pos + 1
			skip()
			if ssub(s, pos, pos) == "}" then
				pos = pos + 1
				return obj
			end
			while true do
				skip()
				if ssub(s, pos, pos) ~= '"' then
					fail("Missing '}' or object member name")
				end
				local k = str()
				skip()
				if ssub(s, pos, pos) ~= ":" then
					fail("Missing ':' after object member name")
				end
				pos = pos + 1
				obj[k] = value()
				skip()
				local d = ssub(s, pos, pos)
				pos = pos + 1
				if d == "}" then
					return obj
				elseif d ~= "," then
					fail("Missing ',' or '}' in object declaration")
				end
			end
		elseif c == "[" then
			local arr, n = {}, 0
			pos = pos + 1
			skip()
			if ssub(s, pos, pos) == "]" then
				pos = pos + 1
				return arr
			end
			while true do
				n = n + 1
				arr[n] = value()
				skip()
				local d = ssub(s, pos, pos)
				pos = pos + 1
				if d == "]" then
					return arr
				elseif d ~= "," then
					fail("Missing ',' or ']' in array declaration")
				end
			end
		elseif c == '"' then
			return str()
		elseif ssub(s, pos, pos + 3) == "true" then
			pos = pos + 4
			return true
		elseif ssub(s, pos, pos + 4) == "false" then
			pos = pos + 5
			return false
		elseif ssub(s, pos, pos + 3) == "null" then
			pos = pos + 4
			return nullvalue
		end
		local num = H.string.match(s, "^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
		if num and tonumber(num) then
			pos = pos + #num
			return tonumber(num)
		end
		fail("Syntax error: value, object or array expected.")
	end
	local result = value()
	skip()
	if pos <= #s then
		fail("Extra non-whitespace after JSON value.")
	end
	return result
end

function core.parse_json(str, nullvalue)
	if type(str) ~= "string" then
		error("bad argument #1 to 'parse_json' (string expected, got " .. type(str) .. ")", 2)
	end
	local ok, res = pcall(parse, str, nullvalue)
	if ok then
		return res
	end
	core.log("error", "Failed to parse json data " .. (type(res) == "table" and res.msg or tostring(res)))
	return nil
end
