"""The streaming filter chain's front door (a first, basic version; see issue 6)."""

from __future__ import annotations

import attrs

from ..context import FimContext


@attrs.frozen
class Suggestion:
    """What the user sees: insert `text` at the cursor, replacing `replace_chars` code points
    of the cursor line after it (closers the suggestion also produces)."""

    text: str
    replace_chars: int = 0


@attrs.frozen
class CompletionPlan:
    multiline: bool
    stop: tuple[str, ...]
    max_tokens: int


def plan_completion(ctx: FimContext, multiline_setting: str, max_tokens: int) -> CompletionPlan:
    if multiline_setting == "always":
        multiline = True
    elif multiline_setting == "never":
        multiline = False
    else:
        # Mid-line (code right of the cursor) -> finish this line only.
        multiline = ctx.line_suffix.strip() == ""
    stop = () if multiline else ("\n",)
    return CompletionPlan(multiline=multiline, stop=stop, max_tokens=max_tokens)


class SuggestionFilter:
    def __init__(self, ctx: FimContext, plan: CompletionPlan) -> None:
        self.ctx = ctx
        self.plan = plan
        self._parts: list[str] = []
        self._complete = False

    @property
    def raw(self) -> str:
        return "".join(self._parts)

    def feed(self, chunk: str) -> bool:
        self._parts.append(chunk)
        if not self.plan.multiline and "\n" in chunk:
            self._complete = True
        return self._complete

    def finish(self) -> Suggestion | None:
        text = self.raw
        if not self.plan.multiline:
            text = text.split("\n", 1)[0]
        text = text.rstrip()
        if not text.strip():
            return None
        if self.ctx.suffix.startswith(text) or self.ctx.prefix.endswith(text):
            return None
        return Suggestion(text=text)
