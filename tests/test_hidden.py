"""Hidden cases (vf_luanti/hidden.py, docs/tasks.md §6): an item whose checks drive a behaviour only
with values its instruction quotes is flagged (a lookup table of the quoted examples would pass it);
one input the instruction does not state clears it. Small synthetic tasks, no scoring."""

from __future__ import annotations

from typing import Any

from vf_luanti.commands.data import flag_hidden_cases
from vf_luanti.hidden import findings
from vf_luanti.tasks import Task

DOUBLE = """minetest.register_chatcommand("double", {
	func = function(name, param)
		local n = tonumber(param)
		if not n then
			return false, "Not a number: " .. param
		end
		return true, "Result: " .. (n * 2)
	end,
})
"""


def task(instruction: str, checks: list[dict[str, Any]], reference: str = DOUBLE) -> Task:
    return Task.from_dict(
        {
            "id": "t-hidden",
            "family": "scaffold",
            "instruction": instruction,
            "input": "",
            "reference": reference,
            "checks": checks,
            "tags": ["chatcommand"],
            "difficulty": "easy",
        }
    )


def chat(*messages: str, expect: str = "Result") -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"do": "join", "player": "p1"}]
    for m in messages:
        steps += [
            {"do": "chat", "player": "p1", "message": m},
            {"expect": "chat", "player": "p1", "contains": expect},
        ]
    return {"kind": "scenario", "desc": "double", "steps": steps}


QUOTED = 'Write /double: `/double 21` replies "Result: 42", `/double abc` fails with "Not a number: abc".'


def test_only_quoted_command_arguments_are_flagged() -> None:
    found = findings(task(QUOTED, [chat("/double 21"), chat("/double abc")]))
    assert [(f.channel, f.values) for f in found] == [("/double", ("21", "abc"))]
    assert "checks[0] 'double' step 2" in found[0].where
    assert "/double" in found[0].describe() and "'21'" in found[0].describe()


def test_one_unquoted_argument_clears_the_command() -> None:
    assert findings(task(QUOTED, [chat("/double 21"), chat("/double 7")])) == []


def test_a_value_counts_as_quoted_only_as_a_whole_word() -> None:
    # "21" is not quoted by "210" or "2.1"; "abc" is not quoted by "abcd"
    instruction = "Write /double, e.g. `/double 210` or `/double 2.1`; `/double abcd` fails."
    assert findings(task(instruction, [chat("/double 21"), chat("/double abc")])) == []
    assert findings(task(instruction, [chat("/double 210")]))


def test_a_generated_value_is_never_quoted() -> None:
    generated = chat("/double $(n)", expect="Result: $(n*2)") | {"vars": {"n": {"int": [2, 999]}}}
    assert findings(task(QUOTED, [chat("/double 21"), generated])) == []
    # a template with spaces is one value, not several words
    spaced = chat("/double $(n + 1)", expect="x") | {"vars": {"n": {"int": [2, 999]}}}
    assert findings(task(QUOTED, [spaced])) == []


def test_an_input_nothing_reads_afterwards_does_not_clear_a_channel() -> None:
    unread = chat("/double 21")
    unread["steps"].append({"do": "chat", "player": "p1", "message": "/double 7"})
    assert [f.channel for f in findings(task(QUOTED, [unread]))] == ["/double"]


def test_items_without_data_inputs_are_not_flagged() -> None:
    greet = 'minetest.register_chatcommand("hi", {func = function() return true, "Hello!" end})'
    checks = [
        {"kind": "chatcommand", "desc": "hi", "name": "hi"},
        chat("/hi", expect="Hello!"),  # a command without arguments: a fixed reply
    ]
    assert findings(task('/hi replies "Hello!".', checks, reference=greet)) == []


def test_player_names_are_not_data() -> None:
    scen = chat("/double bob")
    scen["steps"].insert(1, {"do": "join", "player": "bob"})
    assert findings(task("`/double bob` fails.", [scen])) == []


def test_keywords_the_gold_names_are_not_data() -> None:
    # a finite set the instruction must enumerate: a lookup over it is a correct answer
    mode = 'minetest.register_chatcommand("mode", {func = function(_, p) return p == "on" end})'
    assert findings(task("`/mode on` switches it on.", [chat("/mode on", expect="x")], reference=mode)) == []
    # a number is always data, even where the gold happens to write it
    num = 'minetest.register_chatcommand("mode", {func = function(_, p) return p == "21" end})'
    assert findings(task("`/mode 21`.", [chat("/mode 21", expect="x")], reference=num))


def node_fields(text: str) -> dict[str, Any]:
    return {
        "kind": "scenario",
        "desc": "post",
        "steps": [
            {"do": "join", "player": "p1"},
            {"do": "set_node", "pos": [0, 0, 0], "node": "mymod:post"},
            {"do": "node_fields", "player": "p1", "pos": [0, 0, 0], "fields": {"text": text}},
            {"expect": "meta", "pos": [0, 0, 0], "key": "infotext", "value": f"Post: {text}"},
        ],
    }


def test_form_fields_and_meta_values_are_inputs() -> None:
    instruction = 'Submitting text sets the infotext "Post: <text>" (e.g. "Post: hello").'
    assert [f.channel for f in findings(task(instruction, [node_fields("hello")]))] == ["field text"]
    assert findings(task(instruction, [node_fields("hello"), node_fields("Kiosk 4")])) == []
    meta = node_fields("x")
    meta["steps"][2] = {"do": "set_meta", "pos": [0, 0, 0], "key": "charge", "value": "2"}
    assert [f.channel for f in findings(task("A charge of 2 reads 66%.", [meta]))] == ["meta charge"]
    assert findings(task("A charge reads as a percentage.", [meta])) == []


def test_arguments_of_the_mods_api_in_lua_checks() -> None:
    api = "mymod = {}\nfunction mymod.add(a, b) return a + b end\n"

    def lua(code: str) -> dict[str, Any]:
        return {"kind": "lua", "desc": "add", "code": code}

    instruction = "Write `mymod.add(a, b)`: `mymod.add(2, 3)` returns 5."
    found = findings(task(instruction, [lua("return mymod.add(2, 3) == 5")], reference=api))
    assert [(f.channel, f.values) for f in found] == [("mymod.add", ("2", "3"))]
    unquoted = lua("return mymod.add(2, 3) == 5 and mymod.add(-4, 10) == 6")
    assert findings(task(instruction, [unquoted], reference=api)) == []
    # a unary minus belongs to the value: "-3" is not quoted by "3"
    assert findings(task(instruction, [lua("return mymod.add(2, -3) == -1")], reference=api)) == []


def test_validate_fails_a_flagged_item_and_counts_it_per_family() -> None:
    flagged, fine = task(QUOTED, [chat("/double 21")]), task(QUOTED, [chat("/double 7")])
    fine = Task(**{**fine.to_dict(), "id": "t-fine"})
    res: dict[str, Any] = {
        "items": [{"id": t.id, "family": "scaffold", "problems": []} for t in (flagged, fine)],
        "families": {"scaffold": {"items": 2, "ok": 2}},
    }
    assert flag_hidden_cases([flagged, fine], res) == 1
    assert res["families"]["scaffold"] == {"items": 2, "ok": 1, "hidden_flagged": 1}
    assert res["items"][0]["problems"][0].startswith("hidden cases: every input of /double")
    assert res["items"][1]["problems"] == []
