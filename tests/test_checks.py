"""The check language: validation, matchers, and each kind passing and failing with useful feedback.

The end-to-end tests load real mods in the emulated engine (vf_luanti.world) inside this process.
"""

import json

import pytest

from vf_luanti.checks import CheckError, CheckSession, match, validate_check
from vf_luanti.tasks import Task

# --------------------------------------------------------------------------- matchers and schema


def test_match_plain_values_and_subsets():
    assert match(3, 3.0) is None
    assert match({"a": 1}, {"a": 1, "b": 2}) is None
    assert "expected 2" in match({"a": 2}, {"a": 1})
    assert match([1, 2], [1, 2]) is None and "2 element" in match([1, 2], [1])
    assert match({}, []) is None  # an empty Lua table encodes as []
    assert match("x", "x") is None and match(True, 1) is not None


def test_match_operators():
    assert match({"$exact": {"a": 1}}, {"a": 1}) is None
    assert "exactly the keys" in match({"$exact": {"a": 1}}, {"a": 1, "b": 1})
    assert match({"$absent": True}, None) is None and match({"$absent": True}, 0) is not None
    assert match({"$type": "function"}, "<function>") is None
    assert match({"$contains": "ell"}, "hello") is None and match({"$contains": 3}, [1, 3]) is None
    assert match({"$regex": "^a.c$"}, "abc") is None and match({"$regex": "^b"}, "abc") is not None
    assert match({"$range": [1, 2]}, 1.5) is None and match({"$range": [1, 2]}, 3) is not None
    assert match({"$any_of": [{"$absent": True}, 0]}, 0) is None
    assert match({"$not": 1}, 2) is None and match({"$not": 1}, 1) is not None
    assert match({"$len": 2}, "ab") is None


@pytest.mark.parametrize(
    "check, message",
    [
        ({"kind": "nope", "desc": "x"}, "unknown kind"),
        ({"kind": "item", "name": "a:b"}, "desc"),
        ({"kind": "item", "desc": "d", "name": "a:b", "colour": 1}, "unknown key"),
        ({"kind": "item", "desc": "d", "name": "a:b", "fields": {"x": {"$bogus": 1}}}, "unknown matcher"),
        (
            {"kind": "craft", "desc": "d", "type": "shaped", "output": "a:b", "recipe": ["a", "b"]},
            "list of rows",
        ),
        ({"kind": "callback", "desc": "d", "event": "on_whatever"}, "'event'"),
        (
            {"kind": "scenario", "desc": "d", "steps": [{"do": "join", "player": "p"}]},
            "at least one 'expect'",
        ),
        (
            {
                "kind": "scenario",
                "desc": "d",
                "steps": [{"do": "fly", "player": "p"}, {"expect": "hp", "player": "p", "value": 1}],
            },
            "unknown do",
        ),
        ({"kind": "scenario", "desc": "d", "steps": [{"expect": "node", "pos": [0, 0]}]}, "'pos'"),
        ({"kind": "preserve", "desc": "d"}, "refactor and repair"),
        (
            {
                "kind": "scenario",
                "desc": "d",
                "steps": [
                    {"do": "step", "seconds": 1, "dtime": 0},
                    {"expect": "hp", "player": "p", "value": 1},
                ],
            },
            "'dtime' must be",
        ),
        (
            {"kind": "scenario", "desc": "d", "steps": [{"expect": "chat", "player": "p"}]},
            "contains, lacks, count or message",
        ),
    ],
)
def test_invalid_checks_are_rejected_with_a_reason(check, message):
    with pytest.raises(CheckError, match=message):
        validate_check(check, family="scaffold")


# --------------------------------------------------------------------------- end to end, per kind

