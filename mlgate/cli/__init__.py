"""The ``mlgate`` command: what is not a test run — run or validate a gate, render a report or
a model card from a stored result, compare two runs, show history, scaffold a gate file, log a run
to MLflow and promote a registry alias.

Exit codes follow the gate's: 0 success (or promote), 10 hold (``run``, ``promote``), 4 usage
errors and unreadable inputs, each message naming the file and what is wrong; 11 a registry
error (``promote``, ``log-mlflow``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from mlgate import __version__
from mlgate.cli import commands
from mlgate.core.decision import ExitCode
from mlgate.core.errors import MlgateError

DESCRIPTION = (
    "mlgate: what is not a test run. Run or validate a gate, render a report or a model card "
    "from a stored result.json, compare two runs, show the run history, scaffold a gate file, "
    "log a run to MLflow, promote a registry alias."
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would exit 2; usage errors are 4 everywhere
        self.print_usage(sys.stderr)
        self.exit(int(ExitCode.USAGE_ERROR), f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlgate", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"mlgate {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    for register in commands.REGISTRY:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mlgate`` console script. Returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first "--" goes to pytest unchanged. Split it off before argparse:
    # argparse would otherwise read those arguments as `run`'s PATHS, and a nested pytest with
    # no path collects the current project's whole test suite instead of the gate's folder.
    passthrough: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1 :]
    args = build_parser().parse_args(argv)
    if passthrough and args.command != "run":
        build_parser().error(f"arguments after '--' are only for 'mlgate run', got {passthrough}")
    args.pytest_args = passthrough
    try:
        return int(args.handler(args))
    except MlgateError as exc:
        print(f"mlgate {args.command}: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE_ERROR)
    except BrokenPipeError:
        # `mlgate history | head`: the reader left early, which is not an error. Point stdout
        # at /dev/null so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
