"""``vf-luanti train`` without the training extra (issue 14): one line naming the extra, exit 2,
no traceback. The missing packages are simulated in a fresh interpreter by blocking their import
(``sys.modules[name] = None`` makes ``import name`` raise ModuleNotFoundError, as when absent)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _train_without(blocked: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None\n"
        "from vf_luanti.cli import main\n"
        f"sys.exit(main(['train', *{list(args)!r}]))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize("blocked", [["torch"], ["peft"], ["torch", "transformers", "peft"]])
def test_train_without_the_extra_names_it(blocked: list[str], tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = _train_without(
        blocked, "--config", "configs/train_tiny.toml", f"run.output_dir={out}", "--no-progress"
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith(f"vf-luanti train: training needs {', '.join(blocked)}, not installed")
    assert "pip install 'vf-luanti[train-core]'" in lines[0]
    assert proc.stdout == "" and not out.exists()


def test_print_config_needs_no_extra() -> None:
    proc = _train_without(
        ["torch", "transformers", "peft"], "--config", "configs/train_tiny.toml", "--print-config"
    )
    assert proc.returncode == 0, proc.stderr
    assert '"backend": "plain"' in proc.stdout
