"""Pure: typing sessions cut from real source files, and a simulated human who types them back.

A session is a file with a region removed (`file[:start] + file[end:]`); the user retypes the
region at human speed: log-normal gaps between keys in bursts, pauses at line ends and after
Enter, an occasional typo fixed with Backspace, and Enter/Tab/Backspace handled the way an
editor auto-indents. Everything random comes from one seeded `random.Random`.
"""

from __future__ import annotations

import ast
import math
import random
import sysconfig
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import attrs

from .editor import Editor

Key = Literal["char", "enter", "backspace", "tab"]

# Standard-library modules with ordinary, readable Python (no generated tables).
STDLIB_MODULES = (
    "textwrap.py",
    "string.py",
    "shlex.py",
    "fractions.py",
    "heapq.py",
    "bisect.py",
    "dataclasses.py",
    "csv.py",
    "json/encoder.py",
    "json/decoder.py",
    "argparse.py",
    "configparser.py",
    "difflib.py",
    "fnmatch.py",
    "glob.py",
    "calendar.py",
    "statistics.py",
    "graphlib.py",
    "ipaddress.py",
    "pprint.py",
    "tokenize.py",
    "zipfile.py",
    "gettext.py",
)

_NEIGHBOURS = {
    "a": "sq",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k;",
    "m": "n,",
    "n": "bm",
    "o": "ip",
    "p": "o[",
    "q": "wa",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "x": "zc",
    "y": "tu",
    "z": "xa",
}


@attrs.frozen
class Keystroke:
    """One key press, `delay_ms` after the previous one."""

    delay_ms: float
    key: Key
    char: str = ""


@attrs.frozen
class Session:
    """The user retypes `original[start:end]` into `original[:start] + original[end:]`."""

    name: str
    original: str
    start: int
    end: int

    @property
    def target(self) -> str:
        return self.original[self.start : self.end]

    @property
    def initial_text(self) -> str:
        return self.original[: self.start] + self.original[self.end :]


@attrs.define
class Timing:
    """Human timing, in milliseconds. Defaults follow keystroke studies of programmers."""

    key_median_ms: float = 110.0
    key_sigma: float = 0.40
    key_min_ms: float = 35.0
    key_max_ms: float = 450.0
    line_end_pause_p: float = 0.6
    after_enter_pause_p: float = 0.45
    word_pause_p: float = 0.06
    pause_ms: tuple[float, float] = (400.0, 1500.0)
    word_pause_ms: tuple[float, float] = (300.0, 900.0)
    typo_p: float = 0.02
    notice_typo_ms: tuple[float, float] = (200.0, 450.0)


class Typist:
    """Decides the next keystroke from what is typed so far and what the user means to type."""

    def __init__(self, target: str, seed: int, timing: Timing | None = None, indent_unit: int = 4) -> None:
        self.target = target
        self.rng = random.Random(seed)
        self.timing = timing or Timing()
        self.indent_unit = indent_unit
        self._last: Keystroke | None = None

    def next(self, typed: str, line_prefix: str) -> Keystroke | None:
        """The next key, given the region's text so far and the cursor line's text; None when done."""
        key, char = self._choose(typed, line_prefix)
        if key is None:
            return None
        stroke = Keystroke(self._delay(key, char, typed), key, char)
        self._last = stroke
        return stroke

    def _choose(self, typed: str, line_prefix: str) -> tuple[Key | None, str]:
        agreed = common_prefix_length(typed, self.target)
        if agreed < len(typed):
            return "backspace", ""
        if agreed == len(self.target):
            return None, ""
        wanted = self.target[agreed]
        if wanted == "\n":
            return "enter", ""
        if wanted == " " and not line_prefix.strip(" "):
            # Re-indenting: Tab when the target needs a whole step more of indentation.
            line_start = self.target.rfind("\n", 0, agreed) + 1
            rest = self.target[line_start:]
            needed = len(rest) - len(rest.lstrip(" "))
            if needed - len(line_prefix) >= self.indent_unit - len(line_prefix) % self.indent_unit:
                return "tab", ""
        if wanted.isalpha() and wanted.lower() in _NEIGHBOURS and self.rng.random() < self.timing.typo_p:
            wrong = self.rng.choice(_NEIGHBOURS[wanted.lower()])
            return "char", wrong.upper() if wanted.isupper() else wrong
        return "char", wanted

    def _delay(self, key: Key, char: str, typed: str) -> float:
        t = self.timing
        rng = self.rng
        last = self._last
        if key == "backspace" and last is not None and last.key == "char":
            return rng.uniform(*t.notice_typo_ms)
        if last is not None and last.key == "enter" and rng.random() < t.after_enter_pause_p:
            return rng.uniform(*t.pause_ms)
        if key == "enter" and rng.random() < t.line_end_pause_p:
            return rng.uniform(*t.pause_ms)
        if last is not None and last.char in " ,(" and rng.random() < t.word_pause_p:
            return rng.uniform(*t.word_pause_ms)
        gap = t.key_median_ms * math.exp(rng.gauss(0.0, t.key_sigma))
        return min(t.key_max_ms, max(t.key_min_ms, gap))


