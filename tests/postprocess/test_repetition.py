"""Repetition: lines, groups of lines, patterns in a line, blocks echoed from above."""

from __future__ import annotations

import random

import pytest

from codestral_ls.postprocess.repetition import (
    _INLINE_LOOP,
    collapse_stutter,
    doubled_line,
    echoed_block,
    inline_loop,
    may_loop,
    repeated_group,
    repeated_line,
    repeated_statement,
    unreachable,
)


@pytest.mark.parametrize(
    ("lines", "kept"),
    [
        (["a()", "a()", "a()"], 1),
        (["x = 1", "a()", "a()", "a()"], 2),
        (["a()", "a()", "b()"], None),
        (["a()", "a() ", "a()"], 1),  # trailing whitespace does not hide a repeat
        (["x", "", "", ""], 1),  # three blank lines: cut before them
        (["  }", "}", "}"], None),  # different indentation: different lines
        (["a()"], None),
    ],
)
def test_repeated_line(lines: list[str], kept: int | None) -> None:
    assert repeated_line(lines, len(lines) - 1) == kept


@pytest.mark.parametrize(
    ("lines", "kept"),
    [
        (["a", "b", "a", "b", "a", "b"], 2),
        (["x", "a", "b", "a", "b", "a", "b"], 3),
        (["a,", "b,", "a,", "b,", "a,", "b"], 2),  # the last copy lacks its separator
        (["a", "b", "c", "a", "b", "c", "a", "b", "c"], 3),
        (["a", "b", "a", "b", "a", "c"], None),
        (["a", "a", "a", "a", "a", "a"], None),  # one line repeated: repeated_line's job
    ],
)
def test_repeated_group(lines: list[str], kept: int | None) -> None:
    assert repeated_group(lines, len(lines) - 1) == kept


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("id = uuid()" + ".toString()" * 9, "id = uuid().toString()"),
        ("very very very very very very very very fast", "very "),
        ("very very very very very fast", None),
        # Tables of bytes, zeros and separators are fine.
        ("data = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]", None),
        ("# ==================================================", None),
        ("values = [None, None, None, None, None, None, None]", None),
        ("short", None),
    ],
)
def test_inline_loop(line: str, kept: str | None) -> None:
    column = inline_loop(line)
    assert (None if column is None else line[:column]) == kept


PREFIX = ["def first(items):", "    for item in items:", "        return item", "    return None", "", ""]


@pytest.mark.parametrize(
    ("lines", "base", "kept"),
    [
        (["def first(items):", "    for item in items:", "        return item"], 0, 0),
        (["x = 1", "def first(items):", "    for item in items:", "        return item"], 0, 1),
        # Same body under another name: a similar function, not an echo.
        (["def second(items):", "    for item in items:", "        return item"], 0, None),
        # The header deeper than the cursor's level is not the start of a block here.
        (["    for item in items:", "        return item", "    return None"], 0, None),
        (["def first(items):", "    for item in items:"], 0, None),
        # A loop like one above is ordinary code: only a repeated definition is an echo.
        (["    for item in items:", "        return item", "    return None"], 4, None),
    ],
)
def test_echoed_block(lines: list[str], base: int, kept: int | None) -> None:
    assert echoed_block(lines, len(lines) - 1, PREFIX, base, "python") == kept


def test_the_same_method_in_a_sibling_class_is_no_echo() -> None:
    above = [
        "class abstractclassmethod(classmethod):",
        "    def __init__(self, callable):",
        "        callable.__isabstractmethod__ = True",
        "        super().__init__(callable)",
        "",
        "class abstractstaticmethod(staticmethod):",
        "    __isabstractmethod__ = True",
        "",
    ]
    lines = [
        "    def __init__(self, callable):",
        "        callable.__isabstractmethod__ = True",
        "        super().__init__(callable)",
    ]
    assert echoed_block(lines, 2, above, 4, "python") is None
    # In the same class it is one.
    assert echoed_block(lines, 2, above[:4], 4, "python") == 0


@pytest.mark.parametrize(
    ("line", "keep", "collapsed"),
    [
        ("from __future__ import import import import annotations", 0, "from __future__ import annotations"),
        ("code = isinstance(e, isinstance(e, isinstance(e, dict)", 0, "code = isinstance(e, dict)"),
        ("total += total += total += price", 0, "total += price"),
        ("name = name = name = name", 0, "name"),  # an assignment to itself: the operand alone
        ("    self.name = name = name = name", 17, "    self.name = name"),  # the typed part stays
        ("it is very very very good", 0, "it is very good"),
        # Literal runs and single letters repeat in real code.
        ("return None, None, None", 0, "return None, None, None"),
        ("x = [0, 0, 0, 0]", 0, "x = [0, 0, 0, 0]"),
        ("foo(a, a, a)", 0, "foo(a, a, a)"),
        ("HAS_SSLv3, HAS_TLSv1, HAS_TLSv2", 0, "HAS_SSLv3, HAS_TLSv1, HAS_TLSv2"),
    ],
)
def test_collapse_stutter(line: str, keep: int, collapsed: str) -> None:
    assert collapse_stutter(line, keep) == collapsed


