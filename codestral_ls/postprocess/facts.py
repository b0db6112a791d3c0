"""Facts about the document around the cursor that the filter rules need, computed once per
request: the lines near the cursor, the language (a Markdown fence's), the indentation style,
and the scope the cursor is in."""

from __future__ import annotations

import functools

from ..context import FimContext
from . import language as lang
from .indentation import TAB_WIDTH, IndentStyle, detect_style, indent_width
from .nextline import upcoming_lines
from .scope import Scope

# Prefix lines read for style, echo and open-block facts; suffix lines for the same.
PREFIX_SAMPLE_LINES = 80
SUFFIX_SAMPLE_LINES = 200
# Lines above the cursor read to learn the indentation style.
STYLE_SAMPLE_LINES = 40


class DocumentFacts:
    """What the rules need to know about the document, computed once per request."""

    def __init__(self, ctx: FimContext) -> None:
        parts = ctx.prefix.rsplit("\n", PREFIX_SAMPLE_LINES + 1)
        self.prefix_lines = parts[1:-1] if len(parts) > PREFIX_SAMPLE_LINES + 1 else parts[:-1]
        self.suffix_lines = ctx.suffix.split("\n", SUFFIX_SAMPLE_LINES + 1)[1:]
        self.upcoming = upcoming_lines(ctx.suffix)
        self.language_id = ctx.language_id
        self.in_fence = False
        self.fence_below = False
        if ctx.language_id == "markdown":
            self.in_fence = lang.in_code_fence(ctx.prefix)
            self.fence_below = any(lang.is_fence(line.strip()) for line in self.suffix_lines)
            if self.in_fence:
                self.language_id = lang.fence_language(ctx.prefix)
        self._line_prefix = ctx.line_prefix
        # Prose inside a docstring: code's block rules do not apply to it.
        self.in_docstring = ctx.language_id == "python" and lang.in_triple_quoted_string(ctx.prefix)
        # Prose of a comment (or a document): statements and brackets mean nothing there.
        self.in_prose = (
            self.language_id in ("markdown", "plaintext", "")
            or lang.in_line_comment(ctx.line_prefix, self.language_id)
            or (lang.has_block_comments(self.language_id) and lang.in_block_comment(ctx.prefix, self.language_id))
        )
        previous = next((line for line in reversed(self.prefix_lines) if line.strip()), "")
        self.previous_indent = indent_width(previous)
        self.next_indent = indent_width(self.upcoming[0]) if self.upcoming else 0

    @functools.cached_property
    def style(self) -> IndentStyle:
        """The document's indentation, learned from the lines around the cursor (only when a
        fix needs it: most one-line suggestions never do)."""
        return detect_style(self._style_sample(), self.language_id)

    def _style_sample(self) -> list[str]:
        return [*self.prefix_lines[-STYLE_SAMPLE_LINES:], self._line_prefix, *self.suffix_lines[:20]]

    @property
    def tab_width(self) -> int:
        """Columns of a tab here (the style is learned only when a tab is in sight)."""
        return self.style.tab_width if any("\t" in line for line in self._style_sample()) else TAB_WIDTH

    def scope(self, ctx: FimContext, cursor_line: str) -> Scope:
        tab = self.tab_width
        base = indent_width(cursor_line, tab)
        closed = any(c in ctx.line_suffix for c in ")]}") or ctx.suffix_truncated
        lower_lines: list[tuple[int, bool]] = []
        lowest = base
        for line in self.suffix_lines:
            if len(line) - len(line.lstrip(" \t")) >= lowest:
                continue  # at least as deep as `lowest` (a tab is wider than one column)
            stripped = line.strip()
            if stripped and indent_width(line, tab) < lowest:
                lowest = indent_width(line, tab)
                lower_lines.append((lowest, lang.is_closer_line(stripped, self.language_id)))
                if lowest == 0:
                    break
        closer_below = bool(self.upcoming) and (
            indent_width(self.upcoming[0], tab) == base
            and lang.is_closer_line(self.upcoming[0].strip(), self.language_id)
        )
        # A header the user typed opens the block the suggestion fills; on a blank line, the
        # suggestion is a run of statements, except that one definition (a function, a method,
        # or anything at top level) is a unit of its own.
        header = bool(ctx.line_prefix.strip()) or base == 0 or lang.is_definition(cursor_line)
        return Scope(
            base=base,
            opened=header and lang.opens_block(cursor_line, self.language_id),
            language_id=self.language_id,
            closed_below=closed,
            closer_below=closer_below,
            closer_below_text=self.upcoming[0].strip() if closer_below else "",
            lower_lines=tuple(lower_lines),
            tab_width=tab,
        )
