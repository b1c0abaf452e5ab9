"""Verdicts of the ``metric_threshold`` check on data with known answers, run in-process
with ``run_gate`` and ready-made models and datasets (no factories are imported)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from mlgate.checks.performance.metric_threshold import METRIC_THRESHOLD, every_row
from mlgate.core.context import GateContext
from mlgate.core.decision import Verdict
from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.result import CheckResult, Status
from mlgate.core.runner import run_gate

STAGE = "ci"


def write_gate(folder: Path, checks: list[dict], task: str = "binary") -> Path:
    """A gate file whose model and dataset entries are placeholders: ``run_gate`` is given
    the objects, so the factories are never imported."""
    config = {
        "name": "verdicts",
        "task": task,
        "seed": 0,
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {"evaluation": {"factory": "unused:unused", "label": "y"}},
        "stages": {STAGE: {"checks": checks}},
    }
    path = folder / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def hinted_data(n: int, n_wrong: int, seed: int = 0) -> pd.DataFrame:
    """Binary labels and a feature ``hint`` equal to the label on all but ``n_wrong`` rows,
    so a model that returns the hint has accuracy exactly ``1 - n_wrong / n``."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    hint = y.copy()
    wrong = rng.choice(n, size=n_wrong, replace=False)
    hint[wrong] = 1 - hint[wrong]
    return pd.DataFrame({"hint": hint, "y": y})


def labels_from_hint(X: pd.DataFrame) -> np.ndarray:
    return X["hint"].to_numpy()


def proba_from_hint(X: pd.DataFrame) -> np.ndarray:
    """P(y = 1) is 0.9 where the hint says 1 and 0.1 where it says 0."""
    p = np.where(X["hint"].to_numpy() == 1, 0.9, 0.1)
    return np.column_stack([1.0 - p, p])


def run_one(
    tmp_path: Path,
    check: dict,
    model,
    data: pd.DataFrame,
    task: str = "binary",
    seed: int | None = None,
) -> CheckResult:
    path = write_gate(tmp_path, [{"check": "metric_threshold", **check}], task)
    run = run_gate(path, models={"candidate": model}, datasets={"evaluation": data}, seed=seed)
    (result,) = run.results
    return result


@pytest.fixture(scope="module")
def accurate_95() -> pd.DataFrame:
    return hinted_data(2000, 100)  # accuracy exactly 0.95


# -- known answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bound", "status"),
    [
        (0.9, Status.PASSED),
        (0.99, Status.FAILED),
        (0.95, Status.INCONCLUSIVE),
    ],
    ids=["min-0.9-passed", "min-0.99-failed", "min-at-estimate-inconclusive"],
)
def test_accuracy_verdicts(tmp_path, accurate_95, bound, status):
    result = run_one(tmp_path, {"metric": "accuracy", "min": bound}, labels_from_hint, accurate_95)
    assert result.status is status, result.message
    assert result.value == pytest.approx(0.95)
    assert result.interval.low < 0.95 < result.interval.high
    assert result.interval.high - result.interval.low < 0.04  # ±1.96·sqrt(.95·.05/2000)
    assert (result.sample_size, result.threshold.op, result.threshold.bound) == (2000, ">=", bound)
    assert (result.check_id, result.stages, result.check_type) == (
        "accuracy",
        (STAGE,),
        "metric_threshold",
    )


def test_sample_below_min_samples_is_inconclusive_even_when_perfect(tmp_path):
    data = hinted_data(20, 0)
    result = run_one(tmp_path, {"metric": "accuracy", "min": 0.5}, labels_from_hint, data)
    assert result.status is Status.INCONCLUSIVE
    assert result.value == 1.0
    assert "min_samples=30" in result.message


def test_min_samples_can_be_lowered(tmp_path):
    data = hinted_data(20, 0)
    result = run_one(
        tmp_path, {"metric": "accuracy", "min": 0.5, "min_samples": 10}, labels_from_hint, data
    )
    assert result.status is Status.PASSED


def test_roc_auc_on_a_single_class_evaluation_set_is_inconclusive(tmp_path):
    data = hinted_data(200, 20)
    data["y"] = 1
    result = run_one(tmp_path, {"metric": "roc_auc", "min": 0.5}, proba_from_hint, data)
    assert result.status is Status.INCONCLUSIVE
    assert result.value is None
    assert "undefined" in result.message


