-- craft.lua: the crafting system (engine: C++ l_craft.cpp and craftdef.cpp).
--
-- register_craft validates like the C++ side (errors without a position, error(msg, 0)); recipes
-- are kept in registration order. I.crafts is the list of definitions as registered (plain
-- copies, what `vf-luanti check --json` reports and the oracle normalises); matching for
-- get_craft_result follows craftdef.cpp: recipes without groups are tried before recipes with
-- groups, tool repair last, and within each class the most recently registered wins.
local core, I = ...
local H = I.host
local type, tostring, tonumber, ipairs, next = H.type, H.tostring, H.tonumber, H.ipairs, H.next
local rawget, error = H.rawget, H.error
local ssub, smatch, gmatch = H.string.sub, H.string.match, H.string.gmatch
local floor, tremove = H.math.floor, H.table.remove

I.crafts = {}
local recipes = {}   -- parsed recipes, parallel to I.crafts: {kind, output, width, items, replacements, time, json}
-- Output item name -> its recipes in registration order (craftdef.cpp m_output_craft_definitions).
-- The key is fixed as the recipe is registered: the output's item name (up to the first space,
-- "" for fuel), alias resolved then. Queries and clear_craft by output look the name up as given,
-- no alias or count (probed on 5.6.1), so each costs one lookup however many recipes there are.
local by_output = {}
-- Method -> its recipes by matching class (candidates), each list in registration order. A new
-- recipe joins its list (game mods ask get_craft_result between registrations: stairs asks for
-- each material's burn time), a removal empties the whole.
local ordered = {}

local function arg_error(fname, expected, v)
	error("bad argument #1 to '" .. fname .. "' (" .. expected .. " expected, got "
		.. (v == nil and "no value" or type(v)) .. ")", 0)
end

-- A string field as C++ getstringfield reads it: numbers are converted, other types are logged
-- ("Invalid field x (expected string got table).") and treated as missing.
local function string_field(t, key)
	local v = rawget(t, key)
	if v == nil then
		return nil
	end
	if type(v) == "string" then
		return v
	elseif type(v) == "number" then
		return tostring(v)
	end
	I.log("error", "Invalid field " .. key .. " (expected string got " .. type(v) .. ").", I.mod_frame(3))
	return nil
end

local function number_field(t, key, default)
	local v = rawget(t, key)
	if type(v) == "number" then
		return v
	elseif type(v) == "string" and tonumber(v) then
		return tonumber(v)
	elseif v ~= nil then
		I.log("error", "Invalid field " .. key .. " (expected number got " .. type(v) .. ").", I.mod_frame(3))
	end
	return default
end

local function name_of(itemstring)
	return smatch(itemstring, "^%s*(%S*)") or ""
end

-- The item name an input or recipe string stands for (one level of alias, as ItemStack does).
local function resolve(name)
	if ssub(name, 1, 6) == "group:" then
		return name
	end
	if rawget(core.registered_items, name) ~= nil then
		return name
	end
	local alias = rawget(core.registered_aliases, name)
	return type(alias) == "string" and alias or name
end

-- Shaped recipe: a list of rows of equal length, each a list of strings. Returns width, items.
local function read_shaped(recipe)
	if type(recipe) ~= "table" then
		return nil
	end
	local width, items = 0, {}
	local rows = 0
	for _, row in ipairs(recipe) do
		if type(row) ~= "table" then
			return nil
		end
		local n = 0
		for _, v in ipairs(row) do
			if type(v) ~= "string" then
				return nil
			end
			n = n + 1
			items[#items + 1] = v
		end
		rows = rows + 1
		if rows == 1 then
			width = n
		elseif n ~= width then
			return nil
		end
	end
	if width == 0 then
		return nil
	end
	return width, items
end

local function read_shapeless(recipe)
	if type(recipe) ~= "table" then
		return nil
	end
	local items = {}
	for _, v in ipairs(recipe) do
		if type(v) ~= "string" then
			return nil
		end
		items[#items + 1] = v
	end
	return items
end

local function read_replacements(t)
	local r = rawget(t, "replacements")
	if r == nil then
		return {}
	end
	if type(r) ~= "table" then
		return nil
	end
	local pairs_ = {}
	for _, p in ipairs(r) do
		if type(p) ~= "table" or type(p[1]) ~= "string" or type(p[2]) ~= "string" then
			return nil
		end
		pairs_[#pairs_ + 1] = { p[1], p[2] }
	end
	return pairs_
end

local function copy_list(list)
	local out = {}
	for i, v in ipairs(list) do
		out[i] = type(v) == "table" and copy_list(v) or v
	end
	return out
end

local function uses_groups(items)
	for _, v in ipairs(items) do
		if ssub(v, 1, 6) == "group:" then
			return true
		end
	end
	return false
end

local function index_output(r)
	local list = by_output[r.output_key]
	if list == nil then
		list = {}
		by_output[r.output_key] = list
	end
	list[#list + 1] = r
end

-- The index key of an output itemstring (ItemStack::deSerialize: the name ends at the first space).
local function output_key(output)
	return resolve(smatch(output, "^[^ ]*"))
end

-- The method a recipe answers (get_craft_result's input.method) and its class: the engine tries
-- recipes without groups first, then those with groups, tool repair last.
local function method_of(r)
	return (r.kind == "shaped" or r.kind == "shapeless" or r.kind == "toolrepair") and "normal" or r.kind
end

local function class_of(r)
	return r.unhashed and 3 or (r.groups and 2 or 1)
end

local function add_recipe(r)
	if r.json.replacements and #r.json.replacements == 0 then
		r.json.replacements = nil -- reported only when given
	end
	recipes[#recipes + 1] = r
	I.crafts[#I.crafts + 1] = r.json
	local lists = ordered[method_of(r)]
	if lists then
		local list = lists[class_of(r)]
		list[#list + 1] = r
	end
	r.output_key = output_key(r.output or "") -- tool repair's output is empty, as fuel's
	index_output(r)
end

-- Recipes cleared by output are dropped from by_output at once and marked `gone`; `recipes` and
-- I.crafts drop them at the next walk (compact), so clearing by output costs no walk per call.
local stale = false

local function compact()
	if not stale then
		return
	end
	local kept, crafts = {}, I.crafts
	for _, r in ipairs(recipes) do
		if not r.gone then
			kept[#kept + 1] = r
			crafts[#kept] = r.json
		end
	end
	for i = #kept + 1, #recipes do
		crafts[i] = nil
	end
	recipes, stale = kept, false
end

-- The recipes as registered (plain copies, what the report lists).
function I.registered_crafts()
	compact()
	return I.crafts
end

function core.register_craft(def)
	if type(def) ~= "table" then
		arg_error("register_craft", "table", def)
	end
	local kind = string_field(def, "type") or "shaped"
	local json = { type = kind }
	if kind == "shaped" or kind == "shapeless" then
		local label = kind == "shaped" and "" or " (shapeless)"
		local output = string_field(def, "output")
		if output == nil or output == "" then
			error("Crafting definition" .. label .. " is missing an output", 0)
		end
		local recipe = rawget(def, "recipe")
		if recipe == nil then
			error("Crafting definition" .. label .. " is missing a recipe (output=\"" .. output .. "\")", 0)
		end
		local width, items
		if kind == "shaped" then
			width, items = read_shaped(recipe)
		else
			width, items = 0, read_shapeless(recipe)
		end
		if items == nil then
			error("Invalid crafting recipe (output=\"" .. output .. "\")", 0)
		end
		local repl = read_replacements(def)
		if repl == nil then
			error("Invalid replacements (output=\"" .. output .. "\")", 0)
		end
		json.output, json.recipe, json.replacements = output, copy_list(recipe), repl
		add_recipe({ kind = kind, output = output, width = width, items = items, replacements = repl,
			groups = uses_groups(items), json = json })
	elseif kind == "toolrepair" then
		local wear = number_field(def, "additional_wear", 0)
		json.additional_wear = wear
		add_recipe({ kind = kind, additional_wear = wear, json = json, unhashed = true })
	elseif kind == "cooking" then
		local output = string_field(def, "output")
		if output == nil or output == "" then
			error("Crafting definition (cooking) is missing an output", 0)
		end
		local recipe = string_field(def, "recipe")
		if recipe == nil or recipe == "" then
			error("Crafting definition (cooking) is missing a recipe (output=\"" .. output .. "\")", 0)
		end
		local time = number_field(def, "cooktime", 3.0)
		local repl = read_replacements(def)
		if repl == nil then
			error("Invalid replacements (cooking output=\"" .. output .. "\")", 0)
		end
		json.output, json.recipe, json.cooktime, json.replacements = output, recipe, time, repl
		add_recipe({ kind = kind, output = output, items = { recipe }, time = time, replacements = repl,
			groups = uses_groups({ recipe }), json = json })
	elseif kind == "fuel" then
		local recipe = string_field(def, "recipe")
		if recipe == nil or recipe == "" then
			error("Crafting definition (fuel) is missing a recipe", 0)
		end
		local time = number_field(def, "burntime", 1.0)
		local repl = read_replacements(def)
		if repl == nil then
			error("Invalid replacements (fuel recipe=\"" .. recipe .. "\")", 0)
		end
		json.recipe, json.burntime, json.replacements = recipe, time, repl
		add_recipe({ kind = kind, output = "", items = { recipe }, time = time, replacements = repl,
			groups = uses_groups({ recipe }), json = json })
	else
		error("Unknown crafting definition type: \"" .. kind .. "\"", 0)
	end
end

---------------------------------------------------------------------------------------------------
-- Matching

local function item_groups(name)
	local def = rawget(core.registered_items, name)
	local groups = type(def) == "table" and def.groups
	return type(groups) == "table" and groups or {}
end

-- inputItemMatchesRecipe: the same name (a group's string too: clear_craft's input may name one),
-- else "group:a,b" needs every group with a non-zero rating.
local function matches(input_name, recipe_name)
	if ssub(recipe_name, 1, 6) == "group:" then
		if input_name == recipe_name then
			return true
		end
		if input_name == "" then
			return false
		end
		local groups = item_groups(input_name)
		for g in gmatch(ssub(recipe_name, 7), "[^,]+") do
			local rating = groups[g]
			if rating == nil or rating == 0 then
				return false
			end
		end
		return true
	end
	return input_name == resolve(recipe_name)
end

-- The bounding box of the non-empty cells of a grid of names: x0, y0, x1, y1 (nil if empty).
local function bounds(names, width)
	local x0, y0, x1, y1
	for i, n in ipairs(names) do
		if n ~= "" then
			local x, y = (i - 1) % width, floor((i - 1) / width)
			x0, y0 = x0 and (x < x0 and x or x0) or x, y0 and (y < y0 and y or y0) or y
			x1, y1 = x1 and (x > x1 and x or x1) or x, y1 and (y > y1 and y or y1) or y
		end
	end
	return x0, y0, x1, y1
end

-- A recipe's item names (counts dropped) and, for a grid, their bounding box ({x0, y0, x1, y1}, or
-- false if empty): worked out at its first match and kept, as a recipe's items never change.
local function recipe_names(r)
	local names = r.names
	if names == nil then
		names = {}
		for i, v in ipairs(r.items) do
			names[i] = name_of(v)
		end
		r.names = names
	end
	return names
end

local function recipe_bounds(r)
	local box = r.bounds
	if box == nil then
		local x0, y0, x1, y1 = bounds(recipe_names(r), r.width)
		box = x0 ~= nil and { x0, y0, x1, y1 }
		r.bounds = box
	end
	return box
end

-- The bounding box of an input grid ({x0, y0, x1, y1}, or false if empty), worked out once per query:
-- every shaped recipe a query tries is compared with it.
local function input_bounds(names, width)
	if width == 0 then
		return false
	end
	local x0, y0, x1, y1 = bounds(names, width)
	return x0 ~= nil and { x0, y0, x1, y1 }
end

-- Whether shaped recipe `r` matches the input grid `names` of `width` whose box input_bounds gave.
local function check_shaped(r, names, width, ibox)
	if not ibox then
		return false
	end
	local box = recipe_bounds(r)
	if not box then
		return false
	end
	local ax0, ay0, ax1, ay1 = ibox[1], ibox[2], ibox[3], ibox[4]
	local rnames, bx0, by0, bx1, by1 = r.names, box[1], box[2], box[3], box[4]
	if ax1 - ax0 ~= bx1 - bx0 or ay1 - ay0 ~= by1 - by0 then
		return false
	end
	for y = 0, ay1 - ay0 do
		for x = 0, ax1 - ax0 do
			local a = names[(ay0 + y) * width + ax0 + x + 1] or ""
			local b = rnames[(by0 + y) * r.width + bx0 + x + 1] or ""
			if b == "" then
				if a ~= "" then
					return false
				end
			elseif not matches(a, b) then
				return false
			end
		end
	end
	return true
end

-- Shapeless: the non-empty inputs are a permutation of the recipe items.
local function check_shapeless(r, names)
	local inputs = {}
	for _, n in ipairs(names) do
		if n ~= "" then
			inputs[#inputs + 1] = n
		end
	end
	local wanted = recipe_names(r)
	if #inputs ~= #wanted then
		return false
	end
	-- bipartite matching (groups make a greedy choice unsafe)
	local owner = {}
	local function try(i, seen)
		for j = 1, #inputs do
			if not seen[j] and matches(inputs[j], wanted[i]) then
				seen[j] = true
				if owner[j] == nil or try(owner[j], seen) then
					owner[j] = i
					return true
				end
			end
		end
		return false
	end
	for i = 1, #wanted do
		if not try(i, {}) then
			return false
		end
	end
	return true
end

local function check_single(r, names)
	local found
	for _, n in ipairs(names) do
		if n ~= "" then
			if found then
				return false
			end
			found = n
		end
	end
	return found ~= nil and matches(found, recipe_names(r)[1])
end

local function new_stack(v)
	return I.G.ItemStack(v)
end

-- The repaired tool, or nil.
local function tool_repair(r, stacks)
	local a, b
	for _, s in ipairs(stacks) do
		if not s:is_empty() then
			if b then
				return nil
			elseif a then
				b = s
			else
				a = s
			end
		end
	end
	if not b or a:get_count() ~= 1 or b:get_count() ~= 1 or a:get_name() ~= b:get_name() then
		return nil
	end
	local def = rawget(core.registered_items, a:get_name())
	if type(def) ~= "table" or def.type ~= "tool" or item_groups(a:get_name()).disable_repair == 1 then
		return nil
	end
	local uses = (65536 - a:get_wear()) + (65536 - b:get_wear())
	local wear = 65536 - uses + floor(r.additional_wear * 65536 + 0.5)
	if wear >= 65536 then
		return nil
	end
	local out = new_stack(a)
	out:set_wear(wear < 0 and 0 or wear)
	return out
end

-- A method's recipes by class, oldest first in each (the engine tries the classes in order, the
-- most recently registered first within each); kept until a recipe is removed.
local function candidates(method)
	local lists = ordered[method]
	if lists then
		return lists
	end
	compact()
	lists = { {}, {}, {} }
	for _, r in ipairs(recipes) do
		if method_of(r) == method then
			local list = lists[class_of(r)]
			list[#list + 1] = r
		end
	end
	ordered[method] = lists
	return lists
end

-- The recipe the engine's matching finds first for the input, and what it gives: the item, the
-- cooking time. Nil if none.
local function first_match(method, stacks, names, width)
	local ibox = input_bounds(names, width)
	local lists = candidates(method)
	for c = 1, 3 do
		local list = lists[c]
		for i = #list, 1, -1 do
			local r = list[i]
			if r.kind == "toolrepair" then
				local repaired = tool_repair(r, stacks)
				if repaired then
					return r, repaired, 0
				end
			else
				local ok
				if r.kind == "shaped" then
					ok = check_shaped(r, names, width, ibox)
				elseif r.kind == "shapeless" then
					ok = check_shapeless(r, names)
				else
					ok = check_single(r, names)
				end
				if ok then
					return r, new_stack(r.output), r.time or 0
				end
			end
		end
	end
end

-- Decrement each input by one, or put in its replacement (craftDecrementOrReplaceInput).
local function decrement(stacks, replacements)
	local pairs_ = {}
	for i, p in ipairs(replacements or {}) do
		pairs_[i] = p
	end
	local extra = {}
	for _, s in ipairs(stacks) do
		if not s:is_empty() then
			local replaced = false
			for j, p in ipairs(pairs_) do
				if matches(s:get_name(), name_of(p[1])) then
					if s:get_count() == 1 then
						s:replace(new_stack(p[2]))
						tremove(pairs_, j)
					else
						s:take_item(1)
						extra[#extra + 1] = new_stack(p[2])
					end
					replaced = true
					break
				end
			end
			if not replaced then
				s:take_item(1)
			end
		end
	end
	return extra
end

function core.get_craft_result(input)
	if type(input) ~= "table" then
		arg_error("get_craft_result", "table", input)
	end
	local method = input.method or "normal"
	if method ~= "normal" and method ~= "cooking" and method ~= "fuel" then
		method = "normal"
	end
	local width = tonumber(input.width) or 0
	local stacks, names = {}, {}
	for i, v in ipairs(type(input.items) == "table" and input.items or {}) do
		stacks[i] = new_stack(v)
		names[i] = stacks[i]:get_name()
	end
	local found, out_item, time = first_match(method, stacks, names, width)
	if not found then
		out_item, time = new_stack(nil), 0
	end
	local replacements = {}
	if found then
		if found.kind == "toolrepair" then
			for _, s in ipairs(stacks) do
				s:clear()
			end
		else
			replacements = decrement(stacks, found.replacements)
		end
	end
	return { item = out_item, time = time, replacements = replacements },
		{ method = method, width = width, items = stacks }
end

---------------------------------------------------------------------------------------------------
-- Recipe queries and removal

-- A recipe as the engine lists it (push_craft_recipe): method, width, items (sparse for empty
-- cells), output, and type, the method again (deprecated). The items are ItemStacks made from the
-- recipe's strings as they are now: each whole string through one level of alias ("x 5" stays as
-- it is), the output as registered.
local function listing(r)
	local items = {}
	for i, v in ipairs(r.items or {}) do
		if v ~= "" then
			items[i] = resolve(v)
		end
	end
	-- fuel and tool repair list as cooking, the burn time or additional wear as their width
	-- (CraftDefinition::getInput; the float cast to int, toward zero)
	local method, width = "normal", r.width or 0
	local number = r.time or r.additional_wear
	if number then
		-- (+ 0: a wear in (-1, 0) lists as 0, not -0)
		method, width = "cooking", (number < 0 and -floor(-number) or floor(number)) + 0
	end
	return { method = method, width = width, items = items, output = r.output or "", type = method }
end

-- The recipes registered for `output` (luaL_checkstring: a number is its string), oldest first.
local function recipes_for(fname, output)
	if type(output) == "number" then
		output = tostring(output)
	elseif type(output) ~= "string" then
		arg_error(fname, "string", output)
	end
	return rawget(by_output, output) or {}
end

function core.get_craft_recipe(output)
	local list = recipes_for("get_craft_recipe", output)
	if #list == 0 then
		return { method = "normal", width = 0 }
	end
	return listing(list[#list])
end

function core.get_all_craft_recipes(output)
	local list = recipes_for("get_all_craft_recipes", output)
	if #list == 0 then
		return nil
	end
	local out = {}
	for i = #list, 1, -1 do
		out[#out + 1] = listing(list[i])
	end
	return out
end

-- Remove the recipes `pred` accepts: one pass over the recipes, and the output lists of the
-- removed ones filtered (the other lists are left as they are).
local function remove_where(pred)
	compact()
	local kept, gone, removed = {}, {}, 0
	for _, r in ipairs(recipes) do
		if pred(r) then
			removed = removed + 1
			gone[r] = true
		else
			kept[#kept + 1] = r
		end
	end
	if removed == 0 then
		return 0
	end
	local filtered = {}
	for r in next, gone do
		local key = r.output_key
		if not filtered[key] then
			filtered[key] = true
			local left = {}
			for _, other in ipairs(by_output[key]) do
				if not gone[other] then
					left[#left + 1] = other
				end
			end
			by_output[key] = left[1] and left or nil
		end
	end
	local crafts = I.crafts
	for i = 1, #kept do
		crafts[i] = kept[i].json
	end
	for i = #kept + 1, #recipes do
		crafts[i] = nil
	end
	recipes, ordered = kept, {}
	return removed
end

-- clear_craft({output=...}) or clear_craft({recipe=..., type=...}): true if something was removed.
function core.clear_craft(def)
	if type(def) ~= "table" then
		arg_error("clear_craft", "table", def)
	end
	local output = string_field(def, "output")
	local kind = string_field(def, "type") or "shaped" -- read before the output is looked at
	if output ~= nil and output ~= "" then
		local list = by_output[output]
		if list == nil then
			I.log("warning", "No craft recipe known for output")
			return false
		end
		for _, r in ipairs(list) do
			r.gone = true
		end
		by_output[output], ordered, stale = nil, {}, true
		return true
	end
	local recipe = rawget(def, "recipe")
	if recipe == nil and (kind == "shaped" or kind == "shapeless") then
		error("Either output or recipe has to be defined", 0)
	end
	local method, width, names = "normal", 0, {}
	if kind == "shaped" then
		width, names = read_shaped(recipe)
		if names == nil then
			error("Invalid crafting recipe", 0)
		end
	elseif kind == "shapeless" then
		names = read_shapeless(recipe)
		if names == nil then
			error("Invalid crafting recipe", 0)
		end
	elseif kind == "cooking" or kind == "fuel" then
		local rec = string_field(def, "recipe") or ""
		if rec == "" then
			error("Crafting definition (" .. kind .. ") is missing a recipe", 0)
		end
		method, names = kind, { rec }
	else
		error("Unknown crafting definition type: \"" .. kind .. "\"", 0)
	end
	-- the input's ItemStacks: each whole string through one level of alias ("x 2" names no item)
	local filled = 0 -- non-empty cells: a recipe with fewer cannot match, a shapeless one needs as many
	for i, v in ipairs(names) do
		names[i] = resolve(v)
		filled = names[i] ~= "" and filled + 1 or filled
	end
	local grid_width = width > 0 and width or #names
	local ibox = input_bounds(names, grid_width) -- (a shapeless input is compared with shaped recipes too)
	local n = remove_where(function(r)
		local m = (r.kind == "cooking" or r.kind == "fuel") and r.kind or "normal"
		if m ~= method or r.kind == "toolrepair" or #r.items < filled then
			return false
		end
		if r.kind == "shaped" then
			return check_shaped(r, names, grid_width, ibox)
		elseif r.kind == "shapeless" then
			return #r.items == filled and check_shapeless(r, names)
		end
		return check_single(r, names)
	end)
	if n == 0 then
		I.log("warning", "No craft recipe matches input")
		return false
	end
	return true
end
