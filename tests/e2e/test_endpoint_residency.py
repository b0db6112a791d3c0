"""Data residency end to end: an endpoint or backend the server cannot use is an error, never a
silent fallback to the global Mistral host. A local proxy stands where the internet would be: any
fallback request would have to pass through it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from lsprotocol import types

from support.lsp_session import Session

URI = "file:///work/project/app.py"
TEXT = "import math\n\ndef area(r):\n    \n"


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A proxy that records what each connection asks for and answers nothing useful."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readline())
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}", seen


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("endpoint", "localhost:8787"),
        ("endpoint", "ftp://files.example.com"),
        ("endpoint", "https://"),
        ("endpoint", 8787),
        ("backend", "vllm"),
    ],
)
async def test_an_unusable_endpoint_or_backend_is_told_once_and_no_host_is_called(
    start_session: Any, proxy: tuple[str, list[bytes]], key: str, value: Any
) -> None:
    proxy_url, seen = proxy
    routes_through_proxy = {
        "HTTPS_PROXY": proxy_url,
        "HTTP_PROXY": proxy_url,
        "ALL_PROXY": proxy_url,
        "https_proxy": proxy_url,
        "http_proxy": proxy_url,
        "all_proxy": proxy_url,
        "NO_PROXY": "",
        "no_proxy": "",
    }
    # `endpoint=None` drops the fake's URL for the backend case: only the default host is left.
    settings = {key: value} if key == "endpoint" else {key: value, "endpoint": None}
    session: Session = await start_session("vscode", env=routes_through_proxy, **settings)
    session.open(URI, TEXT)
    results = [await session.inline(URI, 3, 4) for _ in range(3)]
    assert results == [[], [], []]
    await asyncio.sleep(0.2)  # a fallback request would have reached the proxy by now
    assert seen == []
    told = [
        m.message for m in session.client.messages if m.type in (types.MessageType.Error, types.MessageType.Warning)
    ]
    assert len(told) == 1, told
    assert f"codestral.{key}" in told[0] and "is not used instead" in told[0]
    status = await session.wait_for_status("disabled")
    assert f"codestral.{key}" in status["message"]
