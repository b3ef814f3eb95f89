"""The code base is lint-clean, formatted and type-checks: ruff and mypy run as part of the suite, so
the README's test command (and so CI) fails on a lint finding, an unformatted file or a type error.

Each tool runs as ``sys.executable -m TOOL`` with the configuration in pyproject.toml; a tool that
is not installed skips its test (the ``test`` extra installs both).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINTED = ["vf_luanti", "tests", "benchmarks", "environments"]


def _run(tool: str, *args: str) -> None:
    """Run ``python -m tool args`` in the repository root; fail with its output unless it exits 0."""
    if importlib.util.find_spec(tool) is None:
        pytest.skip(f"{tool} is not installed (pip install -e '.[test]')")
    proc = subprocess.run(
        [sys.executable, "-m", tool, *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        pytest.fail(f"{tool} {' '.join(args)} (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")


def test_ruff_finds_nothing() -> None:
    _run("ruff", "check", *LINTED)


def test_the_code_is_ruff_formatted() -> None:
    _run("ruff", "format", "--check", *LINTED)


def test_mypy_finds_no_type_errors() -> None:
    # the cache (.mypy_cache, ignored by git) makes later runs take a second instead of ~20 s
    _run("mypy", "vf_luanti")
