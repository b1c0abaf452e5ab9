"""``interval: poisson``: the classifier calibration check as a fold over batches. Its ECE, MCE,
reliability table and Brier decomposition are the in-memory ones; its interval is a Poisson
bootstrap whose resamples are the weighted ECEs of an independent computation; the result is
the same bytes however the rows are batched; and the verdict is right where it is known."""

from __future__ import annotations

import json

import numpy as np
import pytest
from calibration_helpers import (
    binary_frame,
    binary_model,
    context,
    multiclass_frame,
    multiclass_model,
)

from mlgate.checks.calibration.bins import CalibrationBins, equal_width_edges
from mlgate.checks.calibration.checks import CALIBRATION
from mlgate.checks.calibration.folded import CalibrationFold
from mlgate.core.errors import ConfigError
from mlgate.stats.poisson import poisson_weights, stream_key


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


def _without_interval(result) -> dict:
    d = result.to_dict()
    for key in ("interval", "parts", "method", "message", "status"):
        d.pop(key, None)
    return d


CASES = [
    ("binary", binary_frame, binary_model(1.6), {}),
    ("multiclass", multiclass_frame, multiclass_model(0.7), {}),
    ("multiclass", multiclass_frame, multiclass_model(0.7), {"kind": "classwise"}),
]


@pytest.mark.parametrize(("task", "make", "model", "extra"), CASES)
def test_the_point_statistics_are_the_in_memory_ones(tmp_path, task, make, model, extra):
    ctx = context(tmp_path, model, {"evaluation": make(1500, 1)}, task)
    cell = CALIBRATION(ctx, max_ece=0.1, **extra)
    folded = CALIBRATION(ctx, max_ece=0.1, interval="poisson", **extra)
    a, b = _without_interval(cell), _without_interval(folded)
    # equal after evidence rounding; the headline value to the fixed point's 2**-53 per row
    assert a.pop("value") == pytest.approx(b.pop("value"), abs=1e-12)
    assert a == b
    assert folded.interval.method == "poisson-bootstrap-percentile"


@pytest.mark.parametrize(("task", "make", "model", "extra"), CASES)
def test_the_same_bytes_however_the_rows_are_batched(tmp_path, task, make, model, extra):
    ctx = context(tmp_path, model, {"evaluation": make(700, 2)}, task)
    one = _bytes(CALIBRATION(ctx, max_ece=0.1, interval="poisson", n_resamples=200, **extra))
    for rows in (1, 17, 333):
        ctx.batch_rows = rows
        assert (
            _bytes(CALIBRATION(ctx, max_ece=0.1, interval="poisson", n_resamples=200, **extra))
            == one
        )


def test_each_resample_is_the_weighted_ece_of_an_independent_computation(tmp_path):
    frame = binary_frame(400, 3)
    model = binary_model(1.3)
    scores = model(frame)
    y = frame["y"].to_numpy()
    key = stream_key(0, "test")
    fold = CalibrationFold((0, 1), "positive", 10, 50, key)
    assessment = fold.assess(y, scores, np.arange(len(y)), key)
    got = assessment.resampled_ece()
    weights = poisson_weights(key, np.arange(len(y)), np.arange(50))
    for b in range(50):
        bins = CalibrationBins(2, equal_width_edges(10), "positive")
        expected = bins.update(y, scores, sample_weight=weights[:, b]).compute()
        assert got[b] == pytest.approx(expected, abs=1e-12)
    # the rows themselves: scikit-learn's calibration_curve gives the same bins
    from sklearn.calibration import calibration_curve

    summary = assessment.summary(equal_width_edges(10), "positive", 2)
    prob_true, prob_pred = calibration_curve(y, scores[:, 1], n_bins=10)
    rows = [r for r in summary.table if r.count]
    np.testing.assert_allclose([r.accuracy for r in rows], prob_true, atol=1e-12)
    np.testing.assert_allclose([r.confidence for r in rows], prob_pred, atol=1e-12)


def test_the_interval_agrees_with_the_cell_bootstrap(tmp_path):
    ctx = context(tmp_path, binary_model(1.5), {"evaluation": binary_frame(3000, 4)})
    cell = CALIBRATION(ctx, max_ece=0.1, n_resamples=2000).interval
    folded = CALIBRATION(ctx, max_ece=0.1, n_resamples=2000, interval="poisson").interval
    # two bootstraps of one statistic: the same interval up to resampling noise
    assert folded.low == pytest.approx(cell.low, abs=0.006)
    assert folded.high == pytest.approx(cell.high, abs=0.006)


@pytest.mark.parametrize(("scale", "status"), [(1.0, "passed"), (2.5, "failed")])
def test_known_verdicts(tmp_path, scale, status):
    ctx = context(tmp_path, binary_model(scale), {"evaluation": binary_frame(5000, 5)})
    result = CALIBRATION(ctx, max_ece=0.05, interval="poisson", n_resamples=300)
    assert result.status.value == status


def test_recalibration_fitted_on_another_dataset(tmp_path):
    data = {"evaluation": binary_frame(3000, 6), "fit": binary_frame(3000, 7)}
    ctx = context(tmp_path, binary_model(2.5), data)
    params = dict(max_ece=0.05, recalibrate="platt", calibrate_on="fit", require="calibratable")
    cell = CALIBRATION(ctx, **params)
    folded = CALIBRATION(ctx, interval="poisson", n_resamples=300, **params)
    assert folded.status.value == cell.status.value == "passed"
    ece = {r["assessment"]: r["ece"] for r in folded.evidence["recalibration_ece"].rows}
    assert ece == {r["assessment"]: r["ece"] for r in cell.evidence["recalibration_ece"].rows}
    ctx.batch_rows = 101
    assert _bytes(CALIBRATION(ctx, interval="poisson", n_resamples=300, **params)) == _bytes(folded)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"binning": "equal_mass"}, "needs binning: equal_width"),
        ({"recalibrate": "platt"}, "needs 'calibrate_on'"),
    ],
)
def test_what_poisson_cannot_fold_is_a_usage_error(tmp_path, params, words):
    ctx = context(tmp_path, binary_model(1.0), {"evaluation": binary_frame(200, 8)})
    with pytest.raises(ConfigError, match=words):
        CALIBRATION(ctx, max_ece=0.1, interval="poisson", **params)


def test_poisson_is_refused_for_a_regressor(tmp_path):
    frame = binary_frame(100, 9)
    ctx = context(tmp_path, lambda X: X["z"].to_numpy(), {"evaluation": frame}, "regression")
    with pytest.raises(ConfigError, match="interval: poisson is for a classifier"):
        CALIBRATION(ctx, interval="poisson")
