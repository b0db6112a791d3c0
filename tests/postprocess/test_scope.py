"""Scope: where multi-line output leaves the cursor's block or completes the one it opened."""

from __future__ import annotations

import pytest

from codestral_ls.postprocess.scope import Scope, ScopeTracker, depth_change


def first_cut(scope: Scope, lines: list[str]) -> int | None:
    """Lines kept when the tracker is fed `lines` (line 0 = the whole cursor line)."""
    tracker = ScopeTracker(scope, lines[0])
    for index in range(1, len(lines)):
        kept = tracker.check(lines, index)
        if kept is not None:
            return kept
    return None


def scope(
    base: int, opened: bool, language_id: str = "python", closed_below: bool = True, closer_below: bool = False
) -> Scope:
    return Scope(base, opened, language_id, closed_below, closer_below)


@pytest.mark.parametrize(
    ("case", "lines", "kept"),
    [
        # Python: the block a header opened ends at the next line at its level.
        (scope(0, True), ["def f():", "    return 1", "", "def g():", "    pass"], 3),
        (scope(0, True), ["if x:", "    a()", "else:", "    b()", "c()"], 4),
        # On a blank line in a body: siblings are fine, a dedent leaves the block.
        (scope(4, False), ["    a = 1", "    if a:", "        b()", "    return a", "x = 2"], 4),
        (scope(8, False), ["        a()", "    elif y:", "        b()"], 1),
        # Python call opened on the cursor line, closed at its level.
        (scope(0, True), ["x = f(", "    a,", ")", "y = 2"], 3),
    ],
)
def test_indentation_languages(case: Scope, lines: list[str], kept: int | None) -> None:
    assert first_cut(case, lines) == kept


@pytest.mark.parametrize(
    ("case", "lines", "kept"),
    [
        # The block the cursor line opened is complete at its closer.
        (scope(2, True, "typescript"), ["  if (x) {", "    y();", "  }", "  z();"], 3),
        # ... unless the document already has that closer right below: stop before it.
        (scope(2, True, "typescript", closer_below=True), ["  if (x) {", "    y();", "  }"], 2),
        # else/catch continue the block.
        (scope(0, True, "java"), ["if (x) {", "  a();", "} else {", "  b();", "}", "c();"], 5),
        # A closer of an outer block: stop before it when the document closes it below...
        (scope(2, False, "javascript"), ["  a();", "  if (b) {", "    c();", "  }", "}"], 4),
        # ... keep it when nothing below does.
        (scope(2, False, "javascript", closed_below=False), ["  a();", "}", "more();"], 2),
        # Go: `case` at the switch's level.
        (scope(4, True, "go"), ["\tswitch x {", "\tcase 1:", "\t\ty()", "\t}"], 4),
        # A statement below the cursor's level, without a closer: left the block.
        (scope(4, False, "c"), ["    a();", "b();"], 1),
        # Nothing stops a body that stays inside.
        (scope(2, False, "rust"), ["  let a = 1;", "  let b = 2;"], None),
    ],
)
def test_brace_languages(case: Scope, lines: list[str], kept: int | None) -> None:
    assert first_cut(case, lines) == kept


@pytest.mark.parametrize(
    ("case", "lines", "kept"),
    [
        (scope(2, True, "ruby"), ["  def total", "    @items.sum", "  end", "  def count"], 3),
        (scope(2, True, "html"), ['  <div class="a">', "    <p>x</p>", "  </div>", "  <p>"], 3),
        (scope(2, False, "yaml"), ["  - run: a", "  - run: b", "x: 1"], 2),
        (scope(4, True, "yaml"), ["    steps:", "    - uses: a", "    - run: b", "  other:"], 3),
    ],
)
def test_keyword_markup_and_yaml(case: Scope, lines: list[str], kept: int | None) -> None:
    assert first_cut(case, lines) == kept


def test_a_table_closed_by_a_bracket_line_is_complete_there() -> None:
    # Lua: `H.lua([[...]], {` opens a table whose `})` ends the unit (was cut before the `})`).
    lines = ["]], {", "  { code = 0 },", "  { code = 1 },", "})", "H.eq(1, 2)"]
    assert first_cut(scope(0, True, "lua"), lines) == 4


