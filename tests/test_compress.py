"""core.compress and core.encode_png write the engine's bytes (vf_luanti/lua/compress.lua).

5.6.1's compressZlib (src/serialization.cpp) calls deflateInit(level) (32 KiB window, memLevel 8,
the default strategy) and then deflate(Z_FINISH) with all the input at once, into a 16 KiB buffer
per call until the stream ends; encode_png (src/util/png.cpp) puts its scanlines through it. Two
references:

* the system zlib the engine links (``ldd minetestserver``: libz.so.1, the library Python's zlib
  module loads too), driven through ctypes exactly as compressZlib drives it, on inputs chosen to
  reach every part of deflate: both parsers, matches across the 32 KiB window, blocks cut at 16383
  symbols, stored, fixed and dynamic blocks, length-limited Huffman trees. ``zlib.compress`` is no
  reference for level 0: it hands zlib other output buffers, and the stored blocks' sizes follow them.
* the engine itself: a probe mod compresses and encodes images in the real server and in the
  emulation, and both print the same digests.
"""

from __future__ import annotations

import ctypes
import random
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import lupa.luajit21 as lupa
import pytest

from tests.test_engine_probes import PROBE_HELPERS, _engine_run
from tests.test_world import _wp_lines, make_world
from vf_luanti.runtime import emulation_sources

LEVELS = list(range(-1, 10))
ENGINE_BUFFER = 16384  # compressZlib's output buffer
Z_FINISH, Z_OK, Z_STREAM_END = 4, 0, 1


class _ZStream(ctypes.Structure):
    """zlib's z_stream (zlib.h), for deflateInit_ and deflate."""

    _fields_ = [
        ("next_in", ctypes.c_void_p),
        ("avail_in", ctypes.c_uint),
        ("total_in", ctypes.c_ulong),
        ("next_out", ctypes.c_void_p),
        ("avail_out", ctypes.c_uint),
        ("total_out", ctypes.c_ulong),
        ("msg", ctypes.c_char_p),
        ("state", ctypes.c_void_p),
        ("zalloc", ctypes.c_void_p),
        ("zfree", ctypes.c_void_p),
        ("opaque", ctypes.c_void_p),
        ("data_type", ctypes.c_int),
        ("adler", ctypes.c_ulong),
        ("reserved", ctypes.c_ulong),
    ]


def _libz() -> ctypes.CDLL:
    lib = ctypes.CDLL("libz.so.1")
    lib.zlibVersion.restype = ctypes.c_char_p
    return lib


def engine_compress(data: bytes, level: int) -> bytes:
    """compressZlib(data, level) on the system zlib: one deflateInit, the whole input, 16 KiB
    output buffers until Z_STREAM_END."""
    lib = _libz()
    z = _ZStream()
    version = lib.zlibVersion()
    assert lib.deflateInit_(ctypes.byref(z), level, version, ctypes.sizeof(z)) == Z_OK
    source = ctypes.create_string_buffer(data, len(data))
    z.next_in, z.avail_in = ctypes.cast(source, ctypes.c_void_p), len(data)
    buffer, out = ctypes.create_string_buffer(ENGINE_BUFFER), []
    try:
        while True:
            z.next_out, z.avail_out = ctypes.cast(buffer, ctypes.c_void_p), ENGINE_BUFFER
            status = lib.deflate(ctypes.byref(z), Z_FINISH)
            out.append(buffer.raw[: ENGINE_BUFFER - z.avail_out])
            if status == Z_STREAM_END:
                return b"".join(out)
            assert status == Z_OK, status
    finally:
        lib.deflateEnd(ctypes.byref(z))


def test_the_reference_is_the_zlib_python_loads() -> None:
    # the ctypes library is the one zlib.compress uses; on levels 1-9 both give the same bytes
    assert _libz().zlibVersion().decode() == zlib.ZLIB_RUNTIME_VERSION
    data = b"the quick brown fox " * 3000
    assert all(engine_compress(data, level) == zlib.compress(data, level) for level in (1, 6, 9))


def load_compress(source: bytes) -> tuple[Callable[[bytes, int], bytes], Callable[[bytes], bytes]]:
    """compress(data, level) and decompress(data) of a compress.lua source, run as the runtime runs
    it (the JIT off) in a Lua state of its own; its argument readers are the identity (the engine
    probe covers the API's)."""
    lua = lupa.LuaRuntime(encoding=None)
    lua.execute(b"jit.off()")
    load = lua.eval(
        b"""function(src)
        local I = {host = _G, constants = {}}
        I.check_string = function(v) return v end
        I.check_int = function(v) return v end
        local core = {}
        assert(loadstring(src, "=compress.lua"))(core, I)
        return core
    end"""
    )
    core = load(source)
    return (lambda data, level: core.compress(data, b"deflate", level)), core.decompress


@pytest.fixture(scope="module")
def emulation() -> tuple[Callable[[bytes, int], bytes], Callable[[bytes], bytes]]:
    """The emulation's compress.lua (its source from the emulation files)."""
    return load_compress(emulation_sources()["compress.lua"].encode())


