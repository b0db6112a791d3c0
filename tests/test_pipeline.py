"""The pipeline in-process: a scripted backend and virtual time, so debounce, supersede, cancel,
adoption, status timing and failures are checked exactly and never depend on the machine's speed."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec

import pytest

from codestral_ls.backends import FimRequest
from codestral_ls.errors import ContextWindowExceeded
from codestral_ls.postprocess.filter import SuggestionFilter
from support.pipeline_harness import Harness, make_harness
from support.scripted_backend import Chunk, Reply, ScriptedBackend, reply
from support.virtual_time import run

P = ParamSpec("P")
URI = "file:///work/project/app.py"
TEXT = "def add(a, b):\n    \n"


def virtual_time(test: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
    """Run an async test on the virtual-time loop (pytest-asyncio's loop keeps real time)."""

    @functools.wraps(test)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        run(test(*args, **kwargs))

    return wrapper


def scripted(answer: Callable[[FimRequest], Reply]) -> ScriptedBackend:
    return ScriptedBackend(answer)


def states(harness: Harness) -> list[str]:
    return [status.state for status in harness.statuses]


# ---- debounce ------------------------------------------------------------------------------------


@virtual_time
async def test_an_automatic_request_waits_the_debounce_then_asks() -> None:
    harness = make_harness(debounceMs=200, adaptiveDebounce=False)
    harness.open(URI, TEXT)
    asked_at = harness.now
    assert await harness.complete(URI, 1, 4) == "pass"
    (call,) = harness.backend.calls
    assert call.started_at - asked_at == pytest.approx(0.2)


@virtual_time
async def test_an_explicit_request_asks_at_once() -> None:
    harness = make_harness(debounceMs=200, adaptiveDebounce=False)
    harness.open(URI, TEXT)
    asked_at = harness.now
    assert await harness.complete(URI, 1, 4, automatic=False) == "pass"
    assert harness.backend.calls[0].started_at == pytest.approx(asked_at)


@virtual_time
async def test_a_keystroke_during_the_debounce_supersedes_the_waiting_request() -> None:
    backend = scripted(lambda request: reply("eturn a + b" if request.prefix.endswith("r") else "return a + b"))
    harness = make_harness(backend, debounceMs=200, adaptiveDebounce=False)
    harness.open(URI, TEXT)
    first = harness.ask(URI, 1, 4)
    await harness.settle(0.1)
    harness.type(URI, 1, 4, "r")
    asked_again_at = harness.now
    assert await harness.complete(URI, 1, 5) == "eturn a + b"
    assert await first is None  # answered empty, never sent
    (call,) = harness.backend.calls
    assert call.started_at - asked_again_at == pytest.approx(0.2)
    assert harness.pipeline.counters.superseded == 1


@virtual_time
async def test_adaptive_debounce_follows_the_typing_rhythm() -> None:
    harness = make_harness(debounceMs=120, adaptiveDebounce=True)
    harness.open(URI, "def add(a, b):\n    ret\n")
    for column, char in enumerate("urn", start=7):
        await harness.settle(0.1)
        harness.type(URI, 1, column, char)
    asked_at = harness.now
    await harness.complete(URI, 1, 10)
    # A word character before the cursor: 1.3 x the mean gap between keys (0.1 s).
    assert harness.backend.calls[0].started_at - asked_at == pytest.approx(0.13)


# ---- supersede, cancel, adopt -------------------------------------------------------------------


def slow_total(request: FimRequest) -> Reply:
    return reply("return sum(items)", first_s=0.3, every_s=0.2, chunk_chars=3)


@virtual_time
async def test_a_request_superseded_while_streaming_is_answered_empty_and_its_stream_closed() -> None:
    harness = make_harness(scripted(slow_total))
    harness.open(URI, "def total(items):\n    \n")
    first = harness.ask(URI, 1, 4, automatic=False)
    await harness.settle(0.5)  # streaming now
    harness.type(URI, 1, 4, "x")
    harness.delete(URI, 1, 4, 5)
    second = harness.ask(URI, 1, 4, automatic=False)
    assert await first is None
    assert (await second) is not None
    first_call, second_call = harness.backend.calls
    assert first_call.closed_early and first_call.chunks_sent >= 1
    assert second_call.completed


@pytest.mark.parametrize(
    ("typed", "calls", "answer"),
    [
        pytest.param("re", 1, "turn 2 * (w + h)", id="along-the-stream-adopts-it"),
        pytest.param("x", 2, None, id="against-the-stream-asks-anew"),
    ],
)
@virtual_time
async def test_typing_while_a_fetch_streams(typed: str, calls: int, answer: str | None) -> None:
    backend = scripted(
        lambda request: (
            reply("return 2 * (w + h)", first_s=0.05, every_s=0.12, chunk_chars=3)
            if request.prefix.endswith("    ")
            else [Chunk("", 0.05)]
        )
    )
    harness = make_harness(backend)
    harness.open(URI, "def perimeter(w, h):\n    \n")
    first = harness.ask(URI, 1, 4)
    await harness.settle(0.6)  # "return 2 * (w" has streamed
    for offset, char in enumerate(typed):
        harness.type(URI, 1, 4 + offset, char)
    assert await harness.complete(URI, 1, 4 + len(typed)) == answer
    assert await first is None
    assert len(harness.backend.calls) == calls
    assert harness.backend.calls[0].closed_early is (calls == 2)
    assert harness.pipeline.counters.adopted == (1 if calls == 1 else 0)


@pytest.mark.parametrize(
    ("gap_s", "calls"),
    [
        pytest.param(0.05, 1, id="within-the-grace-the-next-request-adopts-it"),
        pytest.param(0.2, 2, id="after-the-grace-it-is-cancelled"),
    ],
)
@virtual_time
async def test_a_fetch_whose_request_the_client_cancelled(gap_s: float, calls: int) -> None:
    harness = make_harness(scripted(slow_total))
    harness.open(URI, "def total(items):\n    \n")
    first = harness.ask(URI, 1, 4, automatic=False)
    await harness.settle(0.1)
    first.cancel()  # $/cancelRequest
    await harness.settle(gap_s)
    harness.type(URI, 1, 4, "r")
    assert await harness.complete(URI, 1, 5, automatic=False) == "eturn sum(items)" or calls == 2
    assert len(harness.backend.calls) == calls
    assert harness.backend.calls[0].closed_early is (calls == 2)


@virtual_time
async def test_a_prefetch_still_streaming_is_adopted_by_the_request_after_accepting() -> None:
    def answer(request: FimRequest) -> Reply:
        if request.prefix.endswith("w = int(self.width)"):
            return reply("\n        return w * self.height", first_s=0.5)
        return reply("w = int(self.width)")

    harness = make_harness(scripted(answer))
    harness.open(URI, "class Rect:\n    def area(self):\n        \n")
    shown = await harness.ask(URI, 2, 8, automatic=False)
    assert shown is not None and shown.text == "w = int(self.width)"
    harness.runtime.shown(shown.id)
    await harness.settle(0.1)  # the prefetch is in flight
    harness.type(URI, 2, 8, shown.text)
    assert await harness.complete(URI, 2, 8 + len(shown.text)) == "\n        return w * self.height"
    assert len(harness.backend.calls) == 2
    assert harness.pipeline.counters.prefetches == 1 and harness.pipeline.counters.adopted == 1


# ---- status and failures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_s", "expected"),
    [
        pytest.param(0.1, [], id="quick-replies-send-no-status-traffic"),
        pytest.param(0.4, ["fetching", "ready"], id="slow-request-shows-fetching-then-ready"),
    ],
)
@virtual_time
async def test_fetching_is_shown_only_for_slow_requests(first_s: float, expected: list[str]) -> None:
    harness = make_harness(scripted(lambda request: reply("return 1", first_s=first_s)))
    harness.open(URI, "def f():\n    \n")
    assert await harness.complete(URI, 1, 4, automatic=False) == "return 1"
    assert states(harness) == expected


