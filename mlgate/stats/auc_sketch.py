"""A mergeable ROC AUC with a stated error bound: one :class:`~mlgate.stats.sketches.ValueSketch`
of the positive class's scores and one of the negatives'.

ROC AUC = P(s+ > s-) + ½ P(s+ = s-) over (positive, negative) pairs (the Mann–Whitney form,
scikit-learn's ``roc_auc_score``). With both sketches on the same buckets, a pair whose two
scores fall in different buckets is ordered by the buckets; a pair inside one bucket that
holds a single value is a tie (½). Only pairs inside one bucket of several values are unknown:
they are counted ½ each, so the error is at most ½ Σ_b p+_b · p-_b (``max_error``, the
shares of each class in bucket b), and the true AUC lies within ``[low, high]`` =
``auc ∓ max_error``. While both sketches are exact (at most their capacity of distinct
scores) the error is 0 and the AUC is exact.

As with the other sketches, the state and so the AUC do not depend on how the rows were
split (:mod:`mlgate.stats.sketches`).

Example::

    acc = AucSketch()
    for y, s in batches:  # y: 1 for the positive class, 0 otherwise; s: its score
        acc = acc.merge(AucSketch().update(y, s))
    est = acc.compute()   # est.auc, est.max_error, est.low, est.high
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlgate.stats.accumulators import undefined
from mlgate.stats.sketch_two_sample import align
from mlgate.stats.sketches import DEFAULT_CAPACITY, ValueSketch

__all__ = ["AucEstimate", "AucSketch"]


@dataclass(frozen=True)
class AucEstimate:
    """The AUC and the bound on its error: the true AUC lies in ``[low, high]``."""

    auc: float
    max_error: float
    n_positive: int
    n_negative: int
    exact: bool

    @property
    def low(self) -> float:
        return max(0.0, self.auc - self.max_error)

    @property
    def high(self) -> float:
        return min(1.0, self.auc + self.max_error)


@dataclass
class AucSketch:
    """Value sketches of the positives' and the negatives' scores (``capacity`` buckets each).
    ``update(y, scores)`` adds rows (``y`` true for positives); ``merge`` adds another's rows;
    ``compute()`` gives an :class:`AucEstimate`."""

    capacity: int = DEFAULT_CAPACITY
    positive: ValueSketch = field(init=False)
    negative: ValueSketch = field(init=False)

    def __post_init__(self) -> None:
        self.positive = ValueSketch(self.capacity)
        self.negative = ValueSketch(self.capacity)

    def update(self, y: Any, scores: Any) -> AucSketch:
        """Add rows; returns ``self``. Raises ValueError for lengths that differ or a score
        that is not finite (the AUC of a missing score is undefined)."""
        y = np.asarray(y).astype(bool)
        scores = np.asarray(scores, dtype=float)
        if y.shape != scores.shape:
            raise ValueError(f"{len(y)} labels but {len(scores)} scores")
        if not np.isfinite(scores).all():
            raise ValueError("ROC AUC needs finite scores")
        self.positive.update(scores[y])
        self.negative.update(scores[~y])
        return self

    def merge(self, other: AucSketch) -> AucSketch:
        """A new sketch of both (neither changes)."""
        out = AucSketch(self.capacity)
        out.positive = self.positive.merge(other.positive)
        out.negative = self.negative.merge(other.negative)
        return out

    def compute(self) -> AucEstimate:
        """The AUC with its error bound. Raises UndefinedMetricError without both classes."""
        if self.positive.n == 0 or self.negative.n == 0:
            undefined("ROC AUC needs both a positive and a negative row")
        s = align(self.positive, self.negative)
        n_pos, n_neg = s.n1, s.n2
        p_pos, p_neg = s.counts1 / n_pos, s.counts2 / n_neg
        below = np.concatenate([[0.0], np.cumsum(p_neg)[:-1]])  # negatives in earlier buckets
        auc = float(np.sum(p_pos * below) + 0.5 * np.sum(p_pos * p_neg))
        wide = ~s.single
        error = float(0.5 * np.sum(p_pos[wide] * p_neg[wide]))
        exact = bool(self.positive.exact and self.negative.exact)
        return AucEstimate(auc, error, n_pos, n_neg, exact)
