"""cache: keys from the text around the cursor, size and age bounds, typing-through reuse."""

from __future__ import annotations

import pytest

from codestral_ls.cache import (
    KEY_PREFIX_CHARS,
    KEY_SUFFIX_CHARS,
    RECENT_SUGGESTIONS,
    CompletionCache,
    cache_key,
    typed_through,
)
from codestral_ls.context import FimContext
from codestral_ls.core import Suggestion


def ctx(prefix: str, suffix: str = "") -> FimContext:
    return FimContext(
        prefix=prefix,
        suffix=suffix,
        line_prefix=prefix.rsplit("\n", 1)[-1],
        line_suffix=suffix.split("\n", 1)[0],
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


FAR = "# far away\n" * 400  # 4,400 chars: well beyond the key's reach in both directions
BODY = "def add(a, b):\n    "
TAIL = "\n\nprint(add(1, 2))\n"


# ---- cache_key -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "suffix", "key"),
    [
        pytest.param("", "", ("", ""), id="empty"),
        pytest.param("abc", "xyz", ("abc", "xyz"), id="short"),
        pytest.param(
            "p" * 5000 + "END",
            "START" + "s" * 5000,
            ("p" * (KEY_PREFIX_CHARS - 3) + "END", "START" + "s" * (KEY_SUFFIX_CHARS - 5)),
            id="long",
        ),
    ],
)
def test_cache_key(prefix: str, suffix: str, key: tuple[str, str]) -> None:
    assert cache_key(ctx(prefix, suffix)) == key


# ---- hits and misses after edits -------------------------------------------------------------

ORIGIN = ctx(FAR + BODY, TAIL + FAR)


@pytest.mark.parametrize(
    ("after_edit", "hit"),
    [
        pytest.param(ORIGIN, True, id="same-context"),
        pytest.param(ctx("# edited\n" + FAR + BODY, TAIL + FAR), True, id="edit-far-above"),
        pytest.param(ctx(FAR[100:] + BODY, TAIL + FAR), True, id="window-moved-far-above"),
        pytest.param(ctx(FAR + BODY, TAIL + FAR + "# edited\n"), True, id="edit-far-below"),
        pytest.param(ctx(FAR + BODY, TAIL + FAR[:-200]), True, id="suffix-window-shrank-far-below"),
        pytest.param(ctx(FAR + BODY + "r", TAIL + FAR), False, id="typed-at-cursor"),
        pytest.param(ctx(FAR + BODY[:-1], TAIL + FAR), False, id="deleted-at-cursor"),
        pytest.param(ctx(FAR + "def add(a, c):\n    ", TAIL + FAR), False, id="edit-just-above"),
        pytest.param(ctx(FAR + BODY, "\n\nprint(add(1, 3))\n" + FAR), False, id="edit-just-below"),
        pytest.param(ctx(FAR[:-1000] + "# x\n" + FAR[-1000:] + BODY, TAIL + FAR), False, id="edit-inside-key-prefix"),
        pytest.param(ctx(FAR + BODY, TAIL + FAR[:300] + "# x\n" + FAR[300:]), False, id="edit-inside-key-suffix"),
    ],
)
def test_hits_and_misses_after_an_edit(after_edit: FimContext, hit: bool) -> None:
    cache = CompletionCache(max_entries=8, ttl_s=60)
    suggestion = Suggestion("return a + b")
    cache.put(ORIGIN, suggestion)
    assert cache.get(after_edit) == (suggestion if hit else None)
    assert cache.hits == (1 if hit else 0)


@pytest.mark.parametrize(
    ("elapsed_s", "hit"),
    [
        pytest.param(0.0, True, id="fresh"),
        pytest.param(29.9, True, id="just-before-ttl"),
        pytest.param(30.0, False, id="at-ttl"),
        pytest.param(3600.0, False, id="long-after"),
    ],
)
def test_ttl_expiry(elapsed_s: float, hit: bool) -> None:
    clock = FakeClock()
    cache = CompletionCache(max_entries=8, ttl_s=30, clock=clock)
    cache.put(ORIGIN, Suggestion("x"))
    clock.now += elapsed_s
    assert (cache.get(ORIGIN) is not None) is hit


def test_ttl_counts_from_the_last_put() -> None:
    clock = FakeClock()
    cache = CompletionCache(max_entries=8, ttl_s=30, clock=clock)
    cache.put(ORIGIN, Suggestion("old"))
    clock.now += 20
    cache.put(ORIGIN, Suggestion("new"))
    clock.now += 20
    assert cache.get(ORIGIN) == Suggestion("new")


def test_size_bound_evicts_least_recently_used() -> None:
    cache = CompletionCache(max_entries=2, ttl_s=60)
    a, b, c = ctx("a = 1\n"), ctx("b = 2\n"), ctx("c = 3\n")
    cache.put(a, Suggestion("A"))
    cache.put(b, Suggestion("B"))
    assert cache.get(a) == Suggestion("A")  # a is now the most recently used
    cache.put(c, Suggestion("C"))
    assert [cache.get(x) for x in (a, b, c)] == [Suggestion("A"), None, Suggestion("C")]
    assert cache.hits == 3


def test_size_zero_disables_the_cache_but_not_typing_through() -> None:
    cache = CompletionCache(max_entries=0, ttl_s=60)
    cache.put(ORIGIN, Suggestion("return a + b"))
    assert cache.get(ORIGIN) is None and cache.hits == 0
    cache.remember_shown(ORIGIN, Suggestion("return a + b"))
    assert cache.through(ctx(FAR + BODY + "ret", TAIL + FAR)) == Suggestion("urn a + b")
    cache.clear()  # must not fail without entries
    assert cache.through(ctx(FAR + BODY + "ret", TAIL + FAR)) is None


