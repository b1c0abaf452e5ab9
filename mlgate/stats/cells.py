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


def packed_sum_kernel(values: np.ndarray) -> BatchFn:
    """A kernel mapping packed double-or-nothing bits (B, ceil(d / 8)), little bit order, to
    the (B,) means of ``values`` (d,) over the rows whose bit is set (NaN when none is): the
    weighted mean Σ w·v / Σ w with w = 2·bit, without building the (B, d) weight block.

    Each byte of bits holds two nibbles; a table of the 16 possible partial sums of every
    nibble's four values (32 bytes per row in all) turns a resample into 2·d/8 table look-ups
    and a sum, instead of unpacking d float weights and a product. Equal to the dense kernel
    up to floating-point summation order (tested).
    """
    v = np.asarray(values, dtype=float)
    d = len(v)
    n_bytes = (d + 7) // 8
    padded = np.zeros(n_bytes * 8)
    padded[:d] = v
    quads = padded.reshape(-1, 4)  # (2·n_bytes, 4): low nibble, high nibble, low, ...
    subsets = (np.arange(16)[:, None] >> np.arange(4)) & 1  # (16, 4)
    table = (quads @ subsets.T.astype(float)).reshape(n_bytes, 2, 16)
    low = np.ascontiguousarray(table[:, 0, :]).ravel()
    high = np.ascontiguousarray(table[:, 1, :]).ravel()
    base = (np.arange(n_bytes, dtype=np.intp) * 16)[None, :]
    last_valid = np.uint8((1 << (d % 8)) - 1) if d % 8 else np.uint8(0xFF)
    popcount = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).sum(axis=1)

    def kernel(bits: np.ndarray) -> np.ndarray:
        bits = np.asarray(bits, dtype=np.uint8).reshape(-1, n_bytes)
        if d % 8:
            bits = bits.copy()
            bits[:, -1] &= last_valid
        total = np.take(low, base + (bits & 15)).sum(axis=1)
        total += np.take(high, base + (bits >> 4)).sum(axis=1)
        kept = popcount[bits].sum(axis=1, dtype=np.float64)
        return safe_divide(total, kept)

    return kernel
