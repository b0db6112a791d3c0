"""A fake OpenAI-compatible server in vLLM's manner: `/v1/completions` and `/v1/models`.

Spec §5: any non-null `suffix` is refused with 400 `suffix is not currently supported`;
replies have the text completion shape (`choices[].text`); streams are SSE ending with
`data: [DONE]`; errors are `{"error":{"message","type","param","code"}}` or, with
`error_style="flat"` (older vLLM), `{"object":"error","message","type","param","code"}`.
A prompt plus `max_tokens` longer than `max_model_len` gets vLLM's 400 "maximum context length".
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any, Literal

from .httpserver import Exchange, HttpRequest
from .mistral import DropConnection, ErrorReply, LatencyProfile, MalformedChunk
from .selfhosted import (
    Hold,
    MidStreamError,
    Responder,
    SelfHostedFake,
    json_line,
    prompt_tokens,
    send_error,
    shape,
)

DEFAULT_MODELS = ("mistralai/Codestral-22B-v0.1",)
_TYPES = {400: "BadRequestError", 401: "AuthenticationError", 404: "NotFoundError"}
ErrorStyle = Literal["nested", "flat"]


def error_body(code: int, message: str, style: ErrorStyle = "nested", param: str | None = None) -> dict[str, Any]:
    """vLLM's error shape: the current nested one or the older flat one."""
    fields: dict[str, Any] = {"message": message, "param": param, "code": code}
    fields["type"] = _TYPES.get(code, "InternalServerError")
    if style == "flat":
        return {"object": "error", **fields}
    return {"error": fields}


class FakeOpenAI(SelfHostedFake):
    """Answers like `vllm serve <model>`: `models` are the served model names."""

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        models: Sequence[str] = DEFAULT_MODELS,
        max_model_len: int = 32768,
        error_style: ErrorStyle = "nested",
        latency: LatencyProfile | None = None,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(responder, latency=latency, api_key=api_key, host=host, port=port)
        self.models = list(models)
        self.max_model_len = max_model_len
        self.error_style: ErrorStyle = error_style

    async def unauthorized(self, exchange: Exchange) -> None:
        await exchange.send_json(401, {"error": "Unauthorized"})

    async def route(self, request: HttpRequest, body: Any, exchange: Exchange) -> None:
        path = request.path.split("?")[0]
        if request.method == "GET" and path == "/v1/models":
            data = [
                {
                    "id": name,
                    "object": "model",
                    "created": int(time.time()),
                    "owned_by": "vllm",
                    "root": name,
                    "max_model_len": self.max_model_len,
                }
                for name in self.models
            ]
            await exchange.send_json(200, {"object": "list", "data": data})
        elif request.method == "POST" and path == "/v1/completions":
            await self._complete(body, exchange)
        elif request.method == "GET" and path == "/health":
            await exchange.send(200, b"")
        else:
            await exchange.send_json(404, {"detail": "Not Found"})

    async def _fail(self, exchange: Exchange, code: int, message: str, param: str | None = None) -> None:
        await exchange.send_json(code, error_body(code, message, self.error_style, param))

    async def _complete(self, body: Any, exchange: Exchange) -> None:
        if not isinstance(body, dict):
            await self._fail(exchange, 400, "Invalid JSON body")
            return
        model = body.get("model")
        if model not in self.models:
            await self._fail(exchange, 404, f"The model `{model}` does not exist.", "model")
            return
        if body.get("suffix") is not None:
            await self._fail(exchange, 400, "suffix is not currently supported", "suffix")
            return
        if not isinstance(body.get("prompt"), str):
            await self._fail(exchange, 400, "prompt must be a string", "prompt")
            return
        prompt_count = prompt_tokens(body["prompt"])
        max_tokens = body.get("max_tokens", 16)
        wanted = prompt_count + (max_tokens if isinstance(max_tokens, int) else 0)
        if wanted > self.max_model_len:
            message = (
                f"This model's maximum context length is {self.max_model_len} tokens. However, you requested "
                f"{wanted} tokens ({prompt_count} in the messages, {max_tokens} in the completion). "
                "Please reduce the length of the messages or completion."
            )
            await self._fail(exchange, 400, message)
            return
        reply = await self.reply_for(body)
        if isinstance(reply, ErrorReply):
            await send_error(exchange, reply)
            return
        limit = None if self.ignore_max_tokens else max_tokens
        pieces, reason = shape(reply, body.get("stop"), limit, self.latency.chunk_chars)
        finish = "length" if reason == "length" else "stop"
        completion_id = f"cmpl-{uuid.uuid4().hex}"
        usage = {
            "prompt_tokens": prompt_count,
            "total_tokens": prompt_count + len(pieces),
            "completion_tokens": len(pieces),
        }

        def event(text: str, finish_reason: str | None) -> dict[str, Any]:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason}
            choice["stop_reason"] = None
            return {
                "id": completion_id,
                "object": "text_completion",
                "created": int(time.time()),
                "model": model,
                "choices": [choice],
            }

        if not body.get("stream", False):
            await exchange.pause(self.latency.ttft_s(self._rng))
            if isinstance(reply, DropConnection):
                exchange.abort()
                return
            await exchange.send_json(200, {**event("".join(pieces), finish), "usage": usage})
            return
        await exchange.start_stream(200, {"content-type": "text/event-stream; charset=utf-8"})
        await exchange.pause(self.latency.ttft_s(self._rng))
        for index, piece in enumerate(pieces):
            if index:
                await exchange.pause(self.latency.per_token_ms / 1000.0)
            last = index == len(pieces) - 1 and isinstance(reply, str)
            await _send_event(exchange, event(piece, finish if last else None))
            self.count_chunk()
        if isinstance(reply, DropConnection):
            exchange.abort()
            return
        if isinstance(reply, Hold):
            await self.hold(exchange)
        if isinstance(reply, MidStreamError):
            await _send_event(exchange, error_body(500, reply.message, self.error_style))
        elif isinstance(reply, MalformedChunk):
            await exchange.send_chunk(f"data: {reply.data}\n\n".encode())
        elif not pieces or not isinstance(reply, str):
            await _send_event(exchange, event("", finish))
        if (body.get("stream_options") or {}).get("include_usage"):
            await _send_event(exchange, {**event("", None), "choices": [], "usage": usage})
        await exchange.send_chunk(b"data: [DONE]\n\n")
        await exchange.end_stream()


async def _send_event(exchange: Exchange, payload: dict[str, Any]) -> None:
    await exchange.send_chunk(b"data: " + json_line(payload) + b"\n\n")
