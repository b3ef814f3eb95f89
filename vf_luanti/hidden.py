"""Hidden cases: no item may test only the values its instruction quotes (docs/tasks.md §6).

An instruction that says "`/double 21` replies 42" and a check that runs only `/double 21` let an
answer print "Result: 42" when it sees "21" and pass without doubling anything. A policy trained on
the reward finds such answers, so ``vf-luanti data validate`` flags the item until a check drives
the behaviour with a value the instruction does not state (``/double 7`` expects 14).

The rule, over the item's behavioural checks (scenario steps, ``lua`` checks):

1. **Driven inputs.** Each value a check feeds into behaviour that transforms input, grouped by the
   *channel* it enters through (one rule per channel):

   * a chat command's argument words (channel ``/cmd``), other chat text's words (``chat``),
     leaving out the names of the scenario's players (an identity, not data);
   * a submitted form field's value (``field <name>``: ``receive_fields`` and ``node_fields``);
   * a ``set_meta`` value (``meta <key>``), a ``set_node`` param2 (``param2 <node>``), a ``set_hp``
     value (``hp``), an entity's staticdata (``staticdata <entity>``);
   * the literal arguments of a call to the mod's own API in Lua code (``mymod.f``): ``lua`` checks,
     ``do``/``expect`` ``lua`` steps.

   Positions, item names, player names, times and counts of repetitions are setup: an instruction
   may quote them freely.
2. **Pinned.** A scenario input counts only when an ``expect`` step follows it (an input whose
   outcome nothing reads pins nothing); a Lua call is itself read by its check.
3. **Keywords are not data.** A value other than a number that the gold answer itself names (a
   string or a name in the reference, comments aside: ``param == "on"``, a button label, an item
   name) belongs to a finite set the instruction must enumerate; a lookup table over it is a correct
   answer, so it neither flags nor clears a channel. Empty values are edge cases, never data.
4. **Quoted.** A value is quoted when it occurs in the instruction as a whole word (not inside a
   longer word or number). A number that occurs elsewhere in the text by coincidence ("cracky = 3"
   and a param2 of 3) counts too: the judge cannot tell an example from a coincidence, and another
   value is a cheap fix that makes the item stronger anyway.
5. **Generated.** A value drawn per sample (a template of the scenario's ``vars``, ``$(n)``,
   vf_luanti.checks.cases) is never quoted: the draw avoids the numbers the instruction states, and
   each sample gets its own, so no table of seen values answers it.
6. A channel is **flagged** when it has data inputs and every one is quoted; an item is flagged when
   any of its channels is. Items whose checks drive no data (registrations, fixed messages, events)
   are never flagged.

Pure Python over a Task: no scoring, no Lua.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .checks.cases import is_generated, is_quoted, lua_call_args, step_inputs, word_re
from .lualex import lua_tokens, strip_lua_comments
from .tasks import Task


@dataclass(frozen=True)
class Drive:
    """One value a check feeds into the mod: ``where`` names the check (and step)."""

    channel: str
    value: str
    where: str


@dataclass(frozen=True)
class Finding:
    """A channel whose every data input the instruction quotes: the hard-codable behaviour."""

    channel: str
    values: tuple[str, ...]
    where: tuple[str, ...]

    def describe(self) -> str:
        vals = ", ".join(repr(v) for v in self.values)
        return (
            f"every input of {self.channel} is quoted in the instruction ({vals}; {'; '.join(self.where)}): "
            "add a case with a value the instruction does not state"
        )


def driven_inputs(task: Task) -> list[Drive]:
    """Every pinned data input of the item's behavioural checks (rules 1 and 2)."""
    mod = task.mod_name
    out: list[Drive] = []
    for i, c in enumerate(task.checks):
        label = f"checks[{i}] {c.get('desc', c['kind'])!r}"
        if c["kind"] == "lua":
            out += [Drive(fn, v, label) for fn, v in lua_call_args(c["code"], mod)]
        if c["kind"] != "scenario":
            continue
        steps = c["steps"]
        players = {s["player"] for s in steps if s.get("do") == "join"}
        for j, s in enumerate(steps):
            if not any("expect" in later for later in steps[j + 1 :]) and "expect" not in s:
                continue  # nothing reads what this input did
            where = f"{label} step {j + 1}"
            out += [Drive(ch, v, where) for ch, v in step_inputs(s, players, mod)]
    return out


def _keywords(reference: str) -> str:
    """The reference's names and string contents, one per line: what rule 3 searches."""
    toks = lua_tokens(strip_lua_comments(reference))
    return "\n".join(t.text.strip("\"'[]=") for t in toks if t.kind in ("name", "string"))


_NUMBER = re.compile(r"^[-+]?[\d.,]+$")


def _is_keyword(value: str, keywords: str) -> bool:
    return not _NUMBER.match(value) and word_re(value).search(keywords) is not None


def findings(task: Task) -> list[Finding]:
    """The item's flagged channels (rules 3-6), in the order their first input occurs."""
    keywords = _keywords(task.reference)
    channels: dict[str, list[Drive]] = {}
    for d in driven_inputs(task):
        if d.value.strip() and (is_generated(d.value) or not _is_keyword(d.value, keywords)):
            channels.setdefault(d.channel, []).append(d)
    out = []
    for ch, drives in channels.items():
        if all(is_quoted(d.value, task.instruction) for d in drives):
            values = tuple(dict.fromkeys(d.value for d in drives))
            where = tuple(dict.fromkeys(d.where for d in drives))
            out.append(Finding(ch, values, where))
    return out
