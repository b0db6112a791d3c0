"""Issue 6's post-processing benchmark: golden pass rates, chain cost, characters saved.

    python benchmarks/filters.py [--repeat N] [--chunk CHARS] [--show-failures]

Prints four tables:
- pass rates per language and per filter (the concern a case exercises), good cases left
  unchanged and fix cases fixed;
- the cost of the whole chain per suggestion (plan + filter + every chunk fed + finish), in
  microseconds, p50 / p99 over all cases repeated N times, measured by
  `codestral_ls/bench/chain_cost.py` as the recovery benchmark measures it (perf_counter_ns per
  suggestion, back to back, GC on; the process CPU time and load average beside it);
- generated characters the early stop saves: on the golden outputs as written, and on a
  "runaway" variant of each multi-line case where the model, unstopped, goes on copying the
  code below the cursor up to the token budget (what FIM models do without a stop rule);
- a replay of this repository's own source files: a block of lines (or the rest of a line) is
  cut out, the cursor put in its place, and the "model" answers with exactly the code cut out,
  then runs on with the real code below it to the token budget. The right suggestion is the
  cut-out code, unchanged: the table shows how often the chain returns exactly that (no false
  positive), and how many generated characters the early stop saves on real files, and the
  chain's cost on these cases with issue 9's 8 KB prefixes (8,192 characters; the suffix
  budget is the maxSuffixChars setting's).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from codestral_ls.bench.chain_cost import COST_PREFIX_CHARS, ChainInput, measure, run_chain  # noqa: E402
from codestral_ls.config import Settings  # noqa: E402
from codestral_ls.context import extract  # noqa: E402
from codestral_ls.postprocess import SuggestionFilter, plan_completion  # noqa: E402
from codestral_ls.postprocess.brackets import quote_chars, scan  # noqa: E402
from codestral_ls.postprocess.language import BRACKET_PAIRS, CLOSER_CHARS  # noqa: E402
from golden.cases import GoldenCase, chunks, load_cases, run_pure  # noqa: E402

MAX_TOKENS = 256
REPLAY_SOURCES = {
    "python": "codestral_ls/**/*.py",
    "typescript": "editors/vscode/src/**/*.ts",
    "lua": "editors/neovim/lua/**/*.lua",
}
REPLAY_SEED = 6
CHARS_PER_TOKEN = 4  # a rough average for code, to turn the token budget into characters


def pass_tables(cases: list[GoldenCase], chunk: int, show_failures: bool = False) -> tuple[str, int]:
    by_language: dict[str, list[tuple[GoldenCase, bool]]] = defaultdict(list)
    by_filter: dict[str, list[tuple[GoldenCase, bool]]] = defaultdict(list)
    failures = 0
    for case in cases:
        result = run_pure(case, chunk)
        passed = result.matches(case)
        failures += not passed
        if not passed and show_failures:
            print(
                f"FAIL {case.source} {case.name}: got {result.suggestion!r} "
                f"(stop: {result.stop_rule or '-'}), expected {case.expected!r} replacing {case.replace_chars}"
            )
        by_language[case.language_id].append((case, passed))
        by_filter[case.filter or "-"].append((case, passed))
    lines = []
    for title, groups in (("language", by_language), ("filter", by_filter)):
        lines.append(
            f"{title:<18} {'cases':>5} {'good':>5} {'fix':>5} {'good unchanged':>15} {'fix fixed':>10} {'pass':>7}"
        )
        for name in sorted(groups):
            rows = groups[name]
            good = [ok for case, ok in rows if case.kind == "good"]
            fix = [ok for case, ok in rows if case.kind == "fix"]
            lines.append(
                f"{name:<18} {len(rows):>5} {len(good):>5} {len(fix):>5} "
                f"{sum(good):>7}/{len(good):<7} {sum(fix):>4}/{len(fix):<5} "
                f"{100 * sum(ok for _, ok in rows) / len(rows):>6.1f}%"
            )
        lines.append("")
    good_all = [c for c in cases if c.kind == "good"]
    lines.append(
        f"all: {len(cases)} cases, {len(good_all)} good, {len(cases) - len(good_all)} "
        f"fix, {len({c.language_id for c in cases})} languages, "
        f"{len(cases) - failures} pass, {failures} fail"
    )
    return "\n".join(lines), failures


def golden_inputs(cases: list[GoldenCase], chunk: int) -> list[ChainInput]:
    return [ChainInput(case.context(), tuple(chunks(case.raw, chunk)), case.multiline, MAX_TOKENS) for case in cases]


def runaway(case: GoldenCase) -> str:
    """The case's raw output followed by the code below the cursor, to the token budget."""
    ctx = case.context()
    tail = ctx.suffix.split("\n", 1)[1] if "\n" in ctx.suffix else ""
    return (case.raw + "\n" + tail)[: MAX_TOKENS * CHARS_PER_TOKEN]


def savings(cases: list[GoldenCase], chunk: int) -> str:
    lines = [f"{'scenario':<34} {'cases':>5} {'generated':>10} {'consumed':>9} {'saved':>7}"]
    for label, make in (("golden outputs as written", lambda c: c.raw), ("runaway (multi-line plans)", runaway)):
        total = consumed = count = 0
        for case in cases:
            ctx = case.context()
            plan = plan_completion(ctx, case.multiline, MAX_TOKENS)
            if label.startswith("runaway") and not plan.multiline:
                continue
            text = make(case)
            chain = SuggestionFilter(ctx, plan)
            for piece in chunks(text, chunk):
                if chain.feed(piece):
                    break
            total += len(text)
            consumed += chain.consumed_chars
            count += 1
        saved = 100 * (total - consumed) / total if total else 0.0
        lines.append(f"{label:<34} {count:>5} {total:>10} {consumed:>9} {saved:>6.1f}%")
    return "\n".join(lines)


