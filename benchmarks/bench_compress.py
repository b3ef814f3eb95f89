"""Speed of the emulation's deflate (vf_luanti/lua/compress.lua: core.compress, encode_png's zlib
stream), in µs per KiB of input, the JIT off as in the runtime (docs/fidelity.md).

Usage: PYTHONPATH=$PWD python benchmarks/bench_compress.py [--against REV]

Inputs: devtest's 512x512 Mandelbrot and checker textures as encode_png feeds them to zlib (RGBA
rows behind a filter byte, 1 MiB each), README text and random bytes (256 KiB each), at levels 1,
6 (the default) and 9; CPU time, best of --repeat runs. With --against, the compress.lua of that git
revision runs beside the working tree's, in the same process, on the same inputs.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.test_compress import load_compress

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "vf_luanti/lua/compress.lua"


def mandelbrot_rows(size: int = 512, iterations: int = 128) -> bytes:
    """devtest's testnodes_generated_mb.png pixels (testnodes/textures.lua), as scanlines."""
    rows = []
    for y in range(size):
        row = bytearray(1)
        for x in range(size):
            re = (x - size / 2) * 4 / size / 128 - 0.23
            im = (y - size / 2) * 4 / size / 128 - 0.82
            px = py = 0.0
            i = 0
            while px * px + py * py <= 4 and i < iterations:
                px, py = px * px - py * py + re, 2 * px * py + im
                i += 1
            f = i / iterations
            row += bytes([int(f * 255), int(abs(f * 2 - 1) * 255), int(abs(1 - f) * 255), 255])
        rows.append(bytes(row))
    return b"".join(rows)


def checker_rows(size: int = 512, tile: int = 32) -> bytes:
    """devtest's testnodes_generated_ck.png pixels (#F80 and #000 tiles), as scanlines."""
    orange, black = b"\xff\x88\x00\xff", b"\x00\x00\x00\xff"

    def row(y: int) -> bytes:
        return b"\0" + b"".join(orange if (x // tile + y // tile) % 2 else black for x in range(size))

    return b"".join(row(y) for y in range(size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REV", help="also time the compress.lua of this git revision")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    versions = {"tree": (ROOT / SOURCE).read_bytes()}
    if args.against:
        versions[args.against] = subprocess.run(
            ["git", "show", f"{args.against}:{SOURCE}"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    compressors = {name: load_compress(src)[0] for name, src in versions.items()}
    text = (ROOT / "README.md").read_bytes()
    inputs = {
        "devtest mandelbrot 512x512": mandelbrot_rows(),
        "devtest checkers 512x512": checker_rows(),
        "README text": (text * (1 + 262144 // len(text)))[:262144],
        "random bytes": random.Random(1).randbytes(262144),
    }
    print(f"{'input':28} {'KiB':>5} level " + " ".join(f"{name:>12}" for name in compressors) + "   (µs/KiB)")
    for label, data in inputs.items():
        for level in (1, 6, 9):
            cells = []
            for compress in compressors.values():
                best = min(_cpu(compress, data, level) for _ in range(args.repeat))
                cells.append(f"{best * 1e6 / (len(data) / 1024):12.0f}")
            print(f"{label:28} {len(data) // 1024:5} {level:5} " + " ".join(cells))


def _cpu(compress: Callable[[bytes, int], bytes], data: bytes, level: int) -> float:
    t = time.process_time()
    compress(data, level)
    return time.process_time() - t


if __name__ == "__main__":
    main()
