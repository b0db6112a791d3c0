"""scheduler: debounce, typing rhythm, in-flight adoption, supersede and the waits built on it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest

from codestral_ls.cache import cache_key
from codestral_ls.context import FimContext
from codestral_ls.core import Suggestion
from codestral_ls.scheduler import (
    MAX_DEBOUNCE_S,
    MAX_TYPED_CHARS,
    MIN_DEBOUNCE_S,
    PAUSED,
    Adopt,
    Ask,
    Debounce,
    Fetch,
    Scheduler,
    TypingRhythm,
    adoptable,
    debounce_delay,
    skip_reason,
    sleep_unless_superseded,
    typed_since,
    wait_unless_superseded,
)


def ctx(prefix: str, suffix: str = "") -> FimContext:
    return FimContext(
        prefix=prefix,
        suffix=suffix,
        line_prefix=prefix.rsplit("\n", 1)[-1],
        line_suffix=suffix.split("\n", 1)[0],
    )


FAR = "# far away\n" * 100
BODY = "def add(a, b):\n    "
TAIL = "\n\nprint(add(1, 2))\n"

# ---- debounce_delay ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_s", "adaptive", "mean_gap_s", "line_prefix", "latency_s", "expected"),
    [
        pytest.param(0.12, False, 0.05, "x ", 2.0, 0.12, id="fixed-ignores-everything"),
        pytest.param(2.0, False, None, "x", None, 2.0, id="fixed-is-not-clamped"),
        pytest.param(0.0, False, None, "x", None, 0.0, id="fixed-zero"),
        pytest.param(0.12, True, None, "foo", None, 0.12, id="adaptive-no-rhythm-after-word"),
        pytest.param(0.12, True, None, "foo ", None, 0.072, id="after-space"),
        pytest.param(0.12, True, None, "foo(", None, 0.072, id="after-bracket"),
        pytest.param(0.12, True, None, "a.", None, 0.072, id="after-dot"),
        pytest.param(0.12, True, None, "", None, 0.072, id="empty-line"),
        pytest.param(0.12, True, None, "foo_", None, 0.12, id="underscore-is-a-word-char"),
        pytest.param(0.12, True, None, "x1", None, 0.12, id="digit-is-a-word-char"),
        pytest.param(0.12, True, None, "caf\u00e9", None, 0.12, id="accented-letter-is-a-word-char"),
        pytest.param(0.12, True, None, "\u4e2d", None, 0.12, id="cjk-is-a-word-char"),
        pytest.param(0.12, True, 0.1, "foo", None, 0.13, id="follows-typing-gap"),
        pytest.param(0.12, True, 0.1, "foo ", None, 0.078, id="typing-gap-after-space"),
        pytest.param(0.12, True, 1.0, "foo", None, MAX_DEBOUNCE_S, id="slow-typist-clamped-high"),
        pytest.param(0.12, True, 1.0, "foo ", None, 0.36, id="slow-typist-after-space"),
        pytest.param(0.12, True, 0.001, "foo", None, MIN_DEBOUNCE_S, id="fast-typist-clamped-low"),
        pytest.param(0.12, True, 0.001, "foo ", None, MIN_DEBOUNCE_S, id="fast-typist-after-space-clamped"),
        pytest.param(0.12, True, None, "foo", 0.8, 0.09, id="slow-backend"),
        pytest.param(0.12, True, None, "foo", 0.5, 0.12, id="backend-at-threshold-is-not-slow"),
        pytest.param(0.12, True, None, "foo", 0.2, 0.12, id="fast-backend"),
        pytest.param(0.12, True, None, "foo ", 0.8, 0.054, id="slow-backend-after-space"),
        pytest.param(0.12, True, 0.02, "foo ", 0.8, MIN_DEBOUNCE_S, id="everything-shortens-clamped"),
        pytest.param(2.0, True, None, "foo", None, MAX_DEBOUNCE_S, id="big-base-clamped"),
        pytest.param(0.0, True, None, "foo", None, MIN_DEBOUNCE_S, id="zero-base-clamped"),
    ],
)
def test_debounce_delay(
    base_s: float, adaptive: bool, mean_gap_s: float | None, line_prefix: str, latency_s: float | None, expected: float
) -> None:
    got = debounce_delay(
        base_s, adaptive=adaptive, mean_gap_s=mean_gap_s, line_prefix=line_prefix, backend_latency_s=latency_s
    )
    assert got == pytest.approx(expected)


# ---- TypingRhythm ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gaps", "mean"),
    [
        pytest.param([], None, id="one-keystroke"),
        pytest.param([0.2], 0.2, id="two-keystrokes"),
        pytest.param([0.2, 0.1], 0.7 * 0.2 + 0.3 * 0.1, id="moving-average"),
        pytest.param([0.2, 0.1, 0.3], 0.7 * (0.7 * 0.2 + 0.3 * 0.1) + 0.3 * 0.3, id="three-gaps"),
        pytest.param([1.0], None, id="pause-is-not-a-gap"),
        pytest.param([5.0, 0.2], 0.2, id="pause-then-burst"),
        pytest.param([0.2, 1.0, 0.1], 0.7 * 0.2 + 0.3 * 0.1, id="pause-inside-is-ignored"),
        pytest.param([0.999], 0.999, id="just-under-burst-gap"),
        pytest.param([0.0, 0.0], 0.0, id="same-instant"),
    ],
)
def test_typing_rhythm(gaps: list[float], mean: float | None) -> None:
    now = [100.0]
    rhythm = TypingRhythm(clock=lambda: now[0])
    rhythm.keystroke()
    for gap in gaps:
        now[0] += gap
        rhythm.keystroke()
    if mean is None:
        assert rhythm.mean_gap_s is None
    else:
        assert rhythm.mean_gap_s == pytest.approx(mean)


# ---- typed_since ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "typed"),
    [
        pytest.param(ctx(BODY, TAIL), ctx(BODY + "r", TAIL), "r", id="one-char"),
        pytest.param(ctx(BODY, TAIL), ctx(BODY + "return a", TAIL), "return a", id="several"),
        pytest.param(ctx(BODY, TAIL), ctx(BODY + "if a:\n        ", TAIL), "if a:\n        ", id="across-newline"),
        pytest.param(ctx(BODY, TAIL), ctx(BODY, TAIL), None, id="nothing-typed"),
        pytest.param(ctx(BODY, TAIL), ctx(BODY[:-1], TAIL), None, id="deleted"),
        pytest.param(ctx(BODY, TAIL), ctx(BODY + "r", "\n" + TAIL), None, id="suffix-changed"),
        pytest.param(ctx(BODY, TAIL), ctx("def add(a, c):\n    r", TAIL), None, id="text-before-changed"),
        pytest.param(
            ctx(BODY, TAIL + "x" * 300 + "a"),
            ctx(BODY + "r", TAIL + "x" * 300 + "b"),
            "r",
            id="suffix-change-far-below",
        ),
        pytest.param(ctx(FAR + BODY, TAIL), ctx(FAR[500:] + BODY + "ret", TAIL), "ret", id="window-moved"),
        pytest.param(ctx(FAR + BODY, TAIL), ctx("# new\n" + FAR + BODY + "ret", TAIL), "ret", id="edit-far-above"),
        pytest.param(ctx(BODY, TAIL), ctx(BODY + "x" * MAX_TYPED_CHARS, TAIL), "x" * MAX_TYPED_CHARS, id="max-typed"),
        pytest.param(ctx(BODY, TAIL), ctx(BODY + "x" * (MAX_TYPED_CHARS + 1), TAIL), None, id="too-much-typed"),
    ],
)
def test_typed_since(old: FimContext, new: FimContext, typed: str | None) -> None:
    assert typed_since(old, new) == typed


# ---- Fetch and adoptable (real asyncio tasks) --------------------------------------------------


@contextlib.asynccontextmanager
async def a_task(state: str) -> AsyncIterator[asyncio.Task[Suggestion | None]]:
    """A real task that is pending, done, cancelled or failed."""
    release = asyncio.Event()

    async def body() -> Suggestion | None:
        if state == "failed":
            raise RuntimeError("backend broke")
        if state == "pending":
            await release.wait()
        if state == "cancelled":
            await asyncio.sleep(3600)
        return Suggestion("return a + b")

    task = asyncio.get_running_loop().create_task(body())
    if state == "cancelled":
        await asyncio.sleep(0)
        task.cancel()
    if state != "pending":
        await asyncio.wait({task})
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, RuntimeError):
            await task


@pytest.mark.parametrize(
    ("state", "streamed", "new_prefix", "new_suffix", "typed"),
    [
        pytest.param("pending", "return a + b", BODY + "ret", TAIL, "ret", id="typing-along-the-stream"),
        pytest.param("pending", "ret", BODY + "return", TAIL, "return", id="typing-ahead-of-the-stream"),
        pytest.param("pending", "", BODY + "x", TAIL, "x", id="nothing-streamed-yet"),
        pytest.param("pending", "return a + b", BODY + "rex", TAIL, None, id="typing-against-the-stream"),
        pytest.param("pending", "ret", BODY + "rx", TAIL, None, id="typing-ahead-diverging"),
        pytest.param("pending", "return a + b", BODY, TAIL, None, id="nothing-typed"),
        pytest.param("pending", "return a + b", BODY + "ret", TAIL + "#", None, id="suffix-changed"),
        pytest.param("done", "return a + b", BODY + "ret", TAIL, "ret", id="done-and-agrees"),
        pytest.param("done", "ret", BODY + "return", TAIL, None, id="done-and-typed-past-its-end"),
        pytest.param("cancelled", "return a + b", BODY + "ret", TAIL, None, id="cancelled"),
        pytest.param("failed", "return a + b", BODY + "ret", TAIL, None, id="failed"),
    ],
)
async def test_adoptable(state: str, streamed: str, new_prefix: str, new_suffix: str, typed: str | None) -> None:
    async with a_task(state) as task:
        fetch = Fetch(ctx(BODY, TAIL), task, streamed=list(streamed))
        assert fetch.raw == streamed
        assert adoptable(fetch, ctx(new_prefix, new_suffix)) == typed


async def _settle(task: asyncio.Task[Any]) -> None:
    """Let the loop run until `task` is done or a short while has passed, without asserting on time."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.shield(asyncio.wait({task})), 1.0)