@virtual_time
async def test_a_timeout_closes_the_stream_shows_an_error_and_the_next_request_works() -> None:
    slow = True
    harness = make_harness(scripted(lambda request: reply("return 1", first_s=2.0 if slow else 0.01)), timeoutMs=500)
    harness.open(URI, "def f():\n    \n")
    assert await harness.complete(URI, 1, 4, automatic=False) is None
    assert harness.backend.calls[0].closed_early
    assert states(harness)[-1] == "error" and harness.notices == []  # no pop-up for a transient failure
    slow = False
    harness.type(URI, 1, 4, "r")
    assert await harness.complete(URI, 1, 5, automatic=False) == "return 1"
    assert states(harness)[-1] == "ready"


def _failure(kind: str) -> Callable[[pytest.MonkeyPatch], ScriptedBackend]:
    def arrange(monkeypatch: pytest.MonkeyPatch) -> ScriptedBackend:
        if kind == "backend":
            return scripted(lambda request: [Chunk("ret", 0.01), ValueError("a bug in a backend")])

        def broken_feed(self: SuggestionFilter, chunk: str) -> bool:
            raise KeyError("a bug in a filter")

        monkeypatch.setattr(SuggestionFilter, "feed", broken_feed)
        return scripted(lambda request: reply("return 1"))

    return arrange


