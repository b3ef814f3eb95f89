"""Training configuration: a TOML file plus ``section.key=value`` overrides, checked against typed fields.

The defaults reproduce the seed run (QLoRA SFT of gpt-oss-20b, attention-only LoRA r=8), so
``vf-luanti train`` with no file repeats it and a run's manifest can record every value it used.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A config file or override names an unknown key or gives a value of the wrong type."""


@dataclass
class ModelConfig:
    """Which base model to load and how."""

    name: str = "unsloth/gpt-oss-20b-unsloth-bnb-4bit"
    #: auto: unsloth when installed and a GPU is present, else bnb4 on a GPU, else plain.
    backend: str = "auto"
    max_length: int = 2048
    #: auto: bf16 on a GPU, fp32 on the CPU.
    dtype: str = "auto"
    gradient_checkpointing: bool = True


@dataclass
class LoraConfig:
    """The adapter: attention projections only, so expert and router weights of MoE models stay frozen."""

    r: int = 8
    alpha: int = 16
    dropout: float = 0.1
    target_modules: list[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    #: Layer indices to adapt; empty means every layer.
    layers: list[int] = field(default_factory=list)


@dataclass
class DataConfig:
    """Where the SFT examples come from and how many are held out for eval loss."""

    #: JSONL of {"id", "family", "messages": [...]} whose last message is the assistant answer; "" for none.
    sft_path: str = "data/train/sft.jsonl"
    #: Also render vf_luanti.splits.load_tasks("train") through vf_luanti.prompts.build_messages.
    generator: bool = False
    #: How many train tasks the generator makes, and from which seed (the same pair gives the same tasks).
    generator_n: int = 400
    generator_seed: int = 0
    #: Restrict to these task families; empty means all.
    families: list[str] = field(default_factory=list)
    #: Examples held out (chosen by the run seed) for eval loss; 0 disables eval loss.
    eval_size: int = 0


@dataclass
class OptimConfig:
    """Optimiser and schedule."""

    lr: float = 5e-5
    warmup_ratio: float = 0.05
    #: linear or cosine decay after warm-up; constant keeps lr after warm-up.
    scheduler: str = "linear"
    weight_decay: float = 0.01
    max_grad_norm: float = 0.3
    batch_size: int = 2
    grad_accum: int = 8
    #: auto: 8-bit AdamW (bitsandbytes) on a GPU when installed, else torch AdamW; or adamw_8bit / adamw.
    optimizer: str = "auto"


@dataclass
class RunConfig:
    """Length of the run, checkpointing, logging and where it all goes."""

    max_steps: int = 1500
    seed: int = 3407
    output_dir: str = "runs/sft"
    save_every: int = 250
    eval_every: int = 250
    log_every: int = 10
    #: Continue from the newest checkpoint in output_dir (a fresh run refuses a directory with checkpoints).
    resume: bool = False


@dataclass
class TrainConfig:
    """The whole run; each section maps to one TOML table."""

    model: ModelConfig = field(default_factory=ModelConfig)
    lora: LoraConfig = field(default_factory=LoraConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def validate(self) -> None:
        """Reject values that would only fail (or silently misbehave) hours into a run."""
        checks = [
            (
                self.model.backend in {"auto", "unsloth", "bnb4", "plain"},
                "model.backend must be auto, unsloth, bnb4 or plain",
            ),
            (
                self.model.dtype in {"auto", "bf16", "fp16", "fp32"},
                "model.dtype must be auto, bf16, fp16 or fp32",
            ),
            (self.model.max_length > 0, "model.max_length must be positive"),
            (self.lora.r > 0 and self.lora.alpha > 0, "lora.r and lora.alpha must be positive"),
            (0.0 <= self.lora.dropout < 1.0, "lora.dropout must be in [0, 1)"),
            (bool(self.lora.target_modules), "lora.target_modules must name at least one module"),
            (self.optim.lr > 0, "optim.lr must be positive"),
            (0.0 <= self.optim.warmup_ratio < 1.0, "optim.warmup_ratio must be in [0, 1)"),
            (
                self.optim.scheduler in {"linear", "cosine", "constant"},
                "optim.scheduler must be linear, cosine or constant",
            ),
            (
                self.optim.optimizer in {"auto", "adamw", "adamw_8bit"},
                "optim.optimizer must be auto, adamw or adamw_8bit",
            ),
            (
                self.optim.batch_size > 0 and self.optim.grad_accum > 0,
                "optim.batch_size and grad_accum must be positive",
            ),
            (self.optim.max_grad_norm > 0, "optim.max_grad_norm must be positive"),
            (self.run.max_steps > 0, "run.max_steps must be positive"),
            (
                self.run.save_every > 0 and self.run.eval_every > 0 and self.run.log_every > 0,
                "run.save_every, eval_every and log_every must be positive",
            ),
            (self.data.eval_size >= 0, "data.eval_size must be >= 0"),
            (self.data.generator_n > 0, "data.generator_n must be positive"),
            (bool(self.data.sft_path) or self.data.generator, "data needs sft_path or generator = true"),
        ]
        errors = [msg for ok, msg in checks if not ok]
        if errors:
            raise ConfigError("; ".join(errors))


def _coerce(value: Any, annotation: Any, key: str) -> Any:
    """Check ``value`` against a field's type; ints are accepted where floats are expected."""
    origin = typing.get_origin(annotation)
    if origin is list:
        (item_type,) = typing.get_args(annotation)
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return [_coerce(v, item_type, f"{key}[]") for v in value]
    if origin is types.UnionType:
        raise ConfigError(f"{key}: union types are not supported in configs")
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is bool and not isinstance(value, bool):
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    if not isinstance(value, annotation) or (annotation is int and isinstance(value, bool)):
        raise ConfigError(f"{key}: expected {annotation.__name__}, got {value!r}")
    return value


def _apply(cfg: TrainConfig, section: str, key: str, value: Any) -> None:
    sections = {f.name: f for f in dataclasses.fields(cfg)}
    if section not in sections:
        raise ConfigError(f"unknown config section {section!r} (known: {', '.join(sections)})")
    target = getattr(cfg, section)
    hints = typing.get_type_hints(type(target))
    if key not in hints:
        raise ConfigError(f"unknown key {section}.{key} (known: {', '.join(hints)})")
    setattr(target, key, _coerce(value, hints[key], f"{section}.{key}"))


def _parse_value(text: str) -> Any:
    """An override's value is TOML (``5e-5``, ``true``, ``[1, 2]``, ``"x"``); anything else is a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def load_config(path: str | Path | None = None, overrides: Iterable[str] = ()) -> TrainConfig:
    """Defaults, then the TOML file, then ``section.key=value`` overrides, then validation."""
    cfg = TrainConfig()
    if path is not None:
        try:
            data: Mapping[str, Any] = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
        for section, table in data.items():
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: top-level key {section!r} must be a table like [{section}]")
            for key, value in table.items():
                _apply(cfg, section, key, value)
    for item in overrides:
        name, sep, text = item.partition("=")
        section, dot, key = name.strip().partition(".")
        if not sep or not dot:
            raise ConfigError(f"override {item!r} must look like section.key=value (e.g. optim.lr=1e-4)")
        _apply(cfg, section, key, _parse_value(text.strip()))
    cfg.validate()
    return cfg


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string literal is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ConfigError(f"cannot write {value!r} as TOML")


def to_toml(config: Mapping[str, Mapping[str, Any]]) -> str:
    """A config dict (``TrainConfig.to_dict()`` or a manifest's copy) as a TOML file ``load_config`` reads."""
    return "\n".join(
        f"[{section}]\n" + "".join(f"{key} = {_toml_value(value)}\n" for key, value in table.items())
        for section, table in config.items()
    )
