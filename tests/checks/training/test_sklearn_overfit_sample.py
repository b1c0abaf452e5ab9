"""The scikit-learn memorization test: known verdicts, scores against scikit-learn's own
metrics, and the gate-file check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlgate.checks.training import check_overfit_sample
from mlgate.checks.training.sklearn_fit import SKLEARN_OVERFIT_SAMPLE
from mlgate.checks.training.spec import TrainingSetupError
from mlgate.core.context import GateContext
from mlgate.core.evidence import Examples
from mlgate.core.result import Status
from mlgate.core.runner import run_gate


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).frame


def _xy(frame: pd.DataFrame):
    return frame.drop(columns="target"), frame["target"].to_numpy()


def test_deep_tree_memorises_the_sample(cancer):
    X, y = _xy(cancer)
    tree = DecisionTreeClassifier(random_state=0)
    result = check_overfit_sample(tree, X, y, sample_size=100, seed=3)
    assert result.status is Status.PASSED, result.message
    assert (result.value, result.sample_size, result.metric) == (1.0, 100, "training_accuracy")
    assert not hasattr(tree, "tree_")  # the estimator given was not fitted


def test_pipeline_that_drops_the_features_cannot_fit(cancer):
    X, y = _xy(cancer)
    keep_one = ColumnTransformer([("keep", "passthrough", ["mean fractal dimension"])])
    pipe = make_pipeline(keep_one, DecisionTreeClassifier(max_depth=2, random_state=0))
    result = check_overfit_sample(pipe, X, y, sample_size=100, seed=3)
    assert result.status is Status.FAILED
    assert "cannot fit a small sample it has seen" in result.message
    # Independent reference: the same rows, fitted and scored with scikit-learn directly.
    rows = np.sort(np.random.default_rng([3, 11]).choice(len(y), 100, replace=False))
    ref = make_pipeline(keep_one, DecisionTreeClassifier(max_depth=2, random_state=0))
    ref.fit(X.iloc[rows], y[rows])
    assert result.value == pytest.approx(accuracy_score(y[rows], ref.predict(X.iloc[rows])))
    assert result.value < 0.99
    misfit = result.evidence["misfit_rows"]
    assert isinstance(misfit, Examples) and misfit.columns == ("row", "target", "predicted")
    assert len(misfit.rows) == min(20, round((1 - result.value) * 100))


def test_conflicting_duplicates_are_counted_and_fail(cancer):
    X, y = _xy(cancer.iloc[:60])
    X2 = pd.concat([X, X], ignore_index=True)
    y2 = np.concatenate([y, 1 - y])  # the same inputs with the opposite label
    result = check_overfit_sample(DecisionTreeClassifier(random_state=0), X2, y2, sample_size=120)
    assert result.status is Status.FAILED
    assert result.value == pytest.approx(0.5)
    assert result.evidence["duplicate_inputs_with_different_targets"] == 120


def test_regression_score_is_r2_against_scikit_learn():
    X, y = make_regression(n_samples=300, n_features=4, noise=10.0, random_state=0)
    y = y + 30 * np.sin(X[:, 0] * 3)  # not linear
    linear = check_overfit_sample(LinearRegression(), X, y, sample_size=80, seed=1)
    rows = np.sort(np.random.default_rng([1, 11]).choice(300, 80, replace=False))
    ref = LinearRegression().fit(X[rows], y[rows])
    assert linear.metric == "training_r2"
    assert linear.value == pytest.approx(r2_score(y[rows], ref.predict(X[rows])), abs=1e-12)
    assert linear.status is Status.FAILED
    tree = check_overfit_sample(DecisionTreeRegressor(random_state=0), X, y, sample_size=80)
    assert tree.status is Status.PASSED and tree.value == pytest.approx(1.0)


def test_too_few_rows_or_one_class_is_inconclusive(cancer):
    X, y = _xy(cancer)
    small = check_overfit_sample(DecisionTreeClassifier(), X.iloc[:10], y[:10])
    assert small.status is Status.INCONCLUSIVE and "min_samples=20" in small.message
    one = np.ones(len(y), dtype=int)
    single = check_overfit_sample(DecisionTreeClassifier(), X, one)
    assert single.status is Status.INCONCLUSIVE and "single class" in single.message


def test_object_that_cannot_be_cloned_is_a_setup_error(cancer):
    X, y = _xy(cancer)
    with pytest.raises(TrainingSetupError, match="cannot be cloned"):
        check_overfit_sample(lambda X: X, X, y)


# -- from a gate file -----------------------------------------------------------------------


def _gate(tmp_path, check: dict) -> str:
    config = {
        "name": "sk",
        "task": "binary",
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {
            "evaluation": {"factory": "unused:unused", "label": "target"},
            "reference": {"factory": "unused:unused", "label": "target"},
        },
        "stages": {"ci": {"checks": [{"check": "sklearn_overfit_sample", **check}]}},
    }
    path = tmp_path / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return str(path)


def test_gate_check_clones_the_candidate_or_builds_the_estimator(tmp_path, cancer):
    fitted = make_pipeline(LogisticRegression(C=1e-4, max_iter=500)).fit(*_xy(cancer))
    data = {"evaluation": cancer, "reference": cancer}
    weak = run_gate(_gate(tmp_path, {}), models={"candidate": fitted}, datasets=data)
    (result,) = weak.results
    assert result.status is Status.FAILED  # heavily regularised: cannot memorise
    assert result.evidence["source"] == "model 'candidate'"
    tree = run_gate(
        _gate(
            tmp_path,
            {
                "estimator": "sklearn.tree:DecisionTreeClassifier",
                "estimator_args": {"max_depth": 12},
            },
        ),
        models={"candidate": fitted},
        datasets=data,
    )
    (result,) = tree.results
    assert result.status is Status.PASSED, result.message
    assert result.check_id == "sklearn-overfit-sample"


def test_check_type_called_on_objects_clones_the_candidate(cancer):
    fitted = make_pipeline(LogisticRegression(C=1e-4, max_iter=500)).fit(*_xy(cancer))
    ctx = GateContext.from_objects(
        models={"candidate": fitted},
        datasets={"evaluation": cancer, "reference": cancer},
        task="binary",
        label="target",
        seed=3,
    )
    result = SKLEARN_OVERFIT_SAMPLE(ctx, sample_size=50)
    direct = check_overfit_sample(fitted, *_xy(cancer), task="binary", sample_size=50, seed=3)
    assert result.check_id == "sklearn-overfit-sample"
    assert (result.status, result.value, result.message) == (
        direct.status,
        direct.value,
        direct.message,
    )
    assert result.evidence["source"] == "model 'candidate'"


def test_gate_check_on_a_model_that_is_not_scikit_learn_is_an_error(tmp_path, cancer):
    run = run_gate(
        _gate(tmp_path, {}),
        models={"candidate": lambda X: np.zeros(len(X), dtype=int)},
        datasets={"evaluation": cancer, "reference": cancer},
    )
    (result,) = run.results
    assert result.status is Status.ERROR
    assert "is a callable model; sklearn_overfit_sample clones a scikit-learn estimator" in (
        result.message
    )


def test_gate_check_names_a_missing_dataset(tmp_path):
    from mlgate.core.errors import ConfigError
    from mlgate.core.gate import open_gate

    with pytest.raises(ConfigError, match=r"checks\[0\]\.dataset: no dataset 'train'"):
        open_gate(_gate(tmp_path, {"dataset": "train"}))
