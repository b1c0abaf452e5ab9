"""Models from MLflow: a registry version (``models:/name@alias``, ``models:/name/version``)
or a run's model (``runs:/run_id/path``), loaded through MLflow's own flavour loaders.

The model's files are downloaded once into a private folder, the MLmodel file chooses the
flavour (``sklearn`` → the estimator, ``pytorch`` → the ``torch.nn.Module``, else
``python_function`` → a callable), and the flavour's adapter is wrapped so that
``describe()`` also says where the model came from (URI, registered model, version, alias,
run, flavour) and ``identity()`` hashes the model's files. An alias is resolved to a version
once, before anything is downloaded, so the version recorded is the version judged even if
the alias moves while the gate runs.

The trust rules are mlgate's (docs/gate-file.md): a flavour whose files run code when loaded
(pickle, cloudpickle, a pickled torch module, pyfunc code) needs ``trust: true``; an sklearn
model saved in MLflow's ``skops`` format loads without it when skops trusts every type in
it by default. Resolving the URI to files is :mod:`mlgate.models.mlflow_uri`.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from mlgate.config.schema import ModelSpec
from mlgate.core.errors import ModelLoadError, UntrustedModelError, require
from mlgate.core.task import Task
from mlgate.models.adapt import adapt
from mlgate.models.base import ModelAdapter, Predictions
from mlgate.models.mlflow_uri import MlflowOrigin, UriResolver, import_mlflow, short_error
from mlgate.models.torch import import_torch

#: MLflow flavour → the adapter kind mlgate gives it, in order of preference for kind auto.
FLAVOR_KINDS = {"sklearn": "sklearn", "pytorch": "torch", "python_function": "callable"}
KIND_FLAVORS = {kind: flavor for flavor, kind in FLAVOR_KINDS.items()}
#: Files MLflow adds to a download that are not the model (excluded from the identity hash).
NOT_MODEL_FILES = frozenset({"registered_model_meta"})


class MlflowModelAdapter:
    """The adapter of a model loaded from MLflow: the flavour's adapter (``inner``) with the
    model's origin added to :meth:`describe`. Other attributes (``estimator``, ``module``,
    ``task``, ...) are the inner adapter's, so checks that need the estimator still find it."""

    def __init__(
        self,
        inner: ModelAdapter,
        origin: MlflowOrigin,
        identity: str,
        files: tempfile.TemporaryDirectory | None = None,
    ) -> None:
        self.inner = inner
        self.origin = origin
        self._identity = identity
        self._files = files  # a pyfunc model may read its files lazily: keep them while alive

    @property
    def kind(self) -> str:
        return self.inner.kind

    def predict(self, X: pd.DataFrame) -> Predictions:
        """The inner adapter's predictions."""
        return self.inner.predict(X)

    def describe(self) -> dict[str, Any]:
        """The inner adapter's description plus :meth:`MlflowOrigin.describe`."""
        info = {**self.inner.describe(), **self.origin.describe()}
        fn = getattr(self.inner, "fn", None)
        if isinstance(fn, PyfuncPredict):  # not the wrapper's own name
            info["name"] = f"MLflow python_function model ({fn.loader})"
        return info

    def identity(self) -> str:
        """``sha256:`` of the model's files (paths and bytes): the same registry version gives
        the same identity whichever alias or URI named it."""
        return self._identity

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)


class PyfuncPredict:
    """Calls an MLflow ``python_function`` model's ``predict`` on a feature frame."""

    def __init__(self, model: Any, loader: str) -> None:
        self.model = model
        self.loader = loader

    def __call__(self, X: pd.DataFrame) -> Any:
        return self.model.predict(X)


@functools.cache
def _exported_module_class() -> type:
    torch = import_torch()

    class ExportedModule(torch.nn.Module):
        """A ``torch.export`` program (MLflow 3's default pytorch format) as a module the
        torch adapter can run: such a graph has no train/eval switch (its ``eval()`` raises),
        so switching modes only records the flag."""

        def __init__(self, program: Any) -> None:
            super().__init__()
            self.program = program

        def train(self, mode: bool = True) -> ExportedModule:
            self.training = mode
            return self

        def forward(self, *args: Any) -> Any:
            return self.program(*args)

    return ExportedModule


def exported_module(program: Any) -> Any:
    """Wrap the module of a ``torch.export`` program for :class:`TorchAdapter`."""
    return _exported_module_class()(program)


def load_mlflow_model(
    spec: ModelSpec, *, name: str, task: Task, seed: int, device: str | None = None
) -> MlflowModelAdapter:
    """Load the model ``spec.uri`` names from MLflow and return its adapter.

    Raises:
        ModelLoadError: the URI does not resolve (unknown model, version, alias or run; the
            tracking server does not answer), the model has no flavour mlgate adapts or the
            one ``kind`` asks for, or MLflow fails to load it. The message names the URI.
        UntrustedModelError: loading the flavour would run code and ``spec.trust`` is off.
        MissingDependencyError: mlflow (or torch, skops for their flavours) is not installed.
    """
    assert spec.uri is not None
    src = UriResolver(import_mlflow(), spec, name)
    source, origin = src.resolve()
    files = tempfile.TemporaryDirectory(prefix="mlgate-mlflow-")
    try:
        local = src.download(source, Path(files.name))
        meta = src.read_meta(local)
        flavor = choose_flavor(src, meta)
        origin = MlflowOrigin(
            uri=spec.uri,
            flavor=flavor,
            run_id=origin.run_id or getattr(meta, "run_id", None),
            registered_model=origin.registered_model,
            version=origin.version,
            alias=origin.alias,
            model_id=getattr(meta, "model_id", None),
        )
        identity = files_identity(local)  # before loading: a loader may write beside them
        check_trust(src, meta, flavor, local, origin)
        obj = load_flavor(src, flavor, local, meta)
        try:
            inner = adapt(
                obj,
                task,
                kind=FLAVOR_KINDS[flavor],
                classes=spec.classes,
                batch_size=spec.batch_size,
                device=device,
                seed=seed,
                labels=spec.labels,
            )
        except ModelLoadError as exc:
            raise src.error(str(exc)) from exc
    except BaseException:
        files.cleanup()
        raise
    if flavor != "python_function":
        files.cleanup()  # the estimator or module is in memory; its files are not needed
        files = None
    return MlflowModelAdapter(inner, origin, identity, files)


