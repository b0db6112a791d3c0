"""The VS Code extension in a real VS Code: code-server + headless Chromium + playwright-core.

Offline, against the real server (`python -m codestral_ls` from this repo) and a local fake
Codestral (FakeMistral) that only accepts one key. One session walks the user story:
the status bar says ready -> typing shows ghost text -> Tab accepts it -> the saved file holds
it -> "Codestral: Trigger Suggestion" from the command palette shows it again -> a wrong key set
with "Codestral: Set API Key" (SecretStorage) -> 401 -> the status bar shows an error naming
SecretStorage -> an excluded markdown file shows the server's "disabled" -> the Python file
still shows the error -> "Codestral: Disable Completions" shows "disabled" at once.
Another installs the .vsix with no server anywhere: the extension sets up the server wheel it
bundles in a private venv (pip, from a local wheelhouse) and ghost text comes from it. A third
points serverPath nowhere: the pop-up says so and its "Set Server Path" button fixes it.
Needs `editors/vscode/scripts/setup-e2e.sh` once (~2.5 min, ~0.8 GB); skips without it.
Drives the browser with editors/vscode/e2e/run.mjs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codestral_ls.simulator.mistral import FakeMistral, LatencyProfile

pytestmark = [pytest.mark.editor, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "editors" / "vscode"
E2E_ENV = Path(os.environ.get("CODESTRAL_E2E_CACHE", EXTENSION / ".e2e")) / "env.json"
GOOD_KEY = "sk-e2e-good"
WRONG_KEY = "sk-e2e-wrong"
COMPLETION = "return a + b"

# A quiet, deterministic profile: no word suggestions, no chat, no auto-closing, no tours.
EDITOR_SETTINGS: dict[str, Any] = {
    "editor.quickSuggestions": {"other": "off", "comments": "off", "strings": "off"},
    "editor.suggestOnTriggerCharacters": False,
    "editor.inlineSuggest.enabled": True,
    "editor.autoClosingBrackets": "never",
    "editor.autoClosingQuotes": "never",
    "chat.disableAIFeatures": True,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "extensions.autoUpdate": False,
    "extensions.autoCheckUpdates": False,
    "update.mode": "none",
    "git.enabled": False,
    "files.autoSave": "off",
}


def _unavailable(reason: str) -> None:
    # CI sets CODESTRAL_E2E_REQUIRED=1 so that a broken set-up fails instead of skipping.
    if os.environ.get("CODESTRAL_E2E_REQUIRED") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _setup() -> dict[str, str]:
    if not E2E_ENV.exists():
        _unavailable(f"VS Code e2e not set up: run editors/vscode/scripts/setup-e2e.sh ({E2E_ENV})")
    env: dict[str, str] = json.loads(E2E_ENV.read_text())
    for key in ("node24", "codeServer", "playwrightCore", "chromium"):
        if not Path(env[key]).exists():
            _unavailable(f"VS Code e2e set-up incomplete ({env[key]} missing): rerun setup-e2e.sh")
    if shutil.which("node") is None or shutil.which("npm") is None:
        _unavailable("node and npm are needed to build the extension")
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"code-server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError("code-server did not answer /healthz")


@pytest.fixture
def fake_codestral() -> Iterator[FakeMistral]:
    fake = FakeMistral(lambda body: COMPLETION, latency=LatencyProfile.instant(), api_key=GOOD_KEY)
    server = fake.run_in_thread()
    server.start()
    try:
        yield fake
    finally:
        server.stop()


def _logs(root: Path, limit: int = 6000) -> str:
    """The tail of code-server's log and of every Codestral output-channel log, for failures."""
    parts = []
    for file in sorted(root.rglob("*.log")):
        if "Codestral" in file.name or file.name in ("code-server.log", "remoteexthost.log"):
            parts.append(f"--- {file.relative_to(root)}\n{file.read_text(errors='replace')[-limit:]}")
    return "\n".join(parts)


@pytest.fixture(scope="module")
def vsix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extension, built and packaged by the repo's own script, once per module."""
    _setup()
    path = tmp_path_factory.mktemp("vsix") / "codestral-ls.vsix"
    subprocess.run(
        ["sh", str(EXTENSION / "scripts" / "package.sh"), str(path)],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "PYTHON": sys.executable},  # builds the bundled server wheel
    )
    return path


