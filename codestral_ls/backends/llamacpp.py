"""llama.cpp's server: `/completion` with a raw FIM prompt, or its native `/infill` (spec §4).

For Codestral, `/completion` with `[SUFFIX]…[PREFIX]…` is the right route: `/infill` only works
for GGUFs that declare FIM tokens (Codestral's are not recognised: 501) and always appends a
middle token that Codestral was not trained with. `promptTemplate: "infill"` selects `/infill`
for models such as Qwen2.5-Coder or StarCoder2 whose GGUF maps them.

Streams are server-sent events with no `[DONE]`: the last event has `stop: true` and empty
`content`, so the text is the concatenation of the earlier events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from ..errors import ModelUnavailable, ServerError
from .base import FimRequest, StreamStats
from .exchange import Call, Outcome, Piece, Route, encode_json, parse_event, stream_call
from .http import display_host
from .keys import KeyProvider
from .templates import PromptTemplate, merge_stops, template_for_model

DEFAULT_ENDPOINT = "http://127.0.0.1:8080"


class LlamaCppBackend:
    """Streams FIM completions from a llama.cpp server (`llama-server`)."""

    name = "llamacpp"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        endpoint: str = DEFAULT_ENDPOINT,
        keys: KeyProvider | None = None,
        headers: Mapping[str, str] | None = None,
        url_template: str | None = None,
        template: PromptTemplate | None = None,
        infill: bool = False,
    ) -> None:
        """`infill` selects `/infill`; otherwise `/completion` with `template` (by model if None)."""
        self._client = client
        self._route = Route(
            display_name="llama.cpp",
            endpoint=endpoint,
            keys=keys or KeyProvider(),
            headers=dict(headers or {}),
            url_template=url_template,
            unreachable_hint="Is `llama-server` running there (e.g. `llama-server -m codestral.gguf --port 8080`)?",
        )
        self._template = template
        self._infill = infill
        self._outcome = Outcome()

    def build_body(self, request: FimRequest) -> dict[str, Any]:
        """The streaming body for `/infill` or `/completion`."""
        body: dict[str, Any]
        if self._infill:
            body = {
                "input_prefix": request.prefix,
                "input_suffix": request.suffix,
                "input_extra": [],
                "prompt": "",
            }
            stops = merge_stops(request.stop)
        else:
            template = self._template or template_for_model(request.model)
            body = {"prompt": template.render(request.prefix, request.suffix)}
            stops = merge_stops(request.stop, template.stop)
        body |= {
            "n_predict": request.max_tokens,
            "temperature": request.temperature,
            "stop": stops,
            "stream": True,
            # Reuse the KV cache of the previous keystroke's prompt: most of it is unchanged.
            "cache_prompt": True,
        }
        return body

    async def stream(self, request: FimRequest) -> AsyncIterator[str]:
        path, method = ("/infill", "infill") if self._infill else ("/completion", "completion")
        call = Call(
            url=self._route.url(path, model=request.model, method=method),
            body=encode_json(self.build_body(request)),
            framing="sse-until-done",
            parse=self._piece,
            max_tokens=request.max_tokens,
            accept="text/event-stream",
            missing_done="ended the stream without a final `stop` event",
        )
        try:
            async for text in stream_call(self._client, self._route, call, self._outcome):
                yield text
        except ServerError as exc:
            if exc.status == 501 and self._infill:
                raise ModelUnavailable(
                    f"llama.cpp at {display_host(self._route.wire_endpoint)} cannot /infill with this "
                    f"model ({exc.detail or 'no FIM tokens in its GGUF'}). Remove "
                    '`promptTemplate: "infill"` to send a raw FIM prompt to /completion '
                    "(the right route for Codestral).",
                    status=501,
                    detail=exc.detail,
                ) from exc
            raise

    def _piece(self, data: str) -> Piece:
        part = parse_event(data, self._route)
        content = part.get("content")
        text = content if isinstance(content, str) else ""
        if part.get("stop") is not True:
            return Piece(text)
        predicted, evaluated = part.get("tokens_predicted"), part.get("tokens_evaluated")
        stats = StreamStats(
            prompt_tokens=evaluated if isinstance(evaluated, int) else None,
            completion_tokens=predicted if isinstance(predicted, int) else None,
        )
        return Piece(text, done=True, stats=stats)

    @property
    def last_stats(self) -> StreamStats | None:
        """Usage figures of the last stream."""
        return self._outcome.stats

    def describe(self) -> str:
        """Where requests go, fit to print (a password in the endpoint is masked)."""
        return self._route.describe()

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client belongs to the caller."""
