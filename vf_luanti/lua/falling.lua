-- falling.lua: falling and attached nodes (engine: builtin/game/falling.lua), written from its
-- behaviour: the __builtin:falling_node entity (float group on liquids, leveled nodes stacking their
-- levels, what is in the way dug or the node dropped as items, the on_step landing rules),
-- spawn_falling_node, check_single_for_falling / check_for_falling, and builtin's node hooks that
-- let neighbours fall after a change.
--
-- Like builtin, it calls core.* as looked up at call time (a mod overriding core.add_node_level or
-- core.get_node_drops changes the outcome) and reads core.registered_nodes live.
local core, I = ...
local H = I.host
local type, pairs, ipairs, tonumber = H.type, H.pairs, H.ipairs, H.tonumber
local floor, abs, pi, random = H.math.floor, H.math.abs, H.math.pi, H.math.random

local vec = I.vec
local SCALE = 0.667

-- facedir (0..23) -> the entity rotation showing the node that way (pitch x, yaw y, roll z).
local FACEDIR_EULER = {}
do
	local h = pi / 2
	local rows = { { 0, 0, 0 }, { 0, -h, 0 }, { 0, pi, 0 }, { 0, h, 0 }, { -h, h, h }, { pi, h, h }, { h, h, h },
		{ 0, h, h }, { h, -h, h }, { 0, -h, h }, { -h, -h, h }, { pi, -h, h }, { 0, 0, h }, { -h, 0, h },
		{ pi, 0, h }, { h, 0, h }, { pi, pi, h }, { h, pi, h }, { 0, pi, h }, { -h, pi, h }, { pi, pi, 0 },
		{ pi, -h, 0 }, { pi, 0, 0 }, { pi, h, 0 } }
	for i, r in ipairs(rows) do
		FACEDIR_EULER[i] = { x = r[1], y = r[2], z = r[3] }
	end
end

local function round(v)
	return v >= 0 and floor(v + 0.5) or -floor(-v + 0.5)
end

local function round_pos(p)
	return vec(round(p.x), round(p.y), round(p.z))
end

local function copy_pos(p)
	return vec(p.x, p.y, p.z)
end

local gravity = tonumber(core.settings:get("movement_gravity")) or 9.81

-- Wallmounted rotation (param2 % 8) of a falling wallmounted or signlike node: pitch, yaw, roll.
local function wallmounted_rotation(def, param2)
	local rot = param2 % 8
	if def.drawtype == "signlike" and def.paramtype2 ~= "wallmounted" and def.paramtype2 ~= "colorwallmounted" then
		rot = 1 -- a signlike node without wallmounted param2 lies on the floor
	end
	local pitch, yaw, roll = 0, 0, 0
	if def.drawtype == "nodebox" or def.drawtype == "mesh" then
		local t = ({ [0] = { pi / 2, 0 }, { -pi / 2, pi }, { 0, pi / 2 }, { 0, -pi / 2 }, { 0, pi } })[rot]
		if t then
			pitch, yaw = t[1], t[2]
		end
	else
		local t = ({ { pi, pi }, { pi / 2, pi / 2 }, { pi / 2, -pi / 2 }, { pi / 2, pi }, { pi / 2, 0 } })[rot]
		if t then
			pitch, yaw = t[1], t[2]
		end
	end
	if def.drawtype == "signlike" then
		pitch = pitch - pi / 2
		if rot == 0 then
			yaw = yaw + pi / 2
		elseif rot == 1 then
			yaw = yaw - pi / 2
		end
	elseif def.drawtype == "mesh" or def.drawtype == "normal" or def.drawtype == "nodebox" then
		if rot <= 1 then
			roll = roll + pi
		else
			yaw = yaw + pi
		end
	end
	return { x = pitch, y = yaw, z = roll }
end

