"""End to end: the protocol around completions: status, progress, commands, bad input."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from lsprotocol import types

from codestral_ls.simulator.mistral import FakeMistral, LatencyProfile
from support.lsp_session import API_KEY, SERVER_ENV, Session, until

URI = "file:///work/project/app.py"


def slow_fake() -> FakeMistral:
    still = dict(ttft_sigma=0, per_token_ms=10)
    return FakeMistral(
        latency=LatencyProfile(ttft_median_ms=400, ttft_min_ms=400, ttft_max_ms=400, **still), api_key=API_KEY
    )


async def test_slow_request_shows_fetching_then_ready(start_session: Any) -> None:
    async with slow_fake() as slow:
        session: Session = await start_session("vscode", fake_server=slow)
        session.open(URI, "def f():\n    \n")
        slow.responder = lambda body: "return 1"
        await session.inline(URI, 1, 4)
        await until(lambda: session.statuses[-1]["state"] == "ready")
        states = [s["state"] for s in session.statuses]
        assert states == ["ready", "fetching", "ready"]


async def test_plain_clients_get_work_done_progress_for_slow_requests(start_session: Any) -> None:
    async with slow_fake() as slow:
        session: Session = await start_session("neovim", fake_server=slow)  # its capture has workDoneProgress
        session.open(URI, "def f():\n    \n")
        slow.responder = lambda body: "return 1"
        await session.inline(URI, 1, 4)

        def kinds() -> list[str | None]:
            reports = session.client.progress_reports.values()
            return [getattr(report, "kind", None) for each in reports for report in each]

        await until(lambda: "begin" in kinds() and "end" in kinds())


async def test_inline_capable_clients_get_no_duplicate_menu_entry(start_session: Any) -> None:
    session: Session = await start_session("vscode")
    session.open(URI, "def f():\n    \n")
    result = await session.client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI), position=types.Position(line=1, character=4)
        )
    )
    assert isinstance(result, types.CompletionList) and list(result.items) == []
    assert session.fake.requests == []


def _frame(payload: dict[str, Any] | bytes) -> bytes:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


async def _read_message(stdout: asyncio.StreamReader) -> dict[str, Any]:
    length = 0
    while True:
        line = await stdout.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(await stdout.readexactly(length))  # type: ignore[no-any-return]


async def test_malformed_messages_do_not_stop_the_server() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codestral_ls",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=SERVER_ENV,
    )
    assert process.stdin and process.stdout
    try:
        process.stdin.write(_frame(b"{this is not json"))
        process.stdin.write(
            _frame(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"capabilities": {}, "processId": os.getpid()},
                }
            )
        )
        await process.stdin.drain()
        reply = await asyncio.wait_for(_read_message(process.stdout), 20)
        while reply.get("id") != 1:
            reply = await asyncio.wait_for(_read_message(process.stdout), 20)
        assert "inlineCompletionProvider" in reply["result"]["capabilities"]
        # A request whose params do not fit the method gets an error reply, not a crash.
        process.stdin.write(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        process.stdin.write(
            _frame(
                {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "method": "textDocument/inlineCompletion",
                    "params": {"position": "nowhere"},
                }
            )
        )
        process.stdin.write(_frame({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}))
        await process.stdin.drain()
        seen: dict[int, dict[str, Any]] = {}
        while 3 not in seen:
            message = await asyncio.wait_for(_read_message(process.stdout), 20)
            if isinstance(message.get("id"), int):
                seen[message["id"]] = message
        assert "error" in seen[2]
        assert seen[3].get("result", "missing") is None
        process.stdin.write(_frame({"jsonrpc": "2.0", "method": "exit"}))
        await process.stdin.drain()
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
