"""Issue 10's soak benchmark from a checkout: RSS and open fds of the real server over thousands of edits.

python benchmarks/soak.py [--quick] [--keystrokes N] [--sample-every N] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codestral_ls.bench.soak import add_arguments, main

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="benchmarks/soak.py", description=__doc__.splitlines()[0])
    add_arguments(parser)
    raise SystemExit(main(parser.parse_args()))
