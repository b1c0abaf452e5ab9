"""The errors of the MLflow integration, and the exit code of a registry error."""

from __future__ import annotations

from mlgate.core.errors import MlgateError

#: Exit status of ``mlgate promote`` / ``mlgate log-mlflow`` (and of a pytest run with
#: ``--mlgate-promote``) when the tracking server or the registry refused or failed a request.
#: 0 is promote (moved), 10 hold (not moved), 4 a usage error; 11 is none of those.
REGISTRY_ERROR_EXIT = 11


class MlflowInputError(MlgateError, ValueError):
    """What was asked does not fit the result: a stage the run did not decide, a model or
    version other than the one the gate judged, an outputs folder that does not exist.
    Raised before the registry is touched."""


class RegistryError(MlgateError, RuntimeError):
    """The MLflow tracking server or model registry refused or failed a request. The message
    names the model, version, alias (or run) and tracking server, says what was and was not
    changed, and how to fix it."""
