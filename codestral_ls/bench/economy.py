"""Issue 4's request-economy benchmark: replay typing sessions through real servers over stdio.

codestral-ls (defaults), the same server as a naive baseline, and tabby-agent 1.5.0 each get the
same sessions, the same human timing (same seeds) and fakes with the same latency distribution
that answer with the file's true continuation. The fakes count requests and tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import attrs

from ..simulator.mistral import LatencyProfile
from . import report
from .contenders import CODESTRAL, NAIVE, TABBY, Contender, find_tabby, server_command, start_codestral, start_tabby
from .fakes import Ledger, TruthResponder, latency_from
from .replay import Replay, SessionResult
from .typing import Session, pick_sessions, source_files

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def default_tabby_dir() -> Path:
    """benchmarks/.cache/tabby in a checkout (gitignored), else the user's cache directory."""
    if (PACKAGE_ROOT / "benchmarks").is_dir():
        return PACKAGE_ROOT / "benchmarks" / ".cache" / "tabby"
    return Path.home() / ".cache" / "codestral-ls" / "tabby"


@attrs.define
class Run:
    contender: Contender
    session: Session
    result: SessionResult
    ledger: Ledger


async def replay_one(
    contender: Contender,
    session: Session,
    index: int,
    args: argparse.Namespace,
    latency: LatencyProfile,
    tabby_cli: Path | None,
    log_dir: Path,
) -> Run:
    ledger = Ledger()
    holder: dict[str, Replay] = {}
    responder = TruthResponder(
        session.original,
        ledger,
        lambda: holder["replay"].client_state() if "replay" in holder else (False, None, ""),
        error_rate=args.error_rate,
        salt=args.seed,
    )
    seed = args.seed * 1000 + index
    slug = "".join(c if c.isalnum() else "-" for c in contender.label.lower())
    stderr_path = log_dir / f"{slug}-session{index + 1}.log"
    if contender.kind == "tabby":
        assert tabby_cli is not None
        starting = start_tabby(tabby_cli, responder, latency, seed, stderr_path)
    else:
        starting = start_codestral(contender, responder, latency, seed, server_command(args.server_cmd), stderr_path)
    async with starting as client:
        replay = Replay(client, session, ledger, label=contender.label, mode=contender.mode, seed=seed)  # type: ignore[arg-type]
        holder["replay"] = replay
        result = await replay.run()
        await asyncio.sleep(0.2)
    return Run(contender, session, result, ledger)


async def run_all(args: argparse.Namespace) -> int:
    quick = bool(getattr(args, "quick", False))
    count = args.sessions or (2 if quick else 6)
    out: Path = args.out  # see bench.output_dir: never the current directory
    sessions = pick_sessions(source_files(PACKAGE_ROOT), count, args.seed, args.chars)
    latency = latency_from(args)
    contenders = [CODESTRAL, NAIVE]
    tabby_cli: Path | None = None
    tabby_note = ""
    if args.no_tabby:
        tabby_note = "tabby-agent skipped (--no-tabby)"
    else:
        tabby_dir = args.tabby_dir or default_tabby_dir()
        tabby_cli, why = find_tabby(tabby_dir)
        if tabby_cli is None:
            tabby_note = f"tabby-agent skipped: {why}"
        else:
            contenders.append(TABBY)
    print(report.economy_preamble(sessions, latency, args, contenders, tabby_note))
    started = time.perf_counter()
    semaphore = asyncio.Semaphore(max(1, args.jobs))
    failures: list[str] = []

    async def session_runs(index: int, session: Session) -> list[Run]:
        async with semaphore:
            outcomes = await asyncio.gather(
                *(replay_one(contender, session, index, args, latency, tabby_cli, out) for contender in contenders),
                return_exceptions=True,
            )
            runs: list[Run] = []
            for contender, outcome in zip(contenders, outcomes, strict=True):
                if isinstance(outcome, Run):
                    runs.append(outcome)
                else:
                    failures.append(f"{contender.label} failed on {session.name}: {outcome!r} (its stderr is in {out})")
            print(f"  session {index + 1}/{len(sessions)} {session.name}: done", file=sys.stderr)
            return runs

    nested = await asyncio.gather(*(session_runs(i, s) for i, s in enumerate(sessions)))
    runs = [run for group in nested for run in group]
    for failure in failures:
        print(f"error: {failure}")
    if not runs:
        return 1
    contenders = [c for c in contenders if any(run.contender == c for run in runs)]
    rows = [report.session_row(run.contender.label, run.session, run.result, run.ledger) for run in runs]
    labels = [c.label for c in contenders]
    print(report.economy_tables(rows, labels, markdown=args.markdown))
    verdict = report.economy_verdict(
        rows,
        CODESTRAL.label if CODESTRAL in contenders else None,
        NAIVE.label if NAIVE in contenders else None,
        TABBY.label if TABBY in contenders else None,
    )
    print(verdict)
    if tabby_note:
        print(f"note: {tabby_note}")
    data = {
        "sessions": [s.name for s in sessions],
        "latency": attrs.asdict(latency),
        "seed": args.seed,
        "rows": rows,
        "elapsed_s": time.perf_counter() - started,
        "tabby_note": tabby_note,
    }
    (out / "economy.json").write_text(json.dumps(data, indent=1))
    from .plot import plot_economy

    image = plot_economy(rows, labels, out)
    print(f"wrote {out / 'economy.json'} and {image}  ({time.perf_counter() - started:.0f} s)")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    from . import add_common_arguments, add_economy_arguments, output_dir

    parser = argparse.ArgumentParser(prog="benchmarks/economy.py", description=__doc__)
    add_common_arguments(parser)
    add_economy_arguments(parser)
    args = parser.parse_args(argv)
    try:
        args.out = output_dir(args.out)
    except OSError as exc:
        print(f"benchmarks/economy.py: error: cannot write to --out {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return asyncio.run(run_all(args))
