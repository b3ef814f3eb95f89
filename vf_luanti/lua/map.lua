-- map.lua: the simulated map (engine: ServerEnvironment / Map, src/script/lua_api/l_env.cpp,
-- l_nodemeta.cpp, l_nodetimer.cpp).
--
-- The map is a sparse table keyed by the hashed position. The world is fully emerged: a position
-- nobody set reads as air with param1 15 (an emerged singlenode map in daylight); beyond the map
-- generation limit (±31007) it reads as "ignore" and cannot be set. Liquids do not flow.
-- During load and on_mods_loaded there is no environment: these functions return no values at all.
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs, error = H.type, H.tostring, H.tonumber, H.pairs,
	H.ipairs, H.error
local floor, abs, max, min = H.math.floor, H.math.abs, H.math.max, H.math.min
local ssub = H.string.sub
local sort = H.table.sort

local LIMIT = 31007

I.nodes = {}         -- hash -> {name, param1, param2}
I.node_meta = {}     -- hash -> {fields = {}, inv = inventory, private = {}}
I.node_timers = {}   -- hash -> {timeout, elapsed}
I.gametime = 0
I.timeofday = 6125 / 24000   -- world_start_time
I.day_count = 0

local function hash(x, y, z)
	return (z + 32768) * 4294967296 + (y + 32768) * 65536 + x + 32768
end
I.hash = hash

local function unhash(h)
	local x = h % 65536 - 32768
	h = floor(h / 65536)
	local y = h % 65536 - 32768
	h = floor(h / 65536)
	return x, y, h % 65536 - 32768
end
I.unhash = unhash

function core.hash_node_position(pos)
	return (pos.z + 32768) * 65536 * 65536 + (pos.y + 32768) * 65536 + pos.x + 32768
end

function core.get_position_from_hash(h)
	local x, y, z = unhash(h)
	return I.vec(x, y, z)
end

-- read_v3s16: a table with numeric x, y, z, rounded half away from zero.
local round = I.round

local function coord(pos, k)
	local v = pos[k]
	if type(v) ~= "number" then
		v = tonumber(v) or 0
	end
	return round(v)
end

function I.check_pos(pos, _fname)
	if type(pos) ~= "table" then
		error("Invalid vector (expected table got " .. (pos == nil and "nil" or type(pos)) .. ").", 0)
	end
	return coord(pos, "x"), coord(pos, "y"), coord(pos, "z")
end

local function in_limits(x, y, z)
	return abs(x) <= LIMIT and abs(y) <= LIMIT and abs(z) <= LIMIT
end

local function running()
	return I.phase == "run"
end

-- Internal reads (also what the host driver reports).
function I.node_at(x, y, z)
	if not in_limits(x, y, z) then
		return "ignore", 0, 0
	end
	local n = I.nodes[hash(x, y, z)]
	if n == nil then
		return "air", 15, 0
	end
	return n.name, n.param1, n.param2
end

-- The engine's definition of a node (register.lua I.engine_def: the fields C++ reads as they were
-- registered, the callbacks looked up live), nil for a name the node manager does not know.
function I.node_def(name)
	local def = I.engine_def(name)
	return def ~= nil and def.type == "node" and def or nil
end

-- readnode: the name must be a registered node (aliases resolved).
local function read_node(node)
	if type(node) ~= "table" then
		error("Node name is not set or is not a string!", 0)
	end
	local name = node.name
	if type(name) ~= "string" and type(name) ~= "number" then
		error("Node name is not set or is not a string!", 0)
	end
	name = tostring(name)
	local resolved = I.resolve_alias(name)
	if resolved ~= "air" and resolved ~= "ignore" and H.rawget(I.registry("registered_nodes"), resolved) == nil then
		error('"' .. name .. '" is not a registered node!', 0)
	end
	return resolved, (tonumber(node.param1) or 0) % 256, floor(tonumber(node.param2) or 0) % 256
end
I.read_node = read_node

-- Air with param2 0 is not stored: it reads back as unset air (param1 15), which stands in for the
-- engine recomputing the light of a sky-lit position.
I.map_version = 0

function I.raw_set(x, y, z, name, param1, param2)
	local h = hash(x, y, z)
	I.map_version = I.map_version + 1
	if name == "air" and param2 == 0 then
		I.nodes[h] = nil
	else
		I.nodes[h] = { name = name, param1 = param1, param2 = param2 }
	end
end

local function node_table(name, p1, p2)
	return { name = name, param1 = p1, param2 = p2 }
end

local function def_callback(name, field)
	local def = I.node_def(name)
	local f = type(def) == "table" and def[field] or nil
	return type(f) == "function" and f or nil
end

-- ServerEnvironment::setNode: on_destruct, replace (metadata removed), after_destruct, on_construct.
function I.set_node(x, y, z, name, p1, p2)
	if not in_limits(x, y, z) then
		return false
	end
	local oname, op1, op2 = I.node_at(x, y, z)
	local destruct = def_callback(oname, "on_destruct")
	if destruct then
		destruct(I.vec(x, y, z))
	end
	I.raw_set(x, y, z, name, p1, p2)
	I.remove_meta(x, y, z)
	local after = def_callback(oname, "after_destruct")
	if after then
		after(I.vec(x, y, z), node_table(oname, op1, op2))
	end
	local construct = def_callback(name, "on_construct")
	if construct then
		construct(I.vec(x, y, z))
	end
	return true
