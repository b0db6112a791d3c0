"""Single-line vs multi-line: decided before the request from the cursor position and the
syntax around it, so the request asks for the right amount (stop sequences, token budget)."""

from __future__ import annotations

import re

import attrs

from ..context import FimContext
from . import language as lang
from .brackets import is_closers_only

# A single line rarely needs more; asking for less lets the server stop sooner.
SINGLE_LINE_MAX_TOKENS = 64
# Data files whose lines are entries: one holding a key and a value is complete, and the
# next entries may follow (`image: nginx█` + `\n    ports:\n      - "80:80"`).
_ENTRY_LANGUAGES = frozenset({"yaml", "toml", "json", "jsonc", "ini", "properties"})
_ENTRY = re.compile(r"""^\s*(- )?("[^"]*"|'[^']*'|[\w.$@-]+)\s*[:=]\s*\S""")
# Single-line reasons where the line, once completed, may open a block worth continuing into.
_MAY_OPEN_BLOCK = frozenset({"unfinished line", "inside an expression", "string"})
# A line ending with one of these is unfinished: the model should complete this line only.
_MID_EXPRESSION_END = frozenset("=+-*/%&|<>!.~^@?")


@attrs.frozen
class CompletionPlan:
    """How much to ask the model for, decided before the request is sent."""

    multiline: bool
    stop: tuple[str, ...]
    max_tokens: int
    # Why this shape was chosen, for logs and tests ("blank line", "mid-line", ...).
    reason: str = ""
    # A single-line plan at the end of a line whose first line may complete a block header
    # (`func area` + `(w, h float64) float64 {`): the block's body then follows.
    block_after_first_line: bool = False


def multiline_reason(ctx: FimContext) -> tuple[bool, str]:
    """Whether a multi-line suggestion fits here, and the reason in a few words."""
    line_prefix, line_suffix, language_id = ctx.line_prefix, ctx.line_suffix, ctx.language_id
    if line_suffix.strip() and not is_closers_only(line_suffix):
        return False, "mid-line"
    if language_id == "markdown":
        if lang.in_code_fence(ctx.prefix):
            language_id = lang.fence_language(ctx.prefix)
        else:
            return not line_prefix.strip(), "markdown prose"
    if lang.in_line_comment(line_prefix, language_id):
        return False, "comment"
    if lang.open_quote(line_prefix):
        return False, "string"
    if language_id == "python" and lang.in_triple_quoted_string(ctx.prefix):
        return not line_prefix.strip(), "docstring"
    stripped = line_prefix.strip()
    if lang.has_block_comments(language_id) and (
        stripped.startswith(("*", "/*")) or lang.in_block_comment(ctx.prefix, language_id)
    ):
        return not stripped, "block comment"
    if not stripped:
        return True, "blank line"
    if line_suffix.strip():
        # Only closers right of the cursor: a body between braces (`{█}`) may take lines,
        # anything else (`foo(█)`, `"█"`) is finished on this line.
        if stripped.endswith("{"):
            return True, "opens a block"
        return False, "inside an expression"
    if lang.opens_block(line_prefix, language_id):
        return True, "opens a block"
    if language_id in _ENTRY_LANGUAGES and _ENTRY.match(line_prefix) and not stripped.endswith((":", "=")):
        return True, "end of an entry"
    last = stripped[-1]
    if last.isalnum() or last in "_ " or last in _MID_EXPRESSION_END:
        return False, "unfinished line"
    return True, "end of a statement"


def plan_completion(ctx: FimContext, multiline_setting: str, max_tokens: int) -> CompletionPlan:
    """The request's shape. No plan sends a `"\n"` stop: the filter ends a single line in the
    stream (closing it at once), so a first line that turns out to open a block can go on into
    the block. Single lines that cannot ask for fewer tokens; multi-line plans rely on the
    filters to stop the stream at the end of the block."""
    if multiline_setting == "always":
        multiline, reason = True, "setting: always"
    elif multiline_setting == "never":
        multiline, reason = False, "setting: never"
    else:
        multiline, reason = multiline_reason(ctx)
    if not multiline:
        grows = reason in _MAY_OPEN_BLOCK
        budget = max_tokens if grows else min(max_tokens, SINGLE_LINE_MAX_TOKENS)
        return CompletionPlan(False, (), budget, reason, block_after_first_line=grows)
    stop: tuple[str, ...] = ("\n\n",) if reason == "markdown prose" else ()
    return CompletionPlan(True, stop, max_tokens, reason)
