"""The chain's cost measurement: it runs what the server runs, and reports what it measured."""

from __future__ import annotations

import pytest

from codestral_ls.bench.chain_cost import ChainCost, ChainInput, measure, percentile, run_chain
from golden.cases import chunks, load_cases, run_pure


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [
        ([], 0.5, 0.0),
        ([3.0], 0.99, 3.0),
        ([5.0, 1.0, 4.0, 2.0, 3.0], 0.5, 3.0),
        ([float(v) for v in range(1, 101)], 0.99, 100.0),
        ([float(v) for v in range(1, 201)], 0.99, 199.0),
    ],
)
def test_percentile(values: list[float], share: float, expected: float) -> None:
    assert percentile(values, share) == expected


def test_run_chain_gives_the_suggestion_the_pure_run_gives() -> None:
    """The measured chain is the one the golden tests check (plan, filter, chunks, finish)."""
    for case in load_cases()[:40]:
        item = ChainInput(case.context(), tuple(chunks(case.raw, 3)), case.multiline, 256)
        chain, suggestion = run_chain(item)
        pure = run_pure(case, 3)
        assert suggestion == pure.suggestion, case.name
        assert chain.consumed_chars == pure.consumed_chars, case.name


def test_measure_takes_one_sample_per_input_and_round() -> None:
    inputs = [ChainInput(case.context(), tuple(chunks(case.raw, 4)), case.multiline) for case in load_cases()[:10]]
    cost = measure(inputs, repeat=3)
    assert len(cost.samples_us) == len(cost.cpu_samples_us) == 30
    assert all(sample > 0 for sample in cost.samples_us)
    assert cost.wall_s > 0 and cost.cpu_s >= 0


def test_cost_line_names_the_figures() -> None:
    cost = ChainCost(
        samples_us=[100.0, 200.0, 1500.0], cpu_samples_us=[90.0, 180.0, 300.0], cpu_s=1.0, wall_s=2.0, load=3.5
    )
    line = cost.line("test cases")
    assert "3 suggestions: wall p50 200 µs, p99 1500 µs, max 1500 µs" in line
    assert "above target" in line and "CPU p50 180 µs, p99 300 µs" in line
    assert "process CPU 1.00 s in 2.00 s wall (50%), load average 3.5" in line
    assert ChainCost([], [], 0.0, 0.0, 0.0).line("none") == "chain cost per suggestion (none): no suggestion"
