"""Property tests: whatever text a model produces, the pool answers within the deadline and stays
healthy. Inputs: random text, raw bytes, and mutations of real mods (the broken-mod corpus) with
hostile fragments spliced in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox_jobs import checked_pool
from vf_luanti.execution import FAILURES, Executor, Limits
from vf_luanti.mods import mod_from_source, mod_to_payload
from vf_luanti.splits import load_tasks

CHECK = "vf_luanti.loading:check_job"
SCORE = "vf_luanti.scoring:score_job"
#: A task whose scenarios after the first run in sibling worlds of the sample's Lua state.
SCENARIO_TASK = next(t for t in load_tasks("eval") if sum(c["kind"] == "scenario" for c in t.checks) >= 3)
LIMITS = Limits(cpu_seconds=0.25, startup_margin=0.5)  # wall deadline 1 s
MARGIN = 1.0
CORPUS = sorted(
    p.read_text(encoding="utf-8", errors="replace")
    for p in (Path(__file__).parent / "corpus" / "broken").glob("*/init.lua")
)

FRAGMENTS = [
    "while true do end",
    "pcall(function() while true do end end)",
    "end",
    "(",
    ")",
    "{",
    "}",
    "function",
    "local",
    "=",
    "..",
    "\x1b",
    "\x00",
    "coroutine.wrap(function() end)()",
    "string.rep('x', 2^30)",
    "('a'):rep(40):find(('a*'):rep(40)..'b')",
    "setmetatable(_G, {})",
    "debug.sethook()",
    "jit.on()",
    "getfenv(0)",
    "error({})",
    "core.register_node('mymod:x', {})",
    "minetest.after(0, function() end)",
    "--[[",
    "]]",
    '"',
    "'",
    "\n",
    "return",
    "goto x",
    "::x::",
]


def fuzz_settings(examples: int) -> settings:
    """No per-example deadline (the pool has its own) and a fixed seed: the same inputs each run."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )


@pytest.fixture(scope="module")
def ex() -> Iterator[Executor]:
    with checked_pool(2, LIMITS) as pool:
        yield pool


def check_verdict(ex: Executor, payload: dict) -> None:
    start = time.monotonic()
    res = ex.run(CHECK, payload)
    elapsed = time.monotonic() - start
    assert isinstance(res, dict)
    if "failure" in res:
        assert res["failure"] in FAILURES and isinstance(res["reason"], str)
    else:
        assert isinstance(res["ok"], bool) and isinstance(res["errors"], list)
    assert elapsed < LIMITS.wall_deadline + MARGIN, (elapsed, res.get("failure"))


@st.composite
def mutated_mod(draw: st.DrawFn, texts: list[str] = CORPUS) -> str:
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        op = draw(st.sampled_from(["insert", "delete", "duplicate", "replace"]))
        frag = draw(st.sampled_from(FRAGMENTS))
        if op == "insert":
            text = text[:i] + frag + text[i:]
        elif op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i] + frag + text[j:]
    return text


@fuzz_settings(60)
@given(st.text(max_size=300))
def test_random_text(ex: Executor, text: str) -> None:
    check_verdict(ex, {"source": text})


@fuzz_settings(40)
@given(st.binary(max_size=300))
def test_raw_bytes(ex: Executor, data: bytes) -> None:
    check_verdict(ex, {"mods": [mod_to_payload(mod_from_source(data))]})


@fuzz_settings(60)
@given(mutated_mod())
def test_mutated_mods(ex: Executor, text: str) -> None:
    check_verdict(ex, {"source": text})


@fuzz_settings(40)
@given(mutated_mod([SCENARIO_TASK.reference]))
def test_mutated_answers_to_a_task_with_scenarios(ex: Executor, text: str) -> None:
    """Full task scoring, sibling worlds included: a verdict or a structured failure within the
    deadline, whatever the answer does in its scenarios."""
    start = time.monotonic()
    res = ex.run(SCORE, {"task": SCENARIO_TASK.json_text, "completion": f"```lua\n{text}\n```"})
    assert time.monotonic() - start < LIMITS.wall_deadline + MARGIN, res.get("failure")
    if "reward" in res:
        assert 0 <= res["reward"] <= 1 and isinstance(res["passed"], bool)
    else:
        assert res["failure"] in FAILURES and isinstance(res["reason"], str)


@pytest.mark.slow
@fuzz_settings(100)
@given(st.lists(st.one_of(mutated_mod(), st.sampled_from(FRAGMENTS)), min_size=1, max_size=8))
def test_batches_of_hostile_and_valid_mods(ex: Executor, sources: list[str]) -> None:
    """Batches through run_many: every sample gets its verdict, the batch ends within the sum of
    deadlines spread over the workers, and the pool is whole afterwards."""
    start = time.monotonic()
    res = ex.run_many([(CHECK, {"source": s}) for s in sources])
    assert len(res) == len(sources)
    assert all(("failure" in r and r["failure"] in FAILURES) or isinstance(r.get("ok"), bool) for r in res)
    assert time.monotonic() - start < len(sources) * (LIMITS.wall_deadline + MARGIN)
    assert len(ex.pids()) == ex.size
    assert ex.run(CHECK, {"source": "x = 1"})["ok"] is True


def test_pool_is_whole_after_fuzzing(ex: Executor) -> None:
    assert len(ex.pids()) == ex.size
    assert all(r["ok"] is True for r in ex.run_many([(CHECK, {"source": "local x = 1"})] * 4))
    # the plain worlds only: the run beside the game (a game load per scenario) does not fit the
    # tight LIMITS these tests use
    gold = {"task": SCENARIO_TASK.json_text, "completion": SCENARIO_TASK.reference, "beside_game": False}
    assert all(r["passed"] is True for r in ex.run_many([(SCORE, gold)] * 4))
