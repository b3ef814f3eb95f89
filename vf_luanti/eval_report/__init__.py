"""The evaluation report (``vf-luanti report``): pass@k with bootstrap intervals, per family and per
task, over the results the evaluators write; the gate against a baseline. Not to be confused with
the load report of ``vf-luanti check`` (vf_luanti/load_report.py).

``runs`` reads results, ``stats`` computes every number, ``render`` writes Markdown, HTML and JSON.
"""

from .render import render_html, render_markdown, write_report
from .runs import ReportError, Rollout, Run, find_runs, read_run
from .stats import (
    CRITERIA,
    MAX_ERROR_RATE,
    STANDARD_K,
    TARGET_POINTS,
    Estimate,
    Summary,
    TaskStats,
    bootstrap_ci,
    compare,
    error_refusal,
    pass_at_k,
    pass_at_k_table,
    summarize,
    task_stats,
)

__all__ = [
    "CRITERIA",
    "MAX_ERROR_RATE",
    "STANDARD_K",
    "TARGET_POINTS",
    "Estimate",
    "ReportError",
    "Rollout",
    "Run",
    "Summary",
    "TaskStats",
    "bootstrap_ci",
    "compare",
    "error_refusal",
    "find_runs",
    "pass_at_k",
    "pass_at_k_table",
    "read_run",
    "render_html",
    "render_markdown",
    "summarize",
    "task_stats",
    "write_report",
]
