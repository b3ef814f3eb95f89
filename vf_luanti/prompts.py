"""Prompts: the one place that turns a task into chat messages (environment, SFT data, training).

Minimal version written with the task format; the environment engineer owns and extends it.
"""

from __future__ import annotations

from typing import Any

SYSTEM_PROMPT = (
    "You are an expert Luanti (Minetest) mod developer. You write Lua 5.1 code for the Luanti modding API "
    "(use the `minetest` namespace). Answer with the complete init.lua of the mod in one ```lua fenced "
    "block. Use local variables; the only global a mod may define is a table named like the mod."
)

_FAMILY_INTRO = {
    "scaffold": "Write the mod described below.",
    "repair": "The mod below is broken. Fix it and give the complete corrected init.lua "
    "(or a unified diff against it).",
    "refactor": "Change the mod below as asked, keeping everything else exactly as it is. Give the complete "
    "new init.lua.",
    "doc": "Here is an excerpt of the Luanti API documentation. Use it to write the mod described after it.",
}


def build_messages(task: Any, answer_form: str = "lua") -> list[dict[str, str]]:
    """[system, user] messages for ``task``.

    ``answer_form`` is "lua" (a full file) or "diff" (a unified diff; repair only).
    """
    parts = [_FAMILY_INTRO[task.family], f"The mod is named `{task.mod_name}`."]
    if task.family == "doc":
        parts.append("Documentation:\n" + task.input.strip())
    elif task.input.strip():
        parts.append(f"Current init.lua:\n```lua\n{task.input.rstrip()}\n```")
    parts.append("Task:\n" + task.instruction.strip())
    if answer_form == "diff" and task.family == "repair":
        parts.append("Answer with a unified diff against the current init.lua in a ```diff block.")
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]
