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

    def validate(
        self,
        n_rows: int,
        *,
        source: str,
        known_labels: Any = None,
        classes: Any = None,
    ) -> Predictions:
        """Check the predictions once, where the cache fills; returns ``self``.

        Raises :class:`PredictionError` naming ``source``, the rule, how many rows break it and
        the first few row indices, for: wrong shapes; non-finite values or scores; scores
        outside [0, 1] or rows of class probabilities that do not sum to 1 (within
        :data:`PROBABILITY_TOLERANCE`); missing (NaN/None) labels; labels outside the model's
        classes (its own, else ``classes`` declared in the gate file); and, when neither is
        known, labels that never occur in the dataset's ``known_labels``.
        """
        if self.task is Task.REGRESSION:
            _check(self.values, "values", (n_rows,), source)
            return self
        _check(self.labels, "labels", (n_rows,), source, finite=False)
        _rule(source, "predicted labels are missing (NaN or None)", _missing(self.labels))
        if self.scores is not None:
            k = len(self.classes) if self.classes is not None else self.scores.shape[-1]
            _check(self.scores, "scores", (n_rows, k), source)
            tol = PROBABILITY_TOLERANCE
            scores = np.asarray(self.scores, dtype=float)
            outside = ((scores < -tol) | (scores > 1 + tol)).any(axis=1)
            _rule(source, "class probabilities outside [0, 1]", outside)
            _rule(
                source,
                f"class probabilities that do not sum to 1 (± {tol:g})",
                np.abs(scores.sum(axis=1) - 1.0) > tol,
                fix="predict_proba must return one probability per class, each row summing to 1",
            )
        allowed = self.classes if self.classes is not None else classes
        if allowed is not None:
            _rule(
                source,
                f"predicted labels outside the model's classes {_short(list(allowed))}",
                ~_isin(self.labels, allowed),
                fix="the model must predict one of its classes (models.<name>.classes)",
            )
        elif known_labels is not None and len(known_labels):
            _rule(
                source,
                f"predicted labels that never occur in the dataset's labels "
                f"{_short(sorted(set(np.asarray(known_labels).tolist()), key=repr))}",
                ~_isin(self.labels, known_labels),
                fix="check the label encoding, or declare models.<name>.classes when the "
                "model may predict a class the dataset lacks",
            )
        return self


#: How far class probabilities may stray from [0, 1] and from summing to 1 (float32 softmax
#: outputs sum to 1 within ~1e-6; anything past 1e-3 is not a probability).
PROBABILITY_TOLERANCE = 1e-3


def _missing(labels: np.ndarray) -> np.ndarray:
    if labels.dtype.kind == "f":
        return np.isnan(labels)
    if labels.dtype.kind == "O":
        return np.asarray(pd.isna(labels), dtype=bool)  # None and NaN, vectorised
    return np.zeros(len(labels), dtype=bool)


def _isin(labels: np.ndarray, allowed: Any) -> np.ndarray:
    """(n,) whether each label is one of ``allowed`` (Python equality: ``1 == 1.0``).

    Compares the distinct labels only (a hash pass over the rows), not every row's Python
    object: at a million rows this is the difference between milliseconds and a second.
    """
    allowed_set = set(np.asarray(list(allowed), dtype=object).tolist())
    labels = np.asarray(labels)
    uniques = pd.unique(labels.ravel())
    outside = [v for v in np.asarray(uniques, dtype=object).tolist() if v not in allowed_set]
    if not outside:
        return np.ones(len(labels), dtype=bool)
    inside = [v for v in np.asarray(uniques, dtype=object).tolist() if v in allowed_set]
    return np.asarray(pd.Series(labels, dtype=object).isin(inside), dtype=bool)


def _short(values: list[Any], limit: int = 10) -> str:
    text = ", ".join(repr(v) for v in values[:limit])
    return f"[{text}{', ...' if len(values) > limit else ''}]"


def _rule(source: str, rule: str, bad: np.ndarray, *, fix: str = "") -> None:
    """Raise PredictionError when any row breaks ``rule`` (``bad`` marks them)."""
    rows = np.flatnonzero(bad)
    if len(rows) == 0:
        return
    first = ", ".join(str(int(i)) for i in rows[:5])
    raise PredictionError(
        f"{source}: {rule}: {len(rows)} of {len(bad)} rows (first at rows {first}); "
        f"{fix or 'fix the model or its inputs'}"
    )


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
