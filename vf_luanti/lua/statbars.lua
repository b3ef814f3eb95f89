-- statbars.lua: the builtin health and breath HUD bars (engine: builtin/game/statbars.lua), written
-- from its behaviour. A joining player gets a health statbar (hud_add) when damage is enabled (the
-- enable_damage setting as it was at start-up), its `healthbar` HUD flag is set and it is not
-- immortal; a breath bar comes while its breath is below the maximum and goes a second after it is
-- full again. Player events keep them current, and core.hud_replace_builtin swaps their definitions.
-- The bars take HUD ids like any element: a mod's own elements get the ids after them.
local core, I = ...
local H = I.host
local type, pairs, tostring = H.type, H.pairs, H.tostring
local ceil, max = H.math.ceil, H.math.max

local enable_damage = core.settings:get_bool("enable_damage")

local function copy(t)
	local c = {}
	for k, v in pairs(t) do
		c[k] = type(v) == "table" and copy(v) or v
	end
	return c
end

local bar_definitions = {
	hp = {
		hud_elem_type = "statbar", position = { x = 0.5, y = 1 }, text = "heart.png", text2 = "heart_gone.png",
		number = core.PLAYER_MAX_HP_DEFAULT, item = core.PLAYER_MAX_HP_DEFAULT, direction = 0,
		size = { x = 24, y = 24 }, offset = { x = (-10 * 24) - 25, y = -(48 + 24 + 16) },
	},
	breath = {
		hud_elem_type = "statbar", position = { x = 0.5, y = 1 }, text = "bubble.png", text2 = "bubble_gone.png",
		number = core.PLAYER_MAX_BREATH_DEFAULT * 2, item = core.PLAYER_MAX_BREATH_DEFAULT * 2, direction = 0,
		size = { x = 24, y = 24 }, offset = { x = 25, y = -(48 + 24 + 16) },
	},
}

local hud_ids = {} -- player name -> {id_healthbar, id_breathbar}

-- HP or breath ("hp" / "breath") scaled to the bar's nominal number of half-icons.
local function scaled(player, field)
	local current = player["get_" .. field](player)
	local shown_max = max(player:get_properties()[field .. "_max"], current)
	return ceil(current / shown_max * bar_definitions[field].item)
end

local function update_builtin_statbars(player)
	local name = player:get_player_name()
	if name == "" then
		return
	end
	local flags = player:hud_get_flags()
	if not hud_ids[name] then
		hud_ids[name] = {}
		player:hud_set_flags(flags) -- flags are not sent on connect: send them
	end
	local hud = hud_ids[name]
	local immortal = player:get_armor_groups().immortal == 1

	if flags.healthbar and enable_damage and not immortal then
		local number = scaled(player, "hp")
		if hud.id_healthbar == nil then
			local def = copy(bar_definitions.hp)
			def.number = number
			hud.id_healthbar = player:hud_add(def)
		else
			player:hud_change(hud.id_healthbar, "number", number)
		end
	elseif hud.id_healthbar then
		player:hud_remove(hud.id_healthbar)
		hud.id_healthbar = nil
	end

	local show_breathbar = flags.breathbar and enable_damage and not immortal
	local breath, breath_max = player:get_breath(), player:get_properties().breath_max
	if show_breathbar and breath <= breath_max then
		local number = scaled(player, "breath")
		if not hud.id_breathbar and breath < breath_max then
			local def = copy(bar_definitions.breath)
			def.number = number
			hud.id_breathbar = player:hud_add(def)
		elseif hud.id_breathbar then
			player:hud_change(hud.id_breathbar, "number", number)
		end
	end
	if hud.id_breathbar and (not show_breathbar or breath == breath_max) then
		core.after(1, function(player_name, breath_bar) -- the full bar stays a moment
			local p = core.get_player_by_name(player_name)
			if p then
				p:hud_remove(breath_bar)
			end
		end, name, hud.id_breathbar)
		hud.id_breathbar = nil
	end
end
-- registered at on_mods_loaded, still builtin's own callback (not a mod's: driver.lua)
I.callback_mod[update_builtin_statbars] = I.current_mod

local function cleanup_builtin_statbars(player)
	local name = player:get_player_name()
	if name ~= "" then
		hud_ids[name] = nil
	end
end

local function player_event_handler(player, eventname)
	H.assert(player:is_player())
	local name = player:get_player_name()
	if name == "" or not hud_ids[name] then
		return
	end
	if eventname == "health_changed" then
		update_builtin_statbars(player)
		if hud_ids[name].id_healthbar then
			return true
		end
	end
	if eventname == "breath_changed" then
		update_builtin_statbars(player)
		if hud_ids[name].id_breathbar then
			return true
		end
	end
	if eventname == "hud_changed" or eventname == "properties_changed" then
		update_builtin_statbars(player)
		return true
	end
	return false
end

-- Replace the health ("health") or breath ("breath") bar's definition (a statbar); the players'
-- bars are drawn anew with it.
function core.hud_replace_builtin(hud_name, definition)
	if type(definition) ~= "table" or definition.hud_elem_type ~= "statbar" then
		return false
	end
	definition = copy(definition)
	local bar, id_field, default
	if hud_name == "health" then
		bar, id_field, default = "hp", "id_healthbar", core.PLAYER_MAX_HP_DEFAULT
	elseif hud_name == "breath" then
		bar, id_field, default = "breath", "id_breathbar", core.PLAYER_MAX_BREATH_DEFAULT
	else
		return false
	end
	definition.item = definition.item or definition.number or default
	bar_definitions[bar] = definition
	for name, ids in pairs(hud_ids) do
		local player = core.get_player_by_name(tostring(name))
		if player and ids[id_field] then
			player:hud_remove(ids[id_field])
			ids[id_field] = nil
			update_builtin_statbars(player)
		end
	end
	return true
end

-- The bars are added after every mod's on_joinplayer (so a mod hiding them by HUD flags there wins).
core.register_on_mods_loaded(function()
	core.register_on_joinplayer(update_builtin_statbars)
end)
core.register_on_leaveplayer(cleanup_builtin_statbars)
core.register_playerevent(player_event_handler)
