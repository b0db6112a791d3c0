"""context: the FIM prefix/suffix cut around the cursor, within budgets, on stable line boundaries."""

from __future__ import annotations

import itertools

import pytest

from codestral_ls.context import WINDOW_STEP_LINES, FimContext, extract, window_start

SMALL = ["def f(x):", "    y = x + 1", "    return y", "", "print(f(2))"]


@pytest.mark.parametrize(
    ("lines", "cursor", "prefix_budget", "suffix_budget", "expected"),
    [
        pytest.param(
            [""],
            (0, 0),
            100,
            100,
            dict(prefix="", suffix="", line_prefix="", line_suffix="", prefix_truncated=False, suffix_truncated=False),
            id="empty-document",
        ),
        pytest.param(
            SMALL,
            (0, 0),
            100,
            100,
            dict(
                prefix="",
                suffix="\n".join(SMALL),
                line_prefix="",
                line_suffix="def f(x):",
                prefix_truncated=False,
                suffix_truncated=False,
            ),
            id="cursor-at-document-start",
        ),
        pytest.param(
            SMALL,
            (4, 11),
            100,
            100,
            dict(
                prefix="\n".join(SMALL),
                suffix="",
                line_prefix="print(f(2))",
                line_suffix="",
                prefix_truncated=False,
                suffix_truncated=False,
            ),
            id="cursor-at-document-end",
        ),
        pytest.param(
            SMALL,
            (1, 8),
            100,
            100,
            dict(
                prefix="def f(x):\n    y = ",
                suffix="x + 1\n    return y\n\nprint(f(2))",
                line_prefix="    y = ",
                line_suffix="x + 1",
                prefix_truncated=False,
                suffix_truncated=False,
            ),
            id="mid-line",
        ),
        pytest.param(
            SMALL,
            (1, 8),
            100,
            0,
            dict(prefix="def f(x):\n    y = ", suffix="", line_suffix="x + 1", suffix_truncated=True),
            id="suffix-budget-0",
        ),
        pytest.param(
            SMALL,
            (4, 11),
            100,
            0,
            dict(suffix="", suffix_truncated=False),
            id="suffix-budget-0-at-document-end",
        ),
        pytest.param(
            SMALL,
            (1, 8),
            100,
            3,
            dict(suffix="x +", line_suffix="x + 1", suffix_truncated=True),
            id="suffix-cut-inside-the-cursor-line",
        ),
        pytest.param(
            SMALL,
            (1, 8),
            100,
            5 + 1 + 12,
            dict(suffix="x + 1\n    return y", suffix_truncated=True),
            id="suffix-exactly-fills-budget",
        ),
        pytest.param(
            SMALL,
            (1, 8),
            100,
            5 + 1 + 11,
            dict(suffix="x + 1", suffix_truncated=True),
            id="suffix-one-short-stops-at-line-end",
        ),
        pytest.param(
            SMALL,
            (1, 13),
            100,
            1 + 12 + 1,
            dict(suffix="\n    return y\n", suffix_truncated=True),
            id="suffix-takes-empty-line",
        ),
        pytest.param(
            SMALL,
            (2, 4),
            14 + 4,
            100,
            dict(prefix="    y = x + 1\n    ", prefix_start_line=1, prefix_truncated=True, line_prefix="    "),
            id="prefix-exactly-fills-budget-reaches-line-1",
        ),
        pytest.param(
            SMALL,
            (2, 4),
            10 + 14 + 4,
            100,
            dict(prefix="def f(x):\n    y = x + 1\n    ", prefix_start_line=0, prefix_truncated=False),
            id="prefix-budget-reaches-line-0",
        ),
        pytest.param(
            SMALL,
            (2, 4),
            4,
            100,
            dict(prefix="    ", prefix_start_line=2, prefix_truncated=True),
            id="prefix-budget-holds-only-the-cursor-line",
        ),
        pytest.param(
            SMALL,
            (2, 4),
            3,
            100,
            dict(prefix="   ", line_prefix="    ", prefix_start_line=2, prefix_truncated=True),
            id="prefix-budget-smaller-than-line-prefix-cuts-inside",
        ),
    ],
)
def test_extract(
    lines: list[str], cursor: tuple[int, int], prefix_budget: int, suffix_budget: int, expected: dict[str, object]
) -> None:
    ctx = extract(lines, *cursor, max_prefix_chars=prefix_budget, max_suffix_chars=suffix_budget, language_id="py")
    got = {name: getattr(ctx, name) for name in expected}
    assert got == expected
    assert ctx.cursor_line == cursor[0] and ctx.language_id == "py"


