"""Pure: true continuations cut out of real files, and the typical model failures built from them.

A **site** is a place in a file where a middle `M` is cut out: the document keeps the lines
around it and the cursor sits where `M` was. Four kinds:

- `line`: the cursor inside a line's code, `M` its rest;
- `line+closers`: the same, with the closers an editor auto-inserts (for the brackets open on the
  line so far, and a `;` or `,` after them) right of the cursor, `M` the rest of the line before;
- `block`: the cursor inside (or at the end of) a line that opens a block, `M` the rest of that
  line, the block's body and its closer line (`}`, `end`, `fi`, ...; none in Python and YAML);
- `statements`: the cursor at the indentation of a line inside a block, `M` the lines from there
  to the end of that block (at most `MAX_MIDDLE_LINES`).

A **failure** turns `M` into what a model streams (`inject`): clean (`M`), run-on into the lines
below, duplicated closers, a missing final closer, repetition (the line again, a loop inside the
line, near-identical statements), or a block truncated after its opener line.
"""

from __future__ import annotations

import random
import re

import attrs

from .recovery_judge import CLOSER_OF, OPENER_OF, balance

# Raised whenever sampling, injection or the judgement changes, so rows of the README's history are only
# compared within one version (1: first landing; 2: no in-line loops in prose, JSON and YAML;
# 3: whitespace-only differences judged "layout", ranked just after exact; no run-on into
# blank lines only).
GENERATOR_VERSION = 3
FAILURES = ("clean", "run-on", "dup-closers", "missing-closer", "repetition", "truncated")
# Longest true middles: what a model returns within a 256-token budget.
MAX_MIDDLE_LINES = 12
MAX_MIDDLE_CHARS = 800
# Lines of run-on below the middle, and the characters a run-on may reach at most.
RUN_ON_LINES = (2, 8)
RUN_ON_CHARS = 1024
MAX_LOOP_CHARS = 24  # longest run an in-line loop repeats

_CLOSER_LINE = re.compile(r"^(?:[)\]}]+[;,)]*|end[;,)]*|fi|done|esac|until\b.*)$")
_PYTHON_OPENER = re.compile(
    r"^(?:async\s+)?(?:def|class|if|elif|else|for|while|with|try|except|finally|match|case)\b.*:$"
)
_LUA_OPENER = re.compile(r"(?:\bthen|\bdo|^(?:local\s+)?function\b.*\)|=\s*function\s*\(.*\))$")
_SHELL_OPENER = re.compile(r"(?:\bthen|\bdo|\{|\bin)$")
_NUMBER = re.compile(r"\d+")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


@attrs.frozen
class Site:
    """A middle cut out of a file: the document is `lines` with `middle` removed at the cursor."""

    path: str
    language_id: str
    kind: str  # line, line+closers, block, statements
    lines: tuple[str, ...]  # the document, the middle cut out
    row: int
    column: int
    middle: str
    below: tuple[str, ...]  # the document's lines after the cursor line (for run-on)

    @property
    def line_prefix(self) -> str:
        return self.lines[self.row][: self.column]

    @property
    def line_rest(self) -> str:
        return self.lines[self.row][self.column :]


@attrs.frozen
class Case:
    """A site and what the model streamed there."""

    site: Site
    failure: str
    variant: str  # which form of the failure (repetition has three)
    raw: str


def lead_chars(line: str) -> int:
    """Characters of indentation (where the code of the line starts)."""
    return len(line) - len(line.lstrip())


def indent_of(line: str) -> int:
    """Indentation width, tabs to the next multiple of 8 (files mixing tabs and spaces compare
    right)."""
    lead = line[: lead_chars(line)]
    return len(lead.expandtabs(8)) if "\t" in lead else len(lead)


def is_closer_line(stripped: str) -> bool:
    return bool(_CLOSER_LINE.match(stripped))


def opens_block(stripped: str, language_id: str) -> bool:
    """A line after which an indented body follows and ends (Python: at the dedent)."""
    if language_id == "python":
        return bool(_PYTHON_OPENER.match(stripped))
    if language_id == "lua":
        return bool(_LUA_OPENER.search(stripped)) or stripped.endswith("{")
    if language_id == "shellscript":
        return bool(_SHELL_OPENER.search(stripped))
    if language_id == "yaml":
        return stripped.endswith(":") and not stripped.startswith("#")
    if language_id == "json":
        return stripped.endswith(("{", "["))
    return stripped.endswith("{")


