"""The benchmark's JSON-RPC client against a tiny echo server in a child process."""

from __future__ import annotations

import asyncio
import sys

import pytest

from codestral_ls.bench.lsp_client import LspClient, LspError, frame, read_message

ECHO = r"""
import json, sys
out = sys.stdout.buffer
def send(msg):
    body = json.dumps(msg, ensure_ascii=False).encode("utf-8")
    out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body); out.flush()
held = {}
while True:
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        byte = sys.stdin.buffer.read(1)
        if not byte: sys.exit(0)
        head += byte
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    msg = json.loads(sys.stdin.buffer.read(length))
    method = msg.get("method")
    if method == "hold":
        held[msg["id"]] = msg
    elif method == "$/cancelRequest":
        send({"jsonrpc": "2.0", "id": msg["params"]["id"], "error": {"code": -32800, "message": "cancelled"}})
    elif method == "ask":
        send({"jsonrpc": "2.0", "id": 99, "method": "workspace/configuration", "params": {"items": [{}]}})
    elif method == "shutdown":
        send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
    elif method == "exit":
        sys.exit(0)
    elif "id" in msg:
        send({"jsonrpc": "2.0", "id": msg["id"], "result": msg.get("params")})
    else:
        send({"jsonrpc": "2.0", "method": "echo/" + method, "params": msg.get("params")})
"""


@pytest.fixture
async def client():  # type: ignore[no-untyped-def]
    lsp = await LspClient.spawn([sys.executable, "-c", ECHO])
    yield lsp
    await lsp.close()


async def test_request_roundtrip_with_non_ascii(client: LspClient) -> None:
    params = {"text": "naïve 😀 — ok", "n": 3}
    assert await client.request("echo", params) == params


async def test_timed_reply_measures_a_positive_duration(client: LspClient) -> None:
    result, seconds = await client.send_request("echo", [1]).timed()
    assert result == [1]
    assert seconds > 0


async def test_notifications_are_recorded_and_dispatched(client: LspClient) -> None:
    seen: list[object] = []
    client.on_notification("echo/ping", lambda params, _: seen.append(params))
    client.notify("ping", {"a": 1})
    await client.request("echo", None)  # the echo of the notification arrives first
    assert seen == [{"a": 1}]
    assert client.notifications[-1][:2] == ("echo/ping", {"a": 1})


async def test_cancel_gets_the_error_reply(client: LspClient) -> None:
    pending = client.send_request("hold", {})
    client.cancel(pending)
    with pytest.raises(LspError) as caught:
        await asyncio.wait_for(pending.reply(), 5)
    assert caught.value.code == -32800


async def test_server_requests_are_answered(client: LspClient) -> None:
    client.on_request("workspace/configuration", lambda params: [{"x": 1}])
    client.notify("ask")
    # The echo server does not read our answer back to us; it must simply not break the stream.
    assert await client.request("echo", "after") == "after"


async def test_frame_and_read_message_agree() -> None:
    reader = asyncio.StreamReader()
    message = {"jsonrpc": "2.0", "id": 1, "result": "é"}
    reader.feed_data(frame(message) + frame({"jsonrpc": "2.0", "method": "x"}))
    reader.feed_eof()
    assert await read_message(reader) == message
    assert await read_message(reader) == {"jsonrpc": "2.0", "method": "x"}
    assert await read_message(reader) is None
