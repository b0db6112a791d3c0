"""Issue 4's request-economy benchmark (see benchmarks/README.md).

    python benchmarks/economy.py [--sessions N] [--quick] [--no-tabby]

The machinery lives in `codestral_ls.bench` so `codestral-ls bench economy` runs the same code;
from a checkout this script first installs tabby-agent once (`benchmarks/peers.py`) unless
`--no-tabby` or `--no-install` is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codestral_ls.bench.economy import default_tabby_dir, main

if __name__ == "__main__":
    peek = argparse.ArgumentParser(add_help=False)
    peek.add_argument("--no-tabby", action="store_true")
    peek.add_argument("--no-install", action="store_true")
    peek.add_argument("--tabby-dir", type=Path, default=None)
    wanted, _ = peek.parse_known_args()
    if not (wanted.no_tabby or wanted.no_install):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from peers import install_tabby

        install_tabby(wanted.tabby_dir or default_tabby_dir())  # a failure is noted by the run itself
    raise SystemExit(main())
