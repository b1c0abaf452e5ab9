"""The scikit-learn adapter predicts once (issue 16): labels from ``predict_proba``, ``predict``
only on a small sample to check they agree, rows in bounded chunks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import FixedThresholdClassifier

from mlgate.core.errors import ConfigError, PredictionError
from mlgate.core.task import Task
from mlgate.models import adapt
from mlgate.models.sklearn import CONSISTENCY_ROWS, SklearnAdapter


class Counting:
    """Wraps an estimator and records how many rows each method was asked for."""

    def __init__(self, est) -> None:
        self.est = est
        self.classes_ = est.classes_
        self.rows: dict[str, list[int]] = {"predict": [], "predict_proba": []}

    def predict(self, X):
        self.rows["predict"].append(len(X))
        return self.est.predict(X)

    def predict_proba(self, X):
        self.rows["predict_proba"].append(len(X))
        return self.est.predict_proba(X)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(3_000, 4)), columns=list("abcd"))
    y = np.where(X["a"] + X["b"] * X["c"] + rng.normal(0, 0.7, len(X)) > 0, "yes", "no")
    return X, y


@pytest.mark.parametrize(
    "est",
    [LogisticRegression(), HistGradientBoostingClassifier(max_iter=20, random_state=0)],
    ids=["logreg", "hgb"],
)
def test_labels_from_probabilities_equal_predict(data, est):
    X, y = data
    est.fit(X, y)
    preds = SklearnAdapter(est, Task.BINARY).predict(X)
    np.testing.assert_array_equal(preds.labels, est.predict(X))
    np.testing.assert_array_equal(preds.scores, est.predict_proba(X))


def test_one_full_pass_and_predict_on_a_sample_only(data):
    X, y = data
    model = Counting(LogisticRegression().fit(X, y))
    SklearnAdapter(model, Task.BINARY).predict(X)
    assert model.rows == {
        "predict": [CONSISTENCY_ROWS],
        "predict_proba": [len(X), CONSISTENCY_ROWS],  # both methods on the same sample
    }


def test_labels_predict_calls_predict_on_every_row(data):
    X, y = data
    model = Counting(LogisticRegression().fit(X, y))
    adapt(model, Task.BINARY, labels="predict").predict(X)
    assert model.rows == {"predict": [len(X)], "predict_proba": [len(X)]}


def test_a_tuned_threshold_disagrees_with_a_clear_error_and_labels_predict_fixes_it(data):
    X, y = data
    est = FixedThresholdClassifier(LogisticRegression(), threshold=0.2).fit(X, y)
    with pytest.raises(PredictionError) as info:
        SklearnAdapter(est, Task.BINARY).predict(X)
    text = str(info.value)
    assert "FixedThresholdClassifier: predict disagrees with the most probable class" in text
    assert f"of {CONSISTENCY_ROWS} sampled rows" in text and "labels='predict'" in text
    preds = SklearnAdapter(est, Task.BINARY, labels="predict").predict(X)
    np.testing.assert_array_equal(preds.labels, est.predict(X))


class Tied:
    """Every row is a 50/50 tie and ``predict`` breaks it towards the second class, as a
    ``>= 0.5`` rule does; argmax picks the first. A tie is not a disagreement."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)

    def predict(self, X):
        return np.ones(len(X), dtype=int)


def test_ties_are_not_disagreements(data):
    X, _ = data
    preds = SklearnAdapter(Tied(), Task.BINARY).predict(X)
    assert (preds.labels == 0).all()


def test_chunks_give_the_same_predictions(data):
    X, y = data
    est = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    whole = SklearnAdapter(est, Task.BINARY).predict(X)
    model = Counting(est)
    chunked = SklearnAdapter(model, Task.BINARY, chunk_rows=700).predict(X)
    # the full pass in chunks, then the consistency sample asked of both methods
    assert model.rows["predict_proba"] == [700, 700, 700, 700, 200, CONSISTENCY_ROWS]
    np.testing.assert_array_equal(chunked.labels, whole.labels)
    np.testing.assert_array_equal(chunked.scores, whole.scores)


def test_a_bad_label_source_is_a_config_error():
    with pytest.raises(ConfigError, match=r"labels='argmax' is not a label source; use 'proba'"):
        SklearnAdapter(LogisticRegression(), Task.BINARY, labels="argmax")


def test_labels_predict_in_the_gate_file(tmp_path, data):
    """A tuned-threshold model from a file: refused with the gate-file key to set, then
    scored on its own decision rule once ``labels: predict`` is set."""
    import joblib

    from mlgate.core.result import Status
    from mlgate.core.runner import run_gate

    X, y = data
    est = FixedThresholdClassifier(LogisticRegression(), threshold=0.2).fit(X, y)
    joblib.dump(est, tmp_path / "model.joblib")
    X.assign(y=y).to_csv(tmp_path / "eval.csv", index=False)

    def gate(labels: str) -> str:
        path = tmp_path / "mlgate.yaml"
        path.write_text(
            "name: tuned\ntask: binary\n"
            f"models: {{candidate: {{path: model.joblib, trust: true{labels}}}}}\n"
            "datasets: {evaluation: {path: eval.csv, label: y}}\n"
            "stages: {ci: {checks: [{check: metric_threshold, metric: recall, min: 0.5}]}}\n"
        )
        return str(path)

    (refused,) = run_gate(gate("")).results
    assert refused.status is Status.ERROR
    assert "'labels: predict'" in refused.message and "models.<name>.labels" in refused.message
    (scored,) = run_gate(gate(", labels: predict")).results
    expected = float(np.mean(est.predict(X)[y == "yes"] == "yes"))
    assert scored.value == pytest.approx(expected)


def test_an_unknown_label_source_is_a_gate_file_error(tmp_path):
    from mlgate.core.gate import open_gate

    path = tmp_path / "mlgate.yaml"
    path.write_text(
        "name: x\ntask: binary\nmodels: {candidate: {path: m.joblib, labels: argmax}}\n"
        "datasets: {evaluation: {path: e.csv, label: y}}\n"
        "stages: {ci: {checks: [{check: metric_threshold, metric: accuracy, min: 0.5}]}}\n"
    )
    with pytest.raises(ConfigError, match=r"labels.*'proba'.*'predict'|labels"):
        open_gate(path)


class BatchDependent:
    """Scores that depend on a row's position in the batch (a model with batch statistics):
    ``predict`` is argmax of ``predict_proba`` on every call, so the two methods agree; only
    comparing a sample's ``predict`` with the full pass's scores would call that a
    disagreement."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        p = np.clip(0.5 + 0.4 * np.sin(np.arange(len(X)) + np.asarray(X["a"])), 0, 1)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


def test_agreement_is_checked_on_the_same_rows_asked_of_both_methods(data):
    X, _ = data
    preds = SklearnAdapter(BatchDependent(), Task.BINARY).predict(X)
    np.testing.assert_array_equal(preds.labels, BatchDependent().predict(X))
