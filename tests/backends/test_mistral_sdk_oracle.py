"""The official `mistralai` SDK as an oracle: the fake speaks its format, and we send its body.

If the fake drifted from the real wire format, the SDK's strict pydantic models would reject
its replies; if our backend's body drifted from the SDK's, the byte comparison would fail.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from mistralai.client import Mistral, errors, models

from codestral_ls.backends.base import FimRequest
from codestral_ls.backends.mistral import MistralBackend
from codestral_ls.backends.sse import SseParser
from codestral_ls.config import Credentials, Settings
from codestral_ls.simulator import ErrorReply, FakeMistral, LatencyProfile

KEY = "test-key-123"
MIDDLE = "return a + b"
PREFIX = "def add(a, b):\n    "
SUFFIX = "\n\nprint(add(1, 2))"


@pytest.fixture
async def fake() -> AsyncIterator[FakeMistral]:
    async with FakeMistral(lambda body: MIDDLE, latency=LatencyProfile.instant(), api_key=KEY) as f:
        yield f


def sdk(fake: FakeMistral, key: str = KEY) -> Mistral:
    return Mistral(api_key=key, server_url=fake.base_url)


async def our_body(fake: FakeMistral, request: FimRequest) -> bytes:
    async with httpx.AsyncClient(timeout=5.0) as client:
        backend = MistralBackend(Settings(endpoint=fake.base_url), Credentials(KEY, "test", fake.base_url), client)
        assert "".join([text async for text in backend.stream(request)]) == MIDDLE
    return fake.requests[-1].raw_body


async def test_sdk_complete_parses_the_fake_reply(fake: FakeMistral) -> None:
    async with sdk(fake) as client:
        response = await client.fim.complete_async(
            model="codestral-latest", prompt=PREFIX, suffix=SUFFIX, max_tokens=64
        )
    assert isinstance(response, models.FIMCompletionResponse)
    assert response.choices[0].message is not None
    assert response.choices[0].message.content == MIDDLE
    assert response.choices[0].finish_reason == "stop"
    assert (response.usage.completion_tokens or 0) > 0
    assert fake.requests[0].body["stream"] is False


async def test_sdk_stream_parses_every_fake_chunk(fake: FakeMistral) -> None:
    async with sdk(fake) as client:
        stream = await client.fim.stream_async(model="codestral-latest", prompt=PREFIX, suffix=SUFFIX, max_tokens=64)
        events = [event async for event in stream]
    chunks = [event.data for event in events]
    assert all(isinstance(chunk, models.CompletionChunk) for chunk in chunks)
    assert "".join(str(chunk.choices[0].delta.content or "") for chunk in chunks) == MIDDLE
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is not None


async def test_raw_fake_chunks_validate_as_completion_chunks(fake: FakeMistral) -> None:
    body = {"model": "codestral-latest", "prompt": PREFIX, "suffix": SUFFIX, "stream": True}
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{fake.base_url}/v1/fim/completions",
            json=body,
            headers={"Authorization": f"Bearer {KEY}"},
        )
    assert response.headers["content-type"].startswith("text/event-stream")
    parser = SseParser()
    payloads = parser.feed(response.content) + parser.close()
    assert parser.done  # the stream ended with data: [DONE]
    chunks = [models.CompletionChunk.model_validate_json(data) for data in payloads]
    assert "".join(str(chunk.choices[0].delta.content or "") for chunk in chunks) == MIDDLE
    assert all("finish_reason" in json.loads(data)["choices"][0] for data in payloads)


def test_the_oracle_is_strict_about_finish_reason() -> None:
    # Negative control: the SDK model rejects a chunk without the finish_reason key.
    choice: dict[str, Any] = {"index": 0, "delta": {"content": "x"}, "finish_reason": None}
    good = {"id": "c", "model": "m", "choices": [choice]}
    models.CompletionChunk.model_validate(good)
    del choice["finish_reason"]
    with pytest.raises(ValueError):
        models.CompletionChunk.model_validate(good)


async def test_fake_non_stream_reply_validates_as_fim_completion_response(
    fake: FakeMistral,
) -> None:
    body = {"model": "codestral-latest", "prompt": PREFIX, "stream": False}
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{fake.base_url}/v1/fim/completions",
            json=body,
            headers={"Authorization": f"Bearer {KEY}"},
        )
    parsed = models.FIMCompletionResponse.model_validate_json(response.content)
    assert parsed.choices[0].message is not None
    assert parsed.choices[0].message.content == MIDDLE


BODY_CASES: list[tuple[dict[str, Any], FimRequest]] = [
    (
        {"temperature": 0.0, "max_tokens": 64, "stop": ["\n\n"]},
        FimRequest(PREFIX, SUFFIX, "codestral-latest", 64, 0.0, ("\n\n",)),
    ),
    (
        {"temperature": 0.2, "max_tokens": 256},
        FimRequest(PREFIX, SUFFIX, "codestral-2508", 256, 0.2),
    ),
    (
        {"temperature": 0.0, "max_tokens": 16, "stop": ["\n", "}"]},
        FimRequest("é = '", "' # ünïcode", "codestral-latest", 16, 0.0, ("\n", "}")),
    ),
    (
        {"temperature": 0.0, "max_tokens": 8},
        FimRequest("x = ", "", "codestral-latest", 8, 0.0),
    ),
]


@pytest.mark.parametrize(("sdk_args", "request_"), BODY_CASES)
async def test_our_body_is_byte_for_byte_the_sdk_stream_body(
    fake: FakeMistral, sdk_args: dict[str, Any], request_: FimRequest
) -> None:
    async with sdk(fake) as client:
        stream = await client.fim.stream_async(
            model=request_.model, prompt=request_.prefix, suffix=request_.suffix, **sdk_args
        )
        async for _ in stream:
            pass
    sdk_body = fake.requests[-1].raw_body
    sdk_headers = fake.requests[-1].headers
    ours = await our_body(fake, request_)
    assert ours == sdk_body
    our_headers = fake.requests[-1].headers
    for name in ("accept", "content-type", "authorization"):
        assert our_headers[name] == sdk_headers[name]


@pytest.mark.parametrize(("sdk_args", "request_"), BODY_CASES)
async def test_our_body_validates_as_the_sdk_request_model_with_no_extra_keys(
    fake: FakeMistral, sdk_args: dict[str, Any], request_: FimRequest
) -> None:
    body = json.loads(await our_body(fake, request_))
    parsed = models.FIMCompletionStreamRequest.model_validate(body)
    assert parsed.prompt == request_.prefix
    assert parsed.suffix == request_.suffix
    # The SDK models ignore unknown keys, so check for them separately.
    assert set(body) <= set(models.FIMCompletionStreamRequest.model_fields)


async def test_sdk_sees_the_fake_401_as_an_api_error(fake: FakeMistral) -> None:
    async with sdk(fake, key="wrong-key") as client:
        with pytest.raises(errors.SDKError) as caught:
            await client.fim.complete_async(model="codestral-latest", prompt="x = ")
    assert caught.value.status_code == 401
    assert json.loads(caught.value.body)["message"] == "Unauthorized"


async def test_sdk_parses_the_fake_422_detail(fake: FakeMistral) -> None:
    detail = [{"type": "missing", "loc": ["body", "prompt"], "msg": "Field required"}]
    fake.responder = lambda body: ErrorReply(422, {"detail": detail})
    async with sdk(fake) as client:
        with pytest.raises(errors.HTTPValidationError) as caught:
            await client.fim.complete_async(model="codestral-latest", prompt="x = ")
    assert caught.value.data.detail is not None
    assert caught.value.data.detail[0].msg == "Field required"


def test_sync_sdk_against_the_fake_in_a_background_thread() -> None:
    fake = FakeMistral(lambda body: MIDDLE, latency=LatencyProfile.instant(), api_key=KEY)
    with fake.run_in_thread() as base_url, Mistral(api_key=KEY, server_url=base_url) as client:
        response = client.fim.complete(model="codestral-latest", prompt=PREFIX, suffix=SUFFIX)
        streamed = "".join(
            str(event.data.choices[0].delta.content or "")
            for event in client.fim.stream(model="codestral-latest", prompt=PREFIX)
        )
    assert response.choices[0].message is not None
    assert response.choices[0].message.content == MIDDLE
    assert streamed == MIDDLE
    assert len(fake.requests) == 2
