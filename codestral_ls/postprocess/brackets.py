"""Brackets and quotes: close only what is open, and replace closers already on the line
instead of duplicating them (the `replace_chars` of a Suggestion)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .language import BRACKET_PAIRS, CLOSER_CHARS, CLOSING_BRACKETS, code_part, is_case_pattern

# How many prefix lines are read to learn which brackets are still open at the cursor.
OPEN_WINDOW_LINES = 30

Balance = tuple[int, tuple[str, ...]]


def quote_chars(language_id: str) -> str:
    """The characters that delimit strings on one line (apostrophes are not, in prose or Rust)."""
    if language_id in ("rust", "markdown", "plaintext", "html", "xml"):
        return '"'
    if language_id in ("javascript", "typescript", "javascriptreact", "typescriptreact", "go"):
        return "\"'`"
    return "\"'"


def scan(text: str, stack: Sequence[str] = (), quotes: str = "\"'") -> Balance:
    """Walk `text` from an open-bracket/quote `stack`; return (closers that matched nothing,
    what is still open). Inside a string only its closing quote and escapes count."""
    return _walk(text, stack, quotes, None)


def closed_entries(text: str, stack: Sequence[str], quotes: str = "\"'") -> dict[int, int]:
    """Which entries of `stack` (by depth, 0 the outermost) `text` closes, each mapped to the
    index in `text` right after the character that closed it."""
    closed: dict[int, int] = {}
    _walk(text, stack, quotes, closed)
    return closed


# The characters that can change the walk's state; everything else is skipped in C. A backslash
# comes with the character after it: inside a string that pair is an escape, outside it the
# backslash means nothing and the character is read on its own.
_SIGNIFICANT = re.compile(r"\\[\s\S]?|[()\[\]{}\"'`\n]")


def _walk(text: str, stack: Sequence[str], quotes: str, closed: dict[int, int] | None) -> Balance:
    open_stack = list(stack)
    floor = len(open_stack)  # entries below this were open before `text`
    unmatched = 0
    for match in _SIGNIFICANT.finditer(text):
        char = match.group()
        index = match.start()
        top = open_stack[-1] if open_stack else ""
        in_string = bool(top) and top in quotes
        if len(char) > 1 or char == "\\":
            if in_string:
                continue  # an escape: the next character is content
            char = char[1:]  # outside a string a backslash is nothing: read what follows
            index += 1
            if not char:
                continue
        if in_string:
            if char == top or (char == "\n" and top != "`"):  # a one-line string never spans lines
                open_stack.pop()
                if closed is not None and len(open_stack) < floor and char != "\n":
                    floor = len(open_stack)
                    closed[floor] = index + 1
            continue
        if char in quotes:
            open_stack.append(char)
        elif char in BRACKET_PAIRS:
            open_stack.append(char)
        elif char in CLOSING_BRACKETS:
            if top == CLOSING_BRACKETS[char]:
                open_stack.pop()
                if closed is not None and len(open_stack) < floor:
                    floor = len(open_stack)
                    closed[floor] = index + 1
            else:
                unmatched += 1
    return unmatched, tuple(open_stack)


def is_closers_only(line_suffix: str) -> bool:
    """Whether the rest of the cursor line is only closers (`) ] } " ' ; , :`) and spaces."""
    stripped = line_suffix.strip()
    return bool(stripped) and all(c in CLOSER_CHARS or c.isspace() for c in stripped)


def replace_closers(text: str, line_prefix: str, line_suffix: str, language_id: str = "") -> tuple[str, int]:
    """When the rest of the line is only closers, return the text (surplus closers dropped) and
    how many of those closers it replaces, keeping the line exactly as balanced as it was: those
    the suggestion ends with, and those it closes on the way and then continues (`"█";` +
    `Hi, " + name;` replaces `";`). The most closers on a tie; none when nothing fits."""
    quotes = quote_chars(language_id)
    before = scan(line_prefix, (), quotes)[1]
    wanted = scan(line_suffix, _suffix_stack(before, line_suffix, quotes), quotes)
    trimmed = trim_surplus_closers(text, before, quotes)
    for candidate in (text, trimmed) if trimmed != text else (text,):
        fitting = [
            replace
            for replace in _replace_candidates(candidate, line_suffix, before, quotes)
            if scan(candidate + line_suffix[replace:], before, quotes) == wanted
        ]
        if fitting:
            return candidate, max(fitting)
    return text, 0


def _suffix_stack(before: tuple[str, ...], line_suffix: str, quotes: str) -> tuple[str, ...]:
    """What the rest of the line closes from: a quote open at the cursor that the rest does not
    hold was never auto-closed, so the rest's closers come after that string (`print("█)` +
    `hi")`)."""
    if before and before[-1] in quotes and before[-1] not in line_suffix:
        return before[:-1]
    return before


def _replace_candidates(text: str, line_suffix: str, before: tuple[str, ...], quotes: str) -> set[int]:
    """Replace counts worth weighing: none; the closers the text ends with; and those it types
    over, bracket for bracket (a stack, so `});` + more lines still replaces the `})` after the
    cursor), with a terminator (`;`, `,`) after them when the text ends with it too."""
    found = {0}
    end = text.rstrip()
    for replace in range(1, len(line_suffix) + 1):
        produced = line_suffix[:replace].rstrip()
        if produced and end.endswith(produced):
            found.add(replace)
    by_text = closed_entries(text, before, quotes)
    if not by_text:
        return found
    by_suffix = closed_entries(line_suffix, _suffix_stack(before, line_suffix, quotes), quotes)
    shared = [depth for depth in by_text if depth in by_suffix]
    if not shared:
        return found
    point = by_suffix[min(shared)]
    found.add(point)
    rest = line_suffix[point:].rstrip()
    if rest.strip() and not any(c in BRACKET_PAIRS or c in CLOSING_BRACKETS or c in quotes for c in rest):
        if end.endswith(rest.strip()):
            found.add(point + len(rest))
    return found


def trim_surplus_closers(text: str, stack: Sequence[str], quotes: str, kinds: str = ")]}") -> str:
    """Drop closing brackets (of `kinds`) at the end of `text` that match nothing open
    before them."""
    result = text
    while result and result[-1] in kinds and scan(result, stack, quotes)[0] > 0:
        shorter = result[:-1]
        if scan(shorter, stack, quotes)[0] >= scan(result, stack, quotes)[0]:
            break
        result = shorter.rstrip(" ")
    return result


def close_only_what_is_open(text: str, prefix_lines: Sequence[str], line_prefix: str, language_id: str = "") -> str:
    """One-line text at the end of a line: drop the closers at its end that nothing open
    before the cursor (within the last OPEN_WINDOW_LINES lines, comments and strings
    skipped) needs, e.g. `return max(a, b` + `))`."""
    quotes = quote_chars(language_id)
    body = text.rstrip(";, ")  # `));` ends with a statement terminator after its closers
    if not body or body[-1] not in ")]" or scan(line_prefix + body, (), quotes)[0] == 0:
        return text  # the cursor line balances by itself: the common case, decided cheaply
    if is_case_pattern(line_prefix + body, language_id):
        return text  # a shell `case` pattern (`-std=c9[9x])`): its `)` closes no bracket
    if not any(c in BRACKET_PAIRS for c in scan(line_prefix, (), quotes)[1]):
        # The cursor line opens nothing: its closers end a construct begun further up (a
        # call's last argument, `});` after a long callback), which the window may not reach.
        return text
    stack: tuple[str, ...] = ()
    for line in prefix_lines[-OPEN_WINDOW_LINES:]:
        # A quote left open at a line end is a stray apostrophe, not a string going on.
        stack = tuple(c for c in scan(code_part(line, language_id), stack, quotes)[1] if c in BRACKET_PAIRS)
    # Only `)` and `]`: expressions fit in the window, blocks (`}`) may open far above it.
    return trim_surplus_closers(body, scan(line_prefix, stack, quotes)[1], quotes, ")]") + text[len(body) :]
