"""Slice discovery: a SliceLine-style lattice search for the slices where a model errs most.

Features are binned once (numeric: ``n_bins`` quantile bins, half-open [a, b); categorical: the
``max_categories − 1`` most frequent values and "other"; missing values are their own bin), so
a slice of level L is a conjunction of L (feature = bin) predicates. Per level, each feature
combination is one ``bincount`` over the rows of its combined bin codes, giving every slice's
size and error sum at once (Sagadeeva & Boehm 2021 enumerate the same lattice with sparse
matrix products). A child that holds exactly its parent's rows is dropped as a duplicate.

Each slice with ``min_size`` ≤ size ≤ n − ``min_size`` is tested against the rest of the rows:
a one-sided hypergeometric (Fisher exact) test when errors are 0/1, otherwise Welch's z-test;
the p-values of *every* slice evaluated are adjusted together (Holm by default), so with
uniform errors the chance of flagging any slice stays near ``alpha``. A slice is *flagged* when
its adjusted p-value is ≤ ``alpha`` and its gap (slice error − rest error) is at least
``min_gap``. Slices are ranked flagged first, then by SliceLine's score
α (ē_S / ē − 1) − (1 − α)(n / |S| − 1), which trades error against size.

The search is bounded: ``max_level`` (default 2) and ``max_seconds`` (checked between feature
combinations; a truncated search says so). The number of slices evaluated is at most
Σ over feature combinations of the product of their bin counts.
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

from mlgate.core.errors import DataError
from mlgate.core.progress import Advance
from mlgate.core.result import rounded
from mlgate.stats.intervals import wilson_interval, z_value
from mlgate.stats.multiple_testing import Correction, adjust


@dataclass(frozen=True)
class BinnedFeatures:
    """Per feature: int codes (n,) and a label per code."""

    names: list[str]
    codes: list[np.ndarray]
    labels: list[list[str]]

    @property
    def n_rows(self) -> int:
        return len(self.codes[0]) if self.codes else 0


def _num(v: float) -> str:
    return f"{v:.4g}"


def _bin_numeric(name: str, x: np.ndarray, n_bins: int) -> tuple[np.ndarray, list[str]]:
    finite = x[~np.isnan(x)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, n_bins + 1))) if len(finite) else []
    inner = np.asarray(edges[1:-1], dtype=float)
    codes = np.searchsorted(inner, x, side="right").astype(np.int32)
    labels = []
    bounds = [None, *inner.tolist(), None]
    for a, b in itertools.pairwise(bounds):
        if a is None and b is None:
            labels.append(f"{name} (all)")
        elif a is None:
            labels.append(f"{name} < {_num(b)}")
        elif b is None:
            labels.append(f"{name} >= {_num(a)}")
        else:
            labels.append(f"{name} in [{_num(a)}, {_num(b)})")
    if np.isnan(x).any():
        codes[np.isnan(x)] = len(labels)
        labels.append(f"{name} is missing")
    return codes, labels


def _bin_categorical(name: str, col: pd.Series, max_categories: int):
    codes, uniques = pd.factorize(col, sort=True)
    codes = codes.astype(np.int32)
    labels = [f"{name}={v}" for v in uniques]
    if len(labels) > max_categories:
        freq = np.bincount(codes[codes >= 0], minlength=len(labels))
        keep = np.argsort(-freq, kind="stable")[: max_categories - 1]
        remap = np.full(len(labels), len(keep), dtype=np.int32)
        remap[keep] = np.arange(len(keep), dtype=np.int32)
        labels = [labels[i] for i in keep] + [f"{name}=other"]
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1).astype(np.int32)
    if (codes < 0).any():
        codes[codes < 0] = len(labels)
        labels.append(f"{name} is missing")
    return codes, labels


def bin_features(
    frame: pd.DataFrame, columns: list[str], *, n_bins: int = 5, max_categories: int = 20
) -> BinnedFeatures:
    """Bin ``columns`` of ``frame`` (not modified). Numeric columns with more than ``n_bins``
    distinct values get quantile bins; others are categories. Raises DataError for a missing
    column."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"slice discovery: columns {missing} are not in the dataset")
    codes, labels = [], []
    for c in columns:
        col = frame[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            x = col.to_numpy(dtype=float)
            if len(np.unique(x[~np.isnan(x)])) > n_bins:
                cc, ll = _bin_numeric(str(c), x, n_bins)
                codes.append(cc)
                labels.append(ll)
                continue
        cc, ll = _bin_categorical(str(c), col, max_categories)
        codes.append(cc)
        labels.append(ll)
    return BinnedFeatures([str(c) for c in columns], codes, labels)


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


class _Table:
    """Columns of candidate slices collected level by level."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []
        self.keys: list[tuple[tuple[int, ...], np.ndarray]] = []

    def add(self, feats: tuple[int, ...], cells: np.ndarray, size, esum, esq) -> None:
        self.parts.append({"size": size, "esum": esum, "esq": esq})
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
) -> Discovery:
    """Search the slices of ``binned`` for high ``errors`` (n,) non-negative per-row errors.
    ``progress(1)`` (optional) is called after each feature combination; there are
    :func:`n_combinations` of them.

    Raises DataError for errors of the wrong length or negative ones."""
    start = time.perf_counter()
    e = np.asarray(errors, dtype=float)
    n = binned.n_rows
    if e.shape != (n,) or (e < 0).any() or not np.isfinite(e).all():
        raise DataError(f"slice discovery needs {n} finite non-negative errors, got {e.shape}")
    binary = bool(np.isin(e, (0.0, 1.0)).all())
    total = float(e.sum())
    dims = [len(lab) for lab in binned.labels]
    table = _Table()
    truncated = False
    levels_done = 0
    parent_sizes: dict[tuple[int, ...], np.ndarray] = {}
    esq_all = None if binary else e * e
    for lvl in range(1, max_level + 1):
        for feats in itertools.combinations(range(len(dims)), lvl):
            if time.perf_counter() - start > max_seconds:
                truncated = True
                break
            shape = [dims[f] for f in feats]
            code = binned.codes[feats[0]].astype(np.int64)
            for f in feats[1:]:
                code = code * dims[f] + binned.codes[f]
            m = int(np.prod(shape))
            size = np.bincount(code, minlength=m).astype(float)
            esum = np.bincount(code, weights=e, minlength=m)
            esq = esum if binary else np.bincount(code, weights=esq_all, minlength=m)
            if lvl < max_level:
                parent_sizes[feats] = size
            keep = (size >= min_size) & (size <= n - min_size)
            if lvl > 1:
                keep &= ~_same_as_parent(feats, size, shape, parent_sizes)
            cells = np.flatnonzero(keep)
            if len(cells):
                table.add(feats, cells, size[cells], esum[cells], esq[cells])
            if progress is not None:
                progress(1)
        if truncated:
            break
        levels_done = lvl
    sq_total = total if binary else float(esq_all.sum())
    stats = _slice_stats(table, n, total, sq_total, binary)
    p_adj = adjust(stats["p"], correction) if len(stats["p"]) else stats["p"]
    flagged = (p_adj <= alpha) & (stats["gap"] >= min_gap)
    mean = total / n if n else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        score = score_alpha * (stats["mean"] / mean - 1.0) if mean > 0 else stats["mean"] * 0
        score = score - (1.0 - score_alpha) * (n / stats["size"] - 1.0)
    order = np.lexsort((-score, ~flagged))[:top_k]
    rows = [_row(i, table, binned, stats, p_adj, flagged, score, binary, level) for i in order]
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
        seconds=time.perf_counter() - start,
        notes=notes,
    )


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


def _slice_stats(table: _Table, n: int, total: float, sq_total: float, binary: bool):
    """Size, mean error, rest's mean, gap and one-sided p-value of every candidate slice."""
    size, esum, esq = table.column("size"), table.column("esum"), table.column("esq")
    rest = n - size
    mean_s = esum / np.maximum(size, 1)
    mean_r = (total - esum) / np.maximum(rest, 1)
    if binary:
        # P(X ≥ errors in the slice), X ~ Hypergeometric(n rows, total errors, slice size).
        p = hypergeom.sf(esum - 1, n, total, size) if len(size) else np.zeros(0)
        var_s = mean_s * (1.0 - mean_s)
    else:
        var_s = np.maximum(esq / size - mean_s**2, 0.0) * size / np.maximum(size - 1, 1)
        var_r = (
            np.maximum((sq_total - esq) / rest - mean_r**2, 0.0) * rest / np.maximum(rest - 1, 1)
        )
        se = np.sqrt(var_s / size + var_r / rest)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, (mean_s - mean_r) / se, np.where(mean_s > mean_r, np.inf, 0.0))
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


