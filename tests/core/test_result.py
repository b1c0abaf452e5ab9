"""Result records: JSON round trips, non-finite numbers, NumPy evidence, validation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlgate.core.result import CheckResult, Interval, Severity, Status, Threshold


def full_result(**changes) -> CheckResult:
    fields = dict(
        check_id="accuracy",
        kind="metric",
        status=Status.FAILED,
        severity=Severity.WARN,
        check_type="metric_threshold",
        stages=("ci", "production"),
        metric="accuracy",
        value=0.875,
        interval=Interval(0.85, 0.9, 0.95, "bootstrap-percentile"),
        threshold=Threshold(">=", 0.9),
        sample_size=400,
        method="accuracy (mlgate.stats.metrics), bootstrap-percentile over rows",
        message="accuracy = 0.875 [0.85, 0.9]",
        evidence={
            "model": "candidate",
            "n_resamples": 1000,
            "curve": [[0.1, 0.2], [0.3, 0.4]],
            "higher_is_better": True,
            "nothing": None,
        },
    )
    fields.update(changes)
    return CheckResult(**fields)


def through_json(result: CheckResult) -> dict:
    return json.loads(json.dumps(result.to_dict(), allow_nan=False))


def test_to_dict_from_dict_round_trips_through_json():
    original = full_result()
    again = CheckResult.from_dict(through_json(original))
    assert again == original
    assert again.to_dict() == original.to_dict()


def test_minimal_result_round_trips():
    original = CheckResult(check_id="custom-1", kind="custom", status="passed")
    again = CheckResult.from_dict(through_json(original))
    assert again == original
    assert (again.interval, again.threshold, again.evidence) == (None, None, {})


def test_to_dict_uses_the_documented_keys():
    d = full_result().to_dict()
    assert list(d) == [
        "id",
        "kind",
        "check",
        "status",
        "severity",
        "stages",
        "metric",
        "value",
        "interval",
        "threshold",
        "sample_size",
        "method",
        "message",
        "evidence",
    ]
    assert (d["status"], d["severity"], d["stages"]) == ("failed", "warn", ["ci", "production"])
    assert d["interval"] == {
        "low": 0.85,
        "high": 0.9,
        "level": 0.95,
        "method": "bootstrap-percentile",
    }
    assert d["threshold"] == {"op": ">=", "value": 0.9}


@pytest.mark.parametrize(
    "bad",
    [float("nan"), float("inf"), float("-inf"), np.float64("nan")],
    ids=["nan", "inf", "-inf", "numpy-nan"],
)
def test_non_finite_numbers_become_null(bad):
    result = full_result(
        value=bad,
        interval=Interval(bad, 1.0, 0.95, "m"),
        threshold=Threshold("<=", bad),
        evidence={"ece": bad, "nested": {"xs": [1.0, bad]}, "arr": np.array([bad])},
    )
    text = json.dumps(result.to_dict(), allow_nan=False)  # raises on any NaN/inf left
    d = json.loads(text)
    assert d["value"] is None
    assert d["interval"]["low"] is None and d["interval"]["high"] == 1.0
    assert d["threshold"]["value"] is None
    assert d["evidence"] == {"ece": None, "nested": {"xs": [1.0, None]}, "arr": [None]}


def test_numpy_evidence_becomes_plain_json_types():
    evidence = {
        "f32": np.float32(0.5),
        "i64": np.int64(3),
        "flag": np.bool_(True),
        "matrix": np.array([[1, 2], [3, 4]]),
        "floats": np.arange(3, dtype=np.float32) / 2,
        "pair": (np.int32(1), "a"),
        "status": Status.PASSED,
        7: "int key",
    }
    d = full_result(evidence=evidence).to_dict()["evidence"]
    assert d == {
        "f32": 0.5,
        "i64": 3,
        "flag": True,
        "matrix": [[1, 2], [3, 4]],
        "floats": [0.0, 0.5, 1.0],
        "pair": [1, "a"],
        "status": "passed",
        "7": "int key",
    }
    assert type(d["f32"]) is float and type(d["i64"]) is int and type(d["flag"]) is bool
    assert all(type(v) is int for row in d["matrix"] for v in row)
    assert all(type(v) is float for v in d["floats"])
    json.dumps(d, allow_nan=False)


def test_numpy_value_is_stored_as_a_float():
    d = full_result(value=np.float32(0.25)).to_dict()
    assert d["value"] == 0.25 and type(d["value"]) is float


def test_status_strings_are_accepted_and_stored_as_enums():
    result = CheckResult(
        check_id="x", kind="custom", status="warned", severity="warn", stages=["a", "b"]
    )
    assert (result.status, result.severity, result.stages) == (
        Status.WARNED,
        Severity.WARN,
        ("a", "b"),
    )


@pytest.mark.parametrize("status", ["pass", "PASSED", "ok", ""])
def test_invalid_status_is_rejected(status):
    with pytest.raises(ValueError, match=repr(status)):
        CheckResult(check_id="x", kind="custom", status=status)


def test_invalid_severity_is_rejected():
    with pytest.raises(ValueError, match="'fatal'"):
        CheckResult(check_id="x", kind="custom", status="passed", severity="fatal")


def test_from_dict_with_an_invalid_status_is_rejected():
    data = full_result().to_dict() | {"status": "green"}
    with pytest.raises(ValueError, match="'green'"):
        CheckResult.from_dict(data)


@pytest.mark.parametrize("op", [">=", "<="])
def test_threshold_accepts_its_two_operators(op):
    assert Threshold(op, 0.5).to_dict() == {"op": op, "value": 0.5}


@pytest.mark.parametrize("op", [">", "<", "==", "=>", "min", ""])
def test_threshold_rejects_other_operators(op):
    with pytest.raises(ValueError, match=r"Threshold\.op must be '>=' or '<='"):
        Threshold(op, 0.5)


@pytest.mark.parametrize(
    ("status", "severity", "blocks"),
    [
        ("passed", "block", False),
        ("warned", "block", False),
        ("failed", "block", True),
        ("error", "block", True),
        ("inconclusive", "block", True),
        ("skipped", "block", True),
        ("failed", "warn", False),
        ("error", "warn", False),
        ("inconclusive", "warn", False),
    ],
)
def test_blocks(status, severity, blocks):
    result = CheckResult(check_id="x", kind="custom", status=status, severity=severity)
    assert result.blocks is blocks


def test_results_are_frozen():
    with pytest.raises(AttributeError):
        full_result().status = Status.PASSED  # type: ignore[misc]
