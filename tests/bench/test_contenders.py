"""contenders: the installed package finds a peer server but never installs one (dev tooling does)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import codestral_ls
from codestral_ls.bench.contenders import find_tabby

PACKAGE = Path(codestral_ls.__file__).resolve().parent


def test_a_missing_tabby_agent_is_reported_with_the_way_to_install_it_and_nothing_is_installed(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("without node the answer is 'node is not installed', checked below")
    cli, why = find_tabby(tmp_path / "tabby")
    assert cli is None and "benchmarks/peers.py" in why
    assert not (tmp_path / "tabby").exists(), "looking must not create or install anything"


def test_an_installed_tabby_agent_is_found(tmp_path: Path) -> None:
    cli_js = tmp_path / "node_modules" / "tabby-agent" / "dist" / "cli.js"
    cli_js.parent.mkdir(parents=True)
    cli_js.write_text("// tabby-agent")
    assert find_tabby(tmp_path) == (cli_js, "")


def test_no_module_of_the_installed_package_runs_a_package_installer() -> None:
    installers = re.compile(r"""["'](npm|npx|pip|yarn|pnpm)["']\s*,\s*["']install["']|which\(["']npm["']\)""")
    offenders = [
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py") if installers.search(path.read_text("utf-8"))
    ]
    assert offenders == []