async def test_fetch_nobody_waits_for_is_cancelled_after_the_grace() -> None:
    async with a_task("pending") as task:
        fetch = Fetch(ctx(BODY), task)
        fetch.attach()
        fetch.detach(grace_s=0.0)
        await _settle(task)
        assert task.cancelled()


async def test_fetch_attached_again_within_the_grace_lives_on() -> None:
    async with a_task("pending") as task:
        fetch = Fetch(ctx(BODY), task)
        fetch.attach()
        fetch.detach(grace_s=0.05)
        fetch.attach()  # the next request adopts it
        await asyncio.sleep(0.2)
        assert not task.done() and fetch.waiters == 1


async def test_fetch_with_another_waiter_lives_on() -> None:
    async with a_task("pending") as task:
        fetch = Fetch(ctx(BODY), task)
        fetch.attach()
        fetch.attach()
        fetch.detach(grace_s=0.0)
        await asyncio.sleep(0.05)
        assert not task.done() and fetch.waiters == 1


async def test_speculative_fetch_survives_without_waiters() -> None:
    async with a_task("pending") as task:
        fetch = Fetch(ctx(BODY), task, speculative=True)
        fetch.attach()
        fetch.detach(grace_s=0.0)
        await asyncio.sleep(0.05)
        assert not task.done()