def _literals_only(rnd: random.Random, n: int) -> bytes:
    """Bytes with no repeated 3-byte string (deflate finds no match), Fibonacci-weighted among
    uniform fillers: skewed literal frequencies, a deep code-length tree cut to 7 bits."""
    fib = [1, 1]
    while len(fib) < 14:
        fib.append(fib[-1] + fib[-2])
    alphabet = rnd.sample(range(256), len(fib) + 150)
    weights = dict(zip(alphabet, fib + [(n - sum(fib)) // 150] * 150, strict=True))
    out, seen = [alphabet[-1], alphabet[-2]], set()
    while len(out) < n:
        free = [b for b in alphabet if (out[-2], out[-1], b) not in seen]
        b = rnd.choices(free, [weights[c] for c in free])[0]
        seen.add((out[-2], out[-1], b))
        out.append(b)
    return bytes(out)


def inputs() -> Iterator[tuple[str, bytes]]:
    """(what, bytes) pairs, compressed at every level."""
    rnd = random.Random(13)
    text = (Path(__file__).resolve().parent.parent / "README.md").read_bytes()
    noise = bytes(rnd.getrandbits(8) for _ in range(200_000))
    yield "empty", b""
    yield "one byte", b"x"
    yield "three bytes", b"abc"
    yield "hello", b"hello"
    yield "a repeated pair", b"ab" * 20
    yield "one byte 1000 times", b"a" * 1000
    yield "text", text[:3000]
    yield "random 300", noise[:300]
    yield "random 20 KB", noise[:20_000]
    yield "4 letters, 40 KB (long chains)", bytes(rnd.choice(b"abcd") for _ in range(40_000))
    yield "text 40 KB", (text * 8)[:40_000]
    yield "RGBA rows 40 KB", bytes(255 if i % 4 == 3 else (i * 7 + i // 256) % 256 for i in range(40_000))
    yield "skewed literals (code lengths over 7 bits cut)", _literals_only(rnd, 12_000)
    yield "zeros 70 KB", bytes(70_000)
    yield "text 200 KB (the window slides)", (text * 40)[:200_000]
    yield "random 200 KB (stored blocks)", noise
    pieces = [noise, text * 2]
    mixed = b"".join(rnd.choice(pieces)[rnd.randrange(5000) :][: rnd.randint(1, 3000)] for _ in range(150))
    yield "text and noise pieces", mixed


CASES = list(inputs())


@pytest.mark.parametrize("data", [d for _, d in CASES], ids=[name for name, _ in CASES])
def test_compress_writes_the_engines_bytes(emulation, data: bytes) -> None:
    compress, decompress = emulation
    for level in LEVELS:
        got = compress(data, level)
        assert got == engine_compress(data, level), f"level {level}"
        assert decompress(got) == data, f"level {level}"


@pytest.mark.parametrize("size", [16_377, 16_378, 32_768, 65_531, 65_532, 98_305, 150_000])
def test_stored_blocks_follow_the_engines_output_buffers(emulation, size: int) -> None:
    # level 0: a block goes straight out when it fills what is left of a 16 KiB buffer or ends the
    # input, else through zlib's window and pending buffer; the sizes around those limits
    compress, _ = emulation
    data = random.Random(size).randbytes(size)
    assert compress(data, 0) == engine_compress(data, 0)


# The probe: compress at every level on text, noise and runs; encode_png on images like devtest's
# (checkers, a gradient with noise, transparency) at several levels. Digests, as the outputs are long.
COMPRESS_PROBE = (
    PROBE_HELPERS
    + r"""
local seed = 7
local function rand(n) seed = seed * 48271 % 2147483647 return seed % n end
local words = {"stone", "dirt ", "the ", "node ", "of ", "grass", "\n", "water ", "lava", "sand "}
local t = {}
for i = 1, 9000 do t[i] = words[rand(#words) + 1] end
local text = table.concat(t):sub(1, 40000)
local b = {}
for i = 1, 70000 do b[i] = string.char(rand(256)) end
local noise = table.concat(b)
local runs = string.rep("\0\0\0\255", 5000) .. string.rep("ab", 20000)
for level = -1, 9 do
    for _, case in ipairs({{"text", text}, {"noise", noise}, {"runs", runs}}) do
        local z = core.compress(case[2], "deflate", level)
        P("compress " .. case[1] .. " " .. level, #z, core.sha1(z), core.decompress(z) == case[2])
    end
end
P("compress default", core.sha1(core.compress(text)))
local function image(w, h, pixel)
    local px = {}
    for y = 0, h - 1 do for x = 0, w - 1 do px[#px + 1] = pixel(x, y) end end
    return px
end
local checkers = image(128, 128, function(x, y)
    return (math.floor(x / 16) + math.floor(y / 16)) % 2 == 0 and "#F80" or "#000" end)
local gradient = image(64, 48, function(x, y)
    return {r = x * 4, g = y * 5, b = rand(8), a = (x + y) % 9 == 0 and 0 or 255} end)
for _, level in ipairs({-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) do
    P("png " .. level, core.sha1(core.encode_png(128, 128, checkers, level)),
        core.sha1(core.encode_png(64, 48, gradient, level)))
end
P("png default", core.sha1(core.encode_png(64, 48, gradient)), core.sha1(core.encode_png(1, 1, {"#123"})))
"""
)


@pytest.mark.engine
@pytest.mark.slow
def test_compress_and_encode_png_match_the_engine(tmp_path) -> None:
    run = _engine_run(tmp_path, COMPRESS_PROBE, steps=5)
    engine = [ln.text for ln in run.lines if ln.text.startswith("WP|")]
    assert engine, run.log[-2000:]
    w = make_world(COMPRESS_PROBE, name="wp")
    assert _wp_lines(w) == engine
