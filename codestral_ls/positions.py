"""Pure conversions between LSP columns (utf-8 / utf-16 / utf-32 units) and Python string indices.

LSP columns count code units of the negotiated encoding; Python strings index code points.
Never index a line with `position.character` directly: go through these functions.
"""

from __future__ import annotations

from typing import Literal

Encoding = Literal["utf-8", "utf-16", "utf-32"]


# The codec whose code units LSP counts, and the bytes one unit takes in it.
_CODECS: dict[str, tuple[str, int]] = {"utf-8": ("utf-8", 1), "utf-16": ("utf-16-le", 2)}


def units(text: str, encoding: Encoding) -> int:
    """Length of `text` in code units of `encoding` (C-speed: one encode, no per-character loop)."""
    if encoding == "utf-32" or text.isascii():
        return len(text)
    codec, width = _CODECS[encoding]
    # surrogatepass: a lone surrogate (from a client's bad escape) counts as the one unit it is.
    return len(text.encode(codec, "surrogatepass")) // width


def column_to_index(line: str, column: int, encoding: Encoding) -> int | None:
    """Code-point index in `line` for an LSP `column`; None if the column lies past the line's end.

    A column that falls inside a character (half a surrogate pair, mid-way through a utf-8
    sequence) is rounded down to that character's start, as VS Code does.

    Cost: linear in `column`, in C (a slice, an encode, a decode), never a Python loop per
    character: a keystroke at the end of a 1 MB non-ASCII line costs milliseconds, not seconds.
    """
    if column < 0:
        return None
    if encoding == "utf-32" or line.isascii():  # isascii() is O(1): CPython keeps the flag
        return column if column <= len(line) else None
    codec, width = _CODECS[encoding]
    # Every character takes at least one unit, so the one holding `column` is among the first `column`.
    head = line[:column]
    try:
        encoded = head.encode(codec)
    except UnicodeEncodeError:  # lone surrogates: rare enough for the slow, exact walk
        return _column_to_index_walk(line, column, encoding)
    limit = column * width
    if len(encoded) < limit:
        return None  # `head` is the whole line and still ends before the column
    if len(encoded) == limit:
        return len(head)
    # Decoding the first `limit` bytes drops a character cut in half: that rounds down.
    return len(encoded[:limit].decode(codec, "ignore"))


def column_to_index_near(line: str, column: int, encoding: Encoding, known: tuple[int, int]) -> int | None:
    """`column_to_index`, starting from a `known` exact (column, index) pair of `line`: costs
    O(distance between the two columns), not O(column). Typing next to the last edit is cheap."""
    known_column, known_index = known
    if column < 0:
        return None
    if encoding == "utf-32" or line.isascii():
        return column if column <= len(line) else None
    if column >= known_column:
        distance = column - known_column
        # `distance` characters hold at least `distance` units, unless the line ends first.
        found = column_to_index(line[known_index : known_index + distance], distance, encoding)
        return None if found is None else known_index + found
    start = max(0, known_index - (known_column - column))
    segment = line[start:known_index]
    found = column_to_index(segment, column - (known_column - units(segment, encoding)), encoding)
    return None if found is None else start + found


def index_to_column_near(line: str, index: int, encoding: Encoding, known: tuple[int, int]) -> int:
    """`index_to_column`, from a `known` exact (column, index) pair: O(distance), not O(index)."""
    known_column, known_index = known
    if index >= known_index:
        return known_column + units(line[known_index:index], encoding)
    return known_column - units(line[index:known_index], encoding)


def _column_to_index_walk(line: str, column: int, encoding: Encoding) -> int | None:
    codec, width = _CODECS[encoding]
    seen = 0
    for index, char in enumerate(line):
        size = len(char.encode(codec, "surrogatepass")) // width
        if seen + size > column:
            return index
        seen += size
    return len(line) if seen == column else None


def index_to_column(line: str, index: int, encoding: Encoding) -> int:
    """LSP column of code-point `index` in `line`."""
    return units(line[:index], encoding)
