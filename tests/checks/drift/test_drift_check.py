"""The ``drift`` check in a gate: verdicts, evidence, targets and bad input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.drift.checks import drift_check
from mlgate.core.context import GateContext
from mlgate.core.decision import Verdict
from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.result import Status
from mlgate.core.runner import run_gate


def frame(n: int, seed: int, shift: float = 0.0, p_b: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, size=n)
    return pd.DataFrame(
        {
            "x": x,
            "z": rng.normal(size=n),
            "colour": np.where(rng.random(n) < p_b, "blue", "red"),
            "y": (x + rng.normal(size=n) > 0).astype(int),
        }
    )


def model(X: pd.DataFrame) -> np.ndarray:
    p = 1 / (1 + np.exp(-2 * X["x"].to_numpy()))
    return np.column_stack([1 - p, p])


@pytest.fixture
def run(tmp_path, write_gate):
    def go(check: dict, ref, cur, **gate):
        return _run(write_gate, tmp_path, check, ref, cur, **gate)

    return go


def _run(write_gate, tmp_path, check: dict, ref, cur, **gate):
    path = write_gate(tmp_path, [{"check": "drift", **check}], **gate)
    out = run_gate(
        path, models={"candidate": model}, datasets={"reference": ref, "evaluation": cur}
    )
    (r,) = out.results
    return r, out.decisions[0].verdict


def test_no_drift_passes_with_a_row_per_feature(run, tmp_path):
    r, verdict = run({}, frame(2000, 1), frame(2000, 2))
    assert r.status is Status.PASSED and verdict is Verdict.PROMOTE
    assert r.check_id == "drift-features" and r.value == 0.0
    rows = {row["column"]: row for row in r.evidence["columns"].rows}
    assert set(rows) == {"x", "z", "colour"}
    assert rows["colour"]["kind"] == "categorical" and rows["colour"]["test"] == "chi2"
    assert rows["x"]["test"] == "ks" and 0 <= rows["x"]["p_value"] <= 1
    assert r.threshold.bound == 0 and r.sample_size == 2000
    assert "BH p ≤ 0.05" in r.method


def test_shifted_feature_fails_and_holds(run, tmp_path):
    r, verdict = run({}, frame(2000, 1), frame(2000, 2, shift=0.5, p_b=0.6))
    assert r.status is Status.FAILED and verdict is Verdict.HOLD
    drifted = {row["column"] for row in r.evidence["columns"].rows if row["drifted"]}
    assert drifted == {"x", "colour"}
    assert r.value == 2.0
    assert "'x'" in r.message
    assert r.evidence["effects"].labels[0] in ("x", "colour")


def test_max_drifted_allows_some(run, tmp_path):
    r, _ = run({"max_drifted": 1, "columns": ["x", "z"]}, frame(2000, 1), frame(2000, 2, 0.5))
    assert r.status is Status.PASSED and r.value == 1.0


def test_too_few_rows_is_inconclusive(run, tmp_path):
    r, verdict = run({}, frame(2000, 1), frame(20, 2))
    assert r.status is Status.INCONCLUSIVE and verdict is Verdict.HOLD
    assert "min_samples=30" in r.message


def test_prediction_drift(run, tmp_path):
    r, _ = run({"target": "predictions"}, frame(2000, 1), frame(2000, 2, shift=0.6))
    assert r.check_id == "drift-predictions"
    cols = {row["column"]: row for row in r.evidence["columns"].rows}
    assert set(cols) == {"score:0", "score:1", "label"}
    assert cols["label"]["kind"] == "categorical"
    assert r.status is Status.FAILED


def test_label_drift(run, tmp_path):
    ref, cur = frame(3000, 1), frame(3000, 2)
    cur = cur.assign(y=(np.random.default_rng(3).random(3000) < 0.8).astype(int))
    r, _ = run({"target": "labels"}, ref, cur)
    (row,) = r.evidence["columns"].rows
    assert row["column"] == "label" and row["drifted"] and r.status is Status.FAILED


def test_regression_labels_are_numeric(run, tmp_path):
    ref, cur = frame(500, 1), frame(500, 2)
    r, _ = run(
        {"target": "labels"}, ref.assign(y=ref["x"]), cur.assign(y=cur["x"]), task="regression"
    )
    (row,) = r.evidence["columns"].rows
    assert row["kind"] == "numeric" and r.status is Status.PASSED


def test_inputs_are_not_modified(run, tmp_path):
    ref, cur = frame(500, 1), frame(500, 2)
    before = ref.copy(), cur.copy()
    run({}, ref, cur)
    pd.testing.assert_frame_equal(ref, before[0])
    pd.testing.assert_frame_equal(cur, before[1])


def test_same_inputs_same_result(run, tmp_path):
    a, _ = run({}, frame(800, 1), frame(800, 2, 0.2))
    b, _ = run({}, frame(800, 1), frame(800, 2, 0.2))
    assert a.to_dict() == b.to_dict()


@pytest.mark.parametrize(
    ("check", "match"),
    [
        ({"reference": "nope"}, "no dataset 'nope'"),
        ({"target": "labels", "columns": ["x"]}, "'columns' picks feature columns"),
        ({"alpha": 1.5}, "alpha"),
        ({"correction": "fdr"}, "correction"),
        ({"numeric_effect": "cohen"}, "numeric_effect"),
    ],
)
def test_bad_parameters_are_config_errors(write_gate, tmp_path, check, match):
    path = write_gate(tmp_path, [{"check": "drift", **check}])
    with pytest.raises(ConfigError, match=match):
        run_gate(
            path,
            models={"candidate": model},
            datasets={"reference": frame(50, 1), "evaluation": frame(50, 2)},
        )


def test_unknown_column_is_an_error_result(run, tmp_path):
    r, _ = run({"columns": ["x", "missing"]}, frame(100, 1), frame(100, 2))
    assert r.status is Status.ERROR and "missing" in r.message


def test_callable_from_python(write_gate, tmp_path):
    path = write_gate(tmp_path, [{"check": "drift"}])
    ctx = GateContext(
        open_gate(path),
        models={"candidate": model},
        datasets={"reference": frame(1000, 1), "evaluation": frame(1000, 2, 0.5)},
    )
    r = drift_check(ctx, columns=["x"], correction="bonferroni")
    assert r.status is Status.FAILED and r.evidence["correction"] == "bonferroni"
    with pytest.raises(ConfigError, match="rule"):
        drift_check(ctx, rule="sometimes")


def test_numeric_column_declared_categorical_and_effect_rule(run):
    rng = np.random.default_rng(4)
    ref = frame(3000, 1).assign(level=rng.integers(0, 3, 3000))
    cur = frame(3000, 2).assign(level=rng.choice(3, size=3000, p=[0.2, 0.3, 0.5]))
    r, _ = run({"categorical": ["level"], "columns": ["x", "level"]}, ref, cur)
    rows = {row["column"]: row for row in r.evidence["columns"].rows}
    assert rows["level"]["test"] == "chi2" and rows["level"]["dof"] == 2
    assert rows["level"]["drifted"] and not rows["x"]["drifted"]
    # by effect size alone, with an unreachable bound: nothing drifts however small p is
    check = {"rule": "effect", "categorical_min_effect": 5.0, "categorical": ["level"]}
    r, _ = run({**check, "columns": ["level"]}, ref, cur)
    assert r.status is Status.PASSED and r.evidence["columns"].rows[0]["p_value"] < 1e-6


def test_a_feature_missing_from_the_current_data_is_an_error(run):
    r, verdict = run({}, frame(200, 1), frame(200, 2).drop(columns=["z"]))
    assert r.status is Status.ERROR and "['z']" in r.message and verdict.value == "hold"


def _asymmetric_ctx(extra_in: str):
    import numpy as np
    import pandas as pd

    from mlgate.core.context import GateContext

    rng = np.random.default_rng(0)
    base = pd.DataFrame(rng.normal(size=(300, 3)), columns=["x1", "x2", "x3"]).assign(y=0)
    with_x4 = base.assign(x4=rng.normal(5, 1, 300))
    ref, cur = (base, with_x4) if extra_in == "current" else (with_x4, base)
    return GateContext.from_objects(
        models={"candidate": lambda X: np.zeros(len(X), dtype=int)},
        datasets={"evaluation": cur, "reference": ref},
        task="binary",
        label="y",
    )


@pytest.mark.parametrize(
    ("extra_in", "words"),
    [
        ("current", "dataset 'evaluation' has column(s) ['x4'] that 'reference' lacks"),
        ("reference", "reference 'reference' has column(s) ['x4'] that 'evaluation' lacks"),
    ],
)
def test_a_feature_on_one_side_only_is_an_error_not_skipped(extra_in, words):
    """It used to report "0 of 3 columns drifted" for exactly the column that changed."""
    from mlgate.checks.drift.checks import DRIFT
    from mlgate.core.errors import DataError

    with pytest.raises(DataError, match=re.escape(words)):
        DRIFT(_asymmetric_ctx(extra_in))


@pytest.mark.parametrize("rule", ["strict", "lenient", "point"])
def test_no_decision_rule_changes_a_drift_verdict(run, rule):
    """A column's flag is a corrected p-value and an effect size's point estimate: no bound on
    an interval, so the gate file's decision_rule leaves every drift verdict as it is."""
    shifted = frame(2000, 2, shift=0.5, p_b=0.6)
    r, _ = run({"decision_rule": rule}, frame(2000, 1), shifted)
    assert r.status is Status.FAILED and r.value == 2.0
    count = r.parts[0]
    assert count.name == "drifted columns" and count.value == 2.0
    assert count.threshold.bound == 0 and count.interval is None  # a count, not an interval
    assert "rule:" not in r.message  # the rule changed nothing, so the message says nothing
    r, _ = run({"decision_rule": rule}, frame(2000, 1), frame(20, 2))
    assert r.status is Status.INCONCLUSIVE
    assert [p.name for p in r.parts] == ["drifted columns", "columns with too few values"]
    assert r.parts[1].threshold is None and "min_samples=30" in r.parts[1].message
