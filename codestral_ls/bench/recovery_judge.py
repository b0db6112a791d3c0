"""Pure: did a suggestion, applied to the document, give back the true document?

The benchmark cut a true middle `M` out of a file: the document is `P + S`, the truth `P + M + S`.
A suggestion inserts `T` at the cursor and replaces `r` characters of the cursor line's rest
(`line_rest`, the start of `S`). Everything outside the cursor line's window is shared, so the
judgement compares two small windows:

    got   = T + line_rest[r:]          want = M + line_rest

Both are compared line by line with trailing whitespace removed (the filters strip it; it is
invisible). The outcomes, best first:

- **exact**: `got == want`: the accepted suggestion gives the true document;
- **layout**: the same text once all whitespace is removed (a closer on the line above, tabs for
  spaces): the code is the truth's, its layout is not; not counted as recovered;
- **prefix**: `got == E + line_rest` where `E` is a non-empty start of `M`: the document is the
  truth with the end of the middle not typed yet. It is **balanced** when the bracket state of
  `got` equals the bracket state of `want` (see `balance`): it leaves no bracket open or closed
  that the truth does not. exact + balanced prefix = **recovered**;
- **gaps**: not a prefix, but `want` with whole lines left out (the cursor line kept): only
  lines to type in between, e.g. a block closed with its body still missing; balanced or not;
- **nothing**: no suggestion, or only whitespace;
- **wrong**: the user has to delete something to reach the truth.

`rank` orders them for "worse than the raw output": exact < layout < balanced prefix < balanced
gaps < unbalanced prefix < unbalanced gaps < nothing < wrong; within one class, more characters
to edit (type + delete) is worse.
"""

from __future__ import annotations

import difflib
import enum

import attrs

OPENER_OF = {")": "(", "]": "[", "}": "{"}
CLOSER_OF = {"(": ")", "[": "]", "{": "}"}

# Comment and string syntax per language id, enough to keep brackets in them out of the count.
_LINE_COMMENTS: dict[str, tuple[str, ...]] = {
    "python": ("#",),
    "shellscript": ("#",),
    "yaml": ("#",),
    "lua": ("--",),
}
_C_LIKE_COMMENT = ("//",)
_BLOCK_COMMENT_LANGUAGES = frozenset({"c", "cpp", "go", "java", "javascript", "typescript", "rust"})
_MULTILINE_QUOTES: dict[str, tuple[str, ...]] = {
    "python": ('"""', "'''"),
    "javascript": ("`",),
    "typescript": ("`",),
    "go": ("`",),
}


@attrs.frozen
class Balance:
    """The bracket effect of a text: closers it uses on brackets opened before it (in order),
    and openers it leaves open (innermost last). Brackets in strings and comments do not count."""

    closes_outer: str = ""
    leaves_open: str = ""


def _scan_state(text: str, language_id: str, state: str, stack: list[str], outer: list[str]) -> str:
    """Scan `text` from lexical `state` ("" = code, else the quote or comment end awaited);
    brackets update `stack` / `outer` when given. Returns the state at the end."""
    line_comments = _LINE_COMMENTS.get(language_id, _C_LIKE_COMMENT)
    block = language_id in _BLOCK_COMMENT_LANGUAGES
    multiline = _MULTILINE_QUOTES.get(language_id, ())
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if state:
            if char == "\\" and state not in ("*/", "\n"):
                index += 2
                continue
            if text.startswith(state, index):
                index += len(state)
                state = ""
                continue
            if char == "\n" and state in ('"', "'"):
                state = ""  # an unclosed one-line string ends with its line
            index += 1
            continue
        quote = next((q for q in multiline if text.startswith(q, index)), None)
        if quote is not None:
            state, index = quote, index + len(quote)
            continue
        if char in "\"'":
            state, index = char, index + 1
            continue
        if block and text.startswith("/*", index):
            state, index = "*/", index + 2
            continue
        if any(text.startswith(mark, index) for mark in line_comments) and (
            language_id not in ("shellscript", "yaml") or index == 0 or text[index - 1] in " \t\n;"
        ):
            state, index = "\n", index + 1
            continue
        if char in CLOSER_OF:
            stack.append(char)
        elif char in OPENER_OF:
            if stack and stack[-1] == OPENER_OF[char]:
                stack.pop()
            elif not stack:
                outer.append(char)
            else:
                stack.pop()  # a mismatched closer still closes the innermost bracket
        index += 1
    return state


