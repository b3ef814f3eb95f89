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

-- The CSS colour names the engine knows (all 148 of CSS Color Level 4; probed on 5.6.1, which has no
-- "transparent").
local NAMED_COLORS = {
	aliceblue = "f0f8ff", antiquewhite = "faebd7", aqua = "00ffff", aquamarine = "7fffd4",
	azure = "f0ffff", beige = "f5f5dc", bisque = "ffe4c4", black = "000000", blanchedalmond = "ffebcd",
	blue = "0000ff", blueviolet = "8a2be2", brown = "a52a2a", burlywood = "deb887", cadetblue = "5f9ea0",
	chartreuse = "7fff00", chocolate = "d2691e", coral = "ff7f50", cornflowerblue = "6495ed",
	cornsilk = "fff8dc", crimson = "dc143c", cyan = "00ffff", darkblue = "00008b", darkcyan = "008b8b",
	darkgoldenrod = "b8860b", darkgray = "a9a9a9", darkgreen = "006400", darkgrey = "a9a9a9",
	darkkhaki = "bdb76b", darkmagenta = "8b008b", darkolivegreen = "556b2f", darkorange = "ff8c00",
	darkorchid = "9932cc", darkred = "8b0000", darksalmon = "e9967a", darkseagreen = "8fbc8f",
	darkslateblue = "483d8b", darkslategray = "2f4f4f", darkslategrey = "2f4f4f",
	darkturquoise = "00ced1", darkviolet = "9400d3", deeppink = "ff1493", deepskyblue = "00bfff",
	dimgray = "696969", dimgrey = "696969", dodgerblue = "1e90ff", firebrick = "b22222",
	floralwhite = "fffaf0", forestgreen = "228b22", fuchsia = "ff00ff", gainsboro = "dcdcdc",
	ghostwhite = "f8f8ff", gold = "ffd700", goldenrod = "daa520", gray = "808080", green = "008000",
	greenyellow = "adff2f", grey = "808080", honeydew = "f0fff0", hotpink = "ff69b4",
	indianred = "cd5c5c", indigo = "4b0082", ivory = "fffff0", khaki = "f0e68c", lavender = "e6e6fa",
	lavenderblush = "fff0f5", lawngreen = "7cfc00", lemonchiffon = "fffacd", lightblue = "add8e6",
	lightcoral = "f08080", lightcyan = "e0ffff", lightgoldenrodyellow = "fafad2", lightgray = "d3d3d3",
	lightgreen = "90ee90", lightgrey = "d3d3d3", lightpink = "ffb6c1", lightsalmon = "ffa07a",
	lightseagreen = "20b2aa", lightskyblue = "87cefa", lightslategray = "778899",
	lightslategrey = "778899", lightsteelblue = "b0c4de", lightyellow = "ffffe0", lime = "00ff00",
	limegreen = "32cd32", linen = "faf0e6", magenta = "ff00ff", maroon = "800000",
	mediumaquamarine = "66cdaa", mediumblue = "0000cd", mediumorchid = "ba55d3", mediumpurple = "9370db",
	mediumseagreen = "3cb371", mediumslateblue = "7b68ee", mediumspringgreen = "00fa9a",
	mediumturquoise = "48d1cc", mediumvioletred = "c71585", midnightblue = "191970", mintcream = "f5fffa",
	mistyrose = "ffe4e1", moccasin = "ffe4b5", navajowhite = "ffdead", navy = "000080",
	oldlace = "fdf5e6", olive = "808000", olivedrab = "6b8e23", orange = "ffa500", orangered = "ff4500",
	orchid = "da70d6", palegoldenrod = "eee8aa", palegreen = "98fb98", paleturquoise = "afeeee",
	palevioletred = "db7093", papayawhip = "ffefd5", peachpuff = "ffdab9", peru = "cd853f",
	pink = "ffc0cb", plum = "dda0dd", powderblue = "b0e0e6", purple = "800080", rebeccapurple = "663399",
	red = "ff0000", rosybrown = "bc8f8f", royalblue = "4169e1", saddlebrown = "8b4513", salmon = "fa8072",
	sandybrown = "f4a460", seagreen = "2e8b57", seashell = "fff5ee", sienna = "a0522d", silver = "c0c0c0",
	skyblue = "87ceeb", slateblue = "6a5acd", slategray = "708090", slategrey = "708090", snow = "fffafa",
	springgreen = "00ff7f", steelblue = "4682b4", tan = "d2b48c", teal = "008080", thistle = "d8bfd8",
	tomato = "ff6347", turquoise = "40e0d0", violet = "ee82ee", wheat = "f5deb3", white = "ffffff",
	whitesmoke = "f5f5f5", yellow = "ffff00", yellowgreen = "9acd32",
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
	if t == "table" then -- (each field a byte, read in the order a, r, g, b)
		return I.argb(trunc(tonumber(v.a) or 255) % 256, trunc(tonumber(v.r) or 0) % 256,
			trunc(tonumber(v.g) or 0) % 256, trunc(tonumber(v.b) or 0) % 256)
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

-- A colour string's bytes are memoised (false: unreadable): encode_png converts every pixel of a
-- table of ColorSpecs, and a picture repeats few strings (devtest's checkerboard: 262,144 pixels,
-- two strings). The memo starts over past MEMO_MAX strings, so it never holds much.
local MEMO_MAX = 4096
local string_bytes, memoised = {}, 0

function core.colorspec_to_bytes(spec)
	if type(spec) == "string" then
		local b = string_bytes[spec]
		if b == nil then
			local c = I.read_color(spec)
			b = c ~= nil and H.string.char(c.r, c.g, c.b, c.a)
			if memoised >= MEMO_MAX then
				string_bytes, memoised = {}, 0
			end
			string_bytes[spec], memoised = b, memoised + 1
		end
		if b then
			return b
		end
		return
	end
	local c = I.read_color(spec)
	if c then
		return H.string.char(c.r, c.g, c.b, c.a)
	end
end
