"""Closers the suggestion owes: brackets it opened that the stream ended without closing are
added (at the end of its last line, or on a line of their own under the line that opened them),
so that an accepted suggestion is balanced as far as it goes.

Only when nothing else will close them: not when the document below goes on at a deeper level
or starts with a closer, not when the suggestion ends by opening a block (its body may be the
document's next lines), not inside an open string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .brackets import closed_entries, quote_chars, scan
from .indentation import indent_width, leading
from .language import BRACKET_PAIRS, code_part, opens_block

_BLOCK_COMMENT = re.compile(r"/\*.*?\*/")


def open_brackets(lines: Sequence[str], language_id: str) -> list[tuple[str, int]]:
    """The brackets still open after `lines` (line 0 being the whole cursor line), each with the
    index of the line that opened it, outermost first; empty when the text ends inside a
    string or closes more than it opens (a construct begun above the cursor)."""
    quotes = quote_chars(language_id)
    stack: tuple[str, ...] = ()
    owners: list[int] = []
    for index, line in enumerate(lines):
        code = _BLOCK_COMMENT.sub("", code_part(line, language_id))
        if code.lstrip().startswith(("*", "/*")):
            code = ""  # a line of a block comment (`/** What was tried (a name...`)
        closed = closed_entries(code, stack, quotes)
        unmatched, after = scan(code, stack, quotes)
        if unmatched:
            return []
        kept = min(closed, default=len(stack))
        owners = owners[:kept] + [index] * (len(after) - kept)
        if index < len(lines) - 1:
            # A one-line string left open at a line end is a stray quote, not a string going on.
            pairs = [(c, o) for c, o in zip(after, owners, strict=True) if c not in quotes or c == "`"]
            after, owners = tuple(c for c, _ in pairs), [o for _, o in pairs]
        stack = after
    if any(c not in BRACKET_PAIRS for c in stack):
        return []  # inside a string: leave it to the user
    return list(zip(stack, owners, strict=True))


def add_missing_closers(lines: list[str], line_prefix: str, next_line: str | None, language_id: str) -> list[str]:
    """`lines` (line 0 without the cursor line's prefix) with the closers of the brackets they
    opened and left open; unchanged when the document below takes care of them."""
    whole = [line_prefix + lines[0], *lines[1:]]
    last = code_part(whole[-1], language_id).rstrip()
    if not last or last[-1] == "{" or (opens_block(whole[-1], language_id) and last[-1] not in "(["):
        return lines  # ends by opening a block: its body may be the document's next lines
    missing = open_brackets(whole, language_id)
    if not missing:
        return lines
    if next_line is not None and next_line.strip():
        opener_indent = indent_width(whole[missing[0][1]])
        below = indent_width(next_line)
        if below > opener_indent or (next_line.lstrip()[:1] in ")]}" and below >= opener_indent):
            return lines  # the document goes on inside them, or closes them itself
    result = list(lines)
    inline = ""
    for char, owner in reversed(missing):
        opener_line = code_part(whole[owner], language_id).rstrip()
        if owner == len(whole) - 1 or opener_line[-1:] != char:
            # Opened on the last line, or with content after it on its own line (a hanging
            # `return (a or` ... `c`): closed at the end of the last line, `{ a` as `{ a }`.
            spaced = char == "{" and opener_line.rfind("{ ") >= 0
            inline += (" " if spaced and not inline else "") + BRACKET_PAIRS[char]
        else:
            break
    result[-1] = result[-1].rstrip() + inline
    on_own_lines = missing[: len(missing) - len(inline.replace(" ", ""))]
    for owner in sorted({owner for _, owner in on_own_lines}, reverse=True):
        closers = "".join(BRACKET_PAIRS[c] for c, o in reversed(on_own_lines) if o == owner)
        result.append(leading(whole[owner]) + closers)
    return result
