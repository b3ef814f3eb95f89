"""Engine probes for the 5.6.1 API names the emulation gained under issue 13 ("the whole 5.6.1
surface"): each probe mod runs in the real engine (Debian's minetestserver 5.6.1, headless) and in
the emulation and must print the same lines. The probes pin the C++ types the engine converts
through (u8 levels, s8 rests, u16 wear), what each call returns at load time (no environment: no
values), and the error texts.
"""

from __future__ import annotations

import re

import pytest

from tests.test_engine_probes import PROBE_HELPERS, _engine_run
from tests.test_world import _wp_lines, make_world

# Node levels (MapNode::getLevel/setLevel/addLevel), find_nodes_with_meta, compare_block_status,
# get_natural_light, transforming_liquid_add.
MAP_PROBE = (
    PROBE_HELPERS
    + r"""
local function n(...) return select("#", ...), ... end
local O, FAR, NL = {x = 0, y = 0, z = 0}, FAR, core.get_natural_light
P("load", n(core.compare_block_status(O, "loaded")), n(NL(O)), n(core.get_node_level(O)),
    n(core.get_node_max_level(O)), n(core.set_node_level(O, 3)), n(core.add_node_level(O, 3)),
    n(core.find_nodes_with_meta(O, {x = 1, y = 1, z = 1})), n(core.transforming_liquid_add(O)))
core.register_node("wp:lv", {paramtype2 = "leveled", leveled = 16})
core.register_node("wp:lv2", {paramtype2 = "leveled", leveled_max = 40})
core.register_node("wp:lv3", {paramtype2 = "leveled"})
core.register_node("wp:flow", {drawtype = "flowingliquid", paramtype2 = "flowingliquid",
    liquidtype = "flowing", liquid_alternative_flowing = "wp:flow", liquid_alternative_source = "wp:src"})
core.register_node("wp:src", {drawtype = "liquid", liquidtype = "source",
    liquid_alternative_flowing = "wp:flow", liquid_alternative_source = "wp:src"})
local built = 0
core.register_node("wp:plain", {on_construct = function() built = built + 1 end})
core.after(0, function()
    core.emerge_area({x = -20, y = -20, z = -20}, {x = 20, y = 20, z = 20})
    core.after(1, function()
        local p = {x = 1, y = 0, z = 0}
        for _, name in ipairs({"wp:lv", "wp:lv2", "wp:lv3", "wp:flow", "wp:src", "wp:plain", "air"}) do
            core.set_node(p, {name = name, param2 = 5})
            local a = {core.get_node_level(p), core.get_node_max_level(p)}
            local s1 = {n(core.set_node_level(p, 20))} local g1 = core.get_node(p).param2
            local s2 = {n(core.add_node_level(p, 50))} local g2 = core.get_node(p).param2
            local s3 = {n(core.add_node_level(p, -100))} local g3 = core.get_node(p).name
            core.set_node(p, {name = name, param2 = 5})
            local s4 = {n(core.set_node_level(p))} local g4 = core.get_node(p).param2
            local s5 = {n(core.add_node_level(p, "1"))} local g5 = core.get_node(p).param2
            local s6 = {n(core.set_node_level(p, -3))} local g6 = core.get_node(p).name
            P("level " .. name, a, s1, g1, s2, g2, s3, g3, s4, g4, s5, g5, s6, g6)
        end
        P("constructed", built)
        core.set_node(p, {name = "wp:lv", param2 = 200})
        P("level_high", core.get_node_level(p), core.get_node_max_level(p), core.get_node_max_level(FAR),
            core.get_node_level(FAR))
        core.set_node(p, {name = "wp:lv2", param2 = 200})
        P("level_high2", core.get_node_level(p), core.add_node_level(p, 1), core.get_node(p).param2)
        core.set_node(p, {name = "wp:plain"})
        core.get_meta(p):set_string("gone", "soon")
        core.set_node_level(p, 3)
        P("level_meta", core.get_meta(p):get_string("gone"))
        core.get_meta({x = 0, y = 0, z = 0}):set_string("a", "b")
        core.get_meta({x = 2, y = 1, z = 0}):set_string("a", "")
        core.get_meta({x = 3, y = 0, z = 0}):get_inventory():set_size("main", 1)
        core.get_meta({x = -1, y = -1, z = -1}):set_int("a", 1)
        core.get_meta({x = 0, y = 1, z = 0}):set_int("a", 1)
        core.get_meta({x = 1, y = 0, z = 1}):set_int("a", 1)
        P("with_meta", core.find_nodes_with_meta({x = 3, y = 1, z = 1}, {x = -1, y = -1, z = -1}))
        P("with_meta2", err(core.find_nodes_with_meta, {x = 0, y = 0, z = 0}),
            core.find_nodes_with_meta({x = 0.4, y = 0.6, z = 0}, {x = 0, y = 0, z = 0}))
        P("block_status", core.compare_block_status({x = 0, y = 0, z = 0}, "loaded"),
            core.compare_block_status({x = 0, y = 0, z = 0}, "active"),
            core.compare_block_status({x = 0, y = 0, z = 0}, "emerging"),
            core.compare_block_status({x = 0, y = 0, z = 0}, "unknown"),
            core.compare_block_status(FAR, "unknown"),
            core.compare_block_status(FAR, "loaded"),
            n(core.compare_block_status({x = 0, y = 0, z = 0}, "bogus")))
        P("block_status_err", err(core.compare_block_status, {x = 0, y = 0, z = 0}))
        core.set_node({x = 5, y = 5, z = 5}, {name = "wp:plain"})
        P("natural", NL(O, 0), NL(O, 0.5), NL(O, 0.2), NL(O, 0.78), NL(O, 1.2), NL(O, "0.23"),
            NL({x = 5, y = 5, z = 5}, 0.5), n(NL(FAR)))
        local lp = {x = 0, y = 0, z = 0}
        P("liquid_add", select("#", core.transforming_liquid_add(lp)), core.transforming_liquid_add(lp) == lp)
    end)
end)
"""
)

