"""What `codestral-ls bench` prints explains itself: every column in a legend line, targets that read
as targets (not failures), and results kept out of the current directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from codestral_ls.bench import output_dir
from codestral_ls.bench.latency import Sample, SizeResult
from codestral_ls.bench.report import (
    LATENCY_HEADERS,
    LATENCY_LEGEND,
    THROUGH_HEADERS,
    THROUGH_LEGEND,
    LatencyTargets,
    latency_tables,
    latency_verdict,
)


@pytest.mark.parametrize(
    ("headers", "legend"),
    [(LATENCY_HEADERS, LATENCY_LEGEND), (THROUGH_HEADERS, THROUGH_LEGEND)],
    ids=["main", "through"],
)
def test_every_column_has_a_legend_line_and_the_legend_names_only_columns(
    headers: list[str], legend: list[tuple[tuple[str, ...], str]]
) -> None:
    explained = {name for names, _ in legend for name in names}
    assert set(headers) - {"document"} == explained


def result(lines: int, server_ms: float, peak_mb: float) -> SizeResult:
    samples = [Sample(total_ms=server_ms + 0.5, backend_ms=0.5, nonempty=True, requests=1) for _ in range(20)]
    return SizeResult(lines, samples, open_ms=40.0, peak_mb=peak_mb, rss_mb=peak_mb, through=samples[:5])


TARGETS = LatencyTargets(server_p50_ms=2.0, server_p99_ms=10.0, peak_rss_mb=80.0)


@pytest.mark.parametrize(
    ("server_ms", "peak_mb", "marks"),
    [
        (1.0, 50.0, ["[ok] server p50", "[ok] server p99", "[ok] peak RSS"]),
        (3.0, 50.0, ["[above target] server p50 <= 2 ms: 3.00 ms", "[ok] server p99", "[ok] peak RSS"]),
        (12.0, 90.0, ["[above target] server p50", "[above target] server p99", "[above target] peak RSS"]),
    ],
)
def test_the_verdict_reads_as_targets_not_as_failures(server_ms: float, peak_mb: float, marks: list[str]) -> None:
    verdict = latency_verdict([result(1000, 0.1, 10.0), result(100_000, server_ms, peak_mb)], TARGETS, "2 cores")
    assert verdict.startswith("targets at 100,000 lines (set for an idle 2-core machine):")
    for mark in marks:
        assert mark in verdict
    for alarming in ("MISSED", "FAIL", "error"):
        assert alarming not in verdict


def test_the_tables_print_every_legend_line() -> None:
    text = latency_tables([result(1000, 1.0, 50.0)])
    for names, meaning in [*LATENCY_LEGEND, *THROUGH_LEGEND]:
        assert f"{', '.join(names)}" in text and meaning in text


def test_output_goes_to_out_when_given(tmp_path: Path) -> None:
    wanted = tmp_path / "results" / "run1"
    assert output_dir(wanted, {"XDG_CACHE_HOME": str(tmp_path / "cache")}) == wanted and wanted.is_dir()


def test_output_goes_to_the_cache_folder_by_default(tmp_path: Path) -> None:
    folder = output_dir(None, {"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert folder == tmp_path / "cache" / "codestral-ls" / "bench" and folder.is_dir()


def test_a_relative_cache_home_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert output_dir(None, {"XDG_CACHE_HOME": "relative/cache"}) == tmp_path / ".cache" / "codestral-ls" / "bench"


def test_an_unusable_cache_falls_back_to_a_temporary_folder(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "cache-is-a-file"
    not_a_folder.write_text("x")
    folder = output_dir(None, {"XDG_CACHE_HOME": str(not_a_folder)})
    assert folder.is_dir() and folder.name.startswith("codestral-ls-bench-")
    folder.rmdir()


def test_an_unusable_out_is_an_os_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError):
        output_dir(blocker / "sub", {})
