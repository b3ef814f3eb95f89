-- serialize.lua: core.serialize / core.deserialize (engine: builtin/common/serialize.lua).
--
-- The output is Lua source: `return <expr>`. Tables referenced more than once (shared or cyclic)
-- are created first in a local list and filled by assignments, so identity and cycles survive the
-- round trip. deserialize runs the text in an empty environment.
local core, I = ...
local H = I.host
local type, tostring, pairs, pcall, error = H.type, H.tostring, H.pairs, H.pcall, H.error
local sformat, sdump, ssub = H.string.format, H.string.dump, H.string.sub
local concat, floor, huge = H.table.concat, H.math.floor, H.math.huge

local function number_text(n)
	if n ~= n then
		return "(0/0)"
	elseif n == huge then
		return "(1/0)"
	elseif n == -huge then
		return "(-1/0)"
	elseif n == floor(n) and n >= -2 ^ 53 and n <= 2 ^ 53 then
		return sformat("%d", n)
	end
	return sformat("%.17g", n)
end

-- Count how often each table is reached, to find the shared ones.
local function count_refs(v, counts)
	if type(v) ~= "table" then
		return
	end
	counts[v] = (counts[v] or 0) + 1
	if counts[v] > 1 then
		return
	end
	for k, val in pairs(v) do
		count_refs(k, counts)
		count_refs(val, counts)
	end
end

function core.serialize(value)
	local counts, ids, shared = {}, {}, {}
	count_refs(value, counts)
	for t, n in pairs(counts) do
		if n > 1 then
			shared[#shared + 1] = t
			ids[t] = #shared
		end
	end

	local expr -- forward declaration (mutual recursion with table_text)
	local function table_text(t)
		local parts, n = {}, #t
		for i = 1, n do
			parts[i] = expr(t[i])
		end
		for k, v in pairs(t) do
			local tk = type(k)
			local in_list = tk == "number" and k >= 1 and k <= n and k == floor(k)
			if not in_list and v ~= nil then
				local key
				if tk == "string" and I.is_identifier(k) then
					key = k
				else
					key = "[" .. expr(k) .. "]"
				end
				parts[#parts + 1] = key .. "=" .. expr(v)
			end
		end
		return "{" .. concat(parts, ",") .. "}"
	end

	expr = function(v)
		local t = type(v)
		if t == "table" then
			if ids[v] then
				return "_[" .. ids[v] .. "]"
			end
			return table_text(v)
		elseif t == "string" then
			return sformat("%q", v)
		elseif t == "number" then
			return number_text(v)
		elseif t == "boolean" or t == "nil" then
			return tostring(v)
		elseif t == "function" then
			local ok, code = pcall(sdump, v)
			if ok then
				return sformat("loadstring(%q)", code)
			end
			return "nil"
		end
		error("Can't serialize data of type " .. t)
	end

	if #shared == 0 then
		return "return " .. expr(value)
	end
	local out = { "local _ = {}" }
	for i = 1, #shared do
		out[#out + 1] = "_[" .. i .. "] = {}"
	end
	for i, t in H.ipairs(shared) do
		for k, v in pairs(t) do
			out[#out + 1] = "_[" .. i .. "][" .. expr(k) .. "] = " .. expr(v)
		end
	end
	out[#out + 1] = "return " .. expr(value)
	return concat(out, "\n")
end

local function no_functions()
	return nil
end

function core.deserialize(str, safe)
	if type(str) ~= "string" then
		return nil, "Invalid type: Expected a string, got " .. type(str)
	end
	if ssub(str, 1, 1) == "\27" then
		return nil, "Bytecode prohibited"
	end
	local f, err = H.loadstring(str)
	if not f then
		return nil, err
	end
	H.setfenv(f, { loadstring = safe and no_functions or I.G.loadstring })
	local ok, res = pcall(f)
	if not ok then
		return nil, res
	end
	return res
end