def auto_closers(line_prefix: str, language_id: str) -> str:
    """What an editor's auto-closing leaves right of the cursor: the closers of the brackets
    open on the line so far."""
    opened = balance(line_prefix, language_id).leaves_open
    return "".join(CLOSER_OF[char] for char in reversed(opened))


def _cut(path: str, language_id: str, kind: str, lines: list[str], row: int, column: int, end: int) -> Site | None:
    """The site whose middle runs from (row, column) to the end of line `end - 1`."""
    middle = "\n".join([lines[row][column:], *lines[row + 1 : end]])
    if not middle.strip() or len(middle) > MAX_MIDDLE_CHARS:
        return None
    document = (*lines[:row], lines[row][:column], *lines[end:])
    return Site(path, language_id, kind, document, row, column, middle, tuple(lines[end:]))


def line_site(
    path: str, language_id: str, lines: list[str], row: int, rng: random.Random, keep_closers: bool
) -> Site | None:
    """The cursor inside line `row`'s code; with `keep_closers`, the auto-inserted closers stay
    right of the cursor, with the `;` or `,` after them (None when the line's rest does not end
    with them)."""
    line = lines[row]
    lead = lead_chars(line)
    if len(line) - lead < 4:
        return None
    column = rng.randint(lead + 1, len(line) - 1)
    rest = line[column:]
    if not rest.strip(" )]};,"):
        return None  # nothing but closers to complete
    if not keep_closers:
        return _cut(path, language_id, "line", lines, row, column, row + 1)
    closers = auto_closers(line[:column], language_id)
    # The user may have typed the statement's end after the closers already (`f(█);`).
    ending = rest[len(rest.rstrip(";,")) :]
    if not closers or not rest.endswith(closers + ending):
        return None
    middle = rest[: len(rest) - len(closers + ending)]
    if not middle.strip():
        return None
    document = [*lines[:row], line[:column] + closers + ending, *lines[row + 1 :]]
    return Site(path, language_id, "line+closers", tuple(document), row, column, middle, tuple(lines[row + 1 :]))


def block_end(lines: list[str], row: int, language_id: str) -> int | None:
    """The line after the block opened by line `row` (its closer line included), or None when
    it has no indented body or ends in something other than a closer line."""
    base = indent_of(lines[row])
    end = row + 1
    while end < len(lines) and (not lines[end].strip() or indent_of(lines[end]) > base):
        end += 1
    while end > row + 1 and not lines[end - 1].strip():
        end -= 1
    if end == row + 1 or end - row > MAX_MIDDLE_LINES:
        return None
    if language_id in ("python", "yaml"):
        return end  # blocks without a closer line
    if end < len(lines) and indent_of(lines[end]) == base and is_closer_line(lines[end].strip()):
        return end + 1
    return None


def block_site(
    path: str, language_id: str, lines: list[str], row: int, rng: random.Random, inside_opener: bool
) -> Site | None:
    """The cursor in the opener line `row` (strictly inside its code with `inside_opener`,
    else anywhere after its first character, its end included)."""
    line = lines[row]
    if not opens_block(line.strip(), language_id):
        return None
    end = block_end(lines, row, language_id)
    if end is None:
        return None
    lead = lead_chars(line)
    if len(line) - lead < 2:
        return None
    column = rng.randint(lead + 1, len(line) - (1 if inside_opener else 0))
    return _cut(path, language_id, "block", lines, row, column, end)


def statements_site(path: str, language_id: str, lines: list[str], row: int) -> Site | None:
    """The cursor at line `row`'s indentation, the middle the rest of the enclosing block."""
    line = lines[row]
    base = indent_of(line)
    stripped = line.strip()
    if not stripped or base == 0 or is_closer_line(stripped) or opens_block(stripped, language_id):
        return None
    end = row + 1
    while end < len(lines) and (not lines[end].strip() or indent_of(lines[end]) >= base):
        if indent_of(lines[end]) == base and is_closer_line(lines[end].strip()):
            break
        end += 1
    while end > row + 1 and not lines[end - 1].strip():
        end -= 1
    if end - row > MAX_MIDDLE_LINES:
        return None
    return _cut(path, language_id, "statements", lines, row, lead_chars(line), end)


# -- failures ------------------------------------------------------------------------------------


def last_full_line(site: Site) -> str:
    """The last line of the truth's middle as it stands in the file (with the cursor line's
    prefix when the middle is one line)."""
    if "\n" in site.middle:
        return site.middle.rsplit("\n", 1)[1]
    return site.line_prefix + site.middle


