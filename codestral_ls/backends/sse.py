"""Incremental `text/event-stream` parsing: bytes in, each event's `data` payload out."""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncIterable, AsyncIterator

# Past the sentinel, the rest of a body is drained (for keep-alive) only up to this size.
MAX_DRAIN_BYTES = 64 * 1024

_LINE_END = re.compile(r"\r\n|\r|\n")


class SseParser:
    """Incremental `text/event-stream` parser: `feed()` text or bytes, get `data` payloads.

    Lines end with CRLF, CR or LF (also split across feeds); a blank line ends an event; its
    `data:` lines are joined with "\\n"; `:` comments and other fields are ignored. An event
    whose data is exactly `sentinel` sets `done` and everything after it is ignored. Call
    `close()` at EOF to get an unterminated last event (EOF without the sentinel is fine).
    """

    def __init__(self, sentinel: str | None = "[DONE]") -> None:
        self.sentinel = sentinel
        self.done = False
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""
        self._skip_lf = False
        self._started = False
        self._data: list[str] = []

    @property
    def pending_chars(self) -> int:
        """Characters of an unfinished line and event held back (to bound a hostile stream)."""
        return len(self._partial) + sum(len(line) for line in self._data)

    def feed(self, chunk: str | bytes) -> list[str]:
        """The data payloads of the events completed by `chunk`."""
        text = self._decoder.decode(chunk) if isinstance(chunk, bytes) else chunk
        return self._lines(text)

    def close(self) -> list[str]:
        """End of stream: the last event even without its blank line, if it has data."""
        out = self._lines(self._decoder.decode(b"", final=True))
        if self._partial:
            self._line(self._partial, out)
            self._partial = ""
        self._dispatch(out)
        return out

    def _lines(self, text: str) -> list[str]:
        out: list[str] = []
        if self.done or not text:
            return out
        if not self._started:
            self._started = True
            text = text.removeprefix("\ufeff")
        if self._skip_lf and text.startswith("\n"):
            text = text[1:]
        buffer = self._partial + text
        start = 0
        for end in _LINE_END.finditer(buffer):
            self._line(buffer[start : end.start()], out)
            start = end.end()
            if self.done:
                break
        self._partial = "" if self.done else buffer[start:]
        # A CR at the very end may be the first half of a CRLF split across two feeds.
        self._skip_lf = buffer.endswith("\r")
        return out

    def _line(self, line: str, out: list[str]) -> None:
        if self.done:
            return
        if not line:
            self._dispatch(out)
            return
        if line.startswith(":"):
            return
        field, colon, value = line.partition(":")
        if field == "data":
            self._data.append(value[1:] if colon and value.startswith(" ") else value)

    def _dispatch(self, out: list[str]) -> None:
        if not self._data or self.done:
            return
        data = "\n".join(self._data)
        self._data = []
        if self.sentinel is not None and data == self.sentinel:
            self.done = True
        else:
            out.append(data)


async def iter_sse_data(chunks: AsyncIterable[bytes], sentinel: str | None = "[DONE]") -> AsyncIterator[str]:
    """Each event's `data` from a byte stream (e.g. `response.aiter_bytes()`), up to `sentinel`.

    After the sentinel the rest of the body is still read (and ignored) so the connection can
    go back to the pool for the next request.
    """
    parser = SseParser(sentinel)
    drained = 0
    async for chunk in chunks:
        if parser.done:
            drained += len(chunk)
            if drained > MAX_DRAIN_BYTES:
                break
            continue
        for data in parser.feed(chunk):
            yield data
    for data in parser.close():
        yield data
