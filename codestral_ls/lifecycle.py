"""The LSP 3.17 lifecycle: which messages the server handles in which phase, its exit code, and the
watch on the editor's process.

- Before `initialize`, a request gets -32002 (ServerNotInitialized) and a notification is dropped,
  so nothing reaches a backend with settings nobody gave.
- After `shutdown`, a request gets -32600 (InvalidRequest) and a notification is dropped.
- `exit` always goes through: the exit code is 0 after `shutdown`, 1 without it.
- The server exits when the process named by `processId` in `initialize` dies (an editor that
  crashed cannot send `exit`, and may leave our stdin open through a wrapper process).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

INITIALIZE = "initialize"
SHUTDOWN = "shutdown"
EXIT = "exit"

SERVER_NOT_INITIALIZED = -32002
INVALID_REQUEST = -32600

# How often we look at the editor's process: one kill(pid, 0) a tick costs nothing measurable.
PARENT_POLL_S = 2.0


class Phase(enum.Enum):
    WAITING = "waiting for initialize"
    RUNNING = "running"
    SHUT_DOWN = "shut down"


class Admission(enum.Enum):
    """What to do with one incoming message."""

    DELIVER = "deliver"
    DROP = "drop"  # a notification that arrived at the wrong time
    NOT_INITIALIZED = "not initialized"
    ALREADY_INITIALIZED = "already initialized"
    SHUT_DOWN = "shut down"


REFUSALS: dict[Admission, tuple[int, str]] = {
    Admission.NOT_INITIALIZED: (SERVER_NOT_INITIALIZED, "the server has not been initialized"),
    Admission.ALREADY_INITIALIZED: (INVALID_REQUEST, "initialize may be sent only once"),
    Admission.SHUT_DOWN: (INVALID_REQUEST, "the server is shutting down"),
}


def admit(phase: Phase, method: str | None, is_request: bool) -> Admission:
    """The lifecycle's verdict on a message; `method` is None for a reply from the client."""
    if method is None or method == EXIT:
        return Admission.DELIVER
    if phase is Phase.WAITING:
        if method == INITIALIZE and is_request:
            return Admission.DELIVER
        return Admission.NOT_INITIALIZED if is_request else Admission.DROP
    if phase is Phase.SHUT_DOWN:
        return Admission.SHUT_DOWN if is_request else Admission.DROP
    if method == INITIALIZE and is_request:
        return Admission.ALREADY_INITIALIZED
    return Admission.DELIVER


def next_phase(phase: Phase, method: str | None) -> Phase:
    """The phase after delivering a message of `method`."""
    if phase is Phase.WAITING and method == INITIALIZE:
        return Phase.RUNNING
    if phase is Phase.RUNNING and method == SHUTDOWN:
        return Phase.SHUT_DOWN
    return phase


def exit_code(phase: Phase) -> int:
    """LSP: exit with 0 when `shutdown` came first, 1 otherwise."""
    return 0 if phase is Phase.SHUT_DOWN else 1


def process_alive(pid: int) -> bool:
    """Whether `pid` still runs; a zombie (dead, not yet reaped by its own parent) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, it is just not ours
        return True
    except (OSError, OverflowError):
        return False
    try:
        # /proc/PID/stat: "pid (comm) state ..."; comm may hold spaces and parentheses.
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


async def watch_parent(pid: int, poll_s: float = PARENT_POLL_S) -> bool:
    """Return True once `pid` has gone; False at once when it cannot be seen from here at all
    (another PID namespace, e.g. a dev container): then there is nothing to watch."""
    if not process_alive(pid):
        log.info("the editor's process %d is not visible from here; not watching it", pid)
        return False
    while process_alive(pid):  # noqa: ASYNC110 - the state lives in another process
        await asyncio.sleep(poll_s)
    return True
