"""``slices`` and ``fairness`` with ``interval: poisson`` (one fold over the batches): the same
slices as the in-memory path, intervals that agree with the percentile bootstrap and Wilson's
and cover, verdicts right where a slice is planted bad, and the same bytes however
``batch_rows`` splits the rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from slices_helpers import oracle, planted

from mlgate.checks.slices.checks import FAIRNESS, SLICES
from mlgate.checks.slices.fairness import group_tables, rates
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.result import Status
from mlgate.stats.metrics import METRICS
from mlgate.stats.poisson import PoissonBootstrap, stream_key
from mlgate.stats.poisson_groups import GroupedCounts, GroupedPoisson, resampled_values


def ctx_of(frame, model=oracle, **dataset) -> GateContext:
    return GateContext.from_objects(
        models={"candidate": model},
        datasets={"evaluation": {"data": frame, **dataset}},
        task="binary",
        label="y",
    )


def rows_of(result) -> dict[str, dict]:
    return {row["slice"]: row for row in result.evidence["slices"].rows}


LABEL_METRICS = sorted(name for name, m in METRICS.items() if m.needs == "labels")


def as_bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


def test_grouped_bootstraps_share_the_weights_of_a_row_across_groups():
    rng = np.random.default_rng(0)
    y, pred = rng.integers(0, 2, 500), rng.integers(0, 2, 500)
    in_a = rng.random(500) < 0.3
    key = stream_key(0, "t")
    state = GroupedPoisson("accuracy", 2, n_resamples=50, key=key)
    state.update(np.arange(500), y, pred, [("a", in_a), ("all", np.ones(500, bool))])
    # each group is exactly the PoissonBootstrap of its rows (the row ids are the positions)
    alone = PoissonBootstrap("accuracy", 2, n_resamples=50, key=key)
    alone.update(np.flatnonzero(in_a), y[in_a], pred[in_a])
    np.testing.assert_array_equal(state["a"].values(), alone.values())
    whole = PoissonBootstrap("accuracy", 2, n_resamples=50, key=key).update(np.arange(500), y, pred)
    np.testing.assert_array_equal(state["all"].values(), whole.values())
    # split into batches and merged: the same states
    left = GroupedPoisson("accuracy", 2, n_resamples=50, key=key)
    left.update(np.arange(200), y[:200], pred[:200], [("a", in_a[:200])])
    right = GroupedPoisson("accuracy", 2, n_resamples=50, key=key)
    right.update(np.arange(200, 500), y[200:], pred[200:], [("a", in_a[200:])])
    np.testing.assert_array_equal(left.merge(right)["a"].values(), alone.values())


@pytest.mark.parametrize("metric", LABEL_METRICS)
def test_vectorised_values_are_each_resamples_accumulator_value(metric):
    """The confusion-count fast path (one stacked call) gives each resample's accumulator
    value, NaN where it is undefined (3 rows: about 5% of resamples weigh every row 0)."""
    k = 2 if metric in ("f1", "precision", "recall") else 3
    y, pred = np.array([0, 1, k - 1]), np.array([0, k - 1, 1])
    boot = PoissonBootstrap(metric, k, n_resamples=400, key=stream_key(0, metric))
    boot.update(np.arange(3), y, pred)
    values = boot.values()
    assert np.isnan(values).any() and not np.isnan(values).all()
    np.testing.assert_array_equal(resampled_values(boot), values)


def test_grouped_counts_are_the_weighted_tables_of_each_group():
    rng = np.random.default_rng(1)
    codes, cells = rng.integers(-1, 3, 400), rng.integers(0, 4, 400)
    counts = GroupedCounts(4, 30, stream_key(0, "c")).update(
        np.arange(400), codes, cells, ["x", "y", "z"]
    )
    from mlgate.stats.poisson import poisson_weights

    w = poisson_weights(stream_key(0, "c"), np.arange(400), np.arange(30)).astype(int)
    for g, name in enumerate(["x", "y", "z"]):
        inside = codes == g
        np.testing.assert_array_equal(counts.point[name], np.bincount(cells[inside], minlength=4))
        expected = np.stack(
            [np.bincount(cells[inside], weights=w[inside, b], minlength=4) for b in range(30)]
        )
        np.testing.assert_array_equal(counts.resampled[name], expected)


def test_the_slices_are_the_in_memory_slices():
    frame = planted(1500, 3)
    frame.loc[frame.index[::37], "region"] = None  # some rows in no region slice
    slices = [
        "region",
        {"column": "age", "bins": [0, 30, 60, 100, 200]},  # the last bin holds no row
        {"column": "age", "range": [10, 20]},
        {"column": "device", "value": ["ios", "web"]},
        {"expr": "income > 55", "name": "rich"},
        {"intersect": ["region", "device"]},
    ]
    ctx = ctx_of(frame)
    folded = SLICES(ctx, metric="accuracy", slices=slices, interval="poisson", n_resamples=100)
    memory = SLICES(ctx, metric="accuracy", slices=slices, n_resamples=100)
    f, m = rows_of(folded), rows_of(memory)
    assert list(f) == list(m) and len(f) == 4 + 4 + 1 + 1 + 1 + 12
    for name in m:
        assert f[name]["n"] == m[name]["n"], name
        assert f[name]["value"] == m[name]["value"], name
        assert f[name]["rest"] == m[name]["rest"], name
        assert f[name]["gap"] == m[name]["gap"], name
    assert f["age in [100, 200)"]["message"] == m["age in [100, 200)"]["message"] == "no rows"
    assert folded.evidence["rows_in_no_slice"] == memory.evidence["rows_in_no_slice"]
    assert folded.evidence["rows_in_no_slice"] == {"region": int(frame["region"].isna().sum())}
    assert folded.sample_size == memory.sample_size == len(frame)
    none = SLICES(ctx, metric="accuracy", slices=[], min=0.5, interval="poisson")
    assert none.status is Status.INCONCLUSIVE and none.sample_size == len(frame)


def test_intervals_agree_with_the_percentile_bootstrap_and_wilson():
    frame = planted(4000, 0)
    ctx = ctx_of(frame)
    params = {"metric": "accuracy", "slices": ["region", "device"], "n_resamples": 2000}
    folded = rows_of(SLICES(ctx, interval="poisson", **params))
    memory = rows_of(SLICES(ctx, **params))
    correct = (frame["y"] == frame["truth"]).to_numpy()
    for name, row in folded.items():
        column, value = name.split("=")
        inside = (frame[column] == value).to_numpy()
        wilson = binomtest(int(correct[inside].sum()), int(inside.sum())).proportion_ci(
            0.95, method="wilson"
        )
        for got, percentile, reference in zip(
            row["interval"], memory[name]["interval"], (wilson.low, wilson.high), strict=True
        ):
            assert got == pytest.approx(percentile, abs=0.006), name
            assert got == pytest.approx(reference, abs=0.006), name
        # the gap's interval: paired resamples vs the in-memory normal interval
        for got, normal in zip(row["gap_interval"], memory[name]["gap_interval"], strict=True):
            assert got == pytest.approx(normal, abs=0.008), name
        assert row["p_value"] == pytest.approx(memory[name]["p_value"], abs=0.03), name


def test_the_planted_bad_slice_fails_and_the_others_pass():
    frame = planted(4000, 0)
    r = SLICES(ctx_of(frame), metric="accuracy", slices=["region", "device"], interval="poisson")
    rows = rows_of(r)
    assert r.status is Status.FAILED, r.message
    assert rows["region=B"]["status"] == "failed" and rows["region=B"]["p_adjusted"] <= 0.05
    assert all(rows[n]["status"] == "passed" for n in rows if n != "region=B")
    assert "poisson" in r.method and r.interval.method == "poisson-bootstrap-percentile"
    # a bound on the gap: region B is about 0.19 worse than the rest
    r = SLICES(ctx_of(frame), metric="accuracy", slices=["region"], max_gap=0.1, interval="poisson")
    rows = rows_of(r)
    assert rows["region=B"]["status"] == "failed" and rows["region=B"]["gap_interval"][0] > 0.1
    assert r.status is Status.FAILED
    r = SLICES(ctx_of(frame), metric="accuracy", slices=["region"], max_gap=0.3, interval="poisson")
    assert r.status is Status.PASSED, r.message


def test_uniform_errors_pass_and_a_small_slice_is_inconclusive():
    frame = planted(3000, 11, weak_error=0.1)
    r = SLICES(ctx_of(frame), metric="accuracy", slices=["region", "device"], interval="poisson")
    assert r.status is Status.PASSED, r.message
    small = {"expr": "age < 0.5", "name": "babies"}
    r = SLICES(ctx_of(frame), metric="accuracy", slices=[small], min=0.5, interval="poisson")
    assert r.status is Status.INCONCLUSIVE and "min_size=30" in rows_of(r)["babies"]["message"]
    r = SLICES(
        ctx_of(frame),
        metric="accuracy",
        slices=["region", small],
        min=0.5,
        interval="poisson",
        small_groups="exclude",
    )
    assert r.status is Status.PASSED and r.evidence["excluded"] == ["babies"]


def test_gaps_to_overall_and_to_best_are_paired_differences():
    frame = planted(4000, 0)
    ctx = ctx_of(frame)
    correct = (frame["y"] == frame["truth"]).to_numpy()
    b = (frame["region"] == "B").to_numpy()
    r = SLICES(
        ctx, metric="accuracy", slices=["region"], max_gap=0.1, gap_to="overall", interval="poisson"
    )
    row = rows_of(r)["region=B"]
    assert row["gap"] == pytest.approx(correct.mean() - correct[b].mean(), abs=1e-6)
    assert row["gap_interval"][0] < row["gap"] < row["gap_interval"][1]
    assert row["status"] == "failed"  # about 0.14 worse than overall
    r = SLICES(
        ctx, metric="accuracy", slices=["region"], max_gap=0.1, gap_to="best", interval="poisson"
    )
    rows = rows_of(r)
    best = max(rows, key=lambda n: rows[n]["value"])
    assert rows[best]["gap"] == 0.0 and rows[best]["gap_interval"] == [0.0, 0.0]
    assert rows["region=B"]["gap"] == pytest.approx(
        rows[best]["value"] - rows["region=B"]["value"], abs=1e-5
    )
    assert r.status is Status.FAILED


@pytest.mark.parametrize("metric", ["accuracy", "roc_auc", "log_loss"])
def test_a_poisson_run_is_the_same_however_batch_rows_splits_the_rows(metric):
    """Count-based metrics (accuracy; ROC AUC's class counts per score) give the same bytes;
    a float-sum metric (log loss) adds its sums in another order, equal to ~1e-16."""
    frame = planted(900, 4)
    ctx = ctx_of(frame)
    params = {
        "metric": metric,
        "slices": ["region", {"column": "age", "bins": [0, 50, 100]}],
        "interval": "poisson",
        "n_resamples": 100,
        "significance": True,
        "max_gap": 0.2,
    }
    whole = SLICES(ctx, **params)
    for batch_rows in (64, 250, 899):
        ctx.batch_rows = batch_rows
        split = SLICES(ctx, **params)
        if metric != "log_loss":
            assert as_bytes(split) == as_bytes(whole), batch_rows
            continue
        assert rows_of(split) == rows_of(whole)  # rounded evidence: equal
        assert [p.status for p in split.parts] == [p.status for p in whole.parts]
        assert split.interval.low == pytest.approx(whole.interval.low, rel=1e-12)
        assert split.interval.high == pytest.approx(whole.interval.high, rel=1e-12)


@pytest.mark.slow
def test_poisson_intervals_cover_the_slice_accuracy_and_its_gap():
    """Direct Monte-Carlo: slice accuracy 0.8, rest 0.9, 600 rows (a third in the slice);
    the 95% intervals of the slice's accuracy and of its gap to the rest (0.1) cover in about
    95% of 150 seeded datasets (a binomial 3-SE band: at least 0.90)."""
    covered_value = covered_gap = 0
    runs = 150
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        group = rng.choice(["s", "r", "r"], 600)
        truth = rng.integers(0, 2, 600)
        right = rng.random(600) < np.where(group == "s", 0.8, 0.9)
        frame = pd.DataFrame({"g": group, "truth": truth, "y": np.where(right, truth, 1 - truth)})
        r = SLICES(
            ctx_of(frame),
            metric="accuracy",
            slices=["g"],
            min=0.5,
            interval="poisson",
            n_resamples=200,
        )
        row = rows_of(r)["g=s"]
        covered_value += row["interval"][0] <= 0.8 <= row["interval"][1]
        covered_gap += row["gap_interval"][0] <= 0.1 <= row["gap_interval"][1]
    assert covered_value / runs >= 0.90 and covered_gap / runs >= 0.90
    assert covered_value / runs <= 0.99 and covered_gap / runs <= 0.99


def _fair_frame(n: int, seed: int, rates=(0.6, 0.4)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b"], n)
    guess = (rng.random(n) < np.where(g == "a", *rates)).astype(int)
    return pd.DataFrame({"group": g, "truth": guess, "y": rng.integers(0, 2, n)})


def test_fairness_poisson_matches_the_stratified_bootstrap_and_the_tables():
    frame = _fair_frame(3000, 0)
    ctx = ctx_of(frame, sensitive=["group"])
    folded = FAIRNESS(ctx, max=0.3, interval="poisson", n_resamples=2000)
    memory = FAIRNESS(ctx, max=0.3, n_resamples=2000)
    codes, _ = pd.factorize(frame["group"], sort=True)
    tables = group_tables(frame["y"].to_numpy(), frame["truth"].to_numpy(), codes, 2)
    selection = rates(tables)["selection_rate"]
    assert folded.value == memory.value == pytest.approx(selection.max() - selection.min())
    assert folded.interval.low == pytest.approx(memory.interval.low, abs=0.01)
    assert folded.interval.high == pytest.approx(memory.interval.high, abs=0.01)
    assert (
        folded.status is Status.PASSED and folded.interval.method == "poisson-bootstrap-percentile"
    )
    assert FAIRNESS(ctx, max=0.1, interval="poisson").status is Status.FAILED
    ctx.batch_rows = 111
    assert as_bytes(FAIRNESS(ctx, max=0.3, interval="poisson", n_resamples=2000)) == as_bytes(
        folded
    )


@pytest.mark.slow
def test_fairness_poisson_interval_covers_a_parity_gap_of_0_2():
    """Two groups of about 300 with selection rates 0.6 and 0.4: the 95% Poisson interval
    covers 0.2 in at least 90% of 200 seeded runs."""
    covered = 0
    for seed in range(200):
        ctx = ctx_of(_fair_frame(600, seed), sensitive=["group"])
        r = FAIRNESS(ctx, max=0.5, interval="poisson", n_resamples=300)
        covered += r.interval.low <= 0.2 <= r.interval.high
    assert 0.90 <= covered / 200 <= 0.99


def test_poisson_is_a_declared_interval_and_the_checks_fold_only_with_it():
    from mlgate.checks.slices.checks import FairnessParams, SlicesParams

    assert SLICES.needs_all_rows(SlicesParams(metric="accuracy", interval="poisson")) is False
    assert SLICES.needs_all_rows(SlicesParams(metric="accuracy")) is True
    assert FAIRNESS.needs_all_rows(FairnessParams(max=0.1, interval="poisson")) is False
    assert FAIRNESS.needs_all_rows(FairnessParams(max=0.1)) is True
    with pytest.raises(ConfigError, match="interval"):
        FAIRNESS(ctx_of(_fair_frame(100, 0), sensitive=["group"]), max=0.1, interval="bca")


def test_bad_slices_are_named_under_poisson():
    frame = planted(400, 0)
    frame["id"] = np.arange(len(frame))
    ctx = ctx_of(frame)
    with pytest.raises(DataError, match=r"'id' has \d+ distinct values"):
        SLICES(ctx, metric="accuracy", slices=["id"], interval="poisson")
    with pytest.raises(DataError, match="nope"):
        SLICES(ctx, metric="accuracy", slices=["nope"], interval="poisson")
    with pytest.raises(DataError, match="repeated"):
        same = [{"expr": "age > 1", "name": "x"}, {"expr": "age > 2", "name": "x"}]
        SLICES(ctx, metric="accuracy", slices=same, interval="poisson")


def test_a_regression_slice_with_planted_noise_fails_under_poisson():
    """MAE per slice of a regression: slice a has twice the noise (MAE about 1.6 against
    0.8); its value is the in-memory one and its gap to the rest clears 0.5 whole."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=2000), "g": rng.choice(list("abc"), 2000)})
    noise = rng.normal(size=2000) * np.where(frame["g"] == "a", 2.0, 1.0)
    frame["y"] = 2 * frame["x"] + noise
    ctx = GateContext.from_objects(
        models={"candidate": lambda X: 2 * X["x"].to_numpy()},
        datasets={"evaluation": {"data": frame, "features": ["x"]}},
        task="regression",
        label="y",
    )
    params = {"metric": "mae", "slices": ["g"], "max_gap": 0.5, "n_resamples": 300}
    folded = SLICES(ctx, interval="poisson", **params)
    rows = rows_of(folded)
    a = (frame["g"] == "a").to_numpy()
    assert rows["g=a"]["value"] == pytest.approx(np.abs(noise[a]).mean(), abs=1e-6)
    assert rows["g=a"]["gap_interval"][0] > 0.5 and rows["g=a"]["status"] == "failed"
    assert rows["g=b"]["status"] == rows["g=c"]["status"] == "passed"
    assert folded.status is Status.FAILED
