"""`codestral-ls check`: can completions work with these settings? Each step, its time, a fix.

Steps: reach the endpoint, verify the key, confirm the model exists and can fill in the middle
(the per-backend probes in `probes`), then one tiny completion through the real backend. The
exit code is 0 only when every step that ran passed. Keys are never printed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TextIO

import attrs
import httpx

from .backends.base import FimRequest
from .backends.factory import make_backend
from .backends.http import make_http_client
from .config import Settings
from .errors import AuthError, BackendError, ModelUnavailable, TransportError
from .probes import PROBES, SIBLING_HOSTS, Skipped, StepFailed

TINY = FimRequest("def add(a, b):\n    return ", "\n\nprint(add(1, 2))\n", "", 16, 0.0, ("\n\n",))


@attrs.define
class Report:
    """Prints one line per step; remembers whether any failed."""

    out: TextIO
    failed: bool = False

    async def step(self, title: str, action: Callable[[], Awaitable[str]]) -> bool:
        started = time.perf_counter()
        try:
            note = await action()
        except Skipped as skip:
            self._line("skip", title, str(skip), started)
            return True
        except StepFailed as failure:
            return self._fail(title, failure.problem, failure.fix, started)
        except BackendError as exc:
            return self._fail(title, str(exc), "", started)
        except Exception as exc:  # a reply we did not expect: report it, do not crash
            return self._fail(title, f"unexpected {type(exc).__name__}: {exc}", "", started)
        self._line("ok", title, note, started)
        return True

    def _fail(self, title: str, problem: str, fix: str, started: float) -> bool:
        self.failed = True
        self._line("FAIL", title, problem, started)
        if fix:
            self.out.write(f"        fix: {fix}\n")
        return False

    def _line(self, verdict: str, title: str, note: str, started: float) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        detail = f" ({note})" if note else ""
        self.out.write(f"  {verdict:<5} {title}{detail}  [{elapsed_ms:.0f} ms]\n")
        self.out.flush()


async def run_check(
    settings: Settings,
    out: TextIO,
    env: Mapping[str, str] | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    sibling_hosts: Mapping[str, str] = SIBLING_HOSTS,
) -> int:
    """Check `settings` step by step, printing to `out`; 0 when completions will work, else 1."""
    env = os.environ if env is None else env
    own_client = client is None
    http = client if client is not None else make_http_client(settings.timeout_ms)
    report = Report(out)
    try:
        out.write(
            f"codestral-ls check: backend {settings.backend}, model {settings.model}, "
            f"endpoint {settings.endpoint or 'default'}\n"
        )
        probe = PROBES[settings.backend]
        if await probe(settings, http, env, report, sibling_hosts):
            await report.step("one tiny completion", lambda: _tiny(settings, http, env))
        else:
            out.write("  skip  one tiny completion (an earlier step failed)\n")
    finally:
        if own_client:
            await http.aclose()
    if report.failed:
        out.write("Completions will NOT work yet: fix the first failure above.\n")
        return 1
    out.write("Completions will work.\n")
    return 0


async def _tiny(settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str]) -> str:
    backend = make_backend(settings, client, env)
    request = attrs.evolve(TINY, model=settings.model)
    started = time.perf_counter()
    first_ms: float | None = None
    text = ""
    try:
        async for chunk in backend.stream(request):
            if first_ms is None:
                first_ms = (time.perf_counter() - started) * 1000.0
            text += chunk
    except BackendError as exc:
        raise StepFailed(str(exc), _fix_for(exc, settings)) from None
    finally:
        await backend.aclose()
    if not text:
        return "the model answered with nothing; it can happen, but try again"
    return f"first text after {first_ms or 0:.0f} ms: {text[:40]!r}"


def _fix_for(exc: BackendError, settings: Settings) -> str:
    if isinstance(exc, TransportError) and settings.backend in ("ollama", "llamacpp"):
        return (
            f"a local server may still be loading the model on first use: run the check again; "
            f"if it stays slow, raise `timeoutMs` (now {settings.timeout_ms} ms) or use a smaller model"
        )
    if isinstance(exc, TransportError):
        return f"check that the server runs and that `endpoint` is right (timeout {settings.timeout_ms} ms)"
    if isinstance(exc, AuthError):
        return "check `apiKey` / `apiKeyCommand` (or the key's environment variable)"
    if isinstance(exc, ModelUnavailable):
        return "check the `model` setting"
    return ""
