"""``mlgate promote`` and ``mlgate log-mlflow``: the MLflow registry and tracking, after a run.

Exit codes: 0 promoted (or the alias already pointed there) / logged, 10 held (nothing
moved), 4 usage errors and unreadable inputs, 11 a registry or tracking-server error (the
alias was not moved). The commands need ``mlgate[mlflow]`` (docs/mlflow.md).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mlgate.cli.inputs import InputError, read_result_file
from mlgate.core.decision import ExitCode

TRACKING_HELP = "MLflow tracking server (default: $MLFLOW_TRACKING_URI)"


def register_promote(sub) -> None:
    p = sub.add_parser(
        "promote",
        help="move an MLflow registry alias to the candidate when a stage promoted",
        description="Point MODEL@ALIAS at the model version the gate judged, only when STAGE "
        "promoted in the result, and record who and what decided in the version's tags "
        "(mlgate.<alias>.*). A held stage touches nothing. Exit code 0 moved (or already "
        "there), 10 held (not moved), 4 usage error, 11 registry error (not moved).",
    )
    p.add_argument("result", help="a result.json written by mlgate")
    p.add_argument("-s", "--stage", required=True, help="the stage whose verdict decides")
    p.add_argument("--alias", required=True, help="the alias to move, e.g. champion")
    p.add_argument(
        "--model",
        default=None,
        help="registered model name (default: the one the candidate was loaded from)",
    )
    p.add_argument(
        "--version",
        default=None,
        help="the version to promote (default: the one the candidate was loaded from)",
    )
    p.add_argument("--role", default="candidate", help="the judged model (default: candidate)")
    p.add_argument("--tracking-uri", default=None, help=TRACKING_HELP)
    p.set_defaults(handler=_promote)


def _promote(args) -> int:
    from mlgate.mlflow import Outcome, RegistryError, promote
    from mlgate.mlflow.result import model_origin

    doc = read_result_file(args.result)
    model = args.model or model_origin(doc, args.role).get("model")
    if not model:
        raise InputError(
            f"{args.result}: model {args.role!r} was not loaded from the MLflow registry; "
            "pass --model NAME (the registered model whose alias moves)"
        )
    try:
        done = promote(
            doc,
            stage=args.stage,
            model_name=model,
            alias=args.alias,
            tracking_uri=_tracking_uri(args),
            version=args.version,
            role=args.role,
        )
    except RegistryError as exc:
        return _registry_error("promote", exc)
    print(done.summary())
    return int(ExitCode.HOLD) if done.outcome is Outcome.HELD else 0


def register_log_mlflow(sub) -> None:
    p = sub.add_parser(
        "log-mlflow",
        help="log a gate run (verdicts, metrics, report, card) to MLflow",
        description="Log the verdict per stage, every check's statistic with its interval, "
        "and the report, summary and model card files into an MLflow run: a new run in "
        "--experiment (default: the gate's name), or --run-id, or with --candidate-run the "
        "run the candidate model was logged in. Exit code 0 logged, 4 usage error, "
        "11 tracking-server error.",
    )
    p.add_argument("result", help="a result.json written by mlgate")
    p.add_argument(
        "--outputs",
        default=None,
        help="the report directory whose files are logged (default: the result's folder)",
    )
    p.add_argument("--tracking-uri", default=None, help=TRACKING_HELP)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--experiment", default=None, help="experiment of the new run")
    where.add_argument("--run-id", default=None, help="log into this existing run")
    where.add_argument(
        "--candidate-run",
        action="store_true",
        help="log into the run the candidate model came from",
    )
    p.set_defaults(handler=_log_mlflow)


def _log_mlflow(args) -> int:
    from mlgate.mlflow import RegistryError, candidate_run_id, log_run

    doc = read_result_file(args.result)
    run_id = args.run_id
    if args.candidate_run:
        run_id = candidate_run_id(doc)
        if run_id is None:
            raise InputError(
                f"{args.result}: the candidate was not loaded from MLflow (no mlflow_run_id "
                "under models.candidate); drop --candidate-run to log to a new run"
            )
    outputs = Path(args.outputs) if args.outputs else Path(args.result).parent
    try:
        logged = log_run(
            doc,
            outputs,
            tracking_uri=_tracking_uri(args),
            run_id=run_id,
            experiment=args.experiment,
        )
    except RegistryError as exc:
        return _registry_error("log-mlflow", exc)
    print(logged.summary())
    return 0


def _tracking_uri(args) -> str:
    uri = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        # MLflow would fall back to a local store in the current folder: never what a
        # promotion in CI means.
        raise InputError(
            "no MLflow tracking server: pass --tracking-uri URI or set MLFLOW_TRACKING_URI"
        )
    return uri


def _registry_error(command: str, exc: Exception) -> int:
    from mlgate.mlflow import REGISTRY_ERROR_EXIT

    print(f"mlgate {command}: registry error: {exc}", file=sys.stderr)
    return REGISTRY_ERROR_EXIT
