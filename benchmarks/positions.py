"""Per-keystroke cost of position conversion on one very long non-ASCII line (issue 10).

python benchmarks/positions.py [--chars 1000000] [--keystrokes 20] [--server-keystrokes 10]

Two figures, both typing at the end of a single line of `--chars` code points:
- store: what a keystroke costs in the document store and the context step, in-process
  (didChange: `apply_change`; the request: `offset_of`, `extract`), and apart from it the
  reply's `index_to_column` as `items.py` calls it (on the whole line's head);
- post-processing: the plan and the filter for a one-chunk answer on that line, in-process
  (the plan asks `postprocess/language.py:open_quote` whether the cursor is in a string);
- server: the real server over stdio against the instant fake endpoint, didChange followed by
  `textDocument/inlineCompletion` (Invoked), from writing the change to the reply.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codestral_ls.bench.lsp_client import LspClient
from codestral_ls.context import extract
from codestral_ls.documents import Document
from codestral_ls.positions import Encoding, index_to_column, units
from codestral_ls.postprocess import SuggestionFilter, plan_completion
from codestral_ls.simulator.mistral import FakeMistral, LatencyProfile

URI = "file:///bench/long_line.py"
API_KEY = "bench-positions-key-0123456789"
# Latin-1, CJK, an astral emoji (a surrogate pair in utf-16) and ASCII, as minified code with
# translated strings has them.
NON_ASCII_UNIT = "s = 'naïve 中文 😀'; "


def long_line(chars: int, non_ascii: bool) -> str:
    unit = NON_ASCII_UNIT if non_ascii else "s = 'naive text'; "
    return (unit * (chars // len(unit) + 1))[:chars]


def store_keystroke_ms(line: str, encoding: Encoding, keystrokes: int) -> tuple[list[float], list[float]]:
    """Per keystroke: (didChange + the request's position + context, the reply's column)."""
    document = Document.from_text(URI, "python", 1, line)
    column = units(line, encoding)
    store, reply = [], []
    for _ in range(keystrokes):
        started = time.perf_counter()
        document.apply_change((0, column), (0, column), "x", encoding)
        column += 1
        cursor_line, index = document.offset_of(0, column, encoding)
        ctx = extract(document.lines, cursor_line, index, max_prefix_chars=6000, max_suffix_chars=2000)
        converted = time.perf_counter()
        index_to_column(document.lines[0], len(ctx.line_prefix), encoding)  # what items.py does for the reply
        store.append((converted - started) * 1000)
        reply.append((time.perf_counter() - converted) * 1000)
    return store, reply


def postprocess_ms(line: str, keystrokes: int) -> list[float]:
    """Per suggestion at the end of the line: plan + filter + one chunk + finish, as the server
    runs them (a Python line, the default 6,000 + 2,000 character budgets)."""
    samples = []
    for count in range(keystrokes):
        text = line + "x" * count
        ctx = extract([text], 0, len(text), max_prefix_chars=6000, max_suffix_chars=2000, language_id="python")
        started = time.perf_counter()
        chain = SuggestionFilter(ctx, plan_completion(ctx, "auto", 256))
        chain.feed("1")
        chain.finish()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def server_keystroke_ms(line: str, keystrokes: int) -> list[float]:
    fake = FakeMistral(lambda body: "1", latency=LatencyProfile.instant(), api_key=API_KEY)
    await fake.start()
    env = {k: v for k, v in os.environ.items() if k not in ("CODESTRAL_API_KEY", "MISTRAL_API_KEY")}
    client = await LspClient.spawn([sys.executable, "-m", "codestral_ls", "--log-level", "WARNING"], env=env)
    samples = []
    try:
        await client.initialize({"endpoint": fake.base_url, "apiKey": API_KEY, "debounceMs": 0})
        client.notify(
            "textDocument/didOpen", {"textDocument": {"uri": URI, "languageId": "python", "version": 1, "text": line}}
        )
        column = units(line, "utf-16")  # the bench client's capabilities ask for utf-16
        for version in range(2, keystrokes + 2):
            position = {"line": 0, "character": column}
            started = time.perf_counter()
            client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": URI, "version": version},
                    "contentChanges": [{"range": {"start": position, "end": position}, "text": "x"}],
                },
            )
            column += 1
            await client.request(
                "textDocument/inlineCompletion",
                {
                    "textDocument": {"uri": URI},
                    "position": {"line": 0, "character": column},
                    "context": {"triggerKind": 1},
                },
            )
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        await client.close()
        await fake.stop()
    return samples


def _summary(samples: list[float]) -> str:
    return f"median {statistics.median(samples):9.3f} ms   max {max(samples):9.3f} ms   (n={len(samples)})"


def main() -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/positions.py", description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=1_000_000, help="length of the line in code points")
    parser.add_argument("--keystrokes", type=int, default=20, help="keystrokes per in-process case")
    parser.add_argument(
        "--server-keystrokes", type=int, default=10, help="keystrokes through the real server (0: skip)"
    )
    args = parser.parse_args()

    cases: list[tuple[str, bool, Encoding]] = [
        ("non-ASCII utf-16", True, "utf-16"),
        ("non-ASCII utf-8 ", True, "utf-8"),
        ("non-ASCII utf-32", True, "utf-32"),
        ("ASCII     utf-16", False, "utf-16"),
    ]
    print(f"one line of {args.chars:,} code points, typing at its end")
    print("per keystroke: didChange + the request's position + context  |  the reply's column (items.py)")
    for label, non_ascii, encoding in cases:
        store, reply = store_keystroke_ms(long_line(args.chars, non_ascii), encoding, args.keystrokes)
        print(f"  {label}  store {_summary(store)}")
        print(f"  {' ' * len(label)}  reply {_summary(reply)}")
    post = postprocess_ms(long_line(args.chars, True), args.keystrokes)
    print(f"post-processing (plan + filter, a one-chunk answer), non-ASCII:  {_summary(post)}")
    if args.server_keystrokes > 0:
        samples = asyncio.run(server_keystroke_ms(long_line(args.chars, True), args.server_keystrokes))
        print("real server, didChange + inlineCompletion, non-ASCII utf-16:")
        print(f"  keystroke to reply  {_summary(samples)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
