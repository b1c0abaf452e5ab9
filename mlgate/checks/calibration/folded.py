"""The classifier ``calibration`` check as a fold over batches (``interval: poisson``), so it runs
on a partitioned dataset where it lives and needs no row in one place.

Equal-width bins are fixed before any row is seen, so the state of a batch is per bin: rows,
the sum of confidences and the hits, for the rows as they are and for each resample of a
Poisson bootstrap whose weights depend on (seed, row position, resample) only
(:mod:`mlgate.stats.poisson`). States add up. Confidences are summed in fixed point (units of
2**-52, split into two 26-bit halves so float sums of them are exact integers): the sums are
exact integers, so the ECE, MCE, reliability table, Brier decomposition and the interval are
the same bytes however the rows are partitioned, and differ from the in-memory float sums by
at most 2**-53 per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from mlgate.checks.calibration.bins import (
    CalibrationBins,
    CalibrationSummary,
    bin_index,
    confidences,
    equal_width_edges,
)
from mlgate.checks.calibration.brier import BrierDecomposition
from mlgate.checks.calibration.recalibrate import Recalibrator
from mlgate.core.context import Batch
from mlgate.core.result import Interval
from mlgate.stats.accumulators import UndefinedMetricError
from mlgate.stats.poisson import poisson_weights
from mlgate.stats.scoring import fixed_scores

#: The method string of the interval.
METHOD = "poisson-bootstrap-percentile"
_HALF = 26
_LOW_MASK = (1 << _HALF) - 1
#: Rows summed at once: 2**16 rows of 26-bit halves times Poisson weights (below 2**5 in any
#: practical draw: P(w >= 32) < 1e-35) stay below 2**47, so float sums are exact integers.
_ROWS = 1 << 16
#: Weights (rows × resamples) generated at once (~16 MB as float64).
_CELLS = 1 << 21


def fixed_point(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (about [0, 1]) in units of 2**-52 as two int64 halves: x ≈ hi·2**-26 + lo·2**-52."""
    q = np.rint(np.asarray(x, dtype=float) * 2.0**52).astype(np.int64)
    return q >> _HALF, q & _LOW_MASK


