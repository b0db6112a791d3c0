"""How LSP messages get in and out: framed stdin read on the event loop, the LSP lifecycle, and
pygls' protocol minus its document copies and its leaks.

pygls reads stdin through a thread pool: three thread hops per message (two header lines and the
body), ~0.4 ms a round trip, and its reader goes deaf for good after one malformed header. We read
with `framing.FrameReader` instead, and gate every message through `lifecycle`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcException
from pygls.io_ import StdoutWriter
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from .framing import FrameReader, PipeSource, ThreadSource
from .lifecycle import EXIT, INITIALIZE, REFUSALS, Admission, Phase, admit, exit_code, next_phase, watch_parent

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)


def is_pipe_or_socket(stream: BinaryIO) -> bool:
    """Only pipes and sockets can be registered with the event loop (not files or terminals)."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


class CodestralProtocol(LanguageServerProtocol):
    """pygls' protocol minus its own document copies.

    pygls keeps a `TextDocument` per file that re-splits the whole text on every edit (~22 ms a
    keystroke at 100k lines). Our `DocumentStore` replaces it, so these builtins only hand over
    to our handlers. On top: the lifecycle gate, `exit` that ends the read loop with the LSP exit
    code, and bad input that is logged and told to the user once, not once per message.
    """

    def __init__(self, server: LanguageServer, converter: Any) -> None:
        super().__init__(server, converter)
        self.phase = Phase.WAITING
        self.exit_code: int | None = None
        self.stopped = asyncio.Event()
        self._told_user: set[str] = set()
        self._parent_watch: asyncio.Task[None] | None = None

    # ---- lifecycle --------------------------------------------------------------------------

    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        is_request = method is not None and hasattr(message, "id")
        verdict = admit(self.phase, method, is_request)
        if verdict is Admission.DROP:
            log.info("dropped a %s notification: the server is %s", method, self.phase.value)
            return
        if verdict in REFUSALS:
            code, text = REFUSALS[verdict]
            log.info("refused a %s request: %s", method, text)
            self._send_response(message.id, error=types.ResponseError(code=code, message=text))
            return
        self.phase = next_phase(self.phase, method)
        if method == INITIALIZE:
            self._watch_parent(getattr(message.params, "process_id", None))
        super().handle_message(message)

    @lsp_method(EXIT)
    def lsp_exit(self, *args: Any) -> None:  # type: ignore[override]  # pygls' is a generator that calls sys.exit
        self.stop(exit_code(self.phase), "exit" + ("" if self.phase is Phase.SHUT_DOWN else " without shutdown"))

    def stop(self, code: int, why: str) -> None:
        """End the read loop; the process exits with `code`."""
        if self.exit_code is None:
            log.info("stopping (%s), exit code %d", why, code)
            self.exit_code = code
        self.stopped.set()

    def _watch_parent(self, pid: int | None) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # driven without a loop (a unit test): nothing to poll with
            return
        if pid is None or pid == os.getpid():
            return

        async def watch() -> None:
            if await watch_parent(pid):
                log.warning("the editor's process %d has gone; exiting", pid)
                self.stop(exit_code(self.phase), "the editor's process has gone")

        self._parent_watch = asyncio.ensure_future(watch())

    # ---- bad input and internal errors ------------------------------------------------------

    def receive(self, body: bytes) -> bool:
        """Parse and handle one message body; False for a body that is not JSON (logged, skipped)."""
        try:
            message = json.loads(body, object_hook=self.structure_message)
        except JsonRpcException:
            # Params that do not fit the method: pygls logged it; a request was answered with the
            # error (see structure_message).
            self.note_malformed("a message whose params do not fit its method")
            return True
        except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, nested too deep
            self.note_malformed(f"a body that is not JSON ({type(exc).__name__}: {str(exc)[:80]})")
            return False
        if not hasattr(message, "jsonrpc"):
            msg_id = message.get("id") if isinstance(message, dict) else None
            if isinstance(msg_id, (int, str)) and "method" in message:
                error = types.ResponseError(code=-32600, message="not a JSON-RPC 2.0 request")
                self._send_response(msg_id, error=error)
            self.note_malformed("a JSON value that is not a JSON-RPC 2.0 message")
            return True
        self.handle_message(message)
        return True

    def note_malformed(self, description: str) -> None:
        log.warning("malformed input from the editor: %s", description)
        self.tell_user_once("malformed", "the editor sent a malformed message; it was skipped (details in the log)")

    def report_error(self, error: Exception, source: type[Exception]) -> None:
        """pygls' error report, minus its "Error in server" window for every failing message."""
        if source is FeatureRequestError:
            return  # pygls logged it, and the reply carries the error
        trace = error.data.get("traceback") if isinstance(error, JsonRpcException) and error.data else None
        log.error("%s: %s%s", source.__name__, error, "\n" + "".join(trace) if trace else "")
        self.tell_user_once("internal", "an internal error occurred (details in the log); it keeps serving")

    def tell_user_once(self, kind: str, message: str) -> None:
        """One window/showMessage per kind for the whole session, and only once it is allowed."""
        if kind in self._told_user or self.phase is not Phase.RUNNING:
            return
        self._told_user.add(kind)
        params = types.ShowMessageParams(type=types.MessageType.Warning, message=f"Codestral: {message}")
        self.notify(types.WINDOW_SHOW_MESSAGE, params)

    # ---- pygls' request table ---------------------------------------------------------------

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        # pygls files the future of every async or generator handler under `msg_id` in its
        # request table, but only a request's reply takes it out again: notifications (a made-up
        # id per message, so every didOpen/didChange/didClose) and the steps of generator handlers
        # stayed there for good, ~2 KB each. Forget each one as soon as it is done.
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(lambda done: self._forget(msg_id, done))

    def _forget(self, msg_id: Any, done: Any) -> None:
        if self._request_futures.get(msg_id) is done:  # not a newer request that reused the id
            del self._request_futures[msg_id]

    @property
    def pending_count(self) -> int:
        """Handlers still running or awaiting the client (what the leak test counts)."""
        return len(self._request_futures)

    def structure_message(self, data: dict[str, Any]) -> Any:
        if "jsonrpc" in data and "method" in data and "params" not in data:
            # JSON-RPC lets a message leave out `params`; pygls' generic message types need the key.
            data["params"] = None
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            # pygls logs a request whose params do not parse and never answers it, so the client
            # would wait forever: answer it with the error, then let pygls log it as before.
            msg_id = data.get("id") if isinstance(data, dict) else None
            if "method" in data and isinstance(msg_id, (int, str)):
                self._send_response(msg_id, error=exc.to_response_error())
            raise

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


