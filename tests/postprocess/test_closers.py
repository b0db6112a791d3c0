"""Closers the suggestion owes: brackets it opened and the stream ended without closing."""

from __future__ import annotations

import random
import re

import pytest

from codestral_ls.postprocess.brackets import closed_entries, quote_chars, scan
from codestral_ls.postprocess.closers import add_missing_closers, open_brackets, outer_closers_kept
from codestral_ls.postprocess.language import code_part, open_quote


@pytest.mark.parametrize(
    ("lines", "language_id", "still_open"),
    [
        (["x = foo(a, [b"], "python", [("(", 0), ("[", 0)]),
        (["x = foo(", "    a,", "    b"], "python", [("(", 0)]),
        (["x = foo(a)"], "python", []),
        (["  print('it''s"], "python", []),  # inside a string: nothing to say
        (["    a)"], "python", []),  # closes a bracket opened above the cursor
        (["f(x) # (see note"], "python", []),  # a comment opens nothing
        (["/** Runs (a job */ run(x"], "typescript", [("(", 0)]),  # nor a block comment
        (["  { 7, 'utf-16', 9 },   -- note (a", "  { 1"], "lua", [("{", 1)]),
        # Shell: `\'` is a character, and an apostrophe in a word is a letter, not a quote.
        (["    (*\\'*)", "      x=1;;"], "shellscript", []),
        (["  -k, --keep   keep (don't delete) input files", "  -l, --list"], "shellscript", []),
        (["  echo 'it is (done'", "  (x"], "shellscript", [("(", 1)]),
    ],
)
def test_open_brackets(lines: list[str], language_id: str, still_open: list[tuple[str, int]]) -> None:
    assert open_brackets(lines, language_id) == still_open


@pytest.mark.parametrize(
    ("line_prefix", "lines", "next_line", "language_id", "expected"),
    [
        # A call left open at the end of its line: closed there.
        ("    ", ["return urlencode(masked, safe='*'"], None, "python", ["return urlencode(masked, safe='*')"]),
        ("    x = ", ["asyncio.Event("], "    y = 1", "python", ["asyncio.Event()"]),
        # `{ a` is closed as `{ a }`.
        ("const p = ", ["{ x: 1, y: 2"], None, "typescript", ["{ x: 1, y: 2 }"]),
        # A hanging bracket (content after it on its line) closes at the end of the last line.
        ("    ", ["return (a or", "            b"], "", "python", ["return (a or", "            b)"]),
        # A bracket that ends its line closes on a line of its own, at that line's level.
        ("", ["if (ok) {", "  run();"], "next();", "javascript", ["if (ok) {", "  run();", "}"]),
        ("foo(", ["", "  a,", "  b"], None, "python", ["", "  a,", "  b)"]),  # hanging last argument
        ("foo([", ["", "  a,", "  b,"], None, "python", ["", "  a,", "  b,", "])"]),  # a trailing comma
        # A call begun above the cursor whose last argument the suggestion wrote.
        (
            "        ",
            ['"not a callback option", self'],
            "    def next(self):",
            "python",
            ['"not a callback option", self)'],
        ),
        # The document goes on inside the brackets, or closes them itself: nothing added.
        ("x = foo(", ["a,"], "        b)", "python", ["a,"]),
        ("", ["if (ok) {", "  run();"], "}", "javascript", ["if (ok) {", "  run();"]),
        # A closer below that is left of the opener closes an outer bracket: ours still needed.
        ("        ", ["lower=tuple(lines"], "    )", "python", ["lower=tuple(lines)"]),
        # Ends by opening a block: its body may be the document's next lines.
        ("", ["if (ok) {"], None, "javascript", ["if (ok) {"]),
        ("", ["def f(x):"], None, "python", ["def f(x):"]),
        # ... or a list (`"files": [`): `[]` would be an empty list nobody asked for.
        ('  "files": ', ["["], '  "keywords": [', "json", ["["]),
        ("    data = ", ["["], None, "python", ["["]),
        # Lua: `end)` below closes the callback's function and the call's `(` at once.
        (
            "  ",
            ["vim.schedule(function()", "    pcall(vim.cmd.redrawstatus)"],
            "  end)",
            "lua",
            ["vim.schedule(function()", "    pcall(vim.cmd.redrawstatus)"],
        ),
        # Shell: a test `[ -f "$x"` is closed by ` ]`.
        ("      if [ -f ", ['"$CONFIG"'], None, "shellscript", ['"$CONFIG" ]']),
        # A `:` inside the brackets the last line opened is a slice, not a block.
        ("        ", ["events = self._queue[:"], None, "python", ["events = self._queue[:]"]),
        # Adjacent string literals continue the call begun above (the option's `"` line).
        ("        ", ['"for a callback option", self'], None, "python", ['"for a callback option", self)']),
        # Balanced: unchanged.
        ("", ["print(x)"], None, "python", ["print(x)"]),
    ],
)
def test_add_missing_closers(
    line_prefix: str, lines: list[str], next_line: str | None, language_id: str, expected: list[str]
) -> None:
    above = ["class Option:", "    def check(self):", "        raise OptionError("] if "option" in lines[0] else []
    assert add_missing_closers(lines, line_prefix, next_line, language_id, above) == expected


def test_a_block_opened_above_is_never_closed() -> None:
    # The function's `{` is open above the cursor: it ends wherever the document says.
    above = ["function f(a) {", "  if (a) {"]
    assert add_missing_closers(["run(a);"], "    ", None, "javascript", above) == ["run(a);"]


