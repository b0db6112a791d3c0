"""End to end: the LSP 3.17 lifecycle of the real server process over stdio (issue 10).

Requests before `initialize` get -32002 and never reach a backend; requests after `shutdown` get
-32600; `exit` without `shutdown` exits 1 (with it: 0); the server exits when the editor's
process (`processId`) dies.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from codestral_ls.bench.lsp_client import LspClient, LspError, frame
from codestral_ls.simulator.mistral import FakeMistral
from support.lsp_session import API_KEY, SERVER_ENV

URI = "file:///work/project/app.py"
SERVER = [sys.executable, "-m", "codestral_ls", "--log-level", "INFO"]


@pytest.fixture
async def spawn() -> AsyncIterator[Callable[..., Any]]:
    clients: list[LspClient] = []

    async def start() -> LspClient:
        client = await LspClient.spawn(SERVER, env=SERVER_ENV)
        clients.append(client)
        return client

    yield start
    for client in clients:
        if client.process is not None and client.process.returncode is None:
            client.process.kill()
        await client.close(timeout_s=5)


def options(fake: FakeMistral) -> dict[str, Any]:
    return {"endpoint": fake.base_url, "apiKey": API_KEY, "debounceMs": 0}


def open_document(client: LspClient) -> None:
    document = {"uri": URI, "languageId": "python", "version": 1, "text": "def f():\n    \n"}
    client.notify("textDocument/didOpen", {"textDocument": document})


def inline_params(line: int = 1, character: int = 4) -> dict[str, Any]:
    return {
        "textDocument": {"uri": URI},
        "position": {"line": line, "character": character},
        "context": {"triggerKind": 1},
    }


async def error_code(pending: Any) -> int | None:
    try:
        await asyncio.wait_for(pending.reply(), 20)
    except LspError as exc:
        return exc.code
    return None


async def exited(client: LspClient, timeout_s: float = 20) -> int:
    assert client.process is not None
    return await asyncio.wait_for(client.process.wait(), timeout_s)


async def test_requests_before_initialize_get_server_not_initialized(spawn: Any, fake: FakeMistral) -> None:
    client = await spawn()
    open_document(client)  # a notification before initialize: dropped
    assert await error_code(client.send_request("textDocument/inlineCompletion", inline_params())) == -32002
    assert await error_code(client.send_request("shutdown")) == -32002
    await client.initialize(options(fake))
    # The didOpen sent before initialize was dropped: the document is unknown, nothing is asked.
    assert await client.request("textDocument/inlineCompletion", inline_params()) in ({"items": []}, None, [])
    assert fake.requests == []
    open_document(client)
    fake.responder = lambda body: "return 1"
    reply = await client.request("textDocument/inlineCompletion", inline_params())
    assert reply["items"][0]["insertText"] == "return 1"
    assert len(fake.requests) == 1


async def test_initialize_twice_is_an_invalid_request(spawn: Any, fake: FakeMistral) -> None:
    client = await spawn()
    await client.initialize(options(fake))
    params = {"processId": os.getpid(), "capabilities": {}}
    assert await error_code(client.send_request("initialize", params)) == -32600


async def test_requests_after_shutdown_get_invalid_request(spawn: Any, fake: FakeMistral) -> None:
    client = await spawn()
    await client.initialize(options(fake))
    open_document(client)
    assert await client.request("shutdown") is None
    assert await error_code(client.send_request("textDocument/inlineCompletion", inline_params())) == -32600
    assert await error_code(client.send_request("shutdown")) == -32600
    assert fake.requests == []
    client.notify("exit")
    assert await exited(client) == 0


@pytest.mark.parametrize(("shutdown_first", "expected_code"), [(True, 0), (False, 1)])
async def test_exit_code_says_whether_shutdown_came_first(
    spawn: Any, fake: FakeMistral, shutdown_first: bool, expected_code: int
) -> None:
    client = await spawn()
    await client.initialize(options(fake))
    if shutdown_first:
        await client.request("shutdown")
    client.notify("exit")
    assert await exited(client) == expected_code


async def test_exit_before_initialize_is_honoured(spawn: Any) -> None:
    client = await spawn()
    client.notify("exit")
    assert await exited(client) == 1


async def test_server_exits_when_the_editor_process_dies(spawn: Any, fake: FakeMistral) -> None:
    # The "editor" is a separate process; our test process keeps the server's stdin open, as a
    # wrapper script or a crashed editor's orphaned pipe would.
    editor = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(120)")
    try:
        client = await spawn()
        await client.request(
            "initialize",
            {"processId": editor.pid, "capabilities": {}, "initializationOptions": options(fake)},
        )
        client.notify("initialized", {})
        assert await error_code(client.send_request("codestral/unknown-ping")) == -32601  # it is serving
    finally:
        editor.kill()
        await editor.wait()  # reaped: the pid is gone, not a zombie
    assert await exited(client, timeout_s=30) == 1


async def test_an_invisible_editor_process_is_not_watched(spawn: Any, fake: FakeMistral) -> None:
    # A processId from another PID namespace (a dev container) cannot be seen: keep serving.
    client = await spawn()
    await client.request(
        "initialize", {"processId": 2**22 + 12345, "capabilities": {}, "initializationOptions": options(fake)}
    )
    client.notify("initialized", {})
    # The watch decides at its first look, before these are read; a server that stopped would not answer.
    for _ in range(2):
        assert await error_code(client.send_request("codestral/unknown-ping")) == -32601
    assert client.process is not None and client.process.returncode is None


async def test_stdin_from_a_file_is_served_too(tmp_path: Any) -> None:
    # Not a pipe: read by a thread, through the same frame reader and lifecycle.
    messages: list[dict[str, Any]] = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    script = tmp_path / "session.lsp"
    script.write_bytes(b"".join(frame(message) for message in messages))
    with script.open("rb") as stdin:
        process = await asyncio.create_subprocess_exec(
            *SERVER, stdin=stdin, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, env=SERVER_ENV
        )
        out, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert b'"id": 1, "jsonrpc": "2.0", "result": {"capabilities"' in out
    assert b'"id": 2, "jsonrpc": "2.0", "result": null' in out
