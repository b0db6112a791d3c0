"""A fake llama.cpp server (`llama-server`): `/completion`, `/infill`, `/health`, `/props`.

Spec §4: SSE streams with **no** `[DONE]`, whose last event has `stop:true` and empty
`content`; errors are `{"error":{"code","message","type"}}` with the HTTP status equal to
`code`; a failure mid-stream is a `data: {"error":{...}}` event; `/infill` answers 501
`not_supported_error` unless the model's GGUF declares FIM tokens (`infill_supported`); a prompt
longer than `n_ctx` (`llama-server -c`) gets 400 `exceed_context_size_error`, with the
`n_prompt_tokens` and `n_ctx` fields current builds add.
"""

from __future__ import annotations

import time
from typing import Any

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

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    500: "server_error",
    501: "not_supported_error",
    503: "unavailable_error",
}
_STOP_TYPES = {"stop": "word", "length": "limit", "eos": "eos"}


def error_body(code: int, message: str) -> dict[str, Any]:
    """llama.cpp's error shape."""
    return {"error": {"code": code, "message": message, "type": _TYPES.get(code, "server_error")}}


def context_error_body(n_prompt_tokens: int, n_ctx: int) -> dict[str, Any]:
    """What current llama-server builds answer for a prompt that does not fit the slot's context."""
    message = (
        f"request ({n_prompt_tokens} tokens) exceeds the available context size ({n_ctx} tokens), try increasing it"
    )
    error = {"code": 400, "message": message, "type": "exceed_context_size_error"}
    return {"error": {**error, "n_prompt_tokens": n_prompt_tokens, "n_ctx": n_ctx}}


