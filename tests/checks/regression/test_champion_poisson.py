"""``champion`` with ``interval: poisson``: the candidate and the champion are folded separately
with one key, so each resample weights the same rows the same for both (a paired bootstrap
that folds batches). Known verdicts, the pairing's narrower interval, agreement with a direct
paired percentile bootstrap, a Monte-Carlo coverage check, and the same bytes for any batching.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.regression.champion import CHAMPION
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.registry import parse_params
from mlgate.core.result import Status
from mlgate.stats.metrics import get_metric
from mlgate.stats.poisson import PoissonBootstrap, stream_key
from mlgate.stats.poisson_paired import ExactMeanLoss, paired_poisson


def hints(n: int, wrong_a: float, wrong_b: float, shared: float = 0.0, seed: int = 0):
    """Labels and two hints: ``a`` is wrong on a share ``wrong_a`` of rows, ``b`` on
    ``wrong_b``; a share ``shared`` of rows is wrong for both (correlated models)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    both = rng.random(n) < shared
    a = np.where(both | (rng.random(n) < wrong_a - shared), 1 - y, y)
    b = np.where(both | (rng.random(n) < wrong_b - shared), 1 - y, y)
    return pd.DataFrame({"a": a, "b": b, "u": rng.random(n), "y": y})


def scorer(column: str):
    """Scores that follow ``column`` with some within-class spread."""

    def predict(X: pd.DataFrame) -> np.ndarray:
        hint, u = X[column].to_numpy(), X["u"].to_numpy()
        p = np.where(hint == 1, 0.6 + 0.3 * u, 0.1 + 0.3 * u)
        return np.column_stack([1 - p, p])

    return predict


def context(frame, candidate="a", champion="b", batch_rows=None, seed=0) -> GateContext:
    ctx = GateContext.from_objects(
        models={"candidate": scorer(candidate), "champion": scorer(champion)},
        datasets={"evaluation": frame[["a", "b", "u", "y"]]},
        task="binary",
        label="y",
        seed=seed,
    )
    ctx.batch_rows = batch_rows
    return ctx


def champion(ctx, **params):
    return CHAMPION(ctx, interval="poisson", n_resamples=params.pop("n_resamples", 400), **params)


def rows_of(result):
    return {row["metric"]: row for row in result.evidence["metrics"].rows}


# -- known verdicts -------------------------------------------------------------------------
def test_a_better_candidate_is_superior_and_a_worse_one_is_not_non_inferior():
    frame = hints(3000, 0.08, 0.16, seed=1)
    better = champion(context(frame), metrics=["accuracy", "log_loss"], mode="superiority")
    assert better.status is Status.PASSED, better.message
    row = rows_of(better)["accuracy"]
    assert row["test"] == "paired Poisson bootstrap (percentile) of the difference"
    assert row["improvement"] == pytest.approx(
        np.mean(frame["a"] == frame["y"]) - np.mean(frame["b"] == frame["y"]), abs=1e-6
    )
    worse = champion(context(frame, candidate="b", champion="a"), metrics=["accuracy"], margin=0.01)
    assert worse.status is Status.FAILED, worse.message
    assert rows_of(worse)["accuracy"]["interval"][1] < -0.01


def test_an_identical_candidate_is_non_inferior_but_not_superior():
    frame = hints(1000, 0.1, 0.1, seed=2)
    same = context(frame, candidate="a", champion="a")
    assert champion(same, metrics=["accuracy"], margin=0.02).status is Status.PASSED
    superior = champion(same, metrics=["accuracy"], mode="superiority")
    assert superior.status is Status.FAILED  # improvement [0, 0] is at the boundary 0
    assert rows_of(superior)["accuracy"]["interval"] == [0.0, 0.0]


def test_too_close_to_call_is_inconclusive_with_the_rows_needed():
    frame = hints(400, 0.10, 0.12, seed=3)
    result = champion(context(frame), metrics=["accuracy"], mode="superiority")
    assert result.status is Status.INCONCLUSIVE
    assert rows_of(result)["accuracy"]["rows_needed"] > 400


def test_a_relative_margin_is_judged_on_the_paired_ratio():
    frame = hints(3000, 0.08, 0.16, seed=4)
    result = champion(
        context(frame, candidate="b", champion="a"), metrics=["log_loss"], margin={"relative": 0.02}
    )
    row = rows_of(result)["log_loss"]
    assert row["relative"] is True and row["test"].endswith("of the ratio")
    assert result.status is Status.FAILED  # the worse model loses far more than 2%
    assert row["interval"][1] < -0.02


