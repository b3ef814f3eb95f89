-- misc.lua: the engine calls that are neither registration nor world state (engine: builtin/game/
-- misc.lua, features.lua and C++ l_server.cpp / l_util.cpp): mod and world paths, version and
-- features, protection and creative hooks meant to be overridden, and the client-side calls
-- (formspecs, sounds, particles) a headless server accepts with no visible effect.
local core, I = ...
local H = I.host
local type, tostring, pairs, ipairs = H.type, H.tostring, H.pairs, H.ipairs
local error, sort, floor = H.error, H.table.sort, H.math.floor
local S = I.translator("__builtin")

local setting, setting_bool = I.setting, I.setting_bool

---------------------------------------------------------------------------------------------------
-- Mods, paths, version

-- Host side: every enabled mod is known before the first one loads, so get_modpath and
-- get_modnames answer for mods not loaded yet (mesecons checks optional mods that way).
function I.api.declare_mod(name, path)
	I.mods[name] = I.mods[name] or { name = name, path = I.normalize_path(path) }
end

function core.get_modpath(name)
	local mod = I.mods[tostring(name)]
	return mod and mod.path or nil
end

function core.get_modnames()
	local names = {}
	for name in pairs(I.mods) do
		names[#names + 1] = name
	end
	sort(names)
	return names
end

function core.get_worldpath()
	return I.worldpath
end

function core.get_builtin_path()
	return "/usr/share/games/minetest/builtin/"
end

-- The server's user path (the host gives it as the server starts: persist.lua).
I.user_path = "/"
function core.get_user_path()
	return I.user_path
end

function core.get_version()
	return { project = "Minetest", string = I.target_version, proto_min = 37, proto_max = 41,
		is_dev = false }
end

-- 5.7: the game's identity (the emulation runs no named game: a plain stand-in).
function core.get_game_info()
	return { id = "minetest", title = "Minetest Game", author = "",
		path = "/usr/share/games/minetest/games/minetest_game" } -- where Debian's minetest-game puts it
end

core.features = {
	glasslike_framed = true, nodebox_as_selectionbox = true, get_all_craft_recipes_works = true,
	use_texture_alpha = true, no_legacy_abms = true, texture_names_parens = true,
	area_store_custom_ids = true, add_entity_with_staticdata = true, no_chat_message_prediction = true,
	object_use_texture_alpha = true, object_independent_selectionbox = true,
	httpfetch_binary_data = true, formspec_version_element = true, area_store_persistent_ids = true,
	pathfinder_works = true, object_step_has_moveresult = true, direct_velocity_on_players = true,
	use_texture_alpha_string_modes = true, degrotate_240_steps = true, abm_min_max_y = true,
	particlespawner_tweenable = true, dynamic_add_media_table = true, get_sky_as_table = true,
}

function core.has_feature(arg)
	if type(arg) == "table" then
		local missing, ok = {}, true
		for f in pairs(arg) do
			if not core.features[f] then
				missing[f], ok = true, false
			end
		end
		return ok, missing
	elseif type(arg) == "string" then
		if not core.features[arg] then
			return false, { [arg] = true }
		end
		return true, {}
	end
end

-- A dedicated server, as the oracle runs.
function core.is_singleplayer()
	return false
end

-- The engine's clock is the host's monotonic clock (time since boot). Here it reads `clock_us` at
-- game time `origin` (the sample's first world started then; I.start_clock, as a server starts)
-- and advances with the simulated server time (which steps advance, so a cooldown measured with it
-- works in scenarios, and it runs on across a restart) plus the CPU time spent, so it also moves
-- within a step. The CPU part counts from the first call, not from when the runtime was built (a
-- sandbox worker builds runtimes ahead of the job that uses them).
local clock_us, origin, started, cpu_start = 0, 0, 0, nil
function I.start_clock(us, game_origin)
	clock_us, origin, started = us, game_origin, I.gametime
end

-- The clock at the current server step, without the CPU part (deterministic).
function I.step_clock()
	return clock_us + (I.gametime - origin) * 1e6
end

function core.get_us_time()
	local now = H.os.clock()
	cpu_start = cpu_start or now
	return floor(I.step_clock() + (now - cpu_start) * 1e6)
end

-- The wall clock (os.time, os.date without a time): it moves with the game time, as a real
-- server's steps take real time, from the host's clock at the world's creation (I.wall_base, kept
-- in the saved world so a restarted server's clock goes on). A mod that compares os.time() with
-- the time it has stepped through sees them agree, as on a real server.
I.wall_base = 0
function I.wall_time()
	return I.wall_base + floor(I.gametime)
end

-- Seconds since this server started (a restarted one counts from its own start).
function core.get_server_uptime()
	return I.add_time(I.gametime, -started)
end

-- The engine's lag estimate starts at 0.1 s and stays near the step length on an idle server.
local MAX_LAG = 0.1
function core.get_server_max_lag()
	return MAX_LAG
end

-- A shutdown request (Server::requestShutdown): delay 0 stops the server at its next step, a
-- positive delay that many seconds later, a negative one cancels. One a player's chat command made
-- is the player's wish (an admin's restart command); one the mod makes on its own takes the server
-- down with everyone on it, reported as that mod's runtime error when it is due (after.lua I.step).
I.shutdown_requested = nil
function core.request_shutdown(message, reconnect, delay)
	delay = H.tonumber(delay) or 0
	if delay < 0 then
		I.shutdown_requested = nil
		return
	end
	I.shutdown_requested = { message = message and tostring(message) or "", reconnect = reconnect and true or false,
		delay = delay, due = I.gametime + delay, asked = I.player_command ~= nil, frame = I.mod_frame(1) }
end

function core.cancel_shutdown_requests()
	core.request_shutdown("", false, -1)
end

-- Unsafe environment: never granted to an untrusted mod (returns no values, as the engine).
function core.request_insecure_environment()
end

function core.request_http_api()
end

function core.get_server_status(name, joined)
	local clients = {}
	for _, pname in ipairs(I.player_order or {}) do
		if I.players[pname] then
			clients[#clients + 1] = pname
		end
	end
	local motd = setting("motd")
	local s = "# Server: version: " .. I.target_version .. " | game: Minetest Game | uptime: "
		.. H.string.format("%.0f", core.get_server_uptime()) .. "s | max lag: " .. H.string.format("%.3g", MAX_LAG)
		.. "s | clients: "
		.. H.table.concat(clients, ", ")
	if joined and motd and motd ~= "" then
		s = s .. "\n# Server: " .. motd
	end
	return s
end

-- A player's IPv4 address: players connect from hosts of their own, not from the server's (a
-- check world's players are not all on 127.0.0.1); drawn from the world's seed and the name, so a
-- player keeps one address and a sample always gets the same ones.
function I.player_address(name)
	local h = (I.map_seed_s32() % 1000003) + 7
	for i = 1, #tostring(name) do
		h = (h * 31 + H.string.byte(tostring(name), i)) % 16777213
	end
	local first = 11 + h % 212 -- 11..222: public unicast ranges, 127 skipped below
	return H.string.format("%d.%d.%d.%d", first == 127 and 128 or first, floor(h / 212) % 256,
		floor(h / 54272) % 256, 1 + floor(h / 7) % 254)
end

function core.get_player_ip(name)
	if core.get_player_by_name(name) then
		return I.player_address(name)
	end
end

function core.kick_player(player_name, reason)
	if type(reason) == "string" then
		reason = "Kicked: " .. reason
	else
		reason = "Kicked."
	end
	return core.disconnect_player(player_name, reason)
end

-- The engine only marks the client: it leaves (on_leaveplayer, not timed out) at the next step.
I.disconnects = {}
function core.disconnect_player(name)
	if core.get_player_by_name(name) == nil then
		return false
	end
	I.disconnects[#I.disconnects + 1] = name
	return true
end

function core.send_join_message(player_name)
	if not core.is_singleplayer() then
		core.chat_send_all("*** " .. S("@1 joined the game.", player_name))
	end
end

function core.send_leave_message(player_name, timed_out)
	local msg = timed_out and S("@1 left the game (timed out).", player_name) or S("@1 left the game.", player_name)
	core.chat_send_all("*** " .. msg)
end

-- Builtin's join/leave handlers: server status to the joining player, then the announcements.
core.register_on_joinplayer(function(player)
	local name = player:get_player_name()
	if not core.is_singleplayer() then
		local status = core.get_server_status(name, true)
		if status and status ~= "" then
			core.chat_send_player(name, status)
		end
	end
	core.send_join_message(name)
end)

core.register_on_leaveplayer(function(player, timed_out)
	core.send_leave_message(player:get_player_name(), timed_out)
end)

---------------------------------------------------------------------------------------------------
-- Protection and creative: meant to be overridden by mods.

function core.is_protected()
	return false
end

function core.record_protection_violation(pos, name)
	for _, func in pairs(core.registered_on_protection_violation) do
		func(pos, name)
	end
end

local creative = setting_bool("creative_mode")
function core.is_creative_enabled()
	return creative
end

-- The first protected position of a 3D lattice over the volume (step at most `interval`), or false.
function core.is_area_protected(minp, maxp, player_name, interval)
	interval = interval or 4
	local d = {}
	for _, c in ipairs({ "x", "y", "z" }) do
		if minp[c] > maxp[c] then
			minp[c], maxp[c] = maxp[c], minp[c]
		end
		if maxp[c] > minp[c] then
			d[c] = (maxp[c] - minp[c]) / H.math.ceil((maxp[c] - minp[c]) / interval) - 1e-4
		else
			d[c] = 1
		end
	end
	for zf = minp.z, maxp.z, d.z do
		local z = floor(zf + 0.5)
		for yf = minp.y, maxp.y, d.y do
			local y = floor(yf + 0.5)
			for xf = minp.x, maxp.x, d.x do
				local pos = I.vec(floor(xf + 0.5), y, z)
				if core.is_protected(pos, player_name) then
					return pos
				end
			end
		end
	end
	return false
end

local raillike = {}
local raillike_n = 0
function core.raillike_group(name)
	if not raillike[name] then
		raillike_n = raillike_n + 1
		raillike[name] = raillike_n
	end
	return raillike[name]
end

---------------------------------------------------------------------------------------------------
-- Client-side effects: accepted, recorded where a check may want them, nothing else happens.

I.formspecs = {}       -- {player, formname, formspec} in the order shown

function core.show_formspec(playername, formname, formspec)
	if type(playername) ~= "string" or type(formname) ~= "string" or type(formspec) ~= "string" then
		error("bad argument to 'show_formspec' (strings expected)", 0)
	end
	I.formspecs[#I.formspecs + 1] = { player = playername, formname = formname, formspec = formspec }
end

function core.close_formspec(player_name, formname)
	return core.show_formspec(player_name, formname, "")
end

-- Sounds: the handle is -1 when no player can hear it (always so before anyone joins).
local sound_handles = 0
function core.sound_play(spec, parameters, ephemeral)
	if spec == nil then
		error("bad argument #1 to 'sound_play' (table or string expected, got nil)", 0)
	end
	if ephemeral then
		return nil  -- an ephemeral sound has no handle
	end
	if H.next(I.players or {}) == nil then
		return -1
	end
	sound_handles = sound_handles + 1
	return sound_handles
end

function core.sound_stop()
end

function core.sound_fade()
end

-- 5.6.1's add_particle pushes no result but returns one: the top of the Lua stack, which is its last
-- argument (the definition table in the usual call). More than one argument is the deprecated form.
function core.add_particle(...)
	local n = H.select("#", ...)
	if n > 1 then
		I.deprecated_call("Deprecated add_particle call with individual parameters instead of definition")
	end
	if n > 0 then
		return (H.select(n, ...))
	end
end

-- Spawner ids count from 1 once the server runs; before that (mod load time, on_mods_loaded) there
-- is no environment and the engine returns -1 as an unsigned 32-bit number.
local spawners = 0
function core.add_particlespawner(...)
	if H.select("#", ...) > 1 then
		I.deprecated_call("Deprecated add_particlespawner call with individual parameters instead of definition")
	end
	if I.phase ~= "run" then
		return 4294967295
	end
	spawners = spawners + 1
	return spawners
end

function core.delete_particlespawner()
end

function core.dynamic_add_media(options, callback)
	if type(options) ~= "table" then
		error("bad argument #1 to 'dynamic_add_media' (table expected, got " .. type(options) .. ")", 0)
	end
	if callback then
		core.after(0, callback, "")
	end
	return true
end

core.dynamic_media_callbacks = {}

function core.get_player_information(name)
	if not core.get_player_by_name(name) then
		return nil
	end
	-- a client on a host of its own (I.player_address): the connection has been up since the
	-- player joined, round trips take a few milliseconds
	local o = I.players[name]
	local uptime = o and o.joined_at and I.add_time(I.gametime, -o.joined_at) or 0
	return { address = I.player_address(name), ip_version = 4, connection_uptime = uptime, protocol_version = 41,
		formspec_version = 6, lang_code = "", min_rtt = 0.001, max_rtt = 0.012, avg_rtt = 0.003,
		min_jitter = 0, max_jitter = 0.009, avg_jitter = 0.001 }
end

---------------------------------------------------------------------------------------------------
-- Knockback (builtin/game/knockback.lua): can be overridden by mods.

function core.calculate_knockback(player, hitter, time_from_last_punch, tool_capabilities, dir, distance, damage)
	if damage == 0 or player:get_armor_groups().immortal then
		return 0.0
	end
	-- 8 - 8e^(k*damage), k solving a knockback of 4 at damage 4
	local res = 8 - 8 * H.math.exp(-0.17328 * damage)
	if distance < 2.0 then
		res = res * 1.1
	elseif distance > 4.0 then
		res = res * 0.9
	end
	return res
end

core.register_on_punchplayer(function(player, hitter, time_from_last_punch, tool_capabilities, _, damage)
	if player:get_hp() == 0 then
		return
	end
	local a, b = player:get_pos(), hitter:get_pos()
	local dir = { x = a.x - b.x, y = a.y - b.y, z = a.z - b.z }
	local d = H.math.sqrt(dir.x * dir.x + dir.y * dir.y + dir.z * dir.z)
	if d ~= 0.0 then
		dir = { x = dir.x / d, y = dir.y / d, z = dir.z / d }
	end
	local k = core.calculate_knockback(player, hitter, time_from_last_punch, tool_capabilities, dir, d, damage)
	local kdir = I.vec(dir.x * k, dir.y * k, dir.z * k)
	local abs = H.math.abs
	if H.math.max(abs(kdir.x), abs(kdir.y), abs(kdir.z)) < 1.0 then
		return
	end
	player:add_velocity(kdir)
end)

---------------------------------------------------------------------------------------------------
-- Server administration and other engine calls without a world effect here.

I.bans = {}   -- name -> ip

-- A banned player is also disconnected ("Banned."), at the next step like a kick.
function core.ban_player(name)
	if not core.get_player_by_name(name) then
		return false
	end
	I.bans[name] = I.player_address(name)
	return core.disconnect_player(name, "Banned.")
end

function core.unban_player_or_ip(name_or_ip)
	for name, ip in pairs(I.bans) do
		if name == name_or_ip or ip == name_or_ip then
			I.bans[name] = nil
		end
	end
	return true  -- whether or not anything was banned
end

function core.get_ban_list()
	local names = {}
	for name, ip in pairs(I.bans) do
		names[#names + 1] = ip .. "|" .. name
	end
	sort(names)
	return H.table.concat(names, ", ")
end

function core.get_ban_description(ip_or_name)
	local out = {}
	for name, ip in pairs(I.bans) do
		if name == ip_or_name or ip == ip_or_name then
			out[#out + 1] = name
		end
	end
	sort(out)
	return H.table.concat(out, ", ")
end

-- 0: removed, 1: no such player, 2: the player is connected (C++ return codes)
function core.remove_player(name)
	if core.get_player_by_name(name) then
		return 2
	end
	if not I.known_players or not I.known_players[name] then
		return 1
	end
	I.known_players[name] = nil
	I.saved_players[name] = nil
	return 0
end

function core.format_chat_message(name, message)
	local str = setting("chat_message_format") or "<@name> @message"
	local function replace_once(s, what, with)
		local i, j = H.string.find(s, what, 1, true)
		if not i then
			return s, false
		end
		return s:sub(1, i - 1) .. with .. s:sub(j + 1), true
	end
	local replaced
	str, replaced = replace_once(str, "@name", name)
	if not replaced then
		error("Invalid chat message format - missing @name", 2)
	end
	str = replace_once(str, "@timestamp", H.os.date("%H:%M:%S", I.wall_time()))
	str, replaced = replace_once(str, "@message", message)
	if not replaced then
		error("Invalid chat message format - missing @message", 2)
	end
	return str
end

function core.get_player_radius_area(player_name, radius)
	local player = core.get_player_by_name(player_name)
	if player == nil then
		return nil
	end
	local p1 = player:get_pos()
	local p2 = p1
	if radius then
		p1 = I.vec(p1.x - radius, p1.y - radius, p1.z - radius)
		p2 = I.vec(p2.x + radius, p2.y + radius, p2.z + radius)
	end
	return p1, p2
end

function core.mod_channel_join()
	return nil
end

function core.get_globals_to_transfer()
	return { registered_items = {}, registered_aliases = core.registered_aliases }
end

function core.register_async_dofile()
	return true
end

---------------------------------------------------------------------------------------------------
-- Files: the virtual file system, with the engine's write permissions (world and own mod only).

local function writable(path)
	local p = I.normalize_path(path)
	if not p or not I.may_write(p) then
		error("Mod security: Blocked attempted write to " .. tostring(path), 0)
	end
	return p
end

I.vfs_dirs = {}

function core.safe_file_write(path, content)
	local p = writable(path)
	I.vfs[p] = tostring(content)
	return true
end

function core.mkdir(path)
	I.vfs_dirs[writable(path)] = true
	return true
end

function core.rmdir(path, recursive)
	local p = writable(path)
	for f in pairs(I.vfs) do
		if H.string.sub(f, 1, #p + 1) == p .. "/" then
			if not recursive then
				return false
			end
			I.vfs[f] = nil
		end
	end
	I.vfs_dirs[p] = nil
	return true
end

function core.cpdir(source, destination)
	local s, d = I.normalize_path(source), writable(destination)
	if not s or not I.may_read(s) then
		error("Mod security: Blocked attempted read from " .. tostring(source), 0)
	end
	for f, data in pairs(I.vfs) do
		if H.string.sub(f, 1, #s + 1) == s .. "/" then
			I.vfs[d .. H.string.sub(f, #s + 1)] = data
		end
	end
	return true
end

function core.mvdir(source, destination)
	writable(source)
	return core.cpdir(source, destination) and core.rmdir(source, true)
end

-- Entries directly under `path`: is_dir true dirs only, false files only, nil both.
function core.get_dir_list(path, is_dir)
	local p = I.normalize_path(path)
	if not p or not I.may_read(p) then
		error("Mod security: Blocked attempted read from " .. tostring(path), 0)
	end
	local files, dirs = {}, {}
	local function note(full, dir_only)
		if H.string.sub(full, 1, #p + 1) == p .. "/" then
			local rest = H.string.sub(full, #p + 2)
			local first, more = H.string.match(rest, "^([^/]+)(/?)")
			if first then
				if more == "/" or dir_only then
					dirs[first] = true
				else
					files[first] = true
				end
			end
		end
	end
	for f in pairs(I.vfs) do
		note(f, false)
	end
	for d in pairs(I.vfs_dirs) do
		note(d, true)
	end
	local out = {}
	if is_dir ~= false then
		for n in pairs(dirs) do
			out[#out + 1] = n
		end
	end
	if is_dir ~= true then
		for n in pairs(files) do
			out[#out + 1] = n
		end
	end
	sort(out)
	return out
end
