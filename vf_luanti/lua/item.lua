-- item.lua: the engine's interaction logic (engine: builtin/game/item.lua, item_s.lua, misc_s.lua,
-- item_entity.lua, and ToolCapabilities in src/tool.cpp), written from its documented
-- behaviour: placing, digging with drops and tool wear, punching, eating, dropping, the facedir /
-- wallmounted / fourdir helpers, and the builtin item entity (falling nodes: falling.lua).
--
-- Dispatch goes through core.* where the engine does (core.item_place_node, core.is_protected,
-- core.get_node_drops, core.handle_node_drops ...), so a mod overriding them changes the outcome.
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs = H.type, H.tostring, H.tonumber, H.pairs, H.ipairs
local floor, abs, max, min, random, atan2 = H.math.floor, H.math.abs, H.math.max, H.math.min, H.math.random,
	H.math.atan2
local sin, cos = H.math.sin, H.math.cos
local ssub, sfind, sgsub = H.string.sub, H.string.find, H.string.gsub

local vec = I.vec

local function pos_str(p)
	return "(" .. tostring(p.x) .. "," .. tostring(p.y) .. "," .. tostring(p.z) .. ")"
end

local function copy_pos(p)
	return p and vec(p.x, p.y, p.z)
end

local function copy_pointed(pt)
	return { type = pt.type, above = copy_pos(pt.above), under = copy_pos(pt.under), ref = pt.ref }
end

local function copy_node(n)
	return { name = n.name, param1 = n.param1, param2 = n.param2 }
end

local function nodes()
	return I.registry("registered_nodes")
end

local function optional(name)
	local f = H.rawget(core, name)
	return type(f) == "function" and f or nil
end

local function is_protected(pos, name)
	local f = optional("is_protected")
	return f ~= nil and f(pos, name) and true or false
end

local function protection_violation(pos, name)
	local f = optional("record_protection_violation")
	if f then
		f(pos, name)
	end
end

local function creative(name)
	local f = optional("is_creative_enabled")
	return f ~= nil and f(name) and true or false
end

local function play_sound(spec, params)
	local f = optional("sound_play")
	if f and spec then
		f(spec, params, true)
	end
end

local function user_name(user)
	return user and user:get_player_name() or ""
end

local function log_for(name)
	if name == "" then
		return function() end
	end
	return core.log
end

---------------------------------------------------------------------------------------------------
-- Stand-alone helpers (item_s.lua, misc_s.lua).

function core.inventorycube(img1, img2, img3)
	img2 = img2 or img1
	img3 = img3 or img1
	local function esc(s)
		return (sgsub(s, "%^", "&"))
	end
	return "[inventorycube{" .. esc(img1) .. "{" .. esc(img2) .. "{" .. esc(img3)
end

function core.get_item_group(name, group)
	local def = I.registry("registered_items")[name]
	if not def or not def.groups[group] then
		return 0
	end
	return def.groups[group]
end

function core.get_node_group(name, group)
	core.log("deprecated", "Deprecated usage of get_node_group, use get_item_group instead")
	return core.get_item_group(name, group)
end

function core.is_colored_paramtype(ptype)
	return ptype == "color" or ptype == "colorfacedir" or ptype == "colorwallmounted" or ptype == "colordegrotate"
end

local COLOR_DIVISOR = { color = 1, colorfacedir = 32, colorwallmounted = 8, colordegrotate = 32 }

function core.strip_param2_color(param2, paramtype2)
	local d = COLOR_DIVISOR[paramtype2]
	if not d then
		return nil
	end
	return floor(param2 / d) * d
end

function core.get_artificial_light(param1)
	return floor(param1 / 16)
end

-- Direction <-> param2 conversions. The *_to_dir tables are shared vectors, as in the engine.
function core.dir_to_facedir(dir, is6d)
	local ax, ay, az = abs(dir.x), abs(dir.y), abs(dir.z)
	if is6d and ay > ax and ay > az then
		if dir.y < 0 then
			if ax > az then
				return dir.x < 0 and 19 or 13
			end
			return dir.z < 0 and 10 or 4
		end
		if ax > az then
			return dir.x < 0 and 15 or 17
		end
		return dir.z < 0 and 6 or 8
	end
	if ax > az then
		return dir.x < 0 and 3 or 1
	end
	return dir.z < 0 and 2 or 0
