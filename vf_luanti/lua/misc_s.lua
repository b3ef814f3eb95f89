-- misc_s.lua: builtin's server-and-async helpers (engine: builtin/game/misc_s.lua): a position read
-- from a setting, and the safety wrapper around the C PNG encoder (compress.lua).
local core, I = ...
local H = I.host

-- A setting holding "(x,y,z)" (or "x,y,z") as a position; nil when unset or unreadable.
function core.setting_get_pos(name)
	local value = core.settings:get(name)
	if not value then
		return nil
	end
	return core.string_to_pos(value)
end

-- encode_png checks its arguments in Lua before the C encoder runs: numbers for the size, a string
-- of RGBA bytes or a table of ColorSpecs (each turned into its four bytes), exactly width * height
-- pixels; the compression level defaults to 6.
local encode_png_c = core.encode_png
function core.encode_png(width, height, data, compression)
	for _, arg in ipairs({ { "width", width }, { "height", height } }) do
		if type(arg[2]) ~= "number" then
			error("Incorrect type for '" .. arg[1] .. "', expected number, got " .. type(arg[2]))
		end
	end
	local want = width * height * 4
	if type(data) ~= "table" and type(data) ~= "string" then
		error("Incorrect type for 'data', expected table or string, got " .. type(data))
	end
	local have = type(data) == "table" and #data * 4 or string.len(data)
	if have ~= want then
		error(string.format("Incorrect length of 'data', width and height imply %d bytes but %d were provided",
			want, have))
	end
	if type(data) == "table" then
		local bytes = {}
		for i = 1, #data do
			bytes[i] = core.colorspec_to_bytes(data[i])
		end
		data = table.concat(bytes)
	end
	return encode_png_c(width, height, data, compression or 6)
end
