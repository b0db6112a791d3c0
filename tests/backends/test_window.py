"""read_context_window against the fakes, and the warning `check` prints from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from codestral_ls.backends.window import ContextWindow, prompt_budget_warning, read_context_window
from codestral_ls.config import Settings
from codestral_ls.simulator import FakeLlamaCpp, FakeMistral, FakeOllama, FakeOpenAI, LatencyProfile
from codestral_ls.simulator.__main__ import FAKES, fake_options, parse_args

FAST = LatencyProfile.instant()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield http


async def test_llamacpp_window_comes_from_props(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp(n_ctx=2048, latency=FAST) as fake:
        window = await read_context_window(Settings(backend="llamacpp", endpoint=fake.base_url), client)
    assert window is not None and window.n_ctx == 2048 and "/props" in window.source


async def test_ollama_window_is_the_num_ctx_parameter_when_set(client: httpx.AsyncClient) -> None:
    async with FakeOllama(num_ctx=8192, latency=FAST) as fake:
        window = await read_context_window(Settings(backend="ollama", endpoint=fake.base_url), client)
        assert fake.requests[-1].body == {"model": "codestral"}
    assert window is not None and window.n_ctx == 8192 and window.trained_ctx == 32768


async def test_ollama_without_num_ctx_says_it_may_truncate(client: httpx.AsyncClient) -> None:
    async with FakeOllama(latency=FAST) as fake:
        window = await read_context_window(Settings(backend="ollama", endpoint=fake.base_url), client)
    assert window is not None and window.n_ctx is None
    assert "silently cuts" in window.note and window.smallest_ctx == 4096


async def test_ollama_unknown_model_has_no_window(client: httpx.AsyncClient) -> None:
    async with FakeOllama(latency=FAST) as fake:
        settings = Settings(backend="ollama", endpoint=fake.base_url, model="nope")
        assert await read_context_window(settings, client) is None


async def test_openai_window_is_max_model_len(client: httpx.AsyncClient) -> None:
    async with FakeOpenAI(max_model_len=4096, latency=FAST) as fake:
        settings = Settings(backend="openai", endpoint=fake.base_url, model="mistralai/Codestral-22B-v0.1")
        window = await read_context_window(settings, client)
    assert window == ContextWindow(4096, "/v1/models max_model_len")


async def test_endpoint_query_is_kept_when_reading_the_window(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp(n_ctx=1024, latency=FAST) as fake:
        fake.base_path = "/llama"
        settings = Settings(backend="llamacpp", endpoint=fake.base_url + "/llama?tenant=a")
        window = await read_context_window(settings, client)
        assert fake.requests[-1].path == "/llama/props?tenant=a"
    assert window is not None and window.n_ctx == 1024


async def test_mistral_gateway_has_no_window(client: httpx.AsyncClient) -> None:
    async with FakeMistral(latency=FAST) as fake:
        settings = Settings(endpoint=fake.base_url, api_key="k", url_template="{endpoint}/m/{model}:{method}")
        assert await read_context_window(settings, client) is None
        assert fake.requests == []


SMALL = ContextWindow(2048, "llama.cpp /props n_ctx")


@pytest.mark.parametrize(
    ("settings", "window", "warns"),
    [
        ({}, None, False),
        ({}, ContextWindow(32768, "x"), False),
        ({}, SMALL, True),  # 6000 + 2000 chars is ~2667 tokens, + 256
        ({"max_prefix_chars": 3000, "max_suffix_chars": 1000}, SMALL, False),
        ({}, ContextWindow(None, "Ollama /api/show", note="may truncate", smallest_ctx=4096), False),
        (
            {"max_prefix_chars": 20000},
            ContextWindow(None, "Ollama /api/show", note="may truncate", smallest_ctx=4096),
            True,
        ),
    ],
)
def test_prompt_budget_warning(settings: dict[str, Any], window: ContextWindow | None, warns: bool) -> None:
    warning = prompt_budget_warning(Settings(**settings), window)
    assert (warning is not None) == warns
    if warning and window and window.n_ctx:
        assert str(window.n_ctx) in warning and "maxPrefixChars" in warning


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        (["--format", "llamacpp", "--context-window", "2048"], {"n_ctx": 2048}),
        (["--format", "ollama", "--context-window", "4096"], {"num_ctx": 4096}),
        (["--format", "openai", "--context-window", "8192"], {"max_model_len": 8192}),
        (["--format", "llamacpp"], {}),
    ],
)
def test_the_simulator_command_serves_a_small_window(argv: list[str], options: dict[str, int]) -> None:
    assert fake_options(parse_args(argv)) == options
    if options:
        fake = FAKES[argv[1]](**options)
        assert getattr(fake, next(iter(options))) == next(iter(options.values()))


def test_the_simulator_command_refuses_a_window_for_the_mistral_fake() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--context-window", "2048"])


def test_the_simulator_command_can_ignore_max_tokens() -> None:
    assert parse_args(["--ignore-max-tokens"]).ignore_max_tokens is True