NODE = """
minetest.register_node("mymod:lamp", {
	description = "Lamp",
	tiles = {"mymod_lamp.png"},
	groups = {cracky = 2},
	light_source = 9,
	on_punch = function(pos)
		minetest.set_node(pos, {name = "mymod:lamp_on"})
	end,
})
minetest.register_node("mymod:lamp_on", {description = "Lamp (on)", tiles = {"x.png"}, light_source = 14})
minetest.register_alias("mymod:old_lamp", "mymod:lamp")
minetest.register_craft({output = "mymod:lamp 2", recipe = {{"", "default:glass"}, {"", "default:torch"}}})
minetest.register_craft({type = "cooking", output = "mymod:lamp_on", recipe = "mymod:lamp", cooktime = 4})
minetest.register_abm({nodenames = {"mymod:lamp"}, neighbors = {"mymod:lamp_on"}, interval = 2, chance = 1,
	action = function(pos) minetest.set_node(pos, {name = "mymod:lamp_on"}) end})
minetest.register_privilege("lamplighter", {description = "Light lamps", give_to_singleplayer = false})
minetest.register_chatcommand("light", {params = "<x>", privs = {lamplighter = true},
	func = function(name, param)
	return true, "Lit " .. param
end})
minetest.register_entity("mymod:moth", {initial_properties = {hp_max = 2, visual = "sprite"},
	on_punch = function(self) self.hits = (self.hits or 0) + 1 end})
minetest.register_on_joinplayer(function(player)
	minetest.chat_send_player(player:get_player_name(), "hi " .. player:get_player_name())
end)
mymod = {bright = function() return 9 end}
"""


def run(checks, code=NODE, family="scaffold", input="", instruction="x"):
    task = Task.from_dict(
        {
            "id": "t",
            "family": family,
            "instruction": instruction,
            "input": input,
            "reference": code,
            "checks": checks,
            "tags": [],
            "difficulty": "easy",
        }
    )
    s = CheckSession(task, code)
    assert s.loaded_ok, s.load_errors
    return s.run_all()


def one(check, **kw):
    [r] = run([check], **kw)
    return r


@pytest.mark.parametrize(
    "good, bad, feedback",
    [
        (
            {
                "kind": "item",
                "desc": "lamp",
                "name": "mymod:lamp",
                "type": "node",
                "fields": {
                    "light_source": 9,
                    "groups": {"$exact": {"cracky": 2}},
                    "on_punch": {"$type": "function"},
                },
            },
            {"kind": "item", "desc": "lamp", "name": "mymod:lamp", "fields": {"light_source": 10}},
            "light_source: expected 10, got 9",
        ),
        (
            {"kind": "item", "desc": "via alias", "name": "mymod:old_lamp", "type": "node"},
            {"kind": "item", "desc": "tool", "name": "mymod:lamp", "type": "tool"},
            "expected type 'tool'",
        ),
        (
            {"kind": "item", "desc": "gone", "name": "mymod:old_lamp", "absent": True},
            {"kind": "item", "desc": "gone", "name": "mymod:lamp", "absent": True},
            "should not be registered",
        ),
        (
            {
                "kind": "craft",
                "desc": "shaped",
                "output": "mymod:lamp 2",
                "recipe": [["default:glass"], ["default:torch"]],
            },
            {
                "kind": "craft",
                "desc": "shaped",
                "output": "mymod:lamp 2",
                "recipe": [["default:torch"], ["default:glass"]],
            },
            "recipe is",
        ),
        (
            {
                "kind": "craft",
                "desc": "cook",
                "type": "cooking",
                "output": "mymod:lamp_on",
                "recipe": "mymod:lamp",
                "cooktime": 4,
            },
            {"kind": "craft", "desc": "cook", "type": "cooking", "output": "mymod:lamp_on", "cooktime": 5},
            "cooktime",
        ),
        (
            {"kind": "alias", "desc": "alias", "name": "mymod:old_lamp", "target": "mymod:lamp"},
            {"kind": "alias", "desc": "alias", "name": "mymod:older_lamp", "target": "mymod:lamp"},
            "not registered",
        ),
        (
            {"kind": "abm", "desc": "abm", "nodenames": ["mymod:lamp"], "interval": 2, "chance": 1},
            {"kind": "abm", "desc": "abm", "nodenames": ["mymod:lamp"], "interval": 3},
            "interval",
        ),
        (
            {"kind": "abm", "desc": "no abm", "nodenames": ["mymod:lamp_on"], "count": 0},
            {"kind": "abm", "desc": "no abm", "nodenames": ["mymod:lamp"], "count": 0},
            "number of ABMs on ['mymod:lamp']",
        ),
        (
            {
                "kind": "privilege",
                "desc": "priv",
                "name": "lamplighter",
                "fields": {"give_to_singleplayer": False},
            },
            {"kind": "privilege", "desc": "priv", "name": "lamplighter", "fields": {"description": "Other"}},
            "description",
        ),
        (
            {
                "kind": "chatcommand",
                "desc": "cmd",
                "name": "light",
                "fields": {"privs": {"$exact": {"lamplighter": True}}},
            },
            {"kind": "chatcommand", "desc": "cmd", "name": "dark"},
            "not registered",
        ),
        (
            {
                "kind": "entity",
                "desc": "moth",
                "name": "mymod:moth",
                "fields": {"initial_properties": {"hp_max": 2}},
            },
            {
                "kind": "entity",
                "desc": "moth",
                "name": "mymod:moth",
                "fields": {"initial_properties": {"hp_max": 3}},
            },
            "hp_max",
        ),
        (
            {"kind": "callback", "desc": "join", "event": "on_joinplayer", "count": 1},
            {"kind": "callback", "desc": "die", "event": "on_dieplayer"},
            "number of register_on_dieplayer",
        ),
        (
            {"kind": "lua", "desc": "api", "code": "return mymod.bright() == 9"},
            {"kind": "lua", "desc": "api", "code": "return false, 'too dark'"},
            "too dark",
        ),
        (
            {"kind": "warnings", "desc": "clean"},
            {"kind": "lua", "desc": "err", "code": "error('boom')"},
            "boom",
        ),
    ],
)
def test_registry_and_lua_kinds(good, bad, feedback):
    ok = one(good)
    assert ok.passed, ok.feedback
    res = one(bad)
    assert not res.passed
    assert res.feedback.startswith(bad["desc"]) and feedback in res.feedback, res.feedback


