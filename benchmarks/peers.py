"""Dev-only: install the peer servers the economy benchmark compares against (tabby-agent from npm).

    python benchmarks/peers.py [--tabby-dir DIR]

Kept out of the `codestral_ls` package on purpose: the installed server never runs npm. From a
checkout, `python benchmarks/economy.py` calls this once; `codestral-ls bench economy` only uses
a tabby-agent that is already installed, and says how to get one when it is not.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codestral_ls.bench.contenders import TABBY_VERSION, find_tabby
from codestral_ls.bench.economy import default_tabby_dir


def install_tabby(cache_dir: Path) -> tuple[Path | None, str]:
    """tabby-agent's cli.js under `cache_dir`, npm-installing it there first if missing; (None, why) if that fails."""
    cli, _ = find_tabby(cache_dir)
    if cli is not None:
        return cli, ""
    if shutil.which("node") is None:
        return None, "node is not installed"
    npm = shutil.which("npm")
    if npm is None:
        return None, "npm is not installed"
    cache_dir.mkdir(parents=True, exist_ok=True)
    print(f"installing tabby-agent@{TABBY_VERSION} into {cache_dir} (once) ...", file=sys.stderr)
    done = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(cache_dir), f"tabby-agent@{TABBY_VERSION}"],
        capture_output=True,
        text=True,
        check=False,
    )
    cli, _ = find_tabby(cache_dir)
    if done.returncode != 0 or cli is None:
        return None, f"npm install tabby-agent@{TABBY_VERSION} failed: {done.stderr.strip()[-300:]}"
    return cli, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tabby-dir", type=Path, default=None, help="npm prefix to install into")
    args = parser.parse_args(argv)
    cli, why = install_tabby(args.tabby_dir or default_tabby_dir())
    if cli is None:
        print(f"peers: {why}", file=sys.stderr)
        return 1
    print(f"tabby-agent {TABBY_VERSION}: {cli}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
