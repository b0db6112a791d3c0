"""LlamaCppBackend against the fake llama-server: raw /completion, /infill, SSE without [DONE]."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from codestral_ls.backends.base import FimRequest
from codestral_ls.backends.keys import KeyProvider
from codestral_ls.backends.llamacpp import LlamaCppBackend
from codestral_ls.backends.templates import STARCODER
from codestral_ls.errors import (
    AuthError,
    InvalidRequest,
    ModelUnavailable,
    ProtocolError,
    ServerError,
    TransportError,
)
from codestral_ls.simulator.llamacpp import FakeLlamaCpp, error_body
from codestral_ls.simulator.mistral import DropConnection, ErrorReply, LatencyProfile
from codestral_ls.simulator.selfhosted import Hold, MidStreamError

PREFIX = "def add(a, b):\n    "
SUFFIX = "\n\nprint(add(1, 2))"


def fim(prefix: str = PREFIX, suffix: str = SUFFIX, model: str = "codestral-latest") -> FimRequest:
    return FimRequest(prefix, suffix, model, 64, 0.0, ("\n\n",))


@pytest.fixture
async def fake() -> AsyncIterator[FakeLlamaCpp]:
    async with FakeLlamaCpp(latency=LatencyProfile.instant(chunk_chars=6)) as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield http


async def collect(backend: LlamaCppBackend, request: FimRequest) -> list[str]:
    return [chunk async for chunk in backend.stream(request)]


async def test_streams_a_raw_codestral_prompt_to_completion(fake: FakeLlamaCpp, client: httpx.AsyncClient) -> None:
    backend = LlamaCppBackend(client, endpoint=fake.base_url)
    chunks = await collect(backend, fim())
    assert chunks == ["return", " a + b"]  # the final stop:true event adds nothing
    body = fake.bodies("/completion")[-1]
    assert body["prompt"] == "[SUFFIX]\n\nprint(add(1, 2))[PREFIX]def add(a, b):\n    "
    assert not body["prompt"].startswith("<s>") and "[MIDDLE]" not in body["prompt"]
    assert body["stop"] == ["\n\n", "[PREFIX]", "[SUFFIX]", "</s>"]
    assert body["cache_prompt"] is True and body["stream"] is True
    assert body["n_predict"] == 64 and body["temperature"] == 0.0
    assert fake.requests[-1].headers["accept"] == "text/event-stream"
    assert backend.last_stats is not None and backend.last_stats.completion_tokens == 2


async def test_empty_suffix_still_sends_the_suffix_token(fake: FakeLlamaCpp, client: httpx.AsyncClient) -> None:
    await collect(LlamaCppBackend(client, endpoint=fake.base_url), fim(suffix=""))
    assert fake.bodies("/completion")[-1]["prompt"] == "[SUFFIX][PREFIX]def add(a, b):\n    "


async def test_another_template_and_its_stops(fake: FakeLlamaCpp, client: httpx.AsyncClient) -> None:
    backend = LlamaCppBackend(client, endpoint=fake.base_url, template=STARCODER)
    await collect(backend, fim(prefix="x = ", suffix="\ny"))
    body = fake.bodies("/completion")[-1]
    assert body["prompt"] == "<fim_prefix>x = <fim_suffix>\ny<fim_middle>"
    assert "<|endoftext|>" in body["stop"]


async def test_infill_sends_prefix_and_suffix_fields(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp(infill_supported=True, latency=LatencyProfile.instant()) as fake:
        chunks = await collect(LlamaCppBackend(client, endpoint=fake.base_url, infill=True), fim())
        body = fake.bodies("/infill")[-1]
    assert "".join(chunks) == "return a + b"
    assert body["input_prefix"] == PREFIX and body["input_suffix"] == SUFFIX
    assert body["input_extra"] == [] and body["prompt"] == ""
    assert body["stop"] == ["\n\n"] and "[PREFIX]" not in body["stop"]


async def test_infill_on_a_model_without_fim_tokens_says_what_to_do(
    fake: FakeLlamaCpp, client: httpx.AsyncClient
) -> None:
    with pytest.raises(ModelUnavailable, match=r"Remove `promptTemplate: \"infill\"`") as caught:
        await collect(LlamaCppBackend(client, endpoint=fake.base_url, infill=True), fim())
    assert caught.value.status == 501 and "prefix token is missing" in str(caught.value)


async def test_the_stop_word_cuts_the_completion(fake: FakeLlamaCpp, client: httpx.AsyncClient) -> None:
    fake.responder = lambda _body: "return a + b[PREFIX]def"
    chunks = await collect(LlamaCppBackend(client, endpoint=fake.base_url), fim())
    assert "".join(chunks) == "return a + b"


async def test_an_error_event_mid_stream(fake: FakeLlamaCpp, client: httpx.AsyncClient) -> None:
    fake.responder = lambda _body: MidStreamError("return", "slot unavailable")
    seen: list[str] = []
    with pytest.raises(ServerError, match="slot unavailable"):
        async for chunk in LlamaCppBackend(client, endpoint=fake.base_url).stream(fim()):
            seen.append(chunk)
    assert seen == ["return"]


async def test_error_statuses_use_the_error_object(fake: FakeLlamaCpp, client: httpx.AsyncClient) -> None:
    message = '"n_probs" must be a non-negative integer'
    fake.responder = lambda _body: ErrorReply(400, error_body(400, message))
    with pytest.raises(InvalidRequest, match="n_probs"):
        await collect(LlamaCppBackend(client, endpoint=fake.base_url), fim())


async def test_loading_model_is_a_server_error(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp(loading=True, latency=LatencyProfile.instant()) as fake:
        with pytest.raises(ServerError, match="Loading model"):
            await collect(LlamaCppBackend(client, endpoint=fake.base_url), fim())


async def test_api_key_is_sent_and_a_wrong_one_is_an_auth_error(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp(api_key="sekrit-1", latency=LatencyProfile.instant()) as fake:
        ok = LlamaCppBackend(client, endpoint=fake.base_url, keys=KeyProvider(static="sekrit-1"))
        assert "".join(await collect(ok, fim())) == "return a + b"
        wrong = KeyProvider(static="sekrit-2", source="the apiKey setting")
        with pytest.raises(AuthError, match="Invalid API Key") as caught:
            await collect(LlamaCppBackend(client, endpoint=fake.base_url, keys=wrong), fim())
    assert "sekrit" not in str(caught.value)


async def test_a_stream_without_the_final_event_is_a_protocol_error(
    fake: FakeLlamaCpp, client: httpx.AsyncClient
) -> None:
    fake.responder = lambda _body: ErrorReply(
        200, 'data: {"content":"x","stop":false}\n\n', {"content-type": "text/event-stream"}
    )
    with pytest.raises(ProtocolError, match="without a final `stop` event"):
        await collect(LlamaCppBackend(client, endpoint=fake.base_url), fim())


async def test_a_dropped_connection_is_a_transport_error(fake: FakeLlamaCpp, client: httpx.AsyncClient) -> None:
    fake.responder = lambda _body: DropConnection("return")
    with pytest.raises(TransportError):
        await collect(LlamaCppBackend(client, endpoint=fake.base_url), fim())


async def test_not_running_names_llama_server(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp() as gone:
        url = gone.base_url
    with pytest.raises(TransportError, match="llama-server"):
        await collect(LlamaCppBackend(client, endpoint=url), fim())


async def test_closing_the_stream_early_closes_the_connection(fake: FakeLlamaCpp, client: httpx.AsyncClient) -> None:
    fake.responder = lambda _body: Hold("return")
    stream = LlamaCppBackend(client, endpoint=fake.base_url).stream(fim())
    assert await anext(stream) == "return"
    await stream.aclose()  # type: ignore[attr-defined]
    await fake.wait_disconnect()
    assert fake.disconnects == 1 and fake.requests[-1].disconnected