@pytest.mark.parametrize(
    ("lines", "language_id", "kept"),
    [
        (["", "    limit = 10", "    limit = 10"], "python", 2),  # the same assignment twice
        (["", "    self.n = None", "    self.n = None_2"], "python", 2),  # a counter on a copy
        (["", '    ".kt": "kotlin",', '    ".kt": "kotlin_2",'], "python", 2),  # a key twice
        (["", '    "ms": 52.0,', '    "ms": 52.1,'], "python", 2),
        (["", '    "annotations",', '    "annotations",'], "python", 2),  # a list element twice
        (["", "fetch(a, b);", "fetch(a, b)", " fetch(a,  b) ;"], "c", 2),  # three copies but for spacing
        # Different steps on one name, a call twice, CSS fallbacks: all meant.
        (["", "    text = text.strip()", "    text = text.lower()"], "python", None),
        (["", 'out.push("");', 'out.push("");'], "javascript", None),
        (["", "  width: 100px;", "  width: 100vw;"], "css", None),
        (["", "  x += 1", "  x += 1"], "python", None),
    ],
)
def test_repeated_statement(lines: list[str], language_id: str, kept: int | None) -> None:
    assert repeated_statement(lines, len(lines) - 1, language_id) == kept


@pytest.mark.parametrize(
    ("lines", "kept"),
    [
        (["    return x", "    return x_2"], 1),
        (["        raise Error(msg)", "        raise Error(msg2)"], 1),
        (["  break;", "  count++;"], 1),
        # What may follow an exit at its level.
        (["    return x", "    }"], None),
        (["  break;", "  case 2:"], None),
        (["    return x", "    # unreachable, but a comment"], None),
        (["    return x", "else:"], None),
        (["    return x", "        more"], None),  # deeper: a continuation
        (["  return x if y", "  z = 1"], None),  # Ruby's modifier: may not exit
        (["    return (", "    a)"], None),  # the return goes on
        (["        raise InvalidRequest(msg)", '        yield ""  # makes this a generator'], None),
    ],
)
def test_unreachable(lines: list[str], kept: int | None) -> None:
    assert unreachable(lines, len(lines) - 1) == kept


@pytest.mark.parametrize(
    ("lines", "kept"),
    [
        (["", "    self.traverse(node.orelse)", "    self.traverse(node.orelse)"], 2),
        (["", "A docstring line written twice.", "A docstring line written twice."], 2),
        (["", "    print()", "    print()"], None),  # short: may be meant
        (["", "    self.traverse(node.body)", "    self.traverse(node.orelse)"], None),
        # A name given a counter it did not have: a looping model numbering its copies.
        (["", '    print(f"statuses {json.dumps(statuses)}")', '    print(f"statuses {json.dumps(statuses_2)}")'], 2),
        (["", "        opts", "        opts_2"], 2),  # short, but numbered by the model
        (["", "   identifier.  */", "   identifier.  */"], 2),
        (["", " * paths.", " */", " */"], 3),  # a comment closed twice
        (["", "/* a */", "/* b */"], None),
        (["", '\t"time"', '\t"time"'], 2),  # a lone string twice: an import, an element
        # Rows of a table differ in names or numbers they all have.
        (["", "    self.conv1 = Conv(64)", "    self.conv2 = Conv(64)"], None),
        (["", "    fmt(per100(row, typed), 0),", "    fmt(per100(row, typed), 1),"], None),
    ],
)
def test_doubled_line(lines: list[str], kept: int | None) -> None:
    assert doubled_line(lines, len(lines) - 1) == kept


def test_may_loop_never_hides_a_loop() -> None:
    """`may_loop` only skips the loop regex where it cannot match: on lines with loops of every
    unit length, at every offset after any indentation, and on random repetitive lines."""
    rng = random.Random(11)
    for length in range(4, 31):
        for _ in range(20):
            unit = "".join(rng.choice("ab (x,") for _ in range(length - 1))
            unit = rng.choice("abcXY_") + unit
            head = "".join(rng.choice("ab (") for _ in range(rng.randint(0, 40)))
            line = rng.choice(["", "    ", "\t\t"]) + head + unit * rng.randint(8, 10) + "tail"
            assert _INLINE_LOOP.search(line) is not None
            assert may_loop(line), line
    for _ in range(5000):
        line = "".join(rng.choice("ab, ") for _ in range(rng.randint(0, 120)))
        if _INLINE_LOOP.search(line) is not None:
            assert may_loop(line), line
    assert not may_loop("        self._echo_possible = len(text) < PREFIX_TAIL_CHARS and text in ctx.prefix")
