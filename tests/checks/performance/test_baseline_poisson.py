"""``baseline`` with ``interval: poisson``: the baselines' statistics are folded, each baseline
predicts a row inside the fold, and the candidate and every baseline share one key (paired
Poisson resamples). Known verdicts, exact fitted statistics, the pairing's narrower interval,
agreement with a direct paired bootstrap, and the same bytes however the rows are batched."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.performance.baseline import BASELINE
from mlgate.checks.performance.baseline_folded import uniform_at
from mlgate.core.context import GateContext
from mlgate.core.registry import parse_params
from mlgate.core.result import Status
from mlgate.stats.poisson_paired import ExactSum


def imbalanced(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """80% negatives; ``hint`` is the label flipped on 10% of rows."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(int)
    hint = np.where(rng.random(n) < 0.9, y, 1 - y)
    near = np.where(rng.random(n) < 0.97, hint, 1 - hint)  # agrees with hint on 97% of rows
    return pd.DataFrame({"hint": hint, "near": near, "x": rng.normal(size=n) + y, "y": y})


def from_column(column: str):
    def predict(X: pd.DataFrame) -> np.ndarray:
        p = np.where(X[column].to_numpy() == 1, 0.85, 0.1)
        return np.column_stack([1 - p, p])

    return predict


def always_negative(X: pd.DataFrame) -> np.ndarray:
    return np.tile([0.8, 0.2], (len(X), 1))


def context(frame, models, task="binary", batch_rows=None, label="y") -> GateContext:
    ctx = GateContext.from_objects(
        models=models, datasets={"evaluation": frame}, task=task, label=label
    )
    ctx.batch_rows = batch_rows
    return ctx


def baseline(ctx, **params):
    return BASELINE(ctx, interval="poisson", n_resamples=params.pop("n_resamples", 400), **params)


def rows_of(result):
    return {row["baseline"]: row for row in result.evidence["baselines"].rows}


# -- known verdicts -------------------------------------------------------------------------
def test_a_good_classifier_beats_every_builtin_baseline():
    frame = imbalanced()
    ctx = context(frame, {"candidate": from_column("hint")})
    result = baseline(
        ctx,
        metric="accuracy",
        margin=0.02,
        against=["uniform", "prior", "zero_rule", "majority", {"feature": "x", "threshold": 0.5}],
    )
    assert result.status is Status.PASSED, result.message
    rows = rows_of(result)
    # zero-rule: the majority class of the fit rows (the evaluation set here), exactly
    majority = np.mean(frame["y"] == 0)
    assert rows["zero_rule"]["value"] == pytest.approx(majority, abs=1e-6)
    assert rows["majority"]["value"] == rows["zero_rule"]["value"]
    # uniform draws are right on about half the rows, prior draws on 0.8² + 0.2² of them
    assert rows["uniform"]["value"] == pytest.approx(0.5, abs=0.05)
    assert rows["prior"]["value"] == pytest.approx(0.68, abs=0.05)
    rule = (frame["x"] >= 0.5).astype(int) == frame["y"]
    assert rows["rule:x>=0.5"]["value"] == pytest.approx(rule.mean(), abs=1e-6)
    assert "poisson" in result.method


def test_the_zero_rule_itself_does_not_beat_the_zero_rule():
    frame = imbalanced(seed=1)
    ctx = context(frame, {"candidate": always_negative})
    result = baseline(ctx, metric="accuracy", against=["zero_rule", "uniform"])
    rows = rows_of(result)
    assert rows["zero_rule"]["status"] == "failed"
    assert rows["zero_rule"]["interval"] == [0.0, 0.0]
    assert rows["uniform"]["status"] == "passed"
    assert result.status is Status.FAILED


def test_a_regressor_against_the_folded_and_the_fitted_baselines():
    rng = np.random.default_rng(2)
    x = rng.normal(size=1200)
    y = 3.0 * x + rng.normal(scale=0.5, size=1200) + 10.0
    frame = pd.DataFrame({"x": x, "y": y})

    def model(X):
        return 3.0 * X["x"].to_numpy() + 10.0

    ctx = context(frame, {"candidate": model}, task="regression")
    result = baseline(
        ctx,
        metric="mae",
        margin={"relative": 0.2},
        against=["mean", "zero_rule", "median", "uniform", "prior", {"feature": "x"}],
    )
    rows = rows_of(result)
    assert rows["mean"]["value"] == pytest.approx(np.mean(np.abs(y - y.mean())), abs=1e-6)
    assert rows["median"]["value"] == pytest.approx(np.mean(np.abs(y - np.median(y))), abs=1e-6)
    for name in ("mean", "zero_rule", "median", "uniform", "prior"):
        assert rows[name]["status"] == "passed", rows[name]
    # the least-squares line in x is the candidate's model: not beaten by 20%
    assert rows["rule:x"]["status"] == "failed"
    assert result.status is Status.FAILED


