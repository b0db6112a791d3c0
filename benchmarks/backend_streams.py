"""What the one request primitive costs per streamed request, per backend, and what the output
cap saves against a server that ignores `max_tokens`.

    python benchmarks/backend_streams.py [--requests N]

Each fake runs in a child process (instant, streaming 4-character chunks), so this process's
CPU time is the client's alone: the backend (body, headers, framing, parsing, cap) plus httpx.
The cap scenario: the fake streams 550,000 characters in 1,000-character chunks, 1 ms apart,
whatever `max_tokens` asks; we count the characters we kept and the chunks the fake managed to
send before it noticed we hung up.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import subprocess
import sys
import time
from pathlib import Path

import httpx

from codestral_ls.backends.base import FimRequest
from codestral_ls.backends.factory import make_backend
from codestral_ls.config import Settings

ROOT = Path(__file__).resolve().parents[1]
FAKES = {
    "mistral": "FakeMistral",
    "ollama": "FakeOllama",
    "llamacpp": "FakeLlamaCpp",
    "openai": "FakeOpenAI",
}
CHILD = (
    "import asyncio, sys\n"
    "from codestral_ls.simulator import {fake}, LatencyProfile\n"
    "async def main():\n"
    "    latency = {latency}\n"
    "    async with {fake}(lambda body: {text}, latency=latency) as fake:\n"
    "        fake.ignore_max_tokens = {ignore}\n"
    "        print(fake.base_url, flush=True)\n"
    "        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)\n"
    "        print(fake.chunks_sent, flush=True)\n"
    "asyncio.run(main())\n"
)
NORMAL = ("LatencyProfile.instant()", "'return a + b  # ' * 8", "False")
IGNORING = ("LatencyProfile(0, 0, 0, 0, per_token_ms=1.0, chunk_chars=1000)", "'x' * 550_000", "True")
MODEL = {"openai": "mistralai/Codestral-22B-v0.1"}


def start(backend: str, scenario: tuple[str, str, str]) -> tuple[subprocess.Popen[str], str]:
    latency, text, ignore = scenario
    code = CHILD.format(fake=FAKES[backend], latency=latency, text=text, ignore=ignore)
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


def stop(child: subprocess.Popen[str]) -> int:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write("\n")
    child.stdin.flush()
    sent = int(child.stdout.readline().strip() or 0)
    child.wait(timeout=10)
    return sent


def request(backend: str, max_tokens: int = 64) -> FimRequest:
    return FimRequest("x = 1\n" * 1000, "y = 2\n" * 300, MODEL.get(backend, "codestral-latest"), max_tokens, 0.0)


async def per_request(backend: str, url: str, count: int) -> tuple[float, float]:
    settings = Settings(backend=backend, endpoint=url, api_key="k", model=MODEL.get(backend, "codestral-latest"))
    async with httpx.AsyncClient() as client:
        streaming = make_backend(settings, client)
        for _ in range(20):  # warm-up: connection, imports, caches
            async for _text in streaming.stream(request(backend)):
                pass
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(count):
            async for _text in streaming.stream(request(backend)):
                pass
        return (time.perf_counter() - wall) * 1000 / count, (time.process_time() - cpu) * 1000 / count


async def capped(backend: str, url: str) -> tuple[int, float]:
    settings = Settings(backend=backend, endpoint=url, api_key="k", model=MODEL.get(backend, "codestral-latest"))
    async with httpx.AsyncClient() as client:
        started = time.perf_counter()
        kept = 0
        async for text in make_backend(settings, client).stream(request(backend, max_tokens=64)):
            kept += len(text)
        return kept, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    count = parser.parse_args().requests
    logging.basicConfig(level=logging.ERROR)  # the cap's warning would interleave with the table
    print(f"{count} streamed requests per backend (~8,000-character prompt, 128-character reply in 32 chunks)")
    print(f"{'backend':<10} {'wall ms':>8} {'CPU ms':>8}   (per request, client process only)")
    for backend in FAKES:
        child, url = start(backend, NORMAL)
        try:
            wall_ms, cpu_ms = asyncio.run(per_request(backend, url, count))
        finally:
            stop(child)
        print(f"{backend:<10} {wall_ms:8.2f} {cpu_ms:8.2f}")
    print()
    print("a server ignoring max_tokens=64 (550,000 characters offered in 550 chunks)")
    print(f"{'backend':<10} {'kept chars':>10} {'chunks sent':>11} {'time to stop ms':>15}")
    for backend in FAKES:
        child, url = start(backend, IGNORING)
        try:
            kept, elapsed_ms = asyncio.run(capped(backend, url))
        finally:
            time.sleep(0.2)  # let the fake notice the hang-up before it reports
            sent = stop(child)
        print(f"{backend:<10} {kept:>10,} {sent:>11} {elapsed_ms:>15.1f}")


if __name__ == "__main__":
    main()
