"""The Mistral FIM backend: `POST /v1/fim/completions`, streamed as server-sent events.

Works against codestral.mistral.ai, api.mistral.ai (and its EU/US hosts), and, through
`urlTemplate`, gateways such as Vertex AI that take the same body at another URL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any, Protocol

import httpx

from ..config import Credentials, Settings, resolve_mistral_credentials
from ..errors import AuthError, ProtocolError, ServerError
from .base import FimRequest, StreamStats
from .http import (
    display_host,
    error_detail,
    make_http_client,
    map_http_error,
    read_error_body,
    transport_errors,
)
from .keys import KeyProvider
from .sse import iter_sse_data

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
    base = endpoint.rstrip("/")
    if not url_template:
        return base + FIM_PATH
    # str.replace, not str.format: a template may hold other braces.
    return url_template.replace("{endpoint}", base).replace("{model}", model).replace("{method}", STREAM_METHOD)


def chunk_text(data: str) -> tuple[str, str | None, StreamStats | None]:
    """(content, finish_reason, usage) of one stream chunk; ProtocolError if it is not one."""
    try:
        chunk = json.loads(data)
    except ValueError as exc:
        raise ProtocolError(f"{DISPLAY_NAME} sent a stream chunk that is not JSON") from exc
    if not isinstance(chunk, dict):
        raise ProtocolError(f"{DISPLAY_NAME} sent a stream chunk that is not an object")
    choices = chunk.get("choices")
    if choices is None and ("error" in chunk or "message" in chunk or "detail" in chunk):
        detail = error_detail(data)
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
        self._key_source = key_source
        self._owns_client = client is None
        self._client = client if client is not None else make_http_client(settings.timeout_ms)
        self.last_stats: StreamStats | None = None

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
        return f"MistralBackend(endpoint={self._credentials.endpoint!r})"

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def stream(self, request: FimRequest) -> AsyncIterator[str]:
        """Yield text chunks as they arrive; raise only BackendError subclasses."""
        url = fim_url(self._credentials.endpoint, request.model, self._settings.url_template)
        content = encode_body(fim_body(request))
        retried = False
        while True:
            key = await self._key()
            attempt = self._attempt(url, content, key)
            try:
                async for text in attempt:
                    yield text
                return
            except AuthError:
                if self._key_source is None:
                    raise
                self._key_source.invalidate()
                # A command's key may just have expired: one fresh key, one more try.
                if retried or not self._key_source.refreshable:
                    raise
                retried = True
            finally:
                await attempt.aclose()

    async def _key(self) -> str | None:
        key = await self._key_source.get() if self._key_source else self._credentials.key
        if not key and not _has_header(self._settings.headers, "authorization"):
            raise AuthError(f"{DISPLAY_NAME}: no API key to send to the endpoint ({self._credentials.source}).")
        return key

    def _headers(self, key: str | None) -> dict[str, str]:
        headers = {"Accept": "text/event-stream", "Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        headers.update(self._settings.headers)
        return headers

    async def _attempt(self, url: str, content: bytes, key: str | None) -> AsyncGenerator[str, None]:
        host = self._credentials.endpoint
        self.last_stats = None
        with transport_errors(host, backend=DISPLAY_NAME):
            # `async with` is what makes an early aclose()/cancel close the connection, which
            # is how the server learns to stop generating.
            async with self._client.stream("POST", url, content=content, headers=self._headers(key)) as response:
                if response.status_code != 200:
                    body_text = await read_error_body(response)
                    raise map_http_error(
                        response.status_code,
                        response.headers,
                        body_text,
                        host=host,
                        key_source=self._credentials.source,
                        backend=DISPLAY_NAME,
                        secrets=(key,),
                    )
                media_type = response.headers.get("content-type", "").split(";")[0].strip()
                if media_type.lower() != "text/event-stream":
                    raise ProtocolError(
                        f"{DISPLAY_NAME} at {display_host(host)} answered with "
                        f"{media_type or 'no content type'} instead of an event stream; "
                        "is `endpoint` the right server?"
                    )
                async for data in iter_sse_data(response.aiter_bytes()):
                    text, finish_reason, stats = chunk_text(data)
                    if stats is not None:
                        self.last_stats = stats
                    if text:
                        yield text
                    if finish_reason == "error":
                        raise ServerError(f"{DISPLAY_NAME} stopped the completion with an error")


def _has_header(headers: Mapping[str, str], name: str) -> bool:
    return any(key.lower() == name for key in headers)
