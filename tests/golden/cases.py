"""Golden post-processing cases, one `*.golden` file per language (format in README.md)."""

from __future__ import annotations

from pathlib import Path

import attrs

from codestral_ls.context import FimContext, extract
from codestral_ls.postprocess import (
    CompletionPlan,
    Suggestion,
    SuggestionFilter,
    plan_completion,
)

CURSOR = "█"
DROP = "DROP"
NEWLINE_MARK = "⏎"
GOLDEN_DIR = Path(__file__).parent
# File stem -> LSP language id, where they differ.
LANGUAGE_IDS = {"tsx": "typescriptreact", "shell": "shellscript"}
_FIELDS = ("kind", "filter", "replace", "multiline", "note", "language")
_SECTIONS = ("document", "raw", "expect")


@attrs.frozen
class GoldenCase:
    """A document with a cursor, what the model streamed, and what the user must see."""

    name: str
    language_id: str
    source: str  # "python.golden:12"
    document: str
    raw: str
    expected: str | None  # None: the suggestion must be dropped
    replace_chars: int = 0
    kind: str = "fix"  # "good": passes unchanged; "fix": must be fixed or dropped
    filter: str = ""  # the concern the case exercises
    multiline: str = "auto"
    note: str = ""  # why a debatable case expects what it does

    @property
    def cursor(self) -> tuple[int, int]:
        """(line, character) of the cursor marker."""
        before = self.document[: self.document.index(CURSOR)]
        return before.count("\n"), len(before) - (before.rfind("\n") + 1)

    @property
    def text(self) -> str:
        """The document without its cursor marker."""
        return self.document.replace(CURSOR, "", 1)

    def context(self, max_prefix_chars: int = 8000, max_suffix_chars: int = 4000) -> FimContext:
        line, character = self.cursor
        return extract(
            self.text.split("\n"),
            line,
            character,
            max_prefix_chars=max_prefix_chars,
            max_suffix_chars=max_suffix_chars,
            language_id=self.language_id,
            uri=f"file:///golden/{self.name}",
        )


def context_at(document: str, language_id: str = "python") -> FimContext:
    """The FIM context of a document holding one cursor marker, with roomy budgets."""
    before = document[: document.index(CURSOR)]
    line, character = before.count("\n"), len(before) - (before.rfind("\n") + 1)
    return extract(
        document.replace(CURSOR, "", 1).split("\n"),
        line,
        character,
        max_prefix_chars=8000,
        max_suffix_chars=4000,
        language_id=language_id,
    )


def _section_text(lines: list[str]) -> str:
    """A section's lines joined; blank lines at its end separate cases and are dropped, and a
    last line holding only NEWLINE_MARK stands for a final newline."""
    lines = list(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and lines[-1] == NEWLINE_MARK:
        lines[-1] = ""
    return "\n".join(lines)


def parse(text: str, language_id: str, file_name: str) -> list[GoldenCase]:
    """Cases of one golden file: `### name`, `key: value` lines, then `--- section` blocks
    whose text runs to the next marker."""
    cases: list[GoldenCase] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        if not lines[index].startswith("### "):
            index += 1
            continue
        name, start = lines[index][4:].strip(), index + 1
        fields: dict[str, str] = {}
        sections: dict[str, list[str]] = {}
        current: list[str] | None = None
        index += 1
        while index < len(lines) and not lines[index].startswith("### "):
            line = lines[index]
            if line.startswith("--- ") and line[4:].strip() in _SECTIONS:
                current = sections.setdefault(line[4:].strip(), [])
            elif current is not None:
                current.append(line)
            elif ":" in line and line.split(":", 1)[0] in _FIELDS:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
            elif line.strip():
                raise ValueError(f"{file_name}:{index + 1}: unexpected line {line!r}")
            index += 1
        for section in _SECTIONS:
            if section not in sections:
                raise ValueError(f"{file_name}:{start}: case {name!r} has no {section} section")
        document, raw, expect = (_section_text(sections[s]) for s in _SECTIONS)
        if document.count(CURSOR) != 1:
            raise ValueError(f"{file_name}:{start}: case {name!r} needs exactly one {CURSOR}")
        kind = fields.get("kind", "fix")
        if kind not in ("good", "fix"):
            raise ValueError(f"{file_name}:{start}: kind must be good or fix, not {kind!r}")
        expected = None if expect == DROP else expect
        if kind == "good" and expected != raw:
            raise ValueError(f"{file_name}:{start}: a good case expects its raw output unchanged")
        cases.append(
            GoldenCase(
                name=name,
                language_id=fields.get("language", language_id),
                source=f"{file_name}:{start}",
                document=document,
                raw=raw,
                expected=expected,
                replace_chars=int(fields.get("replace", "0")),
                kind=kind,
                filter=fields.get("filter", ""),
                multiline=fields.get("multiline", "auto"),
                note=fields.get("note", ""),
            )
        )
    return cases


def load_cases(directory: Path = GOLDEN_DIR) -> list[GoldenCase]:
    """Every golden case, in file then document order."""
    cases: list[GoldenCase] = []
    for path in sorted(directory.glob("*.golden")):
        language_id = LANGUAGE_IDS.get(path.stem, path.stem)
        cases.extend(parse(path.read_text(encoding="utf-8"), language_id, path.name))
    names = [case.name for case in cases]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"duplicate golden case names: {sorted(duplicates)}")
    return cases


def chunks(text: str, size: int) -> list[str]:
    """The text cut in pieces of `size` characters, as a stream delivers it."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def run_pure(case: GoldenCase, chunk_size: int = 3, max_tokens: int = 256) -> RunResult:
    """Plan, stream and filter one case without a server."""
    ctx = case.context()
    plan = plan_completion(ctx, case.multiline, max_tokens)
    suggestion_filter = SuggestionFilter(ctx, plan)
    stopped_early = False
    for chunk in chunks(case.raw, chunk_size):
        if suggestion_filter.feed(chunk):
            stopped_early = True
            break
    suggestion = suggestion_filter.finish()
    return RunResult(
        suggestion=suggestion,
        plan=plan,
        stop_rule=suggestion_filter.stop.rule if suggestion_filter.stop else "",
        consumed_chars=suggestion_filter.consumed_chars,
        stopped_early=stopped_early,
    )


@attrs.frozen
class RunResult:
    """What one case produced."""

    suggestion: Suggestion | None
    plan: CompletionPlan
    stop_rule: str
    consumed_chars: int
    stopped_early: bool

    def matches(self, case: GoldenCase) -> bool:
        if case.expected is None:
            return self.suggestion is None
        return self.suggestion == Suggestion(case.expected, case.replace_chars)
