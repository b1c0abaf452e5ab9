"""MLflow integration (the ``mlgate[mlflow]`` extra; docs/mlflow.md).

- :func:`log_run` logs a gate run (verdict per stage, every statistic with its interval,
  the report, summary and model card) into a new MLflow run or the candidate's own.
- :func:`promote` moves a registry alias to the judged version only when a stage promoted,
  recording who and what decided in the version's tags.
- :func:`after_gate` is what the pytest plugin calls after a run
  (``--mlgate-mlflow``, ``--mlgate-promote``).

Loading ``models:/`` and ``runs:/`` models is the kernel's (:mod:`mlgate.models.mlflow`).
mlflow itself is imported only when one of these functions runs.
"""

from mlgate.mlflow.errors import REGISTRY_ERROR_EXIT, MlflowInputError, RegistryError
from mlgate.mlflow.log import LoggedRun, log_run
from mlgate.mlflow.promote import Outcome, Promotion, decision_tags, promote
from mlgate.mlflow.result import candidate_run_id, fingerprint
from mlgate.mlflow.session import AfterGate, PromoteTarget, after_gate

__all__ = [
    "REGISTRY_ERROR_EXIT",
    "AfterGate",
    "LoggedRun",
    "MlflowInputError",
    "Outcome",
    "PromoteTarget",
    "Promotion",
    "RegistryError",
    "after_gate",
    "candidate_run_id",
    "decision_tags",
    "fingerprint",
    "log_run",
    "promote",
]
