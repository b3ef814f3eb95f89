-- chatcommands.lua: chat command registration, the builtin commands and the dispatcher
-- (engine: builtin/common/chatcommands.lua and builtin/game/chat.lua).
--
-- The builtin commands carry the engine's names, params, descriptions and privileges. Those with
-- an effect a headless world can show run for real (help, privs, haspriv, grant(me), revoke(me),
-- give(me), time, days, kill, me, msg, status, spawnentity, teleport, mods, admin, clearinv,
-- pulverize, last-login); the others (bans, passwords, rollback, map maintenance, shutdown)
-- answer with the engine's refusal or a message and change nothing.
local core, I = ...
local H = I.host
local type, tostring, tonumber, pairs, ipairs = H.type, H.tostring, H.tonumber, H.pairs, H.ipairs
local rawset, sort, concat = H.rawset, H.table.sort, H.table.concat
local smatch, sformat, gmatch, sfind = H.string.match, H.string.format, H.string.gmatch, H.string.find
local floor = H.math.floor
local S = I.translator("__builtin")

core.registered_chatcommands = {}
core.chatcommands = core.registered_chatcommands

function core.register_chatcommand(cmd, def)
	def = def or {}
	def.params = def.params or ""
	def.description = def.description or ""
	def.privs = def.privs or {}
	def.mod_origin = core.get_current_modname() or "??"
	core.registered_chatcommands[cmd] = def
end

function core.unregister_chatcommand(name)
	if core.registered_chatcommands[name] then
		core.registered_chatcommands[name] = nil
	else
		I.log("warning", "Not unregistering chatcommand " .. name .. " because it doesn't exist.")
	end
end

function core.override_chatcommand(name, redefinition)
	local cmd = core.registered_chatcommands[name]
	H.assert(cmd, "Attempt to override non-existent chatcommand " .. name)
	for k, v in pairs(redefinition) do
		rawset(cmd, k, v)
	end
	core.registered_chatcommands[name] = cmd
end

local function trim(s)
	return smatch(s, "^%s*(.-)%s*$")
end

local function colorize(color, text)
	return "\27(c@" .. color .. ")" .. text .. "\27(c@#ffffff)"
end

