"""Reading framed LSP messages: header lines as a table of cases, then the reader over scripted
byte streams with every malformation issue 10 lists (and a few more)."""

from __future__ import annotations

import asyncio
import json

import pytest

from codestral_ls.framing import MAX_BODY_BYTES, MAX_HEADER_LINE, FrameReader, LineKind, classify, next_header_at


@pytest.mark.parametrize(
    ("line", "kind", "length", "skipped"),
    [
        (b"Content-Length: 52\r\n", LineKind.LENGTH, 52, 0),
        (b"content-length: 52\r\n", LineKind.LENGTH, 52, 0),
        (b"CONTENT-LENGTH:52\n", LineKind.LENGTH, 52, 0),
        (b"Content-Length : 7 \r\n", LineKind.LENGTH, 7, 0),
        (b'"}}Content-Length: 40\r\n', LineKind.LENGTH, 40, 3),  # the tail of a body cut short
        (b"Content-Length: abc\r\n", LineKind.BAD_LENGTH, 0, 0),
        (b"Content-Length: -5\r\n", LineKind.BAD_LENGTH, 0, 0),
        (b"Content-Length: %d\r\n" % (MAX_BODY_BYTES + 1), LineKind.BAD_LENGTH, 0, 0),
        (b"Content-Length:\r\n", LineKind.BAD_LENGTH, 0, 0),
        (b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n", LineKind.OTHER_HEADER, 0, 0),
        (b"X-Anything: 1\r\n", LineKind.OTHER_HEADER, 0, 0),
        (b"\r\n", LineKind.END, 0, 0),
        (b"\n", LineKind.END, 0, 0),
        (b"hello there\r\n", LineKind.GARBAGE, 0, 13),
        (b'{"jsonrpc": "2.0"}\r\n', LineKind.GARBAGE, 0, 20),
        (b"\xff\xfe\x00binary\n", LineKind.GARBAGE, 0, 10),
    ],
)
def test_classify(line: bytes, kind: LineKind, length: int, skipped: int) -> None:
    header = classify(line)
    assert (header.kind, header.length, header.skipped) == (kind, length, skipped)


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"abc Content-Length: 3", 4), (b"xxcontent-length:1", 2), (b"no header here", -1), (b"Content-Length", -1)],
)
def test_next_header_at(data: bytes, expected: int) -> None:
    assert next_header_at(data) == expected


class Scripted:
    """Hands out `chunks`, then either ends the stream or stalls (no more bytes, no end)."""

    def __init__(self, chunks: list[bytes], then_end: bool = True) -> None:
        self.chunks = list(chunks)
        self.then_end = then_end

    async def read_chunk(self) -> bytes:
        if self.chunks:
            return self.chunks.pop(0)
        if self.then_end:
            return b""
        await asyncio.Event().wait()  # stalls forever
        return b""


def frame(message: object, length_delta: int = 0, name: bytes = b"Content-Length") -> bytes:
    body = json.dumps(message).encode()
    return name + b": %d\r\n\r\n" % (len(body) + length_delta) + body


PING = {"jsonrpc": "2.0", "id": 7, "method": "ping"}
PONG = {"jsonrpc": "2.0", "id": 8, "method": "pong", "params": {"text": "é€"}}


async def read_all(
    data: list[bytes], then_end: bool = True, stall_s: float = 0.05, count: int = 1000
) -> tuple[list[object], list[str]]:
    """Bodies (parsed where they parse) until the end, or until `count` of them."""
    reports: list[str] = []
    reader = FrameReader(Scripted(data, then_end), reports.append, stall_s=stall_s)
    bodies: list[object] = []
    while len(bodies) < count:
        body = await asyncio.wait_for(reader.next_body(), 10)
        if body is None:
            return bodies, reports
        try:
            bodies.append(json.loads(body))
        except ValueError:  # as the server's loop does
            bodies.append(body)
            reader.salvage(body)
    return bodies, reports


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 1000])
async def test_well_formed_messages_in_any_chunking(chunk_size: int) -> None:
    data = frame(PING) + b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n" + frame(PONG)
    chunks = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)]
    assert await read_all(chunks) == ([PING, PONG], [])