end

local function public_node(x, y, z)
	local name, p1, p2 = I.node_at(x, y, z)
	if name == "ignore" then
		return node_table(name, p1, p2)
	end
	return node_table(name, I.read_param1(x, y, z, name, p1), p2)
end
I.public_node = public_node

function core.get_node(pos)
	if not running() then
		return
	end
	return public_node(I.check_pos(pos, "get_node"))
end

function core.get_node_or_nil(pos)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "get_node_or_nil")
	if not in_limits(x, y, z) then
		return nil
	end
	return public_node(x, y, z)
end

function core.set_node(pos, node)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "set_node")
	return I.set_node(x, y, z, read_node(node))
end
core.add_node = core.set_node

function core.bulk_set_node(positions, node)
	if not running() then
		return
	end
	local name, p1, p2 = read_node(node)
	local ok = true
	for _, pos in ipairs(positions) do
		local x, y, z = I.check_pos(pos, "bulk_set_node")
		ok = I.set_node(x, y, z, name, p1, p2) and ok
	end
	return ok
end

function core.swap_node(pos, node)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "swap_node")
	local name, p1, p2 = read_node(node)
	if not in_limits(x, y, z) then
		return false
	end
	I.raw_set(x, y, z, name, p1, p2)
	return true
end

function core.bulk_swap_node(positions, node)
	if not running() then
		return
	end
	local name, p1, p2 = read_node(node)
	for _, pos in ipairs(positions) do
		local x, y, z = I.check_pos(pos, "bulk_swap_node")
		if in_limits(x, y, z) then
			I.raw_set(x, y, z, name, p1, p2)
		end
	end
	return true
end

function core.remove_node(pos)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "remove_node")
	return I.set_node(x, y, z, "air", 0, 0)
end

-- place_node/dig_node/punch_node: the player-action callbacks with no player (nil placer/digger/puncher).
function core.place_node(pos, node, placer)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "place_node")
	local name = read_node(node)
	if not in_limits(x, y, z) then
		return false
	end
	local stack = I.new_stack(I.to_record(name))
	local def = I.item_def(name)
	local on_place = type(def) == "table" and def.on_place or nil
	if type(on_place) ~= "function" then
		return false
	end
	on_place(stack, placer, { type = "node", above = I.vec(x, y, z), under = I.vec(x, y - 1, z) })
	return true
end

-- Both run the node's callback with the engine's non-functional ObjectRef as the digger/puncher.
-- dig_node answers what on_dig returned (nil counts as true), punch_node true.
function core.dig_node(pos)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "dig_node")
	if not in_limits(x, y, z) then
		return false
	end
	local name, p1, p2 = I.node_at(x, y, z)
	local on_dig = def_callback(name, "on_dig")
	if not on_dig then
		return false
	end
	local dug = on_dig(I.vec(x, y, z), node_table(name, p1, p2), I.null_ref())
	return dug ~= false
end

function core.punch_node(pos)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "punch_node")
	if not in_limits(x, y, z) then
		return false
	end
	local name, p1, p2 = I.node_at(x, y, z)
	local on_punch = def_callback(name, "on_punch")
	if not on_punch then
		return false
	end
	on_punch(I.vec(x, y, z), node_table(name, p1, p2), I.null_ref(), { type = "nothing" })
	return true
end

---------------------------------------------------------------------------------------------------
-- Node metadata. A record exists while it has fields or inventory lists.

function I.remove_meta(x, y, z)
	I.node_meta[hash(x, y, z)] = nil
end

function I.meta_record(x, y, z, create)
	local h = hash(x, y, z)
	local m = I.node_meta[h]
	if not m and create then
		m = { fields = {}, private = {}, inv = I.new_inventory({ type = "node", pos = { x = x, y = y, z = z } }) }
		I.node_meta[h] = m
	end
	return m
end

function I.node_inventory(x, y, z)
	return I.meta_record(x, y, z, true).inv
end

-- Whether a record holds anything (NodeMetadata::empty: no fields and no inventory lists).
local function meta_is_empty(m)
	return H.next(m.fields) == nil and H.next(m.inv.lists) == nil
end

