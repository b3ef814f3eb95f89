-- pathfinder.lua: core.find_path (engine: src/pathfinder.cpp, l_find_path in l_env.cpp).
--
-- A walker stands in a non-walkable node above a walkable one. From each position it tries the
-- four horizontal directions in the order +x, -x, +z, -z: a free neighbour over ground costs 1; a
-- free neighbour over a hole is reached by falling at most max_drop nodes (cost 2); a walkable
-- neighbour is climbed by jumping at most max_jump nodes with free head room above the walker
-- (cost 2). The search stays inside the box around both ends widened by searchdistance (Y too).
-- "A*" and the default "A*_noprefetch" search with the XZ Manhattan distance as the estimate and
-- a binary heap that, as libstdc++'s std::priority_queue, reads the nodes' costs when it compares
-- them; "Dijkstra" relaxes recursively, depth first. Paths run from the start to the target, both
-- included; no path gives no value.
local core, I = ...
local H = I.host
local type, tonumber, error, select = H.type, H.tonumber, H.error, H.select
local floor, abs, min, max = H.math.floor, H.math.abs, H.math.min, H.math.max

local DIRS = { { 1, 0 }, { -1, 0 }, { 0, 1 }, { 0, -1 } }

local function walkable(x, y, z)
	local name = I.node_at(x, y, z)
	if name == "ignore" then
		return nil
	end
	local def = I.node_def(name)
	if def == nil then
		return true -- an unknown node is walkable (the engine's default for unknown content)
	end
	return def.walkable ~= false
end

local check_int = I.check_int

local function search(sx, sy, sz, tx, ty, tz, distance, max_jump, max_drop, dijkstra)
	local lo = { min(sx, tx) - distance, min(sy, ty) - distance, min(sz, tz) - distance }
	local hi = { max(sx, tx) + distance, max(sy, ty) + distance, max(sz, tz) + distance }
	local function inside(x, y, z)
		return x >= lo[1] and x <= hi[1] and y >= lo[2] and y <= hi[2] and z >= lo[3] and z <= hi[3]
	end
	local function key(x, y, z)
		return I.hash(x, y, z)
	end
	-- Pathfinder::calcCost from (x, y, z) one step along (dx, dz): the cost and the height change,
	-- or nil when the step is impossible.
	local cost_memo = {}
	local function step_cost(x, y, z, d)
		local mk = key(x, y, z) * 4 + d
		local memo = cost_memo[mk]
		if memo ~= nil then
			return memo[1], memo[2]
		end
		local dx, dz = DIRS[d][1], DIRS[d][2]
		local x2, y2, z2 = x + dx, y, z + dz
		local value, dy
		if inside(x2, y2, z2) then
			local here = walkable(x2, y2, z2)
			if here == false then
				local below = walkable(x2, y2 - 1, z2)
				if below == true then
					value, dy = 1, 0
				elseif below == false then
					local ty2 = y2 - 1
					local w = below
					while w == false and ty2 > lo[2] do
						ty2 = ty2 - 1
						w = walkable(x2, ty2, z2)
					end
					if ty2 >= lo[2] and w == true and y2 - ty2 - 1 <= max_drop then
						value, dy = 2, ty2 - y2 + 1
					end
				end
			elseif here == true then
				local target_y, jump_y = y2, y
				local target, jump = here, walkable(x, jump_y, z)
				local blocked = false
				while target == true and target_y < hi[2] do
					if jump ~= false then
						blocked = true
						break
					end
					target_y, jump_y = target_y + 1, jump_y + 1
					target, jump = walkable(x2, target_y, z2), walkable(x, jump_y, z)
				end
				if target_y <= hi[2] and not blocked and target == false and target_y - y2 <= max_jump then
					value, dy = 2, target_y - y2
				end
			end
		end
		cost_memo[mk] = { value, dy }
		return value, dy
	end

	local nodes = {} -- key -> {x, y, z, cost, prev, open, closed}
	local function node(x, y, z)
		local k = key(x, y, z)
		local n = nodes[k]
		if not n then
			n = { x = x, y = y, z = z, cost = -1 }
			nodes[k] = n
		end
		return n
	end
	local start, target = node(sx, sy, sz), node(tx, ty, tz)
	start.cost = 0
	local found = false

	if dijkstra then
		-- Pathfinder::updateAllCosts: depth first, a node revisited whenever it gets cheaper; once
		-- the target is reached, branches costing more than the best so far stop.
		local best = 0
		-- `back`: the direction index leading back to `from` when that step kept the height (the
		-- engine skips the direction equal to the inverted step, Y included)
		local function update(n, from, back, cost)
			n.cost, n.prev = cost, from
			if n == target then
				best = cost
				return true
			end
			local reached = false
			for d = 1, 4 do
				if d ~= back then
					local value, dy = step_cost(n.x, n.y, n.z, d)
					if value then
						local x2, y2, z2 = n.x + DIRS[d][1], n.y + dy, n.z + DIRS[d][2]
						if inside(x2, y2, z2) and walkable(x2, y2, z2) ~= nil then
							local new_cost = cost + value
							if best > 0 and best < new_cost then
								return false
							end
							local n2 = node(x2, y2, z2)
							if n2.cost < 0 or n2.cost > new_cost then
								local inverse = dy == 0 and (d % 2 == 1 and d + 1 or d - 1) or 0
								if update(n2, n, inverse, new_cost) then
									reached = true
								end
							end
						end
					end
				end
			end
			return reached
		end
		found = update(start, nil, 0, 0)
	else
		-- Pathfinder::updateCostHeuristic with libstdc++'s heap (push_heap / pop_heap).
		local function f(n)
			return n.cost + abs(n.x - tx) + abs(n.z - tz)
		end
		local function worse(a, b) -- the comparator: a after b
			return f(a) > f(b)
		end
		local heap = {}
		local function sift_up(hole, top, value)
			local parent = floor((hole - 1) / 2)
			while hole > top and worse(heap[parent + 1], value) do
				heap[hole + 1] = heap[parent + 1]
				hole = parent
				parent = floor((hole - 1) / 2)
			end
			heap[hole + 1] = value
		end
		local function push(n)
			heap[#heap + 1] = n
			sift_up(#heap - 1, 0, n)
		end
		local function pop()
			local len = #heap
			local top = heap[1]
			local value = heap[len]
			heap[len] = nil
			len = len - 1
			if len > 0 then
				local hole, second = 0, 0
				while second < floor((len - 1) / 2) do
					second = 2 * (second + 1)
					if worse(heap[second + 1], heap[second]) then
						second = second - 1
					end
					heap[hole + 1] = heap[second + 1]
					hole = second
				end
				if len % 2 == 0 and second == floor((len - 2) / 2) then
					second = 2 * (second + 1)
					heap[hole + 1] = heap[second]
					hole = second - 1
				end
				sift_up(hole, 0, value)
			end
			return top
		end
		push(start)
		start.open = true
		while #heap > 0 do
			local n = pop()
			n.closed, n.open = true, false
			if n == target then
				found = true
				break
			end
			for d = 1, 4 do
				local value, dy = step_cost(n.x, n.y, n.z, d)
				if value then
					local x2, y2, z2 = n.x + DIRS[d][1], n.y + dy, n.z + DIRS[d][2]
					if inside(x2, y2, z2) and walkable(x2, y2, z2) ~= nil then
						local n2 = node(x2, y2, z2)
						local new_cost = n.cost + value
						if not n2.closed then
							if not n2.open then
								n2.cost, n2.prev, n2.open = new_cost, n, true
								push(n2)
							elseif new_cost < n2.cost then
								n2.cost, n2.prev = new_cost, n
							end
						end
					end
				end
			end
		end
	end
	if not found then
		return nil
	end
	local path, n = {}, target
	while n do
		path[#path + 1] = n
		n = n ~= start and n.prev or nil
	end
	local out = {}
	for i = #path, 1, -1 do
		out[#out + 1] = I.vec(path[i].x, path[i].y, path[i].z)
	end
	return out
end

function core.find_path(...)
	if I.phase ~= "run" then
		return
	end
	local nargs = select("#", ...)
	local pos1, pos2, searchdistance, max_jump, max_drop, algorithm = ...
	if nargs < 2 then
		error("Invalid vector (expected table got no value).", 0)
	end
	local sx, sy, sz = I.check_pos(pos1, "find_path")
	local tx, ty, tz = I.check_pos(pos2, "find_path")
	local distance = check_int(searchdistance, 3)
	local jump = check_int(max_jump, 4)
	local drop = check_int(max_drop, 5)
	local dijkstra = algorithm == "Dijkstra"
	if walkable(sx, sy, sz) == nil or walkable(tx, ty, tz) == nil then
		return
	end
	-- a start in the air falls to the ground first (at most max_drop nodes, else there is no path):
	-- the search starts there, the path at the start
	local gy = sy
	while walkable(sx, gy - 1, sz) == false and sy - gy <= drop do
		gy = gy - 1
	end
	if sy - gy > drop then
		return
	end
	local path = search(sx, gy, sz, tx, ty, tz, distance, jump, drop, dijkstra)
	if path then
		if gy ~= sy then
			H.table.insert(path, 1, I.vec(sx, sy, sz))
		end
		return path
	end
end
