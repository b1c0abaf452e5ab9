"""Total variation and Hellinger distances against independent computations on distributions
whose distances are known (closed forms, SciPy's pmfs and distances), and as the effect a
drift check judges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import euclidean

from mlgate.checks.drift.effect import hellinger, total_variation
from mlgate.checks.drift.univariate import (
    CategoryCounts,
    SortedSample,
    compare_categorical,
    compare_numeric,
)
from mlgate.core.result import Status
from mlgate.core.runner import run_gate


def bernoulli_hellinger(p: float, q: float) -> float:
    """Closed form: H² = 1 − (√(pq) + √((1−p)(1−q)))."""
    return float(np.sqrt(1.0 - (np.sqrt(p * q) + np.sqrt((1 - p) * (1 - q)))))


@pytest.mark.parametrize(("p", "q"), [(0.5, 0.8), (0.1, 0.15), (0.3, 0.3), (0.01, 0.99)])
def test_two_categories_match_the_bernoulli_closed_forms(p, q):
    ref, cur = np.array([1 - p, p]), np.array([1 - q, q])
    assert total_variation(ref, cur) == pytest.approx(abs(p - q), abs=1e-12)
    assert hellinger(ref, cur) == pytest.approx(bernoulli_hellinger(p, q), abs=1e-12)


@pytest.mark.parametrize(("n", "p", "q"), [(10, 0.3, 0.5), (25, 0.5, 0.52), (6, 0.2, 0.9)])
def test_binomial_pmfs_agree_with_scipy(n, p, q):
    k = np.arange(n + 1)
    a, b = stats.binom.pmf(k, n, p), stats.binom.pmf(k, n, q)
    # TV = 1 − Σ min(a, b) (the overlap), Hellinger = ‖√a − √b‖₂ / √2 (SciPy's euclidean)
    assert total_variation(a, b) == pytest.approx(1.0 - np.minimum(a, b).sum(), abs=1e-12)
    assert hellinger(a, b) == pytest.approx(euclidean(np.sqrt(a), np.sqrt(b)) / np.sqrt(2))
    # the two bound each other: H² ≤ TV ≤ H·√2
    h, tv = hellinger(a, b), total_variation(a, b)
    assert h**2 <= tv + 1e-12 and tv <= h * np.sqrt(2) + 1e-12


def test_counts_are_normalised_and_extremes_are_zero_and_one():
    assert total_variation(np.array([10, 30]), np.array([1, 3])) == pytest.approx(0.0, abs=1e-15)
    assert hellinger(np.array([10, 30]), np.array([100, 300])) == pytest.approx(0.0, abs=1e-12)
    disjoint = np.array([5, 0, 0]), np.array([0, 2, 7])
    assert total_variation(*disjoint) == pytest.approx(1.0)
    assert hellinger(*disjoint) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="zero"):
        total_variation(np.array([0, 0]), np.array([1, 1]))


def test_categorical_comparison_reports_both_over_the_categories_seen():
    ref = CategoryCounts.of(np.array(["a"] * 50 + ["b"] * 30 + ["c"] * 20, dtype=object))
    cur = CategoryCounts.of(np.array(["a"] * 20 + ["b"] * 30 + ["d"] * 50, dtype=object))
    res = compare_categorical(ref, cur)
    r = np.array([0.5, 0.3, 0.2, 0.0])
    c = np.array([0.2, 0.3, 0.0, 0.5])
    assert res.distances["total_variation"] == pytest.approx(0.5 * np.abs(r - c).sum())
    assert res.distances["hellinger"] == pytest.approx(euclidean(np.sqrt(r), np.sqrt(c)) / 2**0.5)


def test_a_normal_mean_shift_approaches_the_continuous_distances():
    """Over fine reference-quantile bins of large samples, the binned distances approach the
    closed forms for N(0, 1) vs N(δ, 1): TV = 2Φ(δ/2) − 1, H² = 1 − exp(−δ²/8)."""
    rng = np.random.default_rng(0)
    delta = 0.5
    a, b = rng.normal(size=200_000), rng.normal(delta, 1.0, size=200_000)
    res = compare_numeric(SortedSample.of(a), SortedSample.of(b), n_bins=50)
    tv = 2 * stats.norm.cdf(delta / 2) - 1
    h = np.sqrt(1 - np.exp(-(delta**2) / 8))
    assert res.distances["total_variation"] == pytest.approx(tv, abs=0.01)
    assert res.distances["hellinger"] == pytest.approx(h, abs=0.01)


def test_the_drift_check_judges_a_categorical_column_on_total_variation(tmp_path, write_gate):
    def data(n: int, seed: int, p_blue: float) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        colour = np.where(rng.random(n) < p_blue, "blue", "red")
        return pd.DataFrame({"colour": colour, "y": rng.integers(0, 2, n)})

    def model(X: pd.DataFrame) -> np.ndarray:
        return np.full((len(X), 2), 0.5)

    check = {"check": "drift", "categorical_effect": "total_variation"}

    def run(check: dict, p_blue: float):
        path = write_gate(tmp_path, [check])
        out = run_gate(
            path,
            models={"candidate": model},
            datasets={"reference": data(3000, 1, 0.3), "evaluation": data(3000, 2, p_blue)},
        )
        (r,) = out.results
        (row,) = r.evidence["columns"].rows
        return r, row

    # a 0.15 move in the share of blue: TV 0.15 ≥ 0.1, significant at 3,000 rows a side
    moved, row = run(check, 0.45)
    assert moved.status is Status.FAILED and row["effect"] == "total_variation"
    assert row["effect_value"] == pytest.approx(row["total_variation"])
    assert row["effect_value"] == pytest.approx(0.15, abs=0.03)
    assert "hellinger" in row
    # a 0.05 move is significant but below the effect floor: not drifted
    small, row = run({**check, "categorical_min_effect": 0.1}, 0.35)
    assert small.status is Status.PASSED and not row["drifted"]
