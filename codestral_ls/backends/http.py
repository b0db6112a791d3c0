"""The HTTP layer every backend shares: status -> error mapping, transport errors, SSE parsing.

- `map_http_error()` is the one place an HTTP status becomes an `errors.BackendError`.
- `transport_errors()` turns httpx's network exceptions into `errors.TransportError`.
- `SseParser` / `iter_sse_data()` (from `sse`, re-exported) split a `text/event-stream` body.
- `make_http_client()` builds the one long-lived `httpx.AsyncClient` a server uses.

No message built here ever contains an API key: only hosts, key *sources* and the backend's
own (scrubbed) text.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from .. import __version__
from ..errors import (
    AuthError,
    BackendError,
    ContextWindowExceeded,
    InvalidRequest,
    ModelUnavailable,
    ProtocolError,
    RateLimited,
    ServerError,
    TransportError,
)
from .sse import SseParser, iter_sse_data

__all__ = [
    "SseParser",
    "context_window_error",
    "error_detail",
    "iter_sse_data",
    "make_http_client",
    "map_http_error",
    "parse_retry_after",
    "read_error_body",
    "transport_errors",
]

CODESTRAL_HOSTNAME = "codestral.mistral.ai"
PLATEFORME_HOSTNAMES = frozenset({"api.mistral.ai", "api.eu.mistral.ai", "api.us.mistral.ai"})

DEFAULT_RETRY_AFTER_S = 10.0
# A bogus or far-future Retry-After must not silence completions for the rest of the day.
MAX_RETRY_AFTER_S = 3600.0
MAX_DETAIL_CHARS = 500
# Error bodies are read only this far: enough for any JSON error, bounded against huge pages.
MAX_ERROR_BODY_BYTES = 64 * 1024
USER_AGENT = f"codestral-ls/{__version__}"


def display_host(url_or_host: str) -> str:
    """`host[:port]` of a URL (or a bare host), without scheme, path or any userinfo."""
    parts = urlsplit(url_or_host if "://" in url_or_host else f"//{url_or_host}")
    host = parts.hostname or url_or_host
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host


def error_detail(body_text: str, *, secrets: Iterable[str | None] = ()) -> str:
    """The backend's own explanation in an error body, as one short line.

    Understands `{"detail":[{"loc","msg"}]}` (FastAPI, Mistral 422), `{"detail":"..."}`,
    `{"message":"..."}`, `{"error":"..."}` (Ollama) and `{"error":{"message":...}}` (OpenAI,
    llama.cpp); otherwise the body text itself. Any of `secrets` found is replaced by `***`.
    """
    text = body_text.strip()
    try:
        parsed: Any = json.loads(text) if text else None
    except ValueError:
        parsed = None
    found = _detail_from_json(parsed) if isinstance(parsed, dict) else None
    detail = " ".join((found if found is not None else text).split())
    for secret in secrets:
        if secret and len(secret) >= 4:
            detail = detail.replace(secret, "***")
    if len(detail) > MAX_DETAIL_CHARS:
        detail = detail[: MAX_DETAIL_CHARS - 1] + "…"
    return detail


def _detail_from_json(body: dict[str, Any]) -> str | None:
    for key in ("detail", "message", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, list) and value:
            return "; ".join(_validation_item(item) for item in value)
        if isinstance(value, dict):
            inner = value.get("message") or value.get("msg") or value.get("detail")
            if isinstance(inner, str) and inner:
                return inner
    return None


def _validation_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    msg = str(item.get("msg", item.get("message", "")))
    loc = item.get("loc")
    if isinstance(loc, list) and loc:
        return f"{'.'.join(str(part) for part in loc)}: {msg}"
    return msg


def parse_retry_after(
    headers: Mapping[str, str],
    *,
    default_s: float = DEFAULT_RETRY_AFTER_S,
    now: datetime | None = None,
) -> float:
    """Seconds to wait from `retry-after-ms`, else `Retry-After` (seconds or HTTP-date).

    Missing or unreadable values give `default_s`; the result is capped at an hour.
    """
    lowered = {key.lower(): value.strip() for key, value in headers.items()}
    seconds: float | None = None
    millis = _number(lowered.get("retry-after-ms"))
    if millis is not None:
        seconds = millis / 1000.0
    elif "retry-after" in lowered:
        raw = lowered["retry-after"]
        seconds = _number(raw)
        if seconds is None:
            seconds = _seconds_until(raw, now or datetime.now(UTC))
    if seconds is None or seconds < 0:
        return default_s
    return min(seconds, MAX_RETRY_AFTER_S)


def _number(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _seconds_until(http_date: str, now: datetime) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def map_http_error(
    status: int,
    headers: Mapping[str, str],
    body_text: str,
    *,
    host: str,
    key_source: str,
    backend: str,
    secrets: Iterable[str | None] = (),
) -> BackendError:
    """The error for a non-2xx reply: the one place each HTTP status is mapped.

    `host` is the base URL (or host) asked, `key_source` where the key came from (e.g.
    "env MISTRAL_API_KEY"), `backend` a display name ("Mistral"); `secrets` are scrubbed from
    the quoted body text. 401/403 -> AuthError, a prompt too long for the server's window (any
    other 4xx/5xx that says so) -> ContextWindowExceeded, 400/422/413 -> InvalidRequest (or
    ModelUnavailable for "does not support insert"), 404 -> ModelUnavailable, 429 ->
    RateLimited, 408 -> TransportError, 5xx -> ServerError, anything else -> ProtocolError.
    """
    where = display_host(host)
    detail = error_detail(body_text, secrets=secrets)
    said = f": {detail}" if detail else ""
    if status in (401, 403):
        verb = "rejected" if status == 401 else "refused access with"
        message = f"{backend} at {where} {verb} the key from {key_source} ({status}){said}."
        return AuthError(message + _key_host_hint(where), status=status, detail=detail)
    if 400 <= status <= 599 and status not in (401, 403, 404, 429):
        too_long = context_window_error(body_text, detail, backend=backend, host=host, status=status)
        if too_long is not None:
            return too_long
    if status in (400, 413, 422):
        if "does not support insert" in detail.lower():
            return ModelUnavailable(
                f"{backend} at {where}: the model cannot fill in the middle ({status}){said}. "
                "Choose a model with FIM support in the `model` setting.",
                status=status,
            )
        return InvalidRequest(
            f"{backend} at {where} refused the request ({status}){said}",
            status=status,
            detail=detail,
        )
    if status == 404:
        return ModelUnavailable(
            f"{backend} at {where} has no such model or route (404){said}. Check the `model` and `endpoint` settings.",
            status=status,
            detail=detail,
        )
    if status == 429:
        retry_after_s = parse_retry_after(headers)
        return RateLimited(
            f"{backend} at {where} is rate limiting requests (429){said}; "
            f"pausing automatic completions for {retry_after_s:g} s.",
            retry_after_s=retry_after_s,
            status=status,
            detail=detail,
        )
    if status == 408:
        return TransportError(f"{backend} at {where} timed out the request (408){said}", status=status, detail=detail)
    if 500 <= status <= 599:
        says_when = any(name.lower() in ("retry-after", "retry-after-ms") for name in headers)
        return ServerError(
            f"{backend} at {where} failed ({status}){said}",
            status=status,
            detail=detail,
            retry_after_s=parse_retry_after(headers) if says_when else None,
        )
    if 400 <= status <= 499:
        return InvalidRequest(
            f"{backend} at {where} refused the request ({status}){said}",
            status=status,
            detail=detail,
        )
    return ProtocolError(
        f"{backend} at {where} sent an unexpected {status} reply{said}",
        status=status,
        detail=detail,
    )


# How servers say that the prompt does not fit their context window (spec §3.3, §4.4, §5):
# llama.cpp "request (N tokens) exceeds the available context size (M tokens)" (older: "the
# request exceeds the available context size"), vLLM/OpenAI "maximum context length is M
# tokens", Ollama "the input length exceeds the context length", LM Studio "context length of
# only M tokens", Mistral "too large for model with M maximum context length".
_CONTEXT_WINDOW_SIGNS = re.compile(
    r"exceed_context_size_error|context_length_exceeded|exceeds the available context size"
    r"|maximum context length|exceeds the context length|context length of only"
    r"|exceeds the context window|context window (?:is )?(?:full|exceeded)",
    re.IGNORECASE,
)
_WINDOW_SIZE = (
    re.compile(r"available context size \((\d+) tokens?\)", re.IGNORECASE),
    re.compile(r"maximum context length is (\d+)", re.IGNORECASE),
    re.compile(r"context length of only (\d+)", re.IGNORECASE),
    re.compile(r"with (\d+) maximum context length", re.IGNORECASE),
    re.compile(r"context (?:size|length|window) (?:is |of )?\(?(\d+)\)?(?: tokens)?", re.IGNORECASE),
)


def context_window_error(
    body_text: str, detail: str, *, backend: str, host: str, status: int | None = None
) -> ContextWindowExceeded | None:
    """A `ContextWindowExceeded` when the error says the prompt is too long for the server's
    window, with `n_ctx` from llama.cpp's `error.n_ctx` field or the message; else None."""
    if not _CONTEXT_WINDOW_SIGNS.search(body_text):
        return None
    n_ctx = _n_ctx_field(body_text)
    if n_ctx is None:
        for pattern in _WINDOW_SIZE:
            found = pattern.search(detail) or pattern.search(body_text)
            if found:
                n_ctx = int(found.group(1))
                break
    window = f"its context window ({n_ctx} tokens)" if n_ctx else "its context window"
    said = f": {detail}" if detail else ""
    return ContextWindowExceeded(
        f"{backend} at {display_host(host)}: the prompt is longer than {window}{said}. "
        "Lower `maxPrefixChars`/`maxSuffixChars`, or start the server with a larger context.",
        n_ctx=n_ctx,
        status=status,
        detail=detail,
    )


