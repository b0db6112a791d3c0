"""`codestral-ls complete FILE:LINE:COL`: one completion through the editor's pipeline, or why there is none.

The pipeline answers "nothing" for many reasons and, in an editor, rightly keeps quiet about them.
On the command line the user asked once and deserves the reason: the file is excluded or refused,
the position is outside the file, the request failed, the model answered with nothing, or a
post-processing filter (named) dropped what it answered.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Literal, TextIO

import httpx

from .backends.base import Backend, FimRequest
from .config import Settings
from .context import FimContext, extract
from .core import CompletionQuery
from .documents import Document, DocumentStore
from .errors import BackendError, CommandLineError, RequestRejected, SettingsError
from .log import SecretRedactor
from .postprocess import SuggestionFilter, plan_completion

# What each stop rule of the post-processing means, for "which filter dropped it".
FILTER_REASONS: Mapping[str, str] = {
    "nextline": "it repeated the line below the cursor",
    "repetition": "it repeated itself or the code above the cursor",
    "scope": "it ran past the end of the current block",
    "single-line": "only one line is wanted here and its first line was empty",
    "markdown": "it left the Markdown block it started in",
}


class RecordingBackend:
    """Passes a backend's stream through, keeping what it said (text or error) to explain an empty answer."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.name = backend.name
        self.requests: list[FimRequest] = []
        self.chunks: list[str] = []
        self.error: BackendError | None = None

    async def stream(self, request: FimRequest) -> AsyncIterator[str]:
        self.requests.append(request)
        try:
            async for chunk in self.backend.stream(request):
                self.chunks.append(chunk)
                yield chunk
        except BackendError as exc:
            self.error = exc
            raise

    async def aclose(self) -> None:
        await self.backend.aclose()


def parse_location(location: str) -> tuple[Path, int, int]:
    """FILE:LINE:COL (1-based) -> (absolute path, line, column); a CommandLineError says what is wrong."""
    path_text, _, column_text = location.rpartition(":")
    path_text, _, line_text = path_text.rpartition(":")
    if not path_text:
        raise CommandLineError(f"expected FILE:LINE:COL (1-based), e.g. app.py:12:5; got {location!r}")
    try:
        line, column = int(line_text), int(column_text)
    except ValueError:
        raise CommandLineError(
            f"LINE and COL must be whole numbers (1-based) in FILE:LINE:COL; got {location!r}"
        ) from None
    if line < 1 or column < 1:
        raise CommandLineError(f"LINE and COL count from 1 in FILE:LINE:COL; got {location!r}")
    return Path(path_text).absolute(), line, column


def read_source(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CommandLineError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise CommandLineError(f"cannot read {path}: {exc.strerror or exc}") from None


async def run_complete(
    location: str,
    settings: Settings,
    problems: Sequence[SettingsError],
    redactor: SecretRedactor,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Print one completion to `out` (exit 0), or why there is none to `err` (exit 1)."""
    from .backends.factory import make_backend
    from .privacy import refusal
    from .runtime import Runtime

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    env = os.environ if env is None else env
    path, line, column = parse_location(location)
    text = read_source(path)
    for problem in problems:
        err.write(f"warning: {problem}\n")
    redactor.add_settings(settings)  # the key, header values, URL passwords, as the server does
    redactor.add_environment(env)  # every backend's *_API_KEY, and other tokens

    # Judged on a store that keeps every text: the editor's store drops refused ones.
    document = DocumentStore().open(path.as_uri(), language_of(path), 1, text)
    why_refused = refusal(settings, document)
    if why_refused is not None:
        err.write(f"no completion (nothing was sent): {why_refused}\n")
        return 1
    ctx = _context(document, settings, line, column, location)

    told: list[str] = []

    def tell(severity: Literal["error", "warning", "info"], message: str) -> None:
        told.append(message)
        err.write(f"{severity}: {redactor.redact(message)}\n")

    recorded: list[RecordingBackend] = []

    def recording_backend(settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str]) -> Backend:
        recorded.append(RecordingBackend(make_backend(settings, client, env, on_secret=redactor.add)))
        return recorded[-1]

    # The server's composition root, with the settings this command parsed and no LSP around it.
    runtime = Runtime(
        notify_user=tell, publish_status=lambda status: None, env=env, redactor=redactor, make_backend=recording_backend
    )
    runtime.settings = settings
    runtime.set_encoding("utf-32")
    runtime.did_open(document.uri, document.language_id, 1, text)
    try:
        completion = await runtime.complete(CompletionQuery(document.uri, line - 1, column - 1, automatic=False))
    finally:
        await runtime.aclose()
    if completion is not None:
        out.write(completion.text + "\n")
        return 0
    (backend,) = recorded
    reason = why_nothing(backend, ctx, settings)
    if backend.error is not None and str(backend.error) in told:
        reason = "the request failed (above)"
    err.write(f"no completion: {redactor.redact(reason)}\n")
    return 1


def _context(document: Document, settings: Settings, line: int, column: int, location: str) -> FimContext:
    if line > len(document.lines):
        raise CommandLineError(f"{location} is outside the file: it has {len(document.lines)} lines")
    try:
        line_index, index = document.offset_of(line - 1, column - 1, "utf-32")
    except RequestRejected:
        length = len(document.lines[line - 1])
        raise CommandLineError(f"{location} is outside the file: line {line} has {length} characters") from None
    return extract(
        document.lines,
        line_index,
        index,
        max_prefix_chars=settings.max_prefix_chars,
        max_suffix_chars=settings.max_suffix_chars,
        language_id=document.language_id,
        uri=document.uri,
    )


def why_nothing(backend: RecordingBackend, ctx: FimContext, settings: Settings) -> str:
    """Why the pipeline answered nothing, from what the backend was asked and said."""
    if backend.error is not None:
        return f"the request failed: {backend.error}"
    if not backend.requests:
        return "the model was not asked (see the warnings above)"
    raw = "".join(backend.chunks)
    if not raw.strip():
        return "the model suggested nothing here (an empty answer); try another position"
    plan = plan_completion(ctx, settings.multiline, settings.max_tokens)
    replay = SuggestionFilter(ctx, plan)
    for chunk in backend.chunks:
        if replay.feed(chunk):
            break
    if replay.finish() is not None:
        return "the filters keep the model's answer but the pipeline answered nothing (a bug: please report it)"
    shown = raw if len(raw) <= 60 else raw[:57] + "..."
    stop = replay.stop
    if stop is not None:
        meaning = FILTER_REASONS.get(stop.rule, "it stopped the suggestion before any useful text")
        return f"the {stop.rule!r} filter dropped the model's answer {shown!r}: {meaning}"
    return (
        f"the clean-up filters left nothing of the model's answer {shown!r}: "
        "it repeats the code around the cursor or is only whitespace"
    )


_LANGUAGES = {
    ".py": "python",
    ".js": "javascript",
    ".ts": "typescript",
    ".tsx": "typescriptreact",
    ".jsx": "javascriptreact",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".cc": "cpp",
    ".hpp": "cpp",
    ".cs": "csharp",
    ".rb": "ruby",
    ".php": "php",
    ".sql": "sql",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".md": "markdown",
    ".html": "html",
    ".css": "css",
    ".sh": "shellscript",
    ".lua": "lua",
    ".kt": "kotlin",
}


def language_of(path: Path) -> str:
    return _LANGUAGES.get(path.suffix.lower(), "plaintext")
