"""End to end: settings from a configuration pull and a push, answered out of order; the newer ones win."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from codestral_ls.simulator.mistral import FakeMistral
from support.lsp_session import API_KEY, SERVER_ENV, Session, capabilities

SECRET_URI = "file:///work/project/secrets/tokens.py"
OPEN_URI = "file:///work/project/app.py"
TEXT = "import os\n\ndef token():\n    \n"


async def test_a_configuration_reply_older_than_a_push_does_not_undo_it(fake: FakeMistral) -> None:
    base = {"endpoint": fake.base_url, "apiKey": API_KEY, "debounceMs": 0}
    client = await ClientServerConfig(
        server_command=[sys.executable, "-m", "codestral_ls", "--log-level", "INFO"], server_env=SERVER_ENV
    ).start()
    assert isinstance(client, LanguageClient)
    statuses: list[dict[str, Any]] = []

    @client.feature("codestral/status")  # type: ignore[untyped-decorator]  # pygls leaves it untyped
    def on_status(_ls: LanguageClient, params: Any) -> None:
        statuses.append({"state": params.state, "message": params.message, "uri": getattr(params, "uri", None)})

    # What the client answers to the server's pull: the settings as they were before the user
    # added an exclude (editors answer with every key, defaults included).
    client.set_configuration(section="codestral", item={**base, "exclude": []})
    try:
        caps = capabilities("neovim")  # pulls workspace/configuration
        assert caps.workspace is not None and caps.workspace.configuration
        await client.initialize_session(
            types.InitializeParams(capabilities=caps, initialization_options=base, process_id=os.getpid())
        )
        # The push leaves right behind `initialized`, so it reaches the server before the reply
        # to the pull that `initialized` starts can come back.
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codestral": {**base, "exclude": ["**/secrets/**"]}})
        )
        session = Session(client=client, fake=fake, statuses=statuses, encoding="utf-8")
        await session.wait_for_status("ready")
        fake.responder = lambda body: "return os.environ['TOKEN']"
        session.open(SECRET_URI, TEXT)
        assert await session.inline(SECRET_URI, 3, 4) == []
        assert fake.requests == [], "the excluded file reached the endpoint: the older settings won"
        # The server still answers for files the exclude does not cover.
        session.open(OPEN_URI, TEXT)
        assert [i.insert_text for i in await session.inline(OPEN_URI, 3, 4)] == ["return os.environ['TOKEN']"]
    finally:
        await asyncio.wait_for(client.shutdown_session(), 10)
