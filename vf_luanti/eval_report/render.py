"""Writing an evaluation report: ``report.md``, a self-contained ``report.html`` (inline SVG charts,
no scripts; a small Markdown-to-HTML renderer for the report's own Markdown) and ``report.json``
with every number shown."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .runs import ReportError, Run, find_runs
from .stats import TARGET_POINTS, Estimate, Summary, compare, pass_at_k, summarize


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
    if any(s.n_errors for s in shown):
        lines += [
            "Infrastructure errors (the model request failed: HTTP error, time-out, no choices) are "
            "not model failures: they are counted apart and left out of every other figure.",
            "",
        ]
    lines.append(
        "| run | tasks | rollouts | infrastructure errors | "
        + " | ".join(f"pass@{k}" for k in ks)
        + " | mean reward |"
    )
    lines.append("|---|---:|---:|---:|" + "---:|" * len(ks) + "---:|")
    for s in shown:
        label = s.name + (" (baseline)" if s is baseline else "")
        cells = " | ".join(_est(s.pass_at_k[k]) for k in ks)
        errs = f"{s.n_errors} ({_pct(s.error_rate)}%)" if s.n_errors else "0"
        lines.append(
            f"| {_md_escape(label)} | {s.n_tasks} | {s.n_rollouts} | {errs} | {cells} | "
            f"{s.mean_reward.value:.3f} |"
        )
    if gate and gate.get("refused"):
        lines += ["", f"**Gate refused**: {_md_escape(gate['refused'])}."]
    elif gate:
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
        if s.errors:
            lines += [
                "",
                f"**Infrastructure errors: {s.n_errors} of {s.n_rollouts} rollouts** "
                f"({_pct(s.error_rate)}%), not counted as model failures: "
                + ", ".join(f"{k} x{v}" for k, v in s.errors.items()),
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
            counts = f"{t.c}/{t.n}" + (f" (+{t.errors} errors)" if t.errors else "")
            at_k = _pct(pass_at_k(t.n, t.c, k)) if t.n >= k else "-"
            lines.append(f"| {t.task_id} | {t.family} | {counts} | {at_k} | {t.mean_reward:.3f} | {fb} |")
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
    if gate and gate.get("refused"):
        verdict = f'<p class="fail"><b>Gate refused</b>: {html.escape(gate["refused"])}</p>'
    elif gate:
        cls = "pass" if gate["passed"] else "fail"
        verdict = (
            f'<p class="{cls}"><b>Gate {"PASS" if gate["passed"] else "FAIL"}</b>: '
            f"{gate['delta_points']:+.1f} points at pass@{gate['k']} "
            f"(target {gate['target_points']:+.1f})</p>"
        )
    # The title (the Markdown's first block, "# ...") comes first, then the verdict and the charts.
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>vf-luanti report</title>'
        f"<style>{style}</style></head><body>\n{body[0]}\n{verdict}\n"
        + "\n".join(charts)
        + "\n"
        + "\n".join(body[1:])
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


def label_runs(runs: Sequence[Run]) -> None:
    """Give runs of the same model distinct names: ``model [run PATH]`` with the shortest tail of
    their folders that tells them apart (vf-eval's run id, e.g. ``model [run 3f2a9c1d]``).

    Otherwise two runs of one model are two rows with the same name and no way to tell which is which.
    """
    by_name: dict[str, list[Run]] = {}
    for r in runs:
        by_name.setdefault(r.name, []).append(r)
    for name, same in by_name.items():
        if len(same) < 2:
            continue
        parts = [Path(r.source).resolve().parts for r in same]
        depth = 1
        while depth < max(map(len, parts)) and len({p[-depth:] for p in parts}) < len(parts):
            depth += 1
        tails = ["/".join(p[-depth:]) for p in parts]
        if len(set(tails)) < len(tails):  # the same folder given twice
            tails = [f"{i}: {t}" for i, t in enumerate(tails, 1)]
        for r, tail in zip(same, tails, strict=True):
            r.name = f"{name} [run {tail}]"


def write_report(
    results: Sequence[str | Path],
    out_dir: str | Path,
    baseline: str | Path | None = None,
    target_points: float = TARGET_POINTS,
    seed: int = 0,
) -> dict[str, Any]:
    """Read runs, write report.md / report.html / report.json into ``out_dir``; returns report.json."""
    runs = [r for p in results for r in find_runs(p)]
    base_run = None
    if baseline is not None:
        base_runs = find_runs(baseline)
        if len(base_runs) != 1:
            raise ReportError(f"--baseline {baseline}: expected one run, found {len(base_runs)}")
        base_run = base_runs[0]
    label_runs([*runs, *([base_run] if base_run else [])])
    summaries = [summarize(r, seed) for r in runs]
    base = summarize(base_run, seed) if base_run is not None else None
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
