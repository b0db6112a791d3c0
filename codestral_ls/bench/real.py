"""`codestral-ls bench --real`: the same keystroke loop against a real endpoint, through a timing proxy.

The server talks to a loopback proxy that forwards every request to the real endpoint and notes
when it arrived, when the first body bytes came back (time to first token), when it ended and
how many tokens the reply reported, so the backend's time is reported apart from the server's.
The key stays in the environment the server inherits; it is never printed or logged here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import time
from typing import Any

import attrs
import httpx

from ..simulator.httpserver import ClientGone, Exchange, HttpRequest, LoopbackServer
from .contenders import close_log, open_log, server_command, wait_ready
from .latency import URI, Typer, generate_document
from .lsp_client import LspClient
from .stats import fmt, p50_p95_p99, table

MAX_REAL_REQUESTS = 50
LOCAL_DEFAULTS = {
    "ollama": "http://localhost:11434",
    "llamacpp": "http://localhost:8080",
    "openai": "http://localhost:8000",
}
# Generated-token counts as each wire format reports them: OpenAI/Mistral usage, Ollama, llama.cpp.
_TOKENS = re.compile(rb'"(?:completion_tokens|eval_count|tokens_predicted|predicted_n)"\s*:\s*(\d+)')
_HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding"}


@attrs.define
class Upstream:
    received: float
    first_byte: float | None = None
    finished: float | None = None
    tokens: int = 0
    status: int = 0


class TimingProxy:
    """Forwards to `upstream`; `durations` and `requests` have the shape the Typer expects."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._server = LoopbackServer(self._handle)
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0))
        self.requests: list[Upstream] = []
        self.durations: list[tuple[float, float]] = []

    async def start(self) -> str:
        return await self._server.start()

    async def stop(self) -> None:
        await self._server.stop()
        await self._http.aclose()

    async def _handle(self, request: HttpRequest, exchange: Exchange) -> None:
        record = Upstream(time.perf_counter())
        self.requests.append(record)
        headers = {k: v for k, v in request.headers.items() if k not in _HOP_HEADERS}
        outgoing = self._http.build_request(
            request.method, self.upstream + request.path, headers=headers, content=request.body
        )
        response = await self._http.send(outgoing, stream=True)
        try:
            record.status = response.status_code
            keep = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_HEADERS}
            await exchange.start_stream(response.status_code, keep)
            async for chunk in response.aiter_raw():
                if record.first_byte is None:
                    record.first_byte = time.perf_counter()
                for match in _TOKENS.finditer(chunk):
                    record.tokens = int(match.group(1))
                try:
                    await exchange.send_chunk(chunk)
                except ClientGone:
                    break
            else:
                await exchange.end_stream()
        finally:
            await response.aclose()
            record.finished = time.perf_counter()
            self.durations.append((record.received, record.finished))


def resolve(args: argparse.Namespace) -> tuple[dict[str, Any], str] | None:
    """Settings for the server and a printable target; None when nothing real is configured."""
    backend = args.real_backend
    if backend in (None, "mistral"):
        if os.environ.get("CODESTRAL_API_KEY"):
            host = args.real_endpoint or "https://codestral.mistral.ai"
        elif os.environ.get("MISTRAL_API_KEY"):
            host = args.real_endpoint or "https://api.mistral.ai"
        else:
            return None
        settings = {"backend": "mistral", "model": args.real_model or "codestral-latest"}
        return {**settings, "_upstream": host}, f"Mistral at {host} ({settings['model']})"
    host = args.real_endpoint or LOCAL_DEFAULTS[backend]
    if backend == "ollama" and not args.real_model:
        print("note: --real-model should name the Ollama tag you pulled (e.g. codestral:22b)")
    settings = {"backend": backend, **({"model": args.real_model} if args.real_model else {})}
    return {**settings, "_upstream": host}, f"{backend} at {host}"


async def run_real(args: argparse.Namespace) -> int:
    resolved = resolve(args)
    if resolved is None:
        print(
            "\n--real: no real endpoint configured. Set CODESTRAL_API_KEY (or MISTRAL_API_KEY) for "
            "Mistral, or pass --real-backend ollama|llamacpp|openai [--real-endpoint URL --real-model M]."
        )
        return 2
    settings, target = resolved
    upstream = settings.pop("_upstream")
    count = max(1, min(args.real_requests, MAX_REAL_REQUESTS))
    print(f"\nreal endpoint: {target}")
    if settings["backend"] == "mistral":
        print(
            f"COST WARNING: this sends {count} completion requests (each up to ~2,500 prompt tokens and "
            f"64 completion tokens) to Mistral with your key, which bills per token. "
            "Press Ctrl-C within 5 s to stop."
        )
        await asyncio.sleep(5)
    proxy = TimingProxy(upstream)
    base = await proxy.start()
    stderr = open_log(args.out / "latency-real-server.log" if args.out else None)
    client = await LspClient.spawn(server_command(args.server_cmd), env=dict(os.environ), stderr=stderr)
    try:
        await client.initialize({**settings, "endpoint": base, "maxTokens": 64})
        await wait_ready(client)
        text, line = generate_document(1000)
        client.notify(
            "textDocument/didOpen", {"textDocument": {"uri": URI, "languageId": "python", "version": 1, "text": text}}
        )
        typer = Typer(client, proxy, line)  # type: ignore[arg-type]
        samples = []
        for _ in range(count):
            sample, _ = await typer.keystroke()
            samples.append(sample)
        report(samples, proxy.requests)
    finally:
        await client.close()
        await proxy.stop()
        close_log(stderr)
    return 0


def report(samples: list[Any], upstream: list[Upstream]) -> None:
    done = [u for u in upstream if u.finished is not None and u.first_byte is not None]
    ttft = [(u.first_byte - u.received) * 1000 for u in done if u.first_byte]
    total = [(u.finished - u.received) * 1000 for u in done if u.finished]
    rates = [
        u.tokens / (u.finished - u.first_byte)
        for u in done
        if u.tokens and u.finished and u.first_byte and u.finished > u.first_byte
    ]
    statuses = sorted({u.status for u in upstream})
    rows = [
        ["keystroke to reply", *(fmt(v, 1) for v in p50_p95_p99([s.total_ms for s in samples]))],
        ["backend: first token", *(fmt(v, 1) for v in p50_p95_p99(ttft))],
        ["backend: total", *(fmt(v, 1) for v in p50_p95_p99(total))],
        ["backend: tokens/s", *(fmt(v, 1) for v in p50_p95_p99(rates))],
        ["server overhead", *(fmt(v, 2) for v in p50_p95_p99([s.overhead_ms for s in samples]))],
    ]
    print(table(["real endpoint (ms)", "p50", "p95", "p99"], rows))
    print(f"{len(upstream)} requests reached the endpoint; HTTP statuses {json.dumps(statuses)}")
