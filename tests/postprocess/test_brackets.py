"""Brackets and quotes: balance, closers-only line ends, and how many closers to replace."""

from __future__ import annotations

import random

import pytest

from codestral_ls.postprocess.brackets import (
    close_only_what_is_open,
    closed_entries,
    is_closers_only,
    replace_closers,
    scan,
    trim_surplus_closers,
)


@pytest.mark.parametrize(
    ("text", "stack", "balance"),
    [
        ("foo(a, [b])", (), (0, ())),
        ("foo(a, [b", (), (0, ("(", "["))),
        ("x))", ("(",), (1, ())),
        ('print("(")', (), (0, ())),  # brackets in strings do not count
        ('"it\\"s"', (), (0, ())),  # escaped quote
        ('say("hi', (), (0, ("(", '"'))),
        ('", x)', ("(", '"'), (0, ())),
        ("'a\nb", (), (0, ("b",)[:0])),  # one-line strings end at the line end
    ],
)
def test_scan(text: str, stack: tuple[str, ...], balance: tuple[int, tuple[str, ...]]) -> None:
    assert scan(text, stack) == balance


@pytest.mark.parametrize(
    ("line_suffix", "closers_only"),
    [
        (")", True),
        ("); ", True),
        ('"]', True),
        ("}", True),
        (":", True),
        ("", False),
        ("   ", False),
        (") {", False),
        (", b)", False),
        (">", False),
    ],
)
def test_is_closers_only(line_suffix: str, closers_only: bool) -> None:
    assert is_closers_only(line_suffix) is closers_only


@pytest.mark.parametrize(
    ("line_prefix", "text", "line_suffix", "expected"),
    [
        ("foo(", "a, b", ")", ("a, b", 0)),
        ("foo(", "a, b)", ")", ("a, b)", 1)),
        ("foo(", "x);", ");", ("x);", 2)),
        ("foo(", "x)", ");", ("x)", 1)),
        ("print(foo(", "x)", "))", ("x)", 1)),
        ("print(foo(", "x))", "))", ("x))", 2)),
        ('print("', 'hi")', '")', ('hi")', 2)),
        ('Console.WriteLine($"Hello {', 'name}");', '}");', ('name}");', 4)),
        # The text's closer belongs to a call it opened: nothing to replace.
        ("foo(", "bar(x)", ")", ("bar(x)", 0)),
        ("res.", "json()", ")", ("json()", 0)),
        # One closer too many, and the line's own closer: drop the surplus, then replace.
        ("foo(", "x))", ")", ("x)", 1)),
        ("{", "\n  return 1;\n", "}", ("\n  return 1;\n", 0)),
        ("{", "\n  return 1;\n}", "}", ("\n  return 1;\n}", 1)),
        # Typed over by bracket stack, the suggestion going on after the closers.
        ('const s = "', 'Hi, " + name;', '";', ('Hi, " + name;', 2)),
        ('describe("p", () => {', "\n  it();\n});", "})", ("\n  it();\n});", 2)),
        ("with open(path", ") as f:\n    data = f.read()", ")", (") as f:\n    data = f.read()", 1)),
        ('print(f"', 'total: {n}", file=sys.stderr)', '")', ('total: {n}", file=sys.stderr)', 2)),
        # The cursor in a string the editor did not close: the `)` comes after the string.
        ('getLogger("p', 'ygls").setLevel(WARNING)', ")", ('ygls").setLevel(WARNING)', 1)),
        # The suggestion writes the outer closer itself: the one after the cursor goes.
        ("res.", "json())", ")", ("json())", 1)),
    ],
)
def test_replace_closers(line_prefix: str, text: str, line_suffix: str, expected: tuple[str, int]) -> None:
    assert replace_closers(text, line_prefix, line_suffix) == expected


def test_trim_surplus_closers_keeps_what_is_needed() -> None:
    assert trim_surplus_closers("x))", ("(",), "\"'") == "x)"
    assert trim_surplus_closers("x)", ("(",), "\"'") == "x)"
    assert trim_surplus_closers("x", (), "\"'") == "x"