async def serve(protocol: CodestralProtocol, frames: FrameReader) -> int:
    """Handle messages until `exit`, the editor's death or the end of the input; the exit code."""

    async def read_all() -> None:
        while (body := await frames.next_body()) is not None:
            if not protocol.receive(body):
                frames.salvage(body)
            if protocol.stopped.is_set():
                return
        log.info("the editor closed our input")

    reading = asyncio.ensure_future(read_all())
    stopping = asyncio.ensure_future(protocol.stopped.wait())
    try:
        await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not reading.done():
            reading.cancel()
    if reading.done() and not reading.cancelled():
        reading.result()  # a bug in the loop itself surfaces here
    return protocol.exit_code or 0


def serve_stdio(server: LanguageServer, stdin: BinaryIO, stdout: BinaryIO) -> int:
    """Serve LSP on a pipe (read on the event loop) or a file/terminal (a reader thread)."""
    protocol = server.protocol
    assert isinstance(protocol, CodestralProtocol)
    protocol.set_writer(StdoutWriter(stdout))
    source = PipeSource(stdin) if is_pipe_or_socket(stdin) else ThreadSource(stdin)
    try:
        return asyncio.run(serve(protocol, FrameReader(source, protocol.note_malformed)))
    except BrokenPipeError:
        log.error("the editor closed the connection; shutting down")
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]