def test_scenario_actions_and_expectations():
    steps = [
        {"do": "join", "player": "p1", "privs": ["interact", "shout", "lamplighter"]},
        {"expect": "chat", "player": "p1", "contains": "hi p1"},
        {"do": "set_node", "pos": [0, 0, 0], "node": "mymod:lamp"},
        {"do": "punch_node", "player": "p1", "pos": [0, 0, 0]},
        {"expect": "node", "pos": [0, 0, 0], "name": "mymod:lamp_on"},
        {"do": "set_node", "pos": [5, 0, 0], "node": "mymod:lamp"},
        {"do": "set_node", "pos": [5, 1, 0], "node": "mymod:lamp_on"},
        {"do": "run_abms", "times": 1},
        {"expect": "node", "pos": [5, 0, 0], "name": "mymod:lamp_on"},
        {"do": "chat", "player": "p1", "message": "/light up"},
        {"expect": "chat", "player": "p1", "contains": "Lit up", "count": 1},
        {"expect": "chat", "player": "p1", "message": "Lit up"},
        {"expect": "command", "player": "p1", "success": True, "message": {"$regex": "^Lit up$"}},
        {"do": "add_entity", "pos": [0, 2, 0], "name": "mymod:moth", "as": "m"},
        {"do": "punch_entity", "player": "p1", "entity": "m"},
        {"expect": "entity", "entity": "m", "alive": True, "fields": {"hits": 1}},
        {"expect": "entity_count", "name": "mymod:moth", "count": 1},
        {"do": "give", "player": "p1", "item": "mymod:lamp 3"},
        {"expect": "inventory", "player": "p1", "contains": "mymod:lamp 3", "lacks": "mymod:lamp 4"},
        {"do": "set_hp", "player": "p1", "hp": 7},
        {"expect": "hp", "player": "p1", "value": 7},
        {"expect": "lua", "code": "return minetest.get_node({x=0,y=0,z=0}).name == 'mymod:lamp_on'"},
    ]
    r = one({"kind": "scenario", "desc": "lamp world", "steps": steps})
    assert r.passed, r.feedback


