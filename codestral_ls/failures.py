"""How a failed model request reaches the user, and when automatic requests pause because of it.

- 429: pause automatic requests for the `Retry-After` time; tell the user once.
- 401/403: pause automatic requests until the settings change or a request succeeds (a wrong key
  stays wrong on every keystroke); tell the user once, with what to fix.
- 400/422, missing model: tell the user once, with the backend's own words.
- 5xx, timeouts, dropped connections, malformed streams: the next request may well work, so the
  status shows it and the log has it, but no pop-up interrupts the user. A storm of them (two or
  more in a row) pauses automatic requests with exponential backoff (`Backoff`: doubling, capped,
  with jitter so many editors do not retry in step), at least as long as a 503's Retry-After.
- Any success lifts every pause (a 429's too): the service is answering again.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Literal

import attrs

from .errors import (
    AuthError,
    BackendError,
    InvalidRequest,
    ModelUnavailable,
    ProtocolError,
    RateLimited,
    ServerError,
    TransportError,
)
from .status import StatusTracker

log = logging.getLogger(__name__)

UserNotice = Callable[[Literal["error", "warning", "info"], str], None]


# Failures where the next request may work: worth retrying, but not once per keystroke.
TRANSIENT = (ServerError, TransportError, ProtocolError)


@attrs.frozen
class Backoff:
    """How long automatic requests pause after `failures` transient failures in a row.

    The first failure does not pause (one dropped connection is no storm); from the second the
    pause doubles from `base_s` up to `cap_s`, and is drawn in [half, all] of that ("equal
    jitter") so that editors which failed together do not retry together.
    """

    base_s: float = 1.0
    cap_s: float = 60.0
    free_failures: int = 1

    def pause_s(self, failures: int, jitter: float) -> float:
        """The pause after `failures` failures in a row; `jitter` is a draw in [0, 1)."""
        if failures <= self.free_failures:
            return 0.0
        ceiling = min(self.cap_s, self.base_s * 2.0 ** (failures - self.free_failures - 1))
        return ceiling * (0.5 + 0.5 * jitter)


class FailurePolicy:
    def __init__(
        self,
        status: StatusTracker,
        notify_user: UserNotice,
        clock: Callable[[], float] = time.monotonic,
        *,
        backoff: Backoff | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._status = status
        self._notify_user = notify_user
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._jitter = jitter
        self._paused_until = 0.0
        self._auth_blocked = False
        self._transient_in_a_row = 0

    def allows_automatic(self) -> bool:
        """Whether an automatic (typing-triggered) request may be sent now."""
        return not self._auth_blocked and self._clock() >= self._paused_until

    def paused_for_s(self) -> float:
        """How long automatic requests stay paused (0 when they are not)."""
        return max(0.0, self._paused_until - self._clock())

    def succeeded(self) -> None:
        """A request worked: the service answers again, so every pause lifts."""
        self._auth_blocked = False
        self._paused_until = 0.0
        self._transient_in_a_row = 0

    def reset(self) -> None:
        """Settings changed: lift every pause, and any failure is news again."""
        self._paused_until, self._auth_blocked, self._transient_in_a_row = 0.0, False, 0
        self._status.forget_failures()

    def record(self, error: BackendError, backend_name: str) -> None:
        log.warning("%s request failed (%s): %s", backend_name, error.kind, error)
        if isinstance(error, TRANSIENT):
            self._transient_in_a_row += 1
            pause_s = self._backoff.pause_s(self._transient_in_a_row, self._jitter())
            if isinstance(error, ServerError) and error.retry_after_s is not None:
                pause_s = max(pause_s, error.retry_after_s)
            if pause_s > 0:
                self._paused_until = max(self._paused_until, self._clock() + pause_s)
                log.info(
                    "%d failed requests in a row: automatic completions paused for %.1f s",
                    self._transient_in_a_row,
                    pause_s,
                )
        if isinstance(error, RateLimited):
            self._paused_until = self._clock() + error.retry_after_s
            message = (
                f"Codestral rate limit reached; automatic suggestions paused for {error.retry_after_s:.0f} s. {error}"
            )
            self._tell(error.kind, "rate-limited", "warning", message)
        elif isinstance(error, AuthError):
            self._auth_blocked = True
            self._tell(error.kind, "error", "error", str(error))
        elif isinstance(error, (InvalidRequest, ModelUnavailable)):
            self._tell(error.kind, "error", "error", str(error))
        else:
            self._status.report_failure(error.kind, "error", f"Last request failed: {error}")

    def _tell(
        self,
        kind: str,
        state: Literal["error", "rate-limited"],
        severity: Literal["error", "warning"],
        message: str,
    ) -> None:
        if self._status.report_failure(kind, state, message):
            self._notify_user(severity, message)
