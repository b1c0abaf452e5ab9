"""Issue 15 on ``calibration``: a binary task's ECE is the positive class's by default (top
label stays available), and the judged bounds are parts a gate's decision rule re-judges."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from calibration_helpers import (
    binary_frame,
    binary_model,
    multiclass_frame,
    multiclass_model,
    run_one,
)
from scipy.stats import norm
from sklearn.calibration import calibration_curve

from mlgate.checks.calibration.bins import calibration_summary
from mlgate.core.result import Status


def sklearn_positive_ece(y: np.ndarray, p: np.ndarray, n_bins: int) -> float:
    """ECE of P(y = 1) from scikit-learn's ``calibration_curve`` (uniform bins, the same
    right-closed edges), weighting each non-empty bin by its rows."""
    frac, mean = calibration_curve(y, p, n_bins=n_bins, strategy="uniform")
    edges = np.linspace(0, 1, n_bins + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], p, side="left"), minlength=n_bins)
    counts = counts[counts > 0]
    return float(np.sum(counts * np.abs(frac - mean)) / len(p))


def test_a_binary_tasks_ece_is_the_positive_class_by_default(tmp_path):
    frame = binary_frame(3000, 0)
    model = binary_model(1.3)
    r = run_one(tmp_path, {"check": "calibration", "max_ece": 0.2}, model, {"evaluation": frame})
    assert r.evidence["kind"] == "positive" and r.method.startswith("positive ECE")
    p = model(frame)[:, 1]
    y = frame["y"].to_numpy()
    assert r.value == pytest.approx(sklearn_positive_ece(y, p, 15), rel=1e-9)
    top = run_one(
        tmp_path,
        {"check": "calibration", "max_ece": 0.2, "kind": "top_label"},
        model,
        {"evaluation": frame},
    )
    assert top.evidence["kind"] == "top_label"
    scores = np.column_stack([1 - p, p])
    assert top.value == pytest.approx(calibration_summary(y, scores, kind="top_label").ece)
    assert top.value != pytest.approx(r.value)


def test_a_multiclass_tasks_ece_stays_top_label(tmp_path):
    r = run_one(
        tmp_path,
        {"check": "calibration", "max_ece": 0.2},
        multiclass_model(1.0),
        {"evaluation": multiclass_frame(2000, 1)},
        task="multiclass",
    )
    assert r.evidence["kind"] == "top_label"


def test_the_ece_bound_is_one_part_that_a_lenient_rule_rejudges(tmp_path):
    """A calibrated model on 600 rows: its ECE interval straddles 0.06 (strict:
    inconclusive); the lenient rule passes it. Status and message are the strict rule's
    otherwise."""
    check = {"check": "calibration", "max_ece": 0.06}
    data = {"evaluation": binary_frame(600, 3)}
    strict = run_one(tmp_path, check, binary_model(1.0), data)
    assert strict.status is Status.INCONCLUSIVE, strict.message
    (part,) = strict.parts
    assert part.name == "ece" and part.threshold.bound == 0.06
    assert (part.value, part.interval, part.sample_size) == (
        strict.value,
        strict.interval,
        strict.sample_size,
    )
    assert strict.message.startswith("'candidate' cannot tell whether it is calibrated")
    lenient = run_one(tmp_path, {**check, "decision_rule": "lenient"}, binary_model(1.0), data)
    assert lenient.status is Status.PASSED and "[lenient rule: passed]" in lenient.message
    assert lenient.to_dict()["decision_rule"] == "lenient"


def test_too_few_rows_stay_inconclusive_under_every_rule(tmp_path):
    data = {"evaluation": binary_frame(60, 7)}
    for rule in ("strict", "lenient", "point"):
        check = {"check": "calibration", "max_ece": 0.5, "decision_rule": rule}
        r = run_one(tmp_path, check, binary_model(1.0), data)
        assert r.status is Status.INCONCLUSIVE, rule
        (part,) = r.parts
        assert part.threshold is None and "min_samples" in part.message


def test_require_calibratable_reports_no_parts(tmp_path):
    """'Calibrated, or calibratable' is an either-or no worst-of-parts can state: the check
    keeps its own verdict and the decision rule is not applied to it."""
    check = {
        "check": "calibration",
        "max_ece": 0.05,
        "recalibrate": "temperature",
        "require": "calibratable",
        "decision_rule": "lenient",
    }
    r = run_one(tmp_path, check, binary_model(3.0), {"evaluation": binary_frame(6000, 2)})
    assert r.parts == () and r.decision_rule is None


def test_quantile_levels_are_two_parts_each(tmp_path, monkeypatch):
    def predict(X: pd.DataFrame) -> np.ndarray:
        return 2 * X["x"].to_numpy()[:, None] + norm.ppf([0.1, 0.5, 0.9])[None, :]

    module = type(sys)("quantile_parts_models")
    module.predict = predict
    monkeypatch.setitem(sys.modules, "quantile_parts_models", module)
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, 4000)
    frame = pd.DataFrame({"x": x, "y": 2 * x + rng.normal(size=4000)})
    check = {
        "check": "calibration",
        "quantiles": "quantile_parts_models:predict",
        "levels": [0.1, 0.5, 0.9],
    }
    r = run_one(
        tmp_path, check, lambda X: 2 * X["x"].to_numpy(), {"evaluation": frame}, "regression"
    )
    assert r.status is Status.PASSED, r.message
    names = [p.name for p in r.parts]
    assert names[:2] == ["level 0.1: share >= 0.05", "level 0.1: share <= 0.15"]
    assert len(names) == 6 and all(p.interval.method == "wilson" for p in r.parts)
