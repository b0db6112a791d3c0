"""FailurePolicy with a fake clock: backoff on failure storms, pauses lifted by a success."""

from __future__ import annotations

from typing import Any

import pytest

from codestral_ls.errors import (
    AuthError,
    BackendError,
    ContextWindowExceeded,
    ProtocolError,
    RateLimited,
    ServerError,
    TransportError,
)
from codestral_ls.failures import Backoff, FailurePolicy
from codestral_ls.status import StatusTracker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def policy(clock: FakeClock, jitter: float = 1.0, notices: list[Any] | None = None) -> FailurePolicy:
    sink = notices if notices is not None else []
    return FailurePolicy(
        StatusTracker(lambda status: None),
        lambda severity, message: sink.append((severity, message)),
        clock,
        jitter=lambda: jitter * 0.999999,
    )


@pytest.mark.parametrize(
    ("failures", "jitter", "expected_s"),
    [
        (1, 1.0, 0.0),  # one failure is no storm
        (2, 1.0, 1.0),
        (3, 1.0, 2.0),
        (4, 1.0, 4.0),
        (8, 1.0, 60.0),  # capped
        (30, 1.0, 60.0),
        (2, 0.0, 0.5),  # equal jitter: between half and all of the step
        (5, 0.5, 6.0),
    ],
)
def test_backoff_doubles_up_to_the_cap_with_jitter(failures: int, jitter: float, expected_s: float) -> None:
    assert Backoff(base_s=1.0, cap_s=60.0).pause_s(failures, jitter) == pytest.approx(expected_s)


def test_a_5xx_storm_backs_off_exponentially_instead_of_asking_per_keystroke() -> None:
    clock = FakeClock()
    failures = policy(clock)
    sent = 0
    # A keystroke every 100 ms for 60 s against a server answering 500 to everything.
    for _ in range(600):
        if failures.allows_automatic():
            sent += 1
            failures.record(ServerError("boom", status=500), "mistral")
        clock.now += 0.1
    # 1 + 1 s + 2 + 4 + 8 + 16 + 32 s ... : a handful of requests, not 600.
    assert 5 <= sent <= 9
    assert failures.paused_for_s() > 0


@pytest.mark.parametrize(
    "error",
    [ServerError("boom", status=502), TransportError("refused"), ProtocolError("garbage")],
    ids=["5xx", "transport", "protocol"],
)
def test_transient_kinds_back_off_from_the_second_in_a_row(error: BackendError) -> None:
    clock = FakeClock()
    failures = policy(clock)
    failures.record(error, "ollama")
    assert failures.allows_automatic()
    failures.record(error, "ollama")
    assert not failures.allows_automatic()
    clock.now += 1.0
    assert failures.allows_automatic()


def test_a_success_ends_the_storm_and_restarts_the_count() -> None:
    clock = FakeClock()
    failures = policy(clock)
    for _ in range(5):
        failures.record(ServerError("boom", status=500), "mistral")
    assert not failures.allows_automatic()
    failures.succeeded()  # e.g. an explicit request went through
    assert failures.allows_automatic()
    failures.record(ServerError("boom", status=500), "mistral")
    assert failures.allows_automatic()  # the first of a new series again


def test_a_503_retry_after_is_honoured_even_for_the_first_failure() -> None:
    clock = FakeClock()
    failures = policy(clock)
    failures.record(ServerError("busy", status=503, retry_after_s=30.0), "mistral")
    clock.now += 29.0
    assert not failures.allows_automatic()
    clock.now += 1.0
    assert failures.allows_automatic()


def test_a_429_pause_lifts_after_retry_after() -> None:
    clock = FakeClock()
    notices: list[Any] = []
    failures = policy(clock, notices=notices)
    failures.record(RateLimited("slow down", retry_after_s=20.0), "mistral")
    assert not failures.allows_automatic()
    clock.now += 20.0
    assert failures.allows_automatic()
    assert [severity for severity, _ in notices] == ["warning"]


def test_a_429_pause_lifts_after_a_success() -> None:
    clock = FakeClock()
    failures = policy(clock)
    failures.record(RateLimited("slow down", retry_after_s=600.0), "mistral")
    assert not failures.allows_automatic()
    failures.succeeded()
    assert failures.allows_automatic()


@pytest.mark.parametrize(
    "error",
    [ContextWindowExceeded("too long", n_ctx=2048), AuthError("bad key")],
    ids=["context-window", "auth"],
)
def test_errors_that_are_not_transient_do_not_start_a_backoff(error: BackendError) -> None:
    clock = FakeClock()
    failures = policy(clock)
    for _ in range(3):
        failures.record(error, "llamacpp")
    assert failures.paused_for_s() == 0.0