def replay_cases(
    lines: list[str], rng: random.Random, per_file: int, language_id: str
) -> list[tuple[list[str], int, int, str, str, int]]:
    """(document lines, cursor line, cursor column, expected text, raw output, replaced) for
    cut-out blocks (cursor on the emptied first line) and cut line ends (some keeping their
    closers right of the cursor)."""
    cases = []
    starts = [k for k in range(1, len(lines) - 1) if lines[k].strip()]
    for k in rng.sample(starts, min(per_file, len(starts))):
        line = lines[k]
        lead = line[: len(line) - len(line.lstrip())]
        if rng.random() < 0.5:  # a block of 1-4 lines, cursor on its emptied first line
            end = k + 1
            while end < min(len(lines), k + rng.randint(1, 4)) and (
                not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) >= len(lead)
            ):
                end += 1
            while end > k + 1 and not lines[end - 1].strip():
                end -= 1
            expected = "\n".join(lines[k:end])[len(lead) :]
            document, column, closers = [*lines[:k], lead, *lines[end:]], len(lead), ""
        else:  # the rest of a line, from a random column inside its code
            body = line.rstrip()
            if len(body) - len(lead) < 4:
                continue
            column = rng.randint(len(lead) + 1, len(body) - 1)
            rest = body[column:]
            # What an editor's auto-closing leaves right of the cursor: the closers of what is
            # open on the line so far (kept in half the cases, when the line ends with them).
            opened = scan(body[:column], (), quote_chars(language_id))[1]
            closers = "".join(BRACKET_PAIRS.get(c, c) for c in reversed(opened))
            if not (closers and rest.endswith(closers) and rng.random() < 0.5):
                closers = ""
            if rest.strip(" " + "".join(CLOSER_CHARS)) == "":
                continue  # nothing but closers to complete
            expected, end = rest, k + 1
            document = [*lines[:k], body[:column] + closers, *lines[k + 1 :]]
        runaway = (expected + "\n" + "\n".join(lines[end:]))[: MAX_TOKENS * CHARS_PER_TOKEN]
        cases.append((document, k, column, expected, runaway, len(closers)))
    return cases


def replay(chunk: int, per_file: int = 40) -> str:
    rng = random.Random(REPLAY_SEED)
    inputs: list[ChainInput] = []
    suffix_chars = Settings().max_suffix_chars
    lines = [
        f"{'language':<11} {'cases':>5} {'unchanged':>10} {'cut short':>9} {'dropped':>7} "
        f"{'altered':>7} {'generated':>9} {'consumed':>8} {'saved':>6}"
    ]
    for language_id, pattern in REPLAY_SOURCES.items():
        counts = defaultdict(int)
        generated = consumed = 0
        for path in sorted(ROOT.glob(pattern)):
            source = path.read_text(encoding="utf-8").split("\n")
            for document, row, column, expected, raw, replaced in replay_cases(source, rng, per_file, language_id):
                ctx = extract(
                    document,
                    row,
                    column,
                    max_prefix_chars=COST_PREFIX_CHARS,
                    max_suffix_chars=suffix_chars,
                    language_id=language_id,
                )
                item = ChainInput(ctx, tuple(chunks(raw, chunk)), "auto", MAX_TOKENS)
                inputs.append(item)
                chain, got = run_chain(item)
                generated, consumed = generated + len(raw), consumed + chain.consumed_chars
                if got is not None and got.text.rstrip() == expected.rstrip() and got.replace_chars == replaced:
                    counts["unchanged"] += 1
                elif got is None:
                    counts["dropped"] += 1
                elif expected.startswith(got.text):
                    counts["cut short"] += 1
                else:
                    counts["altered"] += 1
        total = sum(counts.values())
        lines.append(
            f"{language_id:<11} {total:>5} {100 * counts['unchanged'] / total:>9.1f}% "
            f"{counts['cut short']:>9} {counts['dropped']:>7} {counts['altered']:>7} "
            f"{generated:>9} {consumed:>8} {100 * (generated - consumed) / generated:>5.1f}%"
        )
    lines.append(measure(inputs).line(f"these real files, {COST_PREFIX_CHARS}-char prefixes"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=50, help="rounds over all cases")
    parser.add_argument("--chunk", type=int, default=4, help="characters per stream chunk")
    parser.add_argument("--show-failures", action="store_true", help="print each failing golden case")
    args = parser.parse_args(argv)
    cases = load_cases()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    print(f"stream chunks of {args.chunk} characters, max_tokens {MAX_TOKENS}\n")
    table, failures = pass_tables(cases, args.chunk, args.show_failures)
    print(table, "\n")
    print(measure(golden_inputs(cases, args.chunk), args.repeat).line("golden cases, small documents"), "\n")
    print(savings(cases, args.chunk), "\n")
    print("replay of this repository's files (the cut-out code must come back unchanged):")
    print(replay(args.chunk))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
