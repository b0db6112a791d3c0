"""End to end, as a hostile or careless user would try it: credential files, secrets in settings,
positions outside the text, and documents the server refuses."""

from __future__ import annotations

from typing import Any

import pytest

from support.lsp_session import Session

SECRET_TEXT = "Host prod\n    User deploy\n    IdentityFile ~/.ssh/prod-key-DO-NOT-SEND\n"

CREDENTIAL_FILES = [
    "file:///home/u/.ssh/config",
    "file:///home/u/.ssh/authorized_keys",
    "file:///home/u/.ssh/deploy-key-for-ci",
    "file:///home/u/.aws/config",
    "file:///home/u/.gnupg/gpg-agent.conf",
    "file:///home/u/.kube/config",
    "file:///home/u/.docker/config.json",
    "file:///home/u/.config/gcloud/legacy_credentials/me/adc.json",
    "file:///home/u/.netrc",
]


@pytest.mark.parametrize("uri", CREDENTIAL_FILES, ids=lambda uri: uri.removeprefix("file:///home/u/"))
async def test_credential_files_never_reach_the_endpoint(start_session: Any, uri: str) -> None:
    session: Session = await start_session("vscode")
    session.open(uri, SECRET_TEXT, language_id="plaintext")
    assert await session.inline(uri, 2, 10) == []
    status = await session.wait_for_status("disabled")
    assert status["uri"] == uri and "never sent" in status["message"]
    assert session.fake.requests == []
    # The same text in an ordinary file does reach the endpoint: what refuses is the file's path.
    session.open("file:///home/u/project/notes.txt", SECRET_TEXT, language_id="plaintext")
    await session.inline("file:///home/u/project/notes.txt", 2, 10)
    assert len(session.fake.requests) == 1
    assert b"DO-NOT-SEND" in session.fake.requests[0].raw_body


POSITION_TEXT = "def area(r):\n    return 3.14 * r\n"


@pytest.mark.parametrize(
    ("line", "character", "cursor", "prompt_end"),
    [
        # LSP 3.17: a column past the end of the line means the line's end.
        pytest.param(1, 200, (1, 19), "return 3.14 * r", id="column-past-line-end"),
        # A line past the last one means the end of the document, as VS Code's TextDocument has it.
        pytest.param(9, 3, (2, 0), "3.14 * r\n", id="line-past-document-end"),
    ],
)
async def test_positions_outside_the_text_are_clamped_not_refused(
    start_session: Any, line: int, character: int, cursor: tuple[int, int], prompt_end: str
) -> None:
    session: Session = await start_session("vscode")
    session.open("file:///work/area.py", POSITION_TEXT)
    session.fake.responder = lambda body: "  # area"
    items = await session.inline("file:///work/area.py", line, character)
    assert len(session.fake.requests) == 1
    assert session.fake.requests[0].body["prompt"].endswith(prompt_end)
    assert len(items) == 1
    assert items[0].range is not None
    assert (items[0].range.start.line, items[0].range.start.character) == cursor
