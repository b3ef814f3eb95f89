"""The cases a scenario drives: values generated per sample, and the data each step feeds the mod.

A check that sends fixed values (``/double 7`` expects "Result: 14") teaches a policy trained on
repeated items the whole test set: a lookup table of the values it has seen passes. So a scenario
may declare **generated values** (docs/tasks.md §3.3, "Generated values")::

    "vars": {"n": {"int": [2, 999]}, "target": {"player": true}}

that its steps use through templates ``$(expr)`` or ``$(expr:spec)`` in any string (the step's
``desc`` aside): ``"/double $(n)"`` expecting ``"Result: $(n*2)"``. Each sample draws its own values
from its world's start (``ServerStart``: different per sample, the same for one sample, so one
answer always gets one verdict), never a number the instruction quotes and never the value of
another var of the scenario. ``expr`` is integer arithmetic: the integer vars, integer literals,
``+ - *``, ``//`` and ``%`` and ``/`` by a non-zero literal, unary minus, parentheses, ``min``,
``max``, ``abs``. A string that is exactly one template without a spec becomes the number itself
(for ``count``, ``hp``, ``seconds``, a ``pos`` coordinate ...); otherwise the number is written into
the text as Lua's ``tostring`` writes it (``7``, ``3.5``), or with the Python format ``spec`` (``,``
thousands separators, ``03d``, ``.1f``).

A **player name** var is text: a realistic name valid for the engine (``player_name_pattern``),
composed from the seed (so no list of names a mod could recognise), never a word of the instruction
or of the scenario's fixed text and never another name var. It is written alone, ``$(target)``,
into any string: a ``player`` field, ``"/heal $(target)"``, ``"Healed $(target)."``, a Lua string
literal. Judges' scenarios with fixed player names at the spawn let a mod special-case them.

The same module says which values a step feeds the mod as data (``step_inputs``, the channels of
vf_luanti.hidden): the hidden-case rule and the feedback that keeps hidden expected values out
(vf_luanti.checks.scenario) read one definition.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..lualex import lua_tokens
from .base import CheckError

#: Most vars one scenario may declare, and the widest range of one (its bounds' magnitude too).
MAX_VARS, MAX_MAGNITUDE = 8, 10**9
VAR_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_FUNCTIONS: dict[str, Any] = {"min": min, "max": max, "abs": abs}
_SPEC = re.compile(r"^0?\d{0,2},?(\.\d)?[df]?$")
_OPS: dict[type, Any] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Div: lambda a, b: a / b,
}
#: Keys of a step that are never templates: its kind and its description (shown in feedback).
_LITERAL_KEYS = ("do", "expect", "desc")
#: The engine's rule for a player name (constants.h PLAYERNAME_ALLOWED_CHARS, PLAYERNAME_SIZE: letters,
#: digits, '-' and '_', at most 20 characters; the server refuses others at connect).
player_name_pattern = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
_VAR_FORMS = '{"int": [lo, hi]} or {"player": true}'


@dataclass(frozen=True)
class IntVar:
    """An integer var: drawn from ``lo..hi``."""

    lo: int
    hi: int


@dataclass(frozen=True)
class PlayerVar:
    """A player-name var: text drawn from the name parts below."""


Var = IntVar | PlayerVar
Value = int | str

# Name parts for player-name vars: real servers' names are handles like these. A name is composed
# (style, words, digits) from the seed, so the names a judge uses are not a short list to look up.
_ADJECTIVES = (  # noqa: SIM905 (a word list reads best as text)
    "amber brave calm dusty eager fuzzy gentle hollow icy jolly keen lucky mellow misty noble odd "
    "pale quick rusty shy silent sly stormy swift tiny wild witty zesty"
).split()
_NOUNS = (  # noqa: SIM905
    "badger birch cobble comet crow ember falcon fern flint fox gecko glade hawk heron ivy juniper "
    "kestrel lynx maple marsh moss newt otter pebble pike quartz raven reed sparrow spruce thistle "
    "toad walrus willow wren yak"
).split()


def templates(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, inner text) of each ``$( ... )`` in ``text``, parentheses balanced."""
    i = text.find("$(")
    while i >= 0:
        depth, j = 0, i + 1
        while j < len(text):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                break
            j += 1
        if depth:
            raise CheckError(f"{text!r}: '$(' is not closed")
        yield i, j + 1, text[i + 2 : j]
        i = text.find("$(", j + 1)


