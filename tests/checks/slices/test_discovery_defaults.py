"""Issue 15 on ``slice_discovery``: by default each slice is compared with rows of the same
model confidence (a Cochran–Mantel–Haenszel test, checked against statsmodels) and must exceed
them by ``min_gap`` (0.05), so a healthy classifier's hard region is not flagged while a slice
it is wrongly confident on is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from slices_helpers import context, oracle, planted, run_one
from statsmodels.stats.contingency_tables import StratifiedTable

from mlgate.checks.slices.checks import SLICE_DISCOVERY
from mlgate.checks.slices.discovery import bin_features, discover
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.result import Status


def logistic_data(n: int, seed: int, defect: float = 0.0) -> pd.DataFrame:
    """x1, x2, x3 drive a logistic label; g is a group the label ignores. With ``defect``,
    that share of labels is flipped where g = a and x3 > 0.5 (about 10% of rows): a slice the
    model (:func:`true_probability`) is confidently wrong on."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "x3": rng.normal(size=n),
            "g": rng.choice(list("abc"), n),
        }
    )
    p = 1 / (1 + np.exp(-(1.5 * frame["x1"] - frame["x2"] + 0.5 * frame["x3"])))
    y = (rng.random(n) < p).astype(int)
    bad = ((frame["g"] == "a") & (frame["x3"] > 0.5)).to_numpy()
    flip = bad & (rng.random(n) < defect)
    frame["y"] = np.where(flip, 1 - y, y)
    return frame


def true_probability(X: pd.DataFrame) -> np.ndarray:
    """The label's own probability: a perfect, calibrated model."""
    p = 1 / (1 + np.exp(-(1.5 * X["x1"] - X["x2"] + 0.5 * X["x3"]).to_numpy()))
    return np.column_stack([1 - p, p])


FEATURES = ["x1", "x2", "x3", "g"]


def test_a_perfect_models_hard_region_is_not_flagged_by_default(tmp_path):
    frame = logistic_data(4000, 0)
    check = {"check": "slice_discovery", "features": FEATURES, "top_k": 100}
    r = run_one(tmp_path, check, true_probability, frame)
    assert r.status is Status.PASSED, r.message
    ev = r.evidence
    assert ev["compared_to"] == "same_confidence" and ev["strata"] == 10 and ev["min_gap"] == 0.05
    assert "Cochran–Mantel–Haenszel" in r.method
    assert "than rows of the same confidence by at least 0.05" in r.message
    # the hard region is still there and reported (a raw gap), just not flagged
    assert max(row["gap"] for row in ev["slices"].rows) > 0.1
    assert {"expected", "excess"} <= set(ev["slices"].rows[0])


def test_comparing_with_the_rest_flags_the_hard_region(tmp_path):
    """``compare_to: rest`` is the search before issue 15: raw error rates, which a healthy
    model's boundary region exceeds whatever ``min_gap`` is."""
    frame = logistic_data(4000, 0)
    check = {"check": "slice_discovery", "features": FEATURES, "compare_to": "rest"}
    r = run_one(tmp_path, check, true_probability, frame)
    assert r.status is Status.FAILED
    assert r.evidence["compared_to"] == "rest" and "excess" not in r.evidence["slices"].rows[0]
    assert any(row["slice"].startswith("x1") for row in r.evidence["slices"].rows[:3])


def test_a_slice_the_model_is_confidently_wrong_on_is_flagged(tmp_path):
    frame = logistic_data(4000, 0, defect=0.5)
    r = run_one(
        tmp_path, {"check": "slice_discovery", "features": FEATURES}, true_probability, frame
    )
    assert r.status is Status.FAILED, r.message
    top = r.evidence["slices"].rows[0]
    assert "g=a" in top["predicates"] and top["flagged"]
    assert any(pred.startswith("x3") for pred in top["predicates"]) or top["level"] == 1
    assert top["excess"] >= 0.05
    assert top["excess"] == pytest.approx(top["value"] - top["expected"], abs=2e-6)


def test_min_gap_keeps_a_significant_but_small_excess_from_flagging(tmp_path):
    """``min_gap`` is a minimum effect: the test is of "the excess is at most min_gap", so a
    real but small excess (≈ 0.04 here, clearly above 0 at 40,000 rows) is not flagged."""
    frame = logistic_data(40_000, 1, defect=0.06)  # excess ≈ 0.04 where g = a, x3 > 0.5
    check = {"check": "slice_discovery", "features": ["x3", "g"], "top_k": 100}

    def defect_row(r):
        rows = {row["slice"]: row for row in r.evidence["slices"].rows}
        return next(
            row for name, row in rows.items() if name.startswith("x3 >= ") and "g=a" in name
        )

    r = run_one(tmp_path, check, true_probability, frame)
    assert r.status is Status.PASSED, r.message
    row = defect_row(r)
    assert 0.0 < row["excess"] < 0.05 and row["p_adjusted"] > 0.05, row
    any_excess = run_one(tmp_path, {**check, "min_gap": 0.0}, true_probability, frame)
    assert any_excess.status is Status.FAILED
    row = defect_row(any_excess)
    assert row["flagged"] and row["p_adjusted"] <= 0.05