@pytest.mark.parametrize(
    "steps, feedback",
    [
        (
            [
                {"do": "set_node", "pos": [0, 0, 0], "node": "mymod:lamp"},
                {"expect": "node", "pos": [0, 0, 0], "name": "mymod:lamp_on"},
            ],
            "expected 'mymod:lamp_on', got 'mymod:lamp'",
        ),
        (
            [
                {"do": "join", "player": "p1"},
                {"do": "chat", "player": "p1", "message": "/light up"},
                {"expect": "chat", "player": "p1", "contains": "Lit up"},
            ],
            "no chat message to p1 contains 'Lit up'",
        ),
        (
            [
                {"do": "join", "player": "p1", "privs": ["lamplighter"]},
                {"do": "chat", "player": "p1", "message": "/light up!"},
                {"expect": "chat", "player": "p1", "message": "Lit up"},
            ],
            "no chat message to p1 matches 'Lit up'",
        ),
        ([{"do": "join", "player": "p1"}, {"expect": "hp", "player": "p1", "value": 5}], "HP of p1"),
        (
            [
                {"do": "join", "player": "p1"},
                {"expect": "inventory", "player": "p1", "contains": "mymod:lamp"},
            ],
            "expected at least mymod:lamp",
        ),
        (
            [{"do": "lua", "code": "error('setup failed')"}, {"expect": "hp", "player": "x", "value": 1}],
            "setup failed",
        ),
    ],
)
def test_scenario_failures_say_what_was_expected(steps, feedback):
    # an instruction that quotes every input: no hidden case, so the expected value is shown
    r = one({"kind": "scenario", "desc": "scenario", "steps": steps}, instruction=json.dumps(steps))
    assert not r.passed and feedback in r.feedback, r.feedback


def test_runtime_error_in_a_callback_fails_the_scenario():
    code = 'minetest.register_node("mymod:bad", {on_punch = function(pos) local x = nil; x.y = 1 end})'
    r = one(
        {
            "kind": "scenario",
            "desc": "punch",
            "steps": [
                {"do": "join", "player": "p"},
                {"do": "set_node", "pos": [0, 0, 0], "node": "mymod:bad"},
                {"do": "punch_node", "player": "p", "pos": [0, 0, 0]},
                {"expect": "node", "pos": [0, 0, 0], "name": "mymod:bad"},
            ],
        },
        code=code,
    )
    assert not r.passed and "raised an error" in r.feedback


def test_scenarios_do_not_share_state():
    set_it = {
        "kind": "scenario",
        "desc": "a",
        "steps": [
            {"do": "set_node", "pos": [0, 0, 0], "node": "mymod:lamp"},
            {"expect": "node", "pos": [0, 0, 0], "name": "mymod:lamp"},
        ],
    }
    fresh = {"kind": "scenario", "desc": "b", "steps": [{"expect": "node", "pos": [0, 0, 0], "name": "air"}]}
    assert all(r.passed for r in run([set_it, fresh]))


def test_a_scenario_never_sees_what_other_checks_did(monkeypatch):
    """The last scenario may run in the main world only while that world is as loaded: a ``lua``
    check that changes the mod's state forces a fresh load, and the count of loads shows it."""
    from vf_luanti import checks

    monkeypatch.setenv("VF_LUANTI_GAME", "off")  # the loads of the checks only, not the game run's
    loads = []
    real_init = checks.CheckWorld.__init__
    monkeypatch.setattr(
        checks.CheckWorld, "__init__", lambda self, *a, **k: (loads.append(a[0]), real_init(self, *a, **k))[1]
    )
    code = "mymod = {n = 0}"
    bump = {"kind": "lua", "desc": "bump", "code": "mymod.n = mymod.n + 1 return true"}
    still_zero = {
        "kind": "scenario",
        "desc": "z",
        "steps": [{"expect": "lua", "code": "return mymod.n == 0"}],
    }
    item = {"kind": "item", "desc": "no item", "name": "mymod:none", "absent": True}
    assert [r.passed for r in run([still_zero, bump, still_zero], code=code)] == [True, True, True]
    assert len(loads) == 3  # main, then a fresh world for each scenario
    loads.clear()
    assert [r.passed for r in run([still_zero, item, still_zero], code=code)] == [True, True, True]
    assert len(loads) == 2  # the second scenario ran in the main world


