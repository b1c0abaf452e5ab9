"""Behavioural checks sized by precision, not by the data: a seeded stratified sample of rows.

A flip rate or a violation rate needs as many rows as the width of its interval asks for: at
20,000 changed rows a Wilson 95% interval is at most ±0.0069 wide (at a rate of 0.5) and about
±0.003 at a rate of 5%, narrower than any bound a gate sets. Perturbing every row of a
1,000,000-row evaluation set (10 variants: 10,000,000 model rows) buys no decision that 20,000
rows would not make, so a check perturbs at most ``rows`` rows (``rows: all`` keeps every row).

The sample is drawn without replacement from the check's own random stream, stratified by
the model's original prediction with proportional allocation (classification: the predicted
label; regression: the decile of the predicted value), so the sampled rows hold the data's
mix of predictions exactly (up to rounding). A proportional stratified sample is
self-weighting: the unweighted rate over it estimates the rate over every row without bias,
and its Wilson interval, which ignores the (variance-reducing) stratification and the finite
population, is conservative (`tests/checks/behavior/test_behavior_sampling.py` measures its
coverage of the full-data rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlgate.core.task import Task
from mlgate.models.base import Predictions

#: The default row cap of the transformation-based checks (``rows``).
DEFAULT_ROWS = 20_000

#: Quantile bins of a regression prediction used as strata.
REGRESSION_STRATA = 10


@dataclass(frozen=True)
class RowSample:
    """Which rows of the dataset a check perturbs: ``rows`` (sorted positions), or None for
    every row; ``total`` rows in the dataset; ``cap`` the ``rows`` parameter."""

    total: int
    rows: np.ndarray | None
    cap: int | None
    strata: str | None = None

    @property
    def sampled(self) -> bool:
        return self.rows is not None

    @property
    def used(self) -> int:
        return self.total if self.rows is None else len(self.rows)

    def to_dict(self) -> dict[str, Any]:
        """The evidence: rows used of how many, whether (and how) they were sampled."""
        return {
            "rows_used": self.used,
            "rows_total": self.total,
            "sampled": self.sampled,
            "max_rows": "all" if self.cap is None else self.cap,
            "method": (
                f"seeded stratified random sample without replacement, proportional to the "
                f"strata of {self.strata}"
                if self.sampled
                else "every row"
            ),
        }

    def describe(self) -> str:
        """A clause for the check's message; empty when every row was used."""
        if not self.sampled:
            return ""
        return f"a stratified sample of {self.used:,} of {self.total:,} rows"


def choose_rows(original: Predictions, cap: int | None, rng: np.random.Generator) -> RowSample:
    """Every row when ``cap`` is None or the data has at most ``cap`` rows (``rng`` is then not
    used, so small data gives the same draws as before sampling existed); else a seeded
    stratified sample of ``cap`` rows (:func:`stratified_sample`)."""
    n = len(original)
    if cap is None or n <= cap:
        return RowSample(total=n, rows=None, cap=cap)
    strata, what = prediction_strata(original)
    return RowSample(total=n, rows=stratified_sample(strata, cap, rng), cap=cap, strata=what)


def prediction_strata(original: Predictions) -> tuple[np.ndarray, str]:
    """(n,) stratum codes from the model's original predictions, and what they are."""
    if original.task is Task.REGRESSION:
        values = np.asarray(original.values, dtype=float)
        edges = np.quantile(values, np.linspace(0, 1, REGRESSION_STRATA + 1)[1:-1])
        return np.searchsorted(edges, values, side="right"), "the predicted value's deciles"
    _, codes = np.unique(np.asarray(original.labels), return_inverse=True)
    return codes.ravel(), "the predicted label"


def stratified_sample(strata: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` sorted positions drawn without replacement, each stratum's share of them
    proportional to its share of the rows (largest remainders; ties to the lower code).

    >>> rows = stratified_sample(np.array([0] * 90 + [1] * 10), 20, np.random.default_rng(0))
    >>> len(rows), int((rows >= 90).sum())
    (20, 2)
    """
    n = len(strata)
    if size >= n:
        return np.arange(n)
    codes, counts = np.unique(strata, return_counts=True)
    quota = counts * size / n
    take = np.floor(quota).astype(np.int64)
    short = size - int(take.sum())
    if short:
        order = np.lexsort((codes, -(quota - take)))
        take[order[:short]] += 1
    order = np.argsort(strata, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    chosen = [
        order[start + rng.choice(count, k, replace=False)]
        for start, count, k in zip(starts, counts, take, strict=True)
        if k
    ]
    return np.sort(np.concatenate(chosen))
