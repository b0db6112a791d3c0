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
