"""``python -m mlgate.checks.data``: infer a suite from a data file, or check a file against one.

    python -m mlgate.checks.data infer reference.csv -o expectations/ref.yaml --gx ref.gx.json
    python -m mlgate.checks.data check evaluation.csv expectations/ref.yaml

``check`` exits 0 when the suite passes, 10 when it does not (the gate's hold code) and 4 on
unreadable input, printing the check's message.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mlgate.checks.data.checks import check_frame
from mlgate.checks.data.gx_json import write_gx_suite
from mlgate.checks.data.infer import infer_suite
from mlgate.checks.data.spec import read_suite, write_suite
from mlgate.core.data import read_table
from mlgate.core.errors import MlgateError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m mlgate.checks.data", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    inf = sub.add_parser("infer", help="infer a suite from a reference data file")
    inf.add_argument("data", type=Path, help=".csv, .parquet or .npz")
    inf.add_argument("-o", "--output", type=Path, required=True, help="suite YAML to write")
    inf.add_argument("--gx", type=Path, help="also write a Great Expectations suite JSON")
    inf.add_argument("--name", help="suite name (default: the file's stem)")
    inf.add_argument("--margin", type=float, default=0.1)
    inf.add_argument("--null-margin", type=float, default=0.02)
    inf.add_argument("--max-categories", type=int, default=20)
    inf.add_argument(
        "--alpha",
        type=float,
        default=0.05,
        help="false-hold level the inferred tolerances share (0: exact all-rows rules)",
    )
    inf.add_argument("--exclude", nargs="*", default=[], help="columns to leave out")
    chk = sub.add_parser("check", help="check a data file against a suite file")
    chk.add_argument("data", type=Path)
    chk.add_argument("suite", type=Path)
    args = parser.parse_args(argv)
    try:
        frame = read_table(args.data, name=args.data.name)
        if args.command == "infer":
            suite = infer_suite(
                frame,
                name=args.name or args.data.stem,
                source=args.data.name,
                margin=args.margin,
                null_margin=args.null_margin,
                max_categories=args.max_categories,
                exclude=args.exclude,
                alpha=args.alpha or None,
            )
            write_suite(suite, args.output)
            print(f"wrote {len(suite.expectations)} expectations to {args.output}")
            if args.gx:
                write_gx_suite(suite, args.gx)
                print(f"wrote the Great Expectations suite to {args.gx}")
            return 0
        suite = read_suite(args.suite)
        result = check_frame(frame, list(suite.expectations), dataset=args.data.name)
    except (MlgateError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 4
    print(f"{result.status.value}: {result.message}")
    return 10 if result.blocks else 0  # passed or warned: the suite holds nothing


if __name__ == "__main__":
    raise SystemExit(main())
