"""What a pytest run does after its reports are written, when asked to: log the run to MLflow
(``--mlgate-mlflow URI``) and promote (``--mlgate-promote STAGE:MODEL@ALIAS``). The plugin
calls :func:`after_gate`; it returns the lines to show and an exit status, and never raises
for a registry error, so the reports and the gate's own verdict are never lost."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.core.decision import ExitCode
from mlgate.mlflow.errors import REGISTRY_ERROR_EXIT, MlflowInputError, RegistryError
from mlgate.mlflow.log import log_run
from mlgate.mlflow.promote import promote
from mlgate.mlflow.result import candidate_run_id

_TARGET = re.compile(r"^(?P<stage>[A-Za-z0-9][\w.-]*):(?P<model>[^@:]+)@(?P<alias>[\w-]+)$")


@dataclass(frozen=True)
class PromoteTarget:
    """``STAGE:MODEL@ALIAS``: move ``MODEL@ALIAS`` to the candidate when ``STAGE`` promotes."""

    stage: str
    model_name: str
    alias: str

    @classmethod
    def parse(cls, text: str) -> PromoteTarget:
        """Parse ``production:churn@champion``; MlflowInputError for anything else."""
        match = _TARGET.match(text.strip())
        if match is None:
            raise MlflowInputError(
                f"--mlgate-promote {text!r}: expected STAGE:MODEL@ALIAS, e.g. "
                "production:churn@champion (move churn@champion to the candidate's version "
                "when stage production promotes)"
            )
        return cls(match["stage"], match["model"], match["alias"])


@dataclass(frozen=True)
class AfterGate:
    """The lines to show after the verdict, and the exit status the run should end with
    when something failed (``None``: leave it as the gate decided)."""

    lines: tuple[str, ...]
    exit_code: int | None = None


def after_gate(
    result_doc: Mapping[str, Any],
    outputs_dir: str | Path,
    *,
    tracking_uri: str | None,
    log: bool = True,
    into_candidate_run: bool = False,
    promote_to: PromoteTarget | None = None,
) -> AfterGate:
    """Log the run (when ``log``) and promote (when ``promote_to``), in that order, on
    ``tracking_uri`` (else ``MLFLOW_TRACKING_URI``; with neither, nothing is attempted: MLflow
    would fall back to a store in the current folder).

    A failed log does not stop the promotion (the promotion depends on the verdict only).
    Registry errors give exit status :data:`REGISTRY_ERROR_EXIT`, input errors 4; each is one
    line naming the model, version, alias and the fix."""
    lines: list[str] = []
    code: int | None = None
    tracking_uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not tracking_uri:
        return AfterGate(
            (
                "mlgate mlflow: error: no MLflow tracking server: pass --mlgate-mlflow URI or "
                "set MLFLOW_TRACKING_URI",
            ),
            int(ExitCode.USAGE_ERROR),
        )
    if log:
        try:
            run_id = candidate_run_id(result_doc) if into_candidate_run else None
            lines.append(
                log_run(result_doc, outputs_dir, tracking_uri=tracking_uri, run_id=run_id).summary()
            )
        except RegistryError as exc:
            lines.append(f"mlgate mlflow: registry error: {exc}")
            code = REGISTRY_ERROR_EXIT
        except MlflowInputError as exc:
            lines.append(f"mlgate mlflow: error: {exc}")
            code = int(ExitCode.USAGE_ERROR)
    if promote_to is not None:
        try:
            outcome = promote(
                result_doc,
                stage=promote_to.stage,
                model_name=promote_to.model_name,
                alias=promote_to.alias,
                tracking_uri=tracking_uri,
            )
            lines.append(f"mlgate promote: {outcome.summary()}")
        except RegistryError as exc:
            lines.append(f"mlgate promote: registry error: {exc}")
            code = REGISTRY_ERROR_EXIT
        except MlflowInputError as exc:
            lines.append(f"mlgate promote: error: {exc}")
            code = code or int(ExitCode.USAGE_ERROR)
    return AfterGate(tuple(lines), code)
