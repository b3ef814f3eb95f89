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

-- Every string and number goes through a memo for the report being built: item definitions repeat
-- the same texts (textures, drawtypes, group names) and numbers thousands of times, and a lookup
-- costs less than a pattern search and a new string. A string that needs no escaping is memoised
-- as `false` and appended as three pieces (quote, text, quote), so it makes no new string at all.
local quoted, numbers

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

-- The JSON text being built, as pieces joined once at the end (no intermediate strings), and the
-- tables being walked (cycles become null).
local buf, nbuf, seen

local function put_string(s)
	local q = quoted[s]
	if q == nil then
		q = not sfind(s, '[%c"\\\128-\255]') and false or quote(s)
		quoted[s] = q
	end
	if q then
		nbuf = nbuf + 1
		buf[nbuf] = q
	else
		buf[nbuf + 1], buf[nbuf + 2], buf[nbuf + 3] = '"', s, '"'
		nbuf = nbuf + 3
	end
end

local function number_text(v)
	local text = numbers[v]
	if text == nil then
		if v == floor(v) and v > -1e15 and v < 1e15 then
			text = sformat("%d", v)
		else
			text = sformat("%.17g", v)
		end
		numbers[v] = text
	end
	return text
end

-- The key lists of the tables being walked, one per depth, reused from table to table.
local key_lists

-- Append a Lua value as JSON. Functions become "<function>"; cycles, userdata and non-finite numbers
-- become null; a table is an array when its keys are exactly 1..n (n >= 1).
local function put(v, depth)
	local t = type(v)
	if t == "string" then
		return put_string(v)
	end
	local piece
	if t == "number" then
		piece = (v ~= v or v == huge or v == -huge) and "null" or number_text(v)
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
	local keys = key_lists[depth]
	if keys == nil then
		keys = {}
		key_lists[depth] = keys
	end
	local nkeys, count, n, numeric = 0, 0, 0, false
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
		for i = 1, nkeys do
			keys[i] = nil
		end
		nbuf = nbuf + 1
		buf[nbuf] = "["
		for i = 1, n do
			if i > 1 then
				nbuf = nbuf + 1
				buf[nbuf] = ","
			end
			put(rawget(v, i), depth + 1)
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
		keys[i] = nil  -- the list is free for the next table at this depth once walked
		nbuf = nbuf + 1
		buf[nbuf] = member_key(k, i == 1)
		put(rawget(v, k), depth + 1)
	end
	nbuf = nbuf + 1
	buf[nbuf] = "}"
	seen[v] = nil
end

-- Run `fill` (which appends to the buffer) and return the text it built.
local function build(fill, ...)
	buf, nbuf, seen, quoted, numbers, key_lists = {}, 0, {}, {}, {}, {}
	fill(...)
	local s = concat(buf, "", 1, nbuf)
	buf, seen, quoted, numbers, key_lists = nil, nil, nil, nil, nil
	return s
end

function I.to_json(v)
	return build(put, v, 0)
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
-- live). `engine_value` is the same rule for one field.
local function live_item(name)
	local items = rawget(core, "registered_items")
	local live = type(items) == "table" and rawget(items, name) or nil
	return type(live) == "table" and live or nil
end

local function engine_item(name, view)
	local item = {}
	local live = live_item(name)
	if live then
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

local function engine_value(name, view, k)
	if I.engine_raw[name][k] then
		return rawget(view, k)
	end
	local live = live_item(name)
	if live and not (I.engine_fields(name) or {})[k] then
		return rawget(live, k)
	end
end

-- The ABMs and LBMs as the environment copied them when it started (before: as they are now).
local function engine_abms()
	return I.engine_abms or I.copy_abms(I.registry("registered_abms"))
end

local function engine_lbms()
	return I.engine_lbms or I.copy_lbms(I.registry("registered_lbms"))
end

-- The registry; `only` (a set of item names, or nil: all) keeps those items and the items they are
-- aliases of.
local function registry(only)
	local items = {}
	if only then
		local aliases = rawget(core, "registered_aliases")
		for name in next, only do
			local names = { name }
			if type(aliases) == "table" and rawget(aliases, name) ~= nil then
				names[2] = tostring(rawget(aliases, name)) -- the target as the report's aliases give it
			end
			for _, n in H.ipairs(names) do
				local view = I.engine_items[n]
				if view ~= nil then
					items[n] = engine_item(n, view)
				end
			end
		end
	else
		for name, view in next, I.engine_items do
			items[name] = engine_item(name, view)
		end
	end
	local abms = {}
	for i, a in H.ipairs(engine_abms()) do
		abms[i] = { label = a.label, nodenames = a.nodenames, neighbors = a.neighbors or {},
			interval = a.interval or 10.0, chance = a.chance or 50 }
	end
	return {
		items = items,
		aliases = rawget(core, "registered_aliases") or {},
		crafts = I.registered_crafts(),
		abms = abms,
		lbms = engine_lbms(),
		entities = sorted_keys(rawget(core, "registered_entities")),
		chatcommands = sorted_keys(rawget(core, "registered_chatcommands")),
		privileges = sorted_keys(rawget(core, "registered_privileges")),
	}
end

local function raw(text)
	nbuf = nbuf + 1
	buf[nbuf] = text
end

local function put_diagnostics(list)
	raw("[")
	for i, d in H.ipairs(list) do
		raw(i > 1 and ',{"mod":' or '{"mod":')
		if d.mod then put_string(d.mod) else raw("null") end
		raw(',"file":')
		if d.file then put_string(d.file) else raw("null") end
		raw(',"line":' .. (d.line and sformat("%d", d.line) or "null") .. ',"message":')
		put_string(tostring(d.message))
		raw("}")
	end
	raw("]")