end

local SIX_DIRS = { vec(0, 0, 1), vec(1, 0, 0), vec(0, 0, -1), vec(-1, 0, 0), vec(0, -1, 0), vec(0, 1, 0) }
-- Axis (param2 / 4) and rotation (param2 % 4) select one of the six directions.
local FACEDIR_DIR = { [0] = 1, 2, 3, 4, 5, 2, 6, 4, 6, 2, 5, 4, 1, 5, 3, 6, 1, 6, 3, 5, 1, 4, 3, 2 }

function core.facedir_to_dir(facedir)
	return SIX_DIRS[FACEDIR_DIR[facedir % 32]]
end

function core.dir_to_fourdir(dir)
	if abs(dir.x) > abs(dir.z) then
		return dir.x < 0 and 3 or 1
	end
	return dir.z < 0 and 2 or 0
end

function core.fourdir_to_dir(fourdir)
	return SIX_DIRS[FACEDIR_DIR[fourdir % 4]]
end

local WALLMOUNTED_DIR = { [0] = vec(0, 1, 0), vec(0, -1, 0), vec(1, 0, 0), vec(-1, 0, 0), vec(0, 0, 1),
	vec(0, 0, -1) }

function core.dir_to_wallmounted(dir)
	local ax, ay, az = abs(dir.x), abs(dir.y), abs(dir.z)
	if ay > max(ax, az) then
		return dir.y < 0 and 1 or 0
	elseif ax > az then
		return dir.x < 0 and 3 or 2
	end
	return dir.z < 0 and 5 or 4
end

function core.wallmounted_to_dir(wallmounted)
	return WALLMOUNTED_DIR[wallmounted % 8]
end

function core.dir_to_yaw(dir)
	return -atan2(dir.x, dir.z)
end

function core.yaw_to_dir(yaw)
	return vec(-sin(yaw), 0, cos(yaw))
end

function core.get_pointed_thing_position(pointed_thing, above)
	if pointed_thing.type == "node" then
		return above and pointed_thing.above or pointed_thing.under
	elseif pointed_thing.type == "object" then
		return pointed_thing.ref and pointed_thing.ref:get_pos()
	end
end

function core.itemstring_with_palette(item, palette_index)
	local stack = I.new_stack(I.to_record(item))
	stack:get_meta():set_int("palette_index", palette_index)
	return stack:to_string()
end

function core.itemstring_with_color(item, colorstring)
	local stack = I.new_stack(I.to_record(item))
	stack:get_meta():set_string("color", colorstring)
	return stack:to_string()
end

---------------------------------------------------------------------------------------------------
-- Tool capabilities: dig and hit parameters (src/tool.cpp).

local function group_value(groups, name)
	return type(groups) == "table" and tonumber(groups[name]) or 0
end

function I.dig_params(groups, caps, wear)
	if caps.groupcaps.dig_immediate == nil then
		local di = group_value(groups, "dig_immediate")
		if di == 2 then
			return { diggable = true, time = 0.5, wear = 0 }
		elseif di == 3 then
			return { diggable = true, time = 0, wear = 0 }
		end
	end
	local level = group_value(groups, "level")
	local res = { diggable = false, time = 0, wear = 0 }
	for group, cap in pairs(caps.groupcaps) do
		local leveldiff = cap.maxlevel - level
		local rating = group_value(groups, group)
		local time = cap.times[rating]
		if leveldiff >= 0 and rating ~= 0 and time then
			if leveldiff > 1 then
				time = time / leveldiff
			end
			if not res.diggable or time < res.time then
				res.diggable, res.time = true, time
				local uses = min(floor(cap.uses * 3 ^ leveldiff), 65535)
				res.wear = I.result_wear(uses, wear or 0)
			end
		end
	end
	return res
end

function core.get_dig_params(groups, tool_capabilities, wear)
	return I.dig_params(groups, I.read_toolcaps(tool_capabilities), tonumber(wear) or 0)
end

