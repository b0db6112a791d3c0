"""Codestral's known habits at the head of its output, undone before anything else looks at it.

- A leading space when the prefix already ends with one and the suffix starts a new line.
- A leading newline (or several) when the suffix is empty and the cursor line is blank.
"""

from __future__ import annotations


def undo_leading_space(text: str, line_prefix: str, line_suffix: str) -> str:
    """`x = ` + ` 5` would show `x =  5`: drop the one extra space (two or more are kept,
    they are indentation the model meant, and so is the space that makes the two PEP 8 wants
    before an inline comment)."""
    if (
        text.startswith(" ")
        and not text.startswith(("  ", " #", " //"))
        and line_prefix.endswith(" ")
        and not line_suffix
    ):
        return text[1:]
    return text


def undo_leading_newline(text: str, line_prefix: str, suffix: str) -> str:
    """At the end of the document, on a blank line, the model tends to start with a newline
    that would leave the cursor line empty; start on the cursor line instead."""
    if not text.startswith("\n") or suffix.strip() or line_prefix.strip():
        return text
    body = text.lstrip("\n")
    if line_prefix and body.startswith(line_prefix):
        return body[len(line_prefix) :]
    return body.lstrip(" \t") if line_prefix else body


def undo_quirks(text: str, line_prefix: str, line_suffix: str, suffix: str) -> str:
    """Both quirks, in the order they can occur."""
    return undo_leading_space(undo_leading_newline(text, line_prefix, suffix), line_prefix, line_suffix)
