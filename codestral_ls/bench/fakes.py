"""Fake backends for the benchmarks, and the ledger that counts what reached them.

- `TruthResponder` answers a FIM prompt with the session file's true continuation (sometimes
  deliberately wrong), for `simulator.mistral.FakeMistral`.
- `TimedFakeMistral` is FakeMistral that also notes when each request arrived and finished.
- `FakeTabby` speaks the Tabby server API tabby-agent 1.5.0 talks to, with the same latency
  profile and the same answers, and sees clients that hang up while it "generates".

The fakes are the source of truth for request counts: `Ledger.calls` has one entry per request.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

import attrs

from ..simulator.httpserver import ClientGone, Exchange, HttpRequest, LoopbackServer
from ..simulator.mistral import FakeMistral, LatencyProfile
from .continuation import apply_stop, corrupt, find_continuation, prompt_seed, shape_like_a_model

# 150-600 ms to the first token (median ~280 ms), then ~12 ms per 4-character token.
REALISTIC = LatencyProfile(
    ttft_median_ms=280.0,
    ttft_sigma=0.45,
    ttft_min_ms=150.0,
    ttft_max_ms=600.0,
    per_token_ms=12.0,
    chunk_chars=4,
)
WRONG_FALLBACK = "pass  # TODO"


def latency_from(args: Any) -> LatencyProfile:
    """REALISTIC with `--ttft-ms MIN,MAX` and `--per-token-ms` applied."""
    low, high = (float(part) for part in str(args.ttft_ms).split(","))
    median = max(low, min(high, REALISTIC.ttft_median_ms))
    return attrs.evolve(
        REALISTIC, ttft_min_ms=low, ttft_max_ms=high, ttft_median_ms=median, per_token_ms=args.per_token_ms
    )


CHARS_PER_TOKEN = 4  # as the fake Mistral's `usage` counts prompt tokens


@attrs.define
class BackendCall:
    """One request as a fake saw it."""

    received: float
    position: int | None  # offset in the original file where the answer starts (None: no match)
    text: str  # what the fake answered (before cuts by the client hanging up)
    typing_through: bool  # the user was typing through a visible suggestion when it arrived
    ahead: bool = False  # it asks for text beyond the cursor (a prefetch "as if accepted")
    prompt_tokens: int = 0  # prefix + suffix sent, at ~4 characters a token
    context: str = ""  # for requests made while typing through: the last key and what was visible
    tokens: int = 0  # tokens generated before the reply ended or the client hung up
    completed: bool = False
    cancelled: bool = False
    finished: float | None = None


@attrs.define
class Ledger:
    calls: list[BackendCall] = attrs.Factory(list)


class TruthResponder:
    """Answers like a good FIM model that knows the file: the true continuation, shaped."""

    def __init__(
        self,
        original: str,
        ledger: Ledger,
        client_state: Callable[[], tuple[bool, int | None, str]] = lambda: (False, None, ""),
        error_rate: float = 0.1,
        salt: int = 0,
        max_lines: int = 3,
    ) -> None:
        self.original = original
        self.ledger = ledger
        # (typing through a suggestion?, cursor offset in the original, what the user just did)
        self.client_state = client_state
        self.error_rate = error_rate
        self.salt = salt
        self.max_lines = max_lines
        self.by_body: dict[int, BackendCall] = {}

    def answer(self, prefix: str, suffix: str, stop: list[str] | tuple[str, ...] = ()) -> BackendCall:
        found = find_continuation(self.original, prefix, suffix)
        if found is None:
            position, text = None, WRONG_FALLBACK
        else:
            line_prefix = prefix[prefix.rfind("\n") + 1 :]
            position = found.start
            text = shape_like_a_model(found.text, line_prefix, self.max_lines)
            seed = prompt_seed(prefix, self.salt)
            if text and random.Random(seed).random() < self.error_rate:
                text = corrupt(text, seed)
        typing_through, cursor, context = self.client_state()
        ahead = position is not None and cursor is not None and position > cursor
        call = BackendCall(
            time.perf_counter(),
            position,
            apply_stop(text, stop),
            typing_through and not ahead,
            ahead,
            max(1, (len(prefix) + len(suffix)) // CHARS_PER_TOKEN),
        )
        if call.typing_through:
            call.context = context
        self.ledger.calls.append(call)
        return call

    def __call__(self, body: dict[str, Any]) -> str:
        stop = body.get("stop") or []
        call = self.answer(body.get("prompt", ""), body.get("suffix") or "", [stop] if isinstance(stop, str) else stop)
        self.by_body[id(body)] = call
        return call.text


class TimedFakeMistral(FakeMistral):
    """FakeMistral that also fills in each BackendCall's tokens / end / cancellation."""

    def __init__(self, responder: TruthResponder | Callable[[dict[str, Any]], Any], **kwargs: Any) -> None:
        super().__init__(responder, **kwargs)
        self.durations: list[tuple[float, float]] = []  # (received, finished) per request

    async def _handle(self, request: HttpRequest, exchange: Exchange) -> None:
        received = time.perf_counter()
        index = len(self.requests)
        try:
            await super()._handle(request, exchange)
        finally:
            finished = time.perf_counter()
            self.durations.append((received, finished))
            if index < len(self.requests) and isinstance(self.responder, TruthResponder):
                record = self.requests[index]
                call = self.responder.by_body.pop(id(record.body), None)
                if call is not None:
                    call.tokens = record.chunks_sent
                    call.completed = record.completed
                    call.cancelled = record.disconnected
                    call.finished = finished


