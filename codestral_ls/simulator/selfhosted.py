"""What the self-hosted fakes (Ollama, llama.cpp, OpenAI-compatible) share.

They take the same *responder* and reply types as `simulator.mistral.FakeMistral` (a string,
`Completion`, `ErrorReply`, `DropConnection`, `MalformedChunk`), plus two of their own:
`MidStreamError` (text, then the format's in-stream error) and `Hold` (text, then keep the
stream open until the client hangs up or `release()` is called: cancellation tests need no
timing). Each fake records requests as `RecordedRequest`s and counts `disconnects`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import attrs

from .endpoint import FakeEndpoint
from .httpserver import ClientGone, Exchange, HttpRequest
from .mistral import (
    Completion,
    DropConnection,
    ErrorReply,
    MalformedChunk,
)

DEFAULT_TEXT = "return a + b"


@attrs.frozen
class MidStreamError:
    """Stream `text`, then fail the way the format fails after its 200 status line."""

    text: str = ""
    message: str = "model runner has unexpectedly stopped"


@attrs.frozen
class Hold:
    """Stream `text`, then keep the reply open until the client hangs up or `release()`."""

    text: str = ""


Reply = str | Completion | ErrorReply | DropConnection | MalformedChunk | MidStreamError | Hold
Responder = Callable[[dict[str, Any]], Reply | Awaitable[Reply]]
_Fake = TypeVar("_Fake", bound="SelfHostedFake")


class SelfHostedFake(FakeEndpoint[Reply]):
    """Base of the self-hosted fakes: `async with FakeX(responder) as fake:`, `fake.base_url`.

    Subclasses implement `route(request, body, exchange)`. With `api_key` set, requests without
    `Authorization: Bearer <api_key>` get the format's 401 (`unauthorized()`).
    """

    default_text = DEFAULT_TEXT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._released = asyncio.Event()

    async def stop(self) -> None:
        self._released.set()
        await super().stop()

    def release(self) -> None:
        """Let every `Hold` reply finish."""
        self._released.set()

    async def wait_disconnect(self, timeout_s: float = 10.0) -> None:
        """Return once a client has hung up in the middle of a reply."""
        await asyncio.wait_for(self._disconnected.wait(), timeout_s)

    def bodies(self, path: str) -> list[Any]:
        """The JSON bodies received on `path`."""
        return [record.body for record in self.requests if record.path.split("?")[0] == path]

    async def route(self, request: HttpRequest, body: Any, exchange: Exchange) -> None:
        raise NotImplementedError

    async def unauthorized(self, exchange: Exchange) -> None:
        await exchange.send_json(401, {"error": "unauthorized"})

    async def _handle(self, request: HttpRequest, exchange: Exchange) -> None:
        body = _parse_json(request.body)
        record = self.record(request, body)
        if not self.authorized(request):
            await self.unauthorized(exchange)
            return
        local = self.local_path(request.path)
        if local is None:
            await exchange.send_json(404, {"error": "not found"})
            return
        try:
            await self.route(attrs.evolve(request, path=local), body, exchange)
            record.completed = exchange.finished
        except ClientGone:
            self.hung_up(record)
            raise

    async def hold(self, exchange: Exchange) -> None:
        """Wait for `release()`, noticing (ClientGone) a client that hangs up meanwhile."""
        while not self._released.is_set():
            await exchange.pause(0.05)

    def count_chunk(self) -> None:
        self.chunks_sent += 1
        if self.requests:
            self.requests[-1].chunks_sent += 1


def prompt_tokens(prompt: str) -> int:
    """The fakes' tokenizer: about four characters per token, as for code."""
    return max(1, (len(prompt) + 3) // 4)


def shape(reply: Reply, stop: Any, max_tokens: Any, chunk_chars: int) -> tuple[list[str], str]:
    """The pieces to send for a text reply and why generation ended ("stop", "eos", "length").

    The text is cut before the first stop string found, then to `max_tokens` pieces.
    """
    text = reply if isinstance(reply, str) else getattr(reply, "text", "")
    reason = "eos"
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    found = [text.index(s) for s in stops if isinstance(s, str) and s and s in text]
    if found:
        text, reason = text[: min(found)], "stop"
    size = max(chunk_chars, 1)
    pieces = [text[start : start + size] for start in range(0, len(text), size)]
    if isinstance(max_tokens, int) and 0 <= max_tokens < len(pieces):
        pieces, reason = pieces[:max_tokens], "length"
    if isinstance(reply, Completion) and reply.finish_reason:
        reason = reply.finish_reason
    return pieces, reason


async def send_error(exchange: Exchange, reply: ErrorReply) -> None:
    """An `ErrorReply`: dict/list bodies as JSON, anything else as plain text."""
    if isinstance(reply.body, (dict, list)):
        await exchange.send_json(reply.status, reply.body, dict(reply.headers))
        return
    text = "" if reply.body is None else str(reply.body)
    headers = {"content-type": "text/plain; charset=utf-8", **reply.headers}
    await exchange.send(reply.status, text.encode(), headers)


def json_line(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
