"""Reports over evaluation results: pass@k with bootstrap intervals, per family and per task.

Reads what the evaluators write: verifiers 0.3.x ``vf-eval -s`` folders (``results.jsonl`` +
``metadata.json``), verifiers 0.4.x / v1 ``traces.jsonl``, and ``vf-luanti bench`` output (the
classic format). A rollout passes when the environment's ``passed`` metric is 1 (every check of
its task passed); reward and the criterion metrics are averaged as recorded.

pass@k is the unbiased estimator of Chen et al. (2021), computed per task from its n samples and
c passes and averaged over tasks; it is reported only for k <= the smallest n of any task (there
is no unbiased estimate with fewer samples than k). Confidence intervals resample tasks with
replacement (percentile bootstrap), which is where the uncertainty of a benchmark score lives.

Output: ``report.md``, a self-contained ``report.html`` (inline SVG charts, no scripts) and
``report.json`` with every number shown.
"""

from __future__ import annotations

import html
import json
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The gate's default requirement: the candidate's pass@k must beat the baseline's by this many points.
TARGET_POINTS = 15.0
#: The k values reported when the samples allow them.
STANDARD_K = (1, 2, 3, 5, 10, 20, 50, 100)
CRITERIA = ("syntax", "api_usage", "task_completion", "code_quality", "passed")
BOOTSTRAP_SAMPLES = 2000


class ReportError(ValueError):
    """Results that cannot be read or summarised; the message names the file."""


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one task with n samples of which c passed: 1 - C(n-c, k) / C(n, k)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


@dataclass
class Rollout:
    """One sample, normalised from any results format."""

    task_id: str
    family: str
    reward: float
    passed: bool
    metrics: dict[str, float] = field(default_factory=dict)
    feedback: list[str] | None = None  # None: not recorded (vf-eval without -C luanti)
    failure: str | None = None


@dataclass
class Run:
    """The rollouts of one model on one benchmark run."""

    name: str
    source: str
    rollouts: list[Rollout]
    meta: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading


def _info(row: dict[str, Any]) -> dict[str, Any]:
    info = row.get("info") or {}
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except json.JSONDecodeError:
            info = {}
    return info if isinstance(info, dict) else {}


def _classic_rollout(row: dict[str, Any]) -> Rollout:
    info = _info(row)
    metrics = {k: float(v) for k, v in (row.get("metrics") or {}).items() if isinstance(v, (int, float))}
    judged = row.get("luanti") if isinstance(row.get("luanti"), dict) else None
    reward = float(row.get("reward") or 0.0)
    if "passed" in metrics:
        passed = metrics["passed"] >= 0.5
    elif judged is not None:
        passed = bool(judged.get("passed"))
    else:
        passed = reward >= 1.0
    return Rollout(
        task_id=str(info.get("task_id", row.get("example_id"))),
        family=str(info.get("family", "")) or "?",
        reward=reward,
        passed=passed,
        metrics=metrics,
        feedback=list(judged.get("feedback") or []) if judged else None,
        failure=(judged or {}).get("failure")
        or ((row.get("error") or {}).get("error") if row.get("error") else None),
    )


def _trace_rollouts(episode: dict[str, Any]) -> list[Rollout]:
    out = []
    for trace in episode.get("traces") or []:
        data = ((trace.get("task") or {}).get("data")) or ((episode.get("task") or {}).get("data")) or {}
        rewards = trace.get("rewards") or {}
        reward = sum(
            float(r.get("score") or 0.0) * float(r.get("weight", 1.0))
            for r in rewards.values()
            if isinstance(r, dict)
        )
        metrics = {
            k: float(v) for k, v in (trace.get("metrics") or {}).items() if isinstance(v, (int, float))
        }
        judged = (trace.get("info") or {}).get("luanti")
        out.append(
            Rollout(
                task_id=str(data.get("task_id", data.get("name", data.get("idx")))),
                family=str(data.get("family", "")) or "?",
                reward=reward,
                passed=metrics.get("passed", 0.0) >= 0.5,
                metrics=metrics,
                feedback=list(judged.get("feedback") or []) if isinstance(judged, dict) else None,
                failure=(judged or {}).get("failure") if isinstance(judged, dict) else None,
            )
        )
    return out


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ReportError(f"{path}:{n}: not JSON: {exc.msg}") from None
    return rows


