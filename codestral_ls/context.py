"""Pure: document lines + cursor + budgets -> the FIM context (prefix, suffix) sent to the model.

The prefix window starts on a line boundary that moves in steps of `WINDOW_STEP_LINES`, so
consecutive prompts share their beginning and server-side prompt caches can hit.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

# The start of the prefix window only ever moves by this many lines at a time.
WINDOW_STEP_LINES = 32


@attrs.frozen
class FimContext:
    """Everything later stages need to know about the text around the cursor ("\\n" line ends)."""

    prefix: str
    suffix: str
    # The whole current line around the cursor, whatever the budgets.
    line_prefix: str
    line_suffix: str
    language_id: str = ""
    uri: str = ""
    # Which lines the prefix window covers, and where the cursor is.
    prefix_start_line: int = 0
    cursor_line: int = 0
    # True when the window does not reach the start / end of the document.
    prefix_truncated: bool = False
    suffix_truncated: bool = False

    @property
    def next_lines(self) -> list[str]:
        """The lines after the cursor's line, as the suffix holds them."""
        return self.suffix.split("\n")[1:]


def window_start(lines: Sequence[str], cursor_line: int, cursor_index: int, budget_chars: int) -> int:
    """First line of the prefix window: the earliest step-aligned line that keeps it in budget."""
    used = cursor_index
    earliest = cursor_line
    for line_number in range(cursor_line - 1, -1, -1):
        used += len(lines[line_number]) + 1
        if used > budget_chars:
            break
        earliest = line_number
    if earliest == 0:
        return 0
    # Align up to a step, but never give away more than half of the lines that fit: with long
    # lines or a small budget (fewer than two steps' worth of lines), a full step would leave the
    # prefix with little more than the cursor's line. Smaller steps are powers of two, so they
    # still land on the same few starts from one keystroke to the next.
    step = WINDOW_STEP_LINES
    while step > 1 and -(-earliest // step) * step - earliest > (cursor_line - earliest) // 2:
        step //= 2
    aligned = -(-earliest // step) * step
    return min(aligned, cursor_line)


def extract(
    lines: Sequence[str],
    cursor_line: int,
    cursor_index: int,
    *,
    max_prefix_chars: int,
    max_suffix_chars: int,
    language_id: str = "",
    uri: str = "",
) -> FimContext:
    """Cut the prefix and suffix around (cursor_line, cursor_index) within the budgets.

    Cost is O(budget), never O(file): only the lines inside the window are touched.
    """
    current = lines[cursor_line]
    line_prefix, line_suffix = current[:cursor_index], current[cursor_index:]

    start = window_start(lines, cursor_line, cursor_index, max_prefix_chars)
    if len(line_prefix) > max_prefix_chars:
        # One enormous line: cut inside it, the only choice left.
        prefix = line_prefix[-max_prefix_chars:]
    else:
        prefix = "\n".join([*lines[start:cursor_line], line_prefix])

    suffix_parts = [line_suffix[:max_suffix_chars]]
    used = len(suffix_parts[0])
    end = cursor_line + 1
    while end < len(lines) and used + 1 + len(lines[end]) <= max_suffix_chars:
        suffix_parts.append(lines[end])
        used += 1 + len(lines[end])
        end += 1
    return FimContext(
        prefix=prefix,
        suffix="\n".join(suffix_parts),
        line_prefix=line_prefix,
        line_suffix=line_suffix,
        language_id=language_id,
        uri=uri,
        prefix_start_line=start,
        cursor_line=cursor_line,
        prefix_truncated=start > 0 or len(line_prefix) > max_prefix_chars,
        suffix_truncated=end < len(lines) or len(line_suffix) > max_suffix_chars,
    )


def as_if_accepted(ctx: FimContext, text: str, replace_chars: int = 0) -> FimContext:
    """The context the cursor will have once `text` is inserted, replacing `replace_chars`
    characters right of the cursor (what prefetch asks about, and partial accepts lead to)."""
    prefix = ctx.prefix + text
    line_suffix = ctx.line_suffix[replace_chars:]
    suffix = line_suffix + ctx.suffix[len(ctx.line_suffix) :]
    last_newline = prefix.rfind("\n")
    line_prefix = prefix[last_newline + 1 :] if "\n" in text else ctx.line_prefix + text
    return attrs.evolve(
        ctx,
        prefix=prefix,
        suffix=suffix,
        line_prefix=line_prefix,
        line_suffix=line_suffix,
        cursor_line=ctx.cursor_line + text.count("\n"),
    )
