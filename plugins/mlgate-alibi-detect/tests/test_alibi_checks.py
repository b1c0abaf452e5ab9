"""alibi-detect's detectors as gate checks: verdicts on known data, agreement of p-values with
mlgate's native KS / chi-squared statistics, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from mlgate.checks.drift.univariate import (
    CategoryCounts,
    SortedSample,
    compare_categorical,
    compare_numeric,
)
from mlgate.core.registry import CheckRegistry
from mlgate.core.result import Status
from mlgate.core.runner import run_gate

CHECKS = [
    "alibi_ks_drift",
    "alibi_chi2_drift",
    "alibi_tabular_drift",
    "alibi_mmd_drift",
    "alibi_lsdd_drift",
    "alibi_classifier_drift",
]


def frame(n: int, seed: int, shift: float = 0.0, p_b: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(shift, 1.0, size=n),
            "z": rng.normal(size=n),
            "w": rng.normal(shift, 1.0, size=n),
            "colour": np.where(rng.random(n) < p_b, "blue", "red"),
            "size": rng.choice([1, 2, 3], size=n),
        }
    )


def run(tmp_path, check: dict, ref, cur, seed: int = 0):
    config = {
        "name": "alibi",
        "task": "binary",
        "seed": seed,
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {
            "reference": {"factory": "unused:unused"},
            "evaluation": {"factory": "unused:unused"},
        },
        "stages": {"ci": {"checks": [check]}},
    }
    path = tmp_path / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config))
    out = run_gate(
        path,
        models={"candidate": lambda X: np.zeros(len(X))},
        datasets={"reference": ref, "evaluation": cur},
    )
    return out.results[0]


def test_every_detector_is_registered_through_the_entry_point_group():
    registry = CheckRegistry.from_entry_points()
    for name in CHECKS:
        assert registry.get(name).kind == "drift"


def test_ks_p_values_agree_with_native_ks(tmp_path):
    # alibi-detect's KSDrift always uses the asymptotic distribution; mlgate does too above
    # 10,000 rows a side, so both give kstwo.sf(D, round(n·m/(n+m))). alibi stores float32.
    ref, cur = frame(12_000, 1), frame(11_000, 2, shift=0.03)
    r = run(tmp_path, {"check": "alibi_ks_drift", "columns": ["x", "z", "w"]}, ref, cur)
    rows = {row["column"]: row for row in r.evidence["columns"].rows}
    effects = r.evidence["effects"]  # the statistic per feature, drawn as bars
    assert effects.over == "feature" and effects.labels == ("x", "z", "w")
    for col in ("x", "z", "w"):
        native = compare_numeric(SortedSample.of(ref[col]), SortedSample.of(cur[col]))
        assert rows[col]["statistic"] == pytest.approx(native.statistic, rel=1e-6)
        assert rows[col]["p_value"] == pytest.approx(native.p_value, rel=1e-5, abs=1e-7)


def test_chi2_p_values_agree_with_native_chi2(tmp_path):
    ref, cur = frame(3000, 1), frame(2500, 2, p_b=0.33)
    r = run(tmp_path, {"check": "alibi_chi2_drift", "columns": ["colour", "size"]}, ref, cur)
    rows = {row["column"]: row for row in r.evidence["columns"].rows}
    for col in ("colour", "size"):
        native = compare_categorical(CategoryCounts.of(ref[col]), CategoryCounts.of(cur[col]))
        assert rows[col]["statistic"] == pytest.approx(native.statistic, rel=1e-5)
        assert rows[col]["p_value"] == pytest.approx(native.p_value, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize(
    ("check", "extra"),
    [
        ("alibi_ks_drift", {"columns": ["x", "z", "w"]}),
        ("alibi_chi2_drift", {"columns": ["colour", "size"]}),
        ("alibi_tabular_drift", {"categorical": ["size"]}),
        ("alibi_mmd_drift", {"columns": ["x", "z", "w"], "max_rows": 400}),
        ("alibi_lsdd_drift", {"columns": ["x", "z", "w"], "max_rows": 400}),
        ("alibi_classifier_drift", {"columns": ["x", "z", "w"], "max_rows": 600}),
    ],
)
def test_known_verdicts(tmp_path, check, extra):
    ref = frame(2000, 1)
    same = run(tmp_path, {"check": check, **extra}, ref, frame(2000, 2))
    assert same.status is Status.PASSED, same.message
    shifted = run(tmp_path, {"check": check, **extra}, ref, frame(2000, 3, shift=0.6, p_b=0.6))
    assert shifted.status is Status.FAILED, shifted.message
    assert shifted.value <= shifted.threshold.bound
    assert shifted.evidence["alibi_detect_version"].startswith("0.13")
    assert shifted.check_id == check.replace("_", "-")


def test_too_few_rows_is_inconclusive(tmp_path):
    r = run(tmp_path, {"check": "alibi_ks_drift", "columns": ["x"]}, frame(500, 1), frame(10, 2))
    assert r.status is Status.INCONCLUSIVE and "min_samples=30" in r.message


def test_seeded_and_global_rng_state_restored(tmp_path):
    import torch

    ref, cur = frame(600, 1), frame(600, 2, shift=0.1)
    check = {"check": "alibi_mmd_drift", "columns": ["x", "z"], "n_permutations": 50}
    np.random.seed(123)
    torch.manual_seed(123)
    before = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    a = run(tmp_path, check, ref, cur)
    b = run(tmp_path, check, ref, cur)
    assert a.to_dict() == b.to_dict()
    np.testing.assert_array_equal(np.random.get_state()[1], before[0])
    assert torch.equal(torch.get_rng_state(), before[1])


def test_ks_on_text_columns_is_an_error(tmp_path):
    r = run(
        tmp_path, {"check": "alibi_ks_drift", "columns": ["colour"]}, frame(100, 1), frame(100, 2)
    )
    assert r.status is Status.ERROR and "numeric" in r.message


def test_data_is_not_modified(tmp_path):
    ref, cur = frame(300, 1), frame(300, 2)
    before = ref.copy(), cur.copy()
    run(tmp_path, {"check": "alibi_tabular_drift"}, ref, cur)
    pd.testing.assert_frame_equal(ref, before[0])
    pd.testing.assert_frame_equal(cur, before[1])
