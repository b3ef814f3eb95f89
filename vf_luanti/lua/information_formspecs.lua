-- information_formspecs.lua: the /help formspecs (engine: builtin/common/information_formspecs.lua),
-- written from its behaviour: "__builtin:help_cmds" lists the chat commands by mod (green where
-- the player has the privilege, a clicked row's description below, a double-click copying it to
-- chat), "__builtin:help_privs" the privileges; builtin's fields handler answers the list's
-- clicks. The command tree is built once, at the first server step (core.after(0)).
local core, I = ...
local H = I.host
local pairs, ipairs = H.pairs, H.ipairs
local sort, concat, format = H.table.sort, H.table.concat, H.string.format

local BLUE, GREEN, GRAY = "#7AF", "#7F7", "#BBB"

local F = core.formspec_escape
local S = I.translator("__builtin")

-- the formspecs' text, as builtin writes it (tabs and line breaks included)
local LIST = "\t\tsize[13,6.5]\n\t\tlabel[0,-0.1;%s]\n\t\ttablecolumns[color;tree;text;text]\n"
	.. "\t\ttable[0,0.5;12.8,5.5;list;%s;0]\n\t\tbutton_exit[5,6;3,1;quit;%s]\n\t"
local LIST_DESCRIPTION = "\t\tsize[13,7.5]\n\t\tlabel[0,-0.1;%s]\n\t\ttablecolumns[color;tree;text;text]\n"
	.. "\t\ttable[0,0.5;12.8,4.8;list;%s;%i]\n\t\tbox[0,5.5;12.8,1.5;#000]\n"
	.. "\t\ttextarea[0.3,5.5;13.05,1.9;;;%s]\n\t\tbutton_exit[5,7;3,1;quit;%s]\n\t"

local function by_name(a, b)
	return a[1] < b[1]
end

-- {{modname, {{command, def}...}}...}, both sorted by name
local mod_cmds = {}

local function load_mod_command_tree()
	local by_mod = {}
	for name, def in pairs(core.registered_chatcommands) do
		by_mod[def.mod_origin] = by_mod[def.mod_origin] or {}
		local cmds = by_mod[def.mod_origin]
		cmds[#cmds + 1] = { name, def }
	end
	local sorted = {}
	for modname, cmds in pairs(by_mod) do
		sort(cmds, by_name)
		sorted[#sorted + 1] = { modname, cmds }
	end
	sort(sorted, by_name)
	mod_cmds = sorted
end
core.after(0, load_mod_command_tree)
I.idle_jobs[load_mod_command_tree] = true -- runs no mod code: it keeps no soak going (after.lua)

local function build_chatcommands_formspec(name, sel, copy)
	local rows = { "#FFF,0," .. F(S("Command")) .. "," .. F(S("Parameters")) }
	local description = S("For more information, click on any entry in the list.") .. "\n"
		.. S("Double-click to copy the entry to the chat history.")
	local privs = core.get_player_privs(name)
	for _, data in ipairs(mod_cmds) do
		rows[#rows + 1] = BLUE .. ",0," .. F(data[1]) .. ","
		for _, cmd in ipairs(data[2]) do
			rows[#rows + 1] = format("%s,1,%s,%s", privs[cmd[2].privs] and GREEN or GRAY, cmd[1], F(cmd[2].params))
			if sel == #rows then
				description = cmd[2].description
				if copy then
					core.chat_send_player(name, S("Command: @1 @2", core.colorize("#0FF", "/" .. cmd[1]),
						cmd[2].params))
				end
			end
		end
	end
	return format(LIST_DESCRIPTION, F(S("Available commands: (see also: /help <cmd>)")), concat(rows, ","),
		sel or 0, F(description), F(S("Close")))
end

local function build_privs_formspec(name)
	local privs = {}
	for priv_name, def in pairs(core.registered_privileges) do
		privs[#privs + 1] = { priv_name, def }
	end
	sort(privs, by_name)
	local rows = { "#FFF,0," .. F(S("Privilege")) .. "," .. F(S("Description")) }
	local player_privs = core.get_player_privs(name)
	for _, data in ipairs(privs) do
		rows[#rows + 1] = format("%s,0,%s,%s", player_privs[data[1]] and GREEN or GRAY, data[1], F(data[2].description))
	end
	return format(LIST, F(S("Available privileges:")), concat(rows, ","), F(S("Close")))
end

-- A click in the command list shows that command's description (a double-click also copies it).
core.register_on_player_receive_fields(function(player, formname, fields)
	if formname ~= "__builtin:help_cmds" or fields.quit then
		return
	end
	local event = core.explode_table_event(fields.list)
	if event.type ~= "INV" then
		local name = player:get_player_name()
		core.show_formspec(name, "__builtin:help_cmds", build_chatcommands_formspec(name, event.row,
			event.type == "DCL"))
	end
end)

function core.show_general_help_formspec(name)
	core.show_formspec(name, "__builtin:help_cmds", build_chatcommands_formspec(name))
end

function core.show_privs_help_formspec(name)
	core.show_formspec(name, "__builtin:help_privs", build_privs_formspec(name))
end
