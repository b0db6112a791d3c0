"""Single-line vs multi-line, decided from the cursor position and the syntax around it."""

from __future__ import annotations

import pytest

from codestral_ls.postprocess import plan_completion
from codestral_ls.postprocess.multiline import SINGLE_LINE_MAX_TOKENS
from golden.cases import context_at


@pytest.mark.parametrize(
    ("document", "language_id", "multiline", "reason"),
    [
        ("def f():\n    █\n", "python", True, "blank line"),
        ("def f():█\n", "python", True, "opens a block"),
        ("if (x) {█\n}", "typescript", True, "opens a block"),
        ("const f = () => {█}", "typescript", True, "opens a block"),
        ("x = foo()█\n", "python", True, "end of a statement"),
        ("foo();█\n", "c", True, "end of a statement"),
        ("total = █\n", "python", False, "unfinished line"),
        ("return user.█\n", "python", False, "unfinished line"),
        ("foo(█, b)\n", "python", False, "mid-line"),
        ("foo(█)\n", "python", False, "inside an expression"),
        ('name = "█"\n', "python", False, "string"),
        ("items[█]\n", "python", False, "inside an expression"),
        ("x = 1  # explain █\n", "python", False, "comment"),
        ("    // TODO: █\n", "rust", False, "comment"),
        ('msg = "Hello, █\n', "python", False, "string"),
        (" * Returns █\n */", "c", False, "block comment"),
        ('def f():\n    """\n    █\n', "python", True, "docstring"),
        ("# Title\n\nSome █\n", "markdown", False, "markdown prose"),
        ("# Title\n\n█\n", "markdown", True, "markdown prose"),
        ("```python\ndef f():█\n```", "markdown", True, "opens a block"),
        ("steps:█\n", "yaml", True, "opens a block"),
        ("url = 'http://x/*'\n█", "python", True, "blank line"),  # not a C comment
    ],
)
def test_auto_plan(document: str, language_id: str, multiline: bool, reason: str) -> None:
    plan = plan_completion(context_at(document, language_id), "auto", 256)
    assert (plan.multiline, plan.reason) == (multiline, reason)


def test_single_line_plans_stop_at_newline_and_ask_for_less() -> None:
    plan = plan_completion(context_at("x = █\n"), "auto", 256)
    assert plan.stop == ("\n",)
    assert plan.max_tokens == SINGLE_LINE_MAX_TOKENS
    assert plan_completion(context_at("x = █\n"), "auto", 16).max_tokens == 16


def test_settings_override_the_position() -> None:
    assert plan_completion(context_at("foo(█, b)"), "always", 256).multiline
    assert not plan_completion(context_at("def f():\n    █"), "never", 256).multiline
    assert plan_completion(context_at("def f():\n    █"), "auto", 256).stop == ()
    assert plan_completion(context_at("# T\n\n█", "markdown"), "auto", 256).stop == ("\n\n",)
