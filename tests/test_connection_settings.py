"""The `backend` and `endpoint` settings: which values can be used, and why a bad one never falls back
to the default (Mistral's global host; data residency): it is kept, reported, and refused wherever a
request would be made."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from codestral_ls.backends.base import FimRequest
from codestral_ls.backends.factory import make_backend
from codestral_ls.config import Settings, endpoint_problem, parse_settings
from codestral_ls.documents import DocumentStore
from codestral_ls.errors import InvalidRequest
from codestral_ls.privacy import refusal

ENDPOINTS = [
    ("https://codestral.mistral.ai", None),
    ("http://127.0.0.1:11434", None),
    ("http://localhost:8080/", None),
    ("https://gw.example.com/v1/proxy?tenant=a", None),
    ("https://user:pass@gw.example.com", None),
    ("HTTPS://codestral.mistral.ai", None),
    ("http://[::1]:8000", None),
    ("localhost:1234", "must start with http:// or https://"),
    ("codestral.mistral.ai", "must start with http:// or https://"),
    ("ftp://files.example.com", "must start with http:// or https://"),
    ("", "must start with http:// or https://"),
    ("https://", "has no host name"),
    ("http:///path", "has no host name"),
    ("http://localhost:99999", "has an invalid port"),
    ("http://localhost:port", "has an invalid port"),
    (" https://codestral.mistral.ai", "must not contain spaces"),
    ("https://codestral.mistral.ai ", "must not contain spaces"),
    ("https://my host", "must not contain spaces"),
    ("https://gw.example.com/#frag", "must not contain a # fragment"),
]


@pytest.mark.parametrize(("url", "problem"), ENDPOINTS, ids=[repr(url) for url, _ in ENDPOINTS])
def test_endpoint_problem(url: str, problem: str | None) -> None:
    found = endpoint_problem(url)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


@pytest.mark.parametrize("bad", ["localhost:1234", "ftp://x.example.com", 5, ["https://a.example.com"]])
def test_a_bad_endpoint_is_kept_and_reported_never_replaced_by_the_default(bad: Any) -> None:
    base, _ = parse_settings({"endpoint": "https://eu-gateway.example.com"})
    settings, errors = parse_settings({"endpoint": bad, "maxTokens": 77}, base)
    assert [error.key for error in errors] == ["endpoint"]
    assert "default host is not used" in str(errors[0])
    assert settings.endpoint is not None and endpoint_problem(settings.endpoint) is not None
    assert settings.max_tokens == 77  # the rest still apply


def test_the_error_never_shows_a_password_in_the_url() -> None:
    _, errors = parse_settings({"endpoint": "ftp://user:hunter2-pw@files.example.com"})
    assert "hunter2-pw" not in str(errors[0]) and "user:***@" in str(errors[0])


def test_null_endpoint_means_the_default() -> None:
    settings, errors = parse_settings({"endpoint": None})
    assert errors == [] and settings.endpoint is None


@pytest.mark.parametrize("backend", ["mistral", "ollama", "llamacpp", "openai"])
async def test_no_backend_calls_any_host_with_a_bad_endpoint(backend: str) -> None:
    called: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        called.append(request)
        return httpx.Response(200, json={})

    settings = Settings(backend=backend, endpoint="localhost:1234", api_key="sk-test-0000")  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as client:
        made = make_backend(settings, client, {})
        with pytest.raises(InvalidRequest, match=r"codestral\.endpoint: must start with http"):
            async for _ in made.stream(FimRequest("a", "b", "m", 8, 0.0)):
                pass
    assert called == []


def test_the_pipeline_refuses_documents_while_the_endpoint_is_bad() -> None:
    store = DocumentStore()
    store.open("file:///w/app.py", "python", 1, "x = 1\n")
    document = store.get("file:///w/app.py")
    assert document is not None
    why = refusal(Settings(endpoint="localhost:1234"), document)
    assert why == "codestral.endpoint: must start with http:// or https:// (completions are off until it is fixed)"
    assert refusal(Settings(endpoint="http://localhost:1234"), document) is None


@pytest.mark.parametrize("bad", ["vllm", "codestral", 5, None])
def test_a_bad_backend_is_kept_and_reported_never_replaced_by_mistral(bad: Any) -> None:
    base, _ = parse_settings({"backend": "ollama"})
    settings, errors = parse_settings({"backend": bad, "maxTokens": 77}, base)
    assert [error.key for error in errors] == ["backend"]
    assert "is not one of mistral, ollama, llamacpp, openai" in str(errors[0])
    assert "the default (mistral) is not used" in str(errors[0])
    assert settings.backend not in ("mistral", "ollama") and settings.max_tokens == 77


async def test_no_backend_is_built_for_an_unknown_backend() -> None:
    called: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        called.append(request)
        return httpx.Response(200, json={})

    settings = Settings(backend="vllm", api_key="sk-test-0000")  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as client:
        made = make_backend(settings, client, {"CODESTRAL_API_KEY": "sk-env-0000"})
        with pytest.raises(InvalidRequest, match=r"codestral\.backend: 'vllm' is not one of"):
            async for _ in made.stream(FimRequest("a", "b", "m", 8, 0.0)):
                pass
    assert called == []


def test_the_pipeline_refuses_documents_while_the_backend_is_unknown() -> None:
    store = DocumentStore()
    store.open("file:///w/app.py", "python", 1, "x = 1\n")
    document = store.get("file:///w/app.py")
    assert document is not None
    why = refusal(Settings(backend="vllm"), document)  # type: ignore[arg-type]
    assert why is not None and why.startswith("codestral.backend: 'vllm' is not one of")