def is_generated(value: Any) -> bool:
    """Whether a step value (a string) holds a template, i.e. a value drawn per sample."""
    return isinstance(value, str) and "$(" in value


def _split_spec(inner: str) -> tuple[str, str | None]:
    expr, sep, spec = inner.rpartition(":")
    return (expr, spec) if sep else (inner, None)


def _check_expr(node: ast.AST, names: dict[str, bool], used: set[str]) -> None:
    """Raise CheckError unless ``node`` is in the tiny expression language (module docstring) over
    ``names`` (var name: whether it is text, a player name, which takes no arithmetic)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return
    if isinstance(node, ast.Name):
        if node.id not in names:
            known = ", ".join(sorted(names)) or "none"
            raise CheckError(f"unknown name {node.id!r} (vars: {known})")
        if names[node.id]:
            raise CheckError(
                f"{node.id!r} is a player name: write it alone, as $({node.id}), with no arithmetic or spec"
            )
        used.add(node.id)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check_expr(node.operand, names, used)
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        if isinstance(node.op, ast.FloorDiv | ast.Mod | ast.Div) and not (
            isinstance(node.right, ast.Constant) and type(node.right.value) is int and node.right.value
        ):
            raise CheckError("'/', '//' and '%' take a non-zero integer literal on the right")
        _check_expr(node.left, names, used)
        _check_expr(node.right, names, used)
        return
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and node.args
        and not node.keywords
    ):
        for a in node.args:
            _check_expr(a, names, used)
        return
    raise CheckError(
        "only integers, the vars, + - * // % /, parentheses, min, max and abs are allowed "
        f"(found {ast.unparse(node)[:40]!r})"
    )


def _parse(inner: str, names: dict[str, bool], used: set[str]) -> tuple[ast.Expression, str | None]:
    expr, spec = _split_spec(inner)
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        raise CheckError(f"$({inner}): not an expression") from None
    if spec is None and isinstance(tree.body, ast.Name) and names.get(tree.body.id):
        used.add(tree.body.id)  # a player name, alone
        return tree, None
    try:
        _check_expr(tree.body, names, used)
    except CheckError as exc:
        raise CheckError(f"$({inner}): {exc}") from None
    if spec is not None and not _SPEC.match(spec):
        raise CheckError(f"$({inner}): format spec {spec!r} is not one of the forms ',', '03d', '.1f'")
    return tree, spec


def _eval(node: ast.AST, values: dict[str, Value]) -> int | float | str:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Name):
        return values[node.id]  # a player name only alone (_parse)
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values)
        assert not isinstance(v, str)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        return _OPS[type(node.op)](_eval(node.left, values), _eval(node.right, values))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return _FUNCTIONS[node.func.id](*(_eval(a, values) for a in node.args))


def lua_number(v: int | float) -> str:
    """A number as Lua's ``tostring`` writes it (LuaJIT: ``%.14g``; an integral float has no point)."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        v = int(v)
    return str(v) if isinstance(v, int) else f"{v:.14g}"


def _render(inner: str, values: dict[str, Value]) -> tuple[int | float | str, str]:
    tree, spec = _parse(inner, {n: isinstance(v, str) for n, v in values.items()}, set())
    v = _eval(tree.body, values)
    if isinstance(v, str):
        return v, v
    if spec is None:
        return v, lua_number(v)
    return v, format(v, spec)


def substitute(value: Any, values: dict[str, Value]) -> Any:
    """``value`` with every template replaced (strings inside lists and objects too, and object
    keys: ``"storage": {"seen_$(who)": ...}``). A string that is exactly one template without a
    spec becomes the value itself (a number, or a player name); a key stays text."""
    if isinstance(value, dict):
        return {_text(k, values): substitute(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, values) for v in value]
    if not is_generated(value):
        return value
    spans = list(templates(value))
    if len(spans) == 1 and spans[0][:2] == (0, len(value)) and _split_spec(spans[0][2])[1] is None:
        v = _render(spans[0][2], values)[0]
        return int(v) if isinstance(v, float) and v.is_integer() else v
    return _text(value, values)


