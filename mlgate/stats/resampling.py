"""Bootstrap resampling as cell weights, drawn in chunks of resamples.

Three ways to draw a resample's weights over the cells of a :class:`CellStatistic`:

``multinomial`` over rows
    The ordinary bootstrap: n row indices drawn with replacement per resample, counted per
    cell. Used while rows × resamples stays under :data:`ROW_DRAWS` (the draws are then the
    same as :func:`mlgate.stats.bootstrap.percentile_bootstrap`'s for the same generator), and
    for many cells up to :data:`LARGE_ROWS` rows.
``multinomial`` over cells
    The same distribution drawn directly: resampling rows only changes how many rows each cell
    gets, and those numbers are Multinomial(n, counts / n). Exact and cheap when the statistic
    has few cells (label metrics: at most (k+1)² cells, whatever n is).
``double_or_nothing``
    For many cells *and* many rows: each row's weight is 0 or 2 with probability one half
    (Owen & Eckles 2012, "Bootstrapping data arrays of arbitrary order", Ann. Appl. Stat.;
    the same first two moments as the bootstrap's Poisson(1) row weights), i.e. a cell of c
    rows gets 2·Binomial(c, 1/2). One random bit per row makes a million-row resample cheap.

Chunks hold at most :data:`MAX_CHUNK_CELLS` weights, so memory is bounded whatever
``n_rows × n_resamples`` is; the draws do not depend on the chunk size (tested).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import numpy as np

Scheme = Literal["auto", "multinomial", "double_or_nothing"]
SCHEMES = ("auto", "multinomial", "double_or_nothing")

#: Row indices drawn in all before ``auto`` draws over cells or uses double-or-nothing.
ROW_DRAWS = 20_000_000
#: Up to this many cells (or with ≥ 8 rows per cell) multinomial weights are drawn over cells.
SMALL_CELLS = 64
#: Above this many rows (and more than SMALL_CELLS cells), ``auto`` uses double-or-nothing.
LARGE_ROWS = 200_000
#: Weights (resamples × cells) per chunk.
MAX_CHUNK_CELLS = 8_000_000


def choose(scheme: Scheme, n_rows: int, n_cells: int, n_resamples: int = 1000) -> str:
    """The drawing method for ``scheme``: ``multinomial-cells``, ``multinomial-rows`` or
    ``double-or-nothing``. Raises ValueError for an unknown scheme."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown resampling scheme {scheme!r}; use one of {list(SCHEMES)}")
    if scheme == "double_or_nothing":
        return "double-or-nothing"
    if n_rows * n_resamples <= ROW_DRAWS:
        return "multinomial-rows"
    if n_cells <= SMALL_CELLS or 8 * n_cells <= n_rows:
        return "multinomial-cells"
    if scheme == "multinomial" or n_rows <= LARGE_ROWS:
        return "multinomial-rows"
    return "double-or-nothing"


def chunk_sizes(n_resamples: int, per_resample: int) -> Iterator[int]:
    """Sizes of consecutive chunks of resamples, each with at most MAX_CHUNK_CELLS weights."""
    chunk = max(1, min(n_resamples, MAX_CHUNK_CELLS // max(per_resample, 1)))
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        yield size
        done += size


def multinomial_cells(rng: np.random.Generator, counts: np.ndarray, size: int) -> np.ndarray:
    """(size, d) bootstrap cell weights: Multinomial(n, counts / n)."""
    n = int(np.rint(counts.sum()))
    return rng.multinomial(n, counts / counts.sum(), size=size).astype(float)


def multinomial_rows(
    rng: np.random.Generator, row_cell: np.ndarray, n_cells: int, size: int
) -> np.ndarray:
    """(size, d) bootstrap cell weights from n row indices drawn per resample."""
    n = len(row_cell)
    cells = row_cell[rng.integers(0, n, size=(size, n))]
    cells += (np.arange(size) * n_cells)[:, None]
    return np.bincount(cells.ravel(), minlength=size * n_cells).reshape(size, n_cells).astype(float)


def random_bits(rng: np.random.Generator, n_bits: int, size: int) -> np.ndarray:
    """(size, ceil(n_bits / 8)) packed random bits (little bit order). Each resample takes
    whole 64-bit draws, so the bits do not depend on how resamples are chunked."""
    n_bytes = (n_bits + 7) // 8
    words = (n_bytes + 7) // 8
    raw = np.asarray(rng.bit_generator.random_raw(size * words), dtype="<u8")
    return raw.view(np.uint8).reshape(size, words * 8)[:, :n_bytes]


def double_or_nothing(
    rng: np.random.Generator, counts: np.ndarray, bits: np.ndarray | None = None
) -> np.ndarray:
    """(size, d) double-or-nothing cell weights: 2·bit for one-row cells, 2·Binomial(c, 1/2)
    for cells of c > 1 rows. ``bits`` are packed bits from :func:`random_bits`; ``rng`` draws
    only the multi-row cells (give it a stream of its own so chunking cannot shift it)."""
    d = len(counts)
    w = 2.0 * np.unpackbits(bits, axis=1, count=d, bitorder="little")
    multi = np.flatnonzero(counts > 1)
    if len(multi):
        w[:, multi] = 2.0 * rng.binomial(counts[multi].astype(np.int64), 0.5, (len(w), len(multi)))
    return w
