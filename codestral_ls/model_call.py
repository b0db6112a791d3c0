"""One streamed model request: backend -> filters, with its status, failure and latency bookkeeping.

The filters see each chunk as it arrives and close the stream as soon as the suggestion is
complete. A failure is recorded with the failure policy (which tells the user once per kind),
except a context-window refusal, which the pipeline handles by shrinking the prompt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import aclosing

from .backends import Backend, FimRequest
from .config import Settings
from .context import FimContext
from .core import Suggestion
from .errors import BackendError, ContextWindowExceeded, TransportError
from .failures import FailurePolicy
from .postprocess import SuggestionFilter, plan_completion
from .status import StatusTracker

log = logging.getLogger(__name__)

# A model request still running after this long shows as `fetching` (and as LSP progress).
FETCHING_NOTICE_S = 0.15


class ModelCaller:
    def __init__(
        self,
        *,
        status: StatusTracker,
        failures: FailurePolicy,
        clock: Callable[[], float],
        on_latency: Callable[[float], None],
        on_early_stop: Callable[[], None],
    ) -> None:
        self._status = status
        self._failures = failures
        self._clock = clock
        self._on_latency = on_latency
        self._on_early_stop = on_early_stop

    async def call(
        self, backend: Backend, settings: Settings, ctx: FimContext, streamed: list[str]
    ) -> Suggestion | None:
        """Stream one suggestion for `ctx`; `streamed` receives the raw chunks (for adoption).

        Raises the backend's `BackendError` (a timeout becomes `TransportError`).
        """
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
        started = self._clock()
        # Only a request that is still running after a moment is announced: two status
        # notifications for every quick reply would cost the editor two wake-ups for nothing.
        announced = False

        def announce() -> None:
            nonlocal announced
            announced = True
            self._status.fetching_started()

        notice = asyncio.get_running_loop().call_later(FETCHING_NOTICE_S, announce)
        ok = False
        try:
            async with asyncio.timeout(settings.timeout_ms / 1000):
                async with aclosing(backend.stream(request)) as stream:  # type: ignore[type-var]
                    async for chunk in stream:
                        streamed.append(chunk)
                        if suggestion_filter.feed(chunk):
                            self._on_early_stop()
                            break
            ok = True
        except TimeoutError as exc:
            error: BackendError = TransportError(f"no complete answer within timeoutMs ({settings.timeout_ms} ms)")
            self._failures.record(error, backend.name)
            raise error from exc
        except ContextWindowExceeded:
            raise  # the pipeline shrinks the prompt and decides what the user hears
        except BackendError as exc:
            self._failures.record(exc, backend.name)
            raise
        finally:
            notice.cancel()
            if announced:
                self._status.fetching_ended(ok)
            elif ok:
                self._status.succeeded_quietly()
        self._on_latency(self._clock() - started)
        self._failures.succeeded()
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
        return suggestion
