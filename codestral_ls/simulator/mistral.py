"""A fake Codestral endpoint on loopback that speaks Mistral's exact FIM wire format.

For tests, the no-key latency benchmark and manual editor testing. A *responder* decides what
each request gets: text to stream, or a scripted failure (`ErrorReply`, `DropConnection`,
`MalformedChunk`). The fake records every request and notices clients that hang up mid-stream.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from .endpoint import FakeEndpoint
from .httpserver import ClientGone, Exchange, HttpRequest
from .replies import (
    Completion,
    DropConnection,
    ErrorReply,
    LatencyProfile,
    MalformedChunk,
    RecordedRequest,
    Reply,
    Responder,
    Scripted,
    shape_reply,
    split_chunks,
)

# The reply types are re-exported: tests and benchmarks import them from here.
__all__ = [
    "DEFAULT_TEXT",
    "Completion",
    "DropConnection",
    "ErrorReply",
    "FakeMistral",
    "LatencyProfile",
    "MalformedChunk",
    "RecordedRequest",
    "Reply",
    "Responder",
    "Scripted",
    "shape_reply",
]

DEFAULT_TEXT = "result = compute(value)\n    return result"
FIM_PATH = "/v1/fim/completions"
JSON_UTF8 = "application/json; charset=utf-8"


class FakeMistral(FakeEndpoint[Reply]):
    """A fake `codestral.mistral.ai`: `POST /v1/fim/completions`, streamed or not (see
    `FakeEndpoint` for the lifecycle and what is recorded)."""

    default_text = DEFAULT_TEXT

    async def _handle(self, request: HttpRequest, exchange: Exchange) -> None:
        body = _parse_json(request.body)
        record = self.record(request, body)
        if not self.authorized(request):
            await exchange.send_json(401, {"message": "Unauthorized", "request_id": uuid.uuid4().hex}, _json_utf8())
            return
        local = self.local_path(request.path)
        if request.method != "POST" or local is None or not _is_fim_route(local):
            await exchange.send_json(404, {"detail": "Not Found"})
            return
        problems = _validate(body)
        if problems:
            await exchange.send_json(422, {"detail": problems})
            return
        reply = await self.reply_for(body)
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
            self.hung_up(record)
            raise

    def _shape(self, reply: Scripted, body: dict[str, Any]) -> tuple[str, str]:
        if self.ignore_max_tokens:
            body = {key: value for key, value in body.items() if key != "max_tokens"}
        return shape_reply(reply, body, self.latency.chunk_chars)

    async def _stream(self, exchange: Exchange, body: dict[str, Any], reply: Scripted, record: RecordedRequest) -> None:
        text, finish = self._shape(reply, body)
        pieces = split_chunks(text, self.latency.chunk_chars)
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
        text, finish = self._shape(reply, body)
        pieces = split_chunks(text, self.latency.chunk_chars)
        await exchange.pause(self.latency.ttft_s(self._rng) + len(pieces) * self.latency.per_token_ms / 1000.0)
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
            problems.append({"type": "string_type", "loc": ["body", field], "msg": "Input should be a string"})
    return problems


async def _send_error(exchange: Exchange, reply: ErrorReply) -> None:
    if isinstance(reply.body, (dict, list)):
        await exchange.send_json(reply.status, reply.body, {**_json_utf8(), **reply.headers})
        return
    text = "" if reply.body is None else str(reply.body)
    headers = {"content-type": "text/plain; charset=utf-8", **reply.headers}
    await exchange.send(reply.status, text.encode(), headers)


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
