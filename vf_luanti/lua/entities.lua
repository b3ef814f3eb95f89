-- entities.lua: LuaEntities: spawning and activation (initial properties, on_activate), the HP of
-- an entity (on_death), dropped items, the per-step physics and on_step (engine:
-- src/server/luaentity_sao.cpp, src/script/cpp_api/s_entity.cpp, l_env.cpp for add_entity /
-- add_item). Unloading and reloading through staticdata is in driver.lua and persist.lua.
local core, I = ...
local H = I.host
local type, tostring, tonumber, ipairs, error, rawget, setmetatable = H.type, H.tostring, H.tonumber, H.ipairs,
	H.error, H.rawget, H.setmetatable
local floor, min, max = H.math.floor, H.math.min, H.math.max
local read_v3f = I.read_v3f

-- The environment exists (at load time the engine's entity functions return nothing).
local function running()
	return I.phase == "run"
end

-- An entity's HP changes (LuaEntitySAO::setHP through I.set_hp and punches): at 0 it is detached,
-- on_death(self, killer) runs and it is removed.
function I.set_entity_hp(o, hp, reason)
	o.hp = max(0, min(65535, floor(hp)))
	if o.hp == 0 and not o.removed then
		I.clear_parent_attachment(o)
		I.clear_child_attachments(o)
		local ent = o.luaentity
		local on_death = ent and ent.on_death
		if type(on_death) == "function" then
			local killer = reason and reason.type == "punch" and reason.object or nil
			on_death(ent, killer)
		end
		I.remove_object(o)
	end
end

-- The prototype's own fields first (the deprecated way), then its initial_properties, as 5.6.1's
-- luaentity_GetProperties reads them.
local function initial_properties(proto)
	local props = I.default_properties()
	I.read_properties(props, proto)
	local src = proto.initial_properties
	if type(src) == "table" then
		I.read_properties(props, src)
	end
	return props
end

-- core.add_entity: a LuaEntity whose metatable is the registered prototype; on_activate runs at once.
-- `saved` (a static object loaded from the map, persist.lua): its hp, velocity and rotation, set
-- before on_activate as LuaEntitySAO's constructor reads them from the static data.
function I.add_entity(pos, name, staticdata, dtime_s, saved)
	local o = I.new_object("entity", read_v3f(pos))
	o.entity_name = name
	local proto = rawget(I.registry("registered_entities"), name)
	if type(proto) ~= "table" then
		local text = 'LuaEntity name "' .. tostring(name) .. '" not defined'
		I.emit("ERROR[Server]: " .. text)
		I.diag("warning", text)
		I.remove_object(o)
		return o.ref
	end
	o.properties = initial_properties(proto)
	o.hp = o.properties.hp_max
	if saved then
		o.hp, o.velocity, o.rotation = saved.hp, read_v3f(saved.velocity), read_v3f(saved.rotation)
	end
	local ent = setmetatable({ object = o.ref }, proto)
	o.luaentity = ent
	local ents = rawget(core, "luaentities")
	if type(ents) == "table" then
		ents[o.id] = ent
	end
	local on_activate = ent.on_activate
	if type(on_activate) == "function" then
		on_activate(ent, staticdata or "", dtime_s or 0)
	end
	return o.ref
end

function core.add_entity(...)
	if not running() then
		return
	end
	local pos, name, staticdata = ...
	read_v3f(...)  -- the position is checked first
	if type(name) ~= "string" then
		error("bad argument #2 to 'add_entity' (string expected, got " .. type(name) .. ")", 0)
	end
	if staticdata ~= nil and type(staticdata) ~= "string" then
		staticdata = tostring(staticdata)
	end
	return I.add_entity(pos, name, staticdata)
end

-- core.add_item: nothing for an empty or unknown item; else core.spawn_item(pos, itemstring) (which a
-- mod may override, as in the engine).
function core.add_item(pos, item)
	if not running() then
		return
	end
	local rec = I.to_record(item)
	if rec.count == 0 or I.item_def(rec.name) == nil then
		return
	end
	local spawn = rawget(core, "spawn_item")
	if spawn == nil then
		return
	end
	return (spawn(pos, I.record_to_string(rec)))
end

-- Entity physics for one step: velocity from acceleration, then the move, stopped by walkable
-- nodes on a physical entity's way (a point model: the collision box is not swept; one that lands
-- rests with its box's bottom on the node's top, as the engine's collision leaves it).
local function walkable(x, y, z)
	local name = I.node_at(floor(x + 0.5), floor(y + 0.5), floor(z + 0.5))
	if name == "air" then
		return false
	end
	if name == "ignore" then
		return true
	end
	local def = I.node_def(name)
	return type(def) ~= "table" or def.walkable ~= false
end

function I.move_entity(o, dtime)
	local v, a, p = o.velocity, o.acceleration, o.pos
	v.x, v.y, v.z = v.x + a.x * dtime, v.y + a.y * dtime, v.z + a.z * dtime
	local moveresult = { touching_ground = false, collides = false, standing_on_object = false, collisions = {} }
	local target = { x = p.x + v.x * dtime, y = p.y + v.y * dtime, z = p.z + v.z * dtime }
	if o.properties.physical then
		for _, axis in ipairs({ "x", "y", "z" }) do
			local probe = { x = p.x, y = p.y, z = p.z }
			probe[axis] = target[axis]
			if walkable(probe.x, probe.y, probe.z) then
				moveresult.collides = true
				moveresult.touching_ground = moveresult.touching_ground or (axis == "y" and v.y < 0)
				local old = I.vec(v.x, v.y, v.z)
				target[axis] = p[axis]
				if axis == "y" and v.y < 0 then -- it comes to rest with its box on the node's top
					local box = o.properties.collisionbox
					target.y = floor(probe.y + 0.5) + 0.5 - (tonumber(type(box) == "table" and box[2]) or 0)
				end
				v[axis] = 0
				moveresult.collisions[#moveresult.collisions + 1] = { type = "node", axis = axis,
					node_pos = I.vec(floor(probe.x + 0.5), floor(probe.y + 0.5), floor(probe.z + 0.5)),
					old_velocity = old, new_velocity = I.vec(v.x, v.y, v.z) }
			end
		end
	end
	o.pos = target
	return moveresult
end

-- One entity step: physics, then on_step(self, dtime, moveresult). `call` reports errors.
function I.step_entities(dtime, call)
	-- PlayerSAO::step: properties set since the last step are sent, with a "properties_changed" event
	for _, name in ipairs(I.player_order) do
		local o = I.players[name]
		if o and o.properties_unsent then
			o.properties_unsent = false
			call("on_playerevent", I.player_event, o, "properties_changed")
		end
	end
	for _, ref in ipairs(I.objects_where(function(o)
		return o.kind == "entity"
	end)) do
		local o = I.object_of(ref)
		if o then
			local moveresult = I.move_entity(o, dtime)
			local ent = o.luaentity
			if ent and type(ent.on_step) == "function" then
				call("luaentity_Step", ent.on_step, ent, dtime, moveresult)
			end
		end
	end
end
