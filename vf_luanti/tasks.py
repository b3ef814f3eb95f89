"""Benchmark tasks: the JSONL format (docs/tasks.md), validation on load, and reading task files.

A task is plain data: it travels to the sandbox worker as its JSON text (``Task.json_text``). The
splits (hand-written files and the generator) are vf_luanti/splits.py.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from .resources import resource_dir
from .rubric import FAMILIES

DATA_DIR = Path(os.environ.get("VF_LUANTI_DATA") or resource_dir("data"))
DIFFICULTIES = ("easy", "medium", "hard")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
MOD_NAME_RE = re.compile(r"^[a-z0-9_]+$")
VERSION_RE = re.compile(r"^5\.\d+(\.\d+)?$")
REQUIRED = ("id", "family", "instruction", "input", "reference", "checks", "tags", "difficulty")
OPTIONAL = ("luanti_version", "mod_name", "source")


class TaskError(ValueError):
    """A task item that does not follow the format; the message names the item and the field."""


def task_text(d: dict[str, Any]) -> str:
    """A task dict as canonical JSON text (sorted keys): equal tasks give equal texts."""
    return json.dumps(d, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Task:
    """One benchmark item. ``checks`` are plain JSON objects interpreted by vf_luanti.checks."""

    id: str
    family: str
    instruction: str
    input: str
    reference: str
    checks: list[dict[str, Any]]
    tags: list[str]
    difficulty: str
    luanti_version: str | None = None
    mod_name: str = "mymod"
    source: str | None = None  # where the item came from: a file:line, or "generate:<seed>"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @cached_property
    def json_text(self) -> str:
        """The task as JSON text, built once: what travels to a sandbox worker with every sample,
        and what the worker keys its parsed tasks on (``vf_luanti.scoring``)."""
        return task_text(self.to_dict())

    @classmethod
    def from_dict(cls, d: Any, where: str = "task") -> Task:
        """Validate and build; every problem raises TaskError naming ``where`` (file:line) and the field."""
        from .checks import CheckError, validate_check  # checks imports tasks' helpers lazily too

        if not isinstance(d, dict):
            raise TaskError(f"{where}: a task must be a JSON object, got {type(d).__name__}")
        tid = d.get("id")
        label = f"{where} ({tid})" if isinstance(tid, str) else where
        missing = [k for k in REQUIRED if k not in d]
        if missing:
            raise TaskError(f"{label}: missing field(s) {', '.join(missing)}")
        unknown = sorted(set(d) - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            raise TaskError(
                f"{label}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(REQUIRED + OPTIONAL)})"
            )
        if not isinstance(tid, str) or not ID_RE.match(tid):
            raise TaskError(f"{label}: 'id' must match {ID_RE.pattern}, got {tid!r}")
        if d["family"] not in FAMILIES:
            raise TaskError(f"{label}: 'family' must be one of {', '.join(FAMILIES)}, got {d['family']!r}")
        for k in ("instruction", "input", "reference"):
            if not isinstance(d[k], str):
                raise TaskError(f"{label}: {k!r} must be a string")
        if not d["instruction"].strip():
            raise TaskError(f"{label}: 'instruction' is empty")
        if not d["reference"].strip():
            raise TaskError(f"{label}: 'reference' (the gold solution) is empty")
        if d["family"] in ("repair", "refactor", "doc") and not d["input"].strip():
            raise TaskError(f"{label}: family {d['family']!r} needs a non-empty 'input'")
        if not isinstance(d["tags"], list) or not all(isinstance(t, str) and t for t in d["tags"]):
            raise TaskError(f"{label}: 'tags' must be a list of non-empty strings")
        if d["difficulty"] not in DIFFICULTIES:
            raise TaskError(
                f"{label}: 'difficulty' must be one of {', '.join(DIFFICULTIES)}, got {d['difficulty']!r}"
            )
        ver = d.get("luanti_version")
        if ver is not None and (not isinstance(ver, str) or not VERSION_RE.match(ver)):
            raise TaskError(f'{label}: \'luanti_version\' must look like "5.6" or "5.9.1", got {ver!r}')
        mod_name = d.get("mod_name", "mymod")
        if not isinstance(mod_name, str) or not MOD_NAME_RE.match(mod_name):
            raise TaskError(f"{label}: 'mod_name' must match {MOD_NAME_RE.pattern}, got {mod_name!r}")
        checks = d["checks"]
        if not isinstance(checks, list) or not checks:
            raise TaskError(f"{label}: 'checks' must be a non-empty list")
        for i, c in enumerate(checks):
            try:
                validate_check(c, family=d["family"])
            except CheckError as exc:
                raise TaskError(f"{label}: checks[{i}]: {exc}") from None
        return cls(
            id=tid,
            family=d["family"],
            instruction=d["instruction"],
            input=d["input"],
            reference=d["reference"],
            checks=checks,
            tags=list(d["tags"]),
            difficulty=d["difficulty"],
            luanti_version=ver,
            mod_name=mod_name,
            source=d.get("source", where),
        )


def read_jsonl(path: Path, errors: list[str] | None = None) -> list[Task]:
    """Tasks from one JSONL file (blank lines and lines starting with // are skipped).

    The first bad item raises TaskError; with an ``errors`` list, every bad item's message is
    appended there instead and the valid items are still returned (``data validate`` reports all).
    """
    tasks = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        where = f"{path.name}:{n}"
        try:
            try:
                d = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TaskError(f"{where}: not valid JSON: {exc.msg} (column {exc.colno})") from None
            if isinstance(d, dict):
                d.setdefault("source", where)
            tasks.append(Task.from_dict(d, where))
        except TaskError as exc:
            if errors is None:
                raise
            errors.append(str(exc))
    return tasks


def read_split(split: str) -> list[Task]:
    """The hand-written tasks of ``split`` ("eval" or "scenarios"): every data/<split>/*.jsonl, in
    file order. The one reader of the held-out files (splits.load_tasks, generate.clean)."""
    folder = DATA_DIR / split
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    if not files:
        raise TaskError(f"no task files for split {split!r} in {folder}")
    return [t for p in files for t in read_jsonl(p)]
