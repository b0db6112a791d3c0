"""A backend whose replies a test writes in advance, chunk by chunk with the delays between them.

Run on the virtual-time loop (`support.virtual_time`), the delays are exact and cost no wall time.
Every call is recorded: the request, when it started, how many chunks went out, and whether the
stream was closed before the script's end (what a real backend turns into closing the HTTP stream).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence

import attrs

from codestral_ls.backends import FimRequest


@attrs.frozen
class Chunk:
    text: str
    after_s: float = 0.0  # the wait before this chunk is sent


# A reply: chunks, and an exception raised where it stands in the list (after the chunks before it).
Reply = Sequence[Chunk | BaseException]
Script = Callable[[FimRequest], Reply]


def reply(text: str, *, first_s: float = 0.05, every_s: float = 0.0, chunk_chars: int = 0) -> list[Chunk]:
    """`text` as a stream: the first chunk after `first_s`, the next ones `every_s` apart."""
    size = chunk_chars or max(len(text), 1)
    parts = [text[i : i + size] for i in range(0, len(text), size)] or [""]
    return [Chunk(part, first_s if i == 0 else every_s) for i, part in enumerate(parts)]


@attrs.define
class Call:
    request: FimRequest
    started_at: float
    chunks_sent: int = 0
    completed: bool = False
    closed_early: bool = False


class ScriptedBackend:
    name = "scripted"

    def __init__(self, script: Script | None = None) -> None:
        self.script: Script = script or (lambda request: reply("pass"))
        self.calls: list[Call] = []
        self.closed = False

    async def stream(self, request: FimRequest) -> AsyncIterator[str]:
        call = Call(request, asyncio.get_running_loop().time())
        self.calls.append(call)
        try:
            for step in self.script(request):
                if isinstance(step, BaseException):
                    raise step
                if step.after_s:
                    await asyncio.sleep(step.after_s)
                call.chunks_sent += 1
                yield step.text
            call.completed = True
        finally:
            call.closed_early = not call.completed

    async def aclose(self) -> None:
        self.closed = True
