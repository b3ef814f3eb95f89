"""The task format: validation with clear errors, the splits, the generator and the rubrics."""

import json

import pytest

from vf_luanti.generate import generate_tasks
from vf_luanti.rubric import COMPONENTS, FAMILIES, RubricError, load_rubric, parse_rubric
from vf_luanti.splits import get_task, load_tasks
from vf_luanti.tasks import Task, TaskError, read_jsonl

GOOD = {
    "id": "scaffold-x",
    "family": "scaffold",
    "instruction": "Make a node.",
    "input": "",
    "reference": 'minetest.register_node("mymod:x", {})',
    "checks": [{"kind": "item", "desc": "x exists", "name": "mymod:x"}],
    "tags": ["node"],
    "difficulty": "easy",
}


def test_good_item_round_trips():
    t = Task.from_dict(GOOD)
    assert t.mod_name == "mymod" and Task.from_dict(t.to_dict()) == t


@pytest.mark.parametrize(
    "change, message",
    [
        ({"family": "essay"}, "'family' must be one of"),
        ({"difficulty": "trivial"}, "'difficulty'"),
        ({"checks": []}, "non-empty list"),
        ({"checks": [{"kind": "item", "name": "mymod:x"}]}, r"checks\[0\]: 'desc'"),
        ({"id": "Bad Id"}, "'id' must match"),
        ({"mod_name": "My-Mod"}, "'mod_name'"),
        ({"luanti_version": "latest"}, "luanti_version"),
        ({"colour": "red"}, "unknown field"),
        ({"family": "repair"}, "needs a non-empty 'input'"),
        ({"reference": "  "}, "gold solution"),
    ],
)
def test_bad_items_name_the_field(change, message):
    with pytest.raises(TaskError, match=message):
        Task.from_dict({**GOOD, **change}, "f.jsonl:3")


def test_missing_field_and_file_errors(tmp_path):
    bad = dict(GOOD)
    del bad["tags"]
    with pytest.raises(TaskError, match=r"f.jsonl:1 \(scaffold-x\): missing field\(s\) tags"):
        Task.from_dict(bad, "f.jsonl:1")
    p = tmp_path / "x.jsonl"
    p.write_text(
        json.dumps(GOOD) + "\n// a comment\n\n{not json\n" + json.dumps({**GOOD, "family": "x"}) + "\n"
    )
    with pytest.raises(TaskError, match=r"x\.jsonl:4: not valid JSON"):
        read_jsonl(p)
    errors: list[str] = []
    assert [t.id for t in read_jsonl(p, errors)] == ["scaffold-x"]
    assert len(errors) == 2 and "x.jsonl:5" in errors[1]


def test_eval_split_covers_every_family_and_check_kind():
    tasks = load_tasks("eval")
    assert {t.family for t in tasks} == set(FAMILIES)
    assert all(sum(t.family == f for t in tasks) >= 10 for f in FAMILIES)
    kinds = {c["kind"] for t in tasks for c in t.checks}
    assert kinds >= {
        "item",
        "craft",
        "alias",
        "abm",
        "lbm",
        "entity",
        "chatcommand",
        "privilege",
        "callback",
        "scenario",
        "preserve",
        "lua",
        "warnings",
    }
    assert load_tasks("eval", families="doc") == [t for t in tasks if t.family == "doc"]
    assert get_task(tasks[0].id) == tasks[0]
    with pytest.raises(TaskError, match="no task with id"):
        get_task("no-such-task")
    with pytest.raises(TaskError, match="unknown split"):
        load_tasks("test")


def test_train_split_is_seeded_and_valid():
    a = load_tasks("train", n=40, seed=3)
    assert a == load_tasks("train", n=40, seed=3) and a != load_tasks("train", n=40, seed=4)
    assert {t.family for t in a} == set(FAMILIES)
    for t in a:  # generated tasks follow the same format
        assert Task.from_dict(t.to_dict()) == t
        if t.family == "repair":
            assert t.input != t.reference
    ids = [t.id for t in generate_tasks(200, seed=1)]
    assert len(set(ids)) == 200


def test_rubrics_load_and_sum_to_one():
    for fam in FAMILIES:
        r = load_rubric(fam)
        assert set(r.weights) == set(COMPONENTS) and abs(sum(r.weights.values()) - 1) < 1e-9 and r.why


