"""`python -m codestral_ls.simulator --port 8787 [--format ollama]`: serve a fake endpoint for manual testing."""

from __future__ import annotations

import argparse
import asyncio
import errno
import sys
from collections.abc import Sequence
from typing import Any

from ..arguments import non_negative_float, port_number, positive_int
from .llamacpp import FakeLlamaCpp
from .mistral import DEFAULT_TEXT, FakeMistral, LatencyProfile, Reply
from .ollama import FakeOllama
from .openai import FakeOpenAI

FAKES: dict[str, Any] = {
    "mistral": FakeMistral,
    "ollama": FakeOllama,
    "llamacpp": FakeLlamaCpp,
    "openai": FakeOpenAI,
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m codestral_ls.simulator",
        description="A fake Codestral FIM endpoint speaking a real wire format.",
    )
    parser.add_argument(
        "--format",
        choices=sorted(FAKES),
        default="mistral",
        help="wire format to speak (set codestral.backend to the same name)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=port_number, default=8787, help="port (0: any free port)")
    parser.add_argument("--api-key", default=None, help="require this Bearer key (default: any)")
    parser.add_argument("--text", default=DEFAULT_TEXT, help="the completion every request gets")
    parser.add_argument("--ttft-ms", type=non_negative_float, default=None, help="median time to first token")
    parser.add_argument("--token-ms", type=non_negative_float, default=None, help="delay between chunks")
    parser.add_argument("--chunk-chars", type=positive_int, default=4, help="characters per chunk")
    parser.add_argument("--instant", action="store_true", help="no simulated latency")
    parser.add_argument(
        "--context-window",
        type=positive_int,
        default=None,
        help="a small server: its window in tokens (about 4 characters each); llama.cpp and vLLM refuse "
        "longer prompts, Ollama cuts them silently (sets num_ctx); not for --format mistral",
    )
    parser.add_argument(
        "--ignore-max-tokens",
        action="store_true",
        help="a misbehaving server: stream all of --text whatever max_tokens says",
    )
    args = parser.parse_args(argv)
    if args.context_window is not None and args.format == "mistral":
        parser.error("--context-window: the mistral fake has no window; use --format llamacpp, ollama or openai")
    return args


WINDOW_PARAMETER = {"llamacpp": "n_ctx", "ollama": "num_ctx", "openai": "max_model_len"}


def fake_options(args: argparse.Namespace) -> dict[str, Any]:
    """The fake's own constructor options for the context-window flag."""
    if args.context_window is None:
        return {}
    return {WINDOW_PARAMETER[args.format]: args.context_window}


def latency_from(args: argparse.Namespace) -> LatencyProfile:
    if args.instant:
        return LatencyProfile.instant(chunk_chars=args.chunk_chars)
    profile = LatencyProfile(chunk_chars=args.chunk_chars)
    if args.ttft_ms is not None:
        profile = LatencyProfile(
            ttft_median_ms=args.ttft_ms,
            ttft_min_ms=args.ttft_ms / 2,
            ttft_max_ms=args.ttft_ms * 2,
            per_token_ms=profile.per_token_ms,
            chunk_chars=args.chunk_chars,
        )
    if args.token_ms is not None:
        profile = LatencyProfile(
            ttft_median_ms=profile.ttft_median_ms,
            ttft_sigma=profile.ttft_sigma,
            ttft_min_ms=profile.ttft_min_ms,
            ttft_max_ms=profile.ttft_max_ms,
            per_token_ms=args.token_ms,
            chunk_chars=args.chunk_chars,
        )
    return profile


async def serve(args: argparse.Namespace) -> None:
    text: str = args.text

    def responder(body: dict[str, Any]) -> Reply:
        return text

    fake = FAKES[args.format](
        responder,
        latency=latency_from(args),
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        **fake_options(args),
    )
    fake.ignore_max_tokens = args.ignore_max_tokens
    async with fake:
        print(
            f"fake {args.format} endpoint at {fake.base_url}  "
            f"(set codestral.backend to {args.format!r} and codestral.endpoint to it)",
            file=sys.stderr,
        )
        await asyncio.Event().wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        # Port taken, address not on this machine, privileged port: one line, no traceback.
        why = exc.strerror or str(exc)
        hint = " (is another server using it? pick another --port, or --port 0 for any free one)"
        print(
            f"python -m codestral_ls.simulator: error: cannot listen on {args.host}:{args.port}: {why}"
            + (hint if exc.errno == errno.EADDRINUSE else ""),
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
