"""End to end over real HTTP: the environment against an OpenAI-compatible server on 127.0.0.1.

Both paths verifiers offers are exercised: ``env.evaluate`` in-process and the ``vf-eval`` CLI in
a subprocess (with its env server), then ``vf-luanti report`` over what vf-eval saved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("verifiers")
pytest.importorskip("openai")

sys.path.insert(0, str(Path(__file__).parent))
from fake_openai import FakeOpenAI

FAST_LIMITS = {"cpu_seconds": 1.0}


@pytest.fixture(scope="module", autouse=True)
def _default_limits_after():
    """The environment configures the shared scoring pool for the whole process: set the default
    limits back afterwards, so later tests do not score under this module's tight CPU budget."""
    yield
    from vf_luanti.execution import configure_default
    from vf_luanti.runtime import RuntimeLimits

    configure_default(limits=RuntimeLimits())


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI() as srv:
        yield srv


def _evaluate(server: FakeOpenAI, model: str, n: int, r: int, **env_args: object) -> list[dict]:
    import verifiers as vf
    from openai import AsyncOpenAI

    from vf_luanti import load_environment

    env = load_environment(num_examples=n, limits=FAST_LIMITS, **env_args)
    client = vf.OpenAIChatCompletionsClient(AsyncOpenAI(base_url=server.base_url, api_key="x"))
    res = env.evaluate_sync(client=client, model=model, num_examples=n, rollouts_per_example=r)
    return res["outputs"]


@pytest.mark.parametrize(
    ("model", "passes"),
    [("gold", True), ("reasoning", True), ("broken", False), ("empty", False)],
)
def test_evaluate_answer_forms(server: FakeOpenAI, model: str, passes: bool) -> None:
    outs = _evaluate(server, model, n=8, r=1)
    assert len(outs) == 8
    for o in outs:
        assert o["metrics"]["passed"] == float(passes), (model, o["info"], o["metrics"])
        if passes:
            assert o["reward"] == pytest.approx(1.0)
        else:
            assert o["reward"] <= 0.1 + 1e-9
    if model == "empty":
        assert all(o["reward"] == 0.0 and o["metrics"]["syntax"] == 0.0 for o in outs)


def test_diff_answers_repair_tasks(server: FakeOpenAI) -> None:
    outs = _evaluate(server, "diff", n=-1, r=1, families=["repair"], answer_form="diff")
    assert outs and all(o["metrics"]["passed"] == 1.0 for o in outs), [
        (o["info"]["task_id"], o["metrics"]) for o in outs if o["metrics"]["passed"] != 1.0
    ]
    sent = next(r for r in server.requests if r["model"] == "diff")
    assert "unified diff" in sent["messages"][0]["content"]


def test_hostile_completions_score_zero_without_harm(server: FakeOpenAI) -> None:
    outs = _evaluate(server, "hostile", n=2, r=3)
    assert len(outs) == 6
    assert all(o["metrics"]["passed"] == 0.0 and o["metrics"]["task_completion"] == 0.0 for o in outs)
    assert not Path("/tmp/vf_luanti_pwned").exists()


def test_system_prompt_reaches_the_model(server: FakeOpenAI) -> None:
    _evaluate(server, "gold", n=1, r=1)
    sent = [r for r in server.requests if r["model"] == "gold"][-1]
    system, user = sent["messages"][0], sent["messages"][-1]
    assert (
        system["role"] == "system" and "Luanti 5.6.1" in system["content"] and "```lua" in system["content"]
    )
    assert user["role"] == "user" and "The mod is named" in user["content"]


@pytest.mark.slow
def test_vf_eval_cli_and_report(server: FakeOpenAI, tmp_path: Path) -> None:
    env = {**os.environ, "FAKE_KEY": "x"}
    runs = {}
    for model in ("gold", "broken"):
        out = tmp_path / model
        cmd = [
            "vf-eval", "vf-luanti", "-m", model, "-b", server.base_url, "-k", "FAKE_KEY",
            "-n", "6", "-r", "3", "-s", "-C", "luanti", "-o", str(out),
            "-a", json.dumps({"limits": FAST_LIMITS}),
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        results = list(out.rglob("results.jsonl"))
        assert len(results) == 1
        rows = [json.loads(x) for x in results[0].read_text().splitlines()]
        assert len(rows) == 18
        meta = json.loads((results[0].parent / "metadata.json").read_text())
        assert meta["env_id"] == "vf-luanti" and meta["rollouts_per_example"] == 3
        runs[model] = results[0].parent
    assert all(
        json.loads(x)["passed"] == 1.0 for x in (runs["gold"] / "results.jsonl").read_text().splitlines()
    )

    from vf_luanti.cli import main

    rc = main(["report", str(runs["gold"]), "--baseline", str(runs["broken"]), "-o", str(tmp_path / "rep")])
    assert rc == 0  # +100 points clears the +15 target
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert data["runs"][0]["pass_at_k"]["3"]["value"] == 1.0
    assert data["baseline"]["pass_at_k"]["1"]["value"] == 0.0
    assert data["gate"]["delta_points"] == pytest.approx(100.0)
    broken_task = data["baseline"]["tasks"][0]
    assert broken_task["c"] == 0 and broken_task["feedback"]  # -C luanti recorded why it failed
    rc = main(["report", str(runs["broken"]), "--baseline", str(runs["gold"]), "-o", str(tmp_path / "rep2")])
    assert rc == 1


@pytest.mark.slow
def test_hub_wheel_installs_in_a_clean_venv_and_runs_vf_eval(server: FakeOpenAI, tmp_path: Path) -> None:
    """The Environments Hub package builds, installs alone (dependencies from the index) and serves
    ``vf-eval vf-luanti`` with its bundled tasks and rubrics."""
    hub = Path(__file__).parent.parent / "environments" / "vf-luanti"
    dist = tmp_path / "dist"
    build = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        str(dist),
        str(hub),
    ]
    subprocess.run(build, check=True, capture_output=True, timeout=300)
    [wheel] = dist.glob("vf_luanti-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # The classic line: pip alone would take verifiers 0.4.x, which has no classic vf-eval
    # (tests/test_verifiers04_install.py covers that line).
    pip = subprocess.run(
        [venv / "bin" / "pip", "install", "-q", str(wheel), "verifiers>=0.3.1,<0.4"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if pip.returncode != 0:
        pytest.skip(f"the package index is unreachable: {pip.stderr[-500:]}")
    out = tmp_path / "out"
    cmd = [
        venv / "bin" / "vf-eval", "vf-luanti", "-m", "gold", "-b", server.base_url, "-k", "FAKE_KEY",
        "-n", "4", "-r", "2", "-s", "-o", str(out),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={**os.environ, "FAKE_KEY": "x"})  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    [results] = out.rglob("results.jsonl")
    rows = [json.loads(x) for x in results.read_text().splitlines()]
    assert len(rows) == 8 and all(r["passed"] == 1.0 for r in rows)
