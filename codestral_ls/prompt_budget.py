"""Pure: how many characters of prefix and suffix a prompt may carry, and cutting a context to fit.

The settings give the budget (`maxPrefixChars`, `maxSuffixChars`). A local server started with a
small context window (llama.cpp `-c 2048`) refuses longer prompts; the pipeline then shrinks the
budget with `shrink_for_window` and cuts the context it already has with `fit_context`.
"""

from __future__ import annotations

import attrs

from .context import FimContext

# Characters per token assumed when turning a window in tokens into characters. Code averages
# 3-4 characters per token; the low end keeps the shrunk prompt inside the window.
CHARS_PER_TOKEN = 3
# Tokens kept free besides the suggestion: FIM control tokens, a template's own text.
RESERVED_TOKENS = 64
# Below this a prompt says too little to be worth sending; shrinking stops here.
MIN_PROMPT_CHARS = 256


@attrs.frozen
class PromptBudget:
    prefix_chars: int
    suffix_chars: int

    @property
    def total(self) -> int:
        return self.prefix_chars + self.suffix_chars


def shrink_for_window(budget: PromptBudget, *, n_ctx: int | None, max_tokens: int) -> PromptBudget | None:
    """A smaller budget after the server refused a prompt as too long, or None when it cannot shrink.

    With the window size known, the prompt gets what the window leaves after the suggestion's
    tokens; without it, half of what it had. The prefix/suffix ratio of `budget` is kept.
    """
    target = budget.total // 2
    if n_ctx is not None and n_ctx > 0:
        from_window = max(0, n_ctx - max_tokens - RESERVED_TOKENS) * CHARS_PER_TOKEN
        # An estimate at or above what was just refused is wrong for this text: halve instead.
        if from_window < budget.total:
            target = from_window
    target = max(target, MIN_PROMPT_CHARS)
    if target >= budget.total:
        return None
    prefix = round(target * budget.prefix_chars / budget.total) if budget.total else target
    return PromptBudget(prefix_chars=prefix, suffix_chars=target - prefix)


def fit_context(ctx: FimContext, budget: PromptBudget) -> FimContext:
    """`ctx` with its prefix and suffix cut to `budget`, on line boundaries where a line is left.

    The text nearest the cursor is what is kept: the end of the prefix, the start of the suffix.
    """
    prefix, suffix = ctx.prefix, ctx.suffix
    prefix_cut = len(prefix) > budget.prefix_chars
    suffix_cut = len(suffix) > budget.suffix_chars
    if prefix_cut:
        prefix = prefix[len(prefix) - budget.prefix_chars :] if budget.prefix_chars else ""
        newline = prefix.find("\n")
        if newline >= 0:
            prefix = prefix[newline + 1 :]  # drop the partial first line
    if suffix_cut:
        suffix = suffix[: budget.suffix_chars]
        newline = suffix.rfind("\n")
        if newline >= 0:
            suffix = suffix[:newline]  # drop the partial last line
    if not (prefix_cut or suffix_cut):
        return ctx
    return attrs.evolve(
        ctx,
        prefix=prefix,
        suffix=suffix,
        prefix_start_line=ctx.cursor_line - prefix.count("\n"),
        prefix_truncated=ctx.prefix_truncated or prefix_cut,
        suffix_truncated=ctx.suffix_truncated or suffix_cut,
    )
