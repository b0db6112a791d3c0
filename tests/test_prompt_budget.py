"""prompt_budget: shrinking the budget after a context-window refusal, and cutting a context to fit."""

from __future__ import annotations

import pytest

from codestral_ls.context import FimContext
from codestral_ls.prompt_budget import MIN_PROMPT_CHARS, PromptBudget, fit_context, shrink_for_window


@pytest.mark.parametrize(
    ("budget", "n_ctx", "max_tokens", "expected"),
    [
        pytest.param(PromptBudget(6000, 2000), 2048, 256, PromptBudget(3888, 1296), id="llama-cpp-2048"),
        pytest.param(PromptBudget(6000, 2000), 512, 256, PromptBudget(432, 144), id="tiny-window"),
        pytest.param(PromptBudget(6000, 2000), None, 256, PromptBudget(3000, 1000), id="unknown-window-halves"),
        pytest.param(PromptBudget(6000, 2000), 0, 256, PromptBudget(3000, 1000), id="zero-is-unknown"),
        pytest.param(PromptBudget(1500, 500), 8192, 256, PromptBudget(750, 250), id="estimate-too-big-halves"),
        pytest.param(PromptBudget(6000, 0), 2048, 256, PromptBudget(5184, 0), id="no-suffix-keeps-none"),
        pytest.param(PromptBudget(6000, 2000), 300, 256, PromptBudget(192, 64), id="floor"),
        pytest.param(PromptBudget(192, 64), None, 256, None, id="at-the-floor-cannot-shrink"),
        pytest.param(PromptBudget(300, 100), None, 256, PromptBudget(192, 64), id="halving-stops-at-the-floor"),
    ],
)
def test_shrink_for_window(
    budget: PromptBudget, n_ctx: int | None, max_tokens: int, expected: PromptBudget | None
) -> None:
    got = shrink_for_window(budget, n_ctx=n_ctx, max_tokens=max_tokens)
    assert got == expected
    if got is not None:
        assert got.total < budget.total and got.total >= MIN_PROMPT_CHARS


def ctx(prefix: str, suffix: str) -> FimContext:
    return FimContext(
        prefix=prefix,
        suffix=suffix,
        line_prefix=prefix.rsplit("\n", 1)[-1],
        line_suffix=suffix.split("\n", 1)[0],
        cursor_line=prefix.count("\n"),
    )


@pytest.mark.parametrize(
    ("prefix", "suffix", "budget", "want_prefix", "want_suffix"),
    [
        pytest.param("a\nb\n    x", "y\nz\n", PromptBudget(100, 100), "a\nb\n    x", "y\nz\n", id="fits-untouched"),
        pytest.param("aaaa\nbbbb\n    x", "", PromptBudget(8, 0), "    x", "", id="prefix-cut-at-a-line-start"),
        pytest.param("aaaa\nbb\n    x", "", PromptBudget(9, 0), "bb\n    x", "", id="keeps-whole-lines-that-fit"),
        pytest.param("x" * 50, "", PromptBudget(10, 0), "x" * 10, "", id="one-long-line-cut-inside"),
        pytest.param("    x", "y)\nzzzz\nwwww", PromptBudget(10, 8), "    x", "y)\nzzzz", id="suffix-at-a-line-end"),
        pytest.param("    x", "y" * 30, PromptBudget(10, 5), "    x", "y" * 5, id="suffix-one-long-line"),
    ],
)
def test_fit_context(prefix: str, suffix: str, budget: PromptBudget, want_prefix: str, want_suffix: str) -> None:
    original = ctx(prefix, suffix)
    fitted = fit_context(original, budget)
    assert (fitted.prefix, fitted.suffix) == (want_prefix, want_suffix)
    assert fitted.line_prefix == original.line_prefix and fitted.line_suffix == original.line_suffix
    assert fitted.prefix_start_line == original.cursor_line - want_prefix.count("\n")
    if (want_prefix, want_suffix) == (prefix, suffix):
        assert fitted is original
