"""When to ask the model, and which in-flight request a new keystroke can reuse.

Every scheduling decision lives here; the pipeline only carries them out:
- `skip_reason` (automatic requests only): the trigger rules and a failure pause.
- `Scheduler.plan`: adopt an in-flight fetch the user is typing along (or a prefetch for exactly
  this place), or cancel it and ask anew after `debounce_delay`.
- `Scheduler.prefetch_wanted`: whether a speculative request for the text after an accept is worth it.
- `debounce_delay`: pure; the wait after a keystroke, adapted to typing speed, the cursor's
  position and the backend's measured latency.
- `Fetch`: one model request in flight, with the raw text streamed so far and a count of the
  LSP requests waiting on it. A fetch nobody waits for is cancelled, which closes its HTTP stream.
- `Scheduler.begin_request`: supersedes the previous LSP request when a new one arrives (it is
  answered empty at once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import attrs

from . import triggers
from .cache import CacheKey, cache_key
from .context import FimContext
from .core import Suggestion

# A fetch whose only waiter was cancelled by the client lives this long, so the request that the
# editor sends right after the cancel can still adopt it.
ADOPTION_GRACE_S = 0.08
ANCHOR_CHARS = 300
MAX_TYPED_CHARS = 400
MIN_DEBOUNCE_S = 0.03
MAX_DEBOUNCE_S = 0.6
# Weight of the newest measurement in the backend latency estimate.
LATENCY_WEIGHT = 0.3
PAUSED = "automatic requests are paused after a failure"


class TypingRhythm:
    """Exponential moving average of the gaps between keystrokes inside a burst."""

    BURST_GAP_S = 1.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: float | None = None
        self.mean_gap_s: float | None = None

    def keystroke(self) -> None:
        now = self._clock()
        if self._last is not None:
            gap = now - self._last
            if gap < self.BURST_GAP_S:
                self.mean_gap_s = gap if self.mean_gap_s is None else 0.7 * self.mean_gap_s + 0.3 * gap
        self._last = now


def debounce_delay(
    base_s: float,
    *,
    adaptive: bool,
    mean_gap_s: float | None,
    line_prefix: str,
    backend_latency_s: float | None,
) -> float:
    """Seconds to wait before asking. Fixed `base_s` unless adaptive.

    Adaptive: wait a little longer than this user's usual gap between keys (so we do not fire in
    the middle of a burst), less where a suggestion is likely wanted (after a non-word character,
    i.e. a space, bracket or operator), and less again when the backend is slow, because its
    latency dominates and an adopted in-flight request costs nothing extra.
    """
    if not adaptive:
        return base_s
    delay = base_s if mean_gap_s is None else min(max(1.3 * mean_gap_s, MIN_DEBOUNCE_S), MAX_DEBOUNCE_S)
    last = line_prefix[-1:]
    if last == "" or not (last.isalnum() or last == "_"):
        delay *= 0.6
    if backend_latency_s is not None and backend_latency_s > 0.5:
        delay *= 0.75
    return min(max(delay, MIN_DEBOUNCE_S), MAX_DEBOUNCE_S)


@attrs.define(eq=False)
class Fetch:
    """One model request in flight (or done)."""

    ctx: FimContext
    task: asyncio.Task[Suggestion | None]
    streamed: list[str] = attrs.field(factory=list)
    waiters: int = 0
    speculative: bool = False
    _orphan_timer: asyncio.TimerHandle | None = None

    @property
    def raw(self) -> str:
        return "".join(self.streamed)

    def attach(self) -> None:
        self.waiters += 1
        if self._orphan_timer is not None:
            self._orphan_timer.cancel()
            self._orphan_timer = None

    def detach(self, *, grace_s: float) -> None:
        self.waiters -= 1
        if self.waiters <= 0 and not self.task.done() and not self.speculative:
            loop = asyncio.get_running_loop()
            self._orphan_timer = loop.call_later(grace_s, self._cancel_if_orphan)

    def _cancel_if_orphan(self) -> None:
        self._orphan_timer = None
        if self.waiters <= 0:
            self.task.cancel()


def typed_since(old: FimContext, new: FimContext) -> str | None:
    """What the user typed at the cursor to get from `old` to `new`, if typing is all that happened.

    Works across window moves: it looks for the end of the old prefix inside the new one.
    """
    if new.suffix[:ANCHOR_CHARS] != old.suffix[:ANCHOR_CHARS]:
        return None
    anchor = old.prefix[-ANCHOR_CHARS:]
    at = new.prefix.rfind(anchor, max(0, len(new.prefix) - len(anchor) - MAX_TYPED_CHARS))
    if at < 0:
        return None
    return new.prefix[at + len(anchor) :] or None


def adoptable(fetch: Fetch, ctx: FimContext) -> str | None:
    """The typed text if `ctx` can wait for `fetch` instead of starting a new request."""
    if fetch.task.done() and (fetch.task.cancelled() or fetch.task.exception() is not None):
        return None
    typed = typed_since(fetch.ctx, ctx)
    if not typed:
        return None
    raw = fetch.raw
    if raw.startswith(typed) or (typed.startswith(raw) and not fetch.task.done()):
        return typed
    return None


def skip_reason(ctx: FimContext, *, automatic: bool, after_deletion: bool, paused: bool) -> str | None:
    """Why this request should not reach the model, or None to go ahead.

    An explicit request (a shortcut, a menu the user opened) always asks: the skip rules only
    guess whether an *automatic* suggestion would be welcome.
    """
    if not automatic:
        return None
    if paused:
        return PAUSED
    return triggers.skip_reason(ctx.prefix, ctx.line_suffix, after_deletion=after_deletion)


@attrs.frozen
class Adopt:
    """Wait for `fetch` (already in flight) and drop the `typed` characters from its answer."""

    fetch: Fetch
    typed: str


@attrs.frozen
class Ask:
    """Start a new fetch after waiting `delay_s` (0 for explicit requests)."""

    delay_s: float


Plan = Adopt | Ask


@attrs.frozen
class Debounce:
    """The debounce settings, read once per request."""

    base_s: float
    adaptive: bool


class Scheduler:
    """Tracks the latest LSP request, the fetch behind it and the speculative ones, and decides."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._latest: asyncio.Future[None] | None = None
        self.current: Fetch | None = None
        self.speculative: dict[CacheKey, Fetch] = {}
        self.superseded_count = 0
        self.rhythm = TypingRhythm(clock)
        self.backend_latency_s: float | None = None

    def note_keystroke(self) -> None:
        self.rhythm.keystroke()

    def note_latency(self, elapsed_s: float) -> None:
        """A fetch finished after `elapsed_s`: slow backends get a shorter debounce."""
        previous = self.backend_latency_s
        self.backend_latency_s = (
            elapsed_s if previous is None else (1 - LATENCY_WEIGHT) * previous + LATENCY_WEIGHT * elapsed_s
        )

    def begin_request(self) -> asyncio.Future[None]:
        """Register a new LSP request; the previous one is told it is superseded."""
        if self._latest is not None and not self._latest.done():
            self._latest.set_result(None)
            self.superseded_count += 1
        self._latest = asyncio.get_running_loop().create_future()
        return self._latest

    def plan(self, ctx: FimContext, *, automatic: bool, reuse: bool, debounce: Debounce) -> Plan:
        """Adopt what is in flight when it fits `ctx`; otherwise cancel it and ask anew."""
        adopted = self._adoptable(ctx) if reuse else None
        if adopted is not None:
            return adopted
        self.cancel_current()
        if not automatic:
            return Ask(0.0)
        delay = debounce_delay(
            debounce.base_s,
            adaptive=debounce.adaptive,
            mean_gap_s=self.rhythm.mean_gap_s,
            line_prefix=ctx.line_prefix,
            backend_latency_s=self.backend_latency_s,
        )
        return Ask(delay)

    def _adoptable(self, ctx: FimContext) -> Adopt | None:
        speculative = self.speculative.get(cache_key(ctx))
        if speculative is not None and not speculative.task.done():
            # The prefetch for exactly this place becomes the request the user waits for.
            speculative.speculative = False
            self.cancel_current()
            self.current = speculative
            return Adopt(speculative, "")
        current = self.current
        if current is None:
            return None
        typed = adoptable(current, ctx)
        return None if typed is None else Adopt(current, typed)

    def prefetch_wanted(self, after: FimContext, *, cached: bool, paused: bool) -> bool:
        """Whether to ask now for the suggestion after `after` (the text once accepted)."""
        key = cache_key(after)
        if cached or paused or key in self.speculative:
            return False
        current = self.current
        if current is not None and not current.task.done() and cache_key(current.ctx) == key:
            return False  # the editor already asked for exactly this state
        return triggers.skip_reason(after.prefix, after.line_suffix, after_deletion=False) is None

    def start_speculative(self, fetch: Fetch) -> None:
        """Keep one speculative fetch at a time: a newer one makes the older one pointless."""
        for old in self.speculative.values():
            if old.speculative:
                old.task.cancel()
        self.speculative = {k: f for k, f in self.speculative.items() if not f.task.done()}
        key = cache_key(fetch.ctx)
        self.speculative[key] = fetch
        fetch.task.add_done_callback(lambda _task: self.speculative.pop(key, None))

    def cancel_current(self) -> None:
        if self.current is not None and not self.current.task.done():
            self.current.task.cancel()
        self.current = None

    def cancel_all(self) -> None:
        self.cancel_current()
        for fetch in self.speculative.values():
            fetch.task.cancel()
        self.speculative.clear()


async def wait_unless_superseded(awaitable: asyncio.Future[Any], superseded: asyncio.Future[None]) -> bool:
    """Wait for `awaitable`; False (without cancelling it) if `superseded` resolves first."""
    if awaitable.done():
        return True
    done, _ = await asyncio.wait({awaitable, superseded}, return_when=asyncio.FIRST_COMPLETED)
    return awaitable in done


async def sleep_unless_superseded(delay_s: float, superseded: asyncio.Future[None]) -> bool:
    """Sleep `delay_s`; False as soon as `superseded` resolves."""
    if delay_s <= 0:
        return not superseded.done()
    try:
        await asyncio.wait_for(asyncio.shield(superseded), timeout=delay_s)
    except TimeoutError:
        return True
    return False
