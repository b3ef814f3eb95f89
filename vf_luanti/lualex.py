"""A lossless Lua lexer: tokens whose texts concatenate back to the source (comments and layout
kept). The parser, the intent checks, mutation, decontamination and the generator read code
through it, so one definition of what a Lua token is serves them all."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple


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
    |(?P<string>"(?:[^"\\\n]|\\z\s*|\\.?)*(?:["\n]|\Z)|'(?:[^'\\\n]|\\z\s*|\\.?)*(?:['\n]|\Z)
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
        assert kind is not None  # every alternative of _TOKEN is a named group
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
