"""Choose the adapter for an in-memory model object."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Literal

from mlgate.core.errors import ConfigError, ModelLoadError
from mlgate.core.task import Task
from mlgate.models.base import ModelAdapter
from mlgate.models.callable import CallableAdapter
from mlgate.models.sklearn import SklearnAdapter
from mlgate.models.torch import TorchAdapter, import_torch

Kind = Literal["auto", "sklearn", "torch", "callable"]
KINDS = ("auto", "sklearn", "torch", "callable")

_ACCEPTED = (
    "an mlgate ModelAdapter, a torch.nn.Module, an object with a scikit-learn style "
    "'predict' method, or a callable f(X) returning predictions"
)


def adapt(
    obj: Any,
    task: Task,
    *,
    kind: Kind = "auto",
    classes: Sequence[Any] | None = None,
    batch_size: int = 1024,
    device: str | None = None,
    seed: int = 0,
    labels: Literal["proba", "predict"] = "proba",
) -> ModelAdapter:
    """Return a :class:`ModelAdapter` for ``obj``.

    With ``kind="auto"``: an object that already is a ModelAdapter is returned as is; a
    ``torch.nn.Module`` gets a TorchAdapter; anything with ``predict`` an SklearnAdapter;
    any other callable a CallableAdapter. ``kind`` forces one of them. ``classes``,
    ``batch_size``, ``device`` and ``seed`` (torch's generator during prediction, so a module
    that samples at inference gives the same output for the same seed) go to the adapters
    that use them. ``labels`` is where a scikit-learn classifier's labels come from:
    ``"proba"`` (the most probable class of ``predict_proba``, one model pass; ``predict`` is
    checked against it on a sample) or ``"predict"`` (for a classifier whose ``predict``
    applies a decision rule of its own, e.g. a tuned threshold).

    Raises:
        ModelLoadError: ``obj`` is none of the accepted kinds, or not of the forced kind.
        ConfigError: ``kind`` is not one of auto, sklearn, torch, callable.
        MissingDependencyError: ``kind="torch"`` and torch is not installed.
    """
    task = Task(task)
    if kind not in KINDS:
        raise ConfigError(f"model kind {kind!r} is unknown; use one of {list(KINDS)}")
    if kind == "auto":
        kind = _detect(obj)
    if kind == "torch":
        torch = import_torch()
        if not isinstance(obj, torch.nn.Module):
            raise _wrong_kind(obj, "torch", "a torch.nn.Module")
        return TorchAdapter(
            obj, task, classes=classes, batch_size=batch_size, device=device, seed=seed
        )
    if kind == "sklearn":
        if not callable(getattr(obj, "predict", None)):
            raise _wrong_kind(obj, "sklearn", "an object with a 'predict' method")
        return SklearnAdapter(obj, task, labels=labels)
    if kind == "callable":
        if not callable(obj):
            raise _wrong_kind(obj, "callable", "a callable f(X)")
        return CallableAdapter(obj, task, classes=classes)
    return obj  # kind == "adapter"


def _detect(obj: Any) -> str:
    if isinstance(obj, ModelAdapter):
        return "adapter"
    torch = sys.modules.get("torch")  # a Module cannot exist unless torch was imported
    if torch is not None and isinstance(obj, torch.nn.Module):
        return "torch"
    if callable(getattr(obj, "predict", None)):
        return "sklearn"
    if callable(obj):
        return "callable"
    raise ModelLoadError(
        f"cannot use an object of type {_type_name(obj)} as a model; mlgate accepts {_ACCEPTED}."
    )


def _wrong_kind(obj: Any, kind: str, needs: str) -> ModelLoadError:
    return ModelLoadError(
        f"kind {kind!r} needs {needs}, but the model is of type {_type_name(obj)}; "
        "fix 'kind' in the gate file or leave it as 'auto'."
    )


def _type_name(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"
