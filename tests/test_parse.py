"""Completion forms: fenced/bare Lua, several blocks, reasoning removal, unified diffs for repair.

Each accepted form is tested both ways: the correct answer parses to the intended code, and the
rule that accepts it never makes the judge score text the model did not give as its code.
"""

import pytest

from vf_luanti.lualex import (
    calls_print,
    lua_tokens,
    strip_lua_comments,
)
from vf_luanti.parse import (
    extract_code,
)
from vf_luanti.patch import PatchError, apply_unified_diff

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


@pytest.mark.parametrize(
    "info",
    [
        "lua",
        "Lua",
        "lua5.1",
        "lua:init.lua",
        'lua title="init.lua"',
        "lua init.lua",
        "lua {init.lua}",
        "{.lua file=init.lua}",
        "init.lua",
        "mymod/init.lua",
    ],
)
def test_fence_tags_naming_lua_or_a_lua_file(info):
    r = extract_code(f"```{info}\n{LUA}\n```\n```lua:mod.conf\nname = mymod\n```")
    assert r.error is None and r.code == LUA + "\n"


MOD_CONF = "name = mymod\ndescription = Adds a node\ndepends = default\n"


@pytest.mark.parametrize("info", ["", "conf", "ini", "toml", "text", "lua", "lua:mod.conf", "mod.conf"])
def test_mod_conf_block_is_not_code(info):
    r = extract_code(f"init.lua:\n```lua\n{LUA}\n```\nmod.conf:\n```{info}\n{MOD_CONF}```")
    assert r.code == LUA + "\n"
    assert any("mod.conf" in n for n in r.notes)


def test_untagged_blocks_are_lua_when_they_compile():
    usage = "Use it in chat:\n```\n/mycommand foo\n```\nInstall:\n```\ncp -r mymod ~/.minetest/mods/\n```"
    r = extract_code(f"```\n{LUA}\n```\n{usage}\n```\nlocal b = 2\n```")
    assert r.code == LUA + "\nlocal b = 2\n"
    assert any("not Lua" in n for n in r.notes)
    # a Lua block that merely sets values is still code unless every key is a mod.conf key
    assert extract_code("```\nname = 1\nspeed = 2\n```").code == "name = 1\nspeed = 2\n"


def test_untagged_block_that_does_not_compile_is_judged_when_nothing_else_is_lua():
    r = extract_code('```\nminetest.register_node("mymod:a", {\n```')
    assert r.error is None and r.code.startswith("minetest.register_node")  # the syntax error is scored


def test_lua_files_other_than_init_lua_are_joined_in_order():
    r = extract_code(f"```lua:init.lua\n{LUA}\n```\n```lua:api.lua\nlocal api = {{}}\n```")
    assert r.code == LUA + "\nlocal api = {}\n"


def test_fence_in_a_list_item_is_read_and_dedented():
    diff = "@@ -1,1 +1,1 @@\n-local a = 1\n+local a = 3\n"
    indented = "".join("   " + line + "\n" for line in diff.splitlines())
    r = extract_code(f"1. Apply:\n   ```diff\n{indented}   ```\n2. Reload.", "repair", BROKEN)
    assert r.error is None and r.code == BROKEN.replace("local a = 1", "local a = 3")
    assert extract_code(f"- Code:\n    ```lua\n    {LUA}\n    ```").code == LUA + "\n"


NODE = 'minetest.register_node("mymod:peat", {\n\tdescription = "Peat",\n\tgroups = {crumbly = 3},\n})'
CRAFT = 'minetest.register_craft({type = "fuel", recipe = "mymod:peat", burntime = 20})'


def test_one_file_split_over_two_blocks_is_joined():
    r = extract_code(f"The node:\n```lua\n{NODE}\n```\nIts recipe:\n```lua\n{CRAFT}\n```", "repair", NODE)
    assert r.code == f"{NODE}\n{CRAFT}\n" and not r.notes


