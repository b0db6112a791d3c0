"""A document store whose cost per edit grows with the edit, not with the file.

Each document is a list of lines without their line endings. An incremental change touches only
the lines it spans; nothing re-splits or re-joins the whole text on the keystroke path.

A document that may never be sent (binary, a credential file, too large: the store's `withhold`
policy says why) keeps no text at all, and its edits cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from .positions import Encoding, column_to_index, column_to_index_near, index_to_column_near, units
from .privacy import never_sent

# Why a document's text need not be kept (it can never be sent), or None to keep it.
Withhold = Callable[["Document"], "str | None"]


def split_lines(text: str) -> list[str]:
    """Split on \\r\\n, \\n and \\r (what LSP counts as line ends), keeping a last empty line."""
    if "\r" not in text:
        return text.split("\n")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def detect_eol(text: str) -> str:
    index = text.find("\n")
    if index > 0 and text[index - 1] == "\r":
        return "\r\n"
    if index < 0 and "\r" in text:
        return "\r"
    return "\n"


@attrs.define
class Document:
    uri: str
    language_id: str
    version: int
    lines: list[str]
    eol: str = "\n"
    char_count: int = 0
    # Set when the text looks binary (NUL bytes): such documents never reach a backend.
    binary: bool = False
    # Whether the last edit only removed text: right after a deletion a suggestion is unlikely.
    last_edit_deleted: bool = False
    # Why the text was dropped (it can never be sent); edits are then ignored until a full
    # replacement of the text, or reopening, brings a text to judge again.
    withheld: str | None = None
    withhold_policy: Withhold | None = attrs.field(default=None, repr=False, eq=False)
    # Where the last edit left the cursor: (that line's string, encoding, column, index), an exact
    # pair. The next position on that same string is converted from there, so a keystroke at the
    # end of a 1 MB line costs O(edit), not O(line). A str is immutable: while the line is that
    # very object, the pair holds.
    _anchor: tuple[str, Encoding, int, int] | None = attrs.field(default=None, init=False, repr=False, eq=False)

    @classmethod
    def from_text(
        cls, uri: str, language_id: str, version: int, text: str, withhold: Withhold | None = None
    ) -> Document:
        document = cls(uri=uri, language_id=language_id, version=version, lines=[""], withhold_policy=withhold)
        document.replace_all(text)
        return document

    @property
    def text(self) -> str:
        """The whole text, joined with the document's own line ending. O(file): not for keystrokes."""
        return self.eol.join(self.lines)

    def offset_of(self, line: int, column: int, encoding: Encoding) -> tuple[int, int]:
        """(line, code-point index) for an LSP position, clamped into the document.

        LSP 3.17: a column past the end of its line means the line's end. A line past the last
        one means the document's end and a negative line its start, as VS Code's TextDocument
        (`vscode-languageserver-textdocument`'s `offsetAt`) does; edits and requests alike.
        """
        if line >= len(self.lines):
            return len(self.lines) - 1, len(self.lines[-1])
        if line < 0:
            return 0, 0
        text = self.lines[line]
        known = self._known_pair(text, encoding)
        if known is None:
            index = column_to_index(text, max(column, 0), encoding)
        else:
            index = column_to_index_near(text, max(column, 0), encoding, known)
        return line, len(text) if index is None else index

    def _known_pair(self, text: str, encoding: Encoding) -> tuple[int, int] | None:
        anchor = self._anchor
        if anchor is None or anchor[0] is not text or anchor[1] != encoding:
            return None
        return anchor[2], anchor[3]

    def apply_change(
        self,
        start: tuple[int, int],
        end: tuple[int, int],
        new_text: str,
        encoding: Encoding,
    ) -> None:
        """Replace the LSP range start..end (line, column in `encoding`) with `new_text`."""
        if self.withheld is not None:
            return  # no text to keep up to date: this document is never sent
        start_line, start_index = self.offset_of(*start, encoding)
        # A keystroke's range is usually empty: convert its position once, not twice.
        end_line, end_index = (start_line, start_index) if end == start else self.offset_of(*end, encoding)
        if (end_line, end_index) < (start_line, start_index):
            start_line, start_index, end_line, end_index = (
                end_line,
                end_index,
                start_line,
                start_index,
            )
        start_text = self.lines[start_line]
        head = start_text[:start_index]
        tail = self.lines[end_line][end_index:]
        removed = sum(len(self.lines[i]) for i in range(start_line, end_line + 1)) - len(head) - len(tail)
        removed += (end_line - start_line) * len(self.eol)
        inserted = split_lines(new_text)
        inserted[0] = head + inserted[0]
        inserted[-1] = inserted[-1] + tail
        self.lines[start_line : end_line + 1] = inserted
        self._anchor_after_edit(start_text, start_line, start_index, new_text, encoding)
        self.char_count += len(new_text) - removed
        self.last_edit_deleted = removed > 0 and not new_text
        if "\x00" in new_text:
            self.binary = True
        self._judge()

    def _anchor_after_edit(
        self, start_text: str, start_line: int, start_index: int, new_text: str, encoding: Encoding
    ) -> None:
        """Remember the exact (column, index) right after the inserted text, on its new line."""
        pieces = split_lines(new_text)
        if len(pieces) > 1:  # the cursor ends on a new line, right after the last piece
            cursor_text = self.lines[start_line + len(pieces) - 1]
            self._anchor = (cursor_text, encoding, units(pieces[-1], encoding), len(pieces[-1]))
            return
        known = self._known_pair(start_text, encoding)
        # The start's exact column: from the old anchor when it is near, else once per cursor jump.
        if known is None:
            start_column = units(start_text[:start_index], encoding)
        else:
            start_column = index_to_column_near(start_text, start_index, encoding, known)
        self._anchor = (
            self.lines[start_line],
            encoding,
            start_column + units(new_text, encoding),
            start_index + len(new_text),
        )

    def replace_all(self, text: str) -> None:
        """A full-text change (or the text at open): the document is judged afresh."""
        self.withheld = None
        self._anchor = None
        self.char_count = len(text)
        self.binary = "\x00" in text
        self.last_edit_deleted = False
        self.lines = [""]
        if self._judge():
            return  # never split a text that is dropped anyway
        self.lines = split_lines(text)
        self.eol = detect_eol(text)

    def withhold(self, reason: str) -> None:
        """Drop the text for good: `reason` is why it can never be sent."""
        self.withheld = reason
        self.lines = [""]
        self._anchor = None
        self.last_edit_deleted = False

    def _judge(self) -> bool:
        reason = self.withhold_policy(self) if self.withhold_policy is not None else None
        if reason is not None:
            self.withhold(reason)
        return reason is not None


class DocumentStore:
    """Open documents by URI. didClose drops them, so closed files hold no memory.

    `withhold` judges each document at open, after each edit and on a full change; the default
    needs no settings (binary, or a default-excluded credential file). The server may pass one
    that also knows the user's settings (`privacy.withhold_reason`).
    """

    def __init__(self, withhold: Withhold | None = never_sent) -> None:
        self._documents: dict[str, Document] = {}
        self.withhold_policy = withhold

    def open(self, uri: str, language_id: str, version: int, text: str) -> Document:
        document = Document.from_text(uri, language_id, version, text, self.withhold_policy)
        self._documents[uri] = document
        return document

    def get(self, uri: str) -> Document | None:
        return self._documents.get(uri)

    def close(self, uri: str) -> None:
        self._documents.pop(uri, None)

    def __len__(self) -> int:
        return len(self._documents)

    def __contains__(self, uri: object) -> bool:
        return uri in self._documents


__all__ = ["Document", "DocumentStore", "detect_eol", "split_lines"]
