"""Repetition: a line three times, a repeating group of lines or pattern in a line, a block that
echoes one above the cursor. Each rule looks at the newest line and says where to cut."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .brackets import scan
from .indentation import indent_width
from .language import is_definition, opens_block

# Largest group of lines whose threefold repetition is detected.
MAX_GROUP_LINES = 4
# A block above the cursor is only looked for this far back.
ECHO_WINDOW_LINES = 80
# Lines of a block that must repeat, header included, before it counts as an echo.
ECHO_MIN_LINES = 3
# A pattern of 4..30 characters with 3+ letters, eight times in a row in one line, is a loop
# (byte tables such as `0x00, 0x00, ...` and short `None, None` lists stay below that bar;
# a looping model goes on until its token budget, far past eight).
_INLINE_LOOP = re.compile(r"(\S.{3,29}?)\1{7,}")
_LETTERS = re.compile(r"[A-Za-z]")
# An assignment to the same name three times in a row (`name = name = name = …`): a loop at
# any length, as no code chains an assignment to itself.
_ASSIGNMENT_LOOP = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*\s*=\s*)\1{2,}")
# A plain assignment or declaration (`x = 1`, `const x = 1`, `int x = 0`), not `==` or `+=`.
_ASSIGNMENT = re.compile(r"^[\w.\[\]:<>,*&@$ -]+(?<![=!<>+\-*/%&|^])=(?!=)")
# Consecutive equal statements shorter than this may be meant (`i++;`, `pass`).
MIN_REPEATED_STATEMENT = 8


def repeated_line(lines: Sequence[str], index: int) -> int | None:
    """The same line three times in a row: keep only the first (cut before the second).
    Also three blank lines in a row (cut before them)."""
    if index < 2:
        return None
    line = lines[index].rstrip()
    if line != lines[index - 1].rstrip() or line != lines[index - 2].rstrip():
        return None
    return index - 2 if not line.strip() else index - 1


def _bare(line: str) -> str:
    return line.rstrip().rstrip(",;")


def repeated_group(lines: Sequence[str], index: int) -> int | None:
    """A group of 2..4 lines repeated three times ending at `index`: keep the first group.
    Lines are compared without a trailing separator, as the last copy often lacks it."""
    for size in range(2, MAX_GROUP_LINES + 1):
        first = index + 1 - 3 * size
        if first < 0:
            break
        group = [_bare(line) for line in lines[first : first + size]]
        if not any(group) or len(set(group)) == 1:
            continue
        second = [_bare(line) for line in lines[first + size : first + 2 * size]]
        third = [_bare(line) for line in lines[first + 2 * size : index + 1]]
        if group == second == third:
            return first + size
    return None


def _normal(line: str) -> str:
    return " ".join(_bare(line).split())


def repeated_statement(lines: Sequence[str], index: int) -> int | None:
    """Cut a run of near-identical statements to its first: the same assignment twice in a row
    (`x = 1` then `x = 1`: the second does nothing, or redeclares), or any statement three
    times in a row but for spacing and a trailing `;` or `,` (`repeated_line` needs exact
    copies). A call written twice may be meant (`out.push("")`); closers and short lines too."""
    if index < 1:
        return None
    line = _normal(lines[index])
    if len(line) < MIN_REPEATED_STATEMENT or line[0] in ")]}" or _LETTERS.search(line) is None:
        return None
    if line != _normal(lines[index - 1]):
        return None
    if _ASSIGNMENT.match(line) is not None:
        return index
    if index >= 2 and line == _normal(lines[index - 2]):
        return index - 1
    return None


def inline_loop(line: str) -> int | None:
    """Column where a line starts looping on one pattern (the first copy is kept), or None."""
    assignment = _ASSIGNMENT_LOOP.search(line)
    if assignment is not None:
        # Keep the first operand: `self.name = ` + `name = name = name` -> `name`.
        return assignment.start() + len(assignment.group(1).rstrip(" \t="))
    if len(line) < 16:
        return None
    match = _INLINE_LOOP.search(line)
    if match is None or len(_LETTERS.findall(match.group(1))) < 3:
        return None
    # The regex may lock onto a rotation of the unit (`().toString`): keep one whole copy
    # and end where the brackets balance, not between a name and its call.
    unit = len(match.group(1))
    first = match.start() + unit
    balance = scan(line[: match.start()])
    for cut in range(first, min(first + unit, match.end())):
        if line[cut] not in "([" and scan(line[:cut]) == balance:
            return cut
    return first


def echoed_block(
    lines: Sequence[str],
    index: int,
    prefix_lines: Sequence[str],
    base: int,
    language_id: str = "",
) -> int | None:
    """The newest ECHO_MIN_LINES lines repeat, header first, a block found above the cursor:
    cut before the header. `lines[0]` is the whole cursor line. The header must open a block
    and be a definition (`def f():`, `fn f() {`): a `try:` or `if` block like one above is
    ordinary code, a second identical definition never is."""
    first = index + 1 - ECHO_MIN_LINES
    if first < 0:
        return None
    run = [line.rstrip() for line in lines[first : index + 1]]
    if not all(line.strip() for line in run) or indent_width(run[0]) > base:
        return None
    if not opens_block(run[0], language_id) or not is_definition(run[0]):
        return None
    if first == 0 and not run[0].strip():
        return None
    # Compare with the block right above: the last definition at the header's level. The same
    # method in another class further up is legitimate duplication.
    window = prefix_lines[-ECHO_WINDOW_LINES:]
    level = indent_width(run[0])
    for position in range(len(window) - 1, -1, -1):
        candidate = window[position]
        if candidate.strip() and indent_width(candidate) == level and is_definition(candidate):
            following = [line.rstrip() for line in window[position : position + ECHO_MIN_LINES]]
            return first if following == run else None
    return None
