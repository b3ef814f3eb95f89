-- versions.lua: which core.* name exists since which Luanti version, and the unknown-API diagnostic.
--
-- BASELINE lists every member of `core` a mod sees in the 5.6.1 engine (taken from the real server
-- with an empty game); LATER lists, per release, the core.* names whose documentation first
-- appears in that release's doc/lua_api (tags 5.7.0 .. 5.17.0). The target version (default 5.6.1,
-- the oracle's) decides which of the later names the emulation exposes: the others are moved out
-- of `core` before the first mod loads, so a mod sees the same nil as on a real 5.6.1 server.
--
-- The other library tables get the same treatment (LATER_FIELDS: vector.sign, table.keyof,
-- math.isfinite, ValueNoise, ...): a 5.6.1 mod sees nil there too.
--
-- Reading a missing name is silent, as in the engine (`if core.X then` is a feature test, and the
-- engine's strict mode only watches globals). When the mod's code then fails on it ("attempt to
-- call field 'X' (a nil value)" at the place of the read), the error gets one warning naming the
-- API and the version that has it, or the nearest real name (I.explain_error). The __index
-- metamethod only runs for missing keys.
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs = H.type, H.tostring, H.tonumber, H.pairs
local ssub, sgsub, smatch, gmatch, getinfo = H.string.sub, H.string.gsub, H.string.match, H.string.gmatch, H.debug.getinfo
local min, floor = H.math.min, H.math.floor

local BASELINE = [[
CONTENT_AIR CONTENT_IGNORE CONTENT_UNKNOWN EMERGE_CANCELLED EMERGE_ERRORED EMERGE_FROM_DISK
EMERGE_FROM_MEMORY EMERGE_GENERATED LIGHT_MAX MAP_BLOCKSIZE PLAYER_MAX_BREATH_DEFAULT
PLAYER_MAX_HP_DEFAULT add_entity add_item add_node add_node_level add_particle add_particlespawner
after async_event_handler async_jobs auth_reload ban_player builtin_auth_handler bulk_set_node
calculate_knockback callback_origins cancel_shutdown_requests chat_send_all chat_send_player
chatcommands check_for_falling check_password_entry check_player_privs check_single_for_falling
clear_craft clear_objects clear_registered_biomes clear_registered_decorations
clear_registered_ores clear_registered_schematics close_formspec colorize colorspec_to_bytes
colorspec_to_colorstring compare_block_status compress cpdir craft_predict craftitemdef_default
create_detached_inventory create_detached_inventory_raw create_schematic debug decode_base64
decompress delete_area delete_particlespawner deserialize detached_inventories dig_node
dir_to_facedir dir_to_wallmounted dir_to_yaw disconnect_player do_async_callback do_item_eat
dynamic_add_media dynamic_media_callbacks emerge_area encode_base64 encode_png env
explode_scrollbar_event explode_table_event explode_textlist_event facedir_to_dir features
find_node_near find_nodes_in_area find_nodes_in_area_under_air find_nodes_with_meta find_path
fix_light forceload_block forceload_free_block format_chat_message formspec_escape
generate_decorations generate_ores get_all_craft_recipes get_artificial_light get_auth_handler
get_background_escape_sequence get_ban_description get_ban_list get_biome_data get_biome_id
get_biome_name get_builtin_path get_color_escape_sequence get_connected_players get_content_id
get_craft_recipe get_craft_result get_current_modname get_day_count get_decoration_id
get_dig_params get_dir_list get_gametime get_gen_notify get_globals_to_transfer get_heat
get_hit_params get_humidity get_inventory get_item_group get_last_run_mod get_mapgen_object
get_mapgen_params get_mapgen_setting get_mapgen_setting_noiseparams get_meta get_mod_storage
get_modnames get_modpath get_name_from_content_id get_natural_light get_node get_node_drops
get_node_group get_node_level get_node_light get_node_max_level get_node_or_nil get_node_timer
get_noiseparams get_objects_in_area get_objects_inside_radius get_password_hash get_perlin
get_perlin_map get_player_by_name get_player_information get_player_ip get_player_privs
get_player_radius_area get_pointed_thing_position get_position_from_hash get_server_max_lag
get_server_status get_server_uptime get_spawn_level get_timeofday get_tool_wear_after_use
get_translated_string get_translator get_us_time get_user_path get_version get_voxel_manip
get_worldpath global_exists handle_async handle_node_drops has_feature hash_node_position
hud_replace_builtin inventorycube is_area_protected is_colored_paramtype is_creative_enabled is_nan
is_player is_protected is_singleplayer is_yes item_drop item_eat item_place item_place_node
item_place_object item_secondary_use itemstring_with_color itemstring_with_palette kick_player
line_of_sight load_area log luaentities mkdir mod_channel_join mvdir node_dig node_punch
nodedef_default noneitemdef_default notify_authentication_modified object_refs on_craft
override_chatcommand override_item parse_coordinates parse_json parse_relative_number place_node
place_schematic place_schematic_on_vmanip player_exists pointed_thing_to_face_pos pos_to_string
privs_to_string punch_node raillike_group raycast read_schematic record_protection_violation
register_abm register_alias register_alias_force register_allow_player_inventory_action
register_async_dofile register_authentication_handler register_biome register_can_bypass_userlimit
register_chatcommand register_craft register_craft_predict register_craftitem register_decoration
register_entity register_globalstep register_item register_lbm register_node register_on_auth_fail
register_on_authplayer register_on_chat_message register_on_chatcommand register_on_cheat
register_on_craft register_on_dieplayer register_on_dignode register_on_generated
register_on_item_eat register_on_joinplayer register_on_leaveplayer register_on_liquid_transformed
register_on_mapgen_init register_on_modchannel_message register_on_mods_loaded
register_on_newplayer register_on_placenode register_on_player_hpchange
register_on_player_inventory_action register_on_player_receive_fields register_on_prejoinplayer
register_on_priv_grant register_on_priv_revoke register_on_protection_violation
register_on_punchnode register_on_punchplayer register_on_respawnplayer
register_on_rightclickplayer register_on_shutdown register_ore register_playerevent
register_privilege register_schematic register_tool registered_abms registered_aliases
registered_allow_player_inventory_actions registered_biomes registered_can_bypass_userlimit
registered_chatcommands registered_craft_predicts registered_craftitems registered_decorations
registered_entities registered_globalsteps registered_items registered_lbms registered_nodes
registered_on_authplayers registered_on_chat_messages registered_on_chatcommands
registered_on_cheats registered_on_crafts registered_on_dieplayers registered_on_dignodes
registered_on_generateds registered_on_item_eats registered_on_joinplayers
registered_on_leaveplayers registered_on_liquid_transformed registered_on_modchannel_message
registered_on_mods_loaded registered_on_newplayers registered_on_placenodes
registered_on_player_hpchange registered_on_player_hpchanges registered_on_player_inventory_actions
registered_on_player_receive_fields registered_on_prejoinplayers registered_on_priv_grant
registered_on_priv_revoke registered_on_protection_violation registered_on_punchnodes
registered_on_punchplayers registered_on_respawnplayers registered_on_rightclickplayers
registered_on_shutdown registered_ores registered_playerevents registered_privileges
registered_tools remove_detached_inventory remove_detached_inventory_raw remove_node remove_player
remove_player_auth request_http_api request_insecure_environment request_shutdown rgba rmdir
rollback_get_last_node_actor rollback_get_node_actions rollback_punch_callbacks
rollback_revert_actions_by rotate_and_place rotate_node run_callbacks run_priv_callbacks
safe_file_write send_join_message send_leave_message serialize serialize_roundtrip
serialize_schematic set_gen_notify set_last_run_mod set_mapgen_params set_mapgen_setting
set_mapgen_setting_noiseparams set_node set_node_level set_noiseparams set_player_password
set_player_privs set_timeofday setting_get setting_get_pos setting_getbool setting_save setting_set
setting_setbool settings sha1 show_formspec show_general_help_formspec show_privs_help_formspec
sound_fade sound_play sound_stop spawn_falling_node spawn_item spawn_tree string_to_area
string_to_pos string_to_privs strip_background_colors strip_colors strip_foreground_colors
strip_param2_color swap_node tooldef_default transforming_liquid_add translate unban_player_or_ip
unregister_biome unregister_chatcommand unregister_item wallmounted_to_dir wrap_text write_json
yaw_to_dir
]]

local LATER = {
	["5.7"] = "dir_to_fourdir error_handler fourdir_to_dir get_game_info get_mapgen_edges get_player_window_information item_pickup register_on_item_pickup register_on_mapblocks_changed registered_on_item_pickups registered_on_mapblocks_changed",
	["5.8"] = "urlencode",
	["5.9"] = "change_player_privs get_mod_data_path get_node_boxes objects_in_area objects_inside_radius register_mapgen_script register_portable_metatable save_gen_notify sha256",
	["5.10"] = "bulk_swap_node colorspec_to_table hypertext_escape ipc_cas ipc_get ipc_poll ipc_set is_valid_player_name show_death_screen time_to_day_night_ratio translate_n",
	["5.11"] = "protocol_versions spawn_tree_on_vmanip",
	["5.12"] = "get_value_noise get_value_noise_map",
	["5.13"] = "get_mapgen_chunksize get_node_raw objects_by_guid",
	["5.14"] = "strip_escapes",
	["5.15"] = "path_exists",
	["5.16"] = "get_active_blocks get_loadable_blocks get_loaded_blocks get_mapgen_settings",
}

-- Names of the other tables a mod sees that appeared after 5.6.1: table -> release -> names (from the
-- releases' builtin/common/vector.lua, misc_helpers.lua, math.lua and src/script/lua_api/l_noise.cpp,
-- tags 5.7.0 .. 5.17.0). "_G" is the mods' global table.
local LATER_FIELDS = {
	vector = { ["5.8"] = "in_area", ["5.10"] = "abs ceil sign random_direction random_in_area" },
	table = { ["5.10"] = "keyof", ["5.12"] = "copy_with_metatables" },
	math = { ["5.16"] = "isfinite" },
	_G = { ["5.12"] = "ValueNoise ValueNoiseMap" },
}

-- Methods of the engine's userdata classes added after 5.6.1, per release and class (from the
-- releases' doc/lua_api and a 5.6.1 server's method tables). MetaDataRef's methods are listed for
-- every class that has them. Like the core.* names above, a method newer than the target version is
-- taken out of its class's method table, so calling it fails as on the real server
-- ("attempt to call method 'get_keys' (a nil value)").
local METADATA_CLASSES = { "StorageRef", "NodeMetaRef", "ItemStackMetaRef", "PlayerMetaRef" }
local LATER_METHODS = {
	["5.7"] = { MetaDataRef = "get_keys", ItemStack = "equals" },
	["5.9"] = { PseudoRandom = "get_state", PcgRandom = "get_state" },
}

-- The client-side modding API's own names (5.6.1 doc/client_lua_api.txt, less the names the server
-- has too): a server mod calling one fails as on the server, with a hint that says why.
local CLIENT_ONLY = {}
for name in gmatch([[
camera clear_out_chat_queue disconnect display_chat_message get_csm_restrictions get_item_def
get_language get_node_def get_player_names get_privilege_list get_server_info gettext localplayer
register_on_damage_taken register_on_death register_on_formspec_input register_on_hp_modification
register_on_inventory_open register_on_item_use register_on_modchannel_signal
register_on_receiving_chat_message register_on_sending_chat_message run_server_chatcommand
send_chat_message send_respawn ui
]], "%S+") do
	CLIENT_ONLY[name] = true
