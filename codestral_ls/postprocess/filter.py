"""The streaming filter chain: stop rules while the stream arrives, fix rules at the end.

`feed()` accumulates chunks; at each newline it runs the stop rules on the lines completed so
far (single line, next line reproduced, repetition, scope exit, completed block, Markdown) and,
when one fires, returns True so the caller closes the HTTP stream. `finish()` applies the fix
rules (indentation, trailing whitespace, JSON commas, overlap with the rest of the line, closer
replacement) and returns the Suggestion, or None when nothing is worth showing.
"""

from __future__ import annotations

import attrs

from ..context import FimContext
from ..core import Suggestion
from . import language as lang
from .brackets import OPEN_WINDOW_LINES, close_only_what_is_open, is_closers_only, replace_closers
from .closers import add_missing_closers, outer_closers_kept
from .facts import DocumentFacts
from .indentation import TAB_WIDTH, fix_first_line_indent, indent_width, normalize, strip_trailing
from .multiline import CompletionPlan, plan_completion
from .nextline import reproduces_next_line
from .overlap import PREFIX_TAIL_CHARS, trim_prefix_overlap, trim_suffix_overlap
from .quirks import undo_quirks
from .repetition import (
    collapse_stutter,
    doubled_line,
    echoed_block,
    inline_loop,
    repeated_group,
    repeated_line,
    repeated_statement,
    unreachable,
)
from .scope import ScopeTracker

__all__ = ["CompletionPlan", "Suggestion", "SuggestionFilter", "plan_completion"]


@attrs.frozen
class Stop:
    """Which rule ended the suggestion, and where: keep `lines` lines (the last one cut to
    `column` characters when set)."""

    rule: str
    lines: int
    column: int | None = None


