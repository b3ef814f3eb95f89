"""``vf-luanti serve``: the vllm command line, and health-wait / shutdown against a fake server process."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from fake_vllm import install

from vf_luanti.cli import main
from vf_luanti.serve import (
    ServeConfig,
    ServeError,
    Server,
    build_command,
    healthy,
    parse_lora,
    served_models,
    start_server,
)


def _adapter(path: Path, r: int = 8) -> Path:
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text(json.dumps({"r": r, "lora_alpha": 2 * r}))
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fake_vllm(tmp_path: Path) -> str:
    return install(tmp_path)


def test_command_has_lora_flags(tmp_path: Path) -> None:
    a, b = _adapter(tmp_path / "a", r=8), _adapter(tmp_path / "b", r=16)
    cfg = ServeConfig(
        "base/model",
        loras=[("ckpt-a", str(a)), ("ckpt-b", str(b))],
        port=8123,
        vllm="vllm",
        max_model_len=4096,
        extra_args=["--enforce-eager"],
    )
    cmd = build_command(cfg)
    assert cmd[:3] == ["vllm", "serve", "base/model"]
    assert cmd[cmd.index("--port") + 1] == "8123" and cmd[cmd.index("--seed") + 1] == "3407"
    assert "--enable-lora" in cmd and cmd[cmd.index("--max-lora-rank") + 1] == "16"
    assert cmd[cmd.index("--max-loras") + 1] == "2"
    i = cmd.index("--lora-modules")
    assert cmd[i + 1 : i + 3] == [f"ckpt-a={a}", f"ckpt-b={b}"]
    assert cmd[cmd.index("--max-model-len") + 1] == "4096" and cmd[-1] == "--enforce-eager"
    assert "--enable-lora" not in build_command(ServeConfig("base/model", vllm="vllm"))


def test_lora_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(ServeError, match="expected name=path"):
        parse_lora("just-a-path")
    with pytest.raises(ServeError, match=r"no adapter_config\.json"):
        parse_lora(f"x={tmp_path}")


def test_waits_for_health_then_stops(tmp_path: Path, fake_vllm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_VLLM_DELAY", "1.0")
    monkeypatch.setenv("FAKE_VLLM_ARGV", str(tmp_path / "argv.json"))
    cfg = ServeConfig(
        "base/model", loras=[("sft", str(_adapter(tmp_path / "sft")))], port=_free_port(), vllm=fake_vllm
    )
    t0 = time.monotonic()
    server = start_server(cfg, timeout=30, log_path=tmp_path / "serve.log")
    try:
        assert time.monotonic() - t0 >= 1.0  # it really waited for the delayed server
        assert healthy(cfg.base_url)
        assert served_models(cfg.base_url) == ["base/model", "sft"]
        assert "--enable-lora" in json.loads((tmp_path / "argv.json").read_text())
    finally:
        server.stop(grace=5)
    assert server.proc is not None and server.proc.poll() is not None
    assert not healthy(cfg.base_url)
    assert "fake vllm starting base/model" in (tmp_path / "serve.log").read_text()


def test_early_exit_reports_log(tmp_path: Path, fake_vllm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_VLLM_EXIT", "3")
    cfg = ServeConfig("base/model", port=_free_port(), vllm=fake_vllm)
    with pytest.raises(ServeError, match=r"exited with code 3(.|\n)*CUDA out of memory"):
        start_server(cfg, timeout=30)


def test_timeout_stops_the_process(tmp_path: Path, fake_vllm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_VLLM_DELAY", "60")
    server = Server(
        [fake_vllm, "serve", "m", "--host", "127.0.0.1", "--port", str(_free_port())],
        "http://127.0.0.1:1/v1",
        tmp_path / "log",
    ).start()
    with pytest.raises(ServeError, match="not healthy after 1s"):
        server.wait_healthy(timeout=1.0, interval=0.1)
    assert server.proc is not None and server.proc.poll() is not None


def test_cli_dry_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    adapter = _adapter(tmp_path / "a")
    assert main(["serve", "--model", "m", "--lora", f"a={adapter}", "--vllm", "vllm", "--dry-run"]) == 0
    assert capsys.readouterr().out.strip().startswith("vllm serve m --host 127.0.0.1 --port 8000")
    assert main(["serve", "--model", "m", "--lora", "broken", "--dry-run"]) == 2
