"""The scoring API: valid, invalid and hostile completions; it never raises and always explains."""

import math

import pytest

from vf_luanti import Score, load_tasks, score
from vf_luanti.scoring import combine, score_many
from vf_luanti.tasks import Task

TASK = Task.from_dict(
    {
        "id": "scaffold-lamp",
        "family": "scaffold",
        "instruction": "A lamp node with light 9 that says hi when punched.",
        "input": "",
        "reference": 'minetest.register_node("mymod:lamp", {\n\tdescription = "Lamp",\n\tlight_source = 9,\n'
        "\ton_punch = function(pos, node, puncher)\n"
        '\t\tminetest.chat_send_player(puncher:get_player_name(), "hi")\n\tend,\n})\n',
        "checks": [
            {
                "kind": "item",
                "desc": "lamp with light 9",
                "name": "mymod:lamp",
                "type": "node",
                "fields": {"light_source": 9},
            },
            {
                "kind": "scenario",
                "desc": "punching says hi",
                "steps": [
                    {"do": "join", "player": "p"},
                    {"do": "set_node", "pos": [0, 0, 0], "node": "mymod:lamp"},
                    {"do": "punch_node", "player": "p", "pos": [0, 0, 0]},
                    {"expect": "chat", "player": "p", "contains": "hi"},
                ],
            },
        ],
        "tags": ["node"],
        "difficulty": "easy",
    }
)


def test_reference_scores_one():
    s = score(TASK, f"```lua\n{TASK.reference}```")
    assert s.passed and s.reward == 1.0 and s.components == dict.fromkeys(s.components, 1.0), s.feedback
    assert s.feedback[0] == "2/2 checks passed"


def test_partial_solution_gets_partial_credit_and_feedback():
    s = score(TASK, TASK.reference.replace("light_source = 9", "light_source = 8"))
    assert not s.passed and s.components["task_completion"] == 0.5
    assert 0 < s.reward < 1
    assert any("light_source: expected 9, got 8" in f for f in s.feedback)


def test_quality_and_api_components_measure_what_they_say():
    leaky = TASK.reference.replace(
        "minetest.register_node", 'helper = 1\nprint("debug")\nminetest.register_node'
    )
    s = score(TASK, leaky)
    assert s.passed and s.components["code_quality"] == pytest.approx(1 / 3)
    assert any("global(s) helper" in f for f in s.feedback)
    warned = TASK.reference.replace('"hi")', '"hi" .. tostring(undeclared_thing))')
    s = score(TASK, warned)
    assert s.components["api_usage"] < 1 and any(f.startswith("warning:") for f in s.feedback)


def test_do_nothing_mod_earns_only_syntax_weight():
    s = score(TASK, "local x = 1")
    assert not s.passed and s.components["task_completion"] == 0
    assert math.isclose(s.reward, combine("scaffold", s.components, False))
    assert s.reward == pytest.approx(0.10)


@pytest.mark.parametrize(
    "completion, reason",
    [
        ("", "no code to judge"),
        ("<think>hmm</think>", "no code to judge"),
        ("```lua\nlocal = 1\n```", "syntax error"),
        ("error('at load')", "does not load"),
        ("\x1bLuaQ", "bytecode"),
        (None, "must be a string"),
        (12, "must be a string"),
    ],
)
def test_invalid_completions_score_zero_with_reason(completion, reason):
    s = score(TASK, completion)
    assert isinstance(s, Score) and not s.passed and s.reward <= 0.1
    assert any(reason in f for f in s.feedback), s.feedback


def test_bad_tasks_never_raise():
    assert "no task with id" in score("no-such-id", "x = 1").feedback[0]
    assert score({"id": "broken"}, "x = 1").failure == "bad_input"
    assert score(object(), "x = 1").reward == 0  # type: ignore[arg-type]
    bad = score({**TASK.to_dict(), "checks": {1, 2}}, "x = 1")  # not JSON: refused before the pool
    assert bad.failure == "bad_input" and "not JSON serializable" in bad.feedback[0], bad.feedback


