"""Pure: where an automatic suggestion is unlikely to be useful, so no model call is made.

Rules (automatic requests only; an explicit "trigger suggestion" always asks):
1. Mid-line: text right of the cursor that is not only closers and punctuation (`) ] } " ' ; , :`
   and spaces) means the user is editing inside existing code.
2. Too little to go on: the cursor is on the file's first line with fewer than `MIN_PROMPT_CHARS`
   non-blank characters before it (once there is a line above, e.g. `def f():` + Enter, it asks).
3. Right after a deletion: the user is correcting, not writing.
4. Inside a word that continues to the right (e.g. `fo|o`): covered by rule 1.
"""

from __future__ import annotations

MIN_PROMPT_CHARS = 10
CLOSERS = set(")]}\"'`;,:>. \t")


def rest_of_line_is_closers(line_suffix: str) -> bool:
    return all(char in CLOSERS for char in line_suffix)


def skip_reason(prefix: str, line_suffix: str, *, after_deletion: bool) -> str | None:
    """Why an automatic request should not be sent here, or None to go ahead."""
    if not rest_of_line_is_closers(line_suffix):
        return "mid-line"
    if after_deletion:
        return "after a deletion"
    stripped = prefix.strip()
    if len(stripped) < MIN_PROMPT_CHARS and "\n" not in prefix.rstrip("\n"):
        return "prompt too short"
    return None
