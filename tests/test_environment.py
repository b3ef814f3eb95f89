"""The classic environment, its rubric, the prompts, the built-in models and the v1 taskset."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from vf_luanti.models import CORRUPTIONS, ChatResponder, broken_answer, reference_answer
from vf_luanti.prompts import LUANTI_VERSION, build_messages, system_prompt
from vf_luanti.rollouts import (
    METRICS,
    REWARD_NAME,
    STATE_KEY,
    EnvArgumentError,
    RolloutScorer,
    completion_text,
    dataset_rows,
    select_tasks,
)
from vf_luanti.splits import load_tasks


@pytest.fixture(scope="module")
def tasks():
    return load_tasks("eval")


def test_system_prompt_states_version_and_answer_form() -> None:
    lua, diff = system_prompt("lua"), system_prompt("diff")
    assert f"Luanti {LUANTI_VERSION}" in lua and "```lua" in lua and "diff" not in lua
    assert "unified diff" in diff and "```diff" in diff
    with pytest.raises(ValueError, match="answer_form"):
        system_prompt("yaml")


def test_messages_carry_instruction_and_input(tasks) -> None:
    repair = next(t for t in tasks if t.family == "repair")
    sys_msg, user = build_messages(repair, "diff")
    assert sys_msg["role"] == "system" and user["role"] == "user"
    assert repair.instruction.strip() in user["content"] and repair.input.rstrip() in user["content"]
    assert "```diff" in user["content"]
    assert len({build_messages(t)[1]["content"] for t in tasks}) == len(tasks)  # prompts identify tasks


def test_dataset_columns_survive_the_env_server(tasks) -> None:
    rows = dataset_rows(tasks[:3], "eval")
    assert all(set(r) == {"question", "answer", "info"} for r in rows)
    info = json.loads(rows[0]["info"])
    assert info["task_id"] == tasks[0].id and info["family"] == tasks[0].family
    assert rows[0]["answer"] == tasks[0].reference


def test_task_selection(tasks) -> None:
    assert {t.family for t in select_tasks(families=["doc"])} == {"doc"}
    assert len(select_tasks(num_examples=5)) == 5
    a = [t.id for t in select_tasks(shuffle=True, seed=1)]
    assert a == [t.id for t in select_tasks(shuffle=True, seed=1)] and a != [t.id for t in tasks]
    with pytest.raises(Exception, match="unknown family"):
        select_tasks(families=["poetry"])


def test_completion_text_forms() -> None:
    msgs = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a1"}]
    assert completion_text(msgs) == "a1" and completion_text("raw") == "raw"
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": "x"}]}]) == "x"
    assert completion_text([{"role": "assistant", "content": None}]) == "" and completion_text(None) == ""


def test_rubric_scores_each_rollout_once(tasks, monkeypatch) -> None:
    import vf_luanti.scoring as scoring

    calls = []
    real = scoring.ascore_many

    async def counting(pairs):
        calls.append(len(pairs))
        return await real(pairs)

    monkeypatch.setattr(scoring, "ascore_many", counting)
    scorer = RolloutScorer(tasks)
    state: dict = {}
    info = {"task_id": tasks[0].id}
    completion = [{"role": "assistant", "content": reference_answer(tasks[0])}]

    async def all_functions() -> list[float]:
        return [await f(completion=completion, info=info, state=state) for f in scorer.functions()]

    values = asyncio.run(all_functions())
    assert calls == [1]
    assert [f.__name__ for f in scorer.functions()] == [REWARD_NAME, *METRICS]
    assert values == [1.0] * len(values) and state[STATE_KEY]["passed"] is True


def test_unknown_task_scores_zero_with_reason() -> None:
    score = asyncio.run(RolloutScorer([]).judge({"task_id": "no-such-task"}, "x"))
    assert score.reward == 0.0 and score.failure == "bad_input"


def test_load_environment_arguments() -> None:
    pytest.importorskip("verifiers")
    from vf_luanti import load_environment

    env = load_environment(families="repair", num_examples=3, answer_form="diff")
    ds = env.get_eval_dataset()
    assert len(ds) == 3 and "unified diff" in ds[0]["prompt"][0]["content"]
    assert [f.__name__ for f in env.rubric.rubrics[0].funcs][:2] == [REWARD_NAME, "syntax"]
    for bad in ({"answer_form": "yaml"}, {"backend": "gpu"}, {"limits": {"bogus": 1}}, {"workers": 0}):
        with pytest.raises(EnvArgumentError):
            load_environment(num_examples=1, **bad)


def _count_generation(monkeypatch) -> dict[str, int]:
    """Counts of train tasks drawn and verified from now on (the generator's own entry points)."""
    from vf_luanti.generate import assemble, verify

    seen = {"drawn": 0, "verified": 0}
    draw, check = assemble.generate_task, verify.verify

    def counted_draw(*args, **kwargs):
        seen["drawn"] += 1
        return draw(*args, **kwargs)

    def counted_verify(batch):
        seen["verified"] += len(batch)
        return check(batch)

    monkeypatch.setattr(assemble, "generate_task", counted_draw)
    monkeypatch.setattr(verify, "verify", counted_verify)
    return seen


def test_train_split_is_generated_only_when_asked_for(monkeypatch) -> None:
    """A train environment of 100,000 tasks loads without generating one; its dataset, when a
    trainer asks for it, holds verified tasks of the seeded stream, and only as many are
    generated and verified as the dataset holds (plus the last batch's rest)."""
    pytest.importorskip("verifiers")
    from vf_luanti import load_environment

    seen = _count_generation(monkeypatch)
    load_environment(split="train", num_examples=100_000, seed=4)
    assert seen == {"drawn": 0, "verified": 0}
    env = load_environment(split="train", num_examples=6, seed=4, families=["scaffold", "repair"])
    ds = env.get_dataset()
    infos = [json.loads(row["info"]) for row in ds]
    assert len(ds) == 6 and {i["family"] for i in infos} == {"scaffold", "repair"}
    assert all(i["task_id"].startswith("gen-4-") for i in infos)
    assert 6 <= seen["verified"] <= 16 and seen["drawn"] < 40
    with pytest.raises(EnvArgumentError, match="families"):
        load_environment(split="train", families=["nope"])


def test_builtin_models(tasks) -> None:
    responder = ChatResponder(tasks[:2])
    t = tasks[0]
    msgs = build_messages(t)
    assert responder.answer("reference", msgs) == reference_answer(t)
    answers = [responder.answer("broken", msgs) for _ in CORRUPTIONS]
    assert answers == [broken_answer(t, i) for i in range(len(CORRUPTIONS))]
    with pytest.raises(KeyError):
        responder.answer("gpt-9", msgs)
    status, body = responder.completion_body(
        {"model": "reference", "messages": [{"role": "user", "content": "?"}]}
    )
    assert status == 404 and "prompt" in body["error"]["message"]


def test_v1_taskset_shares_the_scoring(tasks) -> None:
    pytest.importorskip("verifiers.v1")
    import verifiers.v1 as vf

    ts = vf.load_taskset(
        vf.taskset_config_type("vf-luanti")(id="vf-luanti", families=["scaffold"], num_examples=2)
    )
    loaded = list(ts)
    assert len(loaded) == 2 and all(t.data.family == "scaffold" for t in loaded)
    task = loaded[0]
    gold = next(t for t in tasks if t.id == task.data.task_id)
    assert task.data.prompt == build_messages(gold)[1]["content"]

    async def judge(reply: str) -> tuple[dict, float, dict]:
        trace = SimpleNamespace(last_reply=reply, info={}, num_turns=1)
        metrics = await task.criteria(trace)
        return metrics, await task.luanti_reward(trace), trace.info

    metrics, reward, info = asyncio.run(judge(reference_answer(gold)))
    assert reward == 1.0 and metrics == dict.fromkeys(METRICS, 1.0) and info[STATE_KEY]["passed"]
    metrics, reward, info = asyncio.run(judge(broken_answer(gold)))
    assert metrics["passed"] == 0.0 and reward < 0.5 and info[STATE_KEY]["feedback"]


@pytest.mark.engine
def test_engine_backend_judges_load_and_registry_in_the_real_server(tasks) -> None:
    from vf_luanti import oracle
    from vf_luanti.engine_scoring import engine_score

    if not oracle.engine_available():
        pytest.skip("minetestserver is not installed")
    task = next(t for t in tasks if any(c["kind"] == "item" for c in t.checks))
    good = engine_score(task, reference_answer(task))
    assert good.passed and good.reward == 1.0 and "judged by the engine" in good.feedback[0]
    bad = engine_score(task, broken_answer(task, 0))
    assert not bad.passed and any("does not load in the engine" in f for f in bad.feedback)
