"""``slice_discovery`` folds batches: the bins come from a first fold (value sketches and
category counts), the slice counts from a second; a planted weak slice is ranked first however
the rows are batched, with the same result bytes; the folded counts are a brute-force count;
the bins are the in-memory ``np.quantile`` bins while the sketch is exact."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from slices_helpers import context, oracle, planted

from mlgate.checks.slices.checks import SLICE_DISCOVERY
from mlgate.checks.slices.discovery import bin_features
from mlgate.checks.slices.discovery_bins import ColumnScan, column_bins, sketch_quantiles
from mlgate.checks.slices.discovery_fold import Counts, Scale, count_cells
from mlgate.core.errors import DataError
from mlgate.core.result import Status
from mlgate.stats.sketches import ValueSketch

FEATURES = ["region", "age", "income", "device"]


def dump(result) -> str:
    """The result's JSON without the search's wall-clock seconds (timing, not a result)."""
    d = result.to_dict()
    d["evidence"].pop("seconds")
    return json.dumps(d, sort_keys=True)


def weak_frame(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    """:func:`planted` with a wider weak slice (region B, age ≥ 60: 10% of rows at 50% errors
    against 8% elsewhere)."""
    return planted(n, seed, weak_error=0.5, base_error=0.08)


def is_planted(row) -> bool:
    preds = row["predicates"]
    ages = [p for p in preds if p.startswith("age")]
    if "region=B" not in preds or len(ages) != 1:
        return False
    text = ages[0]
    low = float(text.split("[")[1].split(",")[0]) if "[" in text else float(text.split(">=")[1])
    return low >= 55.0


LOG_LOSS_AT_HALF = -0.5 * np.log(0.2) - 0.5 * np.log(0.8)  # half the rows wrong at 0.8


@pytest.mark.parametrize(
    ("params", "value"),
    [({}, 0.5), ({"compare_to": "rest"}, 0.5), ({"error": "log_loss"}, LOG_LOSS_AT_HALF)],
)
def test_the_planted_slice_is_first_and_any_batching_gives_the_same_bytes(tmp_path, params, value):
    frame = weak_frame()
    ctx = context(tmp_path, oracle, frame)
    runs = []
    for batch_rows in (None, 97, 1000, 5999):
        ctx.batch_rows = batch_rows
        runs.append(SLICE_DISCOVERY(ctx, features=FEATURES, **params))
    first = runs[0]
    assert first.status is Status.FAILED, first.message
    top = first.evidence["slices"].rows[0]
    assert is_planted(top) and top["flagged"], top["slice"]
    assert top["value"] == pytest.approx(value, rel=0.12)
    assert {dump(r) for r in runs} == {dump(first)}
    assert first.evidence["approximate_bins"] == []


def test_welch_on_regression_errors_is_split_invariant(tmp_path):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"g": rng.choice(list("abcd"), 3000), "x": rng.normal(size=3000)})
    frame["y"] = frame["x"] + np.where(frame["g"] == "c", 3.0, 1.0) * rng.normal(size=3000)
    ctx = context(tmp_path, lambda X: X["x"].to_numpy(), frame, task="regression")
    out = set()
    for batch_rows in (None, 1, 250, 777):
        ctx.batch_rows = batch_rows
        r = SLICE_DISCOVERY(ctx, features=["g", "x"], error="squared")
        out.add(dump(r))
    assert len(out) == 1
    assert r.status is Status.FAILED and "Welch" in r.method
    assert r.evidence["slices"].rows[0]["predicates"] == ["g=c"]


def _split_counts(codes, dims, e, strata, k, cuts, order, **kw) -> Counts:
    parts = [
        count_cells([c[a:b] for c in codes], dims, e[a:b], strata=strata[a:b], n_strata=k, **kw)
        for a, b in itertools.pairwise([0, *cuts, len(e)])
    ]
    state = None
    for i in order:
        state = parts[i] if state is None else state.merge(parts[i])
    return state


def _same(a: Counts, b: Counts) -> bool:
    if (a.n, a.total, a.squares, a.binary, a.stopped) != (
        b.n,
        b.total,
        b.squares,
        b.binary,
        b.stopped,
    ):
        return False
    if list(a.cells) != list(b.cells) or a.strata != b.strata:
        return False
    fields = ("size", "e_hi", "e_lo", "sq_hi", "sq_lo", "per_stratum")
    return all(
        np.array_equal(getattr(a.cells[key], f), getattr(b.cells[key], f))
        for key in a.cells
        for f in fields
        if getattr(a.cells[key], f) is not None
    )


def test_folded_counts_are_a_brute_force_count_for_any_split():
    rng = np.random.default_rng(11)
    n = 2500
    frame = pd.DataFrame(
        {"a": rng.choice(list("xyz"), n), "b": rng.normal(size=n), "c": rng.integers(0, 3, n)}
    )
    frame.loc[rng.random(n) < 0.05, "b"] = np.nan
    binned = bin_features(frame, ["a", "b", "c"], n_bins=4)
    dims = [len(lab) for lab in binned.labels]
    e = rng.exponential(size=n) * (1 + 1e-9 * rng.random(n))  # no two sums alike
    strata = rng.integers(0, 4, n)
    scale, squares = Scale.of(float(e.max())), Scale.of(float((e * e).max()))
    kw = {"scale": scale, "square_scale": squares, "max_level": 3}
    whole = count_cells(binned.codes, dims, e, strata=strata, n_strata=4, **kw)
    # brute force: every combination's cells by a pandas groupby, sums exactly
    q = np.floor(np.ldexp(e, scale.bits)).astype(np.int64)
    for feats, cells in whole.cells.items():
        keys = pd.DataFrame({f: binned.codes[f] for f in feats})
        code = np.ravel_multi_index(tuple(keys[f] for f in feats), [dims[f] for f in feats])
        brute = pd.DataFrame({"cell": code, "q": q, "s": strata}).groupby("cell")
        sizes = brute.size()
        assert np.array_equal(np.flatnonzero(cells.size), sizes.index.to_numpy())
        assert cells.size[sizes.index].tolist() == sizes.tolist()
        exact = brute["q"].apply(lambda s: sum(int(v) for v in s))
        got = (cells.e_hi[exact.index].astype(object) << 26) + cells.e_lo[exact.index]
        assert got.tolist() == exact.tolist()
        per = (
            brute["s"].value_counts().unstack(fill_value=0).reindex(columns=range(4), fill_value=0)
        )
        assert np.array_equal(cells.per_stratum[per.index], per.to_numpy())
        # the float read from the limbs is the exact sum to within 2**-bits per row
        value = scale.value(cells.e_hi, cells.e_lo)[exact.index]
        true = np.array([float(sum(Fraction(v) for v in e[code == c])) for c in exact.index])
        assert np.allclose(value, true, rtol=1e-13, atol=0)
    assert whole.n == n and whole.total == sum(int(v) for v in q)
    assert len(whole.cells) == 3 + 3 + 1
    # any split, merged in any order, is the same state
    for seed in range(4):
        r = np.random.default_rng(seed)
        cuts = np.sort(r.choice(np.arange(1, n), size=int(r.integers(1, 9)), replace=False))
        order = r.permutation(len(cuts) + 1)
        split = _split_counts(binned.codes, dims, e, strata, 4, cuts, order, **kw)
        assert _same(split, whole), seed


def test_exact_sketch_bins_are_numpys_quantile_bins():
    rng = np.random.default_rng(5)
    for trial in range(40):
        n = int(rng.integers(2, 3000))
        x = rng.choice(rng.normal(size=int(rng.integers(2, 400))), n)  # ties
        if trial % 3 == 0:
            x = x.astype(np.float32).astype(float)
        x[rng.random(n) < 0.1] = np.nan
        finite = x[~np.isnan(x)]
        if not len(finite):
            continue
        qs = np.linspace(0, 1, int(rng.integers(2, 12)) + 1)
        got = sketch_quantiles(ValueSketch.of(x), qs)
        assert np.array_equal(got, np.quantile(finite, qs)), trial  # bit for bit


def test_a_bucketed_sketch_cuts_at_bucket_boundaries_and_says_so():
    rng = np.random.default_rng(6)
    x = rng.normal(size=20_000)
    sketch = ValueSketch.of(x, capacity=512)
    assert not sketch.exact
    bins = column_bins(ColumnScan("x", sketch, "float64"), 5, 20)
    assert bins.approximate
    lows = sketch.at_level(sketch.level)[2]
    assert set(bins.edges.tolist()) <= set(lows.tolist())  # whole buckets per bin
    exact = np.quantile(x, np.linspace(0, 1, 6))[1:-1]
    ranks = np.searchsorted(np.sort(x), bins.edges) / len(x)
    assert np.abs(ranks - np.linspace(0.2, 0.8, 4)).max() < 2 * 20_000 / 512 / len(x)
    assert np.abs(bins.edges - exact).max() < 0.1
    counts = np.bincount(bins.codes(pd.Series(x)), minlength=5)
    assert counts.sum() == len(x)
    assert counts.tolist() == np.histogram(x, [-np.inf, *bins.edges, np.inf])[0].tolist()


def test_a_value_not_seen_by_the_first_fold_is_an_error():
    scan = ColumnScan.of("c", pd.Series(list("aab")))
    bins = column_bins(scan, 5, 20)
    assert bins.codes(pd.Series(list("ba"))).tolist() == [1, 0]
    with pytest.raises(DataError, match="first read did not see"):
        bins.codes(pd.Series(["z"]))
    with pytest.raises(DataError, match="numeric in some partitions"):
        scan.merge(ColumnScan.of("c", pd.Series([1.0])))


def test_the_deadline_keeps_only_combinations_every_batch_finished():
    codes = [np.zeros(10, np.int32), np.ones(10, np.int32)]
    kw = {"scale": Scale.of(1, integer=True), "square_scale": None, "max_level": 2}
    done = count_cells(codes, [1, 2], np.zeros(10), **kw)
    stopped = count_cells(codes, [1, 2], np.zeros(10), deadline=0.0, **kw)
    assert list(done.cells) == [(0,), (1,), (0, 1)] and not done.stopped
    merged = done.merge(stopped)
    assert merged.stopped and merged.cells == {}


def test_above_the_sketch_capacity_bins_are_bucket_boundaries_the_same_for_any_split(tmp_path):
    frame = planted(70_000, 9)  # 70,000 distinct ages and incomes: bucketed sketches
    ctx = context(tmp_path, oracle, frame)
    runs = []
    for batch_rows in (None, 9_000):
        ctx.batch_rows = batch_rows
        runs.append(SLICE_DISCOVERY(ctx, features=FEATURES, compare_to="rest"))
    assert dump(runs[0]) == dump(runs[1])
    r = runs[0]
    assert r.evidence["approximate_bins"] == ["age", "income"]
    assert "bucket boundaries" in r.message
    top = r.evidence["slices"].rows[0]
    assert is_planted(top) and top["flagged"], top["slice"]
    # the age edge is near the exact quintile (uniform 0–100: 80)
    assert top["predicates"][1].startswith("age >= 79.9"), top["predicates"]