def _text(value: str, values: dict[str, Value]) -> str:
    """``value`` with each template written into the text."""
    out, last = [], 0
    for start, end, inner in templates(value):
        out += [value[last:start], _render(inner, values)[1]]
        last = end
    return "".join(out) + value[last:]


def bind_steps(steps: list[dict[str, Any]], values: dict[str, Value]) -> list[dict[str, Any]]:
    """The steps with the generated values in place (a step's kind and ``desc`` stay as written)."""
    return [{k: v if k in _LITERAL_KEYS else substitute(v, values) for k, v in s.items()} for s in steps]


def validate_vars(spec: Any) -> dict[str, Var]:
    """A scenario's ``vars`` as {name: IntVar | PlayerVar}; CheckError names the var and what is wrong."""
    if not isinstance(spec, dict) or not spec or len(spec) > MAX_VARS:
        raise CheckError(f"'vars' must map 1 to {MAX_VARS} names to {_VAR_FORMS}")
    out: dict[str, Var] = {}
    for name, v in spec.items():
        if not VAR_NAME.match(name) or name in _FUNCTIONS:
            raise CheckError(f"vars: {name!r} is not a var name ([a-z_][a-z0-9_]*, not min/max/abs)")
        if isinstance(v, dict) and set(v) == {"player"}:
            if v["player"] is not True:
                raise CheckError(f'vars.{name}: a player name is {{"player": true}}')
            out[name] = PlayerVar()
            continue
        rng = v.get("int") if isinstance(v, dict) and set(v) == {"int"} else None
        if not (
            isinstance(rng, list)
            and len(rng) == 2
            and all(type(x) is int and abs(x) <= MAX_MAGNITUDE for x in rng)
            and rng[0] < rng[1]
        ):
            raise CheckError(
                f"vars.{name}: must be {_VAR_FORMS}; int bounds are integers lo < hi within ±{MAX_MAGNITUDE}"
            )
        out[name] = IntVar(rng[0], rng[1])
    return out