# ---- Scheduler -----------------------------------------------------------------------------------


async def test_begin_request_supersedes_the_previous_one() -> None:
    scheduler = Scheduler()
    first = scheduler.begin_request()
    assert not first.done() and scheduler.superseded_count == 0
    second = scheduler.begin_request()
    assert first.done() and not second.done() and scheduler.superseded_count == 1
    third = scheduler.begin_request()
    assert second.done() and not third.done() and scheduler.superseded_count == 2
    assert first.result() is None  # resolved, not cancelled: waiters answer empty


async def test_cancel_current_and_all() -> None:
    scheduler = Scheduler()
    async with a_task("pending") as current, a_task("pending") as spec, a_task("done") as finished:
        scheduler.current = Fetch(ctx(BODY), current)
        scheduler.speculative = {cache_key(ctx(BODY)): Fetch(ctx(BODY), spec, speculative=True)}
        scheduler.cancel_current()
        await _settle(current)
        assert current.cancelled() and scheduler.current is None and not spec.done()
        scheduler.current = Fetch(ctx(BODY), finished)
        scheduler.cancel_all()
        await _settle(spec)
        assert spec.cancelled() and scheduler.speculative == {} and scheduler.current is None
        assert not finished.cancelled() and finished.result() == Suggestion("return a + b")


# ---- wait_unless_superseded / sleep_unless_superseded ------------------------------------------------