def read_run(path: str | Path) -> Run:
    """One results folder (or its results.jsonl / traces.jsonl file)."""
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    if p.is_dir():
        if (p / "results.jsonl").is_file():
            p = p / "results.jsonl"
        elif (p / "traces.jsonl").is_file():
            p = p / "traces.jsonl"
        else:
            raise ReportError(f"{folder}: no results.jsonl or traces.jsonl")
    meta: dict[str, Any] = {}
    if (folder / "metadata.json").is_file():
        try:
            meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ReportError(f"{folder / 'metadata.json'}: {exc}") from exc
    rows = _read_jsonl(p)
    if p.name == "traces.jsonl" or (rows and "traces" in rows[0]):
        rollouts = [r for ep in rows for r in _trace_rollouts(ep)]
        resolved = folder / "configs" / "resolved" / "eval.json"
        if not meta and resolved.is_file():
            meta = {"model": json.loads(resolved.read_text(encoding="utf-8")).get("model")}
    else:
        rollouts = [_classic_rollout(r) for r in rows]
    if not rollouts:
        raise ReportError(f"{p}: no rollouts")
    return Run(name=str(meta.get("model") or folder.name), source=str(folder), rollouts=rollouts, meta=meta)


def find_runs(path: str | Path) -> list[Run]:
    """Every results folder at or below ``path`` (vf-eval nests them as evals/<env>--<model>/<id>/)."""
    p = Path(path)
    if not p.exists():
        raise ReportError(f"{p}: no such file or folder")
    if p.is_file() or (p / "results.jsonl").is_file() or (p / "traces.jsonl").is_file():
        return [read_run(p)]
    found = sorted({f.parent for pat in ("results.jsonl", "traces.jsonl") for f in p.rglob(pat)})
    if not found:
        raise ReportError(f"{p}: no results.jsonl or traces.jsonl below it")
    return [read_run(f) for f in found]


# --------------------------------------------------------------------------- statistics


@dataclass
class TaskStats:
    task_id: str
    family: str
    n: int
    c: int
    mean_reward: float
    feedback: list[str] | None


def task_stats(rollouts: Iterable[Rollout]) -> list[TaskStats]:
    by_task: dict[str, list[Rollout]] = defaultdict(list)
    for r in rollouts:
        by_task[r.task_id].append(r)
    out = []
    for tid, rs in sorted(by_task.items()):
        failed = next((r for r in rs if not r.passed), None)
        fb = None
        if failed is not None:
            fb = failed.feedback if failed.feedback is not None else None
            if failed.failure and fb is not None:
                fb = [f"failure: {failed.failure}", *fb]
        out.append(
            TaskStats(tid, rs[0].family, len(rs), sum(r.passed for r in rs), _mean(r.reward for r in rs), fb)
        )
    return out


def _mean(xs: Iterable[float]) -> float:
    xs = list(xs)
    return sum(xs) / len(xs) if xs else 0.0


def report_ks(stats: Sequence[TaskStats]) -> list[int]:
    """The k values with an unbiased estimate: standard ones up to the smallest n, plus that n."""
    n_min = min(s.n for s in stats)
    return sorted({k for k in STANDARD_K if k <= n_min} | {n_min})


