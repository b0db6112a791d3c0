"""positions: LSP columns in utf-8 / utf-16 / utf-32 units <-> Python code-point indices."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest

from codestral_ls.documents import Document
from codestral_ls.positions import (
    column_to_index,
    column_to_index_near,
    index_to_column,
    index_to_column_near,
    units,
)

ENCODINGS = ("utf-8", "utf-16", "utf-32")
COMBINING = "e\u0301"  # e + COMBINING ACUTE ACCENT: one glyph, two code points
# ASCII, 2-byte, 3-byte, 4-byte (astral, a surrogate pair in utf-16), combining mark, tab.
MIXED = "a é 中 😀" + COMBINING + "\tz👍🏽"


@pytest.mark.parametrize(
    ("text", "utf8", "utf16", "utf32"),
    [
        pytest.param("", 0, 0, 0, id="empty"),
        pytest.param("abc", 3, 3, 3, id="ascii"),
        pytest.param("é", 2, 1, 1, id="e-acute-2-bytes"),
        pytest.param("中", 3, 1, 1, id="cjk-3-bytes"),
        pytest.param("中文字", 9, 3, 3, id="cjk-run"),
        pytest.param("😀", 4, 2, 1, id="emoji-astral"),
        pytest.param("😀😀", 8, 4, 2, id="two-emoji"),
        pytest.param(COMBINING, 3, 2, 2, id="combining-mark"),
        pytest.param("👍🏽", 8, 4, 2, id="emoji-with-skin-tone-modifier"),
        pytest.param("\u07ff\u0800\uffff\U00010000", 2 + 3 + 3 + 4, 1 + 1 + 1 + 2, 4, id="width-boundaries"),
        pytest.param("x = '😀'  # 中", 17, 13, 12, id="code-line"),
    ],
)
def test_units(text: str, utf8: int, utf16: int, utf32: int) -> None:
    assert (units(text, "utf-8"), units(text, "utf-16"), units(text, "utf-32")) == (utf8, utf16, utf32)
    # The reference: the real encoders.
    assert utf8 == len(text.encode("utf-8"))
    assert utf16 == len(text.encode("utf-16-le")) // 2
    assert utf32 == len(text)


@pytest.mark.parametrize(
    ("line", "column", "encoding", "expected"),
    [
        # ASCII: column == index, up to and including the end.
        pytest.param("abc", 0, "utf-16", 0, id="ascii-start"),
        pytest.param("abc", 2, "utf-8", 2, id="ascii-middle"),
        pytest.param("abc", 3, "utf-32", 3, id="ascii-end"),
        pytest.param("abc", 4, "utf-16", None, id="ascii-past-end"),
        pytest.param("abc", 4, "utf-8", None, id="ascii-past-end-utf8"),
        pytest.param("abc", -1, "utf-16", None, id="negative"),
        pytest.param("", 0, "utf-8", 0, id="empty-line-start"),
        pytest.param("", 1, "utf-16", None, id="empty-line-past-end"),
        # é: 2 utf-8 bytes, 1 utf-16 unit.
        pytest.param("é!", 1, "utf-16", 1, id="e-acute-utf16-after"),
        pytest.param("é!", 1, "utf-8", 0, id="e-acute-utf8-mid-sequence-rounds-down"),
        pytest.param("é!", 2, "utf-8", 1, id="e-acute-utf8-after"),
        pytest.param("é!", 3, "utf-8", 2, id="e-acute-utf8-end"),
        pytest.param("é!", 4, "utf-8", None, id="e-acute-utf8-past-end"),
        # 中: 3 utf-8 bytes.
        pytest.param("中x", 1, "utf-8", 0, id="cjk-utf8-byte-1"),
        pytest.param("中x", 2, "utf-8", 0, id="cjk-utf8-byte-2"),
        pytest.param("中x", 3, "utf-8", 1, id="cjk-utf8-after"),
        pytest.param("中x", 4, "utf-8", 2, id="cjk-utf8-end"),
        pytest.param("中x", 1, "utf-16", 1, id="cjk-utf16-after"),
        pytest.param("中x", 3, "utf-16", None, id="cjk-utf16-past-end"),
        pytest.param("中x", 2, "utf-32", 2, id="cjk-utf32-end"),
        # 😀: 4 utf-8 bytes, a utf-16 surrogate pair, 1 utf-32 unit.
        pytest.param("😀x", 1, "utf-16", 0, id="emoji-utf16-mid-surrogate-rounds-down"),
        pytest.param("😀x", 2, "utf-16", 1, id="emoji-utf16-after"),
        pytest.param("😀x", 3, "utf-16", 2, id="emoji-utf16-end"),
        pytest.param("😀x", 4, "utf-16", None, id="emoji-utf16-past-end"),
        pytest.param("😀x", 3, "utf-8", 0, id="emoji-utf8-byte-3-rounds-down"),
        pytest.param("😀x", 4, "utf-8", 1, id="emoji-utf8-after"),
        pytest.param("😀x", 5, "utf-8", 2, id="emoji-utf8-end"),
        pytest.param("😀x", 6, "utf-8", None, id="emoji-utf8-past-end"),
        pytest.param("😀x", 1, "utf-32", 1, id="emoji-utf32-after"),
        pytest.param("😀x", 3, "utf-32", None, id="emoji-utf32-past-end"),
        pytest.param("ab😀", 3, "utf-16", 2, id="emoji-at-end-utf16-mid-surrogate"),
        pytest.param("ab😀", 4, "utf-16", 3, id="emoji-at-end-utf16-end"),
        pytest.param("ab😀", 6, "utf-8", 3, id="emoji-at-end-utf8-end"),
        pytest.param("ab😀", 7, "utf-8", None, id="emoji-at-end-utf8-past-end"),
        pytest.param("ab😀", 5, "utf-8", 2, id="emoji-at-end-utf8-inside"),
        # Combining marks are separate code points: columns may land between base and mark.
        pytest.param(COMBINING + "x", 1, "utf-16", 1, id="combining-utf16-between-base-and-mark"),
        pytest.param(COMBINING + "x", 2, "utf-16", 2, id="combining-utf16-after"),
        pytest.param(COMBINING + "x", 1, "utf-8", 1, id="combining-utf8-after-base"),
        pytest.param(COMBINING + "x", 2, "utf-8", 1, id="combining-utf8-mid-mark"),
        pytest.param(COMBINING + "x", 3, "utf-8", 2, id="combining-utf8-after-mark"),
        pytest.param(COMBINING + "x", 4, "utf-8", 3, id="combining-utf8-end"),
        # A lone surrogate (a client's bad JSON escape) is one utf-16 unit, three utf-8 bytes.
        pytest.param("a\ud800b", 2, "utf-16", 2, id="lone-surrogate-utf16-after"),
        pytest.param("a\ud800b", 3, "utf-16", 3, id="lone-surrogate-utf16-end"),
        pytest.param("a\ud800b", 4, "utf-16", None, id="lone-surrogate-utf16-past-end"),
        pytest.param("a\ud800b", 2, "utf-8", 1, id="lone-surrogate-utf8-inside"),
        pytest.param("a\ud800b", 4, "utf-8", 2, id="lone-surrogate-utf8-after"),
        pytest.param("a\ud800b", 5, "utf-8", 3, id="lone-surrogate-utf8-end"),
        pytest.param("a\ud800b", 6, "utf-8", None, id="lone-surrogate-utf8-past-end"),
    ],
)
def test_column_to_index(line: str, column: int, encoding: str, expected: int | None) -> None:
    assert column_to_index(line, column, encoding) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "index", "utf8", "utf16", "utf32"),
    [
        pytest.param("abc", 2, 2, 2, 2, id="ascii"),
        pytest.param("é!", 1, 2, 1, 1, id="after-e-acute"),
        pytest.param("中文x", 2, 6, 2, 2, id="after-two-cjk"),
        pytest.param("😀x", 1, 4, 2, 1, id="after-emoji"),
        pytest.param("😀x", 2, 5, 3, 2, id="end-after-emoji"),
        pytest.param(COMBINING + "x", 1, 1, 1, 1, id="between-base-and-mark"),
        pytest.param(COMBINING + "x", 2, 3, 2, 2, id="after-mark"),
        pytest.param("", 0, 0, 0, 0, id="empty"),
    ],
)
def test_index_to_column(line: str, index: int, utf8: int, utf16: int, utf32: int) -> None:
    got = tuple(index_to_column(line, index, e) for e in ENCODINGS)  # type: ignore[arg-type]
    assert got == (utf8, utf16, utf32)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(
    "line",
    [
        pytest.param(MIXED, id="mixed"),
        pytest.param("😀😀😀", id="only-emoji"),
        pytest.param("中文" * 5, id="only-cjk"),
        pytest.param("plain ascii", id="ascii"),
        pytest.param("", id="empty"),
    ],
)
def test_round_trip_every_index(line: str, encoding: str) -> None:
    for index in range(len(line) + 1):
        column = index_to_column(line, index, encoding)  # type: ignore[arg-type]
        assert column_to_index(line, column, encoding) == index  # type: ignore[arg-type]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_column_maps_to_the_character_containing_it(encoding: str) -> None:
    """Each column up to the end maps to the start of the character it falls in; past the end, None."""
    codec = {"utf-8": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}[encoding]
    width = {"utf-8": 1, "utf-16": 2, "utf-32": 4}[encoding]
    starts: list[int] = []  # column at which each code point starts
    column = 0
    for char in MIXED:
        starts.append(column)
        column += len(char.encode(codec)) // width
    total = column
    assert units(MIXED, encoding) == total  # type: ignore[arg-type]
    for column in range(total + 1):
        expected = len(MIXED) if column == total else max(i for i, s in enumerate(starts) if s <= column)
        assert column_to_index(MIXED, column, encoding) == expected, column  # type: ignore[arg-type]
        # Back to a column: exact on a boundary, the containing character's start otherwise.
        back = index_to_column(MIXED, expected, encoding)  # type: ignore[arg-type]
        assert back == (column if column in starts or column == total else starts[expected])
    assert column_to_index(MIXED, total + 1, encoding) is None  # type: ignore[arg-type]


def _reference_index(line: str, column: int, encoding: str) -> int | None:
    codec, width = {"utf-8": ("utf-8", 1), "utf-16": ("utf-16-le", 2), "utf-32": ("utf-32-le", 4)}[encoding]
    seen = 0
    for index, char in enumerate(line):
        size = len(char.encode(codec, "surrogatepass")) // width
        if seen + size > column:
            return index
        seen += size
    return len(line) if column == seen else None


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_matches_a_per_character_reference_on_random_lines(encoding: str) -> None:
    rng = random.Random(10)
    alphabet = "ab \té中😀👍\u0301\U0001f3fd\u07ff\u0800\uffff\U00010000"
    for _ in range(300):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        total = units(line, encoding)  # type: ignore[arg-type]
        for column in range(total + 3):
            assert column_to_index(line, column, encoding) == _reference_index(line, column, encoding), (  # type: ignore[arg-type]
                line,
                column,
            )


def _python_steps(work: Callable[[], object]) -> int:
    """How many Python-level calls and lines `work` runs: C-speed work counts as one step."""
    steps = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal steps
        steps += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        work()
    finally:
        sys.settrace(previous)
    return steps


LONG_LINE_UNIT = "s = 'naïve 中文 😀'; "


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda line, enc: column_to_index(line, units(line, enc) - 1, enc), id="column_to_index"),
        pytest.param(lambda line, enc: index_to_column(line, len(line) - 1, enc), id="index_to_column"),
        pytest.param(lambda line, enc: units(line, enc), id="units"),
    ],
)
def test_conversion_work_in_python_does_not_grow_with_the_line(
    operation: Callable[[str, str], object], encoding: str
) -> None:
    """A keystroke at the end of a long non-ASCII line must not walk it character by character."""
    short, long = LONG_LINE_UNIT * 10, LONG_LINE_UNIT * 10_000
    assert _python_steps(lambda: operation(short, encoding)) == _python_steps(lambda: operation(long, encoding))


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_keystroke_in_the_store_does_not_grow_with_the_line(encoding: str) -> None:
    def keystroke_steps(repeat: int) -> int:
        line = LONG_LINE_UNIT * repeat
        document = Document.from_text("file:///long.py", "python", 1, line)
        column = units(line, encoding)  # type: ignore[arg-type]

        def keystroke() -> None:
            document.apply_change((0, column), (0, column), "x", encoding)  # type: ignore[arg-type]
            document.offset_of(0, column + 1, encoding)  # type: ignore[arg-type]

        return _python_steps(keystroke)

    assert keystroke_steps(10) == keystroke_steps(10_000)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_conversions_near_a_known_pair_agree_with_the_full_ones(encoding: str) -> None:
    """From any exact (column, index) pair, forwards and backwards, inside characters and past the end."""
    rng = random.Random(f"near-{encoding}")
    alphabet = "ab é中😀\u0301\U0001f3fd\ud800"
    for _ in range(200):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        total = units(line, encoding)  # type: ignore[arg-type]
        known_index = rng.randint(0, len(line))
        known = (index_to_column(line, known_index, encoding), known_index)  # type: ignore[arg-type]
        for column in range(-1, total + 3):
            assert column_to_index_near(line, column, encoding, known) == column_to_index(line, column, encoding), (  # type: ignore[arg-type]
                line,
                column,
                known,
            )
        for index in range(len(line) + 1):
            assert index_to_column_near(line, index, encoding, known) == index_to_column(line, index, encoding)  # type: ignore[arg-type]