# colorspec_to_colorstring / colorspec_to_bytes (read_color), get_tool_wear_after_use (the wear
# formula with its u32/u16 conversions).
UTIL_PROBE = (
    PROBE_HELPERS
    + r"""
local CS, CB = core.colorspec_to_colorstring, core.colorspec_to_bytes
P("colorstring", CS("red"), CS("#abc"), CS("#abcd"), CS(0xFF112233), CS({r = 1, g = 2, b = 3}),
    CS({r = 1, g = 2, b = 3, a = 4}), CS("nope"), CS("red#80"), CS(-1), CS(nil), CS(true), CS({}),
    CS(1.5), CS("DarkGreen"), CS({r = 300, g = -4, b = 2.7}), select("#", CS("#1234567")))
local function hex(b) return b and (b:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
P("bytes", hex(CB("red")), hex(CB("#01020304")), CB("x"), hex(CB(0x01020304)), select("#", CB()))
local W = core.get_tool_wear_after_use
P("wear", W(1), W(3), W(3, 65000), W(0), W(7, 100), W(65536), W(70000), W(100, 21844), err(W))
P("wear_blocks", W(3, 0), W(3, 21845), W(3, 21846), W(3, 43690), W(3, 43691), W(-1), W(2.5), W(3, -5),
    W(130, 57455), W(130, 57456), W(40000, 14463), W(40000, 14464), W("3"), err(W, "x"), err(W, 3, {}))
-- every CSS colour name (and two the engine does not know)
local css = {
    "aliceblue", "antiquewhite", "aqua", "aquamarine", "azure", "beige", "bisque", "black",
    "blanchedalmond", "blue", "blueviolet", "brown", "burlywood", "cadetblue", "chartreuse",
    "chocolate", "coral", "cornflowerblue", "cornsilk", "crimson", "cyan", "darkblue", "darkcyan",
    "darkgoldenrod", "darkgray", "darkgreen", "darkgrey", "darkkhaki", "darkmagenta", "darkolivegreen",
    "darkorange", "darkorchid", "darkred", "darksalmon", "darkseagreen", "darkslateblue",
    "darkslategray", "darkslategrey", "darkturquoise", "darkviolet", "deeppink", "deepskyblue",
    "dimgray", "dimgrey", "dodgerblue", "firebrick", "floralwhite", "forestgreen", "fuchsia",
    "gainsboro", "ghostwhite", "gold", "goldenrod", "gray", "green", "greenyellow", "grey", "honeydew",
    "hotpink", "indianred", "indigo", "ivory", "khaki", "lavender", "lavenderblush", "lawngreen",
    "lemonchiffon", "lightblue", "lightcoral", "lightcyan", "lightgoldenrodyellow", "lightgray",
    "lightgreen", "lightgrey", "lightpink", "lightsalmon", "lightseagreen", "lightskyblue",
    "lightslategray", "lightslategrey", "lightsteelblue", "lightyellow", "lime", "limegreen", "linen",
    "magenta", "maroon", "mediumaquamarine", "mediumblue", "mediumorchid", "mediumpurple",
    "mediumseagreen", "mediumslateblue", "mediumspringgreen", "mediumturquoise", "mediumvioletred",
    "midnightblue", "mintcream", "mistyrose", "moccasin", "navajowhite", "navy", "oldlace", "olive",
    "olivedrab", "orange", "orangered", "orchid", "palegoldenrod", "palegreen", "paleturquoise",
    "palevioletred", "papayawhip", "peachpuff", "peru", "pink", "plum", "powderblue", "purple",
    "rebeccapurple", "red", "rosybrown", "royalblue", "saddlebrown", "salmon", "sandybrown",
    "seagreen", "seashell", "sienna", "silver", "skyblue", "slateblue", "slategray", "slategrey",
    "snow", "springgreen", "steelblue", "tan", "teal", "thistle", "tomato", "turquoise", "violet",
    "wheat", "white", "whitesmoke", "yellow", "yellowgreen", "transparent", "nope",
}
local named = {}
for _, name in ipairs(css) do named[#named + 1] = name .. "=" .. tostring((CS(name))) end
P("named_colors", table.concat(named, " "))
"""
)

# serialize_roundtrip (c_packer: functions as bytecode without upvalues, tables without metatables,
# ItemStacks copied, the errors) and handle_async: the job's environment, its arguments and results,
# the job ids in core.async_jobs.
ASYNC_PROBE = (
    PROBE_HELPERS
    + r"""
local up = 5
local f = core.serialize_roundtrip(function() return up end)
P("rt_closure", err(f), f == nil)
P("rt_types", type(core.serialize_roundtrip(function() end)), type(core.serialize_roundtrip(ItemStack("x"))))
local t = {} t.self = t
local r = core.serialize_roundtrip(t)
P("rt_self", r.self == r, r ~= t)
P("rt", core.serialize_roundtrip({a = 1, b = {c = "x"}, [2] = true}), core.serialize_roundtrip("s"),
    core.serialize_roundtrip(nil), core.serialize_roundtrip(1/0), core.serialize_roundtrip(-0.0),
    core.serialize_roundtrip({[1.5] = "a", [true] = 1}), select("#", core.serialize_roundtrip()),
    select("#", core.serialize_roundtrip(1, 2)))
P("rt_meta", getmetatable(core.serialize_roundtrip(setmetatable({}, {__index = {a = 1}}))),
    getmetatable(core.serialize_roundtrip(vector.new(1, 2, 3))) == vector.metatable)
local shared = {1}
P("rt_shared", (function() local s2 = core.serialize_roundtrip({shared, shared}) return s2[1] == s2[2] end)())
local RT = core.serialize_roundtrip
P("rt_errors", err(RT, coroutine.create(print)), err(RT, PcgRandom(1)), err(RT, core.get_node),
    err(RT, math.floor))
local s = ItemStack("a 3")
local s2 = core.serialize_roundtrip(s)
P("rt_stack", s2 == s, s2:to_string())
P("fn_env", err(core.serialize_roundtrip(function() return core ~= nil and vector ~= nil end)))
P("jobs_at_load", type(core.async_jobs), next(core.async_jobs))
core.after(1, function()
    wpglobal = 7
    P("h1", core.handle_async(function(a)
        return a, wpglobal, up, type(minetest), type(core.get_node), type(core.after),
            type(core.registered_nodes), INIT, _G == getfenv(1), minetest == core
    end, function(...) P("cb1", ...) end, {k = 1}))
    P("h3", err(core.handle_async, 1, 2))
    P("h4", core.handle_async(function(...) return select("#", ...), ... end,
        function(...) P("cb4", select("#", ...), ...) end, nil, 2, nil))
    P("jobs", (function() local j = {} for k, v in pairs(core.async_jobs) do j[#j + 1] = k .. type(v) end
        table.sort(j) return j end)())
end)
"""
)

# get_password_hash / check_password_entry (the legacy hash, SRP entries, the invalid format) and the
# rollback API of a server that records none, with builtin's rollback punch hook.
AUTH_PROBE = (
    PROBE_HELPERS
    + r"""
local function n(...) return select("#", ...), ... end
local PE, PH = core.check_password_entry, core.get_password_hash
P("hash", PH("a", "pw"), PH("a", ""), PH(5, 6), err(PH, "a"), err(PH))
P("entry", PE("a", "", "x"), PE("a", "", ""), PE("a", PH("a", "pw"), "pw"), PE("a", PH("a", "pw"), "px"),
    PE("a", "#1#abc#def", "px"), PE("a", "#1#", "px"), PE("a", "junk", "px"),
    PE("a", "tGWP3X+9ZFwoWbDjnXEBjzIFjRI==", "pw"))
P("entry_errors", err(PE), err(PE, "a"), err(PE, "a", "x"), err(PE, "a", "#1#"), err(PE, "a", "#1#a#b"),
    err(PE, {}, "x", "y"))
P("rollback", n(core.rollback_get_node_actions({x = 0, y = 0, z = 0}, 0, 100, 5)),
    n(core.rollback_revert_actions_by("player:x", 100)))
local GA, RA = core.rollback_get_node_actions, core.rollback_revert_actions_by
local O = {x = 0, y = 0, z = 0}
P("rollback_errors", err(GA, O), err(RA, "x"), err(RA), err(GA, O, "1", "2", {}))
P("rollback_last", err(core.rollback_get_last_node_actor, {x = 0, y = 0, z = 0}, 1, 1))
P("punch", #core.registered_on_punchnodes, type(core.rollback_punch_callbacks),
    next(core.rollback_punch_callbacks))
core.after(1, function()
    P("rollback_run", n(core.rollback_get_node_actions({x = 0, y = 0, z = 0}, 0, 100, 5)),
        n(core.rollback_revert_actions_by("player:x", 100)))
end)
"""
)

