"""Reading LSP messages from stdin on the event loop itself.

pygls reads stdin through a thread pool: three thread hops per message (two header lines and the
body), ~0.4 ms a round trip. A pipe registered with the loop costs none of that.
"""

from __future__ import annotations

import asyncio
import os
import stat
from typing import BinaryIO

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
