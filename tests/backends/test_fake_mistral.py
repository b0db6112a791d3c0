"""The fake Codestral itself: how it shapes replies, its latency draws, routes, CLI options."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from codestral_ls.simulator import (
    Completion,
    DropConnection,
    FakeMistral,
    LatencyProfile,
    MalformedChunk,
)
from codestral_ls.simulator.__main__ import latency_from, parse_args
from codestral_ls.simulator.replies import Scripted, shape_reply

SHAPE_CASES: list[tuple[Scripted, dict[str, Any], str, str]] = [
    ("abc def", {}, "abc def", "stop"),
    ("abc\n\ndef", {"stop": ["\n\n"]}, "abc", "stop"),
    ("abc\n\ndef", {"stop": "\n\n"}, "abc", "stop"),
    ("a;b}c", {"stop": ["}", ";"]}, "a", "stop"),  # the earliest stop string wins
    ("abcdefghij", {"max_tokens": 2}, "abcd", "length"),  # 2 chunks of 2 chars
    ("abcd", {"max_tokens": 2}, "abcd", "stop"),
    (Completion("x", finish_reason="error"), {}, "x", "error"),
    (DropConnection("part"), {"max_tokens": 1}, "part", "stop"),
    (MalformedChunk("pre"), {}, "pre", "stop"),
]


@pytest.mark.parametrize(("reply", "body", "text", "finish"), SHAPE_CASES)
def test_shape_applies_stop_and_max_tokens(reply: Scripted, body: dict[str, Any], text: str, finish: str) -> None:
    assert shape_reply(reply, body, chunk_chars=2) == (text, finish)


def test_default_latency_stays_within_its_bounds() -> None:
    profile = LatencyProfile()
    rng = random.Random(1)
    draws = [profile.ttft_s(rng) for _ in range(200)]
    assert all(0.150 <= draw <= 0.400 for draw in draws)
    assert len(set(draws)) > 10  # it varies
    assert LatencyProfile.instant().ttft_s(rng) == 0.0
    assert LatencyProfile.instant().per_token_ms == 0.0


CLI_CASES = [
    (["--instant"], 0.0, 0.0),
    ([], 250.0, 10.0),
    (["--ttft-ms", "80", "--token-ms", "3"], 80.0, 3.0),
]


@pytest.mark.parametrize(("argv", "ttft_ms", "token_ms"), CLI_CASES)
def test_cli_latency_options(argv: list[str], ttft_ms: float, token_ms: float) -> None:
    profile = latency_from(parse_args(argv))
    assert profile.ttft_median_ms == ttft_ms
    assert profile.per_token_ms == token_ms


@pytest.fixture
async def fake() -> AsyncIterator[FakeMistral]:
    async with FakeMistral(latency=LatencyProfile.instant()) as server:
        yield server


ROUTE_CASES = [
    ("POST", "/v1/fim/completions", {"model": "m", "prompt": "x"}, 200),
    ("POST", "/v1/projects/p/models/m:rawPredict", {"model": "m", "prompt": "x"}, 200),
    ("POST", "/v1/chat/completions", {"model": "m", "prompt": "x"}, 404),
    ("GET", "/v1/fim/completions", None, 404),
    ("POST", "/v1/fim/completions", {"model": "m"}, 422),
    ("POST", "/v1/fim/completions", {"model": "m", "prompt": 3}, 422),
    ("POST", "/v1/fim/completions", None, 422),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), ROUTE_CASES)
async def test_routes_and_validation(fake: FakeMistral, method: str, path: str, body: Any, status: int) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        response = await client.request(method, path, json=body)
    assert response.status_code == status
    if status == 422:
        assert response.json()["detail"][0]["loc"][0] == "body"
    assert fake.requests[0].path == path


async def test_a_responder_bug_answers_500_with_its_name(fake: FakeMistral) -> None:
    def broken(body: dict[str, Any]) -> str:
        raise LookupError("no scripted reply left")

    fake.responder = broken
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        response = await client.post("/v1/fim/completions", json={"model": "m", "prompt": "x"})
    assert response.status_code == 500
    assert "no scripted reply left" in response.text


async def test_async_responders_are_awaited(fake: FakeMistral) -> None:
    async def later(body: dict[str, Any]) -> str:
        return "from a coroutine"

    fake.responder = later
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        response = await client.post("/v1/fim/completions", json={"model": "m", "prompt": "x", "stream": False})
    assert response.json()["choices"][0]["message"]["content"] == "from a coroutine"


def test_threaded_server_stops_cleanly_and_only_once() -> None:
    fake = FakeMistral(latency=LatencyProfile.instant())
    server = fake.run_in_thread()
    base_url = server.start()
    response = httpx.post(f"{base_url}/v1/fim/completions", json={"model": "m", "prompt": "x", "stream": False})
    assert response.status_code == 200
    server.stop()
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{base_url}/v1/fim/completions", json={"model": "m", "prompt": "x"})
