"""The linear orchestrator: document -> context -> reuse/cache -> schedule -> backend -> filters.

Knows nothing of LSP types: `server.py` translates LSP requests into `CompletionQuery` and the
`Completion` answers back into LSP items.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import aclosing

import attrs

from . import triggers
from .backends import Backend, FimRequest
from .cache import NOTHING, CompletionCache, cache_key
from .config import Settings
from .context import FimContext, as_if_accepted, extract
from .core import Completion, CompletionQuery, Source, Suggestion
from .documents import DocumentStore
from .errors import (
    BackendError,
    RequestRejected,
    TransportError,
)
from .failures import FailurePolicy, UserNotice
from .positions import Encoding, column_to_index
from .postprocess import SuggestionFilter, plan_completion
from .privacy import refusal
from .scheduler import (
    ADOPTION_GRACE_S,
    Fetch,
    Scheduler,
    TypingRhythm,
    adoptable,
    debounce_delay,
    sleep_unless_superseded,
    wait_unless_superseded,
)
from .status import Status, StatusTracker

log = logging.getLogger(__name__)

# The core types are re-exported: callers that build queries (the CLI) import them from here.
__all__ = ["Completion", "CompletionQuery", "Counters", "Pipeline", "Source", "Suggestion"]

ISSUED_ITEMS = 64
# A model request still running after this long shows as `fetching` (and as LSP progress).
FETCHING_NOTICE_S = 0.15


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
        self.failures = FailurePolicy(status, notify_user, clock)
        self.scheduler = Scheduler()
        self.rhythm = TypingRhythm(clock)
        self.cache = CompletionCache(settings.cache_size, settings.cache_ttl_s, clock)
        self.counters = Counters()
        self._ids = itertools.count(1)
        self._issued: OrderedDict[str, tuple[FimContext, Suggestion]] = OrderedDict()
        self._backend_latency_s: float | None = None

    # ---- settings and lifecycle -------------------------------------------------------------

    async def reconfigure(self, settings: Settings, backend: Backend) -> None:
        old_backend = self.backend
        self.scheduler.cancel_all()
        self.settings, self.backend = settings, backend
        self.cache = CompletionCache(settings.cache_size, settings.cache_ttl_s, self._clock)
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
        )

    def note_edit(self, uri: str) -> None:
        """A keystroke arrived (didChange): feeds the typing-speed estimate."""
        self.rhythm.keystroke()

    # ---- the request path -------------------------------------------------------------------

    async def complete(self, query: CompletionQuery) -> Completion | None:
        self.counters.requests += 1
        superseded = self.scheduler.begin_request()
        try:
            ctx = self._context_for(query)
        except RequestRejected as exc:
            log.info("no completion for %s: %s", query.uri, exc)
            return None

        if self.settings.reuse:
            rest = self.cache.through(ctx)
            if rest is not None:
                return self._answer(ctx, rest, "typing-through")
        cached = self.cache.get(ctx)
        if cached is not None:
            return None if cached is NOTHING else self._answer(ctx, cached, "cache")

        if query.automatic:
            if not self.failures.allows_automatic():
                return None
            document = self.documents.get(query.uri)
            reason = triggers.skip_reason(
                ctx.prefix,
                ctx.line_suffix,
                after_deletion=bool(document and document.last_edit_deleted),
            )
            if reason is not None:
                self.counters.skipped += 1
                log.debug("not asking at %s:%d: %s", query.uri, query.line, reason)
                return None

        adopted = self._adopt(ctx) if self.settings.reuse else None
        if adopted is not None:
            fetch, typed = adopted
            suggestion = await self._wait(fetch, superseded)
            if suggestion is not None and suggestion.text.startswith(typed) and suggestion.text[len(typed) :].strip():
                self.counters.adopted += 1
                rest = Suggestion(text=suggestion.text[len(typed) :], replace_chars=suggestion.replace_chars)
                return self._answer(ctx, rest, "adopted")
            if superseded.done():
                return None
        else:
            self.scheduler.cancel_current()

        if query.automatic and adopted is None:
            delay = debounce_delay(
                self.settings.debounce_ms / 1000,
                adaptive=self.settings.adaptive_debounce,
                mean_gap_s=self.rhythm.mean_gap_s,
                line_prefix=ctx.line_prefix,
                backend_latency_s=self._backend_latency_s,
            )
            if not await sleep_unless_superseded(delay, superseded):
                self.counters.superseded += 1
                return None

        fetch = self._start_fetch(ctx, speculative=False)
        self.scheduler.current = fetch
        suggestion = await self._wait(fetch, superseded)
        if suggestion is None:
            return None
        return self._answer(ctx, suggestion, "model")

    def _context_for(self, query: CompletionQuery) -> FimContext:
        document = self.documents.get(query.uri)
        if document is None:
            raise RequestRejected("the document is not open")
        why_off = refusal(self.settings, document)
        if why_off is not None:
            self.status.set(Status("disabled", why_off, query.uri))
            raise RequestRejected(why_off)
        if self.status.current is not None and self.status.current.state == "disabled":
            self.status.set(Status("ready", "Ready"))
        line, index = document.offset_of(query.line, query.character, self.encoding)
        return extract(
            document.lines,
            line,
            index,
            max_prefix_chars=self.settings.max_prefix_chars,
            max_suffix_chars=self.settings.max_suffix_chars,
            language_id=document.language_id,
            uri=query.uri,
        )

    def _adopt(self, ctx: FimContext) -> tuple[Fetch, str] | None:
        speculative = self.scheduler.speculative.get(cache_key(ctx))
        if speculative is not None and not speculative.task.done():
            speculative.speculative = False
            self.scheduler.cancel_current()
            self.scheduler.current = speculative
            return speculative, ""
        current = self.scheduler.current
        if current is None:
            return None
        typed = adoptable(current, ctx)
        return None if typed is None else (current, typed)

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
        elif task.exception() is not None:
            pass  # reported inside _run_fetch; retrieving it here silences "never retrieved"

    async def _run_fetch(self, ctx: FimContext, streamed: list[str]) -> Suggestion | None:
        """Stream one suggestion; `streamed` receives the raw chunks as they arrive (for adoption)."""
        settings = self.settings
        plan = plan_completion(ctx, settings.multiline, settings.max_tokens)
        request = FimRequest(
            prefix=ctx.prefix,
            suffix=ctx.suffix,
            model=settings.model,
            max_tokens=plan.max_tokens,
            temperature=settings.temperature,
            stop=plan.stop,
        )
        suggestion_filter = SuggestionFilter(ctx, plan)
        self.counters.model_calls += 1
        started = self._clock()
        # Only a request that is still running after a moment is announced: two status
        # notifications for every quick reply would cost the editor two wake-ups for nothing.
        announced = False

        def announce() -> None:
            nonlocal announced
            announced = True
            self.status.fetching_started()

        notice = asyncio.get_running_loop().call_later(FETCHING_NOTICE_S, announce)
        ok = False
        try:
            async with asyncio.timeout(settings.timeout_ms / 1000):
                async with aclosing(self.backend.stream(request)) as stream:  # type: ignore[type-var]
                    async for chunk in stream:
                        streamed.append(chunk)
                        if suggestion_filter.feed(chunk):
                            self.counters.early_stops += 1
                            break
            ok = True
        except TimeoutError as exc:
            error: BackendError = TransportError(f"no complete answer within timeoutMs ({settings.timeout_ms} ms)")
            self.failures.record(error, self.backend.name)
            raise error from exc
        except BackendError as exc:
            self.failures.record(exc, self.backend.name)
            raise
        finally:
            notice.cancel()
            if announced:
                self.status.fetching_ended(ok)
            elif ok:
                self.status.succeeded_quietly()
        elapsed = self._clock() - started
        self._backend_latency_s = (
            elapsed if self._backend_latency_s is None else 0.7 * self._backend_latency_s + 0.3 * elapsed
        )
        self.failures.succeeded()
        suggestion = suggestion_filter.finish()
        stop = suggestion_filter.stop
        log.debug(
            "%s plan (%s), %d chars streamed, stopped by %s, %s",
            "multi-line" if plan.multiline else "single-line",
            plan.reason,
            suggestion_filter.consumed_chars,
            stop.rule if stop else "end of stream",
            f"{len(suggestion.text)} chars shown" if suggestion else "nothing shown",
        )
        self.cache.put(ctx, NOTHING if suggestion is None else suggestion)
        return suggestion

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
        key = cache_key(after)
        if key in self.scheduler.speculative or self.cache.has(after):
            return
        current = self.scheduler.current
        if current is not None and not current.task.done() and cache_key(current.ctx) == key:
            return  # the editor already asked for exactly this state
        if not self.failures.allows_automatic():
            return
        if triggers.skip_reason(after.prefix, after.line_suffix, after_deletion=False) is not None:
            return
        # One speculative request at a time: a newer one makes the older one pointless.
        for old in self.scheduler.speculative.values():
            if old.speculative:
                old.task.cancel()
        self.scheduler.speculative = {k: f for k, f in self.scheduler.speculative.items() if not f.task.done()}
        fetch = self._start_fetch(after, speculative=True)
        self.counters.prefetches += 1
        self.scheduler.speculative[key] = fetch
        fetch.task.add_done_callback(lambda _t: self.scheduler.speculative.pop(key, None))