# -- the statistics --------------------------------------------------------------------------
def _boot(frame, column, key, n_resamples=1000) -> PoissonBootstrap:
    """The Poisson bootstrap of the accuracy of hint ``column`` over every row."""
    boot = PoissonBootstrap("accuracy", 2, n_resamples=n_resamples, key=key)
    return boot.update(np.arange(len(frame)), frame["y"].to_numpy(), frame[column].to_numpy())


def test_pairing_narrows_the_interval_of_correlated_models():
    # Both models are wrong together on 12% of rows; each alone on ~2% more.
    frame = hints(2000, 0.14, 0.15, shared=0.12, seed=5)
    metric = get_metric("accuracy")
    key = stream_key(0, "pairing")
    paired = paired_poisson(
        metric, _boot(frame, "a", key), _boot(frame, "b", key), boundary=0.0, level=0.95
    )
    other = _boot(frame, "b", stream_key(0, "another key"))
    a, b = _boot(frame, "a", key).values(), other.values()
    low, high = np.quantile(a - b, [0.025, 0.975])
    paired_width = paired.interval.high - paired.interval.low
    assert paired_width < 0.5 * (high - low)
    # and the check itself uses the paired one
    result = champion(context(frame), metrics=["accuracy"], mode="superiority", n_resamples=1000)
    ci = rows_of(result)["accuracy"]["interval"]
    assert ci[1] - ci[0] == pytest.approx(paired_width, abs=0.004)


def test_the_interval_matches_a_direct_paired_percentile_bootstrap():
    frame = hints(1500, 0.10, 0.14, shared=0.05, seed=6)
    result = champion(context(frame), metrics=["accuracy"], mode="superiority", n_resamples=2000)
    low, high = rows_of(result)["accuracy"]["interval"]
    # reference: resample rows with replacement, the same rows for both models
    rng = np.random.default_rng(123)
    right_a = (frame["a"] == frame["y"]).to_numpy(float)
    right_b = (frame["b"] == frame["y"]).to_numpy(float)
    idx = rng.integers(0, len(frame), size=(4000, len(frame)))
    diffs = right_a[idx].mean(axis=1) - right_b[idx].mean(axis=1)
    ref_low, ref_high = np.quantile(diffs, [0.025, 0.975])
    assert low == pytest.approx(ref_low, abs=0.004)
    assert high == pytest.approx(ref_high, abs=0.004)


@pytest.mark.slow
def test_the_paired_interval_covers_the_true_difference_about_95_percent_of_the_time():
    # Monte Carlo: a model right with probability 0.85, another 0.80, correlated; the true
    # accuracy difference is 0.05. Fresh rows per run; the interval should cover it ~95%.
    metric = get_metric("accuracy")
    covered, runs = 0, 200
    for run in range(runs):
        rng = np.random.default_rng(1000 + run)
        n = 400
        u = rng.random(n)
        right_a, right_b = u < 0.85, (u < 0.75) | ((u > 0.85) & (u < 0.90))
        y = rng.integers(0, 2, n)
        frame = pd.DataFrame(
            {"y": y, "a": np.where(right_a, y, 1 - y), "b": np.where(right_b, y, 1 - y)}
        )
        key = stream_key(run, "coverage")
        cmp = paired_poisson(
            metric, _boot(frame, "a", key, 300), _boot(frame, "b", key, 300), boundary=0, level=0.95
        )
        covered += cmp.interval.low <= 0.05 <= cmp.interval.high
    assert 0.90 <= covered / runs <= 0.99


# -- reproducibility and declared needs ------------------------------------------------------
def test_the_same_bytes_however_the_rows_are_batched():
    # Counting metrics sum integer weights; mean losses are summed exactly (ExactMeanLoss):
    # either way the order the rows arrive in cannot change a bit.
    frame = hints(700, 0.10, 0.13, shared=0.04, seed=7)
    params = {
        "metrics": ["accuracy", "recall", "log_loss", "brier"],
        "margin": 0.01,
        "n_resamples": 200,
    }
    whole = json.dumps(champion(context(frame), **params).to_dict(), sort_keys=True)
    for rows in (7, 64, 333):
        chunked = champion(context(frame, batch_rows=rows), **params)
        assert json.dumps(chunked.to_dict(), sort_keys=True) == whole


