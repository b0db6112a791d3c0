"""Pure: a tiny model of an editor buffer that turns keystrokes into LSP-style edits.

It behaves like VS Code on Python with default settings where that matters for completion
traffic: Enter auto-indents (one level more after `:` or an opening bracket, one less after
`return`/`pass`/...), a whitespace-only line loses its indentation when you press Enter on it
(`trimAutoWhitespace`), Backspace in leading indentation deletes back to the previous tab stop,
and Tab inserts spaces up to the next one.
"""

from __future__ import annotations

import attrs

from ..positions import Encoding, column_to_index, units

_DEDENT_AFTER = ("return", "pass", "break", "continue", "raise")


@attrs.frozen
class Edit:
    """Replace [start, end) (code-point offsets in the text *before* the edit) with `text`."""

    start: int
    end: int
    text: str


@attrs.define
class Editor:
    text: str
    cursor: int
    indent_unit: int = 4
    version: int = 0

    # --- positions -----------------------------------------------------------------------

    def position(self, offset: int, encoding: Encoding = "utf-16") -> dict[str, int]:
        """LSP position of a code-point offset."""
        line = self.text.count("\n", 0, offset)
        line_start = self.text.rfind("\n", 0, offset) + 1
        return {"line": line, "character": units(self.text[line_start:offset], encoding)}

    def offset(self, position: dict[str, int], encoding: Encoding = "utf-16") -> int:
        """Code-point offset of an LSP position (the inverse of `position`)."""
        line_start = 0
        for _ in range(position["line"]):
            line_start = self.text.index("\n", line_start) + 1
        line_end = self.text.find("\n", line_start)
        line = self.text[line_start : line_end if line_end >= 0 else len(self.text)]
        index = column_to_index(line, position["character"], encoding)
        return line_start + (len(line) if index is None else index)

    def line_prefix(self) -> str:
        """The text of the cursor's line before the cursor."""
        return self.text[self.text.rfind("\n", 0, self.cursor) + 1 : self.cursor]

    # --- keystrokes ----------------------------------------------------------------------

    def type_text(self, text: str) -> Edit:
        return Edit(self.cursor, self.cursor, text)

    def enter(self) -> Edit:
        before = self.line_prefix()
        indent = len(before) - len(before.lstrip(" "))
        stripped = before.strip()
        if not stripped:
            # trimAutoWhitespace: the blank line keeps no indentation, the new one keeps it.
            return Edit(self.cursor - len(before), self.cursor, "\n" + before)
        if stripped.endswith((":", "(", "[", "{")):
            indent += self.indent_unit
        elif stripped.split(" ", 1)[0] in _DEDENT_AFTER:
            indent = max(0, indent - self.indent_unit)
        return Edit(self.cursor, self.cursor, "\n" + " " * indent)

    def backspace(self) -> Edit:
        if self.cursor == 0:
            return Edit(0, 0, "")
        before = self.line_prefix()
        if before and not before.strip(" "):
            width = len(before) % self.indent_unit or self.indent_unit
            return Edit(self.cursor - width, self.cursor, "")
        return Edit(self.cursor - 1, self.cursor, "")

    def tab(self) -> Edit:
        width = self.indent_unit - len(self.line_prefix()) % self.indent_unit
        return Edit(self.cursor, self.cursor, " " * width)

    # --- applying ------------------------------------------------------------------------

    def change_event(self, edit: Edit, encoding: Encoding = "utf-16") -> dict[str, object]:
        """The `contentChanges` entry for `edit`, computed before it is applied."""
        return {
            "range": {"start": self.position(edit.start, encoding), "end": self.position(edit.end, encoding)},
            "text": edit.text,
        }

    def apply(self, edit: Edit) -> None:
        """Apply `edit` and leave the cursor after the inserted text."""
        self.text = self.text[: edit.start] + edit.text + self.text[edit.end :]
        self.cursor = edit.start + len(edit.text)
        self.version += 1
