"""``vf-luanti report`` on inputs it cannot use, runs of the same model, infrastructure errors and
the page layout (issue 14). Everything goes through the command line, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vf_luanti.cli import main


def _row(task: str, passed: bool, error: dict | None = None, luanti: dict | None = None) -> dict:
    return {
        "example_id": 0,
        "info": {"task_id": task, "family": task.split("-")[0]},
        "reward": float(passed),
        "metrics": {"passed": float(passed)},
        "error": error,
        "luanti": luanti or {"passed": passed, "feedback": [] if passed else ["1/2 checks passed"]},
    }


def _run(folder: Path, model: str, rows: list[dict]) -> Path:
    folder.mkdir(parents=True)
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "metadata.json").write_text(json.dumps({"model": model, "env_id": "vf-luanti"}))
    return folder


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("results.jsonl", bytes(range(256)) * 4, "not a text file; expected verifiers results"),
        ("results.jsonl", b'{"a": 1}\n', "results.jsonl:1: no info.task_id or example_id; expected"),
        ("results.jsonl", b"[1, 2]\n", "results.jsonl:1: a JSON list, not an object; expected"),
        ("summary.json", b'{\n  "model": "m"\n}\n', "summary.json:1: not JSON"),
        (
            "results.jsonl",
            b'{"info": {"task_id": "doc-1"}, "reward": "high"}\n',
            "reward 'high' is not a number",
        ),
        (
            "results.jsonl",
            b'{"info": {"task_id": "doc-1"}, "reward": 1, "metrics": [1]}\n',
            "metrics is not an object",
        ),
        ("traces.jsonl", b'{"traces": [{"rewards": {}}]}\n', "a trace without task.data.task_id"),
        ("traces.jsonl", b'{"traces": 3}\n', "'traces' is not a list of objects"),
    ],
)
def test_unusable_input_is_one_line_exit_2_and_no_report(
    tmp_path: Path, capsys: pytest.CaptureFixture, name: str, content: bytes, expected: str
) -> None:
    bad = tmp_path / "in" / name
    bad.parent.mkdir()
    bad.write_bytes(content)
    out = tmp_path / "report"
    assert main(["report", str(bad), "-o", str(out)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"vf-luanti report: {bad}") and expected in line
    assert not out.exists()


def test_binary_metadata_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = _run(tmp_path / "r", "m", [_row("doc-1", True)])
    (run / "metadata.json").write_bytes(b"\xff\xfe\x00garbage")
    assert main(["report", str(run), "-o", str(tmp_path / "out")]) == 2
    assert "metadata.json: not JSON (UnicodeDecodeError)" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


def test_no_traceback_from_the_installed_command(tmp_path: Path) -> None:
    """The console entry point, in a fresh process: what the user sees on a binary file."""
    bad = tmp_path / "results.jsonl"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    proc = subprocess.run(
        [sys.executable, "-m", "vf_luanti.cli", "report", str(bad), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert "not a text file" in _one_line(proc.stderr)


def test_runs_of_the_same_model_are_labelled_by_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    evals = tmp_path / "evals" / "vf-luanti--m"
    _run(evals / "3f2a9c1d", "m", [_row("doc-1", True), _row("doc-2", True)])
    _run(evals / "77b0e4aa", "m", [_row("doc-1", False), _row("doc-2", True)])
    out = tmp_path / "report"
    assert main(["report", str(tmp_path / "evals"), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "m [run 3f2a9c1d]: 2 tasks" in printed and "m [run 77b0e4aa]: 2 tasks" in printed
    data = json.loads((out / "report.json").read_text())
    assert [r["name"] for r in data["runs"]] == ["m [run 3f2a9c1d]", "m [run 77b0e4aa]"]
    md = (out / "report.md").read_text()
    assert "| m [run 3f2a9c1d] | 2 | 2 | 0 | 100.0" in md and "| m [run 77b0e4aa] | 2 | 2 | 0 | 50.0" in md


def test_same_folder_names_get_a_longer_label(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _run(tmp_path / "a" / "run", "m", [_row("doc-1", True)])
    _run(tmp_path / "b" / "run", "m", [_row("doc-1", False)])
    assert main(["report", str(tmp_path / "a"), str(tmp_path / "b"), "-o", str(tmp_path / "o")]) == 0
    names = [r["name"] for r in json.loads((tmp_path / "o" / "report.json").read_text())["runs"]]
    assert names == ["m [run a/run]", "m [run b/run]"]


def _errored(task: str, kind: str = "ModelError") -> dict:
    return _row(task, False, error={"error": kind, "message": kind}, luanti={"failure": "infrastructure"})


def test_infrastructure_errors_are_counted_apart(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rows = [_row("doc-1", True), _row("doc-1", True), _row("doc-2", True), _errored("doc-2")]
    run = _run(tmp_path / "r", "m", rows)
    out = tmp_path / "report"
    assert main(["report", str(run), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "m: 2 tasks, 4 rollouts (1 infrastructure errors, not counted: ModelError x1)" in printed
    r = json.loads((out / "report.json").read_text())["runs"][0]
    # pass@1 over the answered samples: both tasks pass; pass@2 only over doc-1 (doc-2 has 1 answer)
    assert r["pass_at_k"]["1"]["value"] == 1.0 and r["pass_at_k"]["2"]["value"] == 1.0
    assert r["mean_reward"]["value"] == 1.0 and r["failures"] == {}
    assert (r["n_errors"], r["errors"], r["error_rate"]) == (1, {"ModelError": 1}, 0.25)
    md = (out / "report.md").read_text()
    assert "| doc-2 | doc | 1/1 (+1 errors) | - | 1.000 |  |" in md
    assert "**Infrastructure errors: 1 of 4 rollouts** (25.0%)" in md


def test_timeouts_and_v1_trace_errors_are_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    timed_out = _row("doc-1", False) | {"stop_condition": "timeout_reached"}
    run = _run(tmp_path / "c", "m", [_row("doc-1", True), timed_out])
    v1 = tmp_path / "v1"
    v1.mkdir()
    trace = {"task": {"data": {"task_id": "doc-1", "family": "doc"}}, "metrics": {"passed": 0.0}}
    episode = {
        "traces": [
            trace | {"errors": [{"type": "ModelError", "message": "HTTP 500"}]},
            trace | {"metrics": {"passed": 1.0}, "rewards": {"luanti_reward": {"score": 1.0, "weight": 1.0}}},
        ]
    }
    (v1 / "traces.jsonl").write_text(json.dumps(episode) + "\n")
    assert main(["report", str(run), str(v1), "-o", str(tmp_path / "o")]) == 0
    runs = json.loads((tmp_path / "o" / "report.json").read_text())["runs"]
    assert [r["errors"] for r in runs] == [{"timeout": 1}, {"ModelError": 1}]
    assert all(r["pass_at_k"]["1"]["value"] == 1.0 for r in runs)


def test_the_gate_refuses_a_run_with_more_than_1_percent_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    base = _run(tmp_path / "base", "base", [_row(f"doc-{i}", False) for i in range(100)])
    good = [_row(f"doc-{i}", True) for i in range(100)]
    cand = _run(tmp_path / "cand", "cand", [*good, _errored("doc-0")])  # 1 of 101: under 1 %
    assert main(["report", str(cand), "--baseline", str(base), "-o", str(tmp_path / "o1")]) == 0
    capsys.readouterr()
    worse = _run(tmp_path / "worse", "cand", [*good, _errored("doc-0"), _errored("doc-1")])  # 2 of 102
    out = tmp_path / "o2"
    assert main(["report", str(worse), "--baseline", str(base), "-o", str(out)]) == 2
    captured = capsys.readouterr()
    line = _one_line(captured.err)
    assert line.startswith("vf-luanti report: gate refused: cand: 2 of 102 rollouts (2.0%)")
    assert "gate PASS" not in captured.out
    assert "**Gate refused**" in (out / "report.md").read_text()
    assert "Gate refused" in (out / "report.html").read_text()


def test_an_all_error_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = _run(tmp_path / "r", "m", [_errored("doc-1"), _errored("doc-2", "InvalidModelResponseError")])
    assert main(["report", str(run), "-o", str(tmp_path / "o")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "all 2 rollouts are infrastructure errors" in line and "InvalidModelResponseError x1" in line
    assert not (tmp_path / "o").exists()


def test_the_charts_come_below_the_title(tmp_path: Path) -> None:
    run = _run(tmp_path / "r", "m", [_row("doc-1", True), _row("repair-1", False)])
    assert main(["report", str(run), "-o", str(tmp_path / "o")]) == 0
    page = (tmp_path / "o" / "report.html").read_text()
    body = page.split("<body>", 1)[1]
    assert body.lstrip().startswith("<h1>vf-luanti evaluation report</h1>")
    assert body.index("<h1>") < body.index("<svg") < body.index("<table>")


def test_a_family_with_only_errors_has_no_figures(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = _run(tmp_path / "r", "m", [_row("doc-1", True), _errored("repair-1"), _errored("repair-1")])
    assert main(["report", str(run), "-o", str(tmp_path / "o")]) == 0
    r = json.loads((tmp_path / "o" / "report.json").read_text())["runs"][0]
    assert list(r["per_family"]) == ["doc"] and r["pass_at_k"]["1"]["value"] == 1.0
    assert [t["errors"] for t in r["tasks"]] == [0, 2]