-- Map::findNodesWithMetadata: the blocks of the box in z, y, x order; within a block, its metadata
-- positions in the order of the block's map (relative x, then y, then z).
function core.find_nodes_with_meta(...)
	if not running() then
		return
	end
	if H.select("#", ...) < 2 then
		error("Invalid vector (expected table got no value).", 0)
	end
	local pos1, pos2 = ...
	local x1, y1, z1 = I.check_pos(pos1, "find_nodes_with_meta")
	local x2, y2, z2 = I.check_pos(pos2, "find_nodes_with_meta")
	x1, x2 = min(x1, x2), max(x1, x2)
	y1, y2 = min(y1, y2), max(y1, y2)
	z1, z2 = min(z1, z2), max(z1, z2)
	local found = {}
	for h, m in pairs(I.node_meta) do
		local x, y, z = unhash(h)
		if x >= x1 and x <= x2 and y >= y1 and y <= y2 and z >= z1 and z <= z2 and not meta_is_empty(m) then
			local bx, by, bz = floor(x / 16), floor(y / 16), floor(z / 16)
			found[#found + 1] = { key = { bz, by, bx, x - bx * 16, y - by * 16, z - bz * 16 }, x = x, y = y, z = z }
		end
	end
	sort(found, function(a, b)
		for i = 1, 6 do
			if a.key[i] ~= b.key[i] then
				return a.key[i] < b.key[i]
			end
		end
		return false
	end)
	local out = {}
	for i, f in ipairs(found) do
		out[i] = I.vec(f.x, f.y, f.z)
	end
	return out
end

local NodeMeta = {}
local new_nodemeta, nodemeta_state

local function meta_fields(self, fname)
	local s = nodemeta_state(self, fname)
	return I.meta_record(s.x, s.y, s.z, true).fields
end

local base = I.meta_methods(meta_fields)
for k, v in pairs(base) do
	NodeMeta[k] = v
end

function NodeMeta.get_inventory(self)
	local s = nodemeta_state(self, "get_inventory")
	return I.invref(I.node_inventory(s.x, s.y, s.z))
end

function NodeMeta.mark_as_private(self, names)
	local s = nodemeta_state(self, "mark_as_private")
	local m = I.meta_record(s.x, s.y, s.z, true)
	if type(names) == "table" then
		for _, n in ipairs(names) do
			m.private[tostring(n)] = true
		end
	else
		m.private[tostring(names)] = true
	end
end

-- 5.6.1: {fields = {k = v}, inventory = {list = {ItemStack, ...}}}; the stacks are fresh copies
-- (so the table cannot be core.serialize'd as it is: "unsupported type: userdata").
function NodeMeta.to_table(self)
	local s = nodemeta_state(self, "to_table")
	local m = I.meta_record(s.x, s.y, s.z, false)
	local t = { fields = {}, inventory = {} }
	if not m then
		return t
	end
	for k, v in pairs(m.fields) do
		t.fields[k] = v
	end
	for name, list in pairs(m.inv.lists) do
		local items = {}
		for i = 1, list.size do
			items[i] = I.new_stack(I.copy_record(list.slots[i]))
		end
		t.inventory[name] = items
	end
	return t
end

local function typename(v)
	return v == nil and "nil" or type(v)
end

-- One list of from_table's `inventory`: numeric keys only (truncated; < 1 is an error), the list
-- is as long as the highest index, items are itemstrings, numbers or ItemStacks (a table item
-- breaks the engine's iteration). Read completely before the list is set.
local function read_list(items)
	if type(items) ~= "table" then
		error("bad argument #8 to '?' (table expected, got " .. typename(items) .. ")", 0)
	end
	local slots, size = {}, 0
	for k, v in pairs(items) do
		if type(k) ~= "number" then
			error("bad argument #10 to '?' (number expected, got " .. typename(k) .. ")", 0)
		end
		local i = I.trunc(k)
		if i < 1 then
			error("Invalid inventory list index", 0)
		end
		if type(v) == "table" then
			error("invalid key to 'next'", 0)
		end
		slots[i] = I.to_record(v)
		if i > size then
			size = i
		end
	end
	for i = 1, size do
		slots[i] = slots[i] or I.empty_record()
	end
	return { size = size, width = 0, slots = slots }
end

-- 5.6.1: clears the metadata (fields, private marks, every list), then reads `fields` (see
-- I.fields_from_table) and `inventory` ({list = {item, ...}}, a list may be empty); a non-table
-- argument only clears. Errors are raised as the engine raises them, keeping what was set before.
function NodeMeta.from_table(self, t)
	local s = nodemeta_state(self, "from_table")
	local m = I.meta_record(s.x, s.y, s.z, false)
	if m then
		-- Cleared in place: InvRefs taken before keep pointing at this node's inventory.
		m.fields, m.private = {}, {}
		for name in pairs(m.inv.lists) do
			m.inv.lists[name] = nil
		end
	end
	if type(t) ~= "table" then
		return true
	end
	m = I.meta_record(s.x, s.y, s.z, true)
	I.fields_from_table(m.fields, t.fields)
	if type(t.inventory) == "table" then
		for name, items in pairs(t.inventory) do
			local tn = type(name)
			if tn ~= "string" and tn ~= "number" then
				error("bad argument #8 to '?' (string expected, got " .. tn .. ")", 0)
			end
			m.inv.lists[tostring(name)] = read_list(items)
			if tn == "number" then
				error("invalid key to 'next'", 0) -- the name was converted in place, as in the engine
			end
		end
	end
	return true
end

new_nodemeta, nodemeta_state = I.userdata_class("NodeMetaRef", NodeMeta)

function core.get_meta(pos)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "get_meta")
	return new_nodemeta({ x = x, y = y, z = z })
end

-- Host view: {fields = {...}, inventory = {list = {itemstring...}}, private = [...]}.
function I.meta_view(x, y, z)
	local m = I.meta_record(x, y, z, false)
	local t = { fields = {}, inventory = I.inventory_view(m and m.inv) }
	if m then
		for k, v in pairs(m.fields) do
			t.fields[k] = v
		end
	end
	return t
end

---------------------------------------------------------------------------------------------------
-- Node timers.

local Timer = {}
local new_timer, timer_state = I.userdata_class("NodeTimerRef", Timer)

local function timer_of(self, fname)
	local s = timer_state(self, fname)
	return hash(s.x, s.y, s.z)
end

function Timer.set(self, timeout, elapsed)
	I.node_timers[timer_of(self, "set")] = { timeout = tonumber(timeout) or 0, elapsed = tonumber(elapsed) or 0 }
end

function Timer.start(self, timeout)
	I.node_timers[timer_of(self, "start")] = { timeout = tonumber(timeout) or 0, elapsed = 0 }
end

function Timer.stop(self)
	I.node_timers[timer_of(self, "stop")] = nil
end

function Timer.get_timeout(self)
	local t = I.node_timers[timer_of(self, "get_timeout")]
	return t and t.timeout or 0
end

function Timer.get_elapsed(self)
	local t = I.node_timers[timer_of(self, "get_elapsed")]
	return t and t.elapsed or 0
end

function Timer.is_started(self)
	local t = I.node_timers[timer_of(self, "is_started")]
	return t ~= nil and t.timeout ~= 0
end

function core.get_node_timer(pos)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "get_node_timer")
	return new_timer({ x = x, y = y, z = z })
end

-- One timer pass (the engine removes a timer before calling on_timer; `true` restarts it).
-- `call(f, ...)` runs a callback the way the caller reports errors.
function I.step_node_timers(dtime, call)
	local due = {}
	for h, t in pairs(I.node_timers) do
		t.elapsed = I.add_time(t.elapsed, dtime)
		if t.timeout > 0 and t.elapsed >= t.timeout then
			due[#due + 1] = h
		end
	end
	sort(due)
	for _, h in ipairs(due) do
		local t = I.node_timers[h]
		I.node_timers[h] = nil
		local x, y, z = unhash(h)
		local on_timer = def_callback((I.node_at(x, y, z)), "on_timer")
		if on_timer then
			local ok, again = call("node_on_timer", on_timer, I.vec(x, y, z), t.elapsed)
			if ok and again and I.node_timers[h] == nil then
				I.node_timers[h] = { timeout = t.timeout, elapsed = 0 }
			end
		end
	end
end

---------------------------------------------------------------------------------------------------
-- Searches. Node name lists accept names and "group:x".

function I.node_matcher(nodenames)
	if type(nodenames) == "string" then
		nodenames = { nodenames }
	end
	local names, groups = {}, {}
	if type(nodenames) == "table" then
		for _, n in ipairs(nodenames) do
			n = tostring(n)
			if ssub(n, 1, 6) == "group:" then
				groups[#groups + 1] = ssub(n, 7)
			else
				names[I.resolve_alias(n)] = true
			end
		end
	end
	local cache = {}
	return function(name)
		local hit = cache[name]
		if hit == nil then
			hit = names[name] == true
			if not hit and #groups > 0 then
				local def = I.node_def(name)
				local g = type(def) == "table" and type(def.groups) == "table" and def.groups or {}
				for _, group in ipairs(groups) do
					if (tonumber(g[group]) or 0) ~= 0 then
						hit = true
						break
					end
				end
			end
			cache[name] = hit
		end
		return hit
	end
end

local function box(a, b, fname)
	local x1, y1, z1 = I.check_pos(a, fname)
	local x2, y2, z2 = I.check_pos(b, fname)
	return min(x1, x2), min(y1, y2), min(z1, z2), max(x1, x2), max(y1, y2), max(z1, z2)
end

-- Positions in a box whose node matches, in z, y, x order (x fastest). Walks only stored nodes
-- when the match cannot hit unset (air) positions.
local function scan(x1, y1, z1, x2, y2, z2, match)
	local out = {}
	if match("air") then
		for z = z1, z2 do
			for y = y1, y2 do
				for x = x1, x2 do
					if match((I.node_at(x, y, z))) then
						out[#out + 1] = hash(x, y, z)
					end
				end
			end
		end
		return out
	end
	for h, n in pairs(I.nodes) do
		local x, y, z = unhash(h)
		if x >= x1 and x <= x2 and y >= y1 and y <= y2 and z >= z1 and z <= z2 and match(n.name) then
			out[#out + 1] = h
		end
	end
	sort(out)
	return out
end

local MAX_VOLUME = 4096000

function core.find_nodes_in_area(minp, maxp, nodenames, grouped)
	if not running() then
		return
	end
	local x1, y1, z1, x2, y2, z2 = box(minp, maxp, "find_nodes_in_area")
	if (x2 - x1 + 1) * (y2 - y1 + 1) * (z2 - z1 + 1) > MAX_VOLUME then
		error("find_nodes_in_area(): area volume exceeds allowed value of " .. MAX_VOLUME, 0)
	end
	local match = I.node_matcher(nodenames)
	local found = scan(x1, y1, z1, x2, y2, z2, match)
	if grouped then
		local by_name = {}
		for _, h in ipairs(found) do
			local name = I.node_at(unhash(h))
			by_name[name] = by_name[name] or {}
			local l = by_name[name]
			l[#l + 1] = I.vec(unhash(h))
		end
		return by_name
	end
	-- Counts name every registered node the list selects (groups expanded), as the engine's do.
	local positions, counts = {}, {}
	for name, def in pairs(I.engine_items) do
		if def.type == "node" and match(name) then
			counts[name] = 0
		end
	end
	for i, h in ipairs(found) do
		positions[i] = I.vec(unhash(h))
		local name = I.node_at(unhash(h))
		counts[name] = (counts[name] or 0) + 1
	end
	return positions, counts
end

function core.find_nodes_in_area_under_air(minp, maxp, nodenames)
	if not running() then
		return
	end
	local x1, y1, z1, x2, y2, z2 = box(minp, maxp, "find_nodes_in_area_under_air")
	local match = I.node_matcher(nodenames)
	local out = {}
	for _, h in ipairs(scan(x1, y1, z1, x2, y2, z2, match)) do
		local x, y, z = unhash(h)
		if I.node_at(x, y + 1, z) == "air" then
			out[#out + 1] = I.vec(x, y, z)
		end
	end
	return out
end

---------------------------------------------------------------------------------------------------
-- Node levels (MapNode::getLevel, getMaxLevel, setLevel, addLevel in src/mapnode.cpp): a liquid's
-- level is param2's low 3 bits (a source is 8), a "leveled" node's param2's low 7 bits (0 reads as
-- the definition's `leveled`). Results are the C++ types: the level set is a u8, the level added an
-- s16, the rest handed back an s8.
local LIQUID_LEVEL_MAX, LIQUID_LEVEL_SOURCE, LEVELED_MAX = 7, 8, 127

local function wrap(v, bits, signed)
	local m = 2 ^ bits
	v = H.math.fmod(I.trunc(v), m) % m
	if signed and v >= m / 2 then
		return v - m
	end
	return v
end

local function level_def(name)
	local def = I.node_def(name) or {}
	local leveled_max = tonumber(def.leveled_max) or LEVELED_MAX
	return def, floor(leveled_max) % 256, floor(tonumber(def.leveled) or 0) % 256
end

local function is_liquid_level(def)
	return def.paramtype2 == "flowingliquid" or def.liquidtype == "flowing" or def.liquidtype == "source"
end

local function max_level(name)
	local def, leveled_max, leveled = level_def(name)
	if def.liquidtype == "flowing" or def.paramtype2 == "flowingliquid" then
		return LIQUID_LEVEL_MAX
	elseif leveled ~= 0 or def.paramtype2 == "leveled" then
		return leveled_max
	end
	return 0
end

local function get_level(name, p2)
	local def, leveled_max, leveled = level_def(name)
	if def.liquidtype == "source" then
		return LIQUID_LEVEL_SOURCE
	elseif def.paramtype2 == "flowingliquid" or def.liquidtype == "flowing" then
		return p2 % 8
	elseif def.paramtype2 == "leveled" and p2 % 128 ~= 0 then
		return p2 % 128
	end
	return min(leveled, leveled_max)
end

-- The node after setLevel and the rest (what did not fit).
local function set_level(name, p2, level)
	local def, leveled_max = level_def(name)
	if is_liquid_level(def) then
		if level <= 0 then
			return "air", 0, 0
		elseif level >= LIQUID_LEVEL_SOURCE then
			return I.resolve_alias(def.liquid_alternative_source or ""), 0, level - LIQUID_LEVEL_SOURCE
		end
		return I.resolve_alias(def.liquid_alternative_flowing or ""), level % 8 + (p2 - p2 % 8), 0
	elseif def.paramtype2 == "leveled" then
		local rest = 0
		if level < 0 then
			rest, level = level, 0
		elseif level > leveled_max then
			rest, level = level - leveled_max, leveled_max
		end
		return name, level % 128 + (p2 - p2 % 128), rest
	end
	return name, p2, 0
end

function core.get_node_max_level(pos)
	if not running() then
		return
	end
	return max_level((I.node_at(I.check_pos(pos, "get_node_max_level"))))
end

function core.get_node_level(pos)
	if not running() then
		return
	end
	local name, _, p2 = I.node_at(I.check_pos(pos, "get_node_level"))
	return get_level(name, p2)
end

-- set_node_level / add_node_level write the node back with ServerEnvironment::setNode (the
-- destruct and construct callbacks run, metadata goes), whether or not the level changed.
local function write_level(x, y, z, level)
	local name, p1, p2 = I.node_at(x, y, z)
	local new_name, new_p2, rest = set_level(name, p2, level)
	I.set_node(x, y, z, new_name, p1, new_p2)
	return wrap(rest, 8, true)
end

function core.set_node_level(pos, level)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "set_node_level")
	level = tonumber(level) -- lua_isnumber: numeric strings count
	return write_level(x, y, z, level and wrap(level, 8, false) or 1)
end

function core.add_node_level(pos, level)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "add_node_level")
	level = tonumber(level)
	local add = level and wrap(level, 16, true) or 1
	local name, _, p2 = I.node_at(x, y, z)
	return write_level(x, y, z, wrap(get_level(name, p2) + add, 16, true))
end

-- Liquids do not flow here: the transforming queue is never worked through.
function core.transforming_liquid_add(pos)
	if not running() then
		return
	end
	I.check_pos(pos, "transforming_liquid_add")
	return pos -- the C function returns its stack top: the argument itself
end

-- Offsets on the cube shell at distance d, in the order the engine's FacePositionCache lists them
-- (d = 1: faces, edges, corners; d > 1: the side rings from y = 0 outwards, then bottom and top).
local SHELL1 = { { 0, 1, 0 }, { 0, 0, 1 }, { -1, 0, 0 }, { 1, 0, 0 }, { 0, 0, -1 }, { 0, -1, 0 },
	{ -1, 0, 1 }, { 1, 0, 1 }, { -1, 0, -1 }, { 1, 0, -1 }, { -1, -1, 0 }, { 1, -1, 0 }, { 0, -1, 1 },
	{ 0, -1, -1 }, { -1, 1, 0 }, { 1, 1, 0 }, { 0, 1, 1 }, { 0, 1, -1 }, { -1, 1, 1 }, { 1, 1, 1 },
	{ -1, 1, -1 }, { 1, 1, -1 }, { -1, -1, 1 }, { 1, -1, 1 }, { -1, -1, -1 }, { 1, -1, -1 } }
local shells = { [0] = { { 0, 0, 0 } }, SHELL1 }

local function shell(d)
	local c = shells[d]
	if c then
		return c
	end
	c = {}
	local function add(x, y, z)
		c[#c + 1] = { x, y, z }
	end
	for y = 0, d - 1 do
		for z = -d, d do
			add(d, y, z)
			add(-d, y, z)
			if y ~= 0 then
				add(d, -y, z)
				add(-d, -y, z)
			end
		end
		for x = -d + 1, d - 1 do
			add(x, y, d)
			add(x, y, -d)
			if y ~= 0 then
				add(x, -y, d)
				add(x, -y, -d)
			end
		end
	end
	for x = -d, d do
		for z = -d, d do
			add(x, -d, z)
			add(x, d, z)
		end
	end
	if d <= 16 then
		shells[d] = c
	end
	return c
end

-- The first match on the nearest shell; the centre only with search_center.
function core.find_node_near(pos, radius, nodenames, search_center)
	if not running() then
		return
	end
	local cx, cy, cz = I.check_pos(pos, "find_node_near")
	radius = floor(tonumber(radius) or 0)
	local match = I.node_matcher(nodenames)
	for d = search_center == true and 0 or 1, radius do
		for _, o in ipairs(shell(d)) do
			local x, y, z = cx + o[1], cy + o[2], cz + o[3]
			if match((I.node_at(x, y, z))) then
				return I.vec(x, y, z)
			end
		end
	end
	return nil
end

-------------------------------------------------------------------------------------------------
-- Light, time, emerging.

-- A simple light model. Light passes through air and nodes with sunlight_propagates or paramtype
-- "light". A position with nothing opaque above it has sunlight (15 by day, 2 by night; day is
-- time of day 0.25..0.75); light spreads sideways and down losing 1 per node (a breadth-first
-- search up to 14 nodes); a node's light_source counts too.
local function passes_light(name)
	if name == "air" then
		return true
	end
	local def = I.node_def(name)
	return type(def) == "table" and (def.sunlight_propagates == true or def.paramtype == "light")
end

-- Highest light-blocking node of each column, rebuilt when the map changed.
local column_top, column_version = {}, -1

local function sky(x, y, z)
	if column_version ~= I.map_version then
		column_top = {}
		for h, n in pairs(I.nodes) do
			if not passes_light(n.name) then
				local nx, ny, nz = unhash(h)
				local k = nx .. "," .. nz
				if column_top[k] == nil or ny > column_top[k] then
					column_top[k] = ny
				end
			end
		end
		column_version = I.map_version
	end
	local t = column_top[x .. "," .. z]
	return t == nil or y > t
end

-- Nodes from a light-passing position to the nearest sky-lit one through light-passing nodes
-- (breadth-first, at most 14; 15 when there is none that near).
local function sky_distance(x, y, z)
	local seen = { [hash(x, y, z)] = true }
	local frontier = { { x, y, z } }
	for d = 1, 14 do
		local next_frontier = {}
		for _, p in ipairs(frontier) do
			for _, o in ipairs(SHELL1) do
				if abs(o[1]) + abs(o[2]) + abs(o[3]) == 1 then
					local qx, qy, qz = p[1] + o[1], p[2] + o[2], p[3] + o[3]
					local hq = hash(qx, qy, qz)
					if not seen[hq] and passes_light((I.node_at(qx, qy, qz))) then
						if sky(qx, qy, qz) then
							return d
						end
						seen[hq] = true
						next_frontier[#next_frontier + 1] = { qx, qy, qz }
					end
				end
			end
		end
		if #next_frontier == 0 then
			break
		end
		frontier = next_frontier
	end
	return 15
end

-- Sunlight reaching a light-passing position: `sun` under open sky, less 1 per node away from it.
-- Distances are remembered until the map changes.
local distance_memo, memo_version = {}, -1

local function sunlight(x, y, z, sun)
	if sky(x, y, z) then
		return sun
	end
	if memo_version ~= I.map_version then
		distance_memo, memo_version = {}, I.map_version
	end
	local h = hash(x, y, z)
	local d = distance_memo[h]
	if d == nil then
		d = sky_distance(x, y, z)
		distance_memo[h] = d
	end
	return max(0, sun - d)
end

-- param1 as reads report it: the daylight bank for light-passing nodes, the stored value otherwise.
function I.read_param1(x, y, z, name, p1)
	if passes_light(name) then
		return sunlight(x, y, z, 15)
	end
	return p1
end

function core.get_node_light(pos, timeofday)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "get_node_light")
	local name = I.node_at(x, y, z)
	if name == "ignore" then
		return nil
	end
	local def = I.node_def(name)
	local source = type(def) == "table" and tonumber(def.light_source) or 0
	local tod = tonumber(timeofday) or I.timeofday
	local sun = 0
	if passes_light(name) then
		sun = sunlight(x, y, z, (tod >= 0.25 and tod <= 0.75) and 15 or 2)
	end
	return min(15, max(source, sun))
end

-- time_to_daynight_ratio (src/daynightratio.h, smooth): the share of daylight (0..1000) at a time of
-- day in 1/24000 parts, interpolated between the engine's table, symmetric around noon.
local DAYNIGHT = { { 4375, 150 }, { 4625, 150 }, { 4875, 250 }, { 5125, 350 }, { 5375, 500 },
	{ 5625, 675 }, { 5875, 875 }, { 6125, 1000 }, { 6375, 1000 } }

local function daynight_ratio(t)
	if t > 12000 then
		t = 24000 - t
	end
	for i, v in ipairs(DAYNIGHT) do
		if v[1] > t then
			if i == 1 then
				return v[2]
			end
			local prev = DAYNIGHT[i - 1]
			local f = I.f32((t - prev[1]) / (v[1] - prev[1]))
			return floor(I.f32(f * v[2] + (1 - f) * prev[2]))
		end
	end
	return 1000
end

-- l_get_natural_light: the daylight bank of the node's param1 scaled by the day-night ratio.
function core.get_natural_light(pos, timeofday)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "get_natural_light")
	local name, p1 = I.node_at(x, y, z)
	if name == "ignore" then
		return
	end
	local daylight = I.read_param1(x, y, z, name, p1) % 16
	if daylight == 0 then
		return 0
	end
	local t
	if type(timeofday) == "number" or tonumber(timeofday) then
		t = floor(24000 * tonumber(timeofday)) % 24000 -- (u32)(24000.0 * tod) % 24000
	else
		t = floor(I.timeofday * 24000 + 1e-6)
	end
	return floor(daynight_ratio(t) * daylight / 1000)
end

function core.get_gametime()
	if not running() then
		return
	end
	return floor(I.gametime)
end

function core.get_timeofday()
	if not running() then
		return
	end
	-- The engine keeps whole 1/24000 parts of a day and hands back (float)parts / 24000.0f.
	return I.f32(floor(I.timeofday * 24000 + 1e-6) / 24000)
end

function core.set_timeofday(t)
	if not running() then
		return
	end
	t = tonumber(t)
	if t == nil or t < 0 or t > 1 then
		error("Time of day value must be between 0 and 1", 0)
	end
	-- (int)(timeofday_f * 24000.0f) in single precision: whole parts of the day.
	I.timeofday = floor(I.f32(I.f32(t) * 24000)) / 24000
end

function core.get_day_count()
	if not running() then
		return
	end
	return I.day_count
end

-- Sums of step lengths, kept to microseconds so that ten steps of 0.1 s make exactly 1 s (timers
-- and core.after fire on the step a check author expects).
function I.add_time(a, b)
	return floor((a + b) * 1e6 + 0.5) / 1e6
end

-- Advance game time (time_speed 72: one real second is 72 game seconds).
function I.advance_time(dtime)
	I.gametime = I.add_time(I.gametime, dtime)
	local t = I.timeofday + dtime * 72 / 86400
	while t >= 1 do
		t = t - 1
		I.day_count = I.day_count + 1
	end
	I.timeofday = t
end

-- The whole world is emerged: emerge_area completes at once, its callback runs at the next step
-- for each map block of the area (action EMERGE_FROM_MEMORY), as the engine calls it asynchronously.
I.pending_emerges = {}

function core.emerge_area(minp, maxp, callback, param)
	if not running() then
		return
	end
	local x1, y1, z1, x2, y2, z2 = box(minp, maxp, "emerge_area")
	if type(callback) ~= "function" then
		return
	end
	local blocks = {}
	for bz = floor(z1 / 16), floor(z2 / 16) do
		for by = floor(y1 / 16), floor(y2 / 16) do
			for bx = floor(x1 / 16), floor(x2 / 16) do
				blocks[#blocks + 1] = { bx, by, bz }
			end
		end
	end
	I.pending_emerges[#I.pending_emerges + 1] = { callback = callback, param = param, blocks = blocks,
		mod = I.last_run_mod }
end

function core.load_area(minp, maxp)
	if not running() then
		return
	end
	box(minp, maxp or minp, "load_area")
end

-- ServerEnvironment::getBlockStatus, compared as l_compare_block_status does: every block inside
-- the map limits is loaded (the world is emerged); a block is active within active_block_range
-- (a sphere, in blocks) of a connected player's block. (A forceloaded block here stays inactive in
-- the 5.6.1 server too, probed: it is not generated without a player.)
local BLOCK_STATUS = { unknown = 0, emerging = 1, loaded = 2, active = 3 }

local function block_active(bx, by, bz)
	local r = tonumber(core.settings:get("active_block_range")) or 4
	for _, o in pairs(I.players) do
		local p = o.pos
		local dx, dy, dz = floor(round(p.x) / 16) - bx, floor(round(p.y) / 16) - by, floor(round(p.z) / 16) - bz
		if dx * dx + dy * dy + dz * dz <= r * r then
			return true
		end
	end
	return false
end

function core.compare_block_status(pos, condition)
	if not running() then
		return
	end
	local x, y, z = I.check_pos(pos, "compare_block_status")
	if type(condition) ~= "string" and type(condition) ~= "number" then
		error("bad argument #2 to '?' (string expected, got " .. (condition == nil and "no value" or type(condition)) .. ")", 0)
	end
	local wanted = BLOCK_STATUS[tostring(condition)]
	if wanted == nil then
		return
	end
	local status = 0
	if in_limits(x, y, z) then
		status = block_active(floor(x / 16), floor(y / 16), floor(z / 16)) and 3 or 2
	end
	return status >= wanted
end

function I.run_emerges(call)
	local pending = I.pending_emerges
	I.pending_emerges = {}
	for _, e in ipairs(pending) do
		local total = #e.blocks
		for i, b in ipairs(e.blocks) do
			call("on_emerge_area_completion", e.callback, I.vec(b[1], b[2], b[3]), core.EMERGE_FROM_MEMORY,
				total - i, e.param)
		end
	end
end

-- Nodes a straight line passes through, in order (sampled finely enough not to skip a node).
function I.line_nodes(a, b)
	local dx, dy, dz = b.x - a.x, b.y - a.y, b.z - a.z
	local len = (dx * dx + dy * dy + dz * dz) ^ 0.5
	local n = floor(len * 16) + 1
	local out, last = {}, nil
	for i = 0, n do
		local t = i / n
		local x, y, z = round(a.x + dx * t), round(a.y + dy * t), round(a.z + dz * t)
		local h = hash(x, y, z)
		if h ~= last then
			out[#out + 1] = { x, y, z }
			last = h
		end
	end
	return out
end

-- line_of_sight: false and the first non-air node on the line (the start included), else true.
function core.line_of_sight(pos1, pos2)
	if not running() then
		return
	end
	I.check_pos(pos1, "line_of_sight")
	I.check_pos(pos2, "line_of_sight")
	for _, p in ipairs(I.line_nodes(pos1, pos2)) do
		if I.node_at(p[1], p[2], p[3]) ~= "air" then
			return false, I.vec(p[1], p[2], p[3])
		end
	end
	return true
end

-- delete_area: the blocks are deleted and regenerate empty (air) here; fix_light has no light to fix.
function core.delete_area(minp, maxp)
	if not running() then
		return
	end
	local x1, y1, z1, x2, y2, z2 = box(minp, maxp, "delete_area")
	x1, y1, z1 = floor(x1 / 16) * 16, floor(y1 / 16) * 16, floor(z1 / 16) * 16
	x2, y2, z2 = floor(x2 / 16) * 16 + 15, floor(y2 / 16) * 16 + 15, floor(z2 / 16) * 16 + 15
	for h in pairs(I.nodes) do
		local x, y, z = unhash(h)
		if x >= x1 and x <= x2 and y >= y1 and y <= y2 and z >= z1 and z <= z2 then
			I.nodes[h] = nil
			I.node_meta[h] = nil
			I.node_timers[h] = nil
		end
	end
	return true
end

function core.fix_light(minp, maxp)
	if not running() then
		return
	end
	box(minp, maxp, "fix_light")
	return true
end
