"""prediction_rate: the worked example family. Its interval is checked against SciPy, its
verdicts on data where the right answer is known, its batches against one pass, and its bad
inputs against clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlgate.checks.rates.prediction_rate import PREDICTION_RATE
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.result import Status


class Threshold:
    """A model that flags rows whose ``x`` exceeds a cut: its predicted rate is known exactly."""

    def __init__(self, cut: float) -> None:
        self.cut = cut
        self.classes_ = np.array([0, 1])

    def predict(self, X):
        return (np.asarray(X["x"]) > self.cut).astype(int)

    def predict_proba(self, X):
        p = self.predict(X).astype(float)
        return np.column_stack([1 - p, p])


def make_ctx(n: int, flagged: int, task: str = "binary", label_col: bool = True) -> GateContext:
    x = np.arange(n, dtype=float)
    frame = pd.DataFrame({"x": x})
    if label_col:
        frame["y"] = (x % 2).astype(int)
    return GateContext.from_objects(
        models={"candidate": Threshold(n - flagged - 0.5)},
        datasets={"evaluation": frame},
        task=task,
        label="y" if label_col else None,
    )


def test_interval_is_scipys_wilson_interval():
    r = PREDICTION_RATE(make_ctx(400, 37), max=0.5, confidence=0.9)
    ref = stats.binomtest(37, 400).proportion_ci(0.9, method="wilson")
    assert r.value == pytest.approx(37 / 400)
    assert (r.interval.low, r.interval.high) == pytest.approx((ref.low, ref.high), abs=1e-12)
    assert r.sample_size == 400
    assert r.evidence["predicted"] == 37


@pytest.mark.parametrize(
    ("flagged", "bounds", "expected"),
    [
        (20, {"max": 0.10}, Status.PASSED),  # 2% [1.3%, 3.1%] is wholly under 10%
        (300, {"max": 0.10}, Status.FAILED),  # 30% is wholly over
        (100, {"max": 0.10}, Status.INCONCLUSIVE),  # 10% exactly: the interval straddles
        (300, {"min": 0.25, "max": 0.35}, Status.PASSED),
        (300, {"min": 0.40, "max": 0.90}, Status.FAILED),
        (0, {"max": 0.01}, Status.PASSED),  # no row flagged: Wilson's upper end ≈ 0.4%
    ],
)
def test_verdicts_where_the_answer_is_known(flagged, bounds, expected):
    r = PREDICTION_RATE(make_ctx(1000, flagged), **bounds)
    assert r.status is expected, r.message


def test_a_batched_run_gives_the_same_result_as_one_pass():
    whole = PREDICTION_RATE(make_ctx(1003, 211), min=0.1, max=0.3)
    ctx = make_ctx(1003, 211)
    ctx.batch_rows = 17
    assert len(list(ctx.batches())) == 59
    chunked = PREDICTION_RATE(ctx, min=0.1, max=0.3)
    assert chunked.to_dict() == whole.to_dict()
    assert PREDICTION_RATE.needs_all_rows is False


def test_counts_a_named_label_and_needs_no_label_column():
    ctx = make_ctx(200, 50, label_col=False)
    r = PREDICTION_RATE(ctx, label=0, min=0.7)
    assert r.value == pytest.approx(150 / 200)
    assert r.check_id == "prediction-rate-0"
    assert "150 of 200 rows predicted 0" in r.message


def test_the_message_states_the_counts_the_interval_and_the_bounds():
    r = PREDICTION_RATE(make_ctx(1000, 20), max=0.1)
    assert r.message.startswith("model 'candidate' on dataset 'evaluation': 20 of 1000 rows")
    assert "need <= 0.1: passed" in r.message
    assert r.evidence["rate"].over == "class"


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({}, "give 'min', 'max' or both"),
        ({"min": 0.5, "max": 0.2}, r"min \(0.5\) is above max \(0.2\)"),
        ({"max": 1.5}, "less than or equal to 1"),
        ({"max": 0.1, "confidence": 1.0}, "confidence"),
        ({"max": 0.1, "dataset": "holdout"}, "no dataset 'holdout'"),
        ({"max": 0.1, "colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_config_errors_naming_the_key(params, match):
    with pytest.raises(ConfigError, match=match):
        PREDICTION_RATE(make_ctx(100, 10), **params)


def test_a_regression_task_is_refused():
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [0.5, 0.7]})
    ctx = GateContext.from_objects(
        models={"candidate": lambda X: np.zeros(len(X))},
        datasets={"evaluation": frame},
        task="regression",
        label="y",
    )
    with pytest.raises(ConfigError, match="regression task has none"):
        PREDICTION_RATE(ctx, max=0.1)


def test_a_label_the_model_does_not_know_names_its_classes():
    with pytest.raises(DataError, match=r"label 'yes' is not a class of the model .*\[0, 1\]"):
        PREDICTION_RATE(make_ctx(100, 10), label="yes", max=0.1)


def test_in_a_gate_file(pytester):
    pytester.makepyfile(
        models="""
        import numpy as np
        class Flag:
            classes_ = np.array([0, 1])
            def predict(self, X):
                return (np.asarray(X["x"]) >= 90).astype(int)
        def flag():
            return Flag()
        """
    )
    pd.DataFrame({"x": np.arange(1000) % 100, "y": np.arange(1000) % 2}).to_csv(
        pytester.path / "eval.csv", index=False
    )
    gate = pytester.makefile(
        ".yaml",
        mlgate="""
        name: rates
        task: binary
        models: {candidate: {factory: "models:flag", classes: [0, 1]}}
        datasets: {evaluation: {path: eval.csv, label: y}}
        stages:
          staging:
            checks:
              - {check: prediction_rate, max: 0.2}
              - {check: prediction_rate, id: too-tight, max: 0.05}
        """,
    )
    result = pytester.runpytest("--mlgate", f"--mlgate-file={gate}", "-p", "no:cacheprovider")
    assert result.ret == 10
    result.stdout.fnmatch_lines(["*PASSED*prediction-rate*", "*FAILED*too-tight*"])