# builtin helpers: pointed_thing_to_face_pos (a stand-in placer: builtin only calls its methods) and
# setting_get_pos.
HELPERS_PROBE = (
    PROBE_HELPERS
    + r"""
local function placer(pos, dir, eye_height, offset)
    return {get_pos = function() return vector.new(pos) end,
        get_look_dir = function() return vector.new(dir) end,
        get_properties = function() return {eye_height = eye_height} end,
        get_eye_offset = function() return vector.new(offset), vector.new(0, 0, 0) end}
end
local FP = core.pointed_thing_to_face_pos
local pl = placer({x = 0.3, y = 0, z = -2.2}, vector.normalize({x = 0.1, y = -0.4, z = 1}), 1.625,
    {x = 0, y = 3, z = 0})
P("face_pos", FP(pl, {type = "node", under = {x = 0, y = 0, z = 0}, above = {x = 0, y = 0, z = -1}}),
    FP(pl, {type = "node", under = {x = 0, y = 0, z = 0}, above = {x = 0, y = 1, z = 0}}),
    FP(pl, {type = "node", under = {x = 1, y = 0, z = 0}, above = {x = 0, y = 0, z = 0}}),
    FP(pl, {type = "node", under = {x = 2, y = 2, z = 2}, above = {x = 2, y = 2, z = 2}}))
P("face_pos_err", err(FP, pl, {type = "nothing"}),
    err(FP, nil, {under = {x = 0, y = 0, z = 0}, above = {x = 0, y = 1, z = 0}}))
core.settings:set("wp_pos", "(1, 2.5, -3)")
core.settings:set("wp_pos2", "4,5,6")
core.settings:set("wp_bad", "x")
local SP = core.setting_get_pos
P("setting_get_pos", SP("wp_pos"), SP("wp_pos2"), SP("wp_bad"), SP("wp_unset"), err(SP))
"""
)

# compress / decompress (zlib streams: byte for byte zlib's for short inputs, every block type read,
# truncated input, trailing data, bad checksum) and encode_png with its Lua wrapper's checks.
COMPRESS_PROBE = (
    PROBE_HELPERS
    + r"""
local function hex(b) return b and (b:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
local function unhex(h) return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end)) end
local C, D = core.compress, core.decompress
P("compress", hex(C("hello")), hex(C("")), hex(C("hello", "deflate", 9)), hex(C("hello", "deflate", 0)),
    hex(C(string.rep("ab", 20))), hex(C("hello", "zstd")), hex(C(12)), hex(C("hello", "deflate", 4)))
P("compress_words", hex(C(string.rep("the quick brown fox jumps over the lazy dog ", 5))))
P("compress_errors", err(C, "x", "bogus"), err(C), err(C, "x", "deflate", 12), err(C, "x", "deflate", "a"))
P("decompress", D(C("hello")), D(C("hi"), "deflate"), D(C("hello"):sub(1, -3)), D(C("hello") .. "tail"),
    err(D, "garbage"), err(D), err(D, "x", "zstd"), err(D, C("hello"):sub(1, -2) .. "x"))
-- a stream with dynamic Huffman codes, as the engine's zlib wrote it for this text
local DYN = table.concat({
    "789c1d908b0d003108426705c5fd47e8a3774d9a2a3fbd199d34a79b59c5736b8ec759de59cdf82e4b47cb4fe3ce9028",
    "25733efaa5dd213537bb9c0b08301436aeac8a10df54d716e89dc98e84a5250f76c11d4e9d97126c08e1e59f62d0ad98",
    "37171472e4fc20d9dff562ed127734d87badfecd6d407bbdc948075648e0aea059aea37d16873af6d1df4363f2dc3fb6",
    "14e19dae83dca5399d939c0c81724d49365c08a7952e94221047dd1341614ed7d9c9f1616a3fceaa9b67",
})
local r = PseudoRandom(7)
local t = {}
for i = 1, 400 do t[i] = string.char(97 + r:next(0, 5)) end
local text = table.concat(t)
P("dynamic", D(unhex(DYN)) == text)
local long = string.rep(text, 20) .. text:reverse()
P("roundtrip", D(C(long)) == long, D(C(long, nil, 0)) == long, D(C(long, nil, 1)) == long,
    D(C(long, nil, 9)) == long)
P("png", hex(core.encode_png(1, 1, {0xFF112233})), hex(core.encode_png(2, 1, "\1\2\3\4\5\6\7\8", 0)))
P("png_errors", err(core.encode_png, 1, 1, "abc"), err(core.encode_png, 2, 1, {1, 2, 3}),
    err(core.encode_png, 1, 1, {{r = 1}}), err(core.encode_png, "a", 1, {}), err(core.encode_png, 0, 0, {}),
    err(core.encode_png, 1, 1, {1}, 10), err(core.encode_png, 1, 1, {"red"}),
    err(core.encode_png, -1, -1, {}))
"""
)

