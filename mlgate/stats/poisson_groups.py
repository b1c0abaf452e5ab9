"""Poisson bootstraps of many groups of rows on one weight stream, so that statistics of
different groups are *paired* resample by resample.

:class:`~mlgate.stats.poisson.PoissonBootstrap` gives row ``r`` the weight ``w(key, r, b)`` in
resample ``b``. Groups folded here share the key: a row that belongs to two groups (a slice
and the whole dataset, say) has the same weight in both within one resample, and the
difference of two groups' metrics on resample ``b`` is a draw of the difference's bootstrap
distribution (Chamandy et al. 2012, section 3). Keys of groups are discovered by the fold
itself (the values of a column a batch holds), so groups merge by union.

Two states:

* :class:`GroupedPoisson`: one metric's :class:`PoissonBootstrap` per group (any metric with
  an accumulator);
* :class:`GroupedCounts`: weighted counts of a few cells per group (the 2 × 2 table of a
  fairness gap), exact integers, computed for every resample at once.

Both are picklable and merge associatively, so an engine folds them where partitions live.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from mlgate.core.result import Interval
from mlgate.stats.confusion import ConfusionAccumulator, cell_ids
from mlgate.stats.evaluate import MetricEstimate
from mlgate.stats.poisson import (
    MAX_RESAMPLES,
    METHOD,
    PoissonBootstrap,
    poisson_estimate,
    poisson_weights,
)
from mlgate.stats.poisson_paired import ExactMeanLoss, make_bootstrap

__all__ = [
    "GroupedCounts",
    "GroupedPoisson",
    "estimate_of",
    "percentile_interval",
    "resampled_values",
    "row_chunks",
]

#: Weights (rows × resamples) generated at once: bounds one update's memory (~2 MB as uint8).
_CELLS = 2_000_000


def row_chunks(n_rows: int, n_resamples: int) -> Iterable[slice]:
    """Consecutive slices of ``n_rows`` rows whose weight matrices stay below ``_CELLS``."""
    step = max(1, _CELLS // max(1, n_resamples))
    for lo in range(0, n_rows, step):
        yield slice(lo, min(n_rows, lo + step))


def percentile_interval(values: np.ndarray, level: float) -> Interval | None:
    """The percentile interval of the defined (non-NaN) ``values``; None when none is."""
    defined = values[~np.isnan(values)]
    if not len(defined):
        return None
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(defined, [alpha, 1.0 - alpha])
    return Interval(float(low), float(high), level, METHOD)


class GroupedPoisson:
    """One metric's Poisson bootstrap per group of rows, every group on the stream ``key``.

    ``update(row_ids, y, output, groups)`` adds a batch: ``groups`` lists ``(group, mask)``
    pairs (masks over the batch's rows; groups may overlap), and each group's bootstrap gets
    its rows with the weights the rows have in every other group. ``merge`` is a union (the
    bootstraps of a group both sides hold are merged). Groups are any hashable, picklable keys.

    Example::

        state = GroupedPoisson("accuracy", k=2, n_resamples=500, key=stream_key(0, "s"))
        state.update(rows, y, pred, [("north", region == "north"), ("all", all_rows)])
        gap = state["all"].values() - state["north"].values()  # paired per resample
    """

    def __init__(self, metric: str, k: int, *, n_resamples: int, key: int) -> None:
        if not 1 <= n_resamples <= MAX_RESAMPLES:
            raise ValueError(f"n_resamples must be in [1, {MAX_RESAMPLES}], got {n_resamples}")
        self.metric, self.k, self.n_resamples, self.key = metric, k, n_resamples, key
        self.groups: dict[Hashable, PoissonBootstrap] = {}

    def empty(self) -> PoissonBootstrap:
        """A bootstrap of no rows on this state's stream."""
        return make_bootstrap(self.metric, self.k, n_resamples=self.n_resamples, key=self.key)

    def __getitem__(self, group: Hashable) -> PoissonBootstrap:
        """The group's bootstrap (one of no rows for a group never seen)."""
        return self.groups[group] if group in self.groups else self.empty()

    def __contains__(self, group: Hashable) -> bool:
        return group in self.groups

    def update(
        self,
        row_ids: Any,
        y: Any,
        output: Any,
        groups: Sequence[tuple[Hashable, np.ndarray]],
    ) -> GroupedPoisson:
        """Add a batch's rows to each group they belong to; returns ``self``. Raises
        ValueError when the lengths of ids, labels, outputs and masks differ."""
        row_ids = np.asarray(row_ids, dtype=np.int64)
        y, output = np.asarray(y), np.asarray(output)
        n = len(row_ids)
        if not n == len(y) == len(output) or any(len(m) != n for _, m in groups):
            raise ValueError(f"{self.metric}: ids, labels, outputs and masks differ in length")
        for group, _ in groups:
            self.groups.setdefault(group, self.empty())
        if not groups:
            return self
        resamples = np.arange(self.n_resamples)
        counted = isinstance(self.empty().point, ConfusionAccumulator)
        for rows in row_chunks(n, self.n_resamples):
            weights = poisson_weights(self.key, row_ids[rows], resamples)
            masks = [np.asarray(mask[rows], dtype=bool) for _, mask in groups]
            if counted:  # confusion counts: every group and resample in one sparse product
                boots = [self.groups[group] for group, _ in groups]
                _add_counts(boots, masks, y[rows], output[rows], weights, self.k)
                continue
            for (group, _), inside in zip(groups, masks, strict=True):
                if not inside.any():
                    continue
                boot = self.groups[group]
                if isinstance(boot, ExactMeanLoss):  # exact sums: it draws its own weights
                    boot.update(row_ids[rows][inside], y[rows][inside], output[rows][inside])
                else:
                    _add(boot, y[rows][inside], output[rows][inside], weights[inside])
        return self

    def merge(self, other: GroupedPoisson) -> GroupedPoisson:
        """A new state holding both sides' rows. Raises TypeError when the metric, classes,
        resamples or key differ."""
        mine = (self.metric, self.k, self.n_resamples, self.key)
        theirs = (other.metric, other.k, other.n_resamples, other.key)
        if mine != theirs:
            raise TypeError(f"cannot merge grouped bootstraps of {theirs} into {mine}")
        merged = GroupedPoisson(self.metric, self.k, n_resamples=self.n_resamples, key=self.key)
        merged.groups = dict(self.groups)
        for group, boot in other.groups.items():
            merged.groups[group] = merged.groups[group].merge(boot) if group in merged else boot
        return merged

    def union(self, groups: Iterable[Hashable]) -> PoissonBootstrap:
        """One bootstrap of the rows of ``groups`` (disjoint groups; merged in the order
        given, so the same order gives the same bytes)."""
        out = self.empty()
        for group in groups:
            if group in self.groups:
                out = out.merge(self.groups[group])
        return out


def resampled_values(boot: PoissonBootstrap) -> np.ndarray:
    """:meth:`PoissonBootstrap.values` (the metric per resample, NaN where undefined), computed
    for every resample at once when the metric is a function of confusion counts (its
    function is vectorised over stacked matrices), else resample by resample."""
    if isinstance(boot.point, ConfusionAccumulator):
        counts = np.stack([acc.state["counts"] for acc in boot.resamples])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(boot.point.fn(counts), dtype=float)
    return boot.values()


def estimate_of(boot: PoissonBootstrap, level: float) -> tuple[MetricEstimate, np.ndarray]:
    """(:func:`~mlgate.stats.poisson.poisson_estimate` of ``boot``, its values per resample),
    the values computed once. Raises UndefinedMetricError as ``poisson_estimate`` does."""
    values = resampled_values(boot)
    return poisson_estimate(_Computed(boot, values), level=level), values


class _Computed:
    """``boot`` with its per-resample values already computed (read-only delegation)."""

    def __init__(self, boot: PoissonBootstrap, values: np.ndarray) -> None:
        self._boot, self._values = boot, values

    def values(self) -> np.ndarray:
        return self._values

    def __getattr__(self, name: str) -> Any:
        return getattr(self._boot, name)


def _add(boot: PoissonBootstrap, y: np.ndarray, output: np.ndarray, weights: np.ndarray) -> None:
    """Add rows whose Poisson weights (rows × every resample) are already drawn."""
    boot.point.update(y, output)
    boot.n_rows += len(y)
    for b, acc in enumerate(boot.resamples):
        acc.update(y, output, sample_weight=weights[:, b])


def _add_counts(
    boots: list[PoissonBootstrap],
    masks: list[np.ndarray],
    y: np.ndarray,
    pred: np.ndarray,
    weights: np.ndarray,
    k: int,
) -> None:
    """:func:`_add` for a confusion-count metric, for many groups at once: the weighted
    (k+1)² counts of every group and resample are one sparse product of exact integers, added
    to each accumulator's ``counts`` (the same floats as its own weighted ``bincount``)."""
    cells = cell_ids(y, pred, k)
    size = (k + 1) ** 2
    members = [np.flatnonzero(m) for m in masks]
    flat = np.concatenate([g * size + cells[rows] for g, rows in enumerate(members)])
    cols = np.concatenate(members)
    design = sparse.csr_matrix(
        (np.ones(len(cols), dtype=np.int64), (flat, cols)), shape=(len(masks) * size, len(y))
    )
    sums = (design @ weights.astype(np.int64)).reshape(len(masks), k + 1, k + 1, -1)
    for g, (boot, rows) in enumerate(zip(boots, members, strict=True)):
        if not len(rows):
            continue
        boot.point.update(y[rows], pred[rows])
        boot.n_rows += len(rows)
        for b, acc in enumerate(boot.resamples):
            acc.state = {"counts": acc.state["counts"] + sums[g, :, :, b]}


@dataclass
class GroupedCounts:
    """Weighted counts of ``n_cells`` cells per group: for the rows as they are (``point``,
    (n_cells,) per group) and for each Poisson resample (``resampled``, (B, n_cells) per group),
    exact int64 sums, on the stream ``key``.

    ``update(row_ids, group_codes, cells, keys)``: row i falls in cell ``cells[i]`` of group
    ``keys[group_codes[i]]`` (a code < 0: no group). ``merge`` is a union that adds counts.
    """

    n_cells: int
    n_resamples: int
    key: int
    point: dict[Hashable, np.ndarray] = field(default_factory=dict)
    resampled: dict[Hashable, np.ndarray] = field(default_factory=dict)

    def update(
        self, row_ids: Any, group_codes: Any, cells: Any, keys: Sequence[Hashable]
    ) -> GroupedCounts:
        """Add a batch; returns ``self``. Raises ValueError for lengths that differ or a cell
        outside [0, n_cells)."""
        row_ids = np.asarray(row_ids, dtype=np.int64)
        codes, cells = np.asarray(group_codes, dtype=np.int64), np.asarray(cells, dtype=np.int64)
        if not len(row_ids) == len(codes) == len(cells):
            raise ValueError("row ids, group codes and cells differ in length")
        if len(cells) and (cells.min() < 0 or cells.max() >= self.n_cells):
            raise ValueError(f"cells must be in [0, {self.n_cells})")
        known = codes >= 0
        row_ids, codes, cells = row_ids[known], codes[known], cells[known]
        g, m, b = len(keys), self.n_cells, self.n_resamples
        flat = codes * m + cells
        point = np.bincount(flat, minlength=g * m).reshape(g, m)
        resampled = np.zeros((g * m, b), dtype=np.int64)
        resamples = np.arange(b)
        for rows in row_chunks(len(flat), b):
            w = poisson_weights(self.key, row_ids[rows], resamples).astype(np.int64)
            n = len(w)
            design = sparse.csr_matrix(
                (np.ones(n, dtype=np.int64), (flat[rows], np.arange(n))), shape=(g * m, n)
            )
            resampled += design @ w
        resampled = resampled.reshape(g, m, b).transpose(0, 2, 1)  # (groups, B, cells)
        for i, group in enumerate(keys):
            if not point[i].any():
                continue
            self.point[group] = self.point.get(group, 0) + point[i]
            self.resampled[group] = self.resampled.get(group, 0) + resampled[i]
        return self

    def merge(self, other: GroupedCounts) -> GroupedCounts:
        """A new state with both sides' counts. Raises TypeError when the shapes or key differ."""
        mine, theirs = (
            (self.n_cells, self.n_resamples, self.key),
            (
                other.n_cells,
                other.n_resamples,
                other.key,
            ),
        )
        if mine != theirs:
            raise TypeError(f"cannot merge grouped counts of {theirs} into {mine}")
        point, resampled = dict(self.point), dict(self.resampled)
        for group, counts in other.point.items():
            point[group] = point[group] + counts if group in point else counts
            mine_r = resampled.get(group)
            resampled[group] = other.resampled[group] + (0 if mine_r is None else mine_r)
        return GroupedCounts(self.n_cells, self.n_resamples, self.key, point, resampled)
