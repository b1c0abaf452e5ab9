"""The invariance check: a model that uses the sensitive attribute fails, the same model
trained without it passes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from behavior_helpers import STAGE, proba, run_check, write_gate
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from mlgate.checks.behavior import invariance_check
from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.result import Status

CHECK = {"check": "invariance", "max_flip_rate": 0.02}


@pytest.fixture(scope="module")
def credit() -> pd.DataFrame:
    """Approvals that historically favoured one group: y depends on income and on sex."""
    rng = np.random.default_rng(11)
    n = 3000
    sex = rng.choice(["f", "m"], n)
    income = rng.normal(size=n)
    debt = rng.normal(size=n)
    y = (income - 0.5 * debt + 1.2 * (sex == "m") + rng.normal(0, 0.5, n) > 0.6).astype(int)
    return pd.DataFrame({"income": income, "debt": debt, "sex": sex, "y": y})


def fit(data: pd.DataFrame, use_sex: bool):
    encode = ColumnTransformer(
        [
            ("sex", OneHotEncoder(), ["sex"]) if use_sex else ("sex", "drop", ["sex"]),
            ("num", "passthrough", ["income", "debt"]),
        ]
    )
    return make_pipeline(encode, LogisticRegression()).fit(data.drop(columns="y"), data["y"])


def test_a_model_using_the_sensitive_attribute_fails(tmp_path, credit):
    model = fit(credit, use_sex=True)
    result = run_check(tmp_path, CHECK, model, credit, sensitive=["sex"])
    assert result.status is Status.FAILED, result.message
    assert result.value > 0.1 and result.interval.low > 0.02
    assert result.evidence["transform"] == {
        "name": "swap_sensitive",
        "columns": ["sex"],
        "params": {"groups": None},
    }
    ex = result.evidence["examples"].rows[0]
    assert list(ex["changed"]) == ["sex"] and ex["changed"]["sex"] != ex["original"]["sex"]
    (cx,) = result.evidence["minimal"].rows
    assert cx["columns"] == ["sex"] and cx["prediction"]["original"] != cx["prediction"]["changed"]


def test_the_same_model_trained_without_it_passes(tmp_path, credit):
    model = fit(credit, use_sex=False)
    result = run_check(tmp_path, CHECK, model, credit, sensitive=["sex"])
    assert result.status is Status.PASSED, result.message
    assert result.value == 0.0 and result.sample_size == 3000
    assert result.interval.high < 0.002


def test_score_tolerance_catches_score_changes_that_flip_no_label(credit):
    def slightly_biased(X):
        p = 1 / (1 + np.exp(-3 * X["income"].to_numpy()))
        return proba(np.clip(p + 0.03 * (X["sex"].to_numpy() == "m"), 0, 1))

    kw = dict(task="binary", sensitive=["sex"], max_flip_rate=0.05, label="y", shrink=0)
    labels_only = invariance_check(slightly_biased, credit, **kw)
    # only rows with a score within 0.03 of 0.5 flip: about 0.03 · 0.53 ≈ 1.6%
    assert labels_only.status is Status.PASSED, labels_only.message
    scores = invariance_check(slightly_biased, credit, score_tolerance=0.01, **kw)
    assert scores.status is Status.FAILED and scores.value > 0.5
    assert 0.029 < scores.evidence["examples"].rows[0]["change"] < 0.031


def test_a_sensitive_column_the_model_never_sees_is_refused_before_running(tmp_path):
    path = write_gate(tmp_path, [CHECK], sensitive=["sex"], features=["income", "debt"])
    with pytest.raises(ConfigError, match="the model never sees them"):
        open_gate(path)


def test_from_python_a_sensitive_column_that_is_not_a_feature_is_refused_before_running(credit):
    """From Python the parameters are validated against the context as a gate file's are, so
    this is the gate file's ConfigError (it was a DataError raised while perturbing)."""

    def model(X):
        raise AssertionError("the model must not be called")

    with pytest.raises(ConfigError, match="the model never sees them"):
        invariance_check(
            model, credit, task="binary", features=["income", "debt"], sensitive=["sex"],
            max_flip_rate=0.02,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("gate", "check", "message"),
    [
        ({}, {}, "columns: transform 'swap_sensitive' changes the dataset's sensitive columns"),
        ({"task": "regression", "sensitive": ["sex"]}, {}, "score_tolerance: a regression value"),
        ({"sensitive": ["sex"]}, {"max_flip_rate": 2}, "max_flip_rate"),
        (
            {"sensitive": ["sex"], "features": ["income", "sex"]},
            {"columns": ["debt"]},
            "columns: column(s) ['debt'] are not features",
        ),
    ],
)
def test_gate_file_mistakes(tmp_path, gate, check, message):
    path = write_gate(tmp_path, [{**CHECK, **check}], **gate)
    with pytest.raises(ConfigError) as info:
        open_gate(path)
    assert f"stages.{STAGE}.checks[0]" in str(info.value) and message in str(info.value)
