"""Turn a model's completion text into the Lua source that is loaded as the mod's ``init.lua``.

Accepted forms (docs/tasks.md, "Completion forms", is the reference):

* Reasoning is dropped first: ``<think>...</think>`` (also an unopened ``</think>``, which chat
  templates that open the tag in the prompt produce), and harmony channels: when a
  ``<|channel|>final<|message|>`` segment exists only it counts, otherwise analysis segments are cut.
* Fenced blocks (```` ``` ````, ``~~~``, at any indentation: fences inside list items are common). The
  info string gives a language and maybe a file name (``lua``, ``lua:init.lua``, ``lua title="init.lua"``,
  ``lua init.lua``, ``{.lua file=init.lua}``, ``init.lua``). Each block is one of:

  - Lua: named ``*.lua``, tagged ``lua``/``luajit``/``lua5.1`` ..., or untagged with a body that compiles.
    The mod is a single init.lua, so several ``.lua`` files are joined in order like several blocks.
  - mod.conf: named ``mod.conf``, or (unless named ``*.lua``) made only of ``key = value`` lines with
    mod.conf keys. Not code: skipped with a note, like blocks in another language or naming another
    file (``bash``, ``json``, ``settingtypes.txt`` ...) and untagged blocks that do not compile (a usage
    example such as ``/mycommand foo``, a shell line). When no Lua block is left, those untagged blocks
    are the code, so that their syntax error is what the feedback reports.
  - A unified diff: tagged ``diff``/``patch``, or a Lua/untagged block made of ``@@`` hunks.

* Bare Lua: the whole text when it has no fence at all (a diff when it is made of hunks).
* Several Lua blocks (``select_lua``): a model may split one init.lua over several blocks, or quote
  code and then give its final version (the broken original, then the fix; a draft, then a revision).
  The rule only ever picks among the model's own Lua blocks, so the judge never scores text the model
  did not give as code; it is deterministic, so giving several candidates gains nothing over giving
  the last one:

  1. A block whose lines (comments and whitespace aside) all occur as a run in another block is
     dropped: an excerpt ("the changed line is ...") or a copy; of two equal blocks the last stays.
  2. A block is superseded by a later block that defines the same thing (registers the same name in
     the same registry -- items and aliases, entities, commands, privileges -- or defines a function of
     the same name); a block equal to the task input (comments and whitespace aside) is superseded by a
     later block that uses at least two thirds of the input's names (identifiers, also those in
     strings). Superseded blocks are dropped: what a later block defines again is a new version, not
     more of the file, while the pieces of a split file define different things, and an addition to a
     quoted input ("keep this and add ...") mostly uses names of its own.
  3. The rest is joined in order. When that does not compile but one of the blocks compiles alone,
     the last such block is the answer (a complete file, then a fragment that was not meant to run).

  Answers with more than ``MAX_COMPARED_BLOCKS`` Lua blocks are joined without these comparisons
  (which cost time quadratic in the number of blocks).
* Repair tasks: a unified diff against the task's ``input`` is applied, tolerant of whitespace like
  ``patch -l`` (context and removed lines match with whitespace runs collapsed; context lines keep the
  input's own text). When it does not apply and the answer's Lua blocks compile (the complete file
  given as well), those are the answer, with a note; otherwise the failed hunk is the error.

Parsing never raises: a problem becomes ``ParseResult.error`` and the score's feedback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from .lualex import LUA_KEYWORDS, lua_tokens, strip_lua_comments
from .patch import PatchError, apply_unified_diff, collapse, looks_like_diff
from .syntax import syntax_error

#: Fence languages taken as Lua (besides ``lua`` followed by a version, such as ``lua5.1``).
LUA_TAGS = frozenset({"lua", "luau", "luajit", "moonscript-lua"})
DIFF_TAGS = frozenset({"diff", "patch", "udiff"})
#: The keys of a mod's mod.conf (the engine's mod loader and ContentDB read these).
MOD_CONF_KEYS = frozenset(
    {
        "name",
        "title",
        "description",
        "depends",
        "optional_depends",
        "author",
        "release",
        "textdomain",
        "min_minetest_version",
        "supported_games",
        "unsupported_games",
    }
)
MAX_COMPARED_BLOCKS = 32
#: The registry each ``register_KIND("name", ...)`` adds to (what a block ``definitions`` says it defines).
REGISTRIES = {
    "node": "item",
    "craftitem": "item",
    "tool": "item",
    "item": "item",
    "alias": "item",
    "alias_force": "item",
    "chatcommand": "command",
}

_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.S | re.I)
_HARMONY_FINAL = re.compile(
    r"<\|channel\|>\s*final\s*<\|message\|>(.*?)(?:<\|end\|>|<\|return\|>|<\|start\|>|$)", re.S
)
_HARMONY_ANY = re.compile(
    r"(?:<\|start\|>[^<]*)?<\|channel\|>\s*(\w+)[^<]*<\|message\|>(.*?)(?:<\|end\|>|<\|return\|>|<\|call\|>|(?=<\|start\|>)|(?=<\|channel\|>)|$)",
    re.S,
)
_HARMONY_TOKEN = re.compile(r"<\|[a-z_]+\|>")
_FENCE_OPEN = re.compile(r"^([ \t]*)(`{3,}|~{3,})([^\n`]*)$", re.M)
_LUA_VERSION_TAG = re.compile(r"lua[\d.]*")
_INFO_FILE_ATTR = re.compile(r"""\b(?:title|file|filename|name|path)\s*=\s*["']?([^"'\s}]+)["']?""", re.I)
_FILE_NAME = re.compile(r"[\w./-]*\w\.[A-Za-z]\w*")
_CONF_LINE = re.compile(r"\s*(\w+)\s*=")
_MOD_NAME = re.compile(r"[a-z0-9_]+")
_WORD = re.compile(r"[A-Za-z_]\w*")


@dataclass
class ParseResult:
    """What the completion contributes: ``code`` (the init.lua text) or an ``error`` saying why not."""

    code: str = ""
    form: str = "empty"  # "fenced", "bare", "diff", "empty"
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    #: The mods a mod.conf block of the answer depends on (``depends`` and ``optional_depends``):
    #: a real server loads the mod after those that are installed (a game's ``default``).
    depends: tuple[str, ...] = ()


class Block(NamedTuple):
    """One fenced block: the info string's language (lower case) and file name (either may be empty);
    ``closed`` is False for a block cut off by the end of the text (a truncated completion)."""

    lang: str
    file: str
    body: str
    closed: bool = True


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


def fence_info(info: str) -> tuple[str, str]:
    """``(language, file name)`` from a fence's info string; ``lua:init.lua``, ``lua title="init.lua"``,
    ``lua init.lua``, ``{.lua file=init.lua}`` and ``init.lua`` all name the language and/or the file."""
    attr = _INFO_FILE_ATTR.search(info)
    file = attr.group(1) if attr else ""
    words = [w.strip("{}()[]\"',;").lstrip(".") for w in _INFO_FILE_ATTR.sub(" ", info).split()]
    words = [w for w in words if w]
    lang = ""
    for k, word in enumerate(words):
        if k == 0 and ":" in word:  # lua:init.lua
            lang, _, named = word.partition(":")
            file = file or named
        elif _FILE_NAME.fullmatch(word):
            file = file or word
        elif k == 0:
            lang = word
    return lang.lower(), file


def fenced_blocks(text: str) -> list[Block] | None:
    """All fenced blocks in order, or None when the text has no fence.

    The body of an indented fence (in a list item) loses that indentation, so diffs in it still read.
    """
    blocks: list[Block] = []
    pos = 0
    found = False
    while True:
        m = _FENCE_OPEN.search(text, pos)
        if not m:
            break
        found = True
        indent, fence = m.group(1), m.group(2)
        body_start = m.end() + 1
        close = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$", re.M)
        c = close.search(text, body_start)
        end = c.start() if c else len(text)
        body = text[body_start:end] if body_start <= end else ""
        if indent:
            body = re.sub(rf"(?m)^[ \t]{{1,{len(indent)}}}", "", body)
        blocks.append(Block(*fence_info(m.group(3)), body, c is not None))
        if not c:
            break
        pos = c.end()
    return blocks if found else None


def is_mod_conf(body: str) -> bool:
    """Whether a block is a mod.conf: only ``key = value`` lines (and ``#`` comments) with mod.conf keys."""
    lines = [line for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return bool(lines) and all(
        (m := _CONF_LINE.match(line)) is not None and m.group(1) in MOD_CONF_KEYS for line in lines
    )


def mod_conf_depends(body: str) -> tuple[str, ...]:
    """The mod names a mod.conf's ``depends`` and ``optional_depends`` lines list (comma-separated)."""
    names: list[str] = []
    for line in body.splitlines():
        m = _CONF_LINE.match(line)
        if m is not None and m.group(1) in ("depends", "optional_depends"):
            names += [n.strip() for n in line.split("=", 1)[1].split(",") if _MOD_NAME.fullmatch(n.strip())]
    return tuple(dict.fromkeys(names))


def _compiles(code: str) -> bool:
    """Whether LuaJIT compiles ``code`` (compile only, nothing runs)."""
    return syntax_error(code) is None


def _kind(block: Block) -> str:
    """``"lua"``, ``"diff"``, ``"untagged"`` (Lua if it compiles), or what the block is instead."""
    file = block.file.rsplit("/", 1)[-1].lower()
    if block.lang in DIFF_TAGS or file.endswith((".diff", ".patch")):
        return "diff"
    lua_named = file.endswith(".lua")
    if file and not lua_named:
        return file  # another file of the mod (mod.conf, settingtypes.txt ...): not code
    if not lua_named and is_mod_conf(block.body):
        return "mod.conf"
    if lua_named or block.lang in LUA_TAGS or _LUA_VERSION_TAG.fullmatch(block.lang) or not block.lang:
        if looks_like_diff(block.body):
            return "diff"
        return "untagged" if not (lua_named or block.lang) else "lua"
    return block.lang


def _norm_lines(src: str) -> list[str]:
    """The code's non-blank lines, comments left out and whitespace runs collapsed (for comparisons)."""
    return [c for line in strip_lua_comments(src).split("\n") if (c := collapse(line))]


def _names(src: str) -> set[str]:
    """The distinct identifiers in code and strings (``"mymod:wool_red"`` gives mymod, wool_red)."""
    return {w for w in _WORD.findall(strip_lua_comments(src)) if w not in LUA_KEYWORDS}


def definitions(src: str) -> set[str]:
    """What a piece of Lua defines: ``KIND "NAME"`` for a ``register_*("NAME", ...)`` call and
    ``function NAME`` for a named function definition (``local function f``, ``function mod.f``).

    KIND is the engine's registry the name lives in (``REGISTRIES``): a privilege and a command may
    share a name, and so may an entity and an item.
    """
    toks = [t for t in lua_tokens(src) if t.kind not in ("space", "comment")]
    defs: set[str] = set()
    for k, t in enumerate(toks[:-1]):
        if t.text == "function" and toks[k + 1].kind == "name":
            name, m = toks[k + 1].text, k + 2
            while m + 1 < len(toks) and toks[m].text in (".", ":") and toks[m + 1].kind == "name":
                name += toks[m].text + toks[m + 1].text
                m += 2
            defs.add(f"function {name}")
        elif t.kind == "name" and t.text.startswith("register_"):
            arg = toks[k + 2] if toks[k + 1].text == "(" and k + 2 < len(toks) else toks[k + 1]
            if arg.kind == "string" and arg.text[:1] in "\"'":
                kind = t.text.removeprefix("register_")
                defs.add(f'{REGISTRIES.get(kind, kind)} "{arg.text[1:-1].lstrip(":")}"')
    return defs


def select_lua(
    blocks: list[tuple[int, str]], task_input: str = "", truncated: int = 0
) -> tuple[str, list[str]]:
    """The code from the answer's Lua blocks ``[(block number, body), ...]`` and notes on what was left
    out (the rule is in the module docstring). Block ``truncated`` was cut off by the end of the text:
    it is the model's unfinished last version, never an excerpt, even where it repeats a quote's start."""
    blocks = [(n, body.strip("\n")) for n, body in blocks if body.strip()]
    if len(blocks) < 2 or len(blocks) > MAX_COMPARED_BLOCKS:
        return "\n".join(body for _, body in blocks), []
    notes: list[str] = []
    lines = {n: _norm_lines(body) for n, body in blocks}
    joined = {n: "\n" + "\n".join(lines[n]) + "\n" for n, _ in blocks}
    kept = []
    for n, body in blocks:
        copies = (
            m
            for m, _ in blocks
            if m != n
            and joined[n] in joined[m]
            and (len(lines[n]) < len(lines[m]) or (lines[n] == lines[m] and n < m))
        )
        copy_of = None if n == truncated else next(copies, None)
        if copy_of is None:
            kept.append((n, body))
        else:
            notes.append(f"Lua block {n} repeats lines of block {copy_of}: left out")
    quote = _norm_lines(task_input)
    quoted_names = _names(task_input) if quote else set()
    defs = {n: definitions(body) for n, body in kept}
    final = []
    for k, (n, body) in enumerate(kept):
        for m, later in kept[k + 1 :]:
            again = defs[n] & defs[m]
            if again:
                notes.append(f"Lua block {n} is superseded by block {m}, which defines {min(again)} again")
                break
            if quote and lines[n] == quote and 3 * len(quoted_names & _names(later)) >= 2 * len(quoted_names):
                notes.append(f"Lua block {n} quotes the task input; block {m} is its new version")
                break
        else:
            final.append((n, body))
    code = "\n".join(body for _, body in final)
    if len(final) > 1 and not _compiles(code):
        alone = [(n, body) for n, body in final if _compiles(body)]
        if alone:
            n, code = alone[-1]
            notes.append(
                f"the Lua blocks together do not compile; block {n}, which compiles alone, is judged"
            )
    return code, notes


def extract_code(completion: str, family: str = "scaffold", task_input: str = "") -> ParseResult:
    """The init.lua text a completion stands for (module docstring lists the accepted forms)."""
    if not isinstance(completion, str):
        return ParseResult(error=f"completion must be text, got {type(completion).__name__}")
    text = strip_reasoning(completion.replace("\r\n", "\n"))
    if not text.strip():
        return ParseResult(error="the completion has no answer (empty, or reasoning only)")
    blocks = fenced_blocks(text)
    form = "bare" if blocks is None else "fenced"
    if blocks is None:
        blocks = [Block("lua", "", text)]
    notes: list[str] = []
    lua: list[tuple[int, str]] = []
    untagged: list[tuple[int, str]] = []
    diffs: list[str] = []
    skipped: list[str] = []
    truncated = len(blocks) if not blocks[-1].closed else 0
    depends: tuple[str, ...] = ()
    for n, block in enumerate(blocks, 1):
        kind = _kind(block)
        if kind == "mod.conf":
            depends = mod_conf_depends(block.body)  # the last mod.conf of the answer counts
        if kind == "lua" or (kind == "untagged" and _compiles(block.body)):
            lua.append((n, block.body))
        elif kind == "untagged":
            untagged.append((n, block.body))
        elif kind == "diff":
            diffs.append(block.body)
        elif block.body.strip():
            skipped.append(kind)
    if not lua:  # nothing compiles: judge the untagged text so that its syntax error is the feedback
        lua, untagged = untagged, []
    if untagged:
        skipped.append("untagged text that is not Lua")
    if skipped:
        notes.append("ignored blocks that are not Lua code for the mod: " + ", ".join(sorted(set(skipped))))
    if diffs and family == "repair":
        patched = task_input
        try:
            for d in diffs:
                patched = apply_unified_diff(patched, d)
        except PatchError as exc:
            code, select_notes = select_lua(lua, task_input, truncated)
            if not (code.strip() and _compiles(code)):
                return ParseResult(
                    form="diff", error=f"the diff does not apply to the input: {exc}", notes=notes
                )
            notes += [*select_notes, f"the diff does not apply ({exc}); the Lua file in the answer is judged"]
            return ParseResult(code=code + "\n", form=form, notes=notes, depends=depends)
        return ParseResult(code=patched, form="diff", notes=notes, depends=depends)
    if diffs:
        notes.append("a unified diff is only accepted for repair tasks; it was ignored")
    code, select_notes = select_lua(lua, task_input, truncated)
    notes += select_notes
    if not code.strip():
        return ParseResult(form=form, error="the completion contains no Lua code block", notes=notes)
    return ParseResult(code=code + "\n", form=form, notes=notes, depends=depends)
