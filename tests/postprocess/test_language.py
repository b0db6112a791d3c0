"""Language knowledge: comments, strings, block openers and closers, fences, JSON commas."""

from __future__ import annotations

import random

import pytest

from codestral_ls.postprocess import language as lang


@pytest.mark.parametrize(
    ("line_prefix", "language_id", "inside"),
    [
        ("x = 1  # note ", "python", True),
        ('x = "# not a comment', "python", False),
        ("let a = 1; // why ", "rust", True),
        ('url = "http://example.com', "javascript", False),
        ("SELECT 1 -- count ", "sql", True),
        ("#[derive(Debug)]", "rust", False),
        ("#[Route('/x')]", "php", False),
    ],
)
def test_in_line_comment(line_prefix: str, language_id: str, inside: bool) -> None:
    assert lang.in_line_comment(line_prefix, language_id) is inside


@pytest.mark.parametrize(
    ("line", "language_id", "opens"),
    [
        ("def f(a):", "python", True),
        ("x = {'a': 1}", "python", False),
        ("if x:  # comment", "python", True),
        ("if (x) {", "c", True),
        ("items = [", "python", True),
        ("key:", "yaml", True),
        ("run: |", "yaml", True),
        ("def total", "ruby", True),
        ("def total; 1; end", "ruby", False),
        ("rows.each do |row|", "ruby", True),
        ("if x then", "lua", True),
        ("const f = () =>", "typescript", True),
        ("'key' =>", "php", False),
        ("$user->", "php", False),
        ('<div class="a">', "html", True),
        ("<br>", "html", False),
        ("<p>x</p>", "html", False),
        ("name: value", "yaml", False),
    ],
)
def test_opens_block(line: str, language_id: str, opens: bool) -> None:
    assert lang.opens_block(line, language_id) is opens


@pytest.mark.parametrize(
    ("stripped", "language_id", "closer"),
    [
        ("}", "c", True),
        ("});", "javascript", True),
        ("end", "ruby", True),
        ("ending = 1", "ruby", False),
        ("</div>", "html", True),
        ("</div>", "python", False),
        ("return", "go", False),
        ("fi", "shellscript", True),
    ],
)
def test_is_closer_line(stripped: str, language_id: str, closer: bool) -> None:
    assert lang.is_closer_line(stripped, language_id) is closer


def test_fences() -> None:
    prefix = "# Doc\n\n```python\nimport os\n"
    assert lang.in_code_fence(prefix)
    assert lang.fence_language(prefix) == "python"
    assert not lang.in_code_fence(prefix + "```\n\nText ")
    assert lang.fence_language("```ts\nlet a\n") == "typescript"
    assert not lang.in_code_fence("no fences")


@pytest.mark.parametrize(
    ("lines", "in_fence", "fence_below", "kept"),
    [
        (["Intro.", ""], False, False, 1),
        (["", "Intro."], False, False, None),  # a blank first line is not a paragraph end
        (["import os", "```"], True, True, 1),
        (["import os", "```"], True, False, 2),
    ],
)
def test_markdown_cut(lines: list[str], in_fence: bool, fence_below: bool, kept: int) -> None:
    assert lang.markdown_cut(lines, len(lines) - 1, in_fence, fence_below) == kept


@pytest.mark.parametrize(
    ("text", "next_line", "fixed"),
    [
        ('"private": true,', "}", '"private": true'),
        ('"version": "1.0.0"', '  "license": "MIT"', '"version": "1.0.0",'),
        ('\n    "a": 1\n  }', '  "b": 2', '\n    "a": 1\n  },'),
        ('"a": 1,', '  "b": 2', '"a": 1,'),
        ('"a": {', '  "b": 2', '"a": {'),
        ('"a": 1', "", '"a": 1'),
    ],
)
def test_fix_json_commas(text: str, next_line: str, fixed: str) -> None:
    assert lang.fix_json_commas(text, next_line) == fixed


