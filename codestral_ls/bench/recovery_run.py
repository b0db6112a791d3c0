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
from ..postprocess import plan_completion
from .chain_cost import ChainCost, ChainInput, measure, run_chain
from .continuation import apply_stop, split_tokens
from .recovery import FAILURES, Case, Site, block_site, inject, line_site, statements_site
from .recovery_corpus import Source, SourceFile
from .recovery_judge import Judgement, Outcome, judge

CHARS_PER_TOKEN = 4  # a rough average for code, to turn the token budget into characters
ATTEMPTS_PER_CASE = 2000  # random tries for a site of a kind where the failure applies, before giving up


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


# The site kinds each failure is built on, in equal shares ("line+closers": a line site with the
# auto-inserted closers right of the cursor; "opener": a block site, cursor inside the opener).
KINDS = {
    "clean": ("line", "line+closers", "block", "statements"),
    "run-on": ("line", "block", "statements"),
    "dup-closers": ("line+closers", "block", "statements"),
    "missing-closer": ("line", "block", "statements"),
    "repetition": ("line", "statements"),
    "truncated": ("opener",),
}


def pick_site(kind: str, source: Source, file: SourceFile, row: int, rng: random.Random) -> Site | None:
    """A site of `kind` at line `row` (None when none fits there)."""
    path, language_id, lines = file.path, source.language_id, file.lines
    if kind in ("line", "line+closers"):
        return line_site(path, language_id, lines, row, rng, keep_closers=kind == "line+closers")
    if kind in ("block", "opener"):
        return block_site(path, language_id, lines, row, rng, inside_opener=kind == "opener" or rng.random() < 0.5)
    return statements_site(path, language_id, lines, row)


def sample_cases(source: Source, files: list[SourceFile], failure: str, count: int, seed: int) -> list[Case]:
    """`count` cases of `failure` from `files`, the site kinds taking turns (fewer when the files
    hold too few sites of a kind); the same seed gives the same cases."""
    rng = random.Random(f"{seed}:{source.name}:{failure}")
    cases: list[Case] = []
    seen: set[tuple[str, int, int]] = set()
    kinds = list(KINDS[failure]) if files else []
    while len(cases) < count and kinds:
        kind = kinds[len(cases) % len(kinds)]
        case = _find_case(kind, failure, source, files, seen, rng)
        if case is None:
            kinds.remove(kind)  # this corpus has no (more) sites of this kind
        else:
            seen.add((case.site.path, case.site.row, case.site.column))
            cases.append(case)
    return cases


def _find_case(
    kind: str,
    failure: str,
    source: Source,
    files: list[SourceFile],
    seen: set[tuple[str, int, int]],
    rng: random.Random,
) -> Case | None:
    for _ in range(ATTEMPTS_PER_CASE):
        file = rng.choice(files)
        row = rng.randrange(len(file.lines))
        if not file.lines[row].strip():
            continue
        site = pick_site(kind, source, file, row, rng)
        if site is None or (site.path, site.row, site.column) in seen:
            continue
        case = inject(site, failure, rng)
        if case is not None:
            return case
    return None


def chunks(text: str, size: int) -> list[str]:
    """The text as a stream delivers it: pieces of `size` characters, or with `size` 0 rough
    tokens (words, punctuation, runs of whitespace)."""
    if size <= 0:
        return split_tokens(text) or [""]
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def chain_input(case: Case, settings: Settings, chunk_chars: int, prefix_chars: int | None = None) -> ChainInput:
    """The case as the server would post-process it: the context within the budgets
    (`prefix_chars` instead of the setting's when given), and the model's output as the API
    returns it for the plan (stop sequences, token budget), in stream chunks."""
    site = case.site
    ctx = extract(
        list(site.lines),
        site.row,
        site.column,
        max_prefix_chars=prefix_chars or settings.max_prefix_chars,
        max_suffix_chars=settings.max_suffix_chars,
        language_id=site.language_id,
        uri=f"file://{site.path}",
    )
    plan = plan_completion(ctx, settings.multiline, settings.max_tokens)
    pieces = chunks(apply_stop(case.raw, plan.stop)[: plan.max_tokens * CHARS_PER_TOKEN], chunk_chars)
    return ChainInput(ctx, tuple(pieces), settings.multiline, settings.max_tokens)


def run_case(case: Case, settings: Settings, chunk_chars: int) -> Result:
    """Stream the case's output through the filters and judge what the user would get."""
    site = case.site
    text: str | None
    replace_chars, error = 0, ""
    try:
        _, suggestion = run_chain(chain_input(case, settings, chunk_chars))
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


