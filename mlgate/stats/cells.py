"""A statistic of weighted *cells*: the shape every resampling method in mlgate works on.

A cell is a group of rows that are interchangeable for the statistic (for accuracy: rows with
the same (true, predicted) pair; for ROC AUC: rows with the same (score, label); otherwise a
single row). Resampling rows with replacement only changes how many rows each cell holds, so a
bootstrap resample is a vector of cell weights and the statistic is evaluated for a whole batch
of such vectors at once, without building a resamples × rows matrix of row indices.

A :class:`CellStatistic` is built by each metric family (``confusion``, ``losses``,
``ranking``) from encoded rows; ``value`` equals the metric's accumulator result on the same
rows (tested).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

BatchFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class CellStatistic:
    """A statistic of weighted cells.

    ``counts`` (d,) holds how many rows each cell has; ``row_cell`` (n,) the cell of each row
    (pairing two statistics on the same rows goes through it). ``batch(W)`` maps a (B, d)
    array of cell weights to (B,) values, NaN where the statistic is undefined (e.g. a resample
    without positives for ROC AUC). ``jackknife()`` returns (d,) leave-one-row-out values (the
    value without one row of cell j) or is None when no exact jackknife is implemented.
    ``batch_bits`` is an optional fast kernel for double-or-nothing weights given as packed
    bits (B, ceil(d/8)), little bit order, only valid when every cell holds one row.
    """

    name: str
    counts: np.ndarray
    row_cell: np.ndarray
    batch: BatchFn
    jackknife: Callable[[], np.ndarray] | None = None
    batch_bits: BatchFn | None = None

    @property
    def n_rows(self) -> int:
        return len(self.row_cell)

    @property
    def n_cells(self) -> int:
        return len(self.counts)

    @property
    def value(self) -> float:
        """The statistic on the data itself (every cell at its own count); NaN if undefined."""
        return float(self.batch(self.counts[None, :].astype(float))[0])


def cells_of(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``keys`` (sorted), rows per key, and the key index of each row."""
    uniq, row_cell, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return uniq, counts.astype(float), row_cell.reshape(-1).astype(np.intp)


def identity_cells(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every row its own cell: (counts, row_cell)."""
    return np.ones(n), np.arange(n, dtype=np.intp)


def safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with NaN where ``den`` is 0 (no warnings)."""
    num, den = np.broadcast_arrays(np.asarray(num, float), np.asarray(den, float))
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def zero_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with 0 where ``den`` is 0, as scikit-learn's ``zero_division=0``."""
    num, den = np.broadcast_arrays(np.asarray(num, float), np.asarray(den, float))
    out = np.zeros(num.shape)
    np.divide(num, den, out=out, where=den != 0)
    return out
