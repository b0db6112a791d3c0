"""End to end: the protocol around completions: status, progress, commands, bad input."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from lsprotocol import types

from support.lsp_session import SERVER_ENV, Session, until

URI = "file:///work/project/app.py"


async def test_status_goes_ready_fetching_ready(start_session: Any) -> None:
    session: Session = await start_session("vscode")
    session.open(URI, "def f():\n    \n")
    session.fake.responder = lambda body: "return 1"
    await session.inline(URI, 1, 4)
    await until(lambda: session.statuses[-1]["state"] == "ready")
    states = [s["state"] for s in session.statuses]
    assert states[0] == "ready"
    assert "fetching" in states and states[-1] == "ready"


async def test_plain_clients_get_work_done_progress(start_session: Any) -> None:
    session: Session = await start_session("neovim")  # Neovim's capture has window.workDoneProgress
    session.open(URI, "def f():\n    \n")
    session.fake.responder = lambda body: "return 1"
    await session.inline(URI, 1, 4)
    await asyncio.sleep(0.3)
    kinds = [
        getattr(report, "kind", None) for reports in session.client.progress_reports.values() for report in reports
    ]
    assert "begin" in kinds and "end" in kinds


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