# AreaStore: ids, corners, the queries and their flags, the engine's serialisation (short and old
# streams included), files under mod security, argument errors.
AREASTORE_PROBE = (
    PROBE_HELPERS
    + r"""
local function n(...) return select("#", ...), ... end
local function keys(t)
    local o = {}
    for k in pairs(t) do o[#o + 1] = k end
    table.sort(o)
    return table.concat(o, " ")
end
local function v(x, y, z) return {x = x, y = y, z = z} end
local s = AreaStore()
P("type", type(s), keys(getmetatable(s)), type(AreaStore("LibSpatial")), type(AreaStore("x")))
P("insert", s:insert_area(v(5, 5, 5), v(0, 0, 0), "first"), s:insert_area(v(2, 2, 2), v(8, 8, 8), "second"),
    n(s:insert_area(v(0, 0, 0), v(1, 1, 1), "dup", 1)), s:insert_area(v(0, 0, 0), v(1, 1, 1), "ten", 10),
    s:insert_area(v(-3, 0, 0), v(-1, 1, 1), "next"), s:insert_area(v(0.4, 0.6, -0.5), v(1.5, 1, 1), 7))
P("get_area", s:get_area(0), s:get_area(0, true, true), s:get_area(0, false, false),
    s:get_area(1, false, true), n(s:get_area(99)))
P("for_pos", s:get_areas_for_pos(v(3, 3, 3)), s:get_areas_for_pos(v(3, 3, 3), true, true),
    s:get_areas_for_pos(v(100, 0, 0)), s:get_areas_for_pos(v(1, 1, 1), false, false))
P("in_area", s:get_areas_in_area(v(0, 0, 0), v(5, 5, 5)), s:get_areas_in_area(v(5, 5, 5), v(0, 0, 0), true),
    s:get_areas_in_area(v(0, 0, 0), v(5, 5, 5), true, true, true),
    s:get_areas_in_area(v(0, 0, 0), v(1, 1, 1), false, false, true))
local str = s:to_string()
P("to_string", #str, (str:gsub(".", function(c) return string.format("%02x", c:byte()) end)))
P("remove", s:remove_area(1), s:remove_area(1), n(s:remove_area(50)),
    s:insert_area(v(0, 0, 0), v(0, 0, 0), "gap"))
P("reserve", n(s:reserve(10)), n(s:set_cache_params({enabled = true, block_radius = 16, limit = 1000})))
local s2 = AreaStore()
P("from_string", n(s2:from_string(str)),
    s2:get_areas_in_area(v(-100, -100, -100), v(100, 100, 100), true, true, true))
P("from_string_odd", n(AreaStore():from_string("\1")), n(AreaStore():from_string("")))
local x = AreaStore()
x:from_string("\0\0\1")
local old = AreaStore()
old:from_string("\0\0\1\0\0\0\0\0\0\0\1\0\1\0\1\0\2hi")
local short = AreaStore()
short:from_string("\0\0\2\0\0\0\0\0\0\0\1\0\1\0\1\0\2hi")
P("from_string_short", x:get_area(0, true, true), old:get_area(0, true, true),
    short:get_areas_for_pos(v(0, 0, 0), true, true))
local s3 = AreaStore()
s3:insert_area(v(5, 5, 5), v(6, 6, 6), "c", 1)
P("from_string_taken", n(s3:from_string(str)), s3:get_area(1, true, true), s3:get_area(0, false, true))
local O, I1 = v(0, 0, 0), v(1, 1, 1)
P("ids", n(s:insert_area(O, I1, "x", "50")), n(s:insert_area(O, I1, "x", -1)),
    n(s:insert_area(O, I1, "y", 2.7)), n(s:insert_area(O, I1, 12)))
P("id_args", n(s:get_area("0")), n(s:get_area(0, nil, 1)), n(s:remove_area("0")), n(s:get_area(-1)))
P("errors", err(s.insert_area, s, O), err(s.insert_area, s, O, I1), err(s.get_area, s),
    err(s.get_areas_for_pos, s), err(s.insert_area, {}, O, I1, ""))
local wp = core.get_worldpath() .. "/wp_areas.dat"
local loaded = AreaStore()
P("to_file", n(s:to_file(wp)), n(loaded:from_file(wp)),
    n(AreaStore():from_file(core.get_worldpath() .. "/none")), loaded:to_string() == s:to_string())
P("to_file_blocked", err(s.to_file, s, "/tmp/wp_x.dat"),
    err(AreaStore().from_file, AreaStore(), "/etc/passwd"))
"""
)

# Schematics with certain probabilities only (the engine draws the others from its own generator):
# MTS and Lua serialisation, read_schematic and its yslice modes, placement at every rotation
# (facedir and wallmounted param2 turned), replacements in both forms, force_placement, the centre
# flags as string and table, no node callbacks, create_schematic's raw probabilities, the
# VoxelManip form and what it reports when the schematic does not fit.
SCHEMATICS_PROBE = (
    PROBE_HELPERS
    + r"""
local function n(...) return select("#", ...), ... end
local function hex(b) return b and (b:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
core.register_node("wp:a", {})
core.register_node("wp:b", {})
core.register_node("wp:f", {paramtype2 = "facedir"})
core.register_node("wp:w", {paramtype2 = "wallmounted"})
local constructed = 0
core.register_node("wp:c", {on_construct = function() constructed = constructed + 1 end})
local schem = {size = {x = 3, y = 2, z = 2}, data = {
    {name = "wp:a"}, {name = "wp:f", param2 = 1}, {name = "wp:w", param2 = 2},
    {name = "wp:b", prob = 0}, {name = "air"}, {name = "wp:c", force_place = true},
    {name = "wp:f", param2 = 22}, {name = "nope:x"}, {name = "wp:w", param2 = 5},
    {name = "wp:a", param2 = 7}, {name = "wp:b", prob = 254}, {name = "ignore"}}}
local file = core.get_worldpath() .. "/wp_schem.mts"
core.safe_file_write(file, core.serialize_schematic(schem, "mts", {}))
-- the compressed node data is zlib's choice of codes: compared decompressed
local function mts_parts(m)
    local zlib = m:find("\120\156", 1, true)
    return hex(m:sub(1, zlib - 1)), hex(core.decompress(m:sub(zlib)))
end
P("mts", mts_parts(core.serialize_schematic(schem, "mts", {})))
local SS = core.serialize_schematic
P("mts_other_format", SS(schem, "other", {}) == SS(schem, "mts", {}))
P("lua", hex(core.serialize_schematic(schem, "lua", {})))
P("lua_options", hex(SS(schem, "lua", {lua_use_comments = true, lua_num_indent_spaces = 3})))
P("serialize_errors", err(core.serialize_schematic, schem, "lua"))
P("read", core.read_schematic(file, {}))
P("read_yslice", core.read_schematic(file, {write_yslice_prob = "none"}).yslice_prob,
    core.read_schematic(file, {write_yslice_prob = "low"}).yslice_prob)
P("read_missing", n(core.read_schematic(core.get_worldpath() .. "/none.mts", {})))
P("place_at_load", n(core.place_schematic({x = 0, y = 0, z = 0}, file)))
local function area(p1, p2)
    local out = {}
    for z = p1.z, p2.z do for y = p1.y, p2.y do for x = p1.x, p2.x do
        local nd = core.get_node({x = x, y = y, z = z})
        if nd.name ~= "air" then
            out[#out + 1] = x .. "," .. y .. "," .. z .. "=" .. nd.name .. "/" .. nd.param2
        end
    end end end
    return table.concat(out, " ")
end
core.after(0, function()
    core.emerge_area({x = -20, y = -20, z = -20}, {x = 40, y = 20, z = 20})
    core.after(1, function()
        for i, rot in ipairs({"0", "90", "180", "270"}) do
            local base = {x = 10 * i, y = 0, z = 0}
            P("rot" .. rot, n(core.place_schematic(base, file, rot)),
                area(vector.add(base, -3), vector.add(base, 4)))
        end
        P("constructed", constructed)
        local base = {x = 0, y = 10, z = 0}
        core.set_node({x = 0, y = 10, z = 0}, {name = "wp:b"})
        core.set_node({x = 1, y = 10, z = 0}, {name = "wp:b"})
        local replacements = {["wp:a"] = "wp:c", {"wp:f", "wp:b"}}
        P("not_forced", n(core.place_schematic(base, schem, "0", replacements, false)),
            area({x = -3, y = 7, z = -3}, {x = 4, y = 14, z = 4}))
        base = {x = 0, y = -10, z = 0}
        P("centered", n(core.place_schematic(base, schem, "90", nil, true, "place_center_x,place_center_z")),
            area({x = -3, y = -13, z = -3}, {x = 4, y = -6, z = 4}))
        P("centered_table", n(core.place_schematic({x = 20, y = -10, z = 0}, schem, nil, nil, true,
            {place_center_y = true})), area({x = 17, y = -13, z = -3}, {x = 24, y = -6, z = 4}))
        P("place_errors", n(core.place_schematic({x = 0, y = 0, z = 0}, "none.mts")),
            err(core.place_schematic))
        local made = core.get_worldpath() .. "/made.mts"
        P("create", n(core.create_schematic({x = 11, y = 1, z = 1}, {x = 10, y = 0, z = 0},
            {{pos = {x = 10, y = 0, z = 0}, prob = 50}, {pos = {x = 11, y = 1, z = 1}, prob = 200}}, made,
            {{ypos = 0, prob = 10}})))
        P("created", core.read_schematic(made, {}))
        P("create_blocked",
            err(core.create_schematic, {x = 0, y = 0, z = 0}, {x = 1, y = 1, z = 1}, {}, "/tmp/x.mts"))
        local vm = core.get_voxel_manip({x = -5, y = 20, z = -5}, {x = 5, y = 25, z = 5})
        P("on_vmanip", n(core.place_schematic_on_vmanip(vm, {x = 0, y = 21, z = 0}, schem, "90", nil, true)),
            n(core.place_schematic_on_vmanip(vm, {x = 14, y = 21, z = 0}, schem, "0", nil, true)))
        vm:write_to_map()
        P("vm_placed", area({x = -3, y = 20, z = -3}, {x = 3, y = 24, z = 3}))
    end)
end)
"""
)