def _future() -> asyncio.Future[Any]:
    return asyncio.get_running_loop().create_future()


async def _bounded(coro: Coroutine[Any, Any, bool]) -> bool:
    # A broken implementation must fail the test, not hang it.
    return await asyncio.wait_for(coro, 10)


async def test_wait_returns_true_when_the_awaitable_finishes_first() -> None:
    awaited, superseded = _future(), _future()
    asyncio.get_running_loop().call_soon(awaited.set_result, "done")
    assert await _bounded(wait_unless_superseded(awaited, superseded)) is True
    assert not superseded.done()


async def test_wait_returns_false_when_superseded_first_and_leaves_the_awaitable_running() -> None:
    awaited, superseded = _future(), _future()
    asyncio.get_running_loop().call_soon(superseded.set_result, None)
    assert await _bounded(wait_unless_superseded(awaited, superseded)) is False
    assert not awaited.done()  # another request may adopt it


@pytest.mark.parametrize(
    ("awaited_done", "superseded_done", "expected"),
    [
        pytest.param(True, False, True, id="already-finished"),
        pytest.param(True, True, True, id="finished-beats-superseded"),
        pytest.param(False, True, False, id="already-superseded"),
    ],
)
async def test_wait_with_futures_already_settled(awaited_done: bool, superseded_done: bool, expected: bool) -> None:
    awaited, superseded = _future(), _future()
    if awaited_done:
        awaited.set_result("x")
    if superseded_done:
        superseded.set_result(None)
    assert await _bounded(wait_unless_superseded(awaited, superseded)) is expected


async def test_cancelling_the_waiter_cancels_neither_future() -> None:
    awaited, superseded = _future(), _future()
    waiter = asyncio.get_running_loop().create_task(wait_unless_superseded(awaited, superseded))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not awaited.done() and not superseded.done()


@pytest.mark.parametrize(
    ("delay_s", "supersede", "expected"),
    [
        pytest.param(0.0, "never", True, id="no-delay"),
        pytest.param(-1.0, "never", True, id="negative-delay"),
        pytest.param(0.0, "before", False, id="no-delay-already-superseded"),
        pytest.param(0.01, "never", True, id="slept-through"),
        pytest.param(0.01, "before", False, id="already-superseded"),
        pytest.param(3600.0, "during", False, id="superseded-during-a-long-sleep"),
    ],
)
async def test_sleep_unless_superseded(delay_s: float, supersede: str, expected: bool) -> None:
    superseded: asyncio.Future[None] = _future()
    if supersede == "before":
        superseded.set_result(None)
    elif supersede == "during":
        asyncio.get_running_loop().call_later(0.01, superseded.set_result, None)
    assert await _bounded(sleep_unless_superseded(delay_s, superseded)) is expected
    # The timeout never cancels the request's future: it can still be resolved later.
    assert not superseded.cancelled()
    if not superseded.done():
        superseded.set_result(None)


async def test_cancelling_the_sleeper_propagates_and_spares_the_future() -> None:
    superseded: asyncio.Future[None] = _future()
    sleeper = asyncio.get_running_loop().create_task(sleep_unless_superseded(3600, superseded))
    await asyncio.sleep(0)
    sleeper.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sleeper
    assert not superseded.done()


async def test_a_request_superseded_while_debouncing_answers_empty() -> None:
    """The pipeline's shape: request 1 debounces, request 2 arrives; only request 2 goes on."""
    scheduler = Scheduler()
    outcomes: dict[str, bool] = {}

    async def request(name: str, delay_s: float) -> None:
        superseded = scheduler.begin_request()
        outcomes[name] = await sleep_unless_superseded(delay_s, superseded)

    first = asyncio.get_running_loop().create_task(request("first", 3600))
    await asyncio.sleep(0)
    await asyncio.wait_for(request("second", 0.01), 10)
    await asyncio.wait_for(first, 10)
    assert outcomes == {"first": False, "second": True}
    assert scheduler.superseded_count == 1


