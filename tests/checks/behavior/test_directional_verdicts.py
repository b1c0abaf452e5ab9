"""The directional check: a monotone-increasing model passes, the same model with the feature
reversed fails; ties, tolerance and the score followed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from behavior_helpers import STAGE, run_check, write_gate
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.tree import DecisionTreeRegressor

from mlgate.checks.behavior import directional_check
from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.result import Status

CHECK = {
    "check": "directional",
    "columns": ["sqft"],
    "params": {"by": 50.0},
    "expect": "increase",
    "max_violation_rate": 0.02,
}


@pytest.fixture(scope="module")
def houses() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    n = 1500
    sqft = rng.uniform(40, 250, n)
    age = rng.uniform(0, 80, n)
    price = 3.0 * sqft - 0.8 * age + rng.normal(0, 20, n)
    return pd.DataFrame({"sqft": sqft, "age": age, "price": price})


@pytest.fixture(scope="module")
def price_model(houses):
    return LinearRegression().fit(houses[["sqft", "age"]], houses["price"])


def test_a_monotone_increasing_model_passes(tmp_path, houses, price_model):
    result = run_check(tmp_path, CHECK, price_model, houses, task="regression", label="price")
    assert result.status is Status.PASSED, result.message
    assert result.value == 0.0 and result.sample_size == 1500
    assert result.check_id == "directional-increase-sqft"
    assert result.evidence["score"] == "value"


def test_the_same_model_with_the_feature_reversed_fails(tmp_path, houses, price_model):
    def reversed_sqft(X):
        return price_model.predict(X.assign(sqft=-X["sqft"]))

    result = run_check(tmp_path, CHECK, reversed_sqft, houses, task="regression", label="price")
    assert result.status is Status.FAILED, result.message
    assert result.value == 1.0
    ex = result.evidence["examples"].rows[0]
    assert ex["changed"]["sqft"] == pytest.approx(ex["original"]["sqft"] + 50, rel=1e-5)
    assert ex["prediction"]["changed"]["value"] < ex["prediction"]["original"]["value"]
    assert ex["change"] == pytest.approx(3.0 * 50, rel=0.05)  # wrong-way move of the price
    (cx,) = result.evidence["minimal"].rows
    assert cx["params"]["by"] == pytest.approx(50 / 64)  # the smallest step already fails
    assert cx["paste"] is None  # a directional pair is not a single expected output


def test_decrease_expectation_on_a_classifier_score(houses):
    y = (houses["age"] + np.random.default_rng(0).normal(0, 10, len(houses)) > 40).astype(int)
    data = houses.assign(old=y)
    clf = LogisticRegression().fit(data[["sqft", "age"]], y)
    kw = dict(task="binary", label="old", features=["sqft", "age"], columns=["age"])
    ok = directional_check(
        clf, data, transform="decrease", params={"by": 5}, expect="decrease",
        max_violation_rate=0.01, **kw,
    )  # fmt: skip
    assert ok.status is Status.PASSED and ok.evidence["score"] == "P(1)"
    wrong = directional_check(
        clf, data, transform="decrease", params={"by": 5}, expect="increase",
        max_violation_rate=0.01, shrink=0, **kw,
    )  # fmt: skip
    assert wrong.status is Status.FAILED and wrong.value == 1.0


def test_ties_pass_unless_strict(houses):
    tree = DecisionTreeRegressor(max_depth=3, random_state=0)
    tree.fit(houses[["sqft", "age"]], houses["price"])
    kw = dict(
        task="regression",
        label="price",
        shrink=0,
        **{k: v for k, v in CHECK.items() if k != "check"},
    )
    kw["params"] = {"by": 1.0}  # mostly inside one leaf: the price does not move
    loose = directional_check(tree, houses, **kw)
    assert loose.status is Status.PASSED, loose.message
    strict = directional_check(tree, houses, strict=True, **kw)
    assert strict.status is Status.FAILED and strict.value > 0.9


def test_tolerance_forgives_small_wrong_way_moves(houses, price_model):
    def wiggly(X):
        return price_model.predict(X) - 2.0 * np.sin(X["sqft"].to_numpy() * 7.0)

    kw = dict(
        task="regression",
        label="price",
        shrink=0,
        **{k: v for k, v in CHECK.items() if k != "check"},
    )
    kw["params"] = {"by": 0.1}  # +0.3 from the slope, up to ±4 from the wiggle
    assert directional_check(wiggly, houses, **kw).status is Status.FAILED
    assert directional_check(wiggly, houses, tolerance=4.0, **kw).status is Status.PASSED


def test_a_labels_only_model_is_an_error(tmp_path, houses):
    def labels(X):
        return (X["sqft"] > 100).astype(int).to_numpy()

    data = houses.assign(big=(houses["sqft"] > 100).astype(int))
    result = run_check(tmp_path, CHECK, labels, data, label="big", features=["sqft", "age"])
    assert result.status is Status.ERROR and "labels only" in result.message


@pytest.mark.parametrize(
    ("gate", "check", "message"),
    [
        ({"task": "multiclass"}, {}, "target_class: a multiclass model"),
        ({}, {"columns": None}, "columns: transform 'increase' has no default columns"),
        ({}, {"params": {}}, "params: give exactly one of 'by'"),
        ({}, {"expect": "up"}, "expect"),
    ],
)
def test_gate_file_mistakes(tmp_path, gate, check, message):
    decl = {k: v for k, v in {**CHECK, **check}.items() if v is not None}
    path = write_gate(tmp_path, [decl], **gate)
    with pytest.raises(ConfigError) as info:
        open_gate(path)
    assert f"stages.{STAGE}.checks[0]" in str(info.value) and message in str(info.value)
