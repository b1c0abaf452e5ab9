"""The ``calibration`` check on models whose verdict is known, run through the gate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from calibration_helpers import (
    binary_frame,
    binary_model,
    context,
    multiclass_frame,
    multiclass_model,
    run_one,
    write_gate,
)

from mlgate.checks.calibration.checks import CALIBRATION, calibration_check
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Blocks, Reliability, Table
from mlgate.core.gate import open_gate
from mlgate.core.result import Status


def before_and_after(r) -> tuple[dict, dict]:
    """The held-out assessments of the model and of its recalibrated scores."""
    table = r.evidence["recalibration_ece"]
    assert isinstance(table, Table)
    before, after = table.rows
    assert before["assessment"] == "model"
    assert after["assessment"] == f"after {r.evidence['recalibration']['method']} scaling"
    return before, after


def test_a_calibrated_model_passes_with_its_reliability_table(tmp_path):
    r = run_one(
        tmp_path,
        {"check": "calibration", "max_ece": 0.05},
        binary_model(1.0),
        {"evaluation": binary_frame(4000, 0)},
    )
    assert r.status is Status.PASSED, r.message
    assert r.interval.high <= 0.05 and r.interval.method == "bootstrap-percentile"
    assert r.check_id == "calibration" and r.sample_size == 4000
    diagram = r.evidence["reliability"]
    assert isinstance(diagram, Reliability)
    assert len(diagram.count) == 15 and sum(diagram.count) == 4000
    rows = r.evidence["reliability_table"].rows
    assert len(rows) == 15 and [row["count"] for row in rows] == list(diagram.count)
    assert {"confidence", "accuracy", "low", "high", "gap"} <= set(rows[-1])
    assert diagram.confidence[-1] == rows[-1]["confidence"]
    assert r.to_dict()["evidence"]["reliability"]["type"] == "reliability"
    assert set(r.evidence["brier"]) >= {"reliability", "resolution", "uncertainty"}


@pytest.mark.parametrize("scale", [0.3, 3.0], ids=["squashed", "sharpened"])
def test_squashed_or_sharpened_probabilities_fail(tmp_path, scale):
    r = run_one(
        tmp_path,
        {"check": "calibration", "max_ece": 0.05},
        binary_model(scale),
        {"evaluation": binary_frame(4000, 1)},
    )
    assert r.status is Status.FAILED, r.message
    assert r.interval.low > 0.05


@pytest.mark.parametrize("scale", [0.3, 3.0], ids=["squashed", "sharpened"])
def test_temperature_scaling_fitted_by_mlgate_brings_it_under_the_bound(tmp_path, scale):
    # top-label ECE, the default for binary tasks before issue 15 (now P(y = 1) ECE, whose
    # interval on these 3,000 held-out rows straddles 0.05)
    check = {
        "check": "calibration",
        "max_ece": 0.05,
        "recalibrate": "temperature",
        "require": "calibratable",
        "kind": "top_label",
    }
    r = run_one(tmp_path, check, binary_model(scale), {"evaluation": binary_frame(6000, 2)})
    before, after = before_and_after(r)
    assert before["status"] == "failed"
    assert after["status"] == "passed", r.message
    assert after["interval"][1] <= 0.05
    assert r.evidence["recalibration"]["temperature"] == pytest.approx(scale, rel=0.15)
    assert before["n"] == after["n"] == 3000  # held-out rows only
    assert isinstance(r.evidence["reliability_recalibrated"], Reliability)
    assert r.status is Status.PASSED and r.metric == "ece after temperature scaling"
    assert r.check_id == "calibration-temperature"


def test_required_calibrated_still_fails_though_calibratable(tmp_path):
    check = {"check": "calibration", "max_ece": 0.05, "recalibrate": "temperature"}
    r = run_one(tmp_path, check, binary_model(3.0), {"evaluation": binary_frame(6000, 3)})
    assert r.status is Status.FAILED
    assert before_and_after(r)[1]["status"] == "passed"


def test_multiclass_temperature_on_a_separate_calibration_dataset(tmp_path):
    check = {
        "check": "calibration",
        "max_ece": 0.05,
        "recalibrate": "temperature",
        "require": "calibratable",
        "calibrate_on": "calibration",
    }
    data = {"evaluation": multiclass_frame(4000, 4), "calibration": multiclass_frame(4000, 5)}
    r = run_one(tmp_path, check, multiclass_model(2.5), data, task="multiclass")
    assert before_and_after(r)[0]["status"] == "failed"
    assert r.status is Status.PASSED, r.message
    assert r.evidence["recalibration"]["fit_on"] == "calibration"
    assert r.sample_size == 4000


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_binary_platt_and_isotonic_recalibrate(tmp_path, method):
    check = {
        "check": "calibration",
        "max_ece": 0.06,
        "recalibrate": method,
        "require": "calibratable",
        "n_bins": 10,
    }
    r = run_one(tmp_path, check, binary_model(0.3), {"evaluation": binary_frame(8000, 6)})
    assert r.status is Status.PASSED, r.message
    assert r.evidence["recalibration"]["method"] == method


def test_too_few_rows_are_inconclusive_not_passed(tmp_path):
    r = run_one(
        tmp_path,
        {"check": "calibration", "max_ece": 0.5},
        binary_model(1.0),
        {"evaluation": binary_frame(60, 7)},
    )
    assert r.status is Status.INCONCLUSIVE
    assert "min_samples" in r.message


def test_same_seed_same_result(tmp_path):
    data = {"evaluation": binary_frame(500, 8)}
    a = run_one(tmp_path, {"check": "calibration", "max_ece": 0.1}, binary_model(1.5), data)
    b = run_one(tmp_path, {"check": "calibration", "max_ece": 0.1}, binary_model(1.5), data)
    assert a.to_dict() == b.to_dict()


def test_callable_from_python_and_parameters_validated(tmp_path):
    ctx = context(tmp_path, binary_model(1.0), {"evaluation": binary_frame(2000, 9)})
    r = CALIBRATION(ctx, max_ece=0.08, n_bins=10, binning="equal_mass", kind="positive")
    assert r.status is Status.PASSED and r.evidence["binning"] == "equal_mass"
    assert r.check_id == "calibration"
    with pytest.raises(ConfigError, match="max_ec"):
        CALIBRATION(ctx, max_ec=0.05)
    with pytest.raises(ConfigError, match="needs 'recalibrate'"):
        CALIBRATION(ctx, max_ece=0.05, require="calibratable")


def test_the_older_python_name_is_the_check_type():
    assert calibration_check is CALIBRATION


def test_classwise_bins_give_one_reliability_diagram_per_class(tmp_path):
    check = {"check": "calibration", "max_ece": 0.05, "kind": "classwise", "n_bins": 10}
    data = {"evaluation": multiclass_frame(3000, 12)}
    r = run_one(tmp_path, check, multiclass_model(1.0), data, task="multiclass")
    diagrams = r.evidence["reliability"]
    assert isinstance(diagrams, Blocks) and len(diagrams.items) == 3
    assert all(isinstance(d, Reliability) and sum(d.count) == 3000 for d in diagrams.items)
    rows = r.evidence["reliability_table"].rows
    assert len(rows) == 30 and {row["class"] for row in rows} == {0, 1, 2}


@pytest.mark.parametrize(
    ("check", "task", "text"),
    [
        ({"check": "calibration"}, "binary", "needs 'max_ece'"),
        (
            {"check": "calibration", "max_ece": 0.1, "recalibrate": "platt"},
            "multiclass",
            "temperature",
        ),
        ({"check": "calibration", "max_ece": 0.1, "kind": "positive"}, "multiclass", "binary"),
        ({"check": "calibration", "max_ece": 0.1}, "regression", "coverage"),
        ({"check": "calibration", "max_ece": 0.1, "calibrate_on": "nope"}, "binary", "nope"),
    ],
)
def test_bad_declarations_are_rejected_before_running(tmp_path, check, task, text):
    path = write_gate(tmp_path, [check], task)
    with pytest.raises(ConfigError, match=text):
        open_gate(path)


def test_the_callers_frame_is_not_modified(tmp_path):
    frame = binary_frame(300, 10)
    before = frame.copy()
    run_one(
        tmp_path,
        {"check": "calibration", "max_ece": 0.1, "recalibrate": "platt"},
        binary_model(2.0),
        {"evaluation": frame},
    )
    pd.testing.assert_frame_equal(frame, before)
    assert np.isfinite(frame["z"]).all()


def test_a_model_without_probabilities_is_an_error_naming_it(tmp_path):
    def labels_only(X):
        return (X["z"].to_numpy() > 0).astype(int)

    r = run_one(
        tmp_path,
        {"check": "calibration", "max_ece": 0.1},
        labels_only,
        {"evaluation": binary_frame(200, 11)},
    )
    assert r.status is Status.ERROR
    assert "'candidate'" in r.message and "scores" in r.message
