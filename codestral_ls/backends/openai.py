"""OpenAI-compatible `/v1/completions` (vLLM, LM Studio, llama.cpp's OAI route, others; spec §5).

These servers reject (vLLM, llama.cpp) or ignore (LM Studio) `suffix`, so the FIM layout goes
into a raw `prompt` built from a template (Codestral's by default). Replies are the text
completion shape (`choices[0].text`), streamed as server-sent events ending with `[DONE]`;
errors come as `{"error":{...}}` or, from older vLLM, flat `{"object":"error",...}`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from ..errors import ModelUnavailable, ProtocolError
from .base import FimRequest, StreamStats
from .exchange import Call, Outcome, Piece, Route, encode_json, parse_event, stream_call
from .http import display_host
from .keys import KeyProvider
from .templates import PromptTemplate, merge_stops, template_for_model
from .urls import endpoint_path, split_userinfo

DEFAULT_ENDPOINT = "http://127.0.0.1:8000"  # vLLM's default; LM Studio uses :1234


def completions_path(endpoint: str) -> str:
    """`/v1/completions`, or `/completions` when the endpoint already ends in `/v1`."""
    return "/completions" if endpoint_path(split_userinfo(endpoint)[0]).endswith("/v1") else "/v1/completions"


class OpenAICompatBackend:
    """Streams FIM completions from an OpenAI-compatible text completion endpoint."""

    name = "openai"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        endpoint: str = DEFAULT_ENDPOINT,
        keys: KeyProvider | None = None,
        headers: Mapping[str, str] | None = None,
        url_template: str | None = None,
        template: PromptTemplate | None = None,
    ) -> None:
        self._client = client
        self._route = Route(
            display_name="OpenAI-compatible server",
            endpoint=endpoint,
            keys=keys or KeyProvider(),
            headers=dict(headers or {}),
            url_template=url_template,
            unreachable_hint="Is the server (vLLM, LM Studio, ...) running and `endpoint` right?",
        )
        self._template = template
        self._outcome = Outcome()

    def build_body(self, request: FimRequest) -> dict[str, Any]:
        """The streaming `/v1/completions` body: a raw FIM prompt, never `suffix`."""
        template = self._template or template_for_model(request.model)
        return {
            "model": request.model,
            "prompt": template.render(request.prefix, request.suffix),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stop": merge_stops(request.stop, template.stop),
            "stream": True,
        }

    async def stream(self, request: FimRequest) -> AsyncIterator[str]:
        call = Call(
            url=self._route.url(completions_path(self._route.endpoint), model=request.model, method="completions"),
            body=encode_json(self.build_body(request)),
            framing="sse",
            parse=self._piece,
            max_tokens=request.max_tokens,
            accept="text/event-stream",
        )
        try:
            async for text in stream_call(self._client, self._route, call, self._outcome):
                yield text
        except ModelUnavailable as exc:
            if exc.status != 404:
                raise
            raise ModelUnavailable(
                f"{self._where()} has no model {request.model!r} ({exc.detail or '404'}). Set "
                "`model` to an id listed by GET /v1/models (vLLM: the served model name).",
                status=404,
                detail=exc.detail,
            ) from exc

    def _piece(self, data: str) -> Piece:
        part = parse_event(data, self._route)
        stats = _usage(part.get("usage"))
        choices = part.get("choices")
        if not isinstance(choices, list):
            raise ProtocolError(f"{self._where()} sent a stream event without `choices`")
        if not choices:
            return Piece(stats=stats)  # a usage-only event
        choice = choices[0]
        text = choice.get("text") if isinstance(choice, dict) else None
        if text is not None and not isinstance(text, str):
            raise ProtocolError(f"{self._where()} sent non-text `choices[0].text`")
        return Piece(text or "", stats=stats)

    @property
    def last_stats(self) -> StreamStats | None:
        """Usage figures of the last stream (when the server sent them)."""
        return self._outcome.stats

    def describe(self) -> str:
        """Where requests go, fit to print (a password in the endpoint is masked)."""
        return self._route.describe()

    def _where(self) -> str:
        return f"{self._route.display_name} at {display_host(self._route.wire_endpoint)}"

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client belongs to the caller."""


def _usage(usage: Any) -> StreamStats | None:
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    return StreamStats(
        prompt_tokens=prompt if isinstance(prompt, int) else None,
        completion_tokens=completion if isinstance(completion, int) else None,
    )
