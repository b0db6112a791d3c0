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


@pytest.mark.parametrize(
    ("document", "language_id", "grows", "max_tokens"),
    [
        ("x = █\n", "python", True, 256),  # `x = lambda:` / `x = {` may open a block
        ("func area█\n", "go", True, 256),
        ("foo(█)\n", "javascript", True, 256),  # a callback `function () {`
        ("foo(█, b)\n", "python", False, SINGLE_LINE_MAX_TOKENS),  # mid-line
        ("x = 1  # explain █\n", "python", False, SINGLE_LINE_MAX_TOKENS),
        ('msg = "Hello, █\n', "python", True, 256),  # `if name == "admin":` completes a string, then a block
    ],
)
def test_single_line_plans_send_no_newline_stop(document: str, language_id: str, grows: bool, max_tokens: int) -> None:
    # The filter ends the line in the stream, so a first line that opens a block can go on.
    plan = plan_completion(context_at(document, language_id), "auto", 256)
    assert not plan.multiline
    assert "\n" not in plan.stop
    assert (plan.block_after_first_line, plan.max_tokens) == (grows, max_tokens)


def test_single_line_budget_never_exceeds_the_setting() -> None:
    assert plan_completion(context_at("x = █\n"), "auto", 16).max_tokens == 16
    assert plan_completion(context_at("foo(█, b)\n"), "auto", 16).max_tokens == 16
    never = plan_completion(context_at("x = █\n"), "never", 256)
    assert (never.block_after_first_line, never.max_tokens) == (False, SINGLE_LINE_MAX_TOKENS)


def test_settings_override_the_position() -> None:
    assert plan_completion(context_at("foo(█, b)"), "always", 256).multiline
    assert not plan_completion(context_at("def f():\n    █"), "never", 256).multiline
    assert plan_completion(context_at("def f():\n    █"), "auto", 256).stop == ()
    assert plan_completion(context_at("# T\n\n█", "markdown"), "auto", 256).stop == ("\n\n",)


@pytest.mark.parametrize(
    ("document", "language_id", "multiline", "reason"),
    [
        ("services:\n  web:\n    image: nginx█\n", "yaml", True, "end of an entry"),
        ("[package]\nedition = 2021█\n", "toml", True, "end of an entry"),
        ('{\n  "port": 8080█\n}', "json", True, "end of an entry"),
        ("    image: █\n", "yaml", True, "opens a block"),  # a key without its value yet
        ("x = 2021█\n", "python", False, "unfinished line"),  # only data files have entries
    ],
)
def test_data_entries_are_complete_lines(document: str, language_id: str, multiline: bool, reason: str) -> None:
    plan = plan_completion(context_at(document, language_id), "auto", 256)
    assert (plan.multiline, plan.reason) == (multiline, reason)
