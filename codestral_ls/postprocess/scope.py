"""Scope: multi-line output stops where it leaves the block the cursor is in, or right after
the block it opened is complete, so a suggestion never eats into the code after it."""

from __future__ import annotations

import re

import attrs

from . import language as lang
from .indentation import TAB_WIDTH, indent_width

_CLOSER_WORD = re.compile(r"[)\]}]|[A-Za-z]+")
_TRIPLE = re.compile(r"\"\"\"|'''")
_TAG_OPEN = re.compile(r"<[A-Za-z][^<>]*?(/?)>")
_TAG_CLOSE = re.compile(r"</[A-Za-z]")
_VOID = re.compile(r"<(br|hr|img|input|meta|link|area|base|col|embed|source|track|wbr)\b", re.I)


@attrs.frozen
class Scope:
    """Where the cursor's block is, learned once from the context."""

    base: int  # indentation (columns) of the cursor line
    opened: bool  # the cursor line (with the suggestion's first line) opens a block
    language_id: str
    # The document closes the cursor's block on the cursor line or past the suffix window
    # (what `closes_below` assumes when `lower_lines` does not tell).
    closed_below: bool
    # The first non-blank line below the cursor closes a block at `base` (`}` under `if {`).
    closer_below: bool
    # That closer line (`fi`, `}`), when known: another kind of closer (`done`) closes another block.
    closer_below_text: str = ""
    # The outline below the cursor: each line less indented than all before it (and than
    # `base`), as (indentation, whether it closes a block).
    lower_lines: tuple[tuple[int, bool], ...] = ()
    # Columns of a tab in this document (8 where tabs and spaces are mixed).
    tab_width: int = TAB_WIDTH

    def closes_below(self, indent: int) -> bool:
        """Whether the document below already closes the block whose closer a suggestion line
        puts at `indent`: the first line below at or left of that indentation is a closer
        there. `func next() {` below a function missing its `}` does not close it."""
        for line_indent, closer in self.lower_lines:
            if line_indent <= indent:
                return line_indent == indent and closer
        return self.closed_below


def depth_change(line: str, language_id: str, *, left_open: bool = False) -> int:
    """How many blocks a line opens minus how many it closes (brackets, tags, keywords).
    `left_open`: count the brackets the line leaves open, ignoring those it closes from
    before (`} catch {` leaves one block open: the suggestion's own)."""
    code = lang.strip_strings(lang.code_part(line, language_id))
    if left_open:
        change = sum(1 for c in _unclosed(code) if c in "([{")
    else:
        opened = code.count("(") + code.count("[") + code.count("{")
        change = opened - code.count(")") - code.count("]") - code.count("}")
        if lang.is_case_pattern(code, language_id):
            change += 1
    if language_id in lang.MARKUP_LANGUAGES and "<" in code:
        opens = sum(1 for m in _TAG_OPEN.finditer(code) if not m.group(1))
        change += opens - len(_VOID.findall(code)) - len(_TAG_CLOSE.findall(code))
    if language_id in lang.KEYWORD_END_LANGUAGES:
        # `end` closes a block; a bracket closer line (`})`, `]], opts)`) was counted above.
        if lang.closes_with_keyword(code.strip(), language_id):
            change -= 1
        if lang.opens_block(code, language_id) and code.rstrip()[-1:] not in "([{":
            change += 1
    return change


def _unclosed(code: str) -> list[str]:
    stack: list[str] = []
    for char in code:
        if char in "([{":
            stack.append(char)
        elif char in ")]}" and stack:
            stack.pop()
    return stack


def _same_closer(line: str, below: str) -> bool:
    """Whether two closer lines close the same kind of block (`}` and `});` do; `fi` and
    `done` do not). An unknown line below counts as the same."""
    if not below:
        return True
    first = _CLOSER_WORD.match(line)
    other = _CLOSER_WORD.match(below)
    return first is None or other is None or first.group() == other.group()


