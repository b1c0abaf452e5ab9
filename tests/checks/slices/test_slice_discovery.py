"""Slice discovery: a planted weak slice is found in the top 3; uniform errors are not
flagged more often than alpha; the search is bounded and its counts are right."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from slices_helpers import context, oracle, planted, run_one

from mlgate.checks.slices.checks import SLICE_DISCOVERY, slice_discovery_check
from mlgate.checks.slices.discovery import bin_features, discover
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.evidence import Table
from mlgate.core.result import Status

FEATURES = ["region", "age", "income", "device"]


def is_planted(row) -> bool:
    """region = B and an age bin inside [60, 100]."""
    preds = row["predicates"]
    ages = [p for p in preds if p.startswith("age")]
    if "region=B" not in preds or len(ages) != 1:
        return False
    text = ages[0]
    low = float(text.split("[")[1].split(",")[0]) if "[" in text else float(text.split(">=")[1])
    return low >= 55.0


def test_the_planted_weak_slice_is_in_the_top_three(tmp_path):
    frame = planted(4000, 0)
    r = run_one(tmp_path, {"check": "slice_discovery", "features": FEATURES}, oracle, frame)
    assert r.status is Status.FAILED, r.message
    assert isinstance(r.evidence["slices"], Table)
    top = r.evidence["slices"].rows[:3]
    assert any(is_planted(row) for row in top), [row["slice"] for row in top]
    best = next(row for row in top if is_planted(row))
    assert best["flagged"] and best["value"] == pytest.approx(0.6, abs=0.1)
    assert best["interval"][0] < best["value"] < best["interval"][1]
    assert best["gap"] == pytest.approx(best["value"] - best["rest"], abs=1e-6)
    assert {"slice", "value", "n"} <= set(best)  # shown as a table by the report
    assert r.check_id == "slice-discovery" and r.value >= 1


def test_sizes_and_error_counts_match_a_groupby(rng):
    frame = planted(3000, 1)
    errors = (frame["y"] != frame["truth"]).to_numpy().astype(float)
    d = discover(errors, bin_features(frame, ["region", "device"]), top_k=100, alpha=1.0)
    row = next(r for r in d.slices if r["slice"] == "region=C & device=web")
    mask = (frame["region"] == "C") & (frame["device"] == "web")
    assert row["n"] == mask.sum()
    assert row["value"] == pytest.approx(errors[mask].mean(), abs=1e-6)
    assert row["rest"] == pytest.approx(errors[~mask].mean(), abs=1e-6)
    assert d.n_evaluated == 4 + 3 + 12


def test_binning_numeric_categorical_missing_and_other():
    frame = pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, np.nan, 10.0],
            "c": list("aaaabbbcde"),
        }
    )
    b = bin_features(frame, ["x", "c"], n_bins=2, max_categories=3)
    # the median of the known values (1–8, 10) is 5: bins [.., 5) and [5, ..)
    assert b.labels[0] == ["x < 5", "x >= 5", "x is missing"]
    assert b.codes[0].tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 2, 1]
    assert b.labels[1] == ["c=a", "c=b", "c=other"]
    assert b.codes[1].tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert frame["x"].isna().sum() == 1  # not modified


def test_a_child_with_its_parents_rows_is_dropped():
    rng = np.random.default_rng(2)
    a = rng.choice(list("xyz"), 900)
    frame = pd.DataFrame({"a": a, "copy": a})
    d = discover(rng.random(900) < 0.2, bin_features(frame, ["a", "copy"]), top_k=100, alpha=1.0)
    assert all(r["level"] == 1 for r in d.slices)
    assert d.n_evaluated == 6


def test_non_binary_errors_use_welch_and_find_a_noisy_slice(tmp_path):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"g": rng.choice(list("abcd"), 3000), "x": rng.normal(size=3000)})
    frame["y"] = frame["x"] + np.where(frame["g"] == "c", 3.0, 1.0) * rng.normal(size=3000)
    r = run_one(
        tmp_path,
        {"check": "slice_discovery", "features": ["g", "x"]},
        lambda X: X["x"].to_numpy(),
        frame,
        task="regression",
    )
    assert r.status is Status.FAILED
    assert r.evidence["slices"].rows[0]["predicates"][0] == "g=c"
    assert r.evidence["error"] == "absolute error" and "Welch" in r.method


def test_the_runtime_bound_stops_the_search_and_says_so(tmp_path):
    ctx = context(tmp_path, oracle, planted(2000, 4))
    r = SLICE_DISCOVERY(ctx, features=FEATURES, max_seconds=1e-9)
    assert r.evidence["truncated"] is True and "stopped" in r.message
    assert r.status is Status.INCONCLUSIVE  # nothing was searched: never a pass


def test_no_slice_large_enough_is_inconclusive(tmp_path):
    ctx = context(tmp_path, oracle, planted(200, 5))
    r = SLICE_DISCOVERY(ctx, features=["device"], min_size=150)
    assert r.status is Status.INCONCLUSIVE
    assert r.check_id == "slice-discovery" and slice_discovery_check is SLICE_DISCOVERY


def test_bad_inputs(tmp_path):
    ctx = context(tmp_path, oracle, planted(200, 6))
    with pytest.raises(ConfigError, match="does not apply"):
        SLICE_DISCOVERY(ctx, error="squared")
    with pytest.raises(DataError, match="not in the dataset"):
        bin_features(planted(10, 0), ["nope"])
    with pytest.raises(DataError, match="non-negative"):
        discover(-np.ones(10), bin_features(planted(10, 0), ["device"]))


def test_same_seed_same_result(tmp_path):
    frame = planted(1500, 7)
    a = run_one(tmp_path, {"check": "slice_discovery", "features": FEATURES}, oracle, frame)
    b = run_one(tmp_path, {"check": "slice_discovery", "features": FEATURES}, oracle, frame)
    strip = lambda r: {k: v for k, v in r.to_dict()["evidence"].items() if k != "seconds"}  # noqa: E731
    assert strip(a) == strip(b)


@pytest.mark.slow
def test_uniform_errors_are_flagged_no_more_often_than_alpha():
    runs, alarms = 120, 0
    for seed in range(runs):
        rng = np.random.default_rng(1000 + seed)
        frame = pd.DataFrame(
            {
                "a": rng.choice(list("xyz"), 800),
                "b": rng.uniform(size=800),
                "c": rng.choice(list("pq"), 800),
                "d": rng.normal(size=800),
            }
        )
        errors = (rng.random(800) < 0.2).astype(float)
        d = discover(errors, bin_features(frame, list(frame.columns), n_bins=4), alpha=0.05)
        alarms += d.n_flagged > 0
    rate = alarms / runs
    assert rate <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / runs), rate


def test_log_loss_errors_are_searched_with_welch(tmp_path):
    frame = planted(3000, 8)
    check = {"check": "slice_discovery", "features": FEATURES, "error": "log_loss"}
    r = run_one(tmp_path, check, oracle, frame)
    assert r.evidence["error"] == "log_loss" and "Welch" in r.method
    assert r.status is Status.FAILED
    assert any(is_planted(row) for row in r.evidence["slices"].rows[:3])


def test_progress_counts_every_feature_combination_and_changes_nothing():
    from mlgate.checks.slices.discovery import n_combinations

    frame = planted(2000, 3)
    errors = (frame["y"] != frame["truth"]).to_numpy().astype(float)
    binned = bin_features(frame, ["region", "device"], n_bins=4)
    seen: list[int] = []
    watched = discover(errors, binned, max_level=2, progress=seen.append)
    plain = discover(errors, binned, max_level=2)
    assert sum(seen) == n_combinations(2, 2) == 3
    assert watched.slices == plain.slices
