"""`codestral-ls check` against the fakes: each step's verdict, the fix it prints, the exit code."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import attrs
import httpx
import pytest

from codestral_ls.check import run_check
from codestral_ls.config import Settings, parse_settings
from codestral_ls.simulator.llamacpp import FakeLlamaCpp
from codestral_ls.simulator.mistral import ErrorReply, FakeMistral, LatencyProfile
from codestral_ls.simulator.ollama import FakeOllama
from codestral_ls.simulator.openai import FakeOpenAI
from codestral_ls.simulator.selfhosted import MidStreamError

KEY = "sk-test-9f8e7d6c"
FAST = LatencyProfile.instant()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield http


async def check(
    settings: Settings, client: httpx.AsyncClient, env: dict[str, str] | None = None, **kw: object
) -> tuple[int, str]:
    out = io.StringIO()
    code = await run_check(settings, out, env or {}, client=client, **kw)  # type: ignore[arg-type]
    text = out.getvalue()
    assert KEY not in text
    return code, text


async def test_ollama_all_good(client: httpx.AsyncClient) -> None:
    async with FakeOllama(latency=FAST) as fake:
        code, text = await check(Settings(backend="ollama", endpoint=fake.base_url), client)
    assert code == 0, text
    assert "ok    reach Ollama" in text and "Ollama 0.12.3" in text
    assert "ok    model codestral (context 32768 tokens)" in text
    assert "ok    one tiny completion" in text and "'return a + b'" in text
    assert text.rstrip().endswith("Completions will work.")


async def test_ollama_not_running(client: httpx.AsyncClient) -> None:
    async with FakeOllama() as gone:
        url = gone.base_url
    code, text = await check(Settings(backend="ollama", endpoint=url), client)
    assert code == 1
    assert f"Ollama is not running at {url}" in text and "ollama serve" in text
    assert "skip  one tiny completion" in text


async def test_ollama_model_not_pulled(client: httpx.AsyncClient) -> None:
    async with FakeOllama(models={"llama3": ["completion"]}, latency=FAST) as fake:
        code, text = await check(Settings(backend="ollama", endpoint=fake.base_url), client)
    assert code == 1
    assert "FAIL  model codestral (model not found: codestral)" in text
    assert "fix: run `ollama pull codestral`" in text


async def test_ollama_model_without_insert(client: httpx.AsyncClient) -> None:
    async with FakeOllama(models={"llama3": ["completion"]}, latency=FAST) as fake:
        settings = Settings(backend="ollama", endpoint=fake.base_url, model="llama3")
        code, text = await check(settings, client)
    assert code == 1
    assert "cannot fill in the middle" in text and "promptTemplate" in text


async def test_llamacpp_all_good(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp(latency=FAST) as fake:
        code, text = await check(Settings(backend="llamacpp", endpoint=fake.base_url), client)
    assert code == 0, text
    assert "codestral-22b-v0.1-q4_k_m.gguf, context 32768 tokens" in text


async def test_llamacpp_still_loading(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp(loading=True, latency=FAST) as fake:
        code, text = await check(Settings(backend="llamacpp", endpoint=fake.base_url), client)
    assert code == 1 and "still loading the model" in text


async def test_llamacpp_infill_on_a_model_without_fim_tokens(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp(latency=FAST) as fake:
        settings = Settings(backend="llamacpp", endpoint=fake.base_url, prompt_template="infill")
        code, text = await check(settings, client)
    assert code == 1 and "FAIL  one tiny completion" in text and "/completion" in text


async def test_openai_model_not_served_lists_the_served_ones(client: httpx.AsyncClient) -> None:
    async with FakeOpenAI(latency=FAST) as fake:
        code, text = await check(Settings(backend="openai", endpoint=fake.base_url), client)
    assert code == 1
    assert "model not found: codestral-latest" in text
    assert "fix: set `model` to one of: mistralai/Codestral-22B-v0.1" in text


async def test_openai_all_good_with_a_key(client: httpx.AsyncClient) -> None:
    async with FakeOpenAI(api_key=KEY, latency=FAST) as fake:
        settings = Settings(
            backend="openai", endpoint=fake.base_url + "/v1", model="mistralai/Codestral-22B-v0.1", api_key=KEY
        )
        code, text = await check(settings, client)
    assert code == 0, text
    assert "served, context 32768 tokens" in text


async def test_openai_wrong_key(client: httpx.AsyncClient) -> None:
    async with FakeOpenAI(api_key="other", latency=FAST) as fake:
        settings = Settings(backend="openai", endpoint=fake.base_url, api_key=KEY)
        code, text = await check(settings, client)
    assert code == 1 and "rejected the key from the apiKey setting" in text


async def test_mistral_without_a_key(client: httpx.AsyncClient) -> None:
    code, text = await check(Settings(endpoint="http://127.0.0.1:9"), client, {})
    assert code == 1
    assert "FAIL  API key (no API key)" in text and "CODESTRAL_API_KEY" in text


async def test_mistral_host_without_model_list_still_checks_a_completion(client: httpx.AsyncClient) -> None:
    async with FakeMistral(api_key=KEY, latency=FAST) as fake:
        code, text = await check(Settings(endpoint=fake.base_url), client, {"CODESTRAL_API_KEY": KEY})
    assert code == 0, text
    assert "ok    API key (from env CODESTRAL_API_KEY" in text
    assert "skip" in text and "does not list models" in text
    assert "ok    one tiny completion" in text


async def test_mistral_failing_completion_means_exit_1(client: httpx.AsyncClient) -> None:
    reply = ErrorReply(503, {"message": "Service unavailable"})
    async with FakeMistral(lambda _body: reply, api_key=KEY, latency=FAST) as fake:
        code, text = await check(Settings(endpoint=fake.base_url), client, {"CODESTRAL_API_KEY": KEY})
    assert code == 1 and "FAIL  one tiny completion" in text and "503" in text


async def test_mistral_key_for_the_other_host_is_recognised(client: httpx.AsyncClient) -> None:
    async with (
        FakeMistral(api_key="the-right-one", latency=FAST) as here,
        FakeMistral(api_key=KEY, latency=FAST) as there,
    ):
        settings = Settings(endpoint=here.base_url, api_key=KEY)
        code, text = await check(settings, client, {}, sibling_hosts={here.base_url: there.base_url})
    assert code == 1
    assert "this key is a key for" in text and "accepts it" in text
    assert f"fix: set `endpoint` to {there.base_url}" in text


def models_transport(cards: list[dict[str, object]]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"object": "list", "data": cards})
        chunk = {
            "id": "c",
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": "a + b"}, "finish_reason": "stop"}],
        }
        body = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n"
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    return httpx.MockTransport(handle)


CARD: dict[str, object] = {
    "id": "codestral-2508",
    "aliases": ["codestral-latest"],
    "max_context_length": 256000,
    "capabilities": {"completion_fim": True},
}


async def test_mistral_model_card_confirms_fim_and_context() -> None:
    async with httpx.AsyncClient(transport=models_transport([CARD])) as mocked:
        code, text = await check(Settings(api_key=KEY), mocked)
    assert code == 0, text
    assert "FIM supported, context 256000 tokens" in text


async def test_mistral_model_without_fim() -> None:
    chat: dict[str, object] = {"id": "mistral-large-latest", "capabilities": {"completion_fim": False}}
    async with httpx.AsyncClient(transport=models_transport([CARD, chat])) as mocked:
        code, text = await check(Settings(api_key=KEY, model="mistral-large-latest"), mocked)
    assert code == 1 and "cannot fill in the middle" in text


async def test_mistral_unknown_model_lists_fim_models() -> None:
    async with httpx.AsyncClient(transport=models_transport([CARD])) as mocked:
        code, text = await check(Settings(api_key=KEY, model="codestral-2099"), mocked)
    assert code == 1
    assert "model not found: codestral-2099" in text and "one of: codestral-2508" in text


async def test_llamacpp_serving_another_family_needs_its_template(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp(alias="qwen2.5-coder-1.5b-q8_0.gguf", latency=FAST) as fake:
        code, text = await check(Settings(backend="llamacpp", endpoint=fake.base_url), client)
        assert code == 1
        assert "runs qwen2.5-coder-1.5b-q8_0.gguf, but prompts would use the codestral FIM template" in text
        assert 'fix: set `promptTemplate` to "qwen"' in text
        code, text = await check(Settings(backend="llamacpp", endpoint=fake.base_url, prompt_template="qwen"), client)
        assert code == 0, text


# ---- settings check cannot use: a FAIL naming the setting, and no request anywhere ----------


def recording_client() -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    return httpx.AsyncClient(transport=httpx.MockTransport(record)), seen


async def test_an_unknown_backend_fails_before_any_request() -> None:
    mocked, seen = recording_client()
    async with mocked:
        code, text = await check(Settings(backend="vllm", api_key=KEY), mocked)  # type: ignore[arg-type]
    assert code == 1 and seen == []
    assert "FAIL  setting backend ('vllm' is not one of mistral, ollama, llamacpp, openai" in text
    assert "fix: set `backend` to one of: mistral, ollama, llamacpp, openai" in text


@pytest.mark.parametrize(
    ("raw", "line", "fix"),
    [
        ({"backend": "vllm"}, "FAIL  setting backend ('vllm' is not one of", "set `backend` to one of: mistral"),
        ({"endpoint": "localhost:11434"}, "FAIL  setting endpoint (must start with http://", "set `endpoint` to"),
        ({"endpoint": 8080}, "FAIL  setting endpoint (expected a string URL", "set `endpoint` to"),
    ],
)
async def test_a_setting_that_decides_where_to_connect_stops_the_check(
    raw: dict[str, object], line: str, fix: str
) -> None:
    settings, problems = parse_settings({**raw, "apiKey": KEY})
    mocked, seen = recording_client()
    async with mocked:
        out = io.StringIO()
        code = await run_check(settings, out, {}, client=mocked, settings_problems=problems)
    text = out.getvalue()
    assert code == 1 and seen == [], text
    assert line in text and f"fix: {fix}" in text
    assert "nothing is sent while these settings are wrong" in text


async def test_a_bad_endpoint_built_directly_is_refused_too() -> None:
    mocked, seen = recording_client()
    async with mocked:
        code, text = await check(Settings(endpoint="codestral.mistral.ai", api_key=KEY), mocked)
    assert code == 1 and seen == []
    assert "FAIL  setting endpoint (must start with http:// or https://" in text


async def test_another_bad_value_fails_but_the_connection_is_still_checked(client: httpx.AsyncClient) -> None:
    async with FakeOllama(latency=FAST) as fake:
        settings, problems = parse_settings({"backend": "ollama", "endpoint": fake.base_url, "debounceMs": -5})
        out = io.StringIO()
        code = await run_check(settings, out, {}, client=client, settings_problems=problems)
    text = out.getvalue()
    assert code == 1
    assert "FAIL  setting debounceMs (invalid value -5" in text and "fix: correct `debounceMs`" in text
    assert "ok    one tiny completion" in text


async def test_an_unknown_setting_only_warns(client: httpx.AsyncClient) -> None:
    async with FakeOllama(latency=FAST) as fake:
        settings, problems = parse_settings({"backend": "ollama", "endpoint": fake.base_url, "debounce": 5})
        out = io.StringIO()
        code = await run_check(settings, out, {}, client=client, settings_problems=problems)
    text = out.getvalue()
    assert code == 0, text
    assert "warn  setting debounce (unknown setting (ignored))" in text


# ---- fix hints name the setting actually at fault ---------------------------------------------


async def test_an_unreachable_url_template_is_blamed_not_the_endpoint(client: httpx.AsyncClient) -> None:
    async with FakeMistral(api_key=KEY, latency=FAST) as gone:
        url = gone.base_url
    settings = Settings(api_key=KEY, url_template=url + "/v1/projects/p/models/{model}:{method}")
    code, text = await check(settings, client)
    assert code == 1 and "FAIL  one tiny completion" in text
    assert "fix: check that the server runs and that `urlTemplate` is right" in text


async def test_a_url_template_to_a_missing_route_is_blamed(client: httpx.AsyncClient) -> None:
    async with FakeMistral(api_key=KEY, latency=FAST) as fake:
        settings = Settings(api_key=KEY, url_template=fake.base_url + "/no/such/route/{model}")
        code, text = await check(settings, client)
    assert code == 1 and "FAIL  one tiny completion" in text
    assert "fix: check `urlTemplate`" in text


async def test_an_unusable_prompt_template_is_blamed(client: httpx.AsyncClient) -> None:
    async with FakeOllama(latency=FAST) as fake:
        settings = Settings(backend="ollama", endpoint=fake.base_url, prompt_template="<fim> {suffix}")
        code, text = await check(settings, client)
    assert code == 1 and "codestral.promptTemplate" in text
    assert "fix: set `promptTemplate` to a template name" in text


@pytest.mark.parametrize(
    ("settings", "env", "named"),
    [
        (Settings(backend="openai", api_key_command="echo sk-wrong-0001"), {}, "`apiKeyCommand`"),
        (
            Settings(backend="openai", headers={"Authorization": "Bearer sk-wrong-0002"}),
            {},
            "the Authorization entry of `headers`",
        ),
        (Settings(backend="openai", api_key="sk-wrong-0003"), {}, "`apiKey`"),
    ],
    ids=["apiKeyCommand", "headers", "apiKey"],
)
async def test_a_refused_key_names_where_it_came_from(
    client: httpx.AsyncClient, settings: Settings, env: dict[str, str], named: str
) -> None:
    async with FakeOpenAI(api_key=KEY, latency=FAST) as fake:
        code, text = await check(attrs.evolve(settings, endpoint=fake.base_url), client, env)
    assert code == 1
    assert f"fix: check {named}" in text and "sk-wrong" not in text


async def test_a_refused_environment_key_names_the_variable(client: httpx.AsyncClient) -> None:
    async with FakeMistral(api_key="the-right-one", latency=FAST) as fake:
        code, text = await check(Settings(endpoint=fake.base_url), client, {"MISTRAL_API_KEY": KEY})
    assert code == 1
    assert "MISTRAL_API_KEY" in text and "fix: check the environment variable MISTRAL_API_KEY" in text


# ---- a password in the endpoint URL is never printed -------------------------------------------

PASSWORD = "pw-s3cret-9f8e"


@pytest.mark.parametrize("running", [True, False], ids=["server-up", "server-down"])
async def test_the_endpoint_password_is_never_printed(client: httpx.AsyncClient, running: bool) -> None:
    async with FakeOpenAI(latency=FAST) as fake:
        endpoint = fake.base_url.replace("http://", f"http://gateway-user:{PASSWORD}@")
        settings = Settings(backend="openai", endpoint=endpoint, model="mistralai/Codestral-22B-v0.1")
        if running:
            code, text = await check(settings, client)
    if not running:
        code, text = await check(settings, client)
    assert PASSWORD not in text
    assert "gateway-user:***@" in text
    assert code == (0 if running else 1), text


# ---- the prompt budget against a local server's context window (issue 10) -------------------


async def test_llamacpp_with_a_small_window_warns_and_says_what_fits(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp(n_ctx=2048, latency=FAST) as fake:
        code, text = await check(Settings(backend="llamacpp", endpoint=fake.base_url), client)
    assert code == 0, text  # completions work; a long file's prompt would not fit
    assert "warn  context window (the server's context window is 2048 tokens (llama.cpp /props n_ctx)" in text
    assert "lower maxPrefixChars + maxSuffixChars to 5376 or less" in text
    assert "fix: lower `maxPrefixChars` (now 6000) or start llama-server with a larger context (-c)" in text


async def test_llamacpp_with_room_to_spare_says_nothing_about_the_window(client: httpx.AsyncClient) -> None:
    async with FakeLlamaCpp(n_ctx=32768, latency=FAST) as fake:
        code, text = await check(Settings(backend="llamacpp", endpoint=fake.base_url), client)
    assert code == 0 and "context window" not in text


@pytest.mark.parametrize(
    ("num_ctx", "max_prefix_chars", "expected"),
    [
        (2048, 6000, "the server's context window is 2048 tokens (Ollama num_ctx parameter)"),
        (None, 20000, "silently cuts the front of longer prompts"),
        (None, 6000, None),
        (8192, 20000, None),
    ],
)
async def test_ollama_window_from_num_ctx_or_its_default(
    client: httpx.AsyncClient, num_ctx: int | None, max_prefix_chars: int, expected: str | None
) -> None:
    async with FakeOllama(num_ctx=num_ctx, latency=FAST) as fake:
        settings = Settings(backend="ollama", endpoint=fake.base_url, max_prefix_chars=max_prefix_chars)
        code, text = await check(settings, client)
    assert code == 0, text
    if expected is None:
        assert "context window" not in text
    else:
        assert "warn  context window" in text and expected in text
        assert "PARAMETER num_ctx" in text and "OLLAMA_CONTEXT_LENGTH" in text


async def test_openai_compatible_window_from_max_model_len(client: httpx.AsyncClient) -> None:
    async with FakeOpenAI(max_model_len=2048, latency=FAST) as fake:
        settings = Settings(backend="openai", endpoint=fake.base_url, model="mistralai/Codestral-22B-v0.1")
        code, text = await check(settings, client)
    assert code == 0, text
    assert "the server's context window is 2048 tokens (/v1/models max_model_len)" in text
    assert "fix: lower `maxPrefixChars` (now 6000) or serve the model with a larger --max-model-len" in text


# ---- an OpenAI-compatible server may complete with a name it does not list (issue 10) --------


def alias_server(listed: list[str]) -> httpx.MockTransport:
    """Lists `listed` but completes with any model name, as LM Studio and LiteLLM proxies do."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"object": "list", "data": [{"id": name} for name in listed]})
        chunk = {
            "id": "c",
            "object": "text_completion",
            "choices": [{"index": 0, "text": "a + b", "finish_reason": None}],
        }
        body = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n"
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    return httpx.MockTransport(handle)


