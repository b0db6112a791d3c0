"""documents: line splitting, incremental edits in every position encoding, positions, flags."""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Callable

import pytest

from codestral_ls.config import Settings, parse_settings
from codestral_ls.documents import Document, DocumentStore, detect_eol, split_lines
from codestral_ls.privacy import refusal, withhold_reason

ENCODINGS = ("utf-8", "utf-16", "utf-32")
_CODEC = {"utf-8": ("utf-8", 1), "utf-16": ("utf-16-le", 2), "utf-32": ("utf-32-le", 4)}


# ---- a reference that edits the joined string, with positions converted by the real codecs ----


def _ref_index(line: str, column: int, encoding: str) -> int:
    """Code-point index of an LSP column, clamped to the line's end, rounded down inside a character."""
    codec, width = _CODEC[encoding]
    seen = 0
    for index, char in enumerate(line):
        size = len(char.encode(codec)) // width
        if seen + size > column:
            return index
        seen += size
    return len(line)


def _ref_offset(text: str, eol: str, line: int, column: int, encoding: str) -> int:
    lines = text.split(eol)
    if line >= len(lines):
        return len(text)
    if line < 0:
        return 0
    before = sum(len(lines[i]) + len(eol) for i in range(line))
    return before + _ref_index(lines[line], max(column, 0), encoding)


def _ref_apply(text: str, eol: str, start: tuple[int, int], end: tuple[int, int], new_text: str, encoding: str) -> str:
    a = _ref_offset(text, eol, *start, encoding)
    b = _ref_offset(text, eol, *end, encoding)
    a, b = min(a, b), max(a, b)
    return text[:a] + new_text + text[b:]


# ---- split_lines / detect_eol -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        pytest.param("", [""], id="empty"),
        pytest.param("abc", ["abc"], id="one-line"),
        pytest.param("a\nb", ["a", "b"], id="lf"),
        pytest.param("a\n", ["a", ""], id="lf-trailing-newline"),
        pytest.param("\n\n", ["", "", ""], id="only-newlines"),
        pytest.param("a\r\nb\r\n", ["a", "b", ""], id="crlf-trailing-newline"),
        pytest.param("a\rb\r", ["a", "b", ""], id="cr"),
        pytest.param("a\r\nb\nc\rd", ["a", "b", "c", "d"], id="mixed"),
        pytest.param("\r\r\n", ["", "", ""], id="cr-then-crlf-is-two-breaks"),
        pytest.param("\n\r", ["", "", ""], id="lf-then-cr-is-two-breaks"),
        # LSP line ends are \r\n, \n and \r only, unlike str.splitlines().
        pytest.param("a\u2028b\x0cc\x85d\x1ce", ["a\u2028b\x0cc\x85d\x1ce"], id="unicode-separators-are-not-line-ends"),
        pytest.param("😀\n中", ["😀", "中"], id="non-ascii"),
    ],
)
def test_split_lines(text: str, lines: list[str]) -> None:
    assert split_lines(text) == lines


@pytest.mark.parametrize(
    ("text", "eol"),
    [
        pytest.param("", "\n", id="empty-defaults-to-lf"),
        pytest.param("abc", "\n", id="no-line-end"),
        pytest.param("a\nb", "\n", id="lf"),
        pytest.param("a\r\nb", "\r\n", id="crlf"),
        pytest.param("\r\nb", "\r\n", id="crlf-at-start"),
        pytest.param("\nb", "\n", id="lf-at-start"),
        pytest.param("a\rb", "\r", id="cr"),
        pytest.param("a\r\nb\nc", "\r\n", id="mixed-first-crlf-wins"),
        pytest.param("a\nb\r\nc", "\n", id="mixed-first-lf-wins"),
        pytest.param("a\r\n", "\r\n", id="crlf-trailing"),
    ],
)
def test_detect_eol(text: str, eol: str) -> None:
    assert detect_eol(text) == eol