def test_a_conditional_expression_else_is_no_clause() -> None:
    # Python: `else None` (no `:`) goes on with the expression begun above, inside brackets.
    lines = ["            if max_entries > 0", "            else None", "        )", "        self.x = 1"]
    assert first_cut(scope(12, False), lines) == 2


def test_yaml_keys_named_like_clauses_go_on() -> None:
    # `default:` and `else:` are keys of the same mapping, not a `switch` clause.
    lines = ["  help_text: Api scope.", "  default: any-api", "  else: 1", "x: 1"]
    assert first_cut(scope(2, False, "yaml"), lines) == 3


def test_tabs_are_eight_columns_where_tabs_and_spaces_mix() -> None:
    # GNU-style shell: 24 spaces, then three tabs for the same level.
    lines = ['                        STAT="$?"', '\t\t\t/bin/rm -f "$tmp";;', "x"]
    mixed = Scope(24, False, "shellscript", True, False, tab_width=8)
    assert first_cut(mixed, lines) == 2
    assert first_cut(Scope(24, False, "shellscript", True, False), lines) == 1  # tab = 4: a dedent


@pytest.mark.parametrize(
    ("line", "language_id", "change"),
    [
        ("if (x) {", "c", 1),
        ("}, []);", "typescript", -2),
        ('print("(")', "python", 0),
        ("x = 1  # (", "python", 0),
        ("<li>{user.name}</li>", "typescriptreact", 0),
        ('<div class="card">', "html", 1),
        ("<br>", "html", 0),
        ("def total", "ruby", 1),
        ("end", "ruby", -1),
        ("rows.each do |row|", "ruby", 1),
        # A closer line made of brackets counts its brackets only (not as an `end` too).
        ("})", "lua", -2),
        ("  ]], opts)", "lua", -3),
        ("end)", "lua", -2),
        ("}", "shellscript", -1),
    ],
)
def test_depth_change(line: str, language_id: str, change: int) -> None:
    assert depth_change(line, language_id) == change


@pytest.mark.parametrize(
    ("lower_lines", "closed_below", "indent", "closes"),
    [
        (((0, True),), False, 0, True),  # `}` at the closer's column: the document has it
        (((0, False),), False, 0, False),  # `func next() {`: the block's `}` is missing
        (((0, True),), False, 2, False),  # the `}` below closes the class, not the method
        (((2, False), (0, True)), False, 0, True),
        ((), True, 4, True),  # nothing below within the window: what the context says
        ((), False, 4, False),
    ],
)
def test_closes_below(lower_lines: tuple[tuple[int, bool], ...], closed_below: bool, indent: int, closes: bool) -> None:
    case = Scope(4, False, "go", closed_below, False, lower_lines=lower_lines)
    assert case.closes_below(indent) is closes


@pytest.mark.parametrize(
    ("case", "lines", "kept"),
    [
        # A decorator starts the unit: the next decorated method is not part of it.
        (
            scope(4, False),
            ["    @property", "    def area(self):", "        return 1", "", "    @property", "    def b(self):"],
            4,
        ),
        # Allman: a definition, then its `{` on the next line, is one unit.
        (
            scope(4, False, "csharp", closed_below=False),
            ["    public void Run()", "    {", "        Go();", "    }", "", "    public void Stop()"],
            4,
        ),
        # A closer below of another kind closes another block (`done` is not our `fi`).
        (
            Scope(0, True, "shellscript", True, True, closer_below_text="done"),
            ["if [ -r x ]; then", "  echo x", "fi"],
            3,
        ),
        (Scope(0, True, "shellscript", True, True, closer_below_text="fi"), ["if [ -r x ]; then", "  echo x", "fi"], 2),
        # YAML: on a key of a list item, the next item of that list is one more unit.
        (
            scope(4, False, "yaml", closed_below=False),
            ["    run: make", "  - name: test", "    run: make test", "  - name: lint"],
            3,
        ),
    ],
)
def test_units(case: Scope, lines: list[str], kept: int | None) -> None:
    assert first_cut(case, lines) == kept