class SuggestionFilter:
    """One request's filter chain: feed it the stream, then ask it for the suggestion."""

    def __init__(self, ctx: FimContext, plan: CompletionPlan) -> None:
        self.ctx = ctx
        self.plan = plan
        self.facts = DocumentFacts(ctx)
        self._parts: list[str] = []
        self._complete = False
        self._head = ""  # the head-fixed text the line rules last ran on
        self._checked = 0  # lines of it already checked
        self._tracker: ScopeTracker | None = None
        # Per suggestion line: whether it starts inside a triple-quoted string the suggestion
        # opened (a docstring's prose, where `raise the error.` is no statement).
        self._in_string = [False]
        self._echo_possible = True  # until the stream shows it does not repeat the prefix
        self.stop: Stop | None = None
        # Characters received until the suggestion was complete (for the benchmark).
        self.consumed_chars = 0

    @property
    def raw(self) -> str:
        return "".join(self._parts)

    def feed(self, chunk: str) -> bool:
        """Take one chunk; True once the suggestion is complete (close the stream)."""
        if self._complete:
            return True
        self._parts.append(chunk)
        self.consumed_chars += len(chunk)
        if "\n" in chunk:
            raw = self.raw
            self._run_rules(raw[: raw.rfind("\n") + 1], final=False)
        return self._complete

    def finish(self) -> Suggestion | None:
        """The cleaned suggestion, or None when nothing is worth showing."""
        if not self._complete:
            self._run_rules(self.raw, final=True)
        return self._fix(self._kept_text())

    # -- stop rules -------------------------------------------------------------------------

    def _head_fix(self, text: str) -> str:
        ctx = self.ctx
        text = undo_quirks(text, ctx.line_prefix, ctx.line_suffix, ctx.suffix)
        return trim_prefix_overlap(text, ctx.prefix)

    def _may_be_echo(self, raw: str) -> bool:
        """Whether everything received so far could still be the start of an echo of the
        prefix (which only the rest of the stream can confirm)."""
        if not self._echo_possible:
            return False
        ctx = self.ctx
        text = undo_quirks(raw, ctx.line_prefix, ctx.line_suffix, ctx.suffix)
        self._echo_possible = len(text) < PREFIX_TAIL_CHARS and text in ctx.prefix[-PREFIX_TAIL_CHARS:]
        return self._echo_possible

    def _run_rules(self, raw: str, *, final: bool) -> None:
        if not final and self._may_be_echo(raw):
            return  # judge the lines once it is known whether they repeat the prefix
        head = self._head_fix(raw)
        if not head.startswith(self._head):
            self._checked, self._tracker, self._in_string = 0, None, [False]  # the head changed: start over
        self._head = head
        lines = head.split("\n")
        lines[0] = self.ctx.line_prefix + lines[0]
        ready = len(lines) if final else len(lines) - 1
        multiline = self._multiline(lines, final)
        if multiline is None:
            return  # an Allman header (`greet()` then `{`): the next line decides
        if not multiline:
            ready = 1  # one line only: complete as soon as a second one starts
        for index in range(self._checked, ready):
            stop = self._check_line(lines, index)
            if stop is not None:
                self._stop(stop)
                return
        self._checked = ready
        if not multiline and len(lines) > 1:
            self._stop(Stop("single-line", 1))

    def _multiline(self, lines: list[str], final: bool = True) -> bool | None:
        """Whether this suggestion may take several lines: the plan says so, or the plan allows
        it and the completed first line (`lines[0]`, the whole cursor line) opens a block the
        model wrote (`func area` + `(w, h float64) float64 {`), or is a definition whose `{`
        stands on the next line (None while that line is still arriving)."""
        if self.plan.multiline:
            return True
        if not self.plan.block_after_first_line or len(lines) < 2:
            return False
        written = lines[0][len(self.ctx.line_prefix) :]
        if not written.strip():
            return False
        if lang.opens_block(lines[0], self.facts.language_id):
            return True
        if not lang.is_definition(lines[0]):
            return False
        if len(lines) == 2 and not final:
            return None if lines[1].strip() in ("", "{") else False
        return lines[1].strip() == "{"

    def _stop(self, stop: Stop) -> None:
        self.stop = stop
        self._complete = True

    def _check_line(self, lines: list[str], index: int) -> Stop | None:
        facts = self.facts
        line = lines[index]
        prose = facts.in_prose or facts.in_docstring
        if index == 0:
            if not self.ctx.line_prefix.strip() and reproduces_next_line(
                line, facts.upcoming, facts.language_id, prose
            ):
                return Stop("nextline", 0)
            column = inline_loop(line)
            return None if column is None else Stop("repetition", 1, column)
        if reproduces_next_line(line, facts.upcoming, facts.language_id, prose):
            return Stop("nextline", index)
        kept = repeated_line(lines, index)
        if kept is None:
            kept = repeated_group(lines, index)
        if kept is None and facts.language_id != "markdown":
            kept = doubled_line(lines, index)
        code = not (facts.in_prose or facts.in_docstring or self._in_suggested_string(lines, index))
        if kept is None and code:
            kept = repeated_statement(lines, index, facts.language_id)
            if kept is None:
                kept = unreachable(lines, index)
        if kept is None:
            kept = echoed_block(lines, index, facts.prefix_lines, indent_width(lines[0]), facts.language_id)
        if kept is not None:
            return Stop("repetition", kept)
        column = inline_loop(line)
        if column is not None:
            return Stop("repetition", index + 1, column)
        if self.ctx.language_id == "markdown":
            kept = lang.markdown_cut(lines, index, facts.in_fence, facts.fence_below)
            if kept is not None:
                return Stop("markdown", kept)
            if not facts.in_fence:
                return None
        if facts.in_docstring:
            return None
        if self._tracker is None:
            self._tracker = ScopeTracker(facts.scope(self.ctx, lines[0]), lines[0])
        kept = self._tracker.check(lines, index)
        return None if kept is None else Stop("scope", kept)

    def _in_suggested_string(self, lines: list[str], index: int) -> bool:
        """Python: whether line `index` is (or starts) inside a triple-quoted string opened by
        the suggestion; the state is carried from line to line as they are checked."""
        if self.facts.language_id != "python":
            return False
        states = self._in_string
        while len(states) <= index + 1:
            line = lines[len(states) - 1]
            states.append(states[-1] != (lang.triple_quotes(line) % 2 == 1))
        return states[index] or states[index + 1]

    def _kept_text(self) -> str:
        if self.stop is None:
            return self._head
        lines = self._head.split("\n")[: self.stop.lines]
        if self.stop.column is not None and lines:
            first = len(self.ctx.line_prefix) if self.stop.lines == 1 else 0
            lines[-1] = lines[-1][: max(0, self.stop.column - first)]
        return "\n".join(lines)

    # -- fix rules --------------------------------------------------------------------------

    def _collapse_stutters(self, lines: list[str]) -> list[str]:
        """Runs written three to seven times in a line, kept once (line 0 read with the cursor
        line's prefix, which must stay as it is)."""
        prefix = self.ctx.line_prefix
        first = collapse_stutter(prefix + lines[0], len(prefix))
        result = [first[len(prefix) :] if first.startswith(prefix) else lines[0]]
        return result + [collapse_stutter(line) for line in lines[1:]]

    def _fix(self, text: str) -> Suggestion | None:
        ctx, facts = self.ctx, self.facts
        if not text.strip():
            return None
        lines = text.split("\n")
        if not self._multiline([ctx.line_prefix + lines[0], *lines[1:]]):
            lines = lines[:1]
        lines = self._collapse_stutters(lines)
        if lines[0][:1].isspace() and not ctx.line_prefix.strip():
            lines[0] = fix_first_line_indent(
                lines[0], ctx.line_prefix, facts.previous_indent, facts.next_indent, facts.style.unit
            )
        if len(lines) > 1:
            base = indent_width(ctx.line_prefix + lines[0])
            lines = normalize(lines, facts.style, base, rescale=not facts.in_docstring)
        lines = strip_trailing(
            lines, keep_last=bool(ctx.line_suffix.strip()), keep_spaces=ctx.language_id == "markdown"
        )
        if self.stop is None and not ctx.line_suffix.strip() and not (facts.in_docstring or facts.in_prose):
            # The stream ended on its own: close what the suggestion opened and left open.
            next_line = facts.upcoming[0] if facts.upcoming else None
            above = facts.prefix_lines[-OPEN_WINDOW_LINES:]
            # The document's tab width matters only where a tab indents the lines compared.
            tabbed = "\t" in ctx.line_prefix or "\t" in text or "\t" in (next_line or "")
            tab = facts.tab_width if tabbed else TAB_WIDTH
            lines = add_missing_closers(lines, ctx.line_prefix, next_line, facts.language_id, above, tab)
        text = "\n".join(lines)
        if facts.language_id in ("json", "jsonc") and not ctx.line_suffix.strip():
            text = lang.fix_json_commas(text, facts.upcoming[0] if facts.upcoming else "")
        replace = 0
        if is_closers_only(ctx.line_suffix):
            text, replace = replace_closers(text, ctx.line_prefix, ctx.line_suffix, facts.language_id)
            if replace and "\n" not in text:
                next_line = facts.upcoming[0] if facts.upcoming else None
                above = facts.prefix_lines[-OPEN_WINDOW_LINES:]
                replace = outer_closers_kept(
                    text, replace, ctx.line_prefix, ctx.line_suffix, above, next_line, facts.language_id
                )
        elif not ctx.line_suffix.strip() and "\n" not in text:
            text = close_only_what_is_open(text, facts.prefix_lines, ctx.line_prefix, facts.language_id)
        elif "\n" not in text:
            text = trim_suffix_overlap(text, ctx.line_prefix, ctx.line_suffix, facts.language_id)
        if not text.strip() or text.strip() == ctx.line_suffix[:replace].strip():
            return None
        return Suggestion(text=text, replace_chars=replace)
