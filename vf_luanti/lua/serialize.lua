-- serialize.lua: core.serialize / core.deserialize (engine: builtin/common/serialize.lua).
--
-- The output is the engine's text: `return <expr>`, numbers with 17 significant digits (nan, inf
-- as 0/0, 1/0, -1/0), strings with %q, functions as loadstring("<bytecode>"). A table, function
-- or long string met more than once is written once into a reference list `_` ("local _={};
-- _[1]={};"), tables in that list are filled by assignments, and each use is `_[n]`, so shared
-- tables and cycles survive the round trip. deserialize runs the text with the mods' loadstring in
-- an environment holding only inf, nan and loadstring (a no-op in safe mode).
local core, I = ...
local H = I.host
local type, pairs, next, rawget, pcall, error, setfenv = H.type, H.pairs, H.next, H.rawget, H.pcall, H.error,
	H.setfenv
local sformat, sdump, smatch = H.string.format, H.string.dump, H.string.match
local concat, huge = H.table.concat, H.math.huge

-- The sandbox's loadstring as sandbox.lua made it (refuses bytecode, chunk name "=(load)"),
-- captured before any mod can replace the global.
local mod_loadstring = I.G.loadstring

local KEYWORDS = {}
for _, w in H.ipairs({ "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
	"in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while" }) do
	KEYWORDS[w] = true
end

-- How often each table, string and function occurs in `value` (a table's contents counted once).
local function count_uses(value)
	local counts = {}
	local function visit(v)
		local t = type(v)
		if t == "boolean" or t == "number" or t == "nil" then
			return
		end
		local seen = counts[v]
		counts[v] = (seen or 0) + 1
		if t == "table" then
			if not seen then
				for k, val in pairs(v) do
					visit(k)
					visit(val)
				end
			end
		elseif t ~= "string" and t ~= "function" then
			error("unsupported type: " .. t)
		end
	end
	if value ~= nil then
		visit(value)
	end
	return counts
end

function core.serialize(value)
	local out, refs, fills = {}, {}, {}
	local n = 0
	for obj, count in pairs(count_uses(value)) do
		local t = type(obj)
		-- A string is shared only when `_[n]` is shorter than writing it again.
		if count >= 2 and (t ~= "string" or #sformat("%d", n + 1) + 5 < #obj) then
			n = n + 1
			if n == 1 then
				out[#out + 1] = "local _={};"
			end
			local init = t == "table" and "{}" or t == "function" and sformat("loadstring(%q)", sdump(obj))
				or sformat("%q", obj)
			out[#out + 1] = sformat("_[%d]=%s;", n, init)
			refs[obj] = "_[" .. n .. "]"
			if t == "table" then
				fills[#fills + 1] = obj
			end
		end
	end

	local function short_key(k)
		return type(k) == "string" and not refs[k] and not KEYWORDS[k] and smatch(k, "^[%a_][%a%d_]*$") ~= nil
	end

	local write -- (recursive)
	write = function(v)
		local t = type(v)
		if t == "number" then
			if v ~= v then
				out[#out + 1] = "0/0"
			elseif v == huge then
				out[#out + 1] = "1/0"
			elseif v == -huge then
				out[#out + 1] = "-1/0"
			else
				out[#out + 1] = sformat("%.17g", v)
			end
			return
		elseif t ~= "table" and t ~= "string" and t ~= "function" then
			out[#out + 1] = H.tostring(v) -- nil, true, false
			return
		elseif refs[v] then
			out[#out + 1] = refs[v]
			return
		elseif t == "string" then
			out[#out + 1] = sformat("%q", v)
			return
		elseif t == "function" then
			out[#out + 1] = sformat("loadstring(%q)", sdump(v))
			return
		end
		-- Table: the list part up to the first hole (raw, so vectors' v[1] aliasing is not seen),
		-- then every other key.
		out[#out + 1] = "{"
		local len = 0
		while rawget(v, len + 1) ~= nil do
			if len > 0 then
				out[#out + 1] = ","
			end
			len = len + 1
			write(rawget(v, len))
		end
		local first = len == 0
		for k, val in next, v do
			if not (type(k) == "number" and k % 1 == 0 and k >= 1 and k <= len) then
				if not first then
					out[#out + 1] = ","
				end
				first = false
				if short_key(k) then
					out[#out + 1] = k
				else
					out[#out + 1] = "["
					write(k)
					out[#out + 1] = "]"
				end
				out[#out + 1] = "="
				write(val)
			end
		end
		out[#out + 1] = "}"
	end

	for _, t in H.ipairs(fills) do
		local ref = refs[t]
		for k, v in pairs(t) do
			out[#out + 1] = ref
			if short_key(k) then
				out[#out + 1] = "." .. k
			else
				out[#out + 1] = "["
				write(k)
				out[#out + 1] = "]"
			end
			out[#out + 1] = "="
			write(v)
			out[#out + 1] = ";"
		end
	end
	out[#out + 1] = "return "
	write(value)
	return concat(out)
end

local function no_function() end

function core.deserialize(str, safe)
	if str == nil then
		-- deprecated (accepted with a warning in 5.6)
		I.warn_once("deserialize_nil", "minetest.deserialize called with nil (expected string).")
		return nil, "Invalid type: Expected a string, got nil"
	end
	if type(str) ~= "string" then
		error(sformat("minetest.deserialize called with %s (expected string).", type(str)))
	end
	local f, err = mod_loadstring(str)
	if not f then
		return nil, err
	end
	-- 5.6 wrote math.huge as inf and NaN as nan, so those names are defined.
	local env = { inf = huge, nan = 0 / 0 }
	if safe then
		env.loadstring = no_function
	else
		env.loadstring = function(s, ...)
			local g, e = mod_loadstring(s, ...)
			if not g then
				return nil, e
			end
			setfenv(g, env)
			return g
		end
	end
	setfenv(f, env)
	local ok, res = pcall(f)
	if ok then
		return res
	end
	return nil, res
end
