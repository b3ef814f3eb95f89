-- inventory.lua: inventories and InvRef (engine: src/inventory.cpp, src/script/lua_api/l_inventory.cpp),
-- detached inventories (builtin/game/detached_inventory.lua) and core.get_inventory.
--
-- An inventory is {lists = {name -> {size, width, slots = {record...}}}, location = {...}}. Slots hold
-- stack records (itemstack.lua); every read hands out a copy, as the engine does.
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs, error = H.type, H.tostring, H.tonumber, H.pairs, H.ipairs,
	H.error
local floor = H.math.floor
local sformat = H.string.format
local sort = H.table.sort

function I.new_inventory(location)
	return { lists = {}, location = location }
end

local function list_set_size(list, size)
	for i = list.size + 1, size do
		list.slots[i] = I.empty_record()
	end
	for i = size + 1, list.size do
		list.slots[i] = nil
	end
	list.size = size
end

function I.inv_set_size(inv, listname, size)
	if size == 0 then
		inv.lists[listname] = nil
		return
	end
	local list = inv.lists[listname]
	if not list then
		list = { size = 0, width = 0, slots = {} }
		inv.lists[listname] = list
	end
	list_set_size(list, size)
end

-- InventoryList::addItem: first slots holding items, then empty slots. Returns the leftover record.
function I.list_add(list, rec)
	if rec.count == 0 then
		return rec
	end
	for pass = 1, 2 do
		for i = 1, list.size do
			local slot = list.slots[i]
			if (slot.count > 0) == (pass == 1) then
				rec = I.record_add(slot, rec)
				if rec.count == 0 then
					return rec
				end
			end
		end
	end
	return rec
end

-- InventoryList::removeItem: from the last slot backwards, matching the name only (meta ignored).
function I.list_remove(list, rec)
	local removed = I.empty_record()
	local want = rec.count
	for i = list.size, 1, -1 do
		if want == 0 then
			break
		end
		local slot = list.slots[i]
		if slot.count > 0 and slot.name == rec.name then
			local taken = I.record_take(slot, want)
			want = want - taken.count
			if removed.count == 0 then
				removed = taken
			else
				removed.count = removed.count + taken.count  -- oversized, as the engine allows here
			end
		end
	end
	return removed
end

local function meta_text(rec)
	return I.record_to_string({ name = "x", count = 1, wear = 0, meta = rec.meta })
end

-- InventoryList::containsItem: enough items of that name (and, with match_meta, that metadata).
local function list_contains(list, rec, match_meta)
	local need = rec.count
	local want = match_meta and meta_text(rec)
	for i = 1, list.size do
		local slot = list.slots[i]
		if slot.count > 0 and slot.name == rec.name and (not want or meta_text(slot) == want) then
			need = need - slot.count
			if need <= 0 then
				return true
			end
		end
	end
	return false
end

-- Lists a table of stacks into records (read_items): array part in order, missing slots empty.
local function read_items(t)
	local items, n = {}, 0
	if type(t) ~= "table" then
		return items, 0
	end
	for k in pairs(t) do
		if type(k) == "number" and k >= 1 and k == floor(k) and k > n then
			n = k
		end
	end
	for i = 1, n do
		items[i] = I.to_record(t[i])
	end
	return items, n
end

local function set_list(inv, listname, t)
	local items, n = read_items(t)
	local list = inv.lists[listname]
	local size = list and list.size or n
	I.inv_set_size(inv, listname, size)
	list = inv.lists[listname]
	if list then
		for i = 1, size do
			list.slots[i] = items[i] or I.empty_record()
		end
	end
end

