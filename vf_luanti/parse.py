"""Turn a model's completion text into the Lua source that is loaded as the mod's ``init.lua``.

Accepted forms (docs/tasks.md, "Completion forms"):

* Lua in fenced blocks (```` ``` ````, ```` ```lua ````, ``~~~``); several Lua blocks are joined in order.
  Blocks tagged with another language (``bash``, ``json``, ``conf`` ...) are not code for the mod and
  are skipped. An unclosed fence (a truncated completion) runs to the end of the text.
* Bare Lua: the whole text when it has no fence at all.
* Reasoning is dropped first: ``<think>...</think>`` (also an unopened ``</think>``, which chat
  templates that open the tag in the prompt produce), and harmony channels: when a
  ``<|channel|>final<|message|>`` segment exists only it counts, otherwise analysis segments are cut.
* For repair tasks, a unified diff against the task's ``input`` (a ```` ```diff ```` block, or a bare
  or fenced text made of ``---``/``+++``/``@@`` hunks) is applied, and the patched file is the answer.

Parsing never raises: a problem becomes ``ParseResult.error`` and the score's feedback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

#: Fence languages taken as Lua. Untagged blocks count as Lua too.
LUA_TAGS = frozenset({"", "lua", "luau", "luajit", "moonscript-lua", "init.lua"})
DIFF_TAGS = frozenset({"diff", "patch", "udiff"})

_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.S | re.I)
_HARMONY_FINAL = re.compile(
    r"<\|channel\|>\s*final\s*<\|message\|>(.*?)(?:<\|end\|>|<\|return\|>|<\|start\|>|$)", re.S
)
_HARMONY_ANY = re.compile(
    r"(?:<\|start\|>[^<]*)?<\|channel\|>\s*(\w+)[^<]*<\|message\|>(.*?)(?:<\|end\|>|<\|return\|>|<\|call\|>|(?=<\|start\|>)|(?=<\|channel\|>)|$)",
    re.S,
)
_HARMONY_TOKEN = re.compile(r"<\|[a-z_]+\|>")
_FENCE_OPEN = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n`]*$", re.M)
_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class ParseResult:
    """What the completion contributes: ``code`` (the init.lua text) or an ``error`` saying why not."""

    code: str = ""
    form: str = "empty"  # "fenced", "bare", "diff", "empty"
    error: str | None = None
    notes: list[str] = field(default_factory=list)


class PatchError(ValueError):
    """A unified diff that does not apply to the task input."""


def strip_reasoning(text: str) -> str:
    """Remove ``<think>`` blocks and harmony analysis; keep only what the model gave as its answer."""
    text = _THINK_BLOCK.sub("", text)
    low = text.lower()
    if "</think>" in low:  # the opening tag was part of the prompt template
        text = text[low.rindex("</think>") + len("</think>") :]
    elif "<think>" in low:  # reasoning never closed: there is no answer after it
        text = text[: low.index("<think>")]
    if "<|channel|>" in text or "<|message|>" in text:
        finals = _HARMONY_FINAL.findall(text)
        if finals:
            text = "\n".join(finals)
        else:
            kept = [
                body for chan, body in _HARMONY_ANY.findall(text) if chan not in ("analysis", "commentary")
            ]
            text = "\n".join(kept) if kept else _HARMONY_ANY.sub("", text)
        text = _HARMONY_TOKEN.sub("", text)
    return text


def fenced_blocks(text: str) -> list[tuple[str, str]] | None:
    """``[(tag, body), ...]`` of all fenced blocks in order, or None when the text has no fence."""
    blocks: list[tuple[str, str]] = []
    pos = 0
    found = False
    while True:
        m = _FENCE_OPEN.search(text, pos)
        if not m:
            break
        found = True
        fence, tag = m.group(1), m.group(2).lower()
        body_start = m.end() + 1
        close = re.compile(r"^[ \t]{0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$", re.M)
        c = close.search(text, body_start)
        end = c.start() if c else len(text)
        blocks.append((tag, text[body_start:end] if body_start <= end else ""))
        if not c:
            break
        pos = c.end()
    return blocks if found else None


def looks_like_diff(text: str) -> bool:
    """A unified diff: at least one ``@@ -a,b +c,d @@`` hunk header."""
    return any(_HUNK_HEADER.match(line) for line in text.splitlines())


def apply_unified_diff(original: str, diff: str) -> str:
    """Apply a unified diff to ``original``; hunks may be offset (context is searched for) but must match.

    Trailing whitespace differences in context lines are tolerated (models often drop it). Raises
    PatchError saying which hunk failed and why.
    """
    src = original.split("\n")
    lines = diff.split("\n")
    hunks: list[tuple[int, list[str], list[str]]] = []
    i = 0
    while i < len(lines):
        m = _HUNK_HEADER.match(lines[i])
        if not m:
            i += 1
            continue
        start = int(m.group(1))
        # The header's line counts say where the hunk ends (so blank context lines are read right).
        need_old = int(m.group(2)) if m.group(2) is not None else 1
        need_new = int(m.group(4)) if m.group(4) is not None else 1
        old: list[str] = []
        new: list[str] = []
        seen_old = seen_new = 0
        i += 1
        while i < len(lines) and (seen_old < need_old or seen_new < need_new):
            line = lines[i]
            if line.startswith("\\"):  # "\ No newline at end of file"
                i += 1
                continue
            tag, body = (line[:1], line[1:]) if line else (" ", "")
            if tag == "-":
                old.append(body)
                seen_old += 1
            elif tag == "+":
                new.append(body)
                seen_new += 1
            elif tag == " ":
                old.append(body)
                new.append(body)
                seen_old += 1
                seen_new += 1
            else:
                break  # prose: the hunk is shorter than its header says
            i += 1
        hunks.append((start, old, new))
    if not hunks:
        raise PatchError("the diff has no hunks (no '@@ -a,b +c,d @@' header)")
    out = list(src)
    shift = 0
    for n, (start, old, new) in enumerate(hunks, 1):
        at = _find_block(out, old, max(0, start - 1 + shift))
        if at is None:
            want = old[0] if old else ""
            raise PatchError(
                f"hunk {n} (at line {start}) does not apply: its context/removed lines "
                f"(starting {want!r}) are not in the input"
            )
        out[at : at + len(old)] = new
        shift += len(new) - len(old)
    return "\n".join(out)


def _find_block(lines: list[str], block: list[str], hint: int) -> int | None:
    """Where ``block`` occurs in ``lines``, preferring the position nearest to ``hint``."""
    if not block:
        return min(hint, len(lines))
    norm = [b.rstrip() for b in block]
    cands = [
        i
        for i in range(len(lines) - len(block) + 1)
        if all(lines[i + k].rstrip() == norm[k] for k in range(len(block)))
    ]
    return min(cands, key=lambda i: abs(i - hint)) if cands else None


def extract_code(completion: str, family: str = "scaffold", task_input: str = "") -> ParseResult:
    """The init.lua text a completion stands for (module docstring lists the accepted forms)."""
    if not isinstance(completion, str):
        return ParseResult(error=f"completion must be text, got {type(completion).__name__}")
    text = strip_reasoning(completion.replace("\r\n", "\n"))
    if not text.strip():
        return ParseResult(error="the completion has no answer (empty, or reasoning only)")
    blocks = fenced_blocks(text)
    res = ParseResult()
    if blocks is None:
        candidates = [("", text)]
        res.form = "bare"
    else:
        candidates = blocks
        res.form = "fenced"
    diffs = [b for t, b in candidates if t in DIFF_TAGS or (t in LUA_TAGS and looks_like_diff(b))]
    if diffs and family == "repair":
        patched = task_input
        try:
            for d in diffs:
                patched = apply_unified_diff(patched, d)
        except PatchError as exc:
            return ParseResult(form="diff", error=f"the diff does not apply to the input: {exc}")
        res.code, res.form = patched, "diff"
        return res
    if diffs:
        res.notes.append("a unified diff is only accepted for repair tasks; it was ignored")
    lua = [b for t, b in candidates if t in LUA_TAGS and not looks_like_diff(b)]
    skipped = sorted({t for t, _ in candidates if t not in LUA_TAGS and t not in DIFF_TAGS})
    if skipped:
        res.notes.append("ignored non-Lua blocks: " + ", ".join(skipped))
    code = "\n".join(b.strip("\n") for b in lua if b.strip())
    if not code.strip():
        return ParseResult(form=res.form, error="the completion contains no Lua code block", notes=res.notes)
    res.code = code + "\n"
    return res


# --------------------------------------------------------------------------- a lossless Lua lexer


class Token(NamedTuple):
    """One lexeme. ``kind``: name, keyword, number, string, comment, op, space."""

    kind: str
    text: str
    start: int


LUA_KEYWORDS = frozenset(
    [
        "and",
        "break",
        "do",
        "else",
        "elseif",
        "end",
        "false",
        "for",
        "function",
        "goto",
        "if",
        "in",
        "local",
        "nil",
        "not",
        "or",
        "repeat",
        "return",
        "then",
        "true",
        "until",
        "while",
    ]
)
# One alternative per token kind, tried in this order at each position (``lua_tokens``). Strings
# and comments that never close run to the end of the text; an unfinished quoted string stops at
# (and keeps) its line break, as LuaJIT's lexer reports it there.
_TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<comment>--(?:\[(?P<ceq>=*)\[.*?(?:\](?P=ceq)\]|\Z)|[^\n]*))
    |(?P<string>"(?:[^"\\\n]|\\.?)*(?:["\n]|\Z)|'(?:[^'\\\n]|\\.?)*(?:['\n]|\Z)
        |\[(?P<seq>=*)\[.*?(?:\](?P=seq)\]|\Z))
    |(?P<number>(?i:0x[0-9a-f]*\.?[0-9a-f]*(?:p[+-]?\d+)?(?:ull|ll|i)?
        |(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?(?:ull|ll|i)?))
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>\.\.\.|\.\.|==|~=|<=|>=|::|<<|>>|//|.)""",
    re.VERBOSE | re.DOTALL,
)