def test_quoted_original_then_fix_gives_the_fix():
    broken = NODE.replace("groups", "group")
    r = extract_code(f"Broken:\n```lua\n{broken}\n```\nFixed:\n```lua\n{NODE}\n```", "repair", broken)
    assert r.code == NODE + "\n" and any("superseded" in n for n in r.notes)
    # the original re-indented and annotated, then the fixed file split in two: both pieces stay
    quoted = broken.replace("\t", "    ").replace("group =", "group = -- wrong key\n")
    r = extract_code(f"```lua\n{quoted}\n```\n```lua\n{NODE}\n```\n```lua\n{CRAFT}\n```", "repair", broken)
    assert r.code == f"{NODE}\n{CRAFT}\n"


CHAT = (
    "minetest.register_on_chat_message(function(name, message)\n"
    '\tif message == "hi" then\n\t\tminetest.chat_send_player(name, "hello")\n\tend\nend)'
)


def test_quoted_input_without_names_is_superseded_only_by_a_new_version_of_it():
    fixed = CHAT.replace("\tend\n", "\t\treturn true\n\tend\n")
    r = extract_code(f"Yours:\n```lua\n{CHAT}\n```\nFixed:\n```lua\n{fixed}\n```", "repair", CHAT)
    assert r.code == fixed + "\n" and any("quotes the task input" in n for n in r.notes)
    # keep the input and add to it: the quoted input is part of the answer
    r = extract_code(f"Keep:\n```lua\n{CHAT}\n```\nand add:\n```lua\n{CRAFT}\n```", "repair", CHAT)
    assert r.code == f"{CHAT}\n{CRAFT}\n"


WOOL = "".join(
    f'minetest.register_node("mymod:wool_{c}", {{description = "{c.title()} Wool", '
    f'tiles = {{"mymod_wool_{c}.png"}}}})\n'
    for c in ("red", "blue")
)


def test_quoted_input_restructured_into_a_loop_is_superseded():
    loop = (
        'for _, c in ipairs({{"red", "Red"}, {"blue", "Blue"}}) do\n'
        '\tminetest.register_node("mymod:wool_" .. c[1], '
        '{description = c[2] .. " Wool", tiles = {"mymod_wool_" .. c[1] .. ".png"}})\nend'
    )
    r = extract_code(f"Before:\n```lua\n{WOOL}```\nAfter:\n```lua\n{loop}\n```", "refactor", WOOL)
    assert r.code == loop + "\n"
    # an addition in a refactor task ("keep the recipe, add a second one") keeps the input
    more = 'minetest.register_craft({output = "mymod:wool_red", recipe = {{"mymod:wool_blue", "dye:red"}}})'
    r = extract_code(f"```lua\n{WOOL}```\n```lua\n{more}\n```", "refactor", WOOL)
    assert r.code == f"{WOOL}{more}\n"


def test_same_name_in_different_registries_is_no_redefinition():
    priv = 'minetest.register_privilege("heal", {description = "Can heal"})'
    cmd = 'minetest.register_chatcommand("heal", {privs = {heal = true}, func = function() end})'
    entity = 'minetest.register_entity("mymod:chair", {})'
    item = 'minetest.register_craftitem("mymod:chair", {description = "Chair"})'
    for a, b in ((priv, cmd), (entity, item)):
        assert extract_code(f"```lua\n{a}\n```\n```lua\n{b}\n```").code == f"{a}\n{b}\n"
    # the same registry twice is a new version: a node and a craftitem share the item names
    node = 'minetest.register_node("mymod:chair", {description = "Chair"})'
    assert extract_code(f"```lua\n{node}\n```\n```lua\n{item}\n```").code == item + "\n"


def test_draft_then_final_version_gives_the_final_version():
    draft = "local function helper(pos)\n\treturn pos\nend"
    final = "local function helper(pos)\n\treturn vector.round(pos)\nend"
    r = extract_code(f"First try:\n```lua\n{draft}\n```\nBetter:\n```lua\n{final}\n```")
    assert r.code == final + "\n"


