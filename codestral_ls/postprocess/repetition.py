"""Repetition: a line three times, a repeating group of lines or pattern in a line, a block that
echoes one above the cursor. Each rule looks at the newest line and says where to cut."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .brackets import scan
from .indentation import indent_width
from .language import is_continuation_line, is_definition, opens_block

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
# Where `may_loop` samples 4 characters to count (at most 29, see there).
LOOP_SAMPLE_STRIDE = 16
# A short run (3..30 characters, ending at a token boundary) three to seven times in a row: a
# stutter (`import import import`, `isinstance(x, isinstance(x, isinstance(x, `), kept once.
_STUTTER = re.compile(r"(?<![\w$])([A-Za-z_$\"'#][^\n]{1,28}?[^\w\n])\1{2,6}(?!\1)")
# Runs made of literals repeat in real code (`None, None, None`, `0, 0, 0`).
_LITERALS = re.compile(r"^(None|True|False|null|nil|undefined|true|false|NULL|0x\w+|\d\w*)[,;\s)]*$")
# A plain assignment or declaration (`x = 1`, `const x = 1`, `int x = 0`), not `==` or `+=`.
_ASSIGNMENT = re.compile(r"^[\w.\[\]:<>,*&@$ -]+(?<![=!<>+\-*/%&|^])=(?!=)")
# What a line assigns or defines: `self.x = …`, `"key": …`, `key: …` (the target, then the value).
_TARGET = re.compile(r"""^\s*(?:(?:let|const|var|val|my|local)\s+)?([\w.$@\[\]"'>-]+)\s*(?:=(?!=)|:(?!:))\s*\S""")
# A statement after which nothing at its own level runs.
_EXIT = re.compile(r"^\s*(return|raise|throw|break|continue|exit|goto)\b")
# Conditional modifiers (Ruby, Perl): `return if x` may not exit.
_MODIFIER = re.compile(r"\s(if|unless)\s")
# Lines that may follow an exit at its level: closers, labels, clauses, comments, directives,
# and the `yield` that makes a function raising at once a generator.
_AFTER_EXIT = re.compile(
    r"^\s*([)\]}]|;;|yield\b|#|//|/\*|\*|--|case\b|default\b|[A-Za-z_]\w*:\s*$|end\b|fi\b|done\b|esac\b)"
)
_TOKEN = re.compile(r"\w+|\S")
_COUNTER = re.compile(r"_?\d+")
_SUFFIX_COUNTER = re.compile(r"_\d+")
_COUNTED = re.compile(r"_\d")
_STRING_LINE = re.compile(r"\"[^\"]*\"|'[^']*'")
# Stylesheets cascade: `width: 100px;` then `width: 100vw;` is a fallback, not a slip.
_CASCADING_LANGUAGES = frozenset({"css", "scss", "less", "sass"})
# A line this long written twice in a row is a loop, not a choice.
MIN_DOUBLED_LINE = 20
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
    newest = _bare(lines[index])
    for size in range(2, MAX_GROUP_LINES + 1):
        first = index + 1 - 3 * size
        if first < 0:
            break
        if newest != _bare(lines[index - size]) or newest != _bare(lines[index - 2 * size]):
            continue  # the groups' last lines differ (checked first: it is cheaper)
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


def repeated_statement(lines: Sequence[str], index: int, language_id: str = "") -> int | None:
    """Cut a run of near-identical statements to its first: the same target assigned twice in
    a row with an equal or sibling value (`x = 1` then `x = 2`, `"kt": "a"` then `"kt": "b"`:
    the first does nothing, or a key is duplicated), or any statement three times in a row but
    for spacing and a trailing `;` or `,` (`repeated_line` needs exact copies). A call written
    twice may be meant (`out.push("")`); closers and short lines too."""
    if index < 1:
        return None
    line = _normal(lines[index])
    if len(line) < MIN_REPEATED_STATEMENT or line[0] in ")]}" or _LETTERS.search(line) is None:
        return None
    previous = _normal(lines[index - 1])
    if language_id not in _CASCADING_LANGUAGES and _same_target(line, previous):
        return index
    if line != previous:
        return None
    if _ASSIGNMENT.match(line) is not None or lines[index].rstrip().endswith(","):
        return index  # an assignment that does nothing, a list element or argument duplicated
    if index >= 2 and line == _normal(lines[index - 2]):
        return index - 1
    return None


def doubled_line(lines: Sequence[str], index: int) -> int | None:
    """A long line (code or prose) right after an identical one, or after the same line with a
    counter added to a name (`opts` then `opts_2`): a loop in practice, cut before the copy.
    Short lines may be meant twice (`print()`, `out.push("")`), except a lone string literal
    (`"time"` imported twice)."""
    if index < 1:
        return None
    line = _normal(lines[index])
    previous = _normal(lines[index - 1])
    if line.endswith("*/") and previous.endswith("*/") and "/*" not in line:
        return index  # the comment is closed already: a second `*/` closes nothing
    if _LETTERS.search(line) is None:
        return None
    if _counter_copy(line, previous):
        return index  # a copy numbered by the model is a loop at any length
    if line == previous and (len(line) >= MIN_DOUBLED_LINE or _STRING_LINE.fullmatch(line)):
        return index  # a long line, or a lone string (an import, a list element) twice
    return None


def _counter_copy(line: str, previous: str) -> bool:
    """The line above with one name given a counter it did not have (`statuses` ->
    `statuses_2`, `method` -> `method_2`): how a looping model numbers its copies; a table's
    rows differ in names or numbers they all have (`x1`, `x2`)."""
    if _COUNTED.search(line) is None:
        return False  # no name with a counter at all
    mine, theirs = _TOKEN.findall(line), _TOKEN.findall(previous)
    if len(mine) != len(theirs):
        return False
    differing = [(a, b) for a, b in zip(mine, theirs, strict=True) if a != b]
    if len(differing) != 1:
        return False
    new, old = differing[0]
    return (
        new.startswith(old)
        and _LETTERS.search(old) is not None
        and _SUFFIX_COUNTER.fullmatch(new[len(old) :]) is not None
    )


def _same_target(line: str, previous: str) -> bool:
    target = _TARGET.match(line)
    if target is None or target.group(1) != (_TARGET.match(previous) or target).group(1):
        return False
    return (_TARGET.match(previous) is not None) and (line == previous or _near_identical(line, previous))


def _near_identical(line: str, other: str) -> bool:
    """Equal but for numbers or a counter on a name (`52.0`/`52.1`, `value`/`value_2`), the way a
    looping model writes its copies; `text.strip()`/`text.lower()` are different steps."""
    mine, theirs = _TOKEN.findall(line), _TOKEN.findall(other)
    if len(mine) != len(theirs):
        return False
    for a, b in zip(mine, theirs, strict=True):
        if a == b or (a.isdigit() and b.isdigit()):
            continue
        short, long = sorted((a, b), key=len)
        if not (long.startswith(short) and _COUNTER.fullmatch(long[len(short) :])):
            return False
    return True


def unreachable(lines: Sequence[str], index: int) -> int | None:
    """A statement at the level of a `return`, `raise`, `throw`, `break`... right above it never
    runs (`return x` then `return x_2`): cut before it. Closers, clauses (`case`, `else` are
    closers or continuations), labels, comments and directives may follow."""
    if index < 1 or not lines[index].strip():
        return None
    previous = lines[index - 1]
    if _EXIT.match(previous) is None or _MODIFIER.search(previous) is not None:
        return None
    if indent_width(lines[index]) != indent_width(previous) or previous.rstrip()[-1:] in "([{,\\":
        return None
    stripped = lines[index].strip()
    if _AFTER_EXIT.match(stripped) or is_continuation_line(stripped, ""):
        return None
    return index


def collapse_stutter(line: str, keep: int = 0) -> str:
    """A short run written three to seven times in a row, kept once: `from __future__ import
    import import annotations` -> `… import annotations`. Literal runs (`None, None, None`)
    and longer loops (`inline_loop` cuts those) are left alone. The first `keep` characters
    (what the user typed) are never changed."""
    match = _STUTTER.search(line)
    while match is not None:
        unit = match.group(1)
        if len(_LETTERS.findall(unit)) >= 2 and not _LITERALS.match(unit.strip()) and len(unit) >= 3:
            rest = line[match.end() :]
            self_assignment = unit.rstrip().endswith("=") and unit.rstrip(" =") == rest.strip().rstrip(";")
            if self_assignment and match.start() >= keep:
                unit = ""  # `name = name = name = name`: an assignment to itself, kept as `name`
            line = line[: match.start()] + unit + rest
            match = _STUTTER.search(line, match.start() + len(unit))
        else:
            match = _STUTTER.search(line, match.start() + 1)
    return line


def inline_loop(line: str) -> int | None:
    """Column where a line starts looping on one pattern (the first copy is kept), or None."""
    if not may_loop(line):
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


def may_loop(line: str) -> bool:
    """A necessary condition for `_INLINE_LOOP`, in a few C-level counts: its regex tries every
    unit length at every position (~0.1 ms on a 100-character line). A unit of L >= 4 characters
    eight times in a row (after the indentation: the unit starts with a non-space) is periodic
    over 8L characters, so every 4 characters in it occur at least 7 times in the line, and a
    stretch of 8L - 3 >= 29 positions holds a multiple of LOOP_SAMPLE_STRIDE. Those 7 copies lie
    within 8L - 4 <= 236 characters of the sampled ones, so only that window is counted (a long
    line costs O(length), not O(length squared))."""
    body = line.lstrip(" \t")
    if len(body) < 32:
        return False
    return any(
        body.count(body[p : p + 4], max(0, p - 240), p + 244) >= 7 for p in range(0, len(body) - 3, LOOP_SAMPLE_STRIDE)
    )


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
    # Compare with the block right above: the last definition at the header's level within the
    # enclosing block. The same method in another class further up is legitimate duplication
    # (`__init__` of two sibling classes), so the search ends at a line left of that level.
    window = prefix_lines[-ECHO_WINDOW_LINES:]
    level = indent_width(run[0])
    for position in range(len(window) - 1, -1, -1):
        candidate = window[position]
        if not candidate.strip():
            continue
        if indent_width(candidate) < level:
            return None
        if indent_width(candidate) == level and is_definition(candidate):
            following = [line.rstrip() for line in window[position : position + ECHO_MIN_LINES]]
            return first if following == run else None
    return None
