"""ECE, MCE and the reliability table against torchmetrics and scikit-learn on the same
inputs; merging chunks equals one pass."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import softmax
from sklearn.calibration import calibration_curve

from mlgate.checks.calibration.bins import (
    CalibrationBins,
    calibration_summary,
    equal_mass_edges,
    equal_width_edges,
)
from mlgate.stats.accumulators import UndefinedMetricError


@pytest.fixture
def tm():
    """torchmetrics' functional classification metrics (the dev extra installs them)."""
    return pytest.importorskip("torchmetrics.functional.classification")


def binary_case(rng, n=2000):
    p = rng.random(n)
    y = (rng.random(n) < p**1.5).astype(int)
    return y, np.column_stack([1 - p, p])


def multiclass_case(rng, n=2000, k=4):
    scores = softmax(rng.normal(0, 2, (n, k)), axis=1)
    y = rng.integers(0, k, n)
    y[: n // 2] = scores[: n // 2].argmax(axis=1)  # half the rows right, so bins differ
    return y, scores


@pytest.mark.parametrize("n_bins", [5, 10, 15])
def test_binary_ece_and_mce_agree_with_torchmetrics(rng, tm, n_bins):
    import torch

    y, scores = binary_case(rng)
    s = calibration_summary(y, scores, n_bins=n_bins, kind="positive")
    preds, target = torch.tensor(scores[:, 1]), torch.tensor(y)
    ece = tm.binary_calibration_error(preds, target, n_bins=n_bins, norm="l1")
    mce = tm.binary_calibration_error(preds, target, n_bins=n_bins, norm="max")
    assert s.ece == pytest.approx(float(ece), abs=1e-9)
    assert s.mce == pytest.approx(float(mce), abs=1e-9)


@pytest.mark.parametrize("n_bins", [10, 15])
def test_multiclass_top_label_ece_and_mce_agree_with_torchmetrics(rng, tm, n_bins):
    import torch

    y, scores = multiclass_case(rng)
    s = calibration_summary(y, scores, n_bins=n_bins, kind="top_label")
    preds, target = torch.tensor(scores), torch.tensor(y)
    ece = tm.multiclass_calibration_error(preds, target, num_classes=4, n_bins=n_bins)
    mce = tm.multiclass_calibration_error(preds, target, num_classes=4, n_bins=n_bins, norm="max")
    # torchmetrics' multiclass path computes in float32
    assert s.ece == pytest.approx(float(ece), abs=1e-6)
    assert s.mce == pytest.approx(float(mce), abs=1e-6)
    assert s.ece > 0.05  # the case is not trivially calibrated


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_reliability_table_agrees_with_sklearn_calibration_curve(rng, strategy):
    y, scores = binary_case(rng)
    binning = "equal_width" if strategy == "uniform" else "equal_mass"
    s = calibration_summary(y, scores, n_bins=8, binning=binning, kind="positive")
    prob_true, prob_pred = calibration_curve(y, scores[:, 1], n_bins=8, strategy=strategy)
    rows = [r for r in s.table if r.count > 0]  # sklearn drops empty bins
    np.testing.assert_allclose([r.accuracy for r in rows], prob_true, atol=1e-12)
    np.testing.assert_allclose([r.confidence for r in rows], prob_pred, atol=1e-12)
    assert sum(r.count for r in s.table) == len(y)


def test_equal_mass_bins_hold_about_the_same_rows(rng):
    y, scores = binary_case(rng, n=1000)
    s = calibration_summary(y, scores, n_bins=10, binning="equal_mass", kind="positive")
    counts = [r.count for r in s.table]
    assert max(counts) - min(counts) <= 2
    width = calibration_summary(y, scores**3 / (scores**3).sum(1, keepdims=True), n_bins=10)
    assert min(r.count for r in width.table) < 50  # equal width is uneven on skewed scores


def test_classwise_ece_is_the_mean_of_one_vs_rest_ece(rng):
    y, scores = multiclass_case(rng, k=3)
    s = calibration_summary(y, scores, n_bins=10, kind="classwise")
    per_class = []
    for c in range(3):
        two = np.column_stack([1 - scores[:, c], scores[:, c]])
        per_class.append(calibration_summary((y == c).astype(int), two, n_bins=10, kind="positive"))
    assert s.ece == pytest.approx(np.mean([p.ece for p in per_class]), abs=1e-12)
    assert s.mce == pytest.approx(max(p.mce for p in per_class), abs=1e-12)
    assert len(s.table) == 30 and {r.cls for r in s.table} == {0, 1, 2}


def test_a_hand_computed_case():
    # bin (0.5, 0.6]: confidences 0.55, 0.6 (one right); bin (0.9, 1.0]: 0.95 right.
    y = np.array([1, 0, 0])
    scores = np.array([[0.45, 0.55], [0.4, 0.6], [0.95, 0.05]])
    s = calibration_summary(y, scores, n_bins=10, kind="top_label")
    # top-label: conf (0.55, 0.6, 0.95), hit (1, 0, 1)
    expected = (2 / 3) * abs(0.5 - 0.575) + (1 / 3) * abs(1.0 - 0.95)
    assert s.ece == pytest.approx(expected)
    assert s.mce == pytest.approx(0.075)


def test_merged_chunks_equal_one_pass(rng):
    y, scores = multiclass_case(rng, n=999)
    edges = equal_mass_edges(scores.max(axis=1), 12)
    whole = CalibrationBins(4, edges).update(y, scores)
    parts = [
        CalibrationBins(4, edges).update(y[a:b], scores[a:b])
        for a, b in [(0, 1), (1, 400), (400, 999)]
    ]
    merged = parts[2].merge(parts[0]).merge(parts[1])
    assert merged.compute() == pytest.approx(whole.compute(), abs=1e-12)
    assert merged.mce() == pytest.approx(whole.mce(), abs=1e-12)
    assert parts[0].state["count"].sum() == 1  # merging changed no input
    with pytest.raises(TypeError, match="different edges"):
        whole.merge(CalibrationBins(4, equal_width_edges(12)))


def test_no_rows_and_unknown_labels_are_undefined():
    with pytest.raises(UndefinedMetricError):
        CalibrationBins(2, equal_width_edges(5)).compute()
    with pytest.raises(UndefinedMetricError, match="no score"):
        CalibrationBins(2, equal_width_edges(5)).update(np.array([-1]), np.array([[0.5, 0.5]]))
    with pytest.raises(ValueError, match="two classes"):
        calibration_summary([0], [[0.2, 0.3, 0.5]], kind="positive")


@given(
    cuts=st.lists(st.integers(min_value=0, max_value=120), max_size=6),
    kind=st.sampled_from(["top_label", "classwise"]),
    seed=st.integers(min_value=0, max_value=2**16),
)
@settings(max_examples=40, deadline=None)
def test_any_split_merged_in_any_order_equals_one_pass(cuts, kind, seed):
    r = np.random.default_rng(seed)
    scores = softmax(r.normal(0, 2, (120, 3)), axis=1)
    y = r.integers(0, 3, 120)
    edges = equal_width_edges(7)
    whole = CalibrationBins(3, edges, kind).update(y, scores)
    bounds = [0, *sorted(cuts), 120]
    parts = [
        CalibrationBins(3, edges, kind).update(y[a:b], scores[a:b])
        for a, b in itertools.pairwise(bounds)
    ]
    r.shuffle(parts)
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    for name in ("count", "conf", "hits"):
        np.testing.assert_allclose(merged.state[name], whole.state[name], atol=1e-9)
    assert merged.compute() == pytest.approx(whole.compute(), abs=1e-12)
