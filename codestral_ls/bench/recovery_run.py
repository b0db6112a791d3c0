"""The recovery benchmark's run: sample cases, stream them through the filters, judge, tabulate.

The filters are driven only through their public entry points (`plan_completion`,
`SuggestionFilter`), the way the pipeline drives them: the plan's stop sequences and token
budget are applied to the model's output as the API would, the rest is streamed in chunks until
the filter says it is complete, and `finish()` gives the suggestion.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from typing import Any

import attrs

from ..config import Settings
from ..context import extract
from ..postprocess import SuggestionFilter, plan_completion
from .continuation import apply_stop
from .recovery import FAILURES, Case, Site, block_site, inject, line_site, statements_site
from .recovery_corpus import Source, SourceFile
from .recovery_judge import Judgement, Outcome, judge

CHARS_PER_TOKEN = 4  # a rough average for code, to turn the token budget into characters
ATTEMPTS_PER_CASE = 300  # random tries for a site where a failure applies, before giving up


@attrs.frozen
class Result:
    case: Case
    filtered: Judgement
    raw: Judgement
    text: str | None  # the suggestion's text (None: nothing shown)
    replace_chars: int
    error: str = ""  # the filter raised (counted, and judged as nothing shown)

    @property
    def worse(self) -> bool:
        return self.filtered.rank > self.raw.rank

    @property
    def better(self) -> bool:
        return self.filtered.rank < self.raw.rank


def pick_site(failure: str, source: Source, file: SourceFile, row: int, rng: random.Random) -> Site | None:
    """A site of a kind `failure` can be built on, at line `row` (None when none fits there)."""
    path, language_id, lines = file.path, source.language_id, file.lines
    if failure == "truncated":
        return block_site(path, language_id, lines, row, rng, inside_opener=True)
    kinds = {
        "clean": ("line", "closers", "block", "statements"),
        "run-on": ("line", "block", "statements"),
        "dup-closers": ("closers", "block", "statements"),
        "missing-closer": ("line", "block", "statements"),
        "repetition": ("line", "statements"),
    }[failure]
    kind = rng.choice(kinds)
    if kind in ("line", "closers"):
        return line_site(path, language_id, lines, row, rng, keep_closers=kind == "closers")
    if kind == "block":
        return block_site(path, language_id, lines, row, rng, inside_opener=rng.random() < 0.5)
    return statements_site(path, language_id, lines, row)


def sample_cases(source: Source, files: list[SourceFile], failure: str, count: int, seed: int) -> list[Case]:
    """`count` cases of `failure` from `files` (fewer when the files hold too few sites); the
    same seed gives the same cases."""
    rng = random.Random(f"{seed}:{source.name}:{failure}")
    cases: list[Case] = []
    seen: set[tuple[str, int, int]] = set()
    if not files:
        return cases
    for _ in range(count * ATTEMPTS_PER_CASE):
        if len(cases) >= count:
            break
        file = rng.choice(files)
        row = rng.randrange(len(file.lines))
        if not file.lines[row].strip():
            continue
        site = pick_site(failure, source, file, row, rng)
        if site is None or (site.path, site.row, site.column) in seen:
            continue
        case = inject(site, failure, rng)
        if case is not None:
            seen.add((site.path, site.row, site.column))
            cases.append(case)
    return cases


def chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def run_case(case: Case, settings: Settings, chunk_chars: int) -> Result:
    """Stream the case's output through the filters and judge what the user would get."""
    site = case.site
    ctx = extract(
        list(site.lines),
        site.row,
        site.column,
        max_prefix_chars=settings.max_prefix_chars,
        max_suffix_chars=settings.max_suffix_chars,
        language_id=site.language_id,
        uri=f"file://{site.path}",
    )
    text: str | None
    replace_chars, error = 0, ""
    try:
        plan = plan_completion(ctx, settings.multiline, settings.max_tokens)
        streamed = apply_stop(case.raw, plan.stop)[: plan.max_tokens * CHARS_PER_TOKEN]
        chain = SuggestionFilter(ctx, plan)
        for piece in chunks(streamed, chunk_chars):
            if chain.feed(piece):
                break
        suggestion = chain.finish()
        text = None if suggestion is None else suggestion.text
        replace_chars = 0 if suggestion is None else suggestion.replace_chars
    except Exception as exc:  # a filter bug is a result to count, not a reason to stop
        text, error = None, f"{type(exc).__name__}: {exc}"
    args = (site.middle, site.line_rest, site.language_id, site.line_prefix)
    return Result(
        case=case,
        filtered=judge(text, replace_chars, *args),
        raw=judge(case.raw, 0, *args),
        text=text,
        replace_chars=replace_chars,
        error=error,
    )


