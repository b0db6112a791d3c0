"""Indentation: measure it, learn the document's style, and make the suggestion follow it."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import attrs

TAB_WIDTH = 4
# Where tabs and spaces indent side by side (GNU style, old shell scripts), a tab is what
# terminals, `expand` and Emacs make it: 8 columns (`\t` under 8 spaces is one level deeper,
# not one shallower).
MIXED_TAB_WIDTH = 8
# How many lines around the cursor are read to learn the document's indentation style.
STYLE_SAMPLE_LINES = 80
_LANGUAGE_UNITS = {
    "ruby": 2,
    "yaml": 2,
    "json": 2,
    "jsonc": 2,
    "html": 2,
    "css": 2,
    "scss": 2,
    "lua": 2,
    "elixir": 2,
    "crystal": 2,
}


# Languages whose formatter indents with tabs (gofmt, make).
_TAB_LANGUAGES = frozenset({"go", "makefile"})


@attrs.frozen
class IndentStyle:
    """How the document indents: with tabs or with `unit` spaces per level."""

    use_tabs: bool = False
    unit: int = 4
    # Whether the document showed enough indented lines for `unit` to be trusted.
    confident: bool = False
    # Tabs and spaces both in real use (GNU style: spaces below 8 columns, tabs above, or
    # tabs then spaces for alignment): leave the suggestion's whitespace as the model wrote it.
    mixed: bool = False

    @property
    def tab_width(self) -> int:
        """Columns of a tab when comparing the indentation of lines."""
        return MIXED_TAB_WIDTH if self.mixed else TAB_WIDTH


def leading(line: str) -> str:
    """The leading whitespace of a line."""
    return line[: len(line) - len(line.lstrip(" \t"))]


def width(whitespace: str, tab: int = TAB_WIDTH) -> int:
    """Columns taken by leading whitespace, a tab counting `tab`."""
    tabs = whitespace.count("\t")
    return len(whitespace) - tabs + tabs * tab


def indent_width(line: str, tab: int = TAB_WIDTH) -> int:
    """Columns of a line's indentation."""
    return width(leading(line), tab)


def detect_style(lines: Sequence[str], language_id: str = "") -> IndentStyle:
    """Learn tabs vs spaces and the width of one level from the given document lines."""
    tab_lines = space_lines = 0
    steps: dict[int, int] = {}  # indentation increase -> how often (a Counter, in insertion order)
    previous = 0
    for line in lines:
        if not line or line.isspace():
            continue
        # (`leading` and `width` written out: this runs on every sampled line of every request.)
        spaces = len(line) - len(line.lstrip(" \t"))
        tabs = line.count("\t", 0, spaces)
        if spaces:
            if line[0] == "\t":
                tab_lines += 1
            elif not line.lstrip().startswith("*"):  # ` * ` block-comment lines say nothing
                space_lines += 1
        current = spaces + (TAB_WIDTH - 1) * tabs
        if current > previous and not tabs:
            steps[current - previous] = steps.get(current - previous, 0) + 1
        previous = current
    deltas = Counter(steps)
    default_unit = _LANGUAGE_UNITS.get(language_id, 4)
    if not tab_lines and not space_lines and language_id in _TAB_LANGUAGES:
        # Nothing indented yet: gofmt's tabs are the rule, but a raw string may hold spaces, so
        # the suggestion's whitespace is left as the model wrote it.
        return IndentStyle(use_tabs=True, unit=TAB_WIDTH, mixed=True)
    if tab_lines and space_lines:
        return IndentStyle(use_tabs=tab_lines > space_lines, unit=default_unit, mixed=True)
    if tab_lines > space_lines:
        return IndentStyle(use_tabs=True, unit=TAB_WIDTH, confident=True)
    if not deltas:
        return IndentStyle(unit=default_unit)
    levels = [d for d, _ in deltas.most_common() if d in (2, 4, 8, 3)]
    if not levels:
        return IndentStyle(unit=default_unit)  # only alignment (1, 5, 17...): no level seen
    unit = levels[0]
    confident = space_lines >= 3 and all(d % unit == 0 for d in deltas)
    return IndentStyle(unit=unit, confident=confident)


