-- colors.lua: colours as the engine reads them from Lua and hands them back (engine:
-- src/script/common/c_converter.cpp read_color / push_ARGB8, src/util/string.cpp parseColorString).
-- Object properties (nametag colours, entity colours) and the sky parameters use them.
local core, I = ...
local H = I.host
local type, tonumber = H.type, H.tonumber
local floor = H.math.floor
local trunc = I.trunc

-- A colour as the engine pushes it: {a, r, g, b}.
function I.argb(a, r, g, b)
	return { a = a, r = r, g = g, b = b }
end

-- A fresh copy of colour `c` (nil when it is not a table): what a getter hands out.
function I.copy_color(c)
	if type(c) ~= "table" then
		return nil
	end
	return I.argb(c.a, c.r, c.g, c.b)
end

-- CSS colour names the engine knows (a subset: the common ones).
local NAMED_COLORS = {
	black = "000000", white = "ffffff", red = "ff0000", lime = "00ff00", blue = "0000ff",
	yellow = "ffff00", cyan = "00ffff", aqua = "00ffff", magenta = "ff00ff", fuchsia = "ff00ff",
	silver = "c0c0c0", gray = "808080", grey = "808080", maroon = "800000", olive = "808000",
	green = "008000", purple = "800080", teal = "008080", navy = "000080", orange = "ffa500",
	pink = "ffc0cb", brown = "a52a2a", gold = "ffd700", violet = "ee82ee", indigo = "4b0082",
	darkgreen = "006400", darkred = "8b0000", darkblue = "00008b", darkgray = "a9a9a9",
	darkgrey = "a9a9a9", lightgray = "d3d3d3", lightgrey = "d3d3d3", lightblue = "add8e6",
	lightgreen = "90ee90", orangered = "ff4500", skyblue = "87ceeb", tomato = "ff6347",
	crimson = "dc143c", coral = "ff7f50", salmon = "fa8072", khaki = "f0e68c", beige = "f5f5dc",
	tan = "d2b48c", chocolate = "d2691e", turquoise = "40e0d0", plum = "dda0dd", orchid = "da70d6",
	limegreen = "32cd32", forestgreen = "228b22", seagreen = "2e8b57", steelblue = "4682b4",
	royalblue = "4169e1", dodgerblue = "1e90ff", deepskyblue = "00bfff", hotpink = "ff69b4",
	deeppink = "ff1493", darkorange = "ff8c00", goldenrod = "daa520", sienna = "a0522d",
	slategray = "708090", slategrey = "708090", dimgray = "696969", dimgrey = "696969",
	whitesmoke = "f5f5f5", ivory = "fffff0", snow = "fffafa", lavender = "e6e6fa",
}

local function hex_byte(s)
	return tonumber(s, 16)
end

-- parseColorString: "#RGB", "#RGBA", "#RRGGBB", "#RRGGBBAA" or a name with an optional "#A"/"#AA"
-- alpha; nil when invalid.
local function parse_color_string(str)
	local hex = H.string.match(str, "^#(%x+)$")
	if hex then
		local n = #hex
		if n == 3 or n == 4 then
			local v = {}
			for i = 1, n do
				local c = H.string.sub(hex, i, i)
				v[i] = hex_byte(c .. c)
			end
			return I.argb(v[4] or 255, v[1], v[2], v[3])
		elseif n == 6 or n == 8 then
			local function b(i)
				return hex_byte(H.string.sub(hex, i, i + 1))
			end
			return I.argb(n == 8 and b(7) or 255, b(1), b(3), b(5))
		end
		return nil
	end
	if H.string.sub(str, 1, 1) == "#" then
		return nil
	end
	local name, alpha = H.string.match(str, "^([^#]*)#(.*)$")
	name = name or str
	local a = 255
	if alpha then
		if H.string.match(alpha, "^%x$") then
			a = hex_byte(alpha .. alpha)
		elseif H.string.match(alpha, "^%x%x$") then
			a = hex_byte(alpha)
		else
			return nil
		end
	end
	local rgb = NAMED_COLORS[H.string.lower(name)]
	if not rgb then
		return nil
	end
	return I.argb(a, hex_byte(H.string.sub(rgb, 1, 2)), hex_byte(H.string.sub(rgb, 3, 4)),
		hex_byte(H.string.sub(rgb, 5, 6)))
end

-- read_color: a table {a=255,r=0,g=0,b=0} (each a byte, wrapped), an ARGB number or a colour
-- string; anything unreadable leaves `old` unchanged.
function I.read_color(v, old)
	local t = type(v)
	if t == "table" then
		local function byte(k, d)
			return trunc(tonumber(v[k]) or d) % 256
		end
		return I.argb(byte("a", 255), byte("r", 0), byte("g", 0), byte("b", 0))
	elseif t == "number" then
		local n = floor(v) % 4294967296
		return I.argb(floor(n / 16777216) % 256, floor(n / 65536) % 256, floor(n / 256) % 256, n % 256)
	elseif t == "string" then
		local c = parse_color_string(v)
		if c then
			return c
		end
	end
	return I.copy_color(old) or old
end

-- l_colorspec_to_colorstring / l_colorspec_to_bytes (l_util.cpp): a ColorSpec read as read_color
-- reads it, handed back as "#RRGGBBAA" or as the four bytes R, G, B, A; no value when unreadable.
function core.colorspec_to_colorstring(spec)
	local c = I.read_color(spec)
	if c then
		return H.string.format("#%02X%02X%02X%02X", c.r, c.g, c.b, c.a)
	end
end

function core.colorspec_to_bytes(spec)
	local c = I.read_color(spec)
	if c then
		return H.string.char(c.r, c.g, c.b, c.a)
	end
end