# find_path: the walker's steps (ground, jumps within max_jump, falls within max_drop, non-walkable
# nodes), the search box, a start in the air, both algorithms' choice among equal paths, on flat
# ground and on a field of pillars.
FIND_PATH_PROBE = (
    PROBE_HELPERS
    + r"""
local function n(...) return select("#", ...), ... end
core.register_node("wp:s", {})
core.register_node("wp:g", {walkable = false})
local function ps(path)
    if not path then return "nil" end
    local t = {}
    for _, p in ipairs(path) do t[#t + 1] = p.x .. "," .. p.y .. "," .. p.z end
    return table.concat(t, " ")
end
local function v(x, y, z) return {x = x, y = y, z = z} end
local FP = core.find_path
local O = v(0, 1, 0)
P("load", n(FP(O, v(3, 1, 0), 10, 1, 1)))
core.after(0, function()
    core.emerge_area(v(-20, -20, -20), v(20, 20, 20))
    core.after(1, function()
        for x = -10, 10 do for z = -10, 10 do core.set_node(v(x, 0, z), {name = "wp:s"}) end end
        P("straight", ps(FP(O, v(3, 1, 0), 10, 1, 1)))
        P("diag", ps(FP(O, v(3, 1, 2), 10, 1, 1)), ps(FP(O, v(-3, 1, -2), 10, 1, 1)))
        P("algorithms", ps(FP(O, v(2, 1, -3), 10, 1, 1, "A*")), ps(FP(O, v(2, 1, -3), 10, 1, 1, "Dijkstra")))
        P("same", ps(FP(O, O, 10, 1, 1)))
        core.set_node(v(2, 1, 0), {name = "wp:s"})
        P("step_up", ps(FP(O, v(4, 1, 0), 10, 1, 1)), ps(FP(O, v(4, 1, 0), 10, 0, 1)))
        for z = -10, 10 do
            core.set_node(v(2, 1, z), {name = "wp:s"})
            core.set_node(v(2, 2, z), {name = "wp:s"})
        end
        P("wall", n(FP(O, v(4, 1, 0), 10, 1, 1)), ps(FP(O, v(4, 1, 0), 10, 2, 1)),
            ps(FP(O, v(4, 1, 0), 10, 2, 3)))
        P("far", n(FP(O, v(8, 1, 0), 2, 1, 1)))
        P("midair", ps(FP(v(0, 5, 0), v(-3, 1, 0), 10, 1, 10)), ps(FP(v(-3, 1, 0), v(-3, 5, 3), 10, 1, 10)),
            ps(FP(v(0, 6, 0), v(-2, 1, 0), 8, 1, 1)))
        P("args", err(FP), err(FP, O, v(1, 1, 0)), ps(FP(v(0.6, 1.4, 0), v(-2, 1, 0), 10.9, 1, 1, "bogus")))
        core.set_node(v(-2, 0, 0), {name = "air"})
        core.set_node(v(-2, -1, 0), {name = "wp:s"})
        P("dip", ps(FP(O, v(-4, 1, 0), 10, 1, 1)), ps(FP(O, v(-2, 0, 0), 10, 1, 1)))
        core.set_node(v(-5, 1, 1), {name = "wp:g"})
        P("nonwalkable", ps(FP(v(-3, 1, 1), v(-7, 1, 1), 10, 1, 1)))
        -- a field of pillars and steps
        for x = -8, 8 do for z = -8, 8 do
            for y = 1, 2 do core.set_node(v(x, y, z), {name = "air"}) end
            core.set_node(v(x, 0, z), {name = "wp:s"})
        end end
        local r = PseudoRandom(3)
        for _ = 1, 40 do
            local x, z = r:next(-6, 6), r:next(-6, 6)
            if not (x == 0 and z == 0) then
                core.set_node(v(x, 1, z), {name = "wp:s"})
                if r:next(0, 2) == 0 then core.set_node(v(x, 2, z), {name = "wp:s"}) end
            end
        end
        core.set_node(v(5, 0, 5), {name = "air"})
        for _, t in ipairs({{6, 6}, {-6, 5}, {4, -6}, {-5, -5}, {0, 6}, {6, 0}}) do
            local dest = v(t[1], 1, t[2])
            P("field" .. t[1] .. "_" .. t[2], ps(FP(O, dest, 8, 1, 2)), ps(FP(O, dest, 8, 1, 2, "Dijkstra")),
                ps(FP(O, dest, 3, 0, 0)))
        end
    end)
end)
"""
)

