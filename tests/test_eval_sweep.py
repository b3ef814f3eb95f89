"""Eval sweeps and the gate: pass@k, summaries, LoRA scaling, winner selection and promotion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vf_luanti.sweep import (
    Candidate,
    EvalError,
    ModelSummary,
    find_adapters,
    gate,
    load_summary,
    scale_adapter,
    summarize,
    sweep_candidates,
    write_gate,
)


def _rows(task: str, family: str, passes: list[bool], reward_pass: float = 1.0) -> list[dict]:
    return [
        {
            "example_id": task,
            "reward": reward_pass if p else 0.25,
            "metrics": {"passed": float(p)},
            "info": {"task_id": task, "family": family},
        }
        for p in passes
    ]


def _results(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def test_summarize_groups_by_task_and_family(tmp_path: Path) -> None:
    rows = _rows("a", "nodes", [True, False, False, False, False]) + _rows("b", "nodes", [False] * 5)
    rows += _rows("c", "crafts", [True] * 5)
    s = summarize("m", _results(tmp_path / "r", rows), k=5)
    assert (s.n_tasks, s.n_rollouts) == (3, 15)
    assert s.pass_at_k["1"] == pytest.approx((0.2 + 0 + 1) / 3)
    assert s.pass_at_k["5"] == pytest.approx(2 / 3)
    assert s.per_family["nodes"]["pass@5"] == pytest.approx(0.5) and s.per_family["crafts"]["tasks"] == 1
    assert s.mean_reward == pytest.approx((1 + 0.25 * 4 + 0.25 * 5 + 5) / 15)
    # info as a JSON string (verifiers' dataset column form) reads the same.
    as_text = [dict(r, info=json.dumps(r["info"])) for r in rows]
    assert summarize("m", _results(tmp_path / "t", as_text), k=5) == s
    with pytest.raises(EvalError, match="fewer than k=5"):
        summarize("m", _results(tmp_path / "short", rows[:3]), k=5)
    (tmp_path / "empty").mkdir()
    with pytest.raises(EvalError, match=r"^m: .*no results\.jsonl"):
        summarize("m", tmp_path / "empty", k=5)


def _summary(model: str, p5: float, reward: float = 0.5, adapter: str | None = None) -> ModelSummary:
    return ModelSummary(
        model=model,
        k=5,
        n_tasks=10,
        n_rollouts=50,
        pass_at_k={"1": p5 / 2, "5": p5},
        mean_reward=reward,
        candidate={"name": model, "adapter": adapter, "checkpoint": adapter, "scale": 1.0},
    )


def _adapter(path: Path, alpha: float = 16) -> Path:
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text(
        json.dumps({"r": 8, "lora_alpha": alpha, "alpha_pattern": {"q_proj": 32}})
    )
    (path / "adapter_model.safetensors").write_bytes(b"weights")
    (path / "trainer_state.pt").write_bytes(b"state")
    return path


def test_gate_promotes_only_past_the_target(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path / "ckpt")
    base = _summary("base", 0.40)
    results = [
        _summary("c1", 0.50),
        _summary("c2", 0.58, reward=0.6, adapter=str(adapter)),
        _summary("c3", 0.58, reward=0.4),
    ]
    decision = gate(base, results)
    assert decision["winner"]["model"] == "c2"  # tie on pass@5 broken by mean reward
    assert decision["delta_points"] == pytest.approx(18.0) and decision["promoted"]
    assert [r["model"] for r in decision["ranking"]] == ["c2", "c3", "c1"]
    assert "c2 has the highest pass@5" in decision["reason"] and "+18.0 points" in decision["reason"]
    write_gate(decision, tmp_path / "out")
    saved = json.loads((tmp_path / "out" / "gate.json").read_text())
    assert saved["winner"]["model"] == "c2"
    promoted = tmp_path / "out" / "promoted"
    assert (promoted / "adapter_model.safetensors").read_bytes() == b"weights"
    assert not (promoted / "trainer_state.pt").exists()

    short = gate(base, [_summary("c1", 0.50, adapter=str(adapter))])
    assert not short["promoted"] and "Not promoted: +10.0 < +15.0" in short["reason"]
    write_gate(short, tmp_path / "out2")
    assert not (tmp_path / "out2" / "promoted").exists()
    assert gate(base, [_summary("c1", 0.50)], target_points=10.0)["promoted"]
    with pytest.raises(EvalError, match="no candidates"):
        gate(base, [])


def test_summary_round_trip(tmp_path: Path) -> None:
    from dataclasses import asdict

    s = _summary("m", 0.3)
    (tmp_path / "summary.json").write_text(json.dumps(asdict(s)))
    assert load_summary(tmp_path) == s
    with pytest.raises(EvalError, match="cannot read summary"):
        load_summary(tmp_path / "missing.json")


def test_sweep_candidates_scale_copies(tmp_path: Path) -> None:
    run = tmp_path / "run"
    for step in (10, 20):
        _adapter(run / f"checkpoint-{step}")
    (run / "checkpoint-20" / "trainer_state.pt").write_bytes(b"s")
    (run / "checkpoint-30").mkdir()  # no state file: an unfinished save, skipped
    adapters = find_adapters([run])
    assert [a.name for a in adapters] == ["checkpoint-10", "checkpoint-20"]
    cands = sweep_candidates(adapters, [0.5, 1.0], tmp_path / "work")
    assert [c.name for c in cands] == [
        "run-checkpoint-10@0.5",
        "run-checkpoint-10@1",
        "run-checkpoint-20@0.5",
        "run-checkpoint-20@1",
    ]
    half = json.loads((Path(cands[0].adapter) / "adapter_config.json").read_text())
    assert half["lora_alpha"] == 8 and half["alpha_pattern"] == {"q_proj": 16}
    assert cands[1] == Candidate(
        "run-checkpoint-10@1", str(run / "checkpoint-10"), str(run / "checkpoint-10"), 1.0
    )
    with pytest.raises(EvalError, match="neither a LoRA adapter"):
        find_adapters([tmp_path / "work"])
    with pytest.raises(EvalError, match="must be positive"):
        scale_adapter(run / "checkpoint-10", 0, tmp_path / "zero")


def test_scaled_adapter_scales_the_weight_update(tmp_path: Path) -> None:
    """Loaded by PEFT, the alpha-scaled copy changes each weight by exactly scale x the original update."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("peft")
    from peft import LoraConfig, PeftModel, get_peft_model
    from tiny_lm import build
    from transformers import AutoModelForCausalLM

    base_dir = build(tmp_path / "lm")
    torch.manual_seed(1)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base_dir),
        LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False),
    )
    model.save_pretrained(tmp_path / "adapter")
    scale_adapter(tmp_path / "adapter", 0.25, tmp_path / "adapter-q")

    def merged_q(adapter: Path) -> torch.Tensor:
        m = PeftModel.from_pretrained(
            AutoModelForCausalLM.from_pretrained(base_dir), adapter
        ).merge_and_unload()
        return m.model.layers[0].self_attn.q_proj.weight.detach().clone()

    w0 = AutoModelForCausalLM.from_pretrained(base_dir).model.layers[0].self_attn.q_proj.weight.detach()
    full, quarter = merged_q(tmp_path / "adapter") - w0, merged_q(tmp_path / "adapter-q") - w0
    assert full.abs().max() > 1e-4
    assert torch.allclose(quarter, 0.25 * full, atol=1e-6)


