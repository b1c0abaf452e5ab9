"""Calibration, confidence, slices, fairness and discovery declared in a gate file and called
from a Python test through the ``mlgate`` fixture, run with ``pytest --mlgate``; the HTML
report draws their evidence."""

from __future__ import annotations

import json
import textwrap

import yaml

from mlgate import ExitCode

MODULE = """
import numpy as np
import pandas as pd


def data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 1.5, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    group = rng.choice(["a", "b"], n)
    return pd.DataFrame({"z": z, "group": group, "y": y})


def model(scale=1.0):
    def predict(X):
        p = 1 / (1 + np.exp(-scale * X["z"].to_numpy()))
        return np.column_stack([1 - p, p])
    return predict
"""

PYTHON_TEST = """
import pytest
from mlgate.checks.calibration.checks import CALIBRATION
from mlgate.checks.slices.checks import SLICES


@pytest.mark.mlgate(kind="calibration", id="python-calibration")
def test_calibrated(mlgate, mlgate_record):
    mlgate_record(CALIBRATION(mlgate, max_ece=0.05))


@pytest.mark.mlgate(kind="slice", id="python-slices")
def test_slices(mlgate, mlgate_record):
    mlgate_record(SLICES(mlgate, metric="accuracy", slices=["group"]))
"""


def gate(scale: float) -> dict:
    checks = [
        {"check": "calibration", "max_ece": 0.05},
        {"check": "confidence", "threshold": 0.8, "min_accuracy": 0.8},
        {"check": "slices", "metric": "accuracy", "max_gap": 0.1},
        {"check": "fairness", "metric": "equalized_odds_difference", "max": 0.15},
        {"check": "slice_discovery", "features": ["group", "z"], "severity": "warn"},
    ]
    return {
        "name": "calibration-and-slices",
        "task": "binary",
        "seed": 0,
        "models": {"candidate": {"factory": "gatefix_e2e_cal:model", "args": {"scale": scale}}},
        "datasets": {
            "evaluation": {
                "factory": "gatefix_e2e_cal:data",
                "label": "y",
                "sensitive": ["group"],
                "slices": ["group"],
            }
        },
        "stages": {"staging": {"checks": checks}},
    }


def write(pytester, scale: float) -> None:
    (pytester.path / "gatefix_e2e_cal.py").write_text(MODULE)
    (pytester.path / "mlgate.yaml").write_text(yaml.safe_dump(gate(scale), sort_keys=False))
    (pytester.path / "test_python_slice_checks.py").write_text(textwrap.dedent(PYTHON_TEST))


def test_a_calibrated_fair_model_promotes_and_the_report_draws_the_evidence(pytester):
    write(pytester, 1.0)
    result = pytester.runpytest("--mlgate")
    out = json.loads((pytester.path / "reports" / "result.json").read_text())
    statuses = {c["id"]: c["status"] for c in out["checks"]}
    assert result.ret == ExitCode.PROMOTE, (statuses, result.stdout.str()[-3000:])
    assert statuses["calibration"] == "passed"
    assert statuses["python-calibration"] == "passed"
    assert {"confidence", "slices-accuracy", "fairness-eod", "slice-discovery"} <= set(statuses)
    checks = {c["id"]: c for c in out["checks"]}
    reliability = checks["calibration"]["evidence"]["reliability"]
    assert reliability["type"] == "reliability" and sum(reliability["count"]) == 3000
    curve = checks["confidence"]["evidence"]["curve"]
    assert curve["type"] == "curve" and curve["xlabel"] == "coverage"
    for check in ("slices-accuracy", "python-slices", "fairness-eod"):
        bars = checks[check]["evidence"]["per_slice"]
        assert bars["type"] == "bars" and bars["over"] == "slice"
        assert bars["labels"] == ["group=a", "group=b"]
    assert checks["slice-discovery"]["evidence"]["slices"]["type"] == "table"
    html = (pytester.path / "reports" / "report.html").read_text()
    assert html.count("<svg") >= 4  # reliability, curve, slice bars (twice at least)


def test_a_sharpened_model_is_held_by_calibration(pytester):
    write(pytester, 4.0)
    result = pytester.runpytest("--mlgate")
    out = json.loads((pytester.path / "reports" / "result.json").read_text())
    statuses = {c["id"]: c["status"] for c in out["checks"]}
    assert result.ret == ExitCode.HOLD
    assert statuses["calibration"] == "failed" and statuses["python-calibration"] == "failed"
