"""What one streamed FIM request costs the client: httpx against a bare asyncio HTTP/1.1 loop.

    python benchmarks/http_client.py [--requests N]

The fake Codestral endpoint (instant, streaming) runs in a child process, so this process's CPU
time is the client's alone. Both clients keep one connection alive and read the whole stream; the
bare loop is a lower bound (it parses no headers), not a proposal to copy as is.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
FAKE = (
    "import asyncio, sys\n"
    "from codestral_ls.simulator.mistral import FakeMistral, LatencyProfile\n"
    "async def main():\n"
    "    async with FakeMistral(latency=LatencyProfile.instant()) as fake:\n"
    "        print(fake.base_url, flush=True)\n"
    "        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)\n"
    "asyncio.run(main())\n"
)
BODY = {
    "model": "codestral-latest",
    "prompt": "x = 1\n" * 1000,
    "suffix": "y = 2\n" * 300,
    "stream": True,
    "max_tokens": 64,
}


async def with_httpx(url: str, count: int) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(count):
            async with client.stream("POST", url + "/v1/fim/completions", json=BODY) as response:
                async for _chunk in response.aiter_bytes():
                    pass


async def with_asyncio(url: str, count: int) -> None:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    payload = json.dumps(BODY).encode()
    head = (
        b"POST /v1/fim/completions HTTP/1.1\r\nhost: %s\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % (host.encode(), len(payload))
    )
    for _ in range(count):
        writer.write(head + payload)
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")
        while True:  # chunked body
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    writer.close()


async def measure(name: str, client: Callable[[str, int], Awaitable[None]], url: str, count: int) -> str:
    await client(url, 20)  # warm-up: connection, imports, caches
    wall, cpu = time.perf_counter(), time.process_time()
    await client(url, count)
    wall_ms = (time.perf_counter() - wall) * 1000 / count
    cpu_ms = (time.process_time() - cpu) * 1000 / count
    return f"{name:<16} {wall_ms:8.2f} {cpu_ms:10.2f}"


async def compare(url: str, count: int) -> None:
    print(f"{count} streamed requests per client to a fake Codestral endpoint in another process")
    print(f"{'client':<16} {'wall ms':>8} {'CPU ms':>10}   (per request, this process only)")
    for name, client in (("httpx", with_httpx), ("bare asyncio", with_asyncio)) * 2:
        print(await measure(name, client, url, count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    count = parser.parse_args().requests
    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert fake.stdout is not None
        asyncio.run(compare(fake.stdout.readline().strip(), count))
    finally:
        fake.kill()
        fake.wait()


if __name__ == "__main__":
    main()