def test_next_lines() -> None:
    ctx = extract(SMALL, 1, 8, max_prefix_chars=100, max_suffix_chars=100)
    assert ctx.next_lines == ["    return y", "", "print(f(2))"]
    assert FimContext(prefix="", suffix="only", line_prefix="", line_suffix="only").next_lines == []


def _document(line_count: int, width: int) -> list[str]:
    return [f"{i:06d}".ljust(width, "-") for i in range(line_count)]


@pytest.mark.parametrize("prefix_budget", [1, 40, 200, 1000, 6000])
@pytest.mark.parametrize("suffix_budget", [0, 1, 50, 2000])
@pytest.mark.parametrize("width", [0, 7, 30, 120], ids=lambda w: f"width{w}")
def test_prefix_and_suffix_are_slices_of_the_text_cut_at_line_boundaries(
    prefix_budget: int, suffix_budget: int, width: int
) -> None:
    lines = _document(300, width) if width else [""] * 300
    text = "\n".join(lines)
    for cursor_line in (0, 1, 31, 32, 33, 150, 299):
        for cursor_index in sorted({0, len(lines[cursor_line]) // 2, len(lines[cursor_line])}):
            ctx = extract(
                lines, cursor_line, cursor_index, max_prefix_chars=prefix_budget, max_suffix_chars=suffix_budget
            )
            offset = sum(len(line) + 1 for line in lines[:cursor_line]) + cursor_index
            assert len(ctx.prefix) <= prefix_budget and len(ctx.suffix) <= suffix_budget
            assert text[:offset].endswith(ctx.prefix) and text[offset:].startswith(ctx.suffix)
            line_start = offset - cursor_index
            if len(ctx.line_prefix) <= prefix_budget:
                # Whole lines: the prefix begins at a line start, the one prefix_start_line names.
                start = sum(len(line) + 1 for line in lines[: ctx.prefix_start_line])
                assert ctx.prefix == text[start:offset]
            else:
                assert ctx.prefix == text[offset - prefix_budget : offset]
                assert offset - prefix_budget >= line_start
            assert ctx.prefix_truncated == (len(ctx.prefix) < offset)
            assert ctx.suffix_truncated == (len(ctx.suffix) < len(text) - offset)
            if len(ctx.line_suffix) <= suffix_budget:
                # The suffix ends at a line end.
                end = offset + len(ctx.suffix)
                assert end == len(text) or text[end] == "\n"


@pytest.mark.parametrize("cursor_line", [151, 182, 183, 257, 512, 999])
def test_window_start_is_step_aligned(cursor_line: int) -> None:
    lines = _document(1000, 39)
    ctx = extract(lines, cursor_line, 10, max_prefix_chars=6000, max_suffix_chars=0)
    # 149 whole lines of 40 chars fit before the cursor's 10; the window starts on the first
    # multiple of the step at or after the earliest line that fits.
    earliest = cursor_line - 149
    assert ctx.prefix_start_line == -(-earliest // WINDOW_STEP_LINES) * WINDOW_STEP_LINES
    assert ctx.prefix_truncated


@pytest.mark.parametrize("cursor_line", [0, 1, 40, 149])
def test_window_starts_at_line_0_while_it_fits(cursor_line: int) -> None:
    lines = _document(1000, 39)
    ctx = extract(lines, cursor_line, 10, max_prefix_chars=6000, max_suffix_chars=0)
    assert (ctx.prefix_start_line, ctx.prefix_truncated) == (0, False)


def test_window_start_reaches_document_start_when_it_fits() -> None:
    lines = _document(100, 39)
    assert window_start(lines, 99, 5, 100 * 40) == 0
    assert window_start(lines, 99, 5, 99 * 40 + 5) == 0
    assert window_start(lines, 99, 5, 99 * 40 + 4) == WINDOW_STEP_LINES  # line 0 no longer fits


def test_typing_along_a_line_keeps_the_prefix_start() -> None:
    """Every keystroke on one line gets the same window start, so prompts share their beginning."""
    lines = _document(1000, 39)
    lines[600] = ""
    starts, prompts = set(), []
    for typed in range(60):
        lines[600] = "x" * typed
        ctx = extract(lines, 600, typed, max_prefix_chars=6000, max_suffix_chars=2000)
        starts.add(ctx.prefix_start_line)
        prompts.append(ctx.prefix)
    assert len(starts) <= 2  # the start may step once while the line grows past a line's worth
    changes = sum(1 for before, after in itertools.pairwise(prompts) if not after.startswith(before))
    assert changes == len(starts) - 1


def test_moving_down_the_file_moves_the_start_in_steps() -> None:
    """Enter, enter, enter...: consecutive cursor lines share their start for a whole step."""
    lines = _document(2000, 39)
    starts = [
        extract(lines, line, 39, max_prefix_chars=6000, max_suffix_chars=2000).prefix_start_line
        for line in range(500, 756)
    ]
    assert all(start % WINDOW_STEP_LINES == 0 for start in starts)
    assert starts == sorted(starts)
    assert len(set(starts)) <= 256 // WINDOW_STEP_LINES + 1
    # Runs of one start are a full step long.
    runs = [starts.count(start) for start in sorted(set(starts))]
    assert all(run == WINDOW_STEP_LINES for run in runs[1:-1])


@pytest.mark.parametrize(
    ("width", "budget"),
    [
        pytest.param(99, 2000, id="20-lines-fit"),
        pytest.param(249, 6000, id="24-long-lines-fit-default-budget"),
        pytest.param(39, 400, id="10-lines-fit-small-budget"),
        pytest.param(39, 2000, id="50-lines-fit"),
    ],
)
def test_prefix_keeps_at_least_half_of_the_lines_that_fit(width: int, budget: int) -> None:
    """Aligning the start must not throw away most of the budget when few lines fit in it."""
    lines = _document(300, width)
    fits_lines = budget // (width + 1)
    # Still aligned, to the largest power-of-two step that loses at most half of them.
    step = 1
    while step * 2 <= min(fits_lines // 2 + 1, WINDOW_STEP_LINES):
        step *= 2
    starts = set()
    for cursor_line in range(fits_lines + 1, 300):
        ctx = extract(lines, cursor_line, 0, max_prefix_chars=budget, max_suffix_chars=0)
        kept = cursor_line - ctx.prefix_start_line
        assert kept >= fits_lines // 2, (cursor_line, ctx.prefix_start_line)
        assert ctx.prefix_start_line % step == 0, (cursor_line, ctx.prefix_start_line)
        assert len(ctx.prefix) <= budget
        starts.add(ctx.prefix_start_line)
    assert len(starts) <= 300 // step + 1


def test_one_enormous_line() -> None:
    huge = "".join(chr(ord("a") + i % 26) for i in range(200_000))
    lines = ["import os", huge, "tail"]
    ctx = extract(lines, 1, 150_000, max_prefix_chars=6000, max_suffix_chars=2000)
    assert ctx.prefix == huge[144_000:150_000]
    assert ctx.suffix == huge[150_000:152_000]
    assert ctx.line_prefix == huge[:150_000] and ctx.line_suffix == huge[150_000:]
    assert (ctx.prefix_start_line, ctx.prefix_truncated, ctx.suffix_truncated) == (1, True, True)

    # Near the start of that line: the prefix fits; the line before does not.
    ctx = extract(lines, 1, 5991, max_prefix_chars=6000, max_suffix_chars=2000)
    assert ctx.prefix == huge[:5991]
    assert (ctx.prefix_start_line, ctx.prefix_truncated) == (1, True)

    # Alone in its document.
    ctx = extract([huge], 0, 100_000, max_prefix_chars=10, max_suffix_chars=10)
    assert (ctx.prefix, ctx.suffix) == (huge[99_990:100_000], huge[100_000:100_010])
    assert (ctx.prefix_start_line, ctx.prefix_truncated, ctx.suffix_truncated) == (0, True, True)
