"""A player's inventory actions as the engine runs them (src/inventorymanager.cpp IMoveAction and
IDropAction, src/script/cpp_api/s_player.cpp): the player inventory callbacks get the action's name,
the player's InvRef and an ``info`` table shaped per action; the allow_* callbacks run as
core.run_callbacks' OR_SC mode (the first true-ish return ends the list; a number limits the
count, 0 refuses, -1 on a take keeps the source's items); a drop asks allow_take, runs the item's
on_drop and reports the dropped count to on_take. The server's life makes its visitor do these
(tests/redteam/hacks.jsonl holds the crashes it finds)."""

from __future__ import annotations

from vf_luanti.mods import mod_from_source
from vf_luanti.world import World, load_world

LOG = r"""
core.register_craftitem("tmod:coin", {description = "Coin"})
core.register_node("tmod:box", {
    description = "Box",
    on_construct = function(pos) core.get_meta(pos):get_inventory():set_size("main", 4) end,
})
tmod_log = {}
core.register_on_player_inventory_action(function(player, action, inventory, info)
    local keys = {}
    for k in pairs(info) do keys[#keys + 1] = k end
    table.sort(keys)
    local loc = inventory:get_location()
    local stack = info.stack and (" " .. info.stack:to_string()) or ""
    tmod_log[#tmod_log + 1] = action .. " " .. table.concat(keys, ",") .. " " .. loc.type .. ":" .. loc.name
        .. stack .. (info.count and (" count " .. info.count) or (" slot " .. info.index))
end)
"""


def _world(src: str) -> World:
    report, w = load_world([mod_from_source(src, name="tmod")])
    assert report.ok, [str(e) for e in report.errors]
    w.join_player("sam")
    return w


def test_each_action_gets_the_info_the_engine_passes() -> None:
    w = _world(LOG)
    w.set_node((0, 0, 0), "tmod:box")
    w.set_inventory_stack("player", "sam", "main", 1, "tmod:coin 5")
    assert w.move_item("sam", ("player", "sam", "main", 1), ("player", "sam", "craft", 2), 2) == 2
    assert w.move_item("sam", ("player", "sam", "main", 1), ("node", (0, 0, 0), "main", 1), 1) == 1
    assert w.move_item("sam", ("node", (0, 0, 0), "main", 1), ("player", "sam", "main", 3)) == 1
    assert w.eval("return tmod_log") == [
        "move count,from_index,from_list,to_index,to_list player:sam count 2",
        "take index,listname,stack player:sam tmod:coin slot 1",
        "put index,listname,stack player:sam tmod:coin slot 3",
    ]


def test_the_first_true_allow_answer_decides() -> None:
    w = _world(
        LOG
        + r"""
tmod_asked = 0
core.register_allow_player_inventory_action(function(player, action, inventory, info)
    tmod_asked = tmod_asked + 1
    if info.to_list == "craft" then return 0 end
end)
core.register_allow_player_inventory_action(function(player, action, inventory, info)
    tmod_asked = tmod_asked + 10
    return 1
end)
"""
    )
    w.set_inventory_stack("player", "sam", "main", 1, "tmod:coin 5")
    # nil from the first: the second limits the move to 1
    assert w.move_item("sam", ("player", "sam", "main", 1), ("player", "sam", "main", 2)) == 1
    assert w.eval("return tmod_asked") == 11
    # 0 from the first refuses, and the second is not asked
    assert w.move_item("sam", ("player", "sam", "main", 1), ("player", "sam", "craft", 1)) == 0
    assert w.eval("return tmod_asked") == 12
    assert w.get_inventory("player", "sam")["main"][:2] == ["tmod:coin 4", "tmod:coin"]


def test_a_drop_takes_what_on_drop_used_and_spawns_the_item() -> None:
    w = _world(LOG)
    w.set_inventory_stack("player", "sam", "main", 1, "tmod:coin 3")
    assert w.drop_item("sam")["dropped"] == 3
    assert w.get_inventory("player", "sam")["main"][0] == ""
    assert [o.get("name") for o in w.objects()].count("__builtin:item") == 1
    assert w.eval("return tmod_log") == ["take index,listname,stack player:sam tmod:coin 3 slot 1"]


def test_an_infinite_take_drops_without_losing_the_stack() -> None:
    w = _world(
        LOG
        + r"""
core.register_allow_player_inventory_action(function(player, action)
    if action == "take" then return -1 end
end)
"""
    )
    w.set_inventory_stack("player", "sam", "main", 1, "tmod:coin 3")
    assert w.drop_item("sam")["dropped"] == 3
    assert w.get_inventory("player", "sam")["main"][0] == "tmod:coin 3"


def test_an_on_drop_that_keeps_the_stack_drops_nothing() -> None:
    w = _world(LOG + 'core.override_item("tmod:coin", {on_drop = function(itemstack) return itemstack end})')
    w.set_inventory_stack("player", "sam", "main", 1, "tmod:coin 3")
    assert w.drop_item("sam")["dropped"] == 0
    assert w.get_inventory("player", "sam")["main"][0] == "tmod:coin 3"
    assert w.eval("return #tmod_log") == 0  # no on_take: nothing was dropped
