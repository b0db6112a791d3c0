"""LSP's base protocol read robustly: Content-Length framed bodies, resynchronising after bad input.

One malformed frame must not leave the server deaf. Header names are matched without regard to
case (HTTP convention); a header line with garbage in front of it (the rest of a body whose
Content-Length was too short) is found at its end; unframed bytes are skipped, counted and
logged; a body that stops arriving before its Content-Length (the length was too long) is
given up after a stall, resuming at the next header inside what did arrive, and a body that does
not parse is searched for the header of the message it swallowed (`salvage`).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import re
import threading
from collections.abc import Callable
from typing import BinaryIO, Protocol

import attrs

log = logging.getLogger(__name__)

# The largest body we accept (a didOpen of a very big file); a larger Content-Length is refused.
MAX_BODY_BYTES = 1 << 28
# Without a newline after this many bytes we are not reading a header: keep only the tail.
MAX_HEADER_LINE = 1 << 16
# A body that stops arriving for this long before its Content-Length is complete is given up.
BODY_STALL_S = 3.0
READ_CHUNK = 1 << 16

_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*(\S*)[ \t]*$", re.IGNORECASE)
_ANY_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
_HEADER = re.compile(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]+[ \t]*:")


class LineKind(enum.Enum):
    END = "end of headers"
    LENGTH = "content-length"
    BAD_LENGTH = "bad content-length"
    OTHER_HEADER = "other header"
    GARBAGE = "garbage"


@attrs.frozen
class HeaderLine:
    kind: LineKind
    length: int = 0
    skipped: int = 0  # bytes of garbage in front of the header on this line


def classify(line: bytes) -> HeaderLine:
    """What one line (with or without its line ending) of the header part is."""
    text = line.rstrip(b"\r\n")
    if not text.strip():
        return HeaderLine(LineKind.END)
    match = _CONTENT_LENGTH.search(text)
    if match is not None:
        value = match.group(1)
        if value.isdigit() and int(value) <= MAX_BODY_BYTES:
            return HeaderLine(LineKind.LENGTH, int(value), match.start())
        return HeaderLine(LineKind.BAD_LENGTH, skipped=match.start())
    if _HEADER.match(text):
        return HeaderLine(LineKind.OTHER_HEADER)
    return HeaderLine(LineKind.GARBAGE, skipped=len(line))


def next_header_at(data: bytes | bytearray) -> int:
    """Where the next Content-Length header starts in `data`, -1 if none."""
    match = _ANY_CONTENT_LENGTH.search(data)
    return -1 if match is None else match.start()


class ByteSource(Protocol):
    async def read_chunk(self) -> bytes:
        """Some bytes, b"" at the end of the stream."""
        ...


class PipeSource:
    """Bytes from a pipe or socket registered with the event loop (no thread hops)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._reader: asyncio.StreamReader | None = None

    async def read_chunk(self) -> bytes:
        if self._reader is None:
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader(limit=MAX_BODY_BYTES)
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), self._stream)
            self._reader = reader
        return await self._reader.read(READ_CHUNK)


