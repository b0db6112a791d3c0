"""Pure conversions between LSP columns (utf-8 / utf-16 / utf-32 units) and Python string indices.

LSP columns count code units of the negotiated encoding; Python strings index code points.
Never index a line with `position.character` directly: go through these functions.
"""

from __future__ import annotations

from typing import Literal

Encoding = Literal["utf-8", "utf-16", "utf-32"]


def _unit_len(char: str, encoding: Encoding) -> int:
    code = ord(char)
    if encoding == "utf-32":
        return 1
    if encoding == "utf-16":
        return 2 if code > 0xFFFF else 1
    if code < 0x80:
        return 1
    if code < 0x800:
        return 2
    if code < 0x10000:
        return 3
    return 4


def units(text: str, encoding: Encoding) -> int:
    """Length of `text` in code units of `encoding`."""
    if encoding == "utf-32" or text.isascii():
        return len(text)
    if encoding == "utf-16":
        return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)
    return len(text.encode("utf-8", "surrogatepass"))


def column_to_index(line: str, column: int, encoding: Encoding) -> int | None:
    """Code-point index in `line` for an LSP `column`; None if the column lies past the line's end.

    A column that falls inside a character (half a surrogate pair, mid-way through a utf-8
    sequence) is rounded down to that character's start, as VS Code does.
    """
    if column < 0:
        return None
    if encoding == "utf-32" or line.isascii():
        return column if column <= len(line) else None
    seen = 0
    for index, char in enumerate(line):
        if seen >= column:
            return index
        width = _unit_len(char, encoding)
        if seen + width > column:
            return index
        seen += width
    return len(line) if seen >= column else None


def index_to_column(line: str, index: int, encoding: Encoding) -> int:
    """LSP column of code-point `index` in `line`."""
    return units(line[:index], encoding)