def chain_cost(results: Iterable[Result], settings: Settings, chunk_chars: int, prefix_chars: int) -> ChainCost:
    """The chain's cost per suggestion on these cases (those whose filter did not fail), with
    `prefix_chars` of prefix, measured apart from the judging (see `chain_cost.measure`)."""
    inputs = [chain_input(result.case, settings, chunk_chars, prefix_chars) for result in results if not result.error]
    return measure(inputs)


# -- tables --------------------------------------------------------------------------------------

COLUMNS = ("exact", "layout", "bal. prefix", "unbal. prefix", "gaps", "nothing", "wrong")


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


Table = tuple[list[str], list[list[str]]]  # header, rows


def render(table: Table, markdown: bool = False, left: int = 1) -> str:
    """Aligned text (the first `left` columns to the left, the others right), or Markdown."""
    header, rows = table
    if markdown:
        aligns = ["---"] * left + ["---:"] * (len(header) - left)
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(aligns) + "|"]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
    widths = [max(len(row[index]) for row in [header, *rows]) for index in range(len(header))]
    return "\n".join(
        " ".join(
            cell.ljust(widths[index]) if index < left else cell.rjust(widths[index]) for index, cell in enumerate(row)
        )
        for row in [header, *rows]
    )


def failure_table(results: Iterable[Result]) -> Table:
    """Per failure type, over all sources."""
    tallies: dict[str, Tally] = {failure: Tally() for failure in FAILURES}
    for result in results:
        tallies[result.case.failure].add(result)
    header = ["failure", "cases", "recovered", "raw recovered", "worse", "better", *COLUMNS, "errors"]
    rows = [
        [
            failure,
            str(tally.cases),
            percent(tally.recovered, tally.cases),
            percent(tally.raw_recovered, tally.cases),
            str(tally.worse),
            str(tally.better),
            *(str(tally.outcomes[name]) for name in COLUMNS),
            str(tally.errors),
        ]
        for failure, tally in tallies.items()
        if tally.cases
    ]
    return header, rows


def grouped(results: Iterable[tuple[str, Result]]) -> dict[tuple[str, str], Tally]:
    """Tallies per (failure, source name)."""
    tallies: dict[tuple[str, str], Tally] = {}
    for source_name, result in results:
        tallies.setdefault((result.case.failure, source_name), Tally()).add(result)
    return tallies


def matrix_table(tallies: dict[tuple[str, str], Tally], source_names: list[str]) -> Table:
    """Rows: failure types; columns: sources; cells: recovered/cases (worse than raw); for
    clean continuations, unchanged (exact)/cases."""
    rows = []
    for failure in FAILURES:
        cells = [failure]
        for name in source_names:
            tally = tallies.get((failure, name))
            if tally is None:
                cells.append("-")
            else:
                good = tally.exact if failure == "clean" else tally.recovered
                cells.append(f"{good}/{tally.cases} ({tally.worse})")
        rows.append(cells)
    return ["failure", *source_names], rows


def variant_table(results: Iterable[Result]) -> Table:
    """Per failure type and form (the site kind, or the failure's variant), over all sources:
    where the losses are."""
    tallies: dict[tuple[str, str], Tally] = {}
    for result in results:
        case = result.case
        form = case.site.kind if case.variant == case.site.kind else f"{case.variant} ({case.site.kind})"
        tallies.setdefault((case.failure, form), Tally()).add(result)
    rows = []
    for failure in FAILURES:
        for (name, form), tally in sorted(tallies.items()):
            if name == failure:
                good = tally.exact if failure == "clean" else tally.recovered
                rows.append([failure, form, str(tally.cases), percent(good, tally.cases), str(tally.worse)])
    return ["failure", "form", "cases", "recovered", "worse"], rows


def summary_table(results: Iterable[Result], label: str) -> Table:
    """One row for the history in benchmarks/README.md: clean unchanged, then recovered (worse
    than raw) per failure type."""
    tallies: dict[str, Tally] = {failure: Tally() for failure in FAILURES}
    for result in results:
        tallies[result.case.failure].add(result)
    clean = tallies["clean"]
    cells = [label, f"{percent(clean.exact, clean.cases)} ({clean.worse})"]
    for failure in FAILURES[1:]:
        tally = tallies[failure]
        cells.append(f"{percent(tally.recovered, tally.cases)} ({tally.worse})" if tally.cases else "-")
    return ["run", "clean unchanged (worse)", *(f"{failure} recovered (worse)" for failure in FAILURES[1:])], [cells]
