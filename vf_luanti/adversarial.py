"""Adversarial answers built from a task's own data: attacks on the judge that no item may let pass.

An RL policy optimises against the judge, so each item is tried with the cheap attacks a policy
finds first (docs/threat_model.md). ``vf-luanti data validate`` scores them for every item and
reports, per class, how many passed (the target is none) and the mean reward of the do-nothing
classes (the targets are in docs/rubrics.md). Classes:

* ``echo``: the task input returned unchanged (repair, refactor, scaffold with context code);
* ``empty``: a mod that does nothing (a comment);
* ``hollow``: the gold with every function body emptied (registrations kept, behaviour gone);
* ``crash_startup``: the gold plus an error in ``minetest.after(0, ...)``, which crashes the real
  server in its first step;
* ``crash_step``: the gold plus a globalstep that raises;
* ``crash_late``: the gold plus an error 45 s of game time after start-up (after any scenario);
* ``flood``: the do-nothing answer behind a flood of distinct warnings, to push real deprecation
  and undeclared-global warnings out of the judge's view;
* ``forged``: the do-nothing answer run through ``loadstring`` with a chunk name of the engine's
  builtin, so its callbacks and globals pass for the engine's own;
* ``tamper``: the do-nothing answer followed by code that lies to whatever a check might read:
  every ``minetest.get_*``/``is_*``/``check_*`` function and every ItemStack method answers with an
  object that says yes to everything, ``pairs`` sees nothing, the old judge's formspec record is
  forged. Task-specific tampering is the red-team corpus's job (tests/redteam).
"""

from __future__ import annotations

from dataclasses import dataclass

from .lualex import lua_tokens
from .scoring import baseline_code
from .tasks import Task

CLASSES = (
    "echo",
    "empty",
    "hollow",
    "crash_startup",
    "crash_step",
    "crash_late",
    "flood",
    "forged",
    "tamper",
)
#: The classes whose mean reward is bounded (docs/rubrics.md "Reward targets").
REWARD_TARGETS = {"echo": 0.25, "empty": 0.10, "hollow": 0.30}

TAMPER = """
local yes = setmetatable({}, {__index = function() return function() return true end end,
	__call = function() return true end})
for k, v in pairs(minetest) do
	if type(v) == "function" and (k:find("^get_") or k:find("^is_") or k:find("^check_")) then
		minetest[k] = function() return yes end
	end
end
local methods = getmetatable(ItemStack(""))
for k in pairs(methods) do
	methods[k] = function() return yes end
end
rawset(_G, "__vfl_shown", setmetatable({}, {__index = function() return {formname = "", spec = ""} end}))
pairs = function() return next, {}, nil end
"""

_OPENERS = frozenset({"function", "do", "if", "repeat"})
_CLOSERS = frozenset({"end", "until"})


@dataclass(frozen=True)
class Attack:
    """One adversarial answer: its class and the completion text a model would send."""

    cls: str
    completion: str


def hollow(src: str) -> str:
    """``src`` with the body of every outermost function removed (``function(a) end``).

    Token-level, so strings and comments that contain keywords do not confuse it; a chunk that
    does not lex into balanced blocks is returned unchanged.
    """
    toks = [t for t in lua_tokens(src) if t.kind not in ("space", "comment")]
    cuts: list[tuple[int, int]] = []
    k = 0
    while k < len(toks):
        t = toks[k]
        if t.kind == "keyword" and t.text == "function":
            # the body starts after the parameter list's closing parenthesis
            p = k
            while p < len(toks) and toks[p].text != ")":
                p += 1
            depth, q = 1, p + 1
            while q < len(toks) and depth:
                if toks[q].kind == "keyword" and toks[q].text in _OPENERS:
                    depth += 1
                elif toks[q].kind == "keyword" and toks[q].text in _CLOSERS:
                    depth -= 1
                q += 1
            if depth or p >= len(toks):
                return src
            end_tok = toks[q - 1]
            cuts.append((toks[p].start + 1, end_tok.start))
            k = q
            continue
        k += 1
    out, last = [], 0
    for a, b in cuts:
        out.append(src[last:a])
        out.append(" ")
        last = b
    out.append(src[last:])
    return "".join(out)


def _fence(code: str) -> str:
    return "```lua\n" + code.rstrip("\n") + "\n```\n"


def _long_string(code: str) -> str:
    level = 1
    while "]" + "=" * level + "]" in code:
        level += 1
    eq = "=" * level
    return f"[{eq}[\n{code}]{eq}]"


def attacks(task: Task) -> list[Attack]:
    """The adversarial answers for ``task`` (classes that do not apply to it are left out)."""
    gold = task.reference.rstrip("\n") + "\n"
    base = baseline_code(task)
    out = []
    if task.input.strip() and task.family != "doc":
        out.append(Attack("echo", _fence(task.input)))
    out.append(Attack("empty", _fence("-- nothing to do\n")))
    hollowed = hollow(gold)
    if hollowed != gold:
        out.append(Attack("hollow", _fence(hollowed)))
    for cls, crash in (
        ("crash_startup", 'minetest.after(0, function() error("boom") end)'),
        ("crash_step", 'minetest.register_globalstep(function() error("boom") end)'),
        ("crash_late", 'minetest.after(45, function() error("late boom") end)'),
    ):
        out.append(Attack(cls, _fence(gold + crash + "\n")))
    flood = (
        "for i = 1, 400 do local _ = rawget(_G, 'x') or _G['vfl_flood_' .. i] end\n"
        "for i = 1, 400 do minetest.log('warning', 'flood ' .. i) end\n"
    )
    out.append(Attack("flood", _fence(flood + base)))
    engine_chunk = "@/usr/share/games/minetest/builtin/game/register.lua"  # the emulation's chunk names
    forged = f'assert(loadstring({_long_string(base)}, "{engine_chunk}"))()\n'
    out.append(Attack("forged", _fence(forged)))
    out.append(Attack("tamper", _fence(base + TAMPER)))
    return out


__all__ = ["CLASSES", "REWARD_TARGETS", "TAMPER", "Attack", "attacks", "hollow"]
