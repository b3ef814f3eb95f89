"""Map generation (vf_luanti/lua/mapgen.lua, the mapgen VoxelManip in voxel.lua), as on a 5.6.1 server.

Measured in the real engine (the probe at the end): a dedicated server without players generates
nothing; the chunk a player joins in, (-32,-32,-32)..(47,47,47) for chunksize 5, is generated one
server step after the join, and its on_generated callbacks get that minp/maxp and the blockseed of
Mapgen::getBlockSeed2 (895705049 for map seed 0). get_mapgen_object("voxelmanip") gives a VM over
the chunk plus one map block around it (air inside, "ignore" in blocks of chunks not generated yet),
its writes land with write_to_map only; outside on_generated a known object name raises
"Must only be called in a mapgen thread!" and an unknown one gives no value. An error in
on_generated stops the server ("Runtime error from mod 'x' in callback environment_OnGenerated()").
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.engine_client import engine_player_run
from vf_luanti import mod_from_source
from vf_luanti.world import World, load_world

CHUNK = "(-32,-32,-32)|(47,47,47)|895705049"


def world(src: str, startup_steps: int = 3) -> tuple[bool, World]:
    report, w = load_world([mod_from_source(src, name="mymod")], startup_steps=startup_steps)
    return report.ok, w


def lines(w: World) -> list[str]:
    """What the mod printed with the "WP|" prefix (tab-separated print arguments)."""
    return [ln.replace("\t", "|") for ln in w.output() if ln.startswith("WP|")]


LOG_CHUNKS = r"""
minetest.register_on_generated(function(minp, maxp, seed)
    print("WP|gen", minetest.pos_to_string(minp), minetest.pos_to_string(maxp), seed)
end)
"""


def test_no_player_no_chunk_then_the_joining_players_chunk_once() -> None:
    ok, w = world(LOG_CHUNKS)
    assert ok
    w.step(30)
    assert lines(w) == []  # a dedicated server without players generates nothing
    w.join_player("sam")
    assert lines(w) == ["WP|gen|" + CHUNK]
    w.join_player("ann")  # the same chunk: generated already
    w.join_player("far", pos=(100, 0, 0))
    assert lines(w)[1:] == ["WP|gen|(48,-32,-32)|(127,47,47)|1733504345"]


VM_WRITE = r"""
minetest.register_node("mymod:ore", {})
minetest.register_on_generated(function(minp, maxp, seed)
    local vm, emin, emax = minetest.get_mapgen_object("voxelmanip")
    local va = VoxelArea:new({MinEdge = emin, MaxEdge = emax})
    local data = vm:get_data()
    print("WP|vm", minetest.pos_to_string(emin), minetest.pos_to_string(emax), #data,
        minetest.get_name_from_content_id(data[va:indexp(minp)]),
        minetest.get_name_from_content_id(data[va:indexp(emin)]), vm:was_modified())
    local ore = minetest.get_content_id("mymod:ore")
    for i in va:iter(minp.x, minp.y, minp.z, maxp.x, minp.y, minp.z + 1) do
        data[i] = ore
    end
    vm:set_data(data)
    local p2 = vm:get_param2_data()
    p2[va:index(0, 0, 0)] = 3
    vm:set_param2_data(p2)
    vm:set_node_at({x = 5, y = 5, z = 5}, {name = "mymod:ore"})
    vm:write_to_map()
    print("WP|written", vm:was_modified())
    local hm = minetest.get_mapgen_object("heightmap")
    print("WP|maps", #hm, hm[1], hm[#hm], minetest.get_mapgen_object("biomemap"),
        next(minetest.get_mapgen_object("gennotify")))
end)
"""


def test_the_mapgen_voxelmanip_covers_the_chunk_and_its_writes_land_in_the_map() -> None:
    ok, w = world(VM_WRITE)
    assert ok
    w.join_player("sam")
    assert w.errors(0) == []
    assert lines(w) == [
        "WP|vm|(-48,-48,-48)|(63,63,63)|1404928|air|ignore|false",
        "WP|written|true",
        "WP|maps|6400|-33|-33|nil|nil",
    ]
    assert w.get_node((-32, -32, -32))["name"] == "mymod:ore"
    assert w.get_node((47, -32, -31))["name"] == "mymod:ore"
    assert w.get_node((47, -32, -30))["name"] == "air"
    assert w.get_node((5, 5, 5))["name"] == "mymod:ore"
    assert w.get_node((0, 0, 0)) == {"name": "air", "param1": 15, "param2": 3}
    assert w.get_node((0, -33, 0))["name"] == "air"  # the shell of a chunk not generated is not written


def test_callbacks_share_one_vm_and_unwritten_changes_stay_out_of_the_map() -> None:
    ok, w = world(r"""
