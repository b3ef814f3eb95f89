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
