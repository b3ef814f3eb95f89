"""Built-in offline "models" that answer benchmark prompts without a model server or network.

They self-check the harness the way a gold-patch run checks a SWE benchmark: ``reference`` answers
every task with its gold solution, so every task must pass (anything else is a bug in a task, the
parser, the emulation or the scoring); ``broken`` answers with corrupted gold code, so no task may
pass (anything else means the checks cannot tell working code from broken code).

Both speak the OpenAI chat-completions protocol through an in-process ``httpx`` transport
(``chat_transport``), so ``vf-luanti bench`` drives the real verifiers client and writes exactly
the files vf-eval writes. The prompt is mapped back to its task by the user message text, which
``vf_luanti.prompts`` makes unique per task.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from .prompts import user_prompt

#: The ways ``broken`` corrupts the gold code; sample i of a prompt uses CORRUPTIONS[i % 3]. Each one
#: is certain to fail: a load-time error, a syntax error, or no code at all.
CORRUPTIONS = ("load_error", "syntax_error", "no_code")


def reference_answer(task: Any, sample: int = 0) -> str:
    """The gold solution in the answer form the system prompt asks for."""
    return f"```lua\n{task.reference.rstrip()}\n```"


def broken_answer(task: Any, sample: int = 0) -> str:
    """Gold code corrupted so that it cannot pass; the corruption rotates with ``sample``."""
    kind = CORRUPTIONS[sample % len(CORRUPTIONS)]
    code = task.reference.rstrip()
    if kind == "load_error":
        return f'```lua\nerror("deliberately broken mod")\n{code}\n```'
    if kind == "syntax_error":
        return f"```lua\n{code}\nlocal function unfinished(\n```"
    return "I cannot write this mod."


#: Model name -> answer function (task, sample index) -> completion text.
MODELS: dict[str, Callable[[Any, int], str]] = {"reference": reference_answer, "broken": broken_answer}


class ChatResponder:
    """Answers chat-completion request bodies for the built-in models.

    ``tasks`` are the tasks that may be asked; a prompt is recognised by its user message (for
    either answer form). Each prompt's samples are numbered in arrival order, so the n rollouts of
    one task get different corruptions from ``broken``.
    """

    def __init__(self, tasks: Iterable[Any]) -> None:
        self.by_prompt: dict[str, Any] = {}
        for t in tasks:
            for form in ("lua", "diff"):
                self.by_prompt[user_prompt(t, form)] = t
        self._count: dict[tuple[str, str], int] = defaultdict(int)
        self._lock = threading.Lock()

    def answer(self, model: str, messages: list[dict[str, Any]]) -> str:
        """The completion text; raises KeyError for an unknown model or prompt."""
        fn = MODELS.get(model)
        if fn is None:
            raise KeyError(f"unknown built-in model {model!r} (models: {', '.join(MODELS)})")
        user = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), None)
        task = self.by_prompt.get(user if isinstance(user, str) else "")
        if task is None:
            raise KeyError("the prompt is not one of the benchmark's prompts")
        with self._lock:
            sample = self._count[(model, task.id)]
            self._count[(model, task.id)] += 1
        return fn(task, sample)

    def completion_body(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) for a ``POST /chat/completions`` request body."""
        try:
            text = self.answer(str(request.get("model")), list(request.get("messages") or []))
        except KeyError as exc:
            return 404, {"error": {"message": str(exc.args[0]), "type": "invalid_request_error"}}
        return 200, completion_response(str(request.get("model")), text)


def completion_response(model: str, text: str, reasoning: str | None = None) -> dict[str, Any]:
    """A minimal, valid chat.completion object (token counts are whitespace-split words)."""
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    n_out = len(text.split())
    return {
        "id": "chatcmpl-vf-luanti",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
        "usage": {"prompt_tokens": 1, "completion_tokens": n_out, "total_tokens": n_out + 1},
    }


def chat_transport(responder: ChatResponder) -> Any:
    """An ``httpx.MockTransport`` serving the built-in models in-process (no socket is opened)."""
    import httpx

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            return httpx.Response(404, json={"error": {"message": f"no route {request.url.path}"}})
        status, body = responder.completion_body(json.loads(request.content or b"{}"))
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


def builtin_client(responder: ChatResponder) -> Any:
    """A verifiers chat client whose requests are answered by ``responder`` in-process."""
    import httpx
    import verifiers as vf
    from openai import AsyncOpenAI

    http = httpx.AsyncClient(transport=chat_transport(responder))
    # newer openai releases annotate http_client as an httpx2 client but accept an httpx one at run time (its
    # is_legacy_httpx_async_client); httpx clients work with every openai release this package allows.
    oai = AsyncOpenAI(
        base_url="http://vf-luanti.builtin/v1",
        api_key="builtin",
        http_client=http,  # type: ignore[arg-type]  # see above: an httpx client, accepted at run time
    )
    return vf.OpenAIChatCompletionsClient(oai)
