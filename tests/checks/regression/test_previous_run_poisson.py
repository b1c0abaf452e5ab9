"""``previous_run`` with ``interval: poisson``: the current value's interval is folded from
batches (the fold ``metric_threshold`` uses), so the check needs no row in one place. Known
verdicts against a stored earlier run, values against scikit-learn, the interval against the
row-resampling percentile bootstrap and the binomial standard error, and the same bytes for
any batching."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

from mlgate.checks.performance.metric_threshold import METRIC_THRESHOLD
from mlgate.checks.regression.previous_run import PREVIOUS_RUN
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.registry import parse_params
from mlgate.core.result import Status

METRICS = ["accuracy", "roc_auc", "log_loss"]
#: Margins of the metrics: log loss varies about 1.5 times as much as accuracy here.
MARGINS = {"accuracy": 0.02, "roc_auc": 0.02, "log_loss": 0.04}


def scored(n: int, seed: int = 0) -> pd.DataFrame:
    """Labels, a hint that is wrong on 8% of rows (``good``) or 16% (``worse``), and a uniform
    ``u`` that spreads the scores within each hint (thousands of distinct scores)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    flip = rng.random(n)
    return pd.DataFrame(
        {
            "good": np.where(flip < 0.08, 1 - y, y),
            "worse": np.where(flip < 0.16, 1 - y, y),
            "u": rng.random(n),
            "y": y,
        }
    )


def scorer(column: str):
    def predict(X: pd.DataFrame) -> np.ndarray:
        hint, u = X[column].to_numpy(), X["u"].to_numpy()
        p = np.where(hint == 1, 0.55 + 0.4 * u, 0.05 + 0.4 * u)
        return np.column_stack([1 - p, p])

    return predict


def context(frame: pd.DataFrame, column: str = "good", batch_rows=None) -> GateContext:
    ctx = GateContext.from_objects(
        models={"candidate": scorer(column)},
        datasets={"evaluation": frame},
        task="binary",
        label="y",
        seed=0,
    )
    ctx.batch_rows = batch_rows
    return ctx


def earlier_run(tmp_path: Path, frame: pd.DataFrame) -> str:
    """A result.json of an earlier run of the good model: ``metric_threshold`` of each metric
    with a Poisson interval, and the dataset's fingerprint."""
    ctx = context(frame)
    checks = []
    for metric in METRICS:
        bound = {"max": 5.0} if metric == "log_loss" else {"min": 0.0}
        params = parse_params(
            METRIC_THRESHOLD,
            ctx.gate.config,
            {"metric": metric, "interval": "poisson", "n_resamples": 400, **bound},
        )
        checks.append(METRIC_THRESHOLD.run(ctx, params).to_dict())
    datasets = {"evaluation": {"fingerprint": "sha256:" + ctx.dataset("evaluation").fingerprint}}
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"schema_version": "1.0", "checks": checks, "datasets": datasets}))
    return str(path)


def previous_run(ctx: GateContext, path: str, **params):
    params = {"metrics": METRICS, "margin": MARGINS, "n_resamples": 400, **params}
    return PREVIOUS_RUN(ctx, path=path, interval=params.pop("interval", "poisson"), **params)


def rows_of(result) -> dict[str, dict]:
    return {row["metric"]: row for row in result.evidence["metrics"].rows}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return scored(3000)


def test_an_unchanged_model_passes_with_the_values_scikit_learn_gives(tmp_path, frame):
    r = previous_run(context(frame), earlier_run(tmp_path, frame))
    assert r.status is Status.PASSED, r.message
    rows = rows_of(r)
    probs = scorer("good")(frame)[:, 1]
    y = frame["y"].to_numpy()
    assert rows["accuracy"]["current"] == pytest.approx(accuracy_score(y, probs > 0.5), abs=1e-6)
    assert rows["roc_auc"]["current"] == pytest.approx(roc_auc_score(y, probs), abs=1e-6)
    assert rows["log_loss"]["current"] == pytest.approx(log_loss(y, probs), abs=1e-6)
    # the same fold as the earlier run's metric_threshold: the same value, to the last digit
    assert all(row["improvement"] == 0.0 for row in rows.values())
    assert r.evidence["same_data"] is True
    assert r.sample_size == len(frame)
    # the ranking metric's score-bucket sketch is stated (exact: fewer distinct scores than
    # buckets)
    assert r.evidence["sketch"]["roc_auc"]["sketch_exact"] is True
    assert set(r.evidence["sketch"]) == {"roc_auc"}