def test_the_input_registry_is_loaded_once_per_task(monkeypatch):
    from vf_luanti import checks

    checks.session._input_registry.cache_clear()
    loads = []
    real_init = checks.CheckWorld.__init__
    monkeypatch.setattr(
        checks.CheckWorld, "__init__", lambda self, *a, **k: (loads.append(a[0]), real_init(self, *a, **k))[1]
    )
    before = 'minetest.register_node("mymod:a", {description = "A"})'
    check = {"kind": "preserve", "desc": "keep"}
    for _ in range(3):
        assert one(check, code=before + "\n-- same", family="refactor", input=before).passed
    assert loads.count(before) == 1
    r = one(check, code="-- nothing left", family="refactor", input=before)
    assert not r.passed and "mymod:a (registered by the input) is missing" in r.feedback


def test_preserve():
    before = (
        'minetest.register_node("mymod:a", {description = "A", groups = {cracky = 1}})\n'
        'minetest.register_node("mymod:b", {description = "B"})'
    )
    same = before + '\nminetest.register_node("mymod:c", {description = "C"})'
    changed = before.replace("cracky = 1", "cracky = 2")
    check = {"kind": "preserve", "desc": "keep"}
    assert one(check, code=same, family="refactor", input=before).passed
    r = one(check, code=changed, family="refactor", input=before)
    assert not r.passed and "field groups changed" in r.feedback
    allowed = {"kind": "preserve", "desc": "keep", "except_fields": {"mymod:a": ["groups"]}}
    assert one(allowed, code=changed, family="refactor", input=before).passed
    dropped = 'minetest.register_node("mymod:a", {description = "A", groups = {cracky = 1}})'
    r = one(check, code=dropped, family="refactor", input=before)
    assert not r.passed and "item mymod:b (registered by the input) is missing" in r.feedback


CHEST = """
minetest.register_node("mymod:chest", {
	on_construct = function(pos)
		minetest.get_meta(pos):get_inventory():set_size("main", 4)
	end,
	allow_metadata_inventory_put = function(pos, listname, index, stack, player)
		return math.min(stack:get_count(), 3)
	end,
	on_metadata_inventory_put = function(pos, listname, index, stack, player)
		minetest.chat_send_player(player:get_player_name(), "put " .. stack:to_string())
	end,
})
"""


def test_move_item_goes_through_the_inventory_callbacks():
    steps = [
        {"do": "join", "player": "p1"},
        {"do": "set_node", "pos": [0, 0, 0], "node": "mymod:chest"},
        {"do": "give", "player": "p1", "item": "mymod:chest 5"},
        {
            "do": "move_item",
            "player": "p1",
            "from": {"player": "p1", "list": "main", "index": 1},
            "to": {"pos": [0, 0, 0], "list": "main", "index": 2},
        },
        {"expect": "inventory", "pos": [0, 0, 0], "contains": "mymod:chest 3", "lacks": "mymod:chest 4"},
        {"expect": "inventory", "player": "p1", "contains": "mymod:chest 2", "lacks": "mymod:chest 3"},
        {"expect": "chat", "player": "p1", "message": "put mymod:chest 3"},
    ]
    r = one({"kind": "scenario", "desc": "chest", "steps": steps}, code=CHEST)
    assert r.passed, r.feedback
    bad = {
        "kind": "scenario",
        "desc": "d",
        "steps": [
            {
                "do": "move_item",
                "player": "p",
                "from": {"list": "main", "index": 1},
                "to": {"pos": [0, 0, 0], "list": "main", "index": 0},
            },
            {"expect": "hp", "player": "p", "value": 1},
        ],
    }
    with pytest.raises(CheckError, match="inventory slot"):
        validate_check(bad)


