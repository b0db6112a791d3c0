"""Issue 10's soak benchmark: does the real server's memory stay flat over a long editing session?

A fresh server over stdio gets, again and again: a `didOpen`, a burst of keystrokes (`didChange`,
one character each), an `inlineCompletion` request every few keys (some cancelled, some menu
`completion` requests), and a `didClose`. Every few hundred keystrokes we read the server's
resident memory and open file descriptors from /proc. The figure that matters is the growth per
10,000 keystrokes, fitted over the samples after a warm-up (Python's allocator and the first
imports settle in the first few thousand keystrokes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence

import attrs

from ..simulator.mistral import FakeMistral, LatencyProfile
from .lsp_client import LspClient, LspError
from .procfs import machine, peak_rss_mb
from .stats import fmt, table

FAKE_KEY = "soak-fake-key-0123456789"
DOCUMENT_LINES = 200
KEYS_PER_DOCUMENT = 250
COMPLETE_EVERY = 4  # keystrokes between completion requests
WARM_UP_SHARE = 0.3  # leading share of the samples left out of the growth fit
TYPED = "abdefghijklmnopqrstuvwxyz"


@attrs.define
class SoakSample:
    keystrokes: int
    elapsed_s: float
    rss_mb: float
    fds: int
    requests: int


@attrs.define
class SoakResult:
    samples: list[SoakSample]
    growth_mb_per_10k: float
    fd_growth_per_10k: float
    peak_mb: float


def open_fds(pid: int | None) -> int:
    """How many file descriptors `pid` has open (-1 where /proc is missing)."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def slope_per_10k(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of y over x, times 10,000 (NaN with fewer than two distinct x)."""
    if len(points) < 2:
        return float("nan")
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return float("nan")
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread * 10_000


def growth(samples: Sequence[SoakSample], warm_up_share: float = WARM_UP_SHARE) -> tuple[float, float]:
    """(MB, fds) per 10k keystrokes, fitted over the samples after the warm-up share."""
    settled = list(samples[int(len(samples) * warm_up_share) :])
    rss = slope_per_10k([(s.keystrokes, s.rss_mb) for s in settled])
    fds = slope_per_10k([(s.keystrokes, float(s.fds)) for s in settled])
    return rss, fds


def document(index: int) -> str:
    """A plausible Python file of DOCUMENT_LINES lines, different for each index."""
    lines = []
    for i in range(DOCUMENT_LINES // 4):
        lines += [f"def handler_{index}_{i}(items, limit={i}):", "    total = 0", "    ", ""]
    return "\n".join(lines)


class Editor:
    """Opens, types into and closes documents on one server, counting keystrokes and requests."""

    def __init__(self, client: LspClient) -> None:
        self.client = client
        self.keystrokes = 0
        self.requests = 0

    async def edit_one_document(self, index: int, keys: int) -> None:
        uri = f"file:///soak/module_{index % 50}.py"
        text = document(index)
        self.client.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
        )
        line, column, version = 2, 4, 1
        for key in range(keys):
            version += 1
            position = {"line": line, "character": column}
            self.client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [
                        {"range": {"start": position, "end": position}, "text": TYPED[key % len(TYPED)]}
                    ],
                },
            )
            column += 1
            self.keystrokes += 1
            if key % COMPLETE_EVERY == 0:
                await self._ask(uri, line, column, key)
        await self.client.drain()
        self.client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    async def _ask(self, uri: str, line: int, column: int, key: int) -> None:
        where = {"textDocument": {"uri": uri}, "position": {"line": line, "character": column}}
        self.requests += 1
        if key % (COMPLETE_EVERY * 8) == 0:  # an editor that moved on: cancel mid-flight
            pending = self.client.send_request(
                "textDocument/inlineCompletion", {**where, "context": {"triggerKind": 2}}
            )
            self.client.cancel(pending)
        elif key % (COMPLETE_EVERY * 5) == 0:  # a menu request
            pending = self.client.send_request("textDocument/completion", {**where, "context": {"triggerKind": 1}})
        else:
            pending = self.client.send_request(
                "textDocument/inlineCompletion", {**where, "context": {"triggerKind": 1}}
            )
        try:
            await asyncio.wait_for(pending.reply(), 30)
        except LspError:  # a cancelled request answers -32800
            pass


