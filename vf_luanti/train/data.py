"""SFT examples: read them, hash them, and render them with the model's chat template.

Loss is on the answer only: the prompt's tokens get label -100. The prompt boundary is found by
rendering the conversation without its last (assistant) message plus the generation prompt and taking
the longest common token prefix with the full rendering, so it holds for templates that insert channel
or reasoning markers after the assistant header (gpt-oss's harmony format does).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import DataConfig

#: Label value the loss ignores (PyTorch's cross-entropy default).
IGNORE = -100


class DataError(ValueError):
    """An SFT file or task cannot be turned into training examples."""


@dataclass(frozen=True)
class SFTExample:
    """One conversation whose last message is the assistant answer to learn."""

    id: str
    family: str
    messages: list[dict[str, str]]


def _check_messages(messages: Any, where: str) -> list[dict[str, str]]:
    if not isinstance(messages, list) or len(messages) < 2:
        raise DataError(f"{where}: 'messages' must be a list of at least a prompt and an answer")
    for msg in messages:
        if not (
            isinstance(msg, dict) and isinstance(msg.get("role"), str) and isinstance(msg.get("content"), str)
        ):
            raise DataError(f"{where}: each message needs string 'role' and 'content', got {msg!r}")
    if messages[-1]["role"] != "assistant":
        raise DataError(
            f"{where}: the last message must be the assistant answer, got role {messages[-1]['role']!r}"
        )
    return [{"role": m["role"], "content": m["content"]} for m in messages]


def read_sft_jsonl(path: str | Path, families: Iterable[str] = ()) -> list[SFTExample]:
    """Read ``{"id", "family", "messages"}`` lines; a bad line is an error naming file and line."""
    wanted = set(families)
    out: list[SFTExample] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"cannot read SFT file {path}: {exc}") from exc
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: invalid JSON: {exc}") from exc
        if not isinstance(row, dict):
            raise DataError(f"{where}: expected a JSON object")
        family = str(row.get("family", ""))
        if wanted and family not in wanted:
            continue
        out.append(
            SFTExample(
                str(row.get("id", f"line{lineno}")), family, _check_messages(row.get("messages"), where)
            )
        )
    return out


def examples_from_tasks(families: Iterable[str] = (), n: int = 400, seed: int = 0) -> list[SFTExample]:
    """The generator's train split, prompted exactly as the environment prompts it.

    The answer is the task's reference solution in one fenced Lua block, the form the prompt asks for.
    """
    from ..prompts import build_messages
    from ..splits import load_tasks
    from ..tasks import TaskError

    try:
        tasks = load_tasks("train", families=list(families) or None, n=n, seed=seed)
    except TaskError as exc:
        raise DataError(f"task generator: {exc}") from exc
    out = []
    for task in tasks:
        answer = f"```lua\n{task.reference.rstrip()}\n```"
        messages = [*build_messages(task), {"role": "assistant", "content": answer}]
        out.append(SFTExample(task.id, task.family, _check_messages(messages, f"task {task.id}")))
    return out


def data_hash(examples: Iterable[SFTExample]) -> str:
    """SHA-256 over the examples in order, so a manifest pins exactly what was trained on."""
    h = hashlib.sha256()
    for ex in examples:
        h.update(json.dumps([ex.id, ex.family, ex.messages], sort_keys=True, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def split_eval(
    examples: list[SFTExample], eval_size: int, seed: int
) -> tuple[list[SFTExample], list[SFTExample]]:
    """Hold out ``eval_size`` examples chosen by ``seed``; the rest keep their file order."""
    if eval_size >= len(examples) and eval_size > 0:
        raise DataError(f"data.eval_size={eval_size} leaves nothing to train on ({len(examples)} examples)")
    held = set(random.Random(seed).sample(range(len(examples)), eval_size))
    train = [ex for i, ex in enumerate(examples) if i not in held]
    evals = [ex for i, ex in enumerate(examples) if i in held]
    return train, evals


def _render(tokenizer: Any, messages: list[dict[str, str]], generation_prompt: bool) -> list[int]:
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def encode_example(tokenizer: Any, ex: SFTExample, max_length: int) -> dict[str, list[int]] | None:
    """Token ids and labels (prompt masked); None when the prompt alone fills ``max_length``.

    A too-long answer is cut at ``max_length`` (its start is still worth learning); a prompt that
    leaves no room for any answer token teaches nothing and is dropped.
    """
    if not getattr(tokenizer, "chat_template", None):
        raise DataError("the tokenizer has no chat template; SFT renders conversations with it")
    full = _render(tokenizer, ex.messages, generation_prompt=False)
    prompt = _render(tokenizer, ex.messages[:-1], generation_prompt=True)
    n_prompt = 0
    for a, b in zip(prompt, full, strict=False):
        if a != b:
            break
        n_prompt += 1
    if n_prompt >= min(len(full), max_length):
        return None
    ids = full[:max_length]
    labels = [IGNORE] * n_prompt + ids[n_prompt:]
    return {"input_ids": ids, "labels": labels}


def encode_all(
    tokenizer: Any, examples: list[SFTExample], max_length: int
) -> tuple[list[dict[str, list[int]]], int]:
    """Encode every example; returns the encoded list and how many were dropped."""
    encoded = [encode_example(tokenizer, ex, max_length) for ex in examples]
    kept = [e for e in encoded if e is not None]
    return kept, len(encoded) - len(kept)


def load_examples(cfg: DataConfig) -> list[SFTExample]:
    """All configured sources, file first; an empty result is an error, not a silent no-op run."""
    examples: list[SFTExample] = []
    if cfg.sft_path:
        examples += read_sft_jsonl(cfg.sft_path, cfg.families)
    if cfg.generator:
        examples += examples_from_tasks(cfg.families, cfg.generator_n, cfg.generator_seed)
    if not examples:
        raise DataError(
            f"no training examples (sft_path={cfg.sft_path!r}, generator={cfg.generator}, "
            f"families={cfg.families})"
        )
    return examples
