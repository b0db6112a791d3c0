"""Turns replay results and fake-backend ledgers into rows, tables and a verdict on the targets."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from ..simulator.mistral import LatencyProfile
from .fakes import Ledger
from .replay import SessionResult
from .stats import fmt, percentile, table
from .typing import Session

Row = dict[str, Any]


def session_row(label: str, session: Session, result: SessionResult, ledger: Ledger) -> Row:
    shown = sorted(result.shown_positions)
    used = 0
    for call in ledger.calls:
        if call.completed and call.position is not None:
            end = call.position + max(1, len(call.text))
            if any(call.position <= q <= end for q in shown):
                used += 1
    completed = sum(call.completed for call in ledger.calls)
    cancelled = sum(call.cancelled for call in ledger.calls)
    return {
        "contender": label,
        "session": session.name,
        "target_chars": result.target_chars,
        "typed_chars": result.typed_chars,
        "keystrokes": result.keystrokes,
        "requests": len(ledger.calls),
        "tokens": sum(call.tokens for call in ledger.calls),
        "prompt_tokens": sum(call.prompt_tokens for call in ledger.calls),
        "completed": completed,
        "cancelled": cancelled,
        "wasted": cancelled + (completed - used),
        "typing_through_requests": sum(call.typing_through for call in ledger.calls),
        "ahead_requests": sum(call.ahead for call in ledger.calls),
        "served_without_backend": result.served_without_backend,
        "nonempty_replies": result.nonempty_replies,
        "pauses": result.pauses,
        "pause_to_visible_ms": result.pause_to_visible_ms,
        "accepted_chars": result.accepted_chars,
        "accepts": result.accepts,
        "partial_accepts": result.partial_accepts,
        "typing_through_contexts": [call.context for call in ledger.calls if call.typing_through],
        "duration_s": round(result.duration_s, 1),
        "finished": result.finished,
        "converged": result.converged,
    }


def _per100(count: float, typed: int) -> float:
    return 100.0 * count / typed if typed else float("nan")


def _cells(row: Row) -> list[str]:
    pauses = row["pause_to_visible_ms"]
    typed = row["typed_chars"]
    return [
        fmt(_per100(row["requests"], typed)),
        fmt(_per100(row["prompt_tokens"], typed), 0),
        fmt(_per100(row["tokens"], typed), 0),
        f"{row['requests']}",
        f"{row['ahead_requests']}",
        f"{row['cancelled']}/{row['wasted']}",
        f"{row['served_without_backend']}",
        f"{row['typing_through_requests']}",
        fmt(percentile(pauses, 50), 0),
        fmt(percentile(pauses, 95), 0),
        f"{len(pauses)}/{row['pauses']}",
        fmt(100.0 * row["accepted_chars"] / row["target_chars"] if row["target_chars"] else float("nan"), 0) + "%",
    ]


HEADERS = [
    "session · client",
    "req/100",
    "in-tok/100",
    "out-tok/100",
    "req",
    "ahead",
    "cancel/waste",
    "hits",
    "thru-req",
    "pause p50",
    "p95",
    "shown/pauses",
    "accepted",
]
LEGEND = """\
req/100, in-tok/100, out-tok/100: backend requests, prompt tokens (prefix+suffix at 4 chars/token) and
  generated tokens per 100 characters the user typed; req: requests at the fake backend, of which
  ahead: prefetches for text beyond the cursor; cancel/waste: requests the client hung up on / requests
  cancelled or whose answer was never shown; hits: non-empty replies with no new backend request (cache,
  typing-through, adopted in-flight); thru-req: requests started while typing through a visible suggestion;
  pause p50/p95: ms from the start of a pause (>= 400 ms) to a visible suggestion; shown/pauses: pauses in
  which one appeared; accepted: share of the session's characters that came from accepted suggestions."""


def total_row(rows: Sequence[Row], label: str) -> Row:
    mine = [row for row in rows if row["contender"] == label]
    total: Row = {"contender": label, "session": "TOTAL", "pause_to_visible_ms": []}
    for key in (
        "target_chars",
        "typed_chars",
        "keystrokes",
        "requests",
        "tokens",
        "prompt_tokens",
        "completed",
        "cancelled",
        "wasted",
        "typing_through_requests",
        "ahead_requests",
        "served_without_backend",
        "nonempty_replies",
        "pauses",
        "accepted_chars",
        "accepts",
        "partial_accepts",
    ):
        total[key] = sum(row[key] for row in mine)
    for row in mine:
        total["pause_to_visible_ms"] = total["pause_to_visible_ms"] + row["pause_to_visible_ms"]
    return total