def test_excerpt_after_the_full_file_is_left_out():
    full = f"{NODE}\n{CRAFT}"
    excerpt = "groups = {crumbly = 3},"  # a line of the file, not compilable alone
    r = extract_code(f"```lua\n{full}\n```\nThe key change:\n```lua\n    {excerpt}\n```")
    assert r.code == full + "\n"
    # the same statement shown again after the file, whole or in part: a copy, not a second registration
    for shown in (NODE, NODE[: NODE.index("groups")]):
        r = extract_code(f"```lua\n{full}\n```\nThe key change:\n```lua\n{shown}\n```")
        assert r.code == full + "\n"


def test_fragment_that_breaks_the_join_leaves_the_last_block_that_compiles():
    full = f"{NODE}\n{CRAFT}"
    r = extract_code(f"```lua\n{full}\n```\nChange it like this:\n```lua\ngroup -> groups\n```")
    assert r.code == full + "\n" and any("compiles alone" in n for n in r.notes)


def test_block_choice_only_picks_among_the_models_blocks():
    broken = NODE.replace("groups", "group")
    # a truncated final version is judged as it is: never the quoted original instead
    r = extract_code(f"```lua\n{broken}\n```\n```lua\n{NODE[:40]}", "repair", broken)
    assert r.code.strip() == NODE[:40].strip()
    # two candidate answers: the last one is judged, so hedging gains nothing
    r = extract_code(f"```lua\n{NODE}\n```\nor maybe\n```lua\n{broken}\n```", "repair", broken)
    assert r.code == broken + "\n"
    # nothing from the task input that the model did not write
    r = extract_code(f"```lua\n{CRAFT}\n```", "repair", f"{NODE}\n{CRAFT}")
    assert r.code == CRAFT + "\n"


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
    assert r.error == (
        "the diff does not apply to the input: hunk 1 (at line 1) does not apply: its context/removed "
        "lines (starting 'nope') are not in the input"
    )
    # a Lua block that does not compile is no complete file to fall back on
    r = extract_code("```diff\n@@ -1,1 +1,1 @@\n-nope\n+yes\n```\n```lua\nlocal = 1\n```", "repair", BROKEN)
    assert r.error and "does not apply" in r.error


TABBED = 'local t = {\n\tname = "a",\n\tcount = 1,\n}\nreturn t\n'


def test_diff_applies_whatever_its_whitespace_and_keeps_the_inputs_lines():
    diff = '@@ -1,4 +1,4 @@\n local t = {\n     name = "a",\n-    count = 1,\n+    count  = 2,\n }'
    assert apply_unified_diff(TABBED, diff) == 'local t = {\n\tname = "a",\n    count  = 2,\n}\nreturn t\n'
    # the context's leading space lost before a tab still reads as context
    lost = '@@ -2,2 +2,2 @@\n\tname = "a",\n-\tcount = 1,\n+\tcount = 3,\n'
    assert apply_unified_diff(TABBED, lost) == TABBED.replace("1,", "3,")
    # whitespace is collapsed, not ignored: different tokens still do not match
    with pytest.raises(PatchError):
        apply_unified_diff(TABBED, '@@ -2,1 +2,1 @@\n-\tname="a",\n+\tname = "b",')


def test_failing_diff_falls_back_to_the_full_file_in_the_answer():
    fixed = BROKEN.replace('"x")', '{name = "x"})')
    bad = '@@ -4,1 +4,1 @@\n-minetest.set_node(pos, "y")\n+minetest.set_node(pos, {name = "x"})\n'
    for full in (f"```lua\n{fixed}```", f"```\n{fixed}```"):
        r = extract_code(f"```diff\n{bad}```\nWhole file:\n{full}", "repair", BROKEN)
        assert r.error is None and r.code == fixed
        assert any("diff does not apply" in n for n in r.notes)
    # a diff that applies wins over a Lua block
    good = bad.replace('"y"', '"x"')
    r = extract_code(f"```diff\n{good}```\n```lua\nlocal other = 1\n```", "repair", BROKEN)
    assert r.form == "diff" and r.code == fixed


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