# -- tables --------------------------------------------------------------------------------------

COLUMNS = ("exact", "bal. prefix", "unbal. prefix", "gaps", "nothing", "wrong")


def column(judgement: Judgement) -> str:
    if judgement.outcome is Outcome.PREFIX:
        return "bal. prefix" if judgement.balanced else "unbal. prefix"
    return str(judgement.outcome.value)


@attrs.define
class Tally:
    """Counts for one group of results."""

    cases: int = 0
    exact: int = 0
    recovered: int = 0
    raw_recovered: int = 0
    worse: int = 0
    better: int = 0
    errors: int = 0
    outcomes: Counter[str] = attrs.field(factory=Counter)

    def add(self, result: Result) -> None:
        self.cases += 1
        self.exact += result.filtered.outcome is Outcome.EXACT
        self.recovered += result.filtered.recovered
        self.raw_recovered += result.raw.recovered
        self.worse += result.worse
        self.better += result.better
        self.errors += bool(result.error)
        self.outcomes[column(result.filtered)] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "recovered": self.recovered,
            "raw_recovered": self.raw_recovered,
            "worse_than_raw": self.worse,
            "better_than_raw": self.better,
            "filter_errors": self.errors,
            "outcomes": {name: self.outcomes[name] for name in COLUMNS},
        }


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def failure_table(results: Iterable[Result]) -> list[str]:
    """Per failure type, over all languages."""
    tallies: dict[str, Tally] = {failure: Tally() for failure in FAILURES}
    for result in results:
        tallies[result.case.failure].add(result)
    header = (
        f"{'failure':<15} {'cases':>5} {'recovered':>10} {'raw rec.':>9} {'worse':>6} {'better':>6} "
        + " ".join(f"{name:>13}" for name in COLUMNS)
        + f" {'errors':>6}"
    )
    lines = [header]
    for failure, tally in tallies.items():
        if not tally.cases:
            continue
        lines.append(
            f"{failure:<15} {tally.cases:>5} {percent(tally.recovered, tally.cases):>10} "
            f"{percent(tally.raw_recovered, tally.cases):>9} {tally.worse:>6} {tally.better:>6} "
            + " ".join(f"{tally.outcomes[name]:>13}" for name in COLUMNS)
            + f" {tally.errors:>6}"
        )
    return lines


def grouped(results: Iterable[tuple[str, Result]]) -> dict[tuple[str, str], Tally]:
    """Tallies per (failure, source name)."""
    tallies: dict[tuple[str, str], Tally] = {}
    for source_name, result in results:
        tallies.setdefault((result.case.failure, source_name), Tally()).add(result)
    return tallies


def matrix_table(tallies: dict[tuple[str, str], Tally], source_names: list[str]) -> list[str]:
    """Rows: failure types; columns: sources; cells: recovered/cases and (worse than raw); for
    clean continuations, unchanged (exact)/cases."""
    width = max(16, *(len(name) + 1 for name in source_names))
    lines = [f"{'failure':<15} " + " ".join(f"{name:>{width}}" for name in source_names)]
    for failure in FAILURES:
        cells = []
        for name in source_names:
            tally = tallies.get((failure, name))
            if tally is None:
                cells.append(f"{'-':>{width}}")
                continue
            good = tally.exact if failure == "clean" else tally.recovered
            cells.append(f"{f'{good}/{tally.cases} ({tally.worse})':>{width}}")
        lines.append(f"{failure:<15} " + " ".join(cells))
    return lines
