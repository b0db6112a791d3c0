"""End to end for the self-hosted backends: the real server subprocess, a real LSP client, and
a fake Ollama / llama.cpp / OpenAI-compatible server on loopback speaking its own wire format.

For each backend: a streamed completion, cancellation closing the connection at the fake, a
failure the user hears of once (with its fix), and the server serving again afterwards.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

from codestral_ls.simulator.llamacpp import FakeLlamaCpp
from codestral_ls.simulator.mistral import LatencyProfile
from codestral_ls.simulator.ollama import FakeOllama
from codestral_ls.simulator.openai import FakeOpenAI
from codestral_ls.simulator.selfhosted import Hold, MidStreamError, SelfHostedFake
from support.lsp_session import Session

URI = "file:///work/project/geometry.py"
TEXT = "import math\n\ndef area(r):\n    \n"
PREFIX = "import math\n\ndef area(r):\n    "
MIDDLE = "return math.pi * r ** 2"
BACKENDS = ["ollama", "llamacpp", "openai"]


def make_fake(backend: str, **options: Any) -> SelfHostedFake:
    latency = LatencyProfile.instant(chunk_chars=3)  # many small chunks: a real stream
    if backend == "ollama":
        return FakeOllama(latency=latency, **options)
    if backend == "llamacpp":
        return FakeLlamaCpp(latency=latency, **options)
    return FakeOpenAI(latency=latency, **{"models": ["codestral-latest"], **options})


async def start(start_session: Any, backend: str, fake: SelfHostedFake, **settings: Any) -> Session:
    # apiKey=None: no key at all; a local server needs none and must not receive a cloud one.
    session: Session = await start_session("vscode", fake_server=fake, backend=backend, apiKey=None, **settings)
    session.open(URI, TEXT)
    return session


async def wait_until(condition: Any, timeout_s: float = 5.0) -> None:
    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 - a counter on the fake, no event to await
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout_s)


def error_messages(session: Session) -> list[str]:
    return [m.message for m in session.client.messages if m.type == types.MessageType.Error]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_streamed_completion_in_the_backends_wire_format(start_session: Any, backend: str) -> None:
    async with make_fake(backend) as fake:
        fake.responder = lambda body: MIDDLE
        session = await start(start_session, backend, fake)
        items = await session.inline(URI, 3, 4)
        assert [item.insert_text for item in items] == [MIDDLE]
        record = fake.requests[-1]
        assert record.chunks_sent > 3, "the fake streamed the answer in pieces"
        assert "authorization" not in record.headers
        body = record.body
        if backend == "ollama":
            assert (body["model"], body["prompt"], body["suffix"]) == ("codestral", PREFIX, "\n")
            assert body["stream"] is True and body["keep_alive"] == "30m"
        else:
            assert "suffix" not in body
            assert body["prompt"] == f"[SUFFIX]\n[PREFIX]{PREFIX}"
            assert {"[PREFIX]", "[SUFFIX]"} <= set(body["stop"])
        if backend == "llamacpp":
            assert body["cache_prompt"] is True


@pytest.mark.parametrize("backend", BACKENDS)
async def test_cancelling_the_request_closes_the_connection(start_session: Any, backend: str) -> None:
    async with make_fake(backend) as fake:
        fake.responder = lambda body: Hold("return math")
        session = await start(start_session, backend, fake)
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=3, character=4),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )
        request = asyncio.ensure_future(
            session.client.protocol.send_request_async(  # type: ignore[no-untyped-call]  # untyped in pygls
                "textDocument/inlineCompletion", params, msg_id="cancel-me"
            )
        )
        await wait_until(lambda: fake.chunks_sent >= 1)  # the stream is flowing, then stalls
        session.client.cancel_request(types.CancelParams(id="cancel-me"))
        with pytest.raises(JsonRpcRequestCancelled):
            await request
        assert await fake.wait_for_disconnects(1) == 1
        assert fake.requests[-1].disconnected and not fake.requests[-1].completed


def broken(backend: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Fake options and settings that fail with a model error, and the fix the user must read."""
    if backend == "ollama":
        return {"models": {"llama3": ["completion"]}}, {}, "ollama pull codestral"
    if backend == "llamacpp":
        return {"infill_supported": False}, {"promptTemplate": "infill"}, 'promptTemplate: "infill"'
    return {"models": ["mistralai/Codestral-22B-v0.1"]}, {}, "GET /v1/models"


def repair(fake: SelfHostedFake) -> None:
    if isinstance(fake, FakeOllama):
        fake.models["codestral:latest"] = ["completion", "insert"]
    elif isinstance(fake, FakeLlamaCpp):
        fake.infill_supported = True
    elif isinstance(fake, FakeOpenAI):
        fake.models.append("codestral-latest")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_model_error_is_told_once_and_the_server_keeps_serving(start_session: Any, backend: str) -> None:
    options, settings, fix = broken(backend)
    async with make_fake(backend, **options) as fake:
        fake.responder = lambda body: MIDDLE
        session = await start(start_session, backend, fake, **settings)
        for _ in range(3):
            assert await session.inline(URI, 3, 4) == []
        messages = error_messages(session)
        assert len(messages) == 1, messages
        assert fix in messages[0]
        status = await session.wait_for_status("error")
        assert fix in status["message"]
        repair(fake)
        assert [item.insert_text for item in await session.inline(URI, 3, 4)] == [MIDDLE]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_error_inside_the_stream_is_transient(start_session: Any, backend: str) -> None:
    async with make_fake(backend) as fake:
        fake.responder = lambda body: MidStreamError("return", "model runner crashed")
        session = await start(start_session, backend, fake)
        assert await session.inline(URI, 3, 4) == []
        assert error_messages(session) == []  # transient: the status shows it, no pop-up
        status = await session.wait_for_status("error")
        assert "model runner crashed" in status["message"]
        fake.responder = lambda body: MIDDLE
        assert [item.insert_text for item in await session.inline(URI, 3, 4)] == [MIDDLE]
