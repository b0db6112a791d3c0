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

from ..errors import ModelUnavailable
from .base import FimRequest, StreamStats
from .exchange import Call, Outcome, Piece, Route, encode_json, parse_event, post_json, stream_call
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
        self._outcome = Outcome()

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
        call = Call(
            url=self._route.url("/api/generate", model=body["model"], method="generate"),
            body=encode_json(body),
            framing="ndjson",
            parse=self._piece,
            max_tokens=request.max_tokens,
            accept="application/x-ndjson",
            missing_done="ended the stream without `done`",
        )
        try:
            async for text in stream_call(self._client, self._route, call, self._outcome):
                yield text
        except ModelUnavailable as exc:
            raise self._explain(exc, body["model"]) from exc

    def _piece(self, line: str) -> Piece:
        part = parse_event(line, self._route)
        response = part.get("response")
        text = response if isinstance(response, str) else ""
        if part.get("done") is not True:
            return Piece(text)
        prompt, completion = part.get("prompt_eval_count"), part.get("eval_count")
        stats = StreamStats(
            prompt_tokens=prompt if isinstance(prompt, int) else None,
            completion_tokens=completion if isinstance(completion, int) else None,
        )
        return Piece(text, done=True, stats=stats)

    @property
    def last_stats(self) -> StreamStats | None:
        """Usage figures of the last stream."""
        return self._outcome.stats

    def describe(self) -> str:
        """Where requests go, fit to print (a password in the endpoint is masked)."""
        return self._route.describe()

    def _explain(self, exc: ModelUnavailable, model: str) -> ModelUnavailable:
        where = display_host(self._route.wire_endpoint)
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
        try:
            await post_json(
                self._client,
                self._route,
                "/api/generate",
                {"model": tag, "keep_alive": self._keep_alive, "stream": False},
            )
        except ModelUnavailable as exc:
            raise self._explain(exc, tag) from exc

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client belongs to the caller."""