def balance(text: str, language_id: str, line_prefix: str = "") -> Balance:
    """The bracket effect of `text` typed after `line_prefix` (which only sets whether the text
    starts inside a string or comment)."""
    state = _scan_state(line_prefix, language_id, "", [], [])
    if state == "\n":
        state = ""  # the prefix ends in a line comment: judge the text as code
    stack: list[str] = []
    outer: list[str] = []
    _scan_state(text, language_id, state, stack, outer)
    return Balance("".join(outer), "".join(stack))


class Outcome(enum.Enum):
    EXACT = "exact"
    LAYOUT = "layout"
    PREFIX = "prefix"
    GAPS = "gaps"
    NOTHING = "nothing"
    WRONG = "wrong"


@attrs.frozen
class Judgement:
    outcome: Outcome
    balanced: bool  # the document's brackets are as balanced as the truth's
    edit_chars: int  # characters to type and delete to reach the truth

    @property
    def recovered(self) -> bool:
        return self.outcome is Outcome.EXACT or (self.outcome is Outcome.PREFIX and self.balanced)

    @property
    def rank(self) -> tuple[int, int]:
        """Smaller is better; compares a filtered result with the raw output's."""
        order = {
            (Outcome.EXACT, True): 0,
            (Outcome.LAYOUT, True): 1,
            (Outcome.LAYOUT, False): 1,
            (Outcome.PREFIX, True): 2,
            (Outcome.GAPS, True): 3,
            (Outcome.PREFIX, False): 4,
            (Outcome.GAPS, False): 5,
        }
        if self.outcome is Outcome.NOTHING:
            return 6, 0
        if self.outcome is Outcome.WRONG:
            return 7, self.edit_chars
        return order[(self.outcome, self.balanced)], self.edit_chars


def normalize(text: str) -> str:
    """Lines without their trailing whitespace."""
    return "\n".join(line.rstrip() for line in text.split("\n"))


def is_subsequence(short: str, long: str) -> bool:
    position = 0
    for char in short:
        position = long.find(char, position) + 1
        if position == 0:
            return False
    return True


def whole_lines_missing(got: str, want: str) -> bool:
    """Whether `got` is `want` with whole lines left out (the cursor line kept)."""
    got_lines, want_lines = got.split("\n"), want.split("\n")
    if got_lines[0] != want_lines[0]:
        return False
    position = 1
    for line in got_lines[1:]:
        while position < len(want_lines) and want_lines[position] != line:
            position += 1
        if position == len(want_lines):
            return False
        position += 1
    return True


def edit_chars(got: str, want: str) -> int:
    """Characters to delete plus characters to type to turn `got` into `want` (by difflib's
    matching blocks: an upper bound of the shortest edit, exact when one is a subsequence)."""
    if is_subsequence(got, want):
        return len(want) - len(got)
    matcher = difflib.SequenceMatcher(None, got, want, autojunk=False)
    kept = sum(block.size for block in matcher.get_matching_blocks())
    return (len(got) - kept) + (len(want) - kept)


def starts_middle(inserted: str, middle: str) -> bool:
    """Whether `inserted` is the start of `middle`, trailing whitespace of its lines aside."""
    got, want = inserted.split("\n"), middle.split("\n")
    if len(got) > len(want):
        return False
    for index, line in enumerate(got[:-1]):
        if line.rstrip() != want[index].rstrip():
            return False
    last, target = got[-1], want[len(got) - 1]
    return target.startswith(last) or target.rstrip() == last.rstrip()


def judge(
    text: str | None,
    replace_chars: int,
    middle: str,
    line_rest: str,
    language_id: str,
    line_prefix: str = "",
) -> Judgement:
    """How the document looks once `text` is accepted, replacing `replace_chars` characters of
    `line_rest`, against the truth (`middle` where the cursor is)."""
    want = normalize(middle + line_rest)
    want_balance = balance(middle + line_rest, language_id, line_prefix)
    if text is None or not text.strip():
        return Judgement(Outcome.NOTHING, want_balance == balance(line_rest, language_id, line_prefix), len(middle))
    replaced = min(max(replace_chars, 0), len(line_rest))
    applied = text + line_rest[replaced:]
    got = normalize(applied)
    if got == want:
        return Judgement(Outcome.EXACT, True, 0)
    balanced = balance(applied, language_id, line_prefix) == want_balance
    cost = edit_chars(got, want)
    if "".join(got.split()) == "".join(want.split()):
        return Judgement(Outcome.LAYOUT, balanced, cost)
    if applied.endswith(line_rest):
        inserted = applied[: len(applied) - len(line_rest)]
        if inserted.strip() and starts_middle(inserted, middle):
            return Judgement(Outcome.PREFIX, balanced, cost)
    if whole_lines_missing(got, want):
        return Judgement(Outcome.GAPS, balanced, cost)
    return Judgement(Outcome.WRONG, balanced, cost)
