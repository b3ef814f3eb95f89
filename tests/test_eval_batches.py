"""One model at a time (issue 14): vLLM's CPU backend applies an adapter to base-model requests
that share a batch with LoRA requests (vllm-project/vllm#48421, docs/serving.md), so ``eval`` never
has requests for two served names in flight at once: a sweep evaluates its models one after the
other, each with all its requests concurrent. The server here is a real HTTP server on 127.0.0.1
that records which model names are in flight together; ``--task`` picks the tasks.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("verifiers")

from fake_openai import FakeOpenAI

from vf_luanti.cli import main

TASKS = ["repair-joinplayer-object", "scaffold-globalstep-clock", "doc-chat-filter"]


class _Recording(FakeOpenAI):
    """The fake chat server, recording every moment two model names were in flight together."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight: dict[str, int] = {}
        self.overlaps: list[tuple[str, ...]] = []
        self.most = 0
        self._flight = threading.Lock()

    def answer(self, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        model = str(req.get("model"))
        with self._flight:
            self.in_flight[model] = self.in_flight.get(model, 0) + 1
            busy = tuple(sorted(m for m, n in self.in_flight.items() if n))
            if len(busy) > 1:
                self.overlaps.append(busy)
            self.most = max(self.most, self.in_flight[model])
        time.sleep(0.05)  # long enough for concurrent requests to meet here
        try:
            return super().answer(req)
        finally:
            with self._flight:
                self.in_flight[model] -= 1


def test_a_sweep_never_mixes_models_in_flight(tmp_path: Path) -> None:
    with _Recording() as srv:
        out = tmp_path / "eval"
        args = ["eval", "--base-url", srv.base_url, "--out", str(out)]
        args += ["--model", "gold", "--model", "reasoning"]
        args += ["-k", "3", "--gate", "--baseline", "broken", *(a for t in TASKS for a in ("--task", t))]
        main(args)
        assert srv.overlaps == []
        assert srv.most > 1  # each model's requests do run concurrently
        users = [(r["model"], m) for r in srv.requests for m in r["messages"]]
        asked = {(model, m["content"]) for model, m in users if m["role"] == "user"}
        assert {m for m, _ in asked} == {"gold", "reasoning", "broken"}
        assert len({c for _, c in asked}) == len(TASKS)  # --task picked exactly these
    summary = json.loads((out / "gold" / "summary.json").read_text())
    assert summary["n_tasks"] == len(TASKS) and summary["pass_at_k"]["1"] == 1.0


def test_an_unknown_task_id_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with _Recording() as srv:
        out = tmp_path / "eval"
        args = ["eval", "--base-url", srv.base_url, "--model", "gold", "--out", str(out), "--task", "nope"]
        code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "unknown task id(s)" in err[0] and "nope" in err[0]
