"""Completion cache and typing-through reuse. Pure: no I/O, no LSP; the clock is passed in.

- The cache key is the text around the cursor (the end of the prefix, the start of the suffix),
  never the whole file: edits far away and window moves do not invalidate it, and any change
  near the cursor does, so a cached suggestion always fits where it is served.
- Typing through: when the user types characters a recent suggestion predicted, the rest of that
  suggestion is served with no model call.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

import attrs
from cachetools import TLRUCache

from .context import FimContext
from .core import Suggestion

KEY_PREFIX_CHARS = 1500
KEY_SUFFIX_CHARS = 500
# How much of the old prefix must still stand before the typed text for typing-through to apply.
ANCHOR_CHARS = 300
RECENT_SUGGESTIONS = 16

CacheKey = tuple[str, str]

# Cached for a place where the model had nothing worth showing, so it is not asked again.
NOTHING = Suggestion(text="")


def cache_key(ctx: FimContext) -> CacheKey:
    return (ctx.prefix[-KEY_PREFIX_CHARS:], ctx.suffix[:KEY_SUFFIX_CHARS])


@attrs.frozen
class _Shown:
    anchor: str
    suffix_head: str
    suggestion: Suggestion


def typed_through(anchor: str, suffix_head: str, suggestion: Suggestion, ctx: FimContext) -> Suggestion | None:
    """The rest of `suggestion` if `ctx` is its origin plus a typed prefix of it, else None."""
    if ctx.suffix[:KEY_SUFFIX_CHARS] != suffix_head:
        return None
    text, prefix = suggestion.text, ctx.prefix
    last = prefix[-1:] if prefix else ""
    for typed in range(len(text) - 1, 0, -1):
        if text[typed - 1] != last:
            continue
        if prefix.endswith(text[:typed]) and prefix[: len(prefix) - typed].endswith(anchor):
            rest = text[typed:]
            if rest.strip():
                return Suggestion(text=rest, replace_chars=suggestion.replace_chars)
    return None


class CompletionCache:
    """Bounded in size and age; keyed by the text around the cursor."""

    def __init__(self, max_entries: int, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: TLRUCache[CacheKey, Suggestion] | None = (
            TLRUCache(maxsize=max_entries, ttu=lambda _k, _v, now: now + ttl_s, timer=clock)
            if max_entries > 0
            else None
        )
        self._recent: deque[_Shown] = deque(maxlen=RECENT_SUGGESTIONS)
        self.hits = 0
        self.through_hits = 0

    def get(self, ctx: FimContext) -> Suggestion | None:
        if self._entries is None:
            return None
        found = self._entries.get(cache_key(ctx))
        if found is not None:
            self.hits += 1
        return found

    def has(self, ctx: FimContext) -> bool:
        """Whether a suggestion is cached for `ctx` (without counting a hit)."""
        return self._entries is not None and cache_key(ctx) in self._entries

    def put(self, ctx: FimContext, suggestion: Suggestion) -> None:
        if self._entries is not None:
            self._entries[cache_key(ctx)] = suggestion

    def remember_shown(self, ctx: FimContext, suggestion: Suggestion) -> None:
        """Keep a suggestion the user saw, so typing its characters costs no request."""
        self._recent.appendleft(_Shown(ctx.prefix[-ANCHOR_CHARS:], ctx.suffix[:KEY_SUFFIX_CHARS], suggestion))

    def through(self, ctx: FimContext) -> Suggestion | None:
        for shown in self._recent:
            rest = typed_through(shown.anchor, shown.suffix_head, shown.suggestion, ctx)
            if rest is not None:
                self.through_hits += 1
                return rest
        return None

    def clear(self) -> None:
        if self._entries is not None:
            self._entries.clear()
        self._recent.clear()
