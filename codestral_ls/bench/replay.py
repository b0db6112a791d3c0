"""Replays one typing session through a language server, the way VS Code would drive it.

After every keystroke the editor sends `didChange`, cancels the previous completion request
and sends a new one (`textDocument/inlineCompletion`, triggerKind 2, or `textDocument/completion`
for servers without inline completion). A non-empty reply for the current version becomes the
visible suggestion; typing the suggestion's next characters keeps the rest visible (as VS Code
does client-side). The user accepts a visible suggestion that is what they were about to type,
once it has been on screen for a reaction time, instead of their next keystroke.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any, Literal

import attrs

from ..positions import units
from .editor import Edit, Editor
from .fakes import Ledger
from .lsp_client import LspClient, LspError, Pending
from .typing import Keystroke, Session, Timing, Typist, common_prefix_length, press

Mode = Literal["inline", "completion"]
PAUSE_MS = 400.0


@attrs.define
class Visible:
    """A suggestion on screen: the text still to come at the cursor, and the item it came from."""

    text: str
    item: dict[str, Any]
    shown_at: float
    edit: Edit | None  # the item's own edit, until the user types through part of it
    lead: int = 0  # characters of the item's insertText before the cursor (a replaced line start)
    consumed: int = 0  # characters of the suggestion the user has typed through


@attrs.define
class SessionResult:
    name: str
    label: str
    target_chars: int = 0
    typed_chars: int = 0  # characters the user typed (Enter and Tab count one), not Backspace
    keystrokes: int = 0
    accepted_chars: int = 0
    accepts: int = 0
    partial_accepts: int = 0
    replies: int = 0
    nonempty_replies: int = 0
    served_without_backend: int = 0  # non-empty replies while no new backend request started
    pause_to_visible_ms: list[float] = attrs.Factory(list)
    pauses: int = 0
    shown_positions: list[int] = attrs.Factory(list)
    duration_s: float = 0.0
    finished: bool = True
    converged: bool = False  # the document ended exactly as the original file


class Replay:
    def __init__(
        self,
        client: LspClient,
        session: Session,
        ledger: Ledger,
        *,
        label: str,
        mode: Mode,
        seed: int,
        timing: Timing | None = None,
        reaction_ms: float = 300.0,
        uri: str = "file:///bench/session.py",
    ) -> None:
        self.client = client
        self.session = session
        self.ledger = ledger
        self.mode = mode
        self.editor = Editor(session.initial_text, session.start)
        self.typist = Typist(session.target, seed, timing)
        self.reaction_s = reaction_ms / 1000
        self.uri = uri
        self.result = SessionResult(session.name, label, target_chars=len(session.target))
        self.visible: Visible | None = None
        self.visible_since: float | None = None  # first time something was visible since the last key
        self.typing_through = False
        self._last_insert: str | None = None
        self._pending: Pending | None = None
        self._waiters: set[asyncio.Task[None]] = set()

    # --- the user ----------------------------------------------------------------------------

    async def run(self, time_limit_s: float = 180.0) -> SessionResult:
        began = time.perf_counter()
        self.client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": self.uri,
                    "languageId": "python",
                    "version": self.editor.version,
                    "text": self.editor.text,
                }
            },
        )
        last_key = time.perf_counter()
        while True:
            if time.perf_counter() - began > time_limit_s:
                self.result.finished = False
                break
            stroke = self.typist.next(self.typed, self.editor.line_prefix())
            if stroke is None:
                break
            await asyncio.sleep(stroke.delay_ms / 1000)
            now = time.perf_counter()
            if stroke.delay_ms >= PAUSE_MS:
                self.result.pauses += 1
                if self.visible_since is not None:
                    self.result.pause_to_visible_ms.append((self.visible_since - last_key) * 1000)
            last_key = now
            if not self._accept_if_right(now):
                self._press(stroke)
        # Whatever was accepted on the way, the user ends with the file as it was.
        self.result.converged = self.editor.text == self.session.original
        await asyncio.sleep(0.8)  # let the last replies and stream ends arrive
        for task in list(self._waiters):
            task.cancel()
        self.client.notify("textDocument/didClose", {"textDocument": {"uri": self.uri}})
        self.result.duration_s = time.perf_counter() - began
        return self.result

    def client_state(self) -> tuple[bool, int | None, str]:
        """(typing through a visible suggestion?, cursor offset in the original when on track,
        the last key and the suggestion still visible, for the record)."""
        on_track = self.session.target.startswith(self.typed)
        visible = self.visible.text if self.visible is not None else None
        note = f"typed {self._last_insert!r}, visible {visible!r}, line {self.editor.line_prefix()!r}"
        return self.typing_through, (self.editor.cursor if on_track else None), note

    @property
    def typed(self) -> str:
        return self.editor.text[self.session.start : self.editor.cursor]

    def _press(self, stroke: Keystroke) -> None:
        edit = press(self.editor, stroke)
        inserted = edit.text if edit.start == edit.end == self.editor.cursor else None
        self._last_insert = inserted if stroke.key != "backspace" else "<backspace>"
        self.result.keystrokes += 1
        if stroke.key != "backspace":
            self.result.typed_chars += 1
        self._change(edit)
        visible = self.visible
        if visible is not None and inserted and visible.text.startswith(inserted) and len(visible.text) > len(inserted):
            # Typing through: the editor keeps showing the rest.
            self.visible = Visible(
                visible.text[len(inserted) :],
                visible.item,
                visible.shown_at,
                None,
                visible.lead,
                visible.consumed + len(inserted),
            )
            self.visible_since = time.perf_counter()
            self.typing_through = True
        else:
            self.visible = None
            self.visible_since = None
            self.typing_through = False
        self._request()

    def _accept_if_right(self, now: float) -> bool:
        visible = self.visible
        if visible is None or now - visible.shown_at < self.reaction_s:
            return False
        typed = self.typed
        remaining = self.session.target[len(typed) :] if self.session.target.startswith(typed) else None
        if remaining is None:
            return False
        if remaining.startswith(visible.text):
            accepted = visible.text
        elif self.mode == "inline":
            accepted = _word_boundary_prefix(visible.text[: common_prefix_length(visible.text, remaining)])
            if len(accepted) < 4:
                return False
        else:
            return False
        whole = accepted == visible.text
        edit = visible.edit if (whole and visible.edit is not None) else self.editor.type_text(accepted)
        self._change(edit)
        self.result.accepted_chars += len(accepted)
        command = visible.item.get("command")
        if whole:
            self.result.accepts += 1
            if command:
                self.client.fire(
                    "workspace/executeCommand",
                    {"command": command["command"], "arguments": command.get("arguments", [])},
                )
        else:
            self.result.partial_accepts += 1
            insert_text = visible.item.get("insertText", "")
            offset = visible.lead + visible.consumed + len(accepted)
            self.client.notify(
                "textDocument/didPartiallyAcceptCompletion",
                {"item": visible.item, "acceptedLength": units(insert_text[:offset], "utf-16")},
            )
        self.visible = None
        self.visible_since = None
        self.typing_through = False
        if self.mode == "inline":
            self._request()  # VS Code asks again after the document changed
        return True

    # --- the editor ----------------------------------------------------------------------

    def _change(self, edit: Edit) -> None:
        change = self.editor.change_event(edit)
        self.editor.apply(edit)
        self.client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": self.uri, "version": self.editor.version}, "contentChanges": [change]},
        )

    def _request(self) -> None:
        if self._pending is not None:
            self.client.cancel(self._pending)
        position = self.editor.position(self.editor.cursor)
        document = {"uri": self.uri}
        if self.mode == "inline":
            params = {"textDocument": document, "position": position, "context": {"triggerKind": 2}}
            method = "textDocument/inlineCompletion"
        else:
            params = {"textDocument": document, "position": position, "context": {"triggerKind": 1}}
            method = "textDocument/completion"
        calls_before = len(self.ledger.calls)
        self._pending = pending = self.client.send_request(method, params)
        task = asyncio.ensure_future(self._on_reply(pending, self.editor.version, calls_before))
        self._waiters.add(task)
        task.add_done_callback(self._waiters.discard)

    async def _on_reply(self, pending: Pending, version: int, calls_before: int) -> None:
        try:
            result, arrived = await pending.future
        except (LspError, ConnectionError):
            return
        self.result.replies += 1
        if version != self.editor.version:
            return  # stale: the editor drops it
        item = _first_item(result)
        if item is None:
            self.visible = None
            return
        text, edit, lead = self._item_text(item)
        if not text:
            self.visible = None
            return
        self.result.nonempty_replies += 1
        if len(self.ledger.calls) == calls_before:
            self.result.served_without_backend += 1
        # The same ghost text, re-served while typing through it, has been on screen all along.
        shown_at = self.visible.shown_at if self.visible is not None and self.visible.text == text else arrived
        self.visible = Visible(text, item, shown_at, edit, lead)
        if self.visible_since is None:
            self.visible_since = arrived
        if self.session.target.startswith(self.typed):
            self.result.shown_positions.append(self.editor.cursor)
        if self.mode == "inline":
            self.client.notify("textDocument/didShowCompletion", {"item": item})

    def _item_text(self, item: dict[str, Any]) -> tuple[str, Edit | None, int]:
        """What the item adds at the cursor, the edit that applies it, and how much of its text
        re-types what stands before the cursor."""
        text_edit = item.get("textEdit")
        if text_edit is not None:
            new_text, range_ = text_edit.get("newText", ""), text_edit.get("range") or text_edit.get("replace")
        else:
            new_text, range_ = item.get("insertText", item.get("label", "")), item.get("range")
        cursor = self.editor.cursor
        if range_ is None:
            start = end = cursor
        else:
            start, end = self.editor.offset(range_["start"]), self.editor.offset(range_["end"])
        replaced_before = self.editor.text[start:cursor]
        if start > cursor or not new_text.startswith(replaced_before):
            return "", None, 0
        # Only suggestions that leave the text after the cursor alone (or re-type it) count.
        added = new_text[len(replaced_before) :]
        after = self.editor.text[cursor:end]
        if after and not added.endswith(after):
            return "", None, 0
        text = added[: len(added) - len(after)] if after else added
        return text, Edit(start, end, new_text), len(replaced_before)


def _first_item(result: Any) -> dict[str, Any] | None:
    if isinstance(result, dict):
        items = result.get("items") or []
    elif isinstance(result, list):
        items = result
    else:
        return None
    return items[0] if items and isinstance(items[0], dict) else None


_WORD_END = re.compile(r"\w(?=\W)|\n")


def _word_boundary_prefix(text: str) -> str:
    """`text` cut back to its last word end or line end (what a word / line accept would take)."""
    cut = 0
    for match in _WORD_END.finditer(text):
        cut = match.end()
    return text[:cut]
