"""One streamed POST to a model server: headers, key, one retry after a refused key, errors mapped.

Shared by the self-hosted backends (ollama, llamacpp, openai). A non-2xx reply becomes the
`BackendError` that `http.map_http_error` chooses; a 401/403 with a key from `apiKeyCommand`
runs the command again and retries once. Keys are scrubbed from quoted error bodies.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import attrs
import httpx

from ..errors import ProtocolError, ServerError, TransportError
from .http import display_host, error_detail, map_http_error, read_error_body, transport_errors
from .keys import KeyProvider

# What a streamed 2xx reply may be labelled; anything else (an HTML login page) is not ours.
_STREAM_TYPES = frozenset({"text/event-stream", "application/x-ndjson", "application/json"})
_URL_PLACEHOLDER = re.compile(r"\{(endpoint|model|method)\}")


@attrs.frozen
class Route:
    """Where and how a backend sends its requests; `display_name` appears in error messages."""

    display_name: str
    endpoint: str
    keys: KeyProvider
    headers: Mapping[str, str] = attrs.field(factory=dict)
    url_template: str | None = None
    # Appended to "could not connect" errors, e.g. "Start it with `ollama serve`."
    unreachable_hint: str = ""

    def url(self, path: str, *, model: str = "", method: str = "") -> str:
        """The endpoint joined with `path`, or `url_template` filled in when one is set."""
        if self.url_template:
            values = {"endpoint": self.endpoint.rstrip("/"), "model": model, "method": method}
            return _URL_PLACEHOLDER.sub(lambda m: values[m.group(1)], self.url_template)
        return self.endpoint.rstrip("/") + path


@contextlib.asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient,
    route: Route,
    url: str,
    body: Mapping[str, Any],
    *,
    accept: str,
) -> AsyncIterator[httpx.Response]:
    """POST `body` and yield the 2xx streaming response; network errors while reading it are
    mapped too. Leaving the block early closes the response (and so the connection)."""
    for attempt in (1, 2):
        key = await route.keys.get()
        headers = {"Accept": accept}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        headers.update(route.headers)  # the user's headers win, e.g. a proxy's own Authorization
        with _unreachable(route), transport_errors(route.endpoint, backend=route.display_name):
            async with client.stream("POST", url, json=body, headers=headers) as response:
                status = response.status_code
                if status in (401, 403) and attempt == 1 and route.keys.refreshable:
                    route.keys.invalidate()  # an expired command key: fetch a new one, once
                    continue
                if not 200 <= status <= 299:
                    text = await read_error_body(response)
                    raise map_http_error(
                        status,
                        response.headers,
                        text,
                        host=route.endpoint,
                        key_source=route.keys.source,
                        backend=route.display_name,
                        secrets=(key,),
                    )
                media_type = response.headers.get("content-type", "").split(";")[0].strip()
                if media_type.lower() not in _STREAM_TYPES:
                    raise ProtocolError(
                        f"{route.display_name} at {display_host(route.endpoint)} answered with "
                        f"{media_type or 'no content type'} instead of a stream; "
                        "is `endpoint` the right server?"
                    )
                yield response
                return


async def get_json(client: httpx.AsyncClient, route: Route, path: str) -> Any:
    """GET `path` under the endpoint and parse its JSON (for health checks, not completions)."""
    key = await route.keys.get()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    headers.update(route.headers)
    with _unreachable(route), transport_errors(route.endpoint, backend=route.display_name):
        response = await client.get(route.endpoint.rstrip("/") + path, headers=headers)
    if not 200 <= response.status_code <= 299:
        raise map_http_error(
            response.status_code,
            response.headers,
            response.text,
            host=route.endpoint,
            key_source=route.keys.source,
            backend=route.display_name,
            secrets=(key,),
        )
    try:
        return response.json()
    except ValueError:
        raise ProtocolError(
            f"{route.display_name} at {display_host(route.endpoint)} sent a reply to {path} that is not JSON"
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
    """One JSON object from a stream; an in-stream `{"error": ...}` raises the mapped error.

    Understands Ollama's `{"error":"text"}`, llama.cpp's and OpenAI's `{"error":{"code",
    "message"}}` and vLLM's flat legacy `{"object":"error","message","code"}`.
    """
    where = display_host(route.endpoint)
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
        raise ServerError(f"{route.display_name} at {where} failed mid-reply: {detail}", detail=detail)
    raise map_http_error(code, {}, data, host=route.endpoint, key_source=route.keys.source, backend=route.display_name)
