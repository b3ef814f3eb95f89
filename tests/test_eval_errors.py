"""Errors are never results (issue 14): ``vf-luanti eval`` against a dead, wrong or failing endpoint.

Every server here is a real HTTP server on 127.0.0.1 that the test starts; nothing of vf_luanti is
mocked. A dead or wrong endpoint must stop the evaluation with one line and exit 2 before any
result file exists; requests that fail during the run (HTTP 500, empty choices) must be counted
as infrastructure errors, kept out of pass@k, shown in the summary and the report, and make the
command exit 2 (the gate refuses to compare such a run).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("verifiers")

from fake_openai import FakeOpenAI

from vf_luanti.cli import main
from vf_luanti.rollouts import select_tasks


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


class _ModelsOnly:
    """A server whose ``GET /v1/models`` answers ``status`` with ``body``; POSTs are counted."""

    def __init__(self, status: int, body: bytes) -> None:
        self.posts = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                outer.posts += 1
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> _ModelsOnly:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _eval(base_url: str, out: Path, *extra: str, model: str = "gold") -> list[str]:
    return ["eval", "--base-url", base_url, "--model", model, "--out", str(out), *extra]


def test_nothing_listening_exits_2_before_any_result(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "eval"
    url = f"http://127.0.0.1:{_free_port()}/v1"
    assert main(_eval(url, out, "--num-examples", "2", "-k", "1")) == 2
    line = _one_line(capsys.readouterr().err)
    assert "nothing answers at" in line and url in line and "--base-url" in line
    assert not out.exists()  # no summary.json, sweep.json or report


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, json.dumps({"object": "list", "data": [{"id": "other"}]}).encode(), "does not serve 'gold'"),
        (500, b"oops", "answered HTTP 500"),
        (200, b"<html>not an API</html>", "did not answer an OpenAI model list"),
    ],
)
def test_a_wrong_endpoint_exits_2_before_any_request(
    tmp_path: Path, capsys: pytest.CaptureFixture, status: int, body: bytes, expected: str
) -> None:
    out = tmp_path / "eval"
    with _ModelsOnly(status, body) as srv:
        assert main(_eval(srv.base_url, out, "--num-examples", "2", "-k", "1")) == 2
    assert expected in _one_line(capsys.readouterr().err)
    assert srv.posts == 0 and not out.exists()


def test_the_gate_baseline_name_is_checked_too(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    body = json.dumps({"object": "list", "data": [{"id": "gold"}]}).encode()
    with _ModelsOnly(200, body) as srv:
        args = _eval(srv.base_url, tmp_path / "eval", "--gate", "--baseline", "untrained")
        assert main(args) == 2
    assert "does not serve 'untrained'" in _one_line(capsys.readouterr().err)


class _FailingFor(FakeOpenAI):
    """The fake chat server, except that prompts of ``task_id`` get ``mode``: an HTTP 500, a
    200 answer with no choices (what an overloaded or broken server sends), or no answer in time."""

    def __init__(self, task_id: str, mode: str) -> None:
        super().__init__()
        self.task_id, self.mode = task_id, mode
        # A client that gave up on a hung request closed the socket: no traceback for that.
        self.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]

    def answer(self, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        user = next((m.get("content") for m in req.get("messages") or [] if m.get("role") == "user"), "")
        task = self.responder.by_prompt.get(user)
        if task is not None and task.id == self.task_id:
            if self.mode == "500":
                return 500, {"error": {"message": "engine overloaded", "type": "server_error"}}
            if self.mode == "hang":
                time.sleep(3)  # past the test's --request-timeout of 0.5 s
            return 200, {"id": "x", "object": "chat.completion", "created": 0, "model": "gold", "choices": []}
        return super().answer(req)


@pytest.fixture(params=["500", "empty"])
def failing(request: pytest.FixtureRequest) -> Iterator[_FailingFor]:
    # The second task of the eval order is the one whose requests fail.
    second = select_tasks("eval", num_examples=3)[1].id
    with _FailingFor(second, request.param) as srv:
        yield srv


@pytest.mark.slow
def test_failed_requests_are_errors_not_model_failures(
    failing: _FailingFor, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "eval"
    assert main(_eval(failing.base_url, out, "--num-examples", "3", "-k", "2")) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()[-1]
    assert "gold: 2 of 6 rollouts (33.3%) failed for infrastructure reasons" in err
    assert "not counted as model failures" in err
    summary = json.loads((out / "gold" / "summary.json").read_text())
    # The gold answers pass; the task whose requests failed is an error, not a 0.
    assert summary["pass_at_k"] == {"1": 1.0, "2": 1.0} and summary["mean_reward"] == pytest.approx(1.0)
    assert summary["n_errors"] == 2 and summary["n_rollouts"] == 6
    kind = "ModelError" if failing.mode == "500" else "InvalidModelResponseError"
    assert summary["errors"] == {kind: 2}
    assert "| gold | 1.000 | 1.000 | 1.000 | 3 | 2/6 |" in captured.out
    # Each failed rollout carries the marker in the judgement column as well as verifiers' error.
    rows = [json.loads(line) for line in (out / "gold" / "results.jsonl").read_text().splitlines()]
    failed = [r for r in rows if r["luanti"]["failure"] == "infrastructure"]
    assert len(failed) == 2 and all(r["error"] for r in failed)
    infos = [r["info"] if isinstance(r["info"], dict) else json.loads(r["info"]) for r in failed]
    assert all(i["task_id"] == failing.task_id for i in infos)
    report = json.loads((out / "report" / "report.json").read_text())
    assert report["runs"][0]["n_errors"] == 2 and report["runs"][0]["errors"] == {kind: 2}
    md = (out / "report" / "report.md").read_text()
    assert (
        f"**Infrastructure errors: 2 of 6 rollouts** (33.3%), not counted as model failures: {kind} x2" in md
    )
    assert f"| {failing.task_id} | " in md and "0/0 (+2 errors) | - |" in md


@pytest.mark.slow
def test_the_gate_refuses_runs_with_errors(
    failing: _FailingFor, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "eval"
    args = _eval(failing.base_url, out, "--num-examples", "3", "-k", "1", "--gate", "--baseline", "broken")
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("vf-luanti eval: gate refused: broken: 1 of 3 rollouts (33.3%)")
    assert not (out / "gate.json").exists() and not (out / "promoted").exists()


@pytest.mark.slow
def test_a_server_that_never_answers_writes_no_summary(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    body = json.dumps({"object": "list", "data": [{"id": "gold"}]}).encode()
    out = tmp_path / "eval"
    with _ModelsOnly(200, body) as srv:  # lists the model, then fails every chat request
        assert main(_eval(srv.base_url, out, "--num-examples", "2", "-k", "1")) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "all 2 rollouts are infrastructure errors (ModelError x2)" in line
    assert not (out / "gold" / "summary.json").exists() and not (out / "sweep.json").exists()


@pytest.mark.slow
def test_a_request_that_times_out_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    second = select_tasks("eval", num_examples=2)[1].id
    out = tmp_path / "eval"
    with _FailingFor(second, "hang") as srv:
        args = _eval(srv.base_url, out, "--num-examples", "2", "-k", "1", "--request-timeout", "0.5")
        assert main(args) == 2
    assert "gold: 1 of 2 rollouts (50.0%) failed for infrastructure reasons" in capsys.readouterr().err
    summary = json.loads((out / "gold" / "summary.json").read_text())
    assert summary["errors"] == {"ModelError": 1} and summary["pass_at_k"]["1"] == 1.0
    rows = [json.loads(line) for line in (out / "gold" / "results.jsonl").read_text().splitlines()]
    [failed] = [r for r in rows if r["error"]]
    assert "Timeout" in failed["error"]["error_chain_repr"] and "Timeout" in failed["luanti"]["error"]


@pytest.mark.slow
def test_a_saved_baseline_with_another_k_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from dataclasses import asdict

    from vf_luanti.sweep import ModelSummary

    saved = tmp_path / "base" / "summary.json"
    saved.parent.mkdir()
    base = ModelSummary("base", k=5, n_tasks=2, n_rollouts=10, pass_at_k={"1": 0.0, "5": 0.0}, mean_reward=0)
    saved.write_text(json.dumps(asdict(base)))
    with FakeOpenAI() as srv:
        args = _eval(srv.base_url, tmp_path / "eval", "--num-examples", "2", "-k", "1")
        assert main([*args, "--gate", "--baseline", str(saved)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "vf-luanti eval: gate: candidates and baseline were evaluated with different k"
    )
