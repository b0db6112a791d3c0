"""End to end: the request-economy paths, counted at the fake endpoint."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from support.lsp_session import Session, until

URI = "file:///work/project/shapes.py"


async def test_shown_suggestion_prefetches_the_next_one_so_accepting_costs_no_wait(start_session: Any) -> None:
    session: Session = await start_session("vscode")
    session.open(URI, "class Rect:\n    def area(self):\n        \n")

    def responder(body: dict[str, Any]) -> str:
        if body["prompt"].endswith("w = int(self.width)"):
            return "\n        return w * self.height"
        return "w = int(self.width)"

    session.fake.responder = responder
    (item,) = await session.inline(URI, 2, 8)
    assert item.insert_text == "w = int(self.width)"
    session.client.protocol.notify(
        "textDocument/didShowCompletion", {"item": session.client.protocol._converter.unstructure(item)}
    )
    await until(lambda: len(session.fake.requests) == 2 and session.fake.requests[-1].completed)
    assert session.fake.requests[-1].body["prompt"].endswith("w = int(self.width)")
    # Accept: the editor inserts the text, runs the item's command and asks again.
    session.change(URI, 2, (2, 8), (2, 8), item.insert_text)
    assert item.command is not None
    await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=item.command.command, arguments=item.command.arguments)
    )
    items = await session.inline(URI, 2, 8 + len(item.insert_text), automatic=True)
    assert [i.insert_text for i in items] == ["\n        return w * self.height"]
    assert len(session.fake.requests) == 2, "the answer after accepting came from the prefetch"


async def test_partial_accept_then_the_rest_is_served_by_typing_through(start_session: Any) -> None:
    session: Session = await start_session("vscode")
    session.open(URI, "import math\n\ndef hyp(a, b):\n    \n")
    session.fake.responder = lambda body: "return math.sqrt(a * a + b * b)"
    (item,) = await session.inline(URI, 3, 4)
    calls = len(session.fake.requests)
    session.client.protocol.notify(
        "textDocument/didPartiallyAcceptCompletion",
        {"item": session.client.protocol._converter.unstructure(item), "acceptedLength": len("return ")},
    )
    session.change(URI, 2, (3, 4), (3, 4), "return ")
    items = await session.inline(URI, 3, 11, automatic=True)
    assert [i.insert_text for i in items] == ["math.sqrt(a * a + b * b)"]
    assert len(session.fake.requests) == calls


async def test_no_automatic_request_mid_line_or_right_after_a_deletion(start_session: Any) -> None:
    session: Session = await start_session("vscode")
    session.open(URI, "values = compute(items, limit)\nresult = \n")
    # Mid-line, with code (not closers) right of the cursor.
    assert await session.inline(URI, 0, 17, automatic=True) == []
    # Right after a deletion.
    session.change(URI, 2, (1, 8), (1, 9), "")
    assert await session.inline(URI, 1, 8, automatic=True) == []
    assert session.fake.requests == []
    # An explicit trigger always asks.
    session.fake.responder = lambda body: " total(values)"
    assert [i.insert_text for i in await session.inline(URI, 1, 8)] == [" total(values)"]


async def test_rest_of_line_closers_are_replaced_not_duplicated(start_session: Any) -> None:
    session: Session = await start_session("vscode")
    session.open(URI, "import math\n\nprint(math.floor(\n")
    session.change(URI, 2, (2, 17), (2, 17), "))")
    session.fake.responder = lambda body: "x / 2))"
    (item,) = await session.inline(URI, 2, 17, automatic=True)
    assert item.insert_text == "x / 2))"
    assert item.range is not None
    assert (item.range.start.character, item.range.end.character) == (17, 19)


async def test_a_place_where_the_model_had_nothing_is_not_asked_again(start_session: Any) -> None:
    session: Session = await start_session("vscode")
    session.open(URI, "def scale(v, k):\n    \n    return v * k\n")
    # Output that only repeats the code below the cursor: the filters show nothing.
    session.fake.responder = lambda body: "return v * k"
    assert await session.inline(URI, 1, 4) == []
    assert await session.inline(URI, 1, 4) == []
    assert len(session.fake.requests) == 1
