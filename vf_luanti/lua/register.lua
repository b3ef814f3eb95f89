-- register.lua: item/entity/ABM/LBM registration, aliases, definition defaults, callback lists.
--
-- Follows the engine's builtin/game/register.lua and the C++ register_item_raw it calls:
-- definitions are the mod's own tables, mutated and kept; defaults are read through __index;
-- after registration new keys are swallowed; `registered_*` item tables resolve aliases.
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs = H.type, H.tostring, H.tonumber, H.pairs, H.ipairs
local rawget, rawset, setmetatable, getmetatable = H.rawget, H.rawset, H.setmetatable, H.getmetatable
local error = H.error
local ssub, sfind, sgsub, floor = H.string.sub, H.string.find, H.string.gsub, H.math.floor
local tinsert = H.table.insert

-- Builtin registers its own items and entities as the mod "*builtin*"; modload clears this when
-- the first mod starts (I.begin_mod_loading).
I.current_mod = "*builtin*"

function core.get_current_modname()
	return I.current_mod
end

-- The translation markup core.translate produces ("\27(T@domain)text\27E", @n arguments as
-- "\27F...\27E"). Used for builtin strings; it does not depend on the helper library being loaded.
function I.translator(domain)
	local open = "\27(T@" .. domain .. ")"
	return function(text, ...)
		if not sfind(text, "@", 1, true) then
			return open .. text .. "\27E"  -- most builtin strings: no arguments, nothing to escape
		end
		local args = { ... }
		local out = sgsub(text, "@(.)", function(c)
			local n = tonumber(c)
			if n then
				return "\27F" .. tostring(args[n]) .. "\27E"
			end
			return "@" .. c
		end)
		return open .. out .. "\27E"
	end
end
local S = I.translator("__builtin")

-- The last-run mod (C++ keeps it for error messages and core.after); callbacks set it.
I.last_run_mod = nil
function core.set_last_run_mod(mod)
	I.last_run_mod = mod
end
function core.get_last_run_mod()
	return I.last_run_mod
end

-- A log line at a level, recorded as a diagnostic when it is a warning or error (core.log itself
-- may be replaced by a mod, so the emulation never calls it).
function I.log(level, text, where)
	if level == "error" or level == "warning" then
		I.diag("warning", text, where)
	end
	I.emit((level == "none" and "" or level:upper() .. "[Main]: ") .. text)
end

---------------------------------------------------------------------------------------------------
-- Constants (builtin/game/constants.lua)

core.CONTENT_UNKNOWN = 125
core.CONTENT_AIR = 126
core.CONTENT_IGNORE = 127
core.EMERGE_CANCELLED = 0
core.EMERGE_ERRORED = 1
core.EMERGE_FROM_MEMORY = 2
core.EMERGE_FROM_DISK = 3
core.EMERGE_GENERATED = 4
core.MAP_BLOCKSIZE = 16
core.PLAYER_MAX_HP_DEFAULT = 20
core.PLAYER_MAX_BREATH_DEFAULT = 10
core.LIGHT_MAX = 14

---------------------------------------------------------------------------------------------------
-- Definition defaults (builtin/game/item.lua). The callbacks look the engine function up at call
-- time, so a mod that replaces core.item_place changes the default of every item.

local function late(fname)
	return function(...)
		return core[fname](...)
	end
end

local function unit_scale()
	local vlib = rawget(I.G, "vector")
	local mt = type(vlib) == "table" and rawget(vlib, "metatable") or nil
	return setmetatable({ x = 1, y = 1, z = 1 }, type(mt) == "table" and mt or nil)
end

local stack_max = tonumber(I.setting("default_stack_max")) or 99

core.nodedef_default = {
	type = "node", description = "", groups = {}, inventory_image = "", wield_image = "",
	wield_scale = unit_scale(), stack_max = stack_max, usable = false, liquids_pointable = false,
	on_place = late("item_place"), on_drop = late("item_drop"), on_punch = late("node_punch"),
	on_dig = late("node_dig"),
	drawtype = "normal", visual_scale = 1.0, post_effect_color = { a = 0, r = 0, g = 0, b = 0 },
	paramtype = "none", paramtype2 = "none", is_ground_content = true, sunlight_propagates = false,
	walkable = true, pointable = true, diggable = true, climbable = false, buildable_to = false,
	floodable = false, liquidtype = "none", liquid_alternative_flowing = "",
	liquid_alternative_source = "", liquid_viscosity = 0, drowning = 0, light_source = 0,
	damage_per_second = 0, selection_box = { type = "regular" }, legacy_facedir_simple = false,
	legacy_wallmounted = false,
}

core.craftitemdef_default = {
	type = "craft", description = "", groups = {}, inventory_image = "", wield_image = "",
	wield_scale = unit_scale(), stack_max = stack_max, liquids_pointable = false,
	on_place = late("item_place"), on_drop = late("item_drop"),
	on_secondary_use = late("item_secondary_use"),
}

core.tooldef_default = {
	type = "tool", description = "", groups = {}, inventory_image = "", wield_image = "",
	wield_scale = unit_scale(), stack_max = 1, liquids_pointable = false,
	on_place = late("item_place"), on_secondary_use = late("item_secondary_use"),
	on_drop = late("item_drop"),
}

