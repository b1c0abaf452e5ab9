"""``mlgate validate GATE.yaml [...]``: everything a gate run checks before its first check,
without running one — the schema and every check's parameters, then the models, factories,
data files and named columns the selected stages use (loaded, never predicted). For CI and
pre-commit (``.pre-commit-hooks.yaml``): exit 0 valid, 4 with one message listing every
problem.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mlgate.core.decision import ExitCode
from mlgate.core.errors import ConfigError


def register_validate(sub) -> None:
    p = sub.add_parser(
        "validate",
        help="check gate files without running a check (for CI and pre-commit)",
        description="Validate each gate file: its schema and every check's parameters, then "
        "(unless --schema-only) load the models and datasets the selected stages use and "
        "check the columns they name. No check runs and no model predicts. Exit code 0 "
        "when every file is valid, 4 otherwise (every problem listed).",
    )
    p.add_argument("files", nargs="+", help="gate files")
    p.add_argument("-s", "--stage", action="append", default=[], help="only this stage")
    p.add_argument(
        "--schema-only",
        action="store_true",
        help="only the files themselves: no model or data is loaded (fast; for pre-commit)",
    )
    p.set_defaults(handler=_validate)


def _validate(args) -> int:
    failed = 0
    for name in args.files:
        problem = validate_file(Path(name), stages=args.stage, schema_only=args.schema_only)
        if problem is None:
            print(f"{name}: valid")
        else:
            failed += 1
            print(f"mlgate validate: {problem}", file=sys.stderr)
    return int(ExitCode.USAGE_ERROR) if failed else 0


def validate_file(path: Path, *, stages: list[str], schema_only: bool) -> str | None:
    """The problems of the gate file at ``path`` as one message, or None when it is valid."""
    from mlgate.core.context import GateContext
    from mlgate.core.gate import open_gate
    from mlgate.core.runner import select_stages

    try:
        gate = open_gate(path)
        selected = select_stages(gate, stages)
        if not schema_only:
            ctx = GateContext(gate)
            try:
                ctx.preflight([c for c in gate.checks if c.stage in selected])
            finally:
                ctx.close()
    except ConfigError as exc:  # SetupError is a ConfigError
        return str(exc)
    return None
