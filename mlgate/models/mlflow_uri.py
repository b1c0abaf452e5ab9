"""Resolving an MLflow model URI to its files: ``models:/name@alias`` and
``models:/name/version`` through the registry (an alias becomes its version, once),
``runs:/run_id/path`` through the run (an MLflow 3 logged model, or the run's own
artifacts). Every failure is a ModelLoadError that names the URI and the fix.

Every request goes to the tracking URI the gate file names (else MLflow's default), never to
a local store by accident. mlflow is imported only when a gate names a ``uri``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.config.schema import ModelSpec
from mlgate.core.errors import ModelLoadError, require


@dataclass(frozen=True)
class MlflowOrigin:
    """Where an MLflow model came from; :meth:`describe` is what result.json records."""

    uri: str
    flavor: str
    run_id: str | None = None
    registered_model: str | None = None
    version: str | None = None
    alias: str | None = None
    model_id: str | None = None

    def describe(self) -> dict[str, str]:
        """The non-empty fields as ``mlflow_*`` keys (flat, so the model card shows each)."""
        fields = {
            "mlflow_uri": self.uri,
            "mlflow_model": self.registered_model,
            "mlflow_version": self.version,
            "mlflow_alias": self.alias,
            "mlflow_run_id": self.run_id,
            "mlflow_model_id": self.model_id,
            "mlflow_flavor": self.flavor,
        }
        return {k: v for k, v in fields.items() if v}


def import_mlflow() -> Any:
    """``mlflow``, or MissingDependencyError naming the ``mlgate[mlflow]`` extra."""
    # mlflow.client, not mlflow: a folder named mlflow on sys.path (a test folder) would
    # import as an empty namespace package and hide that MLflow is not installed.
    require("mlflow.client", extra="mlflow", package="mlflow", feature="MLflow models (uri:)")
    import mlflow

    return mlflow


def display_uri(uri: str) -> str:
    """``uri`` without a ``user:password@`` part, for messages."""
    return re.sub(r"^([a-z][\w+.-]*://)[^/@]*@", r"\1", uri)


class UriResolver:
    """Finds the files of ``spec.uri``; each step raises a ModelLoadError naming the URI."""

    def __init__(self, mlflow: Any, spec: ModelSpec, name: str) -> None:
        from mlflow.client import MlflowClient

        self.mlflow, self.spec, self.name = mlflow, spec, name
        self.uri = str(spec.uri)
        self.client = MlflowClient(tracking_uri=spec.tracking_uri)
        self.tracking = display_uri(spec.tracking_uri or mlflow.get_tracking_uri())

    def error(self, message: str) -> ModelLoadError:
        return ModelLoadError(f"model {self.name!r}: {self.uri}: {message}")

    # -- where the files are -----------------------------------------------------------

    def resolve(self) -> tuple[str, MlflowOrigin]:
        """The artifact URI to download and what is known of the origin so far. An alias is
        resolved to its version here, once."""
        forms = {k: re.match(v, self.uri) for k, v in ModelSpec.URI_FORMS.items()}
        if forms["run"]:
            run_id, path = forms["run"]["run_id"], forms["run"]["path"].strip("/")
            source = self._run_model(run_id, path)
            return source, MlflowOrigin(uri=self.uri, flavor="", run_id=run_id)
        match = forms["alias"] or forms["version"]
        assert match is not None  # the schema accepts no other form
        model, alias = match["name"], match.groupdict().get("alias")
        try:
            if alias is not None:
                mv = self.client.get_model_version_by_alias(model, alias)
            else:
                mv = self.client.get_model_version(model, match["version"])
            source = self.client.get_model_version_download_uri(model, mv.version)
        except Exception as exc:
            raise self._registry_error(
                exc, model, alias=alias, version=match.groupdict().get("version")
            ) from exc
        origin = MlflowOrigin(
            uri=self.uri,
            flavor="",
            run_id=mv.run_id or None,
            registered_model=model,
            version=str(mv.version),
            alias=alias,
        )
        return source, origin

    def _run_model(self, run_id: str, path: str) -> str:
        """Where the model ``path`` of run ``run_id`` is stored: MLflow 3 keeps it as a
        logged model whose source is the run, MLflow 2 with the run's artifacts. (MLflow's
        own ``runs:/`` resolution, and ``MlflowClient.list_artifacts``, look the logged model
        up on the default tracking URI, not on the one the gate file names.)"""
        try:
            run = self.client.get_run(run_id)
            logged = self._logged_model(run.info.experiment_id, run_id, path)
        except Exception as exc:
            if unreachable(exc):
                raise self.error(self._unreachable_message(exc)) from exc
            raise self.error(
                f"there is no run {run_id!r} on the tracking server {self.tracking} "
                f"({short_error(exc)}); check the run id in the URI, or the tracking URI "
                f"('tracking_uri' under models.{self.name}, else MLFLOW_TRACKING_URI)"
            ) from exc
        return logged or f"{run.info.artifact_uri.rstrip('/')}/{path}"

    def _logged_model(self, experiment_id: str, run_id: str, name: str) -> str | None:
        """The artifact location of the MLflow 3 logged model ``name`` from ``run_id``."""
        search = getattr(self.client, "search_logged_models", None)
        token = None
        while search is not None:
            page = search(
                experiment_ids=[experiment_id], filter_string=f"name = '{name}'", page_token=token
            )
            for model in page:
                if model.source_run_id == run_id:
                    return model.artifact_location
            token = page.token
            if not token:
                break
        return None

    def _registry_error(
        self, exc: Exception, model: str, *, alias: str | None, version: str | None
    ) -> ModelLoadError:
        if unreachable(exc):
            return self.error(self._unreachable_message(exc))
        try:
            registered = self.client.get_registered_model(model)
        except Exception:
            return self.error(
                f"there is no registered model {model!r} on the tracking server "
                f"{self.tracking}; check the name in the URI, or the tracking URI "
                f"('tracking_uri' under models.{self.name}, else MLFLOW_TRACKING_URI)"
            )
        if alias is not None:
            aliases = aliases_of(registered)
            known = ", ".join(f"@{a} → version {v}" for a, v in sorted(aliases.items()))
            return self.error(
                f"registered model {model!r} has no alias {alias!r} "
                f"({'its aliases: ' + known if known else 'it has no aliases'}); set it with "
                f"MlflowClient().set_registered_model_alias({model!r}, {alias!r}, <version>) "
                "or name another alias or a version in the URI"
            )
        return self.error(
            f"registered model {model!r} has no version {version!r} ({short_error(exc)}); "
            "name an existing version or an alias in the URI"
        )

    def _unreachable_message(self, exc: Exception) -> str:
        return (
            f"the MLflow tracking server {self.tracking} did not answer ({short_error(exc)}); "
            f"start it or fix the tracking URI ('tracking_uri' under models.{self.name}, "
            "else MLFLOW_TRACKING_URI)"
        )

    def download(self, source: str, dst: Path) -> Path:
        from mlflow.artifacts import download_artifacts

        try:
            local = download_artifacts(
                artifact_uri=source, dst_path=str(dst), tracking_uri=self.spec.tracking_uri
            )
        except Exception as exc:
            if unreachable(exc):
                raise self.error(self._unreachable_message(exc)) from exc
            raise self.error(
                f"could not download the model's files from {source}: {short_error(exc)}; "
                "check the model's name in the URI: runs:/<run_id>/<the name log_model gave>"
            ) from exc
        return Path(local)

    def read_meta(self, local: Path) -> Any:
        from mlflow.models import Model

        if not (local / "MLmodel").is_file():
            raise self.error(
                "the files at this URI are not an MLflow model (no MLmodel file); point the "
                "URI at the folder a log_model call wrote (runs:/<run_id>/<name>)"
            )
        try:
            return Model.load(str(local))
        except Exception as exc:
            raise self.error(f"cannot read its MLmodel file: {short_error(exc)}") from exc

    # -- which flavour, and whether it may be loaded -------------------------------------


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the tracking server did not answer (MLflow wraps the connection
    error in an MlflowException whose text says so; requests' own errors are OSErrors)."""
    text = str(exc)
    return isinstance(exc, OSError) or (
        "failed with exception" in text and ("Connection" in text or "Max retries" in text)
    )


def short_error(exc: BaseException, limit: int = 300) -> str:
    """``exc``'s text on one line, cut to ``limit`` characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def aliases_of(registered_model: Any) -> dict[str, str]:
    """``{alias: version}`` of an MLflow RegisteredModel (a mapping, or in some versions a
    list of RegisteredModelAlias objects)."""
    raw = getattr(registered_model, "aliases", None) or {}
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    return {str(a.alias): str(a.version) for a in raw}
