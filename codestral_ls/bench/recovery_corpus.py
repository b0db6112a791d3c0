"""Real source files on this machine, per language, for the recovery benchmark.

Every source is optional: one whose files are missing is skipped with a note, so the benchmark
runs on any machine (offline) with whatever it finds. Files are read once, lines without their
trailing whitespace.
"""

from __future__ import annotations

import re
import sysconfig
from collections.abc import Iterable
from pathlib import Path

import attrs

# Files larger than this are generated or data more often than code.
MAX_FILE_BYTES = 300_000
MAX_FILES_PER_SOURCE = 400
MIN_LINES = 5
_SHELL_SHEBANG = re.compile(rb"^#!\s*/(?:usr/)?bin/(?:env\s+)?(?:ba|da)?sh\b")
EXTENSIONS = {
    ".py": "python",
    ".c": "c",
    ".h": "c",
    ".js": "javascript",
    ".ts": "typescript",
    ".lua": "lua",
    ".go": "go",
    ".rs": "rust",
    ".sh": "shellscript",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
}


@attrs.frozen
class Source:
    """A named set of files of one language: `patterns` are globs under `root`."""

    name: str
    language_id: str
    root: Path
    patterns: tuple[str, ...]
    shell_scripts_only: bool = False  # keep only files with a sh/bash shebang (for /usr/bin)

    def paths(self) -> list[Path]:
        found: set[Path] = set()
        if self.root.is_dir():
            for pattern in self.patterns:
                found.update(path for path in self.root.glob(pattern) if path.is_file())
        paths = sorted(path for path in found if "node_modules/.bin" not in str(path))
        if self.shell_scripts_only:
            paths = [path for path in paths if _is_shell_script(path)]
        return paths[:MAX_FILES_PER_SOURCE]


@attrs.frozen
class SourceFile:
    path: str
    lines: list[str]


def _is_shell_script(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return bool(_SHELL_SHEBANG.match(handle.readline(100)))
    except OSError:
        return False


def read_lines(path: Path) -> list[str] | None:
    """The file's lines without trailing whitespace, or None for binary, huge or unreadable files."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if "\0" in text:
        return None
    return [line.rstrip() for line in text.split("\n")]


def load(source: Source) -> list[SourceFile]:
    files = []
    for path in source.paths():
        lines = read_lines(path)
        if lines is not None and sum(1 for line in lines if line.strip()) >= MIN_LINES:
            files.append(SourceFile(str(path), lines))
    return files


def default_sources(repo: Path) -> list[Source]:
    """This repository's Python, the standard library and the other languages found on disk."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    home = Path.home()
    return [
        Source("python (repo)", "python", repo, ("codestral_ls/**/*.py",)),
        Source("python (stdlib)", "python", stdlib, ("*.py",)),
        Source("c (/usr/include)", "c", Path("/usr/include"), ("*.h",)),
        Source("javascript (npm)", "javascript", Path("/usr/lib/node_modules/npm/lib"), ("**/*.js",)),
        Source("typescript (repo)", "typescript", repo / "editors" / "vscode", ("src/**/*.ts", "test/**/*.ts")),
        Source("lua (repo)", "lua", repo / "editors" / "neovim", ("**/*.lua",)),
        Source("go (/usr/share)", "go", Path("/usr/share"), ("doc/*/contrib/**/*.go", "go*/src/*/*.go")),
        Source(
            "rust (toolchain src)",
            "rust",
            home / ".rustup" / "toolchains",
            ("*/lib/rustlib/src/rust/library/core/src/*.rs",),
        ),
        Source("shell (/usr/bin)", "shellscript", Path("/usr/bin"), ("*",), shell_scripts_only=True),
        Source("json (npm)", "json", Path("/usr/lib/node_modules/npm"), ("node_modules/*/package.json",)),
        Source(
            "yaml (gcloud)", "yaml", Path("/usr/lib/google-cloud-sdk/lib/googlecloudsdk"), ("command_lib/**/*.yaml",)
        ),
    ]


def directory_sources(directory: Path) -> list[Source]:
    """One source per language found in `directory` (by file extension), e.g. a test fixture."""
    languages: dict[str, list[str]] = {}
    for path in sorted(directory.rglob("*")):
        language_id = EXTENSIONS.get(path.suffix)
        if language_id is not None and path.is_file():
            languages.setdefault(language_id, []).append(f"**/*{path.suffix}")
    return [
        Source(language_id, language_id, directory, tuple(sorted(set(patterns))))
        for language_id, patterns in sorted(languages.items())
    ]


def describe(sources: Iterable[tuple[Source, list[SourceFile]]]) -> list[str]:
    """One line per source: where its files came from and how many, or why it was skipped."""
    lines = []
    for source, files in sources:
        if files:
            total = sum(len(file.lines) for file in files)
            lines.append(f"  {source.name:<22} {len(files):>4} files, {total:>7} lines under {source.root}")
        else:
            lines.append(f"  {source.name:<22} skipped: no readable files under {source.root}")
    return lines