class FakeLlamaCpp(SelfHostedFake):
    """Answers like `llama-server -m <gguf>`; `loading` makes `/health` answer 503."""

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        alias: str = "codestral-22b-v0.1-q4_k_m.gguf",
        n_ctx: int = 32768,
        infill_supported: bool = False,
        loading: bool = False,
        latency: LatencyProfile | None = None,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(responder, latency=latency, api_key=api_key, host=host, port=port)
        self.alias = alias
        self.n_ctx = n_ctx
        self.infill_supported = infill_supported
        self.loading = loading

    async def unauthorized(self, exchange: Exchange) -> None:
        await exchange.send_json(401, error_body(401, "Invalid API Key"))

    async def route(self, request: HttpRequest, body: Any, exchange: Exchange) -> None:
        path = request.path.split("?")[0]
        if request.method == "GET" and path == "/health":
            if self.loading:
                await exchange.send_json(503, error_body(503, "Loading model"))
            else:
                await exchange.send_json(200, {"status": "ok"})
        elif request.method == "GET" and path == "/props":
            await exchange.send_json(200, self._props())
        elif request.method == "GET" and path in ("/models", "/v1/models"):
            model = {"id": self.alias, "object": "model", "created": int(time.time())}
            model |= {"owned_by": "llamacpp", "meta": {"n_ctx_train": self.n_ctx}}
            await exchange.send_json(200, {"object": "list", "data": [model]})
        elif request.method == "POST" and path in ("/completion", "/completions"):
            await self._complete(body, exchange, infill=False)
        elif request.method == "POST" and path == "/infill":
            await self._complete(body, exchange, infill=True)
        else:
            await exchange.send_json(404, error_body(404, "File Not Found"))

    def _props(self) -> dict[str, Any]:
        return {
            "default_generation_settings": {"n_ctx": self.n_ctx, "params": {"n_predict": -1}},
            "total_slots": 1,
            "model_path": f"/models/{self.alias}",
            "build_info": "b6000-fake",
        }

    async def _complete(self, body: Any, exchange: Exchange, *, infill: bool) -> None:
        if self.loading:
            await exchange.send_json(503, error_body(503, "Loading model"))
            return
        if not isinstance(body, dict):
            await exchange.send_json(400, error_body(400, "Invalid JSON body"))
            return
        problem = _infill_problem(body, self.infill_supported) if infill else None
        if not infill and not isinstance(body.get("prompt"), str):
            problem = (400, '"prompt" must be a string')
        if problem is not None:
            await exchange.send_json(problem[0], error_body(*problem))
            return
        prompt = _infill_prompt(body) if infill else str(body["prompt"])
        evaluated = prompt_tokens(prompt)
        if evaluated > self.n_ctx:
            await exchange.send_json(400, context_error_body(evaluated, self.n_ctx))
            return
        reply = await self.reply_for(body)
        if isinstance(reply, ErrorReply):
            await send_error(exchange, reply)
            return
        stop = body.get("stop")
        n_predict = None if self.ignore_max_tokens else body.get("n_predict")
        pieces, reason = shape(reply, stop, n_predict, self.latency.chunk_chars)
        text = reply if isinstance(reply, str) else getattr(reply, "text", "")
        stopping_word = ""
        if reason == "stop":
            stopping_word = min((s for s in stop or [] if s and s in text), key=text.index)
        final = {
            "index": 0,
            "content": "",
            "tokens": [],
            "id_slot": 0,
            "stop": True,
            "model": self.alias,
            "tokens_predicted": len(pieces),
            "tokens_evaluated": evaluated,
            "generation_settings": {
                "n_predict": body.get("n_predict", -1),
                "temperature": body.get("temperature", 0.8),
            },
            "prompt": prompt,
            "has_new_line": "\n" in "".join(pieces),
            "truncated": False,
            "stop_type": _STOP_TYPES[reason],
            "stopping_word": stopping_word,
            "tokens_cached": evaluated + len(pieces),
            "timings": {
                "cache_n": 0,
                "prompt_n": evaluated,
                "prompt_ms": 31.2,
                "predicted_n": len(pieces),
                "predicted_ms": 52.0,
            },
        }
        if not body.get("stream", False):
            await exchange.pause(self.latency.ttft_s(self._rng))
            if isinstance(reply, DropConnection):
                exchange.abort()
            else:
                await exchange.send_json(200, {**final, "content": "".join(pieces)})
            return
        await exchange.start_stream(200, {"content-type": "text/event-stream"})
        await exchange.pause(self.latency.ttft_s(self._rng))
        for index, piece in enumerate(pieces):
            if index:
                await exchange.pause(self.latency.per_token_ms / 1000.0)
            partial = {"index": 0, "content": piece, "tokens": [index], "stop": False}
            partial |= {"id_slot": -1, "tokens_predicted": index + 1}
            partial["tokens_evaluated"] = evaluated
            await exchange.send_chunk(b"data: " + json_line(partial) + b"\n\n")
            self.count_chunk()
        if isinstance(reply, DropConnection):
            exchange.abort()
            return
        if isinstance(reply, Hold):
            await self.hold(exchange)
        if isinstance(reply, MidStreamError):
            event = error_body(500, reply.message)
            await exchange.send_chunk(b"data: " + json_line(event) + b"\n\n")
        elif isinstance(reply, MalformedChunk):
            await exchange.send_chunk(f"data: {reply.data}\n\n".encode())
        else:
            await exchange.send_chunk(b"data: " + json_line(final) + b"\n\n")
        await exchange.end_stream()


def _infill_problem(body: dict[str, Any], supported: bool) -> tuple[int, str] | None:
    if not supported:
        return 501, (
            "Infill is not supported by this model: prefix token is missing. Please use a model with FIM tokens."
        )
    for field in ("input_prefix", "input_suffix"):
        if field not in body:
            return 400, f'"{field}" is required'
    extra = body.get("input_extra", [])
    if not isinstance(extra, list) or not all(isinstance(chunk, dict) for chunk in extra):
        return 400, '"input_extra" must be an array of {"filename": string, "text": string}'
    for chunk in extra:
        if not isinstance(chunk.get("text"), str):
            return 400, 'extra_context chunk must contain a "text" field with a string value'
        if "filename" in chunk and not isinstance(chunk["filename"], str):
            return 400, 'extra_context chunk\'s "filename" field must be a string'
    if "prompt" in body and not isinstance(body["prompt"], str):
        return 400, '"prompt" must be a string'
    return None


def _infill_prompt(body: dict[str, Any]) -> str:
    # PSM order, as format_prompt_infill assembles it (with StarCoder-style token names).
    return f"<fim_prefix>{body['input_prefix']}<fim_suffix>{body['input_suffix']}<fim_middle>{body.get('prompt', '')}"
