"""The one small interface every backend implements, and the request it takes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

import attrs


@attrs.frozen
class FimRequest:
    """One fill-in-the-middle request, independent of any wire format ("\\n" line ends)."""

    prefix: str
    suffix: str
    model: str
    max_tokens: int
    temperature: float
    stop: tuple[str, ...] = ()


@attrs.frozen
class StreamStats:
    """What a backend learned about a finished request (for benchmarks and logs)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class Backend(Protocol):
    """Streams the middle text for a FimRequest.

    - `stream()` yields text chunks as they arrive. It raises only `errors.BackendError`
      subclasses (and CancelledError, which it never swallows).
    - Closing the generator early (`aclose()`, or cancelling the task iterating it) must close
      the HTTP response, so the server stops generating tokens for it.
    """

    name: str

    def stream(self, request: FimRequest) -> AsyncIterator[str]: ...

    async def aclose(self) -> None: ...
