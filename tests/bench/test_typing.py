"""The typing-session generator: deterministic with a seed, and it always converges on the file."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from codestral_ls.bench.editor import Editor
from codestral_ls.bench.typing import Session, Timing, cut_session, pick_sessions, plan, press, source_files

SOURCE = '''import os


def walk(root):
    """Yield files."""
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if os.path.isdir(path):
            yield from walk(path)
        else:
            yield path
    return None


class Counter:
    def count(self, items):
        total = 0
        for item in items:
            if item:
                total += 1
        return total
'''


def _session() -> Session:
    start = SOURCE.index("for name")
    end = SOURCE.index("    return None") - 1
    return Session("walk", SOURCE, start, end)


def _replay(session: Session, seed: int) -> str:
    editor = Editor(session.initial_text, session.start)
    for stroke in plan(session, seed):
        editor.apply(press(editor, stroke))
    return editor.text


def test_same_seed_same_plan() -> None:
    assert plan(_session(), 5) == plan(_session(), 5)


def test_different_seeds_differ_in_timing() -> None:
    first = [s.delay_ms for s in plan(_session(), 1)]
    second = [s.delay_ms for s in plan(_session(), 2)]
    assert first != second


@pytest.mark.parametrize("seed", range(20))
def test_typing_the_plan_rebuilds_the_file(seed: int) -> None:
    assert _replay(_session(), seed) == SOURCE


def test_typos_are_fixed_with_backspace() -> None:
    strokes = plan(_session(), 0, Timing(typo_p=0.5))
    assert any(s.key == "backspace" for s in strokes)
    editor = Editor(_session().initial_text, _session().start)
    for stroke in strokes:
        editor.apply(press(editor, stroke))
    assert editor.text == SOURCE


def test_human_timing_has_bursts_and_pauses() -> None:
    delays = [s.delay_ms for s in plan(_session(), 3)]
    timing = Timing()
    assert min(delays) >= timing.key_min_ms
    assert any(d >= 400 for d in delays)  # pauses at line ends / after Enter
    assert sorted(delays)[len(delays) // 2] < 200  # but mostly a burst


def test_enter_auto_indents_like_an_editor() -> None:
    editor = Editor("    if x:", 9)
    editor.apply(editor.enter())
    assert editor.text == "    if x:\n        "
    editor = Editor("        return y", 16)
    editor.apply(editor.enter())
    assert editor.text == "        return y\n    "
    editor = Editor("a\n    ", 6)  # a whitespace-only line loses its indentation
    editor.apply(editor.enter())
    assert editor.text == "a\n\n    "


def test_backspace_in_indentation_goes_to_the_previous_tab_stop() -> None:
    editor = Editor("x\n        ", 10)
    editor.apply(editor.backspace())
    assert editor.text == "x\n    "
    editor = Editor("ab", 2)
    editor.apply(editor.backspace())
    assert editor.text == "a"


def test_positions_are_utf16() -> None:
    editor = Editor("é😀x\nab", 0)
    assert editor.position(3) == {"line": 0, "character": 4}
    assert editor.offset({"line": 0, "character": 4}) == 3
    assert editor.offset({"line": 1, "character": 1}) == 5


def test_cut_session_takes_whole_statements_of_a_function() -> None:
    session = cut_session("walk", SOURCE, random.Random(0), target_chars=60)
    assert session is not None
    assert SOURCE[session.end] == "\n"
    assert SOURCE[session.start - 1] == " "
    assert '"""' not in session.target


def test_pick_sessions_is_deterministic() -> None:
    files = source_files(Path(__file__).resolve().parents[2])
    first = pick_sessions(files, 2, seed=4)
    again = pick_sessions(files, 2, seed=4)
    assert [(s.name, s.start, s.end) for s in first] == [(s.name, s.start, s.end) for s in again]
