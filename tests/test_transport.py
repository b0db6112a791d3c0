"""The protocol layer in process: pygls' request table does not keep a future per notification.

pygls 2 files the future of every generator or async handler under an id in its request table
and only a request's reply took it out: each didOpen/didChange/didClose left one behind for good.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from codestral_ls.server import create_server
from codestral_ls.transport import CodestralProtocol

URI = "file:///work/project/app.py"


class Captured:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.messages.append(json.loads(data.split(b"\r\n\r\n", 1)[1]))

    def close(self) -> None:
        pass


def body(method: str, params: Any, msg_id: int | None = None) -> bytes:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    if msg_id is not None:
        message["id"] = msg_id
    return json.dumps(message).encode()


def change(version: int, character: int) -> bytes:
    position = {"line": 0, "character": character}
    return body(
        "textDocument/didChange",
        {
            "textDocument": {"uri": URI, "version": version},
            "contentChanges": [{"range": {"start": position, "end": position}, "text": "x"}],
        },
    )


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_notifications_leave_nothing_in_the_request_table() -> None:
    server = create_server(env={})
    protocol = server.protocol
    assert isinstance(protocol, CodestralProtocol)
    writer = Captured()
    protocol.set_writer(writer)
    protocol.receive(body("initialize", {"capabilities": {}, "processId": None}, msg_id=1))
    protocol.receive(body("initialized", {}))
    await settle()
    for round_ in range(100):
        document = {"uri": URI, "languageId": "python", "version": 1, "text": "def f():\n    pass\n"}
        protocol.receive(body("textDocument/didOpen", {"textDocument": document}))
        for key in range(8):
            protocol.receive(change(key + 2, key))
        protocol.receive(body("textDocument/didClose", {"textDocument": {"uri": URI}}))
        protocol.receive(body("workspace/didChangeConfiguration", {"settings": {"codestral": {"debounceMs": round_}}}))
    await settle()
    assert protocol.pending_count == 0  # before the fix: one per notification, ~1,100 here
    assert any(message.get("id") == 1 and "result" in message for message in writer.messages)
    await server.aclose()


async def test_internal_errors_are_logged_and_told_once_not_per_message() -> None:
    from pygls.exceptions import FeatureNotificationError, FeatureRequestError, JsonRpcInternalError

    server = create_server(env={})
    protocol = server.protocol
    assert isinstance(protocol, CodestralProtocol)
    writer = Captured()
    protocol.set_writer(writer)
    protocol.receive(body("initialize", {"capabilities": {}}, msg_id=1))
    for _ in range(5):
        server.report_server_error(JsonRpcInternalError("boom"), FeatureNotificationError)
        server.report_server_error(JsonRpcInternalError("request boom"), FeatureRequestError)
    shown = [m for m in writer.messages if m.get("method") == "window/showMessage"]
    assert len(shown) == 1
    assert "Error in server" not in shown[0]["params"]["message"]
    await server.aclose()
