-- inventory_move.lua: a player's inventory move, as through a formspec (engine:
-- src/inventorymanager.cpp IMoveAction::apply; the callbacks it runs: src/script/cpp_api/s_nodemeta.cpp,
-- s_inventory.cpp for detached inventories, s_player.cpp for the player's own inventory).
--
-- The allow_* callbacks limit the count, the stack moves (swapping when nothing fits), then on_move,
-- or on_put on the destination and on_take on the source. It mirrors C++, so its frames are never
-- shown to the callbacks it runs (chunks.lua); the driver (api.move_item) reads the host's arguments.
local core, I = ...
local H = I.host
local type, tostring, tonumber, ipairs, error = H.type, H.tostring, H.tonumber, H.ipairs, H.error
local floor = H.math.floor
local ssub = H.string.sub

local function same_location(a, b)
	if a.type ~= b.type then
		return false
	elseif a.type == "node" then
		return a.pos.x == b.pos.x and a.pos.y == b.pos.y and a.pos.z == b.pos.z
	end
	return a.name == b.name
end

local NODE_FIELDS = { allow_move = "allow_metadata_inventory_move", allow_put = "allow_metadata_inventory_put",
	allow_take = "allow_metadata_inventory_take", on_move = "on_metadata_inventory_move",
	on_put = "on_metadata_inventory_put", on_take = "on_metadata_inventory_take" }

local ACTION_NAMES = { move = "Move", put = "Put", take = "Take" }

-- The player's own inventory: every mod's callbacks in one list, given the action's name and an
-- `info` table per action (s_player.cpp: "move" {from_list, to_list, from_index, to_index, count},
-- "put"/"take" {listname, index, stack}) with the player's InvRef. The allow_* list runs as
-- core.run_callbacks' OR_SC mode: the first true-ish return ends it and counts where it is a number.
local function player_callbacks(loc, kind, info, stack, o)
	local allow = ssub(kind, 1, 5) == "allow"
	local action = ssub(kind, allow and 7 or 4) -- "move", "put" or "take"
	local inv_info
	if action == "move" then
		inv_info = { from_list = info.from_list, from_index = info.from_index, to_list = info.to_list,
			to_index = info.to_index, count = info.count }
	else
		inv_info = { listname = info.list, index = info.index, stack = stack }
	end
	local inv = I.invref({ location = loc })
	local fxn = "player_inventory_" .. (allow and "Allow" or "On") .. ACTION_NAMES[action]
	local list = I.registry(allow and "registered_allow_player_inventory_actions"
		or "registered_on_player_inventory_actions")
	for _, f in ipairs(list) do
		I.set_origin(f)
		local r = { I.callback(fxn, f, o.ref, action, inv, inv_info) }
		if allow and (not r[1] or r[2]) then
			local n = r[2]
			return type(n) == "number" and (n < 0 and -floor(-n) or floor(n)) or nil -- C++ int: truncated
		end
	end
	return nil
end

-- Run the `kind` callback ("allow_put", "on_take", ...) of a location. `info` carries the list,
-- index, stack and count. Returns the allow_* count (nil when there is no callback).
local function run_inv_callback(loc, kind, info, o)
	local stack = info.stack and I.new_stack(I.copy_record(info.stack))
	local res
	if loc.type == "node" then
		local def = I.node_def((I.node_at(loc.pos.x, loc.pos.y, loc.pos.z)))
		local f = type(def) == "table" and def[NODE_FIELDS[kind]] or nil
		if type(f) ~= "function" then
			return nil
		end
		local pos = I.vec(loc.pos.x, loc.pos.y, loc.pos.z)
		local fxn = (ssub(kind, 1, 5) == "allow" and "nodemeta_inventory_Allow" or "nodemeta_inventory_On")
		if kind == "allow_move" or kind == "on_move" then
			res = { I.callback(fxn, f, pos, info.from_list, info.from_index, info.to_list, info.to_index, info.count, o.ref) }
		else
			res = { I.callback(fxn, f, pos, info.list, info.index, stack, o.ref) }
		end
	elseif loc.type == "detached" then
		local entry = type(core.detached_inventories) == "table" and core.detached_inventories[loc.name]
		local f = type(entry) == "table" and entry[kind] or nil
		if type(f) ~= "function" then
			return nil
		end
		local inv = I.invref({ location = loc })
		local fxn = (ssub(kind, 1, 5) == "allow" and "detached_inventory_Allow" or "detached_inventory_On")
		if kind == "allow_move" or kind == "on_move" then
			res = { I.callback(fxn, f, inv, info.from_list, info.from_index, info.to_list, info.to_index, info.count, o.ref) }
		else
			res = { I.callback(fxn, f, inv, info.list, info.index, stack, o.ref) }
		end
	else
		return player_callbacks(loc, kind, info, stack, o)
	end
	if res[1] and ssub(kind, 1, 5) == "allow" then
		local n = tonumber(res[2])
		if n == nil then
			error(kind .. " callback did not return a number", 0)
		end
		return n
	end
	return nil
end

