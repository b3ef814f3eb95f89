"""A stand-in for the ``vllm`` executable: parses ``serve MODEL --host --port --lora-modules ...``,
optionally waits (FAKE_VLLM_DELAY) or dies (FAKE_VLLM_EXIT) first, then serves ``/health`` and
``/v1/models`` listing the base model and each adapter, as vLLM does. Writes its argv to FAKE_VLLM_ARGV.
``/v1/chat/completions`` plays a model that training improved: an adapter answers each eval task with
its reference solution, the base model with Lua that fails at load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def install(folder: Path) -> str:
    """Write a ``vllm`` executable into ``folder`` that runs this fake; returns its path."""
    exe = Path(folder) / "vllm"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" "$@"\n')
    exe.chmod(0o755)
    return str(exe)


@cache
def _references() -> dict[str, str]:
    """Eval task user prompts mapped to their reference solutions as fenced Lua answers."""
    from vf_luanti.prompts import build_messages
    from vf_luanti.splits import load_tasks

    return {build_messages(t)[-1]["content"]: f"```lua\n{t.reference}\n```" for t in load_tasks("eval")}


def main() -> None:
    if path := os.environ.get("FAKE_VLLM_ARGV"):
        with open(path, "w") as f:
            json.dump(sys.argv[1:], f)
    p = argparse.ArgumentParser()
    p.add_argument("verb")
    p.add_argument("model")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--lora-modules", nargs="*", default=[])
    args, _ = p.parse_known_args()
    print(f"fake vllm starting {args.model}", flush=True)
    time.sleep(float(os.environ.get("FAKE_VLLM_DELAY", "0")))
    if code := os.environ.get("FAKE_VLLM_EXIT"):
        print("CUDA out of memory (fake)", flush=True)
        sys.exit(int(code))
    models = [args.model, *(m.split("=", 1)[0] for m in args.lora_modules)]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/health":
                body = b""
            elif self.path == "/v1/models":
                body = json.dumps(
                    {"object": "list", "data": [{"id": m, "object": "model"} for m in models]}
                ).encode()
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            if self.path != "/v1/chat/completions":
                self.send_error(404)
                return
            req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if req["model"] not in models:
                self.send_error(404, f"model {req['model']} does not exist")
                return
            text = "```lua\nerror('untrained')\n```"
            if req["model"] != args.model:
                text = _references().get(req["messages"][-1]["content"], "")
            body = json.dumps(
                {
                    "id": "x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": req["model"],
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": text},
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a: object) -> None:
            pass

    ThreadingHTTPServer((args.host, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