end

-- Words LLMs put in place of the engine's (register_block -> register_node).
local SYNONYMS = { block = "node", blocks = "nodes", recipe = "craft", command = "chatcommand",
	commands = "chatcommands", mob = "entity" }

-- name -> the release that introduced it. Only the later names at first: the 5.6.1 baseline (about
-- 400 names) is read in when a diagnostic needs it (all_api_versions), not in every runtime.
I.api_version = {}
for version, names in pairs(LATER) do
	for name in gmatch(names, "%S+") do
		I.api_version[name] = version
	end
end
local baseline_read = false
local function all_api_versions()
	if not baseline_read then
		baseline_read = true
		for name in gmatch(BASELINE, "%S+") do
			I.api_version[name] = I.api_version[name] or "5.6.1"
		end
	end
	return I.api_version
end

I.method_version = {}       -- class -> method -> release that introduced it (only post-5.6.1 ones)
for version, classes in pairs(LATER_METHODS) do
	for class, names in pairs(classes) do
		local targets = class == "MetaDataRef" and METADATA_CLASSES or { class }
		for _, c in H.ipairs(targets) do
			I.method_version[c] = I.method_version[c] or {}
			for name in gmatch(names, "%S+") do
				I.method_version[c][name] = version
			end
		end
	end
end