def test_a_docstring_the_suggestion_writes_opens_no_bracket() -> None:
    # Its prose holds a `(` and a stray `"`; an apostrophe (`rest's`) is a letter there.
    lines = [
        "def _suffix_stack(before):",
        '    """What the rest\'s closers close (`print("x)` +',
        '    `hi")`)."""',
        "    return before",
    ]
    assert open_brackets(lines, "python") == []
    assert add_missing_closers(lines[1:], "", None, "python", lines[:1]) == lines[1:]
    # A docstring left open is prose still being written: nothing to say about its brackets.
    assert open_brackets(['    """Runs (a job', "    more"], "python") == []


def test_a_bare_keyword_closer_below_closes_no_bracket() -> None:
    # `fi` ends the `if`, not the `$(` the suggestion left open.
    assert add_missing_closers(["x=$(cmd arg"], "  ", "  fi", "shellscript") == ["x=$(cmd arg)"]


def test_tab_width_of_a_mixed_document() -> None:
    # GNU style: `\t` is 8 columns, deeper than the `      }` below, which closes an outer block.
    assert add_missing_closers(["OnError(errno"], "\t", "      }", "c", (), 8) == ["OnError(errno)"]
    assert add_missing_closers(["OnError(errno"], "\t", "      }", "c") == ["OnError(errno"]


def test_black_style_closers_above_put_ours_on_a_line_of_its_own() -> None:
    # `):` and `) from None` (black) show that the file closes on lines of their own.
    above = [
        "def load(",
        "    path: Path,",
        "):",
        "    try:",
        "        loaded = json.loads(text)",
        "    except ValueError as exc:",
    ]
    above += ["        raise CommandLineError("]
    lines = ['f"not valid JSON: {exc.msg}"']
    assert add_missing_closers(lines, "            ", None, "python", above) == [lines[0], "        )"]


CONVERT = ["    _IntEnum._convert_(", "        'Sigmasks', __name__,"]


@pytest.mark.parametrize(
    ("above", "text", "replace", "line_suffix", "next_line", "kept"),
    [
        # The `)` right of the cursor closes `_convert_(`, which nothing below closes: kept.
        (CONVERT, " 'B', 'C')", 1, ")", "", 0),
        (CONVERT, " 'B', 'C')", 1, ")", "def f():", 0),
        # The call is closed below, or goes on below: the `)` is the tuple's, replaced.
        (CONVERT, " 'B', 'C')", 1, ")", "    )", 1),
        (CONVERT, " 'B', 'C')", 1, ")", "        more,", 1),
        # The line above starts no continuation: the line's own evidence decides.
        (["    _IntEnum._convert_('Sigmasks')"], " 'B', 'C')", 1, ")", "", 1),
        # A bracket left open further up, before the expression this line continues, is not its
        # business (prose, a call closed far below).
        (["call(a,", "", "y = 1 +"], "2)", 1, ")", "", 1),
    ],
)
def test_outer_closers_kept(
    above: list[str], text: str, replace: int, line_suffix: str, next_line: str, kept: int
) -> None:
    line_prefix = "        lambda name: name in ('A'," if text.startswith(" '") else "    f("
    assert outer_closers_kept(text, replace, line_prefix, line_suffix, above, next_line, "python") == kept


def _reference_open_brackets(lines: list[str], language_id: str, above: list[str]) -> list[tuple[str, int]]:
    """Line by line with `brackets.scan`, as open_brackets was written before it walked the
    lines in one pass."""
    quotes = quote_chars(language_id)
    stack: tuple[str, ...] = ()
    owners: list[int] = []
    every = [*above, *lines]
    for index, line in enumerate(every):
        code = re.sub(r"/\*.*?\*/", "", code_part(line, language_id))
        if code.lstrip().startswith(("*", "/*")):
            code = ""
        if re.search(r"(?<=[A-Za-z])'(?=[A-Za-z])", code) and open_quote(code):
            code = re.sub(r"(?<=[A-Za-z])'(?=[A-Za-z])", "_", code)  # `don't`: a letter
        closed = closed_entries(code, stack, quotes)
        unmatched, after = scan(code, stack, quotes)
        if unmatched and index >= len(above):
            return []
        kept = min(closed, default=len(stack))
        owners = owners[:kept] + [index] * (len(after) - kept)
        if index < len(every) - 1:
            pairs = [(c, o) for c, o in zip(after, owners, strict=True) if c not in quotes or c == "`"]
            after, owners = tuple(c for c, _ in pairs), [o for _, o in pairs]
        stack = after
    if any(c not in "([{" for c in stack):
        return []
    return list(zip(stack, owners, strict=True))


def test_open_brackets_matches_the_line_by_line_reference() -> None:
    rng = random.Random(13)
    pieces = ["(", ")", "[", "]", "{", "}", '"', "'", "`", "\\", "a", " ", "# c", "// c", "/* x */", "*", "/*"]
    pieces += ["(a)", "[b]", "{c}", "f(x(y))", "\\(", '\\"', "'(')'"]  # pairs the walk may skip
    for _ in range(4000):
        every = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 8))) for _ in range(rng.randint(1, 6))]
        split = rng.randint(0, len(every) - 1)
        above, lines = every[:split], every[split:]
        for language_id in ("python", "typescript", "rust"):
            expected = _reference_open_brackets(lines, language_id, above)
            assert open_brackets(lines, language_id, above) == expected, (above, lines, language_id)