def test_a_worker_parses_each_task_text_once_and_scores_dicts_alike():
    from vf_luanti.scoring import _parsed_task, score_job

    _parsed_task.cache_clear()
    as_text = [score_job({"task": TASK.json_text, "completion": TASK.reference}) for _ in range(3)]
    as_dict = score_job({"task": TASK.to_dict(), "completion": TASK.reference})
    assert _parsed_task.cache_info().misses == 1 and _parsed_task.cache_info().hits >= 3
    assert as_text[0]["passed"] and as_text[0] == as_dict
    bad = score_job({"task": '{"id": "x"', "completion": "x = 1"})
    assert bad["failure"] == "bad_input" and bad["feedback"][0].startswith("invalid task:")


@pytest.mark.parametrize(
    "hostile",
    [
        "string.rep('x', 2^31)",
        "local t = {} for i = 1, 1e9 do t[i] = i end",
        "os.execute('touch /tmp/vfl_pwned')",
        "io.open('/etc/passwd'):read('*a')",
        "require('ffi')",
        "load(string.dump(function() end))()",
    ],
)
def test_hostile_completions_are_contained(hostile, tmp_path):
    s = score(TASK, hostile)
    assert not s.passed and s.reward <= 0.1 and s.feedback


def test_score_many_keeps_order_and_eval_tasks_resolve_by_id():
    t = load_tasks("eval")[0]
    res = score_many([(t.id, t.reference), (TASK, ""), (t, "garbage(")])
    assert [r.passed for r in res] == [True, False, False]


@pytest.mark.parametrize(
    "hostile, failure",
    [
        ("while true do end", "timeout"),
        (
            'minetest.register_on_mods_loaded(function() local s = "x" while true do s = s .. s end end)',
            "memory",
        ),
    ],
)
def test_runaway_completions_are_stopped_with_a_reason(hostile, failure):
    s = score(TASK, hostile)
    assert not s.passed and s.reward == 0 and s.failure == failure and failure in s.feedback[0]


@pytest.mark.parametrize(
    "code",
    [
        'local parts = ("a b"):split("")',  # the engine's split loops forever on an empty separator
        # ... in pcall too: the server hangs
        'local ok = pcall(string.split, "a b", "%s*", false, nil, true)',
    ],
)
def test_code_that_hangs_the_engine_fails_as_a_hang_with_the_reason(code):
    s = score(TASK, code)  # the reason is the hang's, not the CPU deadline's: no time was burnt
    assert s.failure == "timeout" and s.reward == 0
    assert "string.split never returns" in s.feedback[0] and "CPU time limit" not in s.feedback[0]


def test_async_scoring_matches_sync():
    import asyncio

    from vf_luanti.scoring import ascore_many

    [a, b] = asyncio.run(ascore_many([(TASK, TASK.reference), (TASK, "")]))
    assert a.passed and a.reward == 1.0 and not b.passed


def test_a_scored_sample_leaves_no_lua_state_to_the_cycle_collector():
    """A worker closes a job's Lua states between jobs; a reference cycle would leave them to the
    cycle collector instead, which then closes them at a random point of a later job."""
    import gc

    from vf_luanti.runtime import LuanRuntime, RuntimeLimits, job_scope, prepare_spares
    from vf_luanti.scoring import score_job

    task = next(t for t in load_tasks("eval") if sum(c["kind"] == "scenario" for c in t.checks) >= 2)
    limits = RuntimeLimits()

    def live() -> int:
        return sum(type(o) is LuanRuntime for o in gc.get_objects())  # type(): no proxy __class__ lookups

    gc.collect()
    gc.disable()
    try:
        before = live()
        with job_scope(limits) as scope:
            result = score_job({"task": task.to_dict(), "completion": task.reference})
            used = len(scope.runtimes)
        del scope
        assert result["passed"] and used >= 2
        prepare_spares(0, limits)  # what the worker does once the result is sent
        assert live() == before
    finally:
        gc.enable()
