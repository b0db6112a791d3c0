"""A fake Codestral endpoint on loopback that speaks Mistral's exact FIM wire format.

For tests, the no-key latency benchmark and manual editor testing. A *responder* decides what
each request gets: text to stream, or a scripted failure (`ErrorReply`, `DropConnection`,
`MalformedChunk`). The fake records every request and notices clients that hang up mid-stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import math
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

import attrs

from .httpserver import ClientGone, Exchange, HttpRequest, LoopbackServer, ThreadedServer

DEFAULT_TEXT = "result = compute(value)\n    return result"
FIM_PATH = "/v1/fim/completions"
JSON_UTF8 = "application/json; charset=utf-8"


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


def _default_responder(body: dict[str, Any]) -> Reply:
    return DEFAULT_TEXT


class FakeMistral:
    """`async with FakeMistral(responder, latency=...) as fake:` then use `fake.base_url`.

    Attributes: `requests` (every RecordedRequest), `disconnects` (streams the client closed
    before the end), `chunks_sent` (content chunks sent, all requests), `connections` (TCP
    connections accepted: 1 for many requests means keep-alive works).
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
        self.responder: Responder = responder or _default_responder
        self.latency = latency if latency is not None else LatencyProfile()
        self._api_key = api_key
        self._rng = random.Random(seed)
        self._server = LoopbackServer(self._handle, host=host, port=port)
        self.requests: list[RecordedRequest] = []
        self.disconnects = 0
        self.chunks_sent = 0
        self._disconnected = asyncio.Event()

    def __repr__(self) -> str:
        return f"FakeMistral(base_url={self.base_url!r}, requests={len(self.requests)})"

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

    async def __aenter__(self) -> FakeMistral:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def wait_for_disconnects(self, count: int = 1, timeout_s: float = 5.0) -> int:
        """Wait until `count` streams were cut off by the client (or give up); returns the count.

        The fake notices a hang-up asynchronously, a moment after the client closes.
        """

        async def until_counted() -> None:
            while self.disconnects < count:
                self._disconnected.clear()
                await self._disconnected.wait()

        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(until_counted(), timeout_s)
        return self.disconnects

    def run_in_thread(self) -> ThreadedServer:
        """Serve from a background thread with its own loop: `with fake.run_in_thread() as url:`."""
        return ThreadedServer(self)

    async def _handle(self, request: HttpRequest, exchange: Exchange) -> None:
        body = _parse_json(request.body)
        record = RecordedRequest(
            request.method, request.path, dict(request.headers), body, request.body
        )
        self.requests.append(record)
        if not self._authorized(request.headers):
            await exchange.send_json(
                401, {"message": "Unauthorized", "request_id": uuid.uuid4().hex}, _json_utf8()
            )
            return
        if request.method != "POST" or not _is_fim_route(request.path):
            await exchange.send_json(404, {"detail": "Not Found"})
            return
        problems = _validate(body)
        if problems:
            await exchange.send_json(422, {"detail": problems})
            return
        reply = self.responder(body)
        if inspect.isawaitable(reply):
            reply = await reply
        if isinstance(reply, ErrorReply):
            await _send_error(exchange, reply)
            return
        try:
            if body.get("stream", False):
                await self._stream(exchange, body, reply, record)
            else:
                await self._complete(exchange, body, reply, record)
            record.completed = exchange.finished
        except ClientGone:
            record.disconnected = True
            self.disconnects += 1
            self._disconnected.set()
            raise

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        if self._api_key is None:
            return True
        return headers.get("authorization", "") == f"Bearer {self._api_key}"

    async def _stream(
        self, exchange: Exchange, body: dict[str, Any], reply: Scripted, record: RecordedRequest
    ) -> None:
        text, finish = shape_reply(reply, body, self.latency.chunk_chars)
        pieces = _pieces(text, self.latency.chunk_chars)
        chunk_id = uuid.uuid4().hex
        await exchange.start_stream(200, {"content-type": "text/event-stream"})
        await exchange.pause(self.latency.ttft_s(self._rng))
        await _send_event(exchange, _chunk(chunk_id, body, {"role": "assistant", "content": ""}))
        for index, piece in enumerate(pieces):
            if index:
                await exchange.pause(self.latency.per_token_ms / 1000.0)
            last = index == len(pieces) - 1 and isinstance(reply, (str, Completion))
            usage = _usage(body, len(pieces)) if last else None
            event = _chunk(chunk_id, body, {"content": piece}, finish if last else None, usage)
            await _send_event(exchange, event)
            record.chunks_sent += 1
            self.chunks_sent += 1
        if isinstance(reply, DropConnection):
            exchange.abort()
            return
        if isinstance(reply, MalformedChunk):
            await exchange.send_chunk(f"data: {reply.data}\n\n".encode())
        elif not pieces:
            final = _chunk(chunk_id, body, {"content": ""}, finish, _usage(body, 0))
            await _send_event(exchange, final)
        await exchange.send_chunk(b"data: [DONE]\n\n")
        await exchange.end_stream()

    async def _complete(
        self, exchange: Exchange, body: dict[str, Any], reply: Scripted, record: RecordedRequest
    ) -> None:
        text, finish = shape_reply(reply, body, self.latency.chunk_chars)
        pieces = _pieces(text, self.latency.chunk_chars)
        await exchange.pause(
            self.latency.ttft_s(self._rng) + len(pieces) * self.latency.per_token_ms / 1000.0
        )
        if isinstance(reply, DropConnection):
            exchange.abort()
            return
        if isinstance(reply, MalformedChunk):
            await exchange.send(200, reply.data.encode(), {"content-type": "application/json"})
            return
        record.chunks_sent = len(pieces)
        message = {"content": text, "tool_calls": None, "prefix": False, "role": "assistant"}
        await exchange.send_json(
            200,
            {
                "id": uuid.uuid4().hex,
                "object": "chat.completion",
                "model": body["model"],
                "usage": _usage(body, len(pieces)),
                "created": int(time.time()),
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            },
        )