-- Options (-x) and arguments of a command line; long options are refused.
local function getopts(command, param)
	local opts, args = "", {}
	for word in gmatch(param, "%S+") do
		local b1, b2 = word:byte(1), word:byte(2)
		if b1 == 45 then
			if b2 == 45 then
				return false, S("Invalid parameters (see /help @1).", command)
			elseif b2 and (b2 < 48 or b2 > 57) then
				opts = opts .. word:sub(2)
			else
				args[#args + 1] = word
			end
		else
			args[#args + 1] = word
		end
	end
	return opts, args
end

local function help_line(cmd, def)
	local msg = colorize("#00ffff", "/" .. cmd)
	if def.params and def.params ~= "" then
		msg = msg .. " " .. def.params
	end
	if def.description and def.description ~= "" then
		msg = msg .. ": " .. def.description
	end
	return msg
end

local function usable_commands(name, line_of)
	local out = {}
	for cmd, def in pairs(core.registered_chatcommands) do
		if core.check_player_privs(name, def.privs) then
			out[#out + 1] = line_of and line_of(cmd, def) or cmd
		end
	end
	sort(out)
	return out
end

-- /help: without a GUI (headless), "/help" lists the commands the caller may use.
local function do_help(name, param)
	local opts, args = getopts("help", param)
	if not opts then
		return false, args
	end
	if #args > 1 then
		return false, S("Too many arguments, try using just /help <command>")
	end
	if #args == 0 then
		return true, S("Available commands: @1", concat(usable_commands(name), " ")) .. "\n"
			.. S("Use '/help <cmd>' to get more information, or '/help all' to list everything.")
	elseif args[1] == "all" then
		return true, S("Available commands:") .. "\n" .. concat(usable_commands(name, help_line), "\n")
	elseif args[1] == "privs" then
		local privs = {}
		for priv, def in pairs(core.registered_privileges) do
			privs[#privs + 1] = priv .. ": " .. tostring(def.description)
		end
		sort(privs)
		return true, S("Available privileges:") .. "\n" .. concat(privs, "\n")
	end
	local def = core.registered_chatcommands[args[1]]
	if not def then
		return false, S("Command not available: @1", args[1])
	end
	return true, help_line(args[1], def)
end

core.register_chatcommand("help", {
	params = S("[all | privs | <cmd>] [-t]"),
	description = S("Get help for commands or list privileges (-t: output in chat)"),
	func = do_help,
})

core.register_chatcommand("me", {
	params = S("<action>"),
	description = S("Show chat action (e.g., '/me orders a pizza' displays '<player name> orders a pizza')"),
	privs = { shout = true },
	func = function(name, param)
		core.chat_send_all("* " .. name .. " " .. param)
		return true
	end,
})

local setting = I.setting

core.register_chatcommand("admin", {
	description = S("Show the name of the server owner"),
	func = function()
		local admin = setting("name")
		if admin then
			return true, S("The administrator of this server is @1.", admin)
		end
		return false, S("There's no administrator named in the config file.")
	end,
})

local function privs_string(privs)
	return concat(I.sorted_names(privs), ", ")
end

local function privileges_of(name, privs)
	local s = privs_string(privs or core.get_player_privs(name))
	if s == "" then
		return S("@1 does not have any privileges.", name)
	end
	return S("Privileges of @1: @2", name, s)
end

core.register_chatcommand("privs", {
	params = S("[<name>]"),
	description = S("Show privileges of yourself or another player"),
	func = function(caller, param)
		param = trim(param)
		local name = param ~= "" and param or caller
		if not core.player_exists(name) then
			return false, S("Player @1 does not exist.", name)
		end
		return true, privileges_of(name)
	end,
})

core.register_chatcommand("haspriv", {
	params = S("<privilege>"),
	description = S("Return list of all online players with privilege"),
	privs = { basic_privs = true },
	func = function(_, param)
		param = trim(param)
		if param == "" then
			return false, S("Invalid parameters (see /help haspriv).")
		end
		if not core.registered_privileges[param] then
			return false, S("Unknown privilege!")
		end
		local with = {}
		for _, player in ipairs(core.get_connected_players()) do
			local pname = player:get_player_name()
			if core.check_player_privs(pname, { [param] = true }) then
				with[#with + 1] = pname
			end
		end
		if #with == 0 then
			return true, S("No online player has the \"@1\" privilege.", param)
		end
		return true, S("Players online with the \"@1\" privilege: @2", param, concat(with, ", "))
	end,
})

local function basic_privs()
	return I.privs_from_string(setting("basic_privs") or "interact,shout")
end

local function handle_grant(caller, grantname, privstr)
	local caller_privs = core.get_player_privs(caller)
	if not (caller_privs.privs or caller_privs.basic_privs) then
		return false, S("Your privileges are insufficient.")
	end
	if not core.get_auth_handler().get_auth(grantname) then
		return false, S("Player @1 does not exist.", grantname)
	end
	local grant = privstr == "all" and core.registered_privileges or I.privs_from_string(privstr)
	local privs = core.get_player_privs(grantname)
	local unknown = ""
	local basic = basic_privs()
	for priv in pairs(grant) do
		if not basic[priv] and not caller_privs.privs then
			return false, S("Your privileges are insufficient. '@1' only allows you to grant: @2", "basic_privs",
				privs_string(basic))
		end
		if not core.registered_privileges[priv] then
			unknown = unknown .. S("Unknown privilege: @1", priv) .. "\n"
		end
		privs[priv] = true
	end
	if unknown ~= "" then
		return false, unknown
	end
	core.set_player_privs(grantname, privs)
	for priv in pairs(grant) do
		core.run_priv_callbacks(grantname, priv, caller, "grant")
	end
	I.log("action", caller .. " granted (" .. privs_string(grant) .. ") privileges to " .. grantname)
	if grantname ~= caller then
		core.chat_send_player(grantname, S("@1 granted you privileges: @2", caller, privs_string(grant)))
	end
	return true, privileges_of(grantname)
end

local function handle_revoke(caller, revokename, privstr)
	local caller_privs = core.get_player_privs(caller)
	if not (caller_privs.privs or caller_privs.basic_privs) then
		return false, S("Your privileges are insufficient.")
	end
	if not core.get_auth_handler().get_auth(revokename) then
		return false, S("Player @1 does not exist.", revokename)
	end
	local privs = core.get_player_privs(revokename)
	local revoke = I.privs_from_string(privstr)
	if privstr == "all" then
		revoke = {}
		for k, v in pairs(privs) do
			revoke[k] = v
		end
	end
	local is_admin = revokename == setting("name") and revokename ~= ""
	local unknown, irrevokable, has_irrevokable = "", {}, false
	local basic = basic_privs()
	for priv in pairs(revoke) do
		if not basic[priv] and not caller_privs.privs then
			return false, S("Your privileges are insufficient. '@1' only allows you to revoke: @2", "basic_privs",
				privs_string(basic))
		end
		local def = core.registered_privileges[priv]
		if not def then
			if not privs[priv] then
				unknown = unknown .. S("Unknown privilege: @1", priv) .. "\n"
			end
		elseif is_admin and def.give_to_admin then
			irrevokable[priv] = true
		end
	end
	for priv in pairs(irrevokable) do
		revoke[priv] = nil
		has_irrevokable = true
	end
	if unknown ~= "" then
		return false, unknown
	end
	if has_irrevokable then
		core.chat_send_player(caller, S("Note: Cannot revoke from admin: @1", privs_string(irrevokable)))
	end
	local count = 0
	for priv in pairs(revoke) do
		privs[priv] = nil
		count = count + 1
	end
	if count == 0 then
		return false, S("No privileges were revoked.")
	end
	core.set_player_privs(revokename, privs)
	for priv in pairs(revoke) do
		core.run_priv_callbacks(revokename, priv, caller, "revoke")
	end
	local new_privs = core.get_player_privs(revokename)
	I.log("action", caller .. " revoked (" .. privs_string(revoke) .. ") privileges from " .. revokename)
	if revokename ~= caller then
		core.chat_send_player(revokename, S("@1 revoked privileges from you: @2", caller, privs_string(revoke)))
	end
	return true, privileges_of(revokename, new_privs)
end

core.register_chatcommand("grant", {
	params = S("<name> (<privilege> [, <privilege2> [<...>]] | all)"),
	description = S("Give privileges to player"),
	func = function(name, param)
		local who, privstr = smatch(param, "([^ ]+) (.+)")
		if not who then
			return false, S("Invalid parameters (see /help grant).")
		end
		return handle_grant(name, who, privstr)
	end,
})

core.register_chatcommand("grantme", {
	params = S("<privilege> [, <privilege2> [<...>]] | all"),
	description = S("Grant privileges to yourself"),
	func = function(name, param)
		if param == "" then
			return false, S("Invalid parameters (see /help grantme).")
		end
		return handle_grant(name, name, param)
	end,
})

core.register_chatcommand("revoke", {
	params = S("<name> (<privilege> [, <privilege2> [<...>]] | all)"),
	description = S("Remove privileges from player"),
	privs = {},
	func = function(name, param)
		local who, privstr = smatch(param, "([^ ]+) (.+)")
		if not who then
			return false, S("Invalid parameters (see /help revoke).")
		end
		return handle_revoke(name, who, privstr)
	end,
})

core.register_chatcommand("revokeme", {
	params = S("<privilege> [, <privilege2> [<...>]] | all"),
	description = S("Revoke privileges from yourself"),
	privs = {},
	func = function(name, param)
		if param == "" then
			return false, S("Invalid parameters (see /help revokeme).")
		end
		return handle_revoke(name, name, param)
	end,
})

-- Commands whose effect lies outside a headless world: registered as the engine registers them;
-- running one reports that the emulation does not perform it.
local function not_emulated(cmd)
	return function()
		return false, "/" .. cmd .. " is not available in the emulated server."
	end
end

local function inert(cmd, params, description, privs)
	core.register_chatcommand(cmd, { params = params and S(params) or nil, description = S(description),
		privs = privs, func = not_emulated(cmd) })
end

inert("setpassword", "<name> <password>", "Set player's password", { password = true })
inert("clearpassword", "<name>", "Set empty password for a player", { password = true })
inert("auth_reload", nil, "Reload authentication data", { server = true })
inert("remove_player", "<name>", "Remove a player's data", { server = true })

-- Coordinates as the engine parses them: numbers, or "~" / "~n" relative to `rel`.
local function coordinate(s, rel)
	if s == nil then
		return nil
	end
	local tilde, num = smatch(s, "^(~?)(.*)$")
	if tilde == "~" then
		if rel == nil then
			return nil
		end
		return rel + (num == "" and 0 or tonumber(num) or 0 / 0)
	end
	return tonumber(s)
end

local function parse_pos(x, y, z, rel)
	rel = rel or {}
	local p = { x = coordinate(x, rel.x), y = coordinate(y, rel.y), z = coordinate(z, rel.z) }
	if p.x == nil or p.y == nil or p.z == nil or p.x ~= p.x or p.y ~= p.y or p.z ~= p.z then
		return nil
	end
	return p
end

local function pos_string(p)
	return sformat("(%.1f,%.1f,%.1f)", p.x, p.y, p.z)
end

local function teleport_to_pos(name, p)
	local lm = 31007
	if p.x < -lm or p.x > lm or p.y < -lm or p.y > lm or p.z < -lm or p.z > lm then
		return false, S("Cannot teleport out of map bounds!")
	end
	local who = core.get_player_by_name(name)
	if not who then
		return false, S("Cannot get player with name @1.", name)
	end
	if who:get_attach() then
		return false, S("Cannot teleport, @1 is attached to an object!", name)
	end
	who:set_pos(p)
	return true, S("Teleporting @1 to @2.", name, pos_string(p))
end

local function teleport_to_player(name, target_name)
	if name == target_name then
		return false, S("One does not teleport to oneself.")
	end
	local who = core.get_player_by_name(name)
	if not who then
		return false, S("Cannot get teleportee with name @1.", name)
	end
	if who:get_attach() then
		return false, S("Cannot teleport, @1 is attached to an object!", name)
	end
	local target = core.get_player_by_name(target_name)
	if not target then
		return false, S("Cannot get target player with name @1.", target_name)
	end
	local tp = target:get_pos()
	local p = tp
	for _, d in ipairs({ { 1, 0 }, { -1, 0 }, { 0, 1 }, { 0, -1 } }) do
		local q = { x = tp.x + d[1], y = tp.y, z = tp.z + d[2] }
		local n = core.get_node_or_nil(q)
		local def = n and core.registered_nodes[n.name]
		if def and not def.walkable then
			p = q
			break
		end
	end
	who:set_pos(p)
	return true, S("Teleporting @1 to @2 at @3.", name, target_name, pos_string(p))
end

local COORD = "([%d.~-]+)[, ] *([%d.~-]+)[, ] *([%d.~-]+)"

core.register_chatcommand("teleport", {
	params = S("<X>,<Y>,<Z> | <to_name> | <name> <X>,<Y>,<Z> | <name> <to_name>"),
	description = S("Teleport to position or player"),
	privs = { teleport = true },
	func = function(name, param)
		local me = core.get_player_by_name(name)
		local x, y, z = smatch(param, "^" .. COORD .. "$")
		local p = parse_pos(x, y, z, me and me:get_pos())
		if p then
			return teleport_to_pos(name, p)
		end
		local target = smatch(param, "^([^ ]+)$")
		if target then
			return teleport_to_player(name, target)
		end
		local has_bring = core.check_player_privs(name, { bring = true })
		local missing = S("You don't have permission to teleport other players (missing privilege: @1).", "bring")
		local who
		who, x, y, z = smatch(param, "^([^ ]+) +" .. COORD .. "$")
		if who then
			local ref = core.get_player_by_name(who)
			if not ref then
				return
			end
			p = parse_pos(x, y, z, ref:get_pos())
			if p then
				if not has_bring then
					return false, missing
				end
				return teleport_to_pos(who, p)
			end
		end
		who, target = smatch(param, "^([^ ]+) +([^ ]+)$")
		if who and target then
			if not has_bring then
				return false, missing
			end
			return teleport_to_player(who, target)
		end
		return false
	end,
})

-- "/set -n name value" creates, "/set name value" changes an existing setting, "/set name" reads.
core.register_chatcommand("set", {
	params = S("([-n] <name> <value>) | <name>"),
	description = S("Set or read server configuration setting"),
	privs = { server = true },
	func = function(_, param)
		local smatch = H.string.match
		local key, value = smatch(param, "%-n ([^ ]+) (.+)")
		if key then
			core.settings:set(key, value)
			return true, key .. " = " .. value
		end
		key, value = smatch(param, "([^ ]+) (.+)")
		if key then
			if H.string.sub(key, 1, 7) == "secure." then
				return false, S("Failed. Cannot modify secure settings. Edit the settings file manually.")
			elseif not core.settings:get(key) then
				return false, S("Failed. Use '/set -n <name> <value>' to create a new setting.")
			end
			core.settings:set(key, value)
			return true, S("@1 = @2", key, value)
		end
		key = smatch(param, "([^ ]+)")
		if key then
			return true, S("@1 = @2", key, core.settings:get(key) or S("<not set>"))
		end
		return false, S("Invalid parameters (see /help set).")
	end,
})
inert("emergeblocks", "(here [<radius>]) | (<pos1> <pos2>)",
	"Load (or, if nonexistent, generate) map blocks contained in area pos1 to pos2 (<pos1> and <pos2> must be in parentheses)",
	{ server = true })
inert("deleteblocks", "(here [<radius>]) | (<pos1> <pos2>)",
	"Delete map blocks contained in area pos1 to pos2 (<pos1> and <pos2> must be in parentheses)", { server = true })
inert("fixlight", "(here [<radius>]) | (<pos1> <pos2>)",
	"Resets lighting in the area between pos1 and pos2 (<pos1> and <pos2> must be in parentheses)", { server = true })

core.register_chatcommand("mods", {
	description = S("List mods installed on the server"),
	func = function()
		local mods = core.get_modnames()
		if #mods == 0 then
			return true, S("No mods installed.")
		end
		return true, concat(mods, ", ")
	end,
})

local function give(cmd, giver, receiver, stackstring)
	I.log("action", giver .. " invoked " .. cmd .. ', stackstring="' .. stackstring .. '"')
	local stack = I.G.ItemStack(stackstring)
	if stack:is_empty() then
		return false, S("Cannot give an empty item.")
	elseif not stack:is_known() or stack:get_name() == "unknown" then
		return false, S("Cannot give an unknown item.")
	elseif stack:get_name() == "ignore" then
		return false, S("Giving 'ignore' is not allowed.")
	end
	local ref = core.get_player_by_name(receiver)
	if ref == nil then
		return false, S("@1 is not a known player.", receiver)
	end
	local leftover = ref:get_inventory():add_item("main", stack)
	local partial
	if not leftover:is_empty() then
		partial = leftover:get_count() ~= stack:get_count()
	end
	stackstring = stack:to_string()
	local msg
	if partial == true then
		msg = S("@1 partially added to inventory.", stackstring)
	elseif partial == false then
		msg = S("@1 could not be added to inventory.", stackstring)
	else
		msg = S("@1 added to inventory.", stackstring)
	end
	if giver == receiver then
		return true, msg
	end
	core.chat_send_player(receiver, msg)
	if partial == true then
		return true, S("@1 partially added to inventory of @2.", stackstring, receiver)
	elseif partial == false then
		return true, S("@1 could not be added to inventory of @2.", stackstring, receiver)
	end
	return true, S("@1 added to inventory of @2.", stackstring, receiver)
end

core.register_chatcommand("give", {
	params = S("<name> <ItemString> [<count> [<wear>]]"),
	description = S("Give item to player"),
	privs = { give = true },
	func = function(name, param)
		local to, itemstring = smatch(param, "^([^ ]+) +(.+)$")
		if not to then
			return false, S("Name and ItemString required.")
		end
		return give("/give", name, to, itemstring)
	end,
})

core.register_chatcommand("giveme", {
	params = S("<ItemString> [<count> [<wear>]]"),
	description = S("Give item to yourself"),
	privs = { give = true },
	func = function(name, param)
		local itemstring = smatch(param, "(.+)$")
		if not itemstring then
			return false, S("ItemString required.")
		end
		return give("/giveme", name, name, itemstring)
	end,
})

core.register_chatcommand("spawnentity", {
	params = S("<EntityName> [<X>,<Y>,<Z>]"),
	description = S("Spawn entity at given (or your) position"),
	privs = { give = true, interact = true },
	func = function(name, param)
		local entityname, pstr = smatch(param, "^([^ ]+) *(.*)$")
		if not entityname then
			return false, S("EntityName required.")
		end
		I.log("action", sformat("%s invokes /spawnentity, entityname=%q", name, entityname))
		local player = core.get_player_by_name(name)
		if player == nil then
			I.log("error", "Unable to spawn entity, player is nil")
			return false, S("Unable to spawn entity, player is nil.")
		end
		if not core.registered_entities[entityname] then
			return false, S("Cannot spawn an unknown entity.")
		end
		local p
		if pstr == "" then
			p = player:get_pos()
		else
			local x, y, z = smatch(pstr, "^" .. COORD .. "$")
			p = parse_pos(x, y, z, player:get_pos())
			if not p then
				return false, S("Invalid parameters (@1).", param)
			end
		end
		p.y = p.y + 1
		if core.add_entity(p, entityname) then
			return true, S("@1 spawned.", entityname)
		end
		return true, S("@1 failed to spawn.", entityname)
	end,
})

core.register_chatcommand("pulverize", {
	description = S("Destroy item in hand"),
	func = function(name)
		local player = core.get_player_by_name(name)
		if not player then
			I.log("error", "Unable to pulverize, no player.")
			return false, S("Unable to pulverize, no player.")
		end
		local wielded = player:get_wielded_item()
		if wielded:is_empty() then
			return false, S("Unable to pulverize, no item in hand.")
		end
		I.log("action", name .. " pulverized \"" .. wielded:get_name() .. " " .. wielded:get_count() .. "\"")
		player:set_wielded_item(nil)
		return true, S("An item was pulverized.")
	end,
})

-- What /rollback_check leaves for a player's next punch of a node (builtin/game/chat.lua): run once
-- by builtin's punch hook, then forgotten.
core.rollback_punch_callbacks = {}
core.register_on_punchnode(function(pos, node, puncher)
	local name = puncher and puncher:get_player_name()
	local pending = name and core.rollback_punch_callbacks[name]
	if pending then
		pending(pos, node, puncher)
		core.rollback_punch_callbacks[name] = nil
	end
end)

inert("rollback_check", "[<range>] [<seconds>] [<limit>]",
	"Check who last touched a node or a node near it within the time specified by <seconds>. Default: range = 0, seconds = 86400 = 24h, limit = 5. Set <seconds> to inf for no time limit",
	{ rollback = true })
inert("rollback", "(<name> [<seconds>]) | (:<actor> [<seconds>])",
	"Revert actions of a player. Default for <seconds> is 60. Set <seconds> to inf for no time limit",
	{ rollback = true })

core.register_chatcommand("status", {
	description = S("Show server status"),
	func = function(name)
		local status = core.get_server_status(name, false)
		if status and status ~= "" then
			return true, status
		end
		return false, S("This command was disabled by a mod or game.")
	end,
})

core.register_chatcommand("time", {
	params = S("[<0..23>:<0..59> | <0..24000>]"),
	description = S("Show or set time of day"),
	privs = {},
	func = function(name, param)
		if param == "" then
			local now = floor(core.get_timeofday() * 1440)
			local minutes = now % 60
			return true, S("Current time is @1:@2.", sformat("%d", (now - minutes) / 60), sformat("%02d", minutes))
		end
		if not core.get_player_privs(name).settime then
			return false, S("You don't have permission to run this command (missing privilege: @1).", "settime")
		end
		local relative, negative, hour, minute = smatch(param, "^(~?)(%-?)(%d+):(%d+)$")
		if not relative then
			local new_time
			local rel = smatch(param, "^~(.*)$")
			if rel then
				new_time = (core.get_timeofday() * 24000 + (rel == "" and 0 or tonumber(rel) or 0 / 0)) % 24000
			else
				new_time = tonumber(param) or -1
			end
			if new_time ~= new_time or new_time < 0 or new_time > 24000 then
				return false, S("Invalid time (must be between 0 and 24000).")
			end
			core.set_timeofday(new_time / 24000)
			I.log("action", name .. " sets time to " .. new_time)
			return true, S("Time of day changed.")
		end
		hour, minute = tonumber(hour), tonumber(minute)
		local new_time
		if relative == "" then
			if hour < 0 or hour > 23 then
				return false, S("Invalid hour (must be between 0 and 23 inclusive).")
			elseif minute < 0 or minute > 59 then
				return false, S("Invalid minute (must be between 0 and 59 inclusive).")
			end
			new_time = (hour * 60 + minute) / 1440
		else
			if minute < 0 or minute > 59 then
				return false, S("Invalid minute (must be between 0 and 59 inclusive).")
			end
			if negative == "-" then
				hour, minute = -hour, -minute
			end
			new_time = (core.get_timeofday() + (hour * 60 + minute) / 1440) % 1
			local t = floor(new_time * 1440)
			minute = t % 60
			hour = (t - minute) / 60
		end
		core.set_timeofday(new_time)
		I.log("action", sformat("%s sets time to %d:%02d", name, hour, minute))
		return true, S("Time of day changed.")
	end,
})

core.register_chatcommand("days", {
	description = S("Show day count since world creation"),
	func = function()
		return true, S("Current day is @1.", core.get_day_count())
	end,
})

inert("shutdown", "[<delay_in_seconds> | -1] [-r] [<message>]",
	"Shutdown server (-1 cancels a delayed shutdown, -r allows players to reconnect)", { server = true })
core.register_chatcommand("ban", {
	params = S("[<name>]"),
	description = S("Ban the IP of a player or show the ban list"),
	privs = { ban = true },
	func = function(name, param)
		if param == "" then
			local list = core.get_ban_list()
			return true, list == "" and S("The ban list is empty.") or S("Ban list: @1", list)
		elseif core.is_singleplayer() then
			return false, S("You cannot ban players in singleplayer!")
		elseif not core.get_player_by_name(param) then
			return false, S("Player is not online.")
		elseif not core.ban_player(param) then
			return false, S("Failed to ban player.")
		end
		local banned = core.get_ban_description(param)
		core.log("action", name .. " bans " .. banned .. ".")
		return true, S("Banned @1.", banned)
	end,
})

core.register_chatcommand("unban", {
	params = S("<name> | <IP_address>"),
	description = S("Remove IP ban belonging to a player/IP"),
	privs = { ban = true },
	func = function(name, param)
		if not core.unban_player_or_ip(param) then
			return false, S("Failed to unban player/IP.")
		end
		core.log("action", name .. " unbans " .. param)
		return true, S("Unbanned @1.", param)
	end,
})

-- "/kick sam too loud": the name up to the first space, the rest (if any) is the reason.
core.register_chatcommand("kick", {
	params = S("<name> [<reason>]"),
	description = S("Kick a player"),
	privs = { kick = true },
	func = function(name, param)
		local target, reason = H.string.match(param, "^([^ ]+) (.+)$")
		target = target or param
		if not core.kick_player(target, reason) then
			return false, S("Failed to kick player @1.", target)
		end
		core.log("action", name .. " kicks " .. target .. (reason and ' with reason "' .. reason .. '"' or ""))
		return true, S("Kicked @1.", target)
	end,
})
inert("clearobjects", "[full | quick]", "Clear all objects in world", { server = true })

core.register_chatcommand("msg", {
	params = S("<name> <message>"),
	description = S("Send a direct message to a player"),
	privs = { shout = true },
	func = function(name, param)
		local sendto, message = smatch(param, "^(%S+)%s(.+)$")
		if not sendto then
			return false, S("Invalid usage, see /help msg.")
		end
		if not core.get_player_by_name(sendto) then
			return false, S("The player @1 is not online.", sendto)
		end
		I.log("action", "DM from " .. name .. " to " .. sendto .. ": " .. message)
		core.chat_send_player(sendto, S("DM from @1: @2", name, message))
		return true, S("Message sent.")
	end,
})

core.register_chatcommand("last-login", {
	params = S("[<name>]"),
	description = S("Get the last login time of a player or yourself"),
	func = function(name, param)
		if param == "" then
			param = name
		end
		local auth = core.get_auth_handler().get_auth(param)
		if auth and auth.last_login and auth.last_login ~= -1 then
			return true, S("@1's last login time was @2.", param, H.os.date("!%Y-%m-%dT%H:%M:%SZ", auth.last_login))
		end
		return false, S("@1's last login time is unknown.", param)
	end,
})

core.register_chatcommand("clearinv", {
	params = S("[<name>]"),
	description = S("Clear the inventory of yourself or another player"),
	func = function(name, param)
		local player
		if param and param ~= "" and param ~= name then
			if not core.check_player_privs(name, { server = true }) then
				return false, S("You don't have permission to clear another player's inventory (missing privilege: @1).",
					"server")
			end
			player = core.get_player_by_name(param)
			core.chat_send_player(param, S("@1 cleared your inventory.", name))
		else
			player = core.get_player_by_name(name)
		end
		if not player then
			return false, S("Player must be online to clear inventory!")
		end
		local inv = player:get_inventory()
		inv:set_list("main", {})
		inv:set_list("craft", {})
		inv:set_list("craftpreview", {})
		I.log("action", name .. " clears " .. player:get_player_name() .. "'s inventory")
		return true, S("Cleared @1's inventory.", player:get_player_name())
	end,
})

core.register_chatcommand("kill", {
	params = S("[<name>]"),
	description = S("Kill player or yourself"),
	privs = { server = true },
	func = function(name, param)
		local victim = param == "" and name or param
		local ok, damage = H.pcall(function()
			return core.settings:get_bool("enable_damage")
		end)
		if ok and damage == false then
			return false, S("Players can't be killed, damage has been disabled.")
		end
		local ref = core.get_player_by_name(victim)
		if ref == nil then
			return false, S("Player @1 is not online.", victim)
		elseif ref:get_hp() <= 0 then
			if name == victim then
				return false, S("You are already dead.")
			end
			return false, S("@1 is already dead.", victim)
		end
		if name ~= victim then
			I.log("action", sformat("%s killed %s", name, victim))
		end
		ref:set_hp(0)
		return true, S("@1 has been killed.", victim)
	end,
})

---------------------------------------------------------------------------------------------------
-- The dispatcher: builtin's on_chat_message handler for "/" lines.

-- Builtin's handler: every reply goes out with chat_send_player. The outcome of the last command
-- run is kept for the host (I.run_chatcommand).
local function dispatch(name, message)
	if message:sub(1, 1) ~= "/" then
		return
	end
	local cmd, param = smatch(message, "^/([^ ]+) *(.*)")
	if not cmd then
		I.last_command = { false, "-!- " .. S("Empty command.") }
		core.chat_send_player(name, I.last_command[2])
		return true
	end
	param = param or ""
	if core.run_callbacks(core.registered_on_chatcommands, 5, name, cmd, param) then
		I.last_command = { true, nil }
		return true
	end
	local def = core.registered_chatcommands[cmd]
	if not def then
		I.last_command = { false, "-!- " .. S("Invalid command: @1", cmd) }
		core.chat_send_player(name, I.last_command[2])
		return true
	end
	local has, missing = core.check_player_privs(name, def.privs)
	if has then
		core.set_last_run_mod(def.mod_origin)
		local success, result = def.func(name, param)
		I.last_command = { success ~= false, result }
		if success == false and result == nil then
			core.chat_send_player(name, "-!- " .. S("Invalid command usage."))
			local help = core.registered_chatcommands["help"]
			if help then
				local _, msg = help.func(name, cmd)
				if msg then
					core.chat_send_player(name, msg)
				end
			end
		elseif result then
			core.chat_send_player(name, result)
		end
	else
		I.last_command = { false, S("You don't have permission to run this command (missing privileges: @1).",
			concat(missing, ", ")) }
		core.chat_send_player(name, I.last_command[2])
	end
	return true
end

core.register_on_chat_message(dispatch)

-- Host side (world.chat_command): run a command line as `player_name` typed it, through the
-- on_chat_message handlers as the server does. Returns the command's success and its reply
-- (success false: unknown command, missing privileges, or the command returned false).
function I.run_chatcommand(player_name, line)
	I.last_command = nil
	local handled = core.run_callbacks(core.registered_on_chat_messages, 5, player_name, line)
	local outcome = I.last_command
	if outcome == nil then
		return handled and true or false, nil
	end
	return outcome[1], outcome[2]
end

I.chat_log = I.chat_log or {}
