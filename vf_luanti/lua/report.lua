-- report.lua (host side): the load report (diagnostics and registry) as one JSON string.
--
-- The shape is the one `vf-luanti check --json` prints (docs/cli.md). Tables are walked with
-- rawget/next only, so metamethods a mod put on its definitions never run here; definition
-- defaults that the engine fills in through __index are not listed (the engine's own dump of
-- registered_items shows raw fields only, which is what the oracle compares).
local core, I = ...
local H = I.host
local type, next, tostring, rawget = H.type, H.next, H.tostring, H.rawget
local sformat, sgsub, sfind, concat, sort = H.string.format, H.string.gsub, H.string.find, H.table.concat,
	H.table.sort
local floor, huge = H.math.floor, H.math.huge

local FUNCTION = '"<function>"'

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
	["\r"] = "\\r", ["\t"] = "\\t" }

local function escape(c)
	return escapes[c] or sformat("\\u%04x", c:byte())
end

-- JSON text must be UTF-8: a byte that starts no valid sequence (a mod printed binary data, e.g.
-- minetest.compress's output) becomes U+FFFD, as a strict decoder would reject the whole text.
local sbyte, ssub = H.string.byte, H.string.sub
local REPLACEMENT = "\239\191\189"

local function sequence_length(s, i, n)
	local c = sbyte(s, i)
	local len, lo, hi = 0, 0x80, 0xBF
	if c >= 0xC2 and c <= 0xDF then
		len = 2
	elseif c >= 0xE0 and c <= 0xEF then
		len = 3
		lo = c == 0xE0 and 0xA0 or 0x80 -- no overlong forms
		hi = c == 0xED and 0x9F or 0xBF -- no surrogates
	elseif c >= 0xF0 and c <= 0xF4 then
		len = 4
		lo = c == 0xF0 and 0x90 or 0x80
		hi = c == 0xF4 and 0x8F or 0xBF
	end
	if len == 0 or i + len - 1 > n then
		return 0
	end
	local c2 = sbyte(s, i + 1)
	if c2 < lo or c2 > hi then
		return 0
	end
	for k = 2, len - 1 do
		local ck = sbyte(s, i + k)
		if ck < 0x80 or ck > 0xBF then
			return 0
		end
	end
	return len
end

local function valid_utf8(s)
	if not sfind(s, "[\128-\255]") then
		return s
	end
	local out, i, n = {}, 1, #s
	while i <= n do
		if sbyte(s, i) < 0x80 then
			local j = sfind(s, "[\128-\255]", i) or n + 1
			out[#out + 1] = ssub(s, i, j - 1)
			i = j
		else
			local len = sequence_length(s, i, n)
			out[#out + 1] = len > 0 and ssub(s, i, i + len - 1) or REPLACEMENT
			i = i + (len > 0 and len or 1)
		end
	end
	return concat(out)
end

local function quote(s)
	s = valid_utf8(s)
	if not sfind(s, '[%c"\\]') then
		return '"' .. s .. '"'  -- most names and texts: nothing to escape
	end
	return '"' .. sgsub(s, '[%c"\\]', escape) .. '"'
end

-- A key as it opens an object's first member ('"key":') and its others (',"key":'), memoised:
-- every item repeats the same field names.
local first_keys, next_keys = {}, {}

local function member_key(k, first)
	local memo = first and first_keys or next_keys
	local q = memo[k]
	if q == nil then
		q = (first and "" or ",") .. quote(tostring(k)) .. ":"
		memo[k] = q
	end
	return q
end

local function by_string(a, b)
	return tostring(a) < tostring(b)
end

-- The JSON text being built, as pieces joined once at the end (no intermediate strings).
local buf, nbuf

-- Append a Lua value as JSON. Functions become "<function>"; cycles, userdata and non-finite numbers
-- become null; a table is an array when its keys are exactly 1..n (n >= 1).
local function put(v, seen, depth)
	local t = type(v)
	local piece
	if t == "string" then
		piece = quote(v)
	elseif t == "number" then
		if v ~= v or v == huge or v == -huge then
			piece = "null"
		elseif v == floor(v) and v > -1e15 and v < 1e15 then
			piece = sformat("%d", v)
		else
			piece = sformat("%.17g", v)
		end
	elseif t == "boolean" then
		piece = v and "true" or "false"
	elseif t == "function" then
		piece = FUNCTION
	elseif t ~= "table" or seen[v] or depth > 32 then
		piece = "null"
	end
	if piece then
		nbuf = nbuf + 1
		buf[nbuf] = piece
		return
	end
	seen[v] = true
	-- one walk: the string and number keys (others are left out), and whether the keys are 1..n
	local keys, nkeys, count, n, numeric = {}, 0, 0, 0, false
	for k in next, v do
		count = count + 1
		local tk = type(k)
		if tk == "string" then
			nkeys = nkeys + 1
			keys[nkeys] = k
		elseif tk == "number" then
			nkeys, numeric = nkeys + 1, true
			keys[nkeys] = k
			if k >= 1 and k == floor(k) and k > n then
				n = k
			end
		end
	end
	if count > 0 and n == count then
		nbuf = nbuf + 1
		buf[nbuf] = "["
		for i = 1, n do
			if i > 1 then
				nbuf = nbuf + 1
				buf[nbuf] = ","
			end
			put(rawget(v, i), seen, depth + 1)
		end
		nbuf = nbuf + 1
		buf[nbuf] = "]"
		seen[v] = nil
		return
	end
	if numeric then
		sort(keys, by_string)
	else
		sort(keys)  -- string keys only (the usual case): the same order without a comparator
	end
	nbuf = nbuf + 1
	buf[nbuf] = "{"
	for i = 1, nkeys do
		local k = keys[i]
		nbuf = nbuf + 1
		buf[nbuf] = member_key(k, i == 1)
		put(rawget(v, k), seen, depth + 1)
	end
	nbuf = nbuf + 1
	buf[nbuf] = "}"
	seen[v] = nil
end

local function encode(v, seen, depth)
	buf, nbuf = {}, 0
	put(v, seen, depth)
	local s = concat(buf, "", 1, nbuf)
	buf = nil
	return s
end

function I.to_json(v)
	return encode(v, {}, 0)
end

local function sorted_keys(t)
	local keys = {}
	for k in next, t or {} do
		if type(k) == "string" then
			keys[#keys + 1] = k
		end
	end
	sort(keys)
	return keys
end

-- An item as the engine has it: the fields C++ reads, as they were when it was (re)registered
-- (register.lua I.engine_items; later edits of the Lua table never reach the engine), and every
-- other raw field of its Lua table as it is now (builtin Lua and the callback lookups read those
-- live).
local function engine_item(name, view)
	local item = {}
	local items = rawget(core, "registered_items")
	local live = type(items) == "table" and rawget(items, name) or nil
	if type(live) == "table" then
		local cpp = I.engine_fields(name) or {}
		for k, v in next, live do
			if not cpp[k] then
				item[k] = v
			end
		end
	end
	for k in next, I.engine_raw[name] do
		item[k] = rawget(view, k)
	end
	return item
end

local function registry()
	local items = {}
	for name, view in next, I.engine_items do
		items[name] = engine_item(name, view)
	end
	-- The ABMs and LBMs as the environment copied them when it started (before: as they are now).
	local abms = {}
	for i, a in H.ipairs(I.engine_abms or I.copy_abms(I.registry("registered_abms"))) do
		abms[i] = { label = a.label, nodenames = a.nodenames, neighbors = a.neighbors or {},
			interval = a.interval or 10.0, chance = a.chance or 50 }
	end
	return {
		items = items,
		aliases = rawget(core, "registered_aliases") or {},
		crafts = I.registered_crafts(),
		abms = abms,
		lbms = I.engine_lbms or I.copy_lbms(I.registry("registered_lbms")),
		entities = sorted_keys(rawget(core, "registered_entities")),
		chatcommands = sorted_keys(rawget(core, "registered_chatcommands")),
		privileges = sorted_keys(rawget(core, "registered_privileges")),
	}
end

local function diag_list(list)
	local out = {}
	for i, d in H.ipairs(list) do
		out[i] = '{"mod":' .. (d.mod and quote(d.mod) or "null") .. ',"file":' .. (d.file and quote(d.file) or "null")
			.. ',"line":' .. (d.line and sformat("%d", d.line) or "null") .. ',"message":' .. quote(tostring(d.message)) .. "}"
	end
	return "[" .. concat(out, ",") .. "]"
end

-- Empty lists must stay JSON arrays, so the list-valued report fields are encoded explicitly.
local function list_json(list)
	local out = {}
	for i, v in H.ipairs(list) do
		out[i] = encode(v, {}, 0)
	end
	return "[" .. concat(out, ",") .. "]"
end

function I.api.report_json()
	local r = registry()
	local items = {}
	for _, name in H.ipairs(sorted_keys(r.items)) do
		items[#items + 1] = quote(name) .. ":" .. encode(r.items[name], {}, 0)
	end
	local abms = {}
	for i, a in H.ipairs(r.abms) do
		-- "label" is left out when the mod gave none, as the engine's dump leaves out nil fields
		abms[i] = '{' .. (a.label ~= nil and '"label":' .. encode(a.label, {}, 0) .. ',' or '') .. '"nodenames":'
			.. list_json(a.nodenames)
			.. ',"neighbors":' .. list_json(a.neighbors) .. ',"interval":' .. encode(a.interval, {}, 0)
			.. ',"chance":' .. encode(a.chance, {}, 0) .. "}"
	end
	local lbms = {}
	for i, l in H.ipairs(r.lbms) do
		lbms[i] = '{' .. (l.label ~= nil and '"label":' .. encode(l.label, {}, 0) .. ',' or '') .. '"name":'
			.. encode(l.name, {}, 0)
			.. ',"nodenames":' .. list_json(l.nodenames) .. "}"
	end
	local aliases = {}
	for _, k in H.ipairs(sorted_keys(r.aliases)) do
		aliases[#aliases + 1] = quote(k) .. ":" .. quote(tostring(rawget(r.aliases, k)))
	end
	return "{" .. '"ok":' .. tostring(I.api.ok()) .. ',"errors":' .. diag_list(I.errors) .. ',"warnings":'
		.. diag_list(I.warnings) .. ',"registered":{"items":{' .. concat(items, ",") .. '},"aliases":{'
		.. concat(aliases, ",") .. '},"crafts":' .. list_json(r.crafts) .. ',"abms":[' .. concat(abms, ",")
		.. '],"lbms":[' .. concat(lbms, ",") .. '],"entities":' .. list_json(r.entities)
		.. ',"chatcommands":' .. list_json(r.chatcommands) .. ',"privileges":' .. list_json(r.privileges)
		.. '},"output":' .. list_json(I.output) .. "}"
end