def economy_tables(rows: Sequence[Row], labels: Sequence[str], markdown: bool = False) -> str:
    body: list[list[str]] = []
    for session in dict.fromkeys(row["session"] for row in rows):
        for row in rows:
            if row["session"] == session:
                body.append([f"{session} · {row['contender']}", *_cells(row)])
    totals = [[f"TOTAL · {label}", *_cells(total_row(rows, label))] for label in labels]
    sums = []
    for label in labels:
        total = total_row(rows, label)
        sums.append(
            [
                label,
                str(total["target_chars"]),
                str(total["typed_chars"]),
                str(total["accepted_chars"]),
                str(total["requests"]),
                str(total["prompt_tokens"]),
                str(total["tokens"]),
                fmt(total["prompt_tokens"] / total["requests"] if total["requests"] else float("nan"), 0),
            ]
        )
    sum_headers = [
        "all sessions · client",
        "chars to type",
        "typed",
        "accepted",
        "requests",
        "prompt tokens",
        "generated tokens",
        "prompt tok/request",
    ]
    parts = [
        table(HEADERS, body, markdown),
        table(HEADERS, totals, markdown),
        table(sum_headers, sums, markdown),
        LEGEND,
    ]
    return "\n" + "\n\n".join(parts) + "\n"


def economy_verdict(rows: Sequence[Row], ours: str | None, naive: str | None, tabby: str | None) -> str:
    broken = [f"{row['session']} · {row['contender']}" for row in rows if not row.get("converged", True)]
    check = (
        f"harness check: {len(broken)} replays did not end as the original file: {', '.join(broken)}\n"
        if broken
        else ""
    )
    if ours is None:
        return check + "targets: not judged (codestral-ls did not run)"
    mine = total_row(rows, ours)
    lines = [check + "targets:"] if check else ["targets:"]
    through = mine["typing_through_requests"]
    lines.append(
        f"  [{'ok' if through == 0 else 'MISSED'}] zero backend requests while typing through a suggestion: {through}"
    )
    p50_ours = percentile(mine["pause_to_visible_ms"], 50)
    for label, name in ((tabby, "tabby-agent"), (naive, "the naive baseline")):
        if label is None:
            lines.append(f"  [skipped] comparison with {name} (not run)")
            continue
        other = total_row(rows, label)
        ratio = mine["requests"] / other["requests"] if other["requests"] else float("nan")
        p50_other = percentile(other["pause_to_visible_ms"], 50)
        if label == tabby:
            lines.append(
                f"  [{'ok' if ratio <= 0.5 else 'MISSED'}] at most half of {name}'s backend requests: "
                f"{mine['requests']} vs {other['requests']} ({ratio:.2f}x)"
            )
            lines.append(
                f"  [{'ok' if p50_ours <= p50_other else 'MISSED'}] pause-to-suggestion p50 <= {name}'s: "
                f"{fmt(p50_ours, 0)} ms vs {fmt(p50_other, 0)} ms"
            )
        else:
            lines.append(
                f"  [info] vs {name}: requests {mine['requests']} vs {other['requests']} "
                f"({ratio:.2f}x), pause p50 {fmt(p50_ours, 0)} vs {fmt(p50_other, 0)} ms"
            )
    return "\n".join(lines)


def economy_preamble(
    sessions: Sequence[Session],
    latency: LatencyProfile,
    args: argparse.Namespace,
    contenders: Sequence[Any],
    tabby_note: str,
) -> str:
    chars = sum(len(s.target) for s in sessions)
    names = ", ".join(c.label for c in contenders)
    return (
        f"request economy: {len(sessions)} sessions ({chars} characters to type: "
        f"{', '.join(s.name for s in sessions)})\n"
        f"clients: {names}{'; ' + tabby_note if tabby_note else ''}\n"
        f"fake backend: {latency.ttft_min_ms:.0f}-{latency.ttft_max_ms:.0f} ms to first token "
        f"(median {latency.ttft_median_ms:.0f}), {latency.per_token_ms:.0f} ms/token, "
        f"{args.error_rate:.0%} wrong answers; seed {args.seed}; {args.jobs} session(s) at a time\n"
        "replaying at human speed (this takes a while; each session is typed once per client)..."
    )
