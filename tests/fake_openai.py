"""An OpenAI-compatible chat server on 127.0.0.1 for offline end-to-end tests.

The request's ``model`` picks how each benchmark prompt is answered:

* ``gold``: the task's reference in a ```lua block; ``broken``: corrupted reference
  (vf_luanti.models.broken_answer); ``empty``: an empty message;
* ``hostile``: code that attacks the judge (endless loop, memory bomb, os.execute) in rotation;
* ``reasoning``: a ``<think>`` block that contains broken code, then the gold answer;
* ``diff``: a unified diff from the task input to the reference for repair tasks, gold otherwise.

A request with ``"stream": true`` is answered as Server-Sent Events (the whole reply in one chunk).

Every request body is kept in ``server.requests``. Run standalone with
``python tests/fake_openai.py PORT`` (used by the clean-venv wheel test).
"""

from __future__ import annotations

import difflib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from vf_luanti.models import ChatResponder, broken_answer, completion_response, reference_answer
from vf_luanti.splits import load_tasks

HOSTILE = (
    "```lua\nwhile true do end\n```",
    "```lua\nlocal t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1e6) end\n```",
    "```lua\nos.execute('touch /tmp/vf_luanti_pwned')\nio.open('/etc/passwd')\n```",
)


def diff_answer(task: Any, sample: int) -> str:
    if task.family != "repair":
        return reference_answer(task, sample)
    lines = difflib.unified_diff(
        task.input.splitlines(keepends=True),
        (task.reference.rstrip() + "\n").splitlines(keepends=True),
        "a/init.lua",
        "b/init.lua",
    )
    return "```diff\n" + "".join(lines) + "```"


ANSWERS = {
    "gold": reference_answer,
    "broken": broken_answer,
    "empty": lambda task, i: "",
    "hostile": lambda task, i: HOSTILE[i % len(HOSTILE)],
    "reasoning": lambda task, i: (
        "<think>First draft:\n```lua\nerror('draft')\n```\nNo, fix it.</think>\n" + reference_answer(task, i)
    ),
    "diff": diff_answer,
}


def stream_events(body: dict[str, Any]) -> list[bytes]:
    """A chat.completion as Server-Sent Events: one ``chat.completion.chunk`` carrying the whole
    message as its delta and the finish reason, one carrying the usage, then ``data: [DONE]``."""
    head = {k: v for k, v in body.items() if k not in ("choices", "usage")}
    head["object"] = "chat.completion.chunk"
    [choice] = body["choices"]
    delta = {"index": 0, "delta": choice["message"], "finish_reason": choice["finish_reason"]}
    chunks = [
        {**head, "choices": [delta]},
        {**head, "choices": [], "usage": body["usage"]},
    ]
    return [f"data: {json.dumps(c)}\n\n".encode() for c in chunks] + [b"data: [DONE]\n\n"]


class FakeOpenAI:
    """The server; ``base_url`` is ``http://127.0.0.1:PORT/v1``. Use as a context manager."""

    def __init__(self, port: int = 0, splits: tuple[str, ...] = ("eval", "scenarios")) -> None:
        self.responder = ChatResponder([t for s in splits for t in load_tasks(s)])
        self.requests: list[dict[str, Any]] = []
        self.counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = {"object": "list", "data": [{"id": m, "object": "model"} for m in ANSWERS]}
                self._send(200, body)

            def do_POST(self) -> None:
                req = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                outer.requests.append(req)
                status, body = outer.answer(req)
                if req.get("stream") and status == 200:
                    self._send_stream(body)
                else:
                    self._send(status, body)

            def _send_stream(self, body: dict[str, Any]) -> None:
                """``stream: true`` (verifiers 0.4's interception relays the null harness's turns
                as a stream): the whole completion as one SSE chunk, a usage chunk, then [DONE]."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                for event in stream_events(body):
                    self.wfile.write(event)
                self.wfile.flush()
                self.close_connection = True

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def answer(self, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        model = str(req.get("model"))
        user = next(
            (m.get("content") for m in reversed(req.get("messages") or []) if m.get("role") == "user"), ""
        )
        task = self.responder.by_prompt.get(user)
        if model not in ANSWERS or task is None:
            return 404, {
                "error": {"message": f"unknown model {model!r} or prompt", "type": "invalid_request_error"}
            }
        key = (model, task.id)
        with self._lock:
            i = self.counts.get(key, 0)
            self.counts[key] = i + 1
        return 200, completion_response(model, ANSWERS[model](task, i))

    def __enter__(self) -> FakeOpenAI:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    srv = FakeOpenAI(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(srv.base_url, flush=True)
    srv.server.serve_forever()
