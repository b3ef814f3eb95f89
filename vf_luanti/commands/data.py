"""``vf-luanti data validate|generate``: check the benchmark data, and materialise the SFT file.

``validate`` (docs/data.md describes every figure):

1. schema: every item of data/eval and data/scenarios loads (all errors are listed, not just the first);
2. every reference scores reward 1.0 (it loads cleanly and passes all its checks);
3. every repair input fails its checks; every refactor input passes its ``preserve`` checks;
4. mutation score: automatic mutants of each reference (vf_luanti.mutation) must fail; the kill rate is
   reported per item and per family, and items under 90 % are listed;
5. adversarial answers (vf_luanti.adversarial: echo the input, an empty mod, the hollowed gold, the
   gold plus a server crash at start-up / in a step / late, a warning flood, forged engine
   provenance): none may pass; reported per class with the mean reward of the do-nothing classes,
   which must stay under the targets of docs/rubrics.md;
6. decontamination against a generated train sample, and template clones among the items
   (vf_luanti.decontam);
7. hidden cases: no item may test only the values its instruction quotes (vf_luanti.hidden).

All scoring goes through ``scoring.score_many`` (the sandbox worker pool, both cores).
Exit status: 0 when everything holds, 1 when something does not, 2 for unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..tasks import Task


def _load_all(splits: list[str]) -> tuple[list[Task], list[str]]:
    from ..tasks import DATA_DIR, read_jsonl

    tasks: list[Task] = []
    errors: list[str] = []
    for split in splits:
        for path in sorted((DATA_DIR / split).glob("*.jsonl")):
            tasks.extend(read_jsonl(path, errors))
    seen: dict[str, str | None] = {}
    for t in tasks:
        if t.id in seen:
            errors.append(f"duplicate id {t.id!r}: {seen[t.id]} and {t.source}")
        seen[t.id] = t.source
    return tasks, errors


def validate(tasks: list[Task], mutants: int, seed: int, progress: bool = False) -> dict[str, Any]:
    """Score references, inputs, mutants and adversarial answers of ``tasks``; the per-item,
    per-family and per-attack-class figures."""
    from ..adversarial import CLASSES, REWARD_TARGETS, attacks
    from ..mutation import KILL_TARGET
    from ..mutation import mutants as make_mutants
    from ..scoring import score_many
    from ..syntax import syntax_error

    jobs: list[tuple[Task, str]] = []
    index: list[tuple[str, str, Any]] = []  # (task id, role, the Mutant, the attack class or None)
    for t in tasks:
        jobs.append((t, t.reference))
        index.append((t.id, "reference", None))
        if t.family in ("repair", "refactor"):
            jobs.append((t, t.input))
            index.append((t.id, "input", None))
        for m in make_mutants(t.reference, seed=seed, limit=mutants) if mutants else []:
            if syntax_error(m.code) is None:  # a mutant that does not compile says nothing about the checks
                jobs.append((t, m.code))
                index.append((t.id, "mutant", m))
        for attack in attacks(t):
            jobs.append((t, attack.completion))
            index.append((t.id, "attack", attack.cls))
    t0 = time.monotonic()
    if progress:
        print(f"scoring {len(jobs)} completions ({len(tasks)} items) ...", file=sys.stderr)
    scores = score_many(jobs)
    elapsed = time.monotonic() - t0
    items: dict[str, dict[str, Any]] = {
        t.id: {"id": t.id, "family": t.family, "problems": [], "mutants": 0, "killed": 0, "survivors": []}
        for t in tasks
    }
    adversarial: dict[str, dict[str, Any]] = {
        c: {"answers": 0, "passed": [], "reward_sum": 0.0, "target": REWARD_TARGETS.get(c)} for c in CLASSES
    }
    for (tid, role, m), s in zip(index, scores, strict=True):
        it = items[tid]
        fam = it["family"]
        if role == "attack":
            stats = adversarial[m]
            stats["answers"] += 1
            stats["reward_sum"] += s.reward
            if s.passed:
                stats["passed"].append(tid)
                it["problems"].append(f"the adversarial answer '{m}' passes (vf_luanti/adversarial.py)")
        elif role == "reference":
            it["reference_reward"] = s.reward
            if not (s.passed and s.reward >= 0.999):
                it["problems"].append("reference does not score 1.0: " + "; ".join(s.feedback[:4]))
        elif role == "input" and fam == "repair":
            it["input_passes"] = s.passed
            if s.passed:
                it["problems"].append("the broken input passes every check (the checks miss the bug)")
        elif role == "input":
            bad = [c for c in s.checks if c["kind"] == "preserve" and not c["passed"]]
            if bad or not s.checks:
                why = bad[0]["feedback"] if bad else "; ".join(s.feedback[:2])
                it["problems"].append(f"the refactor input fails its preserve check: {why}")
            if s.passed:
                it["problems"].append("the unchanged input passes every check (the change is unchecked)")
        else:
            it["mutants"] += 1
            if s.passed:
                it["survivors"].append(f"{m.op} at {m.where} ({m.change})")
            else:
                it["killed"] += 1
    families: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"items": 0, "ok": 0, "mutants": 0, "killed": 0, "below_target": []}
    )
    for it in items.values():
        it["kill_rate"] = it["killed"] / it["mutants"] if it["mutants"] else None
        f = families[it["family"]]
        f["items"] += 1
        f["ok"] += not it["problems"]
        f["mutants"] += it["mutants"]
        f["killed"] += it["killed"]
        if it["kill_rate"] is not None and it["kill_rate"] < KILL_TARGET:
            f["below_target"].append(it["id"])
    for f in families.values():
        f["kill_rate"] = f["killed"] / f["mutants"] if f["mutants"] else None
    for stats in adversarial.values():
        stats["mean_reward"] = (
            round(stats.pop("reward_sum") / stats["answers"], 4) if stats["answers"] else None
        )
        stats["ok"] = not stats["passed"] and (
            stats["target"] is None or stats["mean_reward"] is None or stats["mean_reward"] <= stats["target"]
        )
    return {
        "items": list(items.values()),
        "families": dict(families),
        "adversarial": adversarial,
        "jobs": len(jobs),
        "seconds": round(elapsed, 1),
        "kill_target": KILL_TARGET,
    }


# --------------------------------------------------------------------------- step 7: hidden cases


def flag_hidden_cases(tasks: list[Task], res: dict[str, Any]) -> int:
    """Step 7 (vf_luanti.hidden): each flagged item gets a problem per hard-codable channel, each
    family its count of flagged items (``hidden_flagged``); returns how many items are flagged."""
    from ..hidden import findings

    items = {it["id"]: it for it in res["items"]}
    flagged = 0
    for t in tasks:
        found = findings(t)
        it, fam = items[t.id], res["families"][t.family]
        fam.setdefault("hidden_flagged", 0)
        if not found:
            continue
        flagged += 1
        fam["hidden_flagged"] += 1
        fam["ok"] -= not it["problems"]
        it["problems"] += [f"hidden cases: {f.describe()}" for f in found]
    return flagged


def _fmt_rate(r: float | None) -> str:
    return "   n/a" if r is None else f"{100 * r:5.1f}%"


def run_validate(args: argparse.Namespace) -> int:
    from ..checks.game import GameError, game_path
    from ..decontam import decontaminate, template_clones
    from ..generate import generate_tasks

    try:
        game = game_path()
    except GameError as exc:
        print(f"vf-luanti data validate: {exc}", file=sys.stderr)
        return 2
    tasks, schema_errors = _load_all(args.split)
    everything = tasks
    if args.family:
        tasks = [t for t in tasks if t.family in args.family]
    if args.ids:
        tasks = [t for t in tasks if t.id in set(args.ids)]
    res = validate(tasks, 0 if args.no_mutation else args.mutants, args.seed, progress=not args.json)
    train = generate_tasks(n=args.train_sample, seed=args.seed)
    dec = decontaminate([t for t in tasks], train)
    res["schema_errors"] = schema_errors
    res["decontamination"] = dec.to_json()
    clones = template_clones(everything, among={t.id for t in tasks})  # selected items vs all items
    res["template_clones"] = [c.__dict__ for c in clones]
    res["hidden_flagged"] = flag_hidden_cases(tasks, res)
    res["game"] = str(game) if game else None  # passing samples also ran beside it (checks/game.py)
    below = [i for f in res["families"].values() for i in f["below_target"]]
    problems = [it for it in res["items"] if it["problems"]]
    adv_ok = all(a["ok"] for a in res["adversarial"].values())
    ok = not schema_errors and not problems and not below and dec.clean and not clones and adv_ok
    res["ok"] = ok
    if args.json:
        print(json.dumps(res, ensure_ascii=False))
        return 0 if ok else 1
    print(f"{len(tasks)} items, {res['jobs']} scored completions in {res['seconds']} s")
    print(f"beside the game: {game or 'off (no game found; set VF_LUANTI_GAME to a game folder)'}")
    for e in schema_errors:
        print(f"  schema: {e}")
    print(f"{'family':10} {'items':>5} {'ok':>4} {'mutants':>8} {'killed':>7} {'kill rate':>9}  below 90%")
    for name in sorted(res["families"]):
        f = res["families"][name]
        print(
            f"{name:10} {f['items']:5} {f['ok']:4} {f['mutants']:8} {f['killed']:7} "
            f"{_fmt_rate(f['kill_rate']):>9}"
            f"  {', '.join(f['below_target']) or '-'}"
        )
    print(f"{'attack':14} {'answers':>7} {'passed':>6} {'mean reward':>11}  target")
    for name, a in res["adversarial"].items():
        mean = "-" if a["mean_reward"] is None else f"{a['mean_reward']:.3f}"
        target = "-" if a["target"] is None else f"<= {a['target']:.2f}"
        print(
            f"{name:14} {a['answers']:7} {len(a['passed']):6} {mean:>11}  {target}"
            f"{'' if a['ok'] else '  FAILED'}"
        )
    if args.verbose:
        for it in res["items"]:
            print(f"  {it['id']:40} kill {_fmt_rate(it['kill_rate'])} ({it['killed']}/{it['mutants']})")
            for sv in it["survivors"]:
                print(f"      survivor: {sv}")
    for it in problems:
        for p in it["problems"]:
            print(f"  PROBLEM {it['id']}: {p}")
    print(
        f"decontamination: {dec.eval_items} eval items vs {dec.train_items} generated train items, "
        f"{dec.n}-grams: {'clean' if dec.clean else f'{len(dec.overlaps)} overlap(s)'} "
        f"({dec.boilerplate_skipped} shared boilerplate n-grams ignored)"
    )
    for o in dec.overlaps[:20]:
        print(f"  overlap {o.task_id} ({o.field}) with {', '.join(o.train_ids)}: {o.example}")
    per_family = ", ".join(f"{n} {f['hidden_flagged']}" for n, f in sorted(res["families"].items()))
    print(f"hidden cases: {res['hidden_flagged']} item(s) test only quoted values ({per_family})")
    print(f"template clones: {len(clones) or 'none'}")
    for c in clones:
        print(f"  clone {c.a} ~ {c.b} (code shape {c.code:.2f}, instruction shape {c.prose:.2f})")
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


def run_generate(args: argparse.Namespace) -> int:
    """Verified generated tasks (vf_luanti.generate.verify: gold passes, repair input fails, refactor
    input keeps its preserve check, no hidden cases) written as chat examples, with a progress bar."""
    from ..generate.verify import print_progress, verified_tasks
    from ..prompts import build_messages

    good, rep = verified_tasks(args.n, seed=args.seed, progress=None if args.quiet else print_progress)
    for v in rep.examples[:5]:
        print(f"dropped {v.task.id} ({v.task.family}): {'; '.join(v.problems[:2])}", file=sys.stderr)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for t in good:
            answer = f"```lua\n{t.reference.rstrip()}\n```"
            messages = [*build_messages(t, "lua"), {"role": "assistant", "content": answer}]
            row = {
                "id": t.id,
                "family": t.family,
                "difficulty": t.difficulty,
                "tags": t.tags,
                "messages": messages,
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(good)} verified examples to {out}: {rep.summary()}")
    return 0 if good else 1


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="validate the benchmark data; generate the SFT file")
    dsub = p.add_subparsers(dest="data_command", required=True)
    v = dsub.add_parser(
        "validate", help="schema, references, inputs, mutation score, adversarial answers, decontamination"
    )
    v.add_argument("--json", action="store_true", help="print one JSON object")
    v.add_argument("--split", nargs="+", default=["eval", "scenarios"], help="data/<split> folders to check")
    v.add_argument("--family", nargs="+", help="only these families")
    v.add_argument("--ids", nargs="+", help="only these item ids")
    v.add_argument("--mutants", type=int, default=40, help="mutants per item (default 40)")
    v.add_argument("--no-mutation", action="store_true", help="skip mutation testing")
    v.add_argument("--seed", type=int, default=0, help="seed for mutant sampling and the train sample")
    v.add_argument("--train-sample", type=int, default=2000, help="generated items to decontaminate against")
    v.add_argument("-v", "--verbose", action="store_true", help="per-item kill rates and surviving mutants")
    v.set_defaults(func=run_validate)
    g = dsub.add_parser("generate", help="write data/train/sft.jsonl from verified generated tasks")
    g.add_argument("--n", type=int, default=400, help="tasks to generate (default 400)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("-o", "--out", default="data/train/sft.jsonl")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    g.set_defaults(func=run_generate)
