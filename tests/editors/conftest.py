"""Fixtures shared by the editor tests."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's dependencies and its build backend as wheels, from pip's cache or the
    registry, so the editors' own installs (`PIP_NO_INDEX=1`, `PIP_FIND_LINKS=` this) need no network."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    requirements = [*pyproject["project"]["dependencies"], *pyproject["build-system"]["requires"]]
    directory = tmp_path_factory.mktemp("wheelhouse")
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check"]
    subprocess.run(
        [*pip_wheel, "-w", str(directory), *requirements],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return directory


@pytest.fixture
def path_without_server(tmp_path: Path) -> str:
    """A PATH with a Python 3.11+ (this one, as `python3`) and the system's directories, but no
    codestral-ls: what a user who has not installed the server has."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    system_dirs = [d for d in ("/usr/local/bin", "/usr/bin", "/bin") if not (Path(d) / "codestral-ls").exists()]
    return ":".join([str(bin_dir), *system_dirs])