-- The entity's looks for node `node` of definition `def`: sprite or wield item, its collision box
-- (a single fixed/leveled/connected node box), its rotation.
local function show_node(self, node, def)
	local obj = self.object
	if def.drawtype == "torchlike" or def.drawtype == "signlike" then
		local textures
		local tile = def.tiles and def.tiles[1]
		if tile then
			if type(tile) == "table" then
				tile = tile.name
			end
			local flipped = "(" .. tile .. ")^[transformFX"
			textures = def.drawtype == "torchlike" and { flipped, tile } or { tile, flipped }
		end
		local s = def.visual_scale
		obj:set_properties({ is_visible = true, visual = "upright_sprite", visual_size = s and vec(s, s, s),
			textures = textures, glow = def.light_source })
	elseif def.drawtype ~= "airlike" then
		local itemstring = node.name
		if core.is_colored_paramtype(def.paramtype2) then
			itemstring = core.itemstring_with_palette(itemstring, node.param2)
		end
		local s = (def.visual_scale or 1) * SCALE
		local size = { x = s, y = s, z = s }
		if def.wield_scale then -- the wield item is drawn at wield_scale: compensate
			size = { x = s / def.wield_scale.x, y = s / def.wield_scale.y, z = s / def.wield_scale.z }
		end
		obj:set_properties({ is_visible = true, wield_item = itemstring, visual_size = size, glow = def.light_source })
	end

	local nb = def.node_box
	if def.drawtype == "nodebox" and nb and (nb.type == "fixed" or nb.type == "leveled" or nb.type == "connected")
			and nb.fixed then
		local box = nb.fixed
		if type(box[1]) == "table" then
			box = #box == 1 and box[1] or nil -- only a single box can be a collision box
		end
		box = box and { box[1], box[2], box[3], box[4], box[5], box[6] } -- a copy: the level edits it
		if box then
			if def.paramtype2 == "leveled" and (node.level or 0) > 0 then
				box[5] = -0.5 + node.level / 64
			end
			obj:set_properties({ collisionbox = box })
		end
	end

	if def.drawtype == "torchlike" then
		obj:set_yaw(pi * 0.25)
		return
	end
	local no_wield_image = def.wield_image == "" or def.wield_image == nil
	if not (((node.param2 ~= 0 or def.drawtype == "nodebox" or def.drawtype == "mesh") and no_wield_image)
			or def.drawtype == "signlike" or def.drawtype == "mesh" or def.drawtype == "normal"
			or def.drawtype == "nodebox") then
		return
	end
	local p2type = def.paramtype2
	if p2type == "facedir" or p2type == "colorfacedir" then
		obj:set_rotation(FACEDIR_EULER[node.param2 % 32 % 24 + 1])
	elseif def.drawtype ~= "plantlike" and def.drawtype ~= "plantlike_rooted"
			and (p2type == "wallmounted" or p2type == "colorwallmounted" or def.drawtype == "signlike") then
		obj:set_rotation(wallmounted_rotation(def, node.param2))
	elseif def.drawtype == "mesh" and p2type == "degrotate" then
		obj:set_yaw((node.param2 - (def.place_param2 or 0)) % 240 / 240 * (pi * 2))
	elseif def.drawtype == "mesh" and p2type == "colordegrotate" then
		obj:set_yaw((node.param2 % 32 - (def.place_param2 or 0) % 32) % 24 / 24 * (pi * 2))
	end
end

