"""``vf-luanti serve --model BASE [--lora name=path ...]``: vLLM's OpenAI server with LoRA adapters."""

from __future__ import annotations

import argparse
import signal
import sys


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from ..serve import ServeConfig, ServeError, build_command, parse_lora, start_server

    try:
        cfg = ServeConfig(
            model=args.model,
            loras=[parse_lora(s) for s in args.lora],
            host=args.host,
            port=args.port,
            max_lora_rank=args.max_lora_rank,
            max_model_len=args.max_model_len,
            gpu_memory_utilization=args.gpu_memory_utilization,
            seed=args.seed,
            vllm=args.vllm,
            extra_args=args.vllm_args,
        )
        if args.dry_run:
            print(" ".join(build_command(cfg)))
            return 0
        server = start_server(cfg, timeout=args.timeout, log_path=args.log)
    except ServeError as exc:
        print(f"vf-luanti serve: {exc}", file=sys.stderr)
        return 2
    print(cfg.base_url, flush=True)
    print(f"models: {cfg.model}" + "".join(f", {name}" for name, _ in cfg.loras), file=sys.stderr)
    print(f"log: {server.log_path}; Ctrl-C stops the server", file=sys.stderr, flush=True)
    # SIGTERM (e.g. from a job scheduler) shuts down as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        assert server.proc is not None
        code = server.proc.wait()
        print(
            f"vf-luanti serve: server exited with code {code}; log tail:\n{server.log_tail()}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        server.stop()
        return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve a base model with LoRA adapters (vLLM, OpenAI-compatible API)")
    p.add_argument("--model", required=True, help="base model (hub id or folder)")
    p.add_argument(
        "--lora",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="a LoRA adapter folder served as model NAME (repeatable)",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--max-lora-rank", type=int, help="default: the largest adapter rank")
    p.add_argument("--max-model-len", type=int)
    p.add_argument("--gpu-memory-utilization", type=float)
    p.add_argument("--seed", type=int, default=3407)
    p.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for /health")
    p.add_argument("--log", help="server log file (default: a temporary file)")
    p.add_argument("--vllm", help="vLLM executable (default: vllm beside this Python, then PATH)")
    p.add_argument("--dry-run", action="store_true", help="print the vllm command and exit")
    p.add_argument("vllm_args", nargs="*", help="extra arguments for vllm serve (after --)")
    p.set_defaults(func=run)
