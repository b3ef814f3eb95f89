"""The verdict means what it says (docs/threat_model.md): a specification of the judge's defences.

Each test pairs an attack with the legitimate way of doing the same thing, so a judge that "fixes" a
hole by failing everything goes red too.
"""

from __future__ import annotations

import pytest

from vf_luanti.adversarial import attacks, hollow
from vf_luanti.checks import CheckError, validate_check
from vf_luanti.checks.intent import check_code, count_references
from vf_luanti.rubric import load_rubric
from vf_luanti.scoring import score, score_many, task_credit
from vf_luanti.splits import get_task
from vf_luanti.tasks import Task

GREET = (
    'minetest.register_on_joinplayer(function(p) minetest.chat_send_player(p:get_player_name(), "hi") end)\n'
)


def task(checks: list[dict], reference: str = GREET, family: str = "scaffold", input: str = "") -> Task:
    return Task.from_dict(
        {
            "id": "t-judge",
            "family": family,
            "instruction": "Greet joining players with hi.",
            "input": input,
            "reference": reference,
            "checks": checks,
            "tags": ["t"],
            "difficulty": "easy",
        },
        "test",
    )


SAYS_HI = {
    "kind": "scenario",
    "desc": "a joining player is greeted",
    "steps": [{"do": "join", "player": "p"}, {"expect": "chat", "player": "p", "contains": "hi"}],
}


def fenced(code: str) -> str:
    return "```lua\n" + code + "\n```"


# ------------------------------------------------------------------------ the reward formula


def test_credit_is_measured_beyond_the_do_nothing_answer():
    # two checks to gain, one guard (the do-nothing answer passes it)
    assert task_credit([True, True, True], [False, False, True]) == 1.0
    assert task_credit([False, False, True], [False, False, True]) == 0.0  # echoing earns nothing
    assert task_credit([True, False, True], [False, False, True]) == 0.5
    assert task_credit([True, True, False], [False, False, True]) == 0.0  # broke what worked
    assert task_credit([True, False], [True, True]) == 0.5  # nothing to gain: the plain rate


@pytest.mark.parametrize("family", ["scaffold", "repair", "refactor", "doc"])
def test_no_failing_answer_comes_near_a_passing_one(family):
    r = load_rubric(family)
    best_failing = r.reward({"syntax": 1, "api_usage": 1, "task_completion": 1, "code_quality": 1}, False)
    worst_passing = r.reward({"syntax": 1, "api_usage": 0, "task_completion": 1, "code_quality": 0}, True)
    assert best_failing <= r.weights["syntax"] + r.partial_credit * (1 - r.weights["syntax"]) + 1e-9
    assert worst_passing > best_failing
    assert r.reward({"syntax": 1, "api_usage": 1, "task_completion": 1, "code_quality": 1}, True) == 1.0


def test_echoing_a_repair_input_earns_only_the_syntax_weight():
    t = get_task("repair-peat-groups")
    echo, gold = score_many([(t, fenced(t.input)), (t, fenced(t.reference))])
    assert not echo.passed and echo.components["task_completion"] == 0
    assert echo.reward == pytest.approx(load_rubric("repair").weights["syntax"])
    assert gold.passed and gold.reward == 1.0


# ------------------------------------------------------------------------ run like a server


@pytest.mark.parametrize(
    "crash",
    [
        'minetest.after(0, function() error("boom") end)',
        'minetest.register_globalstep(function() error("boom") end)',
    ],
)
def test_a_crash_in_the_first_server_steps_fails_the_load(crash):
    s = score(task([SAYS_HI]), fenced(GREET + crash))
    assert not s.passed and any("does not load" in f and "boom" in f for f in s.feedback), s.feedback


@pytest.mark.parametrize(
    "late",
    [
        'minetest.after(45, function() error("late boom") end)',  # within the first minute
        'minetest.after(1800, function() error("late boom") end)',  # reached by jumping to the timer
        "local n = 0 minetest.register_globalstep(function(dt) n = n + dt "
        'if n > 600 then error("late boom") end end)',  # coarse steps after the first minute
    ],
)
def test_a_crash_after_the_checks_fails_the_sample(late):
    s = score(task([SAYS_HI]), fenced(GREET + late))
    assert not s.passed and s.reward < 0.5
    assert any(f.startswith("the server crashed") and "late boom" in f for f in s.feedback), s.feedback
    ok = score(task([SAYS_HI]), fenced(GREET + "minetest.after(45, function() end)"))
    assert ok.passed  # a late job that works is fine


