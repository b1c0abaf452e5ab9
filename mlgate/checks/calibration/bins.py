"""Calibration bins: the mergeable state behind ECE, MCE and the reliability table.

A forecast is *calibrated* when, among rows given confidence p, a fraction p is right. Rows are
grouped into bins of confidence; per bin we keep the row count, the sum of confidences and the
number of hits. That state adds up, so chunks (or workers) ``update`` their own bins and
``merge`` them to exactly the one-pass answer.

What is binned (``kind``):

* ``top_label`` — confidence = the largest class probability, hit = the top class is the true
  one (Guo et al. 2017; torchmetrics' ``multiclass_calibration_error``).
* ``positive`` — binary only: confidence = P(positive), hit = the row is positive
  (scikit-learn's ``calibration_curve``, torchmetrics' ``binary_calibration_error``).
* ``classwise`` — every class c on its own (confidence = P(c), hit = y is c); ECE and MCE are
  the mean / max over classes (Kull et al. 2019).

Bins (``binning``): ``equal_width`` splits [0, 1] into ``n_bins`` equal intervals;
``equal_mass`` puts the inner edges at quantiles of the confidences, so bins hold about the same
number of rows. Bins are right-closed, (e_j, e_j+1], the first one also holds 0 — as
scikit-learn's ``calibration_curve``. Equal-mass edges come from data: in chunked evaluation
compute them once (e.g. on a sample) and give them to every chunk as ``edges``.

ECE = Σ_b (n_b / n) |acc_b − conf_b|; MCE = max over non-empty bins of |acc_b − conf_b|.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from mlgate.core.result import rounded
from mlgate.stats.accumulators import Accumulator, undefined

Kind = Literal["top_label", "positive", "classwise"]
Binning = Literal["equal_width", "equal_mass"]
KINDS = ("top_label", "positive", "classwise")
BINNINGS = ("equal_width", "equal_mass")


def equal_width_edges(n_bins: int) -> np.ndarray:
    """``n_bins + 1`` equally spaced edges on [0, 1]. Raises ValueError when ``n_bins`` < 1."""
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    return np.linspace(0.0, 1.0, n_bins + 1)


def equal_mass_edges(confidence: Any, n_bins: int) -> np.ndarray:
    """Edges with the inner ones at the ``j / n_bins`` quantiles of ``confidence`` (linear
    interpolation, as scikit-learn's ``strategy="quantile"``); outer edges 0 and 1. Tied
    confidences can leave bins empty. Raises ValueError for no confidences or ``n_bins`` < 1."""
    conf = np.asarray(confidence, dtype=float).ravel()
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    if not len(conf):
        raise ValueError("equal-mass edges need at least one confidence")
    edges = np.quantile(conf, np.linspace(0.0, 1.0, n_bins + 1))
    edges[0], edges[-1] = 0.0, 1.0
    return edges


def bin_index(confidence: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The bin of each confidence: bins are (e_j, e_j+1], the first also holds e_0."""
    return np.searchsorted(edges[1:-1], confidence, side="left")


def confidences(y: np.ndarray, scores: np.ndarray, kind: Kind) -> tuple[np.ndarray, np.ndarray]:
    """(confidence, hit) arrays of shape (c, n): c = 1 for ``top_label`` / ``positive``, k for
    ``classwise``. ``y`` holds class codes into the score columns. Raises ValueError for a
    ``positive`` kind with more than two classes or an unknown kind."""
    scores = np.asarray(scores, dtype=float)
    y = np.asarray(y)
    if kind == "top_label":
        top = scores.argmax(axis=1)
        return scores.max(axis=1)[None, :], (top == y)[None, :].astype(float)
    if kind == "positive":
        if scores.shape[1] != 2:
            raise ValueError(
                f"kind 'positive' needs two classes, got {scores.shape[1]}; "
                "use 'top_label' or 'classwise'"
            )
        return scores[:, 1][None, :], (y == 1)[None, :].astype(float)
    if kind == "classwise":
        hits = (y[None, :] == np.arange(scores.shape[1])[:, None]).astype(float)
        return scores.T.copy(), hits
    raise ValueError(f"unknown kind {kind!r}; use one of {list(KINDS)}")


@dataclass(frozen=True)
class ReliabilityRow:
    """One bin: its edges, rows, mean confidence and observed accuracy (None when empty)."""

    cls: int | None
    low: float
    high: float
    count: float
    confidence: float | None
    accuracy: float | None

    @property
    def gap(self) -> float | None:
        if self.count == 0:
            return None
        return abs(self.accuracy - self.confidence)  # type: ignore[operator]

    def to_dict(self) -> dict[str, Any]:
        """The row for evidence: numbers rounded (:func:`mlgate.core.result.rounded`)."""
        row = {
            "bin": f"({self.low:.3g}, {self.high:.3g}]",
            "low": rounded(self.low),
            "high": rounded(self.high),
            "count": int(self.count) if float(self.count).is_integer() else rounded(self.count),
            "confidence": rounded(self.confidence),
            "accuracy": rounded(self.accuracy),
            "gap": rounded(self.gap),
        }
        return {"class": self.cls, **row} if self.cls is not None else row


class CalibrationBins(Accumulator):
    """Per-bin counts, confidence sums and hits for ``kind`` over ``k`` classes.

    ``update(y, scores)`` adds rows (``y`` class codes, ``scores`` (n, k) probabilities whose
    columns follow the classes); ``merge`` adds two states with the same edges; ``compute()`` is
    the ECE; :meth:`mce` and :meth:`table` give the rest. Raises UndefinedMetricError with no
    rows, or rows whose label has no score column (code < 0).
    """

    def __init__(self, k: int, edges: Any, kind: Kind = "top_label") -> None:
        self.edges = np.asarray(edges, dtype=float)
        if self.edges.ndim != 1 or len(self.edges) < 2 or np.any(np.diff(self.edges) < 0):
            raise ValueError(f"edges must be an increasing 1-D array, got {self.edges.tolist()}")
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; use one of {list(KINDS)}")
        self.kind = kind
        super().__init__(f"calibration-{kind}", k)

    @property
    def n_bins(self) -> int:
        return len(self.edges) - 1

    @property
    def n_groups(self) -> int:
        return self.k if self.kind == "classwise" else 1

    def initial_state(self) -> dict[str, np.ndarray]:
        shape = (self.n_groups, self.n_bins)
        return {"count": np.zeros(shape), "conf": np.zeros(shape), "hits": np.zeros(shape)}

    def rows_state(self, y, output, weight) -> dict[str, np.ndarray]:
        y = np.asarray(y)
        if (y < 0).any():
            undefined("calibration of a label the model has no score for")
        output = np.asarray(output, dtype=float)
        if output.ndim != 2 or output.shape[1] != self.k:
            raise ValueError(f"scores must have shape (n, {self.k}), got {output.shape}")
        conf, hits = confidences(y, output, self.kind)
        w = np.ones(len(y)) if weight is None else weight
        state = self.initial_state()
        m = self.n_bins
        for g in range(self.n_groups):
            idx = bin_index(conf[g], self.edges)
            state["count"][g] = np.bincount(idx, weights=w, minlength=m)
            state["conf"][g] = np.bincount(idx, weights=w * conf[g], minlength=m)
            state["hits"][g] = np.bincount(idx, weights=w * hits[g], minlength=m)
        return state

    def merge(self, other: CalibrationBins) -> CalibrationBins:
        """A new accumulator with both states. Raises TypeError for other edges or kind."""
        if not isinstance(other, CalibrationBins) or other.kind != self.kind:
            raise TypeError(f"cannot merge {other!r} into {self!r}")
        if not np.array_equal(other.edges, self.edges):
            raise TypeError("cannot merge calibration bins with different edges")
        return super().merge(other)

    def _gaps(self) -> tuple[np.ndarray, np.ndarray]:
        count = self.state["count"]
        if count.sum() == 0:
            undefined("calibration error of no rows")
        with np.errstate(invalid="ignore", divide="ignore"):
            gaps = np.abs(self.state["hits"] - self.state["conf"]) / count
        return gaps, count

    def compute(self) -> float:
        """The ECE (mean over classes for ``classwise``)."""
        gaps, count = self._gaps()
        per_group = np.nansum(gaps * count, axis=1) / count.sum(axis=1)
        return float(per_group.mean())

    def mce(self) -> float:
        """The largest |accuracy − confidence| over non-empty bins (over classes too)."""
        gaps, _ = self._gaps()
        return float(np.nanmax(gaps))

    def table(self) -> list[ReliabilityRow]:
        """One row per bin (and class, for ``classwise``), empty bins included."""
        rows = []
        for g in range(self.n_groups):
            for b in range(self.n_bins):
                n = float(self.state["count"][g, b])
                rows.append(
                    ReliabilityRow(
                        cls=g if self.kind == "classwise" else None,
                        low=float(self.edges[b]),
                        high=float(self.edges[b + 1]),
                        count=n,
                        confidence=float(self.state["conf"][g, b] / n) if n else None,
                        accuracy=float(self.state["hits"][g, b] / n) if n else None,
                    )
                )
        return rows


def make_edges(
    y: np.ndarray, scores: np.ndarray, *, n_bins: int, binning: Binning, kind: Kind
) -> np.ndarray:
    """Edges for ``binning``: fixed for equal width, quantiles of the confidences (all classes
    pooled for ``classwise``) for equal mass. Raises ValueError for an unknown binning."""
    if binning == "equal_width":
        return equal_width_edges(n_bins)
    if binning == "equal_mass":
        conf, _ = confidences(y, scores, kind)
        return equal_mass_edges(conf.ravel(), n_bins)
    raise ValueError(f"unknown binning {binning!r}; use one of {list(BINNINGS)}")


@dataclass(frozen=True)
class CalibrationSummary:
    """ECE, MCE and the reliability table of one set of rows."""

    ece: float
    mce: float
    n: int
    kind: str
    binning: str
    edges: tuple[float, ...]
    table: tuple[ReliabilityRow, ...]


def calibration_summary(
    y: Any,
    scores: Any,
    *,
    n_bins: int = 15,
    binning: Binning = "equal_width",
    kind: Kind = "top_label",
    edges: Any = None,
) -> CalibrationSummary:
    """ECE / MCE / reliability table of class codes ``y`` and probabilities ``scores`` (n, k).

    Raises UndefinedMetricError with no rows or unknown labels, ValueError for bad options.

    >>> s = calibration_summary([1, 0], [[0.2, 0.8], [0.6, 0.4]], n_bins=10)
    >>> f"{s.ece:.3f}"
    '0.300'
    """
    y = np.asarray(y)
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or len(scores) != len(y):
        raise ValueError(f"scores must have shape ({len(y)}, k), got {scores.shape}")
    if edges is None:
        edges = make_edges(y, scores, n_bins=n_bins, binning=binning, kind=kind)
    acc = CalibrationBins(scores.shape[1], edges, kind).update(y, scores)
    return CalibrationSummary(
        ece=acc.compute(),
        mce=acc.mce(),
        n=len(y),
        kind=kind,
        binning=binning,
        edges=tuple(float(e) for e in acc.edges),
        table=tuple(acc.table()),
    )
