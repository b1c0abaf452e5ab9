"""Adapter for scikit-learn estimators (pipelines included): anything with ``predict``.

One pass per prediction: a classifier's labels come from its ``predict_proba`` (issue 16:
calling both ``predict`` and ``predict_proba`` doubled every model pass of a gate run)."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlgate.core.errors import ConfigError, PredictionError
from mlgate.core.task import Task
from mlgate.models.base import PROBABILITY_TOLERANCE, Predictions
from mlgate.models.callable import floats

#: Rows per estimator call: bounds the memory a pipeline's intermediate copies take (string
#: columns become Python objects inside an encoder) without measurable overhead per call.
CHUNK_ROWS = 262_144

#: Rows on which ``predict`` is compared with the labels taken from ``predict_proba``.
CONSISTENCY_ROWS = 256

#: Two class probabilities this close are a tie: ``predict`` may pick either class.
TIE_TOLERANCE = 1e-6

LabelSource = Literal["proba", "predict"]


class SklearnAdapter:
    """Wraps a fitted estimator with the scikit-learn ``predict`` / ``predict_proba`` API.

    Classification with ``predict_proba``: ``scores`` from it (columns follow
    ``estimator.classes_``) and, by default (``labels="proba"``), ``labels`` the most probable
    class, ``classes_[argmax]``: one model pass instead of two (``predict`` of a classifier
    recomputes the same probabilities). ``predict`` is still called on a small seeded sample
    of every call's rows (:data:`CONSISTENCY_ROWS`) and must agree there except on ties, so a
    model whose ``predict`` applies a decision rule of its own (a tuned threshold) is caught
    and not silently re-labelled; such a model is wrapped with ``labels="predict"``.
    Without ``predict_proba``, ``labels`` come from ``predict``. Regression: ``values`` from
    ``predict`` as float. Rows go to the estimator in chunks of at most ``chunk_rows``.
    """

    kind = "sklearn"

    def __init__(
        self,
        estimator: Any,
        task: Task,
        *,
        labels: LabelSource = "proba",
        chunk_rows: int = CHUNK_ROWS,
    ) -> None:
        if labels not in ("proba", "predict"):
            raise ConfigError(
                f"labels={labels!r} is not a label source; use 'proba' (classes_[argmax] of "
                "predict_proba) or 'predict' (the estimator's own predict)"
            )
        if chunk_rows < 1:
            raise ConfigError(f"chunk_rows={chunk_rows!r} must be a positive number of rows")
        self.estimator = estimator
        self.task = Task(task)
        self.labels = labels
        self.chunk_rows = int(chunk_rows)

    @property
    def _name(self) -> str:
        return _qualified_class(self.estimator)

    def predict(self, X: pd.DataFrame) -> Predictions:
        """Return the estimator's predictions for every row of ``X``.

        Raises:
            PredictionError: the estimator raised, returned arrays of an unusable shape, or
                its ``predict`` disagrees with its ``predict_proba`` beyond ties.
        """
        est = self.estimator
        try:
            if self.task is Task.REGRESSION:
                raw = self._chunked(est.predict, X)
                return Predictions(task=self.task, values=_as_float_vector(raw, self._name))
            if not hasattr(est, "predict_proba"):
                return Predictions(task=self.task, labels=self._chunked(est.predict, X))
            scores = np.asarray(self._chunked(est.predict_proba, X), dtype=float)
            classes = tuple(np.asarray(est.classes_).tolist())
            if self.labels == "predict":
                labels = self._chunked(est.predict, X)
            else:
                labels = self._labels_from_scores(X, scores)
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
        return Predictions(task=self.task, labels=labels, scores=scores, classes=classes)

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

    def _chunked(self, method: Any, X: pd.DataFrame) -> np.ndarray:
        """``method`` over ``X`` in chunks of at most ``chunk_rows`` rows, concatenated."""
        n = len(X)
        if n <= self.chunk_rows:
            return np.asarray(method(X))
        parts = [
            np.asarray(method(X.iloc[start : start + self.chunk_rows]))
            for start in range(0, n, self.chunk_rows)
        ]
        return np.concatenate(parts)

    def _labels_from_scores(self, X: pd.DataFrame, scores: np.ndarray) -> np.ndarray:
        """``classes_[argmax(scores)]``, after checking ``predict`` agrees on a sample.

        The sample is the same for the same number of rows (seed 0), so a run is
        reproducible. ``predict`` and ``predict_proba`` are both asked about the sampled rows
        alone, so the check is a property of the model's two methods on the same inputs,
        whatever else was in the batch. Rows whose scores are not probabilities (NaN, outside
        [0, 1]) are left to :meth:`Predictions.validate`, which reports them with every bad row.
        """
        classes = np.asarray(self.estimator.classes_)
        if scores.ndim != 2 or scores.shape != (len(X), len(classes)):
            raise PredictionError(
                f"{self._name}: predict_proba returned shape {scores.shape}, expected "
                f"({len(X)}, {len(classes)}) (one probability per class in classes_)"
            )
        labels = classes[scores.argmax(axis=1)] if len(X) else classes[:0]
        if len(X) == 0:
            return labels
        m = min(len(X), CONSISTENCY_ROWS)
        rows = np.sort(np.random.default_rng(0).choice(len(X), m, replace=False))
        sample = X.iloc[rows]
        said = np.asarray(self.estimator.predict(sample))
        if said.shape != (m,):
            raise PredictionError(
                f"{self._name}: predict returned shape {said.shape} for {m} rows, expected ({m},)"
            )
        sample_scores = np.asarray(self.estimator.predict_proba(sample))
        if sample_scores.shape != (m, len(classes)):
            sample_scores = scores[rows]  # the shape is checked on the full pass above
        disagree = _disagreements(said, sample_scores, classes)
        if len(disagree):
            first = ", ".join(
                f"row {int(rows[i])}: predict {said[i]!r}, predict_proba's most probable "
                f"{classes[sample_scores[i].argmax()]!r}"
                for i in disagree[:3]
            )
            raise PredictionError(
                f"{self._name}: predict disagrees with the most probable class of "
                f"predict_proba on {len(disagree)} of {m} sampled rows beyond ties ({first}). "
                "mlgate takes labels from predict_proba (one model pass, not two); for a model "
                "whose predict applies its own decision rule (a tuned threshold), set "
                "'labels: predict' on the model in the gate file (models.<name>.labels), or "
                "adapt it with mlgate.models.adapt(model, task, labels='predict') in Python."
            )
        return labels


def _disagreements(said: np.ndarray, scores: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Sample positions where ``predict``'s label is not (one of) the most probable classes.

    A label outside ``classes_`` disagrees; rows whose scores are not finite probabilities
    or do not sum to 1 are skipped (validation reports those)."""
    tol = PROBABILITY_TOLERANCE
    ok = np.isfinite(scores).all(axis=1) & ((scores >= -tol) & (scores <= 1 + tol)).all(axis=1)
    ok &= np.abs(scores.sum(axis=1) - 1.0) <= tol
    index = {c: j for j, c in enumerate(classes.tolist())}
    col = np.array([index.get(v, -1) for v in said.tolist()], dtype=np.int64)
    top = scores.max(axis=1)
    picked = np.where(col >= 0, scores[np.arange(len(said)), np.maximum(col, 0)], -np.inf)
    return np.flatnonzero(ok & (picked < top - TIE_TOLERANCE))


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
