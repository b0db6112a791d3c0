"""Benchmarks that drive the real server over stdio: `codestral-ls bench` (latency) and
`codestral-ls bench economy` (request economy against a naive baseline and tabby-agent).

`add_arguments` runs on every start of the CLI, the server's included, so it imports nothing:
the benchmark modules load only when `main` runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from ..arguments import non_negative_float, positive_int, share, sizes_list, ttft_range


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "suite", nargs="?", choices=["latency", "economy"], default="latency", help="latency (default) or economy"
    )
    add_common_arguments(parser)
    add_latency_arguments(parser)
    add_economy_arguments(parser)


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="a short run for a first look (~30 s)")
    parser.add_argument("--server-cmd", default=None, help="command that starts codestral-ls on stdio")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the JSON results, logs and plot (default: $XDG_CACHE_HOME/codestral-ls/bench)",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed for documents, sessions and timing")
    parser.add_argument("--markdown", action="store_true", help="print tables as Markdown (for README figures)")

    fake = parser.add_argument_group("the fake backend's realistic latency (economy; latency with --profile realistic)")
    fake.add_argument(
        "--ttft-ms", type=ttft_range, default="150,600", help="min,max time to first token (log-normal, median ~280)"
    )
    fake.add_argument(
        "--per-token-ms", type=non_negative_float, default=12.0, help="time per streamed 4-character token"
    )


def add_latency_arguments(parser: argparse.ArgumentParser) -> None:
    latency = parser.add_argument_group("latency (codestral-ls bench)")
    latency.add_argument("--sizes", type=sizes_list, default=[1000, 10000, 100000], help="document sizes in lines")
    latency.add_argument(
        "--keystrokes",
        type=positive_int,
        default=None,
        help="measured keystrokes per size (default 1000; 300 with --quick)",
    )
    latency.add_argument(
        "--gap-ms",
        type=non_negative_float,
        default=10.0,
        help="pause between a reply and the next keystroke (default 10 ms)",
    )
    latency.add_argument(
        "--profile",
        choices=["instant", "realistic"],
        default="instant",
        help="latency of the built-in fake backend for the overhead table "
        "(realistic: see --ttft-ms and --per-token-ms)",
    )
    latency.add_argument("--no-demo", action="store_true", help="skip the streaming demo")
    latency.add_argument(
        "--stream-cost", action="store_true", help="also measure the server's CPU per streamed chunk (~1 min)"
    )
    latency.add_argument(
        "--real", action="store_true", help="also measure a real endpoint (costs money with Mistral: see the warning)"
    )
    latency.add_argument(
        "--real-backend",
        choices=["mistral", "ollama", "llamacpp", "openai"],
        default=None,
        help="backend of the real endpoint (default: mistral if a key is set)",
    )
    latency.add_argument("--real-endpoint", default=None, help="base URL of the real endpoint")
    latency.add_argument("--real-model", default=None, help="model for the real endpoint")
    latency.add_argument(
        "--real-requests", type=positive_int, default=10, help="requests to the real endpoint (max 50)"
    )


def add_economy_arguments(parser: argparse.ArgumentParser) -> None:
    economy = parser.add_argument_group("economy (codestral-ls bench economy / benchmarks/economy.py)")
    economy.add_argument(
        "--sessions", type=positive_int, default=None, help="typing sessions (default 6; 2 with --quick)"
    )
    economy.add_argument("--chars", type=positive_int, default=250, help="characters per session, about (default 250)")
    economy.add_argument("--jobs", type=positive_int, default=2, help="sessions replayed at once (default 2)")
    economy.add_argument("--error-rate", type=share, default=0.1, help="share of deliberately wrong answers")
    economy.add_argument("--no-tabby", action="store_true", help="skip tabby-agent")
    economy.add_argument(
        "--no-install", action="store_true", help="benchmarks/economy.py: do not npm-install tabby-agent first"
    )
    economy.add_argument("--tabby-dir", type=Path, default=None, help="where tabby-agent is / goes (npm prefix)")


def output_dir(requested: Path | None, env: Mapping[str, str] | None = None) -> Path:
    """Where results go: `--out`, else the user's cache ($XDG_CACHE_HOME/codestral-ls/bench), else a
    fresh temporary folder; never the current directory. Raises OSError when `--out` is unusable."""
    if requested is not None:
        requested.mkdir(parents=True, exist_ok=True)
        return requested
    env = os.environ if env is None else env
    cache_home = env.get("XDG_CACHE_HOME", "")
    cache = Path(cache_home) if os.path.isabs(cache_home) else Path.home() / ".cache"
    try:
        folder = cache / "codestral-ls" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:  # a read-only home, say
        import tempfile

        return Path(tempfile.mkdtemp(prefix="codestral-ls-bench-"))


def main(args: argparse.Namespace) -> int:
    import asyncio

    try:
        args.out = output_dir(args.out)
    except OSError as exc:
        print(f"codestral-ls bench: error: cannot write to --out {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        if args.suite == "economy":
            from .economy import run_all

            return asyncio.run(run_all(args))
        from .latency import run

        return asyncio.run(run(args))
    except KeyboardInterrupt:
        print("\nstopped.")
        return 130