def test_a_declared_model_baseline_is_folded_with_the_same_key():
    frame = imbalanced(seed=3)
    models = {"candidate": from_column("hint"), "old": from_column("near")}
    result = baseline(context(frame, models), metric="accuracy", against=[{"model": "old"}])
    row = rows_of(result)["model:old"]
    assert row["value"] == pytest.approx(np.mean(frame["near"] == frame["y"]), abs=1e-6)
    # flipping 3% of hint's rows costs ~0.03 · (0.9 − 0.1) = 2.4 points of accuracy
    assert result.status is Status.PASSED
    by_five = baseline(
        context(frame, models), metric="accuracy", margin=0.05, against=[{"model": "old"}]
    )
    assert by_five.status is Status.FAILED


def test_a_callable_baseline_is_predicted_once_and_sliced_per_batch(tmp_path, monkeypatch):
    (tmp_path / "rules_mod.py").write_text(
        "import numpy as np\n"
        "def by_hint(X):\n"
        "    return np.where(X['near'].to_numpy() == 1, 1, 0)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    frame = imbalanced(seed=9)
    params = {"metric": "accuracy", "against": [{"callable": "rules_mod:by_hint", "name": "near"}]}
    folded = baseline(context(frame, {"candidate": from_column("hint")}), **params)
    chunked = baseline(context(frame, {"candidate": from_column("hint")}, batch_rows=97), **params)
    row = rows_of(folded)["near"]
    assert row["value"] == pytest.approx(np.mean(frame["near"] == frame["y"]), abs=1e-6)
    assert json.dumps(folded.to_dict(), sort_keys=True) == json.dumps(
        chunked.to_dict(), sort_keys=True
    )


def test_a_baseline_that_cannot_be_built_is_an_error_row_and_the_others_are_judged():
    frame = imbalanced(seed=10)
    result = baseline(
        context(frame, {"candidate": from_column("hint")}),
        metric="accuracy",
        against=["zero_rule", {"feature": "no_such_column", "threshold": 1.0}],
    )
    rows = rows_of(result)
    assert rows["zero_rule"]["status"] == "passed"
    assert rows["rule:no_such_column>=1"]["status"] == "error"
    assert "no column 'no_such_column'" in rows["rule:no_such_column>=1"]["message"]
    assert result.status is Status.ERROR


# -- the statistics --------------------------------------------------------------------------
def test_pairing_narrows_the_interval_and_matches_a_direct_paired_bootstrap():
    frame = imbalanced(seed=4)
    models = {"candidate": from_column("hint"), "old": from_column("near")}
    result = baseline(
        context(frame, models), metric="accuracy", against=[{"model": "old"}], n_resamples=2000
    )
    low, high = rows_of(result)["model:old"]["interval"]
    right_a = (frame["hint"] == frame["y"]).to_numpy(float)
    right_b = (frame["near"] == frame["y"]).to_numpy(float)
    rng = np.random.default_rng(5)
    paired = np.array(
        [
            right_a[i].mean() - right_b[i].mean()
            for i in rng.integers(0, len(frame), (3000, len(frame)))
        ]
    )
    ref_low, ref_high = np.quantile(paired, [0.025, 0.975])
    assert low == pytest.approx(ref_low, abs=0.003)
    assert high == pytest.approx(ref_high, abs=0.003)
    # unpaired: the two accuracies resampled independently
    unpaired = np.array(
        [
            right_a[rng.integers(0, len(frame), len(frame))].mean()
            - right_b[rng.integers(0, len(frame), len(frame))].mean()
            for _ in range(2000)
        ]
    )
    u_low, u_high = np.quantile(unpaired, [0.025, 0.975])
    assert high - low < 0.5 * (u_high - u_low)


def test_exact_sums_do_not_depend_on_the_split():
    rng = np.random.default_rng(6)
    x = np.concatenate([rng.normal(size=5000) * 10.0 ** rng.integers(-8, 9, 5000), [1e16, -1e16]])
    exact = math.fsum(x)  # correctly rounded: the reference
    whole = ExactSum(x).value()
    assert whole == exact
    for cuts in ([100, 2500], [1, 2, 3, 4999], [4000]):
        parts = [ExactSum(p) for p in np.split(x[rng.permutation(len(x))], cuts)]
        merged = parts[0]
        for part in parts[1:]:
            merged = part.merge(merged)
        assert merged.value() == exact


def test_counter_based_draws_are_uniform_and_depend_on_the_row_only():
    u = uniform_at(12345, np.arange(200_000))
    assert u.min() >= 0.0 and u.max() < 1.0
    counts = np.histogram(u, bins=10, range=(0, 1))[0]
    # chi-square with 9 degrees of freedom: below 27.9 with probability 0.999
    assert ((counts - 20_000) ** 2 / 20_000).sum() < 27.9
    assert np.array_equal(uniform_at(12345, np.arange(5, 9)), u[5:9])


# -- reproducibility and declared needs ------------------------------------------------------
def test_the_same_bytes_however_the_rows_are_batched():
    frame = imbalanced(700, seed=7)
    models = {"candidate": from_column("hint"), "old": from_column("near")}
    params = {
        "metric": "accuracy",
        "margin": 0.01,
        "n_resamples": 200,
        "against": [
            "uniform",
            "prior",
            "zero_rule",
            {"model": "old"},
            {"feature": "x", "threshold": 0.5},
        ],
    }
    whole = json.dumps(baseline(context(frame, models), **params).to_dict(), sort_keys=True)
    for rows in (7, 100, 333):
        chunked = baseline(context(frame, models, batch_rows=rows), **params)
        assert json.dumps(chunked.to_dict(), sort_keys=True) == whole


def test_a_regression_baseline_gives_the_same_bytes_however_the_rows_are_batched():
    rng = np.random.default_rng(8)
    x = rng.normal(size=600)
    frame = pd.DataFrame({"x": x, "y": 2.0 * x + rng.normal(size=600)})

    def model(X):
        return 2.0 * X["x"].to_numpy()

    params = {"against": ["mean", "uniform", "prior", "median"], "n_resamples": 150}
    for metric in ("mae", "rmse"):
        ctx = context(frame, {"candidate": model}, task="regression")
        whole = json.dumps(baseline(ctx, metric=metric, **params).to_dict(), sort_keys=True)
        for rows in (9, 250):
            ctx = context(frame, {"candidate": model}, task="regression", batch_rows=rows)
            chunked = baseline(ctx, metric=metric, **params)
            assert json.dumps(chunked.to_dict(), sort_keys=True) == whole


def test_poisson_folds_except_for_a_callable_baseline():
    ctx = context(imbalanced(50), {"candidate": from_column("hint")})

    def needs(**params):
        return BASELINE.needs_all_rows(parse_params(BASELINE, ctx.gate.config, params))

    assert needs(metric="accuracy", interval="poisson") is False
    assert needs(metric="accuracy") is True
    assert needs(metric="accuracy", interval="poisson", against=[{"callable": "m:f"}]) is True
    assert needs(metric="roc_auc", interval="poisson") is False  # on the score grid


def test_a_ranking_metric_folds_on_the_grid_and_the_candidate_beats_the_baselines():
    """ROC AUC under poisson: each baseline's scores on the same grid and weights. The
    candidate (AUC ≈ 0.85 from a 90%-right hint) beats the constant-score baselines (0.5);
    the comparison's value matches scikit-learn's, and batching does not change a byte."""
    from sklearn.metrics import roc_auc_score

    frame = imbalanced(2000, seed=3)
    result = baseline(context(frame, {"candidate": from_column("hint")}), metric="roc_auc")
    rows = {r["baseline"]: r for r in result.evidence["baselines"].rows}
    want = roc_auc_score(frame["y"], np.where(frame["hint"] == 1, 0.85, 0.1))
    assert result.status is Status.PASSED, result.message
    assert rows["prior"]["status"] == "passed"
    assert rows["zero_rule"]["candidate"] == pytest.approx(want, abs=1e-6)  # evidence rounding
    assert rows["zero_rule"]["value"] == pytest.approx(0.5, abs=1e-6)
    chunked = baseline(
        context(frame, {"candidate": from_column("hint")}, batch_rows=333), metric="roc_auc"
    )
    assert json.dumps(chunked.to_dict(), sort_keys=True) == json.dumps(
        result.to_dict(), sort_keys=True
    )


def test_an_empty_dataset_is_left_to_the_kernel_as_under_the_other_intervals():
    from mlgate.core.errors import EmptyDatasetError

    with pytest.raises(EmptyDatasetError):
        baseline(
            context(imbalanced(10).iloc[:0], {"candidate": always_negative}), metric="accuracy"
        )
