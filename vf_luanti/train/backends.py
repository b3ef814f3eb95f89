"""Model loading: unsloth, transformers + bitsandbytes 4-bit (NF4), or plain LoRA (CPU tests).

Each backend returns a PEFT-wrapped model with only the LoRA weights trainable, and its tokenizer.
Heavy imports stay inside the functions so ``import vf_luanti`` does not load torch.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from .config import TrainConfig


class BackendError(RuntimeError):
    """The requested backend cannot run here (package missing, no GPU)."""


@dataclass
class Loaded:
    """What a backend hands the trainer."""

    model: Any
    tokenizer: Any
    backend: str
    device: str
    dtype: str


#: Non-reentrant checkpointing: the reentrant default is deprecated and loses gradients of frozen inputs.
_GC = {"use_reentrant": False}


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def resolve_backend(requested: str) -> str:
    """Pick the backend for ``auto`` and refuse one that cannot run, before any weights load."""
    import torch

    cuda = torch.cuda.is_available()
    if requested == "auto":
        if cuda and _has("unsloth"):
            return "unsloth"
        if cuda and _has("bitsandbytes"):
            return "bnb4"
        return "plain"
    if requested in {"unsloth", "bnb4"}:
        if not cuda:
            raise BackendError(f"backend {requested!r} needs a CUDA GPU; use model.backend=plain on the CPU")
        needed = "unsloth" if requested == "unsloth" else "bitsandbytes"
        if not _has(needed):
            raise BackendError(
                f"backend {requested!r} needs the {needed} package: pip install 'vf-luanti[train]'"
            )
    return requested


def _dtype(name: str, cuda: bool) -> Any:
    import torch

    if name == "auto":
        name = "bf16" if cuda else "fp32"
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[name]


def _lora_kwargs(cfg: TrainConfig) -> dict[str, Any]:
    kw: dict[str, Any] = {
        "r": cfg.lora.r,
        "lora_alpha": cfg.lora.alpha,
        "lora_dropout": cfg.lora.dropout,
        "target_modules": list(cfg.lora.target_modules),
        "bias": "none",
    }
    if cfg.lora.layers:
        kw["layers_to_transform"] = list(cfg.lora.layers)
    return kw


def _load_tokenizer(name: str) -> Any:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(name)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def _load_unsloth(cfg: TrainConfig) -> Loaded:
    from unsloth import FastLanguageModel  # imported first: unsloth patches transformers on import

    model, tok = FastLanguageModel.from_pretrained(
        model_name=cfg.model.name, max_seq_length=cfg.model.max_length, load_in_4bit=True, dtype=None
    )
    kw = _lora_kwargs(cfg)
    model = FastLanguageModel.get_peft_model(
        model,
        **kw,
        use_gradient_checkpointing="unsloth" if cfg.model.gradient_checkpointing else False,
        random_state=cfg.run.seed,
    )
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return Loaded(model, tok, "unsloth", "cuda", str(next(model.parameters()).dtype))


def _load_hf(cfg: TrainConfig, quantize: bool) -> Loaded:
    import torch
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM

    cuda = torch.cuda.is_available()
    dtype = _dtype(cfg.model.dtype, cuda)
    kwargs: dict[str, Any] = {"dtype": dtype}
    if quantize:
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=dtype,
        )
        kwargs["device_map"] = {"": 0}
    model = AutoModelForCausalLM.from_pretrained(cfg.model.name, **kwargs)
    if quantize:
        model = prepare_model_for_kbit_training(
            model,
            use_gradient_checkpointing=cfg.model.gradient_checkpointing,
            gradient_checkpointing_kwargs=_GC,
        )
    else:
        if cuda:
            model = model.to("cuda")
        if cfg.model.gradient_checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=_GC)
            model.enable_input_require_grads()
    model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", **_lora_kwargs(cfg)))
    device = "cuda" if cuda else "cpu"
    return Loaded(model, _load_tokenizer(cfg.model.name), "bnb4" if quantize else "plain", device, str(dtype))


def load(cfg: TrainConfig) -> Loaded:
    """Load the base model and wrap it with a fresh LoRA adapter for ``cfg``."""
    backend = resolve_backend(cfg.model.backend)
    if backend == "unsloth":
        return _load_unsloth(cfg)
    return _load_hf(cfg, quantize=backend == "bnb4")
