"""``mlgate init``: the command line of the scaffold (what it reads, what it may trust, where
it writes); :mod:`mlgate.cli.scaffold` writes the gate."""

from __future__ import annotations

import sys
from pathlib import Path

from mlgate.cli.inputs import InputError


def register_init(sub) -> None:
    p = sub.add_parser(
        "init",
        help="scaffold a working gate file from a model and data",
        description="Write a reviewable gate file that passes the model it was made from: "
        "metric thresholds at the lower end of the candidate's own confidence intervals "
        "less a stated margin, a baseline comparison, non-inferiority to a champion (with "
        "--champion), data expectations inferred from the data, drift against a reference "
        "(with --reference), calibration (classifiers) and slices for the categorical "
        "columns, every line commented. Without --model, thresholds come from a zero-rule "
        "baseline. Every threshold is measured by running the check itself on the data.",
    )
    p.add_argument("--data", required=True, help="evaluation data (.csv or .parquet)")
    p.add_argument("--label", required=True, help="the label column")
    p.add_argument(
        "--model",
        default=None,
        help="the candidate: a model file (.skops, .joblib, .pkl, ...) or module:callable",
    )
    p.add_argument("--champion", default=None, help="the model in production today (a file)")
    p.add_argument(
        "--reference",
        default=None,
        help="the training (or last known-good) data, .csv or .parquet: drift is judged "
        "against it and baselines are fitted on it",
    )
    p.add_argument(
        "--trust-type",
        action="append",
        default=[],
        metavar="TYPE",
        help="a type a .skops file may hold beyond those skops trusts by default "
        "(repeat it; written to the gate file as 'trusted: [...]')",
    )
    p.add_argument(
        "--trust",
        action="store_true",
        help="trust the model files: a .skops file's types are listed as found, a pickle "
        "(.joblib, .pkl) gets 'trust: true'. Only for files from a source you trust",
    )
    p.add_argument("--task", choices=("auto", "binary", "multiclass", "regression"), default="auto")
    p.add_argument("-o", "--output", default="mlgate.yaml")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(handler=_init)


def _init(args) -> int:
    from mlgate.cli.scaffold import ScaffoldRequest, scaffold_gate

    out = Path(args.output)
    if out.exists() and not args.force:
        raise InputError(f"{out}: already exists; pass --force to overwrite it")
    request = ScaffoldRequest(
        data=Path(args.data),
        label=args.label,
        model=args.model,
        champion=args.champion,
        reference=Path(args.reference) if args.reference else None,
        task=args.task,
        trust_types=tuple(args.trust_type),
        trust=args.trust,
        gate_path=out.resolve(),
    )
    text = scaffold_gate(request, note=lambda line: print(line, file=sys.stderr))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0
