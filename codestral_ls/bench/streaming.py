"""Streamed answers: a demo of suggestions arriving at realistic speed, and the server's CPU per chunk."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import attrs

from .fakes import REALISTIC
from .latency import SUGGESTION, Sample, TimingResponder, Typer, measure_size
from .stats import fmt, p50_p95_p99, table


async def streaming_demo(args: argparse.Namespace, log: Path | None, keystrokes: int = 12) -> list[str]:
    """A few keystrokes against the realistic profile (150-600 ms to first token, streamed)."""
    print(
        f"\nstreaming demo: {keystrokes} keystrokes on 1,000 lines, fake backend with "
        f"{REALISTIC.ttft_min_ms:.0f}-{REALISTIC.ttft_max_ms:.0f} ms to first token, "
        f"{REALISTIC.per_token_ms:.0f} ms per token"
    )
    lines: list[str] = []

    def show(typer: Typer, sample: Sample, result: Any, responder: TimingResponder) -> None:
        items = result.get("items") if isinstance(result, dict) else result
        text = items[0]["insertText"] if items else ""
        ttft = responder.ttfts_ms[-1] if responder.ttfts_ms and sample.requests else 0.0
        line = (
            f"  key {len(lines) + 1:>2}: suggestion {text!r:<32} after {sample.total_ms:6.1f} ms "
            f"(backend {sample.backend_ms:6.1f}: first token {ttft:5.1f}; server {sample.overhead_ms:4.1f})"
        )
        lines.append(line)
        print(line, flush=True)

    result = await measure_size(1000, keystrokes, REALISTIC, args, log, on_sample=show, warmup=2)
    p50, p95, _ = p50_p95_p99([s.total_ms for s in result.samples])
    print(
        f"  reply p50 {p50:.0f} ms, p95 {p95:.0f} ms; server overhead p50 "
        f"{p50_p95_p99([s.overhead_ms for s in result.samples])[0]:.2f} ms"
    )
    return lines


async def stream_cost(args: argparse.Namespace, log: Path | None, keystrokes: int = 30) -> None:
    """The server's CPU per keystroke for short and long answers, delivered at once or token by token."""
    long_text = "compute_total(items, limit) + " * 6 + "0"
    spaced = attrs.evolve(REALISTIC, ttft_min_ms=150.0, ttft_max_ms=150.0, ttft_median_ms=150.0)
    at_once = attrs.evolve(spaced, per_token_ms=0.0)
    rows = []
    for label, profile in (
        ("all chunks in one read", at_once),
        (f"a chunk every {spaced.per_token_ms:.0f} ms", spaced),
    ):
        for text in (SUGGESTION, long_text):
            result = await measure_size(1000, keystrokes, profile, args, log, warmup=2, suggestion=text)
            chunks = -(-len(text) // spaced.chunk_chars)
            rows.append([label, f"{len(text)} chars / {chunks} chunks", fmt(result.cpu_ms_per_key, 2)])
    print(f"\nserver CPU per keystroke by answer length and delivery (1,000 lines, {keystrokes} keystrokes each):")
    print(table(["delivery", "answer", "CPU/key ms"], rows, args.markdown))
