"""Mergeable metric state: ``update`` / ``merge`` / ``compute``.

Every metric in :mod:`mlgate.stats.metrics` is computed from an accumulator, so evaluating in
chunks, on several cores or on a distributed engine gives the same answer as one pass: update
one accumulator per chunk, ``merge`` them, ``compute`` once (property-tested: any split of the
data, merged, equals the whole).

Like torchmetrics' ``Metric``, a subclass declares its state (a mapping of NumPy arrays) and how
two states combine; the default combination is elementwise addition (counts and sums).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, TypeVar

import numpy as np

from mlgate.core.errors import MlgateError

A = TypeVar("A", bound="Accumulator")


class UndefinedMetricError(MlgateError, ValueError):
    """The metric has no value on this data (e.g. only one class present)."""


class Accumulator(ABC):
    """The state of one metric over the rows seen so far.

    ``update(y, output, sample_weight)`` adds rows (``y`` encoded labels or targets, ``output``
    the model output the metric needs; integer ``sample_weight`` = row multiplicity) and returns
    the accumulator itself; ``merge(other)`` returns a new accumulator holding both (neither
    input changes); ``compute()`` returns the metric or raises :class:`UndefinedMetricError`.
    """

    def __init__(self, metric: str, k: int) -> None:
        self.metric = metric
        self.k = k
        self.state: dict[str, np.ndarray] = self.initial_state()

    # -- what a subclass writes ---------------------------------------------------------
    @abstractmethod
    def initial_state(self) -> dict[str, np.ndarray]:
        """The state of no rows."""

    @abstractmethod
    def rows_state(
        self, y: np.ndarray, output: np.ndarray, weight: np.ndarray | None
    ) -> dict[str, np.ndarray]:
        """The state of these rows alone (``weight`` None: every row once)."""

    @abstractmethod
    def compute(self) -> float:
        """The metric of every row added; raises UndefinedMetricError when it has none."""

    def combine(self, a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The state of the rows of ``a`` and ``b`` together (default: add)."""
        return {name: a[name] + b[name] for name in a}

    # -- the protocol -------------------------------------------------------------------
    def update(self: A, y: Any, output: Any, sample_weight: Any = None) -> A:
        """Add rows; returns ``self`` so calls chain. Raises ValueError on mismatched lengths or
        negative weights."""
        y = np.asarray(y)
        output = np.asarray(output)
        if len(y) != len(output):
            raise ValueError(f"{self.metric}: {len(y)} labels but {len(output)} predictions")
        weight = None
        if sample_weight is not None:
            weight = np.asarray(sample_weight, dtype=float)
            if weight.shape != (len(y),) or (weight < 0).any():
                raise ValueError(
                    f"{self.metric}: sample_weight must be {len(y)} non-negative numbers"
                )
        if len(y):
            self.state = self.combine(self.state, self.rows_state(y, output, weight))
        return self

    def merge(self: A, other: A) -> A:
        """A new accumulator with the rows of both. Raises TypeError for a different metric
        or number of classes."""
        if (type(other), other.metric, other.k) != (type(self), self.metric, self.k):
            raise TypeError(
                f"cannot merge {type(other).__name__}({other.metric!r}, k={other.k}) into "
                f"{type(self).__name__}({self.metric!r}, k={self.k})"
            )
        merged = self.copy()
        merged.state = self.combine(self.state, other.state)
        return merged

    def copy(self: A) -> A:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.state = {name: np.array(value, copy=True) for name, value in self.state.items()}
        return new

    def __repr__(self) -> str:
        return f"{type(self).__name__}(metric={self.metric!r}, k={self.k})"


def undefined(reason: str):
    """Raise :class:`UndefinedMetricError` with ``reason``."""
    raise UndefinedMetricError(reason)