function core.get_hit_params(groups, tool_capabilities, time_from_last_punch, wear)
	local hp, w = I.hit_params(type(groups) == "table" and groups or {}, I.read_toolcaps(tool_capabilities),
		tonumber(time_from_last_punch), tonumber(wear) or 0)
	return { hp = hp, wear = w }
end

---------------------------------------------------------------------------------------------------
-- Drops.

local function has_all_groups(groups, required)
	if type(required) == "string" then
		return (groups[required] or 0) ~= 0
	end
	for _, g in ipairs(required) do
		if (groups[g] or 0) == 0 then
			return false
		end
	end
	return true
end

local function tool_ok(item, toolname)
	if item.tools == nil and item.tool_groups == nil then
		return true
	end
	if not toolname then
		return false
	end
	local ok = false
	if item.tools ~= nil then
		for _, tool in ipairs(item.tools) do
			if ssub(tool, 1, 1) == "~" then
				ok = sfind(toolname, ssub(tool, 2)) ~= nil
			else
				ok = toolname == tool
			end
			if ok then
				break
			end
		end
	end
	if item.tool_groups ~= nil then
		local tooldef = I.registry("registered_items")[toolname]
		if tooldef ~= nil and type(tooldef.groups) == "table" then
			if type(item.tool_groups) == "string" then
				ok = core.get_item_group(toolname, item.tool_groups) ~= 0
			else
				for _, required in ipairs(item.tool_groups) do
					ok = has_all_groups(tooldef.groups, required)
					if ok then
						break
					end
				end
			end
		end
	end
	return ok
end

