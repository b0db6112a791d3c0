"""Pure: where a FIM prompt sits in the original file, and the text a perfect model would return.

The economy benchmark's fake backends answer with the file's true continuation, so a simulated
user can accept a suggestion exactly when it is what they were about to type.
"""

from __future__ import annotations

import random
import re
import zlib

import attrs

# How much of the prompt's tail / the suffix's head we look for in the original.
PREFIX_PROBE_CHARS = 160
SUFFIX_PROBE_CHARS = 80

_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")


@attrs.frozen
class Continuation:
    """The true middle: `text` starts at offset `start` of the original file."""

    start: int
    text: str


def find_continuation(original: str, prefix: str, suffix: str) -> Continuation | None:
    """The original's text between the end of `prefix` and the start of `suffix`.

    Looks for the last `PREFIX_PROBE_CHARS` of the prefix in the original (latest occurrence
    that is followed by the suffix's head, so repeated code resolves to the right place).
    None when the prefix does not occur (the user made a typo the file does not have).
    """
    probe = prefix[-PREFIX_PROBE_CHARS:]
    head = suffix[:SUFFIX_PROBE_CHARS]
    position = len(original)
    while True:
        found = original.rfind(probe, 0, position)
        if found < 0:
            return None
        start = found + len(probe)
        end = original.find(head, start) if head else len(original)
        if end >= 0:
            return Continuation(start, original[start:end])
        # The suffix never follows this occurrence; look at an earlier one.
        position = found + len(probe) - 1
        if position <= 0:
            return None


def shape_like_a_model(middle: str, line_prefix: str, max_lines: int = 3) -> str:
    """Cut the true middle the way a FIM model usually stops.

    Mid-line: the rest of the line. At the start of a line (only indentation typed): that line
    and up to `max_lines - 1` more, stopping at a blank line.
    """
    if not middle:
        return ""
    lines = middle.split("\n")
    if line_prefix.strip():
        first = lines[0]
        return first if first else "\n".join(lines[: min(len(lines), 2)])
    kept: list[str] = []
    for line in lines[:max_lines]:
        if kept and not line.strip():
            break
        kept.append(line)
    return "\n".join(kept)


def apply_stop(text: str, stop: list[str] | tuple[str, ...]) -> str:
    """Truncate at the first of the `stop` sequences, as the API does."""
    cut = len(text)
    for sequence in stop:
        if sequence:
            index = text.find(sequence)
            if 0 <= index < cut:
                cut = index
    return text[:cut]


def corrupt(text: str, seed: int) -> str:
    """A plausible but wrong completion: the same shape with one identifier changed."""
    rng = random.Random(seed)
    words = [m for m in re.finditer(r"[A-Za-z_]\w*", text)]
    if not words:
        return "None" + text
    target = rng.choice(words)
    replacement = target.group() + rng.choice(["_2", "_tmp", "s", "_old"])
    return text[: target.start()] + replacement + text[target.end() :]


def prompt_seed(prefix: str, salt: int) -> int:
    """A stable per-prompt seed, so every client meets the same wrong answers at the same places."""
    return zlib.crc32(prefix[-PREFIX_PROBE_CHARS:].encode("utf-8", "surrogatepass")) ^ salt


def split_tokens(text: str) -> list[str]:
    """Rough BPE-like tokens (words, punctuation, runs of whitespace): what gets streamed."""
    return _TOKEN.findall(text)
