"""How a failed model request reaches the user, and when automatic requests pause because of it.

- 429: pause automatic requests for the `Retry-After` time; tell the user once.
- 401/403: pause automatic requests until the settings change or a request succeeds (a wrong key
  stays wrong on every keystroke); tell the user once, with what to fix.
- 400/422, missing model: tell the user once, with the backend's own words.
- 5xx, timeouts, dropped connections, malformed streams: the next request may well work, so the
  status shows it and the log has it, but no pop-up interrupts the user.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

from .errors import AuthError, BackendError, InvalidRequest, ModelUnavailable, RateLimited
from .status import StatusTracker

log = logging.getLogger(__name__)

UserNotice = Callable[[Literal["error", "warning", "info"], str], None]


class FailurePolicy:
    def __init__(
        self, status: StatusTracker, notify_user: UserNotice, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._status = status
        self._notify_user = notify_user
        self._clock = clock
        self._paused_until = 0.0
        self._auth_blocked = False

    def allows_automatic(self) -> bool:
        """Whether an automatic (typing-triggered) request may be sent now."""
        return not self._auth_blocked and self._clock() >= self._paused_until

    def succeeded(self) -> None:
        self._auth_blocked = False

    def reset(self) -> None:
        """Settings changed: lift every pause, and any failure is news again."""
        self._paused_until, self._auth_blocked = 0.0, False
        self._status.forget_failures()

    def record(self, error: BackendError, backend_name: str) -> None:
        log.warning("%s request failed (%s): %s", backend_name, error.kind, error)
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
