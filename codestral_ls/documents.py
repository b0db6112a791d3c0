"""A document store whose cost per edit grows with the edit, not with the file.

Each document is a list of lines without their line endings. An incremental change touches only
the lines it spans; nothing re-splits or re-joins the whole text on the keystroke path.
"""

from __future__ import annotations

import attrs

from .errors import RequestRejected
from .positions import Encoding, column_to_index


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

    @classmethod
    def from_text(cls, uri: str, language_id: str, version: int, text: str) -> Document:
        return cls(
            uri=uri,
            language_id=language_id,
            version=version,
            lines=split_lines(text),
            eol=detect_eol(text),
            char_count=len(text),
            binary="\x00" in text,
        )

    @property
    def text(self) -> str:
        """The whole text, joined with the document's own line ending. O(file): not for keystrokes."""
        return self.eol.join(self.lines)

    def offset_of(self, line: int, column: int, encoding: Encoding) -> tuple[int, int]:
        """(line, code-point index) for an LSP position; RequestRejected when it lies outside."""
        if line < 0 or line >= len(self.lines):
            if line == len(self.lines) and column == 0:
                # One past the last line is how some clients address the end of the document.
                return len(self.lines) - 1, len(self.lines[-1])
            raise RequestRejected(f"line {line} is past the end of the document ({len(self.lines)} lines)")
        index = column_to_index(self.lines[line], column, encoding)
        if index is None:
            raise RequestRejected(f"column {column} is past the end of line {line}")
        return line, index

    def _clamped(self, line: int, column: int, encoding: Encoding) -> tuple[int, int]:
        # Edits from clients may overshoot the end; LSP says to clamp them.
        if line >= len(self.lines):
            return len(self.lines) - 1, len(self.lines[-1])
        line = max(line, 0)
        index = column_to_index(self.lines[line], max(column, 0), encoding)
        return line, len(self.lines[line]) if index is None else index

    def apply_change(
        self,
        start: tuple[int, int],
        end: tuple[int, int],
        new_text: str,
        encoding: Encoding,
    ) -> None:
        """Replace the LSP range start..end (line, column in `encoding`) with `new_text`."""
        start_line, start_index = self._clamped(*start, encoding)
        end_line, end_index = self._clamped(*end, encoding)
        if (end_line, end_index) < (start_line, start_index):
            start_line, start_index, end_line, end_index = (
                end_line,
                end_index,
                start_line,
                start_index,
            )
        head = self.lines[start_line][:start_index]
        tail = self.lines[end_line][end_index:]
        removed = sum(len(self.lines[i]) for i in range(start_line, end_line + 1)) - len(head) - len(tail)
        removed += (end_line - start_line) * len(self.eol)
        inserted = split_lines(new_text)
        inserted[0] = head + inserted[0]
        inserted[-1] = inserted[-1] + tail
        self.lines[start_line : end_line + 1] = inserted
        self.char_count += len(new_text) - removed
        self.last_edit_deleted = removed > 0 and not new_text
        if "\x00" in new_text:
            self.binary = True

    def replace_all(self, text: str) -> None:
        self.lines = split_lines(text)
        self.eol = detect_eol(text)
        self.char_count = len(text)
        self.binary = "\x00" in text
        self.last_edit_deleted = False


class DocumentStore:
    """Open documents by URI. didClose drops them, so closed files hold no memory."""

    def __init__(self) -> None:
        self._documents: dict[str, Document] = {}

    def open(self, uri: str, language_id: str, version: int, text: str) -> Document:
        document = Document.from_text(uri, language_id, version, text)
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
