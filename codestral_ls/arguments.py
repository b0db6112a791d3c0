"""argparse types for the command lines: a bad number is one clear line and exit status 2.

argparse prints `error: argument --keystrokes: must be at least 1, got -5` and exits 2 when a
type raises `ArgumentTypeError`, before anything starts.
"""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_float(text: str) -> float:
    """argparse type: a number >= 0 (milliseconds, say)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def share(text: str) -> float:
    """argparse type: a share between 0 and 1."""
    value = non_negative_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def sizes_list(text: str) -> list[int]:
    """argparse type: comma-separated document sizes in lines, each >= 1."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("expected sizes in lines, e.g. 1000,10000")
    return [positive_int(part) for part in parts]


def ttft_range(text: str) -> str:
    """argparse type: MIN,MAX milliseconds with 0 <= MIN <= MAX (kept as text for `fakes.latency_from`)."""
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected MIN,MAX in ms, e.g. 150,600; got {text!r}")
    low, high = (non_negative_float(part) for part in parts)
    if low > high:
        raise argparse.ArgumentTypeError(f"MIN must not exceed MAX, got {text!r}")
    return text


def port_number(text: str) -> int:
    """A TCP port for argparse: 0 (any free one) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 (any free port) to 65535, got {port}")
    return port
