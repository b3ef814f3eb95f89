"""Completion forms: fenced/bare Lua, several blocks, reasoning removal, unified diffs for repair."""

import pytest

from vf_luanti.parse import (
    PatchError,
    apply_unified_diff,
    calls_print,
    extract_code,
    lua_tokens,
    strip_lua_comments,
)

LUA = 'minetest.register_node("mymod:a", {description = "A"})'


def test_fenced_lua_block():
    r = extract_code(f"Here you go:\n```lua\n{LUA}\n```\nThis registers a node.")
    assert r.error is None and r.form == "fenced" and r.code == LUA + "\n"


def test_bare_lua():
    r = extract_code(LUA)
    assert r.form == "bare" and r.code.strip() == LUA


def test_several_blocks_joined_in_order_and_other_languages_skipped():
    text = "```lua\nlocal a = 1\n```\nthen\n```bash\nrm -rf /\n```\n```\nlocal b = a\n```"
    r = extract_code(text)
    assert r.code == "local a = 1\nlocal b = a\n"
    assert any("bash" in n for n in r.notes)


def test_tilde_fence_and_unclosed_fence():
    assert extract_code("~~~lua\nlocal x = 1\n~~~").code == "local x = 1\n"
    assert extract_code("```lua\nlocal x = 1\nlocal y").code == "local x = 1\nlocal y\n"


def test_think_blocks_removed():
    text = f"<think>maybe ```lua\nerror()\n``` no</think>\n```lua\n{LUA}\n```"
    assert extract_code(text).code.strip() == LUA
    # the opening tag was in the prompt template
    assert extract_code(f"I think ```lua\nbad()\n```</think>```lua\n{LUA}\n```").code.strip() == LUA
    # reasoning that never closed leaves no answer
    assert extract_code("<think>still thinking ```lua\nx()\n```").error


def test_harmony_channels():
    text = (
        "<|channel|>analysis<|message|>Let me write ```lua\nwrong()\n```<|end|>"
        f"<|start|>assistant<|channel|>final<|message|>```lua\n{LUA}\n```<|return|>"
    )
    assert extract_code(text).code.strip() == LUA
    only_analysis = "<|channel|>analysis<|message|>```lua\nwrong()\n```<|end|>"
    assert extract_code(only_analysis).error


def test_empty_and_non_string():
    assert extract_code("").error
    assert extract_code("   \n").error
    assert extract_code(None).error  # type: ignore[arg-type]
    assert "no Lua code" in extract_code("```json\n{}\n```").error


BROKEN = 'local a = 1\nlocal b = 2\n\nminetest.set_node(pos, "x")\nreturn a\n'


def test_unified_diff_applied_for_repair():
    diff = (
        '--- a/init.lua\n+++ b/init.lua\n@@ -3,3 +3,3 @@\n \n-minetest.set_node(pos, "x")\n'
        '+minetest.set_node(pos, {name = "x"})\n return a\n'
    )
    r = extract_code(f"Fix:\n```diff\n{diff}```", "repair", BROKEN)
    assert r.form == "diff" and r.error is None
    assert r.code == BROKEN.replace('"x")', '{name = "x"})')


def test_diff_with_wrong_line_numbers_is_located_by_context():
    diff = "@@ -40,2 +40,2 @@\n local b = 2\n-\n+-- gap\n"
    assert apply_unified_diff(BROKEN, diff) == BROKEN.replace("local b = 2\n\n", "local b = 2\n-- gap\n")


def test_diff_that_does_not_apply_is_an_error():
    with pytest.raises(PatchError):
        apply_unified_diff(BROKEN, "@@ -1,1 +1,1 @@\n-local zzz = 1\n+local a = 2\n")
    r = extract_code("```diff\n@@ -1,1 +1,1 @@\n-nope\n+yes\n```", "repair", BROKEN)
    assert r.error and "does not apply" in r.error


def test_diff_outside_repair_is_not_applied():
    r = extract_code(
        "```diff\n@@ -1,1 +1,1 @@\n-local a = 1\n+local a = 3\n```\n```lua\nlocal z = 1\n```",
        "scaffold",
        BROKEN,
    )
    assert r.code == "local z = 1\n" and r.notes


def test_lexer_is_lossless_and_classifies():
    src = 'local s = [==[x]]y]==] -- c\n--[[ long\n]] print("a\\"b", 0x1F, 1e3)'
    toks = lua_tokens(src)
    assert "".join(t.text for t in toks) == src
    kinds = {t.text: t.kind for t in toks}
    assert kinds["[==[x]]y]==]"] == "string" and kinds["0x1F"] == "number" and kinds["local"] == "keyword"
    assert "print" in strip_lua_comments(src) and "long" not in strip_lua_comments(src)


def test_calls_print():
    assert calls_print('print("x")') and calls_print("print 'x'")
    assert (
        not calls_print("obj.print(1)")
        and not calls_print("-- print(1)")
        and not calls_print('s = "print(1)"')
    )
