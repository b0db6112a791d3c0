"""MistralBackend against the fake Codestral: body, headers, streaming, errors, cancellation."""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from codestral_ls.backends.base import Backend, FimRequest
from codestral_ls.backends.mistral import MistralBackend, chunk_text, fim_url
from codestral_ls.config import Credentials, Settings
from codestral_ls.errors import (
    AuthError,
    InvalidRequest,
    ModelUnavailable,
    ProtocolError,
    RateLimited,
    ServerError,
    TransportError,
)
from codestral_ls.simulator import (
    Completion,
    DropConnection,
    ErrorReply,
    FakeMistral,
    LatencyProfile,
    MalformedChunk,
    Reply,
)

KEY = "test-key-4f1c9a7e"
SOURCE = "env CODESTRAL_API_KEY"
MIDDLE = "return a + b"


def fim(stop: tuple[str, ...] = ("\n\n",), **changes: Any) -> FimRequest:
    fields: dict[str, Any] = {
        "prefix": "def add(a, b):\n    ",
        "suffix": "\n\nprint(add(1, 2))",
        "model": "codestral-latest",
        "max_tokens": 64,
        "temperature": 0.0,
        "stop": stop,
    }
    fields.update(changes)
    return FimRequest(**fields)


def answer(reply: Reply) -> Any:
    return lambda body: reply


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield http


@pytest.fixture
async def fake() -> AsyncIterator[FakeMistral]:
    async with FakeMistral(answer(MIDDLE), latency=LatencyProfile.instant(), api_key=KEY) as server:
        yield server


def backend_for(
    fake: FakeMistral,
    client: httpx.AsyncClient,
    *,
    key: str | None = KEY,
    source: str = SOURCE,
    **settings: Any,
) -> MistralBackend:
    return MistralBackend(
        Settings(endpoint=fake.base_url, **settings),
        Credentials(key, source, fake.base_url),
        client,
    )


async def collect(backend: MistralBackend, request: FimRequest | None = None) -> list[str]:
    return [text async for text in backend.stream(request or fim())]


