"""verifiers 0.4 users (and prime-rl, which consumes only ``verifiers.v1``) can install and run it.

The wheel built from this tree is installed with pip next to verifiers 0.4.x in a venv of its own
(0.3.x and 0.4.x cannot share one: they pin different ``openai`` and ``mcp``), and 0.4's own CLIs
run the taskset there: the README's 0.4 ``vf-eval`` line, word for word, with the stock ``null``
harness against tests/fake_openai.py on 127.0.0.1 (model ``gold`` answers each task with its
reference), ``vf-validate`` (the gold check), and a bad ``--env.taskset.split`` (one line, no
traceback).

The null harness runs its chat loop as a PEP 723 script through ``uv`` (``uv sync --script`` pulls
openai, mcp and httpx from the index); without ``uv`` on PATH it tries ``pip install --user uv``,
which a venv refuses, then curl, and every rollout fails. So the venv holds ``uv``, its bin folder
comes first on PATH, and ``UV_CACHE_DIR`` lies inside the venv: the script's packages are fetched
once per venv, not once per run.

The venv is found through $VF_LUANTI_VF04 (its Python; ``.ci/run`` makes ``.venv-vf04``) or
``.venv-vf04/bin/python`` in the checkout. Without it the test is skipped, except under CI, where it
fails: CI must run it. Making one by hand::

    python3 -m venv .venv-vf04 && .venv-vf04/bin/pip install 'verifiers>=0.4,<0.5' uv .
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fake_openai import FakeOpenAI

from vf_luanti.rollouts import METRICS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NUM_TASKS = 4
VERIFIERS_04 = "verifiers>=0.4,<0.5"


def _venv_python() -> Path:
    """The Python of the verifiers-0.4 venv; a missing one fails under CI and skips elsewhere."""
    found = Path(os.environ.get("VF_LUANTI_VF04") or ROOT / ".venv-vf04" / "bin" / "python")
    if not found.exists():
        why = (
            f"no verifiers-0.4 venv: set VF_LUANTI_VF04 to its Python ({found} is missing); "
            "make one with: python3 -m venv .venv-vf04 && .venv-vf04/bin/pip install "
            f"'{VERIFIERS_04}' uv ."
        )
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return found


def _run(
    cmd: list[str | Path], timeout: float, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` in a session of its own; on a time-out its whole process group is killed
    (vf-eval's subprocess runtime starts harness and judge workers of its own)."""
    proc = subprocess.Popen(
        [str(c) for c in cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env,
        cwd=cwd,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{cmd[0]} ran over {timeout} s: {out[-1500:]}{err[-1500:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The root package's wheel and the Environments Hub package's (environments/vf-luanti)."""
    out = {}
    for name, src in (("root", ROOT), ("hub", ROOT / "environments" / "vf-luanti")):
        dist = tmp_path_factory.mktemp(f"dist-{name}")
        build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", dist]
        subprocess.run([*map(str, build), str(src)], check=True, capture_output=True, timeout=300)
        [out[name]] = dist.glob("vf_luanti-*.whl")
    return out


@pytest.fixture(scope="module")
def venv(wheels: dict[str, Path]) -> Path:
    """The venv's bin folder, with the wheel of this tree installed by pip's resolver next to
    verifiers 0.4.x (a requirement pin that excluded 0.4 would fail here)."""
    python = _venv_python()
    wheel = wheels["root"]
    pip = _run([python, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", wheel], timeout=300)
    assert pip.returncode == 0, pip.stderr[-2000:]
    # With the dependencies now: the wheel's requirements must accept the venv's verifiers 0.4.
    pip = _run([python, "-m", "pip", "install", "-q", wheel, VERIFIERS_04, "uv"], timeout=600)
    assert pip.returncode == 0, pip.stderr[-2000:]
    probe = "import importlib.metadata as m; print(m.version('verifiers'))"
    version = _run([python, "-c", probe], timeout=60).stdout.strip()
    assert version.startswith("0.4."), version
    return python.parent


def _env(venv: Path, home: Path) -> dict[str, str]:
    """The CLIs' environment: the venv (and its ``uv``) first on PATH, HOME in tmp (the subprocess
    runtime's working folders go there), uv's cache in the venv, pip's index settings for uv."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(venv), os.environ.get("PATH", "")]),
        "HOME": str(home),
        "UV_CACHE_DIR": str(venv.parent / "uv-cache"),
        "FAKE_KEY": "x",
    }
    for pip_var, uv_var in (("PIP_INDEX_URL", "UV_INDEX_URL"), ("PIP_FIND_LINKS", "UV_FIND_LINKS")):
        if pip_var in os.environ and uv_var not in os.environ:
            env[uv_var] = os.environ[pip_var]
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)  # the venv's own vf_luanti, not this checkout's
    return env


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI() as srv:
        yield srv


def _readme_vfeval04() -> str:
    """The README's verifiers-0.4 ``vf-eval`` line (its command table's row with ``--client.base-url``)."""
    for line in (ROOT / "README.md").read_text().splitlines():
        found = re.search(r"`(vf-eval vf-luanti [^`]*--client\.base-url[^`]*)`", line)
        if line.startswith("|") and found:
            return found.group(1)
    raise AssertionError("README.md has no verifiers-0.4 vf-eval row")


def test_vf_eval_04_null_harness_gold_passes(venv: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    """The README's 0.4 line word for word (placeholders filled in), in the venv, from tmp_path."""
    line = _readme_vfeval04()
    assert "--env.agent.harness.id null" in line and "--no-push" in line and "-o runs/vf04" in line
    filled = line.replace("MODEL", "gold").replace("BASE_URL", server.base_url).replace("KEYVAR", "FAKE_KEY")
    filled = filled.replace("-n N", f"-n {NUM_TASKS}").replace("-r R", "-r 1")
    cmd: list[str | Path] = [venv / "vf-eval", *filled.split()[1:], "--no-rich"]
    proc = _run(cmd, timeout=600, env=_env(venv, tmp_path / "home"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    out = tmp_path / "runs" / "vf04"  # where the README says: runs/vf04/vf-luanti--MODEL--null--<run id>/
    [traces] = out.glob("vf-luanti--gold--null--*/traces.jsonl")
    episodes = [json.loads(line) for line in traces.read_text().splitlines()]
    assert len(episodes) == NUM_TASKS
    for e in episodes:
        assert e["ok"] and not e["errors"], e["errors"]
        [trace] = e["traces"]
        assert trace["verifiers"]["version"].startswith("0.4."), trace["verifiers"]
        assert trace["agent"]["config"]["harness"]["id"] == "null"
        assert trace["stop_condition"] == "agent_completed" and not trace["errors"], trace["errors"]
        reward = sum(r["score"] * r["weight"] for r in trace["rewards"].values())
        assert reward == pytest.approx(1.0) and trace["metrics"] == dict.fromkeys(METRICS, 1.0)
        # The gold reference stays out of the recorded task (episode and trace alike).
        for task in (e["task"], trace["task"]):
            assert task["data"]["task_id"] and "reference" not in task["data"]["task"], task["data"]
    assert len([r for r in server.requests if r["model"] == "gold"]) == NUM_TASKS


def test_vf_validate_04_checks_the_gold(venv: Path, tmp_path: Path) -> None:
    out = tmp_path / "val"
    cmd: list[str | Path] = [
        venv / "vf-validate", "vf-luanti", "--taskset.num-examples", str(NUM_TASKS), "--taskset.workers", "1",
        "--runtime.type", "subprocess", "--no-rich", "-o", out,
    ]  # fmt: skip
    proc = _run(cmd, timeout=300, env=_env(venv, tmp_path / "home"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    [summary] = out.glob("*/summary.json")
    outcomes = json.loads(summary.read_text())["outcomes"]
    assert outcomes["valid"] == NUM_TASKS and outcomes["unchecked"] == 0, outcomes


def test_bad_taskset_config_is_one_line(venv: Path, tmp_path: Path) -> None:
    cmd: list[str | Path] = [
        venv / "vf-eval", "vf-luanti", "-m", "gold", "--env.taskset.split", "bogus",
        "--env.agent.harness.id", "null", "--env.agent.runtime.type", "subprocess", "--no-push",
        "-o", tmp_path / "out",
    ]  # fmt: skip
    proc = _run(cmd, timeout=300, env=_env(venv, tmp_path / "home"), cwd=tmp_path)
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text, text[-3000:]
    assert "--env.taskset.split" in text and "'eval', 'scenarios' or 'train'" in text, text[-3000:]
    assert not list((tmp_path / "out").glob("*/traces.jsonl"))


def test_vf_luanti_eval_names_the_verifiers_line(venv: Path, tmp_path: Path) -> None:
    """``vf-luanti eval`` drives the classic environment: on 0.4 it says so in one line, exit 2."""
    cmd: list[str | Path] = [
        venv / "vf-luanti",
        "eval",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "m",
    ]
    proc = _run(cmd, timeout=120, env=_env(venv, tmp_path / "home"), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "vf-luanti[classic]" in proc.stderr and "vf-eval" in proc.stderr, proc.stderr


@pytest.mark.parametrize(("line", "spec"), [("0.3.", "verifiers>=0.3.1,<0.4"), ("0.4.", VERIFIERS_04)])
def test_wheel_resolves_with_both_verifiers_lines(
    wheels: dict[str, Path], line: str, spec: str, tmp_path: Path
) -> None:
    """``pip install vf-luanti`` resolves next to either line (pip's resolver, nothing installed)."""
    report = tmp_path / "report.json"
    cmd: list[str | Path] = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "-q",
        "--report", report, wheels["root"], spec,
    ]  # fmt: skip
    proc = _run(cmd, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    installs = json.loads(report.read_text())["install"]
    chosen = {i["metadata"]["name"]: i["metadata"]["version"] for i in installs}
    assert chosen["verifiers"].startswith(line) and chosen["vf-luanti"], chosen


def _requirements(wheel: Path) -> set[str]:
    """The wheel's Requires-Dist lines, extras' own left out."""
    with zipfile.ZipFile(wheel) as z:
        [meta] = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        lines = z.read(meta).decode().splitlines()
    return {
        x.split(":", 1)[1].strip() for x in lines if x.startswith("Requires-Dist:") and "extra ==" not in x
    }


def test_hub_wheel_requires_what_the_root_wheel_requires(wheels: dict[str, Path]) -> None:
    """The Hub package resolves as the root one does (checked above) because it asks for the same."""
    root = _requirements(wheels["root"])
    assert any(r.startswith("verifiers") and "<0.5" in r for r in root), root
    assert _requirements(wheels["hub"]) == root