core.noneitemdef_default = {
	type = "none", description = "", groups = {}, inventory_image = "", wield_image = "",
	wield_scale = unit_scale(), stack_max = stack_max, liquids_pointable = false,
	on_place = late("item_place"), on_secondary_use = late("item_secondary_use"),
}

---------------------------------------------------------------------------------------------------
-- Registries

core.registered_abms = {}
core.registered_lbms = {}
core.registered_entities = {}
core.registered_items = {}
core.registered_nodes = {}
core.registered_craftitems = {}
core.registered_tools = {}
core.registered_aliases = {}

-- Item-name keyed tables fall back to the alias target (one level, as the engine).
local alias_mt = {
	__index = function(t, name)
		return rawget(t, core.registered_aliases[name])
	end,
}
for _, key in ipairs({ "registered_items", "registered_nodes", "registered_craftitems", "registered_tools" }) do
	setmetatable(core[key], alias_mt)
end

-- Names that would clash with legacy itemstrings.
local FORBIDDEN = {
	MaterialItem = true, MaterialItem2 = true, MaterialItem3 = true, NodeItem = true, node = true,
	CraftItem = true, craft = true, MBOItem = true, ToolItem = true, tool = true,
}

-- The C++ side's aliases and node content IDs (IDs as NodeDefManager assigns them: the three
-- builtin nodes at fixed IDs, every other node at the lowest free ID from 0).
I.raw_aliases = {}
I.content_id = { unknown = core.CONTENT_UNKNOWN, air = core.CONTENT_AIR, ignore = core.CONTENT_IGNORE }
I.content_name = { [core.CONTENT_UNKNOWN] = "unknown", [core.CONTENT_AIR] = "air", [core.CONTENT_IGNORE] = "ignore" }
local next_id = 0

local function allocate_id(name)
	local id = I.content_id[name]
	if id then
		return id
	end
	while I.content_name[next_id] ~= nil do
		next_id = next_id + 1
	end
	if next_id > 0x7fff then
		error("Number of registerable nodes (32768) exceeded (" .. name .. ")", 0)
	end
	I.content_id[name], I.content_name[next_id] = next_id, name
	return next_id
end

function core.get_content_id(name)
	if type(name) ~= "string" and type(name) ~= "number" then
		error("bad argument #1 to 'get_content_id' (string expected, got " .. type(name) .. ")", 0)
	end
	name = tostring(name)
	local target = I.raw_aliases[name] or name
	local id = I.content_id[target]
	if id == nil then
		error("Unknown node: " .. target, 0)
	end
	return id
end

function core.get_name_from_content_id(id)
	id = tonumber(id)
	if id == nil then
		error("bad argument #1 to 'get_name_from_content_id' (number expected, got no value)", 0)
	end
	return I.content_name[floor(id)] or "unknown"
end

-- C++ field types of item and node definitions (read with check_field_or_nil: a wrong type is
-- logged once per location and the default used; numbers pass as strings and vice versa).
local FIELD_TYPES = {
	description = "string", short_description = "string", inventory_image = "string",
	inventory_overlay = "string", wield_image = "string", wield_overlay = "string", palette = "string",
	node_placement_prediction = "string", node_dig_prediction = "string", mesh = "string",
	liquid_alternative_flowing = "string", liquid_alternative_source = "string",
	drawtype = "string", paramtype = "string", paramtype2 = "string", liquidtype = "string",
	stack_max = "number", range = "number", place_param2 = "number", visual_scale = "number",
	liquid_viscosity = "number", liquid_range = "number", leveled = "number", leveled_max = "number",
	drowning = "number", light_source = "number", damage_per_second = "number", waving = "number",
	usable = "boolean", liquids_pointable = "boolean", is_ground_content = "boolean",
	sunlight_propagates = "boolean", walkable = "boolean", pointable = "boolean", diggable = "boolean",
	climbable = "boolean", buildable_to = "boolean", floodable = "boolean", liquid_renewable = "boolean",
	legacy_facedir_simple = "boolean", legacy_wallmounted = "boolean", alpha = "number",
}
local NODE_ONLY = {
	node_dig_prediction = true, mesh = true, liquid_alternative_flowing = true, liquid_alternative_source = true,
	drawtype = true, paramtype = true, paramtype2 = true, liquidtype = true, visual_scale = true,
	liquid_viscosity = true, liquid_range = true, leveled = true, leveled_max = true, drowning = true,
	light_source = true, damage_per_second = true, waving = true, is_ground_content = true,
	sunlight_propagates = true, walkable = true, pointable = true, diggable = true, climbable = true,
	buildable_to = true, floodable = true, liquid_renewable = true, legacy_facedir_simple = true,
	legacy_wallmounted = true, alpha = true,
}