def test_a_chat_line_that_lists_every_candidate_answers_nothing() -> None:
    from vf_luanti.checks.steps import _hedged

    assert not _hedged("Spawn is 5 m away.", "Spawn is 5 m away.")
    assert _hedged(" ".join(f"Spawn is {n} m away." for n in range(200)), "Spawn is 5 m away.")
    # one other value of the same text is a normal reply; bare numbers are too common to judge
    assert not _hedged("You have 3 coins, the bank 10 coins.", "3 coins")
    assert not _hedged("Waypoints: (1,2,3), (4,5,6), (7,8,9)", "(1,2,3)")


# --------------------------------------------------------------------------- generated values (vars)

DOUBLE = """minetest.register_chatcommand("double", {func = function(name, param)
	local n = tonumber(param)
	if not n then return false, "Not a number: " .. param end
	return true, "Result: " .. (n * 2)
end})
"""
#: What a policy that memorised the item's fixed cases would answer: a table of seen values.
DOUBLE_TABLE = """local seen = {["21"] = 42, ["7"] = 14, ["250"] = 500}
minetest.register_chatcommand("double", {func = function(name, param)
	return seen[param] ~= nil, "Result: " .. tostring(seen[param])
end})
"""
DOUBLE_INSTRUCTION = '`/double 21` replies "Result: 42".'


def doubling(**extra):
    return {
        "kind": "scenario",
        "desc": "doubles a number drawn per sample",
        "vars": {"n": {"int": [2, 60]}},
        "steps": [
            {"do": "join", "player": "p1"},
            {"do": "chat", "player": "p1", "message": "/double $(n)"},
            {"expect": "command", "player": "p1", "success": True, "message": "Result: $(n*2)"},
            {"expect": "lua", "code": "return true"},
        ],
    } | extra


def test_generated_values_are_drawn_per_sample_from_the_world_and_avoid_quoted_numbers():
    from vf_luanti.checks.cases import draw, sample_seed
    from vf_luanti.runtime import ServerStart

    spec = {"n": {"int": [20, 23]}, "m": {"int": [20, 23]}}
    steps = doubling()["steps"]
    samples = [ServerStart.for_sample("task", f"-- answer {k}") for k in range(40)]
    drawn = [draw(spec, sample_seed(s, steps), {21, 22}) for s in samples]
    assert all(d["n"] in (20, 23) and d["m"] in (20, 23) and d["n"] != d["m"] for d in drawn)
    assert len({d["n"] for d in drawn}) == 2  # both values come up over the samples
    # one sample always gets the same values (one verdict), another scenario of it others
    assert drawn[0] == draw(spec, sample_seed(samples[0], steps), {21, 22})
    wide = {"n": {"int": [1, 10**9]}}
    assert draw(wide, sample_seed(samples[0], steps), set()) != draw(wide, sample_seed(samples[0], []), set())


def test_a_doubling_answer_passes_every_sample_and_a_table_of_seen_values_none():
    for k in range(3):
        code = DOUBLE + f"-- sample {k}\n"
        assert one(doubling(), code=code, instruction=DOUBLE_INSTRUCTION).passed
    assert not one(doubling(), code=DOUBLE_TABLE, instruction=DOUBLE_INSTRUCTION).passed


def test_a_failing_hidden_case_does_not_show_its_expected_value():
    r = one(doubling(), code=DOUBLE_TABLE, instruction=DOUBLE_INSTRUCTION)
    assert "hidden case" in r.feedback and "Result: " not in r.feedback.split(" -- ", 1)[1], r.feedback
    # a fixed input the instruction does not quote is a hidden case too
    fixed = doubling(vars=None)
    del fixed["vars"]
    fixed["steps"][1]["message"], fixed["steps"][2]["message"] = "/double 9", "Result: 18"
    r = one(fixed, code=DOUBLE_TABLE, instruction=DOUBLE_INSTRUCTION)
    assert "hidden case" in r.feedback and "18" not in r.feedback, r.feedback
    # the instruction's own example may be shown
    fixed["steps"][1]["message"], fixed["steps"][2]["message"] = "/double 21", "Result: 42"
    r = one(fixed, code=DOUBLE.replace("n * 2", "n * 3"), instruction=DOUBLE_INSTRUCTION)
    assert "Result: 42" in r.feedback, r.feedback


