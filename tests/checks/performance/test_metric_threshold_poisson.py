"""metric_threshold with ``interval: poisson`` folds batches (so it runs on a chunked or
distributed engine) and gives the same result however the rows are batched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mlgate.checks.performance.metric_threshold import METRIC_THRESHOLD
from mlgate.core.context import GateContext
from mlgate.core.result import Status


@pytest.fixture(scope="module")
def objects():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(1200, 3)), columns=["a", "b", "c"])
    y = ((X["a"] + 0.5 * rng.normal(size=1200)) > 0).astype(int)
    model = LogisticRegression().fit(X.iloc[:600], y.iloc[:600])
    return model, X.iloc[600:].assign(y=y.iloc[600:].to_numpy()).reset_index(drop=True)


def ctx(objects, batch_rows=None):
    model, frame = objects
    c = GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": frame}, task="binary", label="y"
    )
    c.batch_rows = batch_rows
    return c


@pytest.mark.parametrize("metric", ["accuracy", "roc_auc"])
def test_the_same_result_whatever_the_batches(objects, metric):
    whole = METRIC_THRESHOLD(ctx(objects), metric=metric, min=0.7, interval="poisson")
    for rows in (7, 250):
        chunked = METRIC_THRESHOLD(ctx(objects, rows), metric=metric, min=0.7, interval="poisson")
        assert chunked.to_dict() == whole.to_dict()
    assert whole.status is Status.PASSED
    assert (
        METRIC_THRESHOLD.needs_all_rows(
            METRIC_THRESHOLD.params.model_validate(
                {"metric": metric, "min": 0.7, "interval": "poisson"}
            )
        )
        is False
    )


def test_the_poisson_interval_agrees_with_the_percentile_bootstrap(objects):
    poisson = METRIC_THRESHOLD(ctx(objects), metric="accuracy", min=0.7, interval="poisson")
    percentile = METRIC_THRESHOLD(ctx(objects), metric="accuracy", min=0.7)
    assert poisson.value == percentile.value
    assert poisson.interval.low == pytest.approx(percentile.interval.low, abs=0.015)
    assert poisson.interval.high == pytest.approx(percentile.interval.high, abs=0.015)
