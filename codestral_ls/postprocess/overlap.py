"""Overlap at both ends: output that repeats the end of the prefix, and an output tail that is
already right of the cursor."""

from __future__ import annotations

from collections.abc import Iterator

from .brackets import quote_chars, scan
from .language import open_quote_start

# Only this much of the prefix is compared with the head of the output.
PREFIX_TAIL_CHARS = 400
# How much of the output's head is looked for in that tail at once.
PROBE_CHARS = 32
# A shorter echo of the cursor line is too likely to be a coincidence (`x = x`).
MIN_LINE_OVERLAP = 3
# An echo reaching back over line ends must cover this much code when it does not start at
# the beginning of a prefix line.
MIN_MULTILINE_OVERLAP = 8
# A single line echoed from above must be this long unless it opens a block.
MIN_ECHOED_LINE = 20
_LIST_SEPARATORS = ",([{<|"


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


def prefix_overlap(text: str, prefix: str) -> int:
    """Length of the longest head of `text` that repeats the end of `prefix` and is worth
    removing (0 when none is)."""
    if not text or not prefix:
        return 0
    tail = prefix[-PREFIX_TAIL_CHARS:]
    for start in _starts(text, tail):
        candidate = tail[start:]
        if not text.startswith(candidate):
            continue
        # `var err` + ` error`: an echo ends where a token does, not inside a longer word.
        splits_word = len(text) > len(candidate) and _word(candidate[-1]) and _word(text[len(candidate)])
        if not splits_word and _acceptable(candidate, tail, start):
            return len(candidate)  # the earliest start is the longest overlap
    return 0


def _starts(text: str, tail: str) -> Iterator[int]:
    """Where in `tail` a head of `text` may start, in order: a head can only repeat the last
    len(text) characters, and where it is PROBE_CHARS long or more the tail holds the text's
    first PROBE_CHARS characters (found in C; indentation would match everywhere)."""
    earliest = max(0, len(tail) - len(text))
    probe = text[:PROBE_CHARS]
    start = tail.find(probe, earliest)
    while start >= 0:
        yield start
        start = tail.find(probe, start + 1)
    # The last starts, where less than the probe fits: those holding the text's first character.
    start = tail.find(text[0], max(earliest, len(tail) - len(probe) + 1))
    while start >= 0:
        yield start
        start = tail.find(text[0], start + 1)


def _acceptable(overlap: str, tail: str, start: int) -> bool:
    if not any(c.isalnum() for c in overlap):
        return False  # whitespace or a run of `-----`: indentation or decoration, not an echo
    before = tail[start - 1] if start > 0 else "\n"
    if _word(overlap[0]) and _word(before):
        return False  # starts inside a word of the prefix
    if "\n" in overlap:
        at_line_start = before == "\n" or not tail[:start].rsplit("\n", 1)[-1].strip()
        if not at_line_start:
            return False
        if len(overlap.strip()) < MIN_MULTILINE_OVERLAP:
            return False  # short lines (`---`, `}`, `*/`) recur everywhere
        echoed = [line for line in overlap.split("\n") if line.strip()]
        if len(echoed) >= 2:
            return True
        # One line echoed: a header the model restates (`def f(a):`), or a long line; not a
        # closer such as `{% endif %}` or `</div>`, which nests legitimately.
        line = echoed[0].strip()
        return line[-1] in ":{([" or len(line) >= MIN_ECHOED_LINE
    if len(overlap) < MIN_LINE_OVERLAP or overlap[0] in _LIST_SEPARATORS:
        return False  # `return v, v` + `, v`: a new element, not the tail retyped
    if _inside_string(tail[tail.rfind("\n", 0, start) + 1 : start]):
        # Mid-way through a string's content, repeating is data: a path
        # (`lib/definitions` + `/definitions.js'`), a format (`%4u %4u ` + `%4u %4u"`).
        return False
    # `tuple[float, █` + `float, float]`: a new element of a list repeats the one before it;
    # an echo restarts a statement or a clause (`return █` + `return x`, `in █` + `in items`).
    previous = tail[:start].rstrip(" \t")[-1:]
    return previous not in _LIST_SEPARATORS or previous == ""


def _inside_string(line_head: str) -> bool:
    """Whether `line_head` ends inside a string literal, past at least one character of it."""
    return 0 <= open_quote_start(line_head) < len(line_head) - 1


def trim_prefix_overlap(text: str, prefix: str) -> str:
    """The output without the part that repeats what is left of the cursor."""
    return text[prefix_overlap(text, prefix) :]


def trim_suffix_overlap(text: str, line_prefix: str, line_suffix: str, language_id: str = "") -> str:
    """Single line, mid-line: cut an output tail that the rest of the line already holds,
    when the cut keeps the line's brackets as balanced as they were."""
    if not line_suffix or not text:
        return text
    quotes = quote_chars(language_id)
    wanted = scan(line_prefix + line_suffix, (), quotes)
    for size in range(min(len(text), len(line_suffix)), 0, -1):
        piece = line_suffix[:size]
        if not text.endswith(piece):
            continue
        kept = text[: len(text) - size]
        if scan(line_prefix + kept + line_suffix, (), quotes) == wanted:
            return kept
    return text
