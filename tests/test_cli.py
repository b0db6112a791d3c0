"""The command line as users run it: real processes, a fake endpoint on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from codestral_ls import __version__
from codestral_ls.simulator.mistral import ErrorReply, FakeMistral, LatencyProfile, Reply
from codestral_ls.simulator.ollama import FakeOllama
from codestral_ls.simulator.selfhosted import MidStreamError
from support.lsp_session import SERVER_ENV

KEY = "cli-test-key-9f8e7d6c5b4a"


async def run(
    *args: str, env: dict[str, str] | None = None, stdin: bytes = b"", cwd: Path | None = None
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codestral_ls",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**SERVER_ENV, **(env or {})},
        cwd=cwd,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), 180)
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


BAD_LOCATIONS = [
    ("no-such-file.py:1:1", "cannot read"),
    ("{source}", "expected FILE:LINE:COL"),
    ("{source}:2", "expected FILE:LINE:COL"),
    ("{source}:two:1", "must be whole numbers"),
    ("{source}:0:1", "count from 1"),
    ("{source}:9:1", "is outside the file: it has 3 lines"),
]


@pytest.mark.parametrize(("location", "why"), BAD_LOCATIONS)
async def test_complete_rejects_a_bad_location(tmp_path: Path, location: str, why: str) -> None:
    source = tmp_path / "a.py"
    source.write_text("def f():\n    \n", encoding="utf-8")
    code, out, err = await run("complete", location.format(source=source), "--endpoint", "http://127.0.0.1:9")
    assert_usage_error(code, out, err, why)


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
    messages: list[dict[str, Any]] = [
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


# ---- usage errors: one clear line on stderr, exit 2, never a traceback ---------------------------


def assert_usage_error(code: int, out: str, err: str, *expected: str) -> None:
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err
    message = err.strip()
    assert "\n" not in message, f"expected one line, got: {err!r}"
    for text in expected:
        assert text in message, (text, message)


SETTINGS_FILE_CASES = [
    pytest.param(None, "cannot read the settings file", id="missing"),
    pytest.param("{bad json", "is not valid JSON", id="invalid-json"),
    pytest.param("[1, 2]", "must hold a JSON object", id="a-list"),
    pytest.param('{"codestral": "ollama"}', "must hold a JSON object", id="section-not-an-object"),
    pytest.param(b"\xff\xfe{", "is not UTF-8 text", id="not-utf8"),
]


@pytest.mark.parametrize(("content", "expected"), SETTINGS_FILE_CASES)
@pytest.mark.parametrize("command", ["check", "complete"])
async def test_an_unusable_settings_file_is_one_line_and_exit_2(
    tmp_path: Path, command: str, content: str | bytes | None, expected: str
) -> None:
    settings = tmp_path / "settings.json"
    if isinstance(content, bytes):
        settings.write_bytes(content)
    elif content is not None:
        settings.write_text(content, encoding="utf-8")
    source = tmp_path / "a.py"
    source.write_text("x = 1\n", encoding="utf-8")
    location = [f"{source}:1:1"] if command == "complete" else []
    code, out, err = await run(command, *location, "--settings", str(settings))
    assert_usage_error(code, out, err, expected, str(settings))


async def test_an_unwritable_log_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing_dir = tmp_path / "no-such-dir" / "server.log"
    code, out, err = await run("--log-file", str(missing_dir))
    assert_usage_error(code, out, err, "cannot write the log file", str(missing_dir))
    code, out, err = await run("--log-file", str(tmp_path))  # a directory
    assert_usage_error(code, out, err, "cannot write the log file")


async def run_simulator(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codestral_ls.simulator",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=SERVER_ENV,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


BAD_SIMULATOR_ARGUMENTS = [
    ("--port", "99999", "65535"),
    ("--port", "-1", "65535"),
    ("--port", "eighty", "expected a port number"),
    ("--chunk-chars", "0", "must be at least 1"),
    ("--ttft-ms", "-3", "must be a number >= 0"),
    ("--token-ms", "slow", "expected a number"),
]


@pytest.mark.parametrize(
    ("flag", "value", "why"), BAD_SIMULATOR_ARGUMENTS, ids=[f"{f}={v}" for f, v, _ in BAD_SIMULATOR_ARGUMENTS]
)
async def test_simulator_rejects_bad_arguments(flag: str, value: str, why: str) -> None:
    code, out, err = await run_simulator(f"{flag}={value}")
    assert code == 2 and "Traceback" not in out + err
    assert flag in err and why in err


async def test_simulator_on_a_busy_port_says_so_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = await run_simulator("--port", str(port))
    assert_usage_error(code, out, err, f"cannot listen on 127.0.0.1:{port}", "--port 0")


BAD_BENCH_NUMBERS = [
    ("--keystrokes", "-5", "must be at least 1"),
    ("--keystrokes", "0", "must be at least 1"),
    ("--keystrokes", "many", "expected a whole number"),
    ("--sizes", "abc", "expected a whole number"),
    ("--sizes", "1000,-10", "must be at least 1"),
    ("--sizes", ",", "expected sizes"),
    ("--gap-ms", "-1", "must be a number >= 0"),
    ("--gap-ms", "nan", "must be a number >= 0"),
    ("--per-token-ms", "fast", "expected a number"),
    ("--ttft-ms", "600,150", "MIN must not exceed MAX"),
    ("--ttft-ms", "150", "expected MIN,MAX"),
    ("--real-requests", "0", "must be at least 1"),
    ("--sessions", "0", "must be at least 1"),
    ("--jobs", "-2", "must be at least 1"),
    ("--error-rate", "1.5", "between 0 and 1"),
]


@pytest.mark.parametrize(("flag", "value", "why"), BAD_BENCH_NUMBERS, ids=[f"{f}={v}" for f, v, _ in BAD_BENCH_NUMBERS])
async def test_bench_rejects_bad_numbers_before_starting(tmp_path: Path, flag: str, value: str, why: str) -> None:
    code, out, err = await run("bench", "--out", str(tmp_path), f"{flag}={value}")
    assert code == 2 and "Traceback" not in out + err
    assert flag in err and why in err
    assert os.listdir(tmp_path) == []  # it stopped before measuring anything


async def test_check_fails_on_an_unknown_backend(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text('{"codestral": {"backend": "vllm"}}', encoding="utf-8")
    code, out, err = await run("check", "--settings", str(settings))
    assert code == 1 and "Traceback" not in out + err
    assert "FAIL  setting backend ('vllm' is not one of mistral, ollama, llamacpp, openai;" in out
    assert "fix: set `backend` to one of: mistral, ollama, llamacpp, openai" in out


# ---- `complete` says why it gave nothing ---------------------------------------------------------

FUNCTION = "def total(items):\n    \n    return 0\n"


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("", "no completion: the model suggested nothing here"),
        ("return 0", "no completion: the 'nextline' filter dropped the model's answer 'return 0'"),
    ],
    ids=["empty-answer", "repeats-the-next-line"],
)
async def test_complete_says_why_the_answer_was_empty(tmp_path: Path, answer: str, why: str) -> None:
    await _complete_gives_nothing(tmp_path, answer, why)


async def test_complete_says_the_request_failed_and_how(tmp_path: Path) -> None:
    reply = ErrorReply(503, {"message": "Service unavailable"})
    await _complete_gives_nothing(tmp_path, reply, "no completion: the request failed: ")


async def _complete_gives_nothing(tmp_path: Path, answer: Reply, why: str) -> None:
    source = tmp_path / "totals.py"
    source.write_text(FUNCTION, encoding="utf-8")
    async with FakeMistral(lambda body: answer, latency=LatencyProfile.instant(), api_key=KEY) as fake:
        code, out, err = await run(
            "complete", f"{source}:2:5", "--endpoint", fake.base_url, env={"CODESTRAL_API_KEY": KEY}
        )
    assert code == 1 and out == ""
    assert why in err, err
    assert " WARNING " not in err  # the explanation, not log lines repeating it
    assert len(fake.requests) == 1


HEADER_TOKEN = "cli-gateway-token-A1B2C3"
COMMAND_KEY = "cli-command-key-D4E5F6"


@pytest.mark.parametrize("secret", ["header", "command-key"])
async def test_complete_never_prints_a_configured_secret_an_error_echoes(tmp_path: Path, secret: str) -> None:
    """Every secret the settings hold (and the key apiKeyCommand prints) is masked in what
    `complete` says, even when the server's error quotes it back."""
    source = tmp_path / "totals.py"
    source.write_text(FUNCTION, encoding="utf-8")
    settings_file = tmp_path / "settings.json"
    fake: FakeMistral | FakeOllama
    settings: dict[str, Any]
    if secret == "header":
        echo = ErrorReply(400, {"message": f"unknown gateway token {HEADER_TOKEN}"})
        fake = FakeMistral(lambda body: echo, latency=LatencyProfile.instant(), api_key=KEY)
        settings = {"headers": {"X-Gateway-Token": HEADER_TOKEN}}
        env, leaked = {"CODESTRAL_API_KEY": KEY}, HEADER_TOKEN
    else:
        print_key = tmp_path / "print-key.sh"
        print_key.write_text(f"echo {COMMAND_KEY}\n", encoding="utf-8")
        gone = MidStreamError("", f"key {COMMAND_KEY} has run out of credit")
        fake = FakeOllama(lambda body: gone, latency=LatencyProfile.instant(), api_key=COMMAND_KEY)
        settings = {"backend": "ollama", "apiKeyCommand": f"sh {print_key}"}
        env, leaked = {}, COMMAND_KEY
    async with fake:
        settings_file.write_text(json.dumps({"endpoint": fake.base_url, **settings}), encoding="utf-8")
        code, out, err = await run("complete", f"{source}:2:5", "--settings", str(settings_file), env=env)
    assert code == 1 and len(fake.requests) == 1
    assert "the request failed" in err and "***" in err, err
    assert leaked not in out + err


