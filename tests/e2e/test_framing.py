"""End to end: malformed input on the real server's stdin, as raw bytes (issue 10).

After each malformed input a well-formed request must still get its reply (the server is not
deaf), and the user hears of malformed input at most once per session: no "Error in server"
window per message.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from codestral_ls.bench.lsp_client import LspClient, LspError
from codestral_ls.simulator.mistral import FakeMistral
from support.lsp_session import API_KEY, SERVER_ENV

URI = "file:///work/project/app.py"
SERVER = [sys.executable, "-m", "codestral_ls", "--log-level", "INFO"]


def raw(message: Any, length_delta: int = 0, name: bytes = b"Content-Length", line_end: bytes = b"\r\n") -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return name + b": %d" % (len(body) + length_delta) + line_end + line_end + body


NOTE = {"jsonrpc": "2.0", "method": "codestral/noted", "params": {}}

# name -> bytes that are wrong in one way; what follows them is a good request.
MALFORMED: dict[str, bytes] = {
    "short Content-Length": raw(NOTE, length_delta=-7),
    "long Content-Length, next message follows": raw(NOTE, length_delta=40),
    "long Content-Length, nothing follows (stall)": raw(NOTE, length_delta=4000),
    "garbage line between messages": b"this is not a header\r\n",
    "binary garbage without a line end": b"\x00\xff\xfe garbage \x80",
    "non-numeric Content-Length": b"Content-Length: lots\r\n\r\n{}",
    "Content-Length over 256 MB": b"Content-Length: 99999999999\r\n\r\n",
    "Content-Length 0": b"Content-Length: 0\r\n\r\n",
    "body that is not JSON": raw(b"{this is not json"),
    "body that is not UTF-8": raw(b'{"jsonrpc": "2.0", "method": "\xff\xfe"}'),
    "JSON that is not an object": raw(b"[1, 2, 3]"),
    "deeply nested JSON": raw(b"[" * 200_000 + b"]" * 200_000),
    "object without jsonrpc": raw({"id": 900, "method": "codestral/ping"}),
    "a 1 MB line without a newline": b"x" * (1 << 20),
    "notification params that do not fit (x3)": 3
    * raw({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"contentChanges": "nope"}}),
    "params that do not fit the method": raw(
        {"jsonrpc": "2.0", "id": 901, "method": "textDocument/inlineCompletion", "params": {"position": "nowhere"}}
    ),
}


@pytest.fixture
async def server(fake: FakeMistral) -> AsyncIterator[LspClient]:
    client = await LspClient.spawn(SERVER, env=SERVER_ENV)
    try:
        await client.initialize({"endpoint": fake.base_url, "apiKey": API_KEY, "debounceMs": 0})
        yield client
    finally:
        await client.close(timeout_s=5)


def shown_messages(client: LspClient) -> list[str]:
    return [str(params.get("message")) for method, params, _ in client.notifications if method == "window/showMessage"]


async def ping(client: LspClient, after: str = "") -> None:
    """A request through LspClient's own numbering: the server must answer it."""
    try:
        await client.request("codestral/ping", {}, timeout_s=30)
    except LspError as exc:
        assert exc.code == -32601, after  # method not found: answered, so the server heard it
    except TimeoutError:
        pytest.fail(f"the server went deaf after: {after}")
    else:
        pytest.fail(f"an unknown method was answered with a result after: {after}")


async def test_a_lower_case_header_name_is_accepted(server: LspClient, fake: FakeMistral) -> None:
    document = {"uri": URI, "languageId": "python", "version": 1, "text": "def f():\n    \n"}
    opened = json.dumps({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": document}})
    body = opened.encode()
    server.write_raw(b"content-length: %d\r\ncontent-type: application/vscode-jsonrpc\r\n\r\n" % len(body) + body)
    fake.responder = lambda body: "return 1"
    reply = await server.request(
        "textDocument/inlineCompletion",
        {"textDocument": {"uri": URI}, "position": {"line": 1, "character": 4}, "context": {"triggerKind": 1}},
        timeout_s=30,
    )
    assert reply["items"][0]["insertText"] == "return 1"  # the didOpen framed in lower case was read
    assert not shown_messages(server)


async def test_malformed_inputs_are_told_once_and_logged(fake: FakeMistral, tmp_path: Any) -> None:
    log_file = tmp_path / "server.log"
    client = await LspClient.spawn([*SERVER, "--log-file", str(log_file)], env=SERVER_ENV)
    try:
        await client.initialize({"endpoint": fake.base_url, "apiKey": API_KEY, "debounceMs": 0})
        for name, data in MALFORMED.items():
            client.write_raw(data)
            await client.drain()
            await ping(client, after=name)
            await ping(client, after=name)
            assert client.process is not None and client.process.returncode is None, name
        shown = shown_messages(client)
        assert len(shown) == 1, shown
        assert "malformed" in shown[0] and "Error in server" not in shown[0]
        assert await client.request("shutdown") is None
    finally:
        await client.close(timeout_s=5)
    logged = log_file.read_text(encoding="utf-8")
    assert logged.count("malformed input from the editor") >= len(MALFORMED) - 3
    assert "resuming at the next header" in logged or "ran into the next one" in logged
