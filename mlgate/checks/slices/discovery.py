"""Slice discovery: a SliceLine-style lattice search for the slices where a model errs most.

Features are binned once (numeric: ``n_bins`` quantile bins, half-open [a, b); categorical: the
``max_categories − 1`` most frequent values and "other"; missing values are their own bin;
:mod:`mlgate.checks.slices.discovery_bins`), so a slice of level L is a conjunction of L
(feature = bin) predicates. Each feature combination is one ``bincount`` over the rows of its
combined bin codes, giving every slice's size and error sum at once (Sagadeeva & Boehm 2021
enumerate the same lattice with sparse matrix products). These counts add up across batches,
so the check folds them over the batches of a dataset (:mod:`mlgate.checks.slices.discovery_fold`)
and runs where the rows live, at any size; everything below is computed from the folded counts.
A child that holds exactly its parent's rows is dropped as a duplicate.

Each slice with ``min_size`` ≤ size ≤ n − ``min_size`` is tested against the rest of the rows:
a one-sided hypergeometric (Fisher exact) test when errors are 0/1, otherwise Welch's z-test;
the p-values of *every* slice evaluated are adjusted together (Holm by default), so with
uniform errors the chance of flagging any slice stays near ``alpha``. ``min_gap`` is a minimum
effect: the null hypothesis is "the gap (slice error − rest error) is at most ``min_gap``"
(with ``min_gap`` > 0 the 0/1 test is the hypergeometric's normal approximation, its mean
shifted by the errors such a gap adds), and a slice is *flagged* when its adjusted p-value is
≤ ``alpha`` and its gap is at least ``min_gap``. Slices are ranked flagged first, then by
SliceLine's score α (ē_S / ē − 1) − (1 − α)(n / |S| − 1), which trades error against size.

Errors are not uniform for a healthy model: a classifier errs near its decision boundary,
so a bin of its most important feature holds more errors however good the model is. With
``strata`` (one difficulty stratum per row, e.g. deciles of the model's confidence) each
slice is compared with the rows *of the same stratum*: the Cochran–Mantel–Haenszel test, the
sum over strata of the slice's errors against their expectation under no association within
the stratum (the stratified permutation distribution: hypergeometric for 0/1 errors, with a
continuity correction), normal approximation, one-sided. The slice's *excess* is
(observed − expected errors) / size, and ``min_gap`` applies to it; the score uses
observed / expected in place of ē_S / ē.

The search is bounded: ``max_level`` (default 2) and ``max_seconds`` (checked between feature
combinations while counting; a truncated search says so). The number of
slices evaluated is at most Σ over feature combinations of the product of their bin counts.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr
from scipy.stats import hypergeom

from mlgate.checks.slices.discovery_bins import column_bins, scan_frame
from mlgate.checks.slices.discovery_fold import Counts, Scale, check_errors, count_cells
from mlgate.core.errors import DataError
from mlgate.core.progress import Advance
from mlgate.core.result import rounded
from mlgate.stats.intervals import wilson_interval, z_value
from mlgate.stats.multiple_testing import Correction, adjust


@dataclass(frozen=True)
class BinnedFeatures:
    """Per feature: int codes (n,) and a label per code; ``approximate``: the features whose
    quantile edges are value-sketch bucket boundaries (more than 65,536 distinct values)."""

    names: list[str]
    codes: list[np.ndarray]
    labels: list[list[str]]
    approximate: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.codes[0]) if self.codes else 0


def bin_features(
    frame: pd.DataFrame, columns: list[str], *, n_bins: int = 5, max_categories: int = 20
) -> BinnedFeatures:
    """Bin ``columns`` of ``frame`` (not modified) as the check bins them (one batch of the
    folded path: :mod:`mlgate.checks.slices.discovery_bins`). Numeric columns with more than
    ``n_bins`` distinct values get quantile bins; others are categories. Raises DataError for
    a missing column."""
    bins = [column_bins(s, n_bins, max_categories) for s in scan_frame(frame, list(columns))]
    return BinnedFeatures(
        [b.name for b in bins],
        [b.codes(frame[c]) for b, c in zip(bins, columns, strict=True)],
        [list(b.labels) for b in bins],
        [b.name for b in bins if b.approximate],
    )


@dataclass(frozen=True)
class Discovery:
    """The ranked slices (up to ``top_k``), how many were evaluated, and the search's limits."""

    slices: list[dict[str, Any]]
    n_evaluated: int
    n_flagged: int
    levels_done: int
    truncated: bool
    mean_error: float
    binary_errors: bool
    seconds: float
    notes: list[str] = field(default_factory=list)
    #: How many difficulty strata each slice was compared within (1: with the whole rest).
    strata: int = 1