class FakeTabby:
    """The Tabby server API (`/v1/health`, `/v1/completions`, ...) with FIM answers from `responder`."""

    def __init__(self, responder: TruthResponder, latency: LatencyProfile = REALISTIC, seed: int = 0) -> None:
        self.responder = responder
        self.latency = latency
        self._rng = random.Random(seed)
        self._server = LoopbackServer(self._handle)
        self.paths: list[str] = []

    @property
    def base_url(self) -> str:
        return self._server.base_url

    async def start(self) -> str:
        return await self._server.start()

    async def stop(self) -> None:
        await self._server.stop()

    async def _handle(self, request: HttpRequest, exchange: Exchange) -> None:
        path = request.path.split("?", 1)[0]
        self.paths.append(path)
        if path == "/v1/health":
            await exchange.send_json(200, _HEALTH)
        elif path == "/v1beta/server_setting":
            await exchange.send_json(200, {"disable_client_side_telemetry": True})
        elif path == "/v1/completions" and request.method == "POST":
            await self._complete(request, exchange)
        else:
            await exchange.send_json(200, {})

    async def _complete(self, request: HttpRequest, exchange: Exchange) -> None:
        body = json.loads(request.body or b"{}")
        segments = body.get("segments") or {}
        call = self.responder.answer(segments.get("prefix", ""), segments.get("suffix") or "")
        tokens = max(1, -(-len(call.text) // max(1, self.latency.chunk_chars)))
        generate_s = self.latency.ttft_s(self._rng) + (tokens - 1) * self.latency.per_token_ms / 1000
        # Send the head now and the JSON as one chunk later, so a hang-up while we "generate"
        # is seen (tabby-agent aborts its fetch when a newer completion request arrives).
        await exchange.start_stream(200, {"content-type": "application/json"})
        try:
            await exchange.pause(generate_s)
        except ClientGone:
            per_token_s = self.latency.per_token_ms / 1000
            generating_s = time.perf_counter() - call.received - (generate_s - (tokens - 1) * per_token_s)
            call.tokens = 0 if generating_s < 0 else min(tokens, 1 + int(generating_s / max(per_token_s, 1e-6)))
            call.cancelled = True
            call.finished = time.perf_counter()
            raise
        payload = {"id": f"cmpl-{uuid.uuid4().hex[:12]}", "choices": [{"index": 0, "text": call.text}]}
        await exchange.send_chunk(json.dumps(payload).encode())
        await exchange.end_stream()
        call.tokens = tokens
        call.completed = True
        call.finished = time.perf_counter()


_HEALTH = {
    "model": "fake/CodestralTruth",
    "device": "cpu",
    "arch": "x86_64",
    "cpu_info": "fake",
    "cpu_count": 2,
    "cuda_devices": [],
    "version": {"build_date": "2024-01-01", "build_timestamp": "", "git_sha": "", "git_describe": "v0.11.0"},
}


async def sleep_until_idle(ledger: Ledger, quiet_s: float = 0.3, limit_s: float = 3.0) -> None:
    """Wait until no request is open at the fake (so counts are final)."""
    deadline = time.perf_counter() + limit_s
    while time.perf_counter() < deadline:
        if all(call.finished is not None for call in ledger.calls):
            return
        await asyncio.sleep(quiet_s / 3)
