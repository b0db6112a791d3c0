"""The server's visible state, as an explicit state machine with help text for humans.

The user hears of a failure once per kind (auth, rate limit, model...), not once per keystroke:
`report_failure` returns True only the first time a kind is seen since the last success.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import attrs

State = Literal["ready", "fetching", "error", "rate-limited", "disabled"]


@attrs.frozen
class Status:
    state: State
    message: str
    uri: str | None = None


class StatusTracker:
    """Keeps the current state and tells `publish` only about changes."""

    def __init__(self, publish: Callable[[Status], None]) -> None:
        self._publish = publish
        self._current: Status | None = None
        self._told_kinds: set[str] = set()
        self._in_flight = 0

    @property
    def current(self) -> Status | None:
        return self._current

    def set(self, status: Status) -> None:
        if status != self._current:
            self._current = status
            self._publish(status)

    def fetching_started(self) -> None:
        self._in_flight += 1
        if self._current is None or self._current.state in ("ready", "fetching", "disabled"):
            self.set(Status("fetching", "Asking the model…"))

    def fetching_ended(self, ok: bool) -> None:
        self._in_flight = max(0, self._in_flight - 1)
        if ok:
            self._told_kinds.clear()
        # A success also clears a failure shown earlier: the backend works again.
        recovered = ok and self._current is not None and self._current.state in ("error", "rate-limited")
        if self._in_flight == 0 and (self._current is None or self._current.state == "fetching" or recovered):
            self.set(Status("ready", "Ready"))

    def succeeded_quietly(self) -> None:
        """A request that was never announced as `fetching` (it was quick) succeeded."""
        self._told_kinds.clear()
        if self._in_flight == 0 and self._current is not None and self._current.state in ("error", "rate-limited"):
            self.set(Status("ready", "Ready"))

    def report_failure(self, kind: str, state: State, message: str) -> bool:
        """Record a failure; True when the user has not yet been told about this kind."""
        self.set(Status(state, message))
        if kind in self._told_kinds:
            return False
        self._told_kinds.add(kind)
        return True

    def forget_failures(self) -> None:
        """Settings changed: the next failure of any kind is news again."""
        self._told_kinds.clear()
