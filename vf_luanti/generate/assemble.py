"""Tasks from features: the four families, difficulty levels and the seeded stream.

A task combines 1-4 features of different kinds (plus, often, a craft recipe for an item one of
them registers); its difficulty follows the number of features (easy 1, medium 2, hard 3 and 4) and is
also a tag ``features-N``, so a trainer can build a curriculum. Families:

* scaffold: instruction = the features' sentences; reference = their code.
* repair: one feature's code gets one of its kind's bugs; input = broken code.
* refactor: one feature's kind changes its parameters; input = old code, reference = new code,
  checks = the change's ``preserve`` (and intent) checks plus every feature's checks.
* doc: input = the kinds' documentation excerpts; instruction = "using the API above ...".

The stream is deterministic per seed; an instruction already given in the stream is never given
again, and a task sharing a task-specific n-gram with a held-out item is never given (clean.py); such
tasks are drawn anew.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import TypedDict

from ..rubric import FAMILIES
from ..tasks import Task
from . import kinds as _kinds  # noqa: F401  (registers every kind)
from .base import (
    DESCRIPTION_RULE,
    KINDS,
    MOD_NAMES,
    Feature,
    eval_names,
    registered_names,
    rename,
    restyle,
    vary_names,
)
from .clean import leaks

#: how many features a task has, and the weight of each count
FEATURE_COUNTS = ((1, 40), (2, 35), (3, 17), (4, 8))
DIFFICULTY = {1: "easy", 2: "medium", 3: "hard", 4: "hard"}
#: share of tasks written in the ``core.`` spelling
CORE_SHARE = 0.3
#: share of tasks with an item that also get a craft recipe for it
CRAFT_SHARE = 0.7


def standalone_kinds() -> list[str]:
    """The kinds a task may be drawn from (sorted: the draw must not depend on registration order)."""
    return sorted(k for k, kind in KINDS.items() if kind.standalone)


def pick_features(rng: random.Random, mod: str, k: int) -> list[Feature]:
    """``k`` features of distinct kinds with distinct names, maybe with a craft for the first item."""
    for _ in range(20):
        kinds = rng.sample(standalone_kinds(), k)
        shared = [r for kind in kinds for r in KINDS[kind].exclusive]
        if len(set(shared)) != len(shared) or any(set(kinds) & KINDS[k].conflicts for k in kinds):
            continue
        feats = [KINDS[kind].make(rng, mod) for kind in kinds]
        names = [n for f in feats for n in {*f.names, *registered_names(f.code)}]
        if len(set(names)) == len(names) and not eval_names().intersection(names):
            break
    else:
        raise RuntimeError("the generator keeps drawing clashing names")
    craft = KINDS["craft"]
    item = next((f.names[0] for f in feats if KINDS[f.kind].craftable and f.names), None)
    if item and rng.random() < CRAFT_SHARE:
        feats.append(craft.build(craft.draw_for(rng, item), mod))  # type: ignore[attr-defined]
    return feats


class _TaskFields(TypedDict):
    """The fields of a generated task that do not depend on its family."""

    id: str
    family: str
    tags: list[str]
    mod_name: str
    difficulty: str
    source: str


def _with_tags(common: _TaskFields, tags: list[str]) -> _TaskFields:
    out = common.copy()
    out["tags"] = tags
    return out


def _lead(mod: str, rng: random.Random) -> str:
    return rng.choice(
        (
            f"Write a Luanti mod `{mod}` that registers:",
            f"Create the init.lua of the mod `{mod}`. It should add:",
            f"Implement these features in a Luanti mod named `{mod}`:",
            f"Write init.lua for the Luanti (Minetest) mod `{mod}` with:",
            f"I need a mod called `{mod}`. Please implement:",
        )
    )


def _bullets(feats: list[Feature], rng: random.Random) -> str:
    return "\n".join(f"- {f.phrase(rng)}" for f in feats) + "\n" + DESCRIPTION_RULE


def generate_task(rng: random.Random, family: str, index: int, seed: int) -> Task | None:
    """One task of ``family`` (None when the drawn features do not support it; the caller redraws)."""
    t = _draw_task(rng, family, index, seed)
    return None if t is None else vary(rng, t)


#: the reply for a command run by a name that is not an online player: one spelling per task
OFFLINE_REPLIES = (
    "You must be online.",  # the spelling kinds write; always replaced
    "Only players in the game can do that.",
    "Log in first.",
    "This needs a player who is online.",
    "Join the game first.",
    "You are not in the game.",
)


def vary(rng: random.Random, t: Task) -> Task:
    """The task with per-task spellings that do not change what it asks: some local names renamed
    to synonyms (base.vary_names), and the offline reply drawn from ``OFFLINE_REPLIES``. Generated
    code then rarely repeats a held-out reference token for token (clean.py)."""
    import json
    from dataclasses import fields

    mapping = vary_names(rng, (t.input, t.reference), t.instruction)
    reply = rng.choice(OFFLINE_REPLIES[1:])
    # a shallow dict (Task.to_dict deep-copies every check, then the JSON round trip copies again)
    d = {f.name: v for f in fields(t) if (v := getattr(t, f.name)) is not None}
    d["input"] = rename(t.input, mapping) if t.family != "doc" else t.input
    d["reference"] = rename(t.reference, mapping)
    if reply != OFFLINE_REPLIES[0]:
        d = json.loads(json.dumps(d).replace(OFFLINE_REPLIES[0], reply))
    return Task.from_dict(d)


def _draw_task(rng: random.Random, family: str, index: int, seed: int) -> Task | None:
    mod = rng.choice(MOD_NAMES)
    counts, weights = zip(*FEATURE_COUNTS, strict=True)
    k = rng.choices(counts, weights)[0]
    feats = pick_features(rng, mod, k)
    api = "core" if rng.random() < CORE_SHARE else "minetest"
    header = f"-- {mod}: generated task\n"
    code = header + "\n".join(f.code for f in feats)
    checks = [c for f in feats for c in f.checks]
    tags = sorted(
        {t for f in feats for t in KINDS[f.kind].tags}
        | {f.kind for f in feats}
        | {"generated", f"features-{k}"}
    )
    common: _TaskFields = {
        "id": f"gen-{seed}-{index:05d}",
        "family": family,
        "tags": tags,
        "mod_name": mod,
        "difficulty": DIFFICULTY[k],
        "source": f"generate:{seed}",
    }
    if family == "scaffold":
        text = _lead(mod, rng) + "\n" + _bullets(feats, rng)
        return Task(instruction=text, input="", reference=restyle(code, api), checks=checks, **common)
    if family == "doc":
        docs = "\n\n".join(dict.fromkeys(KINDS[f.kind].doc for f in feats if KINDS[f.kind].doc))
        text = (
            rng.choice(
                (
                    f"Using only the API described in the excerpt above, write the mod `{mod}` providing:",
                    f"Read the API notes above, then write the mod `{mod}` with:",
                    f"With the documented functions above, implement the mod `{mod}`:",
                )
            )
            + "\n"
            + _bullets(feats, rng)
        )
        return Task(instruction=text, input=docs, reference=restyle(code, api), checks=checks, **common)
    if family == "repair":
        return _repair(rng, feats, code, checks, common, mod, api)
    if family == "refactor":
        return _refactor(rng, feats, header, code, checks, common, api)
    raise ValueError(f"unknown family {family!r}")


def _repair(
    rng: random.Random,
    feats: list[Feature],
    code: str,
    checks: list[dict],
    common: _TaskFields,
    mod: str,
    api: str,
) -> Task | None:
    options = [(f, b) for f in feats for b in KINDS[f.kind].bugs]
    rng.shuffle(options)
    for f, bug in options:
        broken = bug.apply(f.code, f.params)
        if broken is None or broken == f.code:
            continue
        symptom = rng.choice(bug.symptoms)
        text = rng.choice(
            (
                f"This mod `{mod}` is broken: {symptom}. Fix it.",
                f"Players report that {symptom}. Find and fix the bug in this mod (`{mod}`).",
                f"Repair the mod `{mod}` below ({symptom}). Keep everything else working.",
                f"Bug report for `{mod}`: {symptom}. Fix the code.",
            )
        )
        text += "\n" + rng.choice(("What it should do:", "Intended behaviour:", "The mod should provide:"))
        text += "\n" + _bullets(feats, rng)
        tags = sorted({*common["tags"], f"bug:{bug.name}"})
        return Task(
            instruction=text,
            input=restyle(code.replace(f.code, broken, 1), api),
            reference=restyle(code, api),
            checks=checks,
            **_with_tags(common, tags),
        )
    return None


def _refactor(
    rng: random.Random,
    feats: list[Feature],
    header: str,
    code: str,
    checks: list[dict],
    common: _TaskFields,
    api: str,
) -> Task | None:
    order = list(range(len(feats)))
    rng.shuffle(order)
    for i in order:
        f = feats[i]
        changes = KINDS[f.kind].changes
        if not changes:
            continue
        change = rng.choice(changes)
        res = change.apply(KINDS[f.kind], rng, common["mod_name"], f.params)
        if res is None:
            continue
        new = res.feature
        new_feats = [*feats[:i], new, *feats[i + 1 :]]
        # a craft of a renamed item would not match its old checks: refactors keep features apart
        if "except" in res.preserve and any(x.kind == "craft" for x in new_feats):
            return None
        new_code = header + "\n".join(x.code for x in new_feats)
        new_checks = [
            res.preserve,
            *res.intent,
            *new.checks,
            *(c for x in new_feats if x is not new for c in x.checks),
        ]
        tags = sorted({*common["tags"], f"change:{change.name}"})
        return Task(
            instruction=res.instruction + " Everything else must keep working exactly as before.",
            input=restyle(code, api),
            reference=restyle(new_code, api),
            checks=new_checks,
            **_with_tags(common, tags),
        )
    return None


def task_stream(seed: int = 0, families: list[str] | None = None) -> Iterator[Task]:
    """Tasks round-robin over ``families`` (default: all four), forever, reproducible from ``seed``;
    no instruction repeats within the stream."""
    fams = list(families or FAMILIES)
    rng = random.Random(seed)
    seen: set[str] = set()
    index = made = 0
    while True:
        family = fams[made % len(fams)]
        for _ in range(200):  # a family that cannot use the drawn features draws again
            t = generate_task(rng, family, index, seed)
            index += 1
            if t is not None and t.instruction not in seen and not leaks(t):
                seen.add(t.instruction)
                made += 1
                yield t
                break
        else:
            raise RuntimeError(f"the generator cannot make {family} tasks")


def generate_tasks(n: int = 400, seed: int = 0, families: list[str] | None = None) -> list[Task]:
    """The first ``n`` tasks of ``task_stream(seed, families)``."""
    stream = task_stream(seed, families)
    return [next(stream) for _ in range(n)]


def kind_tasks(kind: str, seed: int = 0) -> list[Task]:
    """One task per family, per repair bug and per refactor change of one kind, each with that
    kind's feature alone (tests and ``verify`` use these to prove every bug and change of a kind)."""
    rng = random.Random(f"{kind}:{seed}")
    k = KINDS[kind]
    mod = rng.choice(MOD_NAMES)
    api = "core" if seed % 2 else "minetest"
    for _ in range(20):
        f = k.make(rng, mod)
        if not eval_names().intersection(f.names):
            break
    header = f"-- {mod}: generated task\n"
    code = restyle(header + f.code, api)
    tags = sorted({*k.tags, kind, "generated", "features-1"})

    def fields(suffix: str, family: str, extra: str | None = None) -> _TaskFields:
        return {
            "id": f"kind-{kind}-{seed}{suffix}",
            "family": family,
            "tags": sorted({*tags, extra}) if extra else tags,
            "mod_name": mod,
            "difficulty": "easy",
            "source": f"generate:{seed}",
        }

    out = [
        Task(instruction=f.phrase(rng), input="", reference=code, checks=f.checks, **fields("", "scaffold")),
        Task(
            instruction=f.phrase(rng), input=k.doc, reference=code, checks=f.checks, **fields("-doc", "doc")
        ),
    ]
    for bug in k.bugs:
        broken = bug.apply(f.code, f.params)
        if broken is not None:
            out.append(
                Task(
                    instruction=f"{bug.symptoms[0]}: {f.phrase(rng)}",
                    input=restyle(header + broken, api),
                    reference=code,
                    checks=f.checks,
                    **fields(f"-{bug.name}", "repair", f"bug:{bug.name}"),
                )
            )
    for change in k.changes:
        res = change.apply(k, rng, mod, f.params)
        if res is not None:
            out.append(
                Task(
                    instruction=res.instruction,
                    input=code,
                    reference=restyle(header + res.feature.code, api),
                    checks=[res.preserve, *res.intent, *res.feature.checks],
                    **fields(f"-{change.name}", "refactor", f"change:{change.name}"),
                )
            )
    return out