@pytest.mark.parametrize("kind", ["backend", "filter"])
def test_a_bug_in_a_fetch_is_logged_with_its_traceback_and_the_server_goes_on(
    kind: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    backend = _failure(kind)(monkeypatch)

    async def main() -> None:
        harness = make_harness(backend)
        harness.open(URI, TEXT)
        assert await harness.complete(URI, 1, 4, automatic=False) is None
        await harness.settle(0.1)
        crashes = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
        assert len(crashes) == 1, caplog.text
        assert "a bug in a" in caplog.text and "Traceback" in caplog.text
        assert harness.pipeline.counters.crashed_fetches == 1
        assert "failed on a bug" in harness.pipeline.summary()
        monkeypatch.undo()
        harness.backend.script = lambda request: reply("return a + b")
        harness.type(URI, 1, 4, "r")
        assert await harness.complete(URI, 1, 5, automatic=False) is not None

    with caplog.at_level(logging.INFO):
        run(main())


def test_a_bug_in_background_work_is_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> None:
        raise RuntimeError("a bug in background work")

    async def main() -> None:
        harness = make_harness()
        harness.runtime.spawn(broken())
        await harness.settle(0.1)

    run(main())
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None and "a bug in background work" in caplog.text


# ---- explicit requests, refused documents ---------------------------------------------------------


@pytest.mark.parametrize(
    ("automatic", "calls"),
    [pytest.param(True, 0, id="automatic-mid-line-is-skipped"), pytest.param(False, 1, id="explicit-mid-line-asks")],
)
@virtual_time
async def test_the_skip_rules_apply_to_automatic_requests_only(automatic: bool, calls: int) -> None:
    harness = make_harness(scripted(lambda request: reply("items, ")))
    harness.open(URI, "values = compute(limit)\n")
    await harness.complete(URI, 0, 17, automatic=automatic)
    assert len(harness.backend.calls) == calls
    assert harness.pipeline.counters.skipped == 1 - calls


@pytest.mark.parametrize(
    ("uri", "settings"),
    [
        pytest.param("file:///work/project/secrets/keys.py", {"exclude": ["**/secrets/**"]}, id="user-exclude"),
        pytest.param(URI, {"maxDocumentChars": 10}, id="too-large"),
    ],
)
@virtual_time
async def test_a_refused_document_costs_nothing_however_much_it_is_typed_in(uri: str, settings: dict[str, Any]) -> None:
    harness = make_harness(**settings)
    harness.open(uri, TEXT)
    for column in range(4, 54):
        harness.type(uri, 1, column, "x")
        assert await harness.complete(uri, 1, column + 1) is None
    document = harness.runtime.documents.get(uri)
    assert document is not None and document.withheld is not None
    assert document.lines == [""], "the text of a document that is never sent is not kept up to date"
    assert harness.pipeline.scheduler.rhythm.mean_gap_s is None, "its keystrokes do not even feed the rhythm"
    assert harness.backend.calls == []
    assert states(harness) == ["disabled"]  # said once, not per keystroke


# ---- a prompt larger than the server's context window ---------------------------------------------

FILLER = "".join(f"value_{n} = compute({n})  # a line of filler\n" for n in range(200))


def small_window(limit_chars: int, n_ctx: int | None) -> ScriptedBackend:
    def answer(request: FimRequest) -> Reply:
        if len(request.prefix) + len(request.suffix) > limit_chars:
            return [ContextWindowExceeded("the prompt exceeds the context size", n_ctx=n_ctx)]
        return reply("return a + b")

    return scripted(answer)


@virtual_time
async def test_a_known_small_window_shrinks_the_prompt_retries_once_and_says_so_once() -> None:
    harness = make_harness(small_window(1500, n_ctx=512))
    harness.open(URI, FILLER + TEXT)
    line = FILLER.count("\n") + 1
    assert await harness.complete(URI, line, 4, automatic=False) == "return a + b"
    refused, retried = harness.backend.calls
    assert len(refused.request.prefix) > 1500
    assert len(retried.request.prefix) + len(retried.request.suffix) <= 1500
    assert retried.request.prefix.endswith("def add(a, b):\n    ")
    for column, char in enumerate("zzz", start=4):  # not what was suggested: no typing-through
        harness.type(URI, line, column, char)
        await harness.complete(URI, line, column + 1, automatic=False)
    assert len(harness.backend.calls) == 5, "later requests fit at once: no refusal, no retry"
    (notice,) = harness.notices
    assert notice[0] == "warning" and "context window" in notice[1] and "512 tokens" in notice[1]


@virtual_time
async def test_an_unknown_small_window_is_found_by_halving_and_the_user_is_told_once() -> None:
    harness = make_harness(small_window(1500, n_ctx=None))
    harness.open(URI, FILLER + TEXT)
    line = FILLER.count("\n") + 1
    answers = []
    for column, char in enumerate("zzzzzz", start=4):  # not what was suggested: no typing-through
        answers.append(await harness.complete(URI, line, column, automatic=False))
        harness.type(URI, line, column, char)
    assert answers[0] is None and answers[-1] == "return a + b"
    last = harness.backend.calls[-1].request
    assert len(last.prefix) + len(last.suffix) <= 1500
    assert len([n for n in harness.notices if "context window" in n[1]]) == 1


# ---- settings -------------------------------------------------------------------------------------


@virtual_time
async def test_a_settings_change_cancels_the_fetch_in_flight_and_applies_to_the_next_request() -> None:
    harness = make_harness(scripted(slow_total))
    harness.open(URI, "def total(items):\n    \n")
    first = harness.ask(URI, 1, 4, automatic=False)
    await harness.settle(0.1)
    harness.runtime.apply_settings({"model": "codestral-2501", "maxTokens": 64}, announce=True)
    await harness.settle(0.01)
    assert await first is None
    assert harness.backend.calls[0].closed_early
    harness.type(URI, 1, 4, "r")
    await harness.complete(URI, 1, 5, automatic=False)
    assert harness.backend.calls[-1].request.model == "codestral-2501"
    assert harness.backend.calls[-1].request.max_tokens <= 64


@pytest.mark.parametrize(
    ("order", "model"),
    [
        pytest.param(["pull", "push", "pull-reply"], "pushed", id="a-late-pull-reply-loses-to-a-newer-push"),
        pytest.param(["pull", "pull-reply", "push"], "pushed", id="in-order"),
        pytest.param(["push", "pull", "pull-reply"], "pulled", id="a-pull-asked-after-the-push-is-newer"),
    ],
)
@virtual_time
async def test_newer_settings_win_whatever_order_the_answers_arrive_in(order: list[str], model: str) -> None:
    harness = make_harness()
    ticket = 0
    for step in order:
        if step == "pull":
            ticket = harness.runtime.settings_ticket()
        elif step == "push":
            harness.runtime.apply_settings({"model": "pushed"}, announce=True)
        else:
            harness.runtime.apply_settings({"model": "pulled"}, announce=True, ticket=ticket)
    assert harness.runtime.settings.model == model
