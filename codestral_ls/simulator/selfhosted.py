"""What the self-hosted fakes (Ollama, llama.cpp, OpenAI-compatible) share.

They take the same *responder* and reply types as `simulator.mistral.FakeMistral` (a string,
`Completion`, `ErrorReply`, `DropConnection`, `MalformedChunk`), plus two of their own:
`MidStreamError` (text, then the format's in-stream error) and `Hold` (text, then keep the
stream open until the client hangs up or `release()` is called: cancellation tests need no
timing). Each fake records requests as `RecordedRequest`s and counts `disconnects`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import attrs

from .httpserver import ClientGone, Exchange, HttpRequest, LoopbackServer, ThreadedServer
from .mistral import (
    Completion,
    DropConnection,
    ErrorReply,
    LatencyProfile,
    MalformedChunk,
    RecordedRequest,
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


def _default_responder(body: dict[str, Any]) -> Reply:
    return DEFAULT_TEXT


class SelfHostedFake:
    """Base of the self-hosted fakes: `async with FakeX(responder) as fake:`, `fake.base_url`.

    Subclasses implement `route(request, body, exchange)`. With `api_key` set, requests without
    `Authorization: Bearer <api_key>` get the format's 401 (`unauthorized()`).
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        latency: LatencyProfile | None = None,
        api_key: str | None = None,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._rng = random.Random(seed)
        self.responder: Responder = responder or _default_responder
        self.latency = latency if latency is not None else LatencyProfile()
        self.api_key = api_key
        self._server = LoopbackServer(self._handle, host=host, port=port)
        self._released = asyncio.Event()
        self._disconnected = asyncio.Event()
        self.requests: list[RecordedRequest] = []
        self.disconnects = 0
        self.chunks_sent = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, requests={len(self.requests)})"

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def connections(self) -> int:
        return self._server.connections

    async def start(self) -> str:
        """Listen on a free loopback port; returns the base URL."""
        return await self._server.start()

    async def stop(self) -> None:
        self._released.set()
        await self._server.stop()

    async def __aenter__(self: _Fake) -> _Fake:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def run_in_thread(self) -> ThreadedServer:
        """Serve from a background thread with its own loop: `with fake.run_in_thread() as url:`."""
        return ThreadedServer(self)

    def release(self) -> None:
        """Let every `Hold` reply finish."""
        self._released.set()

    async def wait_disconnect(self, timeout_s: float = 10.0) -> None:
        """Return once a client has hung up in the middle of a reply."""
        await asyncio.wait_for(self._disconnected.wait(), timeout_s)

    async def wait_for_disconnects(self, count: int = 1, timeout_s: float = 5.0) -> int:
        """Wait until `count` replies were cut off by the client (or give up); returns the count.

        Same contract as `FakeMistral.wait_for_disconnects`.
        """

        async def until_counted() -> None:
            while self.disconnects < count:
                self._disconnected.clear()
                await self._disconnected.wait()

        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(until_counted(), timeout_s)
        return self.disconnects

    def bodies(self, path: str) -> list[Any]:
        """The JSON bodies received on `path`."""
        return [record.body for record in self.requests if record.path.split("?")[0] == path]

    async def reply_for(self, body: dict[str, Any]) -> Reply:
        reply = self.responder(body)
        if inspect.isawaitable(reply):
            reply = await reply
        return reply

    async def route(self, request: HttpRequest, body: Any, exchange: Exchange) -> None:
        raise NotImplementedError

    async def unauthorized(self, exchange: Exchange) -> None:
        await exchange.send_json(401, {"error": "unauthorized"})

    async def _handle(self, request: HttpRequest, exchange: Exchange) -> None:
        body = _parse_json(request.body)
        record = RecordedRequest(request.method, request.path, dict(request.headers), body, request.body)
        self.requests.append(record)
        if self.api_key is not None:
            if request.headers.get("authorization", "") != f"Bearer {self.api_key}":
                await self.unauthorized(exchange)
                return
        try:
            await self.route(request, body, exchange)
            record.completed = exchange.finished
        except ClientGone:
            record.disconnected = True
            self.disconnects += 1
            self._disconnected.set()
            raise

    async def hold(self, exchange: Exchange) -> None:
        """Wait for `release()`, noticing (ClientGone) a client that hangs up meanwhile."""
        while not self._released.is_set():
            await exchange.pause(0.05)

    def count_chunk(self) -> None:
        self.chunks_sent += 1
        if self.requests:
            self.requests[-1].chunks_sent += 1


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