def test_the_p_value_is_of_an_excess_above_min_gap():
    """With ``min_gap`` the stratified z is (observed − expected − min_gap · n − ½) / sd."""
    rng = np.random.default_rng(6)
    n = 3000
    frame = pd.DataFrame({"g": rng.choice(list("ab"), n)})
    strata = rng.integers(0, 4, n)
    errors = (rng.random(n) < 0.1 + 0.1 * strata + 0.1 * (frame["g"] == "a")).astype(float)
    binned = bin_features(frame, ["g"])
    zero = discover(errors, binned, strata=strata, alpha=1.0, min_gap=0.0)
    some = discover(errors, binned, strata=strata, alpha=1.0, min_gap=0.05)
    a0 = next(r for r in zero.slices if r["slice"] == "g=a")
    a5 = next(r for r in some.slices if r["slice"] == "g=a")
    size = a0["n"]
    sd = (a0["value"] * size - a0["expected"] * size - 0.5) / stats.norm.isf(a0["p_value"])
    z = (a0["value"] * size - a0["expected"] * size - 0.05 * size - 0.5) / sd
    assert a5["p_value"] == pytest.approx(stats.norm.sf(z), rel=1e-4)
    assert a5["p_value"] > a0["p_value"]


def _tables(errors, member, strata):
    out = []
    for s in np.unique(strata):
        k = strata == s
        a = int(errors[k & member].sum())
        b = int((k & member).sum()) - a
        c = int(errors[k & ~member].sum())
        d = int((k & ~member).sum()) - c
        out.append([[a, b], [c, d]])
    return np.array(out, dtype=float).transpose(1, 2, 0)


def test_the_stratified_p_value_is_statsmodels_cochran_mantel_haenszel():
    rng = np.random.default_rng(4)
    n = 3000
    frame = pd.DataFrame({"g": rng.choice(list("abcd"), n)})
    strata = rng.integers(0, 5, n)
    rate = 0.05 + 0.1 * strata + np.where(frame["g"] == "b", 0.04, 0.0)
    errors = (rng.random(n) < rate).astype(float)
    d = discover(errors, bin_features(frame, ["g"]), strata=strata, top_k=10, alpha=1.0, min_gap=0)
    assert d.strata == 5 and d.n_evaluated == 4
    for row in d.slices:
        member = (frame["g"] == row["slice"].split("=")[1]).to_numpy()
        table = StratifiedTable(_tables(errors, member, strata))
        if row["excess"] * row["n"] > 0.5:  # statsmodels' two-sided test, halved
            test = table.test_null_odds(correction=True)
            assert row["p_value"] == pytest.approx(test.pvalue / 2, rel=1e-9), row["slice"]
        else:  # the upper tail with its continuity correction, written out
            a, b, c, d = (table.table[i, j] for i, j in ((0, 0), (0, 1), (1, 0), (1, 1)))
            n_s = a + b + c + d
            mean = ((a + b) * (a + c) / n_s).sum()
            var = ((a + b) * (c + d) * (a + c) * (b + d) / (n_s**2 * (n_s - 1))).sum()
            z = (a.sum() - mean - 0.5) / np.sqrt(var)
            assert row["p_value"] == pytest.approx(stats.norm.sf(z), rel=1e-9), row["slice"]
        expected = 0.0
        for s in range(5):
            k = strata == s
            total, bad, drawn = int(k.sum()), int(errors[k].sum()), int((member & k).sum())
            expected += stats.hypergeom(total, bad, drawn).mean()
        assert row["expected"] == pytest.approx(expected / member.sum(), abs=1e-6)


def test_non_binary_errors_use_the_stratified_permutation_variance():
    rng = np.random.default_rng(5)
    n = 2000
    frame = pd.DataFrame({"g": rng.choice(list("ab"), n)})
    strata = rng.integers(0, 3, n)
    errors = rng.exponential(1.0 + strata)
    d = discover(errors, bin_features(frame, ["g"]), strata=strata, alpha=1.0, min_gap=0.0)
    row = next(r for r in d.slices if r["slice"] == "g=a")
    member = (frame["g"] == "a").to_numpy()
    expected = var = 0.0
    for s in range(3):
        pop = errors[strata == s]
        m = int((member & (strata == s)).sum())
        expected += m * pop.mean()
        var += m * (len(pop) - m) / (len(pop) - 1) * pop.var()  # without replacement
    z = (errors[member].sum() - expected) / np.sqrt(var)
    assert row["p_value"] == pytest.approx(stats.norm.sf(z), rel=1e-9)


def test_one_stratum_is_the_unstratified_search():
    frame = planted(2000, 1)
    errors = (frame["y"] != frame["truth"]).to_numpy().astype(float)
    binned = bin_features(frame, ["region", "device"])
    plain = discover(errors, binned)
    same = discover(errors, binned, strata=np.zeros(2000, dtype=int))
    assert same.strata == 1 and same.slices == plain.slices
    with pytest.raises(DataError, match="strata"):
        discover(errors, binned, strata=np.zeros(10, dtype=int))


def test_a_constant_confidence_model_is_compared_with_the_rest(tmp_path):
    """The oracle gives every row confidence 0.8: one stratum, the exact Fisher test."""
    r = run_one(
        tmp_path,
        {"check": "slice_discovery", "features": ["region", "age"]},
        oracle,
        planted(3000, 2),
    )
    assert r.evidence["compared_to"] == "rest" and "Fisher" in r.method


def test_compare_to_needs_probabilities(tmp_path):
    def labels(X):
        return X["truth"].to_numpy()

    ctx = context(tmp_path, labels, planted(500, 3))
    auto = SLICE_DISCOVERY(ctx, features=["region"])
    assert auto.evidence["compared_to"] == "rest"
    with pytest.raises(DataError, match="no class probabilities"):
        SLICE_DISCOVERY(ctx, features=["region"], compare_to="same_confidence")
    reg = context(tmp_path, lambda X: X["age"].to_numpy(), planted(200, 3), task="regression")
    with pytest.raises(ConfigError, match="same_confidence"):
        SLICE_DISCOVERY(reg, compare_to="same_confidence")