class ThreadSource:
    """Bytes from a file or terminal, read by a daemon thread (so it never holds up the exit)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._fd = stream.fileno()
        self._queue: asyncio.Queue[bytes] | None = None

    async def read_chunk(self) -> bytes:
        if self._queue is None:
            self._queue = asyncio.Queue()
            loop, queue = asyncio.get_running_loop(), self._queue

            def pump() -> None:
                while True:
                    try:
                        chunk = os.read(self._fd, READ_CHUNK)
                    except OSError:
                        chunk = b""
                    try:
                        loop.call_soon_threadsafe(queue.put_nowait, chunk)
                    except RuntimeError:  # the loop has closed: the server is exiting
                        return
                    if not chunk:
                        return

            threading.Thread(target=pump, name="codestral-ls stdin", daemon=True).start()
        return await self._queue.get()


class FrameReader:
    """Message bodies from a byte source; `on_malformed(description)` hears of every bad frame."""

    def __init__(
        self,
        source: ByteSource,
        on_malformed: Callable[[str], None] = lambda description: None,
        stall_s: float = BODY_STALL_S,
    ) -> None:
        self._source = source
        self._on_malformed = on_malformed
        self._stall_s = stall_s
        self._buffer = bytearray()
        self._eof = False
        self._pending: asyncio.Future[bytes] | None = None
        self._skipped = 0  # unframed bytes since the last good header

    async def next_body(self) -> bytes | None:
        """The next body, None at the end of the stream."""
        length: int | None = None
        while True:
            line = await self._readline()
            if line is None:
                self._report_skipped("before the end of the stream")
                return None
            header = classify(line)
            if header.kind is LineKind.END:
                if length is None:
                    continue
                body = await self._read_body(length)
                if body is None:
                    length = None
                    continue
                return body
            if header.kind is LineKind.LENGTH:
                self._skipped += header.skipped
                self._report_skipped("before a Content-Length header")
                length = header.length
            elif header.kind is LineKind.BAD_LENGTH:
                self._on_malformed(f"unusable Content-Length header {line.strip()[-60:]!r}; skipping to the next one")
                length = None
            elif header.kind is LineKind.GARBAGE:
                if self._skipped == 0:
                    log.warning("unframed input where a header was expected; waiting for the next Content-Length")
                self._skipped += header.skipped

    def salvage(self, body: bytes) -> None:
        """`body` did not parse: if a header starts inside it, its Content-Length ran into the next
        message, so read on from that header (raw CR LF cannot occur inside valid JSON strings)."""
        at = next_header_at(body[1:]) + 1
        if at > 0:
            self._buffer[:0] = body[at:]
            self._on_malformed(f"a message ran into the next one after {at} bytes (Content-Length too long?)")

    def _report_skipped(self, where: str) -> None:
        if self._skipped:
            self._on_malformed(f"skipped {self._skipped} bytes of unframed input {where}")
            self._skipped = 0

    async def _readline(self) -> bytes | None:
        searched = 0
        while True:
            end = self._buffer.find(b"\n", searched)
            if end >= 0:
                line = bytes(self._buffer[: end + 1])
                del self._buffer[: end + 1]
                return line
            if len(self._buffer) > MAX_HEADER_LINE:
                # A long run without a newline (the tail of a body, binary noise): keep only
                # enough to still see a header that starts at its end.
                keep = 64
                self._skipped += len(self._buffer) - keep
                del self._buffer[:-keep]
            searched = len(self._buffer)
            if not await self._fill(None):
                if not self._buffer:
                    return None
                line = bytes(self._buffer)
                self._buffer.clear()
                return line

    async def _read_body(self, length: int) -> bytes | None:
        """`length` bytes; None when the stream ended or stalled first (what came is then skipped)."""
        while len(self._buffer) < length:
            filled = await self._fill(self._stall_s)
            if filled is None:  # stalled: the Content-Length promised more than was sent
                got = len(self._buffer)
                resume = next_header_at(self._buffer)
                cut = resume if resume >= 0 else got
                del self._buffer[:cut]
                self._on_malformed(
                    f"a message stopped after {cut} of its {length} bytes (Content-Length too long?); "
                    + ("resuming at the next header" if resume >= 0 else "skipped it")
                )
                return None
            if not filled:
                if self._buffer:
                    self._on_malformed(f"the stream ended {length - len(self._buffer)} bytes into a message")
                    self._buffer.clear()
                return None
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        return body

    async def _fill(self, timeout_s: float | None) -> bool | None:
        """Read more: True if bytes came, False at the end, None if none came within `timeout_s`."""
        if self._eof:
            return False
        if self._pending is None and timeout_s is None:
            chunk = await self._source.read_chunk()
        else:
            if self._pending is None:
                self._pending = asyncio.ensure_future(self._source.read_chunk())
            done, _ = await asyncio.wait({self._pending}, timeout=timeout_s)
            if not done:
                return None  # the read stays pending: its bytes are kept for the next call
            chunk, self._pending = self._pending.result(), None
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True