-- FIELD_TYPES as lists of fields and their types, for nodes and for other items, walked once per
-- registration (in FIELD_TYPES' pairs order, the order its warnings were always logged in).
local NODE_TYPED, NODE_TYPES, ITEM_TYPED, ITEM_TYPES = {}, {}, {}, {}
for field, want in pairs(FIELD_TYPES) do
	NODE_TYPED[#NODE_TYPED + 1], NODE_TYPES[#NODE_TYPES + 1] = field, want
	if not NODE_ONLY[field] then
		ITEM_TYPED[#ITEM_TYPED + 1], ITEM_TYPES[#ITEM_TYPES + 1] = field, want
	end
end

local function type_ok(v, want)
	local t = type(v)
	if t == want then
		return true
	end
	if want == "number" then
		return t == "string" and tonumber(v) ~= nil
	elseif want == "string" then
		return t == "number"
	end
	return false
end

-- The numbers C++ reads from tool_capabilities and from each of its groupcaps (probed on 5.6.1).
local TOOLCAP_TYPES = { full_punch_interval = "number", max_drop_level = "number", punch_attack_uses = "number" }
local GROUPCAP_TYPES = { maxlevel = "number", uses = "number" }

local function invalid_field(field, want, v)
	local msg = "Invalid field " .. field .. " (expected " .. want .. " got " .. type(v) .. ")."
	local where = I.mod_frame(4) or {}
	if not I.warned_at["field:" .. msg .. tostring(where.file) .. tostring(where.line)] then
		I.warned_at["field:" .. msg .. tostring(where.file) .. tostring(where.line)] = true
		I.log("error", msg, where)
	end
end

local function check_typed(t, types)
	for field, want in pairs(types) do
		local v = t[field]
		if v ~= nil and not type_ok(v, want) then
			invalid_field(field, want, v)
		end
	end
end

local COLOR_PARAMTYPE2 = { color = true, colorfacedir = true, colorwallmounted = true, colordegrotate = true }

-- The warnings C++ logs while it reads a definition: these node fields', then the typed scalars'
-- (take_engine_def checks them as it reads them), then tool_capabilities' (check_toolcaps).
local function check_node_fields(def)
	local is_node = rawget(def, "type") == "node"
	if is_node then -- read_content_features warns on every registration (probed on 5.6.1)
		if def.alpha ~= nil then
			I.log("warning", 'Field "alpha": Obsolete, only limited compatibility provided; replaced by "use_texture_alpha"',
				I.mod_frame(3))
		end
		if type(def.use_texture_alpha) == "boolean" then
			I.log("warning", 'Field "use_texture_alpha": Boolean values are deprecated; use the new choices', I.mod_frame(3))
		end
		-- a palette (a string or number field, not empty) needs one of the color paramtype2s
		local palette, pt2 = def.palette, def.paramtype2
		if (type(palette) == "string" and palette ~= "" or type(palette) == "number") and not COLOR_PARAMTYPE2[pt2] then
			I.log("warning", "Node " .. tostring(rawget(def, "name")) .. " has a palette, but not a suitable paramtype2.",
				I.mod_frame(3))
		end
	end
end

local function check_toolcaps(def)
	local caps = def.tool_capabilities
	if type(caps) == "table" then
		check_typed(caps, TOOLCAP_TYPES)
		if type(caps.groupcaps) == "table" then
			for _, groupcap in pairs(caps.groupcaps) do
				if type(groupcap) == "table" then
					check_typed(groupcap, GROUPCAP_TYPES)
				end
			end
		end
	end
end

---------------------------------------------------------------------------------------------------
-- The engine's own copy of each definition. C++ register_item_raw reads the fields it knows
-- (read_item_definition, read_content_features) into an ItemDefinition / ContentFeatures once, at
-- registration and again at each override_item; later edits of the Lua table (rawset, a changed
-- groups or tool_capabilities table) never reach it, while the engine's callback lookups
-- (on_dig, on_construct ...) and builtin Lua (get_item_group, node_dig, get_node_drops) keep
-- reading core.registered_items live.

-- Fields C++ reads besides the typed scalars of FIELD_TYPES (item: all; node: also NODE_ONLY's).
local ITEM_TABLES = { "type", "name", "color", "wield_scale", "tool_capabilities", "groups", "sounds" }
local NODE_TABLES = { "tiles", "tile_images", "overlay_tiles", "special_tiles", "special_materials", "alpha",
	"use_texture_alpha", "post_effect_color", "node_box", "selection_box", "collision_box", "connects_to",
	"connect_sides" }
local ITEM_CPP, NODE_CPP = {}, {}
for field in pairs(FIELD_TYPES) do
	NODE_CPP[field] = true
	ITEM_CPP[field] = not NODE_ONLY[field] or nil
end
for _, field in ipairs(ITEM_TABLES) do
	ITEM_CPP[field], NODE_CPP[field] = true, true
end
for _, field in ipairs(NODE_TABLES) do
	NODE_CPP[field] = true
end

-- The same fields as lists: first the typed scalars (NODE_TYPED or ITEM_TYPED, with their types at
-- the same index: the order C++ warns of wrong types in), then the rest (no type to check).
local function cpp_list(cpp, typed, types)
	local list, want = {}, {}
	for i, field in ipairs(typed) do
		list[i], want[i] = field, types[i]
	end
	for field in pairs(cpp) do
		if not FIELD_TYPES[field] then
			list[#list + 1] = field
		end
	end
	return list, want
end
local ITEM_CPP_LIST, ITEM_CPP_TYPES = cpp_list(ITEM_CPP, ITEM_TYPED, ITEM_TYPES)
local NODE_CPP_LIST, NODE_CPP_TYPES = cpp_list(NODE_CPP, NODE_TYPED, NODE_TYPES)

-- A plain copy of a table (raw walk: no metamethod of the mod's runs; shared sub-tables stay
-- shared). Non-table keys and values are taken as they are, without a call. The copy's array part
-- is allocated at once (tiles, boxes and lists would otherwise grow it one rehash at a time).
local next_ = H.next
local table_new = H.require("table.new") -- LuaJIT's preallocating constructor
local function copy(t, seen)
	local out = seen[t]
	if out then
		return out
	end
	out = table_new(#t, 0)
	seen[t] = out
	for k, x in next_, t do
		if type(k) == "table" then
			k = copy(k, seen)
		end
		if type(x) == "table" then
			x = copy(x, seen)
		end
		out[k] = x
	end
	return out
end

-- name -> the engine's view of the definition: the C++ fields as read at registration (defaults
-- through __index included), every other field looked up in core.registered_items at each read.
-- I.engine_raw[name]: the C++ fields the mod's table held raw then (what the report lists).
I.engine_items, I.engine_raw = {}, {}

-- The views of one kind share one metatable: the item a view stands for is looked up by the view
-- (weak keys: a view replaced by override_item goes when nothing holds it), which spares every
-- registration a metatable and a closure of its own.
local view_name = setmetatable({}, { __mode = "k" })

local function view_meta(cpp)
	return {
		__index = function(view, k)
			if cpp[k] then
				return nil
			end
			local items = rawget(core, "registered_items")
			local live = type(items) == "table" and rawget(items, view_name[view]) or nil
			if type(live) == "table" then
				return live[k]
			end
		end,
	}
end
local NODE_VIEW, ITEM_VIEW = view_meta(NODE_CPP), view_meta(ITEM_CPP)

-- Where a definition's fields that are not raw come from: builtin's metatable looks them up in the
-- defaults (__index: a plain table), so walking the raw fields and then the defaults' reads the
-- same values as looking up each field C++ reads, at a fraction of the cost. Nil: some other
-- metatable (each field is looked up).
local NO_DEFAULTS = {}
local debug_getmetatable = H.debug.getmetatable

local function defaults_of(def)
	local mt = debug_getmetatable(def)
	local index = mt and rawget(mt, "__index")
	if index == nil then
		return NO_DEFAULTS
	end
	return type(index) == "table" and debug_getmetatable(index) == nil and index or nil
end

local function take_engine_def(def, name)
	local is_node = def.type == "node"
	local fields, types, cpp = ITEM_CPP_LIST, ITEM_CPP_TYPES, ITEM_CPP
	if is_node then
		fields, types, cpp = NODE_CPP_LIST, NODE_CPP_TYPES, NODE_CPP
	end
	local seen, raw, wrong = nil, {}, false
	-- sized for every field at once: most are set, by the mod or the defaults
	local view = table_new(0, #fields)
	-- the raw fields, then the defaults' that no raw field hides
	local defaults = defaults_of(def)
	local from, after = def, defaults
	if defaults == nil then -- some other metatable: each field looked up
		from = {}
		for i = 1, #fields do
			from[fields[i]] = def[fields[i]]
		end
	end
	while from do
		-- whether the fields of this pass are raw in def: all of them in def's own walk, none of the
		-- defaults' (those are taken where def has no raw field), each looked up otherwise
		local own, of_defaults = from == def, from == defaults
		for k, v in next_, from do
			if cpp[k] and (not of_defaults or rawget(def, k) == nil) then
				local want = FIELD_TYPES[k]
				if want ~= nil and type(v) ~= want then
					wrong = wrong or not type_ok(v, want)
				end
				if type(v) == "table" then
					seen = seen or {}
					v = copy(v, seen)
				end
				view[k] = v -- a plain table but for the metatable's __index
				if own then
					raw[k] = true
				elseif not of_defaults then
					raw[k] = rawget(def, k) ~= nil or nil
				end
			end
		end
		from, after = after, nil
	end
	if wrong then -- C++ warns of each wrong type as it reads the field: in the order of the list
		for i = 1, #fields do
			local field, want = fields[i], types[i]
			local v = view[field]
			if want and v ~= nil and type(v) ~= want and not type_ok(v, want) then
				invalid_field(field, want, v)
			end
		end
	end
	view_name[view] = name
	I.engine_items[name], I.engine_raw[name] = setmetatable(view, is_node and NODE_VIEW or ITEM_VIEW), raw
end

-- The fields the engine reads of the item `name` into its own definition (a set), or nil.
function I.engine_fields(name)
	local view = I.engine_items[name]
	return view ~= nil and (view.type == "node" and NODE_CPP or ITEM_CPP) or nil
end

-- The engine's definition of an item (one level of the engine's aliases), or nil.
function I.engine_def(name)
	local view = I.engine_items[name]
	if view == nil and I.raw_aliases[name] ~= nil then
		view = I.engine_items[I.raw_aliases[name]]
	end
	return view
end

-- C++ register_item_raw: validate field types, take the engine's copy of the definition, make the
-- node known to the node manager.
local function register_item_raw(def)
	local name = rawget(def, "name")
	if type(name) ~= "string" then
		error("register_item_raw: name is not defined or not a string", 0)
	end
	check_node_fields(def)
	take_engine_def(def, name)
	check_toolcaps(def)
	if def.type == "node" then
		allocate_id(name)
	end
	I.raw_aliases[name] = nil
end

local function unregister_item_raw(name)
	I.engine_items[name], I.engine_raw[name] = nil, nil
	local id = I.content_id[name]
	if id and id ~= core.CONTENT_AIR and id ~= core.CONTENT_IGNORE and id ~= core.CONTENT_UNKNOWN then
		I.content_id[name] = nil
	end
end

local function register_alias_raw(name, target)
	I.raw_aliases[name] = target
end

-- The engine's name check for items, entities and LBMs: ":" skips it, otherwise "<mod>:" and
-- [%w_] only. Outside load time get_current_modname() is nil and the concatenation fails.
local function check_modname_prefix(name)
	if name:sub(1, 1) == ":" then
		return name:sub(2)
	end
	local prefix = core.get_current_modname() .. ":"
	if name:sub(1, #prefix) ~= prefix then
		error("Name " .. name .. " does not follow naming conventions: \"" .. prefix .. "\" or \":\" prefix required")
	end
	if sfind(name:sub(#prefix + 1), "[^%w_]") then
		error("Name " .. name .. " does not follow naming conventions: contains unallowed characters")
	end
	return name
end
I.check_modname_prefix = check_modname_prefix

function core.register_abm(spec)
	H.assert(type(spec.action) == "function", "Required field 'action' of type function")
	local list = core.registered_abms
	list[#list + 1] = spec
	spec.mod_origin = core.get_current_modname() or "??"
end

function core.register_lbm(spec)
	check_modname_prefix(spec.name)
	H.assert(type(spec.action) == "function", "Required field 'action' of type function")
	local list = core.registered_lbms
	list[#list + 1] = spec
	spec.mod_origin = core.get_current_modname() or "??"
end

-- A node name list as the engine reads one (nodenames, neighbors): a string or a list of strings.
function I.name_list(v)
	if type(v) == "string" then
		return { v }
	end
	local out = {}
	if type(v) == "table" then
		for i = 1, #v do
			out[i] = v[i]
		end
	end
	return out
end

-- The engine's copies of the ABMs and LBMs in `abms`/`lbms` (ScriptApiEnv::initializeEnvironment):
-- what decides where and when each runs is read once; `id` is the index its action is looked up
-- by in core.registered_abms / registered_lbms at each trigger.
function I.copy_abms(abms)
	local out = {}
	for i, a in ipairs(abms) do
		if type(a) == "table" then
			out[#out + 1] = { id = i, label = a.label, nodenames = I.name_list(a.nodenames),
				neighbors = a.neighbors ~= nil and I.name_list(a.neighbors) or nil, interval = a.interval,
				chance = a.chance, min_y = a.min_y, max_y = a.max_y }
		end
	end
	return out
end

function I.copy_lbms(lbms)
	local out = {}
	for i, l in ipairs(lbms) do
		if type(l) == "table" then
			out[#out + 1] = { id = i, label = l.label, name = l.name, nodenames = I.name_list(l.nodenames) }
		end
	end
	return out
end

-- The environment starts (after on_mods_loaded): from now on later edits of core.registered_abms,
-- registered_lbms or their entries change nothing but the actions.
I.engine_abms, I.engine_lbms = nil, nil
function I.start_abms_lbms()
	I.engine_abms = I.copy_abms(I.registry("registered_abms"))
	I.engine_lbms = I.copy_lbms(I.registry("registered_lbms"))
end

function core.register_entity(name, prototype)
	if name == nil then
		error("Unable to register entity: Name is nil")
	end
	name = check_modname_prefix(tostring(name))
	prototype.name = name
	prototype.__index = prototype
	core.registered_entities[name] = prototype
	prototype.mod_origin = core.get_current_modname() or "??"
end

local DEFAULTS_BY_TYPE = {
	node = { "nodedef_default", "registered_nodes" },
	craft = { "craftitemdef_default", "registered_craftitems" },
	tool = { "tooldef_default", "registered_tools" },
	none = { "noneitemdef_default" },
}

local function dump_value(v)
	local d = rawget(I.G, "dump")
	if type(d) == "function" then
		return d(v)
	end
	return tostring(v)
end

function core.register_item(name, itemdef)
	if name == nil then
		error("Unable to register item: Name is nil")
	end
	name = check_modname_prefix(tostring(name))
	if FORBIDDEN[name] then
		error("Unable to register item: Name is forbidden: " .. name)
	end
	itemdef.name = name

	local kind = DEFAULTS_BY_TYPE[itemdef.type]
	if itemdef.type == "node" then
		if itemdef.drawtype == "nodebox" and not itemdef.selection_box then
			itemdef.selection_box = itemdef.node_box
		elseif itemdef.drawtype == "fencelike" and not itemdef.selection_box then
			itemdef.selection_box = { type = "fixed", fixed = { -1 / 8, -1 / 2, -1 / 8, 1 / 8, 1 / 2, 1 / 8 } }
		end
		if itemdef.light_source and itemdef.light_source > core.LIGHT_MAX then
			itemdef.light_source = core.LIGHT_MAX
			I.log("warning", "Node 'light_source' value exceeds maximum, limiting to maximum: " .. name)
		end
	end
	if not kind then
		error("Unable to register item: Type is invalid: " .. dump_value(itemdef))
	end
	setmetatable(itemdef, { __index = core[kind[1]] })
	if kind[2] then
		core[kind[2]][itemdef.name] = itemdef
	end

	if itemdef.type == "node" and itemdef.liquidtype == "flowing" then
		itemdef.paramtype2 = "flowingliquid"
	end

	-- Legacy fields that register crafts.
	if itemdef.cookresult_itemstring ~= nil and itemdef.cookresult_itemstring ~= "" then
		core.register_craft({ type = "cooking", output = itemdef.cookresult_itemstring, recipe = itemdef.name,
			cooktime = itemdef.furnace_cooktime })
	end
	if itemdef.furnace_burntime ~= nil and itemdef.furnace_burntime >= 0 then
		core.register_craft({ type = "fuel", recipe = itemdef.name, burntime = itemdef.furnace_burntime })
	end

	itemdef.mod_origin = core.get_current_modname() or "??"
	-- From here on, keys that are not raw fields yet are swallowed.
	getmetatable(itemdef).__newindex = {}

	core.registered_items[itemdef.name] = itemdef
	core.registered_aliases[itemdef.name] = nil
	register_item_raw(itemdef)
end

function core.unregister_item(name)
	if not core.registered_items[name] then
		I.log("warning", "Not unregistering item " .. name .. " because it doesn't exist.")
		return
	end
	local kind = DEFAULTS_BY_TYPE[core.registered_items[name].type]
	if kind and kind[2] then
		core[kind[2]][name] = nil
	end
	core.registered_items[name] = nil
	unregister_item_raw(name)
end

function core.register_node(name, nodedef)
	nodedef.type = "node"
	core.register_item(name, nodedef)
end

function core.register_craftitem(name, craftitemdef)
	craftitemdef.type = "craft"
	if craftitemdef.inventory_image == nil and craftitemdef.image ~= nil then
		craftitemdef.inventory_image = craftitemdef.image
	end
	core.register_item(name, craftitemdef)
end

local LEGACY_TOOL_FIELDS = { "full_punch_interval", "basetime", "dt_weight", "dt_crackiness", "dt_crumbliness",
	"dt_cuttability", "basedurability", "dd_weight", "dd_crackiness", "dd_crumbliness", "dd_cuttability" }

function core.register_tool(name, tooldef)
	tooldef.type = "tool"
	tooldef.stack_max = 1
	if tooldef.inventory_image == nil and tooldef.image ~= nil then
		tooldef.inventory_image = tooldef.image
	end
	if tooldef.tool_capabilities == nil then
		local legacy
		for _, f in ipairs(LEGACY_TOOL_FIELDS) do
			if tooldef[f] ~= nil then
				legacy = legacy or {}
			end
		end
		if legacy then
			for _, f in ipairs(LEGACY_TOOL_FIELDS) do
				legacy[f] = tooldef[f]
			end
			tooldef.tool_capabilities = legacy
		end
	end
	-- punch_attack_uses from the first group capability that wears the tool
	local caps = tooldef.tool_capabilities
	if caps and caps.punch_attack_uses == nil then
		for _, cap in pairs(caps.groupcaps or {}) do
			local level = (cap.maxlevel or 0) - 1
			if (cap.uses or 0) ~= 0 and level >= 0 then
				caps.punch_attack_uses = cap.uses * (3 ^ level)
				break
			end
		end
	end
	core.register_item(name, tooldef)
end

function core.register_alias(name, convert_to)
	if FORBIDDEN[name] then
		error("Unable to register alias: Name is forbidden: " .. name)
	end
	if core.registered_items[name] ~= nil then
		I.log("warning", "Not registering alias, item with same name is already defined: " .. name .. " -> "
			.. convert_to)
	else
		core.registered_aliases[name] = convert_to
		register_alias_raw(name, convert_to)
	end
end

function core.register_alias_force(name, convert_to)
	if FORBIDDEN[name] then
		error("Unable to register alias: Name is forbidden: " .. name)
	end
	if core.registered_items[name] ~= nil then
		core.unregister_item(name)
		I.log("info", "Removed item " .. name .. " while attempting to force add an alias")
	end
	core.registered_aliases[name] = convert_to
	register_alias_raw(name, convert_to)
end

-- override_item: errors name the caller (level 2); rawset bypasses the swallow-new-keys trap.
-- The third argument (fields to delete) exists from 5.9 on.
function core.override_item(name, redefinition, del_fields)
	if redefinition.name ~= nil then
		error("Attempt to redefine name of " .. name .. " to " .. dump_value(redefinition.name), 2)
	end
	if redefinition.type ~= nil then
		error("Attempt to redefine type of " .. name .. " to " .. dump_value(redefinition.type), 2)
	end
	local item = core.registered_items[name]
	if not item then
		error("Attempt to override non-existent item " .. name, 2)
	end
	for k, v in pairs(redefinition) do
		rawset(item, k, v)
	end
	if del_fields ~= nil and I.target_at_least("5.9") then
		for _, field in ipairs(del_fields) do
			rawset(item, field, nil)
		end
	end
	register_item_raw(item)
end

function core.on_craft(itemstack, player, old_craft_list, craft_inv)
	for _, func in ipairs(core.registered_on_crafts) do
		itemstack = I.G.ItemStack(func(itemstack, player, old_craft_list, craft_inv) or itemstack)
	end
	return itemstack
end

function core.craft_predict(itemstack, player, old_craft_list, craft_inv)
	for _, func in ipairs(core.registered_craft_predicts) do
		itemstack = I.G.ItemStack(func(itemstack, player, old_craft_list, craft_inv) or itemstack)
	end
	return itemstack
end

for name in pairs(FORBIDDEN) do
	core.registered_aliases[name] = ""
	register_alias_raw(name, "")
end

---------------------------------------------------------------------------------------------------
-- Callback lists

do
	local unknown_origin = { mod = "??", name = "??" }
	core.callback_origins = setmetatable({}, { __index = function()
		return unknown_origin
	end })
end

-- core.run_callbacks modes (the C++ RUN_CALLBACKS_MODE_*): 0 first, 1 last, 2 and, 3 and_sc,
-- 4 or, 5 or_sc; each callback runs with its mod as the last-run mod.
function core.run_callbacks(callbacks, mode, ...)
	H.assert(type(callbacks) == "table")
	local n = #callbacks
	if n == 0 then
		if mode == 2 or mode == 3 then
			return true
		elseif mode == 4 or mode == 5 then
			return false
		end
	end
	local ret
	for i = 1, n do
		core.set_last_run_mod(core.callback_origins[callbacks[i]].mod)
		local r = callbacks[i](...)
		if mode == 0 and i == 1 then
			ret = r
		elseif mode == 1 and i == n then
			ret = r
		elseif mode == 2 then
			if not r or i == 1 then
				ret = r
			end
		elseif mode == 3 then
			if r then
				return r
			end
			ret = r
		elseif mode == 4 then
			if (r and not ret) or i == 1 then
				ret = r
			end
		elseif mode == 5 and r then
			return r
		end
	end
	return ret
end

function core.run_priv_callbacks(name, priv, caller, method)
	local def = core.registered_privileges[priv]
	if not def or not def["on_" .. method] or not def["on_" .. method](name, caller) then
		for _, func in ipairs(core["registered_on_priv_" .. method]) do
			if not func(name, caller, priv) then
				break
			end
		end
	end
end

-- Who registered each callback, for the judge: I.callback_mod[func] is the mod loading when `func`
-- was first registered ("*builtin*" for the emulation's own, "??" for a registration at run time,
-- which only mod code makes). Unlike core.callback_origins (the engine's, a mod-writable table
-- filled through the mod-replaceable core.get_current_modname), mods cannot reach or forge it. A
-- callback list's mod callbacks are its entries whose I.callback_mod is not "*builtin*" (a function
-- a mod puts into a list by hand has none: it is the mod's too).
I.callback_mod = setmetatable({}, { __mode = "k" })

-- The builtin functions through which the engine dispatches an event to its callback list: a mod
-- that replaces one hooks every such event as a callback would, so it counts as one.
local DISPATCHERS = { registered_on_crafts = "on_craft", registered_craft_predicts = "craft_predict" }
local builtin_dispatcher = {}
function I.keep_dispatchers() -- before the first mod loads (begin_mod_loading)
	for _, name in pairs(DISPATCHERS) do
		builtin_dispatcher[name] = builtin_dispatcher[name] or rawget(core, name)
	end
end

-- mod_callback_count(list_name): how many functions in core[list_name] are mods' callbacks, read
-- raw (a mod can replace ipairs or give the list a metatable), plus one where a mod replaced the
-- event's builtin dispatcher. JSON {ok, count}.
I.api = I.api or {}
function I.api.mod_callback_count(list_name)
	local list, n, i = rawget(core, tostring(list_name)), 0, 1
	local dispatcher = DISPATCHERS[tostring(list_name)]
	local kept = dispatcher and builtin_dispatcher[dispatcher]
	if kept and rawget(core, dispatcher) ~= kept then
		n = 1
	end
	while type(list) == "table" and rawget(list, i) ~= nil do
		local f = rawget(list, i)
		if type(f) == "function" and I.callback_mod[f] ~= "*builtin*" then
			n = n + 1
		end
		i = i + 1
	end
	return I.to_json({ ok = true, count = n })
end

local function record_origin(func, regname)
	core.callback_origins[func] = { mod = core.get_current_modname() or "??", name = regname }
	if I.callback_mod[func] == nil then
		I.callback_mod[func] = I.current_mod or "??"
	end
end

-- Define core.<register_name> appending (or, reversed, prepending) to core.<list_name>.
local function make_registration(list_name, register_name, reverse)
	local list = {}
	core[list_name] = list
	core[register_name] = function(func)
		if reverse then
			tinsert(list, 1, func)
		else
			list[#list + 1] = func
		end
		record_origin(func, register_name)
	end
end
I.make_registration = make_registration

core.registered_on_player_hpchanges = { modifiers = {}, loggers = {} }

function core.registered_on_player_hpchange(player, hp_change, reason)
	local last
	local mods = core.registered_on_player_hpchanges.modifiers
	for i = #mods, 1, -1 do
		local func = mods[i]
		hp_change, last = func(player, hp_change, reason)
		if type(hp_change) ~= "number" then
			local info = H.debug.getinfo(func)
			error("The register_on_hp_changes function has to return a number at " .. info.short_src .. " line "
				.. info.linedefined)
		end
		if last then
			break
		end
	end
	for _, func in ipairs(core.registered_on_player_hpchanges.loggers) do
		func(player, hp_change, reason)
	end
	return hp_change
end

function core.register_on_player_hpchange(func, modifier)
	local t = core.registered_on_player_hpchanges[modifier and "modifiers" or "loggers"]
	t[#t + 1] = func
	record_origin(func, "register_on_player_hpchange")
end

for _, pair in ipairs({
	{ "registered_on_chat_messages", "register_on_chat_message" },
	{ "registered_on_chatcommands", "register_on_chatcommand" },
	{ "registered_globalsteps", "register_globalstep" },
	{ "registered_playerevents", "register_playerevent" },
	{ "registered_on_mods_loaded", "register_on_mods_loaded" },
	{ "registered_on_shutdown", "register_on_shutdown" },
	{ "registered_on_punchnodes", "register_on_punchnode" },
	{ "registered_on_placenodes", "register_on_placenode" },
	{ "registered_on_dignodes", "register_on_dignode" },
	{ "registered_on_generateds", "register_on_generated" },
	{ "registered_on_newplayers", "register_on_newplayer" },
	{ "registered_on_dieplayers", "register_on_dieplayer" },
	{ "registered_on_respawnplayers", "register_on_respawnplayer" },
	{ "registered_on_prejoinplayers", "register_on_prejoinplayer" },
	{ "registered_on_joinplayers", "register_on_joinplayer" },
	{ "registered_on_leaveplayers", "register_on_leaveplayer" },
	{ "registered_on_cheats", "register_on_cheat" },
	{ "registered_on_crafts", "register_on_craft" },
	{ "registered_craft_predicts", "register_craft_predict" },
	{ "registered_on_protection_violation", "register_on_protection_violation" },
	{ "registered_on_item_eats", "register_on_item_eat" },
	{ "registered_on_punchplayers", "register_on_punchplayer" },
	{ "registered_on_priv_grant", "register_on_priv_grant" },
	{ "registered_on_priv_revoke", "register_on_priv_revoke" },
	{ "registered_on_authplayers", "register_on_authplayer" },
	{ "registered_can_bypass_userlimit", "register_can_bypass_userlimit" },
	{ "registered_on_modchannel_message", "register_on_modchannel_message" },
	{ "registered_on_player_inventory_actions", "register_on_player_inventory_action" },
	{ "registered_allow_player_inventory_actions", "register_allow_player_inventory_action" },
	{ "registered_on_rightclickplayers", "register_on_rightclickplayer" },
	{ "registered_on_liquid_transformed", "register_on_liquid_transformed" },
	-- 5.7 additions (hidden from mods when the target version is older; see versions.lua)
	{ "registered_on_item_pickups", "register_on_item_pickup" },
	{ "registered_on_mapblocks_changed", "register_on_mapblocks_changed" },
}) do
	make_registration(pair[1], pair[2])
end
make_registration("registered_on_player_receive_fields", "register_on_player_receive_fields", true)

-- Compatibility: runs at once with the mapgen parameters.
function core.register_on_mapgen_init(func)
	func(core.get_mapgen_params())
end

---------------------------------------------------------------------------------------------------
-- Builtin items (as builtin/game/register.lua registers them, as the mod "*builtin*")

core.register_item(":unknown", {
	type = "none",
	description = S("Unknown Item"),
	inventory_image = "unknown_item.png",
	on_place = late("item_place"),
	on_secondary_use = late("item_secondary_use"),
	on_drop = late("item_drop"),
	groups = { not_in_creative_inventory = 1 },
	diggable = true,
})

core.register_node(":air", {
	description = S("Air"),
	inventory_image = "air.png",
	wield_image = "air.png",
	drawtype = "airlike",
	paramtype = "light",
	sunlight_propagates = true,
	walkable = false,
	pointable = false,
	diggable = false,
	buildable_to = true,
	floodable = true,
	air_equivalent = true,
	drop = "",
	groups = { not_in_creative_inventory = 1 },
})

core.register_node(":ignore", {
	description = S("Ignore"),
	inventory_image = "ignore.png",
	wield_image = "ignore.png",
	drawtype = "airlike",
	paramtype = "none",
	sunlight_propagates = false,
	walkable = false,
	pointable = false,
	diggable = false,
	buildable_to = true,
	air_equivalent = true,
	drop = "",
	groups = { not_in_creative_inventory = 1 },
	node_placement_prediction = "",
	on_place = function(itemstack, placer, pointed_thing)
		core.chat_send_player(placer:get_player_name(), core.colorize("#FF0000", S("You can't place 'ignore' nodes!")))
		return ""
	end,
})

core.register_item(":", {
	type = "none",
	wield_image = "wieldhand.png",
	groups = { not_in_creative_inventory = 1 },
})

-- Called by modload before the first mod runs: builtin registration is over.
function I.begin_mod_loading()
	if I.mod_loading_begun then
		return
	end
	I.mod_loading_begun = true
	I.current_mod = nil
	I.keep_dispatchers()
	if I.apply_target_version then
		I.apply_target_version()
	end
end
