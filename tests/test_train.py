"""The SFT driver: config, answer-only masking, batch order, and real training steps on a tiny model."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from vf_luanti.cli import main
from vf_luanti.train.config import ConfigError, TrainConfig, load_config
from vf_luanti.train.data import IGNORE, DataError, SFTExample, read_sft_jsonl, split_eval

ROOT = Path(__file__).resolve().parents[1]


def _rows(n: int) -> list[dict]:
    return [
        {
            "id": f"t{i}",
            "family": "nodes" if i % 2 else "crafts",
            "messages": [
                {"role": "system", "content": "You write Luanti mods."},
                {"role": "user", "content": f"Write a mod that registers node number {i}."},
                {
                    "role": "assistant",
                    "content": f"core.register_node('mymod:n{i}', {{description = 'Stone {i}'}})",
                },
            ],
        }
        for i in range(n)
    ]


def _write_sft(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# -- config -------------------------------------------------------------------------------------


def test_default_config_file_is_the_seed_run() -> None:
    cfg = load_config(ROOT / "configs" / "train_default.toml")
    assert cfg == TrainConfig()
    assert cfg.model.name == "unsloth/gpt-oss-20b-unsloth-bnb-4bit" and cfg.model.max_length == 2048
    assert (cfg.lora.r, cfg.lora.alpha, cfg.lora.dropout) == (8, 16, 0.1)
    assert cfg.lora.target_modules == ["q_proj", "k_proj", "v_proj", "o_proj"]
    assert (cfg.optim.lr, cfg.optim.warmup_ratio, cfg.optim.max_grad_norm) == (5e-5, 0.05, 0.3)
    assert (cfg.optim.batch_size, cfg.optim.grad_accum, cfg.run.max_steps, cfg.run.seed) == (2, 8, 1500, 3407)


def test_overrides_are_typed() -> None:
    cfg = load_config(
        None,
        [
            "optim.lr=1e-4",
            "lora.layers=[0, 1]",
            "model.name=some/model",
            "run.max_steps=7",
            "optim.warmup_ratio=0",
        ],
    )
    assert cfg.optim.lr == 1e-4 and cfg.lora.layers == [0, 1] and cfg.model.name == "some/model"
    assert cfg.run.max_steps == 7 and isinstance(cfg.optim.warmup_ratio, float)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("optim.lr=fast", "optim.lr: expected float"),
        ("optim.nope=1", "unknown key optim.nope"),
        ("nope.lr=1", "unknown config section"),
        ("lr=1", "section.key=value"),
        ("run.max_steps=true", "run.max_steps: expected int"),
        ("model.backend=tpu", "model.backend must be"),
        ("lora.dropout=1.5", "lora.dropout must be"),
    ],
)
def test_bad_overrides_are_clear_errors(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(None, [override])


def test_bad_config_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("lr = 5\n")
    with pytest.raises(ConfigError, match="must be a table"):
        load_config(bad)


# -- data ---------------------------------------------------------------------------------------


def test_sft_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "sft.jsonl"
    good = json.dumps(_rows(1)[0])
    path.write_text(good + "\n{not json\n")
    with pytest.raises(DataError, match=r"sft.jsonl:2: invalid JSON"):
        read_sft_jsonl(path)
    row = _rows(1)[0]
    row["messages"] = row["messages"][:-1]
    path.write_text(good + "\n" + json.dumps(row) + "\n")
    with pytest.raises(DataError, match=r"sft.jsonl:2: the last message must be the assistant"):
        read_sft_jsonl(path)


def test_family_filter_and_split(tmp_path: Path) -> None:
    path = _write_sft(tmp_path / "sft.jsonl", _rows(10))
    assert {ex.family for ex in read_sft_jsonl(path, ["nodes"])} == {"nodes"}
    examples = read_sft_jsonl(path)
    train, held = split_eval(examples, 3, seed=3407)
    assert len(held) == 3 and len(train) == 7
    assert {ex.id for ex in train} | {ex.id for ex in held} == {ex.id for ex in examples}
    assert split_eval(examples, 3, seed=3407) == (train, held)
    with pytest.raises(DataError, match="leaves nothing"):
        split_eval(examples, 10, seed=1)


def test_window_covers_each_epoch_once() -> None:
    from vf_luanti.train.trainer import window

    cfg = load_config(None, ["optim.batch_size=2", "optim.grad_accum=3"])
    n = 12  # two steps per epoch
    seen = [i for step in (0, 1) for mb in window(step, n, cfg) for i in mb]
    assert sorted(seen) == list(range(n))
    assert window(5, n, cfg) == window(5, n, cfg)
    assert all(len(mb) == 2 for mb in window(7, 5, cfg))  # wraps across epochs of an odd-sized set


def test_lr_schedule_warmup_then_linear_decay() -> None:
    from vf_luanti.train.trainer import lr_factor

    cfg = load_config(None, ["run.max_steps=100", "optim.warmup_ratio=0.05"])
    assert [round(lr_factor(s, cfg), 2) for s in range(5)] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert lr_factor(5, cfg) == 1.0 and lr_factor(99, cfg) == pytest.approx(1 / 95)


# -- with a real tokenizer and model --------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("peft")
    from tiny_lm import build

    return build(tmp_path_factory.mktemp("tiny") / "lm")


def test_prompt_tokens_are_masked(tiny_model: Path) -> None:
    from transformers import AutoTokenizer

    from vf_luanti.train.data import encode_example

    tok = AutoTokenizer.from_pretrained(tiny_model)
    ex = SFTExample("a", "nodes", _rows(1)[0]["messages"])
    enc = encode_example(tok, ex, max_length=512)
    assert enc is not None
    ids, labels = enc["input_ids"], enc["labels"]
    n_prompt = labels.count(IGNORE)
    assert labels[:n_prompt] == [IGNORE] * n_prompt and IGNORE not in labels[n_prompt:]
    assert labels[n_prompt:] == ids[n_prompt:]
    prompt_text = tok.decode(ids[:n_prompt])
    answer_text = tok.decode(ids[n_prompt:])
    assert prompt_text.endswith("<|assistant|>") and "Write a mod" in prompt_text
    assert answer_text == ex.messages[-1]["content"] + "<|end|>"
    # The answer is cut to fit; a prompt that fills the window is dropped.
    cut = encode_example(tok, ex, max_length=n_prompt + 3)
    assert cut is not None and len(cut["input_ids"]) == n_prompt + 3
    assert encode_example(tok, ex, max_length=n_prompt) is None


def _train_args(model: Path, sft: Path, out: Path, *extra: str) -> list[str]:
    return [
        "train",
        "--no-progress",
        "--config",
        str(ROOT / "configs" / "train_tiny.toml"),
        f"model.name={model}",
        f"data.sft_path={sft}",
        f"run.output_dir={out}",
        *extra,
    ]


@pytest.mark.slow
def test_real_sft_steps_save_adapter(tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    sft = _write_sft(tmp_path / "sft.jsonl", _rows(8))
    out = tmp_path / "run"
    assert (
        main(_train_args(tiny_model, sft, out, "run.max_steps=3", "run.save_every=2", "run.log_every=1")) == 0
    )
    assert "adapter:" in capsys.readouterr().out
    for step in (2, 3):
        ckpt = out / f"checkpoint-{step}"
        assert (ckpt / "adapter_model.safetensors").stat().st_size > 0
        cfg = json.loads((ckpt / "adapter_config.json").read_text())
        assert cfg["r"] == 8 and cfg["lora_alpha"] == 16
        assert set(cfg["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj"}
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    losses = [row["loss"] for row in log if "loss" in row]
    assert len(losses) == 3 and all(math.isfinite(x) and x > 0 for x in losses)
    assert any("eval_loss" in row and math.isfinite(row["eval_loss"]) for row in log)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["backend"] == "plain"
    assert len(manifest["data_hash"]) == 64 and manifest["versions"]["torch"]
    assert manifest["examples"]["train"] == 6 and manifest["examples"]["eval"] == 2
    assert manifest["trainable_params"] > 0
    # Only LoRA weights train: the adapter holds A/B matrices for the attention projections alone.
    from safetensors.torch import load_file

    keys = load_file(str(out / "checkpoint-3" / "adapter_model.safetensors")).keys()
    assert keys and all(
        "lora_" in k and any(m in k for m in ("q_proj", "k_proj", "v_proj", "o_proj")) for k in keys
    )


@pytest.mark.slow
def test_resume_reproduces_the_uninterrupted_run(tiny_model: Path, tmp_path: Path) -> None:
    import shutil

    from safetensors.torch import load_file

    sft = _write_sft(tmp_path / "sft.jsonl", _rows(8))
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    common = ("run.max_steps=4", "run.save_every=2", "run.log_every=1", "lora.layers=[1]")
    assert main(_train_args(tiny_model, sft, straight, *common)) == 0
    # Simulate a crash after step 2: keep only the first checkpoint, then resume.
    shutil.copytree(straight, resumed)
    shutil.rmtree(resumed / "checkpoint-4")
    assert main(_train_args(tiny_model, sft, resumed, *common)) == 2  # a fresh run refuses to overwrite
    assert main(_train_args(tiny_model, sft, resumed, *common, "run.resume=true")) == 0
    a = load_file(str(straight / "checkpoint-4" / "adapter_model.safetensors"))
    b = load_file(str(resumed / "checkpoint-4" / "adapter_model.safetensors"))
    assert a.keys() == b.keys() and all("layers.1." in k for k in a)
    for k in a:
        assert (a[k] == b[k]).all(), k
    steps = [json.loads(line)["step"] for line in (resumed / "log.jsonl").read_text().splitlines()]
    assert [s for s in steps] == sorted(steps) and steps.count(3) == 1
    manifest = json.loads((resumed / "manifest.json").read_text())
    assert manifest["resumed"][0]["from_step"] == 2
    # Resuming on different data is refused rather than silently mixing runs.
    shutil.rmtree(resumed / "checkpoint-4")
    _write_sft(sft, _rows(9))
    assert main(_train_args(tiny_model, sft, resumed, *common, "run.resume=true")) == 2


def test_generator_examples_use_the_environment_prompt() -> None:
    pytest.importorskip("vf_luanti.prompts")
    from vf_luanti.prompts import build_messages
    from vf_luanti.splits import load_tasks
    from vf_luanti.train.config import DataConfig
    from vf_luanti.train.data import load_examples

    examples = load_examples(DataConfig(sft_path="", generator=True, generator_n=6, generator_seed=7))
    tasks = load_tasks("train", n=6, seed=7)
    assert [ex.id for ex in examples] == [t.id for t in tasks]
    for ex, task in zip(examples, tasks, strict=True):
        assert ex.messages[:-1] == build_messages(task)
        assert ex.messages[-1] == {"role": "assistant", "content": f"```lua\n{task.reference.rstrip()}\n```"}
    with pytest.raises(DataError, match="task generator"):
        load_examples(DataConfig(sft_path="", generator=True, families=["no-such-family"]))


def test_backend_choice_on_a_cpu(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("checks the CPU fallbacks")
    from vf_luanti.train.backends import BackendError, resolve_backend

    assert resolve_backend("auto") == "plain"
    for name in ("bnb4", "unsloth"):
        with pytest.raises(BackendError, match="needs a CUDA GPU"):
            resolve_backend(name)
    sft = _write_sft(tmp_path / "sft.jsonl", _rows(4))
    args = _train_args(tmp_path / "no-model", sft, tmp_path / "run", "model.backend=bnb4", "data.eval_size=0")
    assert main(args) == 2  # refused before any weights load