end

-- Empty lists must stay JSON arrays, so the list-valued report fields are encoded explicitly.
local function put_list(list)
	raw("[")
	for i, v in H.ipairs(list) do
		if i > 1 then
			raw(",")
		end
		put(v, 0)
	end
	raw("]")
end

local function count_strings(t)
	local n = 0
	for k in next, t or {} do
		if type(k) == "string" then
			n = n + 1
		end
	end
	return n
end

local KIND_OF_TYPE = { node = "nodes", craft = "craftitems", tool = "tools" }

-- What the human report prints (LoadReport.summary): the number of entries of each registry list,
-- as the full registry would have them (items by the "type" its item shows), and the items of the
-- `listed` mods (a set of names) as name -> type, in no order (the human report sorts them).
-- Counting spares building the registry: a big mod set's registry is megabytes of JSON that the
-- human report never shows.
local function put_summary(listed)
	local kinds = { nodes = 0, craftitems = 0, tools = 0 }
	local items, own, own_type, nown = 0, {}, {}, 0
	for name, view in next, I.engine_items do
		items = items + 1
		local item_type = engine_value(name, view, "type")
		local kind = KIND_OF_TYPE[item_type]
		if kind then
			kinds[kind] = kinds[kind] + 1
		end
		if listed[engine_value(name, view, "mod_origin")] then
			nown = nown + 1
			own[nown], own_type[name] = name, item_type
		end
	end
	raw('{"counts":{"items":' .. items .. ',"nodes":' .. kinds.nodes .. ',"craftitems":' .. kinds.craftitems
		.. ',"tools":' .. kinds.tools .. ',"aliases":' .. count_strings(rawget(core, "registered_aliases"))
		.. ',"crafts":' .. #I.registered_crafts()
		.. ',"abms":' .. #engine_abms() .. ',"lbms":' .. #engine_lbms()
		.. ',"entities":' .. count_strings(rawget(core, "registered_entities"))
		.. ',"chatcommands":' .. count_strings(rawget(core, "registered_chatcommands"))
		.. ',"privileges":' .. count_strings(rawget(core, "registered_privileges")) .. '},"items":{')
	for i = 1, nown do
		if i > 1 then
			raw(",")
		end
		put_string(own[i])
		raw(":")
		put(own_type[own[i]], 0)
	end
	raw("}}")
end

local EMPTY_REGISTRY = { items = {}, aliases = {}, crafts = {}, abms = {}, lbms = {}, entities = {}, chatcommands = {},
	privileges = {} }

-- The report: the registry when `registered` (else one of the usual shape, empty; `only`: registry's),
-- and the summary with the items of the `listed` mods.
local function put_report(registered, listed, only)
	local r = registered and registry(only) or EMPTY_REGISTRY
	raw('{"ok":' .. tostring(I.api.ok()) .. ',"errors":')
	put_diagnostics(I.errors)
	raw(',"warnings":')
	put_diagnostics(I.warnings)
	raw(',"registered":{"items":{')
	for i, name in H.ipairs(sorted_keys(r.items)) do
		if i > 1 then
			raw(",")
		end
		put_string(name)
		raw(":")
		put(r.items[name], 0)
	end
	raw('},"aliases":{')
	for i, k in H.ipairs(sorted_keys(r.aliases)) do
		if i > 1 then
			raw(",")
		end
		put_string(k)
		raw(":")
		put_string(tostring(rawget(r.aliases, k)))
	end
	raw('},"crafts":')
	put_list(r.crafts)
	raw(',"abms":[')
	for i, a in H.ipairs(r.abms) do
		raw(i > 1 and ",{" or "{")
		-- "label" is left out when the mod gave none, as the engine's dump leaves out nil fields
		if a.label ~= nil then
			raw('"label":')
			put(a.label, 0)
			raw(",")
		end
		raw('"nodenames":')
		put_list(a.nodenames)
		raw(',"neighbors":')
		put_list(a.neighbors)
		raw(',"interval":')
		put(a.interval, 0)
		raw(',"chance":')
		put(a.chance, 0)
		raw("}")
	end
	raw('],"lbms":[')
	for i, l in H.ipairs(r.lbms) do
		raw(i > 1 and ",{" or "{")
		if l.label ~= nil then
			raw('"label":')
			put(l.label, 0)
			raw(",")
		end
		raw('"name":')
		put(l.name, 0)
		raw(',"nodenames":')
		put_list(l.nodenames)
		raw("}")
	end
	raw('],"entities":')
	put_list(r.entities)
	raw(',"chatcommands":')
	put_list(r.chatcommands)
	raw(',"privileges":')
	put_list(r.privileges)
	raw('},"summary":')
	put_summary(listed)
	raw(',"output":')
	put_list(I.output)
	raw("}")
end

-- The report as JSON text. `registered`: false leaves the registry empty (nil: built); `listed`:
-- the mods whose items the summary lists, their names separated by spaces; `only` (nil: all): the
-- items the registry keeps, each name ended by a newline (the hand's is "": LuanRuntime.report).
function I.api.report_json(registered, listed, only)
	local set = {}
	for mod in H.string.gmatch(listed or "", "%S+") do
		set[mod] = true
	end
	local keep = nil
	if only ~= nil then
		keep = {}
		for name in H.string.gmatch(only, "([^\n]*)\n") do
			keep[name] = true
		end
	end
	return build(put_report, registered ~= false, set, keep)
end
