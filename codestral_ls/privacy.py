"""Pure: which files may be sent to a model at all (exclude globs matched against the file path)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import unquote, urlparse


def uri_to_path(uri: str) -> str:
    """The POSIX-style path of a URI (`file:///a/b.py` -> `/a/b.py`); other schemes keep their path."""
    parsed = urlparse(uri)
    path = unquote(parsed.path) if parsed.scheme else uri
    return path.replace("\\", "/")


@lru_cache(maxsize=512)
def glob_to_regex(glob: str) -> re.Pattern[str]:
    """Translate a glob (`*`, `?`, `**`, `[...]`, `{a,b}`) to a regex matched against a full path.

    A glob without `/` matches the file name in any folder, as users expect from `.gitignore`.
    """
    if "/" not in glob:
        glob = "**/" + glob
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = glob.find("]", i + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = glob[i + 1 : end].replace("\\", "\\\\")
                if body.startswith(("!", "^")):
                    # A negated class matches one character of a name, never the folder separator.
                    body = "^/" + body[1:]
                out.append(f"[{body}]")
                i = end
        elif char == "{":
            end = glob.find("}", i + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                options = glob[i + 1 : end].split(",")
                out.append("(?:" + "|".join(re.escape(option) for option in options) + ")")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("(?:^|.*/)" + "".join(out) + "$", re.IGNORECASE)


def excluded_by(uri: str, globs: Iterable[str]) -> str | None:
    """The first glob that excludes `uri`, or None when the file may be sent."""
    path = uri_to_path(uri)
    for glob in globs:
        if glob and glob_to_regex(glob).match(path):
            return glob
    return None
