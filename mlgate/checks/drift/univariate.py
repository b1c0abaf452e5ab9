"""Two-sample statistics of one column: reference vs current.

Numeric columns: the Kolmogorov–Smirnov test, the Wasserstein-1 distance, and PSI,
Jensen–Shannon, total variation and Hellinger distances over bins cut at the reference's
quantiles — all from one merge of the two sorted samples. Categorical columns: Pearson's
chi-squared test of the 2 × k table, PSI, Jensen–Shannon, total variation and Hellinger
distances and Cramér's V, from category counts.

State is mergeable (:class:`SortedSample`, :class:`CategoryCounts`): chunks can be added with
``update`` and combined with ``merge``; the numbers equal a single pass. Every statistic agrees
with SciPy (``ks_2samp``, ``chi2_contingency``, ``wasserstein_distance``,
``spatial.distance.jensenshannon``) to 1e-9; tests/drift checks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
from scipy import stats

from mlgate.core.result import rounded

#: SciPy's ``ks_2samp(method="auto")`` uses the exact distribution up to this many rows per
#: side; mlgate asks SciPy for exactly that p-value there, and uses the same asymptotic
#: formula (``kstwo.sf(d, round(n·m/(n+m)))``) above it.
KS_EXACT_MAX_N = 10_000
#: Proportions below this are clipped in PSI (empty bins would give an infinite PSI).
PSI_EPS = 1e-4


# -- state -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SortedSample:
    """The finite values of a numeric column, sorted, plus the count of missing / non-finite
    ones. Exact (KS needs every value): 8 bytes per row."""

    values: np.ndarray = field(default_factory=lambda: np.empty(0))
    n_missing: int = 0

    @classmethod
    def of(cls, x: Any) -> SortedSample:
        return cls().update(x)

    def update(self, x: Any) -> SortedSample:
        """A new sample with the values of ``x`` added (the inputs are not changed)."""
        if hasattr(x, "to_numpy"):  # pandas, including nullable dtypes holding pd.NA
            x = x.to_numpy(dtype=float, na_value=np.nan)
        arr = np.asarray(x, dtype=float).ravel()
        ok = np.isfinite(arr)
        part = np.sort(arr[ok])
        return SortedSample(_merge_sorted(self.values, part), self.n_missing + int((~ok).sum()))

    def merge(self, other: SortedSample) -> SortedSample:
        return SortedSample(
            _merge_sorted(self.values, other.values), self.n_missing + other.n_missing
        )

    def __len__(self) -> int:
        return len(self.values)


def _merge_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if not len(a):
        return b
    if not len(b):
        return a
    # Timsort finds the two sorted runs and merges them in linear time.
    return np.sort(np.concatenate([a, b]), kind="stable")


@dataclass(frozen=True)
class CategoryCounts:
    """Counts per category (missing values count as the category ``None``)."""

    counts: Mapping[Any, int] = field(default_factory=dict)

    @classmethod
    def of(cls, x: Any) -> CategoryCounts:
        return cls().update(x)

    def update(self, x: Any) -> CategoryCounts:
        import pandas as pd

        s = pd.Series(np.asarray(x, dtype=object) if not isinstance(x, pd.Series) else x)
        vc = s.value_counts(dropna=False, sort=False)
        new = dict(self.counts)
        for key, c in vc.items():
            k = None if _is_missing(key) else _plain(key)
            new[k] = new.get(k, 0) + int(c)
        return CategoryCounts(new)

    def merge(self, other: CategoryCounts) -> CategoryCounts:
        new = dict(self.counts)
        for k, c in other.counts.items():
            new[k] = new.get(k, 0) + c
        return CategoryCounts(new)

    @property
    def n(self) -> int:
        return int(sum(self.counts.values()))


def _is_missing(v: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(v))  # None, NaN, NaT and pd.NA
    except (TypeError, ValueError):  # not a scalar
        return False


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


# -- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class TwoSample:
    """What the comparison of one column gives: the test (``ks`` or ``chi2``), its statistic
    and p-value, and every distance. ``n_ref`` / ``n_cur`` count the values compared (finite
    numbers for numeric columns, every row for categorical ones)."""

    kind: str  # "numeric" | "categorical"
    test: str
    statistic: float
    p_value: float
    n_ref: int
    n_cur: int
    distances: Mapping[str, float]
    details: Mapping[str, Any] = field(default_factory=dict)


# -- numeric ---------------------------------------------------------------------------------
def ks_from_sorted(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(KS statistic D, two-sided p-value, Wasserstein-1 distance) of two sorted finite
    samples, as ``scipy.stats.ks_2samp(a, b)`` and ``wasserstein_distance(a, b)``. Raises
    ValueError when either is empty."""
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        raise ValueError("both samples need at least one finite value")
    merged = np.concatenate([a, b])
    order = np.argsort(merged, kind="stable")  # two sorted runs: a linear merge
    vals = merged[order]
    from_a = np.cumsum(order < n1)
    # The ECDFs are evaluated after the last of each run of ties, as SciPy does.
    last = np.flatnonzero(np.diff(vals) != 0)
    ends = np.append(last, len(vals) - 1)
    c1 = from_a[ends]
    c2 = ends + 1 - c1
    diff = c1 / n1 - c2 / n2
    d = float(max(np.clip(-diff.min(), 0, 1), diff.max()))
    widths = np.diff(vals[ends])
    wasserstein = float(np.sum(np.abs(diff[:-1]) * widths))
    if max(n1, n2) <= KS_EXACT_MAX_N:
        p = float(stats.ks_2samp(a, b).pvalue)  # SciPy's exact distribution
    else:
        p = ks_asymptotic_p(d, n1, n2)
    return d, p, wasserstein


