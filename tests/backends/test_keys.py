"""KeyProvider: static keys, env keys, and keys printed by a command (cached, refreshed)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from codestral_ls.backends.keys import KeyProvider
from codestral_ls.config import Settings
from codestral_ls.errors import AuthError


def python_command(code: str, *args: str) -> str:
    return " ".join(shlex.quote(part) for part in (sys.executable, "-c", code, *args))


def counting_command(tmp_path: Path) -> str:
    """Prints token-1, token-2, ... on successive runs."""
    code = (
        "import pathlib,sys; p=pathlib.Path(sys.argv[1]); "
        "n=int(p.read_text())+1 if p.exists() else 1; p.write_text(str(n)); print(f'token-{n}')"
    )
    return python_command(code, str(tmp_path / "runs"))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_static_key_is_returned_and_never_refreshable() -> None:
    keys = KeyProvider(static="abc123", source="the apiKey setting")
    assert await keys.get() == "abc123"
    assert not keys.refreshable
    keys.invalidate()
    assert await keys.get() == "abc123"


async def test_repr_never_shows_the_key() -> None:
    keys = KeyProvider(static="abc123", source="the apiKey setting")
    assert "abc123" not in repr(keys) and "apiKey" in repr(keys)


async def test_precedence_setting_then_command_then_env() -> None:
    env = {"OLLAMA_API_KEY": "from-env"}
    with_key = KeyProvider.from_settings(Settings(api_key="k", api_key_command="echo c"), env, ["OLLAMA_API_KEY"])
    assert await with_key.get() == "k" and with_key.source == "the apiKey setting"
    with_command = KeyProvider.from_settings(Settings(api_key_command="echo c"), env, ["OLLAMA_API_KEY"])
    assert await with_command.get() == "c" and with_command.refreshable
    from_env = KeyProvider.from_settings(Settings(), env, ["OLLAMA_API_KEY"])
    assert await from_env.get() == "from-env" and from_env.source == "env OLLAMA_API_KEY"
    nothing = KeyProvider.from_settings(Settings(), env, [])
    assert await nothing.get() is None


async def test_command_key_is_cached_until_the_ttl_passes(tmp_path: Path) -> None:
    clock = Clock()
    keys = KeyProvider(command=counting_command(tmp_path), ttl_s=60, clock=clock)
    assert await keys.get() == "token-1"
    clock.now += 59
    assert await keys.get() == "token-1"
    clock.now += 2
    assert await keys.get() == "token-2"
    assert keys.command_runs == 2


async def test_invalidate_runs_the_command_again(tmp_path: Path) -> None:
    keys = KeyProvider(command=counting_command(tmp_path))
    assert await keys.get() == "token-1"
    keys.invalidate()
    assert await keys.get() == "token-2"


async def test_each_key_the_command_prints_is_announced_once(tmp_path: Path) -> None:
    """The server registers them with its log redactor: on the first fetch, on expiry, on refresh."""
    heard: list[str] = []
    clock = Clock()
    settings = Settings(api_key_command=counting_command(tmp_path), api_key_ttl_s=60)
    keys = KeyProvider.from_settings(settings, {}, clock=clock, on_key=heard.append)
    assert [await keys.get(), await keys.get()] == ["token-1", "token-1"]
    clock.now += 61
    assert await keys.get() == "token-2"
    keys.invalidate()
    assert await keys.get() == "token-3"
    assert heard == ["token-1", "token-2", "token-3"]


async def test_concurrent_gets_run_the_command_once(tmp_path: Path) -> None:
    import asyncio

    keys = KeyProvider(command=counting_command(tmp_path))
    assert await asyncio.gather(*(keys.get() for _ in range(5))) == ["token-1"] * 5
    assert keys.command_runs == 1


async def test_surrounding_whitespace_and_blank_lines_are_dropped() -> None:
    keys = KeyProvider(command=python_command("print(); print('  ya29.tok  '); print()"))
    assert await keys.get() == "ya29.tok"


async def test_failing_command_shows_stderr_but_not_stdout() -> None:
    code = "import sys; print('half-secret'); sys.stderr.write('ERROR: not logged in\\n'); sys.exit(3)"
    keys = KeyProvider(command=python_command(code))
    with pytest.raises(AuthError) as caught:
        await keys.get()
    message = str(caught.value)
    assert "exit code 3" in message and "not logged in" in message
    assert "half-secret" not in message


async def test_a_command_printing_nothing_is_an_auth_error() -> None:
    with pytest.raises(AuthError, match="printed no key"):
        await KeyProvider(command=python_command("pass")).get()


async def test_a_hanging_command_times_out() -> None:
    keys = KeyProvider(command=python_command("import time; time.sleep(30)"), command_timeout_s=0.2)
    with pytest.raises(AuthError, match="did not finish"):
        await keys.get()


async def test_a_missing_program_is_an_auth_error() -> None:
    with pytest.raises(AuthError, match="apiKeyCommand failed"):
        await KeyProvider(command="definitely-not-a-program-4711").get()
