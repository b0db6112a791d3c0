"""What every probe shares: the step outcome types, the tiny completion, fetching."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import attrs
import httpx

from ..backends.base import FimRequest
from ..backends.exchange import Route, get_json
from ..backends.factory import make_backend
from ..backends.keys import KeyProvider
from ..config import Settings
from ..errors import AuthError, BackendError, TransportError
from ..fixes import fix_for, key_setting


class StepFailed(Exception):
    """A step's problem and the concrete fix to print under it."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


class Skipped(Exception):
    """A step that cannot run here (e.g. the host has no model list); not a failure."""


class Steps(Protocol):
    """Runs one titled step and says whether it passed (`check.Report`)."""

    async def step(self, title: str, action: Callable[[], Awaitable[str]]) -> bool: ...

    def hide(self, secret: str) -> None:
        """Never print `secret` (a key apiKeyCommand printed)."""


TINY = FimRequest("def add(a, b):\n    return ", "\n\nprint(add(1, 2))\n", "", 16, 0.0, ("\n\n",))


async def tiny_completion(
    settings: Settings,
    client: httpx.AsyncClient,
    env: Mapping[str, str],
    on_secret: Callable[[str], None] | None = None,
) -> str:
    """One tiny completion through the real backend: the note to print, or StepFailed with a fix.

    `on_secret` hears each key `apiKeyCommand` prints (`Steps.hide`)."""
    backend = make_backend(settings, client, env, on_secret=on_secret)
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
        raise StepFailed(str(exc), fix_for(exc, settings, env)) from None
    finally:
        await backend.aclose()
    if not text:
        return "the model answered with nothing; it can happen, but try again"
    return f"first text after {first_ms or 0:.0f} ms: {text[:40]!r}"


def key_fix(settings: Settings, env: Mapping[str, str]) -> str:
    return f"check {key_setting(settings, env)}: the server refused that key"


def route_for(settings: Settings, name: str, endpoint: str, keys: KeyProvider) -> Route:
    return Route(name, endpoint, keys, dict(settings.headers))


async def fetch_json(
    route: Route, client: httpx.AsyncClient, path: str, unreachable: str = "", refused_key_fix: str = ""
) -> Any:
    try:
        return await get_json(client, route, path)
    except TransportError as exc:
        raise StepFailed(str(exc), unreachable) from None
    except AuthError as exc:
        raise StepFailed(str(exc), refused_key_fix or "check `apiKey` / `apiKeyCommand`") from None


def raising(exc: Exception) -> Callable[[], Awaitable[str]]:
    async def action() -> str:
        raise exc

    return action
