"""Fairness gaps against hand-computed cases, and the ``fairness`` check's verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from slices_helpers import context, run_one, write_gate

from mlgate.checks.slices.checks import FAIRNESS, fairness_check
from mlgate.checks.slices.fairness import fairness_estimate, fairness_gap, group_tables, rates
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Bars
from mlgate.core.gate import open_gate
from mlgate.core.result import Status


def tables_of(y, pred, group):
    codes, names = pd.factorize(np.asarray(group), sort=True)
    return group_tables(np.asarray(y), np.asarray(pred), codes, len(names))


def test_hand_computed_gaps():
    # group a: y = 1 1 1 1 0 0 0 0, ŷ = 1 1 1 0 1 0 0 0 → selection 4/8, TPR 3/4, FPR 1/4
    # group b: y = 1 1 0 0,         ŷ = 1 0 0 0         → selection 1/4, TPR 1/2, FPR 0
    y = [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0]
    pred = [1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0]
    group = ["a"] * 8 + ["b"] * 4
    t = tables_of(y, pred, group)
    r = rates(t)
    np.testing.assert_allclose(r["selection_rate"], [0.5, 0.25])
    np.testing.assert_allclose(r["tpr"], [0.75, 0.5])
    np.testing.assert_allclose(r["fpr"], [0.25, 0.0])
    assert fairness_gap("demographic_parity_difference", t) == pytest.approx(0.25)
    assert fairness_gap("equalized_odds_difference", t) == pytest.approx(0.25)  # max(.25, .25)


def test_three_groups_take_max_minus_min():
    y = [1, 0] * 6
    pred = [1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0]
    group = ["a"] * 4 + ["b"] * 4 + ["c"] * 4
    t = tables_of(y, pred, group)
    r = rates(t)
    assert fairness_gap("demographic_parity_difference", t) == pytest.approx(
        r["selection_rate"].max() - r["selection_rate"].min()
    )
    eod = max(np.ptp(r["tpr"]), np.ptp(r["fpr"]))
    assert fairness_gap("equalized_odds_difference", t) == pytest.approx(eod)


def test_the_bootstrap_is_seeded_and_brackets_the_gap(rng):
    y = rng.integers(0, 2, 2000)
    group = rng.choice(["a", "b"], 2000)
    pred = (rng.random(2000) < np.where(group == "a", 0.6, 0.4)).astype(int)
    t = tables_of(y, pred, group)
    one = fairness_estimate("demographic_parity_difference", t, rng=np.random.default_rng(3))
    two = fairness_estimate("demographic_parity_difference", t, rng=np.random.default_rng(3))
    assert one == two
    assert one.interval.low < one.value < one.interval.high
    assert one.interval.low < 0.2 < one.interval.high


def biased_data(n, seed, base_rates=(0.5, 0.5)):
    """Group g0 / g1 with their own positive rates; the model is right 85% of the time in
    both groups (equal TPR and FPR)."""
    rng = np.random.default_rng(seed)
    g = rng.choice(["g0", "g1"], n)
    y = (rng.random(n) < np.where(g == "g0", *base_rates)).astype(int)
    right = rng.random(n) < 0.85
    guess = np.where(right, y, 1 - y)
    return pd.DataFrame({"group": g, "guess": guess, "y": y})


def echo(X: pd.DataFrame) -> np.ndarray:
    p = np.where(X["guess"].to_numpy() == 1, 0.9, 0.1)
    return np.column_stack([1 - p, p])


def test_unequal_base_rates_fail_parity_but_pass_equalized_odds(tmp_path):
    frame = biased_data(6000, 0, base_rates=(0.7, 0.3))
    common = {"check": "fairness", "max": 0.1, "sensitive": ["group"]}
    dpd = run_one(tmp_path, {**common, "metric": "demographic_parity_difference"}, echo, frame)
    assert dpd.status is Status.FAILED, dpd.message
    assert dpd.value == pytest.approx(0.7 * 0.85 + 0.3 * 0.15 - (0.3 * 0.85 + 0.7 * 0.15), abs=0.04)
    eod = run_one(tmp_path, {**common, "metric": "equalized_odds_difference"}, echo, frame)
    assert eod.status is Status.PASSED, eod.message
    rows = eod.evidence["slices"].rows
    assert {row["slice"] for row in rows} == {"group=g0", "group=g1"}
    assert eod.check_id == "fairness-eod"
    bars = eod.evidence["per_slice"]  # the TPR per group for equalized odds
    assert isinstance(bars, Bars) and bars.over == "slice"
    assert bars.quantity == "true positive rate" and bars.low is None
    assert list(bars.values) == [row["tpr"] for row in rows]
    assert dpd.evidence["per_slice"].quantity == "selection rate"
    assert list(dpd.evidence["per_slice"].values) == [
        row["selection_rate"] for row in dpd.evidence["slices"].rows
    ]


def test_a_fair_model_passes_parity_and_sensitive_comes_from_the_dataset(tmp_path):
    frame = biased_data(6000, 1)
    r = run_one(tmp_path, {"check": "fairness", "max": 0.05}, echo, frame, sensitive=["group"])
    assert r.status is Status.PASSED, r.message
    assert r.interval.high <= 0.05


def test_a_small_group_is_inconclusive_or_excluded(tmp_path):
    frame = biased_data(3000, 2)
    frame.loc[:9, "group"] = "tiny"
    check = {"check": "fairness", "max": 0.1, "sensitive": ["group"]}
    r = run_one(tmp_path, check, echo, frame)
    assert r.status is Status.INCONCLUSIVE and "tiny" in r.message
    excluded = run_one(tmp_path, {**check, "small_groups": "exclude"}, echo, frame)
    assert excluded.status is Status.PASSED
    assert excluded.sample_size == 2990


def test_intersections_of_two_attributes(tmp_path):
    frame = biased_data(4000, 3)
    frame["band"] = np.where(np.arange(4000) % 2 == 0, "x", "y")
    ctx = context(tmp_path, echo, frame)
    r = FAIRNESS(ctx, max=0.1, sensitive=["group", "band"])
    assert len(r.evidence["slices"].rows) == 4 and r.check_id == "fairness-dpd"
    assert "group=g0 & band=x" in {row["slice"] for row in r.evidence["slices"].rows}
    assert fairness_check is FAIRNESS  # the older name


def test_fairness_needs_a_binary_task_and_sensitive_columns(tmp_path):
    with pytest.raises(ConfigError, match="binary"):
        open_gate(
            write_gate(
                tmp_path, [{"check": "fairness", "max": 0.1}], "multiclass", sensitive=["group"]
            )
        )
    with pytest.raises(ConfigError, match="sensitive"):
        open_gate(write_gate(tmp_path, [{"check": "fairness", "max": 0.1}]))


@pytest.mark.slow
def test_the_parity_interval_covers_the_true_gap():
    # Selection rates 0.6 and 0.4 in two groups of 300: the true gap is 0.2.
    runs, covered = 200, 0
    for seed in range(runs):
        r = np.random.default_rng(seed)
        group = np.repeat(["a", "b"], 300)
        pred = (r.random(600) < np.where(group == "a", 0.6, 0.4)).astype(int)
        t = tables_of(r.integers(0, 2, 600), pred, group)
        est = fairness_estimate("demographic_parity_difference", t, rng=r, n_resamples=300)
        covered += est.interval.low <= 0.2 <= est.interval.high
    assert covered / runs >= 0.9
