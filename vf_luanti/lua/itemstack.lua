-- itemstack.lua: ItemStack, ItemStackMetaRef and tool capabilities (engine: src/inventory.cpp,
-- src/script/lua_api/l_item.cpp, l_itemstackmeta.cpp). Both are userdata classes (I.userdata_class,
-- sandbox.lua): state out of mods' reach, getmetatable answers the method table.
local core, I = ...
local H = I.host
local G = I.G
local type, tostring, tonumber, pairs, next, error = H.type, H.tostring, H.tonumber, H.pairs, H.next, H.error
local floor, max = H.math.floor, H.math.max
local sbyte, schar, sfind, ssub, sformat, smatch, sgsub = H.string.byte, H.string.char, H.string.find,
	H.string.sub, H.string.format, H.string.match, H.string.gsub
local concat, sort = H.table.concat, H.table.sort
local setmetatable, rawget = H.setmetatable, H.rawget

-- Vectors returned by engine functions carry vector.metatable, as the C++ side sets it.
function I.vec(x, y, z)
	local vlib = rawget(G, "vector")
	local mt = type(vlib) == "table" and rawget(vlib, "metatable") or nil
	return setmetatable({ x = x, y = y, z = z }, mt)
end

-- Registered definitions, read through the registries the registration API fills.
local function registry(field)
	local t = rawget(core, field)
	return type(t) == "table" and t or {}
end
I.registry = registry

-- One level of alias lookup, as the engine's item definition manager does (its own items and alias
-- table, I.engine_items and I.raw_aliases from the registration API, which mods cannot edit).
function I.resolve_alias(name)
	if I.engine_items[name] ~= nil then
		return name
	end
	local alias = rawget(I.raw_aliases, name)
	return type(alias) == "string" and alias or name
end

-- The engine's definition of an item (register.lua I.engine_def), nil when it knows none.
function I.item_def(name)
	return I.engine_def(I.resolve_alias(name))
end

local DEFAULT_STACK_MAX = 99

local function def_field(def, key)
	if type(def) ~= "table" then
		return nil
	end
	return def[key]
end

function I.stack_max(name)
	if name == "" then
		return DEFAULT_STACK_MAX
	end
	local def = I.item_def(name)
	if def == nil then
		return DEFAULT_STACK_MAX
	end
	return tonumber(def_field(def, "stack_max")) or (def_field(def, "type") == "tool" and 1 or DEFAULT_STACK_MAX)
end

local function is_tool(name)
	return def_field(I.item_def(name), "type") == "tool"
end

---------------------------------------------------------------------------------------------------
-- Stack records: {name, count, wear, meta = {key = string value}}; an empty stack has name "" and
-- count 0. ItemStack objects, inventory slots and item entities all hold records.

local function empty_record()
	return { name = "", count = 0, wear = 0, meta = {} }
end

local function copy_meta(m)
	local t = {}
	for k, v in pairs(m) do
		t[k] = v
	end
	return t
end

local function copy_record(r)
	return { name = r.name, count = r.count, wear = r.wear, meta = copy_meta(r.meta) }
end
I.copy_record = copy_record
I.empty_record = empty_record

local function clear(r)
	r.name, r.count, r.wear, r.meta = "", 0, 0, {}
end

local function u16(n)
	n = floor(n)
	return n % 65536
end

-- The engine's constructor: resolve aliases, clear when name or count is empty, tools hold one.
local function make_record(name, count, wear, meta)
	local r = { name = I.resolve_alias(name), count = u16(count), wear = u16(wear), meta = meta or {} }
	if r.name == "" or r.count == 0 then
		clear(r)
	elseif is_tool(r.name) then
		r.count = 1
	end
	return r
end

