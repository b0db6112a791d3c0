"""An LSP session for end-to-end tests: the real server as a subprocess, driven by pytest-lsp's
client with capability profiles captured from real editors, against a fake endpoint on loopback."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import attrs
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from codestral_ls.simulator.mistral import FakeMistral

API_KEY = "test-key-e2e-0123456789"

# Server env without any real keys from the developer's shell.
SERVER_ENV = {k: v for k, v in os.environ.items() if k not in ("CODESTRAL_API_KEY", "MISTRAL_API_KEY")}


def capabilities(profile: str) -> types.ClientCapabilities:
    """A real editor's captured capabilities; VS Code's capture predates inline completion."""
    if profile == "vscode":
        caps = pytest_lsp.client_capabilities("visual-studio-code@v1.65.2")
        assert caps.text_document is not None
        caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
        caps.general = caps.general or types.GeneralClientCapabilities()
        caps.general.position_encodings = [types.PositionEncodingKind.Utf16]
        return caps
    return pytest_lsp.client_capabilities("neovim@v0.11.0")


@attrs.define
class Session:
    client: LanguageClient
    fake: FakeMistral
    statuses: list[dict[str, Any]]
    encoding: str

    def open(self, uri: str, text: str, language_id: str = "python", version: int = 1) -> None:
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=version, text=text)
            )
        )

    def change(self, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=start[0], character=start[1]),
                            end=types.Position(line=end[0], character=end[1]),
                        ),
                        text=text,
                    )
                ],
            )
        )

    def inline_request(self, uri: str, line: int, character: int, *, automatic: bool = False) -> asyncio.Task[Any]:
        kind = types.InlineCompletionTriggerKind.Automatic if automatic else types.InlineCompletionTriggerKind.Invoked
        return asyncio.ensure_future(
            self.client.text_document_inline_completion_async(
                types.InlineCompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=types.Position(line=line, character=character),
                    context=types.InlineCompletionContext(trigger_kind=kind),
                )
            )
        )

    async def inline(
        self, uri: str, line: int, character: int, *, automatic: bool = False
    ) -> list[types.InlineCompletionItem]:
        result = await self.inline_request(uri, line, character, automatic=automatic)
        if result is None:
            return []
        return list(result.items if isinstance(result, types.InlineCompletionList) else result)

    async def wait_for_status(self, state: str, timeout_s: float = 5.0) -> dict[str, Any]:
        async def poll() -> dict[str, Any]:
            while True:
                for status in reversed(self.statuses):
                    if status["state"] == state:
                        return dict(status)
                await asyncio.sleep(0.01)

        return await asyncio.wait_for(poll(), timeout_s)


SessionFactory = Callable[..., "asyncio.Future[Session]"]


async def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Wait for `condition` to hold (generous timeout: the machine may be busy); fail otherwise."""

    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 - the state lives in another process
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout_s)
