"""The prompt budget against a server's context window (what `check` warns about)."""

from __future__ import annotations

import pytest

from codestral_ls.budget import WindowShortfall, budget_tokens, window_shortfall
from codestral_ls.config import Settings

DEFAULTS = Settings()  # 6000 + 2000 characters, 256 tokens to answer


def test_the_default_budget_in_tokens() -> None:
    assert budget_tokens(DEFAULTS) == 2667 + 16 + 256


@pytest.mark.parametrize(
    ("settings", "window", "expected"),
    [
        (DEFAULTS, 32768, None),
        (DEFAULTS, 4096, None),
        (DEFAULTS, 2939, None),  # exactly enough
        (DEFAULTS, 2938, WindowShortfall(2939, 2938, 5900)),
        (DEFAULTS, 2048, WindowShortfall(2939, 2048, 3300)),
        (Settings(max_prefix_chars=20000), 4096, WindowShortfall(7606, 4096, 9400)),
        (Settings(max_suffix_chars=6000, max_tokens=1000), 2048, WindowShortfall(5016, 2048, 0)),
        (DEFAULTS, 0, None),  # a server that reports no window: nothing to say
    ],
)
def test_window_shortfall(settings: Settings, window: int, expected: WindowShortfall | None) -> None:
    assert window_shortfall(settings, window) == expected


def test_the_suggested_prefix_fits() -> None:
    shortfall = window_shortfall(DEFAULTS, 2048)
    assert shortfall is not None
    fitted = Settings(max_prefix_chars=shortfall.fitting_prefix_chars)
    assert window_shortfall(fitted, 2048) is None
