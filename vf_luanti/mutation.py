"""Mutation testing of task checks: small wrong variants of a reference that the checks must reject.

Mutants are made at the Lua token level (vf_luanti.lualex.lua_tokens), so comments, layout and the
rest of the file stay byte-identical. Operators (docs/tasks.md, "Mutation testing"):

* ``number``: an integer literal +1 and -1, a fractional one doubled (off-by-one / wrong values);
* ``string``: an item name ``"mod:thing"`` gets a suffix; other text gets a ``~`` after its first
  character (media file names, which no check can see, are left alone);
* ``bool``: ``true`` <-> ``false``;
* ``field``: one ``key = value`` field of a table constructor deleted (cosmetic media fields such
  as ``tiles`` are skipped, as no behavioural check can observe them);
* ``callback``: a callback field or ``register_on_*`` name swapped for a sibling
  (``on_punch`` <-> ``on_rightclick`` ...);
* ``registration``: one whole ``core.register_*(...)`` / ``minetest.register_*(...)`` call dropped;
* ``operator``: ``+``/``-``, ``<``/``<=``, ``>``/``>=``, ``==``/``~=``, ``and``/``or`` swapped.

A mutant that does not compile is not counted (any check kills it, which says nothing about the
checks). The kill rate of an item is killed / counted; items under 90 % need stronger checks.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .lualex import Token, lua_tokens

KILL_TARGET = 0.90
MAX_MUTANTS = 40
#: Fields only a renderer or a sound player can observe; deleting them is an equivalent mutant.
COSMETIC_FIELDS = frozenset(
    {
        "tiles",
        "special_tiles",
        "overlay_tiles",
        "inventory_image",
        "wield_image",
        "inventory_overlay",
        "wield_overlay",
        "textures",
        "visual_size",
        "wield_scale",
        "color",
        "palette",
        "mesh",
        "use_texture_alpha",
        "post_effect_color",
        "sounds",
        "sound",
        "waving",
        "is_ground_content",
    }
)
MEDIA_RE = re.compile(r"\.(png|jpg|jpeg|tga|ogg|obj|b3d|x|gltf|glb)\b", re.I)
CALLBACK_SWAPS = {
    "on_punch": "on_rightclick",
    "on_rightclick": "on_punch",
    "on_construct": "on_destruct",
    "on_destruct": "on_construct",
    "after_place_node": "after_dig_node",
    "after_dig_node": "after_place_node",
    "on_timer": "on_blast",
    "on_use": "on_secondary_use",
    "on_secondary_use": "on_use",
    "on_place": "on_drop",
    "on_activate": "on_deactivate",
    "on_step": "on_death",
    "on_death": "on_step",
    "register_on_joinplayer": "register_on_leaveplayer",
    "register_on_leaveplayer": "register_on_joinplayer",
    "register_on_newplayer": "register_on_respawnplayer",
    "register_on_dieplayer": "register_on_respawnplayer",
    "register_on_chat_message": "register_on_shutdown",
    "register_on_player_receive_fields": "register_on_craft",
    "register_abm": "register_lbm",
    "register_lbm": "register_abm",
    "register_craftitem": "register_tool",
    "register_tool": "register_craftitem",
}
OPERATOR_SWAPS = {
    "+": "-",
    "-": "+",
    "<": "<=",
    "<=": "<",
    ">": ">=",
    ">=": ">",
    "==": "~=",
    "~=": "==",
    "and": "or",
    "or": "and",
    "*": "/",
}
OPENERS = {"(": ")", "[": "]", "{": "}"}
BLOCK_OPEN = frozenset({"function", "if", "do", "repeat"})
BLOCK_CLOSE = frozenset({"end", "until"})


@dataclass(frozen=True)
class Mutant:
    """One variant of the reference: which operator made it, where, and its full text."""

    op: str
    where: str
    code: str
    change: str = ""  # what changed, e.g. '12 -> 13' or 'deleted: light_source = 12,'


def _code_tokens(toks: Sequence[Token]) -> list[int]:
    return [i for i, t in enumerate(toks) if t.kind not in ("space", "comment")]


def _line(src: str, pos: int) -> int:
    return src.count("\n", 0, pos) + 1


def _replace(src: str, tok: Token, new: str) -> str:
    return src[: tok.start] + new + src[tok.start + len(tok.text) :]


def _short(t: str) -> str:
    t = " ".join(t.split())
    return t if len(t) <= 40 else t[:37] + "..."


def _number_variants(text: str) -> list[str]:
    try:
        v = int(text, 0)
    except ValueError:
        try:
            f = float(text)
        except ValueError:
            return []
        return [repr(f * 2)] if f else ["1"]
    return [str(v + 1), str(v - 1)] if v > 0 else [str(v + 1)]


def _string_variant(text: str) -> str | None:
    if text.startswith("["):
        return None
    q, body = text[0], text[1:-1]
    if not body or MEDIA_RE.search(body) or "\\" in body:
        return None
    if re.fullmatch(r":?[a-z0-9_]+:[A-Za-z0-9_]+(\s+\d+)*", body):
        name, *rest = body.split()
        return q + " ".join([name + "_x", *rest]) + q
    # a character inserted after the first one breaks both equality and substring checks
    return q + body[:1] + "~" + body[1:] + q


def _matching(toks: Sequence[Token], code: list[int], k: int) -> int | None:
    """Index in ``code`` of the bracket closing the one at ``code[k]``."""
    depth = 0
    for j in range(k, len(code)):
        t = toks[code[j]].text
        if t in OPENERS:
            depth += 1
        elif t in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return j
    return None


def _field_spans(toks: Sequence[Token], code: list[int]) -> list[tuple[str, int, int]]:
    """``(name, first_token, end_char)`` of each ``name = value`` field in a table constructor."""
    spans = []
    stack: list[str] = []  # "(", "[", "{" or "block"
    starts: list[tuple[str, int, int]] = []  # pending fields: (name, code index, stack depth)
    for k, i in enumerate(code):
        t = toks[i]
        prev = toks[code[k - 1]].text if k else ""
        if (
            t.kind == "name"
            and stack
            and stack[-1] == "{"
            and prev in ("{", ",", ";")
            and k + 1 < len(code)
            and toks[code[k + 1]].text == "="
        ):
            starts.append((t.text, k, len(stack)))
        if t.text in OPENERS and t.kind == "op":
            stack.append(t.text)
        elif t.kind == "keyword" and t.text in BLOCK_OPEN:
            stack.append("block")
        elif t.kind == "keyword" and t.text in BLOCK_CLOSE:
            if stack and stack[-1] == "block":
                stack.pop()
        elif t.text in (")", "]", "}") and t.kind == "op":
            if t.text == "}" and starts and starts[-1][2] == len(stack):
                name, sk, _ = starts.pop()
                spans.append((name, sk, toks[code[k - 1]].start + len(toks[code[k - 1]].text)))
            if stack:
                stack.pop()
        elif t.text in (",", ";") and starts and starts[-1][2] == len(stack):
            name, sk, _ = starts.pop()
            spans.append((name, sk, t.start + 1))
    return spans


def mutants(src: str, seed: int = 0, limit: int = MAX_MUTANTS) -> list[Mutant]:
    """Distinct mutants of ``src``; when there are more than ``limit``, a seeded sample across operators."""
    toks = lua_tokens(src)
    code = _code_tokens(toks)
    out: list[Mutant] = []

    def add(op: str, tok_or_pos: Token | int, text: str) -> None:
        pos = tok_or_pos.start if isinstance(tok_or_pos, Token) else tok_or_pos
        grown = len(text) - len(src)
        if op in ("registration", "field"):  # a deletion starting at pos
            change = "deleted: " + _short(src[pos : pos - grown])
        else:  # one token replaced
            old = tok_or_pos.text if isinstance(tok_or_pos, Token) else ""
            change = f"{old} -> {text[pos : pos + len(old) + grown]}"
        out.append(Mutant(op, f"line {_line(src, pos)}", text, change))

    for k, i in enumerate(code):
        t = toks[i]
        prev = toks[code[k - 1]].text if k else ""
        nxt = toks[code[k + 1]].text if k + 1 < len(code) else ""
        if t.kind == "number":
            for v in _number_variants(t.text):
                add("number", t, _replace(src, t, v))
        elif t.kind == "string":
            variant = _string_variant(t.text)
            if variant:
                add("string", t, _replace(src, t, variant))
        elif t.kind == "keyword" and t.text in ("true", "false"):
            add("bool", t, _replace(src, t, "false" if t.text == "true" else "true"))
        elif t.kind == "name" and t.text in CALLBACK_SWAPS and (nxt == "=" or prev == "."):
            add("callback", t, _replace(src, t, CALLBACK_SWAPS[t.text]))
        elif t.text in OPERATOR_SWAPS and (t.kind == "op" or t.text in ("and", "or")):
            if t.text == "-" and prev in ("=", "(", ",", "{", "return", "", "..", "*", "/", "+", "-"):
                continue  # unary minus
            add("operator", t, _replace(src, t, OPERATOR_SWAPS[t.text]))
        if (
            t.kind == "name"
            and t.text in ("minetest", "core")
            and nxt == "."
            and k + 3 < len(code)
            and toks[code[k + 2]].text.startswith("register_")
            and toks[code[k + 3]].text == "("
        ):
            j = _matching(toks, code, k + 3)
            if j is not None:
                end_tok = toks[code[j]]
                add("registration", t, src[: t.start] + src[end_tok.start + 1 :])
    for name, sk, end in _field_spans(toks, code):
        if name in COSMETIC_FIELDS:
            continue
        first = toks[code[sk]]
        add("field", first, src[: first.start] + src[end:])
    seen = {src}
    uniq = []
    for m in out:
        if m.code not in seen:
            seen.add(m.code)
            uniq.append(m)
    if len(uniq) <= limit:
        return uniq
    rng = random.Random(seed)
    by_op: dict[str, list[Mutant]] = {}
    for m in uniq:
        by_op.setdefault(m.op, []).append(m)
    for lst in by_op.values():
        rng.shuffle(lst)
    picked: list[Mutant] = []
    while len(picked) < limit:  # round-robin over operators so each kind of fault is represented
        for lst in by_op.values():
            if lst and len(picked) < limit:
                picked.append(lst.pop())
    return picked
