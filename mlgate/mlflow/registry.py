"""The MLflow client the integration talks through, and how its failures are reported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mlgate.mlflow.errors import RegistryError
from mlgate.models.mlflow_uri import display_uri, import_mlflow, short_error, unreachable

T = TypeVar("T")


class Registry:
    """An ``MlflowClient`` for one tracking server (``None``: MLflow's own default, that is
    ``MLFLOW_TRACKING_URI``), whose requests fail as :class:`RegistryError`."""

    def __init__(self, tracking_uri: str | None) -> None:
        mlflow = import_mlflow()
        from mlflow.client import MlflowClient
        from mlflow.exceptions import MlflowException

        self.client = MlflowClient(tracking_uri=tracking_uri)
        self.tracking = display_uri(tracking_uri or mlflow.get_tracking_uri())
        # requests' errors are OSErrors; MLflow wraps most of them in an MlflowException.
        self._errors: tuple[type[BaseException], ...] = (MlflowException, OSError)

    def call(
        self, action: str, fn: Callable[..., T], *args: Any, state: str, fix: str = "", **kw: Any
    ) -> T:
        """``fn(*args, **kw)``; a failure becomes :meth:`fail` (``action``, ``state``, ``fix``)."""
        try:
            return fn(*args, **kw)
        except self._errors as exc:
            raise self.fail(action, exc, state=state, fix=fix) from exc

    def is_error(self, exc: BaseException) -> bool:
        return isinstance(exc, self._errors)

    def fail(self, action: str, exc: BaseException, *, state: str, fix: str = "") -> RegistryError:
        """``could not <action> on the MLflow tracking server <uri>: <cause>. <state>. Fix:
        <fix>``; ``fix`` defaults to what the cause suggests (:func:`default_fix`)."""
        return RegistryError(
            f"could not {action} on the MLflow tracking server {self.tracking}: "
            f"{short_error(exc)}. {state}. Fix: {fix or default_fix(exc)}"
        )


def error_code(exc: BaseException) -> str:
    """MLflow's error code (``RESOURCE_DOES_NOT_EXIST``, ...), or '' for other errors."""
    return str(getattr(exc, "error_code", "") or "")


def default_fix(exc: BaseException) -> str:
    """What to do about ``exc``: reach the server, get edit rights, or fix a name."""
    if unreachable(exc):
        return (
            "start the tracking server or fix the tracking URI (--tracking-uri, else "
            "MLFLOW_TRACKING_URI); MLFLOW_HTTP_REQUEST_MAX_RETRIES bounds the retries"
        )
    if error_code(exc) in ("PERMISSION_DENIED", "UNAUTHENTICATED"):
        return (
            "use credentials with edit rights on the model (MLFLOW_TRACKING_TOKEN, or "
            "MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD)"
        )
    if error_code(exc) == "RESOURCE_DOES_NOT_EXIST":
        return "check the name (MlflowClient().search_registered_models()) and the version"
    return "see the tracking server's log for this request, then run the command again"