# ---- from_text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lines", "eol", "binary"),
    [
        pytest.param("", [""], "\n", False, id="empty"),
        pytest.param("a\r\nb\r\n", ["a", "b", ""], "\r\n", False, id="crlf"),
        pytest.param("x\x00y", ["x\x00y"], "\n", True, id="nul-is-binary"),
        pytest.param("\x7fELF\x02\x01", ["\x7fELF\x02\x01"], "\n", False, id="control-chars-without-nul-are-text"),
    ],
)
def test_from_text(text: str, lines: list[str], eol: str, binary: bool) -> None:
    doc = Document.from_text("file:///a", "python", 3, text)
    assert (doc.lines, doc.eol, doc.binary, doc.char_count, doc.version) == (lines, eol, binary, len(text), 3)
    assert doc.text == text
    assert doc.last_edit_deleted is False


# ---- apply_change ------------------------------------------------------------------------------

EDITS = [
    # (text, start, end, new_text, encoding, expected, deleted)
    pytest.param("abc", (0, 0), (0, 0), "x", "utf-16", "xabc", False, id="insert-at-start"),
    pytest.param("abc\ndef", (0, 3), (0, 3), "!", "utf-16", "abc!\ndef", False, id="insert-at-line-end"),
    pytest.param("abc\ndef", (1, 3), (1, 3), "!", "utf-8", "abc\ndef!", False, id="insert-at-document-end"),
    pytest.param("abc", (0, 1), (0, 1), "\n", "utf-16", "a\nbc", False, id="insert-newline"),
    pytest.param("ac", (0, 1), (0, 1), "b1\nb2\nb", "utf-16", "ab1\nb2\nbc", False, id="insert-multi-line"),
    pytest.param("abc", (0, 1), (0, 2), "", "utf-16", "ac", True, id="delete-char"),
    pytest.param("ab\ncd", (0, 2), (1, 0), "", "utf-16", "abcd", True, id="delete-line-break"),
    pytest.param("ab\ncd\n", (1, 0), (2, 0), "", "utf-16", "ab\n", True, id="delete-whole-line"),
    pytest.param("abc", (0, 1), (0, 2), "XY", "utf-16", "aXYc", False, id="replace-is-not-a-deletion"),
    pytest.param("abc", (0, 1), (0, 1), "", "utf-16", "abc", False, id="empty-edit-is-not-a-deletion"),
    pytest.param(
        "one\ntwo\nthree\nfour", (1, 1), (3, 2), "X\nY", "utf-16", "one\ntX\nYur", False, id="multi-line-replace"
    ),
    pytest.param("one\ntwo\nthree", (0, 3), (2, 0), "", "utf-32", "onethree", True, id="multi-line-delete"),
    pytest.param("ab\ncd", (0, 0), (2, 0), "new", "utf-16", "new", False, id="replace-all-through-range"),
    # Non-ASCII in each encoding.
    pytest.param("a😀b", (0, 3), (0, 4), "", "utf-16", "a😀", True, id="utf16-delete-after-emoji"),
    pytest.param("a😀b", (0, 1), (0, 3), "", "utf-16", "ab", True, id="utf16-delete-emoji"),
    pytest.param("a😀b", (0, 1), (0, 5), "", "utf-8", "ab", True, id="utf8-delete-emoji"),
    pytest.param("a😀b", (0, 1), (0, 2), "", "utf-32", "ab", True, id="utf32-delete-emoji"),
    pytest.param("a😀b", (0, 5), (0, 5), "!", "utf-8", "a😀!b", False, id="utf8-insert-after-emoji"),
    pytest.param("😀", (0, 1), (0, 1), "x", "utf-16", "x😀", False, id="utf16-mid-surrogate-rounds-down"),
    pytest.param("中文", (0, 3), (0, 3), "x", "utf-8", "中x文", False, id="utf8-insert-between-cjk"),
    pytest.param("中文", (0, 1), (0, 1), "x", "utf-16", "中x文", False, id="utf16-insert-between-cjk"),
    pytest.param("中文", (0, 1), (0, 1), "x", "utf-32", "中x文", False, id="utf32-insert-between-cjk"),
    pytest.param("é\n中😀", (0, 2), (1, 3), "→", "utf-8", "é→😀", False, id="utf8-multi-line-replace"),
    pytest.param("é\n中😀", (0, 1), (1, 1), "→", "utf-16", "é→😀", False, id="utf16-multi-line-replace"),
    pytest.param("e\u0301x", (0, 1), (0, 2), "", "utf-16", "ex", True, id="delete-combining-mark-alone"),
    # CRLF and CR documents keep their line ends.
    pytest.param("ab\r\ncd\r\n", (1, 1), (1, 1), "\r\n", "utf-16", "ab\r\nc\r\nd\r\n", False, id="crlf-insert-break"),
    pytest.param("ab\r\ncd", (0, 2), (1, 0), "", "utf-16", "abcd", True, id="crlf-delete-break"),
    pytest.param("ab\r\ncd\r\nef", (0, 1), (2, 1), "X", "utf-16", "aXf", False, id="crlf-multi-line-replace"),
    pytest.param("ab\rcd", (0, 1), (1, 1), "", "utf-16", "ad", True, id="cr-delete-across"),
    # Out-of-range edits are clamped (LSP says so) rather than rejected.
    pytest.param("ab\ncd", (5, 0), (9, 9), "!", "utf-16", "ab\ncd!", False, id="start-and-end-past-end"),
    pytest.param("ab\ncd", (0, 10), (0, 10), "!", "utf-16", "ab!\ncd", False, id="column-past-line-end"),
    pytest.param("ab\ncd", (0, 1), (99, 0), "", "utf-16", "a", True, id="end-past-document-end"),
    pytest.param("ab\ncd", (-1, 0), (0, 1), "", "utf-16", "b\ncd", True, id="negative-line"),
    pytest.param("ab\ncd", (-1, 2), (-1, 2), "!", "utf-16", "!ab\ncd", False, id="negative-line-is-document-start"),
    pytest.param("ab\ncd", (0, -3), (0, -3), "!", "utf-16", "!ab\ncd", False, id="negative-column-is-line-start"),
    pytest.param("ab😀", (0, 9), (0, 9), "!", "utf-8", "ab😀!", False, id="utf8-column-past-end"),
    # Reversed ranges are put the right way round.
    pytest.param("abcdef", (0, 4), (0, 1), "", "utf-16", "aef", True, id="reversed-range"),
    pytest.param("ab\ncd", (1, 1), (0, 1), "X", "utf-16", "aXd", False, id="reversed-multi-line"),
]