function core.get_node_drops(node, toolname)
	local nodename, param2 = node, 0
	if type(node) == "table" then
		nodename, param2 = node.name, node.param2
	end
	local def = nodes()[nodename]
	local drop = def and def.drop
	local palette_index = core.strip_param2_color(param2, def and def.paramtype2)
	if drop == nil then
		if palette_index then
			return { core.itemstring_with_palette(nodename, palette_index) }
		end
		return { nodename }
	elseif type(drop) == "string" then
		return drop ~= "" and { drop } or {}
	elseif drop.items == nil then
		return {}
	end
	local got, count = {}, 0
	for _, item in ipairs(drop.items) do
		local rarity_ok = item.rarity == nil or item.rarity < 1 or random(item.rarity) == 1
		if rarity_ok and tool_ok(item, toolname) then
			count = count + 1
			for _, name in ipairs(item.items) do
				if item.inherit_color and palette_index then
					name = core.itemstring_with_palette(name, palette_index)
				end
				got[#got + 1] = name
			end
			if drop.max_items ~= nil and count == drop.max_items then
				break
			end
		end
	end
	return got
end

-- Drops go to the digger's main list; what does not fit is spawned as an item near the node.
function core.handle_node_drops(pos, drops, digger)
	local inv = digger and digger:get_inventory()
	for _, item in pairs(drops) do
		local left
		if inv then
			left = inv:add_item("main", item)
		else
			left = I.new_stack(I.to_record(item))
		end
		if not left:is_empty() then
			core.add_item(vec(pos.x + random() / 2 - 0.25, pos.y + random() / 2 - 0.25,
				pos.z + random() / 2 - 0.25), left)
		end
	end
end

---------------------------------------------------------------------------------------------------
-- Placing.

function core.item_place_node(itemstack, placer, pointed_thing, param2, prevent_after_place)
	local def = itemstack:get_definition()
	if def.type ~= "node" or pointed_thing.type ~= "node" then
		return itemstack, nil
	end
	local under, above = pointed_thing.under, pointed_thing.above
	local node_under, node_above = core.get_node_or_nil(under), core.get_node_or_nil(above)
	local playername = user_name(placer)
	local log = log_for(playername)
	if not node_under or not node_above then
		log("info", playername .. " tried to place node in unloaded position " .. pos_str(above))
		return itemstack, nil
	end
	local def_under = nodes()[node_under.name] or core.nodedef_default or {}
	local def_above = nodes()[node_above.name] or core.nodedef_default or {}
	if not def_above.buildable_to and not def_under.buildable_to then
		log("info", playername .. " tried to place node in invalid position " .. pos_str(above)
			.. ", replacing " .. node_above.name)
		return itemstack, nil
	end
	local place_to = copy_pos(def_under.buildable_to and under or above)
	if is_protected(place_to, playername) then
		log("action", playername .. " tried to place " .. def.name .. " at protected position " .. pos_str(place_to))
		protection_violation(place_to, playername)
		return itemstack, nil
	end
	local oldnode = core.get_node(place_to)
	local newnode = { name = def.name, param1 = 0, param2 = param2 or 0 }
	if def.place_param2 ~= nil then
		newnode.param2 = def.place_param2
	elseif (def.paramtype2 == "wallmounted" or def.paramtype2 == "colorwallmounted") and not param2 then
		newnode.param2 = core.dir_to_wallmounted(vec(under.x - above.x, under.y - above.y, under.z - above.z))
	elseif (def.paramtype2 == "facedir" or def.paramtype2 == "colorfacedir") and not param2 then
		local pp = placer and placer:get_pos()
		if pp then
			newnode.param2 = core.dir_to_facedir(vec(above.x - pp.x, above.y - pp.y, above.z - pp.z))
			log("info", "facedir: " .. newnode.param2)
		end
	elseif (def.paramtype2 == "4dir" or def.paramtype2 == "color4dir") and not param2 then
		local pp = placer and placer:get_pos()
		if pp then
			newnode.param2 = core.dir_to_fourdir(vec(above.x - pp.x, above.y - pp.y, above.z - pp.z))
		end
	end
	local palette = itemstack:get_meta():get("palette_index")
	local divisor = COLOR_DIVISOR[def.paramtype2]
	if palette and not def.place_param2 and divisor then
		local color = floor((tonumber(palette) or 0) / divisor)
		newnode.param2 = color * divisor + newnode.param2 % divisor
	end
	if core.get_item_group(def.name, "attached_node") ~= 0 and not I.check_attached_node(place_to, newnode) then
		log("action", "attached node " .. def.name .. " can not be placed at " .. pos_str(place_to))
		return itemstack, nil
	end
	log("action", playername .. " places node " .. def.name .. " at " .. pos_str(place_to))
	core.add_node(place_to, newnode)
	if playername ~= "" and def.sounds and def.sounds.place then
		play_sound(def.sounds.place, { pos = place_to, exclude_player = playername })
	end
	local take = true
	if def.after_place_node and not prevent_after_place then
		if def.after_place_node(copy_pos(place_to), placer, itemstack, copy_pointed(pointed_thing)) then
			take = false
		end
	end
	for _, callback in ipairs(I.registry("registered_on_placenodes")) do
		if callback(copy_pos(place_to), copy_node(newnode), placer, copy_node(oldnode), itemstack,
				copy_pointed(pointed_thing)) then
			take = false
		end
	end
	if take then
		itemstack:take_item()
	end
	return itemstack, place_to
end

function core.item_place_object(itemstack, placer, pointed_thing)
	local pos = core.get_pointed_thing_position(pointed_thing, true)
	if pos ~= nil then
		core.add_item(pos, itemstack:take_item())
	end
	return itemstack
end

function core.item_place(itemstack, placer, pointed_thing, param2)
	if pointed_thing.type == "node" and placer and not placer:get_player_control().sneak then
		local n = core.get_node(pointed_thing.under)
		local ndef = nodes()[n.name]
		if ndef and ndef.on_rightclick then
			return ndef.on_rightclick(pointed_thing.under, n, placer, itemstack, pointed_thing) or itemstack, nil
		end
	end
	if itemstack:get_definition().type == "node" then
		return core.item_place_node(itemstack, placer, pointed_thing, param2)
	end
	return itemstack, nil
end

function core.item_secondary_use(itemstack)
	return itemstack
end

-- rotate_and_place: facedir from the placer's look, on walls and ceilings as the engine orients.
local WALL_FACEDIR = { 9, 18, 7, 12 }
local CEILING_FACEDIR = { 20, 23, 22, 21 }

function core.rotate_and_place(itemstack, placer, pointed_thing, infinitestacks, orient_flags,
		prevent_after_place)
	orient_flags = orient_flags or {}
	local unode = core.get_node_or_nil(pointed_thing.under)
	if not unode then
		return
	end
	local udef = nodes()[unode.name]
	local sneaking = placer and placer:get_player_control().sneak
	if udef and udef.on_rightclick and not sneaking then
		return udef.on_rightclick(pointed_thing.under, unode, placer, itemstack, pointed_thing)
	end
	local fdir = placer and core.dir_to_facedir(placer:get_look_dir()) or 0
	local wall = pointed_thing.above.y == pointed_thing.under.y
	local ceiling = not wall and pointed_thing.above.y < pointed_thing.under.y
	if udef and udef.buildable_to then
		wall = false
	end
	if orient_flags.force_floor then
		wall, ceiling = false, false
	elseif orient_flags.force_ceiling then
		wall, ceiling = false, true
	elseif orient_flags.force_wall then
		wall, ceiling = true, false
	elseif orient_flags.invert_wall then
		wall = not wall
	end
	local param2 = fdir
	if wall then
		param2 = WALL_FACEDIR[fdir + 1]
	elseif ceiling then
		param2 = orient_flags.force_facedir and 20 or CEILING_FACEDIR[fdir + 1]
	elseif orient_flags.force_facedir then
		param2 = 0
	end
	local old = I.new_stack(I.to_record(itemstack))
	local new = core.item_place_node(itemstack, placer, pointed_thing, param2, prevent_after_place)
	return infinitestacks and old or new
end

function core.rotate_node(itemstack, placer, pointed_thing)
	local name = user_name(placer)
	local invert = placer and placer:get_player_control().sneak or false
	return core.rotate_and_place(itemstack, placer, pointed_thing, creative(name), { invert_wall = invert }, true)
end

---------------------------------------------------------------------------------------------------
-- Dropping, picking up, eating.

function core.item_drop(itemstack, dropper, pos)
	local is_player = dropper and dropper:is_player()
	local p = { x = pos.x, y = pos.y, z = pos.z }
	if is_player then
		p.y = p.y + 1.2
	end
	local item = itemstack:take_item(itemstack:get_count())
	local obj = core.add_item(p, item)
	if obj then
		if is_player then
			local dir = dropper:get_look_dir()
			obj:set_velocity(vec(dir.x * 2.9, dir.y * 2.9 + 2, dir.z * 2.9))
			local ent = obj:get_luaentity()
			if ent then
				ent.dropped_by = dropper:get_player_name()
			end
		end
		return itemstack
	end
end

-- 5.7: register_on_item_pickup callbacks may take over; otherwise the picker's main list gets it.
function core.item_pickup(itemstack, picker, pointed_thing, time_from_last_punch, ...)
	itemstack = I.new_stack(I.to_record(itemstack))
	for _, callback in ipairs(I.registry("registered_on_item_pickups")) do
		local result = callback(I.new_stack(I.to_record(itemstack)), picker, pointed_thing, time_from_last_punch, ...)
		if result then
			return I.new_stack(I.to_record(result))
		end
	end
	local inv = picker and picker:get_inventory()
	if inv then
		return inv:add_item("main", itemstack)
	end
	return itemstack
end

function core.do_item_eat(hp_change, replace_with_item, itemstack, user, pointed_thing)
	for _, callback in pairs(I.registry("registered_on_item_eats")) do
		local result = callback(hp_change, replace_with_item, itemstack, user, pointed_thing)
		if result then
			return result
		end
	end
	local def = itemstack:get_definition()
	if itemstack:take_item():is_empty() then
		return itemstack
	end
	if def and def.sound and def.sound.eat then
		play_sound(def.sound.eat, { pos = user:get_pos(), max_hear_distance = 16 })
	end
	if replace_with_item then
		if itemstack:is_empty() then
			itemstack:add_item(replace_with_item)
		else
			local inv = user:get_inventory()
			if inv and inv:room_for_item("main", { name = replace_with_item }) then
				inv:add_item("main", replace_with_item)
			else
				local pos = user:get_pos()
				pos.y = floor(pos.y + 0.5)
				core.add_item(pos, replace_with_item)
			end
		end
	end
	user:set_wielded_item(itemstack)
	user:set_hp(user:get_hp() + hp_change)
	return nil
end

function core.item_eat(hp_change, replace_with_item)
	return function(itemstack, user, pointed_thing)
		if user then
			return core.do_item_eat(hp_change, replace_with_item, itemstack, user, pointed_thing)
		end
	end
end

---------------------------------------------------------------------------------------------------
-- Punching and digging nodes.

function core.node_punch(pos, node, puncher, pointed_thing)
	for _, callback in ipairs(I.registry("registered_on_punchnodes")) do
		callback(copy_pos(pos), copy_node(node), puncher, pointed_thing and copy_pointed(pointed_thing) or nil)
	end
end

function core.node_dig(pos, node, digger)
	local diggername = user_name(digger)
	local log = log_for(diggername)
	local def = nodes()[node.name]
	if def and (not def.diggable or (def.can_dig and not def.can_dig(copy_pos(pos), digger))) then
		log("info", diggername .. " tried to dig " .. node.name .. " which is not diggable " .. pos_str(pos))
		return false
	end
	if is_protected(pos, diggername) then
		log("action", diggername .. " tried to dig " .. node.name .. " at protected position " .. pos_str(pos))
		protection_violation(pos, diggername)
		return false
	end
	log("action", diggername .. " digs " .. node.name .. " at " .. pos_str(pos))
	local wielded = digger and digger:get_wielded_item()
	local drops = core.get_node_drops(node, wielded and wielded:get_name())
	if wielded then
		local wdef = wielded:get_definition()
		local dp = core.get_dig_params(def and def.groups, wielded:get_tool_capabilities(), wielded:get_wear())
		if wdef and wdef.after_use then
			wielded = wdef.after_use(wielded, digger, node, dp) or wielded
		elseif not creative(diggername) then
			wielded:add_wear(dp.wear)
			if wielded:get_count() == 0 and wdef.sound and wdef.sound.breaks then
				play_sound(wdef.sound.breaks, { pos = pos, gain = 0.5 })
			end
		end
		digger:set_wielded_item(wielded)
	end
	if def and def.preserve_metadata then
		local oldmeta = core.get_meta(pos):to_table().fields
		local stacks = {}
		for k, v in pairs(drops) do
			stacks[k] = I.new_stack(I.to_record(v))
		end
		drops = stacks
		def.preserve_metadata(copy_pos(pos), copy_node(node), oldmeta, drops)
	end
	core.handle_node_drops(pos, drops, digger)
	local oldmetadata
	if def and def.after_dig_node then
		oldmetadata = core.get_meta(pos):to_table()
	end
	core.remove_node(pos)
	if diggername ~= "" and def and def.sounds and def.sounds.dug then
		play_sound(def.sounds.dug, { pos = pos, exclude_player = diggername })
	end
	if def and def.after_dig_node then
		def.after_dig_node(copy_pos(pos), copy_node(node), oldmetadata, digger)
	end
	for _, callback in ipairs(I.registry("registered_on_dignodes")) do
		callback(copy_pos(pos), copy_node(node), digger)
	end
	return true
end

---------------------------------------------------------------------------------------------------
-- The builtin entities' behaviour (simplified: items do not merge on their own (try_merge_with is
-- there for mods), float out of nodes or get pushed; they fall, age out after item_entity_ttl =
-- 900 s, and go to the puncher's inventory).

