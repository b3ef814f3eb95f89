"""The common helper libraries, on behaviour the engine's busted specs do not cover.

Two kinds of tests:

* The differential probe (tests/lua/helpers_probe.lua): several hundred calls into vector, misc
  helpers, serialize, JSON, settings, mod storage and the random generators, each printed in an
  order-independent form with its error text and where the error points (caller, library file, or
  none as for C++ errors). ``helpers_probe.expected`` is the real 5.6.1 server's output for it; the
  emulation must reproduce every line except the few listed in ``KNOWN_DIFFERENCES``, and, when the
  server is installed, the recorded file must still be what the server prints.
* Focused tests of behaviour the probe cannot show (warnings, output lines, SHA-1 against
  hashlib), with expected values read off the real server.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from pathlib import Path

import lupa.luajit21 as lupa
import pytest

from vf_luanti import mod_from_source, oracle, run_mods
from vf_luanti.mods import MODS_PATH

PROBE = Path(__file__).parent / "lua" / "helpers_probe.lua"
EXPECTED = PROBE.with_suffix(".expected")

#: Cases whose emulation result differs from the engine on purpose or outside this area, with why.
KNOWN_DIFFERENCES = {
    "dump(ItemStack('x')):match('^userdata metatable: {'), "
    "select(2, dump(ItemStack('x')):gsub('= <function>', ''))": "ItemStack's metatable (itemstack.lua) is not hidden behind its method table as the engine's is",
    "type(PerlinNoise(1, 2, 0.5, 100)), type(PerlinNoiseMap), type(core.get_perlin)": "noise objects are Lua tables (documented approximation), the engine's are userdata",
}

#: Log lines compared besides the probe results (JSON parse failures are logged by the engine).
_KEPT = re.compile(r"^(PROBE \d+ .*|PROBE done|ERROR\[Main\]: .*)$")


def run(code: str) -> tuple[list[str], list[str], list[str]]:
    report, _ = run_mods([mod_from_source(code, name="helpers")])
    return report.output, [w.message for w in report.warnings], [e.message for e in report.errors]


def out(code: str) -> list[str]:
    output, _, errors = run(code)
    assert errors == []
    return output


def probe_cases() -> list[str]:
    """The CASES list of the probe, read with a Lua parser (the texts contain Lua escapes)."""
    body = re.search(r"local CASES = (\{.*?\n\})", PROBE.read_text(), re.S)
    assert body is not None
    lua = lupa.LuaRuntime(encoding=None)
    return [c.decode("latin-1") for c in lua.execute(b"return " + body.group(1).encode()).values()]


def kept_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if _KEPT.match(line)]


def emulation_probe_lines() -> list[str]:
    report, _ = run_mods([mod_from_source(PROBE.read_text(), name="hprobe")])
    assert report.errors == []
    return kept_lines(report.output)


def engine_probe_lines() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        mod = Path(tmp) / "hprobe"
        mod.mkdir()
        shutil.copy(PROBE, mod / "init.lua")
        (mod / "mod.conf").write_text("name = hprobe\n")
        run = oracle.run_engine([mod], game="emptygame", steps=0)
    assert run.exit_code == 0, run.log[-2000:]
    stamp = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: ")
    return kept_lines([stamp.sub("", line) for line in run.log.splitlines()])


def test_helpers_probe_matches_the_recorded_engine_output() -> None:
    cases = probe_cases()
    expected = EXPECTED.read_text().splitlines()
    assert expected[-1] == "PROBE done"
    assert sum(line.startswith("PROBE ") for line in expected) == len(cases) + 1
    known = {cases.index(text) + 1 for text in KNOWN_DIFFERENCES}
    skip = re.compile(r"^PROBE (" + "|".join(str(n) for n in known) + r") ")

    def comparable(lines: list[str]) -> list[str]:
        return [line for line in lines if not skip.match(line)]

    got = comparable(emulation_probe_lines())
    want = comparable(expected)
    diffs = [f"{w!r}\n   emulation: {g!r}" for w, g in zip(want, got, strict=False) if w != g]
    assert not diffs and len(got) == len(want), "\n".join(diffs[:20])


@pytest.mark.skipif(not oracle.engine_available(), reason="the Luanti 5.6.1 server is not installed")
def test_recorded_engine_output_is_current() -> None:
    """helpers_probe.expected is what the real server prints for the probe (regenerate it if not)."""
    assert engine_probe_lines() == EXPECTED.read_text().splitlines()


def test_pseudorandom_and_pcgrandom_match_the_engine_sequences() -> None:
    assert out("""
        local pr, a = PseudoRandom(42), {}
        for i = 1, 5 do a[#a + 1] = pr:next() end
        a[#a + 1] = pr:next(1, 10)
        local pcg = PcgRandom(42)
        for i = 1, 3 do a[#a + 1] = pcg:next() end
        a[#a + 1] = pcg:next(1, 100)
        a[#a + 1] = pcg:rand_normal_dist(1, 100)
        print(table.concat(a, ","))
        print(PseudoRandom(0):next(), PseudoRandom(-5):next(), PseudoRandom(123456789):next(0, 1000))
    """) == ["19082,17034,15270,25462,13857,5,-248486166,-1132851882,1948524906,82,54", "0\t14113\t533"]


def test_pseudorandom_range_limit_error() -> None:
    _, _, errors = run("PseudoRandom(1):next(0, 40000)")
    assert errors == [
        "PseudoRandom.next() max-min is not 32767 and is > 32768/5. This is disallowed due "
        "to the bad random distribution the implementation would otherwise make."
    ]


def test_write_json_quirks() -> None:
    assert out("""
        print(core.write_json({a = 1, b = {1, 2.5, "x"}, c = 0.1}))
        print(core.write_json({}))
        print(core.write_json({[1] = 1, [3] = 3}))
        print(core.write_json({1, a = 2}))
        print(core.write_json({f = print}))
    """) == [
        '{"a":1.0,"b":[1.0,2.5,"x"],"c":0.10000000000000001}',
        "null",
        "[1.0,null,3.0]",
        "nil\tCan't mix array and object values in JSON",
        "nil\tCan only store booleans, numbers, strings, objects, arrays, and null in JSON",
    ]


def test_parse_json_values_and_bad_input() -> None:
    output, warnings, errors = run("""
        local t = core.parse_json('{"a": [1, 2, {"b": null}], "s": "\\\\u00e9x", "t": true}', "NULL")
        print(t.a[2], t.a[3].b, t.s, t.t)
        print(core.parse_json("{bad"))
    """)
    assert errors == []
    assert output[0] == "2\tNULL\téx\ttrue"
    assert output[-1] == "nil"
    assert any("Failed to parse json data" in line for line in output + warnings)


def test_serialize_matches_engine_text_and_round_trips_shared_tables() -> None:
    assert out("""
        print(core.serialize({a = 1, b = {"x", true}}) == 'return {b={"x",true},a=1}'
              or core.serialize({a = 1, b = {"x", true}}) == 'return {a=1,b={"x",true}}')
        local shared = {1}
        local t = core.deserialize(core.serialize({p = shared, q = shared}))
        print(t.p == t.q, t.p[1])
        print(core.deserialize("return os") == nil, select(2, core.deserialize(nil)))
        print(core.deserialize("return {") == nil)
    """) == ["true", "true\t1", "true\tInvalid type: Expected a string, got nil", "true"]


def test_translator_escapes_and_argument_errors() -> None:
    output, _, errors = run("""
        local S = core.get_translator("probe2")
        print(S("Hello @1", "world") == "\\27(T@probe2)Hello \\27Fworld\\27E\\27E")
        S("a @1 @2", 5)
    """)
    assert output == ["true"]
    assert errors == ["Not enough arguments provided to core.translate"]


def test_helpers_strings_tables_math() -> None:
    assert out("""
        print(table.concat(("a,b,,c"):split(","), "|"), table.concat(("a,b,,c"):split(",", true), "|"))
        print(table.concat(("a,b,c,d"):split(",", false, 2), "|"), ("  x  "):trim())
        print(math.round(-2.5), math.round(2.5), math.sign(-3), math.hypot(3, 4))
        print(core.pos_to_string({x = 1, y = 2.5, z = -3}), core.pos_to_string({x = 1, y = 2.5, z = -3}, 1))
        print(core.formspec_escape("a[b];c,d\\\\"), core.formspec_escape(nil))
        print(core.colorize("#ff0000", "hi") == "\\27(c@#ff0000)hi\\27(c@#ffffff)")
        print(table.indexof({"a", "b"}, "c"), core.privs_to_string({b = true, a = true}))
        print(dump({1, "x", k = true}))
    """) == [
        "a|b|c\ta|b||c",
        "a|b|c,d\tx",
        "-3\t3\t-1\t5",
        "(1,2.5,-3)\t(1.0,2.5,-3.0)",
        "a\\[b\\]\\;c\\,d\\\\\tnil",
        "true",
        "-1\ta,b",
        '{\n\t1,\n\t"x",\n\tk = true\n}',
    ]


@pytest.mark.parametrize("data", [b"", b"abc", b"a" * 1000, bytes(range(256))])
def test_sha1_matches_hashlib(data: bytes) -> None:
    lua_str = "".join(f"\\{b}" for b in data)
    assert out(f'print(core.sha1("{lua_str}"))') == [hashlib.sha1(data).hexdigest()]


def test_base64_round_trip() -> None:
    assert out('print(core.encode_base64("hello!?"), core.decode_base64(core.encode_base64("hello!?")))') == [
        "aGVsbG8hPw\thello!?"
    ]  # the engine writes no padding


def test_settings_defaults_and_is_yes() -> None:
    assert out("""
        print(core.settings:get("enable_damage"), core.settings:get_bool("creative_mode"))
        print(core.settings:get("no_such_setting"), core.settings:get_bool("no_such_setting", true))
        print(core.settings:get_bool("max_users"), core.settings:get_bool("dedicated_server_step"))
        core.settings:set("x", 5) print(core.settings:get("x"))
    """) == ["true\tfalse", "nil\ttrue", "true\tfalse", "5"]


def test_mod_storage_only_at_load_time() -> None:
    assert out("""
        local s = core.get_mod_storage()
        s:set_int("n", 5) s:set_string("e", "")
        print(s:get_string("n"), s:contains("e"), s.get_keys == nil)  -- get_keys: 5.7
        core.register_on_mods_loaded(function() print(core.get_mod_storage()) end)
    """) == ["5\tfalse\ttrue", "nil"]


def test_strict_globals_warn_once_per_location() -> None:
    output, warnings, errors = run("""
        local function f() made_global = 1 end
        f() f()
        for i = 1, 3 do local _ = not_declared end
        y = nil; y = 5; print(y)
    """)
    assert errors == []
    # logged once each, as the engine does; `y` shows the engine's strict.lua quirk (a global
    # declared with nil is never stored again)
    assert output == [
        'WARNING[Main]: Assignment to undeclared global "made_global" inside a function at '
        f"{MODS_PATH}/helpers/init.lua:2.",
        f'WARNING[Main]: Undeclared global variable "not_declared" accessed at {MODS_PATH}/helpers/init.lua:4',
        "nil",
    ]
    assert [w.split(" at ")[0] for w in warnings] == [
        'Assignment to undeclared global "made_global" inside a function',
        'Undeclared global variable "not_declared" accessed',
    ]


def test_vector_errors_and_metatable() -> None:
    output, _, errors = run("""
        local v = vector.new(1, 2, 3)
        print(getmetatable(v) == vector.metatable, v[1], tostring(v), v == vector.new(1, 2, 3))
        print(vector.equals({x = 1, y = 2, z = 3}, v), v == {x = 1, y = 2, z = 3})
        vector.new(1)
    """)
    assert output == ["true\t1\t(1, 2, 3)\ttrue", "true\tfalse"]
    assert errors == ["Invalid arguments for vector.new()"]
