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

from .brackets import quote_chars, scan
from .indentation import TAB_WIDTH, indent_width, leading
from .language import (
    BRACKET_PAIRS,
    CLOSING_BRACKETS,
    SHELL_LANGUAGES,
    closes_with_keyword,
    code_part,
    open_quote,
    opens_block,
)

_BLOCK_COMMENT = re.compile(r"/\*.*?\*/")
# How a line that an expression goes on after ends: an opener, a comma, a string literal that
# the next one is concatenated to.
_CONTINUED = frozenset("([,\"'")
# A line that starts by closing a bracket and opens none (`)`, `],`, black's `):` and
# `) -> None:`, `) from None`): the file puts closers on lines of their own.
_OWN_LINE_CLOSER = re.compile(r"^[)\]][^(\[{]*$")
# How a line ends when the expression goes on below it: an opener, a separator, a binary
# operator, a backslash, a string literal the next one is concatenated to.
_GOES_ON = frozenset("([{,\\+-*/%&|^<>=?:\"'")
_ESCAPED_QUOTE = re.compile(r"\\[\\\"'`]")
_APOSTROPHE = re.compile(r"(?<=[A-Za-z])'(?=[A-Za-z])")
_TRIPLE_QUOTE = re.compile(r"\"\"\"|'''")
_TRIPLE_STRING = re.compile(r"\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''")


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
        if language_id in SHELL_LANGUAGES and "\\" in code:
            code = _ESCAPED_QUOTE.sub("__", code)  # `\'` is a character, not a quote
        if _APOSTROPHE.search(code) and open_quote(code):
            # The line ends inside a string: an apostrophe in a word (`keep (don't delete)`) is
            # a letter, not a quote swallowing the `)` after it.
            code = _APOSTROPHE.sub("_", code)
        codes.append(code)
    if language_id == "python" and len(codes) > len(above):
        codes[len(above) :] = _without_docstrings(codes[len(above) :])
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


def _without_docstrings(codes: list[str]) -> list[str]:
    """Python: the suggestion's lines with the text of the triple-quoted strings it opens and
    closes left out (their line ends kept): a docstring's prose (`(`print("█)` + `…`) opens no
    bracket. Unchanged when it leaves one open or closes one opened above it."""
    text = "\n".join(codes)
    if ('"""' not in text and "'''" not in text) or len(_TRIPLE_QUOTE.findall(text)) % 2:
        return codes
    return _TRIPLE_STRING.sub(lambda found: '""' + "\n" * found.group().count("\n"), text).split("\n")


def add_missing_closers(
    lines: list[str],
    line_prefix: str,
    next_line: str | None,
    language_id: str,
    above: Sequence[str] = (),
    tab: int = TAB_WIDTH,
) -> list[str]:
    """`lines` (line 0 without the cursor line's prefix) with the closers of the brackets left
    open: those the suggestion (or the cursor line) opened, and the `(`/`[` of an expression
    begun on the `above` lines (a call whose last argument the suggestion wrote; a `{` above is
    a block, which may end far below). Unchanged when the document below takes care of them.
    `tab`: the columns of a tab in this document (8 where tabs and spaces mix)."""
    whole = [line_prefix + lines[0], *lines[1:]]
    last = code_part(whole[-1], language_id).rstrip()
    if not last or last[-1] in "{[":
        # Ends by opening a block or a list (`"files": [`) whose body may be the next lines
        # (`[]` would be an empty list the user did not ask for), or says nothing.
        return lines
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
        opener_indent = indent_width(every[missing[0][1]], tab)
        below = indent_width(next_line, tab)
        stripped = next_line.strip()
        # `}`, or Lua's `end)` (a keyword closer with brackets after it; a bare `fi` is no `)`).
        closes = stripped[:1] in ")]}" or (
            closes_with_keyword(stripped, language_id) and any(c in ")]}" for c in code_part(stripped, language_id))
        )
        if below > opener_indent or (closes and below >= opener_indent):
            # The document goes on inside them, or closes them itself (`}`, Lua's `end)`).
            return lines
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
            # `{ a` is closed as `{ a }`; a shell test `[ -f "$x"` needs its ` ]`.
            spaced = (char == "{" or (char == "[" and language_id in SHELL_LANGUAGES)) and char + " " in opener_line
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


def outer_closers_kept(
    text: str,
    replace: int,
    line_prefix: str,
    line_suffix: str,
    above: Sequence[str],
    next_line: str | None,
    language_id: str,
) -> int:
    """How many closers right of the cursor a one-line suggestion should replace, given that it
    replaces `replace` of them on its line's own evidence: fewer when the ones kept then close
    an expression begun lines above that nothing below closes (`lambda n: n in ('A',█)` under
    `_convert_(` with `'B')` written: the `)` right of the cursor is `_convert_(`'s, not the
    tuple's, when the next line is no closer and not inside the call)."""
    # The lines of the expression the cursor line continues: each ends by going on (`(`, `,`,
    # `+`, `\\`). Brackets opened before them (or in a comment's prose) are no concern of this line.
    start = len(above)
    while start > 0 and code_part(above[start - 1], language_id).rstrip()[-1:] in _GOES_ON:
        start -= 1
    if not replace or start == len(above):
        return replace  # the cursor line starts no continuation: its own evidence is all there is
    expression = above[start:]
    outer = open_brackets([], language_id, expression)
    if not outer:
        return replace
    quotes = quote_chars(language_id)
    stack = tuple(char for char, _ in outer)
    for fewer in range(replace - 1, -1, -1):
        unmatched, after = scan(line_prefix + text + line_suffix[fewer:], stack, quotes)
        if unmatched or len(after) >= len(stack) or after != stack[: len(after)]:
            continue
        # The kept closers close outer brackets: does the document close them below instead?
        opener_indent = indent_width(expression[outer[len(after)][1]])
        if next_line is not None and next_line.strip():
            below = indent_width(next_line)
            if below > opener_indent or next_line.lstrip()[:1] in ")]}":
                return replace
        return fewer
    return replace
