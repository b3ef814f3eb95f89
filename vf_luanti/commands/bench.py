"""``vf-luanti bench``: run the whole benchmark offline with the built-in models and self-check it.

No model server and no network: ``reference`` answers every task with its gold solution and
``broken`` with corrupted gold code (vf_luanti/models.py), through the real verifiers client and
environment, so the results are vf-eval's files (``OUT/<model>/results.jsonl`` + ``metadata.json``)
and a report (``OUT/report/``). Exit 0 when the harness tells them apart on every task (reference
passes every sample, broken none), 1 when some task does not, 2 on bad arguments.

    vf-luanti bench                      # both models, eval split, 3 samples per task
    vf-luanti bench --model reference -r 1 --families repair
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

#: What each built-in model must achieve on every task: all samples pass / none pass.
EXPECTED = {"reference": True, "broken": False}


def run(args: argparse.Namespace) -> int:
    from ..environment import EnvArgumentError, load_environment
    from ..eval_report import ReportError, write_report
    from ..models import ChatResponder, builtin_client
    from ..sweep import classic_api_missing

    missing = classic_api_missing()
    if missing:
        print(f"vf-luanti bench: {missing}", file=sys.stderr)
        return 2
    out = Path(args.out)
    try:
        env = load_environment(
            split=args.split,
            families=args.families,
            num_examples=args.num_examples,
            answer_form=args.answer_form,
            backend=args.backend,
            seed=args.seed,
            workers=args.workers,
        )
    except (EnvArgumentError, ImportError) as exc:
        print(f"vf-luanti bench: {exc}", file=sys.stderr)
        return 2
    from ..environment import select_tasks

    responder = ChatResponder(select_tasks(args.split, args.families, args.num_examples, seed=args.seed))
    models = args.model or list(EXPECTED)
    bad: list[str] = []
    for model in models:
        folder = out / model
        for stale in ("results.jsonl", "metadata.json"):  # verifiers would append to an old run
            (folder / stale).unlink(missing_ok=True)
        res = env.evaluate_sync(
            client=builtin_client(responder),
            model=model,
            num_examples=-1,
            rollouts_per_example=args.rollouts,
            max_concurrent=args.max_concurrent,
            save_results=True,
            results_path=folder,
            state_columns=["luanti"],
        )
        by_task: dict[str, list[bool]] = {}
        for o in res["outputs"]:
            by_task.setdefault(o["info"]["task_id"], []).append(o["metrics"].get("passed", 0.0) >= 0.5)
        want = EXPECTED[model]
        wrong = sorted(t for t, ps in by_task.items() if any(p != want for p in ps))
        bad += [f"{model}: {t} {'failed' if want else 'passed'}" for t in wrong]
        print(
            f"{model}: {len(by_task) - len(wrong)}/{len(by_task)} tasks as expected "
            f"({'all samples pass' if want else 'no sample passes'}); results in {folder}"
        )
    try:
        write_report([out / m for m in models], out / "report")
    except ReportError as exc:
        print(f"vf-luanti bench: report: {exc}", file=sys.stderr)
        return 2
    (out / "selfcheck.json").write_text(json.dumps({"ok": not bad, "unexpected": bad}, indent=2) + "\n")
    for line in bad:
        print("UNEXPECTED " + line)
    print(f"report: {out / 'report' / 'report.html'}")
    return 1 if bad else 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="run the benchmark offline with the built-in reference/broken models")
    p.add_argument(
        "--model",
        action="append",
        choices=sorted(EXPECTED),
        help="built-in model (repeatable; default: reference and broken)",
    )
    p.add_argument("--split", default="eval", help="eval, scenarios or train (default eval)")
    p.add_argument("--families", nargs="+", help="only these families")
    p.add_argument("-n", "--num-examples", type=int, default=-1, help="tasks (-1: all)")
    p.add_argument("-r", "--rollouts", type=int, default=3, help="samples per task (default 3)")
    p.add_argument("--answer-form", default="lua", choices=["lua", "diff"])
    p.add_argument("--backend", default="emulator", choices=["emulator", "engine"])
    p.add_argument("--seed", type=int, default=0, help="train-split generator seed")
    p.add_argument("--workers", type=int, help="sandbox worker processes (default: CPU count)")
    p.add_argument("-c", "--max-concurrent", type=int, default=32)
    p.add_argument("-o", "--out", default="runs/bench", help="output folder (default runs/bench)")
    p.set_defaults(func=run, model=None)
