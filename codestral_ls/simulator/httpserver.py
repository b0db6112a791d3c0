"""A tiny asyncio HTTP/1.1 server for fake backends: keep-alive, chunked streams, and it notices
when the client hangs up mid-stream (the proof that cancelling a completion aborts the request).

Fake servers (see `simulator.mistral`) supply a handler `async (HttpRequest, Exchange) -> None`.
Only what clients of FIM APIs send is understood: a request line, headers, a Content-Length body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Protocol

import attrs

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 32 * 1024 * 1024
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    411: "Length Required",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@attrs.frozen
class HttpRequest:
    """One parsed request; header names are lower-cased."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


class ClientGone(Exception):
    """The client closed the connection before the reply was complete."""


class Exchange:
    """Writes one reply: whole (`send`) or streamed (`start_stream`, `send_chunk`, `end_stream`)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._watch: asyncio.Task[bytes] | None = None
        self.leftover = b""  # bytes of a next request read while watching for a hang-up
        self.keep_alive = True
        self.started = False
        self.finished = False

    async def send(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        """A complete reply with Content-Length."""
        all_headers = {"content-length": str(len(body)), **(headers or {})}
        self.started = True
        self._writer.write(self._head(status, all_headers) + body)
        await self._drain()
        self.finished = True

    async def send_json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        """A complete JSON reply."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        await self.send(status, body, {"content-type": "application/json", **(headers or {})})

    async def start_stream(self, status: int, headers: Mapping[str, str]) -> None:
        """Send the head of a chunked reply and start watching for the client hanging up."""
        self.started = True
        self._watch = asyncio.ensure_future(self._reader.read(1))
        self._writer.write(self._head(status, {**headers, "transfer-encoding": "chunked"}))
        await self._drain()

    async def send_chunk(self, data: bytes) -> None:
        """One chunk of a streamed reply; ClientGone if the client has hung up."""
        self._check_gone()
        self._writer.write(b"%x\r\n%s\r\n" % (len(data), data))
        await self._drain()

    async def pause(self, seconds: float) -> None:
        """Sleep, but raise ClientGone as soon as the client hangs up."""
        if self._watch is None:
            await asyncio.sleep(seconds)
            return
        await asyncio.wait({self._watch}, timeout=seconds)
        self._check_gone()

    async def end_stream(self) -> None:
        """The terminating chunk; stops watching first so a next request is read normally."""
        await self.stop_watching()
        self._writer.write(b"0\r\n\r\n")
        await self._drain()
        self.finished = True

    def abort(self) -> None:
        """Drop the connection at once (no terminating chunk): a server dying mid-reply."""
        self.keep_alive = False
        self.forget_watch()
        self._writer.transport.abort()

    async def fail(self, exc: Exception) -> None:
        """Answer 500 with the exception (or drop the connection if the reply has begun)."""
        if self.started:
            self.abort()
            return
        self.keep_alive = False
        with contextlib.suppress(ClientGone):
            await self.send(500, f"fake server error: {exc!r}".encode(), {"content-type": "text/plain"})

    def forget_watch(self) -> None:
        """Stop watching without waiting (error paths): the connection is closed next."""
        watch, self._watch = self._watch, None
        if watch is not None and not watch.done():
            watch.cancel()
        elif watch is not None and not watch.cancelled():
            watch.exception()  # mark it retrieved, so asyncio does not log it

    async def stop_watching(self) -> None:
        watch, self._watch = self._watch, None
        if watch is None:
            return
        if not watch.done():
            watch.cancel()
            await asyncio.wait({watch})
        if watch.done() and not watch.cancelled() and watch.exception() is None:
            data = watch.result()
            if not data:
                raise ClientGone
            self.leftover += data  # a pipelined next request: keep its first byte

    def _check_gone(self) -> None:
        watch = self._watch
        if watch is None or not watch.done():
            return
        if watch.cancelled() or watch.exception() is not None or not watch.result():
            raise ClientGone
        # Data instead of EOF: the client pipelined its next request; stop watching.
        self.leftover += watch.result()
        self._watch = None

    async def _drain(self) -> None:
        try:
            await self._writer.drain()
        except ConnectionError as exc:
            raise ClientGone from exc

    def _head(self, status: int, headers: Mapping[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if not self.keep_alive:
            lines.append("connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


Handler = Callable[[HttpRequest, Exchange], Awaitable[None]]


class LoopbackServer:
    """Serves `handler` on 127.0.0.1 (a free port unless given) until `stop()`."""

    def __init__(self, handler: Handler, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0
        self.base_url = ""

    async def start(self) -> str:
        """Listen, and return the base URL (`http://127.0.0.1:PORT`)."""
        self._server = await asyncio.start_server(self._on_connect, self._host, self._port, limit=MAX_HEADER_BYTES)
        host, port = self._server.sockets[0].getsockname()[:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop listening and drop every open connection."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        self.connections += 1
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away between requests, or sent garbage
        except asyncio.CancelledError:
            # Only stop() cancels this task, and it is the top of its own stack: ending quietly
            # keeps asyncio's start_server callback from logging the cancellation as an error.
            pass
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.transport.abort()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        leftover = b""
        while True:
            request = await _read_request(reader, leftover)
            if request is None:
                return
            exchange = Exchange(reader, writer)
            exchange.keep_alive = request.headers.get("connection", "").lower() != "close"
            try:
                await self._handler(request, exchange)
                await exchange.stop_watching()
            except ClientGone:
                return
            except Exception as exc:  # a bug in a fake: answer 500 so the test shows it
                await exchange.fail(exc)
                return
            finally:
                exchange.forget_watch()
            if not exchange.finished or not exchange.keep_alive:
                return
            leftover = exchange.leftover


async def _read_request(reader: asyncio.StreamReader, leftover: bytes) -> HttpRequest | None:
    if not leftover and reader.at_eof():
        return None
    try:
        head = leftover + await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial and not leftover:
            return None
        raise
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, path, _version = request_line.split(" ", 2)
    headers: dict[str, str] = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    if length > MAX_BODY_BYTES:
        raise ConnectionError("request body too large")
    body = await reader.readexactly(length) if length else b""
    return HttpRequest(method=method, path=path, headers=headers, body=body)


class Serving(Protocol):
    """Anything with async start() -> base URL and async stop()."""

    async def start(self) -> str: ...

    async def stop(self) -> None: ...


class ThreadedServer:
    """Runs a server on its own event loop in a daemon thread, for synchronous callers.

    `with ThreadedServer(FakeMistral()) as base_url: ...`, or `start()` / `stop()`.
    """

    def __init__(self, server: Serving) -> None:
        self.server = server
        self.base_url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout_s: float = 10.0) -> str:
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                self.base_url = loop.run_until_complete(self.server.start())
            except BaseException as exc:  # reported to the starting thread below
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="fake-backend", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            raise TimeoutError("the fake server did not start")
        if failure:
            raise failure[0]
        return self.base_url

    def stop(self, timeout_s: float = 10.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = self._thread = None
        if loop.is_running():
            asyncio.run_coroutine_threadsafe(self.server.stop(), loop).result(timeout_s)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout_s)
        with contextlib.suppress(RuntimeError):
            loop.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
