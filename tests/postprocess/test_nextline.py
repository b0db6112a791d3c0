"""The next lines below the cursor reproduced: exact, nearly, or further down."""

from __future__ import annotations

import pytest

from codestral_ls.postprocess.nextline import (
    edit_distance_within,
    near_duplicate,
    reproduces_next_line,
    siblings,
    upcoming_lines,
)


@pytest.mark.parametrize(
    ("a", "b", "limit", "within"),
    [
        ("kitten", "sitting", 3, True),
        ("kitten", "sitting", 2, False),
        ("", "abc", 3, True),
        ("", "abcd", 3, False),
        ("same", "same", 0, True),
        ("abcdef", "abcxef", 1, True),
        ("abcdefghij", "jihgfedcba", 4, False),
        ('logger.debug("parsed %s=%s", name)', 'logger.debug("parsed %s = %s", name)', 2, True),
    ],
)
def test_edit_distance_within(a: str, b: str, limit: int, within: bool) -> None:
    assert edit_distance_within(a, b, limit) is within
    assert edit_distance_within(b, a, limit) is within


@pytest.mark.parametrize(
    ("line", "other", "duplicate"),
    [
        ("    return name, value", "    return name, value", True),
        ("    return name,value", "    return name, value", True),
        # Short lines must match exactly.
        ("    x += 1", "    y += 1", False),
        # 2 edits in 20 characters is 10%: not under it.
        ("total_a = compute(a)", "total_b = compute(b)", False),
        # Differing in one number or name only: a sibling line, not the next one reproduced.
        ("    self.assertEqual(result, 42)", "    self.assertEqual(result, 43)", False),
        ("    fmt(percentile(pauses, 50), 0),", "    fmt(percentile(pauses, 95), 0),", False),
        # Differing in spacing or punctuation: the same line.
        ("    self.assertEqual(result,42)", "    self.assertEqual(result, 42)", True),
        ("    return {'name': name, 'id': ident}", "    return {\"name\": name, 'id': ident}", True),
        ("}", "}", True),
    ],
)
def test_near_duplicate(line: str, other: str, duplicate: bool) -> None:
    assert near_duplicate(line, other) is duplicate


def test_upcoming_lines_skip_the_cursor_line_and_blanks() -> None:
    suffix = "rest of cursor line\n\n    first()\n   \n    second()\n    third()\n    fourth()"
    assert upcoming_lines(suffix) == ["    first()", "    second()", "    third()"]
    assert upcoming_lines("") == []
    assert upcoming_lines("only the cursor line") == []


@pytest.mark.parametrize(
    ("line", "upcoming", "reproduced"),
    [
        ("}", ["}"], True),
        ("  }", ["}"], False),  # a closer at another depth is not the one below
        ("", ["}"], False),
        ("    return total", ["    return total  "], False),  # upcoming are right-stripped
        ("    return total", ["    return total"], True),
        # Further lines count only when long enough to be unmistakable.
        ("}", ["    x = 1", "}"], False),
        ("    return compute_total(items, tax)", ["    x = 1", "    return compute_total(items, tax)"], True),
        ("        type: string", ["      region:", "        type: string"], False),  # repetitive data
        ("    return compute(total)", [], False),
        # A line's copy further down inside another block is a sibling (repetitive tests).
        ("  const model = new StatusModel();", ["test('b', () => {", "  const model = new StatusModel();"], False),
        # Decoration and comments recur: `/****` is not ` ****/`, a comment two lines down is no copy.
        (" " + "*" * 40 + "/", ["/" + "*" * 40], False),
        (
            "  // You may rewrite this in your derived class",
            ["  }", "  // You may rewrite this in your derived class"],
            False,
        ),
        # A near copy must stand at the same indentation (a tab vs four spaces are different lines).
        ("\t    return compute_total(items, tax)", ["    return compute_total(items, tax);"], False),
        ("    return compute_total(items, tax)", ["    return compute_total(items, tax);"], True),
        # The line below goes on (an argument list, a macro, a Lua callback): a line like the
        # suggestion's after it belongs to that statement, a sibling of ours.
        (
            "    (png_const_structrp png_ptr));",
            ["PNG_EXPORT(182, png_charp, png_get_ver,", "    (png_const_structrp png_ptr));"],
            False,
        ),
        (
            "  ((cinfo)->err->msg_code = (code), \\",
            ["#define ERREXIT3(cinfo, code) \\", "  ((cinfo)->err->msg_code = (code), \\"],
            False,
        ),
    ],
)
def test_reproduces_next_line(line: str, upcoming: list[str], reproduced: bool) -> None:
    assert reproduces_next_line(line, upcoming) is reproduced


def test_a_line_below_that_opens_a_block_by_keyword() -> None:
    # Lua: `function(done)` opens a callback whose body repeats the suggestion's line.
    line = "      vim.schedule(function() vim.fn.delete(d) end)"
    upcoming = ["    local pip = {}", "    vim.system(pip, {}, function(done)", line]
    assert not reproduces_next_line(line, upcoming, "lua")
    assert reproduces_next_line(line, ["    local pip = {}", "    run(pip)", line], "lua")


def test_prose_recurs_further_down() -> None:
    # A comment's sentence two lines down is boilerplate of another comment, not a copy; the
    # very next line still is.
    sentence = "   This function is not part of POSIX and therefore no official"
    upcoming = ["extern int utmpxname (const char *__file);", "/* Append entry UTMP to the file.", sentence]
    assert reproduces_next_line(sentence, upcoming, "c")
    assert not reproduces_next_line(sentence, upcoming, "c", prose=True)
    assert reproduces_next_line(sentence, [sentence], "c", prose=True)


@pytest.mark.parametrize(
    ("line", "other", "are_siblings"),
    [
        (
            "key64[3] = ((key56[2] << 5) & 0xFF) | (key56[3] >> 3);",
            "key64[5] = ((key56[4] << 3) & 0xFF) | (key56[5] >> 5);",
            True,
        ),
        ("fmt(percentile(pauses, 50), 0),", "fmt(percentile(pauses, 95), 0),", True),
        ('logger.debug("parsed %s=%s", name)', 'logger.debug("parsed %s = %s", name)', False),
        ("return {'a': 1}", 'return {"a": 1}', False),
        ("same line", "same line", False),
        ("a + b", "a + b + c", False),
    ],
)
def test_siblings(line: str, other: str, are_siblings: bool) -> None:
    assert siblings(line, other) is are_siblings