@pytest.mark.parametrize(
    ("name", "settings", "why"),
    [
        (".env.local", {}, "this file matches the exclude pattern '**/.env.*'"),
        ("totals.py", {"exclude": ["**/totals.py"]}, "this file matches the exclude pattern"),
        ("totals.py", {"maxDocumentChars": 10}, "the document is larger than maxDocumentChars"),
        ("totals.py", {"languages": {"python": False}}, "completions are disabled for python"),
        ("totals.py", {"endpoint": "localhost:8787"}, "codestral.endpoint: must start with http:// or https://"),
        ("totals.py", {"backend": "vllm"}, "codestral.backend: 'vllm' is not one of mistral, ollama"),
    ],
    ids=["secret-file", "excluded", "too-big", "language-off", "bad-endpoint", "bad-backend"],
)
async def test_complete_says_why_nothing_was_sent(
    tmp_path: Path, name: str, settings: dict[str, Any], why: str
) -> None:
    source = tmp_path / name
    source.write_text(FUNCTION, encoding="utf-8")
    settings_file = tmp_path / "settings.json"
    async with FakeMistral(latency=LatencyProfile.instant(), api_key=KEY) as fake:
        settings_file.write_text(json.dumps({"endpoint": fake.base_url, **settings}), encoding="utf-8")
        code, out, err = await run(
            "complete", f"{source}:2:5", "--settings", str(settings_file), env={"CODESTRAL_API_KEY": KEY}
        )
    assert code == 1 and out == "" and "Traceback" not in err
    assert f"no completion (nothing was sent): {why}" in err, err
    assert fake.requests == []


