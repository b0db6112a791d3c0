"""Indentation: the document's style, re-indenting a suggestion, stray whitespace."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from codestral_ls.postprocess.indentation import (
    TAB_WIDTH,
    IndentStyle,
    detect_style,
    fix_first_line_indent,
    indent_width,
    leading,
    normalize,
    strip_trailing,
    width,
)


def test_indent_width_counts_tabs_as_four() -> None:
    assert indent_width("    x") == 4
    assert indent_width("\t\tx") == 8
    assert indent_width("\t  x") == 6
    assert indent_width("x") == 0


def test_a_tab_is_eight_columns_where_tabs_and_spaces_mix() -> None:
    assert indent_width("\t  x", 8) == 10
    assert IndentStyle(use_tabs=True, unit=4, mixed=True).tab_width == 8
    assert IndentStyle(use_tabs=True, unit=4, confident=True).tab_width == 4
    style = detect_style(["f() {", "  if x; then", "\techo", "  fi", "}"], "shellscript")
    assert style.mixed and style.tab_width == 8


@pytest.mark.parametrize(
    ("lines", "language_id", "style"),
    [
        (["def f():", "    if x:", "        y()", "    return 1"], "python", IndentStyle(False, 4, True)),
        (["func f() {", "\tif x {", "\t\ty()", "\t}", "}"], "go", IndentStyle(True, 4, True)),
        (["a:", "  b:", "    c: 1", "  d: 2"], "yaml", IndentStyle(False, 2, True)),
        (["x = 1"], "ruby", IndentStyle(False, 2, False)),
        (["x = 1"], "python", IndentStyle(False, 4, False)),
    ],
)
def test_detect_style(lines: list[str], language_id: str, style: IndentStyle) -> None:
    assert detect_style(lines, language_id) == style


@pytest.mark.parametrize(
    ("lines", "style", "base", "expected"),
    [
        # Spaces in a tab document.
        (["", "        total += v"], IndentStyle(True, 4, True), 4, ["", "\t\ttotal += v"]),
        # Tabs in a space document.
        (["", "\t\tif x:", "\t\t\ty()"], IndentStyle(False, 4, True), 4, ["", "        if x:", "            y()"]),
        # Two-space nesting in a confident four-space document.
        (["if x:", "      y()", "    z()"], IndentStyle(False, 4, True), 4, ["if x:", "        y()", "    z()"]),
        # Same, but the document's style is not known well enough: left alone.
        (["if x:", "      y()"], IndentStyle(False, 4, False), 4, ["if x:", "      y()"]),
        # The model's first level is the document's (+4), a deeper line aligned (+6): kept.
        (
            ["if a; then", "        if b; then", "          c", "        fi", "    fi"],
            IndentStyle(False, 4, True),
            4,
            ["if a; then", "        if b; then", "          c", "        fi", "    fi"],
        ),
        (
            ["else:", " " * 16 + 'raise E("bad"', " " * 42 + '+ "more")'],
            IndentStyle(False, 4, True),
            12,
            ["else:", " " * 16 + 'raise E("bad"', " " * 42 + '+ "more")'],
        ),
        # Already right.
        (["if x:", "        y()"], IndentStyle(False, 4, True), 4, ["if x:", "        y()"]),
        (["only line 0"], IndentStyle(True, 4, True), 0, ["only line 0"]),
    ],
)
def test_normalize(lines: list[str], style: IndentStyle, base: int, expected: list[str]) -> None:
    assert normalize(lines, style, base) == expected


@pytest.mark.parametrize(
    ("first", "line_prefix", "previous", "following", "expected"),
    [
        ("    return x", "    ", 0, 4, "return x"),  # 8 columns under a 0-column header
        ("    return x", "    ", 4, 8, "    return x"),  # the next line is that deep: fine
        ("  y", "    ", 4, 4, "  y"),  # 6 columns: odd, but not deeper than a level fits
        ("return x", "    ", 0, 0, "return x"),
        (" x", "foo(", 0, 0, " x"),  # not in the indentation: not this rule's business
    ],
)
def test_fix_first_line_indent(first: str, line_prefix: str, previous: int, following: int, expected: str) -> None:
    assert fix_first_line_indent(first, line_prefix, previous, following, 4) == expected


def test_strip_trailing() -> None:
    assert strip_trailing(["a  ", "b ", "", ""], keep_last=False) == ["a", "b"]
    assert strip_trailing(["a  ", "  "], keep_last=True) == ["a", "  "]
    assert strip_trailing([""], keep_last=False) == [""]


def _reference_detect_style(lines: list[str], language_id: str = "") -> IndentStyle:
    """detect_style as written before its loop was inlined (leading/width per line)."""
    tab_lines = space_lines = 0
    deltas: Counter[int] = Counter()
    previous = 0
    for line in lines:
        if not line.strip():
            continue
        ws = leading(line)
        if ws.startswith("\t"):
            tab_lines += 1
        elif ws and not line.lstrip().startswith("*"):
            space_lines += 1
        current = width(ws)
        if current > previous and "\t" not in ws:
            deltas[current - previous] += 1
        previous = current
    default_unit = {"ruby": 2, "yaml": 2, "lua": 2}.get(language_id, 4)
    if not tab_lines and not space_lines and language_id in ("go", "makefile"):
        return IndentStyle(use_tabs=True, unit=TAB_WIDTH, mixed=True)
    if tab_lines and space_lines:
        return IndentStyle(use_tabs=tab_lines > space_lines, unit=default_unit, mixed=True)
    if tab_lines > space_lines:
        return IndentStyle(use_tabs=True, unit=TAB_WIDTH, confident=True)
    levels = [d for d, _ in deltas.most_common() if d in (2, 4, 8, 3)]
    if not levels:
        return IndentStyle(unit=default_unit)
    return IndentStyle(unit=levels[0], confident=space_lines >= 3 and all(d % levels[0] == 0 for d in deltas))


def test_detect_style_matches_the_reference_on_random_lines() -> None:
    rng = random.Random(15)
    heads = ["", " ", "  ", "    ", "\t", "\t ", " \t", "        ", "\f ", "   "]
    for _ in range(3000):
        lines = [rng.choice(heads) + rng.choice(["x", "* c", "", " ", "y = 1"]) for _ in range(rng.randint(0, 12))]
        for language_id in ("python", "go", "ruby"):
            assert detect_style(lines, language_id) == _reference_detect_style(lines, language_id), lines