def _session(
    tmp_path: Path,
    vsix: Path,
    settings: dict[str, Any],
    files: dict[str, str],
    driver_config: dict[str, Any],
    extra_env: dict[str, str | None],
) -> tuple[dict[str, Any], str]:
    """Install the .vsix into a fresh code-server, open `files` as a folder, run run.mjs.

    `extra_env` values of None remove the variable. Returns run.mjs's report and, for assertion
    messages, the report plus the logs.
    """
    env = _setup()
    home, data, extensions = tmp_path / "home", tmp_path / "data", tmp_path / "extensions"
    workspace = tmp_path / "ws"
    for directory in (home, data / "User", data / "Machine", extensions, workspace):
        directory.mkdir(parents=True)
    for name, text in files.items():
        (workspace / name).write_text(text)
    # serverPath and endpoint are machine-scoped, and code-server is a remote window: it reads
    # them from Machine/ only (checked: in User/ alone the server is "missing").
    for scope in ("User", "Machine"):
        (data / scope / "settings.json").write_text(json.dumps({**EDITOR_SETTINGS, **settings}, indent=2))

    process_env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CODESTRAL_API_KEY", "MISTRAL_API_KEY", "VSCODE_IPC_HOOK_CLI")
    }
    process_env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PYTHONPATH=str(REPO),
    )
    for key, value in extra_env.items():
        if value is None:
            process_env.pop(key, None)
        else:
            process_env[key] = value
    code_server = [env["node24"], env["codeServer"], "--user-data-dir", str(data)]
    code_server += ["--extensions-dir", str(extensions)]
    subprocess.run(
        [*code_server, "--install-extension", str(vsix)],
        env=process_env,
        check=True,
        capture_output=True,
        timeout=120,
    )

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with (data / "code-server.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                *code_server,
                *("--auth", "none", "--bind-addr", f"127.0.0.1:{port}"),
                *("--disable-telemetry", "--disable-update-check", "--disable-workspace-trust"),
                # Trace level lets vscode-languageclient log the LSP traffic to Codestral.log.
                *("--log", "trace"),
                str(workspace),
            ],
            env=process_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # it spawns an extension host and our server: stop the group
        )
        try:
            _wait_healthy(url, proc)
            config = {
                "url": f"{url}/?folder={workspace}",
                "playwrightCore": env["playwrightCore"],
                "chromium": env["chromium"],
                "profileDir": str(tmp_path / "chromium-profile"),
                "artifactsDir": str(tmp_path / "artifacts"),
                **driver_config,
            }
            (tmp_path / "run.json").write_text(json.dumps(config))
            driver = subprocess.run(
                ["node", str(EXTENSION / "e2e" / "run.mjs"), str(tmp_path / "run.json")],
                capture_output=True,
                text=True,
                timeout=420,
            )
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    lines = driver.stdout.strip().splitlines()
    assert lines, f"no report from run.mjs: {driver.stderr[-3000:]}\n{_logs(data)}"
    report: dict[str, Any] = json.loads(lines[-1])
    print(json.dumps(report, indent=1))  # shown with -rP; the steps carry timings
    artifacts = tmp_path / "artifacts"
    return report, f"report: {json.dumps(report, indent=1)}\nscreenshots: {artifacts}\n{_logs(data)}"


def _lsp_trace(tmp_path: Path) -> str:
    """The extension's output channel: its own lines and, at trace level, the LSP traffic."""
    return "".join(f.read_text(errors="replace") for f in (tmp_path / "data").rglob("Codestral.log"))


def test_ghost_text_tab_accept_and_401_in_code_server(tmp_path: Path, vsix: Path, fake_codestral: FakeMistral) -> None:
    report, diagnostics = _session(
        tmp_path,
        vsix,
        settings={
            "codestral.endpoint": fake_codestral.base_url,
            # The repo's own server: a Python runs `python -m codestral_ls`.
            "codestral.serverPath": sys.executable,
            "codestral.trace.server": "verbose",
            # Excluded: the server's own per-file "disabled" (the extension only knows enable/languages).
            "codestral.exclude": ["notes.md"],
        },
        files={"add.py": "", "notes.md": ""},
        driver_config={
            "scenario": "story",
            "fileName": "add.py",
            "typed": "def add(a, b):",
            "expectGhost": COMPLETION,
            "wrongKey": WRONG_KEY,
            "disabledFile": "notes.md",
        },
        # The server starts with the right key from the environment; the wrong one comes later
        # from SecretStorage, which wins.
        extra_env={"CODESTRAL_API_KEY": GOOD_KEY},
    )
    assert report["ok"], diagnostics
    steps = {step["name"]: step for step in report["steps"]}
    assert COMPLETION in steps["ghost text"]["ghost"], diagnostics
    # Tab accepted it and Ctrl+S saved it: the file on disk holds the suggestion, indented.
    saved = (tmp_path / "ws" / "add.py").read_text()
    assert saved.startswith(f"def add(a, b):\n    {COMPLETION}"), diagnostics
    assert steps["error after 401"]["label"].startswith("Codestral: error"), diagnostics
    # The key came from SecretStorage, and the message says so (the server only knows "apiKey").
    assert "SecretStorage" in steps["error after 401"]["label"], diagnostics
    assert "Codestral: Set API Key" in steps["error after 401"]["label"], diagnostics
    assert "SecretStorage" in (steps["error after 401"]["notification"] or ""), diagnostics
    # The command palette offers "Codestral: Trigger Suggestion", and it asks at once.
    assert COMPLETION in steps["trigger from the palette"]["ghost"], diagnostics
    # Disabling shows without a keystroke (run.mjs types nothing between the two).
    assert steps["disable shows at once"]["label"] == "Codestral: disabled - completions are disabled", diagnostics
    assert steps["enable again"]["label"].startswith("Codestral: error"), diagnostics
    # Per file: notes.md is excluded, which only the server knows; the Python file still shows the error.
    assert steps["disabled for this file"]["label"].startswith("Codestral: disabled - this file matches"), diagnostics
    assert steps["other file keeps the global state"]["label"].startswith("Codestral: error")

    # Accepting ran the item's command: VS Code -> vscode-languageclient -> the server.
    trace = _lsp_trace(tmp_path)
    execute = trace.find("Sending request 'workspace/executeCommand")
    assert execute != -1 and '"command": "codestral.accept"' in trace[execute : execute + 600], trace[-4000:]
    # The stored key reached the server as a settings push.
    assert "Sending notification 'workspace/didChangeConfiguration'" in trace, trace[-4000:]

    keys = [request.headers.get("authorization") for request in fake_codestral.requests]
    assert f"Bearer {GOOD_KEY}" in keys, keys  # env CODESTRAL_API_KEY reached the server
    assert keys[-1] == f"Bearer {WRONG_KEY}", keys  # SecretStorage's key replaced it