async def soak(
    keystrokes: int,
    sample_every: int,
    server_cmd: Sequence[str] | None = None,
    on_sample: object = None,
    stderr: int | object = asyncio.subprocess.DEVNULL,
) -> SoakResult:
    """Drive one server through `keystrokes` keystrokes, sampling memory every `sample_every`."""
    env = {k: v for k, v in os.environ.items() if k not in ("CODESTRAL_API_KEY", "MISTRAL_API_KEY")}
    argv = list(server_cmd or [sys.executable, "-m", "codestral_ls", "--log-level", "WARNING"])
    async with FakeMistral(latency=LatencyProfile.instant(), api_key=FAKE_KEY) as fake:
        fake.responder = lambda body: "total += item"
        client = await LspClient.spawn(argv, env=env, stderr=stderr)
        client.keep_notifications = False
        try:
            await client.initialize({"backend": "mistral", "endpoint": fake.base_url, "apiKey": FAKE_KEY})
            editor = Editor(client)
            samples: list[SoakSample] = []
            started = time.perf_counter()
            next_sample, index = 0, 0
            while editor.keystrokes < keystrokes:
                if editor.keystrokes >= next_sample:
                    await _settle(client)
                    _, rss = peak_rss_mb(client.pid)
                    sample = SoakSample(
                        editor.keystrokes, time.perf_counter() - started, rss, open_fds(client.pid), editor.requests
                    )
                    samples.append(sample)
                    if callable(on_sample):
                        on_sample(sample)
                    next_sample += sample_every
                await editor.edit_one_document(index, min(KEYS_PER_DOCUMENT, keystrokes - editor.keystrokes))
                index += 1
            await _settle(client)
            _, rss = peak_rss_mb(client.pid)
            samples.append(
                SoakSample(editor.keystrokes, time.perf_counter() - started, rss, open_fds(client.pid), editor.requests)
            )
            peak, _ = peak_rss_mb(client.pid)
            rss_growth, fd_growth = growth(samples)
            return SoakResult(samples, rss_growth, fd_growth, peak)
        finally:
            await client.close()
            fake.requests.clear()


async def _settle(client: LspClient) -> None:
    """A round trip the server answers at once, so every earlier message has been handled."""
    try:
        await client.request("codestral/soakBarrier", {}, 30)
    except LspError:  # unknown method: answered, which is all we need
        pass


def report(result: SoakResult, markdown: bool = False) -> str:
    rows = [
        [str(s.keystrokes), fmt(s.elapsed_s), fmt(s.rss_mb, 2), str(s.fds), str(s.requests)] for s in result.samples
    ]
    lines = [table(["keystrokes", "seconds", "RSS MB", "open fds", "requests"], rows, markdown)]
    lines.append("")
    lines.append(
        f"growth per 10k keystrokes (after the first {int(WARM_UP_SHARE * 100)}% of samples): "
        f"RSS {fmt(result.growth_mb_per_10k, 2)} MB, fds {fmt(result.fd_growth_per_10k, 2)}; "
        f"peak RSS {fmt(result.peak_mb)} MB"
    )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keystrokes", type=int, default=None, help="didChange notifications (default 60000)")
    parser.add_argument("--sample-every", type=int, default=None, help="keystrokes between samples")
    parser.add_argument("--quick", action="store_true", help="10,000 keystrokes, for a first look")
    parser.add_argument("--server-cmd", default=None, help="command that starts codestral-ls on stdio")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")


def main(args: argparse.Namespace) -> int:
    import shlex

    keystrokes = args.keystrokes or (10_000 if args.quick else 60_000)
    sample_every = args.sample_every or max(250, keystrokes // 20)
    server_cmd = shlex.split(args.server_cmd) if args.server_cmd else None
    print(f"soak: {keystrokes} keystrokes, a sample every {sample_every}; {machine()}")

    def progress(sample: SoakSample) -> None:
        print(f"  {sample.keystrokes:>7} keys  {sample.elapsed_s:7.1f} s  {sample.rss_mb:7.2f} MB  {sample.fds} fds")

    result = asyncio.run(soak(keystrokes, sample_every, server_cmd, on_sample=progress))
    print()
    print(report(result, args.markdown))
    return 0


if __name__ == "__main__":  # pragma: no cover - see benchmarks/soak.py
    raise SystemExit(main(argparse.ArgumentParser().parse_args()))
