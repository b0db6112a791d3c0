"""The recovery benchmark's pure parts (failure injection, the "recovered" judgement) and its CLI."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from codestral_ls.bench.recovery import (
    FAILURES,
    Site,
    auto_closers,
    block_end,
    block_site,
    inject,
    inline_loop,
    line_site,
    near_copy,
    opens_block,
    statements_site,
)
from codestral_ls.bench.recovery_corpus import Source, directory_sources, load
from codestral_ls.bench.recovery_judge import Balance, Outcome, balance, judge, whole_lines_missing
from codestral_ls.bench.recovery_run import KINDS, Result, chunks, render, sample_cases, summary_table

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "recovery_corpus"


# -- the bracket balance ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language_id", "line_prefix", "expected"),
    [
        ("foo(a, b)", "python", "", Balance()),
        ("foo(a, b", "python", "", Balance("", "(")),
        ("a, b)", "python", "", Balance(")", "")),
        ("x)]", "python", "", Balance(")]", "")),
        ("{\n  [1, 2\n", "javascript", "", Balance("", "{[")),
        ("')' + x", "python", "", Balance()),  # a closer in a string does not count
        ("x) # (", "python", "", Balance(")", "")),  # nor one in a comment
        ("x) // {", "c", "", Balance(")", "")),
        ("x) /* { */ }", "c", "", Balance(")}", "")),
        ("x) -- {", "lua", "", Balance(")", "")),
        ('"""(\n"""', "python", "", Balance()),
        ("`${a}(`)", "typescript", "", Balance(")", "")),
        ("${x#y})", "shellscript", "", Balance(")", "")),  # `#` inside a word is no comment
        ("url: http://x#a) # (", "yaml", "", Balance(")", "")),
        # The line's prefix says whether the text starts inside a string.
        ('abc")', "python", 'f("', Balance(")", "")),
        ('abc")', "python", "f(", Balance()),
    ],
)
def test_balance_counts_brackets_outside_strings_and_comments(
    text: str, language_id: str, line_prefix: str, expected: Balance
) -> None:
    assert balance(text, language_id, line_prefix) == expected


# -- the judgement ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "replace", "middle", "line_rest", "outcome", "balanced", "recovered"),
    [
        # exact, also with trailing whitespace differences and with the closer replaced
        ("a, b)", 0, "a, b)", "", Outcome.EXACT, True, True),
        ("a, b)  ", 0, "a, b)", "", Outcome.EXACT, True, True),
        ("a, b", 0, "a, b", ")", Outcome.EXACT, True, True),
        ("a, b)", 1, "a, b", ")", Outcome.EXACT, True, True),
        ("a, b)", 5, "a, b", ")", Outcome.EXACT, True, True),  # replacing past the line's end stops at it
        ("x:\n    y = 1", 0, "x:\n    y = 1  ", "", Outcome.EXACT, True, True),
        # a start of the truth, as balanced as the truth or not
        ("foo(a)", 0, "foo(a)\nbar(b)", "", Outcome.PREFIX, True, True),
        ("foo(a", 0, "foo(a)\nbar(b)", "", Outcome.PREFIX, False, False),
        ("a, b", 0, "a, b)", "", Outcome.PREFIX, False, False),  # the closer the line needs is missing
        ("int f() {", 0, "int f() {\n  return 1;\n}", "", Outcome.PREFIX, False, False),
        # whole lines left out: only typing in between is needed
        ("int f() {\n}", 0, "int f() {\n  return 1;\n}", "", Outcome.GAPS, True, False),
        # the same code, laid out differently
        ("f(a,\n  b)", 0, "f(a,\n  b\n)", "", Outcome.LAYOUT, True, False),
        ("{\n  x;\n}", 0, "{\n\tx;\n}", "", Outcome.LAYOUT, True, False),
        # something to delete
        ("a, b))", 0, "a, b)", "", Outcome.WRONG, False, False),
        ("a, b)", 0, "a, b", ")", Outcome.WRONG, False, False),  # duplicated closer, not replaced
        ("x = 1\ny = 2", 0, "x = 1", "", Outcome.WRONG, True, False),
        ("or", 0, " error", "", Outcome.WRONG, True, False),
        ("x = 1\n", 0, "x = 1", "", Outcome.LAYOUT, True, False),  # an empty line more
        # nothing shown
        (None, 0, "a, b)", "", Outcome.NOTHING, False, False),
        ("  \n", 0, "x = 1", "", Outcome.NOTHING, True, False),
    ],
)
def test_judge_compares_the_document_with_the_truth(
    text: str | None,
    replace: int,
    middle: str,
    line_rest: str,
    outcome: Outcome,
    balanced: bool,
    recovered: bool,
) -> None:
    judgement = judge(text, replace, middle, line_rest, "c")
    assert (judgement.outcome, judgement.balanced, judgement.recovered) == (outcome, balanced, recovered)


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        (("a, b)", 0), ("a, b", 0)),  # exact beats an unbalanced prefix
        (("a, b )", 0), ("a, b", 0)),  # a layout difference beats a prefix
        (("a, b)", 0), ("a,b)", 0)),  # exact beats a layout difference
        (("a", 0), (None, 0)),  # a correct start beats nothing
        ((None, 0), ("a, b))", 0)),  # nothing beats text to delete
        (("a, b)) ", 0), ("a, b)))))", 0)),  # less to delete is better
        (("a, b", 0), ("a,", 0)),  # a longer correct start is better
    ],
)
def test_rank_orders_outcomes_by_what_the_user_must_do(
    better: tuple[str | None, int], worse: tuple[str | None, int]
) -> None:
    good = judge(*better, "a, b)", "", "python")
    bad = judge(*worse, "a, b)", "", "python")
    assert good.rank < bad.rank


@pytest.mark.parametrize(
    ("got", "want", "expected"),
    [
        ("a\nc", "a\nb\nc", True),
        ("a", "a\nb", True),
        ("a\nd", "a\nb\nc", False),
        ("x\nb", "a\nb", False),  # the cursor line must be kept as is
    ],
)
def test_whole_lines_missing(got: str, want: str, expected: bool) -> None:
    assert whole_lines_missing(got, want) is expected


# -- sites and failure injection -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "language_id", "expected"),
    [
        ("def area(w, h):", "python", True),
        ("else:", "python", True),
        ("x = {'a': 1,", "python", False),
        ("func area(w, h float64) float64 {", "go", True),
        ("foo(a, b);", "c", False),
        ("if x then", "lua", True),
        ("local function f(a)", "lua", True),
        ("for i in 1 2; do", "shellscript", True),
        ('case "$x" in', "shellscript", True),
        ("echo done", "shellscript", False),
        ("attributes:", "yaml", True),
        ("help: The name.", "yaml", False),
        ('"files": [', "json", True),
    ],
)
def test_opens_block(line: str, language_id: str, expected: bool) -> None:
    assert opens_block(line, language_id) is expected


@pytest.mark.parametrize(
    ("lines", "language_id", "expected"),
    [
        (["def f():", "    a = 1", "", "    return a", "", "x = 2"], "python", 4),
        (["int f() {", "    return 1;", "}", "int y;"], "c", 3),
        (["int f() {", "    return 1;", "} else {"], "c", None),  # not a unit of its own
        (["if x then", "  y()", "end"], "lua", 3),
        (["def f():", "x = 1"], "python", None),  # no body
        (["shapes:", "  a: 1", "  b: 2", "other: 3"], "yaml", 3),
        (['"files": [', '  "lib/"', "],", '"x": 1'], "json", 3),
    ],
)
def test_block_end(lines: list[str], language_id: str, expected: int | None) -> None:
    assert block_end(lines, 0, language_id) == expected


@pytest.mark.parametrize(
    ("line_prefix", "language_id", "expected"),
    [("foo(bar[1, ", "python", "])"), ("x = {", "javascript", "}"), ("f('(', ", "python", ")"), ("x = 1", "c", "")],
)
def test_auto_closers(line_prefix: str, language_id: str, expected: str) -> None:
    assert auto_closers(line_prefix, language_id) == expected


def site(middle: str, line_prefix: str = "", line_rest: str = "", below: tuple[str, ...] = ()) -> Site:
    lines = ("before", line_prefix + line_rest, *below)
    return Site("f.c", "c", "line", lines, 1, len(line_prefix), middle, below)


@pytest.mark.parametrize(
    ("the_site", "failure", "expected"),
    [
        (site("b)", "f(a, ", "", ("x();",)), "clean", "b)"),
        (site("b", "f(a, ", ")", ("x();",)), "dup-closers", "b)"),
        (site("b);", "  f(a, ", "", ("  }",)), "dup-closers", "b);\n  }"),
        (site("b);", "f(a, ", "", ("x();",)), "dup-closers", None),  # nothing to duplicate
        (site("b);", "f(a, ", "", ("x();",)), "missing-closer", "b"),
        (site("b + c", "f = ", "", ("x();",)), "missing-closer", None),  # no final closer
        (site("b", "f(a, ", ")", ("x();",)), "run-on", None),  # closers right of the cursor
        (site("x();", "  ", "", ("", "  ")), "run-on", None),  # only blank lines below
    ],
)
def test_inject(the_site: Site, failure: str, expected: str | None) -> None:
    case = inject(the_site, failure, random.Random(1))
    assert (case.raw if case else None) == expected


def test_run_on_copies_the_lines_below() -> None:
    below = ("a();", "b();", "c();", "d();", "e();", "f();", "g();", "h();", "i();")
    case = inject(site("x();", "  "), "run-on", random.Random(3))
    assert case is None  # nothing below
    case = inject(site("x();", "  ", "", below), "run-on", random.Random(3))
    assert case is not None
    lines = case.raw.split("\n")
    assert lines[0] == "x();" and 2 <= len(lines) - 1 <= 8
    assert tuple(lines[1:]) == below[: len(lines) - 1]


def test_block_missing_closer_drops_the_closer_line_and_truncated_keeps_the_opener() -> None:
    lines = ["int x;", "int area(int w, int h) {", "    return w * h;", "}", "int y;"]
    block = None
    rng = random.Random(0)
    while block is None or block.column == len(lines[1]):
        block = block_site("f.c", "c", lines, 1, rng, inside_opener=True)
    opener_rest = lines[1][block.column :]
    assert block.middle == opener_rest + "\n    return w * h;\n}"
    assert block.lines == ("int x;", lines[1][: block.column], "int y;")
    missing = inject(block, "missing-closer", rng)
    truncated = inject(block, "truncated", rng)
    assert missing is not None and missing.raw == opener_rest + "\n    return w * h;"
    assert truncated is not None and truncated.raw == opener_rest


def test_line_site_keeps_the_auto_inserted_closers_right_of_the_cursor() -> None:
    lines = ["x = 1", "print(len(items));", "y = 2"]
    for seed in range(20):
        found = line_site("f.py", "python", lines, 1, random.Random(seed), keep_closers=True)
        if found is None:
            continue
        assert found.lines[1] == found.line_prefix + found.line_rest
        assert found.line_prefix + found.middle + found.line_rest == lines[1]
        assert found.line_rest in (")", "))", ");", "));")
        assert found.kind == "line+closers"


def test_indentation_with_tabs_compares_by_width() -> None:
    # A shell `case` indented with spaces, its arms' bodies with tabs (as in /usr/bin scripts).
    lines = ["f() {", "    case $1 in", "    -v)", "\tVERBOSE=1", "\t;;", "    esac", "    shift", "}"]
    found = statements_site("f.sh", "shellscript", lines, 3)
    assert found is not None
    assert (found.line_prefix, found.middle) == ("\t", "VERBOSE=1\n\t;;")


def test_statements_site_runs_to_the_end_of_the_enclosing_block() -> None:
    lines = ["def f():", "    a = 1", "    b = 2", "    return a + b", "", "x = f()"]
    found = statements_site("f.py", "python", lines, 2)
    assert found is not None
    assert (found.line_prefix, found.middle, found.below) == ("    ", "b = 2\n    return a + b", ("", "x = f()"))
    assert statements_site("f.py", "python", lines, 0) is None  # an opener is a block site


@pytest.mark.parametrize(
    ("middle", "line_prefix", "times", "expected"),
    [
        ("x = 1", "", 3, "x = x = x = x = 1"),
        ("HAS_A, HAS_B,", "", 2, "HAS_A, HAS_A, HAS_A, HAS_B,"),
        ("return f(x)", "", 2, None),  # no operator: `return return` is not a loop models make
        ("le a single call.", "whi", 2, None),  # prose
        ("ns: int | None", "prompt_toke", 1, "ns: int | int | None"),  # starts at a word, not mid-word
        ("x", "", 2, None),  # no run to repeat
        ("a_very_long_name_for_a_thing_here = 1", "", 2, None),  # too long for a loop
    ],
)
def test_inline_loop(middle: str, line_prefix: str, times: int, expected: str | None) -> None:
    assert inline_loop(middle, line_prefix, times) == expected


@pytest.mark.parametrize(
    ("line", "step", "expected"),
    [("x1 = f(1)", 1, "x1 = f(2)"), ("self.a = a", 2, "self.a = a_3"), ("()", 1, None)],
)
def test_near_copy(line: str, step: int, expected: str | None) -> None:
    assert near_copy(line, step) == expected


# -- sampling on the fixture corpus -----------------------------------------------------------------


def corpus() -> list[tuple[Source, list]]:  # type: ignore[type-arg]
    return [(source, load(source)) for source in directory_sources(CORPUS)]


def test_fixture_corpus_has_seven_languages() -> None:
    assert sorted(source.language_id for source, files in corpus() if files) == [
        "c",
        "javascript",
        "json",
        "lua",
        "python",
        "shellscript",
        "yaml",
    ]


def test_sampling_is_reproducible_and_the_raw_outputs_are_what_each_failure_says() -> None:
    for source, files in corpus():
        for failure in FAILURES:
            first = sample_cases(source, files, failure, 5, seed=9)
            assert first == sample_cases(source, files, failure, 5, seed=9)
            for case in first:
                raw = judge(case.raw, 0, case.site.middle, case.site.line_rest, source.language_id)
                if failure == "clean":
                    assert raw.outcome is Outcome.EXACT
                elif failure in ("missing-closer", "truncated"):
                    assert raw.outcome is Outcome.PREFIX  # a start of the truth
                else:
                    assert raw.outcome is Outcome.WRONG  # something to delete


def test_site_kinds_take_turns() -> None:
    source, files = next((source, files) for source, files in corpus() if source.language_id == "c")
    cases = sample_cases(source, files, "clean", 8, seed=9)
    kinds = [case.site.kind for case in cases]
    assert kinds == [*KINDS["clean"], *KINDS["clean"]]


@pytest.mark.parametrize(
    ("text", "size", "expected"),
    [
        ("abcdefg", 3, ["abc", "def", "g"]),
        ("", 3, [""]),
        ("x = f(1)\n", 0, ["x", " ", "=", " ", "f", "(", "1", ")", "\n"]),
    ],
)
def test_chunks(text: str, size: int, expected: list[str]) -> None:
    assert chunks(text, size) == expected


def test_render_aligns_text_and_writes_markdown() -> None:
    table = (["failure", "cases"], [["clean", "12"], ["run-on", "3"]])
    assert render(table) == "failure cases\nclean      12\nrun-on      3"
    assert render(table, markdown=True) == "| failure | cases |\n|---|---:|\n| clean | 12 |\n| run-on | 3 |"
    assert render(table, left=2) == "failure cases\nclean   12   \nrun-on  3    "


def test_summary_row_gives_clean_unchanged_and_recovered_with_worse_counts() -> None:
    middle = "f(a)"
    the_site = site(middle, "x = ")

    def result(failure: str, text: str | None, raw: str) -> Result:
        case = inject(the_site, "clean", random.Random(0))
        assert case is not None
        case = attrs.evolve(case, failure=failure, raw=raw)
        return Result(case, judge(text, 0, middle, "", "python"), judge(raw, 0, middle, "", "python"), text, 0)

    results = [
        result("clean", middle, middle),
        result("clean", "f(", middle),  # cut short: not unchanged, and worse than the raw output
        result("run-on", middle, middle + "\ny = 1"),
        result("missing-closer", "f(a", "f(a"),
    ]
    header, rows = summary_table(results, "label")
    assert header[:3] == ["run", "clean unchanged (worse)", "run-on recovered (worse)"]
    assert rows == [["label", "50.0% (1)", "100.0% (0)", "-", "0.0% (0)", "-", "-"]]


def test_cli_quick_run_on_the_fixture_corpus(tmp_path: Path) -> None:
    out = tmp_path / "recovery.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "recovery.py"),
            "--quick",
            "--markdown",
            "--corpus",
            str(CORPUS),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    printed = completed.stdout
    assert "per failure type" in printed and "clean continuations passed unchanged" in printed
    assert "chain cost per suggestion" in printed and "| run | clean unchanged (worse) |" in printed
    for failure in ("clean", "run-on", "dup-closers", "missing-closer", "repetition", "truncated"):
        assert f"\n| {failure} |" in printed
    saved = json.loads(out.read_text(encoding="utf-8"))
    cases = saved["cases"]
    assert {case["failure"] for case in cases} == set(FAILURES)
    assert {case["source"] for case in cases} == {"c", "javascript", "json", "lua", "python", "shellscript", "yaml"}
    assert saved["clean_unchanged"][1] == sum(case["failure"] == "clean" for case in cases) > 0
    for case in cases:
        assert case["outcome"] in ("exact", "layout", "prefix", "gaps", "nothing", "wrong")
        assert case["cost_us"] > 0 and case["error"] == ""
        assert case["recovered"] == (case["outcome"] == "exact" or (case["outcome"] == "prefix" and case["balanced"]))
