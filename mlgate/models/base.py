"""The model interface the kernel sees: one ``predict`` that returns :class:`Predictions`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from mlgate.core.errors import PredictionError
from mlgate.core.task import Task


@dataclass(frozen=True)
class Predictions:
    """What a model said about one dataset.

    Classification: ``labels`` (n,) and, when the model gives them, ``scores`` (n, k) class
    probabilities whose columns follow ``classes``. Regression: ``values`` (n,).
    Arrays are read-only so checks sharing them through the cache cannot alter them.
    """

    task: Task
    labels: np.ndarray | None = None
    scores: np.ndarray | None = None
    values: np.ndarray | None = None
    classes: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("labels", "scores", "values"):
            arr = getattr(self, name)
            if arr is not None:
                arr = np.asarray(arr)
                arr.setflags(write=False)
                object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        arr = self.values if self.task is Task.REGRESSION else self.labels
        return 0 if arr is None else len(arr)

    def rows(self, start: int, stop: int) -> Predictions:
        """The predictions of rows ``start:stop`` (views of the same read-only arrays)."""
        return Predictions(
            task=self.task,
            labels=None if self.labels is None else self.labels[start:stop],
            scores=None if self.scores is None else self.scores[start:stop],
            values=None if self.values is None else self.values[start:stop],
            classes=self.classes,
        )

    def validate(self, n_rows: int, *, source: str) -> Predictions:
        """Raise :class:`PredictionError` naming ``source`` on wrong shapes or non-finite values."""
        if self.task is Task.REGRESSION:
            _check(self.values, "values", (n_rows,), source)
            return self
        _check(self.labels, "labels", (n_rows,), source, finite=False)
        if self.scores is not None:
            k = len(self.classes) if self.classes is not None else self.scores.shape[-1]
            _check(self.scores, "scores", (n_rows, k), source)
        return self


def _check(arr, name: str, shape: tuple[int, ...], source: str, finite: bool = True) -> None:
    if arr is None:
        raise PredictionError(
            f"{source}: the model gave no {name}; expected an array of shape {shape}."
        )
    if arr.shape != shape:
        raise PredictionError(
            f"{source}: {name} have shape {arr.shape}, expected {shape} "
            "(one prediction per row of the dataset)."
        )
    if finite and np.issubdtype(arr.dtype, np.number) and not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr).reshape(len(arr), -1).all(axis=1))
        raise PredictionError(
            f"{source}: {name} contain {len(bad)} non-finite (NaN or inf) rows, first at row "
            f"{int(bad[0])}; a gate cannot judge NaN predictions. Fix the model or its inputs."
        )


@runtime_checkable
class ModelAdapter(Protocol):
    """Wraps one loaded model. ``kind`` is ``sklearn``, ``torch`` or ``callable``."""

    kind: str

    def predict(self, X: pd.DataFrame) -> Predictions:
        """Predict every row of ``X`` (a feature frame; never modified)."""
        ...

    def describe(self) -> dict[str, Any]:
        """A JSON-able description (class, parameters) for result.json and the model card."""
        ...
