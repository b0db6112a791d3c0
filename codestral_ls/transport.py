"""How LSP messages get in: stdin read on the event loop, and pygls' protocol minus its document copies.

pygls reads stdin through a thread pool: three thread hops per message (two header lines and the
body), ~0.4 ms a round trip. A pipe registered with the loop costs none of that.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Generator
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

# The largest message we accept in one line or body (a didOpen of a big file).
STREAM_LIMIT = 1 << 28


class PipeReader:
    """pygls' reader interface (`readline`, `readexactly`) over an asyncio pipe."""

    def __init__(self, stdin: BinaryIO) -> None:
        self._stdin = stdin
        self._reader: asyncio.StreamReader | None = None

    async def _stream(self) -> asyncio.StreamReader:
        if self._reader is None:
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader(limit=STREAM_LIMIT)
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), self._stdin)
            self._reader = reader
        return self._reader

    async def readline(self) -> bytes:
        stream = await self._stream()
        try:
            return await stream.readline()
        except ValueError:  # a line over the limit: skip it rather than die
            return b"\r\n"

    async def readexactly(self, n: int) -> bytes:
        stream = await self._stream()
        try:
            return await stream.readexactly(n)
        except asyncio.IncompleteReadError as exc:
            return exc.partial


def is_pipe_or_socket(stream: BinaryIO) -> bool:
    """Only pipes and sockets can be registered with the event loop (not files or terminals)."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


class CodestralProtocol(LanguageServerProtocol):
    """pygls' protocol minus its own document copies.

    pygls keeps a `TextDocument` per file that re-splits the whole text on every edit (~22 ms a
    keystroke at 100k lines). Our `DocumentStore` replaces it, so these builtins only hand over
    to our handlers.
    """

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            # pygls logs a request whose params do not parse and never answers it, so the client
            # would wait forever: answer it with the error, then let pygls log it as before.
            msg_id = data.get("id") if isinstance(data, dict) else None
            if "method" in data and isinstance(msg_id, (int, str)):
                self._send_response(msg_id, error=exc.to_response_error())
            raise

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None