def test_a_missing_server_says_what_to_do_and_its_pop_up_fixes_it(tmp_path: Path, vsix: Path) -> None:
    report, diagnostics = _session(
        tmp_path,
        vsix,
        settings={"codestral.serverPath": str(tmp_path / "nowhere" / "codestral-ls")},
        files={"add.py": ""},
        driver_config={"scenario": "missing", "fileName": "add.py", "serverPathFix": sys.executable},
        extra_env={},
    )
    assert report["ok"], diagnostics
    steps = {step["name"]: step for step in report["steps"]}
    label = steps["status missing"]["label"]
    assert label.startswith("Codestral: missing - codestral.serverPath is set to"), label
    assert "nowhere/codestral-ls" in label and "not an executable" in label, label
    assert report["notification"] and "codestral.serverPath" in report["notification"], diagnostics
    # The pop-up's "Set Server Path" took the path and the server started with it: in code-server
    # the path went to the machine settings, the only ones a remote window reads it from.
    assert steps["status ready after setting the path"]["label"].startswith("Codestral: ready"), diagnostics
    machine = json.loads((tmp_path / "data" / "Machine" / "settings.json").read_text())
    assert machine["codestral.serverPath"] == sys.executable, machine
    assert f"Starting {sys.executable} -m codestral_ls (from setting)" in _lsp_trace(tmp_path), diagnostics


def test_the_vsix_sets_up_its_bundled_server_on_first_run(
    tmp_path: Path, vsix: Path, wheelhouse: Path, path_without_server: str, fake_codestral: FakeMistral
) -> None:
    # No serverPath, no project venv, no codestral-ls on PATH: only a Python 3.11+ named python3.
    # First codestral.interpreter names no Python: the extension says so; its pop-up clears it.
    missing_python = tmp_path / "nowhere" / "python3"
    report, diagnostics = _session(
        tmp_path,
        vsix,
        settings={
            "codestral.endpoint": fake_codestral.base_url,
            "codestral.trace.server": "verbose",
            "codestral.interpreter": str(missing_python),
        },
        files={"add.py": ""},
        driver_config={
            "scenario": "bundled",
            "pythonFix": "",  # empty: back to searching PATH
            "fileName": "add.py",
            "typed": "def add(a, b):",
            "expectGhost": COMPLETION,
            "readyTimeoutMs": 240000,
        },
        extra_env={
            "CODESTRAL_API_KEY": GOOD_KEY,
            "PATH": path_without_server,
            "PYTHONPATH": None,  # the server must come from the venv, not from this checkout
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(wheelhouse),
        },
    )
    assert report["ok"], diagnostics
    steps = {step["name"]: step for step in report["steps"]}
    # No fit Python: said in the status bar and a notification, with what was tried and the fixes.
    missing = steps["status missing python"]["label"]
    assert missing.startswith("Codestral: missing - The extension sets up its bundled codestral-ls"), missing
    assert f"{missing_python} not found" in missing and "Python 3.11" in missing, missing
    notification = steps["set python from the pop-up"]["notification"]
    assert "codestral.interpreter" in notification and "codestral.serverPath" in notification, notification
    machine = json.loads((tmp_path / "data" / "Machine" / "settings.json").read_text())
    assert "codestral.interpreter" not in machine, machine  # the pop-up cleared it
    assert COMPLETION in steps["ghost text"]["ghost"], diagnostics
    # The ghost text came from the venv the extension made in its global storage.
    (ready,) = (tmp_path / "data").rglob(".codestral-ready")
    venv = ready.parent
    assert ready.read_text().startswith("codestral_ls-"), diagnostics
    assert list(venv.glob("lib/python3*/site-packages/codestral_ls/server.py")), diagnostics
    assert f"Starting {venv / 'bin' / 'python'} -m codestral_ls (from bundled)" in _lsp_trace(tmp_path), diagnostics
    assert fake_codestral.requests, diagnostics