local falling_entity = {
	initial_properties = {
		visual = "item", visual_size = vec(SCALE, SCALE, SCALE), textures = {}, physical = true,
		is_visible = false, collide_with_objects = true, collisionbox = { -0.5, -0.5, -0.5, 0.5, 0.5, 0.5 },
	},
	node = {},
	meta = {},
	floats = false,

	set_node = function(self, node, meta)
		node.param2 = node.param2 or 0
		self.node = node
		meta = meta or {}
		if type(meta.to_table) == "function" then
			meta = meta:to_table()
		end
		-- staticdata is serialized: inventory stacks become item strings
		for _, list in pairs(meta.inventory or {}) do
			for i, stack in pairs(list) do
				if type(stack) == "userdata" then
					list[i] = stack:to_string()
				end
			end
		end
		local def = core.registered_nodes[node.name]
		if not def then
			core.log("info", "Unknown falling node removed at " .. core.pos_to_string(self.object:get_pos()))
			self.object:remove()
			return
		end
		self.meta = meta
		self.floats = core.get_item_group(node.name, "float") ~= 0 -- floats on liquids
		show_node(self, node, def)
	end,

	get_staticdata = function(self)
		return core.serialize({ node = self.node, meta = self.meta })
	end,

	on_activate = function(self, staticdata)
		self.object:set_armor_groups({ immortal = 1 })
		self.object:set_acceleration(vec(0, -gravity, 0))
		local ds = core.deserialize(staticdata)
		if ds and ds.node then
			self:set_node(ds.node, ds.meta)
		elseif ds then
			self:set_node(ds)
		elseif staticdata ~= "" then
			self:set_node({ name = staticdata })
		end
	end,

	-- Become the node at or above `bcp` (the node `bcn` it landed on). A leveled node of the same
	-- name takes the falling node's level instead; a buildable_to node is replaced (not a liquid by
	-- a floating node); anything else but air or liquid in the target is dug (protection may keep
	-- it: then placing fails) or removed. Returns whether the falling node is done with.
	try_place = function(self, bcp, bcn)
		local bcd = core.registered_nodes[bcn.name]
		if bcd and bcd.paramtype2 == "leveled" and bcn.name == self.node.name then
			local addlevel = self.node.level
			if (addlevel or 0) <= 0 then
				addlevel = bcd.leveled
			end
			if core.add_node_level(bcp, addlevel) < addlevel then
				return true
			elseif bcd.buildable_to then
				return true -- the node is full: the falling level is lost
			end
		end

		local np = copy_pos(bcp)
		if bcd and bcd.buildable_to and (not self.floats or bcd.liquidtype == "none") then
			core.remove_node(bcp)
		else
			np.y = np.y + 1
		end

		local n2 = core.get_node(np)
		local nd = core.registered_nodes[n2.name]
		if n2.name ~= "air" and (not nd or nd.liquidtype == "none") then
			if nd and nd.buildable_to == false then
				nd.on_dig(np, n2, nil)
				if core.get_node(np).name == n2.name then
					return false -- still there: protected
				end
			else
				core.remove_node(np)
			end
		end

		local def = core.registered_nodes[self.node.name]
		if def then
			core.add_node(np, self.node)
			if self.meta then
				core.get_meta(np):from_table(self.meta)
			end
			if def.sounds and def.sounds.place then
				core.sound_play(def.sounds.place, { pos = np }, true)
			end
		end
		core.check_for_falling(np)
		return true
	end,

	on_step = function(self, dtime, moveresult)
		-- liquids do not collide: a floating node looks below itself
		if self.floats then
			local pos = self.object:get_pos()
			local bcp = round_pos(vec(pos.x, pos.y - 0.7, pos.z))
			local bcn = core.get_node(bcp)
			local bcd = core.registered_nodes[bcn.name]
			if bcd and bcd.liquidtype ~= "none" and self:try_place(bcp, bcn) then
				self.object:remove()
				return
			end
		end

		H.assert(moveresult)
		if not moveresult.collides then
			return
		end

		-- the node below, from the first vertical node collision (a player below is fallen through)
		local bcp, bcn, player_collision
		if moveresult.touching_ground then
			for _, info in ipairs(moveresult.collisions) do
				if info.type == "object" then
					if info.axis == "y" and info.object:is_player() then
						player_collision = info
					end
				elseif info.axis == "y" then
					bcp = info.node_pos
					bcn = core.get_node(bcp)
					break
				end
			end
		end
		if not bcp then
			if player_collision then
				local vel = self.object:get_velocity()
				self.object:set_velocity(vec(vel.x, player_collision.old_velocity.y, vel.z))
				local p = self.object:get_pos()
				self.object:set_pos(vec(p.x, p.y - 0.5, p.z))
			end
			return
		elseif bcn.name == "ignore" then
			self.object:remove() -- the world's edge
			return
		end

		local failure = false
		local pos = self.object:get_pos()
		if abs(pos.x - bcp.x) >= 1 or abs(pos.z - bcp.z) >= 1 then
			failure = true -- landed on a part of a node sticking out: dropped, not teleported
		elseif abs(pos.y - bcp.y) >= 2 then
			-- a door's bottom node is reported for its solid hidden top: check the node above
			bcp.y = bcp.y + 1
			bcn = core.get_node(bcp)
			local def = core.registered_nodes[bcn.name]
			if not (def and def.walkable) then
				failure = true
			end
		end
		if not failure then
			failure = not self:try_place(bcp, bcn)
		end
		if failure then
			for _, item in pairs(core.get_node_drops(self.node, "")) do
				core.add_item(pos, item)
			end
		end
		self.object:remove()
	end,
}

I.builtin_entity_defs["__builtin:falling_node"] = falling_entity
I.builtin_entities()

local function convert_to_falling_node(pos, node)
	local obj = core.add_entity(pos, "__builtin:falling_node")
	if not obj then
		return false
	end
	node.level = core.get_node_level(pos) -- set_node keeps it
	local meta = core.get_meta(pos)
	local metatable = meta and meta:to_table() or {}
	local def = core.registered_nodes[node.name]
	if def and def.sounds and def.sounds.fall then
		core.sound_play(def.sounds.fall, { pos = pos }, true)
	end
	obj:get_luaentity():set_node(node, metatable)
	core.remove_node(pos)
	return true, obj
