"""The behavioural checks' sample as a mergeable reduction (issue 17): a stratified bottom-k by
a counter-based hash is a uniform sample without replacement within each stratum, its
allocation is exactly proportional (largest remainders), and it keeps the same rows however
the data is split into batches and whatever the order of the merges."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from behavior_helpers import proba
from scipy import stats

from mlgate.checks.behavior.checks.common import Target
from mlgate.checks.behavior.checks.perturbation import PerturbationParams
from mlgate.checks.behavior.sampling import KeepLeast, MergeLeast, SampleState, strata_of
from mlgate.checks.behavior.sampling import _census as census
from mlgate.checks.behavior.sampling import _merge_census as merge_census
from mlgate.core.context import Batch, GateContext
from mlgate.core.task import Task
from mlgate.models.base import Predictions
from mlgate.stats.bottom_k import KeyCounts, bottom_k, proportional_allocation
from mlgate.stats.poisson import splitmix64_at, stream_key
from mlgate.stats.sketches import sortable_keys


def _draw(strata: np.ndarray, quota: np.ndarray, key: int) -> np.ndarray:
    positions = np.arange(len(strata))
    return np.sort(bottom_k(strata, splitmix64_at(key, positions), positions, quota))


def test_inclusion_frequencies_are_k_over_the_stratum_size():
    """Over 4,000 keys each row of a stratum of n rows is kept with probability k/n: every
    row's count passes a two-sided binomial test (SciPy) at 0.001 / 50 (Bonferroni)."""
    strata = np.repeat([0, 1, 2], [30, 12, 8])
    quota = proportional_allocation(np.bincount(strata), 10)
    assert quota.tolist() == [6, 2, 2]  # quotas 6, 2.4, 1.6: the larger remainder gets the row
    keys = 4_000
    counts = np.zeros(len(strata), dtype=int)
    for i in range(keys):
        kept = _draw(strata, quota, stream_key(i, "uniformity"))
        assert np.bincount(strata[kept], minlength=3).tolist() == quota.tolist()
        counts[kept] += 1
    expected = quota[strata] / np.bincount(strata)[strata]
    p_values = [
        stats.binomtest(int(c), keys, p).pvalue for c, p in zip(counts, expected, strict=True)
    ]
    assert min(p_values) > 0.001 / len(strata)
    # and the frequencies are k/n, not merely unbiased-looking: within 4 binomial sds
    sd = np.sqrt(expected * (1 - expected) / keys)
    assert np.abs(counts / keys - expected).max() < 4 * sd.max()


def test_every_subset_of_a_stratum_is_equally_likely():
    """Uniform without replacement means each of the C(5, 2) = 10 pairs of a 5-row stratum is
    drawn equally often: a chi-square goodness-of-fit test (SciPy) over 5,000 keys."""
    strata = np.zeros(5, dtype=np.int64)
    seen: dict[tuple[int, ...], int] = dict.fromkeys(itertools.combinations(range(5), 2), 0)
    for i in range(5_000):
        seen[tuple(_draw(strata, np.array([2]), stream_key(i, "pairs")).tolist())] += 1
    assert stats.chisquare(list(seen.values())).pvalue > 0.001


