"""Adapters against the models' own outputs: sklearn, callables, ``adapt``; torch lives in
test_torch_adapter.py."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from mlgate.core.errors import ConfigError, MissingDependencyError, ModelLoadError, PredictionError
from mlgate.core.task import Task
from mlgate.models import ModelAdapter, Predictions, adapt
from mlgate.models.callable import CallableAdapter
from mlgate.models.sklearn import SklearnAdapter
from mlgate.models.torch import TorchAdapter

# -- sklearn -----------------------------------------------------------------------------


def test_sklearn_binary_matches_estimator(binary_data):
    X, y = binary_data
    est = LogisticRegression().fit(X, y)
    preds = SklearnAdapter(est, Task.BINARY).predict(X).validate(len(X), source="candidate")
    np.testing.assert_array_equal(preds.labels, est.predict(X))
    np.testing.assert_allclose(preds.scores, est.predict_proba(X))
    assert preds.classes == (0, 1)
    assert not preds.scores.flags.writeable


def test_sklearn_multiclass_string_labels(multiclass_data):
    X, y = multiclass_data
    est = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    preds = SklearnAdapter(est, Task.MULTICLASS).predict(X).validate(len(X), source="c")
    np.testing.assert_array_equal(preds.labels, est.predict(X))
    np.testing.assert_allclose(preds.scores, est.predict_proba(X))
    assert preds.classes == ("a", "b", "c")


def test_sklearn_regression_values_are_float(frame_of):
    X, y = make_regression(n_samples=50, n_features=3, random_state=0)
    est = Ridge().fit(frame_of(X), y)
    preds = SklearnAdapter(est, Task.REGRESSION).predict(frame_of(X))
    assert preds.values.dtype == np.float64
    np.testing.assert_allclose(preds.values, est.predict(frame_of(X)))
    assert preds.labels is None and preds.scores is None


def test_sklearn_without_predict_proba_gives_labels_only(binary_data):
    X, y = binary_data
    est = LinearSVC().fit(X, y)
    preds = SklearnAdapter(est, Task.BINARY).predict(X)
    assert preds.scores is None
    np.testing.assert_array_equal(preds.labels, est.predict(X))


def test_sklearn_binary_task_with_three_classes_is_an_error(multiclass_data):
    X, y = multiclass_data
    est = LogisticRegression().fit(X, y)
    with pytest.raises(PredictionError, match=r"'binary'"):
        SklearnAdapter(est, Task.BINARY).predict(X)


def test_sklearn_predict_failure_names_estimator(binary_data):
    X, _ = binary_data
    with pytest.raises(PredictionError, match=r"LogisticRegression failed to predict 120 rows"):
        SklearnAdapter(LogisticRegression(), Task.BINARY).predict(X)


def test_sklearn_describe_is_json(binary_data):
    X, y = binary_data
    est = make_pipeline(StandardScaler(), LogisticRegression(C=0.5)).fit(X, y)
    desc = SklearnAdapter(est, Task.BINARY).describe()
    assert desc["kind"] == "sklearn"
    assert desc["class"] == "sklearn.pipeline.Pipeline"
    assert isinstance(desc["params"]["steps"], list)
    assert "LogisticRegression(C=0.5)" in json.dumps(desc)
    lr = SklearnAdapter(LogisticRegression(C=0.5, class_weight={"a": np.float64(2)}), Task.BINARY)
    params = json.loads(json.dumps(lr.describe()))["params"]
    assert params["C"] == 0.5 and params["class_weight"] == {"a": 2.0}


def _linear(n_in: int, n_out: int, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Linear(n_in, n_out)


# -- callables ---------------------------------------------------------------------------


def test_callable_one_dimensional_outputs(binary_data):
    X, _ = binary_data
    labels = CallableAdapter(lambda d: list(d["f0"] > 0), Task.BINARY).predict(X)
    np.testing.assert_array_equal(labels.labels, X["f0"].to_numpy() > 0)
    assert labels.scores is None
    values = CallableAdapter(lambda d: d["f0"] * 2, Task.REGRESSION).predict(X)
    np.testing.assert_allclose(values.values, X["f0"] * 2)


def test_callable_probabilities_give_scores_and_argmax_labels(multiclass_data):
    X, _ = multiclass_data
    probs = torch.softmax(torch.tensor(X.iloc[:, :3].to_numpy()), dim=1)

    def predict_proba(d: pd.DataFrame) -> torch.Tensor:
        return probs.requires_grad_(False)

    preds = CallableAdapter(predict_proba, Task.MULTICLASS, classes=["a", "b", "c"]).predict(X)
    np.testing.assert_allclose(preds.scores, probs.numpy())
    np.testing.assert_array_equal(preds.labels, np.array(["a", "b", "c"])[probs.argmax(1)])
    default = CallableAdapter(lambda d: probs.numpy(), Task.MULTICLASS).predict(X)
    assert default.classes == (0, 1, 2)
    assert CallableAdapter(predict_proba, Task.MULTICLASS).describe() == {
        "kind": "callable",
        "name": f"{__name__}.test_callable_probabilities_give_scores_and_argmax_labels"
        ".<locals>.predict_proba",
    }


def test_callable_errors(binary_data):
    X, _ = binary_data
    with pytest.raises(PredictionError, match=r"ambiguous|one column per class"):
        CallableAdapter(lambda d: np.ones((len(d), 1)), Task.BINARY).predict(X)
    with pytest.raises(PredictionError, match=r"ZeroDivisionError"):
        CallableAdapter(lambda d: 1 / 0, Task.BINARY).predict(X)


# -- Predictions.validate ----------------------------------------------------------------


def test_validate_rejects_nan_scores_and_wrong_lengths():
    scores = np.array([[0.5, 0.5], [np.nan, 0.2], [0.9, 0.1]])
    preds = Predictions(Task.BINARY, labels=np.array([0, 1, 0]), scores=scores, classes=(0, 1))
    with pytest.raises(PredictionError, match=r"^challenger: scores contain 1 non-finite .* row 1"):
        preds.validate(3, source="challenger")
    with pytest.raises(PredictionError, match=r"^candidate: labels have shape \(3,\)"):
        preds.validate(4, source="candidate")
    reg = Predictions(Task.REGRESSION, values=np.array([1.0, np.inf]))
    with pytest.raises(PredictionError, match=r"^candidate: values contain"):
        reg.validate(2, source="candidate")


# -- adapt -------------------------------------------------------------------------------


def test_adapt_picks_adapter_by_type(binary_data):
    X, y = binary_data
    est = LogisticRegression().fit(X, y)
    assert isinstance(adapt(est, Task.BINARY), SklearnAdapter)
    torch_adapter = adapt(_linear(4, 2), "binary", classes=["n", "y"], batch_size=3, device="cpu")
    assert isinstance(torch_adapter, TorchAdapter)
    assert (torch_adapter.batch_size, torch_adapter.classes) == (3, ("n", "y"))
    assert isinstance(adapt(lambda d: d["f0"], Task.REGRESSION), CallableAdapter)
    existing = CallableAdapter(len, Task.REGRESSION)
    assert isinstance(existing, ModelAdapter) and adapt(existing, Task.BINARY) is existing
    assert isinstance(adapt(est.predict, Task.BINARY, kind="callable"), CallableAdapter)


def test_adapt_errors():
    with pytest.raises(ModelLoadError, match=r"type builtins.int .* 'predict'"):
        adapt(3, Task.BINARY)
    with pytest.raises(ModelLoadError, match=r"kind 'torch' needs a torch.nn.Module"):
        adapt(LogisticRegression(), Task.BINARY, kind="torch")
    with pytest.raises(ModelLoadError, match=r"kind 'sklearn' needs"):
        adapt(len, Task.BINARY, kind="sklearn")
    with pytest.raises(ConfigError, match=r"'onnx' is unknown"):
        adapt(len, Task.BINARY, kind="onnx")  # type: ignore[arg-type]


def test_adapt_torch_without_torch_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingDependencyError, match=r"mlgate\[torch\]"):
        adapt(len, Task.BINARY, kind="torch")


def test_models_package_imports_without_torch():
    code = "import sys, mlgate.models, mlgate.models.torch; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