def files_identity(folder: Path) -> str:
    """``sha256:`` over every file under ``folder`` (relative path and bytes, sorted by path),
    leaving out what MLflow adds to a download (:data:`NOT_MODEL_FILES`)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if path.name in NOT_MODEL_FILES:
            continue
        digest.update(rel.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return "sha256:" + digest.hexdigest()


def choose_flavor(src: UriResolver, meta: Any) -> str:
    """The flavour to load: the one ``kind`` names, else the first of :data:`FLAVOR_KINDS`
    the model has. ModelLoadError naming the model's flavours otherwise."""
    flavors = sorted(meta.flavors)
    kind = src.spec.kind
    if kind != "auto":
        flavor = KIND_FLAVORS[kind]
        if flavor not in meta.flavors:
            raise src.error(
                f"kind {kind!r} needs the {flavor!r} flavour, but the model has {flavors}; "
                "set 'kind: auto' (or 'callable' for its python_function flavour)"
            )
        return flavor
    for flavor in FLAVOR_KINDS:
        if flavor in meta.flavors:
            return flavor
    raise src.error(
        f"the model has flavours {flavors} and none that mlgate can run (sklearn, pytorch "
        "or python_function); log it with one of those flavours"
    )


def check_trust(
    src: UriResolver, meta: Any, flavor: str, local: Path, origin: MlflowOrigin
) -> None:
    """Raise UntrustedModelError when loading ``flavor`` would run code and the gate file
    did not say ``trust: true``."""
    if src.spec.trust:
        return
    reason = _unsafe_reason(src, meta, flavor, local)
    if reason is None:
        return
    what = (
        f"version {origin.version} of {origin.registered_model!r}"
        if origin.version
        else "the model"
    )
    raise UntrustedModelError(
        f"model {src.name!r}: {src.uri}: {what} {reason} To load it anyway, set "
        f"'trust: true' under 'models.{src.name}' in the gate file, but only for models "
        "from a registry you trust. Safer: log scikit-learn models with "
        "mlflow.sklearn.log_model(..., serialization_format='skops')."
    )


def _unsafe_reason(src: UriResolver, meta: Any, flavor: str, local: Path) -> str | None:
    """Why loading ``flavor`` from ``local`` would run code (completes "version 2 of 'churn'
    ..."), or None when it would not: only skops files whose every type skops trusts."""
    pyfunc = meta.flavors.get("python_function", {})
    if flavor == "sklearn" or (
        flavor == "python_function" and pyfunc.get("loader_module") == "mlflow.sklearn"
    ):
        conf = meta.flavors.get("sklearn", {})
        fmt = conf.get("serialization_format", "pickle")
        if fmt != "skops":
            return (
                f"is saved with serialization_format {fmt!r}, and unpickling runs "
                "arbitrary code on load."
            )
        sio = require("skops.io", extra="skops", package="skops", feature="MLflow skops models")
        path = local / str(conf.get("pickled_model", "model.skops"))
        try:
            untrusted = sio.get_untrusted_types(file=path)
        except Exception as exc:
            raise src.error(f"cannot read {path.name}: {short_error(exc)}") from exc
        if untrusted:
            return (
                "contains types skops does not trust by default, which could run code "
                f"when loaded: {', '.join(untrusted)}."
            )
        return None
    if flavor == "pytorch" or pyfunc.get("loader_module") == "mlflow.pytorch":
        data = local / str(meta.flavors.get("pytorch", {}).get("model_data", "data"))
        if (data / "model.pt2").is_file():  # MLflow 3's default: a torch.export program
            return (
                "is a pytorch model saved with torch.export, whose loading may unpickle "
                "objects stored in it, and unpickling runs arbitrary code."
            )
        return (
            "is a pytorch model saved as a pickled torch.nn.Module, and unpickling runs "
            "arbitrary code on load."
        )
    loader = pyfunc.get("loader_module") or "a python_model"
    return (
        f"is a python_function model ({loader}) whose loading imports and runs code from the model."
    )


def load_flavor(src: UriResolver, flavor: str, local: Path, meta: Any) -> Any:
    """The model object through MLflow's loader for ``flavor``: the estimator, the module
    (a torch.export program wrapped by :func:`exported_module`), or a :class:`PyfuncPredict`."""
    try:
        if flavor == "sklearn":
            import mlflow.sklearn

            return mlflow.sklearn.load_model(str(local))
        if flavor == "pytorch":
            import_torch()
            import mlflow.pytorch

            module = mlflow.pytorch.load_model(str(local), map_location="cpu")
            data = local / str(meta.flavors["pytorch"].get("model_data", "data"))
            return exported_module(module) if (data / "model.pt2").is_file() else module
        import mlflow.pyfunc

        loader = meta.flavors["python_function"].get("loader_module") or "python_model"
        return PyfuncPredict(mlflow.pyfunc.load_model(str(local)), loader)
    except (ModelLoadError, MemoryError):
        raise
    except Exception as exc:
        raise src.error(f"MLflow could not load its {flavor} flavour: {short_error(exc)}") from exc