@pytest.mark.parametrize(("text", "start", "end", "new_text", "encoding", "expected", "deleted"), EDITS)
def test_apply_change(
    text: str,
    start: tuple[int, int],
    end: tuple[int, int],
    new_text: str,
    encoding: str,
    expected: str,
    deleted: bool,
) -> None:
    doc = Document.from_text("file:///a.py", "python", 1, text)
    doc.apply_change(start, end, new_text, encoding)  # type: ignore[arg-type]
    assert doc.text == expected
    assert doc.lines == split_lines(expected)
    assert doc.char_count == len(expected)
    assert doc.last_edit_deleted is deleted
    # The reference implementation agrees.
    assert _ref_apply(text, doc.eol, start, end, new_text, encoding) == expected


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_char_count_tracks_text_over_many_random_edits(encoding: str, eol: str) -> None:
    """Hundreds of edits (clamped, reversed, multi-line, non-ASCII): the store equals the reference."""
    rng = random.Random(f"{encoding}{eol!r}")
    pieces = ["", "x", "é", "中文", "😀", "e\u0301", "\t", "ab" + eol + "c", eol, eol + eol + "😀", "end" + eol]
    text = eol.join(["def f():", "    return '😀'", "", "中文 = 1", "e\u0301"]) + eol
    doc = Document.from_text("file:///a.py", "python", 1, text)
    for step in range(400):
        lines = text.split(eol)

        def position(lines: list[str] = lines) -> tuple[int, int]:
            line = rng.randrange(-1, len(lines) + 2)
            width = len(lines[line].encode("utf-8")) if 0 <= line < len(lines) else 3
            return line, rng.randrange(0, width + 3)

        start, end = position(), position()
        new_text = rng.choice(pieces) if rng.random() < 0.6 else ""
        text = _ref_apply(text, eol, start, end, new_text, encoding)
        doc.apply_change(start, end, new_text, encoding)  # type: ignore[arg-type]
        assert doc.text == text, (step, start, end, new_text)
        assert doc.char_count == len(text), (step, start, end, new_text)