@pytest.mark.parametrize("metric", ["log_loss", "brier"])
def test_exact_mean_losses_are_the_float_poisson_bootstrap_up_to_rounding(metric):
    # reference: the float accumulator of mlgate.stats.poisson on the same rows and key
    frame = hints(500, 0.1, 0.2, seed=8)
    scores = scorer("a")(frame)
    y = frame["y"].to_numpy()
    key = stream_key(0, "exact")
    exact = ExactMeanLoss(metric, 2, n_resamples=300, key=key)
    for lo in range(0, 500, 37):  # in pieces, merged
        piece = ExactMeanLoss(metric, 2, n_resamples=300, key=key)
        rows = np.arange(lo, min(500, lo + 37))
        exact = exact.merge(piece.update(rows, y[rows], scores[rows]))
    floats = PoissonBootstrap(metric, 2, n_resamples=300, key=key)
    floats.update(np.arange(500), y, scores)
    assert exact.n_rows == 500
    assert exact.value() == pytest.approx(floats.value(), rel=1e-13)
    assert np.allclose(exact.values(), floats.values(), rtol=1e-12, atol=0)


def test_poisson_folds_and_the_other_intervals_need_every_row():
    ctx = context(hints(50, 0.1, 0.1))

    def needs(**params):
        parsed = parse_params(CHAMPION, ctx.gate.config, params)
        return CHAMPION.needs_all_rows(parsed)

    assert needs(metrics=["accuracy", "log_loss"], margin=0.01, interval="poisson") is False
    assert needs(metrics=["accuracy"], margin=0.01) is True
    # ranking metrics fold too: class counts on a grid of score buckets
    assert needs(metrics=["accuracy", "roc_auc"], margin=0.01, interval="poisson") is False


def _grid(y, s, capacity, key, n_resamples):
    from mlgate.stats.rank_poisson import AucBootstrap, RankBootstraps, RankedMetric

    boot = AucBootstrap(n_resamples, key, capacity).update(np.arange(len(y)), y == 1, s)
    return RankedMetric(RankBootstraps((boot,)), "roc_auc")


@pytest.mark.parametrize("capacity", [4096, 24])
def test_a_paired_roc_auc_on_the_grid_contains_the_exact_paired_interval(capacity):
    """Reference: the per-resample score accumulators (exact, every distinct score kept) with
    the same key. On an exact grid the comparison is theirs; on a coarse one the interval is
    widened to contain theirs and the p-value is never smaller."""
    frame = hints(3000, 0.2, 0.25, shared=0.1, seed=4)
    y = frame["y"].to_numpy()
    sa, sb = scorer("a")(frame)[:, 1], scorer("b")(frame)[:, 1]
    key, n_resamples, metric = stream_key(0, "auc"), 300, get_metric("roc_auc")
    exact = [
        PoissonBootstrap("roc_auc", 2, n_resamples=n_resamples, key=key).update(
            np.arange(len(y)), y, np.column_stack([1 - s, s])
        )
        for s in (sa, sb)
    ]
    want = paired_poisson(metric, *exact, boundary=-0.01, level=0.95)
    got = paired_poisson(
        metric,
        _grid(y, sa, capacity, key, n_resamples),
        _grid(y, sb, capacity, key, n_resamples),
        boundary=-0.01,
        level=0.95,
    )
    if capacity == 4096:  # every score in its own bucket: the same comparison
        assert got.improvement == pytest.approx(want.improvement, abs=1e-12)
        assert got.interval.low == pytest.approx(want.interval.low, abs=1e-12)
        assert got.interval.high == pytest.approx(want.interval.high, abs=1e-12)
        assert "interval_widened_by" not in got.details
    else:
        assert got.interval.low <= want.interval.low and got.interval.high >= want.interval.high
        assert got.p_value >= want.p_value
        assert got.details["interval_widened_by"][0] > 0


def test_a_test_that_needs_paired_rows_is_refused_under_poisson():
    with pytest.raises(ConfigError, match="paired Poisson bootstrap: drop 'test'"):
        champion(context(hints(50, 0.1, 0.1)), metrics=["accuracy"], margin=0.01, test="mcnemar")


def test_an_empty_dataset_is_left_to_the_kernel_as_under_the_other_intervals():
    from mlgate.core.errors import EmptyDatasetError

    empty = hints(10, 0.1, 0.1).iloc[:0]
    with pytest.raises(EmptyDatasetError):
        champion(context(empty), metrics=["accuracy"], margin=0.01)
