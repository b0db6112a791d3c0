"""The official `ollama` client parses the fake Ollama's replies: proof the fake is faithful.

And what the client sends for a FIM request has the same shape as what OllamaBackend sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import ollama
import pytest

from codestral_ls.backends.base import FimRequest
from codestral_ls.backends.ollama import OllamaBackend
from codestral_ls.simulator.mistral import ErrorReply, LatencyProfile
from codestral_ls.simulator.ollama import FakeOllama
from codestral_ls.simulator.selfhosted import MidStreamError

PREFIX = "def add(a, b):\n    "
SUFFIX = "\n\nprint(add(1, 2))"


@pytest.fixture
async def fake() -> AsyncIterator[FakeOllama]:
    models = {"codestral": ["completion", "insert"], "llama3": ["completion"]}
    async with FakeOllama(models=models, latency=LatencyProfile.instant(chunk_chars=3)) as server:
        yield server


@pytest.fixture
def sdk(fake: FakeOllama) -> ollama.AsyncClient:
    return ollama.AsyncClient(host=fake.base_url)


async def test_sdk_parses_the_stream(fake: FakeOllama, sdk: ollama.AsyncClient) -> None:
    parts = [
        part
        async for part in await sdk.generate(
            model="codestral", prompt=PREFIX, suffix=SUFFIX, stream=True, keep_alive="30m"
        )
    ]
    assert len(parts) > 2
    assert "".join(part.response or "" for part in parts) == "return a + b"
    assert [part.done for part in parts] == [False] * (len(parts) - 1) + [True]
    assert parts[-1].done_reason == "stop" and parts[-1].eval_count == len(parts) - 1
    assert fake.requests[-1].headers["content-type"] == "application/json"


async def test_sdk_parses_a_whole_reply(sdk: ollama.AsyncClient) -> None:
    reply = await sdk.generate(model="codestral", prompt=PREFIX, suffix=SUFFIX, options={"num_predict": 2})
    assert reply.response == "ret" + "urn"
    assert reply.done and reply.done_reason == "length"


async def test_sdk_sees_the_empty_prompt_trap(sdk: ollama.AsyncClient) -> None:
    reply = await sdk.generate(model="codestral", prompt="", suffix=SUFFIX)
    assert reply.response == "" and reply.done_reason == "load"


async def test_sdk_raises_for_a_missing_model(sdk: ollama.AsyncClient) -> None:
    with pytest.raises(ollama.ResponseError) as caught:
        await sdk.generate(model="starcoder2", prompt="x", stream=False)
    assert caught.value.status_code == 404
    assert caught.value.error == 'model "starcoder2" not found, try pulling it first'


async def test_sdk_raises_for_a_model_without_insert(sdk: ollama.AsyncClient) -> None:
    with pytest.raises(ollama.ResponseError) as caught:
        async for _ in await sdk.generate(model="llama3", prompt="x", suffix="y", stream=True):
            pass
    assert caught.value.status_code == 400
    assert caught.value.error == '"llama3" does not support insert'


async def test_sdk_raises_for_an_error_line_mid_stream(fake: FakeOllama, sdk: ollama.AsyncClient) -> None:
    fake.responder = lambda _body: MidStreamError("return a", "llama runner process has terminated")
    received: list[str] = []
    with pytest.raises(ollama.ResponseError) as caught:
        async for part in await sdk.generate(model="codestral", prompt=PREFIX, stream=True):
            received.append(part.response or "")
    assert "".join(received) == "return a"
    assert caught.value.status_code == -1  # in-stream errors carry no HTTP status
    assert caught.value.error == "llama runner process has terminated"


async def test_sdk_raises_for_a_scripted_server_error(fake: FakeOllama, sdk: ollama.AsyncClient) -> None:
    fake.responder = lambda _body: ErrorReply(503, {"error": "server busy"})
    with pytest.raises(ollama.ResponseError) as caught:
        await sdk.generate(model="codestral", prompt=PREFIX)
    assert (caught.value.status_code, caught.value.error) == (503, "server busy")


async def test_sdk_parses_show_and_list(sdk: ollama.AsyncClient) -> None:
    shown = await sdk.show("codestral")
    assert shown.capabilities is not None and "insert" in shown.capabilities
    assert shown.modelinfo is not None and shown.modelinfo["llama.context_length"] == 32768
    listed = await sdk.list()
    assert {model.model for model in listed.models} == {"codestral:latest", "llama3:latest"}
    with pytest.raises(ollama.ResponseError) as caught:
        await sdk.show("nope")
    assert caught.value.status_code == 404


async def test_backend_sends_what_the_sdk_sends(fake: FakeOllama, sdk: ollama.AsyncClient) -> None:
    options = {"num_predict": 64, "temperature": 0.0, "stop": ["\n\n"]}
    async for _ in await sdk.generate(
        model="codestral",
        prompt=PREFIX,
        suffix=SUFFIX,
        stream=True,
        keep_alive="30m",
        options=options,
    ):
        pass
    async with httpx.AsyncClient() as client:
        backend = OllamaBackend(client, endpoint=fake.base_url)
        request = FimRequest(PREFIX, SUFFIX, "codestral-latest", 64, 0.0, ("\n\n",))
        assert "".join([chunk async for chunk in backend.stream(request)]) == "return a + b"
    from_sdk, from_backend = fake.bodies("/api/generate")
    assert from_backend == from_sdk
