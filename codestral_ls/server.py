"""The LSP shell: translates LSP messages into pipeline calls and answers back. No logic lives here."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Coroutine, Mapping
from typing import Any, BinaryIO

import httpx
from lsprotocol import types
from pygls.capabilities import ServerCapabilitiesBuilder
from pygls.lsp.server import LanguageServer

from . import __version__
from .backends import Backend
from .backends.http import make_http_client
from .config import Settings, parse_settings
from .documents import DocumentStore
from .errors import BackendError
from .items import ACCEPT_COMMAND, completion_item, field, id_from_arguments, inline_item, item_id
from .log import SecretRedactor
from .pipeline import Completion, CompletionQuery, Pipeline
from .positions import Encoding
from .status import Status, StatusTracker
from .transport import CodestralProtocol, serve_stdio

log = logging.getLogger(__name__)

STATUS_NOTIFICATION = "codestral/status"
DID_SHOW = "textDocument/didShowCompletion"
DID_PARTIALLY_ACCEPT = "textDocument/didPartiallyAcceptCompletion"
# Menu-only clients (Neovim 0.11's autotrigger, Sublime) ask for completions on these characters.
TRIGGER_CHARACTERS = [".", "(", "[", "{", ",", ":", "=", " ", "\t"]


class CodestralServer(LanguageServer):
    def __init__(self, redactor: SecretRedactor | None = None, env: Mapping[str, str] | None = None) -> None:
        super().__init__(
            "codestral-ls",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=CodestralProtocol,
        )
        self.env = dict(os.environ if env is None else env)
        self.redactor = redactor or SecretRedactor()
        self.documents = DocumentStore()
        self.settings = Settings()
        self.encoding: Encoding = "utf-16"
        self.status = StatusTracker(self._publish_status)
        self._http: httpx.AsyncClient | None = None
        self._http_timeout_ms = 0
        self._retired_clients: list[httpx.AsyncClient] = []
        self._background: set[asyncio.Task[None]] = set()
        self._pipeline: Pipeline | None = None
        self._pending_problems: list[str] = []
        self._client_pulls_configuration = False
        self._client_has_progress = False
        self._client_has_inline = False
        self._progress_token: str | None = None
        for secret_name in ("CODESTRAL_API_KEY", "MISTRAL_API_KEY"):
            self.redactor.add(self.env.get(secret_name))

    # ---- wiring -------------------------------------------------------------------------------

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            self._pipeline = Pipeline(
                self.documents,
                self.settings,
                self._build_backend(self.settings),
                status=self.status,
                notify_user=self.notify_user,
                encoding=self.encoding,
            )
        return self._pipeline

    def _build_backend(self, settings: Settings) -> Backend:
        from .backends.factory import make_backend

        if self._http is None or self._http_timeout_ms != settings.timeout_ms:
            # One long-lived client; a new one only when the timeout it was built with changes
            # (the old one is closed once the pipeline has switched, see apply_settings).
            if self._http is not None:
                self._retired_clients.append(self._http)
            self._http, self._http_timeout_ms = make_http_client(settings.timeout_ms), settings.timeout_ms
        return make_backend(settings, self._http, self.env)

    def apply_settings(self, raw: Mapping[str, Any] | None, *, announce: bool) -> None:
        settings, errors = parse_settings(raw, self.settings)
        self.redactor.add(settings.api_key)
        problems = [str(error) for error in errors]
        if problems:
            if announce:
                self.notify_user("warning", "Some settings were ignored: " + "; ".join(problems))
            else:
                self._pending_problems.extend(problems)
        if settings == self.settings and self._pipeline is not None:
            return
        self.settings = settings
        if self._pipeline is not None:
            pipeline, backend = self._pipeline, self._build_backend(settings)

            async def switch() -> None:
                await pipeline.reconfigure(settings, backend)
                self.warm_up(backend)
                while self._retired_clients:
                    await self._retired_clients.pop().aclose()

            self.spawn(switch())

    def warm_up(self, backend: Backend) -> None:
        """Let a local backend load its model before the first keystroke needs it (Ollama)."""
        warm = getattr(backend, "warm_up", None)
        if warm is None:
            return
        model = self.settings.model

        async def load() -> None:
            try:
                await warm(model)
            except BackendError as exc:  # the first completion reports it to the user
                log.info("warming up %s failed: %s", backend.name, exc)

        self.spawn(load())

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background, keeping a reference so it is not collected mid-way."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ---- talking to the user ------------------------------------------------------------------

    def notify_user(self, severity: str, message: str) -> None:
        kinds = {"error": types.MessageType.Error, "warning": types.MessageType.Warning}
        message = self.redactor.redact(message)
        log.log(logging.ERROR if severity == "error" else logging.WARNING, "%s", message)
        self.window_show_message(
            types.ShowMessageParams(type=kinds.get(severity, types.MessageType.Info), message=f"Codestral: {message}")
        )

    def _publish_status(self, status: Status) -> None:
        params: dict[str, Any] = {
            "state": status.state,
            "message": self.redactor.redact(status.message),
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

            self.spawn(begin())
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
        if self._pipeline is not None:
            await self._pipeline.aclose()
        if self._http is not None:
            await self._http.aclose()


def create_server(redactor: SecretRedactor | None = None, env: Mapping[str, str] | None = None) -> CodestralServer:
    server = CodestralServer(redactor, env)

    @server.feature(types.INITIALIZE)
    def initialize(ls: CodestralServer, params: types.InitializeParams) -> None:
        capabilities = params.capabilities
        chosen = ServerCapabilitiesBuilder.choose_position_encoding(capabilities)
        ls.encoding = _encoding_name(chosen)
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
        ls.apply_settings(params.initialization_options, announce=False)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: CodestralServer, params: types.InitializedParams) -> None:
        if ls._client_pulls_configuration:
            await _pull_configuration(ls)
        if ls._pending_problems:
            ls.notify_user("warning", "Some settings were ignored: " + "; ".join(ls._pending_problems))
            ls._pending_problems.clear()
        ls.warm_up(ls.pipeline.backend)  # build the backend now, not on the first keystroke
        ls.status.set(Status("ready", f"codestral-ls {__version__} ready ({ls.settings.backend})"))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: CodestralServer, params: types.DidChangeConfigurationParams) -> None:
        raw = params.settings
        section = field(raw, "codestral") if raw is not None else None
        if isinstance(section, Mapping):
            ls.apply_settings(section, announce=True)
        elif ls._client_pulls_configuration:
            await _pull_configuration(ls, announce=True)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: CodestralServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        ls.documents.open(doc.uri, doc.language_id, doc.version, doc.text)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CodestralServer, params: types.DidChangeTextDocumentParams) -> None:
        document = ls.documents.get(params.text_document.uri)
        if document is None:
            log.info("change for a document that is not open: %s", params.text_document.uri)
            return
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                start, end = change.range.start, change.range.end
                document.apply_change(
                    (start.line, start.character),
                    (end.line, end.character),
                    change.text,
                    ls.encoding,
                )
            else:
                document.replace_all(change.text)
        document.version = params.text_document.version
        if ls._pipeline is not None:
            ls._pipeline.note_edit(document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CodestralServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.documents.close(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: CodestralServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        automatic = params.context.trigger_kind == types.InlineCompletionTriggerKind.Automatic
        completion = await _complete(ls, params.text_document.uri, params.position, automatic)
        if completion is None:
            return types.InlineCompletionList(items=[])
        return types.InlineCompletionList(items=[inline_item(completion, ls.encoding)])

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS))
    async def completion(ls: CodestralServer, params: types.CompletionParams) -> types.CompletionList:
        if ls._client_has_inline:
            # Ghost text already shows the suggestion; a menu entry too would show it twice.
            return types.CompletionList(is_incomplete=False, items=[])
        completion = await _complete(ls, params.text_document.uri, params.position, automatic=True)
        items = [] if completion is None else [completion_item(completion, ls.encoding)]
        return types.CompletionList(is_incomplete=True, items=items)

    @server.command(ACCEPT_COMMAND)
    def accept(ls: CodestralServer, arguments: Any) -> None:
        accepted = id_from_arguments(arguments)
        if accepted is not None:
            ls.pipeline.accepted(accepted)

    @server.feature(DID_SHOW)
    def did_show(ls: CodestralServer, params: Any) -> None:
        shown = item_id(params)
        if shown is not None:
            ls.pipeline.shown(shown)

    @server.feature(DID_PARTIALLY_ACCEPT)
    def did_partially_accept(ls: CodestralServer, params: Any) -> None:
        taken_from = item_id(params)
        accepted = field(params, "acceptedLength")
        if taken_from is not None and isinstance(accepted, int):
            ls.pipeline.partially_accepted(taken_from, accepted)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: CodestralServer, params: None) -> None:
        await ls.aclose()

    return server


async def _complete(ls: CodestralServer, uri: str, position: types.Position, automatic: bool) -> Completion | None:
    query = CompletionQuery(uri=uri, line=position.line, character=position.character, automatic=automatic)
    try:
        return await ls.pipeline.complete(query)
    except asyncio.CancelledError:
        raise
    except Exception:
        # A bug must cost one suggestion, never the server.
        log.exception("completion failed at %s:%d:%d", uri, position.line, position.character)
        return None


async def _pull_configuration(ls: CodestralServer, announce: bool = False) -> None:
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
        ls.apply_settings(result[0], announce=announce)


def _encoding_name(kind: types.PositionEncodingKind | str) -> Encoding:
    value = kind.value if isinstance(kind, types.PositionEncodingKind) else kind
    return value if value in ("utf-8", "utf-32") else "utf-16"  # type: ignore[return-value]