async def test_openai_model_not_listed_but_served_passes() -> None:
    async with httpx.AsyncClient(transport=alias_server(["local-model"])) as mocked:
        settings = Settings(backend="openai", endpoint="http://127.0.0.1:1234", model="codestral")
        code, text = await check(settings, mocked)
    assert code == 0, text
    assert "ok    reach 127.0.0.1:1234, key and model codestral" in text
    assert "not in the server's list (local-model), but it completes with it" in text
    assert "ok    one tiny completion" in text


async def test_openai_model_neither_listed_nor_served_fails_with_the_listed_names(client: httpx.AsyncClient) -> None:
    async with FakeOpenAI(latency=FAST) as fake:
        code, text = await check(Settings(backend="openai", endpoint=fake.base_url), client)
    assert code == 1
    assert "model not found: codestral-latest (not in the server's list, and" in text
    assert "does not exist" in text  # what the server said when a completion was tried
    assert "fix: set `model` to one of: mistralai/Codestral-22B-v0.1" in text


async def test_a_secret_query_value_in_the_endpoint_is_never_printed(client: httpx.AsyncClient) -> None:
    async with FakeOpenAI(latency=FAST) as gone:
        endpoint = f"{gone.base_url}/gateway?tenant=acme&api-key=qs-s3cret-7788"
    code, text = await check(Settings(backend="openai", endpoint=endpoint), client)
    assert code == 1
    assert "qs-s3cret-7788" not in text and "tenant=acme" in text


