"""Codestral's head quirks: one extra leading space, a leading newline at the end of file."""

from __future__ import annotations

import pytest

from codestral_ls.postprocess.quirks import undo_leading_newline, undo_leading_space


@pytest.mark.parametrize(
    ("text", "line_prefix", "line_suffix", "expected"),
    [
        (" 5", "x = ", "", "5"),
        ("  5", "x = ", "", "  5"),  # two spaces: meant
        (" 5", "x =", "", " 5"),  # the prefix does not end with a space
        (" 5", "f(x, ", ")", " 5"),  # the suffix does not start a new line
        (" return x", "    ", "", "return x"),
    ],
)
def test_undo_leading_space(text: str, line_prefix: str, line_suffix: str, expected: str) -> None:
    assert undo_leading_space(text, line_prefix, line_suffix) == expected


@pytest.mark.parametrize(
    ("text", "line_prefix", "suffix", "expected"),
    [
        ("\nmain()", "", "", "main()"),
        ("\n\nmain()", "", "", "main()"),
        ("\n    return 1", "    ", "", "return 1"),
        ("\nmain()", "", "\n\nmore()", "\nmain()"),  # the document goes on below
        ("\n    return 1", "def f():", "", "\n    return 1"),  # the cursor line has code
    ],
)
def test_undo_leading_newline(text: str, line_prefix: str, suffix: str, expected: str) -> None:
    assert undo_leading_newline(text, line_prefix, suffix) == expected


def test_the_space_before_an_inline_comment_is_meant() -> None:
    assert undo_leading_space(" # why", "x = 1 ", "") == " # why"
    assert undo_leading_space(" // why", "x = 1; ", "") == " // why"