def test_metric_undefined_on_many_resamples_is_inconclusive(tmp_path):
    # One positive row in 60: it is missing from about e^-1 ≈ 37% of resamples, where ROC AUC
    # is undefined, far above the default max_undefined_fraction of 5%.
    data = hinted_data(60, 0)
    data["y"] = 0
    data.loc[0, "y"] = 1
    data["hint"] = data["y"]
    result = run_one(tmp_path, {"metric": "roc_auc", "min": 0.5}, proba_from_hint, data)
    assert result.status is Status.INCONCLUSIVE, result.message
    assert result.value == 1.0
    assert 0.25 < result.evidence["undefined_resamples"] / 1000 < 0.5
    assert "undefined on" in result.message


def test_roc_auc_of_a_labels_only_model_is_an_error_naming_predict_proba(tmp_path, accurate_95):
    result = run_one(tmp_path, {"metric": "roc_auc", "min": 0.5}, labels_from_hint, accurate_95)
    assert result.status is Status.ERROR
    assert "predict_proba" in result.message


def test_roc_auc_of_a_fitted_estimator_passes(tmp_path):
    X, y = make_classification(n_samples=600, n_features=4, class_sep=2.0, random_state=3)
    data = pd.DataFrame(X, columns=[f"x{i}" for i in range(4)]).assign(y=y)
    model = LogisticRegression().fit(data.drop(columns="y"), y)
    result = run_one(tmp_path, {"metric": "roc_auc", "min": 0.8}, model, data)
    assert result.status is Status.PASSED, result.message
    assert result.interval.low >= 0.8


@pytest.mark.parametrize(
    ("bound", "status"),
    [(0.5, Status.PASSED), (0.1, Status.FAILED)],
    ids=["max-0.5-passed", "max-0.1-failed"],
)
def test_log_loss_max_bound(tmp_path, accurate_95, bound, status):
    # True class gets 0.9 on 95% of rows and 0.1 on 5%: loss = -(.95 ln .9 + .05 ln .1) ≈ 0.215.
    result = run_one(tmp_path, {"metric": "log_loss", "max": bound}, proba_from_hint, accurate_95)
    assert result.status is status, result.message
    assert result.value == pytest.approx(-(0.95 * np.log(0.9) + 0.05 * np.log(0.1)))
    assert (result.threshold.op, result.threshold.bound) == ("<=", bound)


@pytest.fixture(scope="module")
def regression_data() -> pd.DataFrame:
    # Predictions off by Uniform(-1, 1): MAE ≈ 0.5, interval half-width ≈ 0.036 at n = 1000.
    rng = np.random.default_rng(4)
    y = rng.normal(10.0, 3.0, size=1000)
    return pd.DataFrame({"pred": y + rng.uniform(-1, 1, size=1000), "y": y})


@pytest.mark.parametrize(
    ("bound", "status"),
    [
        (0.6, Status.PASSED),
        (0.4, Status.FAILED),
    ],
    ids=["max-0.6-passed", "max-0.4-failed"],
)
def test_mae_max_bound(tmp_path, regression_data, bound, status):
    result = run_one(
        tmp_path,
        {"metric": "mae", "max": bound},
        lambda X: X["pred"].to_numpy(),
        regression_data,
        task="regression",
    )
    assert result.status is status, result.message
    assert result.value == pytest.approx(0.5, abs=0.03)


def test_failed_warn_check_is_warned_and_the_stage_promotes_with_warnings(tmp_path, accurate_95):
    path = write_gate(
        tmp_path,
        [
            {"check": "metric_threshold", "metric": "accuracy", "min": 0.9},
            {
                "check": "metric_threshold",
                "metric": "accuracy",
                "min": 0.99,
                "id": "stretch",
                "severity": "warn",
            },
        ],
    )
    run = run_gate(
        path, models={"candidate": labels_from_hint}, datasets={"evaluation": accurate_95}
    )
    assert [r.status for r in run.results] == [Status.PASSED, Status.WARNED]
    (decision,) = run.decisions
    assert decision.verdict is Verdict.PROMOTE_WITH_WARNINGS
    assert decision.reasons[0].startswith("stretch warned:")


# -- seeds --------------------------------------------------------------------------------


def test_same_seed_gives_identical_intervals(tmp_path, accurate_95):
    check = {"metric": "accuracy", "min": 0.9, "n_resamples": 300}
    a, b = (run_one(tmp_path, check, labels_from_hint, accurate_95, seed=3) for _ in range(2))
    assert a.interval == b.interval