@lru_cache(maxsize=256)
def lua_tokens(src: str) -> tuple[Token, ...]:
    """Split Lua source into tokens whose texts concatenate back to ``src`` exactly.

    Cached: scoring reads one completion (and its task's reference) several times.
    """
    out: list[Token] = []
    for m in _TOKEN.finditer(src):
        kind, text = m.lastgroup, m.group()
        if kind == "name" and text in LUA_KEYWORDS:
            kind = "keyword"
        elif kind == "op" and not text.isascii():  # a non-ASCII letter or digit stands alone
            kind = "number" if text.isdigit() else "name" if text.isalpha() or text == "_" else "op"
        out.append(Token(kind, text, m.start()))
    return tuple(out)


def strip_lua_comments(src: str) -> str:
    """The source with comments removed (line structure kept where comments were one line)."""
    if "--" not in src:
        return src  # no comment can start anywhere: skip the lexer
    return "".join(t.text for t in lua_tokens(src) if t.kind != "comment")


def calls_print(src: str) -> bool:
    """Whether the code calls ``print`` (a global call, not a field such as ``obj.print``)."""
    if "print" not in src:
        return False  # most code: no need to lex it
    toks = [t for t in lua_tokens(src) if t.kind not in ("space", "comment")]
    for k, t in enumerate(toks):
        if t.kind != "name" or t.text != "print" or (k > 0 and toks[k - 1].text in (".", ":")):
            continue
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if nxt is not None and (nxt.text in ("(", "{") or nxt.kind == "string"):
            return True
    return False
