"""The servers the economy benchmark compares, each started against its own fake backend.

- codestral-ls as configured by default, and as the naive baseline (fixed debounce, no cache,
  no reuse, no prefetch), both against `TimedFakeMistral`;
- tabby-agent 1.5.0, when installed (`benchmarks/peers.py`; `textDocument/completion` only),
  against `FakeTabby`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..simulator.mistral import LatencyProfile
from .fakes import FakeTabby, TimedFakeMistral, TruthResponder
from .lsp_client import LspClient

NAIVE_OPTIONS = {"adaptiveDebounce": False, "reuse": False, "prefetch": False, "cacheSize": 0}
TABBY_VERSION = "1.5.0"
FAKE_KEY = "bench-fake-key"


@attrs.frozen
class Contender:
    label: str
    kind: str  # "codestral" | "tabby"
    mode: str  # "inline" | "completion"
    options: dict[str, Any] = attrs.Factory(dict)


CODESTRAL = Contender("codestral-ls", "codestral", "inline")
NAIVE = Contender("naive baseline", "codestral", "inline", NAIVE_OPTIONS)
TABBY = Contender(f"tabby-agent {TABBY_VERSION}", "tabby", "completion")


def open_log(path: Path | None) -> Any:
    """A file to append a server's stderr to (its logs), or DEVNULL."""
    return open(path, "ab") if path else subprocess.DEVNULL


def close_log(handle: Any) -> None:
    if hasattr(handle, "close"):
        handle.close()


def server_command(override: str | None = None) -> list[str]:
    """How to start codestral-ls: `--server-cmd` if given, else this interpreter's `-m codestral_ls`."""
    if override:
        import shlex

        return shlex.split(override)
    return [sys.executable, "-m", "codestral_ls"]


async def wait_ready(client: LspClient, timeout_s: float = 5.0) -> bool:
    """Wait for the first `codestral/status` (the server's readiness signal); False on timeout."""
    ready = asyncio.Event()
    client.on_notification("codestral/status", lambda params, _: ready.set())
    if any(method == "codestral/status" for method, _, _ in client.notifications):
        return True
    try:
        await asyncio.wait_for(ready.wait(), timeout_s)
        return True
    except TimeoutError:
        return False


@contextlib.asynccontextmanager
async def start_codestral(
    contender: Contender,
    responder: TruthResponder,
    latency: LatencyProfile,
    seed: int,
    command: Sequence[str],
    stderr_path: Path | None = None,
) -> AsyncIterator[LspClient]:
    fake = TimedFakeMistral(responder, latency=latency, seed=seed)
    await fake.start()
    stderr = open_log(stderr_path)
    env = {k: v for k, v in os.environ.items() if k not in ("CODESTRAL_API_KEY", "MISTRAL_API_KEY")}
    try:
        client = await LspClient.spawn(command, env=env, stderr=stderr)
        options = {"backend": "mistral", "endpoint": fake.base_url, "apiKey": FAKE_KEY, **contender.options}
        await client.initialize(options)
        await wait_ready(client)
        try:
            yield client
        finally:
            await client.close()
    finally:
        await fake.stop()
        close_log(stderr)


def find_tabby(cache_dir: Path) -> tuple[Path | None, str]:
    """tabby-agent's cli.js under `cache_dir`, or (None, why). Never installs anything: the installer
    is dev tooling (`benchmarks/peers.py`), and the installed server package does not run npm."""
    cli = cache_dir / "node_modules" / "tabby-agent" / "dist" / "cli.js"
    if cli.is_file():
        return cli, ""
    if shutil.which("node") is None:
        return None, "node is not installed"
    return None, f"tabby-agent is not installed in {cache_dir} (from a checkout: python benchmarks/peers.py)"


@contextlib.asynccontextmanager
async def start_tabby(
    cli: Path,
    responder: TruthResponder,
    latency: LatencyProfile,
    seed: int,
    stderr_path: Path | None = None,
) -> AsyncIterator[LspClient]:
    fake = FakeTabby(responder, latency, seed)
    base_url = await fake.start()
    home = Path(tempfile.mkdtemp(prefix="tabby-home-"))
    config = home / ".tabby-client" / "agent" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'[server]\nendpoint = "{base_url}"\ntoken = "{FAKE_KEY}"\n\n'
        '[anonymousUsageTracking]\ndisable = true\n\n[logs]\nlevel = "silent"\n'
    )
    env = {**os.environ, "HOME": str(home), "USERPROFILE": str(home)}
    stderr = open_log(stderr_path)
    try:
        client = await LspClient.spawn(["node", str(cli), "--lsp", "--stdio"], env=env, stderr=stderr)
        client.on_request("workspace/configuration", lambda params: [None for _ in (params or {}).get("items", [])])
        await client.initialize({}, root_uri="file:///bench")
        await _wait_tabby_ready(fake)
        try:
            yield client
        finally:
            await client.close()
    finally:
        await fake.stop()
        shutil.rmtree(home, ignore_errors=True)
        close_log(stderr)


async def _wait_tabby_ready(fake: FakeTabby, timeout_s: float = 10.0) -> None:
    """tabby-agent checks `/v1/health` after initializing; completions are off until it has."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while "/v1/health" not in fake.paths and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