async def test_every_ollama_probe_keeps_the_endpoint_query(client: httpx.AsyncClient) -> None:
    """A gateway routes by `?tenant=`: each request of the check carries it, /api/show included."""
    async with FakeOllama(latency=FAST) as fake:
        code, text = await check(Settings(backend="ollama", endpoint=f"{fake.base_url}/?tenant=a"), client)
    assert code == 0, text
    asked = {record.path.split("?")[0]: record.path for record in fake.requests}
    assert {"/api/version", "/api/show", "/api/generate"} <= asked.keys()
    assert all(path.endswith("?tenant=a") for path in asked.values()), asked


@pytest.mark.parametrize("source", ["command", "environment"])
async def test_a_key_from_a_command_or_the_environment_is_never_printed(
    client: httpx.AsyncClient, tmp_path: Path, source: str
) -> None:
    """Neither is a setting, yet an error may quote it (Ollama's mid-stream errors do)."""
    key = f"{source}-key-0a1b2c3d"
    settings = Settings(backend="ollama")
    env: dict[str, str] = {}
    if source == "command":
        print_key = tmp_path / "print-key.sh"
        print_key.write_text(f"echo {key}\n", encoding="utf-8")
        settings = attrs.evolve(settings, api_key_command=f"sh {print_key}")
    else:
        env = {"OLLAMA_API_KEY": key}
    gone = MidStreamError("", f"key {key} has run out of credit")
    async with FakeOllama(lambda body: gone, latency=FAST, api_key=key) as fake:
        code, text = await check(attrs.evolve(settings, endpoint=fake.base_url), client, env)
    assert code == 1 and "FAIL  one tiny completion" in text, text
    assert "key *** has run out of credit" in text and key not in text
