"""The composition root: builds and owns what a session runs on, and rebuilds it when settings change.

It owns the document store, the settings, the one HTTP client, the backend, the pipeline and the
status tracker. `server.py` only translates LSP messages into calls on a `Runtime` and results back
into LSP types; the CLI and tests drive a `Runtime` (or a bare `Pipeline`) with no LSP at all.

Settings arrive from three places (initialization options, `workspace/configuration` replies,
`didChangeConfiguration` pushes) and may be answered out of order. Each source takes a ticket when
it is *sent* (`settings_ticket()`), and settings older than the ones in force are dropped, so a
slow configuration reply can never undo a newer push.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Literal

import httpx

from .backends import Backend
from .config import Settings, parse_settings
from .core import Completion, CompletionQuery
from .documents import DocumentStore
from .errors import BackendError
from .failures import UserNotice
from .log import SecretRedactor
from .pipeline import Pipeline
from .positions import Encoding
from .privacy import withhold_reason
from .status import Status, StatusTracker

log = logging.getLogger(__name__)

# A change of one document: an LSP range (start and end as (line, column)) and its new text, or
# the whole new text.
Change = tuple[tuple[int, int], tuple[int, int], str] | str
Severity = Literal["error", "warning", "info"]
HttpFactory = Callable[[int], httpx.AsyncClient]
BackendFactory = Callable[[Settings, httpx.AsyncClient, Mapping[str, str]], Backend]


def _default_http(timeout_ms: int) -> httpx.AsyncClient:
    from .backends.http import make_http_client

    return make_http_client(timeout_ms)


class Runtime:
    def __init__(
        self,
        *,
        notify_user: UserNotice,
        publish_status: Callable[[Status], None],
        env: Mapping[str, str] | None = None,
        redactor: SecretRedactor | None = None,
        make_http: HttpFactory = _default_http,
        make_backend: BackendFactory | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.env: dict[str, str] = dict(env or {})
        self.redactor = redactor or SecretRedactor()
        self.redactor.add_environment(self.env)  # every backend's *_API_KEY, and other tokens
        self._notify_sink = notify_user
        self._make_http = make_http
        self._make_backend = make_backend or self._real_backend
        self._clock = clock
        self.settings = Settings()
        # Documents these settings refuse (excluded, too large, binary) keep no text: their
        # keystrokes cost nothing (judged again at each edit, so a new exclude applies at once).
        self.documents = DocumentStore(withhold=lambda document: withhold_reason(self.settings, document))
        self.encoding: Encoding = "utf-16"
        self.status = StatusTracker(publish_status)
        self._http: httpx.AsyncClient | None = None
        self._http_timeout_ms = 0
        self._retired_clients: list[httpx.AsyncClient] = []
        self._background: set[asyncio.Task[None]] = set()
        self._pipeline: Pipeline | None = None
        self._pending_problems: list[str] = []
        self._tickets_issued = 0
        self._ticket_in_force = -1

    # ---- building and rebuilding ------------------------------------------------------------

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            kwargs: dict[str, Any] = {} if self._clock is None else {"clock": self._clock}
            self._pipeline = Pipeline(
                self.documents,
                self.settings,
                self._build_backend(self.settings),
                status=self.status,
                notify_user=self.notify_user,
                encoding=self.encoding,
                **kwargs,
            )
        return self._pipeline

    def _build_backend(self, settings: Settings) -> Backend:
        if self._http is None or self._http_timeout_ms != settings.timeout_ms:
            # One long-lived client; a new one only when the timeout it was built with changes
            # (the old one is closed once the pipeline has switched, see apply_settings).
            if self._http is not None:
                self._retired_clients.append(self._http)
            self._http, self._http_timeout_ms = self._make_http(settings.timeout_ms), settings.timeout_ms
        return self._make_backend(settings, self._http, self.env)

    def _real_backend(self, settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str]) -> Backend:
        from .backends.factory import make_backend

        # A key that apiKeyCommand prints is in no setting: the redactor learns it when it is fetched.
        return make_backend(settings, client, env, on_secret=self.redactor.add)

    def settings_ticket(self) -> int:
        """Take a place in the order settings were asked for; pass it to `apply_settings`."""
        self._tickets_issued += 1
        return self._tickets_issued

    def apply_settings(self, raw: Mapping[str, Any] | None, *, announce: bool, ticket: int | None = None) -> bool:
        """Apply the `codestral` settings section; False when newer settings are already in force."""
        ticket = self.settings_ticket() if ticket is None else ticket
        if ticket < self._ticket_in_force:
            log.info("late settings ignored: newer ones are in force (%d < %d)", ticket, self._ticket_in_force)
            return False
        self._ticket_in_force = ticket
        settings, errors = parse_settings(raw, self.settings)
        self.redactor.add_settings(settings)  # the key, header values, URL passwords
        problems = [str(error) for error in errors]
        if problems:
            if announce:
                self.notify_user("warning", "Some settings were ignored: " + "; ".join(problems))
            else:
                self._pending_problems.extend(problems)
        if settings == self.settings and self._pipeline is not None:
            return True
        self.settings = settings
        if self._pipeline is not None:
            pipeline, backend = self._pipeline, self._build_backend(settings)

            async def switch() -> None:
                await pipeline.reconfigure(settings, backend)
                self.warm_up()
                while self._retired_clients:
                    await self._retired_clients.pop().aclose()

            self.spawn(switch())
        return True

    def announce_pending_problems(self) -> None:
        """Settings problems found before the client could show messages, told now (once)."""
        if self._pending_problems:
            self.notify_user("warning", "Some settings were ignored: " + "; ".join(self._pending_problems))
            self._pending_problems.clear()

    def set_encoding(self, encoding: Encoding) -> None:
        self.encoding = encoding
        if self._pipeline is not None:
            self._pipeline.encoding = encoding

    def warm_up(self) -> None:
        """Let a local backend load its model before the first keystroke needs it (Ollama)."""
        backend = self.pipeline.backend
        warm = getattr(backend, "warm_up", None)
        if warm is None:
            return
        model = self.settings.model

        async def load() -> None:
            try:
                await warm(model)
            except BackendError as exc:  # the first completion reports it to the user
                log.info("warming up %s failed: %s", backend.name, exc)

        self.spawn(load())

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background, keeping a reference so it is not collected mid-way,
        and logging (with a traceback) whatever it raises: a bug is never silent."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed", exc_info=task.exception())

    # ---- talking to the user ----------------------------------------------------------------

    def notify_user(self, severity: Severity, message: str) -> None:
        """Tell the user (once per cause: the callers decide), with every known secret redacted."""
        message = self.redactor.redact(message)
        log.log(logging.ERROR if severity == "error" else logging.WARNING, "%s", message)
        self._notify_sink(severity, message)

    # ---- documents --------------------------------------------------------------------------

    def did_open(self, uri: str, language_id: str, version: int, text: str) -> None:
        self.documents.open(uri, language_id, version, text)

    def did_change(self, uri: str, version: int, changes: list[Change]) -> None:
        document = self.documents.get(uri)
        if document is None:
            log.info("change for a document that is not open: %s", uri)
            return
        for change in changes:
            if isinstance(change, str):
                document.replace_all(change)
            else:
                start, end, text = change
                document.apply_change(start, end, text, self.encoding)
        document.version = version
        if self._pipeline is not None and document.withheld is None:
            self._pipeline.note_edit(uri)

    def did_close(self, uri: str) -> None:
        self.documents.close(uri)

    # ---- completions and what the editor tells us about them --------------------------------

    async def complete(self, query: CompletionQuery) -> Completion | None:
        try:
            return await self.pipeline.complete(query)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug must cost one suggestion, never the server, and never silently.
            log.exception("completion failed at %s:%d:%d", query.uri, query.line, query.character)
            return None

    def shown(self, item_id: str) -> None:
        self.pipeline.shown(item_id)

    def accepted(self, item_id: str) -> None:
        self.pipeline.accepted(item_id)

    def partially_accepted(self, item_id: str, accepted_utf16: int) -> None:
        self.pipeline.partially_accepted(item_id, accepted_utf16)

    async def aclose(self) -> None:
        if self._pipeline is not None:
            await self._pipeline.aclose()
        if self._http is not None:
            await self._http.aclose()
        while self._retired_clients:
            await self._retired_clients.pop().aclose()
