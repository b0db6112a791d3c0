"""The linear orchestrator: document -> context -> cache -> schedule -> backend -> filters -> answer.

Knows nothing of LSP types: `server.py` translates LSP requests into `CompletionQuery` and the
`Completion` answers back into LSP items. Each step is a call into the module named for it:
`context` cuts the prompt, `cache` reuses earlier answers, `scheduler` decides whether, when and
what to ask, `model_call` streams the answer through the `postprocess` filters.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

import attrs

from .backends import Backend
from .cache import NOTHING, CompletionCache
from .config import Settings
from .context import FimContext, as_if_accepted, extract
from .core import Completion, CompletionQuery, Source, Suggestion
from .documents import DocumentStore
from .errors import BackendError, ContextWindowExceeded, RequestRejected
from .failures import FailurePolicy, UserNotice
from .model_call import FETCHING_NOTICE_S, ModelCaller
from .positions import Encoding, column_to_index
from .privacy import refusal
from .prompt_budget import PromptBudget, fit_context, shrink_for_window
from .scheduler import (
    ADOPTION_GRACE_S,
    PAUSED,
    Adopt,
    Debounce,
    Fetch,
    Scheduler,
    skip_reason,
    sleep_unless_superseded,
    wait_unless_superseded,
)
from .status import Status, StatusTracker

log = logging.getLogger(__name__)

# The core types are re-exported: callers that build queries (the CLI) import them from here.
__all__ = ["FETCHING_NOTICE_S", "Completion", "CompletionQuery", "Counters", "Pipeline", "Source", "Suggestion"]

ISSUED_ITEMS = 64


@attrs.define
class Counters:
    """What the pipeline did, for logs and benchmarks."""

    requests: int = 0
    model_calls: int = 0
    prefetches: int = 0
    adopted: int = 0
    skipped: int = 0
    superseded: int = 0
    cancelled_fetches: int = 0
    early_stops: int = 0
    # Fetches that ended in an exception that is not a backend error: a bug, logged with its traceback.
    crashed_fetches: int = 0


class Pipeline:
    def __init__(
        self,
        documents: DocumentStore,
        settings: Settings,
        backend: Backend,
        *,
        status: StatusTracker,
        notify_user: UserNotice,
        encoding: Encoding = "utf-16",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.documents = documents
        self.settings = settings
        self.backend = backend
        self.status = status
        self.encoding: Encoding = encoding
        self._clock = clock
        self._notify_user = notify_user
        self.failures = FailurePolicy(status, notify_user, clock)
        self.scheduler = Scheduler(clock)
        self.cache = CompletionCache(settings.cache_size, settings.cache_ttl_s, clock)
        self.counters = Counters()
        self.budget = _budget_of(settings)
        self._window_told = False
        self._caller = ModelCaller(
            status=status,
            failures=self.failures,
            clock=clock,
            on_latency=self.scheduler.note_latency,
            on_early_stop=self._count_early_stop,
        )
        self._ids = itertools.count(1)
        self._issued: OrderedDict[str, tuple[FimContext, Suggestion]] = OrderedDict()

    # ---- settings and lifecycle -------------------------------------------------------------

    async def reconfigure(self, settings: Settings, backend: Backend) -> None:
        old_backend = self.backend
        self.scheduler.cancel_all()
        self.settings, self.backend = settings, backend
        self.cache = CompletionCache(settings.cache_size, settings.cache_ttl_s, self._clock)
        self.budget, self._window_told = _budget_of(settings), False
        self.failures.reset()
        if old_backend is not backend:
            await old_backend.aclose()

    async def aclose(self) -> None:
        self.scheduler.cancel_all()
        await self.backend.aclose()
        log.info("session: %s", self.summary())

    def summary(self) -> str:
        """What this session cost and saved, in one line (logged at shutdown)."""
        counts = self.counters
        return (
            f"{counts.requests} requests, {counts.model_calls} model calls ({counts.prefetches} prefetches, "
            f"{counts.cancelled_fetches} cancelled, {counts.early_stops} stopped early), served without a call: "
            f"{self.cache.hits} from cache, {self.cache.through_hits} typed through, {counts.adopted} adopted; "
            f"{counts.skipped} not asked, {counts.superseded} superseded"
            + (f"; {counts.crashed_fetches} failed on a bug (see the log)" if counts.crashed_fetches else "")
        )

    def note_edit(self, uri: str) -> None:
        """A keystroke arrived (didChange): feeds the typing-speed estimate."""
        self.scheduler.note_keystroke()

    # ---- the request path -------------------------------------------------------------------

    async def complete(self, query: CompletionQuery) -> Completion | None:
        self.counters.requests += 1
        superseded = self.scheduler.begin_request()
        document = self.documents.get(query.uri)
        ctx = self._context_for(query)
        if ctx is None:
            return None

        reused = self._reuse(ctx)
        if reused is not None:
            return None if reused[1] is NOTHING else self._answer(ctx, reused[1], reused[0])

        why_not = skip_reason(
            ctx,
            automatic=query.automatic,
            after_deletion=bool(document and document.last_edit_deleted),
            paused=not self.failures.allows_automatic(),
        )
        if why_not is not None:
            if why_not != PAUSED:  # a pause after a failure says nothing about this place
                self.counters.skipped += 1
            log.debug("not asking at %s:%d: %s", query.uri, query.line, why_not)
            return None

        plan = self.scheduler.plan(ctx, automatic=query.automatic, reuse=self.settings.reuse, debounce=self._debounce)
        if isinstance(plan, Adopt):
            rest = await self._adopted(plan, superseded)
            if rest is not None:
                return self._answer(ctx, rest, "adopted")
            if superseded.done():
                return None
        elif not await sleep_unless_superseded(plan.delay_s, superseded):
            self.counters.superseded += 1
            return None

        fetch = self._start_fetch(ctx, speculative=False)
        self.scheduler.current = fetch
        suggestion = await self._wait(fetch, superseded)
        return None if suggestion is None else self._answer(ctx, suggestion, "model")

    @property
    def _debounce(self) -> Debounce:
        return Debounce(base_s=self.settings.debounce_ms / 1000, adaptive=self.settings.adaptive_debounce)

    def _context_for(self, query: CompletionQuery) -> FimContext | None:
        """document -> context; None (logged, and shown as `disabled` when refused) when there is none."""
        document = self.documents.get(query.uri)
        if document is None:
            log.info("no completion for %s: the document is not open", query.uri)
            return None
        why_off = refusal(self.settings, document)
        if why_off is not None:
            self.status.set(Status("disabled", why_off, query.uri))
            log.info("no completion for %s: %s", query.uri, why_off)
            return None
        if self.status.current is not None and self.status.current.state == "disabled":
            self.status.set(Status("ready", "Ready"))
        try:
            line, index = document.offset_of(query.line, query.character, self.encoding)
        except RequestRejected as exc:
            log.info("no completion for %s: %s", query.uri, exc)
            return None
        return extract(
            document.lines,
            line,
            index,
            max_prefix_chars=self.budget.prefix_chars,
            max_suffix_chars=self.budget.suffix_chars,
            language_id=document.language_id,
            uri=query.uri,
        )

    def _reuse(self, ctx: FimContext) -> tuple[Source, Suggestion] | None:
        """An answer with no model call: the rest of a suggestion typed through, or a cached one
        (NOTHING when the model had nothing worth showing here)."""
        if self.settings.reuse:
            rest = self.cache.through(ctx)
            if rest is not None:
                return "typing-through", rest
        cached = self.cache.get(ctx)
        return None if cached is None else ("cache", cached)

    async def _adopted(self, plan: Adopt, superseded: asyncio.Future[None]) -> Suggestion | None:
        """What is left of the adopted fetch's answer once the typed characters are taken off."""
        suggestion = await self._wait(plan.fetch, superseded)
        if suggestion is None or not suggestion.text.startswith(plan.typed):
            return None
        rest = suggestion.text[len(plan.typed) :]
        if not rest.strip():
            return None
        self.counters.adopted += 1
        return Suggestion(text=rest, replace_chars=suggestion.replace_chars)

    async def _wait(self, fetch: Fetch, superseded: asyncio.Future[None]) -> Suggestion | None:
        fetch.attach()
        try:
            finished = await wait_unless_superseded(fetch.task, superseded)
        finally:
            fetch.detach(grace_s=ADOPTION_GRACE_S)
        if not finished:
            self.counters.superseded += 1
            return None
        if fetch.task.cancelled() or fetch.task.exception() is not None:
            return None
        return fetch.task.result()

    # ---- talking to the model ---------------------------------------------------------------

    def _start_fetch(self, ctx: FimContext, *, speculative: bool) -> Fetch:
        streamed: list[str] = []
        task = asyncio.get_running_loop().create_task(self._run_fetch(ctx, streamed))
        task.add_done_callback(self._fetch_done)
        return Fetch(ctx=ctx, task=task, streamed=streamed, speculative=speculative)

    def _fetch_done(self, task: asyncio.Task[Suggestion | None]) -> None:
        if task.cancelled():
            self.counters.cancelled_fetches += 1
            return
        error = task.exception()
        if error is not None and not isinstance(error, BackendError):
            # A bug in a filter, the cache or a backend: one suggestion is lost, never silently.
            self.counters.crashed_fetches += 1
            log.error("a model request failed on a bug; the server goes on", exc_info=error)
        # A BackendError was already recorded (and the user told) where it was raised.

    def _count_early_stop(self) -> None:
        self.counters.early_stops += 1

    async def _run_fetch(self, ctx: FimContext, streamed: list[str]) -> Suggestion | None:
        """Ask the model for `ctx`; a prompt too long for the server's window is shrunk and asked once more."""
        self.counters.model_calls += 1
        try:
            suggestion = await self._caller.call(self.backend, self.settings, ctx, streamed)
        except ContextWindowExceeded as exc:
            if streamed or not self._shrink_budget(exc):
                self.failures.record(exc, self.backend.name)
                raise
            try:
                suggestion = await self._caller.call(
                    self.backend, self.settings, fit_context(ctx, self.budget), streamed
                )
            except ContextWindowExceeded as again:
                self.failures.record(again, self.backend.name)
                raise
        self.cache.put(ctx, NOTHING if suggestion is None else suggestion)
        return suggestion

    def _shrink_budget(self, error: ContextWindowExceeded) -> bool:
        """Remember a smaller prompt budget for this server; False when it cannot get smaller."""
        smaller = shrink_for_window(self.budget, n_ctx=error.n_ctx, max_tokens=self.settings.max_tokens)
        if smaller is None:
            return False
        self.budget = smaller
        window = f"{error.n_ctx} tokens" if error.n_ctx else "its size was not said"
        message = (
            f"The {self.backend.name} server's context window is too small for the prompt ({window}); "
            f"prompts are now cut to {smaller.prefix_chars} + {smaller.suffix_chars} characters. Give the server "
            "a larger context (llama.cpp: -c 8192) or lower maxPrefixChars/maxSuffixChars."
        )
        if self._window_told:
            log.warning("%s", message)
        else:
            self._window_told = True
            self._notify_user("warning", message)  # logged there too
        return True

    # ---- answers and what the editor tells us about them ------------------------------------

    def _answer(self, ctx: FimContext, suggestion: Suggestion, source: Source) -> Completion:
        document = self.documents.get(ctx.uri)
        eol = document.eol if document is not None else "\n"
        item_id = f"c-{next(self._ids)}"
        self._issued[item_id] = (ctx, suggestion)
        while len(self._issued) > ISSUED_ITEMS:
            self._issued.popitem(last=False)
        if self.settings.reuse:
            self.cache.remember_shown(ctx, suggestion)
        cursor = len(ctx.line_prefix)
        end = min(cursor + suggestion.replace_chars, len(ctx.line_prefix) + len(ctx.line_suffix))
        return Completion(
            id=item_id,
            text=suggestion.text.replace("\n", eol) if eol != "\n" else suggestion.text,
            line=ctx.cursor_line,
            start_index=cursor,
            end_index=end,
            line_text=ctx.line_prefix + ctx.line_suffix,
            source=source,
        )

    def shown(self, item_id: str) -> None:
        """The editor displays the item: fetch the next suggestion as if it were accepted."""
        issued = self._issued.get(item_id)
        if issued is not None and self.settings.prefetch:
            self._prefetch(*issued)

    def accepted(self, item_id: str) -> None:
        issued = self._issued.get(item_id)
        if issued is not None and self.settings.prefetch:
            self._prefetch(*issued)

    def partially_accepted(self, item_id: str, accepted_utf16: int) -> None:
        """The user took the first `accepted_utf16` units (a word, a line): cache the rest for
        the state the document is now in, so the next request is answered at once."""
        issued = self._issued.get(item_id)
        if issued is None:
            return
        ctx, suggestion = issued
        taken = column_to_index(suggestion.text, accepted_utf16, "utf-16")
        if taken is None or taken <= 0 or taken >= len(suggestion.text):
            return
        rest = suggestion.text[taken:]
        if rest.strip():
            after = as_if_accepted(ctx, suggestion.text[:taken])
            self.cache.put(after, Suggestion(text=rest, replace_chars=suggestion.replace_chars))

    def _prefetch(self, ctx: FimContext, suggestion: Suggestion) -> None:
        after = as_if_accepted(ctx, suggestion.text, suggestion.replace_chars)
        if self.scheduler.prefetch_wanted(
            after, cached=self.cache.has(after), paused=not self.failures.allows_automatic()
        ):
            self.counters.prefetches += 1
            self.scheduler.start_speculative(self._start_fetch(after, speculative=True))


def _budget_of(settings: Settings) -> PromptBudget:
    return PromptBudget(prefix_chars=settings.max_prefix_chars, suffix_chars=settings.max_suffix_chars)
