"""triggers: where an automatic request is not worth sending."""

from __future__ import annotations

import pytest

from codestral_ls.triggers import MIN_PROMPT_CHARS, rest_of_line_is_closers, skip_reason

LONG = "result = compute("  # enough to go on, ends after a non-word character


@pytest.mark.parametrize(
    ("prefix", "line_suffix", "after_deletion", "reason"),
    [
        pytest.param("def handler(request):", "", False, None, id="end-of-line"),
        pytest.param(LONG, ")", False, None, id="before-closer"),
        pytest.param(LONG, ")]};,:\"'` \t>.", False, None, id="before-every-closer"),
        pytest.param(LONG, "  ", False, None, id="before-trailing-spaces"),
        pytest.param(LONG, "x)", False, "mid-line", id="before-code"),
        pytest.param("value = foo", "bar", False, "mid-line", id="inside-a-word"),
        pytest.param(LONG, ")  # why", False, "mid-line", id="before-comment"),
        pytest.param(LONG, "= 3", False, "mid-line", id="before-operator"),
        pytest.param(LONG, "中", False, "mid-line", id="before-non-ascii"),
        pytest.param(LONG, "", True, "after a deletion", id="after-deletion"),
        pytest.param(LONG, "x", True, "mid-line", id="mid-line-is-checked-before-deletion"),
        pytest.param("x", "", True, "after a deletion", id="deletion-is-checked-before-length"),
        pytest.param("", "", False, "prompt too short", id="empty"),
        pytest.param("x = 1", "", False, "prompt too short", id="short-line"),
        pytest.param("x = 1", ")", False, "prompt too short", id="short-before-closer"),
        pytest.param("0123456789"[: MIN_PROMPT_CHARS - 1], "", False, "prompt too short", id="one-under-minimum"),
        pytest.param("0123456789"[:MIN_PROMPT_CHARS], "", False, None, id="exactly-minimum"),
        pytest.param("          x", "", False, "prompt too short", id="leading-blanks-do-not-count"),
        pytest.param(" " * 40, "", False, "prompt too short", id="only-blanks"),
        pytest.param("import\n", "", False, "prompt too short", id="one-short-line-then-newline"),
        pytest.param("import\n\n\n", "", False, "prompt too short", id="one-short-line-then-newlines"),
        # A prefix of several lines is enough to go on even when short: right after Enter.
        pytest.param("def f():\n    ", "", False, None, id="new-line-after-short-code"),
        pytest.param("a\nb", "", False, None, id="two-short-lines"),
    ],
)
def test_skip_reason(prefix: str, line_suffix: str, after_deletion: bool, reason: str | None) -> None:
    assert skip_reason(prefix, line_suffix, after_deletion=after_deletion) == reason


@pytest.mark.parametrize(
    ("line_suffix", "expected"),
    [
        pytest.param("", True, id="empty"),
        pytest.param(")", True, id="paren"),
        pytest.param("\t ]}", True, id="blanks-and-brackets"),
        pytest.param("'\"`", True, id="quotes"),
        pytest.param(";,:>.", True, id="punctuation"),
        pytest.param("a", False, id="letter"),
        pytest.param(")a", False, id="closer-then-letter"),
        pytest.param("(", False, id="opener"),
        pytest.param("#", False, id="hash"),
        pytest.param("0", False, id="digit"),
        pytest.param("\u00a0", False, id="no-break-space-is-not-a-closer"),
    ],
)
def test_rest_of_line_is_closers(line_suffix: str, expected: bool) -> None:
    assert rest_of_line_is_closers(line_suffix) is expected