def test_release_card_and_reproducible_config(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from dataclasses import asdict

    from vf_luanti.cli import main
    from vf_luanti.train.config import load_config

    run = tmp_path / "run"
    ckpt = _adapter(run / "checkpoint-500")
    cfg = load_config(None, ["lora.layers=[3, 4]", "run.max_steps=500", f"run.output_dir={run}"])
    manifest = {
        "config": cfg.to_dict(),
        "data_hash": "ab" * 32,
        "backend": "unsloth",
        "dtype": "torch.bfloat16",
        "optimizer": "adamw_8bit",
        "examples": {"train": 380, "eval": 20, "dropped_too_long": 1},
        "last_loss": 0.42,
        "eval_loss": 0.51,
        "versions": {"torch": "2.11.0", "peft": "0.21.0"},
        "git": {"commit": "0123abc", "dirty": False},
    }
    (run / "manifest.json").write_text(json.dumps(manifest))
    base = _summary("unsloth/gpt-oss-20b-unsloth-bnb-4bit", 0.41)
    base.per_family = {"nodes": {"pass@1": 0.2, "pass@5": 0.4, "tasks": 6}}
    win = _summary("run-checkpoint-500@0.5", 0.62, adapter=str(ckpt))
    win.candidate = asdict(Candidate("run-checkpoint-500@0.5", str(ckpt), str(ckpt), 0.5))
    win.per_family = {"nodes": {"pass@1": 0.5, "pass@5": 0.7, "tasks": 6}}
    evals = tmp_path / "eval"
    write_gate(gate(base, [win]), evals)
    (evals / "sweep.json").write_text(
        json.dumps(
            {
                "protocol": {
                    "k": 5,
                    "temperature": 0.2,
                    "top_p": 0.9,
                    "max_tokens": 300,
                    "seed": 3407,
                    "split": "eval",
                }
            }
        )
    )
    assert main(["release", "--gate", str(evals), "--out", str(tmp_path / "rel")]) == 0
    card = (tmp_path / "rel" / "MODEL_CARD.md").read_text()
    assert "base_model: unsloth/gpt-oss-20b-unsloth-bnb-4bit" in card and "Promoted" in card
    assert "| run-checkpoint-500@0.5 | 0.310 | 0.620 |" in card and "| nodes | 0.400 | 0.700 | 6 |" in card
    assert "git checkout 0123abc" in card and f"--config {tmp_path / 'rel' / 'train_config.toml'}" in card
    assert f"--adapter {ckpt} --scales 0.5 -k 5 --temperature 0.2 --top-p 0.9 --max-tokens 300" in card
    assert "layers: [3, 4]" in card and "sha256 `" + "ab" * 32 in card
    assert load_config(tmp_path / "rel" / "train_config.toml") == cfg
    assert "+21.0 points" in (tmp_path / "rel" / "RESULTS.md").read_text()
    assert main(["release", "--gate", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")]) == 2


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def vllm_exe(tmp_path: Path) -> str:
    """The fake vLLM: adapters answer eval tasks with their reference, the base model with broken Lua."""
    pytest.importorskip("verifiers")
    pytest.importorskip("vf_luanti.environment")
    from fake_vllm import install

    return install(tmp_path)


@pytest.mark.slow
def test_eval_and_gate_against_a_running_endpoint(
    vllm_exe: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from vf_luanti.cli import main
    from vf_luanti.serve import ServeConfig, start_server

    cfg = ServeConfig(
        "untrained", loras=[("tuned", str(_adapter(tmp_path / "a")))], port=_free_port(), vllm=vllm_exe
    )
    out = tmp_path / "eval"
    with start_server(cfg, timeout=60, log_path=tmp_path / "serve.log"):
        args = [
            "eval",
            "--base-url",
            cfg.base_url,
            "--model",
            "tuned",
            "--num-examples",
            "3",
            "-k",
            "2",
            "--out",
            str(out),
            "--gate",
            "--baseline",
            "untrained",
        ]
        assert main(args) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    tuned, base = load_summary(out / "tuned"), load_summary(out / "untrained")
    assert (tuned.n_tasks, tuned.n_rollouts, base.n_rollouts) == (3, 6, 6)
    assert tuned.pass_at_k["2"] == 1.0 and base.pass_at_k["2"] == 0.0
    assert len((out / "tuned" / "results.jsonl").read_text().splitlines()) == 6
    report = json.loads((out / "report" / "report.json").read_text())
    assert report["gate"]["passed"] and report["gate"]["delta_points"] == pytest.approx(100.0)
    assert (out / "report" / "report.html").is_file()
    decision = json.loads((out / "gate.json").read_text())
    assert decision["winner"]["model"] == "tuned" and decision["promoted"]
    assert decision["delta_points"] == pytest.approx(100.0)
    assert "| tuned |" in printed and "tuned has the highest pass@2" in printed
    # A saved summary serves as the baseline of a later gate; a baseline as good as the winner fails it.
    again = [
        "eval",
        "--base-url",
        cfg.base_url,
        "--model",
        "tuned",
        "--gate",
        "--baseline",
        str(out / "tuned"),
    ]
    with start_server(cfg, timeout=60):
        assert main([*again, "--num-examples", "3", "-k", "2", "--out", str(tmp_path / "eval2")]) == 1


@pytest.mark.slow
def test_sweep_serves_scaled_checkpoints_and_promotes(
    vllm_exe: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from vf_luanti.cli import main
    from vf_luanti.serve import healthy

    run = tmp_path / "run"
    for step in (10, 20):
        _adapter(run / f"checkpoint-{step}")
    port, out = _free_port(), tmp_path / "eval"
    args = [
        "eval",
        "--serve",
        "base/model",
        "--adapter",
        str(run),
        "--scales",
        "0.5,1",
        "--vllm",
        vllm_exe,
        "--port",
        str(port),
        "--num-examples",
        "2",
        "-k",
        "2",
        "--out",
        str(out),
        "--gate",
        "--baseline",
        "base",
    ]
    assert main(args) == 0, capsys.readouterr().err
    assert not healthy(f"http://127.0.0.1:{port}/v1")  # the server was stopped
    sweep = json.loads((out / "sweep.json").read_text())
    assert [r["model"] for r in sweep["results"]] == [
        "run-checkpoint-10@0.5",
        "run-checkpoint-10@1",
        "run-checkpoint-20@0.5",
        "run-checkpoint-20@1",
    ]
    assert load_summary(out / "base--model").pass_at_k["2"] == 0.0
    decision = json.loads((out / "gate.json").read_text())
    assert (
        decision["winner"]["model"] == "run-checkpoint-10@0.5" and decision["promoted"]
    )  # ties keep sweep order
    assert json.loads((out / "promoted" / "adapter_config.json").read_text())["lora_alpha"] == 8
    assert "fake vllm starting base/model" in (out / "serve.log").read_text()