@pytest.mark.parametrize(
    "late",
    [
        'minetest.after(3700, function() error("late boom") end)',  # past the hour: timers by jumps
        'minetest.register_on_chat_message(function() error("late boom") end)',  # a visitor chats
        'minetest.register_on_leaveplayer(function() error("late boom") end)',  # players leave
        'minetest.register_on_dieplayer(function() error("late boom") end)',  # a visitor dies
        'minetest.register_on_shutdown(function() error("late boom") end)',  # the server stops
        # a job that still holds a player who has left
        "minetest.register_on_joinplayer(function(p) local n = p:get_player_name() "
        "minetest.after(20, function() minetest.get_player_by_name(n):get_pos() end) end)",
        # an entity activated again after a player walked away and back
        'minetest.register_entity("mymod:e", {on_activate = function(self, sd, dtime_s) '
        'if dtime_s > 0 then error("late boom") end end}) '
        'minetest.register_on_joinplayer(function(p) minetest.add_entity({x=0,y=0,z=0}, "mymod:e") end)',
        # the chunks a player's view range and travels generate, not only the one it joins in
        "local first minetest.register_on_generated(function(minp) first = first or minp "
        'if not vector.equals(minp, first) then error("late boom") end end)',
        # a player right-clicks the mod's node with an empty hand, or digs it by hand
        'minetest.register_node("mymod:n", {on_rightclick = function(pos, node, clicker, itemstack) '
        "return itemstack:get_definition().light_source + 1 end})",
        'minetest.register_node("mymod:d", {groups = {crumbly = 3}, after_dig_node = function() '
        'error("late boom") end})',
        # a player crafts the mod's recipe; the anticheat reports a player; a player right-clicks another
        'minetest.register_craftitem("mymod:c", {}) minetest.register_craft({output = "mymod:c 2", '
        'recipe = {{"mymod:c"}}}) minetest.register_on_craft(function() error("late boom") end)',
        'minetest.register_on_cheat(function(p, c) if c.type == "dug_too_fast" then error("late boom") '
        "end end)",
        'minetest.register_on_rightclickplayer(function(p, clicker) error("late boom") end)',
        # the server starts again the next day over what the mod saved at shutdown
        "local s = minetest.get_mod_storage() local n = minetest.deserialize(s:get_string('n')) or 0 "
        "n = n + 1 minetest.register_on_shutdown(function() s:set_string('n', minetest.serialize(n)) end) "
        "if n > 1 then error('late boom') end",
        # the admin comes by with every privilege, and runs the mod's commands with junk too
        'minetest.register_on_joinplayer(function(p) if minetest.check_player_privs(p, "server") then '
        'error("late boom") end end)',
        'minetest.register_chatcommand("x", {func = function(n, p) return true, #p:split(" ")[1] end})',
        # a player from before the mod was installed comes back: no on_newplayer for them
        "local seen = {} minetest.register_on_newplayer(function(p) seen[p:get_player_name()] = 0 end) "
        "minetest.register_on_joinplayer(function(p) local n = p:get_player_name() "
        "seen[n] = seen[n] + 1 end)",
    ],
)
def test_the_server_lives_on_after_the_checks(late):
    s = score(task([SAYS_HI]), fenced(GREET + late))
    assert not s.passed and any(f.startswith("the server crashed") for f in s.feedback), s.feedback


def test_a_mod_that_survives_the_servers_life_passes():
    robust = GREET + (
        "minetest.register_on_chat_message(function(name, msg) return false end)\n"
        "minetest.register_on_leaveplayer(function(p) end)\n"
        "minetest.register_on_joinplayer(function(p) local n = p:get_player_name() minetest.after(20, "
        "function() local q = minetest.get_player_by_name(n) if q then q:get_pos() end end) end)\n"
        "minetest.register_on_shutdown(function() end)\n"
    )
    assert score(task([SAYS_HI]), fenced(robust)).passed


