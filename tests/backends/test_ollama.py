"""OllamaBackend against the fake Ollama server: request shape, NDJSON stream, errors, cancel."""

from __future__ import annotations

import shlex
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from codestral_ls.backends.base import FimRequest
from codestral_ls.backends.keys import KeyProvider
from codestral_ls.backends.ollama import OllamaBackend, keep_alive_value, ollama_model
from codestral_ls.backends.templates import QWEN
from codestral_ls.errors import (
    AuthError,
    ModelUnavailable,
    ProtocolError,
    RateLimited,
    ServerError,
    TransportError,
)
from codestral_ls.simulator.mistral import ErrorReply, LatencyProfile, MalformedChunk
from codestral_ls.simulator.ollama import FakeOllama
from codestral_ls.simulator.selfhosted import Hold, MidStreamError


def fim(prefix: str = "def add(a, b):\n    ", suffix: str = "\n\nprint(add(1, 2))") -> FimRequest:
    return FimRequest(
        prefix=prefix,
        suffix=suffix,
        model="codestral-latest",
        max_tokens=64,
        temperature=0.0,
        stop=("\n\n",),
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeOllama]:
    async with FakeOllama(latency=LatencyProfile.instant(chunk_chars=6)) as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield http


async def collect(backend: OllamaBackend, request: FimRequest) -> list[str]:
    return [chunk async for chunk in backend.stream(request)]


async def test_streams_the_middle_in_pieces(fake: FakeOllama, client: httpx.AsyncClient) -> None:
    backend = OllamaBackend(client, endpoint=fake.base_url)
    chunks = await collect(backend, fim())
    assert len(chunks) > 1
    assert "".join(chunks) == "return a + b"
    assert backend.last_stats is not None and backend.last_stats.completion_tokens == len(chunks)


async def test_request_uses_suffix_keep_alive_and_the_ollama_tag(fake: FakeOllama, client: httpx.AsyncClient) -> None:
    await collect(OllamaBackend(client, endpoint=fake.base_url, keep_alive="1h"), fim())
    body = fake.bodies("/api/generate")[-1]
    assert body["model"] == "codestral"
    assert body["prompt"] == "def add(a, b):\n    "
    assert body["suffix"] == "\n\nprint(add(1, 2))"
    assert body["stream"] is True and "raw" not in body
    assert body["keep_alive"] == "1h"
    assert body["options"] == {"num_predict": 64, "temperature": 0.0, "stop": ["\n\n"]}
    assert fake.requests[-1].headers.get("accept") == "application/x-ndjson"
    assert "authorization" not in fake.requests[-1].headers


async def test_start_of_file_switches_to_raw_mode_so_something_is_generated(
    fake: FakeOllama, client: httpx.AsyncClient
) -> None:
    chunks = await collect(OllamaBackend(client, endpoint=fake.base_url), fim(prefix=""))
    body = fake.bodies("/api/generate")[-1]
    assert body["raw"] is True and "suffix" not in body
    assert body["prompt"] == "[SUFFIX]\n\nprint(add(1, 2))[PREFIX]"
    assert {"[PREFIX]", "[SUFFIX]", "</s>"} <= set(body["options"]["stop"])
    assert "".join(chunks) == "return a + b"


async def test_fake_reproduces_the_empty_prompt_trap(fake: FakeOllama, client: httpx.AsyncClient) -> None:
    reply = await client.post(
        f"{fake.base_url}/api/generate",
        json={"model": "codestral", "prompt": "", "suffix": "x", "stream": False},
    )
    assert reply.json()["done_reason"] == "load" and reply.json()["response"] == ""


async def test_a_prompt_template_means_raw_mode_always(fake: FakeOllama, client: httpx.AsyncClient) -> None:
    fake.models["qwen2.5-coder:1.5b"] = ["completion"]  # no insert capability
    backend = OllamaBackend(client, endpoint=fake.base_url, template=QWEN)
    request = FimRequest("a = ", "\nb = 2", "qwen2.5-coder:1.5b", 16, 0.2)
    assert "".join(await collect(backend, request)) == "return a + b"
    body = fake.bodies("/api/generate")[-1]
    assert body["prompt"] == "<|fim_prefix|>a = <|fim_suffix|>\nb = 2<|fim_middle|>"
    assert body["raw"] is True and "<|fim_prefix|>" in body["options"]["stop"]


def test_model_and_keep_alive_mapping() -> None:
    assert ollama_model("codestral-latest") == "codestral"
    assert ollama_model("codestral:22b") == "codestral:22b"
    assert keep_alive_value("300") == 300
    assert keep_alive_value("-1") == -1
    assert keep_alive_value("30m") == "30m"


async def test_missing_model_says_how_to_pull_it(fake: FakeOllama, client: httpx.AsyncClient) -> None:
    request = FimRequest("x", "", "starcoder2:3b", 8, 0.0)
    with pytest.raises(ModelUnavailable, match=r"ollama pull starcoder2:3b"):
        await collect(OllamaBackend(client, endpoint=fake.base_url), request)


async def test_model_without_insert_names_the_model_and_the_fix(fake: FakeOllama, client: httpx.AsyncClient) -> None:
    fake.models["llama3:latest"] = ["completion"]
    request = FimRequest("x = ", "\ny", "llama3", 8, 0.0)
    with pytest.raises(ModelUnavailable, match=r"'llama3' cannot fill in the middle") as caught:
        await collect(OllamaBackend(client, endpoint=fake.base_url), request)
    assert "promptTemplate" in str(caught.value) and caught.value.status == 400