minetest.register_node("mymod:a", {})
minetest.register_on_generated(function()
    local vm = minetest.get_mapgen_object("voxelmanip")
    vm:set_node_at({x = 1, y = 0, z = 0}, {name = "mymod:a"})
    minetest.set_node({x = 2, y = 0, z = 0}, {name = "mymod:a"})
    print("WP|set_node", vm:was_modified())
end)
minetest.register_on_generated(function()
    local vm = minetest.get_mapgen_object("voxelmanip")
    print("WP|second", vm:get_node_at({x = 1, y = 0, z = 0}).name, vm:get_node_at({x = 2, y = 0, z = 0}).name)
end)
""")
    assert ok
    w.join_player("sam")
    assert lines(w) == ["WP|set_node|true", "WP|second|mymod:a|mymod:a"]
    assert w.get_node((1, 0, 0))["name"] == "air"  # never written
    assert w.get_node((2, 0, 0))["name"] == "mymod:a"


def test_a_mod_changing_its_position_tables_moves_nothing() -> None:
    ok, w = world(r"""
minetest.register_on_generated(function(minp, maxp)
    local vm, emin = minetest.get_mapgen_object("voxelmanip")
    emin.x, minp.x = 0, 5
    local _, again = minetest.get_mapgen_object("voxelmanip")
    print("WP|first", again.x, vm:get_emerged_area().x)
end)
minetest.register_on_generated(function(minp) print("WP|second", minp.x) end)
""")
    assert ok
    w.join_player("sam")
    assert lines(w) == ["WP|first|-48|-48", "WP|second|5"]  # the engine passes one minp table to all


def test_get_mapgen_object_outside_on_generated() -> None:
    ok, w = world(r"""
print("WP|load", pcall(minetest.get_mapgen_object, "heightmap"))
print("WP|unknown", select("#", minetest.get_mapgen_object("nonsense")),
    select("#", minetest.get_mapgen_object()))
minetest.register_globalstep(function()
    if not done then
        done = true
        print("WP|step", pcall(minetest.get_mapgen_object, "voxelmanip"))
    end
end)
minetest.register_on_generated(function()
    print("WP|inside", select("#", minetest.get_mapgen_object("nonsense")),
        select("#", minetest.get_mapgen_object("heatmap")))
    minetest.after(0, function() print("WP|after", pcall(minetest.get_mapgen_object, "gennotify")) end)
end)
""")
    assert ok
    w.join_player("sam")
    w.step(0.2)
    msg = "false|Must only be called in a mapgen thread!"
    assert lines(w) == [
        "WP|load|" + msg,
        "WP|unknown|0|0",
        "WP|step|" + msg,
        "WP|inside|0|0",
        "WP|after|" + msg,
    ]
    ok, _ = world('minetest.get_mapgen_object("voxelmanip")')
    assert not ok  # at load time it fails the mod, as in the engine


def test_an_error_in_on_generated_is_the_engines_error_and_stops_the_chunks_callbacks() -> None:
    ok, w = world(r"""