def test_a_repeated_error_still_crashes_the_soak():
    # the same error from the same line, first during a scenario step (a failed check), then again
    # later: diagnostics keep one entry with a count, the soak must still see the second one
    code = GREET + (
        'minetest.register_on_chat_message(function() error("again") end)\n'
        "minetest.after(100, function() minetest.registered_on_chat_messages[1]() end)\n"
    )
    chat = {
        "kind": "scenario",
        "desc": "chat",
        "steps": [
            {"do": "join", "player": "p"},
            {"do": "chat", "player": "p", "message": "x"},
            {"expect": "chat", "player": "p", "contains": "hi"},
        ],
    }
    s = score(task([SAYS_HI, chat]), fenced(code))
    assert not s.passed and any(f.startswith("the server crashed") for f in s.feedback), s.feedback


def test_a_hang_after_the_checks_is_a_timeout():
    s = score(task([SAYS_HI]), fenced(GREET + "minetest.after(600, function() while true do end end)"))
    assert not s.passed and s.failure == "timeout"


# ------------------------------------------------------------------------ checks read the truth

NODE_IS_STONE = {
    "kind": "scenario",
    "desc": "joining places stone at the origin",
    "steps": [
        {"do": "join", "player": "p"},
        {"expect": "lua", "code": "return minetest.get_node({x = 0, y = 0, z = 0}).name == 'mymod:stone'"},
    ],
}
STONE = 'minetest.register_node("mymod:stone", {description = "Stone"})\n'
PLACES = STONE + (
    'minetest.register_on_joinplayer(function() minetest.set_node({x=0,y=0,z=0}, {name="mymod:stone"}) end)\n'
)


#: The origin answers stone whatever is there, elsewhere the real node: a constant everywhere, or a node
#: without param2, would also crash the game's own code beside which a passing sample runs
#: (checks/game.py), as on a real server.
FAKE_ORIGIN = (
    "local get = minetest.get_node "
    "local function fake(p) if p.x == 0 and p.y == 0 and p.z == 0 then "
    'return {name = "mymod:stone", param1 = 0, param2 = 0} end '
    "return get(p) end "
)


@pytest.mark.parametrize(
    "tamper",
    [
        FAKE_ORIGIN + "minetest.get_node = fake",
        FAKE_ORIGIN + "local real = pairs pairs = function(t) return real(t) end core.get_node = fake",
        FAKE_ORIGIN
        + "local old = vector.new vector.new = function(...) return old(...) end minetest.get_node = fake",
    ],
)
def test_a_check_snippet_cannot_be_fooled_by_replaced_api(tamper):
    t = task([NODE_IS_STONE], reference=PLACES)
    faked, honest = score_many([(t, fenced(STONE + tamper)), (t, fenced(PLACES + tamper))])
    assert not faked.passed  # nothing was placed: the check reads the real map
    assert honest.passed  # a correct mod with the same override passes


def test_a_replaced_itemstack_method_does_not_fool_a_check():
    check = {
        "kind": "lua",
        "desc": "a stack of 5",
        "code": "return ItemStack('mymod:stone 5'):get_count() == 5",
    }
    hack = STONE + 'getmetatable(ItemStack("")).get_count = function() return 0 end'
    assert score(task([check], reference=STONE), fenced(hack)).passed  # the check sees the real method
    lie = {
        "kind": "lua",
        "desc": "count is 99",
        "code": "return ItemStack('mymod:stone 5'):get_count() == 99",
    }
    faked = STONE + 'getmetatable(ItemStack("")).get_count = function() return 99 end'
    assert not score(task([lie], reference=STONE), fenced(faked)).passed


def test_override_points_are_read_live():
    check = {"kind": "lua", "desc": "protected", "code": "return minetest.is_protected({x=0,y=0,z=0}, 'a')"}
    protects = STONE + "function minetest.is_protected(pos, name) return true end"
    assert score(task([check], reference=protects), fenced(protects)).passed
    assert not score(task([check], reference=protects), fenced(STONE)).passed


FORM = {
    "kind": "scenario",
    "desc": "joining shows the form",
    "steps": [
        {"do": "join", "player": "p"},
        {"expect": "formspec", "player": "p", "formname": "mymod:f", "contains": "label"},
    ],
}


