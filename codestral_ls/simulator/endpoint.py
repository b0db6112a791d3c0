"""What every fake endpoint shares: a loopback server's lifecycle, the requests it received, and
the clients that hung up mid-reply. Each fake adds only its wire format (`_handle`)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import random
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from .httpserver import Exchange, HttpRequest, LoopbackServer, ThreadedServer
from .replies import LatencyProfile, RecordedRequest

ReplyT = TypeVar("ReplyT")


class FakeEndpoint(Generic[ReplyT]):
    """`async with FakeX(responder, latency=...) as fake:` then use `fake.base_url`.

    A *responder* gets each request's JSON body and returns what to answer (possibly awaiting).
    Attributes: `requests` (every RecordedRequest), `disconnects` (replies the client cut off),
    `chunks_sent` (content chunks sent), `connections` (TCP connections accepted: 1 for many
    requests means keep-alive works). With `api_key` set, other keys get the format's 401.
    """

    # What a fake answers when it is given no responder.
    default_text = ""
    # A misbehaving server: stream the whole scripted text whatever `max_tokens` asks for.
    ignore_max_tokens = False
    # Serve under this path prefix (a gateway's `https://gw/x`): requests outside it get 404.
    base_path = ""

    def __init__(
        self,
        responder: Any = None,
        *,
        latency: LatencyProfile | None = None,
        api_key: str | None = None,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.responder: Callable[[dict[str, Any]], Any] = responder or (lambda body: self.default_text)
        self.latency = latency if latency is not None else LatencyProfile()
        self.api_key = api_key
        self._rng = random.Random(seed)
        self._server = LoopbackServer(self._handle, host=host, port=port)
        self.requests: list[RecordedRequest] = []
        self.disconnects = 0
        self.chunks_sent = 0
        self._disconnected = asyncio.Event()

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
        await self._server.stop()

    async def __aenter__(self) -> Self:
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

    async def wait_for_disconnects(self, count: int = 1, timeout_s: float = 5.0) -> int:
        """Wait until `count` replies were cut off by the client (or give up); returns the count.

        The fake notices a hang-up asynchronously, a moment after the client closes.
        """

        async def until_counted() -> None:
            while self.disconnects < count:
                self._disconnected.clear()
                await self._disconnected.wait()

        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(until_counted(), timeout_s)
        return self.disconnects

    def local_path(self, path: str) -> str | None:
        """The route of a request path: query dropped, `base_path` removed (None: outside it)."""
        route = path.split("?", 1)[0]
        if not self.base_path:
            return route
        prefix = self.base_path.rstrip("/")
        if route != prefix and not route.startswith(prefix + "/"):
            return None
        return route[len(prefix) :] or "/"

    def authorized(self, request: HttpRequest) -> bool:
        return self.api_key is None or request.headers.get("authorization", "") == f"Bearer {self.api_key}"

    async def reply_for(self, body: dict[str, Any]) -> ReplyT:
        reply = self.responder(body)
        if inspect.isawaitable(reply):
            reply = await reply
        return reply  # type: ignore[no-any-return]

    def record(self, request: HttpRequest, body: Any) -> RecordedRequest:
        recorded = RecordedRequest(request.method, request.path, dict(request.headers), body, request.body)
        self.requests.append(recorded)
        return recorded

    def hung_up(self, recorded: RecordedRequest) -> None:
        recorded.disconnected = True
        self.disconnects += 1
        self._disconnected.set()

    async def _handle(self, request: HttpRequest, exchange: Exchange) -> None:
        raise NotImplementedError
