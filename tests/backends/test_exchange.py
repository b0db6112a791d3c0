"""The one request primitive, through every backend against its loopback fake: output cap,
endpoint query strings, credentials in the endpoint URL, context-window errors."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from codestral_ls.backends.base import Backend, FimRequest
from codestral_ls.backends.exchange import MAX_CHARS_PER_TOKEN, Route, get_json, max_output_chars
from codestral_ls.backends.factory import make_backend
from codestral_ls.backends.keys import KeyProvider
from codestral_ls.config import Settings
from codestral_ls.errors import AuthError, ContextWindowExceeded, ProtocolError, ServerError
from codestral_ls.simulator import FakeLlamaCpp, FakeMistral, FakeOllama, FakeOpenAI, LatencyProfile
from codestral_ls.simulator.endpoint import FakeEndpoint
from codestral_ls.simulator.mistral import ErrorReply
from codestral_ls.simulator.selfhosted import MidStreamError

KEY = "test-key-4f1c9a7e"
OPENAI_MODEL = "mistralai/Codestral-22B-v0.1"

# backend setting, fake class, the route the backend posts to
BACKENDS: list[tuple[str, Callable[..., FakeEndpoint[Any]], str]] = [
    ("mistral", FakeMistral, "/v1/fim/completions"),
    ("ollama", FakeOllama, "/api/generate"),
    ("llamacpp", FakeLlamaCpp, "/completion"),
    ("openai", FakeOpenAI, "/v1/completions"),
]
IDS = [name for name, _, _ in BACKENDS]


def fim(max_tokens: int = 64, prefix: str = "def add(a, b):\n    ") -> FimRequest:
    return FimRequest(prefix, "\n\nprint(add(1, 2))", "codestral-latest", max_tokens, 0.0)


def settings_for(backend: str, endpoint: str, **changes: Any) -> Settings:
    model = OPENAI_MODEL if backend == "openai" else "codestral-latest"
    fields: dict[str, Any] = {"backend": backend, "endpoint": endpoint, "model": model, "api_key": KEY}
    fields.update(changes)
    return Settings(**fields)


def request_for(backend: str, max_tokens: int = 64, prefix: str = "def add(a, b):\n    ") -> FimRequest:
    request = fim(max_tokens, prefix)
    if backend == "openai":
        return FimRequest(request.prefix, request.suffix, OPENAI_MODEL, max_tokens, 0.0)
    return request


async def collect(backend: Backend, request: FimRequest) -> str:
    return "".join([text async for text in backend.stream(request)])


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield http


# ---- output cap -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fake_class", "path"), BACKENDS, ids=IDS)
async def test_a_server_ignoring_max_tokens_is_cut_off_and_hung_up_on(
    client: httpx.AsyncClient, name: str, fake_class: Callable[..., FakeEndpoint[Any]], path: str
) -> None:
    # 550,000 characters in 550 chunks, 20 ms apart: the stream would last 11 s.
    latency = LatencyProfile(0.0, 0.0, 0.0, 0.0, per_token_ms=20.0, chunk_chars=1000)
    async with fake_class(lambda _body: "x" * 550_000, latency=latency) as fake:
        fake.ignore_max_tokens = True
        backend = make_backend(settings_for(name, fake.base_url), client)
        text = await collect(backend, request_for(name, max_tokens=64))
        assert len(text) == max_output_chars(64) == 64 * MAX_CHARS_PER_TOKEN
        assert await fake.wait_for_disconnects(1) == 1  # we closed the stream: it stops generating
        assert fake.chunks_sent < 550


async def test_the_cap_is_generous_for_small_budgets() -> None:
    assert max_output_chars(1) >= 1024
    assert max_output_chars(256) == 256 * MAX_CHARS_PER_TOKEN


@pytest.mark.parametrize(("name", "fake_class", "path"), BACKENDS, ids=IDS)
async def test_a_reply_within_the_cap_is_untouched(
    client: httpx.AsyncClient, name: str, fake_class: Callable[..., FakeEndpoint[Any]], path: str
) -> None:
    text = "y" * (max_output_chars(8) - 1)
    async with fake_class(lambda _body: text, latency=LatencyProfile.instant(chunk_chars=500)) as fake:
        fake.ignore_max_tokens = True
        backend = make_backend(settings_for(name, fake.base_url), client)
        assert await collect(backend, request_for(name, max_tokens=8)) == text


@pytest.mark.parametrize(("name", "fake_class", "path"), BACKENDS, ids=IDS)
async def test_closing_the_stream_early_hangs_up_for_every_backend(
    client: httpx.AsyncClient, name: str, fake_class: Callable[..., FakeEndpoint[Any]], path: str
) -> None:
    latency = LatencyProfile(0.0, 0.0, 0.0, 0.0, per_token_ms=20.0, chunk_chars=1)
    async with fake_class(lambda _body: "z" * 500, latency=latency) as fake:
        stream = make_backend(settings_for(name, fake.base_url), client).stream(request_for(name, max_tokens=500))
        assert await anext(stream) == "z"
        await stream.aclose()  # type: ignore[attr-defined]
        assert await fake.wait_for_disconnects(1) == 1
        assert fake.chunks_sent < 500


# ---- endpoint query strings -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fake_class", "path"), BACKENDS, ids=IDS)
async def test_the_endpoint_query_string_follows_the_route(
    client: httpx.AsyncClient, name: str, fake_class: Callable[..., FakeEndpoint[Any]], path: str
) -> None:
    async with fake_class(latency=LatencyProfile.instant()) as fake:
        fake.base_path = "/gw/x"
        backend = make_backend(settings_for(name, fake.base_url + "/gw/x?tenant=a"), client)
        assert await collect(backend, request_for(name))
        assert fake.requests[-1].path == f"/gw/x{path}?tenant=a"


async def test_a_url_template_keeps_the_endpoint_query(client: httpx.AsyncClient) -> None:
    async with FakeMistral(latency=LatencyProfile.instant()) as fake:
        template = "{endpoint}/models/{model}:{method}"
        settings = settings_for("mistral", fake.base_url + "/gw?tenant=a", url_template=template)
        assert await collect(make_backend(settings, client), fim())
        assert fake.requests[-1].path == "/gw/models/codestral-latest:streamRawPredict?tenant=a"


async def test_health_check_urls_keep_the_endpoint_query(client: httpx.AsyncClient) -> None:
    async with FakeOpenAI(latency=LatencyProfile.instant()) as fake:
        fake.base_path = "/gw"
        route = Route("vLLM", fake.base_url + "/gw?tenant=a", KeyProvider())
        listing = await get_json(client, route, "/v1/models")
        assert listing["data"][0]["id"] == OPENAI_MODEL
        assert fake.requests[-1].path == "/gw/v1/models?tenant=a"


# ---- credentials in the endpoint URL --------------------------------------------------------------


def with_userinfo(base_url: str, userinfo: str = "alice:s3cr%40t") -> str:
    return base_url.replace("http://", f"http://{userinfo}@")


@pytest.mark.parametrize(("name", "fake_class", "path"), BACKENDS, ids=IDS)
async def test_a_key_wins_over_userinfo_which_never_reaches_the_wire(
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    name: str,
    fake_class: Callable[..., FakeEndpoint[Any]],
    path: str,
) -> None:
    async with fake_class(latency=LatencyProfile.instant(), api_key=KEY) as fake:
        backend = make_backend(settings_for(name, with_userinfo(fake.base_url)), client)
        with caplog.at_level(logging.WARNING):
            assert await collect(backend, request_for(name))
            assert await collect(backend, request_for(name))
    assert [r.headers["authorization"] for r in fake.requests] == [f"Bearer {KEY}"] * 2
    warnings = [r.getMessage() for r in caplog.records if "user:password@" in r.getMessage()]
    assert len(warnings) == 1  # once, not per request
    assert "s3cr" not in caplog.text and "alice:***@" in warnings[0]


@pytest.mark.parametrize(("name", "fake_class", "path"), BACKENDS, ids=IDS)
async def test_userinfo_without_a_key_is_sent_as_basic_auth(
    client: httpx.AsyncClient, name: str, fake_class: Callable[..., FakeEndpoint[Any]], path: str
) -> None:
    async with fake_class(latency=LatencyProfile.instant()) as fake:
        settings = settings_for(name, with_userinfo(fake.base_url), api_key=None)
        backend = make_backend(settings, client, env={})
        assert await collect(backend, request_for(name))
    expected = "Basic " + base64.b64encode(b"alice:s3cr@t").decode()
    assert fake.requests[-1].headers["authorization"] == expected


@pytest.mark.parametrize(("name", "fake_class", "path"), BACKENDS, ids=IDS)
async def test_the_endpoint_password_is_never_printed(
    client: httpx.AsyncClient, name: str, fake_class: Callable[..., FakeEndpoint[Any]], path: str
) -> None:
    async with fake_class(latency=LatencyProfile.instant(), api_key="another-key") as fake:
        backend = make_backend(settings_for(name, with_userinfo(fake.base_url)), client)
        with pytest.raises(AuthError) as caught:
            await collect(backend, request_for(name))
    assert "s3cr" not in str(caught.value) and KEY not in str(caught.value)
    described = backend.describe()  # type: ignore[attr-defined]
    assert "alice:***@127.0.0.1" in described and "s3cr" not in described
    assert "s3cr" not in repr(backend)


# ---- context windows -------------------------------------------------------------------------------

LONG_PREFIX = "x = 1\n" * 200  # 1,200 characters: ~300 tokens for the fakes


async def test_llamacpp_small_context_is_a_context_window_error_with_n_ctx(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp(n_ctx=128, latency=LatencyProfile.instant()) as fake:
        backend = make_backend(settings_for("llamacpp", fake.base_url), client)
        with pytest.raises(ContextWindowExceeded, match="128 tokens") as caught:
            await collect(backend, request_for("llamacpp", prefix=LONG_PREFIX))
        assert caught.value.n_ctx == 128 and caught.value.status == 400
        assert await collect(backend, request_for("llamacpp"))  # a short prompt still fits


async def test_openai_small_context_is_a_context_window_error_with_n_ctx(client: httpx.AsyncClient) -> None:
    async with FakeOpenAI(max_model_len=256, latency=LatencyProfile.instant()) as fake:
        backend = make_backend(settings_for("openai", fake.base_url), client)
        with pytest.raises(ContextWindowExceeded) as caught:
            await collect(backend, request_for("openai", prefix=LONG_PREFIX))
        assert caught.value.n_ctx == 256


async def test_ollama_truncates_silently_like_the_real_one(client: httpx.AsyncClient) -> None:
    async with FakeOllama(num_ctx=128, latency=LatencyProfile.instant()) as fake:
        backend = make_backend(settings_for("ollama", fake.base_url), client)
        assert await collect(backend, request_for("ollama", prefix=LONG_PREFIX))
        assert fake.truncated_prompts == 1
        assert backend.last_stats is not None and backend.last_stats.prompt_tokens == 128  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "reply",
    [
        ErrorReply(400, {"error": "the input length exceeds the context length"}),
        MidStreamError("", "the input length exceeds the context length"),
    ],
    ids=["status", "mid-stream"],
)
async def test_ollama_context_errors_are_context_window_errors(client: httpx.AsyncClient, reply: Any) -> None:
    async with FakeOllama(lambda _body: reply, latency=LatencyProfile.instant()) as fake:
        backend = make_backend(settings_for("ollama", fake.base_url), client)
        with pytest.raises(ContextWindowExceeded) as caught:
            await collect(backend, request_for("ollama"))
        assert caught.value.n_ctx is None


async def test_mistral_prompt_too_large_is_a_context_window_error(client: httpx.AsyncClient) -> None:
    message = "Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length"
    reply = ErrorReply(400, {"object": "error", "message": message, "type": "invalid_request_error"})
    async with FakeMistral(lambda _body: reply, latency=LatencyProfile.instant()) as fake:
        backend = make_backend(settings_for("mistral", fake.base_url), client)
        with pytest.raises(ContextWindowExceeded) as caught:
            await collect(backend, fim())
        assert caught.value.n_ctx == 32768


# ---- 5xx that say when to come back ------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "expected"), [({"Retry-After": "30"}, 30.0), ({}, None)])
async def test_a_503_carries_its_retry_after(
    client: httpx.AsyncClient, headers: dict[str, str], expected: float | None
) -> None:
    reply = ErrorReply(503, {"error": "server busy"}, headers)
    async with FakeOllama(lambda _body: reply, latency=LatencyProfile.instant()) as fake:
        backend = make_backend(settings_for("ollama", fake.base_url), client)
        with pytest.raises(ServerError) as caught:
            await collect(backend, request_for("ollama"))
    assert caught.value.retry_after_s == expected


# ---- a stream line without end ----------------------------------------------------------------------


class EndlessLine(httpx.AsyncByteStream):
    """2 MiB of one line, in 64 KiB pieces, never a newline."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(32):
            yield b"x" * 65536


