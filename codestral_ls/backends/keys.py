"""Where a backend's API key comes from, and when to fetch it again.

A key is a static string (the `apiKey` setting or an environment variable) or the output of
`apiKeyCommand` (e.g. `gcloud auth print-access-token`), run without a shell window, cached for
`apiKeyTtlS` and run again after `invalidate()` (the server refused it with 401/403). The key
lives only in memory: it is never logged, written to disk or put in an error message; `source`
is the printable description. A command's key is in no setting, so `on_key` hears each one it
prints (the server registers it with the log redactor, which then masks it wherever it shows).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence

from ..config import Settings
from ..errors import AuthError

COMMAND_TIMEOUT_S = 30.0


class KeyProvider:
    """Hands out the current key (or None: send no Authorization header)."""

    def __init__(
        self,
        *,
        static: str | None = None,
        command: str | None = None,
        ttl_s: float = 3000.0,
        source: str = "no key",
        clock: Callable[[], float] = time.monotonic,
        command_timeout_s: float = COMMAND_TIMEOUT_S,
        on_key: Callable[[str], None] | None = None,
    ) -> None:
        self._static = static
        self._on_key = on_key
        self._command = command
        self._ttl_s = ttl_s
        self._clock = clock
        self._command_timeout_s = command_timeout_s
        self._cached: str | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self.source = source
        self.command_runs = 0

    def __repr__(self) -> str:
        return f"KeyProvider(source={self.source!r})"

    @property
    def refreshable(self) -> bool:
        """True when `invalidate()` can yield a different key (it comes from a command)."""
        return self._command is not None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        env: Mapping[str, str] | None = None,
        env_vars: Sequence[str] = (),
        clock: Callable[[], float] = time.monotonic,
        on_key: Callable[[str], None] | None = None,
    ) -> KeyProvider:
        """apiKey, else apiKeyCommand, else the first of `env_vars` that is set, else no key.

        `on_key` is called with each key the command prints (static keys are settings or
        environment variables, which the redactor knows already)."""
        env = os.environ if env is None else env
        if settings.api_key:
            return cls(static=settings.api_key, source="the apiKey setting")
        if settings.api_key_command:
            return cls(
                command=settings.api_key_command,
                ttl_s=settings.api_key_ttl_s,
                source="the apiKeyCommand setting",
                clock=clock,
                on_key=on_key,
            )
        for name in env_vars:
            if env.get(name):
                return cls(static=env[name], source=f"env {name}")
        return cls(source="no key")

    async def get(self) -> str | None:
        """The key to send now; runs the command when there is no fresh cached key."""
        if self._command is None:
            return self._static
        async with self._lock:
            if self._cached is not None and self._clock() - self._fetched_at < self._ttl_s:
                return self._cached
            key = await self._run_command(self._command)
            if self._on_key is not None:
                self._on_key(key)  # before anything can echo it: an error reply, a log line
            self._cached, self._fetched_at = key, self._clock()
            return key

    def invalidate(self) -> None:
        """Forget a refused key, so the next `get()` runs the command again.

        Only keys from a command can change: check `refreshable` before retrying.
        """
        self._cached = None

    async def _run_command(self, command: str) -> str:
        self.command_runs += 1
        try:
            process = await asyncio.create_subprocess_shell(
                command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                # Its own process group, so a timeout can stop whatever the shell started.
                start_new_session=sys.platform != "win32",
            )
        except OSError as exc:
            raise AuthError(f"apiKeyCommand could not start: {exc.strerror or exc}") from None
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=self._command_timeout_s)
        except TimeoutError:
            await _kill(process)
            raise AuthError(f"apiKeyCommand did not finish within {self._command_timeout_s:g} s") from None
        except BaseException:
            # Cancelled: do not leave the command running behind us.
            await _kill(process)
            raise
        if process.returncode != 0:
            # stderr explains the failure (e.g. "not logged in"); stdout may hold a secret.
            detail = stderr.decode(errors="replace").strip().splitlines()
            hint = f": {detail[-1][:200]}" if detail else ""
            raise AuthError(f"apiKeyCommand failed with exit code {process.returncode}{hint}")
        lines = [line.strip() for line in stdout.decode(errors="replace").splitlines()]
        key = next((line for line in lines if line), "")
        if not key:
            raise AuthError("apiKeyCommand printed no key")
        return key


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        if sys.platform == "win32":
            process.kill()
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
