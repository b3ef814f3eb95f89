"""The v1 taskset's task data, gold check and config errors, in-process (verifiers 0.3.1's bundled
``verifiers.v1``; tests/test_verifiers04_install.py runs the same under 0.4's own CLIs)."""

from __future__ import annotations

import asyncio
import json

import pytest

pytest.importorskip("verifiers.v1")

from pydantic import ValidationError

from vf_luanti.tasks import TaskError
from vf_luanti.taskset import LuantiConfig, LuantiData, LuantiTask, LuantiTaskset, _full_task


def _tasks(**config: object) -> list[LuantiTask]:
    return list(LuantiTaskset(LuantiConfig(id="vf-luanti", **config)).load())


@pytest.mark.parametrize(
    "config",
    [
        {"num_examples": 3},
        {"split": "scenarios", "num_examples": 2},
        {"split": "train", "families": ["repair"], "num_examples": 2, "seed": 3},
    ],
)
def test_data_holds_no_reference_and_the_gold_validates(config: dict[str, object]) -> None:
    tasks = _tasks(**config)
    assert tasks
    for t in tasks:
        dumped = t.data.model_dump(mode="json")  # what traces record and the env server receives
        assert "reference" not in dumped["task"] and "reference" not in json.dumps(dumped)
        full = _full_task(LuantiData.model_validate(dumped))  # the wire form, as a worker gets it
        assert full.id == t.data.task_id and full.reference.strip()
        assert asyncio.run(t.validate(None)) is True


def test_train_split_streams_without_end(monkeypatch) -> None:
    """The train taskset without num_examples is endless and lazy: taking 3 tasks verifies one
    batch of candidates, and the scorer finds the 3rd task by walking the stream no further."""
    from itertools import islice

    from vf_luanti.generate import verify

    checked: list[int] = []
    real = verify.verify
    monkeypatch.setattr(verify, "verify", lambda batch: checked.append(len(batch)) or real(batch))
    ts = LuantiTaskset(LuantiConfig(id="vf-luanti", split="train", seed=5))
    assert ts.INFINITE and not ts.head(3).INFINITE
    taken = list(islice(iter(ts), 3))
    assert len(taken) == 3 and sum(checked) <= 16
    third = LuantiData.model_validate(taken[2].data.model_dump(mode="json"))
    assert _full_task(third).id == third.task_id
    with pytest.raises(TaskError, match="no generated train task id of seed 5"):
        _full_task(third.model_copy(update={"task_id": "gen-6-00001", "task": {}}))


def test_a_task_that_differs_from_the_package_is_refused() -> None:
    [t] = _tasks(num_examples=1)
    edited = t.data.model_copy(update={"task": {**t.data.task, "instruction": "something else"}})
    with pytest.raises(TaskError, match="differs"):
        _full_task(edited)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("split", "bogus", "'eval', 'scenarios' or 'train'"),
        ("families", ["scaffold", "nope"], "unknown family nope"),
        ("answer_form", "yaml", "'lua' or 'diff'"),
        ("backend", "gpu", "'emulator' or 'engine'"),
    ],
)
def test_bad_config_fails_when_parsed(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        LuantiConfig.model_validate({"id": "vf-luanti", field: value})
