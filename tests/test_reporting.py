"""pass@k estimator, bootstrap intervals, result readers and the rendered report."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vf_luanti.eval_report import (
    ReportError,
    Rollout,
    Run,
    bootstrap_ci,
    compare,
    find_runs,
    pass_at_k,
    summarize,
    write_report,
)


@given(st.integers(1, 9).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_pass_at_k_is_the_probability_that_a_k_subset_has_a_pass(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(samples, k))
    exact = sum(any(s) for s in subsets) / len(subsets)
    assert pass_at_k(n, c, k) == pytest.approx(exact)


def test_pass_at_k_rejects_k_above_n() -> None:
    with pytest.raises(ValueError, match="k <= n"):
        pass_at_k(3, 1, 5)


def test_bootstrap_interval_brackets_the_mean() -> None:
    values = [0.0] * 30 + [1.0] * 10
    lo, hi = bootstrap_ci(values)
    assert 0.1 <= lo < 0.25 < hi <= 0.4  # normal approximation: 0.25 +- 0.134
    assert bootstrap_ci([0.5]) == (0.5, 0.5)


def _run(name: str, outcomes: dict[str, list[bool]]) -> Run:
    rollouts = [
        Rollout(task_id=t, family=t.split("-")[0], reward=float(p), passed=p, metrics={"passed": float(p)})
        for t, ps in outcomes.items()
        for p in ps
    ]
    return Run(name=name, source=name, rollouts=rollouts)


def test_summary_reports_only_unbiased_k_and_per_family() -> None:
    s = summarize(_run("m", {"a-1": [True, False, False], "a-2": [False] * 3, "b-1": [True] * 3}))
    assert s.ks == [1, 2, 3]
    assert s.pass_at_k[1].value == pytest.approx((1 / 3 + 0 + 1) / 3)
    assert s.per_family["a"]["pass_at_k"][3].value == pytest.approx(0.5)
    short = summarize(_run("m", {"a-1": [True] * 5, "a-2": [True] * 2}))
    assert short.ks == [1, 2]


def test_gate_delta_in_points() -> None:
    base = summarize(_run("base", {"a-1": [False] * 2, "a-2": [True, False]}))
    cand = summarize(_run("cand", {"a-1": [True, False], "a-2": [True] * 2}))
    g = compare(cand, base, target_points=15)
    assert g["k"] == 2 and g["delta_points"] == pytest.approx(50.0) and g["passed"]
    assert not compare(base, cand)["passed"]


def _classic_folder(path: Path, model: str, passed: list[int]) -> Path:
    path.mkdir(parents=True)
    rows = [
        {"example_id": i // 2, "info": {"task_id": f"repair-{i // 2}", "family": "repair"},
         "reward": float(p), "metrics": {"passed": float(p), "syntax": 1.0},
         "luanti": {"passed": bool(p), "feedback": [] if p else ["1/2 checks passed", "x -- y"],
                    "failure": None}}
        for i, p in enumerate(passed)
    ]  # fmt: skip
    (path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (path / "metadata.json").write_text(json.dumps({"model": model, "env_id": "vf-luanti"}))
    return path


def test_reads_classic_and_v1_results_and_writes_the_report(tmp_path: Path) -> None:
    _classic_folder(tmp_path / "evals" / "vf-luanti--base" / "abc", "base", [0, 0, 1, 0])
    cand = _classic_folder(tmp_path / "cand", "cand", [1, 1, 1, 0])
    v1 = tmp_path / "v1"
    v1.mkdir()
    episode = {
        "traces": [
            {"task": {"data": {"task_id": "doc-x", "family": "doc"}},
             "rewards": {"luanti_reward": {"score": 1.0, "weight": 1.0}}, "metrics": {"passed": 1.0},
             "info": {"luanti": {"feedback": [], "failure": None}}}
        ]
    }  # fmt: skip
    (v1 / "traces.jsonl").write_text(json.dumps(episode) + "\n")
    [base_run] = find_runs(tmp_path / "evals")
    assert base_run.name == "base" and len(base_run.rollouts) == 4
    assert find_runs(v1)[0].rollouts[0].reward == 1.0
    data = write_report([v1, cand], tmp_path / "out", baseline=tmp_path / "evals")
    assert data["gate"]["delta_points"] == pytest.approx(50.0) and data["gate"]["passed"]
    md = (tmp_path / "out" / "report.md").read_text()
    assert "| repair-1 | repair | 1/2 |" in md and "x -- y" in md
    page = (tmp_path / "out" / "report.html").read_text()
    assert (
        page.count("<svg") == 2 and "<script" not in page and "http" not in page.split("</style>")[1][:0] + ""
    )
    assert "Gate PASS" in page


def test_bad_results_are_reported_clearly(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no such file"):
        find_runs(tmp_path / "nope")
    (tmp_path / "results.jsonl").write_text("{not json\n")
    with pytest.raises(ReportError, match=r"results.jsonl:1: not JSON"):
        find_runs(tmp_path)
