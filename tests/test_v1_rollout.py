"""End to end through verifiers.v1 (bundled with verifiers 0.3.1): real rollouts of the v1 taskset.

The 0.3.1 ``eval`` CLI (the v1 eval, the same code as 0.4's ``vf-eval``) runs ``vf-luanti`` in a
subprocess against tests/fake_openai.py on 127.0.0.1, with the in-process chat harness of
tests/inproc_harness.py (the stock ``null`` harness would fetch uv and its packages from PyPI).
The gold run goes through the env-server worker pool, so the task data crosses the wire as JSON;
the broken run goes through the in-process runner (``--no-serve``). HOME points into tmp_path,
so the subprocess runtime's working directories land there.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("verifiers.v1")
pytest.importorskip("openai")

sys.path.insert(0, str(Path(__file__).parent))
from fake_openai import FakeOpenAI

from vf_luanti.rollouts import METRICS, STATE_KEY, select_tasks

TESTS = Path(__file__).parent
FAMILIES = ["scaffold", "repair"]
NUM_TASKS = 4
RUN_TIMEOUT_S = 600  # ~20 s on an idle machine; scoring workers start slowly on a loaded one


def _seed_with_both_families() -> int:
    """A shuffle seed whose first NUM_TASKS tasks hold a scaffold and a repair task."""
    for seed in range(100):
        picked = select_tasks("eval", FAMILIES, NUM_TASKS, shuffle=True, seed=seed)
        if {t.family for t in picked} == set(FAMILIES):
            return seed
    pytest.skip("no shuffle seed mixes scaffold and repair tasks")


def _processes_with(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker`` (the run's own TMPDIR)."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and d.name != str(os.getpid()):
            try:
                if marker.encode() in (d / "environ").read_bytes().split(b"\0"):
                    found.append(int(d.name))
            except OSError:
                continue
    return found


def _reap(pgid: int, marker: str, wait_s: float = 30.0) -> list[int]:
    """Wait up to ``wait_s`` for the run's processes to end, then SIGKILL what is left and name it:
    its process group, plus (found by ``marker``, its TMPDIR) the judge's sandbox workers, which
    run in sessions of their own. Only this run's processes are touched."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            os.killpg(pgid, 0)
            group = [pgid]
        except ProcessLookupError:
            group = []
        left = list(dict.fromkeys(group + _processes_with(marker)))
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            (os.killpg if pid in group else os.kill)(pid, signal.SIGKILL)
    return left


def _v1_eval(server: FakeOpenAI, tmp_path: Path, model: str, seed: int, *extra: str) -> list[dict]:
    """Run ``eval vf-luanti`` in its own process group; return the episodes of traces.jsonl."""
    eval_cli = shutil.which("eval") or pytest.skip("the verifiers 0.3.1 `eval` CLI is not installed")
    home, tmp, out = tmp_path / "home", tmp_path / "t", tmp_path / f"out-{model}"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    pythonpath = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp), "PYTHONPATH": pythonpath, "FAKE_KEY": "x"}
    cmd = [
        eval_cli, "vf-luanti", "-m", model,
        "--client.base-url", server.base_url, "--client.api-key-var", "FAKE_KEY",
        "--env.agent.harness.id", "inproc-harness", "--env.agent.runtime.type", "subprocess",
        "--env.taskset.families", json.dumps(FAMILIES), "--env.taskset.num-examples", str(NUM_TASKS),
        "--env.taskset.shuffle", "true", "--env.taskset.seed", str(seed), "--env.taskset.workers", "1",
        "--no-push", "--no-rich", "-o", str(out), *extra,
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
        start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        left = _reap(proc.pid, f"TMPDIR={tmp}")
    assert proc.returncode == 0, stdout[-2000:] + stderr[-3000:]
    assert not left, f"`eval` left processes behind: {left}"
    [traces] = out.glob("*/traces.jsonl")
    return [json.loads(line) for line in traces.read_text().splitlines()]


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI() as srv:
        yield srv


@pytest.mark.slow
def test_v1_eval_scores_gold_and_broken_rollouts(server: FakeOpenAI, tmp_path: Path) -> None:
    seed = _seed_with_both_families()
    expected = {t.id: t.family for t in select_tasks("eval", FAMILIES, NUM_TASKS, shuffle=True, seed=seed)}

    runs = {
        "gold": _v1_eval(server, tmp_path, "gold", seed),
        "broken": _v1_eval(server, tmp_path, "broken", seed, "--no-serve"),
    }
    for model, episodes in runs.items():
        assert len(episodes) == NUM_TASKS, model
        assert {e["task"]["data"]["task_id"]: e["task"]["data"]["family"] for e in episodes} == expected
        for e in episodes:
            assert e["ok"] and not e["errors"], (model, e["errors"])
            [trace] = e["traces"]
            assert trace["stop_condition"] == "agent_completed" and not trace["errors"]
            assert [c["model"] for c in trace["calls"]] == [model]  # one call through the interception
            assert set(trace["metrics"]) == set(METRICS)  # syntax, api_usage, ..., passed
            assert set(trace["rewards"]) == {"luanti_reward"}
            reward = sum(r["score"] * r["weight"] for r in trace["rewards"].values())
            judged = trace["info"][STATE_KEY]  # the judgement, with its feedback, rides in the trace
            assert judged["reward"] == pytest.approx(reward)
            if model == "gold":
                assert reward == pytest.approx(1.0) and trace["metrics"] == dict.fromkeys(METRICS, 1.0)
            else:
                assert reward < 1.0 and trace["metrics"]["passed"] == 0.0 and judged["feedback"], judged

    # The fake model saw the system prompt and the task prompt the taskset built.
    sent = [r for r in server.requests if r["model"] == "gold"]
    assert len(sent) == NUM_TASKS
    assert all(r["messages"][0]["role"] == "system" and "Luanti" in r["messages"][0]["content"] for r in sent)
    assert all(r["messages"][-1]["role"] == "user" for r in sent)
    # HOME side effects (the subprocess runtime's working dirs) stayed under tmp_path and were emptied.
    workdirs = tmp_path / "home" / ".cache" / "verifiers" / "runtimes" / "subprocess"
    assert not workdirs.exists() or not any(workdirs.iterdir())
