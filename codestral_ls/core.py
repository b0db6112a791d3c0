"""The plain data that travels between the pipeline's stages and the LSP shell.

- `CompletionQuery`: what the editor asked (document, cursor, automatic or explicit).
- `Suggestion`: what the filters made of the model's output, relative to the cursor.
- `Completion`: a suggestion placed in the document, ready for `items.py` to turn into LSP items.

No behaviour and no imports from the rest of the package, so every stage can use them.
"""

from __future__ import annotations

from typing import Literal

import attrs

# Where an answer came from (logs, benchmarks and tests read it).
Source = Literal["model", "cache", "typing-through", "adopted", "prefetch"]


@attrs.frozen
class CompletionQuery:
    """One completion request: `line`/`character` are in the session's position encoding."""

    uri: str
    line: int
    character: int
    # True when typing triggered it; False for an explicit request (a shortcut, a menu asked for).
    automatic: bool


@attrs.frozen
class Suggestion:
    """What the user sees: insert `text` at the cursor, replacing `replace_chars` code points
    of the cursor line after it (closers the suggestion also produces)."""

    text: str
    replace_chars: int = 0


@attrs.frozen
class Completion:
    """A suggestion placed in the document: replace `line[start_index:end_index]` with `text`."""

    id: str
    text: str
    line: int
    start_index: int
    end_index: int
    # The cursor line when the request was made, to turn indices into LSP columns.
    line_text: str
    source: Source


__all__ = ["Completion", "CompletionQuery", "Source", "Suggestion"]
