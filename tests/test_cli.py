"""The command line as users run it: real processes, a fake endpoint on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from codestral_ls import __version__
from codestral_ls.simulator.mistral import FakeMistral, LatencyProfile
from support.lsp_session import SERVER_ENV

KEY = "cli-test-key-9f8e7d6c5b4a"


async def run(*args: str, env: dict[str, str] | None = None, stdin: bytes = b"") -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codestral_ls",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**SERVER_ENV, **(env or {})},
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_version() -> None:
    code, out, _ = await run("--version")
    assert code == 0 and out.strip() == f"codestral-ls {__version__}"


async def test_complete_prints_one_completion_from_the_endpoint(tmp_path: Path) -> None:
    source = tmp_path / "geometry.py"
    source.write_text("import math\n\ndef circle_area(r):\n    \n", encoding="utf-8")
    async with FakeMistral(
        lambda body: "return math.pi * r * r", latency=LatencyProfile.instant(), api_key=KEY
    ) as fake:
        code, out, err = await run(
            "complete", f"{source}:4:5", "--endpoint", fake.base_url, env={"CODESTRAL_API_KEY": KEY}
        )
    assert code == 0, err
    assert out == "return math.pi * r * r\n"
    assert fake.requests[0].body["prompt"] == "import math\n\ndef circle_area(r):\n    "
    assert KEY not in out + err


async def test_complete_with_a_refused_key_says_why_without_the_key(tmp_path: Path) -> None:
    source = tmp_path / "a.py"
    source.write_text("def f():\n    \n", encoding="utf-8")
    async with FakeMistral(latency=LatencyProfile.instant(), api_key="the-right-key-000000") as fake:
        code, out, err = await run(
            "complete", f"{source}:2:5", "--endpoint", fake.base_url, env={"MISTRAL_API_KEY": KEY}
        )
    assert code == 1
    assert "MISTRAL_API_KEY" in err and KEY not in err + out


async def test_complete_rejects_a_bad_location() -> None:
    code, _, err = await run("complete", "no-such-file.py:1:1")
    assert code == 2 and "FILE:LINE:COL" in err


def parse_frames(data: bytes) -> list[dict[str, Any]]:
    """Split stdout into LSP frames; fails on any byte that is not part of a frame."""
    frames = []
    while data:
        header, separator, rest = data.partition(b"\r\n\r\n")
        fields = dict(line.split(b": ", 1) for line in header.split(b"\r\n"))
        assert separator and set(fields) <= {b"Content-Length", b"Content-Type"}, data[:80]
        length = int(fields[b"Content-Length"])
        frames.append(json.loads(rest[:length]))
        data = rest[length:]
    return frames


def _frame(payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


async def test_debug_logs_go_to_the_log_file_never_stdout_and_never_hold_the_key(tmp_path: Path) -> None:
    log_file = tmp_path / "server.log"
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "processId": os.getpid(),
                "capabilities": {},
                "initializationOptions": {"apiKey": KEY, "endpoint": "http://127.0.0.1:9"},
            },
        },
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {
                    "uri": "file:///tmp/x.py",
                    "languageId": "python",
                    "version": 1,
                    "text": "def f():\n    \n",
                }
            },
        },
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "textDocument/inlineCompletion",
            "params": {
                "textDocument": {"uri": "file:///tmp/x.py"},
                "position": {"line": 1, "character": 4},
                "context": {"triggerKind": 1},
            },
        },
        {"jsonrpc": "2.0", "id": 3, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codestral_ls",
        "--log-level",
        "DEBUG",
        "--log-file",
        str(log_file),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**SERVER_ENV, "CODESTRAL_API_KEY": "env-key-abcdef98765"},
    )
    assert process.stdin and process.stdout and process.stderr
    process.stdin.write(b"".join(_frame(m) for m in messages[:-1]))
    await process.stdin.drain()
    out = b""
    while b'"id": 3' not in out:  # the shutdown reply: everything before it was answered
        out += await asyncio.wait_for(process.stdout.read(65536), 30)
    process.stdin.write(_frame(messages[-1]))
    await process.stdin.drain()
    rest, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    frames = parse_frames(out + rest)
    assert sorted(f["id"] for f in frames if "id" in f and "method" not in f) == [1, 2, 3]
    logged = log_file.read_text(encoding="utf-8")
    assert "inlineCompletion" in logged  # DEBUG really logged the traffic ...
    assert re.search(r"session: 1 requests, \d+ model calls", logged)  # ... and the shutdown summary
    assert KEY not in logged and "env-key-abcdef98765" not in logged  # ... and no key
    assert KEY.encode() not in out + rest + err