-- field name -> { "table.name", release } for the names of LATER_FIELDS (a failing call names only
-- the field, so the hint looks it up by that).
local field_version = {}
for tname, releases in pairs(LATER_FIELDS) do
	for version, names in pairs(releases) do
		for name in gmatch(names, "%S+") do
			field_version[name] = { (tname == "_G" and "" or tname .. ".") .. name, version }
		end
	end
end

I.target_version = "5.6.1"
I.future_api = {}           -- names above the target version, taken out of core
I.future_fields = {}        -- name -> value, taken out of its table (LATER_FIELDS)
I.future_methods = {}       -- class -> method -> function, taken out of the class's method table
I.class_methods = I.class_methods or {} -- class name -> method table (filled by userdata_class)

local function parse_version(v)
	local a, b, c = smatch(tostring(v), "^(%d+)%.(%d+)%.?(%d*)$")
	if not a then
		return nil
	end
	return { tonumber(a), tonumber(b), tonumber(c) or 0 }
end

-- version string -> its parse (read only): the same few strings are compared for each later name
local parsed = {}
local function parse_once(v)
	local p = parsed[v]
	if p == nil then
		p = parse_version(v)
		if type(v) == "string" then
			parsed[v] = p
		end
	end
	return p
end

-- a <= b for version strings ("5.7" == "5.7.0")
local function version_le(a, b)
	local x, y = parse_once(a), parse_once(b)
	for i = 1, 3 do
		if x[i] ~= y[i] then
			return x[i] < y[i]
		end
	end
	return true