-- InventoryList::moveItem: take `count` (0: all), add into the slot; what does not fit goes back;
-- if nothing fitted, the two stacks swap. Returns the number moved.
local function move_stack(from, fi, to, ti, count)
	if from == to and fi == ti then
		return count
	end
	local src = from.slots[fi]
	local item = I.record_take(src, count == 0 and src.count or count)
	if item.count == 0 then
		return 0
	end
	local old = item.count
	item = I.record_add(to.slots[ti], item)
	if item.count > 0 then
		local nothing = item.count == old
		I.record_add(from.slots[fi], item)
		if nothing then
			from.slots[fi], to.slots[ti] = to.slots[ti], from.slots[fi]
		end
	end
	return old - item.count
end

-- The move of `count` items (0 or more than the stack: all of it) from slot `from_index` of list
-- `from_list` at location `floc` to slot `to_index` of `to_list` at `tloc`, by player object `o`.
-- Locations are {type = "player"|"detached", name} or {type = "node", pos}. Returns the number moved.
function I.move_item(o, floc, tloc, from_list, from_index, to_list, to_index, count)
	local finv, tinv = I.resolve_inventory(floc), I.resolve_inventory(tloc)
	local fl = finv and finv.lists[tostring(from_list)]
	local tl = tinv and tinv.lists[tostring(to_list)]
	from_index, to_index = floor(tonumber(from_index) or 0), floor(tonumber(to_index) or 0)
	if not fl or not tl or from_index < 1 or from_index > fl.size or to_index < 1 or to_index > tl.size then
		error("no such inventory slot", 0)
	end
	local src = fl.slots[from_index]
	count = floor(tonumber(count) or 0)
	if count <= 0 or count > src.count then
		count = src.count
	end
	if count == 0 then
		return 0
	end
	local moving = I.copy_record(src)
	moving.count = count
	local same = same_location(floc, tloc)
	-- nil: no callback; -1 from allow_take: "infinite" (the source keeps its items).
	local take_limit, put_limit
	if same then
		put_limit = run_inv_callback(floc, "allow_move", { from_list = tostring(from_list), from_index = from_index,
			to_list = tostring(to_list), to_index = to_index, count = count }, o)
	else
		put_limit = run_inv_callback(tloc, "allow_put", { list = tostring(to_list), index = to_index, stack = moving }, o)
		take_limit = run_inv_callback(floc, "allow_take", { list = tostring(from_list), index = from_index,
			stack = moving }, o)
	end
	if take_limit and take_limit ~= -1 and count > take_limit then
		count = take_limit
	end
	if put_limit and put_limit ~= -1 and count > put_limit then
		count = put_limit
	end
	if count <= 0 then
		return 0
	end
	local before = I.copy_record(src)
	local moved = move_stack(fl, from_index, tl, to_index, count)
	if take_limit == -1 then
		fl.slots[from_index] = I.copy_record(before)
	end
	local stack = I.copy_record(before)
	stack.count = moved
	if moved > 0 then
		if same then
			run_inv_callback(floc, "on_move", { from_list = tostring(from_list), from_index = from_index,
				to_list = tostring(to_list), to_index = to_index, count = moved }, o)
		else
			run_inv_callback(tloc, "on_put", { list = tostring(to_list), index = to_index, stack = stack }, o)
			run_inv_callback(floc, "on_take", { list = tostring(from_list), index = from_index, stack = stack }, o)
		end
	end
	return moved
end

-- IDropAction::apply: player `o` drops `count` items (0 or more than the stack: all of it) from slot
-- `index` of `listname` at `loc`. The take is asked (allow_take; -1: the source keeps its items),
-- the item's on_drop runs at the player's position (default core.item_drop: an item entity), as
-- many as its returned stack no longer holds leave the slot, then on_take. An item without on_drop
-- reports the whole slot to on_take and keeps it, as the engine does. Returns the number dropped.
function I.drop_item(o, loc, listname, index, count)
	local inv = I.resolve_inventory(loc)
	local list = inv and inv.lists[tostring(listname)]
	index = floor(tonumber(index) or 0)
	if not list or index < 1 or index > list.size then
		error("no such inventory slot", 0)
	end
	local src = list.slots[index]
	count = floor(tonumber(count) or 0)
	local take = (count > 0 and count < src.count) and count or src.count
	if take == 0 then
		return 0
	end
	local taking = I.copy_record(src)
	taking.count = take
	local info = { list = tostring(listname), index = index, stack = taking }
	local can = run_inv_callback(loc, "allow_take", info, o)
	if can and can ~= -1 and can < take then
		take = H.math.max(can, 0)
	end
	local reported = I.copy_record(list.slots[index]) -- as the callbacks left it
	local item = I.copy_record(reported)
	item.count = take
	local defs = I.registry("registered_items")
	local def = defs[item.name] or defs.unknown
	local on_drop = type(def) == "table" and def.on_drop or nil
	if type(on_drop) == "function" then
		local res = { I.callback("item_OnDrop", on_drop, I.new_stack(item), o.ref, I.vec(o.pos.x, o.pos.y, o.pos.z)) }
		if not res[1] then
			return 0 -- the server crashed
		end
		local left = take
		if res[2] ~= nil then -- read as an item; a value that is none crashes the server
			local ok, rec = I.callback("item_OnDrop", I.to_record, res[2])
			if not ok then
				return 0
			end
			left = rec.count
		end
		local dropped = take - left
		if dropped <= 0 then
			return 0
		end
		if can ~= -1 then
			I.record_take(list.slots[index], dropped)
		end
		reported.count = dropped
	end
	info.stack = reported
	run_inv_callback(loc, "on_take", info, o)
	return reported.count
end