def _space_unit(widths: Sequence[int]) -> int:
    """The unit a run of space indentations seems to use (their gcd, at most TAB_WIDTH)."""
    unit = 0
    for w in widths:
        unit = math.gcd(unit, w)
    if unit == 0:
        return TAB_WIDTH
    return TAB_WIDTH if unit % TAB_WIDTH == 0 else unit


def normalize(lines: list[str], style: IndentStyle, base: int, rescale: bool = True) -> list[str]:
    """Re-indent lines 1.. of a suggestion in the document's style (line 0 continues the
    cursor line and is left alone). `base` is the cursor line's indentation in columns.
    `rescale=False` (prose, e.g. a docstring) keeps the widths and only fixes tabs/spaces."""
    body = [(i, leading(line)) for i, line in enumerate(lines) if i > 0 and line.strip()]
    if not body or style.mixed:
        return lines
    if any(ws.startswith("\t") for _, ws in body) and any(ws.startswith(" ") for _, ws in body):
        return lines  # the suggestion mixes them itself (GNU style: a tab is 8 columns there)
    result = list(lines)
    if style.use_tabs:
        # Only lines indented with spaces alone; tabs then spaces is alignment, kept as is.
        spaced = [(i, ws) for i, ws in body if "\t" not in ws]
        unit = _space_unit([width(ws) for _, ws in spaced])
        if not spaced or unit not in (2, 4, 8):
            return result
        for i, ws in spaced:
            levels, rest = divmod(width(ws), unit)
            result[i] = "\t" * levels + " " * rest + lines[i][len(ws) :]
        return result
    tabbed = [(i, ws) for i, ws in body if ws and not ws.strip("\t")]  # tabs alone, not tab+space
    if tabbed:
        for i, ws in tabbed:
            result[i] = " " * (len(ws) * style.unit) + lines[i][len(ws) :]
        body = [(i, leading(result[i])) for i, _ in body]
    if not style.confident or not rescale:
        return result
    offsets = [width(ws) - base for _, ws in body]
    nonzero = [abs(o) for o in offsets if o]
    if not nonzero:
        return result
    out_unit = _space_unit(nonzero)
    odd = [o for o in nonzero if o % style.unit]
    # A unit of 1 is alignment (hanging indents), not a level: only rescale real levels. A model
    # nesting by a smaller unit shows it at its shallowest level; one whose shallowest level is
    # the document's own (`then` + 4, a continuation aligned at + 6) is right as it is.
    if 2 <= out_unit < style.unit and style.unit % out_unit == 0 and odd and min(nonzero) < style.unit:
        for (i, ws), offset in zip(body, offsets, strict=True):
            new = max(0, base + offset // out_unit * style.unit)
            result[i] = " " * new + result[i][len(ws) :]
    return result


def fix_first_line_indent(first: str, line_prefix: str, previous_indent: int, next_indent: int, unit: int) -> str:
    """Drop leading whitespace the model put before line 0 when the cursor already stands in
    the line's indentation and the sum would be deeper than any level that fits here."""
    if line_prefix.strip() or not first[:1].isspace():
        return first
    total = width(line_prefix) + indent_width(first)
    if total > max(previous_indent + unit, next_indent):
        return first.lstrip(" \t")
    return first


def strip_trailing(lines: list[str], keep_last: bool, keep_spaces: bool = False) -> list[str]:
    """Remove trailing whitespace from every line (the last too unless `keep_last`), and
    blank lines at the end. `keep_spaces` (Markdown, where two trailing spaces break a line)
    only empties whitespace-only lines."""
    if keep_spaces:
        result = [line if line.strip() else "" for line in lines[:-1]]
    else:
        result = [line.rstrip() for line in lines[:-1]]
    result.append(lines[-1] if keep_last else lines[-1].rstrip())
    if not keep_last:
        while len(result) > 1 and not result[-1]:
            result.pop()
    return result
