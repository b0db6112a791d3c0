"""Overlap at both ends: the prefix echoed at the head, the line's rest repeated at the tail."""

from __future__ import annotations

import random

import pytest

from codestral_ls.postprocess.overlap import (
    PREFIX_TAIL_CHARS,
    _acceptable,
    _word,
    prefix_overlap,
    trim_suffix_overlap,
)


@pytest.mark.parametrize(
    ("prefix", "text", "overlap"),
    [
        ("    return ", "return x + 1", len("return ")),
        ("for i, item in ", "in enumerate(items):", len("in ")),
        ("        self.", "self.count += 1", len("self.")),
        # Echo of whole previous line plus indentation, starting at a line start.
        ("def f(a):\n    ", "def f(a):\n    return a", len("def f(a):\n    ")),
        (
            "routes = [\n  { path: '/', component: Home },\n  ",
            "{ path: '/', component: Home },\n  { path: '/about' },",
            len("{ path: '/', component: Home },\n  "),
        ),
        # A short line repeated may be legitimate data or a nested closer.
        ("items = [\n  { id: 1 },\n  ", "{ id: 1 },\n  { id: 2 },", 0),
        ("{% if a %}{% if b %}\n{% endif %}\n", "{% endif %}\n</div>", 0),
        # Too short to be more than a coincidence.
        ("x = x", "x + 1", 0),
        ("a = ", "= 5", 0),
        # Starts inside a word of the prefix.
        ("total = subtotal", "total + tax", 0),
        # Whitespace only: indentation's business.
        ("def f():\n    ", "    return 1", 0),
        # Across a line end but starting after indentation, and short: a closer, not an echo.
        ("    }\n", "}\n\nfunction g() {}", 0),
        ("", "anything", 0),
        ("abc", "", 0),
        # An echo ends where a token does: `var err` + ` error` is a longer word.
        ("\tvar err", " error", 0),
        ('sed "s#$prefix', '#$prefix_real#"', 0),
        # A new element after a list separator: `return v, v` + `, v`.
        ("        return v, v", ", v", 0),
        # Mid-way through a string, repetition is content (a path, a format); at its start, an echo.
        ("x = require('@npmcli/config/lib/definitions", "/definitions.js')", 0),
        ('MSG(Q, "   %4u %4u %4u ', '%4u %4u %4u"', 0),
        ('msg = "Hello, ', 'msg = "Hello, world"', len('msg = "Hello, ')),
        ('msg = "Hello, ', 'Hello, world"', len("Hello, ")),
    ],
)
def test_prefix_overlap(prefix: str, text: str, overlap: int) -> None:
    assert prefix_overlap(text, prefix) == overlap


@pytest.mark.parametrize(
    ("line_prefix", "text", "line_suffix", "kept"),
    [
        ("foo(", "a, b)", ", b)", "a"),
        ("x = ", "a + 1", " + 1", "a"),
        ("logger.info(", "`hi`, { id });", ", { id });", "`hi`"),
        ('<a href="', '/docs">Docs</a>', '">Docs</a>', "/docs"),
        # The tail closes something the text opened: cutting it would unbalance the line.
        ("foo(", "bar(x)", ")", "bar(x)"),
        # No overlap at all.
        ("map.get(", "key", ").unwrap()", "key"),
        # The whole text is the rest of the line: nothing left.
        ("if (", "ready) {", "ready) {", ""),
        ("x", "yz", "", "yz"),
    ],
)
def test_trim_suffix_overlap(line_prefix: str, text: str, line_suffix: str, kept: str) -> None:
    assert trim_suffix_overlap(text, line_prefix, line_suffix) == kept


def _reference_prefix_overlap(text: str, prefix: str) -> int:
    """Every start of the tail that holds the text's first character, as prefix_overlap was
    written before it looked for a longer probe."""
    if not text or not prefix:
        return 0
    tail = prefix[-PREFIX_TAIL_CHARS:]
    start = tail.find(text[0])
    while start >= 0:
        candidate = tail[start:]
        splits_word = len(text) > len(candidate) and _word(candidate[-1]) and _word(text[len(candidate)])
        if text.startswith(candidate) and not splits_word and _acceptable(candidate, tail, start):
            return len(candidate)
        start = tail.find(text[0], start + 1)
    return 0


def test_prefix_overlap_matches_the_reference_on_random_text() -> None:
    rng = random.Random(14)
    pieces = ["    ", "\n", "x", "y", " = ", "(", ")", ",", "def f():", "return x", "ab", "-"]
    for _ in range(5000):
        prefix = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        # Heads that repeat some of the prefix's end, and others.
        cut = rng.randint(0, len(prefix))
        text = prefix[cut:] + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
        assert prefix_overlap(text, prefix) == _reference_prefix_overlap(text, prefix), (prefix, text)
    long_prefix = "    x = 1\n" * 60  # longer than the tail that is compared
    assert prefix_overlap("    x = 1\n    y", long_prefix) == _reference_prefix_overlap("    x = 1\n    y", long_prefix)