def test_edit_touches_only_the_lines_it_spans() -> None:
    """A keystroke in a 100k-line document leaves every other line object where it was."""
    text = "\n".join(f"line {i} = {i * 7}" for i in range(100_000))
    doc = Document.from_text("file:///big.py", "python", 1, text)
    lines_list = doc.lines
    before = list(doc.lines)
    doc.apply_change((50_000, 4), (50_000, 4), "X", "utf-16")
    assert doc.lines is lines_list
    assert len(doc.lines) == 100_000
    assert doc.lines[50_000] == "lineX 50000 = 350000"
    assert all(doc.lines[i] is before[i] for i in range(100_000) if i != 50_000)

    # A multi-line edit shifts the tail, but the line objects themselves are reused.
    doc.apply_change((10, 0), (12, 0), "new\n", "utf-16")
    assert len(doc.lines) == 99_999
    assert doc.lines[10] == "new"
    assert doc.lines[9] is before[9]
    assert all(doc.lines[i - 1] is before[i] for i in range(12, 100_000) if i != 50_000)
    assert doc.char_count == len(doc.text)


# ---- offset_of ------------------------------------------------------------------------------------

POSITION_DOC = "a😀b\n中\n"  # lines: "a😀b", "中", ""


@pytest.mark.parametrize(
    ("line", "column", "encoding", "expected"),
    [
        pytest.param(0, 0, "utf-16", (0, 0), id="start"),
        pytest.param(0, 3, "utf-16", (0, 2), id="utf16-after-emoji"),
        pytest.param(0, 2, "utf-16", (0, 1), id="utf16-mid-surrogate-rounds-down"),
        pytest.param(0, 4, "utf-16", (0, 3), id="utf16-line-end"),
        pytest.param(0, 6, "utf-8", (0, 3), id="utf8-line-end"),
        pytest.param(0, 3, "utf-32", (0, 3), id="utf32-line-end"),
        pytest.param(1, 3, "utf-8", (1, 1), id="utf8-after-cjk"),
        pytest.param(1, 1, "utf-8", (1, 0), id="utf8-inside-cjk-rounds-down"),
        pytest.param(2, 0, "utf-16", (2, 0), id="last-empty-line"),
        pytest.param(3, 0, "utf-16", (2, 0), id="one-past-last-line-column-0-is-document-end"),
    ],
)
def test_offset_of(line: int, column: int, encoding: str, expected: tuple[int, int]) -> None:
    doc = Document.from_text("file:///a", "python", 1, POSITION_DOC)
    assert doc.offset_of(line, column, encoding) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "column", "encoding", "expected"),
    [
        # LSP 3.17: a column past the end of its line means the line's end.
        pytest.param(0, 5, "utf-16", (0, 3), id="utf16-past-line-end"),
        pytest.param(0, 7, "utf-8", (0, 3), id="utf8-past-line-end"),
        pytest.param(0, 4, "utf-32", (0, 3), id="utf32-past-line-end"),
        pytest.param(0, 10**9, "utf-16", (0, 3), id="far-past-line-end"),
        pytest.param(1, 4, "utf-8", (1, 1), id="utf8-past-cjk-line-end"),
        pytest.param(2, 1, "utf-16", (2, 0), id="past-end-of-last-line"),
        # A line past the last one is the document's end, a negative one its start (VS Code's TextDocument).
        pytest.param(3, 1, "utf-16", (2, 0), id="one-past-with-column"),
        pytest.param(4, 0, "utf-16", (2, 0), id="two-past"),
        pytest.param(10**9, 7, "utf-8", (2, 0), id="far-past"),
        pytest.param(-1, 2, "utf-16", (0, 0), id="negative-line"),
        pytest.param(0, -1, "utf-16", (0, 0), id="negative-column"),
        pytest.param(1, -5, "utf-8", (1, 0), id="negative-column-second-line"),
    ],
)
def test_offset_of_clamps_positions_outside(line: int, column: int, encoding: str, expected: tuple[int, int]) -> None:
    doc = Document.from_text("file:///a", "python", 1, POSITION_DOC)
    assert doc.offset_of(line, column, encoding) == expected  # type: ignore[arg-type]


