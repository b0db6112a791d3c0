"""The next lines below the cursor reproduced by the model: the suggestion stops before them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .language import opens_block

# Lines shorter than this must match exactly; longer ones may differ by under 10%.
FUZZY_MIN_CHARS = 16
# Lines further down than the first non-blank one must be this long to count (exact match),
# so a lone `}`, `end` or a `type: string` of repetitive data two lines down never stops a
# suggestion.
FAR_LINE_MIN_CHARS = 24
LOOKAHEAD_LINES = 3
# A line ending with one of these goes on below: a block's body, the next argument, a macro's
# next line.
_GOES_ON = frozenset("{([:,\\")
_COMMENTS = ("//", "#", "--", "/*", "* ", "<!--")


def _indent(line: str) -> int:
    """Columns of indentation (a tab counting 4, as elsewhere)."""
    stripped = line.lstrip(" \t")
    whitespace = line[: len(line) - len(stripped)]
    return len(whitespace) + 3 * whitespace.count("\t")


_TOKEN = re.compile(r"\w+|\S")
_NAME = re.compile(r"\w+")


def upcoming_lines(suffix: str) -> list[str]:
    """The first non-blank lines after the cursor line, right-stripped."""
    found: list[str] = []
    start = suffix.find("\n")
    while start >= 0 and len(found) < LOOKAHEAD_LINES:
        end = suffix.find("\n", start + 1)
        line = suffix[start + 1 : end if end >= 0 else len(suffix)].rstrip()
        if line.strip():
            found.append(line)
        start = end
    return found


def edit_distance_within(a: str, b: str, limit: int) -> bool:
    """Whether the Levenshtein distance of `a` and `b` is at most `limit` (banded, so the cost
    is O(len * limit))."""
    if abs(len(a) - len(b)) > limit:
        return False
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    a, b = a[start:end_a], b[start:end_b]
    if max(len(a), len(b)) <= limit:
        return True
    big = limit + 1
    previous = [j if j <= limit else big for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        current = [big] * (len(b) + 1)
        if i <= limit:
            current[0] = i
        low, high = max(1, i - limit), min(len(b), i + limit)
        row_best = current[0]
        for j in range(low, high + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            current[j] = min(value, big)
            row_best = min(row_best, current[j])
        if row_best > limit:
            return False
        previous = current
    return previous[len(b)] <= limit


def siblings(line: str, other: str) -> bool:
    """Lines with the same tokens but for some names or numbers: `key[3] = k[2] << 5` and
    `key[5] = k[4] << 3` are parallel lines of a table, not one line reproduced."""
    mine, theirs = _TOKEN.findall(line), _TOKEN.findall(other)
    if len(mine) != len(theirs):
        return False
    differing = [(a, b) for a, b in zip(mine, theirs, strict=True) if a != b]
    return bool(differing) and all(_NAME.fullmatch(a) and _NAME.fullmatch(b) for a, b in differing)


def near_duplicate(line: str, other: str) -> bool:
    """Equal, or (both long enough) within 10% edit distance of the longer one, unless they are
    siblings: `fmt(p(50))` above `fmt(p(95))` is a line the user wants, not the one below
    reproduced."""
    if line == other:
        return True
    if not any(c.isalnum() for c in line):
        return False  # decoration (`/*****`, ` *****/`) differs by one character on purpose
    longest = max(len(line.strip()), len(other.strip()))
    if min(len(line.strip()), len(other.strip())) < FUZZY_MIN_CHARS:
        return False
    limit = (longest - 1) // 10
    if abs(len(line) - len(other)) > limit or siblings(line, other):
        return False
    return edit_distance_within(line, other, limit)


def reproduces_next_line(line: str, upcoming: Sequence[str], language_id: str = "", prose: bool = False) -> bool:
    """Whether a suggestion line (its full text, cursor line included) repeats code below.
    `prose` (a comment, a docstring): only the very next line counts, as sentences recur."""
    text = line.rstrip()
    if not text.strip() or not upcoming:
        return False
    if _indent(text) == _indent(upcoming[0]) and near_duplicate(text, upcoming[0]):
        return True  # (the indentation first: it is cheaper than the edit distance)
    stripped = text.strip()
    if len(stripped) < FAR_LINE_MIN_CHARS or not any(c.isalnum() for c in text) or stripped.startswith(_COMMENTS):
        return False  # short lines, decoration and comments recur everywhere
    if prose:
        return False
    if text not in upcoming[1:]:
        return False  # the common case, decided without looking at the lines between
    position = upcoming.index(text, 1)
    # A line between opens another block (`test('b', () => {`, `function(done)`) or goes on
    # with another statement (`PNG_EXPORT(182, f,` then `    (png_ptr));`): the line like the
    # suggestion's there is a sibling, not a reproduction.
    return not any(above[-1:] in _GOES_ON or opens_block(above, language_id) for above in upcoming[:position])
