"""A fake Ollama server: `/api/generate` with NDJSON streams, `/api/show`, `/api/tags`.

It follows Ollama's routes.go where clients depend on it (spec §3): `stream` defaults to true;
an empty prompt answers `done_reason:"load"` and generates nothing; a non-empty `suffix` needs
the model's `insert` capability (400 `"<model>" does not support insert`); `raw` ignores
`suffix`; unknown models get 404 `model "<m>" not found, try pulling it first`; errors are
`{"error":"..."}`, and a failure mid-stream is a last `{"error":...}` line on HTTP 200.

Context window: the runtime window is `options.num_ctx`, else the model's `num_ctx` parameter
(shown by `/api/show` only when set), else `DEFAULT_NUM_CTX`. A longer prompt is silently cut
from the front, as Ollama does (`truncated_prompts` counts them; `prompt_eval_count` shows the
window), unless the request says `"truncate": false`: then 400 `the input length exceeds the
context length`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .httpserver import Exchange, HttpRequest
from .mistral import DropConnection, ErrorReply, LatencyProfile, MalformedChunk
from .selfhosted import (
    Hold,
    MidStreamError,
    Reply,
    Responder,
    SelfHostedFake,
    json_line,
    prompt_tokens,
    send_error,
    shape,
)

CREATED_AT = "2025-01-01T00:00:00.123456789Z"
FIM_TEMPLATE = "[SUFFIX]{{ .Suffix }}[PREFIX] {{ .Prompt }}"
NDJSON = "application/x-ndjson"
JSON_UTF8 = {"content-type": "application/json; charset=utf-8"}
DEFAULT_MODELS: Mapping[str, Sequence[str]] = {"codestral:latest": ("completion", "insert")}
# Ollama's own default on a machine with less than 24 GiB of VRAM (spec §3.1).
DEFAULT_NUM_CTX = 4096
TOO_LONG = "the input length exceeds the context length"


def tag(name: str) -> str:
    """Ollama's full name for a model: `codestral` is `codestral:latest`."""
    return name if ":" in name else f"{name}:latest"


