"""Command line: the LSP server on stdio by default; `complete`, `check` and `bench` subcommands.

Logs go to stderr or `--log-file`, never to stdout, which carries the protocol.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from . import __version__
from .log import SecretRedactor, configure_logging


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codestral-ls",
        description="Language server for Codestral fill-in-the-middle completions (LSP over stdio by default).",
    )
    parser.add_argument("--version", action="version", version=f"codestral-ls {__version__}")
    parser.add_argument("--log-file", help="write logs to this file instead of stderr")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper)
    parser.add_argument("--stdio", action="store_true", help="serve LSP on stdin/stdout (the default)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    complete = commands.add_parser("complete", help="print one completion for FILE:LINE:COL (1-based)")
    complete.add_argument("location", help="FILE:LINE:COL, e.g. app.py:12:5")
    add_settings_arguments(complete)

    check = commands.add_parser("check", help="check that the endpoint, key and model work")
    add_settings_arguments(check)

    bench = commands.add_parser("bench", help="measure the server's latency (no key or network needed)")
    try:
        from .bench import add_arguments as add_bench_arguments
    except ImportError:  # pragma: no cover - the benchmark package is being written
        pass
    else:
        add_bench_arguments(bench)
    return parser


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """Settings for one-off commands: a JSON file (camelCase keys), then flags; env keys apply."""
    parser.add_argument("--settings", metavar="FILE", help="JSON file of settings (same keys as the editor's)")
    parser.add_argument("--backend", choices=["mistral", "ollama", "llamacpp", "openai"])
    parser.add_argument("--endpoint", help="base URL of the model server")
    parser.add_argument("--model", help="model id")
    parser.add_argument("--api-key-command", help="command that prints the API key")


def settings_from_args(args: argparse.Namespace) -> tuple[Any, list[str]]:
    from .config import parse_settings

    raw: dict[str, Any] = {}
    if getattr(args, "settings", None):
        loaded = json.loads(Path(args.settings).read_text(encoding="utf-8"))
        raw.update(loaded.get("codestral", loaded) if isinstance(loaded, dict) else {})
    for flag, key in (
        ("backend", "backend"),
        ("endpoint", "endpoint"),
        ("model", "model"),
        ("api_key_command", "apiKeyCommand"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            raw[key] = value
    settings, errors = parse_settings(raw)
    return settings, [str(error) for error in errors]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    redactor = SecretRedactor()
    configure_logging(args.log_level if args.command is None else "WARNING", args.log_file, redactor)
    if args.command == "complete":
        location = _parse_location(args.location)
        if location is None:
            print("error: expected FILE:LINE:COL (1-based) of a readable text file", file=sys.stderr)
            return 2
        path, text, line, column = location
        return asyncio.run(_complete(args, redactor, path, text, line, column))
    if args.command == "check":
        from .check import run_check

        settings, problems = settings_from_args(args)
        for problem in problems:
            print(f"warning: {problem}", file=sys.stderr)
        return asyncio.run(run_check(settings, sys.stdout))
    if args.command == "bench":
        from .bench import main as bench_main

        return bench_main(args)

    from .server import create_server

    server = create_server(redactor)
    server.start_io()
    return 0


def _parse_location(location: str) -> tuple[Path, str, int, int] | None:
    path_text, _, column_text = location.rpartition(":")
    path_text, _, line_text = path_text.rpartition(":")
    try:
        path, line, column = Path(path_text).absolute(), int(line_text), int(column_text)
        return path, path.read_text(encoding="utf-8"), line, column
    except (ValueError, OSError):
        return None


async def _complete(
    args: argparse.Namespace, redactor: SecretRedactor, path: Path, text: str, line: int, column: int
) -> int:
    """One completion through the same pipeline the editor uses, printed to stdout."""
    from .backends.factory import make_backend
    from .backends.http import make_http_client
    from .documents import DocumentStore
    from .pipeline import CompletionQuery, Pipeline
    from .status import StatusTracker

    settings, problems = settings_from_args(args)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    redactor.add(settings.api_key)
    for name in ("CODESTRAL_API_KEY", "MISTRAL_API_KEY"):
        redactor.add(os.environ.get(name))

    documents = DocumentStore()
    uri = path.as_uri()  # absolute, see _parse_location
    documents.open(uri, _language_of(path), 1, text)
    client = make_http_client(settings.timeout_ms)
    pipeline = Pipeline(
        documents,
        settings,
        make_backend(settings, client),
        status=StatusTracker(lambda status: None),
        notify_user=lambda severity, message: print(f"{severity}: {redactor.redact(message)}", file=sys.stderr),
        encoding="utf-32",
    )
    try:
        completion = await pipeline.complete(CompletionQuery(uri, line - 1, column - 1, automatic=False))
    finally:
        await pipeline.aclose()
        await client.aclose()
    if completion is None:
        print("(no completion)", file=sys.stderr)
        return 1
    sys.stdout.write(completion.text + "\n")
    return 0


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


def _language_of(path: Path) -> str:
    return _LANGUAGES.get(path.suffix.lower(), "plaintext")


if __name__ == "__main__":
    sys.exit(main())
