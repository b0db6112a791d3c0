"""The shared HTTP layer as plain functions: status -> error, Retry-After, SSE framing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from codestral_ls.backends.http import (
    display_host,
    error_detail,
    make_http_client,
    map_http_error,
    parse_retry_after,
    transport_errors,
)
from codestral_ls.backends.sse import SseParser, iter_sse_data
from codestral_ls.errors import (
    AuthError,
    BackendError,
    InvalidRequest,
    ModelUnavailable,
    ProtocolError,
    RateLimited,
    ServerError,
    TransportError,
)

KEY = "sk-test-0123456789abcdef"

# --- error mapping ------------------------------------------------------------------------

STATUS_CASES = [
    (401, AuthError),
    (403, AuthError),
    (400, InvalidRequest),
    (422, InvalidRequest),
    (413, InvalidRequest),
    (418, InvalidRequest),
    (404, ModelUnavailable),
    (429, RateLimited),
    (408, TransportError),
    (500, ServerError),
    (502, ServerError),
    (503, ServerError),
    (599, ServerError),
    (302, ProtocolError),
    (100, ProtocolError),
]


@pytest.mark.parametrize(("status", "kind"), STATUS_CASES)
def test_each_status_maps_to_one_error_kind(status: int, kind: type[BackendError]) -> None:
    error = map_http_error(status, {}, "", host="https://example.test", key_source="env X", backend="Test")
    assert type(error) is kind
    assert error.status == status
    assert "example.test" in str(error)


DETAIL_CASES = [
    (
        '{"detail":[{"loc":["body","prompt"],"msg":"Field required","type":"missing"}]}',
        "body.prompt: Field required",
    ),
    (
        '{"detail":[{"loc":["body","a"],"msg":"bad"},{"loc":["body","b"],"msg":"worse"}]}',
        "body.a: bad; body.b: worse",
    ),
    ('{"detail":"Unauthorized"}', "Unauthorized"),
    ('{"message":"Unauthorized","request_id":"abc"}', "Unauthorized"),
    (
        '{"error":"model \\"x\\" not found, try pulling it first"}',
        'model "x" not found, try pulling it first',
    ),
    ('{"error":{"code":400,"message":"context too long","type":"invalid"}}', "context too long"),
    ('{"object":"error","message":"too many tokens","type":"invalid"}', "too many tokens"),
    ("upstream connect error\n  or disconnect", "upstream connect error or disconnect"),
    ('{"unknown":1}', '{"unknown":1}'),
    ("", ""),
    ("   ", ""),
]


@pytest.mark.parametrize(("body", "expected"), DETAIL_CASES)
def test_error_detail_reads_each_body_shape(body: str, expected: str) -> None:
    assert error_detail(body) == expected


def test_error_detail_is_bounded_and_scrubs_secrets() -> None:
    assert len(error_detail("x" * 10_000)) <= 500
    assert error_detail(f'{{"message":"bad key {KEY}"}}', secrets=[KEY, None]) == "bad key ***"


def test_422_carries_the_api_detail_text() -> None:
    body = '{"detail":[{"loc":["body","prompt"],"msg":"Field required","type":"missing"}]}'
    error = map_http_error(422, {}, body, host="https://codestral.mistral.ai", key_source="k", backend="Mistral")
    assert isinstance(error, InvalidRequest)
    assert error.detail == "body.prompt: Field required"
    assert "body.prompt: Field required" in str(error)


def test_a_model_without_fim_is_model_unavailable_not_a_bad_request() -> None:
    body = '{"error":"\\"llama3\\" does not support insert"}'
    error = map_http_error(400, {}, body, host="http://localhost:11434", key_source="no key", backend="Ollama")
    assert isinstance(error, ModelUnavailable)
    assert "does not support insert" in str(error)


AUTH_CASES = [
    # host, key source, what the hint must name
    ("https://codestral.mistral.ai", "env MISTRAL_API_KEY", "https://api.mistral.ai"),
    ("https://api.mistral.ai", "env CODESTRAL_API_KEY", "https://codestral.mistral.ai"),
    ("https://api.eu.mistral.ai/", "the apiKey setting", "https://codestral.mistral.ai"),
]


@pytest.mark.parametrize(("host", "source", "other_host"), AUTH_CASES)
def test_401_names_host_key_source_and_the_other_mistral_host(host: str, source: str, other_host: str) -> None:
    body = f'{{"message":"Unauthorized {KEY}","request_id":"0123"}}'
    error = map_http_error(401, {}, body, host=host, key_source=source, backend="Mistral", secrets=[KEY])
    text = str(error)
    assert isinstance(error, AuthError)
    assert display_host(host) in text
    assert source in text
    assert f"set `codestral.endpoint` to {other_host}" in text
    assert KEY not in text


def test_401_from_another_host_has_no_mistral_hint() -> None:
    error = map_http_error(
        401,
        {},
        "",
        host="https://gateway.example.com/v1",
        key_source="the apiKeyCommand setting",
        backend="Mistral",
    )
    assert "gateway.example.com" in str(error)
    assert "the apiKeyCommand setting" in str(error)
    assert "codestral.endpoint" not in str(error)


def test_429_takes_retry_after_from_headers() -> None:
    error = map_http_error(
        429,
        httpx.Headers({"Retry-After": "7"}),
        '{"message":"Requests rate limit exceeded"}',
        host="https://codestral.mistral.ai",
        key_source="k",
        backend="Mistral",
    )
    assert isinstance(error, RateLimited)
    assert error.retry_after_s == 7.0
    assert "Requests rate limit exceeded" in str(error)


HOST_CASES = [
    ("https://codestral.mistral.ai", "codestral.mistral.ai"),
    ("https://api.mistral.ai/", "api.mistral.ai"),
    ("http://127.0.0.1:8787/v1", "127.0.0.1:8787"),
    ("https://user:secret@proxy.example:8443/x", "proxy.example:8443"),
    ("localhost:11434", "localhost:11434"),
]


@pytest.mark.parametrize(("url", "expected"), HOST_CASES)
def test_display_host_drops_scheme_path_and_userinfo(url: str, expected: str) -> None:
    assert display_host(url) == expected


# --- Retry-After ----------------------------------------------------------------------------

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
RETRY_CASES = [
    ({}, 10.0),
    ({"Retry-After": "3"}, 3.0),
    ({"retry-after": " 2.5 "}, 2.5),
    ({"Retry-After": "0"}, 0.0),
    ({"Retry-After": "Wed, 25 Nov 2026 12:00:30 GMT"}, 30.0),
    ({"Retry-After": "Wed, 25 Nov 2026 11:59:00 GMT"}, 0.0),  # already past
    ({"retry-after-ms": "1500"}, 1.5),
    ({"retry-after-ms": "1500", "Retry-After": "9"}, 1.5),  # ms wins, as in the SDK
    ({"retry-after-ms": "soon", "Retry-After": "9"}, 9.0),
    ({"Retry-After": "soon"}, 10.0),
    ({"Retry-After": "-5"}, 10.0),
    ({"Retry-After": "nan"}, 10.0),
    ({"Retry-After": "999999"}, 3600.0),  # capped
]


@pytest.mark.parametrize(("headers", "expected"), RETRY_CASES)
def test_parse_retry_after(headers: dict[str, str], expected: float) -> None:
    assert parse_retry_after(headers, now=NOW) == pytest.approx(expected)


def test_parse_retry_after_default_is_adjustable() -> None:
    assert parse_retry_after({}, default_s=2.0) == 2.0


# --- transport errors ------------------------------------------------------------------------

TRANSPORT_CASES = [
    (httpx.ConnectTimeout("t"), TransportError, "could not connect"),
    (httpx.ReadTimeout("t"), TransportError, "did not answer in time"),
    (httpx.PoolTimeout("t"), TransportError, "no free connection"),
    (httpx.ConnectError("refused"), TransportError, "could not connect"),
    (httpx.RemoteProtocolError("eof"), TransportError, "closed the connection"),
    (httpx.ReadError("reset"), TransportError, "ReadError"),
    (httpx.WriteError("pipe"), TransportError, "WriteError"),
    (httpx.DecodingError("gzip"), ProtocolError, "decode"),
    (httpx.UnsupportedProtocol("ftp"), TransportError, "not a usable http(s) URL"),
    (httpx.InvalidURL("bad"), TransportError, "not a usable http(s) URL"),
]


@pytest.mark.parametrize(("raised", "kind", "words"), TRANSPORT_CASES)
def test_transport_errors_become_backend_errors(raised: Exception, kind: type[BackendError], words: str) -> None:
    with (
        pytest.raises(kind) as caught,
        transport_errors("https://codestral.mistral.ai", backend="Mistral"),
    ):
        raise raised
    assert words in str(caught.value)
    assert "codestral.mistral.ai" in str(caught.value)
    assert caught.value.__cause__ is raised


def test_transport_errors_let_backend_errors_and_others_through() -> None:
    original = RateLimited("slow down", retry_after_s=1.0)
    with pytest.raises(RateLimited) as caught, transport_errors("h", backend="B"):
        raise original
    assert caught.value is original
    with pytest.raises(KeyError), transport_errors("h", backend="B"):
        raise KeyError("not ours")


@pytest.mark.parametrize(("timeout_ms", "read_s", "connect_s"), [(2500, 2.5, 2.5), (60_000, 60.0, 5.0)])
async def test_make_http_client_has_explicit_timeouts(timeout_ms: int, read_s: float, connect_s: float) -> None:
    client = make_http_client(timeout_ms)
    try:
        assert client.timeout.read == read_s
        assert client.timeout.connect == connect_s
        assert client.headers["user-agent"].startswith("codestral-ls/")
    finally:
        await client.aclose()


# --- SSE -------------------------------------------------------------------------------------

SSE_CASES = [
    # (chunks fed one by one, data payloads expected)
    (["data: a\n\n"], ["a"]),
    (["data: a\r\n\r\n"], ["a"]),
    (["data: a\r\rdata: b\r\r"], ["a", "b"]),
    (["data: a\r", "\n\r", "\n"], ["a"]),  # CRLF split across feeds
    (["da", "ta: a", "\n", "\n"], ["a"]),
    (["data: one\ndata: two\n\n"], ["one\ntwo"]),
    (["data:no-space\n\n"], ["no-space"]),
    (["data:  two-spaces\n\n"], [" two-spaces"]),
    (["data\n\n"], [""]),
    ([": keep-alive comment\n\n", "data: x\n\n"], ["x"]),
    (["event: message\nid: 1\nretry: 5\ndata: x\n\n"], ["x"]),
    (["event: ping\n\n"], []),  # no data: nothing to hand out
    (["data: a\n\ndata: [DONE]\n\ndata: after\n\n"], ["a"]),
    (["data: [DONE]\n\n", "data: after\n\n"], []),
    (["data: a\n\ndata: tail-without-blank-line"], ["a", "tail-without-blank-line"]),  # EOF
    (["\ufeffdata: bom\n\n"], ["bom"]),
    ([b"data: caf\xc3", b"\xa9\n\n"], ["café"]),  # UTF-8 split across feeds
    ([b'data: {"x":1}\r\n\r\n', b"data: [DONE]\r\n\r\n"], ['{"x":1}']),
]


@pytest.mark.parametrize(("chunks", "expected"), SSE_CASES)
def test_sse_parser(chunks: list[str | bytes], expected: list[str]) -> None:
    parser = SseParser()
    got: list[str] = []
    for chunk in chunks:
        got += parser.feed(chunk)
    got += parser.close()
    assert got == expected


def test_sse_parser_marks_done_only_on_the_sentinel() -> None:
    parser = SseParser()
    parser.feed("data: [DONE]x\n\n")
    assert not parser.done
    parser.feed("data: [DONE]\n\n")
    assert parser.done


def test_sse_parser_without_sentinel_passes_done_through() -> None:
    parser = SseParser(sentinel=None)
    assert parser.feed("data: [DONE]\n\n") == ["[DONE]"]


async def test_iter_sse_data_reads_to_the_end_after_the_sentinel() -> None:
    consumed: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        for chunk in (b"data: 1\n\n", b"data: [DONE]\n\n", b"trailing bytes"):
            consumed.append(chunk)
            yield chunk

    assert [data async for data in iter_sse_data(body())] == ["1"]
    assert len(consumed) == 3  # drained, so the connection can be reused