class _Table:
    """Columns of candidate slices collected level by level."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []
        self.keys: list[tuple[tuple[int, ...], np.ndarray]] = []

    def add(self, feats: tuple[int, ...], cells: np.ndarray, **columns: np.ndarray) -> None:
        self.parts.append(columns)
        self.keys.append((feats, cells))

    def column(self, name: str) -> np.ndarray:
        return np.concatenate([p[name] for p in self.parts]) if self.parts else np.zeros(0)


def _unravel(cells: np.ndarray, dims: list[int]) -> np.ndarray:
    return np.stack(np.unravel_index(cells, dims), axis=1)


def n_combinations(n_features: int, max_level: int) -> int:
    """How many feature combinations a search up to ``max_level`` visits."""
    return sum(math.comb(n_features, lvl) for lvl in range(1, max_level + 1))


def discover(
    errors: Any,
    binned: BinnedFeatures,
    *,
    min_size: int = 30,
    max_level: int = 2,
    alpha: float = 0.05,
    correction: Correction = "holm",
    min_gap: float = 0.0,
    top_k: int = 10,
    max_seconds: float = 60.0,
    score_alpha: float = 0.95,
    level: float = 0.95,
    progress: Advance | None = None,
    strata: Any = None,
) -> Discovery:
    """Search the slices of ``binned`` for high ``errors`` (n,) non-negative per-row errors:
    the rows as one batch of the folded path (:func:`count_cells`, then :func:`search`).
    ``progress(1)`` (optional) is called after each feature combination; there are
    :func:`n_combinations` of them. ``strata`` (optional, (n,) non-negative int codes)
    compares each slice with the rows of the same stratum (module docstring); a single
    stratum is the unstratified search.

    Raises DataError for errors or strata of the wrong length, or negative errors."""
    start = time.perf_counter()
    deadline = time.time() + max_seconds
    e = np.asarray(errors, dtype=float)
    n = binned.n_rows
    if e.shape != (n,):
        raise DataError(f"slice discovery needs {n} finite non-negative errors, got {e.shape}")
    check_errors(e, None)
    codes, k = None, 0
    if strata is not None:
        codes = np.asarray(strata)
        if codes.shape != (n,) or not np.issubdtype(codes.dtype, np.integer) or (codes < 0).any():
            raise DataError(f"slice discovery needs {n} non-negative integer strata codes")
        _, codes = np.unique(codes, return_inverse=True)
        codes = codes.astype(np.int64).reshape(-1)
        k = int(codes.max()) + 1 if n else 0
    integer = bool((e == np.floor(e)).all())
    scale = Scale.of(float(e.max()) if n else 0.0, integer=integer)
    binary = bool(np.isin(e, (0.0, 1.0)).all())
    squares = None if binary else Scale.of(float((e * e).max()), integer=integer)
    counts = count_cells(
        binned.codes,
        [len(lab) for lab in binned.labels],
        e,
        scale=scale,
        square_scale=squares,
        max_level=max_level,
        strata=codes,
        n_strata=k,
        deadline=deadline,
    )
    return search(
        counts,
        binned.labels,
        scale=scale,
        square_scale=squares,
        min_size=min_size,
        max_level=max_level,
        alpha=alpha,
        correction=correction,
        min_gap=min_gap,
        top_k=top_k,
        max_seconds=max_seconds,
        started=start,
        score_alpha=score_alpha,
        level=level,
        progress=progress,
    )


def search(
    counts: Counts,
    labels: list[list[str]],
    *,
    scale: Scale,
    square_scale: Scale | None,
    min_size: int,
    max_level: int,
    alpha: float,
    correction: Correction,
    min_gap: float,
    top_k: int,
    max_seconds: float,
    started: float,
    score_alpha: float = 0.95,
    level: float = 0.95,
    progress: Advance | None = None,
) -> Discovery:
    """The slices of the folded ``counts`` (``labels``: per feature, a label per bin), tested,
    adjusted and ranked (module docstring). ``scale`` / ``square_scale`` read the fixed-point
    error and square sums; a combination the counting fold did not finish before its deadline
    (``max_seconds``) ends the search as truncated."""
    n = counts.n
    binary = counts.binary
    total = math.ldexp(counts.total, -scale.bits)
    if binary or square_scale is None:
        sq_total = total
    else:
        sq_total = math.ldexp(counts.squares, -square_scale.bits)
    st = _Strata.of(counts.strata)
    dims = [len(lab) for lab in labels]
    table = _Table()
    truncated = False
    levels_done = 0
    parent_sizes: dict[tuple[int, ...], np.ndarray] = {}
    for lvl in range(1, max_level + 1):
        for feats in itertools.combinations(range(len(dims)), lvl):
            cells_of = counts.cells.get(feats)
            if cells_of is None:  # not counted by every batch before the deadline
                truncated = True
                break
            shape = [dims[f] for f in feats]
            size = cells_of.size.astype(float)
            esum = scale.value(cells_of.e_hi, cells_of.e_lo)
            if binary or square_scale is None or cells_of.sq_hi is None:
                esq = esum
            else:
                esq = square_scale.value(cells_of.sq_hi, cells_of.sq_lo)
            if lvl < max_level:
                parent_sizes[feats] = size
            keep = (size >= min_size) & (size <= n - min_size)
            if lvl > 1:
                keep &= ~_same_as_parent(feats, size, shape, parent_sizes)
            cells = np.flatnonzero(keep)
            if len(cells):
                extra = st.expected(cells_of.per_stratum[cells]) if st is not None else {}
                table.add(feats, cells, size=size[cells], esum=esum[cells], esq=esq[cells], **extra)
            if progress is not None:
                progress(1)
        if truncated:
            break
        levels_done = lvl
    stats = _slice_stats(table, n, total, sq_total, binary, min_gap)
    if st is not None:
        stats.update(_stratified_stats(table, binary, min_gap))
    p_adj = adjust(stats["p"], correction) if len(stats["p"]) else stats["p"]
    effect = stats["excess"] if st is not None else stats["gap"]
    flagged = (p_adj <= alpha) & (effect >= min_gap)
    mean = total / n if n else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if st is not None:  # observed over expected errors: the stratified ē_S / ē
            ratio = np.where(stats["expected_sum"] > 0, stats["esum"] / stats["expected_sum"], 1.0)
            score = score_alpha * (ratio - 1.0)
        else:
            score = score_alpha * (stats["mean"] / mean - 1.0) if mean > 0 else stats["mean"] * 0
        score = score - (1.0 - score_alpha) * (n / stats["size"] - 1.0)
    order = np.lexsort((-score, ~flagged))[:top_k]
    rows = [_row(i, table, labels, stats, p_adj, flagged, score, binary, level) for i in order]
    notes = []
    if truncated:
        notes.append(f"search stopped after {max_seconds:g} s at level {levels_done + 1}")
    return Discovery(
        slices=rows,
        n_evaluated=len(stats["p"]),
        n_flagged=int(flagged.sum()),
        levels_done=levels_done,
        truncated=truncated,
        mean_error=mean,
        binary_errors=binary,
        seconds=time.perf_counter() - started,
        notes=notes,
        strata=1 if st is None else st.count,
    )


@dataclass(frozen=True)
class _Strata:
    """Per non-empty stratum (``keep``: their indices among the folded strata) its rows N_s,
    mean error ē_s and sum of squared deviations SS_s = Σ (e − ē_s)² (the permutation
    variance's ingredients), from the errors' exact moments."""

    keep: np.ndarray
    rows: np.ndarray
    mean: np.ndarray
    spread: np.ndarray

    @property
    def count(self) -> int:
        return len(self.rows)

    @classmethod
    def of(cls, moments: tuple[Any, ...]) -> _Strata | None:
        """The strata of the folded ``moments``, or None without them or with a single
        non-empty one."""
        keep = np.array([i for i, m in enumerate(moments) if m.n], dtype=np.int64)
        if len(keep) < 2:
            return None
        used = [moments[i] for i in keep]
        spread = []
        for m in used:
            s = m.total.exact()
            spread.append(float(max(m.squares.exact() - s * s / m.n, 0)))
        return cls(
            keep,
            np.array([m.n for m in used], dtype=float),
            np.array([m.mean() for m in used]),
            np.array(spread),
        )

    def expected(self, per_stratum: np.ndarray) -> dict[str, np.ndarray]:
        """For some cells' rows per stratum (cells × folded strata): the errors expected from
        each cell's rows per stratum, and their permutation variance
        Σ_s n_cs (N_s − n_cs) / (N_s (N_s − 1)) · SS_s."""
        per = per_stratum[:, self.keep].astype(float)
        n_s = self.rows
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(n_s > 1, self.spread / (n_s * (n_s - 1.0)), 0.0)
        return {
            "expected_sum": per @ self.mean,
            "null_var": (per * (n_s - per)) @ factor,
        }


def _stratified_stats(table: _Table, binary: bool, min_gap: float) -> dict[str, np.ndarray]:
    """Excess errors over the same-stratum expectation and the one-sided
    Cochran–Mantel–Haenszel p-value of "the excess is at most ``min_gap``" for every
    candidate slice."""
    size, esum = table.column("size"), table.column("esum")
    expected, var = table.column("expected_sum"), table.column("null_var")
    # P(errors ≥ observed) of a sum of hypergeometric counts shifted by the smallest excess
    # worth flagging; continuity-corrected by ½ for counts
    diff = esum - expected - min_gap * size - (0.5 if binary else 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, diff / np.sqrt(var), np.where(diff > 0, np.inf, 0.0))
    p = 1.0 - ndtr(z) if len(z) else np.zeros(0)
    return {
        "p": np.clip(np.asarray(p, dtype=float), 0.0, 1.0),
        "expected_sum": expected,
        "expected": expected / np.maximum(size, 1),
        "excess": (esum - expected) / np.maximum(size, 1),
    }


def _same_as_parent(feats, size, shape, parent_sizes) -> np.ndarray:
    """Children whose size equals one of their (level − 1) parents': the same rows."""
    same = np.zeros(len(size), dtype=bool)
    idx = np.unravel_index(np.arange(len(size)), shape)
    for drop in range(len(feats)):
        parent = feats[:drop] + feats[drop + 1 :]
        psize = parent_sizes.get(parent)
        if psize is None:
            continue
        pshape = [s for j, s in enumerate(shape) if j != drop]
        pidx = np.ravel_multi_index([ix for j, ix in enumerate(idx) if j != drop], pshape)
        same |= psize[pidx] == size
    return same


def _slice_stats(
    table: _Table, n: int, total: float, sq_total: float, binary: bool, min_gap: float = 0.0
):
    """Size, mean error, rest's mean, gap and one-sided p-value of "the gap is at most
    ``min_gap``" of every candidate slice."""
    size, esum, esq = table.column("size"), table.column("esum"), table.column("esq")
    rest = n - size
    mean_s = esum / np.maximum(size, 1)
    mean_r = (total - esum) / np.maximum(rest, 1)
    if binary and min_gap == 0:
        # P(X ≥ errors in the slice), X ~ Hypergeometric(n rows, total errors, slice size).
        p = hypergeom.sf(esum - 1, n, total, size) if len(size) else np.zeros(0)
        var_s = mean_s * (1.0 - mean_s)
    elif binary:
        # The same hypergeometric's normal approximation, its mean shifted by the errors a gap
        # of min_gap adds: slice − expected = size (1 − size / n) · gap.
        expected = size * total / n
        var = size * rest * total * (n - total) / (n**2 * max(n - 1, 1))
        diff = esum - expected - min_gap * size * rest / n - 0.5
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(var > 0, diff / np.sqrt(var), np.where(diff > 0, np.inf, -np.inf))
        p = 1.0 - ndtr(z)
        var_s = mean_s * (1.0 - mean_s)
    else:
        var_s = np.maximum(esq / size - mean_s**2, 0.0) * size / np.maximum(size - 1, 1)
        var_r = (
            np.maximum((sq_total - esq) / rest - mean_r**2, 0.0) * rest / np.maximum(rest - 1, 1)
        )
        se = np.sqrt(var_s / size + var_r / rest)
        gap = mean_s - mean_r - min_gap
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, gap / se, np.where(gap > 0, np.inf, 0.0))
        p = 1.0 - ndtr(z)
    return {
        "size": size,
        "esum": esum,
        "mean": mean_s,
        "rest": mean_r,
        "gap": mean_s - mean_r,
        "var": var_s,
        "p": np.clip(np.asarray(p, dtype=float), 0.0, 1.0),
    }


