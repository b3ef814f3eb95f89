"""A stand-in for the ``vllm`` executable: parses ``serve MODEL --host --port --lora-modules ...``,
optionally waits (FAKE_VLLM_DELAY) or dies (FAKE_VLLM_EXIT) first, then serves ``/health`` and
``/v1/models`` listing the base model and each adapter, as vLLM does. Writes its argv to FAKE_VLLM_ARGV.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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

        def log_message(self, *a: object) -> None:
            pass

    ThreadingHTTPServer((args.host, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
