"""status: the visible state machine, and telling the user of each kind of failure once."""

from __future__ import annotations

import pytest

from codestral_ls.status import Status, StatusTracker

# Steps: ("start",), ("end", ok), ("fail", kind, state), ("forget",), ("set", state)


def run(steps: list[tuple[object, ...]]) -> tuple[list[str], list[bool], StatusTracker]:
    published: list[Status] = []
    tracker = StatusTracker(published.append)
    told: list[bool] = []
    for step in steps:
        match step:
            case ("start",):
                tracker.fetching_started()
            case ("end", bool(ok)):
                tracker.fetching_ended(ok)
            case ("fail", str(kind), str(state)):
                told.append(tracker.report_failure(kind, state, f"{kind} failed"))  # type: ignore[arg-type]
            case ("forget",):
                tracker.forget_failures()
            case ("set", str(state)):
                tracker.set(Status(state, state.title()))  # type: ignore[arg-type]
            case _:
                raise AssertionError(step)
    return [status.state for status in published], told, tracker


@pytest.mark.parametrize(
    ("steps", "published", "told"),
    [
        pytest.param([], [], [], id="nothing-yet"),
        pytest.param([("start",), ("end", True)], ["fetching", "ready"], [], id="one-fetch"),
        pytest.param([("start",), ("end", False)], ["fetching", "ready"], [], id="cancelled-fetch"),
        pytest.param(
            [("start",), ("start",), ("end", True), ("end", True)],
            ["fetching", "ready"],
            [],
            id="overlapping-fetches-ready-when-the-last-ends",
        ),
        pytest.param([("end", True)], ["ready"], [], id="end-without-start"),
        pytest.param(
            [("start",), ("end", True), ("end", True), ("start",), ("end", True)],
            ["fetching", "ready", "fetching", "ready"],
            [],
            id="extra-end-does-not-go-negative",
        ),
        pytest.param(
            [("start",), ("fail", "auth", "error"), ("end", False)],
            ["fetching", "error"],
            [True],
            id="failure-stays-shown-after-the-fetch",
        ),
        pytest.param(
            [("fail", "auth", "error"), ("fail", "auth", "error"), ("fail", "auth", "error")],
            ["error"],
            [True, False, False],
            id="told-once-per-kind",
        ),
        pytest.param(
            [("fail", "auth", "error"), ("fail", "model", "error"), ("fail", "auth", "error")],
            ["error", "error", "error"],  # each message is published; the user is told of each kind once
            [True, True, False],
            id="each-kind-told-once",
        ),
        pytest.param(
            [("fail", "server", "error"), ("start",), ("end", True), ("fail", "server", "error")],
            ["error", "ready", "error"],
            [True, True],
            id="success-makes-a-kind-news-again",
        ),
        pytest.param(
            [("fail", "server", "error"), ("start",), ("end", False), ("fail", "server", "error")],
            ["error"],
            [True, False],
            id="failed-fetch-does-not-reset",
        ),
        pytest.param(
            [("fail", "auth", "error"), ("forget",), ("fail", "auth", "error")],
            ["error"],
            [True, True],
            id="forget-makes-every-kind-news-again",
        ),
        pytest.param(
            [("fail", "transport", "error"), ("start",)],
            ["error"],
            [True],
            id="retry-keeps-the-error-shown-while-fetching",
        ),
        pytest.param(
            [("fail", "transport", "error"), ("start",), ("end", True)],
            ["error", "ready"],
            [True],
            id="success-after-an-error-is-ready",
        ),
        pytest.param(
            [("fail", "rate-limited", "rate-limited"), ("start",), ("end", True)],
            ["rate-limited", "ready"],
            [True],
            id="success-after-a-rate-limit-is-ready",
        ),
        pytest.param(
            [("fail", "transport", "error"), ("start",), ("start",), ("end", True)],
            ["error"],
            [True],
            id="ready-only-when-nothing-is-in-flight",
        ),
        pytest.param(
            [("fail", "rate-limited", "rate-limited"), ("fail", "auth", "error")],
            ["rate-limited", "error"],
            [True, True],
            id="state-follows-the-latest-failure",
        ),
        pytest.param(
            [("set", "disabled"), ("start",), ("end", True)],
            ["disabled", "fetching", "ready"],
            [],
            id="fetch-after-disabled",
        ),
        pytest.param([("set", "ready"), ("set", "ready")], ["ready"], [], id="same-status-not-published-twice"),
        pytest.param(
            [("start",), ("start",)],
            ["fetching"],
            [],
            id="fetching-not-published-twice",
        ),
    ],
)
def test_transitions(steps: list[tuple[object, ...]], published: list[str], told: list[bool]) -> None:
    got_published, got_told, _ = run(steps)
    assert got_published == published
    assert got_told == told


def test_failure_message_and_current() -> None:
    _, _, tracker = run([("start",), ("fail", "auth", "error")])
    assert tracker.current == Status("error", "auth failed")
    _, _, tracker = run([])
    assert tracker.current is None


def test_same_state_new_message_is_published() -> None:
    published: list[Status] = []
    tracker = StatusTracker(published.append)
    tracker.report_failure("server", "error", "Last request failed: 500")
    tracker.report_failure("transport", "error", "Last request failed: timeout")
    assert [s.message for s in published] == ["Last request failed: 500", "Last request failed: timeout"]


def test_status_uri_is_part_of_the_state() -> None:
    published: list[Status] = []
    tracker = StatusTracker(published.append)
    tracker.set(Status("disabled", "excluded", "file:///a/.env"))
    tracker.set(Status("disabled", "excluded", "file:///b/.env"))
    assert [s.uri for s in published] == ["file:///a/.env", "file:///b/.env"]