def test_a_lone_template_is_a_number_and_text_templates_are_written_as_lua_writes_numbers():
    from vf_luanti.checks.cases import bind_steps

    steps = [
        {"do": "step", "seconds": "$(n-1)"},
        {"expect": "chat", "player": "p", "contains": "$(n/4) $(n:,)"},
    ]
    assert bind_steps(steps, {"n": 4002}) == [
        {"do": "step", "seconds": 4001},
        {"expect": "chat", "player": "p", "contains": "1000.5 4,002"},
    ]
    assert bind_steps(steps, {"n": 8})[1]["contains"] == "2 8"  # an integral quotient has no point


@pytest.mark.parametrize(
    "change, message",
    [
        ({"vars": {"n": {"float": [1, 2]}}}, 'vars.n: must be {"int": [lo, hi]}'),
        ({"vars": {"n": {"int": [5, 5]}}}, "lo < hi"),
        ({"vars": {"n": {"int": [1, 9]}, "m": {"int": [1, 9]}}}, "m declared but never used"),
        ({"vars": {"Max": {"int": [1, 9]}}}, "not a var name"),
        ({"desc_step": "$(n)"}, "takes no $(...) template"),
        ({"message": "/double $(n ** 2)"}, "only integers, the vars"),
        ({"message": "/double $(k)"}, "unknown name 'k'"),
        ({"message": "/double $(n % 0)"}, "non-zero integer literal"),
        ({"message": "/double $(n:x)"}, "format spec"),
        ({"message": "/double $(n"}, "is not closed"),
        ({"no_vars": True}, "declares no 'vars'"),
    ],
)
def test_invalid_generated_values_are_rejected_with_the_field(change, message):
    c = doubling()
    if "vars" in change:
        c["vars"] = change["vars"]
    if "message" in change:
        c["steps"][1]["message"] = change["message"]
    if "desc_step" in change:
        c["steps"][1]["desc"] = change["desc_step"]
    if "no_vars" in change:
        del c["vars"]
    with pytest.raises(CheckError) as exc:
        validate_check(c)
    assert message in str(exc.value)
    if "message" in change:
        assert "steps[1].message" in str(exc.value)


POKE = """minetest.register_chatcommand("poke", {func = function(name, param)
	local target = minetest.get_player_by_name(param)
	if not target then return false, "Player " .. param .. " is not online." end
	target:set_hp(5)
	return true, "Poked " .. param .. " at " .. minetest.pos_to_string(vector.round(target:get_pos())) .. "."
end})
"""
#: What a mod that special-cases a judge's fixed scenario would answer: only fixed names, only near
#: the origin (where scenarios used to put every player).
POKE_NAMES = POKE.replace(
    "if not target then",
    "if not ({bob = true, p1 = true})[param] then target = nil end\n\tif not target then",
)
POKE_ORIGIN = POKE.replace(
    "target:set_hp(5)", "if vector.length(target:get_pos()) < 64 then target:set_hp(5) end"
)


def poking(**extra):
    """A scenario whose players' names and places are drawn per sample."""
    return {
        "kind": "scenario",
        "desc": "a player pokes another, far from the origin",
        "vars": {"who": {"player": True}, "victim": {"player": True}, "x": {"int": [-30000, 30000]}},
        "steps": [
            {"do": "join", "player": "$(who)"},
            {"do": "join", "player": "$(victim)", "pos": ["$(x)", 7, "$(-x)"]},
            {"do": "chat", "player": "$(who)", "message": "/poke $(victim)"},
            {
                "expect": "command",
                "player": "$(who)",
                "success": True,
                "message": "Poked $(victim) at ($(x),7,$(-x)).",
            },
            {"expect": "hp", "player": "$(victim)", "value": 5},
            {"expect": "lua", "code": "return minetest.get_player_by_name('$(victim)'):get_hp() == 5"},
        ],
    } | extra