-- serializeJsonString / serializeJsonStringIfNeeded (quote when a byte is a space, a quote, a
-- control character or outside ASCII).
local JSON_ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["/"] = "\\/", ["\b"] = "\\b", ["\f"] = "\\f",
	["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function json_quote(s)
	return '"' .. sgsub(s, '[%z\1-\31"\\/\127-\255]', function(c)
		return JSON_ESC[c] or sformat("\\u%04x", sbyte(c))
	end) .. '"'
end

local function quote_if_needed(s)
	if sfind(s, '[%z\1-\32"\127-\255]') then
		return json_quote(s)
	end
	return s
end

-- Reads a possibly JSON-quoted word at `i`; returns the text and the index after it.
local function read_word(s, i)
	if ssub(s, i, i) ~= '"' then
		local j = sfind(s, " ", i, true) or (#s + 1)
		return ssub(s, i, j - 1), j
	end
	local out, j = {}, i + 1
	while j <= #s do
		local c = ssub(s, j, j)
		if c == '"' then
			return concat(out), j + 1
		elseif c == "\\" then
			local e = ssub(s, j + 1, j + 1)
			if e == "u" then
				out[#out + 1] = schar(tonumber(ssub(s, j + 2, j + 5), 16) % 256)
				j = j + 6
			else
				local map = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
				out[#out + 1] = map[e] or e
				j = j + 2
			end
		else
			out[#out + 1] = c
			j = j + 1
		end
	end
	return concat(out), j
end

local META_START, META_KV, META_PAIR = "\1", "\2", "\3"

local function serialize_meta(meta)
	local keys = {}
	for k in pairs(meta) do
		keys[#keys + 1] = k
	end
	sort(keys)
	local out = { META_START }
	for _, k in H.ipairs(keys) do
		out[#out + 1] = k .. META_KV .. meta[k] .. META_PAIR
	end
	return concat(out)
end

local function deserialize_meta(s)
	local meta = {}
	if ssub(s, 1, 1) ~= META_START then
		if s ~= "" then
			meta[""] = s -- legacy metadata string
		end
		return meta
	end
	for k, v in H.string.gmatch(ssub(s, 2), "([^\2\3]*)\2([^\3]*)\3") do
		meta[k] = v
	end
	return meta
end

local function parse_int(s)
	return tonumber(smatch(s or "", "^%s*([-+]?%d+)")) or 0
end

-- ItemStack::deSerialize: "name [count [wear [metadata]]]".
function I.parse_itemstring(s)
	local name, i = read_word(s, 1)
	if name == "" then
		return empty_record()
	end
	local count, wear, meta = 1, 0, {}
	if i <= #s then
		local count_s
		count_s, i = read_word(s, i + 1)
		if count_s ~= "" then
			count = parse_int(count_s)
			if i <= #s then
				local wear_s
				wear_s, i = read_word(s, i + 1)
				if wear_s ~= "" then
					wear = parse_int(wear_s)
					if i <= #s then
						meta = deserialize_meta((read_word(s, i + 1)))
					end
				end
			end
		end
	end
	return make_record(name, count, wear, meta)
end

function I.record_to_string(r)
	if r.count == 0 or r.name == "" then
		return ""
	end
	local parts = 1
	if next(r.meta) ~= nil then
		parts = 4
	elseif r.wear ~= 0 then
		parts = 3
	elseif r.count ~= 1 then
		parts = 2
	end
	local out = { quote_if_needed(r.name) }
	if parts >= 2 then
		out[2] = tostring(r.count)
	end
	if parts >= 3 then
		out[3] = tostring(r.wear)
	end
	if parts >= 4 then
		out[4] = quote_if_needed(serialize_meta(r.meta))
	end
	return concat(out, " ")
end

local ItemStackMethods = {}
local new_stack, stack_state, is_stack
new_stack, stack_state, is_stack = I.userdata_class("ItemStack", ItemStackMethods, {
	__tostring = function(self)
		return 'ItemStack("' .. I.record_to_string(stack_state(self)) .. '")'
	end,
})
I.is_stack = is_stack
I.stack_state = stack_state

-- read_item: nil, an itemstring, a table {name, count, wear, metadata, meta} or an ItemStack.
-- Returns a fresh record.
function I.to_record(v)
	if v == nil then
		return empty_record()
	elseif is_stack(v) then
		return copy_record(stack_state(v))
	elseif type(v) == "string" or type(v) == "number" then
		return I.parse_itemstring(tostring(v))
	elseif type(v) == "table" then
		local name = v.name
		local r = make_record(type(name) == "string" and name or "", tonumber(v.count) or 1, tonumber(v.wear) or 0)
		if r.count > 0 then
			if type(v.metadata) == "string" and v.metadata ~= "" then
				r.meta[""] = v.metadata
			end
			if type(v.meta) == "table" then
				for k, val in pairs(v.meta) do
					r.meta[tostring(k)] = tostring(val)
				end
			end
		end
		return r
	end
	error("Expecting itemstack, itemstring, table or nil", 0)
end

function I.new_stack(record)
	return new_stack(record)
end

G.ItemStack = function(v)
	return new_stack(I.to_record(v))
end

-- ItemStack::addItem: returns the leftover record. An empty stack takes everything (no split by
-- stack_max: the engine's quirk that InvRef:add_item inherits).
function I.record_add(r, new)
	if new.count == 0 then
		return new
	elseif r.count == 0 then
		r.name, r.count, r.wear, r.meta = new.name, new.count, new.wear, copy_meta(new.meta)
		return empty_record()
	elseif r.name ~= new.name or serialize_meta(r.meta) ~= serialize_meta(new.meta) then
		return new
	end
	local free = max(0, I.stack_max(r.name) - r.count)
	if new.count <= free then
		r.count = r.count + new.count
		return empty_record()
	end
	r.count = r.count + free
	local left = copy_record(new)
	left.count = new.count - free
	return left
end

function I.record_take(r, n)
	if n == 0 or r.count == 0 then
		return empty_record()
	end
	local taken = copy_record(r)
	if n >= r.count then
		clear(r)
	else
		r.count = r.count - n
		taken.count = n
	end
	return taken
end

-- calculateResultWear: `uses` uses wear a tool out exactly; the remainder is spread over the last uses.
-- The count of oversized blocks and of normal ones are u16 in C++ (more than 65536 uses: no wear).
function I.result_wear(uses, initial_wear)
	uses = floor(uses)
	if uses <= 0 then
		return 0
	end
	local base = floor(65536 / uses)
	local rest = 65536 % uses % 65536
	if rest > 0 and initial_wear >= (uses - rest) % 65536 * base then
		return base + 1
	end
	return base
end

local function add_wear(r, amount)
	if not is_tool(r.name) then
		return false
	end
	amount = floor(amount)
	if amount > 65535 - r.wear then
		clear(r)
	else
		r.wear = max(0, r.wear + amount)
	end
	return true
end

---------------------------------------------------------------------------------------------------
-- Tool capabilities (ToolCapabilities, read_tool_capabilities / push_tool_capabilities).

function I.read_toolcaps(t)
	local caps = { full_punch_interval = 1.4, max_drop_level = 1, punch_attack_uses = 0, groupcaps = {},
		damage_groups = {} }
	if type(t) ~= "table" then
		return caps
	end
	caps.full_punch_interval = tonumber(t.full_punch_interval) or 1.4
	caps.max_drop_level = tonumber(t.max_drop_level) or 1
	caps.punch_attack_uses = tonumber(t.punch_attack_uses) or 0
	if type(t.groupcaps) == "table" then
		for group, cap in pairs(t.groupcaps) do
			if type(cap) == "table" then
				local times = {}
				if type(cap.times) == "table" then
					for rating, time in pairs(cap.times) do
						if type(rating) == "number" and tonumber(time) then
							times[rating] = tonumber(time)
						end
					end
				end
				caps.groupcaps[tostring(group)] = { times = times, uses = tonumber(cap.uses) or 20,
					maxlevel = tonumber(cap.maxlevel) or 1 }
			end
		end
	end
	if type(t.damage_groups) == "table" then
		for group, v in pairs(t.damage_groups) do
			caps.damage_groups[tostring(group)] = tonumber(v) or 0
		end
	end
	return caps
end

-- Capabilities set through ItemStackMetaRef:set_tool_capabilities are stored in the meta as JSON
-- (as the engine does); the decoded table is remembered by its text.
local caps_by_json = setmetatable({}, { __mode = "v" })

-- A stack's capabilities: its meta override, its definition, else the hand's.
function I.record_toolcaps(r)
	local override = r.meta.tool_capabilities
	if override then
		local t = caps_by_json[override]
		local parse = rawget(core, "parse_json")
		if t == nil and type(parse) == "function" then
			local ok, v = H.pcall(parse, override)
			t = ok and type(v) == "table" and I.read_toolcaps(v) or nil
		end
		if t then
			return t
		end
	end
	local caps = def_field(I.item_def(r.name), "tool_capabilities")
	if caps == nil then
		caps = def_field(I.item_def(""), "tool_capabilities")
	end
	return I.read_toolcaps(caps)
end

---------------------------------------------------------------------------------------------------
-- ItemStackMetaRef (and the shared metadata methods NodeMetaRef and PlayerMetaRef reuse).
-- `get_fields(ref, fname)` returns the key->string table the ref writes to.

-- A number rounded to single precision (to nearest, ties to even), as the engine's C++ floats hand
-- values back to Lua (get_float("3.7") is 3.7000000476837158).
function I.f32(x)
	if x == 0 or x ~= x or x == H.math.huge or x == -H.math.huge then
		return x
	end
	local m, e = H.math.frexp(x)
	local scaled = m * 16777216 -- exact: 24 significant bits above the point
	local r = floor(scaled + 0.5)
	if r - scaled == 0.5 and r % 2 == 1 then
		r = r - 1 -- IEEE rounds a tie to the even neighbour
	end
	return H.math.ldexp(r / 16777216, e)
end

local function num_to_string(n)
	if n == floor(n) and n > -1e15 and n < 1e15 then
		return sformat("%d", n)
	end
	return sformat("%.6g", n)
end

-- MetaDataRef::from_table's `fields` part (5.6.1), shared by node, item, player and mod storage
-- metadata: string and number values are stored as strings ("" stores nothing), other values are
-- skipped. The engine converts a key to a string in place while iterating, so a number key (stored
-- as "1") breaks the iteration ("invalid key to 'next'"); other keys are an argument error. What was
-- stored before stays.
function I.fields_from_table(dst, src)
	if type(src) ~= "table" then
		return
	end
	for k, v in pairs(src) do
		local tk, tv = type(k), type(v)
		if tk ~= "string" and tk ~= "number" then
			error("bad argument #7 to '?' (string expected, got " .. tk .. ")", 0)
		end
		if tv == "string" or tv == "number" then
			local text = tostring(v)
			if text ~= "" then
				dst[tostring(k)] = text
			end
		end
		if tk == "number" then
			error("invalid key to 'next'", 0)
		end
	end
end

function I.meta_methods(get_fields, extra)
	local m = {}
	local function fields(self, fname)
		return get_fields(self, fname)
	end
	local function check_key(k, fname)
		if type(k) ~= "string" and type(k) ~= "number" then
			error(sformat("bad argument #2 to '%s' (string expected, got %s)", fname,
				k == nil and "no value" or type(k)), 0)
		end
		return tostring(k)
	end
	function m.contains(self, key)
		return fields(self, "contains")[check_key(key, "contains")] ~= nil
	end
	function m.get(self, key)
		return fields(self, "get")[check_key(key, "get")]
	end
	function m.get_string(self, key)
		return fields(self, "get_string")[check_key(key, "get_string")] or ""
	end
	function m.get_int(self, key)
		return parse_int(fields(self, "get_int")[check_key(key, "get_int")])
	end
	function m.get_float(self, key)
		local v = fields(self, "get_float")[check_key(key, "get_float")] or ""
		return I.f32(tonumber(smatch(v, "^%s*[-+]?[%d.]+[eE]?[-+]?%d*")) or tonumber(smatch(v, "^%s*[-+]?[%d.]+"))
			or 0)
	end
	function m.set_string(self, key, value)
		local f = fields(self, "set_string")
		key = check_key(key, "set_string")
		if type(value) ~= "string" and type(value) ~= "number" then
			error(sformat("bad argument #3 to 'set_string' (string expected, got %s)",
				value == nil and "no value" or type(value)), 0)
		end
		value = tostring(value)
		f[key] = value ~= "" and value or nil
	end
	function m.set_int(self, key, value)
		local v = tonumber(value)
		if v == nil then
			error("bad argument #3 to 'set_int' (number expected, got " .. type(value) .. ")", 0)
		end
		local n = I.trunc(v)
		fields(self, "set_int")[check_key(key, "set_int")] = sformat("%d", n)
	end
	function m.set_float(self, key, value)
		local v = tonumber(value)
		if v == nil then
			error("bad argument #3 to 'set_float' (number expected, got " .. type(value) .. ")", 0)
		end
		fields(self, "set_float")[check_key(key, "set_float")] = num_to_string(v)
	end
	function m.get_keys(self)
		local keys = {}
		for k in pairs(fields(self, "get_keys")) do
			keys[#keys + 1] = k
		end
		sort(keys)
		return keys
	end
	function m.to_table(self)
		return { fields = copy_meta(fields(self, "to_table")) }
	end
	function m.from_table(self, t)
		local f = fields(self, "from_table")
		for k in pairs(copy_meta(f)) do
			f[k] = nil
		end
		if type(t) == "table" then
			I.fields_from_table(f, t.fields)
		end
		return true
	end
	function m.equals(self, other)
		return I.same_fields(fields(self, "equals"), fields(other, "equals"))
	end
	for k, v in pairs(extra or {}) do
		m[k] = v
	end
	return m
end

-- The ref points at the ItemStack's record, so writes through it change the stack.
local new_stack_meta, stack_meta_state
local StackMetaMethods = I.meta_methods(function(self, fname)
	local r = stack_state(stack_meta_state(self, fname).stack, fname)
	return r.meta
end, {
	set_tool_capabilities = function(self, caps)
		local r = stack_state(stack_meta_state(self, "set_tool_capabilities").stack)
		if caps == nil then
			r.meta.tool_capabilities = nil
		else
			local t = I.read_toolcaps(caps)
			local text = I.to_json(t)
			caps_by_json[text] = t
			r.meta.tool_capabilities = text
		end
	end,
})
new_stack_meta, stack_meta_state = I.userdata_class("ItemStackMetaRef", StackMetaMethods, {
	__eq = function(a, b)
		return StackMetaMethods.equals(a, b)
	end,
})

---------------------------------------------------------------------------------------------------
-- ItemStack methods.

local S = ItemStackMethods

local function st(self, fname)
	return stack_state(self, fname)
end

local check_int = I.check_int

-- l_get_tool_wear_after_use: the arguments read as int, then u32 uses and u16 initial wear; the
-- wear handed back is a u16 (one use: 65536, which reads 0).
function core.get_tool_wear_after_use(uses, initial_wear)
	uses = check_int(uses, 1, "?") % 4294967296
	initial_wear = initial_wear == nil and 0 or check_int(initial_wear, 2, "?") % 65536
	return I.result_wear(uses, initial_wear) % 65536
end

function S.is_empty(self)
	return st(self, "is_empty").count == 0
end

function S.get_name(self)
	return st(self, "get_name").name
end

function S.set_name(self, name)
	local r = st(self, "set_name")
	if type(name) ~= "string" then
		error("bad argument #2 to 'set_name' (string expected, got " .. type(name) .. ")", 0)
	end
	r.name = name
	if name == "" or r.count == 0 then
		clear(r)
		return false
	end
	return true
end

function S.get_count(self)
	return st(self, "get_count").count
end

function S.set_count(self, n)
	local r = st(self, "set_count")
	n = check_int(n, 2, "set_count")
	if n > 0 and n <= 65535 then
		r.count = n
		return true
	end
	clear(r)
	return false
end

function S.get_wear(self)
	return st(self, "get_wear").wear
end

function S.set_wear(self, w)
	local r = st(self, "set_wear")
	w = check_int(w, 2, "set_wear")
	if w >= 0 and w <= 65535 then
		r.wear = w
		return true
	end
	clear(r)
	return false
end

function S.get_meta(self)
	st(self, "get_meta")
	return new_stack_meta({ stack = self })
end

function S.get_metadata(self)
	return st(self, "get_metadata").meta[""] or ""
end

function S.set_metadata(self, s)
	local r = st(self, "set_metadata")
	r.meta[""] = (s ~= nil and s ~= "") and tostring(s) or nil
	return true
end

-- The item's definition, or the "unknown" item's for an unregistered name (as the engine's).
local function def_or_unknown(name)
	return I.item_def(name) or I.item_def("unknown")
end

function S.get_description(self)
	local r = st(self, "get_description")
	local desc = r.meta.description
	if desc == nil then
		desc = def_field(def_or_unknown(r.name), "description")
	end
	return type(desc) == "string" and desc or ""
end

function S.get_short_description(self)
	local r = st(self, "get_short_description")
	local short = r.meta.short_description or def_field(def_or_unknown(r.name), "short_description")
	if type(short) == "string" then
		return short
	end
	local desc = S.get_description(self)
	return smatch(desc, "^([^\n]*)")
end

function S.clear(self)
	clear(st(self, "clear"))
	return true
end

function S.replace(self, item)
	local r = st(self, "replace")
	local new = I.to_record(item)
	r.name, r.count, r.wear, r.meta = new.name, new.count, new.wear, new.meta
	return true
end

function S.to_string(self)
	return I.record_to_string(st(self, "to_string"))
end

function S.to_table(self)
	local r = st(self, "to_table")
	if r.count == 0 then
		return nil
	end
	local meta = {}
	for k, v in pairs(r.meta) do
		if k ~= "" then
			meta[k] = v
		end
	end
	return { name = r.name, count = r.count, wear = r.wear, metadata = r.meta[""] or "", meta = meta }
end

function S.get_stack_max(self)
	return I.stack_max(st(self, "get_stack_max").name)
end

function S.get_free_space(self)
	local r = st(self, "get_free_space")
	return max(0, I.stack_max(r.name) - r.count)
end

function S.is_known(self)
	local name = st(self, "is_known").name
	return name == "" or I.item_def(name) ~= nil
end

function S.get_definition(self)
	local r = st(self, "get_definition")
	local items = registry("registered_items")
	return items[r.name] or items.unknown
end

function S.get_tool_capabilities(self)
	local caps = I.record_toolcaps(st(self, "get_tool_capabilities"))
	local groupcaps = {}
	for g, c in pairs(caps.groupcaps) do
		local times = {}
		for k, v in pairs(c.times) do
			times[k] = v
		end
		groupcaps[g] = { times = times, uses = c.uses, maxlevel = c.maxlevel }
	end
	local damage = {}
	for g, v in pairs(caps.damage_groups) do
		damage[g] = v
	end
	return { full_punch_interval = I.f32(caps.full_punch_interval), max_drop_level = caps.max_drop_level,
		punch_attack_uses = caps.punch_attack_uses, groupcaps = groupcaps, damage_groups = damage }
end

function S.add_wear(self, amount)
	return add_wear(st(self, "add_wear"), check_int(amount, 2, "add_wear"))
end

function S.add_wear_by_uses(self, uses)
	local r = st(self, "add_wear_by_uses")
	return add_wear(r, I.result_wear(check_int(uses, 2, "add_wear_by_uses"), r.wear))
end

function S.add_item(self, item)
	local r = st(self, "add_item")
	return new_stack(I.record_add(r, I.to_record(item)))
end

-- Whether the item would fit, and what would be left over (the engine returns both).
function S.item_fits(self, item)
	local r = copy_record(st(self, "item_fits"))
	local leftover = I.record_add(r, I.to_record(item))
	return leftover.count == 0, new_stack(leftover)
end

local function take_count(n, fname)
	if n == nil then
		return 1
	end
	n = check_int(n, 2, fname)
	return n < 0 and 65536 or n
end

function S.take_item(self, n)
	local r = st(self, "take_item")
	return new_stack(I.record_take(r, take_count(n, "take_item")))
end

function S.peek_item(self, n)
	local r = copy_record(st(self, "peek_item"))
	return new_stack(I.record_take(r, take_count(n, "peek_item")))
end

function S.equals(self, other)
	local a = st(self, "equals")
	if not is_stack(other) then
		return false
	end
	return I.record_to_string(a) == I.record_to_string(stack_state(other))
end
