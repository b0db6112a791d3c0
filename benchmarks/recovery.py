"""Issue 9's model-free recovery benchmark: do the filters give back the true document?

    python benchmarks/recovery.py [--quick] [--seed N] [--cases N] [--corpus DIR] [--json PATH]
                                  [--prefix-chars N] [--cost-prefix-chars N]

True middles are cut out of real files (this repository's Python, the standard library, C
headers, npm's JavaScript, the VS Code client's TypeScript, the Neovim client's Lua, Go and shell
scripts when found on disk); the "model" answers with the middle itself (clean) or with a typical
failure built from it: run-on into the lines below, duplicated closers, a missing final closer,
repetition, a block truncated after its opener line. Each answer is streamed through the real
filters (`plan_completion` + `SuggestionFilter`) and the suggestion, applied to the document, is
judged against the true document (definitions in codestral_ls/bench/recovery_judge.py):
recovered = exact, or a prefix of the truth whose brackets are as balanced as the truth's.
"worse" counts cases where the filtered document is further from the truth than the raw output.
Then the chain's cost per suggestion on the same cases with 8 KB prefixes, measured apart
(codestral_ls/bench/chain_cost.py, as benchmarks/filters.py measures it).

Fixed seed and sample sizes, so runs are comparable; no network, no model.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codestral_ls.bench.chain_cost import COST_PREFIX_CHARS  # noqa: E402
from codestral_ls.bench.recovery import FAILURES, GENERATOR_VERSION  # noqa: E402
from codestral_ls.bench.recovery_corpus import (  # noqa: E402
    default_sources,
    describe,
    directory_sources,
    load,
)
from codestral_ls.bench.recovery_run import (  # noqa: E402
    Result,
    chain_cost,
    failure_table,
    grouped,
    matrix_table,
    percent,
    render,
    run_case,
    sample_cases,
    summary_table,
    variant_table,
)
from codestral_ls.config import Settings  # noqa: E402

SEED = 9
CASES = 100  # per source and failure type (clean: CLEAN_FACTOR times as many)
QUICK_CASES = 12
CLEAN_FACTOR = 3
CLEAN_TARGET = 99.5  # % of clean continuations that must pass unchanged


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def record(source_name: str, result: Result, cost_us: float | None) -> dict[str, object]:
    case, site = result.case, result.case.site
    return {
        "source": source_name,
        "path": site.path,
        "row": site.row,
        "column": site.column,
        "kind": site.kind,
        "failure": case.failure,
        "variant": case.variant,
        "raw": case.raw,
        "middle": site.middle,
        "line_rest": site.line_rest,
        "suggestion": result.text,
        "replace_chars": result.replace_chars,
        "outcome": result.filtered.outcome.value,
        "balanced": result.filtered.balanced,
        "recovered": result.filtered.recovered,
        "raw_outcome": result.raw.outcome.value,
        "worse": result.worse,
        "better": result.better,
        "error": result.error,
        "cost_us": None if cost_us is None else round(cost_us, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CASES} cases per source and failure")
    parser.add_argument("--cases", type=int, help=f"cases per source and failure (default {CASES})")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--chunk", type=int, default=4, help="characters per stream chunk (0: rough tokens)")
    parser.add_argument("--corpus", type=Path, help="a directory of files instead of the default sources")
    parser.add_argument("--json", type=Path, help="save the settings, tables and every case here")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--prefix-chars", type=int, help="prefix budget (default: the maxPrefixChars setting's)")
    parser.add_argument(
        "--cost-prefix-chars",
        type=int,
        default=COST_PREFIX_CHARS,
        help=f"prefix budget for the chain's cost, measured apart on the same cases (default {COST_PREFIX_CHARS})",
    )
    parser.add_argument("--show", choices=[*FAILURES, "all"], help="print the cases not recovered of this failure")
    args = parser.parse_args(argv)
    count = args.cases or (QUICK_CASES if args.quick else CASES)
    settings = Settings() if args.prefix_chars is None else Settings(max_prefix_chars=args.prefix_chars)
    started = time.perf_counter()

    sources = directory_sources(args.corpus) if args.corpus else default_sources(ROOT)
    loaded = [(source, load(source)) for source in sources]
    stream = f"chunks of {args.chunk} chars" if args.chunk > 0 else "token chunks"
    print(
        f"recovery benchmark v{GENERATOR_VERSION} at commit {commit()}: seed {args.seed}, "
        f"{count} cases per source and failure "
        f"({count * CLEAN_FACTOR} clean), {stream}, multiline {settings.multiline!r}, "
        f"max_tokens {settings.max_tokens}"
    )
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print("\n".join(describe(loaded)), "\n")

    results: list[tuple[str, Result]] = []
    for source, files in loaded:
        for failure in FAILURES:
            wanted = count * CLEAN_FACTOR if failure == "clean" else count
            for case in sample_cases(source, files, failure, wanted, args.seed):
                results.append((source.name, run_case(case, settings, args.chunk)))

    only = [result for _, result in results]
    print("per failure type (recovered = exact or balanced prefix; raw recovered: the raw output, unfiltered):")
    print(render(failure_table(only), args.markdown), "\n")
    names = [source.name for source, files in loaded if files]
    tallies = grouped(results)
    print("recovered/cases (worse than raw) per failure type and source; clean: unchanged/cases:")
    print(render(matrix_table(tallies, names), args.markdown), "\n")
    print("per failure type and form (site kind, or the failure's variant); clean: unchanged:")
    print(render(variant_table(only), args.markdown, left=2), "\n")
    clean = [result for result in only if result.case.failure == "clean"]
    unchanged = sum(result.filtered.outcome.value == "exact" for result in clean)
    verdict = "ok" if clean and 100 * unchanged / len(clean) >= CLEAN_TARGET else "BELOW TARGET"
    print(
        f"clean continuations passed unchanged: {unchanged}/{len(clean)} = {percent(unchanged, len(clean))} "
        f"(target >= {CLEAN_TARGET}%: {verdict})"
    )
    cost = chain_cost(only, settings, args.chunk, args.cost_prefix_chars)
    print(cost.line(f"these cases with {args.cost_prefix_chars}-char prefixes"))
    label = f"{time.strftime('%Y-%m-%d')} {commit()} (v{GENERATOR_VERSION})"
    print("summary (a row for the history in benchmarks/README.md):")
    print(render(summary_table(only, label), args.markdown))
    print(f"{len(only)} cases in {time.perf_counter() - started:.1f} s")

    if args.show:
        for name, result in results:
            if (args.show in ("all", result.case.failure)) and not result.filtered.recovered:
                site = result.case.site
                print(
                    f"\n--- {name} {site.path}:{site.row + 1}:{site.column} {result.case.failure}/{result.case.variant}"
                    f" -> {result.filtered.outcome.value}{'' if result.filtered.balanced else ' (unbalanced)'}"
                    f"{' WORSE' if result.worse else ''} {result.error}\n"
                    f"line: {site.line_prefix!r} | {site.line_rest!r}\n"
                    f"want: {site.middle!r}\nraw:  {result.case.raw!r}\n"
                    f"got:  {result.text!r} replacing {result.replace_chars}"
                )

    if args.json:
        # The cost samples follow the cases whose filter did not fail, in order.
        measured = [index for index, (_, result) in enumerate(results) if not result.error]
        costs = dict(zip(measured, cost.samples_us, strict=True))
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "commit": commit(),
            "generator_version": GENERATOR_VERSION,
            "seed": args.seed,
            "cases_per_source": count,
            "clean_factor": CLEAN_FACTOR,
            "chunk": args.chunk,
            "sources": {source.name: [file.path for file in files] for source, files in loaded},
            "summary": {f"{failure}/{name}": tally.as_dict() for (failure, name), tally in tallies.items()},
            "clean_unchanged": [unchanged, len(clean)],
            "cost_prefix_chars": args.cost_prefix_chars,
            "cases": [record(name, result, costs.get(index)) for index, (name, result) in enumerate(results)],
        }
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