def _locate(i: int, table: _Table, labels: list[list[str]]) -> list[str]:
    """The predicates of candidate ``i``."""
    offset = 0
    for feats, cells in table.keys:
        if i < offset + len(cells):
            dims = [len(labels[f]) for f in feats]
            codes = np.unravel_index(int(cells[i - offset]), dims)
            return [labels[f][int(c)] for f, c in zip(feats, codes, strict=True)]
        offset += len(cells)
    raise IndexError(i)


def _row(i, table, labels, stats, p_adj, flagged, score, binary, level) -> dict[str, Any]:
    size = int(stats["size"][i])
    mean = float(stats["mean"][i])
    if binary:
        ci = wilson_interval(float(stats["esum"][i]), size, level)
        interval = [rounded(ci.low), rounded(ci.high)] if ci else None
    else:
        half = z_value(level) * float(np.sqrt(stats["var"][i] / size))
        interval = [rounded(mean - half), rounded(mean + half)]
    predicates = _locate(int(i), table, labels)
    row = {
        "slice": " & ".join(predicates),
        "predicates": predicates,
        "level": len(predicates),
        "n": size,
        "value": rounded(mean),
        "interval": interval,
        "rest": rounded(stats["rest"][i]),
        "gap": rounded(stats["gap"][i]),
    }
    if "excess" in stats:
        row["expected"] = rounded(stats["expected"][i])
        row["excess"] = rounded(stats["excess"][i])
    return {
        **row,
        "p_value": float(stats["p"][i]),
        "p_adjusted": float(p_adj[i]),
        "score": rounded(score[i]),
        "flagged": bool(flagged[i]),
    }