def bootstrap_ci(
    values: Sequence[float], samples: int = BOOTSTRAP_SAMPLES, seed: int = 0
) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean, resampling ``values`` (one per task)."""
    if len(values) < 2:
        v = values[0] if values else 0.0
        return v, v
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(samples))
    return means[int(0.025 * (samples - 1))], means[math.ceil(0.975 * (samples - 1))]


@dataclass
class Estimate:
    value: float
    lo: float
    hi: float

    def to_dict(self) -> dict[str, float]:
        return {"value": self.value, "ci_low": self.lo, "ci_high": self.hi}


def pass_at_k_table(stats: Sequence[TaskStats], ks: Sequence[int], seed: int = 0) -> dict[int, Estimate]:
    out = {}
    for k in ks:
        per_task = [pass_at_k(s.n, s.c, k) for s in stats]
        lo, hi = bootstrap_ci(per_task, seed=seed)
        out[k] = Estimate(_mean(per_task), lo, hi)
    return out


@dataclass
class Summary:
    """Every number a report shows for one run."""

    name: str
    source: str
    n_tasks: int
    n_rollouts: int
    ks: list[int]
    pass_at_k: dict[int, Estimate]
    per_family: dict[str, dict[str, Any]]
    mean_reward: Estimate
    criteria: dict[str, float]
    tasks: list[TaskStats]
    failures: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "n_tasks": self.n_tasks,
            "n_rollouts": self.n_rollouts,
            "pass_at_k": {str(k): e.to_dict() for k, e in self.pass_at_k.items()},
            "per_family": {
                f: {
                    "tasks": d["tasks"],
                    "pass_at_k": {str(k): e.to_dict() for k, e in d["pass_at_k"].items()},
                    "mean_reward": d["mean_reward"],
                }
                for f, d in self.per_family.items()
            },
            "mean_reward": self.mean_reward.to_dict(),
            "criteria": self.criteria,
            "failures": self.failures,
            "tasks": [
                {
                    "task_id": t.task_id,
                    "family": t.family,
                    "n": t.n,
                    "c": t.c,
                    "mean_reward": t.mean_reward,
                    "feedback": t.feedback,
                }
                for t in self.tasks
            ],
        }


def summarize(run: Run, seed: int = 0) -> Summary:
    stats = task_stats(run.rollouts)
    ks = report_ks(stats)
    families: dict[str, list[TaskStats]] = defaultdict(list)
    for s in stats:
        families[s.family].append(s)
    per_family = {
        fam: {
            "tasks": len(fs),
            "pass_at_k": pass_at_k_table(fs, ks, seed),
            "mean_reward": _mean(r.reward for r in run.rollouts if r.family == fam),
        }
        for fam, fs in sorted(families.items())
    }
    task_rewards = [s.mean_reward for s in stats]
    lo, hi = bootstrap_ci(task_rewards, seed=seed)
    criteria = {
        c: _mean(r.metrics[c] for r in run.rollouts if c in r.metrics)
        for c in CRITERIA
        if any(c in r.metrics for r in run.rollouts)
    }
    failures: dict[str, int] = defaultdict(int)
    for r in run.rollouts:
        if r.failure:
            failures[r.failure] += 1
    return Summary(
        name=run.name,
        source=run.source,
        n_tasks=len(stats),
        n_rollouts=len(run.rollouts),
        ks=ks,
        pass_at_k=pass_at_k_table(stats, ks, seed),
        per_family=per_family,
        mean_reward=Estimate(_mean(r.reward for r in run.rollouts), lo, hi),
        criteria=criteria,
        tasks=stats,
        failures=dict(failures),
    )


def compare(candidate: Summary, baseline: Summary, target_points: float = TARGET_POINTS) -> dict[str, Any]:
    """The gate: candidate pass@k minus baseline pass@k in points, at the largest k both support."""
    common = sorted(set(candidate.ks) & set(baseline.ks))
    if not common:
        raise ReportError("candidate and baseline share no k (check the rollouts per task)")
    k = common[-1]
    delta = 100.0 * (candidate.pass_at_k[k].value - baseline.pass_at_k[k].value)
    only_c = {t.task_id for t in candidate.tasks} - {t.task_id for t in baseline.tasks}
    only_b = {t.task_id for t in baseline.tasks} - {t.task_id for t in candidate.tasks}
    return {
        "k": k,
        "candidate": candidate.pass_at_k[k].value,
        "baseline": baseline.pass_at_k[k].value,
        "delta_points": delta,
        "target_points": target_points,
        "passed": delta >= target_points - 1e-9,
        "same_tasks": not only_c and not only_b,
        "per_family": {
            f: 100.0
            * (candidate.per_family[f]["pass_at_k"][k].value - baseline.per_family[f]["pass_at_k"][k].value)
            for f in candidate.per_family
            if f in baseline.per_family
        },
    }


# --------------------------------------------------------------------------- rendering


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _est(e: Estimate) -> str:
    return f"{_pct(e.value)} [{_pct(e.lo)}, {_pct(e.hi)}]"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _feedback_line(fb: list[str] | None, limit: int = 3) -> str:
    if fb is None:
        return "(not recorded: save the `luanti` state column, vf-eval -C luanti)"
    return "; ".join(fb[:limit])[:400]


def render_markdown(
    summaries: Sequence[Summary], gate: dict[str, Any] | None, baseline: Summary | None
) -> str:
    lines = ["# vf-luanti evaluation report", ""]
    shown = ([baseline] if baseline else []) + list(summaries)
    ks = sorted(set.intersection(*(set(s.ks) for s in shown)))
    lines += ["pass@k in percent with 95% bootstrap intervals over tasks (unbiased estimator, k <= n).", ""]
    lines.append("| run | tasks | rollouts | " + " | ".join(f"pass@{k}" for k in ks) + " | mean reward |")
    lines.append("|---|---:|---:|" + "---:|" * len(ks) + "---:|")
    for s in shown:
        label = s.name + (" (baseline)" if s is baseline else "")
        cells = " | ".join(_est(s.pass_at_k[k]) for k in ks)
        lines.append(
            f"| {_md_escape(label)} | {s.n_tasks} | {s.n_rollouts} | {cells} | {s.mean_reward.value:.3f} |"
        )
    if gate:
        verdict = "PASS" if gate["passed"] else "FAIL"
        lines += [
            "",
            f"**Gate ({verdict})**: pass@{gate['k']} {_pct(gate['candidate'])} vs baseline "
            f"{_pct(gate['baseline'])}: {gate['delta_points']:+.1f} points "
            f"(target {gate['target_points']:+.1f}).",
        ]
        if not gate["same_tasks"]:
            lines.append("Warning: candidate and baseline were run on different task sets.")
    for s in summaries:
        k = s.ks[-1]
        lines += ["", f"## {_md_escape(s.name)}", "", f"Source: `{s.source}`", ""]
        lines += ["| family | tasks | " + " | ".join(f"pass@{j}" for j in s.ks) + " | mean reward |"]
        lines.append("|---|---:|" + "---:|" * len(s.ks) + "---:|")
        for fam, d in s.per_family.items():
            cells = " | ".join(_est(d["pass_at_k"][j]) for j in s.ks)
            lines.append(f"| {fam} | {d['tasks']} | {cells} | {d['mean_reward']:.3f} |")
        if s.criteria:
            lines += [
                "",
                "Criterion means over rollouts: " + ", ".join(f"{c} {v:.3f}" for c, v in s.criteria.items()),
            ]
        if s.failures:
            lines += [
                "",
                "Scoring failures: " + ", ".join(f"{k} x{v}" for k, v in sorted(s.failures.items())),
            ]
        lines += ["", f"| task | family | passed/n | pass@{k} | mean reward | feedback of a failed sample |"]
        lines.append("|---|---|---:|---:|---:|---|")
        for t in s.tasks:
            fb = "" if t.c == t.n else _md_escape(_feedback_line(t.feedback))
            lines.append(
                f"| {t.task_id} | {t.family} | {t.c}/{t.n} | {_pct(pass_at_k(t.n, t.c, k))} | "
                f"{t.mean_reward:.3f} | {fb} |"
            )
    return "\n".join(lines) + "\n"


_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")


def svg_bars(title: str, groups: Sequence[str], series: Sequence[tuple[str, Sequence[Estimate]]]) -> str:
    """Grouped vertical bars (0..100 %) with CI whiskers; one group per label, one bar per series."""
    w, h, left, bottom, top = max(360, 90 * len(groups) + 80), 260, 44, 40, 30
    plot_w, plot_h = w - left - 10, h - bottom - top
    gw = plot_w / max(1, len(groups))
    bw = gw * 0.8 / max(1, len(series))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" '
        f'aria-label="{html.escape(title)}" font-family="sans-serif" font-size="11">',
        f'<text x="{w / 2}" y="16" text-anchor="middle" font-size="13">{html.escape(title)}</text>',
    ]
    for pct in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - pct / 100)
        out.append(f'<line x1="{left}" x2="{w - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{pct}</text>')
    for gi, g in enumerate(groups):
        x0 = left + gi * gw + gw * 0.1
        for si, (_, vals) in enumerate(series):
            e = vals[gi]
            x = x0 + si * bw
            y = top + plot_h * (1 - e.value)
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw * 0.9:.1f}" height="{top + plot_h - y:.1f}" '
                f'fill="{_COLORS[si % len(_COLORS)]}"><title>{html.escape(g)}: {_est(e)}</title></rect>'
            )
            cx = x + bw * 0.45
            ylo, yhi = top + plot_h * (1 - e.lo), top + plot_h * (1 - e.hi)
            out.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{ylo:.1f}" y2="{yhi:.1f}" stroke="#222"/>')
        out.append(
            f'<text x="{x0 + gw * 0.4:.1f}" y="{h - bottom + 14}" '
            f'text-anchor="middle">{html.escape(g)}</text>'
        )
    for si, (name, _) in enumerate(series):
        y = h - 12
        x = left + si * 160
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{_COLORS[si % len(_COLORS)]}"/>')
        out.append(f'<text x="{x + 14}" y="{y}">{html.escape(name[:24])}</text>')
    out.append("</svg>")
    return "\n".join(out)


def render_html(
    summaries: Sequence[Summary], gate: dict[str, Any] | None, baseline: Summary | None, markdown: str
) -> str:
    """A self-contained page: the charts as inline SVG, then the Markdown tables as HTML."""
    shown = ([baseline] if baseline else []) + list(summaries)
    k = sorted(set.intersection(*(set(s.ks) for s in shown)))[-1]
    families = sorted({f for s in shown for f in s.per_family})
    empty = Estimate(0.0, 0.0, 0.0)
    charts = [
        svg_bars(
            f"pass@{k} by family (%)",
            [*families, "all"],
            [
                (
                    s.name + (" (baseline)" if s is baseline else ""),
                    [
                        *(s.per_family[f]["pass_at_k"][k] if f in s.per_family else empty for f in families),
                        s.pass_at_k[k],
                    ],
                )
                for s in shown
            ],
        )
    ]
    ks = sorted(set.intersection(*(set(s.ks) for s in shown)))
    charts.append(
        svg_bars(
            "pass@k overall (%)",
            [f"k={j}" for j in ks],
            [
                (s.name + (" (baseline)" if s is baseline else ""), [s.pass_at_k[j] for j in ks])
                for s in shown
            ],
        )
    )
    body = [_md_table_html(block) for block in _split_blocks(markdown)]
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;"
        "font-size:13px;vertical-align:top}th{background:#f3f3f3}.pass{color:#1a7f37}.fail{color:#c0392b}"
    )
    verdict = ""
    if gate:
        cls = "pass" if gate["passed"] else "fail"
        verdict = (
            f'<p class="{cls}"><b>Gate {"PASS" if gate["passed"] else "FAIL"}</b>: '
            f"{gate['delta_points']:+.1f} points at pass@{gate['k']} "
            f"(target {gate['target_points']:+.1f})</p>"
        )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>vf-luanti report</title>'
        f"<style>{style}</style></head><body>\n{verdict}\n"
        + "\n".join(charts)
        + "\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _split_blocks(markdown: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in markdown.splitlines():
        if not line.strip():
            blocks.append([])
        else:
            blocks[-1].append(line)
    return [b for b in blocks if b]


def _inline(text: str) -> str:
    """Markdown inline marks used by the report (**bold**, `code`) as HTML, after escaping."""
    import re

    t = html.escape(text.replace("\\|", "|"))
    t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", t)


def _md_table_html(block: list[str]) -> str:
    if block[0].startswith("#"):
        level = len(block[0]) - len(block[0].lstrip("#"))
        return f"<h{level}>{_inline(block[0].lstrip('#').strip())}</h{level}>"
    if block[0].startswith("|") and len(block) > 1 and set(block[1]) <= set("|-: "):

        def cells(line: str) -> list[str]:
            import re

            return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]

        head = "".join(f"<th>{_inline(c)}</th>" for c in cells(block[0]))
        rows = "".join(
            "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in cells(r)) + "</tr>" for r in block[2:]
        )
        return f"<table><tr>{head}</tr>{rows}</table>"
    return "<p>" + "<br>".join(_inline(x) for x in block) + "</p>"


def write_report(
    results: Sequence[str | Path],
    out_dir: str | Path,
    baseline: str | Path | None = None,
    target_points: float = TARGET_POINTS,
    seed: int = 0,
) -> dict[str, Any]:
    """Read runs, write report.md / report.html / report.json into ``out_dir``; returns report.json."""
    runs = [r for p in results for r in find_runs(p)]
    summaries = [summarize(r, seed) for r in runs]
    base = None
    if baseline is not None:
        base_runs = find_runs(baseline)
        if len(base_runs) != 1:
            raise ReportError(f"--baseline {baseline}: expected one run, found {len(base_runs)}")
        base = summarize(base_runs[0], seed)
    gate = compare(summaries[-1], base, target_points) if base is not None else None
    md = render_markdown(summaries, gate, base)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(md, encoding="utf-8")
    (out / "report.html").write_text(render_html(summaries, gate, base, md), encoding="utf-8")
    data = {
        "runs": [s.to_dict() for s in summaries],
        "baseline": base.to_dict() if base else None,
        "gate": gate,
    }
    (out / "report.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return data