end

function I.target_at_least(v)
	return version_le(v, I.target_version)
end

-- Host API: choose the Luanti version to emulate (before the first mod loads).
I.api = I.api or {}
-- The releases the emulation knows: 5.0 (the oldest a 5.x mod targets) to the newest in LATER.
local NEWEST = { 5, 0 }
for version in pairs(LATER) do
	local p = parse_version(version)
	if p[2] > NEWEST[2] then
		NEWEST = p
	end
end

function I.api.newest_version()
	return NEWEST[1] .. "." .. NEWEST[2]
end

function I.api.set_target_version(v)
	local p = parse_version(v)
	if p == nil or p[1] ~= 5 or p[2] > NEWEST[2] then
		return false
	end
	I.target_version = tostring(v)
	return true
end

-- The baseline is the floor: for an older target the 5.6.1 API stays (when each of its names
-- appeared is not recorded), only later names are taken out.
local function is_future(version)
	return version ~= "5.6.1" and not version_le(version, I.target_version)
end

-- Missing names mod code read, by place: "file:line" -> name -> the userdata class whose method
-- table was read, or "core". Kept until an error at that place needs a hint (a few entries per place
-- that reads a missing name).
local missing_reads = {}

-- Remember that the mod code `level` frames up read the missing `name` of `owner`.
local function note_read(level, name, owner)
	local info = getinfo(level, "Sl")
	if info and I.is_mod_source(info.source) then
		local key = ssub(info.source, 2) .. ":" .. tostring(info.currentline)
		local reads = missing_reads[key]
		if not reads then
			reads = {}
			missing_reads[key] = reads
		end
		reads[name] = owner
	end
end

local function needs(what, version)
	return what .. " needs Luanti " .. version .. " (target: " .. I.target_version .. ")"
end

