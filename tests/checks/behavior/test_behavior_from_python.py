"""Behavioral checks called from Python go through the check types on a gate context: the
parameters are validated against the gate, the original rows come from the prediction cache
and the random draws are the gate run's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from behavior_helpers import CountingModel, proba, run_check

from mlgate.checks.behavior import (
    INVARIANCE,
    MINIMUM_FUNCTIONALITY,
    PERTURBATION,
    context_for,
    invariance_check,
    minimum_functionality_check,
    perturbation_check,
)
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.result import Status

# A bound the model misses (≈ 3% of (row, variant) pairs flip), so a counterexample is shrunk.
CHECK = {"check": "perturbation", "max_flip_rate": 0.02}
HEADLINE = ("status", "metric", "value", "interval", "threshold", "sample_size", "method")


def thresholds_noise(X: pd.DataFrame) -> np.ndarray:
    return (X["z"].to_numpy() > 0).astype(int)


def test_a_python_call_gives_the_gate_runs_result(tmp_path, bimodal):
    gate = run_check(tmp_path, CHECK, thresholds_noise, bimodal, seed=3).to_dict()
    direct = perturbation_check(
        thresholds_noise, bimodal, task="binary", label="y", seed=3, max_flip_rate=0.02
    ).to_dict()
    for key in (*HEADLINE, "message", "evidence", "id"):
        assert direct[key] == gate[key], key
    assert direct["evidence"]["minimal"]["rows"]  # shrunk the same way, too


def test_the_original_rows_are_predicted_once_through_the_cache(bimodal):
    model = CountingModel(lambda X: proba(1.0 / (1.0 + np.exp(-3.0 * X["x"].to_numpy()))))
    ctx = GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": bimodal}, task="binary", label="y"
    )
    n = len(bimodal)
    ctx.predict()  # another check already made the predictions
    assert model.rows == n
    PERTURBATION(ctx, max_flip_rate=0.05, variants=2, shrink=0)
    INVARIANCE(ctx, transform="gaussian_noise", columns=["z"], max_flip_rate=0.05, shrink=0)
    assert model.rows == n + 2 * n + n  # only the variants were predicted by the checks


def test_the_check_type_returns_its_default_id(bimodal):
    ctx = context_for(thresholds_noise, bimodal, task="binary", label="y")
    result = INVARIANCE(ctx, transform="gaussian_noise", columns=["z"], max_flip_rate=0.5)
    assert result.check_id == "invariance-gaussian_noise-z"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"dataset": "holdout", "max_flip_rate": 0.05}, "dataset: no dataset 'holdout'"),
        ({"transform": "noise", "max_flip_rate": 0.05}, "transform: unknown transform"),
        ({"max_flip_rate": 0.05, "variants": 0}, "variants"),
    ],
)
def test_parameters_are_validated_against_the_gate(bimodal, params, message):
    ctx = context_for(thresholds_noise, bimodal, task="binary", label="y")
    with pytest.raises(ConfigError, match=message):
        PERTURBATION(ctx, **params)


def test_the_seed_decides_the_draws(bimodal):
    def call(seed: int):
        ctx = context_for(thresholds_noise, bimodal, task="binary", label="y", seed=seed)
        return PERTURBATION(ctx, max_flip_rate=0.05, shrink=0)

    a, b, c = call(1), call(1), call(2)
    assert a.to_dict() == b.to_dict()
    assert a.value != c.value


def test_minimum_functionality_features_fix_the_column_order():
    def ordered(X: pd.DataFrame) -> np.ndarray:
        assert list(X.columns) == ["b", "a"]
        return (X["a"] > X["b"]).astype(int).to_numpy()

    cases = [{"a": 2, "b": 1, "expected": 1}, {"a": 0, "b": 1, "expected": 0}]
    result = minimum_functionality_check(ordered, task="binary", features=["b", "a"], cases=cases)
    assert result.status is Status.PASSED and result.sample_size == 2
    ctx = GateContext.from_objects(
        models={"candidate": ordered},
        datasets={"evaluation": pd.DataFrame({"b": [0], "a": [1], "y": [1]})},
        task="binary",
        label="y",
    )
    assert MINIMUM_FUNCTIONALITY(ctx, cases=cases).status is Status.PASSED


def test_minimum_functionality_parameters_are_config_errors():
    with pytest.raises(ConfigError, match="give exactly one of 'cases'"):
        minimum_functionality_check(thresholds_noise, task="binary")


def test_a_dataset_keeps_its_roles(bimodal):
    ctx = GateContext.from_objects(
        models={"candidate": thresholds_noise},
        datasets={"evaluation": {"data": bimodal, "label": "y", "sensitive": ["z"]}},
        task="binary",
    )
    direct = invariance_check(
        thresholds_noise, ctx.dataset("evaluation"), task="binary", max_flip_rate=0.05, shrink=0
    )
    assert direct.to_dict() == INVARIANCE(ctx, max_flip_rate=0.05, shrink=0).to_dict()
    assert direct.evidence["transform"]["columns"] == ["z"]  # the dataset's sensitive column
