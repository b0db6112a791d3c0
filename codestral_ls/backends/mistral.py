"""The Mistral FIM backend: `POST /v1/fim/completions`, streamed as server-sent events.

Works against codestral.mistral.ai, api.mistral.ai (and its EU/US hosts), and, through
`urlTemplate`, gateways such as Vertex AI that take the same body at another URL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

import httpx

from ..config import Credentials, Settings, resolve_mistral_credentials
from ..errors import ProtocolError, ServerError
from .base import FimRequest, StreamStats
from .exchange import Call, Keys, Outcome, Piece, Route, stream_call
from .http import context_window_error, error_detail, make_http_client
from .keys import KeyProvider
from .urls import fill_template, join_url

FIM_PATH = "/v1/fim/completions"
STREAM_METHOD = "streamRawPredict"  # `{method}` in a url template (Vertex AI's streaming verb)
DISPLAY_NAME = "Mistral"


class KeySource(Protocol):
    """Where a key comes from when it can change (e.g. `apiKeyCommand`); see `backends.keys`."""

    @property
    def refreshable(self) -> bool: ...

    async def get(self) -> str | None: ...

    def invalidate(self) -> None: ...


def fim_body(request: FimRequest) -> dict[str, Any]:
    """The JSON body, with keys in the order the official SDK emits them and no unset field."""
    body: dict[str, Any] = {
        "model": request.model,
        "prompt": request.prefix,
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "stream": True,
    }
    if request.stop:
        body["stop"] = list(request.stop)
    body["suffix"] = request.suffix
    return body


def encode_body(body: Mapping[str, Any]) -> bytes:
    """Compact JSON, exactly as the SDK serializes it."""
    return json.dumps(body, separators=(",", ":")).encode()


def fim_url(endpoint: str, model: str, url_template: str | None) -> str:
    """`{endpoint}/v1/fim/completions`, or the template with `{endpoint}`, `{model}`, `{method}`."""
    if not url_template:
        return join_url(endpoint, FIM_PATH)
    return fill_template(url_template, endpoint, model=model, method=STREAM_METHOD)


def chunk_text(data: str) -> tuple[str, str | None, StreamStats | None]:
    """(content, finish_reason, usage) of one stream chunk; ProtocolError if it is not one.

    An error object instead of a chunk raises ServerError (or ContextWindowExceeded when it says
    the prompt is too long)."""
    try:
        chunk = json.loads(data)
    except ValueError as exc:
        raise ProtocolError(f"{DISPLAY_NAME} sent a stream chunk that is not JSON") from exc
    if not isinstance(chunk, dict):
        raise ProtocolError(f"{DISPLAY_NAME} sent a stream chunk that is not an object")
    choices = chunk.get("choices")
    if choices is None and ("error" in chunk or "message" in chunk or "detail" in chunk):
        detail = error_detail(data)
        too_long = context_window_error(data, detail, backend=DISPLAY_NAME, host="")
        if too_long is not None:
            raise too_long
        raise ServerError(f"{DISPLAY_NAME} failed mid-stream: {detail}", detail=detail)
    if not isinstance(choices, list):
        raise ProtocolError(f"{DISPLAY_NAME} sent a stream chunk without `choices`")
    stats = _usage(chunk.get("usage"))
    if not choices:
        return "", None, stats  # e.g. a usage-only chunk
    choice = choices[0]
    delta = choice.get("delta") if isinstance(choice, dict) else None
    if not isinstance(delta, dict):
        raise ProtocolError(f"{DISPLAY_NAME} sent a stream chunk without `choices[0].delta`")
    content = delta.get("content")
    if content is None:
        content = ""
    if not isinstance(content, str):
        raise ProtocolError(f"{DISPLAY_NAME} sent non-text `delta.content`")
    finish = choice.get("finish_reason")
    return content, finish if isinstance(finish, str) else None, stats


def _usage(raw: Any) -> StreamStats | None:
    if not isinstance(raw, dict):
        return None
    prompt, completion = raw.get("prompt_tokens"), raw.get("completion_tokens")
    return StreamStats(
        prompt_tokens=prompt if isinstance(prompt, int) else None,
        completion_tokens=completion if isinstance(completion, int) else None,
    )


class MistralBackend:
    """Streams `choices[0].delta.content` from Mistral's FIM endpoint.

    `client` is shared and stays open (the caller owns it); without one the backend makes its
    own and `aclose()` closes it. The key comes from `key_source` when given (and is refetched
    once after a 401/403 if it is refreshable), else from `credentials.key`.
    """

    name = "mistral"

    def __init__(
        self,
        settings: Settings,
        credentials: Credentials,
        client: httpx.AsyncClient | None = None,
        *,
        key_source: KeySource | None = None,
    ) -> None:
        self._settings = settings
        self._credentials = credentials
        self._owns_client = client is None
        self._client = client if client is not None else make_http_client(settings.timeout_ms)
        keys: Keys = KeyProvider(static=credentials.key, source=credentials.source)
        if key_source is not None:
            keys = _NamedKeys(key_source, credentials.source)
        self._route = Route(
            display_name=DISPLAY_NAME,
            endpoint=credentials.endpoint,
            keys=keys,
            headers=dict(settings.headers),
            url_template=settings.url_template,
            key_required=True,
        )
        self._outcome = Outcome()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        client: httpx.AsyncClient | None = None,
        env: Mapping[str, str] | None = None,
    ) -> MistralBackend:
        """The backend for `settings`: key and host from `resolve_mistral_credentials`, and a
        refreshable `KeyProvider` when the key comes from `apiKeyCommand`."""
        credentials = resolve_mistral_credentials(settings, env)
        key_source = None
        if settings.api_key_command and not settings.api_key:
            key_source = KeyProvider.from_settings(settings, env)
        return cls(settings, credentials, client, key_source=key_source)

    def __repr__(self) -> str:
        return f"MistralBackend({self.describe()})"

    def describe(self) -> str:
        """Where requests go, fit to print (a password in the endpoint is masked)."""
        return self._route.describe()

    @property
    def last_stats(self) -> StreamStats | None:
        """Usage figures of the last stream (when the server sent them)."""
        return self._outcome.stats

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def stream(self, request: FimRequest) -> AsyncIterator[str]:
        """Yield text chunks as they arrive; raise only BackendError subclasses."""
        call = Call(
            url=self._route.url(FIM_PATH, model=request.model, method=STREAM_METHOD),
            body=encode_body(fim_body(request)),
            framing="sse",
            parse=_piece,
            max_tokens=request.max_tokens,
            accept="text/event-stream",
            stream_types=frozenset({"text/event-stream"}),
        )
        async for text in stream_call(self._client, self._route, call, self._outcome):
            yield text


class _NamedKeys:
    """A `KeySource` with the printable `source` the credentials name."""

    def __init__(self, keys: KeySource, source: str) -> None:
        self._keys = keys
        self.source = source

    @property
    def refreshable(self) -> bool:
        return self._keys.refreshable

    async def get(self) -> str | None:
        return await self._keys.get()

    def invalidate(self) -> None:
        self._keys.invalidate()


def _piece(data: str) -> Piece:
    text, finish_reason, stats = chunk_text(data)
    if finish_reason == "error":
        raise ServerError(f"{DISPLAY_NAME} stopped the completion with an error")
    return Piece(text, stats=stats)