def test_different_seed_gives_a_different_interval(tmp_path, accurate_95):
    check = {"metric": "accuracy", "min": 0.9, "n_resamples": 300}
    a, b = (run_one(tmp_path, check, labels_from_hint, accurate_95, seed=s) for s in (3, 4))
    assert a.interval != b.interval


# -- gate-file validation -----------------------------------------------------------------


def open_with(tmp_path: Path, check: dict, task: str = "binary") -> str:
    path = write_gate(tmp_path, [{"check": "metric_threshold", **check}], task)
    with pytest.raises(ConfigError) as info:
        open_gate(path)
    return str(info.value)


@pytest.mark.parametrize(
    ("task", "metric"),
    [
        ("binary", "mae"),
        ("multiclass", "r2"),
        ("regression", "accuracy"),
        ("regression", "roc_auc"),
    ],
)
def test_metric_not_valid_for_the_task_is_a_config_error(tmp_path, task, metric):
    bound = "max" if metric == "mae" else "min"
    text = open_with(tmp_path, {"metric": metric, bound: 0.5}, task)
    assert f"stages.{STAGE}.checks[0].metric" in text
    assert f"does not apply to a {task} task" in text


def test_run_gate_raises_the_config_error_before_running(tmp_path):
    path = write_gate(tmp_path, [{"check": "metric_threshold", "metric": "mae", "max": 1}])

    def must_not_run(X):
        raise AssertionError("the model ran")

    with pytest.raises(ConfigError, match=rf"stages\.{STAGE}\.checks\[0\]\.metric"):
        run_gate(
            path, models={"candidate": must_not_run}, datasets={"evaluation": hinted_data(50, 0)}
        )


def test_unknown_parameter_is_a_config_error_naming_its_key_path(tmp_path):
    text = open_with(tmp_path, {"metric": "accuracy", "min": 0.9, "n_resample": 100})
    assert f"stages.{STAGE}.checks[0].n_resample: unknown key" in text


def test_both_min_and_max_is_a_config_error(tmp_path):
    text = open_with(tmp_path, {"metric": "accuracy", "min": 0.8, "max": 0.99})
    assert f"stages.{STAGE}.checks[0]" in text
    assert "exactly one of 'min'" in text


def test_neither_min_nor_max_is_a_config_error(tmp_path):
    assert "exactly one of 'min'" in open_with(tmp_path, {"metric": "accuracy"})


def test_unknown_metric_is_a_config_error(tmp_path):
    text = open_with(tmp_path, {"metric": "acuracy", "min": 0.9})
    assert "unknown metric 'acuracy'" in text


def test_unknown_dataset_is_a_config_error_naming_the_key(tmp_path):
    text = open_with(tmp_path, {"metric": "accuracy", "min": 0.9, "dataset": "holdout"})
    assert f"stages.{STAGE}.checks[0].dataset" in text


# -- labels the model cannot judge --------------------------------------------------------


def test_label_unknown_to_the_model_is_an_error_not_a_number(tmp_path):
    data = pd.DataFrame({"hint": [0, 1, 2] * 40, "y": [0, 1, 2] * 40})
    model = LogisticRegression().fit(
        data[["hint"]].iloc[:80].query("hint < 2"), data["y"].iloc[:80][data["hint"].iloc[:80] < 2]
    )
    result = run_one(tmp_path, {"metric": "accuracy", "min": 0.5}, model, data, task="multiclass")
    assert result.status is Status.ERROR
    assert "label(s) 2 that model 'candidate' does not know" in result.message


def test_labels_only_binary_model_seeing_one_class_is_an_error(tmp_path):
    data = pd.DataFrame({"hint": [0] * 50, "y": [0] * 50})
    result = run_one(tmp_path, {"metric": "f1", "min": 0.5}, labels_from_hint, data)
    assert result.status is Status.ERROR
    assert "declare both under models.candidate.classes" in result.message


# -- interval methods ---------------------------------------------------------------------


def test_wilson_interval_of_accuracy(tmp_path, accurate_95):
    from mlgate.stats.intervals import wilson_interval

    check = {"metric": "accuracy", "min": 0.9, "interval": "wilson"}
    result = run_one(tmp_path, check, labels_from_hint, accurate_95)
    assert result.status is Status.PASSED, result.message
    assert result.interval == wilson_interval(1900, 2000, 0.95)
    assert "n_resamples" not in result.evidence  # analytic: nothing was resampled
    assert result.method == "accuracy (mlgate.stats.metrics), wilson over rows"


