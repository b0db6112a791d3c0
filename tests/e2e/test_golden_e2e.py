"""Every golden case through the real server over stdio: the fake Codestral streams the case's
raw output (honouring the request's stop and max_tokens, as the service does), and the inline
completion the editor receives must be the case's expected text and replace range."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import pytest
from lsprotocol import types

from codestral_ls.simulator.mistral import FakeMistral, LatencyProfile
from golden.cases import GoldenCase, load_cases
from support.lsp_session import API_KEY, Session

CASES = load_cases()
BY_LANGUAGE: dict[str, list[GoldenCase]] = defaultdict(list)
for _case in CASES:
    BY_LANGUAGE[_case.language_id].append(_case)

# Every case is a fresh question: identical documents in two cases must not share answers.
SETTINGS: dict[str, Any] = {
    "cacheSize": 0,
    "reuse": False,
    "prefetch": False,
    "languages": {"*": True},
}
EXTENSIONS = {
    "python": "py",
    "typescript": "ts",
    "typescriptreact": "tsx",
    "javascript": "js",
    "go": "go",
    "rust": "rs",
    "java": "java",
    "c": "c",
    "cpp": "cpp",
    "csharp": "cs",
    "ruby": "rb",
    "php": "php",
    "sql": "sql",
    "yaml": "yaml",
    "json": "json",
    "markdown": "md",
    "html": "html",
    "css": "css",
    "toml": "toml",
    "lua": "lua",
    "shellscript": "sh",
}


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def ask(session: Session, case: GoldenCase) -> tuple[str | None, int]:
    """Open the case's document, stream its raw output, return (text or None, replaced units)."""
    uri = f"file:///golden/{case.name}.{EXTENSIONS.get(case.language_id, 'txt')}"
    session.open(uri, case.text, language_id=case.language_id)
    raw = case.raw
    session.fake.responder = lambda body: raw
    line, character = case.cursor
    line_text = case.text.split("\n")[line]
    items = await session.inline(uri, line, utf16(line_text[:character]))
    session.client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    if not items:
        return None, 0
    item = items[0]
    assert isinstance(item.insert_text, str)
    assert item.range is not None and item.range.start.line == item.range.end.line == line
    return item.insert_text, item.range.end.character - item.range.start.character


@pytest.mark.parametrize("language_id", sorted(BY_LANGUAGE))
async def test_golden_cases_through_the_server(start_session: Any, language_id: str) -> None:
    session: Session = await start_session("vscode", **SETTINGS)
    failures = []
    for case in BY_LANGUAGE[language_id]:
        text, replaced = await ask(session, case)
        expected_units = utf16(case.text.split("\n")[case.cursor[0]][case.cursor[1] :][: case.replace_chars])
        if (text, replaced if text is not None else 0) != (
            case.expected,
            expected_units if case.expected is not None else 0,
        ):
            failures.append(
                f"{case.source} {case.name}: got {text!r} replacing {replaced}, "
                f"expected {case.expected!r} replacing {expected_units}"
            )
    assert failures == []


async def test_the_http_stream_is_closed_as_soon_as_the_suggestion_is_complete(
    start_session: Any,
) -> None:
    # A model that runs on past the block, slowly enough that the stop shows on the wire.
    case = next(c for c in CASES if c.name == "go-err-check-runs-on")
    latency = LatencyProfile(
        ttft_median_ms=0, ttft_sigma=0, ttft_min_ms=0, ttft_max_ms=0, per_token_ms=30, chunk_chars=4
    )
    async with FakeMistral(latency=latency, api_key=API_KEY) as slow:
        session: Session = await start_session("vscode", fake_server=slow, **SETTINGS)
        text, _ = await ask(session, case)
        assert text == case.expected
        assert await slow.wait_for_disconnects(1) >= 1
        record = slow.requests[-1]
        assert record.disconnected and not record.completed
        total_chunks = -(-len(case.raw) // 4)
        # The server stopped reading within a few chunks of the block's end.
        assert record.chunks_sent < total_chunks / 2
        await asyncio.sleep(0)


async def test_a_single_line_plan_sends_no_newline_stop_and_hangs_up_after_the_line(start_session: Any) -> None:
    # The filter, not a stop sequence, ends a single line: the request carries no "\n" stop and
    # the client hangs up once the line is complete, before the run-on lines are sent.
    case = next(c for c in CASES if c.name == "go-plain-line-stays-one-line")
    latency = LatencyProfile(
        ttft_median_ms=0, ttft_sigma=0, ttft_min_ms=0, ttft_max_ms=0, per_token_ms=30, chunk_chars=4
    )
    async with FakeMistral(latency=latency, api_key=API_KEY) as slow:
        session: Session = await start_session("vscode", fake_server=slow, **SETTINGS)
        text, _ = await ask(session, case)
        assert text == case.expected
        assert await slow.wait_for_disconnects(1) >= 1
        record = slow.requests[-1]
        assert "\n" not in record.body.get("stop", [])
        assert record.disconnected and not record.completed
        assert record.chunks_sent < -(-len(case.raw) // 4)
