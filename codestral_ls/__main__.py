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
from .errors import CommandLineError, SettingsError
from .log import SecretRedactor, configure_logging


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codestral-ls",
        description="Language server for Codestral fill-in-the-middle completions (LSP over stdio by default).",
    )
    parser.add_argument("--version", action="version", version=f"codestral-ls {__version__}")
    parser.add_argument("--log-file", help="write logs to this file instead of stderr")
    parser.add_argument(
        "--log-level",
        default=None,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        type=str.upper,
        help="INFO for the server; ERROR for subcommands, which print their own explanations",
    )
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


def settings_from_args(args: argparse.Namespace) -> tuple[Any, list[SettingsError]]:
    """Settings from `--settings FILE` then the flags; a file that cannot be used is a CommandLineError."""
    from .config import parse_settings

    raw: dict[str, Any] = {}
    if getattr(args, "settings", None):
        raw.update(load_settings_file(Path(args.settings)))
    for flag, key in (
        ("backend", "backend"),
        ("endpoint", "endpoint"),
        ("model", "model"),
        ("api_key_command", "apiKeyCommand"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            raw[key] = value
    return parse_settings(raw)


def load_settings_file(path: Path) -> dict[str, Any]:
    """The settings object in a JSON file: flat camelCase keys, or under a "codestral" key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandLineError(f"cannot read the settings file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CommandLineError(f"the settings file {path} is not UTF-8 text") from None
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandLineError(
            f"the settings file {path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    section = loaded.get("codestral", loaded) if isinstance(loaded, dict) else loaded
    if not isinstance(section, dict):
        raise CommandLineError(
            f"the settings file {path} must hold a JSON object of settings, e.g. "
            f'{{"backend": "ollama"}}; it holds {_json_kind(section)}'
        )
    return section


def _json_kind(value: Any) -> str:
    kinds = {list: "a list", str: "a string", bool: "true/false", int: "a number", float: "a number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except CommandLineError as exc:
        print(f"codestral-ls: error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    redactor = SecretRedactor()
    try:
        # A subcommand explains failures itself; log lines would repeat them with timestamps.
        level = args.log_level or ("INFO" if args.command is None else "ERROR")
        configure_logging(level, args.log_file, redactor)
    except OSError as exc:
        raise CommandLineError(f"cannot write the log file {args.log_file}: {exc.strerror or exc}") from None
    if args.command == "complete":
        from .complete import run_complete

        settings, problems = settings_from_args(args)
        return asyncio.run(run_complete(args.location, settings, problems, redactor))
    if args.command == "check":
        from .check import run_check

        settings, problems = settings_from_args(args)
        # Its own output hides secrets; this covers a --log-level DEBUG log of the same run.
        redactor.add_settings(settings)
        redactor.add_environment(os.environ)
        return asyncio.run(run_check(settings, sys.stdout, settings_problems=problems))
    if args.command == "bench":
        from .bench import main as bench_main

        return bench_main(args)

    from .server import create_server

    server = create_server(redactor)
    server.start_io()
    return 0


if __name__ == "__main__":
    sys.exit(main())