# ---- skip_reason / plan / prefetch_wanted: the decisions --------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "suffix", "automatic", "after_deletion", "paused", "reason"),
    [
        pytest.param(BODY, TAIL, True, False, False, None, id="automatic-at-line-end-asks"),
        pytest.param("x = f(", "a, b)", True, False, False, "mid-line", id="automatic-mid-line"),
        pytest.param("x = f(", "a, b)", False, False, False, None, id="explicit-mid-line-asks"),
        pytest.param(BODY, TAIL, True, True, False, "after a deletion", id="automatic-after-deletion"),
        pytest.param(BODY, TAIL, False, True, True, None, id="explicit-ignores-deletion-and-pause"),
        pytest.param(BODY, TAIL, True, False, True, PAUSED, id="automatic-paused"),
        pytest.param("x", "", True, False, False, "prompt too short", id="automatic-too-short"),
        pytest.param("x", "", False, False, False, None, id="explicit-too-short-asks"),
    ],
)
def test_skip_reason(
    prefix: str, suffix: str, automatic: bool, after_deletion: bool, paused: bool, reason: str | None
) -> None:
    got = skip_reason(ctx(prefix, suffix), automatic=automatic, after_deletion=after_deletion, paused=paused)
    assert got == reason


FIXED = Debounce(base_s=0.2, adaptive=False)


@pytest.mark.parametrize(
    ("state", "streamed", "typed", "automatic", "reuse", "expected"),
    [
        pytest.param(None, "", "", True, True, Ask(0.2), id="nothing-in-flight-debounces"),
        pytest.param(None, "", "", False, True, Ask(0.0), id="explicit-asks-at-once"),
        pytest.param("pending", "return a", "ret", True, True, "adopt:ret", id="typing-along-adopts"),
        pytest.param("pending", "return a", "x", True, True, "cancel", id="typing-against-cancels"),
        pytest.param("pending", "return a", "ret", True, False, "cancel", id="reuse-off-never-adopts"),
        pytest.param("pending", "return a", "ret", False, True, "adopt:ret", id="explicit-adopts-too"),
    ],
)
async def test_plan(
    state: str | None, streamed: str, typed: str, automatic: bool, reuse: bool, expected: Ask | str
) -> None:
    scheduler = Scheduler()
    async with a_task(state or "done") as task:
        if state is not None:
            scheduler.current = Fetch(ctx(BODY, TAIL), task, streamed=list(streamed))
        plan = scheduler.plan(ctx(BODY + typed, TAIL), automatic=automatic, reuse=reuse, debounce=FIXED)
        if expected == "cancel":
            await _settle(task)
            assert plan == Ask(0.2 if automatic else 0.0) and task.cancelled() and scheduler.current is None
        elif isinstance(expected, str):
            assert isinstance(plan, Adopt) and plan.fetch.task is task and plan.typed == expected.split(":")[1]
        else:
            assert plan == expected


async def test_plan_adopts_a_prefetch_for_exactly_this_place() -> None:
    scheduler = Scheduler()
    async with a_task("pending") as current, a_task("pending") as prefetch:
        scheduler.current = Fetch(ctx("elsewhere\n", TAIL), current)
        scheduler.start_speculative(Fetch(ctx(BODY, TAIL), prefetch, speculative=True))
        plan = scheduler.plan(ctx(BODY, TAIL), automatic=True, reuse=True, debounce=FIXED)
        await _settle(current)
        assert isinstance(plan, Adopt) and plan.fetch.task is prefetch and plan.typed == ""
        assert current.cancelled() and scheduler.current is plan.fetch and not plan.fetch.speculative


@pytest.mark.parametrize(
    ("after_prefix", "cached", "paused", "in_flight_here", "wanted"),
    [
        pytest.param(BODY + "return a + b\n", False, False, False, True, id="worth-it"),
        pytest.param(BODY + "return a + b\n", True, False, False, False, id="already-cached"),
        pytest.param(BODY + "return a + b\n", False, True, False, False, id="paused"),
        pytest.param(BODY + "return a + b\n", False, False, True, False, id="already-asked-for"),
        pytest.param("x", False, False, False, False, id="skip-rules-say-no"),
    ],
)
async def test_prefetch_wanted(
    after_prefix: str, cached: bool, paused: bool, in_flight_here: bool, wanted: bool
) -> None:
    scheduler = Scheduler()
    async with a_task("pending") as task:
        if in_flight_here:
            scheduler.current = Fetch(ctx(after_prefix, TAIL), task)
        assert scheduler.prefetch_wanted(ctx(after_prefix, TAIL), cached=cached, paused=paused) is wanted


def test_latency_estimate_is_a_moving_average() -> None:
    scheduler = Scheduler()
    scheduler.note_latency(1.0)
    scheduler.note_latency(0.0)
    assert scheduler.backend_latency_s == pytest.approx(0.7)
