"""Percentile maths and table layout of the benchmark reports."""

from __future__ import annotations

import math

import pytest

from codestral_ls.bench.stats import fmt, p50_p95_p99, percentile, table


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([5.0], 50, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([1.0, 2.0, 3.0, 4.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.5),  # order does not matter
        (list(range(1, 101)), 99, 99.01),  # linear interpolation, like numpy
        (list(range(1, 101)), 95, 95.05),
        ([10.0, 20.0], 25, 12.5),
    ],
)
def test_percentile_interpolates_linearly(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_nan_and_shows_as_dash() -> None:
    assert math.isnan(percentile([], 50))
    assert fmt(percentile([], 50)) == "-"
    assert all(math.isnan(v) for v in p50_p95_p99([]))


def test_percentile_rejects_out_of_range_q() -> None:
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_table_aligns_columns() -> None:
    text = table(["name", "p50"], [["a", "1.0"], ["longer", "12.5"]])
    lines = text.splitlines()
    assert lines[0] == "name     p50"
    assert lines[2] == "a        1.0"
    assert lines[3] == "longer  12.5"
    markdown = table(["name", "p50"], [["a", "1.0"]], markdown=True)
    assert markdown.splitlines()[1].startswith("|---")