class ScopeTracker:
    """Fed the suggestion's lines in order (line 0 being the whole cursor line); `check` says
    where to cut, as the number of lines to keep."""

    def __init__(self, scope: Scope, first_line: str) -> None:
        self.scope = scope
        self.depth = max(0, depth_change(first_line, scope.language_id, left_open=True))
        # Whether a suggestion line at the cursor's level opened a block (`try:` on line 0).
        self.opened_at_base = lang.opens_block(first_line, scope.language_id)
        # Python: inside a triple-quoted string the suggestion opened (a docstring).
        self.in_string = _TRIPLE.findall(first_line).__len__() % 2 == 1
        # Whether the suggestion is one block: the cursor line opens it, or it starts with a
        # decorator (`@property`, `@Override`) whose definition comes next.
        self.opened = scope.opened
        self.took_item = False  # YAML: a sibling list item was taken
        # A definition whose block is still to come: after a decorator, or a header whose `{`
        # stands on the next line (Allman style: `public void Run()` then `{`).
        self.pending = not scope.opened and (
            lang.is_decorator(first_line)
            or (lang.is_definition(first_line) and not lang.opens_block(first_line, scope.language_id))
        )

    def _in_triple_quotes(self, line: str) -> bool:
        """Whether `line` is (or ends) inside a triple-quoted string; updates the state."""
        was_inside = self.in_string
        if len(_TRIPLE.findall(line)) % 2 == 1:
            self.in_string = not self.in_string
        return was_inside or self.in_string

    def check(self, lines: list[str], index: int) -> int | None:
        line = lines[index]
        stripped = line.strip()
        if not stripped:
            return None
        if self.scope.language_id == "python" and self._in_triple_quotes(line):
            return None  # docstring text the suggestion opened: prose, not code
        scope = self.scope
        language_id = scope.language_id
        depth_before = self.depth
        self.depth += depth_change(line, language_id)
        indent = indent_width(line, scope.tab_width)
        closer = lang.is_closer_line(stripped, language_id)
        if indent > scope.base:
            return None
        if indent == scope.base and self.pending:
            if stripped == "{" or (lang.is_definition(line) and lang.opens_block(line, language_id)):
                self.pending, self.opened = False, True  # this definition is the unit
                self.opened_at_base = True
                return None
            if lang.is_definition(line) or lang.is_decorator(line):
                return None  # the header goes on (`@Override` then `public String name()`)
        if indent == scope.base and lang.opens_block(line, language_id):
            self.opened_at_base = True
        if indent == scope.base and lang.is_list_item(stripped, language_id):
            return None
        sibling_item = indent + 2 == scope.base and lang.is_list_item(stripped, language_id)
        if sibling_item and not self.opened and not self.took_item:
            # YAML: the cursor is on a key of a list item (`  - name: a` / `    run: x█`); the
            # next item of that list is one more unit, a second one is not.
            self.took_item = True
            return None
        if lang.is_continuation_line(stripped, language_id) and indent == scope.base:
            # `except:` continues a `try:` the suggestion (or the cursor line) opened at base; a
            # Python `else None` without its `:` goes on with a conditional expression.
            clause = language_id != "python" or lang.code_part(line, language_id).rstrip().endswith(":")
            continues = self.opened or self.opened_at_base or language_id not in lang.INDENT_LANGUAGES or not clause
            self.opened_at_base = self.opened_at_base or lang.opens_block(line, language_id)
            return None if continues else index
        if closer and depth_before > 0:
            if self.opened and self.depth <= 0 and not lang.opens_block(line, language_id):
                # The block the cursor line opened is complete here.
                return index if scope.closer_below and _same_closer(stripped, scope.closer_below_text) else index + 1
            return None
        if closer:
            # A closer of a block opened above the suggestion: kept unless the document has it.
            return index if scope.closes_below(indent) else index + 1
        if indent < scope.base:
            return index
        # A new statement at the cursor's own level.
        if self.opened and language_id in lang.INDENT_LANGUAGES:
            return index
        return None