# spawn_tree: L-system trees node for node (MTG's apple tree definition with fruit; a seeded tree
# with chance rules, leaves2, a double trunk and every turtle command; a crossed trunk), the
# returned definition, the unbalanced-bracket error.
SPAWN_TREE_PROBE = (
    PROBE_HELPERS
    + r"""
core.register_node("wp:trunk", {})
core.register_node("wp:leaves", {})
core.register_node("wp:leaves2", {})
core.register_node("wp:apple", {})
local function area(p1, p2)
    local out, counts = {}, {}
    for z = p1.z, p2.z do for y = p1.y, p2.y do for x = p1.x, p2.x do
        local nd = core.get_node({x = x, y = y, z = z})
        if nd.name ~= "air" then
            out[#out + 1] = x .. "," .. y .. "," .. z .. nd.name:sub(4, 4)
            counts[nd.name] = (counts[nd.name] or 0) + 1
        end
    end end end
    return counts, table.concat(out, " ")
end
core.after(0, function()
    core.emerge_area({x = -40, y = -20, z = -40}, {x = 40, y = 40, z = 40})
    core.after(1, function()
        local apple = {axiom = "FFFFFAFFBF",
            rules_a = "[&&&FFFFF&&FFFF][&&&++++FFFFF&&FFFF][&&&----FFFFF&&FFFF]",
            rules_b = "[&&&++FFFFF&&FFFF][&&&--FFFFF&&FFFF][&&&------FFFFF&&FFFF]", trunk = "wp:trunk",
            leaves = "wp:leaves", angle = 30, iterations = 2, random_level = 0, trunk_type = "single",
            thin_branches = true, fruit_chance = 10, fruit = "wp:apple"}
        P("ret", core.spawn_tree({x = 0, y = 0, z = 0}, apple) == apple)
        P("apple", area({x = -12, y = -2, z = -12}, {x = 12, y = 20, z = 12}))
        local t2 = {axiom = "TTTTA", rules_a = "[&FFf][^FFf][+FFf][-FFf][*Ff][/Ff]G[a]b", rules_b = "Rf",
            trunk = "wp:trunk",
            leaves = "wp:leaves", leaves2 = "wp:leaves2", leaves2_chance = 30, angle = 45, iterations = 3,
            random_level = 1, trunk_type = "double", thin_branches = false, seed = 77}
        core.spawn_tree({x = 25, y = 0, z = 0}, t2)
        P("t2", area({x = 13, y = -2, z = -12}, {x = 37, y = 25, z = 12}))
        local t3 = {axiom = "FFF[+F]F[-F]FFf", trunk = "wp:trunk", leaves = "wp:leaves", angle = 60,
            iterations = 2, trunk_type = "crossed"}
        core.spawn_tree({x = -25, y = 0, z = 0}, t3)
        P("t3", area({x = -37, y = -2, z = -12}, {x = -13, y = 20, z = 12}))
        local bad = {axiom = "F]F", trunk = "wp:trunk", leaves = "wp:leaves"}
        P("err", select(2, pcall(core.spawn_tree, {x = 0, y = 0, z = 20}, bad)))
    end)
end)
"""
)

# The engine keeps every schematic it loaded from a file, and each registered one: a later use finds
# the stored object and ignores its replacements; a table's "name" names nothing; by handle.
STORED_SCHEMATICS_PROBE = (
    PROBE_HELPERS
    + r"""
local function n(...) return select("#", ...), ... end
core.register_node("wp:a", {})
core.register_node("wp:b", {})
core.register_node("wp:c", {})
local schem = {size = {x = 2, y = 1, z = 1}, data = {{name = "wp:a"}, {name = "wp:b"}}}
local file = core.get_worldpath() .. "/wp_s.mts"
core.safe_file_write(file, core.serialize_schematic(schem, "mts", {}))
local named = {size = {x = 1, y = 1, z = 1}, data = {{name = "wp:c"}}, name = "wp_named"}
local id = core.register_schematic(named)
local id2 = core.register_schematic(file)
local function row(y)
    local t = {}
    for x = 0, 2 do t[#t + 1] = core.get_node({x = x, y = y, z = 0}).name end
    return table.concat(t, " ")
end
core.after(0, function()
core.emerge_area({x = -20, y = -20, z = -20}, {x = 20, y = 20, z = 20})
core.after(1, function()
    core.place_schematic({x = 0, y = 1, z = 0}, file, "0", {["wp:a"] = "wp:c"})
    core.place_schematic({x = 0, y = 2, z = 0}, file, "0", {["wp:b"] = "wp:c"})
    core.place_schematic({x = 0, y = 3, z = 0}, schem, "0", {["wp:a"] = "wp:c"})
    core.place_schematic({x = 0, y = 4, z = 0}, schem, "0", {["wp:b"] = "wp:c"})
    core.place_schematic({x = 0, y = 5, z = 0}, "wp_named", "0", {["wp:c"] = "wp:a"})
    core.place_schematic({x = 0, y = 6, z = 0}, id, "0")
    P("rows", row(1), row(2), row(3), row(4), row(5), row(6))
    P("read_ids", core.read_schematic(id2, {}).data[2].name, core.read_schematic(file, {}).data[1].name,
        n(core.read_schematic("wp_named", {})))
end)
end)
"""
)

# PerlinNoiseMap's calc_2d_map / calc_3d_map / get_map_slice (1-based offsets, 0 for a whole axis,
# cut at the edge, into a buffer), and camelCase method names as separate functions.
NOISE_MAP_PROBE = (
    PROBE_HELPERS
    + r"""
local function n(...) return select("#", ...), ... end
local np = {offset = 0, scale = 1, spread = {x = 10, y = 10, z = 10}, seed = 5, octaves = 2,
    persistence = 0.5}
local m = PerlinNoiseMap(np, {x = 3, y = 2, z = 2})
P("calc", n(m:calc_3d_map({x = 0, y = 0, z = 0})))
local full = m:get_map_slice({x = 0, y = 0, z = 0}, {x = 3, y = 2, z = 2})
local f3 = m:get_3d_map_flat({x = 0, y = 0, z = 0})
local same = #full == #f3
for i = 1, #f3 do same = same and full[i] == f3[i] end
P("slice_full", #full, same)
local s = m:get_map_slice({x = 2, y = 1, z = 2}, {x = 5, y = 1, z = 1})
P("slice", #s, s[1] == f3[2 + 6], s[2] == f3[3 + 6])
local buf = {"x", "y", "z", "w"}
local s2 = m:get_map_slice({x = 3, y = 0, z = 0}, {x = 1, y = 0, z = 0}, buf)
P("slice_buf", s2 == buf, #s2, s2[1] == f3[3], s2[2] == f3[6], s2[4] == f3[12], s2[5])
m:calc_2d_map({x = 0, y = 0})
local f2 = m:get_2d_map_flat({x = 0, y = 0})
local s3 = m:get_map_slice({x = 1, y = 2, z = 1}, {x = 3, y = 1, z = 1})
P("slice2d", #s3, s3[1] == f2[4], s3[3] == f2[6])
P("aliases", m.calc2dMap == m.calc_2d_map, m.calc3dMap == m.calc_3d_map, m.getMapSlice == m.get_map_slice)
P("errors", (select(2, pcall(m.get_map_slice, m))):gsub("^.-:%d+: ", ""))
local pn = PerlinNoise(np)
P("perlin_aliases", pn.get2d == pn.get_2d, pn.get3d == pn.get_3d)
local pr = PcgRandom(1)
P("pcg", getmetatable(pr).rand_normal_dist ~= nil)
"""
)

