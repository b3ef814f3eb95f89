-- treegen.lua: core.spawn_tree, L-system trees (engine: src/mapgen/treegen.cpp spawn_ltree and
-- make_ltree, read_tree_def and l_spawn_tree in l_env.cpp).
--
-- The axiom is rewritten `iterations` times by the rules A-D (lower-case letters apply a rule by
-- chance), then a turtle walks it: G moves, T draws trunk, F draws trunk and, inside a branch,
-- leaves around it, f a leaf, R a fruit; + - & ^ * / turn it, [ ] save and restore it. The
-- turtle's rotation matrix and position are single-precision as the engine's (irrlicht matrix4,
-- v3f), and its random choices come from the engine's PseudoRandom seeded from the definition's
-- seed or the position. Nodes go into a VoxelManip of the blocks around the tree and are written
-- back without node callbacks.
local core, I = ...
local H = I.host
local type, tostring, tonumber, error = H.type, H.tostring, H.tonumber, H.error
local floor = H.math.floor
local cos, sin, pi = H.math.cos, H.math.sin, H.math.pi
local f32 = I.f32

local new_random = I.G.PseudoRandom
local random_next = I.class_methods.PseudoRandom.next

-- A rotation about an axis into the rotation part of matrix `m` (treegen's setRotationAxisRadians:
-- computed in double, stored in the matrix's floats).
local function set_rotation(m, angle, ax, ay, az)
	local c, s = cos(angle), sin(angle)
	local t = 1 - c
	local tx, ty, tz = t * ax, t * ay, t * az
	local sx, sy, sz = s * ax, s * ay, s * az
	m[1], m[2], m[3] = f32(tx * ax + c), f32(tx * ay + sz), f32(tx * az - sy)
	m[5], m[6], m[7] = f32(ty * ax - sz), f32(ty * ay + c), f32(ty * az + sx)
	m[9], m[10], m[11] = f32(tz * ax + sy), f32(tz * ay - sx), f32(tz * az + c)
	return m
end

local function identity()
	return { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1 }
end

-- matrix4 *= other, each product and sum rounded to float.
local function multiply(a, b)
	local out = {}
	for i = 0, 3 do
		for j = 0, 3 do
			local sum = f32(a[j + 1] * b[i * 4 + 1])
			for k = 1, 3 do
				sum = f32(sum + f32(a[k * 4 + j + 1] * b[i * 4 + k + 1]))
			end
			out[i * 4 + j + 1] = sum
		end
	end
	return out
end

-- treegen's transposeMatrix applied to (1, 0, 0): the turtle's step, in double, stored as floats.
local function forward(m)
	return f32(m[1] + m[13]), f32(m[2] + m[14]), f32(m[3] + m[15])
end

-- myround: halves away from zero.
local function round(v)
	if v < 0 then
		return I.trunc(f32(v - 0.5))
	end
	return I.trunc(f32(v + 0.5))
end

local function field(t, k, kind)
	local v = t[k]
	if kind == "string" then
		return (type(v) == "string" or type(v) == "number") and tostring(v) or nil
	elseif kind == "int" then
		return tonumber(v) and I.trunc(tonumber(v)) or nil
	end
	return v
end

-- read_tree_def: the names resolve like the node resolver (unknown names give "ignore"); leaves2
-- and fruit count only with their chance given.
local function read_def(t)
	local function node(name)
		local r = I.resolve_alias(name or "")
		if r ~= "air" and r ~= "ignore" and not I.node_def(r) then
			return "ignore"
		end
		return r
	end
	local d = {
		axiom = field(t, "axiom", "string") or "",
		rules = { A = field(t, "rules_a", "string") or "", B = field(t, "rules_b", "string") or "",
			C = field(t, "rules_c", "string") or "", D = field(t, "rules_d", "string") or "" },
		trunk = node(field(t, "trunk", "string")),
		leaves = node(field(t, "leaves", "string")),
		leaves2 = "air", leaves2_chance = 0, fruit = "air", fruit_chance = 0,
		angle = field(t, "angle", "int") or 0,
		iterations = field(t, "iterations", "int") or 0,
		random_level = field(t, "random_level", "int") or 0,
		trunk_type = field(t, "trunk_type", "string") or "",
		thin_branches = t.thin_branches == true,
		seed = field(t, "seed", "int"),
	}
	local chance = field(t, "leaves2_chance", "int")
	if chance then
		d.leaves2_chance = chance
		d.leaves2 = node(field(t, "leaves2", "string") or field(t, "leaves", "string"))
	end
	chance = field(t, "fruit_chance", "int")
	if chance then
		d.fruit_chance = chance
		d.fruit = node(field(t, "fruit", "string"))
	end
	return d
end

local CHANCE = { a = 9, b = 8, c = 7, d = 6 }

-- make_ltree into `vm` (get/set by position); false when a ']' has no '['.
local function make_tree(vm, px, py, pz, d)
	local seed = d.seed and d.seed + 14002 or px * 2 + py * 4 + pz
	local ps = new_random(seed)
	local function range(a, b)
		return random_next(ps, a, b)
	end
	local iterations = d.iterations
	if d.random_level > 0 then
		iterations = iterations - range(0, d.random_level)
	end
	if iterations < 2 then
		iterations = 2
	end
	local angle = d.angle * pi / 180
	local offset = range(0, 1) % 5 * pi / 180

	local axiom = d.axiom
	for _ = 1, iterations do
		local out = {}
		for i = 1, #axiom do
			local ch = H.string.sub(axiom, i, i)
			local upper = H.string.upper(ch)
			if d.rules[ch] then
				out[#out + 1] = d.rules[ch]
			elseif CHANCE[ch] then
				if CHANCE[ch] >= range(1, 10) then
					out[#out + 1] = d.rules[upper]
				end
			else
				out[#out + 1] = ch
			end
		end
		axiom = H.table.concat(out)
	end

	local function trunk(x, y, z)
		local cur = vm.get(round(x), round(y), round(z))
		if cur == nil or (cur ~= "air" and cur ~= "ignore" and cur ~= d.leaves and cur ~= d.leaves2 and cur ~= d.fruit) then
			return
		end
		vm.set(round(x), round(y), round(z), d.trunk)
	end
	-- leaves from a fresh PseudoRandom seeded by the tree's next number, as the engine passes one
	local function leaves(x, y, z, leaf_seed, single)
		local lr = new_random(leaf_seed)
		local name = d.leaves
		if random_next(lr, 1, 100) > 100 - d.leaves2_chance then
			name = d.leaves2
		end
		local cur = vm.get(round(x), round(y), round(z))
		if cur ~= "air" and cur ~= "ignore" then
			return
		end
		if single then
			vm.set(round(x), round(y), round(z), name)
		elseif d.fruit_chance > 0 then
			vm.set(round(x), round(y), round(z), random_next(lr, 1, 100) > 100 - d.fruit_chance and d.fruit or name)
		elseif random_next(lr, 1, 100) > 20 then
			vm.set(round(x), round(y), round(z), name)
		end
	end
	local function fruit(x, y, z)
		local cur = vm.get(round(x), round(y), round(z))
		if cur == "air" or cur == "ignore" then
			vm.set(round(x), round(y), round(z), d.fruit)
		end
	end
	local function wide(x, y, z, double, crossed)
		if double then
			trunk(x + 1, y, z)
			trunk(x, y, z + 1)
			trunk(x + 1, y, z + 1)
		elseif crossed then
			trunk(x + 1, y, z)
			trunk(x - 1, y, z)
			trunk(x, y, z + 1)
			trunk(x, y, z - 1)
		end
	end

	local rotation = set_rotation(identity(), pi / 2, 0, 0, 1)
	local x, y, z = f32(px), f32(py), f32(pz)
	local stack = {}
	local double, crossed = d.trunk_type == "double", d.trunk_type == "crossed"
	-- below a wide trunk, so that it reaches sloping ground
	wide(x, y - 1, z, double, crossed)
	local function move()
		local dx, dy, dz = forward(rotation)
		x, y, z = f32(x + dx), f32(y + dy), f32(z + dz)
	end
	local function turn(a, ax, ay, az)
		rotation = multiply(rotation, set_rotation(identity(), a, ax, ay, az))
	end
	for i = 1, #axiom do
		local ch = H.string.sub(axiom, i, i)
		if ch == "G" then
			move()
		elseif ch == "T" then
			trunk(x, y, z)
			wide(x, y, z, double and not d.thin_branches, crossed and not d.thin_branches)
			move()
		elseif ch == "F" then
			trunk(x, y, z)
			local in_branch = #stack > 0
			wide(x, y, z, double and (not in_branch or not d.thin_branches),
				crossed and (not in_branch or not d.thin_branches))
			if in_branch then
				for lx = -1, 1, 2 do
					for ly = -1, 1, 2 do
						for lz = -1, 1, 2 do
							leaves(x + lx + 1, y + ly, z + lz, random_next(ps))
							leaves(x + lx - 1, y + ly, z + lz, random_next(ps))
							leaves(x + lx, y + ly, z + lz + 1, random_next(ps))
							leaves(x + lx, y + ly, z + lz - 1, random_next(ps))
						end
					end
				end
			end
			move()
		elseif ch == "f" then
			leaves(x, y, z, random_next(ps), true)
			move()
		elseif ch == "R" then
			fruit(x, y, z)
			move()
		elseif ch == "[" then
			stack[#stack + 1] = { rotation, x, y, z }
		elseif ch == "]" then
			local top = stack[#stack]
			if not top then
				return false
			end
			stack[#stack] = nil
			rotation, x, y, z = top[1], top[2], top[3], top[4]
		elseif ch == "+" then
			turn(angle + offset, 0, 0, 1)
		elseif ch == "-" then
			turn(angle + offset, 0, 0, -1)
		elseif ch == "&" then
			turn(angle + offset, 0, 1, 0)
		elseif ch == "^" then
			turn(angle + offset, 0, -1, 0)
		elseif ch == "*" then
			turn(angle, 1, 0, 0)
		elseif ch == "/" then
			turn(angle, -1, 0, 0)
		end
	end
	return true
end

-- spawn_tree(pos, treedef): the VoxelManip holds the tree's block and its neighbours (one block
-- below and around, three above); returns what the C function leaves on top of its stack, the
-- definition table.
function core.spawn_tree(pos, treedef)
	if I.phase ~= "run" then
		return
	end
	local px, py, pz = I.check_pos(pos, "spawn_tree")
	if type(treedef) ~= "table" then
		return
	end
	local d = read_def(treedef)
	local bx, by, bz = floor(px / 16), floor(py / 16), floor(pz / 16)
	local lo = { (bx - 1) * 16, (by - 1) * 16, (bz - 1) * 16 }
	local hi = { (bx + 1) * 16 + 15, (by + 3) * 16 + 15, (bz + 1) * 16 + 15 }
	local changed, order = {}, {}
	local vm = {}
	function vm.get(x, y, z)
		if x < lo[1] or x > hi[1] or y < lo[2] or y > hi[2] or z < lo[3] or z > hi[3] then
			return nil
		end
		local k = I.hash(x, y, z)
		if changed[k] then
			return changed[k][4]
		end
		return (I.node_at(x, y, z))
	end
	function vm.set(x, y, z, name)
		local k = I.hash(x, y, z)
		if not changed[k] then
			order[#order + 1] = k
		end
		changed[k] = { x, y, z, name }
	end
	if not make_tree(vm, px, py, pz, d) then
		error("spawn_tree(): closing ']' has no matching opening bracket", 0)
	end
	for _, k in H.ipairs(order) do
		local c = changed[k]
		if c[4] ~= "ignore" then
			I.raw_set(c[1], c[2], c[3], c[4], 0, 0)
		end
	end
	return treedef
end
