"""The ``drift`` check folds each side into per-column counts and value sketches: the result is
the in-memory comparison's (every row in one place) to the byte while the sketches are exact,
the same bytes however the rows are batched, and within the stated bounds when sketched."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlgate.checks.drift import folded, sketched
from mlgate.checks.drift.checks import DRIFT, DriftParams, column_evidence, paired_frames
from mlgate.checks.drift.table import compare_columns
from mlgate.checks.drift.univariate import SortedSample, compare_numeric
from mlgate.core.context import GateContext
from mlgate.stats.sketches import ValueSketch


def _frames(n_ref: int, n_cur: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def side(n: int, shift: float) -> pd.DataFrame:
        x = rng.normal(shift, 1.0, n)
        x[rng.random(n) < 0.02] = np.nan
        counts = pd.array(rng.integers(0, 6, n), dtype="Int64")
        counts[rng.random(n) < 0.05] = pd.NA
        return pd.DataFrame(
            {
                "x": x,
                "same": rng.gamma(2.0, size=n),
                "counts": counts,
                "flag": rng.random(n) < 0.3 + shift,
                "city": rng.choice(["oslo", "rome", None], size=n),
                "target": rng.integers(0, 2, n),
            }
        )

    return side(n_ref, 0.0), side(n_cur, 0.4)


def _ctx(ref, cur) -> GateContext:
    return GateContext.from_objects(
        models={"candidate": lambda X: np.zeros(len(X))},
        datasets={"reference": ref, "evaluation": cur},
        task="binary",
        label="target",
    )


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


def test_the_fold_gives_the_in_memory_comparison_to_the_byte():
    ref, cur = _frames(900, 700)
    ctx = _ctx(ref, cur)
    result = DRIFT(ctx)
    rule = DriftParams()
    frames_ref, frames_cur, cats = paired_frames(ctx, rule)
    columns = compare_columns(frames_ref, frames_cur, rule, categorical=cats)
    expected = {k: v.to_dict() for k, v in column_evidence(columns).items()}
    got = {k: result.evidence[k].to_dict() for k in expected}
    assert got == expected
    drifted = {r["column"] for r in result.evidence["columns"].rows if r["drifted"]}
    assert drifted == {"x", "flag"}
    assert "sketched" not in result.evidence


@pytest.mark.parametrize("capacity", [2**16, 64])
def test_the_same_bytes_however_the_rows_are_batched(monkeypatch, capacity):
    monkeypatch.setattr(folded, "CAPACITY", capacity)
    monkeypatch.setattr(sketched, "REBUILD_MAX_VALUES", 0 if capacity < 2**16 else 1 << 21)
    ref, cur = _frames(1200, 800, seed=1)
    ctx = _ctx(ref, cur)
    one = _bytes(DRIFT(ctx, sketch=True))
    for rows in (1, 97, 500):
        ctx.batch_rows = rows
        assert _bytes(DRIFT(ctx, sketch=True)) == one
    assert ("sketched" in json.loads(one)["evidence"]) == (capacity < 2**16)


def test_in_memory_the_comparison_stays_exact_at_any_size(monkeypatch):
    monkeypatch.setattr(folded, "CAPACITY", 16)  # any continuous column would be sketched
    ref, cur = _frames(600, 500, seed=6)
    ctx = _ctx(ref, cur)
    frames_ref, frames_cur, cats = paired_frames(ctx, DriftParams())
    expected = compare_columns(frames_ref, frames_cur, DriftParams(), categorical=cats)
    result = DRIFT(ctx)
    assert result.evidence["columns"].to_dict() == column_evidence(expected)["columns"].to_dict()
    assert "sketched" in DRIFT(ctx, sketch=True).evidence


def test_a_column_numeric_on_one_side_only_is_compared_as_categories():
    ref, cur = _frames(300, 300, seed=2)
    cur["counts"] = cur["counts"].astype(str)
    result = DRIFT(_ctx(ref, cur))
    row = next(r for r in result.evidence["columns"].rows if r["column"] == "counts")
    assert row["kind"] == "categorical" and row["test"] == "chi2"


def test_exact_sketches_above_the_rebuild_size_give_the_in_memory_numbers(monkeypatch):
    monkeypatch.setattr(sketched, "REBUILD_MAX_VALUES", 0)  # never rebuild the data
    rng = np.random.default_rng(3)
    a, b = np.round(rng.normal(size=20_000), 2), np.round(rng.normal(0.1, 1.1, 15_000), 2)
    got = sketched.compare_numeric_sketch(ValueSketch.of(a), ValueSketch.of(b))
    want = compare_numeric(SortedSample.of(a), SortedSample.of(b))
    assert got.details["sketch"]["exact"] and got.details["sketch"]["ks_error"] == 0.0
    assert got.statistic == want.statistic and got.p_value == want.p_value
    for name, value in want.distances.items():
        assert got.distances[name] == pytest.approx(value, rel=1e-12), name
    assert got.details["ref_sd"] == pytest.approx(np.std(a, ddof=1), rel=1e-14)


@pytest.mark.parametrize("shift", [0.0, 0.03, 0.3])
def test_sketched_statistics_are_within_their_stated_bounds(shift):
    rng = np.random.default_rng(4)
    a, b = rng.lognormal(size=30_000), rng.lognormal(shift, 1.0, 20_000)
    got = sketched.compare_numeric_sketch(ValueSketch.of(a, 512), ValueSketch.of(b, 512))
    sk = got.details["sketch"]
    assert not sk["exact"] and sk["buckets"] <= 512
    d = stats.ks_2samp(a, b).statistic
    assert got.statistic <= d + 1e-15 <= sk["ks_high"] + 2e-15
    assert abs(got.distances["wasserstein"] - stats.wasserstein_distance(a, b)) <= (
        sk["wasserstein_error"] + 1e-12
    )
    p = stats.ks_2samp(a, b, method="asymp").pvalue
    assert sk["p_value_low"] - 1e-12 <= p <= got.p_value + 1e-12


def test_sketched_and_exact_verdicts_agree_far_from_the_bound(monkeypatch):
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"moved": rng.normal(size=5000), "still": rng.exponential(size=5000)})
    cur = pd.DataFrame({"moved": rng.normal(0.5, 1, 4000), "still": rng.exponential(size=4000)})
    for f in (ref, cur):
        f["target"] = 0
    exact = DRIFT(_ctx(ref, cur))
    monkeypatch.setattr(folded, "CAPACITY", 128)
    assert "sketched" not in DRIFT(_ctx(ref, cur)).evidence  # in memory: exact unless asked
    sketch = DRIFT(_ctx(ref, cur), sketch=True)
    flags = [(r["column"], r["drifted"]) for r in sketch.evidence["columns"].rows]
    assert flags == [(r["column"], r["drifted"]) for r in exact.evidence["columns"].rows]
    assert flags == [("moved", True), ("still", False)]
    assert {r["column"] for r in sketch.evidence["sketched"].rows} == {"moved", "still"}