def near_copy(line: str, step: int) -> str | None:
    """`line` with its last number advanced by `step`, or else its last identifier suffixed."""
    numbers = list(_NUMBER.finditer(line))
    if numbers:
        found = numbers[-1]
        return line[: found.start()] + str(int(found.group()) + step) + line[found.end() :]
    names = list(_IDENTIFIER.finditer(line))
    if not names:
        return None
    found = names[-1]
    return line[: found.end()] + f"_{step + 1}" + line[found.end() :]


def inline_loop(middle: str, line_prefix: str, times: int) -> str | None:
    """The middle with a short run of its first line written `times` times over: `x = x = x = 1`
    for `x = 1`. The run starts at the first word that starts in the middle and ends after the
    first space that follows an operator or punctuation. None when the line has no such run."""
    first = middle.split("\n", 1)[0]
    starts = [
        match.start()
        for match in _IDENTIFIER.finditer(first)
        if match.start() > 0 or (not line_prefix[-1:].isalnum() and line_prefix[-1:] != "_")
    ]
    if not starts:
        return None
    start = starts[0]
    spaces = [index for index in range(start + 1, len(first) - 1) if first[index] == " "]
    after_operator = [index for index in spaces if not (first[index - 1].isalnum() or first[index - 1] in "_ ")]
    if not after_operator:
        return None  # prose (`a a a`) is not how code loops
    end = after_operator[0] + 1
    if end - start > MAX_LOOP_CHARS:
        return None
    return middle[:start] + first[start:end] * times + middle[start:]


def final_closer(middle: str) -> int | None:
    """Where the middle's final closer stands, when the middle ends with it (`;` and `,` after it
    aside), else None."""
    body = middle.rstrip(" ;,\t")
    if body and body[-1] in OPENER_OF:
        return len(body) - 1
    return None


def inject(site: Site, failure: str, rng: random.Random) -> Case | None:
    """The model's output at `site` for `failure`, or None when the failure does not apply."""
    middle = site.middle
    if failure == "clean":
        return Case(site, failure, site.kind, middle)
    if failure == "run-on":
        if site.line_rest.strip() or not site.below:
            return None
        count = rng.randint(*RUN_ON_LINES)
        run_on = "\n".join(site.below[:count])
        if not run_on.strip():
            return None  # only blank lines below: nothing to run on into
        return Case(site, failure, site.kind, (middle + "\n" + run_on)[:RUN_ON_CHARS])
    if failure == "dup-closers":
        rest = site.line_rest
        if rest.strip():
            if rest.strip(" )]};,"):
                return None
            return Case(site, failure, "line rest", middle + rest)
        if site.below and is_closer_line(site.below[0].strip()):
            return Case(site, failure, "next line", middle + "\n" + site.below[0])
        return None
    if failure == "missing-closer":
        if site.line_rest.strip():
            return None
        if site.kind == "block" and "\n" in middle:
            last = middle.rsplit("\n", 1)[1].strip()
            if last[:1] in OPENER_OF:
                return Case(site, failure, "closer line", middle.rsplit("\n", 1)[0])
            return None
        position = final_closer(middle)
        if position is None or not middle[:position].strip():
            return None
        return Case(site, failure, "line end", middle[:position].rstrip())
    if failure == "repetition":
        return _repetition(site, rng)
    if failure == "truncated":
        if site.kind != "block" or "\n" not in middle:
            return None
        first = middle.split("\n", 1)[0]
        return Case(site, failure, "opener only", first) if first.strip() else None
    raise ValueError(f"unknown failure {failure!r}")


def _repetition(site: Site, rng: random.Random) -> Case | None:
    middle = site.middle
    variant = rng.choice(("line again", "in-line loop", "near-identical"))
    if variant == "in-line loop":
        raw = inline_loop(middle, site.line_prefix, rng.randint(2, 4))
        if raw is not None:
            return Case(site, "repetition", variant, raw)
        variant = "line again"
    line = last_full_line(site)
    if not line.strip():
        return None
    count = rng.randint(1, 3)
    if variant == "line again":
        return Case(site, "repetition", variant, middle + ("\n" + line) * count)
    copies = [near_copy(line, step) for step in range(1, count + 2)]
    if any(copy is None for copy in copies):
        return None
    return Case(site, "repetition", variant, middle + "".join("\n" + str(copy) for copy in copies))
