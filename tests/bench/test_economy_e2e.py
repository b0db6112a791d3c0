"""One short typing session replayed through the real server against the truth-telling fake.

Checks the harness end to end, not the server's speed: whatever the user accepted on the way,
the document ends as the original file, and the fake counted the requests it served.
"""

from __future__ import annotations

import pytest

from codestral_ls.bench.contenders import CODESTRAL, server_command, start_codestral
from codestral_ls.bench.fakes import Ledger, TruthResponder
from codestral_ls.bench.replay import Replay
from codestral_ls.bench.typing import Session, Timing
from codestral_ls.simulator.mistral import LatencyProfile

SOURCE = """def total(items):
    result = 0
    for item in items:
        if item > 0:
            result += item
    return result
"""

pytestmark = pytest.mark.slow


async def test_a_session_converges_on_the_original_file() -> None:
    start = SOURCE.index("for item")
    end = SOURCE.index("\n    return result")
    session = Session("total", SOURCE, start, end)
    ledger = Ledger()
    holder: dict[str, Replay] = {}
    responder = TruthResponder(
        SOURCE, ledger, lambda: holder["r"].client_state() if "r" in holder else (False, None, ""), error_rate=0.0
    )
    fast = Timing(key_median_ms=40, key_min_ms=20, key_max_ms=80, pause_ms=(450, 600), typo_p=0.05)
    async with start_codestral(CODESTRAL, responder, LatencyProfile.instant(), 0, server_command()) as client:
        replay = Replay(client, session, ledger, label="t", mode="inline", seed=1, timing=fast)
        holder["r"] = replay
        result = await replay.run(time_limit_s=60)
    assert result.finished
    assert result.converged
    assert result.replies > 0
    assert len(ledger.calls) > 0
