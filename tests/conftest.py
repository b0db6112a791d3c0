"""Fixtures shared by every test tier: a fake Codestral endpoint and real-server LSP sessions."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from codestral_ls.simulator.mistral import FakeMistral, LatencyProfile
from support.lsp_session import API_KEY, SERVER_ENV, Session, capabilities


@pytest.fixture
async def fake() -> AsyncIterator[FakeMistral]:
    async with FakeMistral(latency=LatencyProfile.instant(), api_key=API_KEY) as server:
        yield server


@pytest.fixture
async def start_session(fake: FakeMistral) -> AsyncIterator[Callable[..., Any]]:
    """`session = await start_session("neovim", debounceMs=0, ...)`: settings go in as init options."""
    clients: list[LanguageClient] = []

    async def start(
        profile: str = "neovim",
        *,
        fake_server: FakeMistral | None = None,
        env: dict[str, str] | None = None,
        **settings: Any,
    ) -> Session:
        server = fake_server or fake
        config = ClientServerConfig(
            server_command=[sys.executable, "-m", "codestral_ls", "--log-level", "INFO"],
            server_env={**SERVER_ENV, **(env or {})},
        )
        client = await config.start()
        assert isinstance(client, LanguageClient)
        statuses: list[dict[str, Any]] = []

        @client.feature("codestral/status")  # type: ignore[untyped-decorator]  # pygls leaves it untyped
        def on_status(_ls: LanguageClient, params: Any) -> None:
            statuses.append({"state": params.state, "message": params.message, "uri": getattr(params, "uri", None)})

        options = {"endpoint": server.base_url, "apiKey": API_KEY, "debounceMs": 0, **settings}
        options = {k: v for k, v in options.items() if v is not None}
        caps = capabilities(profile)
        result = await client.initialize_session(
            types.InitializeParams(capabilities=caps, initialization_options=options, process_id=os.getpid())
        )
        clients.append(client)
        encoding = result.capabilities.position_encoding or "utf-16"
        session = Session(client=client, fake=server, statuses=statuses, encoding=str(encoding))
        await session.wait_for_status("ready")
        return session

    yield start
    for client in clients:
        try:
            await asyncio.wait_for(client.shutdown_session(), 10)
        except Exception:  # the test may have killed the server on purpose
            pass
