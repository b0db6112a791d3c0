"""Where a prompt sits in the original file, and what a perfect model answers."""

from __future__ import annotations

import pytest

from codestral_ls.bench.continuation import (
    apply_stop,
    corrupt,
    find_continuation,
    prompt_seed,
    shape_like_a_model,
    split_tokens,
)

ORIGINAL = (
    "def add(a, b):\n    total = a + b\n    return total\n\ndef sub(a, b):\n    total = a - b\n    return total\n"
)


def test_finds_the_true_middle_between_prefix_and_suffix() -> None:
    cut = ORIGINAL.index("a + b")
    end = ORIGINAL.index("\n    return total")
    found = find_continuation(ORIGINAL, ORIGINAL[:cut], ORIGINAL[end:])
    assert found is not None
    assert found.start == cut
    assert found.text == "a + b"


def test_repeated_code_resolves_by_the_suffix() -> None:
    # "    total = " occurs twice; only the second is followed by this suffix.
    prefix = "    total = "
    suffix = "\n    return total\n"
    found = find_continuation(ORIGINAL, prefix, suffix)
    assert found is not None
    assert found.text == "a - b"
    first = find_continuation(ORIGINAL, "def add(a, b):\n    total = ", "\n    return total\n\ndef sub")
    assert first is not None and first.text == "a + b"


def test_unknown_prefix_gives_none() -> None:
    assert find_continuation(ORIGINAL, "    totl = ", "\n") is None


def test_empty_suffix_runs_to_the_end() -> None:
    found = find_continuation(ORIGINAL, "def sub(a, b):\n", "")
    assert found is not None
    assert found.text == "    total = a - b\n    return total\n"


@pytest.mark.parametrize(
    ("middle", "line_prefix", "expected"),
    [
        ("a + b\n    return total", "    total = ", "a + b"),  # mid-line: rest of the line
        ("total = a + b\n    return total\n\ndef x", "    ", "total = a + b\n    return total"),
        ("x\ny\nz\nw", "", "x\ny\nz"),  # at most three lines
        ("", "    ", ""),
        ("\n    return total", "    total = a + b", "\n    return total"),
    ],
)
def test_shape_like_a_model(middle: str, line_prefix: str, expected: str) -> None:
    assert shape_like_a_model(middle, line_prefix) == expected


def test_apply_stop_cuts_at_the_first_stop() -> None:
    assert apply_stop("abc\ndef", ["\n"]) == "abc"
    assert apply_stop("abc;def\n", ["\n", ";"]) == "abc"
    assert apply_stop("abc", []) == "abc"


def test_corrupt_is_deterministic_and_different() -> None:
    text = "total = a + b"
    assert corrupt(text, 3) == corrupt(text, 3)
    assert corrupt(text, 3) != text


def test_prompt_seed_depends_on_the_prompt_tail_and_salt() -> None:
    assert prompt_seed("x" * 500 + "abc", 1) == prompt_seed("y" * 500 + "x" * 500 + "abc", 1)
    assert prompt_seed("abc", 1) != prompt_seed("abc", 2)


def test_split_tokens_roundtrips() -> None:
    text = "    return total  # done\n"
    assert "".join(split_tokens(text)) == text