end

function core.spawn_falling_node(pos)
	local node = core.get_node(pos)
	if node.name == "air" or node.name == "ignore" then
		return false
	end
	return convert_to_falling_node(pos, node)
end

-- An attached node that lost its support: its drops (through preserve_metadata) scattered around it.
local function drop_attached_node(p)
	local n = core.get_node(p)
	local drops = core.get_node_drops(n, "")
	local def = core.registered_items[n.name]
	if def and def.preserve_metadata then
		local oldmeta = core.get_meta(p):to_table().fields
		local stacks = {}
		for k, v in pairs(drops) do
			stacks[k] = I.G.ItemStack(v)
		end
		drops = stacks
		def.preserve_metadata(copy_pos(p), { name = n.name, param1 = n.param1, param2 = n.param2 }, oldmeta, drops)
	end
	if def and def.sounds and def.sounds.fall then
		core.sound_play(def.sounds.fall, { pos = p }, true)
	end
	core.remove_node(p)
	for _, item in pairs(drops) do
		core.add_item(vec(p.x + random() / 2 - 0.25, p.y + random() / 2 - 0.25, p.z + random() / 2 - 0.25), item)
	end
end

-- Whether attached node `n` at `p` still has its support: the node it hangs on (wallmounted: by
-- param2, an out-of-range param2 as 0; else the node below) is walkable or unknown. item.lua's
-- placing asks the same.
function I.check_attached_node(p, n)
	local def = core.registered_nodes[n.name]
	local d = vec(0, -1, 0)
	if def.paramtype2 == "wallmounted" or def.paramtype2 == "colorwallmounted" then
		d = core.wallmounted_to_dir(n.param2) or vec(0, 1, 0)
	end
	local def2 = core.registered_nodes[core.get_node(vec(p.x + d.x, p.y + d.y, p.z + d.z)).name]
	return not (def2 and not def2.walkable)
end

function core.check_single_for_falling(p)
	local n = core.get_node(p)
	if core.get_item_group(n.name, "falling_node") ~= 0 then
		local p_bottom = vec(p.x, p.y - 1, p.z)
		local n_bottom = core.get_node_or_nil(p_bottom) -- only over a loaded node
		local d_bottom = n_bottom and core.registered_nodes[n_bottom.name]
		if d_bottom then
			local same = n.name == n_bottom.name
			-- a leveled node falls into one of its kind below that has room
			if same and d_bottom.paramtype2 == "leveled"
					and core.get_node_level(p_bottom) < core.get_node_max_level(p_bottom) then
				convert_to_falling_node(p, n)
				return true
			end
			if not same and (not d_bottom.walkable or d_bottom.buildable_to)
					and (core.get_item_group(n.name, "float") == 0 or d_bottom.liquidtype == "none") then
				convert_to_falling_node(p, n)
				return true
			end
		end
	end
	if core.get_item_group(n.name, "attached_node") ~= 0 and not I.check_attached_node(p, n) then
		drop_attached_node(p)
		return true
	end
	return false
end

-- The neighbours a change may make fall, in builtin's order: below first, the sides, the node
-- itself, above last (so a pile above falls all at once).
local NEIGHBOURS = { vec(-1, -1, 0), vec(1, -1, 0), vec(0, -1, -1), vec(0, -1, 1), vec(0, -1, 0), vec(-1, 0, 0),
	vec(1, 0, 0), vec(0, 0, 1), vec(0, 0, -1), vec(0, 0, 0), vec(0, 1, 0) }
local LAST = #NEIGHBOURS

-- A depth-first walk: a neighbour that changed is walked from the start of the list, then the walk
-- goes on where it left its parent.
function core.check_for_falling(p)
	p = round_pos(p)
	local stack, n, v = {}, 0, 1
	while true do
		n = n + 1
		stack[n] = { p = p, v = v }
		local d = NEIGHBOURS[v]
		p = vec(p.x + d.x, p.y + d.y, p.z + d.z)
		if core.check_single_for_falling(p) then
			v = 1
		else
			repeat
				local top = stack[n]
				p, v = top.p, top.v
				stack[n] = nil
				n = n - 1
				if n == 0 and v == LAST then
					return
				end
			until v < LAST
			v = v + 1
		end
	end
end

-- Builtin's node hooks (one function each): anything placed, dug or punched lets its neighbours fall.
for _, register in ipairs({ "register_on_placenode", "register_on_dignode", "register_on_punchnode" }) do
	core[register](function(p)
		core.check_for_falling(p)
	end)
end
