"""The one request primitive every backend uses: build -> send -> stream/parse -> map errors.

A backend describes its wire format as a `Call` (URL, body, framing, a parser for one event);
`stream_call()` does everything else, once for all backends:

- headers and the key (Bearer), the user's headers on top, Basic auth from the endpoint's
  userinfo only when there is no key (see `Route.authorization`);
- one retry after a 401/403 when the key comes from `apiKeyCommand` (it may have expired);
- a non-2xx reply becomes the `BackendError` that `http.map_http_error` chooses, with keys
  scrubbed from the quoted body; a 2xx that is not a stream is a `ProtocolError`;
- network failures while sending *or reading* become `TransportError`s;
- framing: SSE (with or without a `[DONE]` sentinel) or NDJSON, with bounded line sizes;
- the output cap: a server that ignores `max_tokens` is cut off after `max_output_chars()`
  characters and the stream is closed, so it stops generating;
- early stop and cancellation: leaving the generator (aclose, a cancelled task) closes the
  HTTP response, which is how the model server learns to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, Literal, Protocol

import attrs
import httpx

from ..errors import AuthError, ProtocolError, ServerError, TransportError
from .base import StreamStats
from .http import (
    context_window_error,
    display_host,
    error_detail,
    map_http_error,
    read_error_body,
    transport_errors,
)
from .sse import MAX_DRAIN_BYTES, SseParser
from .urls import (
    UserInfo,
    basic_authorization,
    display_endpoint,
    fill_template,
    has_header,
    join_url,
    split_userinfo,
)

log = logging.getLogger(__name__)

# What a streamed 2xx reply may be labelled; anything else (an HTML login page) is not ours.
SELF_HOSTED_STREAM_TYPES = frozenset({"text/event-stream", "application/x-ndjson", "application/json"})
# A generous bound on the characters one token decodes to (long whitespace runs, identifiers):
# a reply longer than this many characters per requested token is a server ignoring max_tokens.
MAX_CHARS_PER_TOKEN = 32
MIN_OUTPUT_CHARS = 1024
# How long to wait for the end of a reply after its last event (normally it comes with it).
MAX_DRAIN_S = 0.05
# One NDJSON line or SSE line longer than this is no completion event: stop reading.
MAX_LINE_BYTES = 1024 * 1024

Framing = Literal["sse", "sse-until-done", "ndjson"]


def max_output_chars(max_tokens: int) -> int:
    """How many characters of completion text a request for `max_tokens` tokens may receive."""
    return max(MIN_OUTPUT_CHARS, max_tokens * MAX_CHARS_PER_TOKEN)


class Keys(Protocol):
    """Where a route's key comes from (`keys.KeyProvider`); `source` is printable, the key never is."""

    @property
    def source(self) -> str: ...

    @property
    def refreshable(self) -> bool: ...

    async def get(self) -> str | None: ...

    def invalidate(self) -> None: ...


@attrs.frozen
class Piece:
    """What one stream event carried: text, whether it was the last one, and usage figures."""

    text: str = ""
    done: bool = False
    stats: StreamStats | None = None


@attrs.frozen
class Call:
    """One streamed POST in a backend's wire format.

    `framing`: "sse" ends at `data: [DONE]` or EOF (Mistral, OpenAI-compatible);
    "sse-until-done" and "ndjson" have no sentinel and must end with an event whose Piece is
    `done` (llama.cpp, Ollama), else the reply was cut short (`missing_done` says so).
    """

    url: str
    body: bytes
    framing: Framing
    parse: Callable[[str], Piece]
    max_tokens: int
    accept: str
    stream_types: frozenset[str] = SELF_HOSTED_STREAM_TYPES
    missing_done: str = "ended the stream without its final event"


@attrs.define
class Outcome:
    """What the last call learned: usage figures, and whether the output cap cut it off."""

    stats: StreamStats | None = None
    capped: bool = False


