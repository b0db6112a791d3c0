"""Every golden case through plan_completion + SuggestionFilter, streamed in small chunks."""

from __future__ import annotations

from collections import Counter

import pytest

from golden.cases import GoldenCase, load_cases, run_pure

CASES = load_cases()
# Stream chunk sizes: one character (worst case for the incremental rules), a few characters
# (typical SSE deltas), and the whole output at once. All must give the same suggestion.
CHUNK_SIZES = (1, 3, 10_000)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_golden_case(case: GoldenCase) -> None:
    for chunk_size in CHUNK_SIZES:
        result = run_pure(case, chunk_size)
        assert result.matches(case), (
            f"{case.source} with {chunk_size}-char chunks: got {result.suggestion!r}, "
            f"expected {case.expected!r} replacing {case.replace_chars}"
        )


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.kind == "good"], ids=[c.name for c in CASES if c.kind == "good"]
)
def test_good_output_passes_unchanged(case: GoldenCase) -> None:
    result = run_pure(case)
    assert result.suggestion is not None
    assert result.suggestion.text == case.raw


def test_the_table_is_wide_enough() -> None:
    languages = Counter(case.language_id for case in CASES)
    kinds = Counter(case.kind for case in CASES)
    assert len(CASES) >= 150
    assert len(languages) >= 12
    assert kinds["good"] >= 40 and kinds["fix"] >= 100


def test_fix_cases_change_something() -> None:
    unchanged = [c.name for c in CASES if c.kind == "fix" and c.expected == c.raw and c.replace_chars == 0]
    assert unchanged == []


def test_stream_stops_early_when_the_model_runs_on() -> None:
    # A case whose raw output continues far past the block: the filter must ask to close
    # the stream before the end of it.
    case = next(c for c in CASES if c.name == "go-err-check-runs-on")
    result = run_pure(case, 3)
    assert result.stopped_early
    assert result.consumed_chars < len(case.raw) / 2


def test_a_single_line_stream_stops_at_its_newline_without_a_stop_sequence() -> None:
    # No "\n" stop is sent: the filter itself closes the stream once the line is complete.
    case = next(c for c in CASES if c.name == "go-plain-line-stays-one-line")
    result = run_pure(case, 3)
    assert not result.plan.multiline and "\n" not in result.plan.stop
    assert result.stopped_early and result.stop_rule == "single-line"
    assert result.consumed_chars <= len("TrimSpace(raw)\n") + 3


def test_a_first_line_that_opens_a_block_goes_on_into_it_then_stops() -> None:
    case = next(c for c in CASES if c.name == "go-func-name-grows-into-body")
    result = run_pure(case, 3)
    assert not result.plan.multiline and result.plan.block_after_first_line
    assert result.suggestion is not None and result.suggestion.text.count("\n") == 2
    assert result.stopped_early and result.consumed_chars < len(case.raw)