# Perlin noise value for value (2D eased, 3D not, flags, lacunarity, the legacy constructor,
# NoiseParams' defaults), noise maps within 1e-5 of the point values, the world seed added by
# get_perlin / get_perlin_map.
PERLIN_PROBE = (
    PROBE_HELPERS
    + r"""
local np = {offset = 0.5, scale = 2, spread = {x = 10, y = 20, z = 7}, seed = 5, octaves = 3,
    persistence = 0.6}
local pn = PerlinNoise(np)
local t = {}
for _, p in ipairs({{0, 0, 0}, {1, 2, 3}, {-5, 7, 11}, {13.5, -2.25, 0.75}, {-20, -20, -20}, {100, 3, -7}}) do
    t[#t + 1] = string.format("%.9g/%.9g", pn:get_2d({x = p[1], y = p[2]}),
        pn:get_3d({x = p[1], y = p[2], z = p[3]}))
end
P("perlin", table.concat(t, " "))
local e = PerlinNoise({offset = 0, scale = 1, spread = {x = 3, y = 3, z = 3}, seed = -7, octaves = 2,
    persistence = 0.5, flags = "eased, absvalue", lacunarity = 3})
P("flags", string.format("%.9g %.9g", e:get_2d({x = 1.3, y = -4.1}), e:get_3d({x = 1.3, y = -4.1, z = 2.2})))
local legacy = PerlinNoise(3, 2, 0.5, 50)
P("legacy", string.format("%.9g %.9g", legacy:get_2d({x = 12, y = 7}),
    legacy:get_3d({x = 12, y = 7, z = -3})))

local m = PerlinNoiseMap(np, {x = 4, y = 3, z = 2})
local flat = m:get_3d_map_flat({x = -2, y = 1, z = 3})

local diffs, maxd = 0, 0
local i = 0
for z = 3, 4 do for y = 1, 3 do for x = -2, 1 do
    i = i + 1
    local d = math.abs(flat[i] - pn:get_3d({x = x, y = y, z = z}))
    if d > 0 then diffs = diffs + 1 end
    maxd = math.max(maxd, d)
end end end
local m2 = PerlinNoiseMap(np, {x = 5, y = 4})
local f2 = m2:get_2d_map_flat({x = 10, y = -3})
local d2, m2d = 0, 0
i = 0
for y = -3, 0 do for x = 10, 14 do
    i = i + 1
    local d = math.abs(f2[i] - pn:get_2d({x = x, y = y}))
    if d > 0 then d2 = d2 + 1 end
    m2d = math.max(m2d, d)
end end
-- the engine computes maps incrementally: within 1e-5 of the point values, not bit for bit
P("map_vs_point", maxd < 1e-5, m2d < 1e-5)
P("defaults", PerlinNoise({spread = {x = 1, y = 1, z = 1}}):get_2d({x = 3, y = 4}),
    PerlinNoise(1, 2, 0.5, 10):get_3d({x = 0.5, y = 0, z = 0}) ~= 0)
core.after(1, function()
    -- (int) of the u64 world seed: its low 32 bits, signed
    local lo = 0
    for digit in core.get_mapgen_setting("seed"):gmatch("%d") do
        lo = (lo * 10 + tonumber(digit)) % 4294967296
    end
    if lo >= 2147483648 then lo = lo - 4294967296 end
    local shifted = table.copy(np)
    shifted.seed = np.seed + lo
    local wp, wm = core.get_perlin(np), core.get_perlin_map(np, {x = 2, y = 2})
    P("world", wp:get_2d({x = 3, y = 4}) == PerlinNoise(shifted):get_2d({x = 3, y = 4}),
        wm:get_2d_map_flat({x = 3, y = 4})[1]
            == PerlinNoiseMap(shifted, {x = 2, y = 2}):get_2d_map_flat({x = 3, y = 4})[1])
end)
"""
)


# Recipe listings (push_craft_recipe): the items are ItemStacks made as they are listed, each whole
# string through one level of alias (a count in a fuel's string keeps it from being an alias);
# "type" repeats the method (a shapeless recipe is "normal").
CRAFT_LISTING_PROBE = (
    PROBE_HELPERS
    + r"""
core.register_craftitem("wp:a", {})
core.register_craftitem("wp:b", {})
core.register_alias("wp:old", "wp:a")
core.register_alias("wp:older", "wp:old")
core.register_craft({type = "shapeless", output = "wp:b",
    recipe = {"wp:old", "wp:older", "group:x", "wp:none"}})
core.register_craft({output = "wp:b 2", recipe = {{"wp:old", ""}, {"", "wp:older"}}})
core.register_craft({type = "cooking", output = "wp:b 3", recipe = "wp:old"})
core.register_craft({type = "fuel", recipe = "wp:older", burntime = 4})
core.register_craft({type = "fuel", recipe = "wp:old 5", burntime = 5})
P("b", core.get_all_craft_recipes("wp:b"))
P("fuel", core.get_all_craft_recipes(""))
P("one", core.get_craft_recipe("wp:b"))
"""
)

# clear_craft by recipe (clearCraftsByInput): the input's ItemStacks are the whole strings through
# one level of alias (a count makes no item), matched as a craft grid is (the bounding boxes, so a
# padded 3x3 grid finds a smaller recipe), and a recipe's group string matches the same string;
# cooking and fuel need a recipe of their own.
CLEAR_CRAFT_PROBE = (
    PROBE_HELPERS
    + r"""
core.register_craftitem("wp:s", {groups = {wood = 1}})
core.register_craftitem("wp:t", {})
core.register_craft({output = "wp:t 18", recipe = {{"wp:s", "group:wood"}, {"", "wp:s"}}})
P("group_string", core.clear_craft({recipe = {{"wp:s", "group:wood"}, {"", "wp:s"}}}))
core.register_craft({output = "wp:t 2", recipe = {{"wp:s", "group:wood"}}})
P("group_item", core.clear_craft({recipe = {{"wp:s", "wp:s"}}}))
core.register_craft({type = "shapeless", output = "wp:t 4", recipe = {"group:wood", "wp:s"}})
P("shapeless_group", core.clear_craft({type = "shapeless", recipe = {"wp:s", "group:wood"}}))
core.register_craft({output = "wp:t 3", recipe = {{"wp:t"}}})
P("count", core.clear_craft({recipe = {{"wp:t 2"}}}))
P("space", core.clear_craft({recipe = {{" wp:t"}}}))
P("padded", core.clear_craft({recipe = {{"", "", ""}, {"", "wp:t", ""}, {"", "", ""}}}))
core.register_craft({type = "cooking", output = "wp:t 5", recipe = "group:wood"})
P("cooking_group", core.clear_craft({type = "cooking", recipe = "group:wood"}))
P("left", core.get_all_craft_recipes("wp:t"))
P("cooking_errors", err(core.clear_craft, {type = "cooking"}),
    err(core.clear_craft, {type = "fuel", recipe = ""}))
"""
)

