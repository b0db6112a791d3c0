"""OpenAICompatBackend against the fake vLLM: raw prompt (no suffix), SSE + [DONE], both error shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from codestral_ls.backends.base import FimRequest
from codestral_ls.backends.keys import KeyProvider
from codestral_ls.backends.openai import OpenAICompatBackend, completions_path
from codestral_ls.backends.templates import QWEN
from codestral_ls.errors import (
    AuthError,
    ContextWindowExceeded,
    ModelUnavailable,
    ProtocolError,
    RateLimited,
    ServerError,
)
from codestral_ls.simulator.mistral import ErrorReply, LatencyProfile, MalformedChunk
from codestral_ls.simulator.openai import FakeOpenAI, error_body
from codestral_ls.simulator.selfhosted import Hold, MidStreamError

MODEL = "mistralai/Codestral-22B-v0.1"
PREFIX = "def add(a, b):\n    "
SUFFIX = "\n\nprint(add(1, 2))"


def fim(prefix: str = PREFIX, suffix: str = SUFFIX, model: str = MODEL) -> FimRequest:
    return FimRequest(prefix, suffix, model, 64, 0.2, ("\n\n",))


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(latency=LatencyProfile.instant(chunk_chars=6)) as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield http


async def collect(backend: OpenAICompatBackend, request: FimRequest) -> list[str]:
    return [chunk async for chunk in backend.stream(request)]


async def test_streams_a_raw_prompt_and_never_sends_suffix(fake: FakeOpenAI, client: httpx.AsyncClient) -> None:
    backend = OpenAICompatBackend(client, endpoint=fake.base_url)
    assert await collect(backend, fim()) == ["return", " a + b"]
    body = fake.bodies("/v1/completions")[-1]
    assert "suffix" not in body
    assert body == {
        "model": MODEL,
        "prompt": "[SUFFIX]\n\nprint(add(1, 2))[PREFIX]def add(a, b):\n    ",
        "max_tokens": 64,
        "temperature": 0.2,
        "stop": ["\n\n", "[PREFIX]", "[SUFFIX]", "</s>"],
        "stream": True,
    }


async def test_the_fake_refuses_suffix_like_vllm(fake: FakeOpenAI, client: httpx.AsyncClient) -> None:
    reply = await client.post(f"{fake.base_url}/v1/completions", json={"model": MODEL, "prompt": "a", "suffix": "b"})
    assert reply.status_code == 400
    assert reply.json()["error"]["message"] == "suffix is not currently supported"


async def test_an_endpoint_ending_in_v1_is_not_doubled(fake: FakeOpenAI, client: httpx.AsyncClient) -> None:
    assert completions_path("http://localhost:1234/v1") == "/completions"
    assert completions_path("http://localhost:1234") == "/v1/completions"
    backend = OpenAICompatBackend(client, endpoint=fake.base_url + "/v1/")
    assert "".join(await collect(backend, fim())) == "return a + b"
    assert fake.requests[-1].path == "/v1/completions"


async def test_model_family_picks_the_template(fake: FakeOpenAI, client: httpx.AsyncClient) -> None:
    fake.models.append("Qwen/Qwen2.5-Coder-7B")
    await collect(OpenAICompatBackend(client, endpoint=fake.base_url), fim(model="Qwen/Qwen2.5-Coder-7B"))
    prompt = fake.bodies("/v1/completions")[-1]["prompt"]
    assert prompt == QWEN.render(PREFIX, SUFFIX)


@pytest.mark.parametrize("style", ["nested", "flat"])
async def test_both_error_shapes_reach_the_user(fake: FakeOpenAI, client: httpx.AsyncClient, style: str) -> None:
    fake.error_style = style  # type: ignore[assignment]
    message = "This model's maximum context length is 32768 tokens"
    fake.responder = lambda _body: ErrorReply(400, error_body(400, message, fake.error_style))
    with pytest.raises(ContextWindowExceeded, match="maximum context length is 32768") as caught:
        await collect(OpenAICompatBackend(client, endpoint=fake.base_url), fim())
    assert caught.value.n_ctx == 32768


@pytest.mark.parametrize("style", ["nested", "flat"])
async def test_unknown_model_says_where_to_find_ids(fake: FakeOpenAI, client: httpx.AsyncClient, style: str) -> None:
    fake.error_style = style  # type: ignore[assignment]
    with pytest.raises(ModelUnavailable, match=r"no model 'codestral-latest'.*GET /v1/models"):
        await collect(OpenAICompatBackend(client, endpoint=fake.base_url), fim(model="codestral-latest"))


@pytest.mark.parametrize("style", ["nested", "flat"])
async def test_an_error_event_mid_stream(fake: FakeOpenAI, client: httpx.AsyncClient, style: str) -> None:
    fake.error_style = style  # type: ignore[assignment]
    fake.responder = lambda _body: MidStreamError("return", "engine dead")
    seen: list[str] = []
    with pytest.raises(ServerError, match="engine dead"):
        async for chunk in OpenAICompatBackend(client, endpoint=fake.base_url).stream(fim()):
            seen.append(chunk)
    assert seen == ["return"]


async def test_rate_limit_carries_retry_after(fake: FakeOpenAI, client: httpx.AsyncClient) -> None:
    fake.responder = lambda _body: ErrorReply(429, error_body(429, "slow down"), {"retry-after": "7"})
    with pytest.raises(RateLimited) as caught:
        await collect(OpenAICompatBackend(client, endpoint=fake.base_url), fim())
    assert caught.value.retry_after_s == 7


async def test_a_non_stream_reply_is_a_protocol_error(fake: FakeOpenAI, client: httpx.AsyncClient) -> None:
    fake.responder = lambda _body: ErrorReply(200, "<html>sign in</html>", {"content-type": "text/html"})
    with pytest.raises(ProtocolError, match="text/html instead of a stream"):
        await collect(OpenAICompatBackend(client, endpoint=fake.base_url), fim())


async def test_a_malformed_event_is_a_protocol_error(fake: FakeOpenAI, client: httpx.AsyncClient) -> None:
    fake.responder = lambda _body: MalformedChunk("return", '{"id": "x"}')
    with pytest.raises(ProtocolError, match="without `choices`"):
        await collect(OpenAICompatBackend(client, endpoint=fake.base_url), fim())


async def test_key_from_a_command_is_refreshed_after_401(client: httpx.AsyncClient) -> None:
    runs: list[str] = []
    async with FakeOpenAI(api_key="fresh-token", latency=LatencyProfile.instant()) as fake:
        keys = KeyProvider(command="echo stale-token", source="the apiKeyCommand setting")
        backend = OpenAICompatBackend(client, endpoint=fake.base_url, keys=keys)
        with pytest.raises(AuthError) as caught:  # the command keeps printing a refused key
            await collect(backend, fim())
        runs = [r.headers.get("authorization", "") for r in fake.requests]
    assert runs == ["Bearer stale-token", "Bearer stale-token"]
    assert keys.command_runs == 2
    assert "stale-token" not in str(caught.value) and "apiKeyCommand" in str(caught.value)


async def test_closing_the_stream_early_closes_the_connection(fake: FakeOpenAI, client: httpx.AsyncClient) -> None:
    fake.responder = lambda _body: Hold("return")
    stream = OpenAICompatBackend(client, endpoint=fake.base_url).stream(fim())
    assert await anext(stream) == "return"
    await stream.aclose()  # type: ignore[attr-defined]
    await fake.wait_disconnect()
    assert fake.disconnects == 1 and fake.requests[-1].disconnected