def test_clear_forgets_entries_and_shown_suggestions() -> None:
    cache = CompletionCache(max_entries=8, ttl_s=60)
    cache.put(ORIGIN, Suggestion("return a + b"))
    cache.remember_shown(ORIGIN, Suggestion("return a + b"))
    cache.clear()
    assert cache.get(ORIGIN) is None
    assert cache.through(ctx(FAR + BODY + "r", TAIL + FAR)) is None


# ---- typing through ----------------------------------------------------------------------------

SHOWN = Suggestion("return a + b", replace_chars=0)
MULTI = Suggestion("if a:\n        return b\n    return a", replace_chars=1)


@pytest.mark.parametrize(
    ("suggestion", "new_prefix", "new_suffix", "rest"),
    [
        pytest.param(SHOWN, BODY + "r", TAIL, Suggestion("eturn a + b"), id="one-char"),
        pytest.param(SHOWN, BODY + "return", TAIL, Suggestion(" a + b"), id="a-word"),
        pytest.param(SHOWN, BODY + "return a + ", TAIL, Suggestion("b"), id="all-but-last"),
        pytest.param(SHOWN, BODY + "return a + b", TAIL, None, id="full-text-typed"),
        pytest.param(SHOWN, BODY + "return a + bc", TAIL, None, id="typed-past-the-end"),
        pytest.param(SHOWN, BODY + "x", TAIL, None, id="mismatch-first-char"),
        pytest.param(SHOWN, BODY + "retrun", TAIL, None, id="mismatch-later"),
        pytest.param(SHOWN, BODY, TAIL, None, id="nothing-typed"),
        pytest.param(SHOWN, BODY[:-1], TAIL, None, id="deleted-instead"),
        pytest.param(SHOWN, BODY + "ret", "\n\nprint(add(1, 3))\n", None, id="different-suffix"),
        pytest.param(SHOWN, "def add(a, c):\n    ret", TAIL, None, id="text-before-the-typing-changed"),
        pytest.param(SHOWN, "# new line\n" + BODY + "ret", TAIL, Suggestion("urn a + b"), id="edit-beyond-anchor"),
        pytest.param(Suggestion("foo()\n"), BODY + "foo()", TAIL, None, id="only-whitespace-left"),
        pytest.param(Suggestion("a  b"), BODY + "a ", TAIL, Suggestion(" b"), id="rest-starting-with-space"),
        pytest.param(
            MULTI,
            BODY + "if a",
            TAIL,
            Suggestion(":\n        return b\n    return a", 1),
            id="multi-line-keeps-replace-chars",
        ),
        pytest.param(
            MULTI, BODY + "if a:\n", TAIL, Suggestion("        return b\n    return a", 1), id="typed-the-newline"
        ),
        pytest.param(
            MULTI,
            BODY + "if a:\n        ",
            TAIL,
            Suggestion("return b\n    return a", 1),
            id="typed-across-newline-and-indent",
        ),
        pytest.param(
            MULTI, BODY + "if a:\n        return b\n    ret", TAIL, Suggestion("urn a", 1), id="typed-two-lines"
        ),
        pytest.param(
            MULTI, BODY + "if a:\n    ", TAIL, Suggestion("    return b\n    return a", 1), id="part-of-the-indent"
        ),
        pytest.param(MULTI, BODY + "if a:\n\t", TAIL, None, id="tab-instead-of-spaces"),
        pytest.param(Suggestion("é中😀!"), BODY + "é中😀", TAIL, Suggestion("!"), id="non-ascii"),
    ],
)
def test_typed_through(suggestion: Suggestion, new_prefix: str, new_suffix: str, rest: Suggestion | None) -> None:
    origin = ctx(BODY, TAIL)
    anchor, suffix_head = origin.prefix[-300:], origin.suffix[:KEY_SUFFIX_CHARS]
    assert typed_through(anchor, suffix_head, suggestion, ctx(new_prefix, new_suffix)) == rest


def test_through_serves_the_rest_and_counts() -> None:
    cache = CompletionCache(max_entries=8, ttl_s=60)
    origin = ctx(FAR + BODY, TAIL + FAR)
    cache.remember_shown(origin, SHOWN)
    results = [cache.through(ctx(FAR + BODY + typed, TAIL + FAR)) for typed in ("r", "re", "ret", "x", "return a + b")]
    assert results == [Suggestion("eturn a + b"), Suggestion("turn a + b"), Suggestion("urn a + b"), None, None]
    assert cache.through_hits == 3


def test_through_prefers_the_most_recent_suggestion() -> None:
    cache = CompletionCache(max_entries=8, ttl_s=60)
    origin = ctx(BODY, TAIL)
    cache.remember_shown(origin, Suggestion("return a + b"))
    cache.remember_shown(origin, Suggestion("return b + a"))
    assert cache.through(ctx(BODY + "return ", TAIL)) == Suggestion("b + a")
    assert cache.through(ctx(BODY + "return a", TAIL)) == Suggestion(" + b")


def test_through_remembers_a_bounded_number_of_suggestions() -> None:
    cache = CompletionCache(max_entries=8, ttl_s=60)
    first = ctx("def first_function():\n    ", TAIL)
    cache.remember_shown(first, Suggestion("pass_first"))
    for i in range(RECENT_SUGGESTIONS - 1):
        cache.remember_shown(ctx(f"def other_{i}():\n    ", TAIL), Suggestion(f"pass_{i}"))
    assert cache.through(ctx("def first_function():\n    pass", TAIL)) == Suggestion("_first")
    cache.remember_shown(ctx("def one_more():\n    ", TAIL), Suggestion("pass_more"))
    assert cache.through(ctx("def first_function():\n    pass", TAIL)) is None
