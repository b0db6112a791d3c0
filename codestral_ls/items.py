"""LSP items from pipeline completions, and item ids back from what editors echo to us."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lsprotocol import types

from .core import Completion
from .positions import Encoding, index_to_column, units

ACCEPT_COMMAND = "codestral.accept"
WORD_BEFORE = re.compile(r"[\w$]+$")


def edit_range(completion: Completion, encoding: Encoding) -> types.Range:
    line = completion.line_text
    start = index_to_column(line, completion.start_index, encoding)
    end = start + units(line[completion.start_index : completion.end_index], encoding)
    return types.Range(
        start=types.Position(line=completion.line, character=start),
        end=types.Position(line=completion.line, character=end),
    )


def inline_item(completion: Completion, encoding: Encoding) -> types.InlineCompletionItem:
    return types.InlineCompletionItem(
        insert_text=completion.text,
        range=edit_range(completion, encoding),
        command=types.Command(title="Accept", command=ACCEPT_COMMAND, arguments=[{"id": completion.id}]),
    )


def completion_item(completion: Completion, encoding: Encoding) -> types.CompletionItem:
    # Menus filter items by the word before the cursor, so the item re-types that word.
    word_match = WORD_BEFORE.search(completion.line_text[: completion.start_index])
    word = word_match.group(0) if word_match else ""
    replaced = edit_range(completion, encoding)
    replaced.start.character -= units(word, encoding)
    first_line = (word + completion.text).split("\n", 1)[0].strip()
    label = first_line if len(first_line) <= 80 else first_line[:77] + "…"
    return types.CompletionItem(
        label=label or "(codestral)",
        kind=types.CompletionItemKind.Text,
        detail="Codestral",
        documentation=types.MarkupContent(kind=types.MarkupKind.PlainText, value=completion.text),
        filter_text=word + completion.text.split("\n", 1)[0],
        sort_text="0",
        preselect=True,
        insert_text_format=types.InsertTextFormat.PlainText,
        text_edit=types.TextEdit(range=replaced, new_text=word + completion.text),
        command=types.Command(title="Accept", command=ACCEPT_COMMAND, arguments=[{"id": completion.id}]),
    )


def item_id(raw: Any) -> str | None:
    """The id we put in an item's command arguments, from whatever shape the client echoes back."""
    item = raw.get("item") if isinstance(raw, Mapping) else getattr(raw, "item", None)
    if item is None:
        item = raw
    command = item.get("command") if isinstance(item, Mapping) else getattr(item, "command", None)
    arguments = command.get("arguments") if isinstance(command, Mapping) else getattr(command, "arguments", None)
    return id_from_arguments(arguments)


def id_from_arguments(arguments: Any) -> str | None:
    if isinstance(arguments, (list, tuple)) and arguments:
        first = arguments[0]
        if isinstance(first, Mapping) and isinstance(first.get("id"), str):
            return str(first["id"])
        found = getattr(first, "id", None)
        if isinstance(found, str):
            return found
    return None


def field(raw: Any, key: str) -> Any:
    return raw.get(key) if isinstance(raw, Mapping) else getattr(raw, key, None)