def encode_json(body: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON (what httpx's `json=` sends)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


@attrs.define
class Route:
    """Where and how a backend sends its requests; `display_name` appears in error messages.

    `endpoint` may carry a query string (kept after every route) and `user:password@`
    (never sent as part of the URL; see `authorization()`).
    """

    display_name: str
    endpoint: str
    keys: Keys
    headers: Mapping[str, str] = attrs.field(factory=dict)
    url_template: str | None = None
    # Appended to "could not connect" errors, e.g. "Start it with `ollama serve`."
    unreachable_hint: str = ""
    # Mistral's hosted API refuses anonymous requests: fail before sending any code.
    key_required: bool = False
    _warned_userinfo: bool = attrs.field(default=False, init=False, repr=False)

    @property
    def wire_endpoint(self) -> str:
        """The endpoint as sent: without userinfo."""
        return split_userinfo(self.endpoint)[0]

    @property
    def userinfo(self) -> UserInfo | None:
        return split_userinfo(self.endpoint)[1]

    def describe(self) -> str:
        """`display_name at <endpoint>`, with any password in the endpoint masked."""
        return f"{self.display_name} at {display_endpoint(self.endpoint)}"

    def url(self, path: str, *, model: str = "", method: str = "") -> str:
        """The endpoint joined with `path` (query kept), or `url_template` filled in."""
        if self.url_template:
            return fill_template(self.url_template, self.wire_endpoint, model=model, method=method)
        return join_url(self.wire_endpoint, path)

    def authorization(self, key: str | None) -> dict[str, str]:
        """The auth headers for `key`: the user's own `Authorization` header wins, then the key
        as Bearer, then the endpoint's userinfo as Basic. A key and userinfo together: the key
        is sent and the userinfo dropped, with a warning once per route."""
        userinfo = self.userinfo
        if has_header(self.headers, "authorization") or key:
            if userinfo is not None and not self._warned_userinfo:
                self._warned_userinfo = True
                log.warning(
                    "%s: the endpoint has user:password@ and a key is set; sending the key "
                    "(Bearer) and not the URL's credentials",
                    self.describe(),
                )
            return {"Authorization": f"Bearer {key}"} if key else {}
        if userinfo is not None:
            return {"Authorization": basic_authorization(userinfo)}
        return {}

    def secrets(self, key: str | None) -> tuple[str | None, ...]:
        """Everything to scrub from quoted error text."""
        userinfo = self.userinfo
        return (key, userinfo.secret if userinfo else None)


async def stream_call(client: httpx.AsyncClient, route: Route, call: Call, outcome: Outcome) -> AsyncIterator[str]:
    """Yield the completion text of `call` as it arrives; raise only `BackendError`s.

    `outcome` is reset, then filled with usage figures and whether the output cap was hit.
    """
    outcome.stats, outcome.capped = None, False
    for attempt in (1, 2):
        key = await route.keys.get()
        if route.key_required and not key and not route.userinfo and not has_header(route.headers, "authorization"):
            raise AuthError(f"{route.display_name}: no API key to send to the endpoint ({route.keys.source}).")
        headers = {"Accept": call.accept, "Content-Type": "application/json", **route.authorization(key)}
        headers.update(route.headers)  # the user's headers win, e.g. a proxy's own Authorization
        with _unreachable(route), transport_errors(route.wire_endpoint, backend=route.display_name):
            # `async with` is what makes an early aclose()/cancel close the connection, which
            # is how the server learns to stop generating.
            async with client.stream("POST", call.url, content=call.body, headers=headers) as response:
                status = response.status_code
                if status in (401, 403) and attempt == 1 and route.keys.refreshable:
                    route.keys.invalidate()  # an expired command key: fetch a new one, once
                    continue
                await _check_reply(response, route, call, key)
                async for text in _read(response, route, call, outcome):
                    yield text
                return


async def _check_reply(response: httpx.Response, route: Route, call: Call, key: str | None) -> None:
    status = response.status_code
    if not 200 <= status <= 299:
        text = await read_error_body(response)
        raise map_http_error(
            status,
            response.headers,
            text,
            host=route.wire_endpoint,
            key_source=route.keys.source,
            backend=route.display_name,
            secrets=route.secrets(key),
        )
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if media_type.lower() not in call.stream_types:
        raise ProtocolError(
            f"{route.display_name} at {display_host(route.wire_endpoint)} answered with "
            f"{media_type or 'no content type'} instead of a stream; is `endpoint` the right server?"
        )


async def _read(response: httpx.Response, route: Route, call: Call, outcome: Outcome) -> AsyncIterator[str]:
    budget = max_output_chars(call.max_tokens)
    received = 0
    chunks = response.aiter_bytes()
    async for data in _events(chunks, call, route):
        piece = call.parse(data)
        if piece.stats is not None:
            outcome.stats = piece.stats
        text = piece.text
        if text:
            if received + len(text) > budget:
                outcome.capped = True
                log.warning(
                    "%s sent more than %d characters for max_tokens=%d: stopped reading (it ignores max_tokens)",
                    route.describe(),
                    budget,
                    call.max_tokens,
                )
                if budget > received:
                    yield text[: budget - received]
                return  # leaving the `async with` closes the stream: the server stops generating
            received += len(text)
            yield text
        if piece.done:
            await _drain(chunks)
            return
    if call.framing != "sse":
        raise ProtocolError(f"{route.display_name} at {display_host(route.wire_endpoint)} {call.missing_done}")


async def _events(chunks: AsyncIterator[bytes], call: Call, route: Route) -> AsyncIterator[str]:
    """The data of each event (SSE) or each non-blank line (NDJSON), lines bounded in size."""
    if call.framing == "ndjson":
        partial = b""
        async for chunk in chunks:
            partial += chunk
            *lines, partial = partial.split(b"\n")
            for line in lines:
                if line.strip():
                    yield line.decode("utf-8", errors="replace")
            _bound_line(len(partial), route)
        if partial.strip():
            yield partial.decode("utf-8", errors="replace")
        return
    parser = SseParser("[DONE]" if call.framing == "sse" else None)
    async for chunk in chunks:
        for data in parser.feed(chunk):
            yield data
        if parser.done:
            await _drain(chunks)
            return
        _bound_line(parser.pending_chars, route)
    for data in parser.close():
        yield data


def _bound_line(pending: int, route: Route) -> None:
    if pending > MAX_LINE_BYTES:
        raise ProtocolError(
            f"{route.display_name} at {display_host(route.wire_endpoint)} sent a line longer than "
            f"{MAX_LINE_BYTES // 1024} KiB; this is not a completion stream"
        )


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """Read what follows the last event (little), so the connection can serve the next request.

    Bounded in bytes and time: a server that keeps the reply open after its last event must not
    hold back a finished suggestion (leaving then closes the connection instead).
    """
    drained = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(MAX_DRAIN_S):
            async for chunk in chunks:
                drained += len(chunk)
                if drained > MAX_DRAIN_BYTES:
                    return


async def get_json(client: httpx.AsyncClient, route: Route, path: str) -> Any:
    """GET `path` under the endpoint and parse its JSON (for health checks, not completions)."""
    return await _fetch_json(client, route, "GET", path, None)


async def post_json(client: httpx.AsyncClient, route: Route, path: str, body: Mapping[str, Any]) -> Any:
    """POST a small JSON body to `path` under the endpoint and parse the JSON reply (e.g. `/api/show`)."""
    return await _fetch_json(client, route, "POST", path, body)


async def _fetch_json(
    client: httpx.AsyncClient, route: Route, method: str, path: str, body: Mapping[str, Any] | None
) -> Any:
    key = await route.keys.get()
    headers = route.authorization(key)
    if body is not None:
        headers["Content-Type"] = "application/json"
    headers.update(route.headers)
    content = encode_json(body) if body is not None else None
    with _unreachable(route), transport_errors(route.wire_endpoint, backend=route.display_name):
        response = await client.request(method, join_url(route.wire_endpoint, path), content=content, headers=headers)
    if not 200 <= response.status_code <= 299:
        raise map_http_error(
            response.status_code,
            response.headers,
            response.text,
            host=route.wire_endpoint,
            key_source=route.keys.source,
            backend=route.display_name,
            secrets=route.secrets(key),
        )
    try:
        return response.json()
    except ValueError:
        raise ProtocolError(
            f"{route.display_name} at {display_host(route.wire_endpoint)} sent a reply to {path} that is not JSON"
        ) from None


@contextlib.contextmanager
def _unreachable(route: Route) -> Iterator[None]:
    try:
        yield
    except TransportError as exc:
        if route.unreachable_hint and isinstance(exc.__cause__, httpx.ConnectError):
            raise TransportError(f"{exc} {route.unreachable_hint}", status=exc.status) from exc
        raise


def parse_event(data: str, route: Route) -> dict[str, Any]:
    """One JSON object from a self-hosted stream; an in-stream `{"error": ...}` raises the mapped error.

    Understands Ollama's `{"error":"text"}`, llama.cpp's and OpenAI's `{"error":{"code",
    "message"}}` and vLLM's flat legacy `{"object":"error","message","code"}`.
    """
    where = display_host(route.wire_endpoint)
    try:
        part = json.loads(data)
    except ValueError:
        raise ProtocolError(f"{route.display_name} at {where} sent an event that is not JSON") from None
    if not isinstance(part, dict):
        raise ProtocolError(f"{route.display_name} at {where} sent an event that is not an object")
    error = part.get("error")
    if error is None and part.get("object") == "error":
        error = part
    if error is None:
        return part
    code = error.get("code") if isinstance(error, dict) else None
    if not (isinstance(code, int) and 400 <= code <= 599):
        detail = error_detail(data)
        too_long = context_window_error(data, detail, backend=route.display_name, host=route.wire_endpoint)
        if too_long is not None:
            raise too_long  # Ollama says so mid-stream, without a code
        raise ServerError(f"{route.display_name} at {where} failed mid-reply: {detail}", detail=detail)
    raise map_http_error(
        code, {}, data, host=route.wire_endpoint, key_source=route.keys.source, backend=route.display_name
    )
