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
		local action = ssub(kind, -4) == "move" and "move" or ssub(kind, -3)
		local inv_info
		if action == "move" then
			inv_info = { from_list = info.from_list, from_index = info.from_index, to_list = info.to_list,
				to_index = info.to_index, count = info.count }
		else
			inv_info = { listname = info.list, index = info.index, stack = stack }
		end
		local inv = I.invref({ location = loc })
		local list = I.registry(ssub(kind, 1, 5) == "allow" and "registered_allow_player_inventory_actions"
			or "registered_on_player_inventory_actions")
		local limit
		for _, f in ipairs(list) do
			local r = { I.callback(ssub(kind, 1, 5) == "allow" and "player_inventory_AllowMove" or "player_inventory_OnMove",
				f, o.ref, action, inv, inv_info) }
			if ssub(kind, 1, 5) == "allow" and r[1] and tonumber(r[2]) then
				limit = limit and H.math.min(limit, tonumber(r[2])) or tonumber(r[2])
			end
		end
		return limit
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
