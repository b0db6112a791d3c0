"""Ollama: `POST /api/generate` with `suffix`, read as an NDJSON stream (spec §3).

Ollama fills in the middle through the model's own template when given `prompt` + `suffix`.
Two traps shape the request:
- an empty `prompt` generates nothing (`done_reason:"load"`), so at the very start of a file we
  switch to `raw` mode with the prompt built from a FIM template;
- `raw` mode silently drops `suffix`, so a raw prompt must carry the suffix inside it.
Setting `promptTemplate` (a built-in name or a literal) sends every request in raw mode: the
way to use a model whose Ollama template lacks insert support.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from ..errors import ModelUnavailable, ProtocolError
from .base import FimRequest, StreamStats
from .exchange import Route, open_stream, parse_event
from .http import display_host
from .keys import KeyProvider
from .templates import PromptTemplate, merge_stops, template_for_model

DEFAULT_ENDPOINT = "http://127.0.0.1:11434"
# The Settings default is Mistral's alias; Ollama's tag for the same model is `codestral`.
MISTRAL_DEFAULT_MODEL = "codestral-latest"
OLLAMA_DEFAULT_MODEL = "codestral"

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def ollama_model(model: str) -> str:
    """The Ollama tag for the `model` setting (its Mistral default maps to `codestral`)."""
    return OLLAMA_DEFAULT_MODEL if model == MISTRAL_DEFAULT_MODEL else model


def keep_alive_value(keep_alive: str) -> str | float:
    """Ollama reads a number as seconds and a string as a Go duration ("30m")."""
    text = keep_alive.strip()
    if _NUMBER.match(text):
        number = float(text)
        return int(number) if number.is_integer() else number
    return text


class OllamaBackend:
    """Streams FIM completions from an Ollama server."""

    name = "ollama"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        endpoint: str = DEFAULT_ENDPOINT,
        keys: KeyProvider | None = None,
        headers: Mapping[str, str] | None = None,
        url_template: str | None = None,
        keep_alive: str = "30m",
        template: PromptTemplate | None = None,
    ) -> None:
        """`template` set means raw mode for every request; None means native `suffix`."""
        self._client = client
        self._route = Route(
            display_name="Ollama",
            endpoint=endpoint,
            keys=keys or KeyProvider(),
            headers=dict(headers or {}),
            url_template=url_template,
            unreachable_hint="Is Ollama running? Start it with `ollama serve`.",
        )
        self._keep_alive = keep_alive_value(keep_alive)
        self._template = template
        self.last_stats: StreamStats | None = None

    def build_body(self, request: FimRequest) -> dict[str, Any]:
        """The `/api/generate` body for `request` (streaming)."""
        model = ollama_model(request.model)
        options: dict[str, Any] = {
            "num_predict": request.max_tokens,
            "temperature": request.temperature,
        }
        body: dict[str, Any] = {"model": model}
        if self._template is None and request.prefix:
            body |= {"prompt": request.prefix, "suffix": request.suffix}
            stops = merge_stops(request.stop)
        else:
            template = self._template or template_for_model(model)
            body |= {"prompt": template.render(request.prefix, request.suffix), "raw": True}
            stops = merge_stops(request.stop, template.stop)
        if stops:
            options["stop"] = stops
        body |= {"stream": True, "keep_alive": self._keep_alive, "options": options}
        return body

    async def stream(self, request: FimRequest) -> AsyncIterator[str]:
        body = self.build_body(request)
        url = self._route.url("/api/generate", model=body["model"], method="generate")
        self.last_stats = None
        try:
            async with open_stream(self._client, self._route, url, body, accept="application/x-ndjson") as response:
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    part = parse_event(line, self._route)
                    text = part.get("response")
                    if isinstance(text, str) and text:
                        yield text
                    if part.get("done") is True:
                        self.last_stats = StreamStats(
                            prompt_tokens=part.get("prompt_eval_count"),
                            completion_tokens=part.get("eval_count"),
                        )
                        return
        except ModelUnavailable as exc:
            raise self._explain(exc, body["model"]) from exc
        raise ProtocolError(f"Ollama at {display_host(self._route.endpoint)} ended the stream without `done`")

    def _explain(self, exc: ModelUnavailable, model: str) -> ModelUnavailable:
        where = display_host(self._route.endpoint)
        if exc.status == 404 and "model" not in exc.detail.lower():
            message = (
                f"{where} answered 404 for /api/generate: is `endpoint` an Ollama server (default {DEFAULT_ENDPOINT})?"
            )
        elif exc.status == 404:
            message = (
                f"Ollama at {where} has no model {model!r}: run `ollama pull {model}` "
                "(or set `model` to one listed by `ollama list`)."
            )
        else:
            message = (
                f"Ollama model {model!r} cannot fill in the middle (its template has no "
                "suffix/insert support). Use a FIM model (`ollama pull codestral`, "
                'qwen2.5-coder, starcoder2), or set `promptTemplate` (e.g. "codestral") '
                "to send raw FIM prompts."
            )
        return ModelUnavailable(message, status=exc.status, detail=exc.detail)

    async def warm_up(self, model: str) -> None:
        """Load `model` now, so the first completion does not wait for it (an optional hook).

        A request without a prompt only loads the model and keeps it for `keep_alive`.
        """
        tag = ollama_model(model)
        body = {"model": tag, "keep_alive": self._keep_alive, "stream": False}
        url = self._route.url("/api/generate", model=tag, method="generate")
        try:
            async with open_stream(self._client, self._route, url, body, accept="application/json") as response:
                await response.aread()
        except ModelUnavailable as exc:
            raise self._explain(exc, tag) from exc

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client belongs to the caller."""
