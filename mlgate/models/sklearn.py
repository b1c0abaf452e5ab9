"""Adapter for scikit-learn estimators (pipelines included): anything with ``predict``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from mlgate.core.errors import PredictionError
from mlgate.core.task import Task
from mlgate.models.base import Predictions
from mlgate.models.callable import floats


class SklearnAdapter:
    """Wraps a fitted estimator with the scikit-learn ``predict`` / ``predict_proba`` API.

    Classification: ``labels`` from ``predict``; ``scores`` from ``predict_proba`` when the
    estimator offers it, with columns following ``estimator.classes_``.
    Regression: ``values`` from ``predict`` as float.
    """

    kind = "sklearn"

    def __init__(self, estimator: Any, task: Task) -> None:
        self.estimator = estimator
        self.task = Task(task)

    @property
    def _name(self) -> str:
        return _qualified_class(self.estimator)

    def predict(self, X: pd.DataFrame) -> Predictions:
        """Return the estimator's predictions for every row of ``X``.

        Raises:
            PredictionError: the estimator raised, or returned arrays of an unusable shape.
        """
        est = self.estimator
        try:
            raw = np.asarray(est.predict(X))
            if self.task is Task.REGRESSION:
                return Predictions(task=self.task, values=_as_float_vector(raw, self._name))
            if not hasattr(est, "predict_proba"):
                return Predictions(task=self.task, labels=raw)
            scores = np.asarray(est.predict_proba(X), dtype=float)
            classes = tuple(np.asarray(est.classes_).tolist())
        except PredictionError:
            raise
        except Exception as exc:
            raise PredictionError(
                f"{self._name} failed to predict {len(X)} rows: {type(exc).__name__}: {exc}"
            ) from exc
        if self.task is Task.BINARY and len(classes) != 2:
            raise PredictionError(
                f"{self._name} has classes {list(classes)} but the gate's task is 'binary', "
                "which needs exactly 2; set 'task: multiclass' or fix the model."
            )
        return Predictions(task=self.task, labels=raw, scores=scores, classes=classes)

    def describe(self) -> dict[str, Any]:
        """Return ``{"kind", "class", "params"}``; non-JSON parameter values become reprs."""
        try:
            params = self.estimator.get_params(deep=False)
        except Exception:  # an estimator-like object without get_params
            params = {}
        return {
            "kind": self.kind,
            "class": self._name,
            "params": {str(k): jsonable(v) for k, v in sorted(params.items())},
        }


def _as_float_vector(raw: np.ndarray, source: str) -> np.ndarray:
    if raw.ndim == 2 and raw.shape[1] == 1:
        raw = raw[:, 0]
    return floats(raw, source)


def _qualified_class(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def jsonable(value: Any) -> Any:
    """Return ``value`` if JSON can hold it exactly, containers converted item by item,
    numpy scalars as Python scalars, and anything else as its ``repr``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, np.generic) and not isinstance(value, np.object_):
        return jsonable(value.item())
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: jsonable(v) for k, v in value.items()}
    return repr(value)