# ---- the README's first command: `codestral-ls bench --quick` ----------------------------------


async def test_bench_explains_itself_and_writes_nothing_into_the_current_directory(tmp_path: Path) -> None:
    from codestral_ls.bench.report import LATENCY_LEGEND, THROUGH_LEGEND

    cwd, cache = tmp_path / "project", tmp_path / "cache"
    cwd.mkdir()
    # --quick with a smaller load than the README's run: the output and files are the same.
    quick = ["bench", "--quick", "--sizes", "300", "--keystrokes", "5", "--no-demo"]
    code, out, err = await run(*quick, cwd=cwd, env={"XDG_CACHE_HOME": str(cache)})
    assert code == 0, err
    assert os.listdir(cwd) == []
    results = cache / "codestral-ls" / "bench"
    assert sorted(os.listdir(results)) == ["latency-server.log", "latency.json"]
    assert f"figures in {results / 'latency.json'}" in out
    assert "no key, no network" in out and "A benchmark, not a test" in out
    for names, meaning in [*LATENCY_LEGEND, *THROUGH_LEGEND]:
        assert f"  {', '.join(names)}" in out and meaning in out
    assert "MISSED" not in out + err and "Traceback" not in out + err


async def test_bench_out_that_cannot_be_a_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    code, out, err = await run("bench", "--quick", "--out", str(blocker / "results"))
    assert_usage_error(code, out, err, "cannot write to --out")