@pytest.mark.parametrize(
    ("line", "definition"),
    [
        ("def push(self, item):", True),
        ("    async def fetch(url):", True),
        ("pub fn parse(input: &str) -> Result<Ast> {", True),
        ("export function clamp(v: number): number {", True),
        ("func (s *Server) Close() error {", True),
        ("    public String getName() {", True),
        ("    private static int count(List<String> xs) throws IOException {", True),
        ("class Stack:", True),
        ("    if x:", False),
        ("    try {", False),
        ("    public int size = items.size();", False),
        ("    return type(x)", False),
    ],
)
def test_is_definition(line: str, definition: bool) -> None:
    assert lang.is_definition(line) is definition


@pytest.mark.parametrize(
    ("line", "definition"),
    [
        # Signatures without modifiers (C, C++, Java, C#) and JavaScript/TypeScript methods.
        ("    int size() const {", True),
        ("    void reset() {", True),
        ("static int max(int a, int b) {", True),
        ("  render() {", True),
        ("  get area(): number {", True),
        ("  async load(id: string): Promise<void> {", True),
        ("fun main() {", True),
        # Statements that look alike.
        ("    if (x) {", False),
        ("    for (int i = 0; i < n; i++) {", False),
        ("  go func() {", False),
        ("  return foo(x)", False),
        ('  it("works", () => {', False),
        ("  } else if (x) {", False),
        ("   items.forEach((x) => {", False),
    ],
)
def test_is_definition_without_modifiers(line: str, definition: bool) -> None:
    assert lang.is_definition(line) is definition


@pytest.mark.parametrize(
    ("line", "language_id", "code"),
    [
        ('while [ "$src" != "${src#/}" ]; do', "shellscript", 'while [ "$src" != "${src#/}" ]; do'),
        ("if test $# = 1; then", "shellscript", "if test $# = 1; then"),
        ("ls # list", "shellscript", "ls "),
        ("url: http://x/#anchor  # note", "yaml", "url: http://x/#anchor  "),
        # A comment after a string is found at its own column.
        ("  { 7, 'utf-16', 9 },   -- note", "lua", "  { 7, 'utf-16', 9 },   "),
        ('x = "it # is"  # c', "python", 'x = "it # is"  '),
    ],
)
def test_code_part(line: str, language_id: str, code: str) -> None:
    assert lang.code_part(line, language_id) == code


@pytest.mark.parametrize(
    ("prefix", "inside"),
    [
        ("/* open\n * more ", True),
        ("/* closed */\nint x = ", False),
        ("files = glob('**/*.js')\nx = ", False),  # `/*` in a string
        ("// see /*\nint x = ", False),  # `/*` in a line comment
    ],
)
def test_in_block_comment(prefix: str, inside: bool) -> None:
    assert lang.in_block_comment(prefix, "javascript") is inside


@pytest.mark.parametrize(
    ("prefix", "inside"),
    [
        ('def f():\n    """Doc\n    ', True),
        ('s = """Gur Mra\nbs Clguba"""\n\nd = {}\nfor c in (65, 97):\n    for i in ra', False),
        ('x = """one line"""\ny = ', False),
        # A window that starts inside a docstring is judged from the last definition.
        ('text of a docstring cut by the window."""\n    def f(self):\n        els', False),
        # A docstring line that starts with the word `class` or `def` is prose, not a definition.
        (
            '    def f(self):\n        """Takes a group;\n        class is implemented.\n\n'
            '        """\n        if x is Non',
            False,
        ),
        ('    def f(self):\n        """Takes a group;\n        def is a keyword.\n        ', True),
    ],
)
def test_in_triple_quoted_string(prefix: str, inside: bool) -> None:
    assert lang.in_triple_quoted_string(prefix) is inside


@pytest.mark.parametrize(
    ("line", "language_id", "opens"),
    [
        ("  ['codestral/status'] = function(...)", "lua", True),
        ("local f = function(a, b)", "lua", True),
        ("  default=10,", "python", False),
    ],
)
def test_opens_block_more(line: str, language_id: str, opens: bool) -> None:
    assert lang.opens_block(line, language_id) is opens


@pytest.mark.parametrize(
    ("stripped", "continues"),
    [("default:", True), ("case 2:", True), ("default=10,", False), ("case.value = 1", False)],
)
def test_is_continuation_line_not_a_keyword_argument(stripped: str, continues: bool) -> None:
    assert lang.is_continuation_line(stripped, "python") is continues