local TTL = 900
local GRAVITY = 9.81

local item_entity = {
	initial_properties = {
		hp_max = 1, physical = true, collide_with_objects = false,
		collisionbox = { -0.3, -0.3, -0.3, 0.3, 0.3, 0.3 }, visual = "wielditem",
		visual_size = { x = 0.4, y = 0.4 }, textures = { "" }, is_visible = false,
	},
	itemstring = "",
	age = 0,
	-- The fields and helpers mods call on item entities (moving_state, physical_state and the
	-- physics switches, try_merge_with), as builtin/game/item_entity.lua has them.
	moving_state = true,
	physical_state = true,
	enable_physics = function(self)
		if not self.physical_state then
			self.physical_state = true
			self.object:set_properties({ physical = true })
			self.object:set_velocity(vec(0, 0, 0))
			self.object:set_acceleration(vec(0, -GRAVITY, 0))
		end
	end,
	disable_physics = function(self)
		if self.physical_state then
			self.physical_state = false
			self.object:set_properties({ physical = false })
			self.object:set_velocity(vec(0, 0, 0))
			self.object:set_acceleration(vec(0, 0, 0))
		end
	end,
	-- Take the other item entity's stack into this one when it is the same item (name, meta, wear)
	-- and fits in one stack; the other entity goes. Entities of the same age are not merged (an
	-- entity is never merged with itself).
	try_merge_with = function(self, own_stack, object, entity)
		if self.age == entity.age then
			return false
		end
		local other = I.G.ItemStack(entity.itemstring)
		if own_stack:get_name() ~= other:get_name() or own_stack:get_meta() ~= other:get_meta()
				or own_stack:get_wear() ~= other:get_wear() or own_stack:get_free_space() == 0 then
			return false
		end
		local mine, stack_max = own_stack:get_count(), other:get_stack_max()
		local total = mine + other:get_count()
		if total > stack_max then
			return false
		end
		local pos = object:get_pos()
		pos.y = pos.y + (total - mine) / stack_max * 0.15
		self.object:move_to(pos)
		self.age = 0
		own_stack:set_count(total)
		self:set_item(own_stack)
		entity.itemstring = ""
		object:remove()
		return true
	end,
	set_item = function(self, item)
		local stack = I.to_record(item or self.itemstring)
		self.itemstring = I.record_to_string(stack)
		if self.itemstring == "" then
			return
		end
		self.object:set_properties({ is_visible = true, textures = { stack.name }, wield_item = self.itemstring })
	end,
	get_staticdata = function(self)
		return core.serialize({ itemstring = self.itemstring, age = self.age, dropped_by = self.dropped_by })
	end,
	on_activate = function(self, staticdata, dtime_s)
		if ssub(staticdata, 1, 6) == "return" then
			local data = core.deserialize(staticdata)
			if type(data) == "table" then
				self.itemstring = data.itemstring
				self.age = (data.age or 0) + dtime_s
				self.dropped_by = data.dropped_by
			end
		else
			self.itemstring = staticdata
		end
		self.object:set_armor_groups({ immortal = 1 })
		self.object:set_velocity(vec(0, 2, 0))
		self.object:set_acceleration(vec(0, -GRAVITY, 0))
		self._collisionbox = self.initial_properties.collisionbox -- an instance field, as in the engine
		self:set_item()
	end,
	on_step = function(self, dtime)
		self.age = self.age + dtime
		if TTL > 0 and self.age > TTL then
			self.itemstring = ""
			self.object:remove()
		end
	end,
	on_punch = function(self, hitter)
		local inv = hitter and hitter:get_inventory()
		if inv and self.itemstring ~= "" then
			local left = inv:add_item("main", self.itemstring)
			if left and not left:is_empty() then
				self:set_item(left)
				return
			end
		end
		self.itemstring = ""
		self.object:remove()
	end,
}

function core.spawn_item(pos, item)
	local obj = core.add_entity(pos, "__builtin:item")
	if obj and obj:get_luaentity() then
		obj:get_luaentity():set_item(I.record_to_string(I.to_record(item)))
	end
	return obj
end

-- The registration API registers the two builtin entities; they get this behaviour (fields the
-- registered prototype lacks). If it has not registered them, they are registered here.
local function give_behaviour(name, proto)
	local ents = H.rawget(core, "registered_entities")
	local registered = type(ents) == "table" and ents[name]
	if type(registered) == "table" then
		for k, v in pairs(proto) do
			if H.rawget(registered, k) == nil then
				registered[k] = v
			end
		end
	elseif optional("register_entity") then
		core.register_entity(":" .. name, proto)
	end
end
-- name -> behaviour of the builtin entities (falling.lua adds the falling node's)
I.builtin_entity_defs = { ["__builtin:item"] = item_entity }
function I.builtin_entities()
	for name, proto in pairs(I.builtin_entity_defs) do
		give_behaviour(name, proto)
	end
end
I.builtin_entities()