# ---- flags -------------------------------------------------------------------------------------


def test_binary_flag_follows_nul_bytes() -> None:
    doc = Document.from_text("file:///a", "python", 1, "clean")
    assert doc.binary is False
    doc.apply_change((0, 5), (0, 5), "\x00", "utf-16")
    assert doc.binary is True
    doc.replace_all("clean again\r\n")
    assert (doc.binary, doc.eol, doc.lines, doc.char_count) == (False, "\r\n", ["clean again", ""], 13)


def test_last_edit_deleted_follows_the_latest_edit() -> None:
    doc = Document.from_text("file:///a", "python", 1, "abc")
    observed = []
    for start, end, new_text in [
        ((0, 3), (0, 3), "d"),  # type
        ((0, 3), (0, 4), ""),  # backspace
        ((0, 2), (0, 3), ""),  # backspace again
        ((0, 2), (0, 2), "z"),  # type
        ((0, 0), (0, 3), "Q"),  # replace a selection
    ]:
        doc.apply_change(start, end, new_text, "utf-16")
        observed.append(doc.last_edit_deleted)
    assert observed == [False, True, True, False, False]
    doc.apply_change((0, 0), (0, 1), "", "utf-16")
    assert doc.last_edit_deleted is True
    doc.replace_all("fresh")
    assert doc.last_edit_deleted is False


def test_store_open_get_close() -> None:
    store = DocumentStore()
    doc = store.open("file:///a.py", "python", 1, "x = 1\n")
    assert store.get("file:///a.py") is doc
    assert "file:///a.py" in store and len(store) == 1
    assert store.get("file:///b.py") is None
    reopened = store.open("file:///a.py", "python", 2, "y")
    assert store.get("file:///a.py") is reopened and len(store) == 1
    store.close("file:///a.py")
    store.close("file:///never-opened.py")
    assert "file:///a.py" not in store and len(store) == 0


# ---- documents that are never sent keep no text -------------------------------------------------

LONG_NON_ASCII = "s = 'naïve 中文 😀'; " * 10_000  # one line of 180,000 characters


@pytest.mark.parametrize(
    ("uri", "text", "withheld"),
    [
        pytest.param("file:///home/u/.ssh/config", "Host prod\n", "'**/.ssh/**'", id="ssh-config"),
        pytest.param("file:///home/u/proj/.env", "KEY=1\n", "'**/.env'", id="dotenv"),
        pytest.param("file:///home/u/proj/blob.py", "ab\x00cd", "binary", id="binary"),
        pytest.param("file:///home/u/proj/app.py", "x = 1\n", None, id="ordinary-file-kept"),
        pytest.param("file:///home/u/proj/big.py", "x" * 20_000_000, None, id="size-needs-the-settings"),
    ],
)
def test_default_store_keeps_no_text_of_files_never_sent(uri: str, text: str, withheld: str | None) -> None:
    store = DocumentStore()
    doc = store.open(uri, "python", 1, text)
    if withheld is None:
        assert doc.withheld is None and doc.text == text
        return
    assert doc.withheld is not None and withheld in doc.withheld
    assert doc.lines == [""] and doc.char_count == len(text)
    assert refusal(Settings(), doc) == doc.withheld