def test_formspecs_are_read_where_the_engine_sends_them():
    cached = (
        "local show = minetest.show_formspec\n"
        'minetest.register_on_joinplayer(function(p) show(p:get_player_name(), "mymod:f", '
        '"size[2,1]label[0,0;hi]") end)'
    )
    assert score(task([FORM], reference=cached), fenced(cached)).passed
    forged = (
        'minetest.register_on_joinplayer(function(p) rawset(_G, "__vfl_shown", '
        '{[p:get_player_name()] = {formname = "mymod:f", spec = "label"}}) end)'
    )
    assert not score(task([FORM], reference=cached), fenced(forged)).passed


def test_a_check_cannot_be_told_from_the_engine_by_its_chunk_name():
    check = {"kind": "lua", "desc": "x", "code": "return mymod.who() ~= 'check'"}
    detect = (
        'mymod = {}\nfunction mymod.who() local info = debug.getinfo(2, "S") '
        'local s = info and info.source or "" '
        'if s:find("check") or s:find("driver") then return "check" end return "game" end'
    )
    assert score(task([check], reference=detect), fenced(detect)).passed


# ------------------------------------------------------------------------ provenance and laundering


def test_engine_made_closures_and_forged_chunk_names_count_as_the_mods_callbacks():
    none = {"kind": "callback", "desc": "no on_craft", "event": "on_craft", "count": 0}
    t = task([none], reference="-- nothing")
    assert score(t, fenced("-- nothing")).passed
    closure = "minetest.register_on_craft(minetest.item_eat(1))"
    forged = (
        'assert(loadstring("minetest.register_on_craft(function() end)", '
        '"@/usr/share/games/minetest/builtin/game/register.lua"))()'
    )
    assert not any(s.passed for s in score_many([(t, fenced(closure)), (t, fenced(forged))]))


def test_hidden_globals_are_found():
    only_mod = {"kind": "globals", "desc": "mymod is the only global"}
    t = task([SAYS_HI, only_mod])
    assert score(t, fenced("mymod = {}\n" + GREET)).passed
    hidden = (
        "local hide = {} setmetatable(_G, {__newindex = function(t, k, v) hide[k] = v end, "
        "__index = function(t, k) return hide[k] end})\nhelper = 1\n" + GREET
    )
    plain = "helper = 1\n" + GREET
    paired = "local real = pairs pairs = function(t) return real({}) end\nhelper = 1\n" + GREET
    scores = score_many([(t, fenced(hidden)), (t, fenced(plain)), (t, fenced(paired))])
    assert not any(s.passed for s in scores)


def test_a_warning_flood_does_not_hide_a_deprecation():
    t = task([SAYS_HI, {"kind": "warnings", "desc": "no deprecated call", "lacks": "deprecated"}])
    flood = "for i = 1, 400 do minetest.log('warning', 'flood ' .. i) end\n"
    deprecated = GREET + "local n = minetest.env:get_node({x=0,y=0,z=0})\n"
    assert not score(t, fenced(flood + deprecated)).passed
    assert score(t, fenced(flood + GREET)).passed


def test_debug_output_counts_by_any_alias_at_any_time():
    chatty = "local log = print\n" + GREET.replace("function(p)", "function(p) log('x')")
    s = score(task([SAYS_HI]), fenced(chatty))
    assert s.passed and s.components["code_quality"] < 1
    assert any("debug output" in f for f in s.feedback)


# ------------------------------------------------------------------------ intent checks


def test_code_requirements_read_code_not_comments_or_strings():
    code = (
        '-- minetest.env is gone\nlocal s = "minetest.env"\nfor i = 1, 3 do\n'
        '  core.register_node("m:n" .. i, {})\nend\n'
    )
    assert count_references(code, "minetest.env") == 0
    assert count_references(code, "minetest.register_node") == 1  # core. is the same name
    assert (
        check_code({"absent": ["minetest.env"], "loop": True, "at_most": {"minetest.register_node": 1}}, code)
        is None
    )
    copies = "".join(f'minetest.register_node("m:n{i}", {{}})\n' for i in range(3))
    assert "appears 3 times" in check_code({"at_most": {"minetest.register_node": 1}}, copies)
    assert check_code({"loop": True}, copies) == "the code has no loop"
    assert check_code({"uses": ["register_growth"]}, "local function register_growth() end") is None