def _locate(i: int, table: _Table, binned: BinnedFeatures) -> list[str]:
    """The predicates of candidate ``i``."""
    offset = 0
    for feats, cells in table.keys:
        if i < offset + len(cells):
            dims = [len(binned.labels[f]) for f in feats]
            codes = np.unravel_index(int(cells[i - offset]), dims)
            return [binned.labels[f][int(c)] for f, c in zip(feats, codes, strict=True)]
        offset += len(cells)
    raise IndexError(i)


def _row(i, table, binned, stats, p_adj, flagged, score, binary, level) -> dict[str, Any]:
    size = int(stats["size"][i])
    mean = float(stats["mean"][i])
    if binary:
        ci = wilson_interval(float(stats["esum"][i]), size, level)
        interval = [rounded(ci.low), rounded(ci.high)] if ci else None
    else:
        half = z_value(level) * float(np.sqrt(stats["var"][i] / size))
        interval = [rounded(mean - half), rounded(mean + half)]
    predicates = _locate(int(i), table, binned)
    return {
        "slice": " & ".join(predicates),
        "predicates": predicates,
        "level": len(predicates),
        "n": size,
        "value": rounded(mean),
        "interval": interval,
        "rest": rounded(stats["rest"][i]),
        "gap": rounded(stats["gap"][i]),
        "p_value": float(stats["p"][i]),
        "p_adjusted": float(p_adj[i]),
        "score": rounded(score[i]),
        "flagged": bool(flagged[i]),
    }
