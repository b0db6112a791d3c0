"""The LSP shell: translates LSP messages into pipeline calls and answers back. No logic lives here."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.capabilities import ServerCapabilitiesBuilder
from pygls.lsp.server import LanguageServer

from . import __version__
from .core import CompletionQuery
from .items import ACCEPT_COMMAND, completion_item, field, id_from_arguments, inline_item, item_id
from .log import SecretRedactor
from .positions import Encoding
from .runtime import Change, Runtime
from .status import Status
from .transport import CodestralProtocol, serve_stdio

log = logging.getLogger(__name__)

STATUS_NOTIFICATION = "codestral/status"
DID_SHOW = "textDocument/didShowCompletion"
DID_PARTIALLY_ACCEPT = "textDocument/didPartiallyAcceptCompletion"
# Menu-only clients (Neovim 0.11's autotrigger, Sublime) ask for completions on these characters.
TRIGGER_CHARACTERS = [".", "(", "[", "{", ",", ":", "=", " ", "\t"]


class CodestralServer(LanguageServer):
    """pygls server whose state is a `Runtime`; this class only speaks LSP."""

    def __init__(self, redactor: SecretRedactor | None = None, env: Mapping[str, str] | None = None) -> None:
        super().__init__(
            "codestral-ls",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=CodestralProtocol,
        )
        self.runtime = Runtime(
            notify_user=self._show_message,
            publish_status=self._publish_status,
            env=os.environ if env is None else env,
            redactor=redactor,
        )
        self._client_pulls_configuration = False
        self._client_has_progress = False
        self._client_has_inline = False
        self._progress_token: str | None = None

    # ---- talking to the user ------------------------------------------------------------------

    def _show_message(self, severity: str, message: str) -> None:
        kinds = {"error": types.MessageType.Error, "warning": types.MessageType.Warning}
        self.window_show_message(
            types.ShowMessageParams(type=kinds.get(severity, types.MessageType.Info), message=f"Codestral: {message}")
        )

    def _publish_status(self, status: Status) -> None:
        params: dict[str, Any] = {
            "state": status.state,
            "message": self.runtime.redactor.redact(status.message),
        }
        if status.uri:
            params["uri"] = status.uri
        self.protocol.notify(STATUS_NOTIFICATION, params)
        if self._client_has_progress:
            self._report_progress(status)

    def _report_progress(self, status: Status) -> None:
        if status.state == "fetching" and self._progress_token is None:
            token = f"codestral-{id(status)}"
            self._progress_token = token

            async def begin() -> None:
                try:
                    await self.window_work_done_progress_create_async(types.WorkDoneProgressCreateParams(token=token))
                except Exception:  # a client may refuse; progress is optional
                    return
                self.work_done_progress.begin(
                    token, types.WorkDoneProgressBegin(title="Codestral", message=status.message)
                )
                if self._progress_token != token:
                    self.work_done_progress.end(token, types.WorkDoneProgressEnd())

            self.runtime.spawn(begin())
        elif status.state != "fetching" and self._progress_token is not None:
            token, self._progress_token = self._progress_token, None
            if token in self.work_done_progress.tokens:
                self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=status.message))

    # ---- answers --------------------------------------------------------------------------------

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve on stdio until `exit`, the end of stdin or the editor's death (see transport.py)."""
        code = serve_stdio(self, stdin or sys.stdin.buffer, stdout or sys.stdout.buffer)
        if code:
            raise SystemExit(code)

    def report_server_error(self, error: Exception, source: Any) -> None:
        if isinstance(self.protocol, CodestralProtocol):  # logged; the user hears once, not per message
            self.protocol.report_error(error, source)

    async def aclose(self) -> None:
        await self.runtime.aclose()


