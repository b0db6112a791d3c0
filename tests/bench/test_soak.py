"""The soak benchmark: its growth fit (a table of cases) and a short soak of the real server whose
memory must stay flat (issue 10: ~2 MB per 1,000 notifications before the fix, 19-20 MB per 10k
keystrokes in this soak)."""

from __future__ import annotations

import math
import os

import pytest

from codestral_ls.bench.soak import SoakSample, growth, open_fds, report, slope_per_10k, soak


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([(0, 50.0), (10_000, 52.0)], 2.0),
        ([(0, 50.0), (5_000, 50.0), (10_000, 50.0)], 0.0),
        ([(0, 10.0), (1_000, 12.0), (2_000, 14.0)], 20.0),
        ([(0, 60.0), (10_000, 55.0)], -5.0),
    ],
)
def test_slope_per_10k(points: list[tuple[float, float]], expected: float) -> None:
    assert slope_per_10k(points) == pytest.approx(expected)


@pytest.mark.parametrize("points", [[], [(5.0, 1.0)], [(5.0, 1.0), (5.0, 2.0)]])
def test_slope_needs_two_distinct_points(points: list[tuple[float, float]]) -> None:
    assert math.isnan(slope_per_10k(points))


def test_growth_leaves_out_the_warm_up() -> None:
    # A steep first step (imports, allocator warm-up), then flat: the fit sees only the flat part.
    samples = [SoakSample(0, 0.0, 30.0, 6, 0)] + [SoakSample(k, 1.0, 50.0, 7, 0) for k in range(1000, 10_000, 1000)]
    rss, fds = growth(samples, warm_up_share=0.3)
    assert rss == pytest.approx(0.0)
    assert fds == pytest.approx(0.0)
    assert growth(samples, warm_up_share=0.0)[0] > 5


def test_open_fds_counts_our_own() -> None:
    assert open_fds(os.getpid()) >= 3  # stdin, stdout, stderr at least
    assert open_fds(2**22 + 12345) == -1  # no such process


@pytest.mark.slow
async def test_a_short_soak_keeps_memory_and_fds_flat() -> None:
    result = await soak(keystrokes=4000, sample_every=250)
    assert result.samples[-1].keystrokes == 4000
    assert result.samples[-1].requests >= 4000 // 4
    # Before the fix: ~20 MB per 10k keystrokes; after: ~2 MB over this short run (0.1 MB over 10k).
    assert result.growth_mb_per_10k < 6.0, report(result)
    assert all(sample.fds == result.samples[1].fds for sample in result.samples[1:]), report(result)