def test_calls_are_counted_by_any_alias_and_never_for_the_judge():
    uses_after = {"kind": "calls", "desc": "after is used", "fn": "minetest.after"}
    judge_calls = {"kind": "lua", "desc": "judge", "code": "minetest.after(1, function() end) return true"}
    t = task([SAYS_HI, uses_after, judge_calls])
    aliased = "local later = minetest.after\n" + GREET.replace("function(p)", "function(p) later(0, print)")
    assert score(t, fenced(aliased)).passed
    assert not score(t, fenced(GREET)).passed  # the judge's own after() does not count


def test_calls_count_what_the_mod_made_not_the_engines_own():
    # builtin Lua serialising an item entity's state is not the mod's call; a function the mod
    # hands the engine as its callback (an after job) is
    from vf_luanti.mods import mod_from_source
    from vf_luanti.world import load_world

    code = (
        "minetest.after(1, minetest.serialize, {a = 1})\n"
        'minetest.register_on_joinplayer(function(p) minetest.add_item(p:get_pos(), "m:x") end)\n'
        'minetest.register_craftitem("m:x", {})\n'
    )
    _, w = load_world([mod_from_source(code, "m")], observe=("minetest.serialize",))
    w.join_player("p1")
    w.step(2.0)
    w.runtime.call("persist")  # the dropped item's staticdata goes through builtin's serialize
    assert w.call_counts()["minetest.serialize"] == 1


def test_call_sites_are_the_calls_written_not_the_lines():
    # a loop (on one line or several, `for` or `while`) or a helper is one site; copies are one
    # site each, also when written on one line
    from vf_luanti.mods import mod_from_source
    from vf_luanti.world import load_world

    code = """local r = minetest.register_node
r("m:a", {}) r("m:b", {})
for _, c in ipairs({"c", "d"}) do r("m:" .. c, {}) end
for _, c in ipairs({"e", "f"}) do
  r("m:" .. c, {description = tostring(c)})
end
local function reg(c) r("m:x" .. c, {}) end
for i = 1, 3 do reg(i) end
reg(4) reg(5)
local i = 6
while i < 9 do
  minetest.register_node("m:y" .. i, {})
  i = i + 1
end
"""
    _, w = load_world([mod_from_source(code, "m")], observe=("minetest.register_node",), observe_sites=True)
    sites = sorted(s.rsplit("/", 1)[1] for s in w.call_sites()["minetest.register_node"])
    want = ["2#1", "2#2", "3#1", "5#1", "8#1", "9#1", "9#2", "12#1"]
    assert sites == sorted(f"init.lua:{w}" for w in want)


def test_intent_checks_are_validated():
    for bad in (
        {"kind": "code", "desc": "x"},
        {"kind": "code", "desc": "x", "uses": ["not a name"]},
        {"kind": "code", "desc": "x", "at_most": {"f": -1}},
        {"kind": "calls", "desc": "x"},
        {"kind": "calls", "desc": "x", "fn": "a:b"},
        {"kind": "globals", "desc": "x", "allowed": "m"},
    ):
        with pytest.raises(CheckError):
            validate_check(bad)


# ------------------------------------------------------------------------ adversarial answers


def test_hollow_empties_every_function_body_and_keeps_registrations():
    src = (
        "local function f(a) if a then return 1 end end\n"
        'minetest.register_node("m:a", {on_punch = function(pos) print("end") end})\n'
    )
    out = hollow(src)
    assert 'minetest.register_node("m:a"' in out and "print" not in out and "return 1" not in out
    assert hollow("local x = 1\n") == "local x = 1\n"


@pytest.mark.parametrize(
    "tid",
    [
        "scaffold-heal-command",
        "repair-peat-groups",
        "refactor-wool-loop",
        "doc-after-countdown",
        "refactor-deprecated-env",
    ],
)
def test_no_adversarial_answer_passes(tid):
    t = get_task(tid)
    made = attacks(t)
    assert {a.cls for a in made} >= {"empty", "crash_startup", "crash_late", "flood", "forged"}
    for a, s in zip(made, score_many([(t, a.completion) for a in made]), strict=True):
        assert not s.passed, f"{a.cls} passes {tid}"
