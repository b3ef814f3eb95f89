"""Unified diffs applied to a repair task's input, tolerant of whitespace like ``patch -l``: context
and removed lines match with whitespace runs collapsed, context lines keep the input's own text, and
a hunk whose line numbers are off is found nearest to where it says it is (the parser,
vf_luanti/parse.py, decides when an answer is a diff and falls back to its full file)."""

from __future__ import annotations

import re

_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(ValueError):
    """A unified diff that does not apply to the task input."""


def looks_like_diff(text: str) -> bool:
    """A unified diff: at least one ``@@ -a,b +c,d @@`` hunk header."""
    return any(_HUNK_HEADER.match(line) for line in text.splitlines())


def collapse(line: str) -> str:
    """A line with whitespace runs collapsed to one space and none at either end."""
    return " ".join(line.split())


def _read_hunks(lines: list[str]) -> list[tuple[int, list[tuple[str, str]]]]:
    """``[(old start line, [(op, text), ...]), ...]`` with op ``" "``, ``"-"`` or ``"+"``.

    A hunk runs as far as its header's line counts say (so blank context lines read right) or up to
    prose. A line starting with a tab is context that lost its leading space. Blank context at either
    end is dropped: it only locates the hunk, and a miscounted header must not make it fail.
    """
    hunks: list[tuple[int, list[tuple[str, str]]]] = []
    i = 0
    while i < len(lines):
        m = _HUNK_HEADER.match(lines[i])
        i += 1
        if not m:
            continue
        need_old = int(m.group(2)) if m.group(2) is not None else 1
        need_new = int(m.group(4)) if m.group(4) is not None else 1
        ops: list[tuple[str, str]] = []
        seen_old = seen_new = 0
        while i < len(lines) and (seen_old < need_old or seen_new < need_new):
            line = lines[i]
            i += 1
            if line.startswith("\\"):  # "\ No newline at end of file"
                continue
            if line[:1] in ("", "\t"):
                op, text = " ", line
            elif line[:1] in (" ", "+", "-"):
                op, text = line[:1], line[1:]
            else:
                i -= 1
                break  # prose: the hunk is shorter than its header says
            ops.append((op, text))
            seen_old += op != "+"
            seen_new += op != "-"
        while ops and ops[-1] == (" ", ""):
            ops.pop()
        while ops and ops[0] == (" ", ""):
            ops.pop(0)
        hunks.append((int(m.group(1)), ops))
    return hunks


def apply_unified_diff(original: str, diff: str) -> str:
    """Apply a unified diff to ``original``; hunks may be offset (context is searched for) but must match.

    Lines match with whitespace runs collapsed (like ``patch -l``: models and chat front ends turn tabs
    into spaces and drop trailing blanks); context lines keep the input's own text. Raises PatchError
    saying which hunk failed and why.
    """
    hunks = _read_hunks(diff.split("\n"))
    if not hunks:
        raise PatchError("the diff has no hunks (no '@@ -a,b +c,d @@' header)")
    out = original.split("\n")
    shift = 0
    for n, (start, ops) in enumerate(hunks, 1):
        old = [text for op, text in ops if op != "+"]
        at = _find_block(out, old, max(0, start - 1 + shift))
        if at is None:
            want = old[0] if old else ""
            raise PatchError(
                f"hunk {n} (at line {start}) does not apply: its context/removed lines "
                f"(starting {want!r}) are not in the input"
            )
        matched = iter(out[at : at + len(old)])
        new: list[str] = []
        for op, text in ops:
            if op == "+":
                new.append(text)
            elif op == " ":
                new.append(next(matched))  # the input's own line, whatever the diff's whitespace
            else:
                next(matched)
        out[at : at + len(old)] = new
        shift += len(new) - len(old)
    return "\n".join(out)


def _find_block(lines: list[str], block: list[str], hint: int) -> int | None:
    """Where ``block`` occurs in ``lines`` (whitespace runs collapsed), nearest to ``hint`` if several."""
    if not block:
        return min(hint, len(lines))
    want = [collapse(b) for b in block]
    have = [collapse(line) for line in lines]
    cands = [
        i for i in range(len(have) - len(want) + 1) if have[i] == want[0] and have[i : i + len(want)] == want
    ]
    return min(cands, key=lambda i: abs(i - hint)) if cands else None