@pytest.mark.parametrize(
    ("stripped", "language_id"), [("default: null", "yaml"), ("else: 1", "yaml"), ('"default": 1,', "json")]
)
def test_data_files_have_no_clauses(stripped: str, language_id: str) -> None:
    # `default:` in YAML is a key like the ones before it, not a `switch` clause.
    assert not lang.is_continuation_line(stripped, language_id)


def _reference_strip_strings(line: str, keep_length: bool) -> str:
    """String contents blanked one character at a time (how it was written before a regex
    skipped the code between strings)."""
    out, quote, escaped = [], "", False
    for char in line:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
                out.append(char)
                continue
            if keep_length:
                out.append(" ")
            continue
        if char in "\"'`":
            quote = char
        out.append(char)
    return "".join(out)


def _reference_open_quote(line: str) -> str:
    start = _reference_open_quote_start(line)
    return line[start] if start >= 0 else ""


def _reference_open_quote_start(line: str) -> int:
    quote, start, escaped = "", -1, False
    for index, char in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote, start = "", -1
        elif char in "\"'`":
            quote, start = char, index
    return start


@pytest.mark.parametrize(
    ("line", "quote", "stripped"),
    [
        ("x = 1", "", "x = 1"),
        ('print("a, b")', "", 'print("")'),
        ('print("a, b', '"', 'print("'),
        ("it's", "'", "it'"),
        ('"a\\"b" + \'c', "'", '"" + \''),  # an escaped quote, then a string left open
        ('"a\\\\" + x', "", '"" + x'),  # an escaped backslash ends nothing
        ('"a\\', '"', '"'),  # a string ending on a backslash
        ('\\"x', '"', '\\"'),  # outside a string a backslash escapes nothing
        ("`a 'b' \"c\"` + `", "`", "`` + `"),
        ("s = 'naïve 中文 😀'; t = '", "'", "s = ''; t = '"),
    ],
)
def test_strings_on_a_line(line: str, quote: str, stripped: str) -> None:
    assert lang.open_quote(line) == quote
    assert lang.strip_strings(line) == stripped
    assert lang.strip_strings(line, keep_length=True) == _reference_strip_strings(line, True)
    assert len(lang.strip_strings(line, keep_length=True)) == len(line)


def test_strings_match_the_reference_on_random_lines() -> None:
    rng = random.Random(10)
    alphabet = "\"'`\\ab \n#("
    for _ in range(4000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        assert lang.open_quote(line) == _reference_open_quote(line), line
        assert lang.open_quote_start(line) == _reference_open_quote_start(line), line
        for keep_length in (False, True):
            assert lang.strip_strings(line, keep_length) == _reference_strip_strings(line, keep_length), line


def test_triple_quote_delimiters_read_line_by_line_as_one_regex_pass() -> None:
    rng = random.Random(12)
    pieces = ['"""', "'''", '"', "\n", "    ", "x = ", "return ", "(", ")", ",", "r", "a", " ", "def f():"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert lang._delimiters(text) == len(lang._TRIPLE_DELIMITER.findall(text)), text


def test_open_quote_reads_only_the_end_of_a_huge_line() -> None:
    """Lines up to OPEN_QUOTE_SCAN_CHARS are read whole (the answer is the reference's, see
    above); a longer one only from its last OPEN_QUOTE_SCAN_CHARS characters, as if they began
    outside a string."""
    size = lang.OPEN_QUOTE_SCAN_CHARS
    code = 'x = "it\'s" + \'say "hi"\' + `t`; '
    body = code * (size // len(code) + 1)
    at_the_bound = ("y = 'a" + body)[-size:]
    assert lang.open_quote(at_the_bound) == _reference_open_quote(at_the_bound)
    for line in (body * 3 + "y = 'abc", body * 3 + 'y = "a\\"b', "'" + body * 3, body * 3):
        assert len(line) > size
        assert lang.open_quote(line) == _reference_open_quote(line[-size:])
    # A quote the tail does not reach is not read: a string opened far back is not seen.
    assert lang.open_quote("'" + "x" * size) == ""
    assert lang.open_quote("'" + "x" * (size - 1)) == "'"
    unit = "s = 'naïve 中文 😀'; "  # benchmarks/positions.py's line, 1,000,000 characters
    line = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
    assert lang.open_quote(line) == _reference_open_quote(line[-size:])
