"""The timing proxy behind `bench --real`: forwards to the endpoint and notes what it saw."""

from __future__ import annotations

import argparse

import httpx

from codestral_ls.bench.real import TimingProxy, resolve
from codestral_ls.simulator.mistral import FakeMistral, LatencyProfile


async def test_proxy_forwards_streams_and_counts_tokens() -> None:
    async with FakeMistral(lambda body: "return a + b", latency=LatencyProfile.instant(), api_key="k") as fake:
        proxy = TimingProxy(fake.base_url)
        base = await proxy.start()
        try:
            async with httpx.AsyncClient() as client:
                body = {"model": "codestral-latest", "prompt": "def f(a, b):\n    ", "stream": True}
                response = await client.post(
                    base + "/v1/fim/completions", json=body, headers={"Authorization": "Bearer k"}
                )
        finally:
            await proxy.stop()
    assert response.status_code == 200
    assert response.text.rstrip().endswith("data: [DONE]")
    [record] = proxy.requests
    assert record.status == 200
    assert record.first_byte is not None and record.finished is not None
    assert record.tokens > 0
    assert len(proxy.durations) == 1


def _args(**values: object) -> argparse.Namespace:
    defaults = {"real_backend": None, "real_endpoint": None, "real_model": None}
    return argparse.Namespace(**{**defaults, **values})


def test_resolve_needs_a_key_or_a_local_backend(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CODESTRAL_API_KEY", raising=False)
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    assert resolve(_args()) is None
    settings, target = resolve(_args(real_backend="ollama")) or ({}, "")
    assert settings["_upstream"] == "http://localhost:11434" and "ollama" in target
    monkeypatch.setenv("MISTRAL_API_KEY", "secret-value")
    settings, target = resolve(_args()) or ({}, "")
    assert settings["_upstream"] == "https://api.mistral.ai"
    assert "secret-value" not in target and "secret-value" not in str(settings)
