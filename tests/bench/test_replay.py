"""How the simulated editor reads completion items and cuts partial accepts (no server needed)."""

from __future__ import annotations

from typing import Any

import pytest

from codestral_ls.bench.fakes import Ledger
from codestral_ls.bench.replay import Replay, _word_boundary_prefix
from codestral_ls.bench.typing import Session

ORIGINAL = "def f(x):\n    return g(x)\n"


def _replay(typed: str) -> Replay:
    start = ORIGINAL.index("return")
    end = ORIGINAL.index("\n", start)
    session = Session("f", ORIGINAL, start, end)
    replay = Replay(None, session, Ledger(), label="t", mode="inline", seed=0)  # type: ignore[arg-type]
    replay.editor.apply(replay.editor.type_text(typed))
    return replay


def _position(line: int, character: int) -> dict[str, int]:
    return {"line": line, "character": character}


@pytest.mark.parametrize(
    ("item", "expected_text", "expected_lead"),
    [
        ({"insertText": "urn g(x)"}, "urn g(x)", 0),  # insert at the cursor
        (
            {
                "insertText": "    return g(x)",  # re-types the line start, as Copilot-style items do
                "range": {"start": _position(1, 0), "end": _position(1, 7)},
            },
            "urn g(x)",
            7,
        ),
        (
            {
                "textEdit": {
                    "newText": "return g(x)",  # tabby: word start to cursor
                    "range": {"start": _position(1, 4), "end": _position(1, 7)},
                }
            },
            "urn g(x)",
            3,
        ),
        ({"insertText": "something else", "range": {"start": _position(1, 0), "end": _position(1, 7)}}, "", 0),
    ],
)
def test_item_text_is_what_the_item_adds_at_the_cursor(
    item: dict[str, Any], expected_text: str, expected_lead: int
) -> None:
    replay = _replay("ret")
    text, _edit, lead = replay._item_text(item)
    assert text == expected_text
    assert lead == expected_lead


def test_applying_the_items_edit_types_the_suggestion() -> None:
    replay = _replay("ret")
    _text, edit, _lead = replay._item_text(
        {"insertText": "    return g(x)", "range": {"start": _position(1, 0), "end": _position(1, 7)}}
    )
    assert edit is not None
    replay.editor.apply(edit)
    assert replay.editor.text == ORIGINAL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("return g(x)", "return g(x"),
        ("value = 1\n    other", "value = 1\n"),
        ("abc", ""),
        ("a.b", "a"),
    ],
)
def test_partial_accepts_stop_at_a_word_or_line_end(text: str, expected: str) -> None:
    assert _word_boundary_prefix(text) == expected