def _hamilton(counts: list[int], size: int) -> list[int]:
    """Largest remainders computed independently with exact fractions (lower index on ties)."""
    n = sum(counts)
    quotas = [Fraction(c * size, n) for c in counts]
    take = [q.numerator // q.denominator for q in quotas]
    order = sorted(range(len(counts)), key=lambda i: (-(quotas[i] - take[i]), i))
    for i in order[: size - sum(take)]:
        take[i] += 1
    return take


def test_proportional_allocation_is_exact_largest_remainders():
    rng = np.random.default_rng(0)
    for _ in range(300):
        counts = rng.integers(0, 5_000, size=rng.integers(1, 12)).tolist()
        if sum(counts) == 0:
            continue
        size = int(rng.integers(1, sum(counts) + 1))
        take = proportional_allocation(counts, size)
        assert take.tolist() == _hamilton(counts, size)
        assert int(take.sum()) == size and (take <= np.array(counts)).all()
    assert proportional_allocation([3_333, 3_333, 3_334], 10).tolist() == [3, 3, 4]
    assert proportional_allocation([5, 7], 20).tolist() == [5, 7]  # every row when it fits
    big = [3 * 10**12, 10**12]  # counts × size beyond 2**63 stay exact
    assert proportional_allocation(big, 3 * 10**6 + 1).tolist() == [2_250_001, 750_000]


def test_key_counts_merge_to_the_counts_of_every_value_at_once():
    """However the values are split and merged, the state is the one counting every value at
    once gives: the least level with at most ``capacity`` buckets, each bucket's count the
    number of values on it (checked against np.unique of the shifted keys)."""
    rng = np.random.default_rng(4)
    keys = sortable_keys(np.round(rng.normal(size=20_000), 3))
    whole = KeyCounts.of(keys, 64)
    coarse = keys >> np.uint64(whole.level)
    expected_keys, expected_counts = np.unique(coarse, return_counts=True)
    np.testing.assert_array_equal(whole.keys, expected_keys)
    np.testing.assert_array_equal(whole.counts, expected_counts)
    assert len(whole.keys) <= 64 < len(np.unique(keys >> np.uint64(whole.level - 1)))
    for trial in range(10):
        cuts = np.sort(rng.choice(np.arange(1, len(keys)), size=trial + 1, replace=False))
        parts = [KeyCounts.of(p, 64) for p in np.split(keys, cuts)]
        rng.shuffle(parts)  # any merge order
        merged = parts[0]
        for p in parts[1:]:
            merged = p.merge(merged) if trial % 2 else merged.merge(p)
        assert merged.level == whole.level
        np.testing.assert_array_equal(merged.keys, whole.keys)
        np.testing.assert_array_equal(merged.counts, whole.counts)


def _batches(frame: pd.DataFrame, preds: Predictions, cuts: list[int]) -> list[Batch]:
    bounds = [0, *cuts, len(frame)]
    return [
        Batch(lo, hi, frame.iloc[lo:hi], frame["y"].to_numpy()[lo:hi], preds.rows(lo, hi))
        for lo, hi in itertools.pairwise(bounds)
    ]


def _census(batches: list[Batch]):
    out = None
    for b in batches:
        out = census(b) if out is None else merge_census(out, census(b))
    return out


@pytest.mark.parametrize("task", [Task.BINARY, Task.REGRESSION])
def test_the_same_rows_under_any_batch_split_and_merge_order(task):
    rng = np.random.default_rng(2)
    n = 6_000
    x = rng.normal(size=n)
    frame = pd.DataFrame({"x": x, "y": (x > 0).astype(int)})
    if task is Task.REGRESSION:  # more distinct values than the strata sketch keeps exactly
        preds = Predictions(task=task, values=np.round(x * 1e6) / 1e6)
    else:
        preds = Predictions(task=task, labels=(x > 0.3).astype(int))
    whole = _batches(frame, preds, [])
    rule, sizes = strata_of(_census(whole))
    if task is Task.REGRESSION:
        assert rule.level > 0  # bucketed: the edges are not exact deciles, yet still merge
    quota = proportional_allocation(sizes, 500)
    keep, merge = KeepLeast(7, rule, quota), MergeLeast(quota)
    reference = keep(whole[0])
    assert len(reference) == 500
    for trial in range(20):
        cuts = sorted(rng.choice(np.arange(1, n), size=trial % 9 + 1, replace=False).tolist())
        parts = _batches(frame, preds, cuts)
        r2, s2 = strata_of(_census(parts))
        assert r2 == rule and s2.tolist() == sizes.tolist()
        states: list[SampleState] = [keep(b) for b in parts]
        while len(states) > 1:  # merge random neighbours: a different tree each trial
            i = int(rng.integers(0, len(states) - 1))
            states[i : i + 2] = [merge(states[i], states[i + 1])]
        got = states[0]
        np.testing.assert_array_equal(np.sort(got.positions), np.sort(reference.positions))
        order = np.argsort(got.positions)
        np.testing.assert_array_equal(got.frame["x"].to_numpy()[order], x[np.sort(got.positions)])


@pytest.mark.parametrize("batch_rows", [1_000, 777, 13])
def test_the_checks_sample_does_not_depend_on_the_batches(batch_rows):
    """End to end through ``ctx.fold``: a context that folds in batches of ``batch_rows``
    draws exactly the rows, labels and predictions of one folding the data in one batch."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=3_000), "y": rng.integers(0, 2, 3_000)})

    def model(X: pd.DataFrame) -> np.ndarray:
        return proba(1 / (1 + np.exp(-2 * X["x"].to_numpy())))

    def target(rows: int | None) -> Target:
        ctx = GateContext.from_objects(
            models={"candidate": model}, datasets={"evaluation": frame}, task="binary", label="y"
        )
        ctx.batch_rows = rows
        params = PerturbationParams(max_flip_rate=0.5, rows=300)
        return Target.read(ctx, params, "perturbation")

    one, many = target(None), target(batch_rows)
    pd.testing.assert_frame_equal(one.X, many.X)
    np.testing.assert_array_equal(one.labels(), many.labels())
    np.testing.assert_array_equal(one.original.scores, many.original.scores)
    np.testing.assert_array_equal(one.X.index, one.sample.rows)
    np.testing.assert_array_equal(one.labels(), frame["y"].to_numpy()[one.sample.rows])