@pytest.mark.parametrize(
    ("name", "stream"),
    [
        ("lower-case header name", frame(PING, name=b"content-length") + frame(PONG)),
        ("short Content-Length", frame(PING, length_delta=-5) + frame(PONG)),
        ("garbage line between messages", frame(PING) + b"oops, not a header\r\n" + frame(PONG)),
        ("garbage without a line end", frame(PING) + b"\x00\xff garbage" + frame(PONG)),
        ("a long run without newlines", frame(PING) + b"z" * (MAX_HEADER_LINE * 3) + b"\r\n" + frame(PONG)),
        ("an unusable Content-Length", b"Content-Length: many\r\n\r\n{}" + frame(PING) + frame(PONG)),
        ("a body with no header", json.dumps(PING).encode() + b"\r\n" + frame(PING) + frame(PONG)),
        ("blank lines between messages", frame(PING) + b"\r\n\r\n\n" + frame(PONG)),
        ("LF-only line ends", frame(PING).replace(b"\r\n", b"\n") + frame(PONG)),
    ],
)
async def test_the_next_good_message_gets_through(name: str, stream: bytes) -> None:
    bodies, _ = await read_all([stream])
    assert bodies[-1] == PONG, name
    assert PING in bodies or name in ("short Content-Length",), name


async def test_a_short_content_length_reports_the_skipped_tail() -> None:
    bodies, reports = await read_all([frame(PING, length_delta=-5) + frame(PONG)])
    assert bodies[-1] == PONG and len(bodies) == 2  # the cut-short body comes out, and fails to parse later
    assert any("skipped 5 bytes" in report for report in reports)


async def test_a_long_content_length_resumes_at_the_next_header_after_a_stall() -> None:
    # The body promised 50 bytes more than it has, and the next message is inside them; then nothing
    # comes (the client waits for its reply): the reader gives up the broken one and finds PONG.
    bodies, reports = await read_all([frame(PING, length_delta=500) + frame(PONG)], then_end=False, count=1)
    assert bodies == [PONG]
    assert any("stopped after" in report and "resuming at the next header" in report for report in reports)


async def test_a_long_content_length_that_swallows_the_next_header_is_salvaged() -> None:
    bodies, reports = await read_all([frame(PING, length_delta=30) + frame(PONG) + frame(PING)])
    assert bodies[1:] == [PONG, PING]
    assert any("ran into the next one" in report for report in reports)


async def test_a_long_content_length_with_nothing_after_is_skipped_not_waited_on_forever() -> None:
    reports: list[str] = []
    reader = FrameReader(Scripted([frame(PING, length_delta=10)], then_end=False), reports.append, stall_s=0.05)
    next_body = asyncio.ensure_future(reader.next_body())
    await asyncio.sleep(0.3)
    assert not next_body.done()  # still waiting, for a new message this time
    assert any("skipped it" in report for report in reports)
    next_body.cancel()


async def test_the_end_of_the_stream_inside_a_body() -> None:
    bodies, reports = await read_all([frame(PING)[:-3]])
    assert bodies == []
    assert any("ended 3 bytes into a message" in report for report in reports)


async def test_a_slow_body_is_not_mistaken_for_a_stall() -> None:
    data = frame(PONG)
    reports: list[str] = []

    class Trickle:
        def __init__(self) -> None:
            self.left = [data[i : i + 4] for i in range(0, len(data), 4)]

        async def read_chunk(self) -> bytes:
            await asyncio.sleep(0.01)
            return self.left.pop(0) if self.left else b""

    reader = FrameReader(Trickle(), reports.append, stall_s=5)
    assert json.loads(await reader.next_body() or b"") == PONG
    assert reports == []
