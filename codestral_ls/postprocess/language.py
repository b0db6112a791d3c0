"""Language knowledge the filters need: comments, strings, block openers and closers, fences.

Text rules only, chosen per LSP language id; every function looks at one line or a few lines,
so the cost stays in microseconds (see docs/postprocessing.md for why not tree-sitter).
"""

from __future__ import annotations

import re

# Languages whose blocks are delimited by indentation alone.
INDENT_LANGUAGES = frozenset({"python", "yaml", "coffeescript", "nim", "pug", "sass", "haml"})
# Languages whose blocks close with a keyword line (`end`, `fi`, `done`, `esac`).
KEYWORD_END_LANGUAGES = frozenset(
    {"ruby", "lua", "elixir", "julia", "shellscript", "bash", "sh", "zsh", "crystal", "vb"}
)
SHELL_LANGUAGES = frozenset({"shellscript", "bash", "sh", "zsh"})
# Data files: keys and values, no statements or clauses.
DATA_LANGUAGES = frozenset({"yaml", "json", "jsonc", "toml", "ini", "properties"})
# A shell `case` pattern line (`--verbose)`, `*.txt|*.md)`): its `)` closes no bracket.
_CASE_PATTERN = re.compile(r"^\s*\(?[^()\s]([^()]*[^()\s])?\)")
MARKUP_LANGUAGES = frozenset({"html", "xml", "vue", "svelte", "php", "javascriptreact", "typescriptreact", "astro"})

_HASH = ("#",)
_SLASH = ("//",)
_LINE_COMMENTS: dict[str, tuple[str, ...]] = {
    "python": _HASH,
    "ruby": _HASH,
    "yaml": _HASH,
    "toml": _HASH,
    "shellscript": _HASH,
    "bash": _HASH,
    "sh": _HASH,
    "zsh": _HASH,
    "perl": _HASH,
    "r": _HASH,
    "elixir": _HASH,
    "dockerfile": _HASH,
    "makefile": _HASH,
    "julia": _HASH,
    "nim": _HASH,
    "crystal": _HASH,
    "coffeescript": _HASH,
    "powershell": _HASH,
    "sql": ("--",),
    "lua": ("--",),
    "haskell": ("--",),
    "elm": ("--",),
    "php": ("//", "#"),
    "html": (),
    "markdown": (),
    "json": (),
    "css": (),
    "xml": (),
    "vb": ("'",),
    "ini": (";", "#"),
    "clojure": (";",),
    "lisp": (";",),
}

_HASH_AT_WORD_START = frozenset({"shellscript", "bash", "sh", "zsh", "yaml", "toml", "dockerfile", "makefile"})
_WORD_START_HASH = re.compile(r"(?:^|\s)#")
# Characters that may stand alone right of the cursor without stopping a completion there.
CLOSER_CHARS = frozenset(")]}\"'`;,:")
BRACKET_PAIRS = {"(": ")", "[": "]", "{": "}"}
CLOSING_BRACKETS = {")": "(", "]": "[", "}": "{"}

