"""Issue 4's request-economy benchmark (see benchmarks/README.md).

    python benchmarks/economy.py [--sessions N] [--quick] [--no-tabby]

The machinery lives in `codestral_ls.bench` so `codestral-ls bench economy` runs the same code.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codestral_ls.bench.economy import main

if __name__ == "__main__":
    raise SystemExit(main())