def test_edits_to_a_withheld_document_are_ignored_until_a_full_change() -> None:
    store = DocumentStore()
    doc = store.open("file:///home/u/.aws/credentials", "ini", 1, "[default]\n" + LONG_NON_ASCII)
    for column in range(100):
        doc.apply_change((1, column), (1, column), "x", "utf-16")
    assert doc.lines == [""] and doc.withheld is not None
    # A full change is judged afresh: still a credential file.
    doc.replace_all("[default]\nkey = 1\n")
    assert doc.lines == [""] and doc.withheld is not None
    # A binary document whose full text turns clean is kept again.
    blob = store.open("file:///home/u/proj/data.py", "python", 1, "a\x00b")
    assert blob.withheld == "the document looks binary"
    blob.replace_all("clean = 1\n")
    assert blob.withheld is None
    assert (blob.text, blob.binary) == ("clean = 1\n", False)


def test_an_edit_that_makes_a_document_binary_drops_its_text() -> None:
    doc = DocumentStore().open("file:///home/u/proj/a.py", "python", 1, "abc\ndef")
    doc.apply_change((0, 1), (0, 1), "\x00", "utf-16")
    assert doc.withheld == "the document looks binary" and doc.lines == [""]


# attrs' tuple converter hides the field's type from mypy.
TXT_EXCLUDED = Settings(exclude=("*.txt",))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("settings", "uri", "text", "withheld"),
    [
        pytest.param(TXT_EXCLUDED, "file:///a/notes.txt", "hi", True, id="user-exclude"),
        pytest.param(Settings(max_document_chars=10), "file:///a/a.py", "x" * 11, True, id="too-large"),
        pytest.param(Settings(max_document_chars=10), "file:///a/a.py", "x" * 10, False, id="at-the-limit"),
        pytest.param(Settings(languages={"python": False}), "file:///a/a.py", "x", False, id="language-off-is-kept"),
        pytest.param(Settings(enable=False), "file:///a/a.py", "x", False, id="disabled-is-kept"),
    ],
)
def test_withhold_policy_with_settings(settings: Settings, uri: str, text: str, withheld: bool) -> None:
    store = DocumentStore(withhold=lambda document: withhold_reason(settings, document))
    doc = store.open(uri, "python", 1, text)
    assert (doc.withheld is not None) is withheld
    assert doc.text == ("" if withheld else text)


def test_growing_past_the_size_limit_drops_the_text() -> None:
    settings = Settings(max_document_chars=10)
    doc = DocumentStore(withhold=lambda document: withhold_reason(settings, document)).open(
        "file:///a/a.py", "python", 1, "123456789"
    )
    doc.apply_change((0, 9), (0, 9), "0", "utf-16")
    assert doc.withheld is None and doc.text == "1234567890"
    doc.apply_change((0, 10), (0, 10), "!", "utf-16")
    assert doc.withheld == "the document is larger than maxDocumentChars (10)" and doc.lines == [""]