-- An error in mod code that calls or indexes a missing name gets the hint for that name as a
-- warning at the same place: a name read there (core.*, a userdata method), or one of LATER_FIELDS
-- taken out for the target. Called by I.error_record for every error it records.
function I.explain_error(rec)
	if not rec.file then
		return
	end
	local msg = tostring(rec.message)
	local name = smatch(msg, "^attempt to call field '([%w_]+)' %(a nil value%)$")
		or smatch(msg, "^attempt to call method '([%w_]+)' %(a nil value%)$")
		or smatch(msg, "^attempt to index field '([%w_]+)' %(a nil value%)$")
		or smatch(msg, "^attempt to call global '([%w_]+)' %(a nil value%)$")
	if not name then
		return
	end
	local reads = missing_reads[rec.file .. ":" .. tostring(rec.line)]
	local owner = reads and reads[name]
	local message
	if owner == "core" then
		message = I.unknown_api_message(name)
	elseif owner then
		message = needs(owner .. ":" .. name, I.method_version[owner][name])
	elseif field_version[name] and I.future_fields[name] ~= nil then
		message = needs(field_version[name][1], field_version[name][2])
	end
	if message then
		I.diag("warning", message, { mod = rec.mod, file = rec.file, line = rec.line })
	end
end

-- Move the names (and userdata methods) newer than the target out of core and the other tables
-- (once, before the first mod runs).
function I.apply_target_version()
	for name, version in pairs(I.api_version) do -- the later names (the baseline is never future)
		if is_future(version) and H.rawget(core, name) ~= nil then
			I.future_api[name] = H.rawget(core, name)
			H.rawset(core, name, nil)
		end
	end
	for name, owner in pairs(field_version) do
		local tname = smatch(owner[1], "^(%a+)%.") or "_G"
		local t = tname == "_G" and I.G or H.rawget(I.G, tname)
		if is_future(owner[2]) and H.rawget(t, name) ~= nil then
			I.future_fields[name] = H.rawget(t, name)
			if t == I.G then
				I.undeclare_global(name) -- read as never declared: strict mode warns as the engine's
			else
				H.rawset(t, name, nil)
			end
		end
	end
	for class, names in pairs(I.method_version) do
		local methods = I.class_methods[class]
		if methods then
			for name, version in pairs(names) do
				if is_future(version) and H.rawget(methods, name) ~= nil then
					I.future_methods[class] = I.future_methods[class] or {}
					I.future_methods[class][name] = H.rawget(methods, name)
					H.rawset(methods, name, nil)
				end
			end
			if I.future_methods[class] and H.getmetatable(methods) == nil then
				H.setmetatable(methods, { __index = function(_, name)
					if I.future_methods[class][name] ~= nil then
						note_read(3, name, class)
					end
				end })
			end
		end
	end
end

local function distance(a, b)
	if a == b then
		return 0
	end
	local prev = {}
	for j = 0, #b do
		prev[j] = j
	end
	for i = 1, #a do
		local cur = { [0] = i }
		local ca = ssub(a, i, i)
		for j = 1, #b do
			local cost = ca == ssub(b, j, j) and 0 or 1
			cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
		end
		prev = cur
	end
	return prev[#b]
end

-- The real name a mistaken one most likely meant, or nil.
local function suggestion(name)
	local swapped = sgsub(name, "[%a]+", function(word)
		return SYNONYMS[word]
	end)
	if swapped ~= name and H.rawget(core, swapped) ~= nil then
		return swapped
	end
	local best, best_d = nil, floor(#name / 4) + 1
	for known in pairs(all_api_versions()) do
		if H.rawget(core, known) ~= nil then
			local d = distance(name, known)
			if d < best_d then
				best, best_d = known, d
			end
		end
	end
	return best
end

function I.unknown_api_message(name)
	local version = all_api_versions()[name]
	if version and is_future(version) then
		return needs("core." .. name, version)
	end
	if version then
		return "core." .. name .. " (Luanti " .. version .. ") is not emulated by vf-luanti"
	end
	if CLIENT_ONLY[name] then
		return "core." .. name .. " is client-side modding API (client_lua_api); server mods do not have it"
	end
	local guess = suggestion(name)
	if guess then
		return "Unknown API core." .. name .. " (not in any Luanti version; did you mean core." .. guess .. "?)"
	end
	return "Unknown API core." .. name .. " (not in any Luanti version)"
end

H.setmetatable(core, {
	__index = function(_, name)
		if type(name) == "string" then
			note_read(3, name, "core")
		end
		return nil
	end,
})
