"""The ``confidence`` check at a given threshold as a fold over batches, so it runs on a
partitioned dataset where the rows live (docs/scale.md).

At a fixed threshold t the verdict needs two counts: rows with confidence ≥ t, and how many of
them are right. The risk–coverage curve shown beside it needs, for each distinct confidence,
its rows and hits: a batch folds its confidences into two :class:`~mlgate.stats.sketches.
ValueSketch` es (every row's, and the right rows'), which are exact (every distinct value with
its count) up to their capacity of 65,536 distinct values and merge exactly in any order.

Above the capacity a bucket spans several confidences; the curve is then drawn at each
bucket's least confidence, where it is still exact: every row at or above that value is in
this bucket or a higher one. So the curve's points are exact points of the in-memory curve,
only fewer of them; the verdict's counts are exact at any size.

``target_accuracy`` chooses the threshold on a seeded calibration split of the rows (a
permutation of every row): that mode needs every row in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlgate.checks.calibration.confidence import RiskCoverage, top_label
from mlgate.checks.calibration.folded import encode_scores
from mlgate.core.context import Batch
from mlgate.stats.sketches import ValueSketch


@dataclass
class ConfidenceState:
    """What a batch folds into: every row's confidence and the right rows' (sketches), the
    rows at or above the threshold and the right ones among them."""

    every: ValueSketch
    right: ValueSketch
    covered: int
    correct: int

    @property
    def n(self) -> int:
        return self.every.n

    def merge(self, other: ConfidenceState) -> ConfidenceState:
        return ConfidenceState(
            self.every.merge(other.every),
            self.right.merge(other.right),
            self.covered + other.covered,
            self.correct + other.correct,
        )

    def curve(self) -> RiskCoverage:
        """The risk–coverage curve: at every distinct confidence while the sketch is exact
        (the in-memory curve, number for number), else at each bucket's least confidence."""
        keys, counts, lows, _ = self.every.at_level(self.every.level)
        hit_keys, hit_counts, _, _ = self.right.at_level(self.every.level)
        hits = np.zeros(len(keys), dtype=np.int64)
        hits[np.searchsorted(keys, hit_keys)] = hit_counts
        covered = np.cumsum(counts[::-1])
        correct = np.cumsum(hits[::-1])
        n = int(covered[-1]) if len(covered) else 0
        return RiskCoverage(lows[::-1], covered / n, correct / covered, covered, n, correct)


@dataclass(frozen=True)
class ConfidenceFold:
    """``fold(batch)`` → the :class:`ConfidenceState` of one batch (picklable: an engine runs
    it where a partition lives). ``classes`` fix the label encoding for every batch."""

    classes: tuple[Any, ...]
    threshold: float
    model: str = "candidate"
    dataset: str = "evaluation"

    def __call__(self, batch: Batch) -> ConfidenceState:
        y, scores = encode_scores(batch, self.classes, self.model, self.dataset, "confidence")
        conf, hit = top_label(y, scores)
        shown = conf >= self.threshold
        return ConfidenceState(
            ValueSketch.of(conf),
            ValueSketch.of(conf[hit]),
            int(shown.sum()),
            int((hit & shown).sum()),
        )