_KEYWORD_CLOSER = re.compile(r"(end|fi|done|esac|endif|endfor|endwhile|until)\b")
# (`default=` or `case.x` is a keyword argument or a name, not a clause.)
_CONTINUATION = re.compile(
    r"(\}\s*)?(else|elif|elsif|elseif|except|finally|catch|rescue|ensure|when|case|default)\b(?!\s*(=(?!=)|[.,\[]))"
)
# Keywords that continue a block only in some languages (`when` is an English word elsewhere).
_CONTINUATION_ONLY_IN = {
    "when": frozenset({"ruby", "elixir", "crystal", "kotlin"}),
    "rescue": frozenset({"ruby", "crystal", "elixir"}),
    "ensure": frozenset({"ruby", "crystal"}),
    "elsif": frozenset({"ruby", "crystal", "perl"}),
    "except": frozenset({"python"}),
    "elif": frozenset({"python", "shellscript", "bash", "sh", "zsh"}),
}
_KEYWORD_OPENER = re.compile(r"(def|class|module|if|unless|while|until|for|case|begin|function|local function)\b")
_LUA_FUNCTION = re.compile(r"\bfunction\b[\w.:\s]*\([^()]*\)$")
_OPEN_TAG = re.compile(r"<([A-Za-z][\w:-]*)(\s[^<>]*)?>$")
_ARROW_LANGUAGES = frozenset({"javascript", "typescript", "javascriptreact", "typescriptreact"})
# Definition headers: a keyword (`def`, `fn`, `class`...) or, in Java/C#-like languages,
# modifiers then a signature (`public String name() {`).
_DEFINITION = re.compile(
    r"^\s*(export\s+|pub(\(\w+\))?\s+|public\s+|private\s+|protected\s+|static\s+|async\s+)*"
    r"(def|class|fn|func|fun|function|struct|enum|interface|impl|trait|module|type|record)\b"
)
_METHOD = re.compile(
    r"^\s*(public|private|protected|internal|static|override|virtual|final|abstract|async)\b"
    r"[^=;]*\)\s*(throws\s+[\w., ]+)?\s*\{?\s*$"
)
# Words that start statements, not signatures, when followed by a parenthesis.
_STATEMENT_WORDS = (
    r"(?:if|for|while|switch|catch|return|else|do|try|new|throw|case|go|defer|await|yield|delete|typeof|"
    r"sizeof|using|lock|foreach|when|match|loop|unless|until|print|echo|elif|with|assert|raise|not|and|or)\b"
)
# A C, C++, Java or C# signature without modifiers: a type, a name, parameters, maybe `{`
# (`int size() const {`, `void reset() {`, `std::string name() const`).
_C_SIGNATURE = re.compile(
    rf"^\s*(?!{_STATEMENT_WORDS})(template\s*<[^;{{}}]*>\s*)?[\w:<>,*&\[\]]+\s+([\w:<>,*&\[\]]+\s+)*[*&]*~?[A-Za-z_][\w:]*"
    r"\s*\([^;{}]*\)\s*(const\s*|noexcept\s*|override\s*|final\s*)*(->\s*[^{;]+)?\{?\s*$"
)
# A JavaScript/TypeScript class or object method (`render() {`, `get area(): number {`).
_JS_METHOD = re.compile(
    rf"^\s*(?!{_STATEMENT_WORDS}|function\b)((static|async|get|set|public|private|protected|readonly|override)\s+)*\*?"
    r"#?[A-Za-z_$][\w$]*\s*(<[^>]*>)?\s*\([^;]*\)\s*(:\s*[^={};]+)?\{\s*$"
)
_DECORATOR = re.compile(r"^\s*@[A-Za-z_][\w.]*")
_TOP_LEVEL_MARKERS = ("\nimport ", "\nfrom ", "\n@")  # definitions: `_last_definition_line`
# A definition's head: the keyword, a name, then its parameters, bases or `:` (not docstring
# prose that starts a line with the word: `class is implemented.`).
_DEFINITION_HEAD = re.compile(r"(?:def|class)\s+[A-Za-z_]\w*\s*[(:\[]")
# Triple quotes where a string starts (line start, after `=`, `(`, `,`, `[`, `:`, `return`) or
# ends (end of line, maybe before `)` or `,`): delimiters. Others (`r'"""'`) are content.
_TRIPLE_DELIMITER = re.compile(
    r"(?:^[ \t]*|[=(,\[:][ \t]*|\breturn[ \t]+)[rRbBuUfF]{0,2}(?:\"\"\"|''')"
    r"|(?:\"\"\"|''')(?=[ \t]*[),\]]?[ \t]*$)",
    re.MULTILINE,
)
_FENCE_LINE = re.compile(r"^[ \t]*(?:```|~~~)", re.MULTILINE)
_FENCE_INFO = re.compile(r"^[ \t]*(?:```|~~~)[ \t]*([\w+#-]*)", re.MULTILINE)
_FENCE_ALIASES = {
    "py": "python",
    "js": "javascript",
    "ts": "typescript",
    "sh": "shellscript",
    "bash": "shellscript",
    "rb": "ruby",
    "yml": "yaml",
    "c++": "cpp",
    "rs": "rust",
    "tsx": "typescriptreact",
    "jsx": "javascriptreact",
    "cs": "csharp",
}
_JSON_VALUE_END = frozenset('"0123456789el}]')
_VOID_TAGS = frozenset(
    {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
)


def line_comment_tokens(language_id: str) -> tuple[str, ...]:
    """The tokens that start a comment running to the end of the line."""
    return _LINE_COMMENTS.get(language_id, _SLASH)


# A string literal on one line (`"`, `'` or a backtick; a backslash escapes the next character),
# its closing quote captured when it has one. Outside strings a backslash is an ordinary character.
_STRING = re.compile(r'"(?:[^"\\]++|\\.?)*+(")?|\'(?:[^\'\\]++|\\.?)*+(\')?|`(?:[^`\\]++|\\.?)*+(`)?', re.DOTALL)
# `open_quote` reads at most this much of a line (its end): a 1,000,000-character minified line
# costs ~10 ms to read whole even in C, this much ~0.2 ms.
OPEN_QUOTE_SCAN_CHARS = 20_000
# Code and complete string literals, as far as they go: where this stops, a string is left open.
_CLOSED_STRINGS = re.compile(
    r'(?:[^"\'`]++|"(?:[^"\\]++|\\.?)*+"|\'(?:[^\'\\]++|\\.?)*+\'|`(?:[^`\\]++|\\.?)*+`)*+', re.DOTALL
)


def strip_strings(line: str, keep_length: bool = False) -> str:
    """The line with the contents of its complete string literals blanked out (removed, or
    with `keep_length` replaced by spaces, so positions still match the line).

    An unterminated string keeps its opening quote (its contents are blanked too), so callers
    can still see that the line ends inside a string.
    """
    if '"' not in line and "'" not in line and "`" not in line:
        return line
    out: list[str] = []
    position = 0
    for literal in _STRING.finditer(line):
        text = literal.group()
        closed = literal.lastindex is not None
        contents = len(text) - 1 - closed
        out.append(line[position : literal.start()])
        out.append(text[0] + (" " * contents if keep_length else "") + (text[-1] if closed else ""))
        position = literal.end()
    out.append(line[position:])
    return "".join(out)


def open_quote(line: str) -> str:
    """The quote character of a string literal left open at the end of `line`, or "".

    One regex pass in C over the line, or on a line longer than OPEN_QUOTE_SCAN_CHARS (minified
    code) over its last OPEN_QUOTE_SCAN_CHARS characters, read as if they began outside a
    string: whether the line's head left a string open cannot be known without reading it all,
    and the prompt, which holds at most maxPrefixChars of the line, starts mid-line too."""
    start = open_quote_start(line)
    return line[start] if start >= 0 else ""


def open_quote_start(line: str) -> int:
    """Where the string literal left open at the end of `line` starts (its quote), or -1; read
    as `open_quote` reads it."""
    start = max(0, len(line) - OPEN_QUOTE_SCAN_CHARS)
    end = _CLOSED_STRINGS.match(line, start).end()  # type: ignore[union-attr]  # it matches the empty string
    return end if end < len(line) else -1


def code_part(line: str, language_id: str) -> str:
    """The line without its trailing line comment (string contents are kept)."""
    tokens = line_comment_tokens(language_id)
    for token in tokens:
        if token in line:
            break
    else:
        return line  # no comment token: the common case (a loop, not any(): this runs per line)
    blanked = strip_strings(line, keep_length=True)
    if language_id in _HASH_AT_WORD_START:
        # `${src#/}`, `a#b`: a `#` inside a word starts no comment in shell, YAML or TOML.
        found = _WORD_START_HASH.search(blanked)
        cut = found.end() - 1 if found else -1
    else:
        cut = min((i for i in (blanked.find(t) for t in tokens) if i >= 0), default=-1)
    if cut < 0 or (language_id == "php" and blanked[cut : cut + 2] == "#["):
        return line
    return line[:cut]


def in_line_comment(line_prefix: str, language_id: str) -> bool:
    """Whether the cursor, after `line_prefix`, sits inside a line comment."""
    return code_part(line_prefix, language_id) != line_prefix


def has_block_comments(language_id: str) -> bool:
    """Whether the language has C-style `/* ... */` comments."""
    return "//" in line_comment_tokens(language_id) or language_id in ("css", "scss", "less", "sql")


def in_block_comment(prefix: str, language_id: str = "") -> bool:
    """Whether the cursor is inside a C-style block comment (`/* ... `) left open in the prefix.
    A `/*` inside a string or a line comment (`'**/*.js'`, `// see /*`) opens nothing."""
    start = prefix.rfind("/*")
    while start >= 0 and prefix.find("*/", start) < 0:
        line_start = prefix.rfind("\n", 0, start) + 1
        line_end = prefix.find("\n", start)
        line = prefix[line_start : line_end if line_end >= 0 else len(prefix)]
        if "/*" in strip_strings(code_part(line, language_id)):
            return True
        start = prefix.rfind("/*", 0, start)
    return False


def triple_quotes(line: str) -> int:
    """How many triple-quote delimiters a line holds."""
    return line.count('"""') + line.count("'''")


def in_triple_quoted_string(prefix: str) -> bool:
    """Whether the cursor is inside a Python triple-quoted string (a docstring, usually).

    Only triple quotes where a string starts or ends count (a docstring's first or last line,
    an assignment of a string starting on its line); triple quotes in the middle of code, e.g.
    inside a regex, are a string's content, not a delimiter.
    """
    if '"""' not in prefix and "'''" not in prefix:
        return False
    # A docstring never spans a definition (at any level) or a top-level import: count from
    # the last one, which also keeps a prefix window cut inside a docstring from misleading.
    start = max(max(prefix.rfind(marker) for marker in _TOP_LEVEL_MARKERS), _last_definition_line(prefix))
    head, _, cursor_line = prefix[max(start, 0) :].rpartition("\n")
    return (_delimiters(head) + _delimiters(cursor_line)) % 2 == 1


def _delimiters(text: str) -> int:
    """How many triple-quote delimiters `text` holds. A match never leaves the line of its
    quotes, so the regex reads only the lines that hold triple quotes (few, in most prefixes)."""
    count = 0
    double, single = text.find('"""'), text.find("'''")
    while double >= 0 or single >= 0:
        found = single if double < 0 or 0 <= single < double else double
        start = text.rfind("\n", 0, found) + 1
        end = text.find("\n", found)
        end = len(text) if end < 0 else end
        count += len(_TRIPLE_DELIMITER.findall(text, start, end))
        if 0 <= double < end:
            double = text.find('"""', end)
        if 0 <= single < end:
            single = text.find("'''", end)
    return count


def _last_definition_line(prefix: str) -> int:
    """Where the last `def`/`class` line of the prefix starts (the newline before it), or -1;
    searched backwards, as the answer is usually near the cursor."""
    end = len(prefix)
    while end > 0:
        found = max(prefix.rfind("def ", 0, end), prefix.rfind("class ", 0, end))
        if found < 0:
            return -1
        line_start = prefix.rfind("\n", 0, found) + 1
        if prefix[line_start:found].strip() in ("", "async") and _DEFINITION_HEAD.match(prefix, found):
            return line_start - 1
        end = found
    return -1


def opens_block(line: str, language_id: str) -> bool:
    """Whether a line ends by opening a block whose body goes on the next lines."""
    code = code_part(line, language_id).rstrip()
    if not code:
        return False
    last = code[-1]
    if last in "{([":
        return True
    if code.endswith("=>") and language_id in _ARROW_LANGUAGES:
        return True
    if last == ":" and language_id in INDENT_LANGUAGES:
        return True
    if language_id == "yaml" and code.endswith(("|", ">", "|-", ">-")):
        return True
    stripped = code.lstrip()
    if language_id in KEYWORD_END_LANGUAGES:
        if re.search(r"(\bdo(\s*\|[^|]*\|)?|\bthen|\belse|\bbegin)$", code):
            return True
        if language_id == "lua" and _LUA_FUNCTION.search(code):
            return True  # `x = function(a)`, `['k'] = function(...)`
        if _KEYWORD_OPENER.match(stripped) and not re.search(r"\bend$", code):
            return True
    if language_id in MARKUP_LANGUAGES:
        tag = _OPEN_TAG.search(code)
        if tag and tag.group(1).lower() not in _VOID_TAGS and not code.endswith("/>"):
            return True
    return False


def is_case_pattern(code: str, language_id: str) -> bool:
    """Shell: whether a line starts with a `case` pattern, whose `)` is unbalanced on purpose."""
    return language_id in SHELL_LANGUAGES and _CASE_PATTERN.match(code) is not None


def is_definition(line: str) -> bool:
    """Whether a line starts a definition (function, method, class, type)."""
    return any(pattern.search(line) is not None for pattern in (_DEFINITION, _METHOD, _C_SIGNATURE, _JS_METHOD))


def is_decorator(line: str) -> bool:
    """Whether a line is a decorator or annotation (`@property`, `@Override`), the head of the
    definition under it."""
    return _DECORATOR.match(line) is not None


def is_closer_line(stripped: str, language_id: str) -> bool:
    """Whether a (stripped) line starts by closing a block: `}`, `)`, `end`, `</div>`..."""
    if not stripped:
        return False
    if stripped[0] in ")]}":
        return True
    if closes_with_keyword(stripped, language_id):
        return True
    return language_id in MARKUP_LANGUAGES and stripped.startswith("</")


def closes_with_keyword(stripped: str, language_id: str) -> bool:
    """Whether a (stripped) line starts with a keyword that closes a block (`end`, `fi`, `done`)."""
    return language_id in KEYWORD_END_LANGUAGES and _KEYWORD_CLOSER.match(stripped) is not None


def is_continuation_line(stripped: str, language_id: str) -> bool:
    """Whether a line at the block's own level continues it (`else:`, `} catch (e) {`...).
    Data files have no clauses: `default: null` in YAML is a key like any other."""
    if language_id in DATA_LANGUAGES:
        return False
    match = _CONTINUATION.match(stripped)
    if match is None:
        return False
    languages = _CONTINUATION_ONLY_IN.get(match.group(2))
    return languages is None or language_id in languages


def is_list_item(stripped: str, language_id: str) -> bool:
    """YAML: a `- item` line, a sibling of the key above it when at that key's level."""
    return language_id == "yaml" and (stripped.startswith("- ") or stripped == "-")


def is_fence(stripped: str) -> bool:
    """Whether a (stripped) Markdown line opens or closes a code fence."""
    return stripped.startswith(("```", "~~~"))


def in_code_fence(prefix: str) -> bool:
    """Whether the cursor is inside a Markdown code fence opened in the prefix."""
    head = prefix[: prefix.rfind("\n") + 1]
    return len(_FENCE_LINE.findall(head)) % 2 == 1


def fence_language(prefix: str) -> str:
    """The info string of the last fence opened in the prefix (```python -> "python")."""
    head = prefix[: prefix.rfind("\n") + 1]
    matches = _FENCE_INFO.findall(head)
    if not matches:
        return ""
    name: str = matches[-1].strip().lower()
    return _FENCE_ALIASES.get(name, name)


def markdown_cut(lines: list[str], index: int, in_fence: bool, fence_below: bool) -> int | None:
    """Markdown: prose stops at the end of its paragraph; code in a fence stops at the fence
    (before it when the document closes the fence already)."""
    stripped = lines[index].strip()
    if in_fence:
        if is_fence(stripped):
            return index if fence_below else index + 1
        return None
    if not stripped and index >= 1 and any(line.strip() for line in lines[:index]):
        return index
    return None


def fix_json_commas(text: str, next_line: str) -> str:
    """JSON: no comma before a closing `}`/`]` below, and one before a next `"key"` line."""
    body = text.rstrip()
    following = next_line.lstrip()[:1]
    if following in ("}", "]") and body.endswith(","):
        return body[:-1]
    if following == '"' and body[-1:] in _JSON_VALUE_END:
        return body + ","
    return text
