"""A small asyncio HTTP/1.1 server that the fake backends build on.

It reads requests (keep-alive, Content-Length or chunked bodies), records them, asks the
subclass for a `Reply`, and writes either a whole body or a chunked stream. While streaming it
watches the socket, so a client that hangs up mid-stream is *seen*: `disconnects` counts it and
`wait_disconnect()` returns. Tests use that to prove cancellation closes the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    499: "Client Closed Request",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@attrs.frozen
class Request:
    """One request as the fake received it; header names are lower-case."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@attrs.define
class Reply:
    """What to send back: a whole `body`, or `chunks` streamed with chunked transfer encoding."""

    status: int = 200
    headers: dict[str, str] = attrs.Factory(dict)
    body: bytes = b""
    chunks: AsyncIterator[bytes] | None = None

    @classmethod
    def json(cls, status: int, payload: Any, content_type: str = "application/json") -> Reply:
        data = json.dumps(payload, separators=(",", ":")).encode()
        return cls(status, {"Content-Type": content_type}, data)


Script = Callable[[Request], Reply]


class FakeHttpServer:
    """Base of the fakes: subclasses implement `handle(request) -> Reply`.

    `push(script)` makes the next request answer with `script(request)` instead, in order;
    the per-format fakes use it for their error shapes.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._scripts: deque[Script] = deque()
        self._disconnected = asyncio.Event()
        self._connections: set[asyncio.Task[None]] = set()
        self.requests: list[Request] = []
        self.disconnects = 0
        self.streams_completed = 0
        self.release = asyncio.Event()  # set it to let streams held with `hold()` go on

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, self._port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FakeHttpServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def push(self, script: Script) -> None:
        self._scripts.append(script)

    async def wait_disconnect(self, timeout_s: float = 5.0) -> None:
        """Return once a client has hung up in the middle of a stream."""
        await asyncio.wait_for(self._disconnected.wait(), timeout_s)

    async def hold(self) -> None:
        """Await inside a chunk generator to stall a stream until `release` is set."""
        await self.release.wait()

    async def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                self.requests.append(request)
                reply = (
                    self._scripts.popleft()(request)
                    if self._scripts
                    else await self.handle(request)
                )
                if not await self._write(reply, request, reader, writer):
                    break
                if request.headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _write(
        self,
        reply: Reply,
        request: Request,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Send `reply`; False when the connection is finished (client gone)."""
        reason = _REASONS.get(reply.status, "Status")
        head = [f"HTTP/1.1 {reply.status} {reason}"]
        headers = dict(reply.headers)
        if reply.chunks is None:
            headers["Content-Length"] = str(len(reply.body))
        else:
            headers["Transfer-Encoding"] = "chunked"
        head += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if reply.chunks is None:
            if request.method != "HEAD":
                writer.write(reply.body)
            await writer.drain()
            return True
        return await self._stream(reply.chunks, reader, writer)

    async def _stream(
        self,
        chunks: AsyncIterator[bytes],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        # During a response the client sends nothing, so a read that returns means it hung up.
        hangup = asyncio.ensure_future(reader.read(1))
        iterator = aiter(chunks)
        try:
            while True:
                following = asyncio.ensure_future(anext(iterator))
                await asyncio.wait({following, hangup}, return_when=asyncio.FIRST_COMPLETED)
                if hangup.done():
                    following.cancel()
                    with contextlib.suppress(BaseException):
                        await following
                    self._note_disconnect()
                    return False
                try:
                    chunk = following.result()
                except StopAsyncIteration:
                    break
                if chunk:
                    writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    try:
                        await writer.drain()
                    except ConnectionError:
                        self._note_disconnect()
                        return False
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            self.streams_completed += 1
            return True
        finally:
            hangup.cancel()
            with contextlib.suppress(BaseException):
                await hangup
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(BaseException):
                    await aclose()

    def _note_disconnect(self) -> None:
        self.disconnects += 1
        self._disconnected.set()


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    url = urlsplit(target)
    return Request(method, url.path, dict(parse_qsl(url.query)), headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