def test_player_name_vars_are_valid_distinct_names_drawn_per_sample():
    from vf_luanti.checks.cases import draw, fixed_words, player_name_pattern, sample_seed
    from vf_luanti.runtime import ServerStart

    spec = poking()["vars"]
    steps = poking()["steps"]
    words = fixed_words("`/poke <name>` pokes; try it on bob", steps)
    assert {"poke", "bob"} <= words
    drawn = [
        draw(spec, sample_seed(ServerStart.for_sample("t", f"-- {k}"), steps), set(), words)
        for k in range(60)
    ]
    for d in drawn:
        assert all(player_name_pattern.match(d[n]) for n in ("who", "victim")), d
        assert d["who"].lower() != d["victim"].lower() and d["who"].lower() not in words
        assert isinstance(d["x"], int)
    assert len({d["victim"] for d in drawn}) > 50  # composed names, not a short list
    # a drawn name never is a word of the text: taking it makes the draw pick another
    first = drawn[0]["who"]
    seed = sample_seed(ServerStart.for_sample("t", "-- 0"), steps)
    assert draw(spec, seed, set(), words | {first.lower()})["who"].lower() != first.lower()


def test_templates_bind_names_into_any_text_and_numbers_into_positions():
    from vf_luanti.checks.cases import bind_steps

    steps = [
        {"do": "join", "player": "$(who)", "pos": ["$(x)", "$(x+1)", -3]},
        {"do": "chat", "player": "$(who)", "message": "/heal $(who)"},
        {"expect": "chat", "player": "$(who)", "contains": "Healed $(who)."},
        {"do": "restart", "storage": {"seen_$(who)": "($(x),0,0)"}},
        {"expect": "lua", "code": 'return minetest.get_player_by_name("$(who)"):get_pos().x == $(x)'},
    ]
    assert bind_steps(steps, {"who": "Kestrel-7", "x": -29001}) == [
        {"do": "join", "player": "Kestrel-7", "pos": [-29001, -29000, -3]},
        {"do": "chat", "player": "Kestrel-7", "message": "/heal Kestrel-7"},
        {"expect": "chat", "player": "Kestrel-7", "contains": "Healed Kestrel-7."},
        {"do": "restart", "storage": {"seen_Kestrel-7": "(-29001,0,0)"}},
        {"expect": "lua", "code": 'return minetest.get_player_by_name("Kestrel-7"):get_pos().x == -29001'},
    ]


def test_drawn_names_and_places_pass_a_real_answer_and_fail_one_tuned_to_fixed_scenarios():
    for k in range(3):
        assert one(poking(), code=POKE + f"-- sample {k}\n").passed
    assert not one(poking(), code=POKE_NAMES).passed
    r = one(poking(), code=POKE_ORIGIN)
    assert not r.passed
    # a drawn name is no case to learn: the failing expectation shows its expected value
    assert "hidden case" not in r.feedback and "HP of " in r.feedback, r.feedback


@pytest.mark.parametrize(
    "change, message",
    [
        ({"vars": {"who": {"player": 1}}}, 'vars.who: a player name is {"player": true}'),
        ({"vars": {"who": {"player": True, "int": [1, 2]}}}, 'must be {"int": [lo, hi]} or {"player": true}'),
        ({"message": "/poke $(victim+1)"}, "'victim' is a player name: write it alone"),
        ({"message": "/poke $(victim:d)"}, "'victim' is a player name"),
        ({"message": "/poke $(max(victim, 2))"}, "'victim' is a player name"),
        ({"pos": ["$(who)", 0, 0]}, "'pos' must be a position"),
        ({"player": "bad name!"}, "not a name the engine accepts"),
        ({"player": "a_name_of_21_letters_"}, "not a name the engine accepts"),
    ],
)
def test_invalid_player_names_are_rejected_with_the_field(change, message):
    c = poking()
    if "vars" in change:
        c["vars"] = change["vars"] | {"victim": {"player": True}, "x": {"int": [1, 9]}}
    if "message" in change:
        c["steps"][2]["message"] = change["message"]
    if "pos" in change:
        c["steps"][1]["pos"] = change["pos"]
    if "player" in change:
        c["steps"][0]["player"] = change["player"]
        c["steps"][2]["message"] = "/poke $(victim) $(who)"
    with pytest.raises(CheckError) as exc:
        validate_check(c)
    assert message in str(exc.value)
    if "message" in change:
        assert "steps[2].message" in str(exc.value)
