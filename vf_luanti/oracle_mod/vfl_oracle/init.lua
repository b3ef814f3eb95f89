-- vfl_oracle: runs inside the real engine for vf_luanti.oracle.
--
-- After every other mod has loaded (the oracle lists them all in this mod's optional_depends), it
-- writes the registry as JSON to <world>/vfl_registry.json, in the shape of the "registered" section
-- of `vf-luanti check --json`, lets the server run a fixed number of steps (so errors raised in
-- core.after(0) callbacks and globalsteps surface) and then asks for a clean shutdown.
--
-- The JSON encoder follows the emulation's report rules: functions become "<function>"; a table is
-- an array when its keys are exactly 1..n (n >= 1), otherwise an object with string/number keys;
-- cycles, userdata and non-finite numbers become null.

local dump_registry = core.settings:get_bool("vfl_oracle_dump", false)
local steps = tonumber(core.settings:get("vfl_oracle_steps")) or 0

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
	["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
	return '"' .. s:gsub('[%c"\\]', function(c)
		return escapes[c] or string.format("\\u%04x", c:byte())
	end) .. '"'
end

local function encode(v, on_path, depth)
	local t = type(v)
	if t == "string" then
		return quote(v)
	elseif t == "boolean" then
		return tostring(v)
	elseif t == "function" then
		return '"<function>"'
	elseif t == "number" then
		if v ~= v or v == math.huge or v == -math.huge then
			return "null"
		end
		if v == math.floor(v) and v > -1e15 and v < 1e15 then
			return string.format("%d", v)
		end
		return string.format("%.17g", v)
	elseif t ~= "table" or on_path[v] or depth > 32 then
		return "null"
	end
	on_path[v] = true
	local count, top = 0, 0
	for k in next, v do
		count = count + 1
		if type(k) == "number" and k >= 1 and k == math.floor(k) and k > top then
			top = k
		end
	end
	local parts = {}
	if count > 0 and top == count then
		for i = 1, top do
			parts[i] = encode(rawget(v, i), on_path, depth + 1)
		end
		on_path[v] = nil
		return "[" .. table.concat(parts, ",") .. "]"
	end
	local keys = {}
	for k in next, v do
		if type(k) == "string" or type(k) == "number" then
			keys[#keys + 1] = k
		end
	end
	table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
	for i, k in ipairs(keys) do
		parts[i] = quote(tostring(k)) .. ":" .. encode(rawget(v, k), on_path, depth + 1)
	end
	on_path[v] = nil
	return "{" .. table.concat(parts, ",") .. "}"
end

local function sorted_names(t)
	local names = {}
	for k in next, t do
		if type(k) == "string" then
			names[#names + 1] = k
		end
	end
	table.sort(names)
	return names
end

local function name_list(v)
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

-- Recipes live in C++: ask for every registered item's recipes (and "" for fuels and tool repair,
-- whose output is empty). `items` is sparse in the engine's answer; holes become "".
local function crafts()
	local out = {}
	local outputs = sorted_names(core.registered_items)
	if not core.registered_items[""] then
		table.insert(outputs, 1, "")
	end
	for _, name in ipairs(outputs) do
		for _, r in ipairs(core.get_all_craft_recipes(name) or {}) do
			local items = {}
			for i = 1, table.maxn(r.items or {}) do
				items[i] = r.items[i] or ""
			end
			out[#out + 1] = { method = r.method, width = r.width, output = r.output, items = items }
		end
	end
	return out
end

local function registry_json()
	local items = {}
	for _, name in ipairs(sorted_names(core.registered_items)) do
		items[#items + 1] = quote(name) .. ":" .. encode(rawget(core.registered_items, name), {}, 0)
	end
	local abms = {}
	for i, a in ipairs(core.registered_abms) do
		abms[i] = encode({ label = rawget(a, "label"), nodenames = name_list(rawget(a, "nodenames")),
			neighbors = name_list(rawget(a, "neighbors")), interval = rawget(a, "interval") or 10.0,
			chance = rawget(a, "chance") or 50 }, {}, 0)
	end
	local lbms = {}
	for i, l in ipairs(core.registered_lbms) do
		lbms[i] = encode({ label = rawget(l, "label"), name = rawget(l, "name"),
			nodenames = name_list(rawget(l, "nodenames")) }, {}, 0)
	end
	local aliases = {}
	for _, k in ipairs(sorted_names(core.registered_aliases)) do
		aliases[#aliases + 1] = quote(k) .. ":" .. quote(tostring(core.registered_aliases[k]))
	end
	local crafts_json = {}
	for i, c in ipairs(crafts()) do
		crafts_json[i] = encode(c, {}, 0)
	end
	return '{"items":{' .. table.concat(items, ",") .. '},"aliases":{' .. table.concat(aliases, ",")
		.. '},"crafts":[' .. table.concat(crafts_json, ",") .. '],"abms":[' .. table.concat(abms, ",")
		.. '],"lbms":[' .. table.concat(lbms, ",") .. '],"entities":' .. encode(sorted_names(core.registered_entities), {}, 0)
		.. ',"chatcommands":' .. encode(sorted_names(core.registered_chatcommands), {}, 0)
		.. ',"privileges":' .. encode(sorted_names(core.registered_privileges), {}, 0) .. "}"
end

core.register_on_mods_loaded(function()
	if dump_registry then
		assert(core.safe_file_write(core.get_worldpath() .. "/vfl_registry.json", registry_json()))
	end
	if steps <= 0 then
		core.request_shutdown("", false, 0)
		return
	end
	local n = 0
	core.register_globalstep(function()
		n = n + 1
		if n == steps then
			core.request_shutdown("", false, 0)
		end
	end)
end)