def test_bad_rubrics_are_rejected():
    base = {
        "family": "doc",
        "why": "because",
        "partial_credit": 0.4,
        "criteria": {c: {"weight": 0.25, "description": "d"} for c in COMPONENTS},
    }
    parse_rubric(base, "ok.toml")
    for bad in (None, 1, 1.5, -0.1, True):
        with pytest.raises(RubricError, match="partial_credit"):
            parse_rubric({**base, "partial_credit": bad}, "r")
    with pytest.raises(RubricError, match="sum to 1"):
        parse_rubric(
            {**base, "criteria": {**base["criteria"], "syntax": {"weight": 0.5, "description": "d"}}}, "r"
        )
    with pytest.raises(RubricError, match="missing"):
        parse_rubric({**base, "criteria": {"syntax": {"weight": 1, "description": "d"}}}, "r")
    with pytest.raises(RubricError, match="'why'"):
        parse_rubric({**base, "why": ""}, "r")


def test_mutants_are_small_distinct_compilable_variants():
    from vf_luanti.mutation import mutants
    from vf_luanti.syntax import syntax_error

    src = next(t for t in load_tasks("eval") if t.id == "scaffold-heal-command").reference
    ms = mutants(src, seed=1, limit=40)
    assert 20 <= len(ms) <= 40 and len({m.code for m in ms}) == len(ms) and all(m.code != src for m in ms)
    assert {m.op for m in ms} >= {"number", "string", "bool", "field", "registration", "operator"}
    assert sum(syntax_error(m.code) is None for m in ms) >= 0.9 * len(ms)
    assert mutants(src, seed=1, limit=40) == ms  # seeded
    # cosmetic fields and media names are never mutated
    lamp = 'minetest.register_node("m:a", {tiles = {"m_a.png"}, light_source = 3})'
    assert all("m_a.png" in m.code for m in mutants(lamp) if m.op != "registration")
    assert {m.op for m in mutants(lamp)} == {"registration", "number", "string", "field"}


def test_decontamination_finds_copies_and_ignores_boilerplate():
    from vf_luanti.decontam import decontaminate, is_boilerplate

    evals = load_tasks("eval")
    train = generate_tasks(300, seed=0)
    assert decontaminate(evals, train).clean
    leaked = Task.from_dict({**train[5].to_dict(), "id": "leak"})
    rep = decontaminate([*evals, leaked], train)
    assert not rep.clean and {o.task_id for o in rep.overlaps} == {"leak"}

    def gram(text: str) -> tuple[str, ...]:
        return tuple(text.split(" "))

    assert is_boilerplate(gram("minetest . register_node ( name , { description = description , tiles"))
    assert not is_boilerplate(gram('minetest . register_node ( "mymod:x" , { description = "X" , tiles'))
    assert is_boilerplate(gram("write the mod ` mymod ` that registers : - a craftitem"), prose=True)
    assert not is_boilerplate(gram("a craftitem ` mymod : charcoal ` that burns for 30 s"), prose=True)


def test_template_clones_are_found_and_distinct_items_are_not():
    from vf_luanti.decontam import template_clones

    evals = load_tasks("eval") + load_tasks("scenarios")
    assert template_clones(evals) == []
    crystal = get_task("scaffold-glow-crystal")
    renamed = {
        **crystal.to_dict(),
        "id": "scaffold-ice-gem",
        "instruction": crystal.instruction.replace("glowing crystal", "shining gem")
        .replace("glow_crystal", "ice_gem")
        .replace("11", "7")
        .replace("Glow Crystal", "Ice Gem"),
        "reference": crystal.reference.replace("glow_crystal", "ice_gem")
        .replace("11", "7")
        .replace("Glow Crystal", "Ice Gem")
        .replace("cracky = 3", "cracky = 2"),
    }
    [clone] = template_clones([*evals, Task.from_dict(renamed)], among={"scaffold-ice-gem"})
    assert clone.a == "scaffold-glow-crystal" and clone.b == "scaffold-ice-gem"
    assert clone.code == 1.0 and clone.prose >= 0.6


def test_data_validate_cli_reports_per_item_and_family(capsys):
    from vf_luanti.cli import main

    rc = main(
        [
            "data",
            "validate",
            "--json",
            "--split",
            "eval",
            "--ids",
            "repair-double-command",
            "--mutants",
            "8",
            "--train-sample",
            "50",
        ]
    )
    res = json.loads(capsys.readouterr().out)
    [item] = res["items"]
    assert item["id"] == "repair-double-command" and item["reference_reward"] == 1.0
    assert item["input_passes"] is False and 0 < item["mutants"] <= 8
    assert res["families"]["repair"]["items"] == 1 and res["decontamination"]["clean"]
    assert res["template_clones"] == []
    assert rc == (0 if res["ok"] else 1)