@pytest.mark.parametrize(("name", "media_type"), [("mistral", "text/event-stream"), ("ollama", "application/x-ndjson")])
async def test_a_line_that_never_ends_is_a_protocol_error_not_a_memory_leak(name: str, media_type: str) -> None:
    def reply(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": media_type}, stream=EndlessLine())

    async with httpx.AsyncClient(transport=httpx.MockTransport(reply)) as mocked:
        backend = make_backend(settings_for(name, "http://model.test"), mocked)
        with pytest.raises(ProtocolError, match="longer than 1024 KiB"):
            await collect(backend, request_for(name))


class FinalEventThenSilence(httpx.AsyncByteStream):
    """llama.cpp's last event (`stop: true`), then the reply never ends."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'data: {"content":"return a + b","stop":false}\n\n'
        yield b'data: {"content":"","stop":true,"tokens_predicted":3,"tokens_evaluated":9}\n\n'
        await asyncio.Event().wait()
        yield b""  # pragma: no cover


async def test_a_reply_left_open_after_its_last_event_does_not_hold_the_suggestion() -> None:
    def reply(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=FinalEventThenSilence())

    async with httpx.AsyncClient(transport=httpx.MockTransport(reply)) as mocked:
        backend = make_backend(settings_for("llamacpp", "http://model.test"), mocked)
        async with asyncio.timeout(5):  # without a bound on the drain this would wait forever
            assert await collect(backend, request_for("llamacpp")) == "return a + b"
