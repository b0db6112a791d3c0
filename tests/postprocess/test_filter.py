"""The chain as the pipeline drives it: feed chunks, stop early, finish with a Suggestion."""

from __future__ import annotations

import random

from codestral_ls.context import extract
from codestral_ls.postprocess import Suggestion, SuggestionFilter, plan_completion
from golden.cases import context_at


def make_filter(document: str, language_id: str = "python", setting: str = "auto") -> SuggestionFilter:
    ctx = context_at(document, language_id)
    return SuggestionFilter(ctx, plan_completion(ctx, setting, 256))


def test_single_line_stops_at_the_first_newline() -> None:
    chain = make_filter("total = █\nprint(total)")
    assert chain.feed("sum(") is False
    assert chain.feed("prices)\nprint(") is True
    assert chain.feed("more") is True  # nothing more is taken once complete
    assert chain.consumed_chars == len("sum(prices)\nprint(")
    assert chain.finish() == Suggestion("sum(prices)")
    assert chain.stop is not None and chain.stop.rule == "single-line"


def test_multi_line_stops_when_the_block_is_left() -> None:
    chain = make_filter("def f():\n    █\n\n\ndef main():\n    f()")
    assert not chain.feed("return 1\n")
    assert not chain.feed("\n\n")
    assert chain.feed("def g():\n")
    assert chain.finish() == Suggestion("return 1")
    assert chain.stop is not None and chain.stop.rule == "scope"


def test_stop_rules_wait_for_a_whole_line() -> None:
    # "}" alone would reproduce the line below; the rules only judge it once its line is
    # complete, here at the end of the stream, where "};" is an outer closer the document
    # already has.
    chain = make_filter("function f() {\n  █\n}", "javascript")
    assert not chain.feed("return 1;\n}")
    assert not chain.feed(";")
    assert chain.finish() == Suggestion("return 1;")
    assert chain.stop is not None and chain.stop.rule == "scope"


def test_nothing_worth_showing() -> None:
    assert make_filter("x = █\n").finish() is None
    chain = make_filter("x = █\n")
    chain.feed("   \n")
    assert chain.finish() is None
    chain = make_filter("foo(█)\n")
    chain.feed(")")
    assert chain.finish() is None  # only the closer already there


def test_head_fix_that_changes_with_more_text_restarts_the_rules() -> None:
    # At the first newline the echo of the prefix is not yet visible; once it is, the lines
    # are checked again from the start and the result is the same as all at once.
    document = "def f(a):\n    █\n"
    streamed = make_filter(document)
    for chunk in ("def f(a):\n", "    return a\n"):
        streamed.feed(chunk)
    whole = make_filter(document)
    whole.feed("def f(a):\n    return a\n")
    assert streamed.finish() == whole.finish() == Suggestion("return a")


def test_raw_keeps_what_was_fed() -> None:
    chain = make_filter("x = █\n")
    chain.feed("a")
    chain.feed("b")
    assert chain.raw == "ab"


_SOUP = [
    "def",
    "f",
    "(",
    ")",
    ":",
    "{",
    "}",
    "[",
    "]",
    '"',
    "'",
    "`",
    "#",
    "//",
    "/*",
    "*/",
    "=",
    ",",
    ";",
    " ",
    "    ",
    "\t",
    "\n",
    "\n",
    "\n    ",
    "\n\t",
    "return",
    "x",
    "if",
    "else",
    "end",
    "<div>",
    "</div>",
    '"""',
    "```",
    "- ",
    "\\",
    "é",
    "😀",
    "}\n",
    ")\n",
    "pass",
    "---",
    "self.",
]
_LANGUAGES = [
    "python",
    "typescript",
    "go",
    "rust",
    "c",
    "ruby",
    "php",
    "sql",
    "yaml",
    "json",
    "markdown",
    "html",
    "css",
    "lua",
    "",
]


def test_any_input_is_handled_the_same_whatever_the_chunking() -> None:
    # Random code-like soup, with echoes of the document mixed in: the chain never raises,
    # and 1-char, 3-char and whole-text streams give the same suggestion.
    rng = random.Random(20261125)
    for _ in range(600):
        lines = "".join(rng.choice(_SOUP) for _ in range(rng.randint(0, 50))).split("\n")
        row = rng.randrange(len(lines))
        ctx = extract(
            lines,
            row,
            rng.randint(0, len(lines[row])),
            max_prefix_chars=rng.choice([40, 8000]),
            max_suffix_chars=rng.choice([30, 4000]),
            language_id=rng.choice(_LANGUAGES),
        )
        plan = plan_completion(ctx, rng.choice(["auto", "always", "never"]), 256)
        raw = "".join(rng.choice(_SOUP) for _ in range(rng.randint(0, 30)))
        if rng.random() < 0.3:
            raw = ctx.prefix[-rng.randint(0, 30) :] + raw + ctx.suffix[: rng.randint(0, 40)]
        results = []
        for size in (1, 3, len(raw) + 1):
            chain = SuggestionFilter(ctx, plan)
            for start in range(0, len(raw), size):
                if chain.feed(raw[start : start + size]):
                    break
            results.append(chain.finish())
        assert results[0] == results[1] == results[2], (ctx.prefix[-40:], ctx.suffix[:40], raw)


def test_an_echo_of_several_prefix_lines_is_judged_once_complete() -> None:
    # At each of the first newlines the output could still be an echo of the lines above, so
    # the single-line stop waits until the stream shows it is one; the echo is then dropped.
    chain = make_filter("value = compute(a)\nresult = value * 2\nprint(█)\n")
    assert not chain.feed("value = compute(a)\n")
    assert not chain.feed("result = value * 2\n")
    assert chain.feed("print(result)\nmore\n")
    assert chain.finish() == Suggestion("result)", replace_chars=1)
