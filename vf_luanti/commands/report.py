"""``vf-luanti report RESULTS... [--baseline RESULTS] [-o OUTDIR]``: pass@k reports over eval results.

RESULTS are vf-eval folders (results.jsonl + metadata.json), v1 traces.jsonl files or folders
holding either at any depth, or ``vf-luanti bench`` output. With ``--baseline`` the last run is
gated against it: exit 0 when it gains at least ``--target`` points of pass@k, else 1; exit 2
when a compared run has more than 1% infrastructure errors (failed model requests), or when an
input cannot be read (one line names the file and what was expected; no report is written).
"""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from ..eval_report import ReportError, write_report

    try:
        data = write_report(args.results, args.out, baseline=args.baseline, target_points=args.target)
    except ReportError as exc:
        print(f"vf-luanti report: {exc}", file=sys.stderr)
        return 2
    for r in [*data["runs"], *([data["baseline"]] if data["baseline"] else [])]:
        cells = ", ".join(f"pass@{k} {100 * e['value']:.1f}" for k, e in r["pass_at_k"].items())
        errors = (
            f" ({r['n_errors']} infrastructure errors, not counted: "
            + ", ".join(f"{k} x{v}" for k, v in r["errors"].items())
            + ")"
            if r["n_errors"]
            else ""
        )
        print(
            f"{r['name']}: {r['n_tasks']} tasks, {r['n_rollouts']} rollouts{errors}: {cells}; "
            f"mean reward {r['mean_reward']['value']:.3f}"
        )
    print(f"report: {args.out}/report.md, {args.out}/report.html")
    gate = data["gate"]
    if gate is None:
        return 0
    if gate["refused"]:
        print(f"vf-luanti report: gate refused: {gate['refused']}", file=sys.stderr)
        return 2
    verdict = "PASS" if gate["passed"] else "FAIL"
    print(
        f"gate {verdict}: pass@{gate['k']} {gate['delta_points']:+.1f} points vs baseline "
        f"(target {gate['target_points']:+.1f})"
    )
    return 0 if gate["passed"] else 1


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..eval_report import TARGET_POINTS

    p = sub.add_parser("report", help="pass@k report (Markdown + HTML) over vf-eval / bench results")
    p.add_argument("results", nargs="+", help="results folders or files (searched recursively)")
    p.add_argument("--baseline", help="a results folder to gate the last run against")
    p.add_argument("-o", "--out", default="report", help="output folder (default: ./report)")
    p.add_argument(
        "--target",
        type=float,
        default=TARGET_POINTS,
        help=f"points of pass@k the run must gain over --baseline (default {TARGET_POINTS:g})",
    )
    p.set_defaults(func=run)
