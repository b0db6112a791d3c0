"""End to end: real server subprocess, real LSP client with captured editor capabilities,
fake Codestral endpoint on loopback."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

from codestral_ls.simulator.mistral import FakeMistral, LatencyProfile
from support.lsp_session import API_KEY, Session, until

URI = "file:///work/project/app.py"


def units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


@pytest.mark.parametrize("profile, encoding", [("neovim", "utf-8"), ("vscode", "utf-16")])
async def test_ghost_text_lands_at_the_cursor_in_the_negotiated_encoding(
    start_session: Any, profile: str, encoding: str
) -> None:
    session: Session = await start_session(profile)
    assert session.encoding == encoding
    line = 'greeting = "日本語 😀 café" + '
    session.open(URI, f"import os\n{line}\n")
    session.fake.responder = lambda body: "name\n"
    items = await session.inline(URI, 1, units(line, encoding))
    assert [item.insert_text for item in items] == ["name"]
    assert items[0].range is not None
    assert items[0].range.start == types.Position(line=1, character=units(line, encoding))
    # What the model saw: the exact text before and after the cursor.
    body = session.fake.requests[-1].body
    assert body["prompt"] == f"import os\n{line}"
    assert body["suffix"].startswith("\n")
    assert body["model"] == "codestral-latest" and body["stream"] is True


async def test_typing_is_tracked_incrementally_and_sent_as_typed(start_session: Any) -> None:
    session: Session = await start_session("vscode")
    session.open(URI, "def add(a, b):\n    \n\nprint(add(1, 2))\n")
    for version, char in enumerate("return", start=2):
        column = 4 + version - 2
        session.change(URI, version, (1, column), (1, column), char)
    session.fake.responder = lambda body: " a + b"
    items = await session.inline(URI, 1, 10)
    assert [item.insert_text for item in items] == [" a + b"]
    body = session.fake.requests[-1].body
    assert body["prompt"] == "def add(a, b):\n    return"
    assert body["suffix"] == "\n\nprint(add(1, 2))\n"
    # No "\n" stop even for one line: the filter ends the line in the stream (issue 9).
    assert "\n" not in body.get("stop", [])


async def test_crlf_document_gets_crlf_suggestions_and_lf_prompts(start_session: Any) -> None:
    session: Session = await start_session("vscode")
    session.open(URI, "class A:\r\n    def f(self):\r\n        \r\n")
    session.fake.responder = lambda body: "x = 1\n        return x"
    items = await session.inline(URI, 2, 8)
    assert items and items[0].insert_text == "x = 1\r\n        return x"
    assert "\r" not in session.fake.requests[-1].body["prompt"]


async def test_completion_menu_fallback_inserts_the_suggestion(start_session: Any) -> None:
    session: Session = await start_session("neovim")
    session.open(URI, "def add(a, b):\n    ret\n")
    session.fake.responder = lambda body: "urn a + b"
    result = await session.client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI), position=types.Position(line=1, character=7)
        )
    )
    assert isinstance(result, types.CompletionList)
    (item,) = result.items
    assert isinstance(item.text_edit, types.TextEdit)
    # The edit re-types the word before the cursor so menus can filter on it.
    assert item.text_edit.new_text == "return a + b"
    assert item.text_edit.range.start == types.Position(line=1, character=4)
    assert item.text_edit.range.end == types.Position(line=1, character=7)


@pytest.mark.parametrize(
    ("trigger_kind", "asks"),
    [
        pytest.param(types.CompletionTriggerKind.Invoked, True, id="invoked-asks-even-mid-line"),
        pytest.param(types.CompletionTriggerKind.TriggerCharacter, False, id="typing-mid-line-does-not-ask"),
    ],
)
async def test_a_menu_the_user_opens_is_an_explicit_request(
    start_session: Any, trigger_kind: types.CompletionTriggerKind, asks: bool
) -> None:
    session: Session = await start_session("neovim")
    session.open(URI, "values = (items, limit)\n")
    session.fake.responder = lambda body: "compute"
    result = await session.client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=0, character=10),
            context=types.CompletionContext(
                trigger_kind=trigger_kind,
                trigger_character="(" if trigger_kind == types.CompletionTriggerKind.TriggerCharacter else None,
            ),
        )
    )
    assert isinstance(result, types.CompletionList)
    assert [item.text_edit.new_text for item in result.items if isinstance(item.text_edit, types.TextEdit)] == (
        ["compute"] if asks else []
    )
    assert len(session.fake.requests) == (1 if asks else 0)


async def test_client_cancel_aborts_the_http_request(start_session: Any) -> None:
    slow = FakeMistral(
        latency=LatencyProfile(ttft_median_ms=100, ttft_sigma=0, ttft_min_ms=100, ttft_max_ms=100, per_token_ms=300),
        api_key=API_KEY,
    )
    async with slow:
        session: Session = await start_session("vscode", fake_server=slow)
        session.open(URI, "def mean(values):\n    \n")
        slow.responder = lambda body: "return sum(values) / len(values) if values else 0.0"
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=1, character=4),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )
        request = asyncio.ensure_future(
            session.client.protocol.send_request_async(  # type: ignore[no-untyped-call]  # untyped in pygls
                "textDocument/inlineCompletion", params, msg_id="to-cancel"
            )
        )
        await until(lambda: bool(slow.requests))  # the request reached the endpoint
        session.client.cancel_request(types.CancelParams(id="to-cancel"))
        with pytest.raises(JsonRpcRequestCancelled):
            await request
        assert await slow.wait_for_disconnects(1) >= 1
        record = slow.requests[-1]
        assert record.disconnected and not record.completed


async def test_repeated_request_is_served_from_cache_without_a_model_call(start_session: Any) -> None:
    session: Session = await start_session("neovim")
    session.open(URI, "import math\n\ndef area(r):\n    \n")
    session.fake.responder = lambda body: "return math.pi * r ** 2"
    first = await session.inline(URI, 3, 4)
    calls = len(session.fake.requests)
    second = await session.inline(URI, 3, 4)
    assert [i.insert_text for i in first] == [i.insert_text for i in second] == ["return math.pi * r ** 2"]
    assert len(session.fake.requests) == calls


async def test_typing_through_a_suggestion_costs_no_request(start_session: Any) -> None:
    session: Session = await start_session("vscode")
    session.open(URI, "import math\n\ndef area(r):\n    \n")
    session.fake.responder = lambda body: "return math.pi * r ** 2"
    await session.inline(URI, 3, 4)
    calls = len(session.fake.requests)
    for version, char in enumerate("return", start=2):
        column = 4 + version - 2
        session.change(URI, version, (3, column), (3, column), char)
        items = await session.inline(URI, 3, column + 1, automatic=True)
        assert [i.insert_text for i in items] == ["return math.pi * r ** 2"[version - 1 :]]
    assert len(session.fake.requests) == calls


async def test_closed_document_is_forgotten(start_session: Any) -> None:
    session: Session = await start_session("neovim")
    session.open(URI, "x = 1\n")
    session.client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=URI))
    )
    assert await session.inline(URI, 0, 5) == []
    assert session.fake.requests == []