class FakeOllama(SelfHostedFake):
    """Answers like `ollama serve`; `models` maps a tag to its capabilities (`insert` = FIM)."""

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        models: Mapping[str, Sequence[str]] = DEFAULT_MODELS,
        context_length: int = 32768,
        num_ctx: int | None = None,
        latency: LatencyProfile | None = None,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(responder, latency=latency, api_key=api_key, host=host, port=port)
        self.models = {tag(name): list(caps) for name, caps in models.items()}
        self.context_length = context_length
        self.num_ctx = num_ctx
        self.truncated_prompts = 0
        self.version = "0.12.3"

    async def route(self, request: HttpRequest, body: Any, exchange: Exchange) -> None:
        path = request.path.split("?")[0]
        if request.method in ("GET", "HEAD") and path == "/":
            await exchange.send(200, b"Ollama is running", {"content-type": "text/plain"})
        elif request.method == "GET" and path == "/api/version":
            await exchange.send_json(200, {"version": self.version}, JSON_UTF8)
        elif request.method == "GET" and path == "/api/tags":
            listing = [_listing(name) for name in self.models]
            await exchange.send_json(200, {"models": listing}, JSON_UTF8)
        elif request.method == "POST" and path == "/api/show":
            await self._show(body, exchange)
        elif request.method == "POST" and path == "/api/generate":
            await self._generate(body, exchange)
        else:
            await exchange.send(404, b"404 page not found", {"content-type": "text/plain"})

    async def _show(self, body: Any, exchange: Exchange) -> None:
        if not isinstance(body, dict):
            await _error(exchange, 400, "invalid request body")
            return
        name = str(body.get("model") or body.get("name") or "")
        capabilities = self.models.get(tag(name))
        if capabilities is None:
            await _error(exchange, 404, f"model '{name}' not found")
            return
        template = FIM_TEMPLATE if "insert" in capabilities else "{{ .Prompt }}"
        shown = {
            "modelfile": f"FROM {name}\nTEMPLATE {json.dumps(template)}\n",
            "parameters": 'stop "[INST]"' + (f"\nnum_ctx {self.num_ctx}" if self.num_ctx else ""),
            "template": template,
            "details": _details(),
            "model_info": {
                "general.architecture": "llama",
                "llama.context_length": self.context_length,
            },
            "capabilities": capabilities,
            "modified_at": CREATED_AT,
        }
        await exchange.send_json(200, shown, JSON_UTF8)

    async def _generate(self, body: Any, exchange: Exchange) -> None:
        if not isinstance(body, dict):
            await _error(exchange, 400, "invalid character in request body")
            return
        name = str(body.get("model") or "")
        if not name:
            await _error(exchange, 400, "model is required")
            return
        capabilities = self.models.get(tag(name))
        if capabilities is None:
            await _error(exchange, 404, f'model "{name}" not found, try pulling it first')
            return
        raw = bool(body.get("raw", False))
        if raw and (body.get("template") or body.get("system") or body.get("context")):
            await _error(exchange, 400, "raw mode does not support template, system, or context")
            return
        if body.get("suffix") and "insert" not in capabilities:
            await _error(exchange, 400, f'"{name}" does not support insert')
            return
        stream = body.get("stream", True) is not False
        head = {"model": name, "created_at": CREATED_AT}
        if not body.get("prompt") and not body.get("template") and not body.get("system"):
            # Ollama only loads the model: nothing is generated, even with a suffix.
            loaded = {**head, "response": "", "done": True, "done_reason": "load"}
            await self._send(exchange, [], loaded, stream)
            return
        window = self._window(body)
        evaluated = prompt_tokens(str(body.get("prompt") or "") + ("" if raw else str(body.get("suffix") or "")))
        if evaluated > window:
            if body.get("truncate") is False:
                await _error(exchange, 400, TOO_LONG)
                return
            self.truncated_prompts += 1  # Ollama keeps the end of the prompt and says nothing
            evaluated = window
        reply = await self.reply_for(body)
        if isinstance(reply, ErrorReply):
            await send_error(exchange, reply)
            return
        options = body.get("options") or {}
        num_predict = None if self.ignore_max_tokens else options.get("num_predict")
        pieces, reason = shape(reply, options.get("stop"), num_predict, self.latency.chunk_chars)
        final: dict[str, Any] = {
            **head,
            "response": "",
            "done": True,
            "done_reason": "length" if reason == "length" else "stop",
            "total_duration": 912345678,
            "load_duration": 1234567,
            "prompt_eval_count": evaluated,
            "prompt_eval_duration": 45678901,
            "eval_count": len(pieces),
            "eval_duration": 345678901,
        }
        if not raw:
            final["context"] = [1, 2, 3]
        if not stream:
            await self._send(exchange, [], {**final, "response": "".join(pieces)}, False, reply)
            return
        parts = [{**head, "response": piece, "done": False} for piece in pieces]
        await self._send(exchange, parts, final, True, reply)

    def _window(self, body: dict[str, Any]) -> int:
        requested = (body.get("options") or {}).get("num_ctx")
        if isinstance(requested, int) and requested > 0:
            return requested
        return self.num_ctx or DEFAULT_NUM_CTX

    async def _send(
        self,
        exchange: Exchange,
        parts: list[dict[str, Any]],
        final: dict[str, Any],
        stream: bool,
        reply: Reply = "",
    ) -> None:
        if not stream:
            await exchange.pause(self.latency.ttft_s(self._rng))
            if isinstance(reply, DropConnection):
                exchange.abort()
            elif isinstance(reply, MalformedChunk):
                await exchange.send(200, reply.data.encode(), JSON_UTF8)
            else:
                await exchange.send_json(200, final, JSON_UTF8)
            return
        await exchange.start_stream(200, {"content-type": NDJSON})
        await exchange.pause(self.latency.ttft_s(self._rng))
        for index, part in enumerate(parts):
            if index:
                await exchange.pause(self.latency.per_token_ms / 1000.0)
            await exchange.send_chunk(json_line(part) + b"\n")
            self.count_chunk()
        if isinstance(reply, DropConnection):
            exchange.abort()
            return
        if isinstance(reply, Hold):
            await self.hold(exchange)
        if isinstance(reply, MidStreamError):
            await exchange.send_chunk(json_line({"error": reply.message}) + b"\n")
        elif isinstance(reply, MalformedChunk):
            await exchange.send_chunk(reply.data.encode() + b"\n")
        else:
            await exchange.send_chunk(json_line(final) + b"\n")
        await exchange.end_stream()


async def _error(exchange: Exchange, status: int, message: str) -> None:
    await exchange.send_json(status, {"error": message}, JSON_UTF8)


def _listing(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "model": name,
        "modified_at": CREATED_AT,
        "size": 12569170041,
        "digest": "0" * 64,
        "details": _details(),
    }


def _details() -> dict[str, Any]:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": "llama",
        "families": ["llama"],
        "parameter_size": "22.2B",
        "quantization_level": "Q4_0",
    }