def test_a_planted_regression_fails(tmp_path, frame):
    r = previous_run(context(frame, "worse"), earlier_run(tmp_path, frame))
    assert r.status is Status.FAILED, r.message
    rows = rows_of(r)
    for metric in METRICS:
        assert rows[metric]["status"] == "failed", rows[metric]["message"]
        assert rows[metric]["interval"][1] <= -MARGINS[metric]
    # the planted drop: about 8 points of accuracy
    assert rows["accuracy"]["improvement"] == pytest.approx(-0.08, abs=0.015)


def test_the_poisson_interval_agrees_with_the_percentile_bootstrap(tmp_path, frame):
    prev = earlier_run(tmp_path, frame)
    ctx = context(frame)
    poisson = rows_of(previous_run(ctx, prev, n_resamples=2000))
    percentile = rows_of(previous_run(ctx, prev, n_resamples=2000, interval="percentile"))
    for metric in METRICS:
        a, b = poisson[metric], percentile[metric]
        assert a["current"] == pytest.approx(b["current"], abs=1e-9)
        assert a["se_current"] == pytest.approx(b["se_current"], rel=0.12), metric
        for end in (0, 1):
            assert a["current_interval"][end] == pytest.approx(
                b["current_interval"][end], abs=0.4 * b["se_current"]
            ), metric
    # and the accuracy's with the binomial standard error sqrt(p (1 - p) / n)
    acc = poisson["accuracy"]["current"]
    assert poisson["accuracy"]["se_current"] == pytest.approx(
        np.sqrt(acc * (1 - acc) / len(frame)), rel=0.1
    )


@pytest.mark.parametrize("batch_rows", [1, 97, 1000])
def test_the_result_is_the_same_bytes_for_any_batching(tmp_path, frame, batch_rows):
    prev = earlier_run(tmp_path, frame)
    small = frame.iloc[:600].reset_index(drop=True)  # one-row batches stay quick
    whole = previous_run(context(small), prev, n_resamples=200)
    batched = previous_run(context(small, batch_rows=batch_rows), prev, n_resamples=200)
    assert json.dumps(batched.to_dict(), sort_keys=True) == json.dumps(
        whole.to_dict(), sort_keys=True
    )
    assert whole.interval.method == "normal (independent runs)"
    assert "poisson interval now" in whole.method


def test_poisson_is_a_declared_interval_and_folds_batches(frame):
    ctx = context(frame)
    folded = parse_params(
        PREVIOUS_RUN, ctx.gate.config, {"path": "p", "metrics": METRICS, "interval": "poisson"}
    )
    gathered = parse_params(PREVIOUS_RUN, ctx.gate.config, {"path": "p", "metrics": METRICS})
    assert PREVIOUS_RUN.needs_all_rows(folded) is False
    assert PREVIOUS_RUN.needs_all_rows(gathered) is True
    with pytest.raises(ConfigError, match="'poisson'"):
        parse_params(
            PREVIOUS_RUN, ctx.gate.config, {"path": "p", "metrics": ["accuracy"], "interval": "x"}
        )


def test_an_undefined_metric_is_inconclusive_with_the_rows_the_fold_counted(tmp_path):
    # R² of a constant target has no value (scikit-learn would say 0 or 1): the fold that
    # would have counted the rows stopped, so a fold of its own counts them
    frame = pd.DataFrame({"x": np.linspace(0.0, 1.0, 250), "y": np.full(250, 3.0)})
    ctx = GateContext.from_objects(
        models={"candidate": lambda X: X["x"].to_numpy()},
        datasets={"evaluation": frame},
        task="regression",
        label="y",
    )
    ctx.batch_rows = 64
    stored = {"id": "r2", "metric": "r2", "value": 0.5, "interval": None, "evidence": {}}
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"checks": [stored]}))
    r = PREVIOUS_RUN(ctx, path=str(path), metrics="r2", interval="poisson", n_resamples=50)
    assert r.status is Status.INCONCLUSIVE, r.message
    assert r.sample_size == 250
    assert "R² is undefined when the target is constant" in r.message
    # as the row-resampling interval says it
    gathered = PREVIOUS_RUN(ctx, path=str(path), metrics="r2", n_resamples=50)
    assert (gathered.status, gathered.sample_size, gathered.message) == (
        r.status,
        r.sample_size,
        r.message,
    )
