"""make_backend: the `backend` setting picks the wire format, endpoint defaults, key and template."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from codestral_ls.backends.base import FimRequest
from codestral_ls.backends.factory import SettingsProblem, make_backend
from codestral_ls.backends.llamacpp import LlamaCppBackend
from codestral_ls.backends.mistral import MistralBackend
from codestral_ls.backends.ollama import OllamaBackend
from codestral_ls.backends.openai import OpenAICompatBackend
from codestral_ls.config import Settings
from codestral_ls.errors import InvalidRequest
from codestral_ls.simulator.llamacpp import FakeLlamaCpp
from codestral_ls.simulator.mistral import FakeMistral, LatencyProfile
from codestral_ls.simulator.ollama import FakeOllama
from codestral_ls.simulator.openai import FakeOpenAI

REQUEST = FimRequest("x = ", "\n", "codestral-latest", 16, 0.0)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield http


@pytest.mark.parametrize(
    ("backend", "kind"),
    [
        ("mistral", MistralBackend),
        ("ollama", OllamaBackend),
        ("llamacpp", LlamaCppBackend),
        ("openai", OpenAICompatBackend),
    ],
)
def test_backend_setting_picks_the_class(backend: str, kind: type, client: httpx.AsyncClient) -> None:
    made = make_backend(Settings(backend=backend), client, env={})  # type: ignore[arg-type]
    assert isinstance(made, kind) and made.name == backend


async def collect(settings: Settings, client: httpx.AsyncClient, env: dict[str, str]) -> str:
    backend = make_backend(settings, client, env)
    return "".join([chunk async for chunk in backend.stream(REQUEST)])


async def test_ollama_with_env_key_headers_and_template(client: httpx.AsyncClient) -> None:
    async with FakeOllama(latency=LatencyProfile.instant()) as fake:
        settings = Settings(
            backend="ollama",
            endpoint=fake.base_url,
            headers={"X-Proxy": "1"},
            prompt_template="codestral",
            keep_alive="-1",
        )
        assert await collect(settings, client, {"OLLAMA_API_KEY": "olk", "MISTRAL_API_KEY": "no"}) == "return a + b"
        request = fake.requests[-1]
    assert request.headers["authorization"] == "Bearer olk"
    assert request.headers["x-proxy"] == "1"
    assert request.body["raw"] is True and request.body["keep_alive"] == -1


async def test_llamacpp_infill_convention(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp(infill_supported=True, latency=LatencyProfile.instant()) as fake:
        settings = Settings(backend="llamacpp", endpoint=fake.base_url, prompt_template="infill")
        assert await collect(settings, client, {}) == "return a + b"
        assert fake.requests[-1].path == "/infill"


async def test_openai_sends_no_cloud_key_from_the_environment(client: httpx.AsyncClient) -> None:
    async with FakeOpenAI(models=["codestral-latest"], latency=LatencyProfile.instant()) as fake:
        settings = Settings(backend="openai", endpoint=fake.base_url)
        env = {"MISTRAL_API_KEY": "cloud", "CODESTRAL_API_KEY": "cloud", "OPENAI_API_KEY": "cloud"}
        assert await collect(settings, client, env) == "return a + b"
        assert "authorization" not in fake.requests[-1].headers


async def test_mistral_with_a_key_command_and_url_template(client: httpx.AsyncClient) -> None:
    async with FakeMistral(api_key="ya29.token", latency=LatencyProfile.instant()) as fake:
        settings = Settings(
            endpoint=fake.base_url,
            api_key_command="echo ya29.token",
            url_template="{endpoint}/v1/projects/p/locations/europe-west4/publishers/mistralai/models/{model}:{method}",
        )
        text = await collect(settings, client, {})
        path = fake.requests[-1].path
    assert text
    assert path.endswith("/models/codestral-latest:streamRawPredict")


async def test_a_bad_template_reports_the_setting_on_use(client: httpx.AsyncClient) -> None:
    backend = make_backend(Settings(backend="openai", prompt_template="no placeholders"), client, {})
    assert isinstance(backend, SettingsProblem)
    with pytest.raises(InvalidRequest, match=r"codestral\.promptTemplate"):
        async for _ in backend.stream(REQUEST):
            pass
