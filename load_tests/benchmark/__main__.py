"""`python -m load_tests.benchmark --mode short|full [--only NAME ...] [--output FILE]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from load_tests.benchmark.modes import MODES
from load_tests.benchmark.pipelines import PIPELINES
from load_tests.benchmark.run import run_and_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=sorted(MODES), default="short")
    parser.add_argument("--only", action="append", choices=[p.name for p in PIPELINES], default=[])
    parser.add_argument("--output", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the working folder (logs) afterwards")
    args = parser.parse_args()
    run_and_report(args.mode, tuple(args.only), args.output, args.keep)


if __name__ == "__main__":
    sys.exit(main())
