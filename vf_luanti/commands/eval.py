"""``vf-luanti eval``: run the environment against served models, sweep checkpoints x LoRA scales, gate.

Examples::

    vf-luanti eval --base-url http://127.0.0.1:8000/v1 --model my-model
    vf-luanti eval --serve unsloth/gpt-oss-20b-unsloth-bnb-4bit --adapter runs/sft --scales 0.5,1 \\
                   --gate --baseline base

Errors are never results: the endpoint is probed (``GET /v1/models``, each model name served)
before anything is evaluated, so a dead or wrong server exits 2 with the reason and no result file.
Rollouts whose request failed later (HTTP errors, time-outs, empty choices) are counted and shown
as infrastructure errors, never as model failures; more than 1 % of them in any run exits 2 (and
the gate refuses to compare).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import asdict
from pathlib import Path


def _scales(text: str) -> list[float]:
    try:
        return [float(s) for s in text.split(",") if s.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--scales wants numbers like 0.5,1.0: {exc}") from exc


def _table(summaries: list, k: int) -> str:
    lines = [
        f"| model | pass@1 | pass@{k} | mean reward | tasks | infrastructure errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s.model} | {s.pass_at_k['1']:.3f} | {s.score:.3f} | {s.mean_reward:.3f} | {s.n_tasks} | "
        f"{s.n_errors}/{s.n_rollouts} |"
        for s in summaries
    ]
    return "\n".join(lines)


def _usage(message: str) -> int:
    print(f"vf-luanti eval: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from ..rollouts import EnvArgumentError, select_tasks
    from ..serve import ServeConfig, ServeError, probe_endpoint, start_server
    from ..sweep import (
        Candidate,
        EvalError,
        Protocol,
        classic_api_missing,
        evaluate_model,
        find_adapters,
        gate,
        load_summary,
        sweep_candidates,
        write_gate,
    )

    protocol = Protocol(
        k=args.k,
        temperature=args.temperature,
        top_p=args.top_p,
        max_tokens=args.max_tokens,
        seed=args.seed,
        split=args.split,
        num_examples=args.num_examples,
        max_concurrent=args.max_concurrent,
        task_ids=args.task,
    )
    out = Path(args.out)
    api_key = os.environ.get(args.api_key_var, "EMPTY")
    # Check the arguments before anything expensive (a vLLM start takes minutes).
    if not args.serve and not (args.base_url and args.model):
        return _usage("give --base-url and --model, or --serve BASE --adapter PATH")
    missing = classic_api_missing()
    if missing:
        return _usage(missing)
    try:  # the tasks, before a server starts
        select_tasks(protocol.split, num_examples=protocol.num_examples, task_ids=protocol.task_ids or None)
    except EnvArgumentError as exc:
        return _usage(str(exc))
    if args.gate and not args.baseline:
        return _usage("--gate needs --baseline ('base', a served model name, or a summary.json)")
    baseline_saved = bool(args.baseline) and Path(args.baseline).exists()
    if args.gate and args.baseline == "base" and not args.serve:
        return _usage("--baseline base means the --serve model; without --serve name the model")
    server = None
    try:
        if args.serve:
            candidates = sweep_candidates(find_adapters(args.adapter), args.scales, out)
            serve_cfg = ServeConfig(
                model=args.serve,
                loras=[(c.name, str(c.adapter)) for c in candidates],
                port=args.port,
                seed=protocol.seed,
                vllm=args.vllm,
                max_model_len=args.max_model_len,
            )
            print(f"starting vLLM for {args.serve} with {len(candidates)} adapter(s)...", file=sys.stderr)
            server = start_server(serve_cfg, timeout=args.serve_timeout, log_path=out / "serve.log")
            base_url = serve_cfg.base_url
        else:
            candidates = [Candidate(name=m) for m in args.model]
            base_url = args.base_url
        # Every served name this run asks for, checked before any request is scored or file written.
        wanted = [c.name for c in candidates]
        if args.gate and not baseline_saved:
            wanted.append(args.serve if args.baseline == "base" else args.baseline)
        try:
            probe_endpoint(base_url, wanted, api_key)
        except ServeError as exc:
            hint = "" if args.serve else "; start the server or fix --base-url/--model"
            raise EvalError(f"endpoint check failed: {exc}{hint}") from None
        baseline = None
        if args.gate:
            if baseline_saved:
                baseline = load_summary(args.baseline)
            else:
                name = args.serve if args.baseline == "base" else args.baseline
                baseline = evaluate_model(
                    base_url, Candidate(name=name), protocol, out, api_key, args.request_timeout
                )
        summaries = [
            evaluate_model(base_url, c, protocol, out, api_key, args.request_timeout) for c in candidates
        ]
    except (EvalError, ServeError) as exc:
        print(f"vf-luanti eval: {exc}", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            server.stop()

    import json

    (out / "sweep.json").write_text(
        json.dumps({"protocol": asdict(protocol), "results": [asdict(s) for s in summaries]}, indent=2) + "\n"
    )
    shown = ([baseline] if baseline else []) + summaries
    print(_table(shown, protocol.k))
    problems = [p for s in shown if (p := s.error_problem())]
    decision = None
    if baseline is not None and not problems:
        try:
            decision = gate(baseline, summaries, args.target)
        except EvalError as exc:  # e.g. a saved baseline evaluated with another k
            print(f"vf-luanti eval: {exc}", file=sys.stderr)
            return 2
    if decision is not None:
        print(decision["reason"])
        print(
            f"gate: {write_gate(decision, out)}"
            + (f"; promoted adapter: {out / 'promoted'}" if decision["promoted"] else "")
        )
    _report(out, summaries, decision, args)
    if problems:
        # The results stay on disk with the errors marked; no verdict is drawn from them.
        print(f"vf-luanti eval: {'gate refused: ' if args.gate else ''}{problems[0]}", file=sys.stderr)
        return 2
    return 0 if decision is None or decision["promoted"] else 1


def _report(out: Path, summaries: list, decision: dict | None, args: argparse.Namespace) -> None:
    """report.md/html/json over the results (vf_luanti.eval_report); its gate row is the winner's."""
    from ..eval_report import ReportError, write_report
    from ..sweep import dir_name

    order = sorted(summaries, key=lambda s: decision is not None and s.model == decision["winner"]["model"])
    baseline_dir = None
    if decision is not None:
        saved = Path(args.baseline)
        baseline_dir = (
            (saved if saved.is_dir() else saved.parent)
            if saved.exists()
            else (out / dir_name(decision["baseline"]["model"]))
        )
    try:
        write_report(
            [out / dir_name(s.model) for s in order],
            out / "report",
            baseline=baseline_dir,
            target_points=args.target,
        )
    except ReportError as exc:
        print(f"vf-luanti eval: no report: {exc}", file=sys.stderr)
        return
    print(f"report: {out / 'report' / 'report.html'}")


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..sweep import REQUEST_TIMEOUT, TARGET_POINTS, Protocol

    d = Protocol()
    p = sub.add_parser("eval", help="evaluate served models (or a checkpoint x LoRA-scale sweep) and gate")
    p.add_argument("--base-url", help="an OpenAI-compatible endpoint that already serves --model")
    p.add_argument("--model", action="append", default=[], help="served model name (repeatable)")
    p.add_argument("--serve", metavar="BASE", help="start vLLM for BASE with the --adapter checkpoints")
    p.add_argument(
        "--adapter",
        action="append",
        default=[],
        help="a LoRA adapter folder, or a training run folder (all its checkpoints); repeatable",
    )
    p.add_argument("--scales", type=_scales, default=[1.0], help="LoRA scales to sweep, e.g. 0.5,0.75,1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--vllm",
        help="the vllm executable, or the Python of a venv holding vLLM (its CPU build); default: "
        "$VF_LUANTI_VLLM, vLLM in this environment, then vllm beside this Python or on PATH",
    )
    p.add_argument("--max-model-len", type=int)
    p.add_argument("--serve-timeout", type=float, default=900.0)
    p.add_argument("-k", type=int, default=d.k, help=f"samples per task (default {d.k})")
    p.add_argument("--temperature", type=float, default=d.temperature)
    p.add_argument("--top-p", type=float, default=d.top_p)
    p.add_argument("--max-tokens", type=int, default=d.max_tokens)
    p.add_argument("--seed", type=int, default=d.seed, help="server seed (vllm --seed) when --serve")
    p.add_argument("--split", default=d.split)
    p.add_argument("--num-examples", type=int, default=d.num_examples, help="-1: every task of the split")
    p.add_argument("--task", action="append", default=[], help="only this task id (repeatable)")
    p.add_argument("--max-concurrent", type=int, default=d.max_concurrent)
    p.add_argument("--api-key-var", default="VLLM_API_KEY", help="environment variable holding the API key")
    p.add_argument(
        "--request-timeout",
        type=float,
        default=REQUEST_TIMEOUT,
        help="seconds a model request may take; past it, an infrastructure error "
        f"(default {REQUEST_TIMEOUT:g})",
    )
    p.add_argument("--out", default="runs/eval", help="results folder")
    p.add_argument(
        "--gate", action="store_true", help="compare the best candidate with --baseline and promote"
    )
    p.add_argument("--baseline", help="'base' (the --serve model), a served model name, or a summary.json")
    p.add_argument(
        "--target", type=float, default=TARGET_POINTS, help="points of pass@k the winner must gain"
    )
    p.set_defaults(func=run)
