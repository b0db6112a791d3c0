"""Repetition: lines, groups of lines, patterns in a line, blocks echoed from above."""

from __future__ import annotations

import pytest

from codestral_ls.postprocess.repetition import (
    echoed_block,
    inline_loop,
    repeated_group,
    repeated_line,
)


@pytest.mark.parametrize(
    ("lines", "kept"),
    [
        (["a()", "a()", "a()"], 1),
        (["x = 1", "a()", "a()", "a()"], 2),
        (["a()", "a()", "b()"], None),
        (["a()", "a() ", "a()"], 1),  # trailing whitespace does not hide a repeat
        (["x", "", "", ""], 1),  # three blank lines: cut before them
        (["  }", "}", "}"], None),  # different indentation: different lines
        (["a()"], None),
    ],
)
def test_repeated_line(lines: list[str], kept: int | None) -> None:
    assert repeated_line(lines, len(lines) - 1) == kept


@pytest.mark.parametrize(
    ("lines", "kept"),
    [
        (["a", "b", "a", "b", "a", "b"], 2),
        (["x", "a", "b", "a", "b", "a", "b"], 3),
        (["a,", "b,", "a,", "b,", "a,", "b"], 2),  # the last copy lacks its separator
        (["a", "b", "c", "a", "b", "c", "a", "b", "c"], 3),
        (["a", "b", "a", "b", "a", "c"], None),
        (["a", "a", "a", "a", "a", "a"], None),  # one line repeated: repeated_line's job
    ],
)
def test_repeated_group(lines: list[str], kept: int | None) -> None:
    assert repeated_group(lines, len(lines) - 1) == kept


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("id = uuid()" + ".toString()" * 9, "id = uuid().toString()"),
        ("very very very very very very very very fast", "very "),
        ("very very very very very fast", None),
        # Tables of bytes, zeros and separators are fine.
        ("data = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]", None),
        ("# ==================================================", None),
        ("values = [None, None, None, None, None, None, None]", None),
        ("short", None),
    ],
)
def test_inline_loop(line: str, kept: str | None) -> None:
    column = inline_loop(line)
    assert (None if column is None else line[:column]) == kept


PREFIX = ["def first(items):", "    for item in items:", "        return item", "    return None", "", ""]


@pytest.mark.parametrize(
    ("lines", "base", "kept"),
    [
        (["def first(items):", "    for item in items:", "        return item"], 0, 0),
        (["x = 1", "def first(items):", "    for item in items:", "        return item"], 0, 1),
        # Same body under another name: a similar function, not an echo.
        (["def second(items):", "    for item in items:", "        return item"], 0, None),
        # The header deeper than the cursor's level is not the start of a block here.
        (["    for item in items:", "        return item", "    return None"], 0, None),
        (["def first(items):", "    for item in items:"], 0, None),
        # A loop like one above is ordinary code: only a repeated definition is an echo.
        (["    for item in items:", "        return item", "    return None"], 4, None),
    ],
)
def test_echoed_block(lines: list[str], base: int, kept: int | None) -> None:
    assert echoed_block(lines, len(lines) - 1, PREFIX, base, "python") == kept