def _json_utf8() -> dict[str, str]:
    return {"content-type": JSON_UTF8}


def _is_fim_route(path: str) -> bool:
    route = path.split("?", 1)[0]
    return route.endswith(FIM_PATH) or route.endswith((":streamRawPredict", ":rawPredict"))


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _validate(body: Any) -> list[dict[str, Any]]:
    """FastAPI-style 422 items for the two required fields (what the real service checks first)."""
    if not isinstance(body, dict):
        return [{"type": "model_attributes_type", "loc": ["body"], "msg": "Invalid JSON body"}]
    problems: list[dict[str, Any]] = []
    for field in ("model", "prompt"):
        if field not in body:
            problems.append({"type": "missing", "loc": ["body", field], "msg": "Field required"})
        elif not isinstance(body[field], str):
            problems.append(
                {"type": "string_type", "loc": ["body", field], "msg": "Input should be a string"}
            )
    return problems


async def _send_error(exchange: Exchange, reply: ErrorReply) -> None:
    if isinstance(reply.body, (dict, list)):
        await exchange.send_json(reply.status, reply.body, {**_json_utf8(), **reply.headers})
        return
    text = "" if reply.body is None else str(reply.body)
    headers = {"content-type": "text/plain; charset=utf-8", **reply.headers}
    await exchange.send(reply.status, text.encode(), headers)


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
    if isinstance(max_tokens, int) and len(_pieces(text, chunk_chars)) > max_tokens:
        text, finish = text[: max_tokens * max(chunk_chars, 1)], "length"
    return text, reply.finish_reason or finish


def _pieces(text: str, chunk_chars: int) -> list[str]:
    size = max(chunk_chars, 1)
    return [text[start : start + size] for start in range(0, len(text), size)]


def _usage(body: dict[str, Any], completion_tokens: int) -> dict[str, int]:
    prompt_chars = len(body.get("prompt") or "") + len(body.get("suffix") or "")
    prompt_tokens = max(1, prompt_chars // 4)
    return {
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "completion_tokens": completion_tokens,
    }


def _chunk(
    chunk_id: str,
    body: dict[str, Any],
    delta: dict[str, Any],
    finish_reason: str | None = None,
    usage: dict[str, int] | None = None,
) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": chunk_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }
    if usage is not None:
        chunk["usage"] = usage
    return chunk


async def _send_event(exchange: Exchange, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, separators=(",", ":"))
    await exchange.send_chunk(f"data: {data}\n\n".encode())