async def test_an_error_line_mid_stream_raises_after_the_first_piece(
    fake: FakeOllama, client: httpx.AsyncClient
) -> None:
    fake.responder = lambda _body: MidStreamError("return", "llama runner process has terminated")
    seen: list[str] = []
    with pytest.raises(ServerError, match="llama runner process has terminated"):
        async for chunk in OllamaBackend(client, endpoint=fake.base_url).stream(fim()):
            seen.append(chunk)
    assert seen == ["return"]


@pytest.mark.parametrize(
    ("status", "error"),
    [(503, ServerError), (500, ServerError), (429, RateLimited), (400, Exception)],
)
async def test_http_errors_map_to_the_hierarchy(
    fake: FakeOllama, client: httpx.AsyncClient, status: int, error: type[Exception]
) -> None:
    message = "server busy, please try again.  maximum pending requests exceeded"
    fake.responder = lambda _body: ErrorReply(status, {"error": message})
    with pytest.raises(error, match="maximum pending requests"):
        await collect(OllamaBackend(client, endpoint=fake.base_url), fim())


async def test_not_running_says_how_to_start_it(client: httpx.AsyncClient) -> None:
    async with FakeOllama() as gone:
        url = gone.base_url
    with pytest.raises(TransportError, match="ollama serve"):
        await collect(OllamaBackend(client, endpoint=url), fim())


async def test_a_reply_that_is_not_ndjson_is_a_protocol_error(fake: FakeOllama, client: httpx.AsyncClient) -> None:
    fake.responder = lambda _body: MalformedChunk(data="<html>proxy login</html>")
    with pytest.raises(ProtocolError, match="not JSON"):
        await collect(OllamaBackend(client, endpoint=fake.base_url), fim())


async def test_a_stream_without_done_is_a_protocol_error(fake: FakeOllama, client: httpx.AsyncClient) -> None:
    line = '{"model":"codestral","created_at":"x","response":"a","done":false}'
    fake.responder = lambda _body: MalformedChunk(data=line)
    with pytest.raises(ProtocolError, match="without `done`"):
        await collect(OllamaBackend(client, endpoint=fake.base_url), fim())


async def test_closing_the_stream_early_closes_the_connection(fake: FakeOllama, client: httpx.AsyncClient) -> None:
    fake.responder = lambda _body: Hold("return")
    stream = OllamaBackend(client, endpoint=fake.base_url).stream(fim())
    assert await anext(stream) == "return"
    await stream.aclose()  # type: ignore[attr-defined]
    await fake.wait_disconnect()
    assert fake.disconnects == 1 and fake.requests[-1].disconnected


async def test_headers_and_url_template_are_used(fake: FakeOllama, client: httpx.AsyncClient) -> None:
    backend = OllamaBackend(
        client,
        endpoint=fake.base_url,
        headers={"X-Team": "tools"},
        url_template="{endpoint}/api/{method}",
    )
    await collect(backend, fim())
    assert fake.requests[-1].path == "/api/generate"
    assert fake.requests[-1].headers["x-team"] == "tools"


def key_command(tmp_path: Path) -> str:
    """A command printing key-1, key-2, ... on successive runs."""
    counter = tmp_path / "runs"
    script = (
        "import pathlib,sys; p=pathlib.Path(sys.argv[1]); "
        "n=int(p.read_text() or 0)+1 if p.exists() else 1; p.write_text(str(n)); print(f'key-{n}')"
    )
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(script)} {shlex.quote(str(counter))}"


async def test_a_refused_command_key_is_fetched_again_once(
    fake: FakeOllama, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    fake.api_key = "key-2"  # the first key the command prints has "expired"
    keys = KeyProvider(command=key_command(tmp_path), source="the apiKeyCommand setting")
    chunks = await collect(OllamaBackend(client, endpoint=fake.base_url, keys=keys), fim())
    assert "".join(chunks) == "return a + b"
    assert [r.headers.get("authorization") for r in fake.requests] == [
        "Bearer key-1",
        "Bearer key-2",
    ]
    assert keys.command_runs == 2


async def test_a_refused_static_key_is_not_retried_nor_quoted(fake: FakeOllama, client: httpx.AsyncClient) -> None:
    fake.responder = lambda _body: ErrorReply(401, {"error": "bad token wrong-key-123"})
    keys = KeyProvider(static="wrong-key-123", source="the apiKey setting")
    with pytest.raises(AuthError) as caught:
        await collect(OllamaBackend(client, endpoint=fake.base_url, keys=keys), fim())
    assert "wrong-key-123" not in str(caught.value)
    assert "the apiKey setting" in str(caught.value)
    assert len(fake.requests) == 1


async def test_warm_up_loads_the_model_without_generating(fake: FakeOllama, client: httpx.AsyncClient) -> None:
    await OllamaBackend(client, endpoint=fake.base_url, keep_alive="2h").warm_up("codestral-latest")
    body = fake.bodies("/api/generate")[-1]
    assert body == {"model": "codestral", "keep_alive": "2h", "stream": False}
    assert fake.chunks_sent == 0


async def test_warm_up_of_a_missing_model_says_how_to_pull_it(fake: FakeOllama, client: httpx.AsyncClient) -> None:
    with pytest.raises(ModelUnavailable, match="ollama pull starcoder2"):
        await OllamaBackend(client, endpoint=fake.base_url).warm_up("starcoder2")
