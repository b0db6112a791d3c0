"""The benchmark's fake backends answer with the file's truth and count what reached them."""

from __future__ import annotations

import json

import httpx

from codestral_ls.bench.fakes import FakeTabby, Ledger, TimedFakeMistral, TruthResponder
from codestral_ls.simulator.mistral import LatencyProfile

ORIGINAL = "def add(a, b):\n    total = a + b\n    return total\n"
PREFIX = "def add(a, b):\n    total = "
SUFFIX = "\n    return total\n"


def _responder(ledger: Ledger, error_rate: float = 0.0) -> TruthResponder:
    return TruthResponder(ORIGINAL, ledger, lambda: (True, len(PREFIX), ""), error_rate=error_rate)


def test_truth_responder_answers_the_rest_of_the_line() -> None:
    ledger = Ledger()
    call = _responder(ledger).answer(PREFIX, SUFFIX)
    assert call.text == "a + b"
    assert call.position == len(PREFIX)
    assert call.typing_through and not call.ahead
    assert ledger.calls == [call]


def test_truth_responder_marks_prefetches_ahead_of_the_cursor() -> None:
    ledger = Ledger()
    responder = TruthResponder(ORIGINAL, ledger, lambda: (True, 3, ""))
    call = responder.answer(PREFIX, SUFFIX)
    assert call.ahead and not call.typing_through


def test_wrong_answers_are_stable_per_prompt() -> None:
    first = _responder(Ledger(), error_rate=1.0).answer(PREFIX, SUFFIX).text
    second = _responder(Ledger(), error_rate=1.0).answer(PREFIX, SUFFIX).text
    assert first == second != "a + b"


async def test_fake_mistral_streams_the_truth_and_fills_the_ledger() -> None:
    ledger = Ledger()
    fake = TimedFakeMistral(_responder(ledger), latency=LatencyProfile.instant())
    await fake.start()
    try:
        async with httpx.AsyncClient() as client:
            body = {"model": "codestral-latest", "prompt": PREFIX, "suffix": SUFFIX, "stream": True}
            response = await client.post(fake.base_url + "/v1/fim/completions", json=body)
        assert response.status_code == 200
        events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: {")]
        assert "".join(e["choices"][0]["delta"].get("content", "") for e in events) == "a + b"
    finally:
        await fake.stop()
    assert len(ledger.calls) == 1
    call = ledger.calls[0]
    assert call.completed and not call.cancelled
    assert call.tokens == 2  # "a + b" in 4-character chunks
    assert len(fake.durations) == 1


async def test_fake_tabby_speaks_the_tabby_api() -> None:
    ledger = Ledger()
    fake = FakeTabby(_responder(ledger), LatencyProfile.instant())
    base = await fake.start()
    try:
        async with httpx.AsyncClient() as client:
            health = await client.get(base + "/v1/health")
            body = {"language": "python", "segments": {"prefix": PREFIX, "suffix": SUFFIX}}
            completion = await client.post(base + "/v1/completions", json=body)
    finally:
        await fake.stop()
    assert health.json()["version"]["git_describe"].startswith("v")
    choices = completion.json()["choices"]
    assert choices == [{"index": 0, "text": "a + b"}]
    assert ledger.calls[0].completed
