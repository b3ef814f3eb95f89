-- raycast.lua: Raycast and core.raycast (engine: src/script/lua_api/l_env.cpp LuaRaycast), simplified:
-- pointable nodes the line passes through and objects within 0.5 of it, in order along the line.
-- Intersection points are the node or object centres.
local core, I = ...
local H = I.host
local type, pairs, ipairs = H.type, H.pairs, H.ipairs
local sort = H.table.sort
local read_v3f = I.read_v3f

local RaycastMethods = {}
local new_raycast, raycast_state = I.userdata_class("Raycast", RaycastMethods, {
	__call = function(self)
		return RaycastMethods.next(self)
	end,
})

function RaycastMethods.next(self)
	local s = raycast_state(self, "next")
	s.i = s.i + 1
	return s.hits[s.i]
end

local function pointable(name, liquids)
	if name == "air" or name == "ignore" then
		return false
	end
	local def = I.node_def(name)
	if type(def) ~= "table" then
		return true
	end
	if def.pointable == false then
		return false
	end
	return liquids or def.liquidtype == nil or def.liquidtype == "none"
end

local function raycast(pos1, pos2, objects, liquids)
	local a, b = read_v3f(pos1), read_v3f(pos2)
	local d = { x = b.x - a.x, y = b.y - a.y, z = b.z - a.z }
	local len2 = d.x * d.x + d.y * d.y + d.z * d.z
	local function along(p)
		if len2 == 0 then
			return 0
		end
		return ((p.x - a.x) * d.x + (p.y - a.y) * d.y + (p.z - a.z) * d.z) / len2
	end
	local hits = {}
	local prev
	for _, p in ipairs(I.line_nodes(a, b)) do
		local name = I.node_at(p[1], p[2], p[3])
		if pointable(name, liquids) then
			local under = I.vec(p[1], p[2], p[3])
			local above = prev and I.vec(prev[1], prev[2], prev[3]) or I.vec(p[1], p[2], p[3])
			hits[#hits + 1] = { t = along(under), thing = { type = "node", under = under, above = above,
				intersection_point = I.vec(p[1], p[2], p[3]),
				intersection_normal = I.vec(above.x - under.x, above.y - under.y, above.z - under.z) } }
		end
		prev = p
	end
	if objects ~= false then
		for _, o in pairs(I.objects) do
			if not o.removed then
				local t = along(o.pos)
				if t >= 0 and t <= 1 then
					local cx, cy, cz = a.x + d.x * t - o.pos.x, a.y + d.y * t - o.pos.y, a.z + d.z * t - o.pos.z
					if cx * cx + cy * cy + cz * cz <= 0.25 then
						hits[#hits + 1] = { t = t, thing = { type = "object", ref = o.ref,
							intersection_point = I.vec(o.pos.x, o.pos.y, o.pos.z),
							intersection_normal = I.vec(0, 0, 0) } }
					end
				end
			end
		end
	end
	sort(hits, function(x, y)
		return x.t < y.t
	end)
	local things = {}
	for i, h in ipairs(hits) do
		things[i] = h.thing
	end
	return new_raycast({ hits = things, i = 0 })
end

I.G.Raycast = raycast
core.raycast = raycast