def from_fixed(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """The float of exact fixed-point sums (a deterministic function of the integers)."""
    return hi.astype(float) * 2.0**-_HALF + lo.astype(float) * 2.0**-52


@dataclass
class BinSums:
    """Per (resample, group, bin): rows (weighted), confidence sums (fixed point), hits."""

    count: np.ndarray
    conf_hi: np.ndarray
    conf_lo: np.ndarray
    hits: np.ndarray

    @classmethod
    def zeros(cls, shape: tuple[int, ...]) -> BinSums:
        return cls(*(np.zeros(shape, dtype=np.int64) for _ in range(4)))

    def __add__(self, other: BinSums) -> BinSums:
        return BinSums(
            self.count + other.count,
            self.conf_hi + other.conf_hi,
            self.conf_lo + other.conf_lo,
            self.hits + other.hits,
        )

    def conf(self) -> np.ndarray:
        return from_fixed(self.conf_hi, self.conf_lo)


_FIELDS = ("count", "conf_hi", "conf_lo", "hits")


def _columns(conf: np.ndarray, hits: np.ndarray) -> list[np.ndarray]:
    """What is summed per bin, as exact float integers: 1, the fixed-point halves, the hit."""
    hi, lo = fixed_point(conf)
    return [np.ones(len(conf)), hi.astype(float), lo.astype(float), hits.astype(float)]


def _sums(bins: np.ndarray, conf: np.ndarray, hits: np.ndarray, m: int) -> list[np.ndarray]:
    """The four sums per bin (shape (m,) each) of one group's rows, ``bins`` their bins."""
    return [
        np.bincount(bins, weights=c, minlength=m).astype(np.int64) for c in _columns(conf, hits)
    ]


def _design(bins: np.ndarray, conf: np.ndarray, hits: np.ndarray, m: int) -> sparse.csr_matrix:
    """A sparse (groups·4·m, n) matrix: row (g, field, bin) holds each row's value of
    ``field`` where the row falls in that bin of group g; times the weights (n, B) it gives
    every weighted sum of every resample in one product."""
    groups, n = bins.shape
    data, rows = [], []
    for g in range(groups):
        for f, values in enumerate(_columns(conf[g], hits[g])):
            data.append(values)
            rows.append((g * 4 + f) * m + bins[g])
    cols = np.tile(np.arange(n), 4 * groups)
    shape = (groups * 4 * m, n)
    return sparse.csr_matrix((np.concatenate(data), (np.concatenate(rows), cols)), shape=shape)


@dataclass
class Assessment:
    """The bins of one set of scores: the rows as they are (``point``, (G, m)) and each
    Poisson resample (``resamples``, (B, G, m))."""

    point: BinSums
    resamples: BinSums

    def __add__(self, other: Assessment) -> Assessment:
        return Assessment(self.point + other.point, self.resamples + other.resamples)

    def summary(self, edges: np.ndarray, kind: str, k: int) -> CalibrationSummary:
        """ECE, MCE and the reliability table of the rows. Raises UndefinedMetricError."""
        acc = CalibrationBins(k, edges, kind)  # type: ignore[arg-type]
        p = self.point
        acc.state = {"count": p.count.astype(float), "conf": p.conf(), "hits": p.hits.astype(float)}
        return CalibrationSummary(
            ece=acc.compute(),
            mce=acc.mce(),
            n=int(p.count[0].sum()),
            kind=kind,
            binning="equal_width",
            edges=tuple(float(e) for e in acc.edges),
            table=tuple(acc.table()),
        )

    def resampled_ece(self) -> np.ndarray:
        """The ECE of each resample (NaN for a resample of no rows)."""
        r = self.resamples
        gaps = np.abs(r.hits.astype(float) - r.conf()).sum(axis=2)  # (B, G)
        total = r.count[:, 0, :].sum(axis=1).astype(float)  # (B,)
        out = np.full(len(total), np.nan)
        ok = total > 0
        out[ok] = gaps[ok].mean(axis=1) / total[ok]
        return out

    def interval(self, level: float) -> Interval | None:
        """The percentile interval of the resampled ECEs (None when none is defined)."""
        values = self.resampled_ece()
        defined = values[~np.isnan(values)]
        if not len(defined):
            return None
        alpha = (1.0 - level) / 2.0
        low, high = np.quantile(defined, [alpha, 1.0 - alpha])
        return Interval(float(low), float(high), level, METHOD)


@dataclass
class BrierSums:
    """Per decomposed class and bin: rows, forecast sums, outcomes; and the squared errors."""

    count: np.ndarray
    p_hi: np.ndarray
    p_lo: np.ndarray
    hits: np.ndarray
    sq_hi: np.ndarray
    sq_lo: np.ndarray

    def __add__(self, other: BrierSums) -> BrierSums:
        return BrierSums(
            *(a + b for a, b in zip(vars(self).values(), vars(other).values(), strict=True))
        )

    def decomposition(self) -> BrierDecomposition:
        """As :func:`mlgate.checks.calibration.brier.brier_decomposition`. Raises
        UndefinedMetricError with no rows."""
        n = int(self.count[0].sum())
        if n == 0:
            raise UndefinedMetricError("Brier score of no rows")
        brier = rel = res = unc = 0.0
        p_sum = from_fixed(self.p_hi, self.p_lo)
        for c in range(len(self.count)):
            n_b, o_b = self.count[c].astype(float), self.hits[c].astype(float)
            full = n_b > 0
            p_mean, o_mean = p_sum[c][full] / n_b[full], o_b[full] / n_b[full]
            base = o_b.sum() / n
            brier += float(from_fixed(self.sq_hi[c], self.sq_lo[c]) / n)
            rel += float(np.sum(n_b[full] * (p_mean - o_mean) ** 2) / n)
            res += float(np.sum(n_b[full] * (o_mean - base) ** 2) / n)
            unc += float(base * (1.0 - base))
        return BrierDecomposition(brier, rel, res, unc, brier - (rel - res + unc), n)


@dataclass
class CalibrationState:
    """What a batch folds into: the assessment of the model's scores (``before``), of the
    recalibrated ones (``after``, with a fitted map) and the Brier sums."""

    before: Assessment
    brier: BrierSums
    after: Assessment | None = None
    rows: int = field(default=0)

    def merge(self, other: CalibrationState) -> CalibrationState:
        after = None if self.after is None else self.after + other.after  # type: ignore[operator]
        return CalibrationState(
            self.before + other.before, self.brier + other.brier, after, self.rows + other.rows
        )


@dataclass(frozen=True)
class CalibrationFold:
    """``fold(batch)`` → the :class:`CalibrationState` of one batch (picklable: an engine runs
    it where a partition lives). ``classes`` fix the label encoding for every batch; the
    weights of row ``r`` in resample ``b`` come from ``key`` (and ``after_key`` for the
    recalibrated scores), ``r`` being the row's position in the dataset."""

    classes: tuple[Any, ...]
    kind: str
    n_bins: int
    n_resamples: int
    key: int
    after_key: int = 0
    recalibrator: Recalibrator | None = None
    model: str = "candidate"
    dataset: str = "evaluation"

    @property
    def edges(self) -> np.ndarray:
        return equal_width_edges(self.n_bins)

    def __call__(self, batch: Batch) -> CalibrationState:
        y, scores = self.encode(batch)
        rows = np.arange(batch.start, batch.start + len(y))
        before = self.assess(y, scores, rows, self.key)
        after = None
        if self.recalibrator is not None:
            after = self.assess(y, self.recalibrator.transform(scores), rows, self.after_key)
        return CalibrationState(before, self.brier(y, scores), after, len(y))

    def encode(self, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
        """(class codes, scores (n, k) in the order of ``classes``) (:func:`encode_scores`)."""
        return encode_scores(batch, self.classes, self.model, self.dataset, "calibration")

    def assess(self, y: np.ndarray, scores: np.ndarray, rows: np.ndarray, key: int) -> Assessment:
        conf, hits = confidences(y, scores, self.kind)  # type: ignore[arg-type]
        groups, m, n_b = conf.shape[0], self.n_bins, self.n_resamples
        point = BinSums.zeros((groups, m))
        resamples = BinSums.zeros((n_b, groups, m))
        bins = np.stack([bin_index(conf[g], self.edges) for g in range(groups)])
        for lo in range(0, len(y), _ROWS):
            sl = slice(lo, lo + _ROWS)
            for g in range(groups):
                sums = _sums(bins[g, sl], conf[g, sl], hits[g, sl], m)
                for name, total in zip(_FIELDS, sums, strict=True):
                    getattr(point, name)[g] += total
            design = _design(bins[:, sl], conf[:, sl], hits[:, sl], m)
            step = max(1, _CELLS // max(1, len(bins[0, sl])))
            for first in range(0, n_b, step):
                ids = np.arange(first, min(n_b, first + step))
                w = poisson_weights(key, rows[sl], ids).astype(float)
                # (groups, 4, m, B) exact integer sums → (B, groups, m) per field
                sums = np.rint(design @ w).astype(np.int64).reshape(groups, 4, m, len(ids))
                for f, name in enumerate(_FIELDS):
                    getattr(resamples, name)[ids] += sums[:, f].transpose(2, 0, 1)
        return Assessment(point, resamples)

    def brier(self, y: np.ndarray, scores: np.ndarray) -> BrierSums:
        """Brier sums over the same bins: the positive class of a binary model, every class of
        a multiclass one (as :func:`~mlgate.checks.calibration.brier.brier_decomposition`)."""
        k, m = scores.shape[1], self.n_bins
        classes = [1] if k == 2 else list(range(k))
        shape = (len(classes), m)
        count, p_hi, p_lo, hits = (np.zeros(shape, dtype=np.int64) for _ in range(4))
        sq_hi, sq_lo = np.zeros(len(classes), np.int64), np.zeros(len(classes), np.int64)
        for i, c in enumerate(classes):
            p = scores[:, c]
            o = (y == c).astype(float)
            idx = bin_index(p, self.edges)
            for lo in range(0, len(y), _ROWS):
                sl = slice(lo, lo + _ROWS)
                n_, ph, pl, h = _sums(idx[sl], p[sl], o[sl], m)
                count[i] += n_
                p_hi[i] += ph
                p_lo[i] += pl
                hits[i] += h
                d = p[sl] - o[sl]
                shi, slo = fixed_point(d * d)
                sq_hi[i] += int(shi.sum())
                sq_lo[i] += int(slo.sum())
        return BrierSums(count, p_hi, p_lo, hits, sq_hi, sq_lo)


def encode_scores(
    batch: Batch, classes: tuple[Any, ...], model: str, dataset: str, check: str
) -> tuple[np.ndarray, np.ndarray]:
    """(class codes, scores (n, k) in the order of ``classes``) of one batch
    (:func:`mlgate.stats.scoring.fixed_scores`)."""
    return fixed_scores(
        batch.y, batch.predictions, classes, model=model, dataset=dataset, check=check
    )
