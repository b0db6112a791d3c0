"""End to end, as a hostile or careless user would try it: credential files, secrets in settings,
positions outside the text, and documents the server refuses."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from codestral_ls.simulator.mistral import ErrorReply, FakeMistral, LatencyProfile
from codestral_ls.simulator.ollama import FakeOllama
from codestral_ls.simulator.selfhosted import MidStreamError, Reply
from support.lsp_session import API_KEY, SERVER_ENV, Session, capabilities, until

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


# Every kind of secret a user can configure, each distinct so a leak names itself.
HEADER_TOKEN = "gw-header-token-A1B2C3D4E5"
SECOND_HEADER = "tenant-secret-F6G7H8"
PULLED_TOKEN = "pulled-header-token-J9K0L1"
URL_PASSWORD = "url-pass-M2N3O4P5"
ENV_KEY = "env-mistral-key-Q6R7S8T9"
SECRETS = [API_KEY, HEADER_TOKEN, SECOND_HEADER, PULLED_TOKEN, URL_PASSWORD, ENV_KEY]


async def test_no_configured_secret_reaches_the_debug_log(fake: FakeMistral, tmp_path: Path) -> None:
    """The real server at DEBUG (pygls logs every message it reads and writes): the key, every
    header value, a password in the endpoint URL, and settings pulled or pushed later never show,
    in what the client sent (InitializeParams, the configuration reply) or what the server sent
    back (an error that quotes them, in pygls's "Sending data" lines)."""
    log_file = tmp_path / "server.log"
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "codestral_ls", "--log-level", "DEBUG", "--log-file", str(log_file)],
        server_env={**SERVER_ENV, "MISTRAL_API_KEY": ENV_KEY},
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    ready = asyncio.Event()
    errors: list[str] = []

    @client.feature("codestral/status")  # type: ignore[untyped-decorator]  # pygls leaves it untyped
    def on_status(_ls: LanguageClient, params: Any) -> None:
        if params.state == "ready":
            ready.set()
        if params.state == "error":
            errors.append(params.message)

    options: dict[str, Any] = {
        "endpoint": fake.base_url,
        "apiKey": API_KEY,
        "debounceMs": 0,
        "headers": {"X-Gateway-Token": HEADER_TOKEN, "X-Tenant": SECOND_HEADER},
    }
    # The workspace/configuration pull answers with the same settings plus one more header.
    client.set_configuration(
        {**options, "headers": {**options["headers"], "X-Pulled": PULLED_TOKEN}}, section="codestral"
    )
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities("neovim"), initialization_options=options, process_id=os.getpid()
            )
        )
        await asyncio.wait_for(ready.wait(), 10)
        uri = "file:///work/project/app.py"
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text="def f():\n    ")
            )
        )
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=1, character=4),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )
        # A suggestion that happens to hold a header value: the client gets it as the model wrote
        # it, and only the log filter stands between it and the "Sending data" line.
        fake.responder = lambda body: f"return {SECOND_HEADER!r}"
        suggested = await client.text_document_inline_completion_async(params)
        assert isinstance(suggested, types.InlineCompletionList)
        assert suggested.items[0].insert_text == f"return {SECOND_HEADER!r}"
        assert fake.requests[0].headers.get("x-gateway-token") == HEADER_TOKEN
        # A push with a password in the endpoint URL; the gateway refuses the request it makes,
        # quoting every secret back: the server's error notification goes out through pygls's log.
        echoed = f"gateway refused {HEADER_TOKEN} ({SECOND_HEADER}, {PULLED_TOKEN}, {URL_PASSWORD}, {API_KEY})"
        fake.responder = lambda body: ErrorReply(400, {"message": echoed})
        with_password = fake.base_url.replace("http://", f"http://deploy:{URL_PASSWORD}@")
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codestral": {**options, "endpoint": with_password}})
        )
        await asyncio.sleep(0.2)  # let the server switch to the new settings
        params.position = types.Position(line=1, character=4)
        await client.text_document_inline_completion_async(params)
        await until(lambda: len(errors) > 0)
    finally:
        await asyncio.wait_for(client.shutdown_session(), 10)
    text = log_file.read_text(encoding="utf-8")
    assert "initializationOptions" in text or "initialization_options" in text, "pygls logged nothing at DEBUG"
    leaks = [line[:300] for line in text.splitlines() if any(secret in line for secret in SECRETS)]
    assert leaks == [], "secrets in the debug log:\n" + "\n".join(leaks)
    assert "gateway refused *** (***, ***, ***, ***)" in errors[0], errors
    sent = [line for line in text.splitlines() if "Sending data" in line]
    assert [line for line in sent if "return '***'" in line], "pygls did not log the suggestion it sent"
    assert [line for line in sent if "gateway refused ***" in line], "pygls did not log the error it sent"


COMMAND_KEY = "cmd-key-U1V2W3X4Y5Z6"


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(ErrorReply(400, {"error": f"no model for key {COMMAND_KEY}"}), id="error-status"),
        pytest.param(MidStreamError("", f"key {COMMAND_KEY} has run out of credit"), id="error-mid-stream"),
    ],
)
async def test_a_key_from_api_key_command_never_reaches_the_debug_log(tmp_path: Path, reply: Reply) -> None:
    """The key `apiKeyCommand` prints is in no setting: it is registered when fetched, so an error
    that echoes it (and pygls logging the message that reports the error) shows `***`."""
    log_file = tmp_path / "server.log"
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "codestral_ls", "--log-level", "DEBUG", "--log-file", str(log_file)],
        server_env=SERVER_ENV,
    )
    print_key = tmp_path / "print-key.sh"  # the command line must not hold the key itself
    print_key.write_text(f"echo {COMMAND_KEY}\n", encoding="utf-8")
    async with FakeOllama(lambda body: reply, latency=LatencyProfile.instant(), api_key=COMMAND_KEY) as fake:
        client = await config.start()
        assert isinstance(client, LanguageClient)
        errors: list[str] = []

        @client.feature("codestral/status")  # type: ignore[untyped-decorator]  # pygls leaves it untyped
        def on_status(_ls: LanguageClient, params: Any) -> None:
            if params.state == "error":
                errors.append(params.message)

        options = {
            "backend": "ollama",
            "endpoint": fake.base_url,
            "apiKeyCommand": f"sh {print_key}",
            "debounceMs": 0,
        }
        try:
            await client.initialize_session(
                types.InitializeParams(
                    capabilities=capabilities("neovim"), initialization_options=options, process_id=os.getpid()
                )
            )
            uri = "file:///work/project/app.py"
            document = types.TextDocumentItem(uri=uri, language_id="python", version=1, text="def f():\n    ")
            client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=document))
            await client.text_document_inline_completion_async(
                types.InlineCompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=types.Position(line=1, character=4),
                    context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
                )
            )
            await until(lambda: len(errors) > 0)
        finally:
            await asyncio.wait_for(client.shutdown_session(), 10)
    assert fake.bodies("/api/generate") and fake.requests[-1].headers["authorization"] == f"Bearer {COMMAND_KEY}"
    shown = errors + [message.message for message in client.messages]
    assert "***" in errors[0], shown  # the error was reported, with the key masked
    assert [message for message in shown if COMMAND_KEY in message] == []
    text = log_file.read_text(encoding="utf-8")
    leaks = [line[:300] for line in text.splitlines() if COMMAND_KEY in line]
    assert leaks == [], "the command's key in the debug log:\n" + "\n".join(leaks)