@pytest.mark.parametrize(
    ("prefix_lines", "line_prefix", "text", "kept"),
    [
        ([], "    return max(low, min(value, high", ")))", "))"),
        ([], "  return items.reduce((sum, x) => sum + x, 0", "));", ");"),
        (["    parser.add_argument(", '        "--limit",'], "        type=int", ")", ")"),
        # A ')' in a comment above does not close the call opened before it.
        (["x = compute(", "    a,  # see note :)"], "    b", ")", ")"),
        # The cursor line opens nothing: the closer may end a construct begun far above.
        ([], "x = 1", ")", ")"),
        ([], "", "});", "});"),
        ([], "print(x", ")", ")"),
        ([], 'print("a(', '")', '")'),
        # A shell `case` pattern's `)` closes no bracket.
        ([], "\t-std=c9[9x]|-std=iso9899:199[", "9x])", "9x])"),
    ],
)
def test_close_only_what_is_open(prefix_lines: list[str], line_prefix: str, text: str, kept: str) -> None:
    language_id = "shellscript" if line_prefix.startswith("\t-std") else "python"
    assert close_only_what_is_open(text, prefix_lines, line_prefix, language_id) == kept


@pytest.mark.parametrize(
    ("text", "stack", "closed"),
    [
        ("a)", ("(",), {0: 2}),
        ('x")', ("(", '"'), {1: 2, 0: 3}),
        ("(b)", ("(",), {}),  # its own pair closes nothing from before
        ("});\n  more", ("(", "{"), {1: 1, 0: 2}),
    ],
)
def test_closed_entries(text: str, stack: tuple[str, ...], closed: dict[int, int]) -> None:
    assert closed_entries(text, stack) == closed


def _reference_walk(
    text: str, stack: tuple[str, ...], quotes: str
) -> tuple[tuple[int, tuple[str, ...]], dict[int, int]]:
    """The walk one character at a time, as it was written before it skipped plain characters."""
    pairs, closing = {"(": ")", "[": "]", "{": "}"}, {")": "(", "]": "[", "}": "{"}
    open_stack, floor, unmatched, escaped, closed = list(stack), len(stack), 0, False, {}
    for index, char in enumerate(text):
        top = open_stack[-1] if open_stack else ""
        if top and top in quotes:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == top or (char == "\n" and top != "`"):
                open_stack.pop()
                if len(open_stack) < floor and char != "\n":
                    floor = len(open_stack)
                    closed[floor] = index + 1
            continue
        if char in quotes or char in pairs:
            open_stack.append(char)
        elif char in closing:
            if top == closing[char]:
                open_stack.pop()
                if len(open_stack) < floor:
                    floor = len(open_stack)
                    closed[floor] = index + 1
            else:
                unmatched += 1
    return (unmatched, tuple(open_stack)), closed


@pytest.mark.parametrize(
    "text",
    [
        '\\"(',  # a backslash outside a string escapes nothing
        '"a\\\\"(',  # an escaped backslash, then the closing quote
        '"a\\',  # a string ending on a backslash
        "\\",
        "'a\\\nb'",  # an escaped line end inside a string
        "`a\nb`)",
        "x\\)",
    ],
)
def test_walk_escapes_like_the_reference(text: str) -> None:
    for stack in ((), ("(",), ("(", '"')):
        balance, closed = _reference_walk(text, stack, "\"'`")
        assert scan(text, stack, "\"'`") == balance
        assert closed_entries(text, stack, "\"'`") == closed


def test_walk_matches_the_reference_on_random_text() -> None:
    """The walk skips characters that cannot change its state; on any text it must give what
    reading every character gives."""
    rng = random.Random(9)
    alphabet = "()[]{}\"'`\\\nab "
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        stack = tuple(rng.choice(["(", "[", "{", '"', "'", "`"]) for _ in range(rng.randint(0, 3)))
        for quotes in ("\"'`", "\"'", '"'):
            balance, closed = _reference_walk(text, stack, quotes)
            assert scan(text, stack, quotes) == balance, (text, stack, quotes)
            assert closed_entries(text, stack, quotes) == closed, (text, stack, quotes)