async def test_streams_the_middle_in_chunks(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    chunks = await collect(backend_for(fake, client))
    assert "".join(chunks) == MIDDLE
    assert len(chunks) == fake.chunks_sent > 1


async def test_body_is_the_sdk_serialization(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    await collect(backend_for(fake, client))
    expected = (
        '{"model":"codestral-latest","prompt":"def add(a, b):\\n    ","temperature":0.0,'
        '"max_tokens":64,"stream":true,"stop":["\\n\\n"],"suffix":"\\n\\nprint(add(1, 2))"}'
    )
    assert fake.requests[0].raw_body.decode() == expected
    assert fake.requests[0].path == "/v1/fim/completions"
    assert fake.requests[0].method == "POST"


async def test_body_omits_stop_when_there_is_none(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    await collect(backend_for(fake, client), fim(stop=()))
    body = fake.requests[0].body
    assert list(body) == ["model", "prompt", "temperature", "max_tokens", "stream", "suffix"]


async def test_headers(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    backend = backend_for(fake, client, headers={"X-Gateway-Team": "ide"})
    await collect(backend)
    headers = fake.requests[0].headers
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["accept"] == "text/event-stream"
    assert headers["content-type"] == "application/json"
    assert headers["x-gateway-team"] == "ide"


async def test_url_template_builds_a_vertex_style_route(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    template = "{endpoint}/v1/projects/p/locations/europe-west4/publishers/mistralai/models/{model}:{method}"
    chunks = await collect(backend_for(fake, client, url_template=template))
    assert "".join(chunks) == MIDDLE
    assert fake.requests[0].path == (
        "/v1/projects/p/locations/europe-west4/publishers/mistralai/models/codestral-latest:streamRawPredict"
    )


URL_CASES = [
    ("https://codestral.mistral.ai", None, "https://codestral.mistral.ai/v1/fim/completions"),
    ("https://api.eu.mistral.ai/", None, "https://api.eu.mistral.ai/v1/fim/completions"),
    ("https://gw.test/", "{endpoint}/m/{model}:{method}?a={x}", "https://gw.test/m/cl:streamRawPredict?a={x}"),
]


@pytest.mark.parametrize(("endpoint", "template", "expected"), URL_CASES)
def test_fim_url(endpoint: str, template: str | None, expected: str) -> None:
    assert fim_url(endpoint, "cl", template) == expected


async def test_reports_usage_of_the_last_stream(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    backend = backend_for(fake, client)
    await collect(backend)
    assert backend.last_stats is not None
    assert backend.last_stats.completion_tokens == fake.chunks_sent


async def test_keeps_one_connection_for_many_requests(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    backend = backend_for(fake, client)
    for _ in range(3):
        assert "".join(await collect(backend)) == MIDDLE
    assert fake.connections == 1


async def test_401_names_host_and_key_source_never_the_key(client: httpx.AsyncClient) -> None:
    async with FakeMistral(latency=LatencyProfile.instant(), api_key="the-right-key") as fake:
        backend = backend_for(fake, client)
        with pytest.raises(AuthError) as caught:
            await collect(backend)
    message = str(caught.value)
    assert fake.base_url.removeprefix("http://") in message
    assert SOURCE in message
    assert KEY not in message
    assert KEY not in repr(caught.value)
    assert KEY not in repr(backend)
    assert caught.value.status == 401


async def test_no_key_fails_before_sending_code(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    backend = backend_for(fake, client, key=None, source="no key (set apiKey)")
    with pytest.raises(AuthError, match="no key"):
        await collect(backend)
    assert fake.requests == []


class RotatingKeys:
    """A key source whose first key has expired; `invalidate()` fetches the next."""

    def __init__(self, keys: list[str], refreshable: bool = True) -> None:
        self._keys = keys
        self._refreshable = refreshable
        self.invalidations = 0

    @property
    def refreshable(self) -> bool:
        return self._refreshable

    async def get(self) -> str | None:
        return self._keys[min(self.invalidations, len(self._keys) - 1)]

    def invalidate(self) -> None:
        self.invalidations += 1


@pytest.mark.parametrize(("refreshable", "succeeds"), [(True, True), (False, False)])
async def test_a_refused_key_from_a_command_is_fetched_again_once(
    fake: FakeMistral, client: httpx.AsyncClient, refreshable: bool, succeeds: bool
) -> None:
    keys = RotatingKeys(["expired-token", KEY], refreshable=refreshable)
    backend = MistralBackend(
        Settings(endpoint=fake.base_url),
        Credentials(None, "the apiKeyCommand setting", fake.base_url),
        client,
        key_source=keys,
    )
    if succeeds:
        assert "".join(await collect(backend)) == MIDDLE
        assert len(fake.requests) == 2
    else:
        with pytest.raises(AuthError, match="apiKeyCommand"):
            await collect(backend)
        assert len(fake.requests) == 1
    # Only a key that can change is thrown away; a static one would come back the same.
    assert keys.invalidations == (1 if refreshable else 0)


ERROR_CASES = [
    (
        ErrorReply(422, {"detail": [{"loc": ["body", "max_tokens"], "msg": "Input should be > 0"}]}),
        InvalidRequest,
        "body.max_tokens: Input should be > 0",
    ),
    (ErrorReply(400, {"message": "Prompt is too long"}), InvalidRequest, "Prompt is too long"),
    (ErrorReply(404, {"detail": "Model not found"}), ModelUnavailable, "Model not found"),
    (ErrorReply(500, {"message": "Internal error"}), ServerError, "Internal error"),
    (ErrorReply(503, "upstream overloaded"), ServerError, "upstream overloaded"),
]


@pytest.mark.parametrize(("reply", "kind", "detail"), ERROR_CASES)
async def test_error_statuses_surface_the_api_text(
    fake: FakeMistral, client: httpx.AsyncClient, reply: ErrorReply, kind: type[Exception], detail: str
) -> None:
    fake.responder = answer(reply)
    with pytest.raises(kind) as caught:
        await collect(backend_for(fake, client))
    assert detail in str(caught.value)
    assert getattr(caught.value, "status", None) == reply.status


async def test_429_carries_retry_after(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    fake.responder = answer(ErrorReply(429, {"message": "Requests rate limit exceeded"}, {"Retry-After": "12"}))
    with pytest.raises(RateLimited) as caught:
        await collect(backend_for(fake, client))
    assert caught.value.retry_after_s == 12.0


async def test_dropped_connection_is_a_transport_error_after_the_partial_text(
    fake: FakeMistral, client: httpx.AsyncClient
) -> None:
    fake.responder = answer(DropConnection("return a"))
    received: list[str] = []
    with pytest.raises(TransportError, match="closed the connection"):
        async for text in backend_for(fake, client).stream(fim()):
            received.append(text)
    assert "".join(received) == "return a"


MALFORMED_CASES = [
    (MalformedChunk("ret"), ProtocolError),
    (MalformedChunk(data='{"id":"x","model":"m"}'), ProtocolError),  # no choices
    (MalformedChunk(data='{"id":"x","choices":[{"index":0}]}'), ProtocolError),  # no delta
    (MalformedChunk(data='{"id":"x","choices":[{"delta":{"content":7}}]}'), ProtocolError),
    (MalformedChunk(data="[1, 2]"), ProtocolError),
    (MalformedChunk(data='{"object":"error","message":"overloaded"}'), ServerError),
    (Completion("return", finish_reason="error"), ServerError),
    (ErrorReply(200, {"id": "not-a-stream"}), ProtocolError),  # JSON instead of SSE
    (ErrorReply(200, "<html>proxy login</html>", {"content-type": "text/html"}), ProtocolError),
]


@pytest.mark.parametrize(("reply", "kind"), MALFORMED_CASES)
async def test_replies_that_break_the_wire_format(
    fake: FakeMistral, client: httpx.AsyncClient, reply: Reply, kind: type[Exception]
) -> None:
    fake.responder = answer(reply)
    with pytest.raises(kind):
        await collect(backend_for(fake, client))


CHUNK_CASES = [
    ('{"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}', "x", None),
    ('{"id":"c","model":"m","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}', "", None),
    ('{"id":"c","model":"m","choices":[{"index":0,"delta":{"content":null},"finish_reason":"stop"}]}', "", "stop"),
    ('{"id":"c","model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}', "", None),
]


@pytest.mark.parametrize(("data", "text", "finish"), CHUNK_CASES)
def test_chunk_text(data: str, text: str, finish: str | None) -> None:
    got_text, got_finish, _ = chunk_text(data)
    assert (got_text, got_finish) == (text, finish)


def slow_fake(**kwargs: Any) -> FakeMistral:
    """A fake streaming one character per chunk, slowly enough to hang up in the middle."""
    latency = LatencyProfile(
        ttft_median_ms=0.0,
        ttft_sigma=0.0,
        ttft_min_ms=0.0,
        ttft_max_ms=0.0,
        per_token_ms=20.0,
        chunk_chars=1,
    )
    return FakeMistral(answer("x" * 500), latency=latency, **kwargs)


async def test_closing_the_stream_early_aborts_the_request(client: httpx.AsyncClient) -> None:
    async with slow_fake() as fake:
        stream = backend_for(fake, client).stream(fim())
        assert await anext(stream) == "x"
        await stream.aclose()  # type: ignore[attr-defined]
        assert await fake.wait_for_disconnects(1) == 1
        assert fake.requests[0].disconnected
        assert fake.chunks_sent < 500


async def test_cancelling_the_task_aborts_the_request(client: httpx.AsyncClient) -> None:
    async with slow_fake() as fake:
        first = asyncio.Event()

        async def consume() -> None:
            async for _ in backend_for(fake, client).stream(fim()):
                first.set()

        task = asyncio.create_task(consume())
        await first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await fake.wait_for_disconnects(1) == 1
        assert fake.chunks_sent < 500


async def test_a_silent_server_times_out(fake: FakeMistral) -> None:
    fake.latency = LatencyProfile(ttft_median_ms=5000, ttft_min_ms=5000, ttft_max_ms=5000)
    async with httpx.AsyncClient(timeout=0.2) as short:
        with pytest.raises(TransportError, match="did not answer in time"):
            await collect(backend_for(fake, short))


async def test_an_unreachable_endpoint_is_a_transport_error(client: httpx.AsyncClient) -> None:
    fake = FakeMistral()
    base_url = await fake.start()
    await fake.stop()  # nothing listens there any more
    backend = MistralBackend(Settings(), Credentials(KEY, SOURCE, base_url), client)
    with pytest.raises(TransportError, match="could not connect") as caught:
        await collect(backend)
    assert KEY not in str(caught.value)


async def test_a_given_client_stays_open_after_aclose(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    backend = backend_for(fake, client)
    await backend.aclose()
    assert "".join(await collect(backend)) == MIDDLE


async def test_makes_its_own_client_when_none_is_given(fake: FakeMistral) -> None:
    backend = MistralBackend(Settings(endpoint=fake.base_url), Credentials(KEY, SOURCE, fake.base_url))
    try:
        assert "".join(await collect(backend)) == MIDDLE
        assert fake.requests[0].headers["user-agent"].startswith("codestral-ls/")
    finally:
        await backend.aclose()


async def test_from_settings_takes_the_key_from_the_environment(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    backend = MistralBackend.from_settings(Settings(endpoint=fake.base_url), client, env={"MISTRAL_API_KEY": KEY})
    assert "".join(await collect(backend)) == MIDDLE
    assert fake.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_from_settings_names_the_env_variable_on_401(client: httpx.AsyncClient) -> None:
    async with FakeMistral(latency=LatencyProfile.instant(), api_key="the-right-key") as fake:
        backend = MistralBackend.from_settings(Settings(endpoint=fake.base_url), client, env={"CODESTRAL_API_KEY": KEY})
        with pytest.raises(AuthError, match="env CODESTRAL_API_KEY") as caught:
            await collect(backend)
    assert KEY not in str(caught.value)


async def test_from_settings_runs_the_key_command(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    command = f"{shlex.quote(sys.executable)} -c \"print('{KEY}')\""
    backend = MistralBackend.from_settings(Settings(endpoint=fake.base_url, api_key_command=command), client, env={})
    assert "".join(await collect(backend)) == MIDDLE
    assert fake.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_an_error_event_mid_stream_surfaces_its_text(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    fake.responder = answer(MalformedChunk("ret", data='{"object":"error","message":"overloaded"}'))
    with pytest.raises(ServerError, match="overloaded") as caught:
        await collect(backend_for(fake, client))
    assert caught.value.detail == "overloaded"


async def test_a_non_stream_reply_says_which_host(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    fake.responder = answer(ErrorReply(200, "<html>login</html>", {"content-type": "text/html"}))
    with pytest.raises(ProtocolError, match="text/html") as caught:
        await collect(backend_for(fake, client))
    assert fake.base_url.removeprefix("http://") in str(caught.value)


async def test_a_template_that_is_no_url_is_a_backend_error(fake: FakeMistral, client: httpx.AsyncClient) -> None:
    backend = backend_for(fake, client, url_template="{model}:{method}")
    with pytest.raises(TransportError, match="urlTemplate"):
        await collect(backend)


async def test_implements_the_backend_interface(client: httpx.AsyncClient) -> None:
    backend: Backend = MistralBackend(Settings(), Credentials(KEY, SOURCE, "https://x.test"), client)
    assert backend.name == "mistral"