def string_values(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(field path, text) of every string in a step value, object keys included."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{where} (a key)", k
            yield from string_values(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from string_values(v, f"{where}[{i}]")
    elif isinstance(value, str):
        yield where, value


def validate_templates(steps: list[Any], spec: Any) -> list[dict[str, Any]]:
    """Check every template of ``steps`` against the scenario's ``vars`` (``spec``, None when it
    declares none) and return the steps bound to a sample of values (an int var's lower bound, a
    placeholder name), so the caller validates their shape as any step's. Every var must be used."""
    ranges = validate_vars(spec) if spec is not None else {}
    texts = {n: isinstance(v, PlayerVar) for n, v in ranges.items()}
    used: set[str] = set()
    for i, s in enumerate(steps):
        if not isinstance(s, dict):
            continue
        for key, v in s.items():
            for where, text in string_values(v, f"steps[{i}].{key}"):
                if not is_generated(text):
                    continue
                if key in _LITERAL_KEYS:
                    raise CheckError(f"{where}: {key!r} is shown as written, it takes no $(...) template")
                if not ranges:
                    raise CheckError(f"{where}: {text!r} uses $(...) but the scenario declares no 'vars'")
                try:
                    for _, _, inner in templates(text):
                        _parse(inner, texts, used)
                except CheckError as exc:
                    raise CheckError(f"{where}: {exc}") from None
    unused = [n for n in ranges if n not in used]
    if unused:
        raise CheckError(f"vars: {', '.join(unused)} declared but never used in a step")
    if not ranges:
        return steps
    sample: dict[str, Value] = {
        n: v.lo if isinstance(v, IntVar) else f"Sample_{n}"[:20] for n, v in ranges.items()
    }
    try:
        return bind_steps(steps, sample)
    except (ZeroDivisionError, OverflowError, ValueError) as exc:
        raise CheckError(f"a template cannot be evaluated with {sample}: {exc}") from None


_QUOTED_NUMBER = re.compile(r"(?<![\w.])-?\d+(?![\w]|\.\d)")


def quoted_numbers(instruction: str) -> set[int]:
    """The integers the instruction states as whole words: generated values avoid them."""
    return {int(m.group(0)) for m in _QUOTED_NUMBER.finditer(instruction)}


_WORD = re.compile(r"[A-Za-z0-9_-]+")


def fixed_words(instruction: str, steps: list[Any]) -> set[str]:
    """The words (lower case) of the instruction and of the steps' fixed text: a drawn player name
    avoids them, so it is never a player the scenario names as written nor one the text quotes."""
    texts = [instruction] + [t for _, t in string_values(steps, "steps") if not is_generated(t)]
    return {w.lower() for t in texts for w in _WORD.findall(t)}


def player_name(h: bytes) -> str:
    """A player name composed from the hash ``h``: words and digits in one of the styles players
    use (``QuietOtter``, ``mossy_fern42``, ``Kestrel-7``), valid for the engine."""
    adj, noun = _ADJECTIVES[h[0] % len(_ADJECTIVES)], _NOUNS[h[1] % len(_NOUNS)]
    digits = str(int.from_bytes(h[2:4], "little") % 10 ** (1 + h[4] % 4))
    styles = (
        adj.capitalize() + noun.capitalize(),
        f"{adj}_{noun}{digits}",
        f"{noun.capitalize()}-{digits}",
        f"{noun}{digits}",
        f"{adj.capitalize()}{noun.capitalize()}{digits}",
        f"{noun.capitalize()}_{adj}",
    )
    return styles[h[5] % len(styles)][:20]


def _draw_name(seed: str, name: str, taken: set[str]) -> str:
    """A player name from ``seed`` not in ``taken`` (lower case); after 64 collisions (only with a
    huge word list) a counter makes it unique."""
    for k in range(64):
        v = player_name(hashlib.sha256(f"{seed}:{name}:{k}".encode()).digest())
        if v.lower() not in taken:
            return v
    return next(f"{v[:16]}{i}" for i in range(len(taken) + 1) if f"{v[:16]}{i}".lower() not in taken)


def draw(spec: dict[str, Any], seed: str, avoid: set[int], words: set[str] | None = None) -> dict[str, Value]:
    """One sample's values for a scenario's ``vars``: each drawn from ``seed`` (the sample's world
    and the scenario) by hash, never in ``avoid`` (the quoted numbers; for a player name, ``words``
    in lower case: fixed_words) nor equal to a var drawn before it. When an int range holds
    nothing else, the lowest value left, else its lower bound."""
    out: dict[str, Value] = {}
    for name, var in validate_vars(spec).items():
        if isinstance(var, PlayerVar):
            names = {x.lower() for x in out.values() if isinstance(x, str)}
            out[name] = _draw_name(seed, name, (words or set()) | names)
            continue
        numbers = avoid | {x for x in out.values() if isinstance(x, int)}
        lo, hi = var.lo, var.hi
        span = hi - lo + 1
        for k in range(32):
            h = hashlib.sha256(f"{seed}:{name}:{k}".encode()).digest()
            v = lo + int.from_bytes(h[:8], "little") % span
            if v not in numbers:
                break
        else:
            v = next((x for x in range(lo, min(hi, lo + len(numbers)) + 1) if x not in numbers), lo)
        out[name] = v
    return out


def sample_seed(start: Any, steps: list[dict[str, Any]]) -> str:
    """The seed of one scenario in one sample: the sample's world start (``ServerStart``) and the
    scenario's own text, so two scenarios of an item draw different values."""
    return (
        f"{start.map_seed}:{start.clock_us}:{start.days}:{hashlib.sha256(repr(steps).encode()).hexdigest()}"
    )


# --------------------------------------------------------------------------- data inputs by channel


def lua_call_args(code: str, mod: str) -> list[tuple[str, str]]:
    """(function, literal) for each string/number literal in the arguments of a call to ``mod.f``
    or ``mod:f`` (nested parentheses included, comments ignored)."""
    toks = [t for t in lua_tokens(code) if t.kind not in ("space", "comment")]
    out: list[tuple[str, str]] = []
    for k, t in enumerate(toks):
        if t.kind != "name" or t.text != mod or (k > 0 and toks[k - 1].text in (".", ":")):
            continue
        j, fn = k + 1, mod
        while j + 1 < len(toks) and toks[j].text in (".", ":") and toks[j + 1].kind == "name":
            fn += toks[j].text + toks[j + 1].text
            j += 2
        if fn == mod or j >= len(toks) or toks[j].text != "(":
            continue
        depth = 0
        for n in range(j, len(toks)):
            a = toks[n]
            depth += a.text == "("
            depth -= a.text == ")"
            if depth == 0:
                break
            if a.kind == "number":  # a unary minus belongs to the value
                unary = toks[n - 1].text == "-" and toks[n - 2].text in ("(", ",", "{", "=")
                out.append((fn, "-" * unary + a.text))
            elif a.kind == "string" and a.text[:1] in "\"'":
                out.append((fn, a.text[1:-1]))
    return out


def _words(text: str) -> list[str]:
    """Whitespace-separated words, a template counting as one word whatever its spaces."""
    return re.findall(r"(?:\$\([^()]*(?:\([^()]*\)[^()]*)*\)|\S)+", text)


def step_inputs(s: dict[str, Any], players: set[str], mod: str) -> list[tuple[str, str]]:
    """(channel, value) for each value step ``s`` feeds the mod as data (vf_luanti.hidden, rule 1):
    a chat command's argument words or other chat words (``players``' names aside), a submitted
    field, a ``set_meta`` value, a ``set_node`` param2, a ``set_hp`` value, an entity's staticdata,
    the literal arguments of calls to the mod's own API in a ``lua`` step. A template stays as
    written (``is_generated``)."""
    act = s.get("do") or ("lua" if s.get("expect") == "lua" else None)
    if act == "chat":
        msg = s["message"]
        if msg.startswith("/"):
            cmd, _, args = msg[1:].partition(" ")
            return [(f"/{cmd}", w) for w in _words(args) if w not in players]
        return [("chat", w) for w in _words(msg) if w not in players]
    if act in ("receive_fields", "node_fields"):
        return [(f"field {k}", str(v)) for k, v in s["fields"].items()]
    if act == "set_meta":
        return [(f"meta {s['key']}", str(s["value"]))]
    if act == "set_node" and "param2" in s:
        return [(f"param2 {s['node']}", str(s["param2"]))]
    if act == "set_hp":
        return [("hp", str(s["hp"]))]
    if act == "add_entity" and s.get("staticdata"):
        return [(f"staticdata {s['name']}", s["staticdata"])]
    if act == "lua":
        return lua_call_args(s["code"], mod)
    return []


def word_re(value: str) -> re.Pattern[str]:
    """``value`` as a whole word: no letter, digit or underscore on either side, and no digit
    continuing a number ("2" is not quoted by "2.5", nor "21" by "210")."""
    return re.compile(r"(?<![\w.])" + re.escape(value) + r"(?![\w]|\.\d)")


def is_quoted(value: str, instruction: str) -> bool:
    """Whether the instruction states ``value`` as a whole word (a generated value never is)."""
    return not is_generated(value) and word_re(value).search(instruction) is not None


def computes(text: str, names: set[str]) -> bool:
    """Whether ``text`` holds a template other than a lone player-name var (``names``): a value
    computed per sample. A drawn name is no case to learn: feedback may show it."""
    return is_generated(text) and any(inner.strip() not in names for _, _, inner in templates(text))


def hidden_expectations(
    steps: list[dict[str, Any]], instruction: str, mod: str, names: set[str] | None = None
) -> set[int]:
    """Indexes of the scenario's ``expect`` steps whose expected value a failing answer must not be
    shown: the step holds a generated value (a player-name var of ``names`` aside), or follows a
    data input the instruction does not quote (a hidden case). Over the steps as written
    (templates unbound)."""
    names = names or set()
    players = {s["player"] for s in steps if s.get("do") == "join"}
    hidden, out = False, set()
    for i, s in enumerate(steps):
        hidden = hidden or any(
            v.strip() and not is_quoted(v, instruction) and (computes(v, names) or not is_generated(v))
            for _, v in step_inputs(s, players, mod)
        )
        if "expect" in s and (
            hidden or any(computes(t, names) for k, v in s.items() for _, t in string_values(v, k))
        ):
            out.add(i)
    return out
