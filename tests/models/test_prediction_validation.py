"""Invalid predictions are refused where the cache fills, with the model, the dataset, the
rule, the count of bad rows and the first row indices; every check that needs them is then an
error, so the stage holds (issue: a gate that never promotes by accident, item 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlgate.core.context import GateContext
from mlgate.core.errors import PredictionError
from mlgate.core.registry import CheckRegistry
from mlgate.core.result import Status
from mlgate.models.sklearn import SklearnAdapter

N = 70


class LabelModel:
    """A classifier whose labels the test dictates (no probabilities)."""

    def __init__(self, labels, classes=(0, 1)):
        self.classes_ = np.array(classes, dtype=object if isinstance(classes[0], str) else None)
        self._labels = np.asarray(labels, dtype=object if isinstance(labels[0], str) else None)

    def predict(self, X):
        return self._labels


class ProbaModel(LabelModel):
    """... and its class probabilities."""

    def __init__(self, labels, proba, classes=(0, 1)):
        super().__init__(labels, classes)
        self._proba = np.asarray(proba, dtype=float)

    def predict_proba(self, X):
        return self._proba


def Model(labels, proba=None, classes=(0, 1)):
    return LabelModel(labels, classes) if proba is None else ProbaModel(labels, proba, classes)


def frame() -> pd.DataFrame:
    x = np.arange(N, dtype=float)
    return pd.DataFrame({"x": x, "y": (x % 2).astype(int)})


def good_proba() -> np.ndarray:
    p = np.linspace(0.05, 0.95, N)
    return np.column_stack([1 - p, p])


def ctx_for(model, **models) -> GateContext:
    return GateContext.from_objects(
        models={"candidate": model, **models},
        datasets={"evaluation": frame()},
        task="binary",
        label="y",
    )


def labels_of(proba):
    return (np.asarray(proba)[:, 1] >= 0.5).astype(int)


def test_valid_predictions_pass_through():
    proba = good_proba()
    preds = ctx_for(Model(labels_of(proba), proba)).predict()
    assert len(preds) == N


def bad_cases():
    proba = good_proba()
    not_summing = proba.copy()
    not_summing[[3, 9, 11], 1] += 0.2
    outside = proba.copy()
    outside[[5], :] = [[-0.5, 1.5]]
    nan_labels = labels_of(proba).astype(float)
    nan_labels[::7] = np.nan
    return [
        pytest.param(
            Model(labels_of(proba), not_summing),
            "class probabilities that do not sum to 1 (± 0.001): "
            "3 of 70 rows (first at rows 3, 9, 11)",
            id="rows-not-summing-to-1",
        ),
        pytest.param(
            Model(labels_of(proba), outside),
            "class probabilities outside [0, 1]: 1 of 70 rows (first at rows 5)",
            id="scores-outside-0-1",
        ),
        pytest.param(
            Model(nan_labels),
            "predicted labels are missing (NaN or None): "
            "10 of 70 rows (first at rows 0, 7, 14, 21, 28)",
            id="nan-labels-1-in-7",
        ),
        pytest.param(
            # labels from predict: by default they come from predict_proba (always a class)
            SklearnAdapter(
                Model(["yes", "no"] * 35, proba, classes=(0, 1)), "binary", labels="predict"
            ),
            "predicted labels outside the model's classes [0, 1]: 70 of 70 rows",
            id="labels-outside-own-classes",
        ),
    ]


@pytest.mark.parametrize(("model", "words"), bad_cases())
def test_invalid_predictions_name_model_dataset_rule_count_and_rows(model, words):
    with pytest.raises(PredictionError) as info:
        ctx_for(model).predict()
    text = str(info.value)
    assert text.startswith("model 'candidate' on dataset 'evaluation': ")
    assert words in text


def test_labels_only_model_predicting_labels_the_data_never_has():
    """A callable gives labels and no classes: its labels are checked against the data's."""
    ctx = ctx_for(lambda X: np.array(["yes", "no"] * (len(X) // 2)))
    with pytest.raises(PredictionError, match=r"never occur in the dataset's labels \[0, 1\]"):
        ctx.predict()


def test_a_champion_predicting_unknown_labels_is_an_error_not_a_beaten_champion():
    """It used to score every row wrong, so any candidate "beat" it and promoted."""
    from mlgate.core.gate import PlannedCheck
    from mlgate.core.result import Severity
    from mlgate.core.runner import run_check

    proba = good_proba()
    champion = lambda X: np.array(["yes", "no"] * (len(X) // 2))  # noqa: E731
    ctx = ctx_for(Model(labels_of(proba), proba), champion=champion)
    check = CheckRegistry.from_entry_points().get("champion")
    with pytest.raises(PredictionError, match="model 'champion' on dataset 'evaluation'"):
        check(ctx, metrics=["accuracy"], margin=0.05)
    params = check.params.model_validate({"metrics": ["accuracy"], "margin": 0.05})
    planned = PlannedCheck("production", "vs-champion", check, params, Severity.BLOCK, "-")
    result = run_check(ctx, planned)
    assert result.status is Status.ERROR and result.blocks
    assert "never occur in the dataset's labels [0, 1]" in result.message


def test_the_first_five_rows_are_listed_and_no_more():
    proba = good_proba()
    proba[:, 1] += 0.01  # every row sums to 1.01
    with pytest.raises(PredictionError) as info:
        ctx_for(Model(labels_of(proba), proba)).predict()
    assert "70 of 70 rows (first at rows 0, 1, 2, 3, 4);" in str(info.value)
