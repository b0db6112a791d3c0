"""What a fake backend is told to answer (text or a scripted failure), and how fast.

Shared by every fake in `simulator`: a *responder* gets the parsed request body and returns a
`Reply`; `LatencyProfile` sets the time to first token and the pace of the chunks after it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs


@attrs.frozen
class LatencyProfile:
    """How fast the fake "model" is: time to first token, then one chunk per token."""

    ttft_median_ms: float = 250.0
    ttft_sigma: float = 0.3  # spread of the lognormal time to first token
    ttft_min_ms: float = 150.0
    ttft_max_ms: float = 400.0
    per_token_ms: float = 10.0
    chunk_chars: int = 4  # characters per streamed chunk (~one code token)

    @classmethod
    def instant(cls, chunk_chars: int = 4) -> LatencyProfile:
        """No waiting at all: for tests."""
        return cls(
            ttft_median_ms=0.0,
            ttft_sigma=0.0,
            ttft_min_ms=0.0,
            ttft_max_ms=0.0,
            per_token_ms=0.0,
            chunk_chars=chunk_chars,
        )

    def ttft_s(self, rng: random.Random) -> float:
        """One draw of the time to first token, in seconds."""
        if self.ttft_median_ms <= 0:
            return 0.0
        drawn = self.ttft_median_ms * math.exp(rng.gauss(0.0, self.ttft_sigma))
        return min(max(drawn, self.ttft_min_ms), self.ttft_max_ms) / 1000.0


@attrs.frozen
class Completion:
    """Stream `text` (cut at the request's `stop` and `max_tokens` like the real service)."""

    text: str
    finish_reason: str | None = None  # None: "stop", or "length" when max_tokens cut it


@attrs.frozen
class ErrorReply:
    """Answer with an error status instead of a stream (a dict body is sent as JSON)."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class DropConnection:
    """Stream `text` (may be empty), then drop the connection without ending the reply."""

    text: str = ""


@attrs.frozen
class MalformedChunk:
    """Stream `text`, then an event whose data is `data` (not a valid chunk), then end."""

    text: str = ""
    data: str = '{"id": "broken", "choices": [{'


Scripted = str | Completion | DropConnection | MalformedChunk  # replies that begin with a 200
Reply = Scripted | ErrorReply
Responder = Callable[[dict[str, Any]], Reply | Awaitable[Reply]]


@attrs.define
class RecordedRequest:
    """A request the fake received, and what became of its reply."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Any  # the parsed JSON, or None when it did not parse
    raw_body: bytes
    chunks_sent: int = 0
    disconnected: bool = False
    completed: bool = False


def shape_reply(reply: Scripted, body: dict[str, Any], chunk_chars: int) -> tuple[str, str]:
    """The text actually generated and its finish_reason, after `stop` and `max_tokens`."""
    if isinstance(reply, str):
        reply = Completion(reply)
    if not isinstance(reply, Completion):
        return reply.text, "stop"
    text, finish = reply.text, "stop"
    stops = body.get("stop")
    cuts = [
        text.find(stop)
        for stop in ([stops] if isinstance(stops, str) else stops or [])
        if isinstance(stop, str) and stop and stop in text
    ]
    if cuts:
        text = text[: min(cuts)]  # the service stops at the first stop string, excluding it
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, int) and len(split_chunks(text, chunk_chars)) > max_tokens:
        text, finish = text[: max_tokens * max(chunk_chars, 1)], "length"
    return text, reply.finish_reason or finish


def split_chunks(text: str, chunk_chars: int) -> list[str]:
    """`text` in pieces of `chunk_chars` characters, one per streamed chunk."""
    size = max(chunk_chars, 1)
    return [text[start : start + size] for start in range(0, len(text), size)]