def _n_ctx_field(body_text: str) -> int | None:
    try:
        parsed: Any = json.loads(body_text)
    except ValueError:
        return None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    for holder in (error, parsed):
        if isinstance(holder, dict):
            value = holder.get("n_ctx")
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None


def _key_host_hint(where: str) -> str:
    # Keys do not cross the two Mistral hosts, and the 401 does not say so: we must.
    if where == CODESTRAL_HOSTNAME:
        return (
            f" Codestral keys (console: Codestral) work only on {CODESTRAL_HOSTNAME} and "
            "La Plateforme keys (console: API keys) only on api.mistral.ai; for a La Plateforme "
            "key set `codestral.endpoint` to https://api.mistral.ai."
        )
    if where in PLATEFORME_HOSTNAMES:
        return (
            f" La Plateforme keys (console: API keys) work only on api.mistral.ai and Codestral "
            f"keys (console: Codestral) only on {CODESTRAL_HOSTNAME}; for a Codestral key set "
            f"`codestral.endpoint` to https://{CODESTRAL_HOSTNAME}."
        )
    return ""


@contextlib.contextmanager
def transport_errors(host: str, *, backend: str) -> Iterator[None]:
    """Re-raise httpx network failures inside the block as TransportError / ProtocolError.

    Wrap the whole request *and* the reading of its body (`async with client.stream(...)` and
    the loop over it). BackendError, CancelledError and GeneratorExit pass through untouched.
    """
    where = display_host(host)
    try:
        yield
    except httpx.ConnectTimeout as exc:
        raise TransportError(f"{backend}: could not connect to {where} in time") from exc
    except httpx.PoolTimeout as exc:
        raise TransportError(f"{backend}: no free connection to {where} in time") from exc
    except httpx.TimeoutException as exc:
        raise TransportError(f"{backend}: {where} did not answer in time") from exc
    except httpx.ConnectError as exc:
        raise TransportError(f"{backend}: could not connect to {where} ({exc})") from exc
    except httpx.RemoteProtocolError as exc:
        raise TransportError(f"{backend}: {where} closed the connection mid-reply") from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise TransportError(
            f"{backend}: {where} is not a usable http(s) URL; check `endpoint` and `urlTemplate`"
        ) from exc
    except httpx.DecodingError as exc:
        raise ProtocolError(f"{backend}: could not decode the reply from {where}") from exc
    except httpx.HTTPError as exc:
        # ReadError, WriteError, ProxyError, TooManyRedirects...
        raise TransportError(f"{backend}: request to {where} failed ({type(exc).__name__})") from exc


async def read_error_body(response: httpx.Response, limit: int = MAX_ERROR_BODY_BYTES) -> str:
    """At most `limit` bytes of a streamed response's body, decoded leniently."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= limit:
            break
    return bytes(body[:limit]).decode(response.encoding or "utf-8", errors="replace")


def make_http_client(timeout_ms: int, *, headers: Mapping[str, str] | None = None) -> httpx.AsyncClient:
    """The one long-lived client: explicit timeouts, keep-alive, a codestral-ls User-Agent.

    `timeout_ms` bounds connecting and each wait for bytes (not the whole stream); connecting
    gets at most 5 s so an unreachable host fails fast. Close it with `await client.aclose()`.
    """
    timeout_s = timeout_ms / 1000.0
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
        # Reusing one warm TLS connection saves a handshake (~100 ms) on every completion.
        limits=httpx.Limits(max_connections=8, max_keepalive_connections=4, keepalive_expiry=120.0),
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        follow_redirects=False,
    )
