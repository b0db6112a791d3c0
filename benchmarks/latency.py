"""Issue 2's latency benchmark from a checkout; the same as `codestral-ls bench` (see README.md).

python benchmarks/latency.py [--quick] [--stream-cost] [--real ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codestral_ls.bench import add_common_arguments, add_latency_arguments, main

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="benchmarks/latency.py", description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    add_latency_arguments(parser)
    parser.set_defaults(suite="latency")
    raise SystemExit(main(parser.parse_args()))