---------------------------------------------------------------------------------------------------
-- InvRef: refers to an inventory by its location and looks it up at every call, as the engine
-- does: a ref to a node whose metadata is gone, a player who left or a removed detached inventory
-- finds nothing (methods then return the engine's "no inventory" results), and finds the new
-- inventory if one appears there again.

local InvRef = {}
local new_invref, invref_state = I.userdata_class("InvRef", InvRef)

function I.invref(inv)
	return new_invref({ loc = inv.location })
end

function I.resolve_inventory(loc)
	if loc.type == "player" then
		local p = I.players and I.players[loc.name]
		return p and p.inventory
	elseif loc.type == "node" then
		local m = I.meta_record(loc.pos.x, loc.pos.y, loc.pos.z, false)
		return m and m.inv
	elseif loc.type == "detached" then
		return I.detached[loc.name]
	end
	return nil
end

local function getinv(self, fname)
	return I.resolve_inventory(invref_state(self, fname).loc)
end

local check_string, check_int = I.check_string, I.check_int

local function changed(inv)
	inv.modified = true
end

function InvRef.is_empty(self, listname)
	local inv = getinv(self, "is_empty")
	local list = inv and inv.lists[check_string(listname, 2, "is_empty")]
	if not list then
		return true
	end
	for i = 1, list.size do
		if list.slots[i].count > 0 then
			return false
		end
	end
	return true
end

function InvRef.get_size(self, listname)
	local inv = getinv(self, "get_size")
	local list = inv and inv.lists[check_string(listname, 2, "get_size")]
	return list and list.size or 0
end

function InvRef.set_size(self, listname, size)
	local inv = getinv(self, "set_size")
	listname = check_string(listname, 2, "set_size")
	size = check_int(size, 3, "set_size")
	if not inv or size < 0 then
		return false
	end
	I.inv_set_size(inv, listname, size)
	changed(inv)
	return true
end

function InvRef.get_width(self, listname)
	local inv = getinv(self, "get_width")
	local list = inv and inv.lists[check_string(listname, 2, "get_width")]
	return list and list.width or 0
end

function InvRef.set_width(self, listname, width)
	local inv = getinv(self, "set_width")
	local list = inv and inv.lists[check_string(listname, 2, "set_width")]
	width = check_int(width, 3, "set_width")
	if list then
		list.width = width
		changed(inv)
	end
end

function InvRef.get_stack(self, listname, i)
	local inv = getinv(self, "get_stack")
	local list = inv and inv.lists[check_string(listname, 2, "get_stack")]
	i = check_int(i, 3, "get_stack")
	local slot = list and list.slots[i]
	return I.new_stack(slot and I.copy_record(slot) or I.empty_record())
end

function InvRef.set_stack(self, listname, i, stack)
	local inv = getinv(self, "set_stack")
	local list = inv and inv.lists[check_string(listname, 2, "set_stack")]
	i = check_int(i, 3, "set_stack")
	local rec = I.to_record(stack)
	if list and i >= 1 and i <= list.size then
		list.slots[i] = rec
		changed(inv)
		return true
	end
	return false
end

function InvRef.get_list(self, listname)
	local inv = getinv(self, "get_list")
	local list = inv and inv.lists[check_string(listname, 2, "get_list")]
	if not list then
		return nil
	end
	local t = {}
	for i = 1, list.size do
		t[i] = I.new_stack(I.copy_record(list.slots[i]))
	end
	return t
end

function InvRef.set_list(self, listname, t)
	local inv = getinv(self, "set_list")
	listname = check_string(listname, 2, "set_list")
	if inv then
		set_list(inv, listname, t)
		changed(inv)
	end
end

function InvRef.get_lists(self)
	local inv = getinv(self, "get_lists")
	if not inv then
		return nil
	end
	local t = {}
	for name in pairs(inv.lists) do
		t[name] = InvRef.get_list(self, name)
	end
	return t
end

function InvRef.set_lists(self, lists)
	local inv = getinv(self, "set_lists")
	if not inv or type(lists) ~= "table" then
		return
	end
	for name in pairs(inv.lists) do
		inv.lists[name] = nil
	end
	for name, t in pairs(lists) do
		if type(name) == "string" then
			set_list(inv, name, t)
		end
	end
	changed(inv)
end

function InvRef.add_item(self, listname, item)
	local inv = getinv(self, "add_item")
	local list = inv and inv.lists[check_string(listname, 2, "add_item")]
	local rec = I.to_record(item)
	if not list then
		return I.new_stack(rec)
	end
	local before = rec.count
	local left = I.list_add(list, rec)
	if left.count ~= before then
		changed(inv)
	end
	return I.new_stack(left)
end

function InvRef.room_for_item(self, listname, item)
	local inv = getinv(self, "room_for_item")
	local list = inv and inv.lists[check_string(listname, 2, "room_for_item")]
	if not list then
		return false
	end
	local copy = { size = list.size, slots = {} }
	for i = 1, list.size do
		copy.slots[i] = I.copy_record(list.slots[i])
	end
	return I.list_add(copy, I.to_record(item)).count == 0
end

function InvRef.contains_item(self, listname, item, match_meta)
	local inv = getinv(self, "contains_item")
	local list = inv and inv.lists[check_string(listname, 2, "contains_item")]
	if not list then
		return false
	end
	return list_contains(list, I.to_record(item), match_meta and true or false)
end

function InvRef.remove_item(self, listname, item)
	local inv = getinv(self, "remove_item")
	local list = inv and inv.lists[check_string(listname, 2, "remove_item")]
	if not list then
		return I.new_stack(I.empty_record())
	end
	local removed = I.list_remove(list, I.to_record(item))
	if removed.count > 0 then
		changed(inv)
	end
	return I.new_stack(removed)
end

function InvRef.get_location(self)
	local loc = invref_state(self, "get_location").loc
	local t = {}
	for k, v in pairs(loc) do
		t[k] = v
	end
	if loc.pos then
		t.pos = I.vec(loc.pos.x, loc.pos.y, loc.pos.z)
	end
	return t
end

---------------------------------------------------------------------------------------------------
-- Detached inventories and core.get_inventory.

I.detached = {}

function core.create_detached_inventory_raw(name, player_name)
	name = check_string(name, 1, "create_detached_inventory_raw")
	local inv = I.detached[name]
	if not inv then
		inv = I.new_inventory({ type = "detached", name = name })
		I.detached[name] = inv
	end
	inv.player_name = player_name
	return I.invref(inv)
end

function core.remove_detached_inventory_raw(name)
	if not I.detached[tostring(name)] then
		return false
	end
	I.detached[tostring(name)] = nil
	return true
end

core.detached_inventories = core.detached_inventories or {}

local CALLBACKS = { "allow_move", "allow_put", "allow_take", "on_move", "on_put", "on_take" }

function core.create_detached_inventory(name, callbacks, player_name)
	local entry = { name = name, mod_origin = core.get_current_modname and core.get_current_modname() or "??" }
	if type(callbacks) == "table" then
		for _, k in ipairs(CALLBACKS) do
			entry[k] = callbacks[k]
		end
	end
	core.detached_inventories[name] = entry
	return core.create_detached_inventory_raw(name, player_name)
end

function core.remove_detached_inventory(name)
	core.detached_inventories[name] = nil
	return core.remove_detached_inventory_raw(name)
end

-- core.get_inventory(location): an InvRef, or nil when the inventory does not exist.
function core.get_inventory(location)
	if type(location) ~= "table" then
		error("bad argument #1 to 'get_inventory' (table expected, got " .. type(location) .. ")", 0)
	end
	local inv
	if location.type == "player" then
		local p = I.players and I.players[tostring(location.name)]
		inv = p and p.inventory
	elseif location.type == "node" then
		if I.phase ~= "run" then
			return nil
		end
		local m = I.meta_record(I.check_pos(location.pos, "get_inventory"))
		inv = m and m.inv
	elseif location.type == "detached" then
		inv = I.detached[tostring(location.name)]
	end
	if not inv then
		return nil
	end
	return I.invref(inv)
end

-- Host view of an inventory: {listname = {"itemstring", ...}}, sorted by list name on output.
function I.inventory_view(inv)
	local t = {}
	if not inv then
		return t
	end
	local names = {}
	for name in pairs(inv.lists) do
		names[#names + 1] = name
	end
	sort(names)
	for _, name in ipairs(names) do
		local list = inv.lists[name]
		local items = {}
		for i = 1, list.size do
			items[i] = I.record_to_string(list.slots[i])
		end
		t[name] = items
	end
	return t
end