def common_prefix_length(a: str, b: str) -> int:
    limit = min(len(a), len(b))
    index = 0
    while index < limit and a[index] == b[index]:
        index += 1
    return index


def plan(session: Session, seed: int, timing: Timing | None = None, limit: int = 100_000) -> list[Keystroke]:
    """Every keystroke the user makes when no suggestion is ever accepted (for tests and sizing)."""
    editor = Editor(session.initial_text, session.start)
    typist = Typist(session.target, seed, timing)
    strokes: list[Keystroke] = []
    while len(strokes) < limit:
        typed = editor.text[session.start : editor.cursor]
        stroke = typist.next(typed, editor.line_prefix())
        if stroke is None:
            return strokes
        editor.apply(press(editor, stroke))
        strokes.append(stroke)
    raise RuntimeError("the typist did not converge")


def press(editor: Editor, stroke: Keystroke):  # type: ignore[no-untyped-def]
    """The edit a keystroke makes in `editor` (not yet applied)."""
    if stroke.key == "enter":
        return editor.enter()
    if stroke.key == "backspace":
        return editor.backspace()
    if stroke.key == "tab":
        return editor.tab()
    return editor.type_text(stroke.char)


# --- picking sessions --------------------------------------------------------------------


def source_files(project_root: Path | None) -> list[Path]:
    """The project's own modules and a fixed list of standard-library modules that exist here."""
    files: list[Path] = []
    if project_root is not None:
        package = project_root / "codestral_ls"
        files += sorted(p for p in package.rglob("*.py") if "bench" not in p.parts)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files += [stdlib / name for name in STDLIB_MODULES if (stdlib / name).is_file()]
    return files


def cut_session(name: str, text: str, rng: random.Random, target_chars: int = 250) -> Session | None:
    """A run of whole statements inside a function body, about `target_chars` long.

    It starts after the first statement's indentation (where the editor's auto-indent leaves
    the cursor) and ends at a line end, so the text after the cursor on its line is empty.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    runs: list[tuple[int, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = list(node.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        for first_index, first in enumerate(body):
            for last in body[first_index:]:
                end_line = last.end_lineno or last.lineno
                chars = offsets[end_line] - offsets[first.lineno - 1]
                if chars >= target_chars * 0.8:
                    if chars <= target_chars * 1.4:
                        runs.append((first.lineno - 1, end_line))
                    break
    rng.shuffle(runs)
    for first_line, end_line in runs:
        region = lines[first_line:end_line]
        if any("\t" in line or not line.isascii() for line in region):
            continue
        start = offsets[first_line] + len(lines[first_line]) - len(lines[first_line].lstrip(" "))
        return Session(name, text, start, offsets[end_line] - 1)
    return None


def pick_sessions(files: Sequence[Path], count: int, seed: int, target_chars: int = 250) -> list[Session]:
    """`count` sessions from distinct files chosen with `seed` (deterministic for a given file set)."""
    rng = random.Random(seed)
    pool = list(files)
    rng.shuffle(pool)
    sessions: list[Session] = []
    for path in _cycle(pool, count * 4):
        if len(sessions) == count:
            break
        text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
        session = cut_session(_short_name(path), text, rng, target_chars)
        if session is not None:
            sessions.append(session)
    return sessions


def _cycle(pool: Sequence[Path], limit: int) -> Iterable[Path]:
    for index in range(limit):
        if pool:
            yield pool[index % len(pool)]


def _short_name(path: Path) -> str:
    """`simulator/mistral.py` for the project's modules, `stdlib/json/encoder.py` for the standard library."""
    parts = path.parts
    if "codestral_ls" in parts:
        return "/".join(parts[len(parts) - parts[::-1].index("codestral_ls") :])
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    try:
        return "stdlib/" + path.relative_to(stdlib).as_posix()
    except ValueError:
        return path.name