def create_server(redactor: SecretRedactor | None = None, env: Mapping[str, str] | None = None) -> CodestralServer:
    server = CodestralServer(redactor, env)

    @server.feature(types.INITIALIZE)
    def initialize(ls: CodestralServer, params: types.InitializeParams) -> None:
        capabilities = params.capabilities
        chosen = ServerCapabilitiesBuilder.choose_position_encoding(capabilities)
        ls.runtime.set_encoding(_encoding_name(chosen))
        workspace = capabilities.workspace
        ls._client_pulls_configuration = bool(workspace and workspace.configuration)
        window = capabilities.window
        # Our own plugins declare `experimental.codestralStatus`: they show `codestral/status`,
        # so a progress bar on every request would only be noise for them.
        experimental = capabilities.experimental
        knows_status = isinstance(experimental, Mapping) and bool(experimental.get("codestralStatus"))
        ls._client_has_progress = bool(window and window.work_done_progress) and not knows_status
        text_document = capabilities.text_document
        ls._client_has_inline = bool(text_document and text_document.inline_completion is not None)
        ls.runtime.apply_settings(params.initialization_options, announce=False)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: CodestralServer, params: types.InitializedParams) -> None:
        runtime = ls.runtime
        if ls._client_pulls_configuration:
            await _pull_configuration(ls)
        runtime.announce_pending_problems()
        runtime.warm_up()  # builds the backend now, not on the first keystroke
        runtime.status.set(Status("ready", f"codestral-ls {__version__} ready ({runtime.settings.backend})"))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: CodestralServer, params: types.DidChangeConfigurationParams) -> None:
        raw = params.settings
        section = field(raw, "codestral") if raw is not None else None
        if isinstance(section, Mapping):
            ls.runtime.apply_settings(section, announce=True)
        elif ls._client_pulls_configuration:
            await _pull_configuration(ls, announce=True)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: CodestralServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        ls.runtime.did_open(doc.uri, doc.language_id, doc.version, doc.text)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CodestralServer, params: types.DidChangeTextDocumentParams) -> None:
        changes: list[Change] = []
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                start, end = change.range.start, change.range.end
                changes.append(((start.line, start.character), (end.line, end.character), change.text))
            else:
                changes.append(change.text)
        ls.runtime.did_change(params.text_document.uri, params.text_document.version, changes)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CodestralServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.runtime.did_close(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: CodestralServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        automatic = params.context.trigger_kind == types.InlineCompletionTriggerKind.Automatic
        completion = await ls.runtime.complete(_query(params.text_document.uri, params.position, automatic))
        if completion is None:
            return types.InlineCompletionList(items=[])
        return types.InlineCompletionList(items=[inline_item(completion, ls.runtime.encoding)])

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS))
    async def completion(ls: CodestralServer, params: types.CompletionParams) -> types.CompletionList:
        if ls._client_has_inline:
            # Ghost text already shows the suggestion; a menu entry too would show it twice.
            return types.CompletionList(is_incomplete=False, items=[])
        completion = await ls.runtime.complete(
            _query(params.text_document.uri, params.position, automatic=_menu_is_automatic(params.context))
        )
        items = [] if completion is None else [completion_item(completion, ls.runtime.encoding)]
        return types.CompletionList(is_incomplete=True, items=items)

    @server.command(ACCEPT_COMMAND)
    def accept(ls: CodestralServer, arguments: Any) -> None:
        accepted = id_from_arguments(arguments)
        if accepted is not None:
            ls.runtime.accepted(accepted)

    @server.feature(DID_SHOW)
    def did_show(ls: CodestralServer, params: Any) -> None:
        shown = item_id(params)
        if shown is not None:
            ls.runtime.shown(shown)

    @server.feature(DID_PARTIALLY_ACCEPT)
    def did_partially_accept(ls: CodestralServer, params: Any) -> None:
        taken_from = item_id(params)
        accepted = field(params, "acceptedLength")
        if taken_from is not None and isinstance(accepted, int):
            ls.runtime.partially_accepted(taken_from, accepted)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: CodestralServer, params: None) -> None:
        await ls.aclose()

    return server


def _query(uri: str, position: types.Position, automatic: bool) -> CompletionQuery:
    return CompletionQuery(uri=uri, line=position.line, character=position.character, automatic=automatic)


def _menu_is_automatic(context: types.CompletionContext | None) -> bool:
    """A menu the user opened on purpose (triggerKind Invoked) is an explicit request; one opened
    by typing (a trigger character, or a client with no context) is automatic."""
    return context is None or context.trigger_kind != types.CompletionTriggerKind.Invoked


async def _pull_configuration(ls: CodestralServer, announce: bool = False) -> None:
    # The ticket is taken when asking: a push that arrives while we wait is newer and wins.
    ticket = ls.runtime.settings_ticket()
    try:
        result = await asyncio.wait_for(
            ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="codestral")])
            ),
            timeout=5,
        )
    except Exception as exc:  # a client that cannot answer keeps the settings it sent
        log.info("workspace/configuration failed: %s", type(exc).__name__)
        return
    if result and isinstance(result[0], Mapping):
        ls.runtime.apply_settings(result[0], announce=announce, ticket=ticket)


def _encoding_name(kind: types.PositionEncodingKind | str) -> Encoding:
    value = kind.value if isinstance(kind, types.PositionEncodingKind) else kind
    return value if value in ("utf-8", "utf-32") else "utf-16"  # type: ignore[return-value]
