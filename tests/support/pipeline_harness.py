"""The pipeline in-process, composed by the real `Runtime` around a scripted backend, on virtual time.

`Harness` plays the editor: it opens documents, types (didChange) and asks for completions, and
keeps what the user would have seen (messages, status changes).
"""

from __future__ import annotations

import asyncio
from typing import Any

import attrs
import httpx

from codestral_ls.core import Completion, CompletionQuery
from codestral_ls.pipeline import Pipeline
from codestral_ls.runtime import Runtime
from codestral_ls.status import Status
from support.scripted_backend import ScriptedBackend


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"an in-process test tried to reach {request.url}")


@attrs.define
class Harness:
    runtime: Runtime
    backend: ScriptedBackend
    notices: list[tuple[str, str]]
    statuses: list[Status]
    versions: dict[str, int] = attrs.field(factory=dict)

    @property
    def pipeline(self) -> Pipeline:
        return self.runtime.pipeline

    @property
    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def open(self, uri: str, text: str, language_id: str = "python") -> None:
        self.versions[uri] = 1
        self.runtime.did_open(uri, language_id, 1, text)

    def type(self, uri: str, line: int, character: int, text: str) -> None:
        """Insert `text` at (line, character), as one didChange."""
        self.versions[uri] += 1
        self.runtime.did_change(uri, self.versions[uri], [((line, character), (line, character), text)])

    def delete(self, uri: str, line: int, start: int, end: int) -> None:
        self.versions[uri] += 1
        self.runtime.did_change(uri, self.versions[uri], [((line, start), (line, end), "")])

    def ask(self, uri: str, line: int, character: int, *, automatic: bool = True) -> asyncio.Task[Completion | None]:
        """Send a completion request now; the task is its answer."""
        query = CompletionQuery(uri=uri, line=line, character=character, automatic=automatic)
        return asyncio.get_running_loop().create_task(self.runtime.complete(query))

    async def complete(self, uri: str, line: int, character: int, *, automatic: bool = True) -> str | None:
        completion = await self.ask(uri, line, character, automatic=automatic)
        return None if completion is None else completion.text

    async def settle(self, seconds: float = 5.0) -> None:
        """Let virtual time run on (background fetches finish, grace timers fire)."""
        await asyncio.sleep(seconds)


def make_harness(backend: ScriptedBackend | None = None, **settings: Any) -> Harness:
    """Call inside the virtual-time loop. `settings` are `codestral` settings in their camelCase form."""
    backend = backend or ScriptedBackend()
    notices: list[tuple[str, str]] = []
    statuses: list[Status] = []
    runtime = Runtime(
        notify_user=lambda severity, message: notices.append((severity, message)),
        publish_status=statuses.append,
        env={},
        make_http=lambda _timeout_ms: httpx.AsyncClient(transport=httpx.MockTransport(_no_network)),
        make_backend=lambda _settings, _client, _env: backend,
        clock=lambda: asyncio.get_running_loop().time(),
    )
    runtime.set_encoding("utf-32")
    runtime.apply_settings({"apiKey": "in-process-key-0123", "debounceMs": 0, **settings}, announce=True)
    runtime.warm_up()  # builds the pipeline, as `initialized` does
    return Harness(runtime=runtime, backend=backend, notices=notices, statuses=statuses)