# Mapgen object registration (l_register_ore, l_register_decoration, l_register_schematic,
# l_register_biome): what each refuses (nil, with the engine's error line) and warns about, names
# kept once, schematics loaded at registration (a missing or bad file, short table data, bad
# replacements), the biome manager's own "default" biome. Handles carry a random uid in the
# engine, so only their type is printed.
MAPGEN_REGISTRATION_PROBE = (
    PROBE_HELPERS
    + r"""
local function n(...) return select("#", ...), ... end
local function count(t) local c = 0 for _ in pairs(t) do c = c + 1 end return c end
local function kind(...)
    local t = {}
    for i = 1, select("#", ...) do t[i] = type((select(i, ...))) end
    return table.concat(t, ",")
end
local RO, RD = core.register_ore, core.register_decoration
core.register_node("wp:a", {})
local ore = {ore_type = "scatter", ore = "wp:a", wherein = "wp:a", clust_scarcity = 8, clust_num_ores = 2,
    clust_size = 2}
local function o(extra) local d = table.copy(ore) for k, v in pairs(extra) do d[k] = v end return d end
P("ore_ok", kind(core.register_ore(o({name = "o1"}))))
P("ore_dup", kind(core.register_ore(o({name = "o1"}))))
P("ore_zero", kind(RO(o({clust_scarcity = 0}))), kind(RO(o({clust_num_ores = 0}))))
P("ore_wrap", kind(RO(o({clust_scarcity = -5}))), kind(RO(o({clust_num_ores = 65536}))),
    kind(RO(o({clust_num_ores = "3"}))), kind(RO(o({clust_scarcity = 0.5}))))
local np = {offset = 0, scale = 1, spread = {x = 5, y = 5, z = 5}, seed = 1, octaves = 1, persist = 0.5}
P("ore_noise", kind(RO(o({ore_type = "blob"}))), kind(RO(o({ore_type = "sheet", noise_params = np}))),
    kind(RO(o({ore_type = "vein"}))), kind(RO(o({ore_type = "puff"}))),
    kind(RO(o({ore_type = "stratum"}))), kind(RO(o({ore_type = "nope"}))))
P("ore_old_fields", kind(core.register_ore(o({height_min = -5, height_max = 5, noise_threshhold = 0.5}))))
P("registered_ores", count(core.registered_ores))
P("deco_types", kind(core.register_decoration({place_on = "wp:a", decoration = "wp:a"})),
    kind(core.register_decoration({deco_type = "lsystem", place_on = "wp:a"})),
    kind(core.register_decoration({deco_type = "nope", decoration = "wp:a"})))
P("deco_simple", kind(core.register_decoration({deco_type = "simple", decoration = "wp:a", sidelen = 0})),
    kind(core.register_decoration({deco_type = "simple", decoration = "wp:a", height = 0})),
    kind(core.register_decoration({deco_type = "simple"})),
    kind(core.register_decoration({deco_type = "simple", decoration = {}})),
    kind(core.register_decoration({deco_type = "simple", decoration = "wp:a", param2 = 300})),
    kind(core.register_decoration({deco_type = "simple", decoration = "wp:a", param2_max = -1})),
    kind(core.register_decoration({deco_type = "simple", decoration = "wp:a", num_spawn_by = 1})))
P("deco_names", kind(core.register_decoration({deco_type = "simple", decoration = {"wp:a"}, name = "d1"})),
    kind(core.register_decoration({deco_type = "simple", decoration = {"wp:a"}, name = "d1"})),
    core.get_decoration_id("d1"))
local one = {size = {x = 1, y = 1, z = 1}, data = {{name = "wp:a"}}}
P("deco_schem", kind(core.register_decoration({deco_type = "schematic", schematic = "nope.mts"})),
    kind(core.register_decoration({deco_type = "schematic", schematic = one})),
    kind(core.register_decoration({deco_type = "schematic", schematic = {size = {x = 2, y = 1, z = 1},
        data = {{name = "wp:a"}}}})),
    kind(core.register_decoration({deco_type = "schematic", schematic = 12345})),
    kind(core.register_decoration({deco_type = "schematic"})))
P("deco_repl", err(RD, {deco_type = "schematic", schematic = one, replacements = {{"wp:a", {}}}}),
    err(RD, {deco_type = "schematic", schematic = one, replacements = {[true] = "x"}}),
    kind(RD({deco_type = "schematic", schematic = one, replacements = {["wp:a"] = "air"}})))
P("registered_decorations", count(core.registered_decorations))
local RS = core.register_schematic
P("schem", n(RS("nope.mts")), n(RS(nil)), n(RS(5)), kind(RS(one)))
local file = core.get_worldpath() .. "/wp_r.mts"
core.safe_file_write(file, core.serialize_schematic(one, "mts", {}))
P("schem_file", kind(core.register_schematic(file)), n(core.register_schematic(file)))
core.safe_file_write(core.get_worldpath() .. "/wp_bad.mts", "not a schematic")
P("schem_bad", n(core.register_schematic(core.get_worldpath() .. "/wp_bad.mts")))
local RB, ID = core.register_biome, core.get_biome_id
P("biome", kind(RB({name = "b1"})), kind(RB({name = "b1"})), ID("default"), ID("b1"), core.get_biome_name(1),
    count(core.registered_biomes))
core.clear_registered_biomes()
P("biome_cleared", ID("default"), ID("b1"), kind(RB({name = "b2"})), ID("b2"))
"""
)

PROBES = {
    "map": MAP_PROBE,
    "util": UTIL_PROBE,
    "async": ASYNC_PROBE,
    "auth": AUTH_PROBE,
    "helpers": HELPERS_PROBE,
    "compress": COMPRESS_PROBE,
    "areastore": AREASTORE_PROBE,
    "schematics": SCHEMATICS_PROBE,
    "find_path": FIND_PATH_PROBE,
    "spawn_tree": SPAWN_TREE_PROBE,
    "stored_schematics": STORED_SCHEMATICS_PROBE,
    "noise_map": NOISE_MAP_PROBE,
    "perlin": PERLIN_PROBE,
    "craft_listing": CRAFT_LISTING_PROBE,
    "clear_craft": CLEAR_CRAFT_PROBE,
}


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.parametrize("probe", list(PROBES.values()), ids=list(PROBES))
def test_api_probe_matches_real_engine(tmp_path, probe: str) -> None:
    run = _engine_run(tmp_path, probe, steps=50)
    engine = [ln.text for ln in run.lines if ln.text.startswith("WP|")]
    assert engine, run.log[-2000:]
    w = make_world(probe, name="wp")
    w.step(4)
    assert _wp_lines(w) == engine


def _log_lines(lines: list[str]) -> list[str]:
    """ERROR and WARNING lines, a schematic file named without its folder."""
    return [re.sub(r"'[^']*/([^/']+\.mts)'", r"'<dir>/\1'", ln) for ln in lines]


@pytest.mark.engine
@pytest.mark.slow
def test_mapgen_registration_and_its_log_match_real_engine(tmp_path) -> None:
    run = _engine_run(tmp_path, MAPGEN_REGISTRATION_PROBE, steps=5)
    engine = [ln.text for ln in run.lines if ln.text.startswith("WP|")]
    assert engine, run.log[-2000:]
    w = make_world(MAPGEN_REGISTRATION_PROBE, name="wp")
    w.step(2)
    assert _wp_lines(w) == engine
    engine_log = [
        f"{ln.level}[{ln.thread}]: {ln.text}" for ln in run.lines if ln.level in {"ERROR", "WARNING"}
    ]
    emulated_log = [ln for ln in w.output() if ln.startswith(("ERROR[", "WARNING["))]
    assert _log_lines(emulated_log) == _log_lines(engine_log)
