"""Pure: does the configured prompt budget fit a server's context window, and what would?

The budget is counted in characters (`maxPrefixChars`, `maxSuffixChars`) while servers count
tokens. Code runs at about 3 to 4 characters per token with Codestral's tokenizer; 3 is used
here so that a warning comes early rather than after the server has cut the prompt.
"""

from __future__ import annotations

import math

import attrs

from .config import Settings

CHARS_PER_TOKEN = 3.0
# The FIM control tokens and the template around prefix and suffix.
TEMPLATE_TOKENS = 16


@attrs.frozen
class WindowShortfall:
    """The budget in tokens, the server's window, and the `maxPrefixChars` that would fit."""

    budget_tokens: int
    window_tokens: int
    fitting_prefix_chars: int  # 0: even an empty prefix does not fit (lower maxSuffixChars or maxTokens)


def budget_tokens(settings: Settings) -> int:
    """Tokens one request may need: prefix and suffix at their budgets, the template, the answer."""
    prompt_chars = settings.max_prefix_chars + settings.max_suffix_chars
    return math.ceil(prompt_chars / CHARS_PER_TOKEN) + TEMPLATE_TOKENS + settings.max_tokens


def window_shortfall(settings: Settings, window_tokens: int) -> WindowShortfall | None:
    """None when the budget fits `window_tokens`; else by how much it does not, and what would fit."""
    needed = budget_tokens(settings)
    if window_tokens <= 0 or needed <= window_tokens:
        return None
    room = (
        window_tokens - TEMPLATE_TOKENS - settings.max_tokens - math.ceil(settings.max_suffix_chars / CHARS_PER_TOKEN)
    )
    fitting = max(0, int(room * CHARS_PER_TOKEN) // 100 * 100)  # rounded down to a friendly number
    return WindowShortfall(needed, window_tokens, fitting)
