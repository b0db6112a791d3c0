"""Pure: which documents may be sent to a model at all (exclude globs, languages, size, binary)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from .config import DEFAULT_EXCLUDE, connection_problem

if TYPE_CHECKING:
    from .config import Settings
    from .documents import Document


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
    return _first_match(uri, tuple(globs))


@lru_cache(maxsize=1024)
def _first_match(uri: str, globs: tuple[str, ...]) -> str | None:
    # Asked on every request for the same few files: remember the verdict (~40 µs otherwise).
    path = uri_to_path(uri)
    for glob in globs:
        if glob and glob_to_regex(glob).match(path):
            return glob
    return None


def refusal(settings: Settings, document: Document) -> str | None:
    """Why `document` gets no completions at all (said to the user), or None when it may."""
    if not settings.enable:
        return "completions are disabled"
    unusable = connection_problem(settings)
    if unusable is not None:
        # Never fall back to a default backend or host: the code would go where the user did not choose.
        return str(unusable)
    if not settings.language_enabled(document.language_id):
        return f"completions are disabled for {document.language_id or 'this language'}"
    now = _content_refusal(settings.all_exclude_globs, settings.max_document_chars, document)
    if document.withheld is not None and now is None:
        # The settings changed since the text was dropped: only the editor has it now.
        return "its text was not kept while it could not be sent; close and reopen the file"
    return document.withheld or now


def never_sent(document: Document) -> str | None:
    """Why `document` can never be sent whatever the settings say (binary, or a file the default
    excludes match), or None. The document store's default: it needs no settings to be right."""
    return _content_refusal(DEFAULT_EXCLUDE, None, document)


def withhold_reason(settings: Settings, document: Document) -> str | None:
    """Why the store need not keep `document`'s text under these settings (excluded, too large,
    binary), or None. Not the language or on/off switches: users flip those and expect the file
    to work again without reopening it."""
    return _content_refusal(settings.all_exclude_globs, settings.max_document_chars, document)


def _content_refusal(globs: tuple[str, ...], max_chars: int | None, document: Document) -> str | None:
    glob = excluded_by(document.uri, globs)
    if glob is not None:
        return f"this file matches the exclude pattern {glob!r} and is never sent"
    if max_chars is not None and document.char_count > max_chars:
        return f"the document is larger than maxDocumentChars ({max_chars})"
    if document.binary:
        return "the document looks binary"
    return None
