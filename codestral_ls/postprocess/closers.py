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

from .brackets import quote_chars
from .indentation import indent_width, leading
from .language import BRACKET_PAIRS, CLOSING_BRACKETS, code_part, opens_block

_BLOCK_COMMENT = re.compile(r"/\*.*?\*/")
# How a line that an expression goes on after ends: an opener, a comma, a string literal that
# the next one is concatenated to.
_CONTINUED = frozenset("([,\"'")
_OWN_LINE_CLOSER = re.compile(r"^[)\]]+[,;]?$")


def _tokens(quotes: str) -> re.Pattern[str]:
    """What `open_brackets` reads: a string literal whole (a backslash escapes the next
    character of its line; a one-line string ends at the line end, a backtick one does not;
    its closing quote captured when it has one), a bracket, a line end. Quotes that delimit no
    string in the language, and backslashes outside strings, mean nothing and are skipped."""
    strings = []
    for quote in quotes:
        q = re.escape(quote)
        others = "\\\\" if quote == "`" else "\\\\\\n"
        strings.append(f"{q}(?:[^{q}{others}]++|\\\\[^\\n]?)*+({q})?")
    return re.compile("|".join([*strings, r"[()\[\]{}\n]"]))


_TOKENS = {quotes: _tokens(quotes) for quotes in ('"', "\"'", "\"'`")}
# A bracket pair with nothing in it that the walk reads (no bracket, quote, backslash or line
# end), not after a backslash: it opens and closes nothing, whether in a string or not.
_INNER_PAIR = re.compile(r"(?<!\\)(?:\([^()\[\]{}\"'`\\\n]*\)|\[[^()\[\]{}\"'`\\\n]*\]|\{[^()\[\]{}\"'`\\\n]*\})")


def open_brackets(lines: Sequence[str], language_id: str, above: Sequence[str] = ()) -> list[tuple[str, int]]:
    """The brackets still open after `above` then `lines` (line 0 being the whole cursor line),
    each with the index (in `above` + `lines`) of the line that opened it, outermost first.
    Empty when the text ends inside a string or closes more than was open.

    One walk over the lines' code (comments left out) joined by line ends, reading brackets,
    line ends and whole string literals, as `brackets.scan` reads them line by line."""
    quotes = quote_chars(language_id)
    codes = []
    for line in (*above, *lines):
        code = code_part(line, language_id)
        if "/*" in code:
            code = _BLOCK_COMMENT.sub("", code)
        if code.lstrip().startswith(("*", "/*")):
            code = ""  # a line of a block comment (`/** What was tried (a name...`)
        codes.append(code)
    stack: list[str] = []
    owners: list[int] = []  # the line that opened each entry of `stack`
    index = 0
    code = "\n".join(codes)
    while True:  # innermost pairs on one line, no quote or backslash in or before them: no effect
        reduced = _INNER_PAIR.sub("", code)
        if reduced == code:
            break
        code = reduced
    for token in (_TOKENS.get(quotes) or _tokens(quotes)).finditer(code):
        char = token.group()[0]
        if char == "\n":
            index += 1
        elif char in quotes:
            # A string opens and closes nothing; one left open at a line end was a stray quote.
            if token.lastindex is None and token.end() == len(code):
                return []  # the text ends inside a string: leave it to the user
            if char == "`":
                index += token.group().count("\n")
        elif char in BRACKET_PAIRS:
            stack.append(char)
            owners.append(index)
        elif stack and stack[-1] == CLOSING_BRACKETS[char]:
            stack.pop()
            owners.pop()
        elif index >= len(above):
            return []  # the suggestion closes more than was open
    return list(zip(stack, owners, strict=True))


def add_missing_closers(
    lines: list[str], line_prefix: str, next_line: str | None, language_id: str, above: Sequence[str] = ()
) -> list[str]:
    """`lines` (line 0 without the cursor line's prefix) with the closers of the brackets left
    open: those the suggestion (or the cursor line) opened, and the `(`/`[` of an expression
    begun on the `above` lines (a call whose last argument the suggestion wrote; a `{` above is
    a block, which may end far below). Unchanged when the document below takes care of them."""
    whole = [line_prefix + lines[0], *lines[1:]]
    last = code_part(whole[-1], language_id).rstrip()
    if not last or last[-1] == "{":
        return lines  # ends by opening a block whose body may be the next lines (or says nothing)
    every = [*above, *whole]
    missing: list[tuple[str, int]] = []
    for char, owner in reversed(open_brackets(whole, language_id, above)):
        if owner < len(above) and not (char in "([" and _continues(above, owner, language_id)):
            break
        missing.insert(0, (char, owner))
    if not missing:
        return lines  # balanced
    inside = missing[-1][1] == len(every) - 1  # the last line's own `:` is then a slice, not a block
    if opens_block(whole[-1], language_id) and last[-1] not in "([" and not inside:
        return lines
    if next_line is not None and next_line.strip():
        opener_indent = indent_width(every[missing[0][1]])
        below = indent_width(next_line)
        if below > opener_indent or (next_line.lstrip()[:1] in ")]}" and below >= opener_indent):
            return lines  # the document goes on inside them, or closes them itself
    result = list(lines)
    # A `)` or `]` on a line of its own: the file puts closers under their opener (black, prettier).
    own_line_style = last.endswith(",") or any(_OWN_LINE_CLOSER.match(line.strip()) for line in above)
    inline = ""
    own: list[tuple[str, str]] = []  # (indentation, closer), innermost first
    for char, owner in reversed(missing):
        opener_line = code_part(every[owner], language_id).rstrip()
        if not own and not (opener_line.endswith(char) and owner < len(every) - 1 and (char == "{" or own_line_style)):
            # Hanging (content after the bracket on its line), opened on the last line, or a
            # last argument without a trailing comma: closed at the end of the last line.
            spaced = char == "{" and "{ " in opener_line
            inline += (" " if spaced and not inline else "") + BRACKET_PAIRS[char]
        else:
            # `if (ok) {` ... `run();` -> `}` under the `if`; `foo(` ... `b,` -> `)` under `foo(`.
            own.append((leading(every[owner]), BRACKET_PAIRS[char]))
    result[-1] = result[-1].rstrip() + inline
    for indentation, closer in own:
        previous = result[-1]
        if len(result) > len(lines) and leading(previous) == indentation:
            result[-1] = previous + closer  # `])` under the line that opened both
        else:
            result.append(indentation + closer)
    return result


def _continues(above: Sequence[str], owner: int, language_id: str) -> bool:
    """Whether the cursor line continues the expression opened on `above[owner]`: that line and
    the line right above the cursor end with an opener, a comma or a string literal (adjacent
    literals concatenate), and every line since is deeper (a `(` in a docstring's prose far
    above does not qualify)."""
    opener = code_part(above[owner], language_id).rstrip()
    if not opener or opener[-1] not in _CONTINUED:
        return False
    level = indent_width(above[owner])
    rest = [line for line in above[owner + 1 :] if line.strip()]
    if any(indent_width(line) <= level for line in rest):
        return False
    previous = code_part(rest[-1] if rest else above[owner], language_id).rstrip()
    return previous[-1:] in _CONTINUED
