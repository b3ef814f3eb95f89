"""Prompts: the one place that turns a task into chat messages.

The verifiers environment and the v1 taskset take ``system_prompt`` and ``user_prompt`` from here,
and the SFT data and the training driver build whole conversations with ``build_messages`` from the
same two, so a model is trained on exactly the prompts it is evaluated on. The system prompt names the Luanti
version the judge emulates (an API name added later does not exist there) and the answer form the
parser expects (vf_luanti/parse.py): a whole ``init.lua`` in one fenced block, or for repair tasks
optionally a unified diff.
"""

from __future__ import annotations

from typing import Any

#: The engine release the emulation reproduces (vf_luanti/lua/versions.lua ``I.target_version``).
LUANTI_VERSION = "5.6.1"

#: Answer forms a prompt may ask for. "diff" applies to repair tasks; other families fall back to "lua".
ANSWER_FORMS = ("lua", "diff")

_ANSWER_RULES = {
    "lua": "Answer with the complete init.lua of the mod in one ```lua fenced block.",
    "diff": "For a repair task, answer with a unified diff against the current init.lua in one ```diff "
    "fenced block (hunks starting with @@); for any other task, answer with the complete init.lua of "
    "the mod in one ```lua fenced block.",
}

_FAMILY_INTRO = {
    "scaffold": "Write the mod described below.",
    "repair": "The mod below is broken. Fix it and give the complete corrected init.lua "
    "(or a unified diff against it).",
    "refactor": "Change the mod below as asked, keeping everything else exactly as it is. Give the complete "
    "new init.lua.",
    "doc": "Here is an excerpt of the Luanti API documentation. Use it to write the mod described after it.",
}


def system_prompt(answer_form: str = "lua", version: str = LUANTI_VERSION) -> str:
    """The system message: role, target engine version, language rules and the answer form."""
    if answer_form not in ANSWER_FORMS:
        raise ValueError(f"answer_form must be one of {', '.join(ANSWER_FORMS)}, got {answer_form!r}")
    return (
        f"You are an expert Luanti (Minetest) mod developer. The mod runs on Luanti {version}: use only "
        "the modding API that exists in that release (the `minetest` namespace). Write Lua 5.1 (LuaJIT). "
        f"{_ANSWER_RULES[answer_form]} Use local variables; the only global a mod may define is a table "
        "named like the mod. Do not print debug output."
    )


#: The default system prompt (whole-file answers).
SYSTEM_PROMPT = system_prompt()


def user_prompt(task: Any, answer_form: str = "lua") -> str:
    """The user message: the family's framing, the mod name, the task's input and its instruction."""
    parts = [_FAMILY_INTRO[task.family], f"The mod is named `{task.mod_name}`."]
    if task.luanti_version:
        parts.append(f"Target Luanti version: {task.luanti_version}.")
    if task.family == "doc":
        parts.append("Documentation:\n" + task.input.strip())
    elif task.input.strip():
        parts.append(f"Current init.lua:\n```lua\n{task.input.rstrip()}\n```")
    parts.append("Task:\n" + task.instruction.strip())
    if answer_form == "diff" and task.family == "repair":
        parts.append("Answer with a unified diff against the current init.lua in a ```diff block.")
    return "\n\n".join(parts)


def build_messages(task: Any, answer_form: str = "lua", system: str | None = None) -> list[dict[str, str]]:
    """[system, user] messages for ``task``.

    ``answer_form`` is "lua" (a full file) or "diff" (a unified diff; repair only). ``system``
    replaces the default system prompt (the environment's ``system_prompt`` argument).
    """
    return [
        {"role": "system", "content": system if system is not None else system_prompt(answer_form)},
        {"role": "user", "content": user_prompt(task, answer_form)},
    ]
