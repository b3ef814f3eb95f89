"""``vf-luanti serve`` and ``eval --serve`` with a vLLM that cannot run (issue 14's rule: every bad
input is one line, exit 2, no traceback), and eval --serve into an --out folder that does not exist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vf_luanti.cli import main


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    return lines[-1]


@pytest.mark.parametrize("vllm", ["/nonexistent/vllm", "/etc/hostname"])
def test_serve_with_a_vllm_that_cannot_run(vllm: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert (
        main(["serve", "--model", "m", "--vllm", vllm, "--port", "1", "--log", str(tmp_path / "s.log")]) == 2
    )
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"vf-luanti serve: cannot run {vllm}: ") and "--vllm" in line


def test_eval_serve_with_a_vllm_that_cannot_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"r": 8, "lora_alpha": 16}))
    out = tmp_path / "new" / "eval"  # not there yet: serve.log goes into it
    args = ["eval", "--serve", "base", "--adapter", str(adapter), "--vllm", "/nonexistent/vllm"]
    assert main([*args, "--port", "1", "--out", str(out)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("vf-luanti eval: cannot run /nonexistent/vllm: No such file or directory")
    assert not (out / "summary.json").exists() and not (out / "sweep.json").exists()
