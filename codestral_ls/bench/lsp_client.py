"""A minimal asyncio JSON-RPC client speaking LSP over a child process's stdio.

Written for benchmarks: no pygls, no thread hops, Content-Length framing on plain asyncio
streams, so the client adds as little as possible to what it measures. Every reply and
notification is stamped with `time.perf_counter()` the moment it is parsed, before any
callback runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

NotificationHandler = Callable[[Any, float], None]
RequestHandler = Callable[[Any], Any]

_HEADER_END = b"\r\n\r\n"
# Largest message we accept; the 100k-line didOpen is ~4 MB, leave room.
_STREAM_LIMIT = 256 * 1024 * 1024


class LspError(Exception):
    """The server answered a request with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


@attrs.define
class Pending:
    """A request on its way: its id, when it was sent, and a future for (result, arrival time)."""

    id: int
    method: str
    sent_at: float
    future: asyncio.Future[tuple[Any, float]]

    async def reply(self) -> Any:
        """The result; raises LspError for an error answer (e.g. -32800 after a cancel)."""
        result, _ = await self.future
        return result

    async def timed(self) -> tuple[Any, float]:
        """(result, seconds from sending to the reply's arrival)."""
        result, arrived = await self.future
        return result, arrived - self.sent_at


class LspClient:
    """JSON-RPC over a (reader, writer) pair; `spawn()` starts a server process and connects."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._next_id = 0
        self._pending: dict[int, Pending] = {}
        self._notification_handlers: dict[str, list[NotificationHandler]] = {}
        self._request_handlers: dict[str, RequestHandler] = {}
        self.notifications: list[tuple[str, Any, float]] = []
        self.keep_notifications = True
        self.notification_count = 0
        self.process: asyncio.subprocess.Process | None = None
        self._read_task = asyncio.ensure_future(self._read_loop())
        self.closed = asyncio.Event()

    @classmethod
    async def spawn(
        cls,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        stderr: int | Any = asyncio.subprocess.DEVNULL,
    ) -> LspClient:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            limit=_STREAM_LIMIT,
        )
        assert process.stdout is not None and process.stdin is not None
        client = cls(process.stdout, process.stdin)
        client.process = process
        return client

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    # --- sending -------------------------------------------------------------------------

    def send_request(self, method: str, params: Any = None) -> Pending:
        """Write a request now and return a handle; await `.reply()` or `.timed()` on it."""
        self._next_id += 1
        loop = asyncio.get_running_loop()
        pending = Pending(self._next_id, method, 0.0, loop.create_future())
        self._pending[pending.id] = pending
        message = {"jsonrpc": "2.0", "id": pending.id, "method": method}
        if params is not None:
            message["params"] = params
        pending.sent_at = time.perf_counter()
        self._write(message)
        return pending

    def fire(self, method: str, params: Any = None) -> Pending:
        """Send a request whose answer nobody waits for (errors are ignored, not logged)."""
        pending = self.send_request(method, params)
        pending.future.add_done_callback(lambda f: f.cancelled() or f.exception())
        return pending

    async def request(self, method: str, params: Any = None, timeout_s: float | None = 60.0) -> Any:
        pending = self.send_request(method, params)
        return await asyncio.wait_for(pending.reply(), timeout_s)

    def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._write(message)

    def cancel(self, pending: Pending) -> None:
        """Send `$/cancelRequest` for a request still waiting for its reply."""
        if not pending.future.done():
            self.notify("$/cancelRequest", {"id": pending.id})

    def _write(self, message: Mapping[str, Any]) -> None:
        self._writer.write(frame(message))

    def write_raw(self, data: bytes) -> None:
        """Bytes exactly as given, framing and all (to test how the server copes with bad input)."""
        self._writer.write(data)

    async def drain(self) -> None:
        await self._writer.drain()

    # --- receiving -----------------------------------------------------------------------

    def on_notification(self, method: str, handler: NotificationHandler) -> None:
        self._notification_handlers.setdefault(method, []).append(handler)

    def on_request(self, method: str, handler: RequestHandler) -> None:
        """Answer server->client requests of `method` with `handler(params)` (default: null)."""
        self._request_handlers[method] = handler

    async def _read_loop(self) -> None:
        try:
            while True:
                message = await read_message(self._reader)
                if message is None:
                    break
                self._dispatch(message, time.perf_counter())
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            self.closed.set()
            for pending in self._pending.values():
                if not pending.future.done():
                    pending.future.set_exception(ConnectionError("server closed the connection"))
            self._pending.clear()

    def _dispatch(self, message: dict[str, Any], arrived: float) -> None:
        if "method" not in message:
            pending = self._pending.pop(message.get("id"), None)  # type: ignore[arg-type]
            if pending is None or pending.future.done():
                return
            if "error" in message:
                error = message["error"]
                pending.future.set_exception(
                    LspError(error.get("code", 0), error.get("message", ""), error.get("data"))
                )
            else:
                pending.future.set_result((message.get("result"), arrived))
            return
        method = message["method"]
        params = message.get("params")
        if "id" in message:
            handler = self._request_handlers.get(method)
            result = handler(params) if handler is not None else None
            self._write({"jsonrpc": "2.0", "id": message["id"], "result": result})
            return
        self.notification_count += 1
        if self.keep_notifications:
            self.notifications.append((method, params, arrived))
        for callback in self._notification_handlers.get(method, ()):
            callback(params, arrived)

    # --- lifecycle -----------------------------------------------------------------------

    async def initialize(
        self,
        initialization_options: Mapping[str, Any] | None = None,
        capabilities: Mapping[str, Any] | None = None,
        root_uri: str | None = None,
        timeout_s: float = 30.0,
    ) -> Any:
        """`initialize` + `initialized`; returns the server's InitializeResult."""
        params = {
            "processId": os.getpid(),
            "clientInfo": {"name": "codestral-ls-bench", "version": "1"},
            "rootUri": root_uri,
            "capabilities": dict(capabilities) if capabilities is not None else VSCODE_LIKE_CAPABILITIES,
            "initializationOptions": dict(initialization_options or {}),
        }
        result = await self.request("initialize", params, timeout_s)
        self.notify("initialized", {})
        return result

    async def close(self, timeout_s: float = 5.0) -> None:
        """shutdown + exit, then make sure the process is gone."""
        with contextlib.suppress(Exception):
            if not self.closed.is_set():
                await self.request("shutdown", None, timeout_s)
                self.notify("exit")
                await self.drain()
        if self.process is not None:
            try:
                await asyncio.wait_for(self.process.wait(), timeout_s)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        else:
            self._writer.close()
        self._read_task.cancel()
        with contextlib.suppress(BaseException):
            await self._read_task


async def read_message(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """One framed message, or None at end of stream."""
    try:
        head = await reader.readuntil(_HEADER_END)
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise
        return None
    length = -1
    for line in head[: -len(_HEADER_END)].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length < 0:
        raise ValueError(f"message without Content-Length: {head!r}")
    body = await reader.readexactly(length)
    message: dict[str, Any] = json.loads(body)
    return message


def frame(message: Mapping[str, Any]) -> bytes:
    """The bytes of one LSP message (Content-Length counts bytes, not characters)."""
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


# What VS Code 1.9x announces that matters here: inline completion, utf-16, the usual sync.
VSCODE_LIKE_CAPABILITIES: dict[str, Any] = {
    "general": {"positionEncodings": ["utf-16"]},
    "textDocument": {
        "synchronization": {"dynamicRegistration": False, "didSave": True},
        "inlineCompletion": {"dynamicRegistration": False},
        "completion": {
            "completionItem": {"snippetSupport": False, "insertReplaceSupport": True},
            "contextSupport": True,
        },
    },
    "workspace": {"configuration": False, "didChangeConfiguration": {"dynamicRegistration": False}},
    "window": {"workDoneProgress": False},
}
