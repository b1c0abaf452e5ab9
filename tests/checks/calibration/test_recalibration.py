"""Temperature, Platt and isotonic scaling: known parameters are recovered; Platt matches an
unpenalised logistic regression and isotonic matches scikit-learn's IsotonicRegression."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logit, softmax
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from mlgate.checks.calibration.bins import calibration_summary
from mlgate.checks.calibration.recalibrate import fit_recalibrator


def sharpened_multiclass(rng, n=4000, k=3, scale=3.0):
    z = rng.normal(0, 1.0, (n, k))
    truth = softmax(z, axis=1)
    y = (rng.random(n)[:, None] > np.cumsum(truth, axis=1)).sum(axis=1)
    return y, softmax(scale * z, axis=1)


def test_temperature_recovers_the_sharpening_factor(rng):
    y, scores = sharpened_multiclass(rng)
    fitted = fit_recalibrator("temperature", y, scores)
    assert fitted.params["temperature"] == pytest.approx(3.0, rel=0.1)
    after = fitted.transform(scores)
    np.testing.assert_array_equal(after.argmax(1), scores.argmax(1))  # ranking kept
    assert calibration_summary(y, after).ece < calibration_summary(y, scores).ece / 3


def test_platt_matches_unpenalised_logistic_regression_on_the_logit(rng):
    p = rng.random(3000) * 0.98 + 0.01
    y = (rng.random(3000) < expit(0.5 * logit(p) - 0.3)).astype(int)
    fitted = fit_recalibrator("platt", y, np.column_stack([1 - p, p]))
    ref = LogisticRegression(C=1e10, tol=1e-10, max_iter=1000).fit(logit(p)[:, None], y)
    assert fitted.params["a"] == pytest.approx(ref.coef_[0, 0], abs=1e-3)
    assert fitted.params["b"] == pytest.approx(ref.intercept_[0], abs=1e-3)
    assert fitted.params["a"] == pytest.approx(0.5, abs=0.1)


def test_isotonic_matches_sklearn(rng):
    p = rng.random(500)
    y = (rng.random(500) < p**2).astype(int)
    scores = np.column_stack([1 - p, p])
    fitted = fit_recalibrator("isotonic", y, scores)
    new = rng.random(50)
    ref = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(p, y)
    np.testing.assert_allclose(
        fitted.transform(np.column_stack([1 - new, new]))[:, 1], ref.predict(new)
    )
    assert scores[0, 1] == p[0]  # the input was not modified


def test_binary_maps_refuse_multiclass_and_unknown_methods(rng):
    y, scores = sharpened_multiclass(rng, n=20)
    with pytest.raises(ValueError, match="binary"):
        fit_recalibrator("platt", y, scores)
    with pytest.raises(ValueError, match="unknown recalibration"):
        fit_recalibrator("beta", y, scores)
