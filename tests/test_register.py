"""Registration API: definitions, defaults, aliases, callbacks, privileges and chat commands.

Expected values are the 5.6.1 engine's (research notes §1 and probes of the real server): message
texts, builtin registrations, content IDs and the MTG registry counts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vf_luanti.loading import check, run_mods
from vf_luanti.mods import mod_from_source
from vf_luanti.world import World, load_world

MTG = Path("/usr/share/games/minetest/games/minetest_game")
MODS = Path("/usr/share/games/minetest/mods")


def load(src: str, name: str = "tmod"):
    report, _rt = run_mods([mod_from_source(src, name=name)])
    return report


def world(src: str, name: str = "tmod") -> World:
    report, w = load_world([mod_from_source(src, name=name)])
    assert report.ok, [str(e) for e in report.errors]
    return w


def messages(diags) -> list[str]:
    return [d.message for d in diags]


def test_builtin_items_as_the_engine_registers_them() -> None:
    report = load("")
    items = report.registered["items"]
    assert sorted(items) == ["", "air", "ignore", "unknown"]
    assert items["air"]["description"] == "\x1b(T@__builtin)Air\x1bE"
    assert items["air"]["mod_origin"] == "*builtin*"
    assert set(items["air"]) == {
        "air_equivalent",
        "buildable_to",
        "description",
        "diggable",
        "drawtype",
        "drop",
        "floodable",
        "groups",
        "inventory_image",
        "mod_origin",
        "name",
        "paramtype",
        "pointable",
        "sunlight_propagates",
        "type",
        "walkable",
        "wield_image",
    }
    assert items[""] == {
        "groups": {"not_in_creative_inventory": 1},
        "mod_origin": "*builtin*",
        "type": "none",
        "name": "",
        "wield_image": "wieldhand.png",
    }
    assert report.registered["aliases"]["node"] == "" and len(report.registered["aliases"]) == 10
    assert report.registered["entities"] == ["__builtin:falling_node", "__builtin:item"]
    assert len(report.registered["chatcommands"]) == 37 and len(report.registered["privileges"]) == 18


def test_definition_table_is_kept_mutated_and_swallows_new_keys() -> None:
    w = world(r"""
        local def = {description = "Lamp", groups = {cracky = 3}, light_source = 20}
        core.register_node("tmod:lamp", def)
        def.newfield = 42
        def.walkable = false
        _G.result = {same = core.registered_nodes["tmod:lamp"] == def, light = def.light_source,
            newfield = def.newfield, walkable = def.walkable, drawtype = def.drawtype,
            raw_drawtype = rawget(def, "drawtype"), origin = def.mod_origin}
    """)
    assert w.eval("return result") == {
        "same": True,
        "light": 14,
        "walkable": True,
        "drawtype": "normal",
        "origin": "tmod",
    }
    assert any(
        "Node 'light_source' value exceeds maximum, limiting to maximum: tmod:lamp" in str(m)
        for m in w.warnings()
    )


def test_tool_defaults_nodebox_and_flowing_liquid() -> None:
    w = world(r"""
        core.register_tool("tmod:pick", {stack_max = 50, tool_capabilities = {
            groupcaps = {cracky = {times = {1}, uses = 20, maxlevel = 3}}}})
        local box = {type = "fixed", fixed = {-0.5, -0.5, -0.5, 0.5, 0, 0.5}}
        core.register_node("tmod:slab", {drawtype = "nodebox", node_box = box})
        core.register_node("tmod:flow", {liquidtype = "flowing"})
        _G.r = {uses = core.registered_tools["tmod:pick"].tool_capabilities.punch_attack_uses,
            stack = core.registered_tools["tmod:pick"].stack_max,
            same_box = core.registered_nodes["tmod:slab"].selection_box == box,
            p2 = rawget(core.registered_nodes["tmod:flow"], "paramtype2")}
    """)
    assert w.eval("return r") == {"uses": 180, "stack": 1, "same_box": True, "p2": "flowingliquid"}


@pytest.mark.parametrize(
    ("src", "message"),
    [
        (
            'core.register_node("othermod:x", {})',
            'Name othermod:x does not follow naming conventions: "tmod:" or ":" prefix required',
        ),
        (
            'core.register_node("tmod:bad-name", {})',
            "Name tmod:bad-name does not follow naming conventions: contains unallowed characters",
        ),
        ("core.register_item(nil, {})", "Unable to register item: Name is nil"),
        ('core.register_item(":node", {type = "node"})', "Unable to register item: Name is forbidden: node"),
        ('core.register_alias("tool", "tmod:x")', "Unable to register alias: Name is forbidden: tool"),
        ('core.register_abm({nodenames = {"air"}})', "Required field 'action' of type function"),
        ("core.register_entity(nil, {})", "Unable to register entity: Name is nil"),
        ('core.override_item("tmod:nothing", {})', "Attempt to override non-existent item tmod:nothing"),
    ],
)
def test_registration_errors_carry_engine_text(src: str, message: str) -> None:
    report = load(src)
    assert not report.ok
    assert messages(report.errors) == [message]
    assert report.errors[0].file.endswith("tmod/init.lua") and report.errors[0].line == 1


def test_invalid_type_error_dumps_the_definition() -> None:
    report = load('core.register_item("tmod:x", {type = "bogus"})')
    assert report.errors[0].message.startswith("Unable to register item: Type is invalid: {")


def test_field_type_error_is_logged_not_raised() -> None:
    report = load('core.register_node("tmod:x", {walkable = "yes", drowning = "2"})')
    assert report.ok
    assert messages(report.warnings) == ["Invalid field walkable (expected boolean got string)."]
    assert "ERROR[Main]: Invalid field walkable (expected boolean got string)." in report.output


def test_aliases_resolve_through_registered_tables() -> None:
    w = world(r"""
        core.register_node("tmod:stone", {})
        core.register_alias("stone", "tmod:stone")
        core.register_alias("tmod:stone", "tmod:other")
        core.register_node("tmod:dirt", {})
        core.register_alias_force("tmod:dirt", "tmod:stone")
        _G.r = {via_alias = core.registered_nodes["stone"].name,
            dirt = core.registered_items["tmod:dirt"].name, aliased = core.registered_aliases["tmod:dirt"]}
    """)
    assert w.eval("return r") == {"via_alias": "tmod:stone", "dirt": "tmod:stone", "aliased": "tmod:stone"}
    assert any(
        "Not registering alias, item with same name is already defined: tmod:stone -> tmod:other" in str(m)
        for m in w.warnings()
    )


def test_override_and_unregister() -> None:
    w = world(r"""
        core.register_node("tmod:x", {description = "X"})
        core.override_item("tmod:x", {description = "Y", newfield = 1})
        core.unregister_item("tmod:none")
        _G.r = {d = core.registered_nodes["tmod:x"].description, n = core.registered_nodes["tmod:x"].newfield}
        core.unregister_item("tmod:x")
        _G.r.gone = core.registered_items["tmod:x"] == nil
    """)
    assert w.eval("return r") == {"d": "Y", "n": 1, "gone": True}
    assert any("Not unregistering item tmod:none because it doesn't exist." in str(m) for m in w.warnings())


def test_content_ids_as_the_engine_assigns_them() -> None:
    w = world(r"""
        core.register_node("tmod:a", {})
        core.register_node("tmod:b", {})
        _G.r = {core.get_content_id("tmod:a"), core.get_content_id("tmod:b"), core.get_content_id("air"),
            core.get_name_from_content_id(1), core.get_name_from_content_id(5000)}
    """)
    assert w.eval("return r") == [0, 1, 126, "tmod:b", "unknown"]
    assert "Unknown node: tmod:none" in str(load('core.get_content_id("tmod:none")').errors[0].message)


def test_callbacks_order_origins_and_run_callbacks() -> None:
    w = world(r"""
        local seen = {}
        core.register_on_player_receive_fields(function() seen[#seen + 1] = "first" end)
        core.register_on_player_receive_fields(function() seen[#seen + 1] = "second" end)
        for _, f in ipairs(core.registered_on_player_receive_fields) do f() end
        local function yes() return true end
        local function no() return false end
        core.register_on_dignode(yes)
        _G.r = {seen = seen, origin = core.callback_origins[yes].mod,
            and_ = core.run_callbacks({yes, no}, 2), or_ = core.run_callbacks({no, yes}, 4),
            empty_and = core.run_callbacks({}, 2), empty_or = core.run_callbacks({}, 5)}
    """)
    assert w.eval("return r") == {
        "seen": ["second", "first"],
        "origin": "tmod",
        "and_": False,
        "or_": True,
        "empty_and": True,
        "empty_or": False,
    }


def test_hpchange_modifiers_run_in_reverse() -> None:
    w = world(r"""
        core.register_on_player_hpchange(function(p, hp) return hp * 2 end, true)
        core.register_on_player_hpchange(function(p, hp) return hp + 1 end, true)
        _G.r = core.registered_on_player_hpchange(nil, -3, {})
    """)
    assert w.eval("return r") == -4


def test_auth_is_not_ready_at_load_time() -> None:
    report = load('core.check_player_privs("sam", {interact = true})')
    assert messages(report.errors) == [
        "Attempt to access an auth function but the auth system is yet not initialized. This causes bugs."
    ]


def test_privileges_and_chat_commands() -> None:
    w = world(r"""
        core.register_privilege("magic", "Can do magic")
        core.register_chatcommand("heal", {privs = {magic = true}, func = function(name)
            return true, "healed " .. name end})
    """)
    w.join_player("sam", privs=["interact", "shout"])
    res = w.chat_command("sam", "/heal")
    assert res["success"] is False
    assert res["message"] == (
        "\x1b(T@__builtin)You don't have permission to run this command "
        "(missing privileges: \x1bFmagic\x1bE).\x1bE"
    )
    w.join_player("admin", privs=["privs"])
    assert w.chat_command("admin", "/grant sam magic")["success"] is True
    assert w.chat_command("sam", "/heal")["message"] == "healed sam"
    assert w.eval('return core.check_player_privs("sam", "magic", "shout")') is True
    invalid = "-!- \x1b(T@__builtin)Invalid command: \x1bFnope\x1bE\x1bE"
    assert w.chat_command("sam", "/nope")["message"] == invalid
    assert w.eval("return core.registered_privileges.magic.give_to_admin") is True


def test_give_and_time_commands_act_on_the_world() -> None:
    w = world('core.register_craftitem("tmod:gem", {})')
    w.join_player("sam", privs=["give", "settime"])
    assert w.chat_command("sam", "/giveme tmod:gem 5")["success"] is True
    assert "tmod:gem 5" in w.player("sam")["inventory"]["main"]
    assert w.chat_command("sam", "/time 6:00")["success"] is True
    assert abs(w.time()["timeofday"] - 0.25) < 1e-6


@pytest.mark.skipif(not MTG.is_dir(), reason="minetest_game not installed")
def test_minetest_game_counts_match_the_engine() -> None:
    reg = _registry_counts(check([str(MTG / "mods")]))
    assert reg == {
        "items": 530,
        "nodes": 436,
        "craftitems": 59,
        "tools": 33,
        "aliases": 177,
        "entities": 4,
        "abms": 9,
        "lbms": 12,
        "chatcommands": 40,
        "privileges": 20,
    }


#: The Debian mod packages .ci/run installs (a machine may have more; the figures are for these).
CI_MODS = ("mesecons", "moreores", "worldedit")


@pytest.mark.skipif(
    not (MTG.is_dir() and all((MODS / m).is_dir() for m in CI_MODS)), reason="engine mods not installed"
)
def test_minetest_game_and_mods_counts_match_the_engine() -> None:
    reg = _registry_counts(check([str(MTG / "mods")] + [str(MODS / m) for m in CI_MODS]))
    assert reg == {
        "items": 876,
        "nodes": 764,
        "craftitems": 66,
        "tools": 44,
        "aliases": 232,
        "entities": 6,
        "abms": 18,
        "lbms": 14,
        "chatcommands": 77,
        "privileges": 21,
    }


def _registry_counts(report) -> dict[str, int]:
    assert report.ok, [str(e) for e in report.errors]
    reg = report.registered
    types = [d.get("type") for d in reg["items"].values()]
    return {
        "items": len(reg["items"]),
        "nodes": types.count("node"),
        "craftitems": types.count("craft"),
        "tools": types.count("tool"),
        "aliases": len(reg["aliases"]),
        "entities": len(reg["entities"]),
        "abms": len(reg["abms"]),
        "lbms": len(reg["lbms"]),
        "chatcommands": len(reg["chatcommands"]),
        "privileges": len(reg["privileges"]),
    }


def test_the_engine_reads_fields_through_a_defaults_table_of_its_own_metatable() -> None:
    # C++ reads each field with lua_getfield: through builtin's defaults table and whatever that
    # table inherits from, with the same wrong-type errors (once per registering line).
    report = load(
        """
local d = core.craftitemdef_default
d.stack_max, d.inventory_image = nil, nil
setmetatable(d, {__index = {stack_max = 7, inventory_image = true}})
core.register_craftitem("tmod:c", {description = 5})
assert(ItemStack("tmod:c 50"):get_stack_max() == 7)
core.register_craftitem("tmod:plain", {stack_max = 3})
assert(ItemStack("tmod:plain 50"):get_stack_max() == 3)
"""
    )
    assert report.ok, messages(report.errors)
    wrong = "Invalid field inventory_image (expected string got boolean)."
    assert [(w.message, w.line) for w in report.warnings] == [(wrong, 5), (wrong, 7)]
    assert report.registered["items"]["tmod:c"]["description"] == 5
