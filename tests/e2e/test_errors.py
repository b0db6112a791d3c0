"""End to end: every failure gets an empty answer, the user hears once, and the server keeps serving."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsprotocol import types

from codestral_ls.simulator.mistral import DropConnection, ErrorReply, FakeMistral, LatencyProfile, MalformedChunk
from support.lsp_session import API_KEY, Session

URI = "file:///work/project/app.py"
TEXT = "import math\n\ndef area(r):\n    \n"


async def _ask_a_few_times(session: Session, times: int = 3) -> list[list[types.InlineCompletionItem]]:
    results = []
    for _ in range(times):
        results.append(await session.inline(URI, 3, 4))
    return results


async def test_wrong_key_is_explained_once_naming_host_and_key_source(start_session: Any, capfd: Any) -> None:
    session: Session = await start_session("vscode", apiKey="wrong-key-abcdef123456")
    session.open(URI, TEXT)
    results = await _ask_a_few_times(session)
    assert results == [[], [], []]
    errors = [m for m in session.client.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1, [m.message for m in session.client.messages]
    text = errors[0].message
    assert "apiKey setting" in text and "127.0.0.1" in text
    assert "wrong-key-abcdef123456" not in text
    status = await session.wait_for_status("error")
    assert "wrong-key" not in status["message"]
    assert "wrong-key-abcdef123456" not in capfd.readouterr().err


async def test_codestral_key_on_the_platform_host_says_which_endpoint_to_use(start_session: Any) -> None:
    session: Session = await start_session(
        "vscode", apiKey=None, env={"CODESTRAL_API_KEY": "codestral-style-key-123456"}
    )
    session.open(URI, TEXT)
    await _ask_a_few_times(session, 2)
    (message,) = [m.message for m in session.client.messages if m.type == types.MessageType.Error]
    assert "CODESTRAL_API_KEY" in message
    assert "codestral-style-key-123456" not in message


async def test_validation_error_shows_the_apis_own_detail(start_session: Any) -> None:
    session: Session = await start_session("neovim")
    session.open(URI, TEXT)
    session.fake.responder = lambda body: ErrorReply(
        422, {"detail": [{"loc": ["body", "max_tokens"], "msg": "Input should be less than 4096", "type": "less_than"}]}
    )
    assert await session.inline(URI, 3, 4) == []
    messages = [m.message for m in session.client.messages]
    assert any("Input should be less than 4096" in m for m in messages), messages


async def test_rate_limit_pauses_automatic_requests_and_tells_once(start_session: Any) -> None:
    session: Session = await start_session("vscode")
    session.open(URI, TEXT)
    session.fake.responder = lambda body: ErrorReply(
        429, {"message": "Requests rate limit exceeded"}, {"Retry-After": "30"}
    )
    assert await session.inline(URI, 3, 4) == []
    calls = len(session.fake.requests)
    session.change(URI, 2, (3, 4), (3, 4), "r")
    for _ in range(3):
        assert await session.inline(URI, 3, 5, automatic=True) == []
    assert len(session.fake.requests) == calls, "automatic requests must pause during Retry-After"
    warnings = [m for m in session.client.messages if "rate limit" in m.message.lower()]
    assert len(warnings) == 1
    status = await session.wait_for_status("rate-limited")
    assert "30" in status["message"]


@pytest.mark.parametrize(
    "failure",
    [
        ErrorReply(500, {"message": "internal"}),
        ErrorReply(503, "upstream busy"),
        DropConnection("return math"),
        MalformedChunk("return"),
    ],
    ids=["500", "503", "dropped", "malformed"],
)
async def test_transient_failures_give_empty_answer_then_the_next_request_works(
    start_session: Any, failure: Any
) -> None:
    session: Session = await start_session("neovim")
    session.open(URI, TEXT)
    session.fake.responder = lambda body: failure
    assert await session.inline(URI, 3, 4) == []
    assert not [m for m in session.client.messages if m.type == types.MessageType.Error]
    session.fake.responder = lambda body: "return math.pi * r ** 2"
    items = await session.inline(URI, 3, 4)
    assert [i.insert_text for i in items] == ["return math.pi * r ** 2"]


async def test_timeout_gives_empty_answer_then_the_next_request_works(start_session: Any) -> None:
    slow = FakeMistral(
        latency=LatencyProfile(ttft_median_ms=2000, ttft_sigma=0, ttft_min_ms=2000, ttft_max_ms=2000), api_key=API_KEY
    )
    async with slow:
        session: Session = await start_session("neovim", fake_server=slow, timeoutMs=300)
        session.open(URI, TEXT)
        assert await session.inline(URI, 3, 4) == []
        assert await slow.wait_for_disconnects(1) >= 1
        slow.latency = LatencyProfile.instant()
        slow.responder = lambda body: "return 2 * math.pi * r"
        assert [i.insert_text for i in await session.inline(URI, 3, 4)] == ["return 2 * math.pi * r"]


@pytest.mark.parametrize(
    "uri, text, line, character, settings",
    [
        ("file:///work/project/never-opened.py", None, 0, 0, {}),
        (URI, "x = 1\n" * 1000, 999, 0, {"maxDocumentChars": 1000}),
        (URI, "PK\x03\x04\x00\x00binary\x00\n", 0, 3, {}),
        ("file:///work/project/.env", "API_TOKEN=hunter2-secret\nDEBUG=", 1, 6, {}),
        ("file:///home/me/.ssh/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n", 1, 0, {}),
        ("file:///work/project/certs/server.pem", "-----BEGIN CERTIFICATE-----\n", 1, 0, {}),
        ("file:///work/project/notes/plan.txt", "todo: ship it\nnext: ", 1, 6, {"exclude": ["**/notes/*.txt"]}),
        (URI, TEXT, 3, 4, {"languages": {"python": False}}),
    ],
    ids=[
        "unknown-document",
        "over-size-cap",
        "binary",
        "dotenv",
        "ssh-key",
        "pem",
        "user-glob",
        "language-disabled",
    ],
)
async def test_requests_we_refuse_get_an_empty_answer_and_send_nothing(
    start_session: Any, uri: str, text: str | None, line: int, character: int, settings: dict[str, Any]
) -> None:
    session: Session = await start_session("neovim", **settings)
    if text is not None:
        session.open(uri, text)
    assert await session.inline(uri, line, character) == []
    assert session.fake.requests == [], "nothing may reach the endpoint"
    # ... and the server is still serving.
    session.open(URI.replace("app", "other"), TEXT)
    session.fake.responder = lambda body: "return r"
    assert [i.insert_text for i in await session.inline(URI.replace("app", "other"), 3, 4)] == [
        "return r"
    ] or settings.get("languages")


async def test_excluded_file_reports_disabled_status(start_session: Any) -> None:
    session: Session = await start_session("vscode")
    session.open("file:///work/project/.env.production", "SECRET=abc\nOTHER=")
    assert await session.inline("file:///work/project/.env.production", 1, 6) == []
    status = await session.wait_for_status("disabled")
    assert status["uri"] == "file:///work/project/.env.production"


async def test_invalid_settings_are_named_once_and_the_rest_still_apply(start_session: Any) -> None:
    session: Session = await start_session("neovim", debounceMs="fast", model="codestral-2508", temperature=9)
    (warning,) = [m.message for m in session.client.messages if m.type == types.MessageType.Warning]
    assert "debounceMs" in warning and "temperature" in warning and "model" not in warning
    session.open(URI, TEXT)
    await session.inline(URI, 3, 4)
    assert session.fake.requests[-1].body["model"] == "codestral-2508"


async def test_settings_change_through_did_change_configuration(start_session: Any) -> None:
    session: Session = await start_session("vscode")
    session.open(URI, TEXT)
    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codestral": {"model": "codestral-2501", "maxTokens": 64}})
    )

    # The switch is asynchronous: ask until the new settings are in force.
    async def model_sent() -> str:
        await session.inline(URI, 3, 4)  # one racing the switch is answered empty, unsent
        return str(session.fake.requests[-1].body["model"]) if session.fake.requests else ""

    for _ in range(50):
        if await model_sent() == "codestral-2501":
            break
        await asyncio.sleep(0.1)
    body = session.fake.requests[-1].body
    assert body["model"] == "codestral-2501" and body["max_tokens"] == 64