def ks_asymptotic_p(d: float, n1: int, n2: int) -> float:
    """The two-sided KS p-value of statistic ``d`` between samples of ``n1`` and ``n2``
    values by SciPy's asymptotic formula (``kstwo.sf(d, round(n·m/(n+m)))``)."""
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0, 1))


def quantile_edges(ref: np.ndarray, n_bins: int) -> np.ndarray:
    """Inner bin edges at the quantiles of the sorted reference ``ref`` (ties collapse bins);
    the outer bins are open, so current values beyond the reference's range land in the end
    bins."""
    if n_bins < 2 or len(ref) == 0:
        return np.empty(0)
    # ``ref`` is sorted: NumPy's default ("linear") quantiles by direct interpolation.
    pos = np.linspace(0, 1, n_bins + 1)[1:-1] * (len(ref) - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, len(ref) - 1)
    qs = ref[lo] + (ref[hi] - ref[lo]) * (pos - lo)
    return np.unique(qs)


def binned_counts(sorted_x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of a sorted sample in the bins ``(-inf, e0], (e0, e1], …, (e_last, inf)``."""
    cuts = np.searchsorted(sorted_x, edges, side="right")
    return np.diff(np.concatenate([[0], cuts, [len(sorted_x)]]))


def bin_labels(edges: np.ndarray) -> list[str]:
    """Labels of the bins ``binned_counts`` uses: ``≤ e0``, ``(e0, e1]``, …, ``> e_last``."""
    e = [f"{v:.3g}" for v in edges]
    if not e:
        return ["all"]
    return [f"≤ {e[0]}"] + [f"({a}, {b}]" for a, b in pairwise(e)] + [f"> {e[-1]}"]


def compare_numeric(ref: SortedSample, cur: SortedSample, *, n_bins: int = 10) -> TwoSample:
    """KS test, Wasserstein distance (raw and in reference standard deviations), and PSI,
    Jensen–Shannon, total variation and Hellinger distances over ``n_bins`` reference-quantile
    bins. Raises ValueError when either side has no finite value."""
    a, b = ref.values, cur.values
    d, p, w = ks_from_sorted(a, b)
    sd = float(np.std(a, ddof=1)) if len(a) > 1 else 0.0
    edges = quantile_edges(a, n_bins)
    return numeric_result(
        d,
        p,
        w,
        sd,
        (binned_counts(a, edges), binned_counts(b, edges)),
        edges,
        sizes=(len(a), len(b)),
        means=(float(np.mean(a)), float(np.mean(b))),
        missing=(ref.n_missing, cur.n_missing),
    )


def numeric_result(
    d: float,
    p: float,
    wasserstein: float,
    ref_sd: float,
    counts: tuple[np.ndarray, np.ndarray],
    edges: np.ndarray,
    *,
    sizes: tuple[int, int],
    means: tuple[float, float],
    missing: tuple[int, int],
    **details: Any,
) -> TwoSample:
    """A numeric column's :class:`TwoSample` from its KS statistic ``d`` and p-value ``p``, the
    Wasserstein distance, the reference's sd, the (reference, current) ``counts`` in the bins
    cut at ``edges``, and the sides' sizes, means and missing counts; ``details`` are added
    to its details. One place for what the exact comparison and the sketched one
    (:mod:`mlgate.checks.drift.sketched`) both report, so their results cannot diverge."""
    from mlgate.checks.drift.effect import hellinger, jensen_shannon, psi, total_variation

    rc, cc = counts
    w = wasserstein
    # a constant reference: any movement is an infinite number of its (zero) SDs
    w_sd = w / ref_sd if ref_sd > 0 else (0.0 if w == 0 else float("inf"))
    return TwoSample(
        kind="numeric",
        test="ks",
        statistic=d,
        p_value=p,
        n_ref=sizes[0],
        n_cur=sizes[1],
        distances={
            "ks": d,
            "wasserstein": w,
            "wasserstein_sd": w_sd,
            "psi": psi(rc, cc),
            "jensen_shannon": jensen_shannon(rc, cc),
            "total_variation": total_variation(rc, cc),
            "hellinger": hellinger(rc, cc),
        },
        details={
            "ref_mean": means[0],
            "cur_mean": means[1],
            "ref_sd": ref_sd,
            "bins": len(rc),
            "bin_labels": bin_labels(edges),
            "ref_share": _shares(rc),
            "cur_share": _shares(cc),
            "missing_ref": missing[0],
            "missing_cur": missing[1],
            **details,
        },
    )


# -- categorical -----------------------------------------------------------------------------
def chi2_two_sample(ref_counts: np.ndarray, cur_counts: np.ndarray) -> tuple[float, float, int]:
    """(statistic, p-value, degrees of freedom) of Pearson's chi-squared test of the 2 × k
    table, exactly as ``scipy.stats.chi2_contingency`` (Yates' correction when dof = 1).
    Categories absent from both sides must be left out. One category: (0, 1, 0)."""
    obs = np.vstack([ref_counts, cur_counts]).astype(float)
    k = obs.shape[1]
    dof = k - 1
    if dof == 0:
        return 0.0, 1.0, 0
    n = obs.sum()
    expected = np.outer(obs.sum(axis=1), obs.sum(axis=0)) / n
    if dof == 1:
        diff = expected - obs
        direction = np.sign(diff)
        magnitude = np.minimum(0.5, np.abs(diff))
        obs = obs + magnitude * direction
    stat = float(np.sum((obs - expected) ** 2 / expected))
    return stat, float(stats.chi2.sf(stat, dof)), dof


def compare_categorical(ref: CategoryCounts, cur: CategoryCounts) -> TwoSample:
    """Chi-squared test, PSI, Jensen–Shannon, total variation and Hellinger distances and
    Cramér's V over the categories seen on either side. Raises ValueError when either side is
    empty."""
    from mlgate.checks.drift.effect import (
        cramers_v,
        hellinger,
        jensen_shannon,
        psi,
        total_variation,
    )

    cats = sorted(set(ref.counts) | set(cur.counts), key=lambda v: (v is None, repr(v)))
    rc = np.array([ref.counts.get(c, 0) for c in cats], dtype=np.int64)
    cc = np.array([cur.counts.get(c, 0) for c in cats], dtype=np.int64)
    if rc.sum() == 0 or cc.sum() == 0:
        raise ValueError("both samples need at least one value")
    stat, p, dof = chi2_two_sample(rc, cc)
    return TwoSample(
        kind="categorical",
        test="chi2",
        statistic=stat,
        p_value=p,
        n_ref=int(rc.sum()),
        n_cur=int(cc.sum()),
        distances={
            "psi": psi(rc, cc),
            "jensen_shannon": jensen_shannon(rc, cc),
            "cramers_v": cramers_v(stat if dof != 1 else _uncorrected(rc, cc), rc, cc),
            "total_variation": total_variation(rc, cc),
            "hellinger": hellinger(rc, cc),
        },
        details={
            "dof": dof,
            "categories": [_label(c) for c in cats[:50]],
            "ref_share": _shares(rc)[:50],
            "cur_share": _shares(cc)[:50],
        },
    )


def _shares(counts: np.ndarray) -> list[float | None]:
    """Each count's share of the total, rounded for evidence."""
    return [rounded(v) for v in counts / counts.sum()]


def _uncorrected(rc: np.ndarray, cc: np.ndarray) -> float:
    obs = np.vstack([rc, cc]).astype(float)
    expected = np.outer(obs.sum(axis=1), obs.sum(axis=0)) / obs.sum()
    return float(np.sum((obs - expected) ** 2 / expected))


def _label(c: Any) -> str:
    return "<missing>" if c is None else str(c)