def test_delong_interval_of_roc_auc(tmp_path):
    X, y = make_classification(n_samples=600, n_features=4, class_sep=1.0, random_state=3)
    data = pd.DataFrame(X, columns=[f"x{i}" for i in range(4)]).assign(y=y)
    model = LogisticRegression().fit(data.drop(columns="y"), y)
    check = {"metric": "roc_auc", "min": 0.7, "interval": "delong"}
    result = run_one(tmp_path, check, model, data)
    assert result.interval.method == "delong"
    assert result.interval.low < result.value < result.interval.high


def test_bca_interval_is_reproducible_and_named(tmp_path, accurate_95):
    check = {"metric": "log_loss", "max": 0.5, "interval": "bca", "n_resamples": 500}
    a, b = (run_one(tmp_path, check, proba_from_hint, accurate_95) for _ in range(2))
    assert a.interval == b.interval and a.interval.method == "bootstrap-bca"
    assert a.status is Status.PASSED


@pytest.mark.parametrize(
    ("check", "task", "text"),
    [
        ({"metric": "roc_auc", "min": 0.5, "interval": "wilson"}, "binary", "Wilson interval"),
        ({"metric": "f1", "min": 0.5, "interval": "delong"}, "binary", "DeLong interval"),
        ({"metric": "roc_auc", "min": 0.5, "interval": "delong"}, "multiclass", "binary task"),
        ({"metric": "accuracy", "min": 0.5, "interval": "basic"}, "binary", "unknown interval"),
    ],
)
def test_interval_method_that_does_not_apply_is_a_config_error(tmp_path, check, task, text):
    assert text in open_with(tmp_path, check, task)


@pytest.mark.parametrize(
    ("metric", "bound", "task"),
    [("average_precision", "min", "binary"), ("pinball_loss_0.9", "max", "regression")],
)
def test_metrics_beyond_the_first_eight_are_accepted(tmp_path, metric, bound, task):
    path = write_gate(tmp_path, [{"check": "metric_threshold", "metric": metric, bound: 0.5}], task)
    (planned,) = open_gate(path).checks
    assert planned.check_id == metric


# -- the batch data path ------------------------------------------------------------------


def predicted_values(X: pd.DataFrame) -> np.ndarray:
    return X["pred"].to_numpy()


@pytest.mark.parametrize(
    ("check", "model", "task", "data"),
    [
        ({"metric": "accuracy", "min": 0.9, "n_resamples": 200}, labels_from_hint, "binary",
         "accurate_95"),
        ({"metric": "roc_auc", "min": 0.8, "interval": "delong"}, proba_from_hint, "binary",
         "accurate_95"),
        ({"metric": "mae", "max": 0.6, "n_resamples": 200}, predicted_values, "regression",
         "regression_data"),
    ],
    ids=["accuracy-bootstrap", "roc-auc-delong", "mae-bootstrap"],
)  # fmt: skip
def test_rows_read_in_batches_give_the_one_batch_result(request, check, model, task, data):
    """The check reads its rows through ctx.batches; rows cut into batches are joined in order,
    so the verdict, value and interval do not depend on the batch size."""
    frame = request.getfixturevalue(data)

    def result(batch_rows: int | None) -> CheckResult:
        ctx = GateContext.from_objects(
            models={"candidate": model}, datasets={"evaluation": frame}, task=task, label="y"
        )
        ctx.batch_rows = batch_rows
        return METRIC_THRESHOLD(ctx, **check)

    whole, batched = result(None), result(333)
    assert whole.to_dict() == batched.to_dict()
    assert whole.sample_size == len(frame) and whole.status is Status.PASSED


def test_every_row_reads_one_batch_and_joins_several():
    data = hinted_data(100, 10)
    ctx = GateContext.from_objects(
        models={"candidate": proba_from_hint},
        datasets={"evaluation": data},
        task="binary",
        label="y",
    )
    whole = ctx.predict()
    y, preds = every_row(ctx.batches())
    assert preds is not None and np.array_equal(y, data["y"].to_numpy())
    y7, preds7 = every_row(ctx.batches(batch_rows=7))
    assert np.array_equal(y7, y) and preds7.classes == whole.classes
    assert np.array_equal(preds7.labels, whole.labels)
    assert np.array_equal(preds7.scores, whole.scores) and preds7.values is None
    assert METRIC_THRESHOLD.needs_all_rows  # the interval needs every row at once