minetest.register_on_generated(function() error("boom") end)
minetest.register_on_generated(function() print("WP|second") end)
""")
    assert ok  # nothing is generated before a player comes
    w.join_player("sam")
    errors = [str(e) for e in w.errors(0)]
    assert len(errors) == 1
    assert "Runtime error from mod 'mymod' in callback environment_OnGenerated():" in errors[0]
    assert errors[0].endswith("boom")
    assert lines(w) == []


def test_a_crashing_on_generated_fails_the_sample_and_a_working_one_passes() -> None:
    from vf_luanti.scoring import score_many
    from vf_luanti.splits import get_task

    gold = get_task("pi-ladder-and-rope").reference
    extra = {
        "crash": 'minetest.register_on_generated(function() error("mymod: boom") end)',
        "works": "minetest.register_on_generated(function(minp, maxp)\n"
        '\tlocal vm, emin, emax = minetest.get_mapgen_object("voxelmanip")\n'
        "\tvm:set_data(vm:get_data())\n\tvm:write_to_map()\nend)",
    }
    scores = score_many([("pi-ladder-and-rope", f"```lua\n{gold}\n{code}\n```") for code in extra.values()])
    crash, works = scores
    assert not crash.passed
    assert any("environment_OnGenerated(): " in f and "mymod: boom" in f for f in crash.feedback)
    assert works.passed, works.feedback


def test_a_chunk_costs_nothing_without_on_generated() -> None:
    ok, w = world('minetest.register_node("mymod:a", {})')
    assert ok
    start = time.process_time()
    for i in range(20):
        w.join_player(f"p{i}", pos=(i * 80, 0, 0))
    assert time.process_time() - start < 0.5
    assert w.eval("return #minetest.registered_on_generateds") == 0


# -- the real engine ----------------------------------------------------------------------------

PROBE = r"""
local S = minetest.pos_to_string
minetest.register_node("wp:ore", {})
local first = true
minetest.register_on_generated(function(minp, maxp, seed)
    if not first then return end
    first = false
    print("WP|gen|" .. S(minp) .. "|" .. S(maxp) .. "|" .. seed)
    local vm, emin, emax = minetest.get_mapgen_object("voxelmanip")
    local data = vm:get_data()
    local counts = {}
    for i = 1, #data do
        local name = minetest.get_name_from_content_id(data[i])
        counts[name] = (counts[name] or 0) + 1
    end
    local va = VoxelArea:new({MinEdge = emin, MaxEdge = emax})
    print("WP|vm|" .. S(emin) .. "|" .. S(emax) .. "|" .. #data .. "|" .. counts.air .. "|" .. counts.ignore
        .. "|" .. vm:get_light_data()[va:indexp(minp)] .. "|" .. tostring(vm:was_modified()))
    data[va:index(0, 0, 0)] = minetest.get_content_id("wp:ore")
    vm:set_data(data)
    vm:write_to_map()
    print("WP|objects|" .. tostring(minetest.get_mapgen_object("biomemap")) .. "|"
        .. type(minetest.get_mapgen_object("gennotify")) .. "|"
        .. select("#", minetest.get_mapgen_object("x")))
    minetest.after(0, function()
        print("WP|after|" .. minetest.get_node({x = 0, y = 0, z = 0}).name .. "|"
            .. select(2, pcall(minetest.get_mapgen_object, "voxelmanip")))
        minetest.request_shutdown()
    end)
end)
"""


@pytest.mark.engine
@pytest.mark.slow
def test_probe_matches_real_engine(tmp_path: Path) -> None:
    """The headless 5.6.1 client joins a fresh singlenode world with map seed 0 (the emulation's)."""
    log = engine_player_run(tmp_path, PROBE, server_conf="fixed_map_seed = 0\n")
    engine = [ln for ln in log.splitlines() if ln.startswith("WP|")]
    assert engine[0] == "WP|gen|" + CHUNK, log[-2000:]
    report, w = load_world([mod_from_source(PROBE, name="wp")], startup_steps=3)
    assert report.ok
    w.join_player("sam")
    w.step(0.2)
    assert lines(w) == engine