def _peak_bytes_of(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("uri", "suffix", "kept"),
    [
        pytest.param("file:///home/u/.ssh/config", "", False, id="credential-file"),
        pytest.param("file:///home/u/proj/blob.py", "\x00", False, id="binary"),
        pytest.param("file:///home/u/proj/app.py", "", True, id="ordinary-file-control"),
    ],
)
def test_a_keystroke_in_a_document_never_sent_copies_nothing(uri: str, suffix: str, kept: bool) -> None:
    """Typing in a refused document must not convert or copy its 180,000-character line."""
    text = LONG_NON_ASCII + suffix
    doc = DocumentStore().open(uri, "python", 1, text)
    column = len(text.encode("utf-16-le")) // 2 - 4

    def keystrokes() -> None:
        for step in range(10):
            doc.apply_change((0, column + step), (0, column + step), "x", "utf-16")

    peak = _peak_bytes_of(keystrokes)
    # The ordinary file's line is rebuilt on each keystroke (O(line) in C); a refused one costs nothing.
    assert (peak > len(LONG_NON_ASCII)) is kept, peak


def test_a_document_withheld_under_old_settings_asks_to_be_reopened() -> None:
    strict, _ = parse_settings({"exclude": ["*.txt"]})
    doc = DocumentStore(withhold=lambda document: withhold_reason(strict, document)).open(
        "file:///a/notes.txt", "plaintext", 1, "todo"
    )
    assert refusal(strict, doc) == "this file matches the exclude pattern '*.txt' and is never sent"
    assert refusal(Settings(), doc) == "its text was not kept while it could not be sent; close and reopen the file"
    assert refusal(Settings(enable=False), doc) == "completions are disabled"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_typing_moving_and_deleting_on_long_lines_matches_the_reference(encoding: str) -> None:
    """What the anchor after each edit serves: typing, backspace, Enter, cursor jumps, selections."""
    rng = random.Random(f"typing-{encoding}")
    codec, width = _CODEC[encoding]
    text = ("x = 'é中😀' + y\n" * 3).rstrip("\n")
    doc = Document.from_text("file:///a.py", "python", 1, text)
    cursor = (0, 0)  # line, column in `encoding` units

    def column_of(line_text: str) -> int:
        return len(line_text.encode(codec, "surrogatepass")) // width

    for step in range(600):
        lines = text.split("\n")
        line, column = cursor
        action = rng.random()
        if action < 0.45:  # type at the cursor
            typed = rng.choice(["a", "é", "中", "😀", " ", "\u0301", "ab😀"])
            start, end, new_text = (line, column), (line, column), typed
        elif action < 0.65:  # backspace: one character back (columns from the real encoder)
            index = _ref_index(lines[line], column, encoding)
            if index == 0:
                continue
            back = column_of(lines[line][: index - 1])
            start, end, new_text = (line, back), (line, column), ""
        elif action < 0.72:  # Enter
            start, end, new_text = (line, column), (line, column), "\n"
        elif action < 0.9:  # jump somewhere, maybe inside a character or past the line's end
            target = rng.randrange(len(lines))
            cursor = (target, rng.randrange(0, column_of(lines[target]) + 3))
            continue
        else:  # replace a selection on the cursor's line
            other = rng.randrange(0, column_of(lines[line]) + 1)
            start, end, new_text = (line, min(column, other)), (line, max(column, other)), rng.choice(["", "Z"])
        start_offset = _ref_offset(text, "\n", *start, encoding)
        text = _ref_apply(text, "\n", start, end, new_text, encoding)
        doc.apply_change(start, end, new_text, encoding)  # type: ignore[arg-type]
        assert doc.text == text, (step, start, end, new_text)
        # The cursor after the edit, and its conversion, as a document with no anchor has it.
        before = text[: start_offset + len(new_text)]
        cursor_line = before.count("\n")
        cursor = (cursor_line, column_of(before[before.rfind("\n") + 1 :]))
        fresh = Document.from_text("file:///b.py", "python", 1, text)
        for probe in (cursor[1], cursor[1] + 1, max(0, cursor[1] - 1), cursor[1] + 5):
            assert doc.offset_of(cursor_line, probe, encoding) == fresh.offset_of(cursor_line, probe, encoding)  # type: ignore[arg-type]
