"""MMD on torch against a plain NumPy reference, its permutation test, and the
``multivariate_drift`` check."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.drift.mmd import median_sigma, mmd2_unbiased, mmd_test
from mlgate.core.errors import MissingDependencyError
from mlgate.core.result import Status
from mlgate.core.runner import run_gate

pytest.importorskip("torch", reason="MMD runs on torch (mlgate[torch])")


def sample(rng, n, d=4, shift=0.0):
    return rng.normal(size=(n, d)) + shift


def test_statistic_and_bandwidth_agree_with_numpy():
    rng = np.random.default_rng(0)
    x, y = sample(rng, 60), sample(rng, 45, shift=0.4)
    res = mmd_test(x, y, rng=np.random.default_rng(1), n_permutations=10, device="cpu")
    s = median_sigma(x, y)
    assert res.sigma == pytest.approx(s, rel=1e-12)
    assert res.mmd2 == pytest.approx(mmd2_unbiased(x, y, s), rel=1e-9, abs=1e-12)
    fixed = mmd_test(x, y, rng=np.random.default_rng(1), n_permutations=10, sigma=0.7)
    assert fixed.mmd2 == pytest.approx(mmd2_unbiased(x, y, 0.7), rel=1e-9, abs=1e-12)


def test_permutation_p_value_equals_a_brute_force_loop():
    rng = np.random.default_rng(2)
    x, y = sample(rng, 30, 3), sample(rng, 25, 3, shift=0.3)
    res = mmd_test(x, y, rng=np.random.default_rng(9), n_permutations=40, chunk=15, device="cpu")
    # the same permutations, one at a time, in NumPy
    draw = np.random.default_rng(9)
    z = np.vstack([x, y])
    s = median_sigma(x, y)
    observed = mmd2_unbiased(x, y, s)
    exceed = 0
    for size in (15, 15, 10):
        for order in np.argsort(draw.random((size, len(z))), axis=1):
            first = np.zeros(len(z), bool)
            first[order[:30]] = True
            exceed += mmd2_unbiased(z[first], z[~first], s) >= observed - 1e-12
    assert res.p_value == pytest.approx((1 + exceed) / 41, abs=1e-12)


@pytest.mark.slow
def test_no_shift_false_alarm_rate():
    runs, alarms = 200, 0
    for seed in range(runs):
        rng = np.random.default_rng([3, seed])
        res = mmd_test(sample(rng, 40, 3), sample(rng, 40, 3), rng=rng, n_permutations=99)
        alarms += res.p_value <= 0.05
    assert alarms / runs <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / runs), f"{alarms} of {runs}"


def test_planted_shift_is_found():
    hits = 0
    for seed in range(10):
        rng = np.random.default_rng([4, seed])
        x, y = sample(rng, 300, 10), sample(rng, 300, 10)
        y[:, :3] += 0.5
        hits += mmd_test(x, y, rng=rng, n_permutations=200).p_value <= 0.05
    assert hits >= 9


def test_bad_shapes():
    with pytest.raises(ValueError, match="same columns"):
        mmd_test(np.ones((5, 2)), np.ones((5, 3)), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least 2 rows"):
        mmd_test(np.ones((1, 2)), np.ones((5, 2)), rng=np.random.default_rng(0))


def test_without_torch_the_message_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"mlgate\[torch\]"):
        mmd_test(np.ones((5, 2)), np.zeros((5, 2)), rng=np.random.default_rng(0))


@pytest.mark.skipif(
    not pytest.importorskip("torch").cuda.is_available(), reason="needs a CUDA device"
)
def test_gpu_and_cpu_give_the_same_p_value():
    rng = np.random.default_rng(5)
    x, y = sample(rng, 500, 8), sample(rng, 400, 8, shift=0.1)
    cpu = mmd_test(x, y, rng=np.random.default_rng(1), n_permutations=300, device="cpu")
    gpu = mmd_test(x, y, rng=np.random.default_rng(1), n_permutations=300, device="cuda")
    assert gpu.device.startswith("cuda")
    assert gpu.mmd2 == pytest.approx(cpu.mmd2, rel=1e-9, abs=1e-12)
    assert gpu.p_value == cpu.p_value


# -- the check ---------------------------------------------------------------------------------
def frame(n, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    data = {f"x{j}": rng.normal(size=n) for j in range(6)}
    data["x0"] = data["x0"] + shift
    data["x1"] = data["x1"] + shift
    data["kind"] = rng.choice(["a", "b"], size=n)
    data["y"] = (data["x2"] > 0).astype(int)
    return pd.DataFrame(data)


def model(X):
    p = 1 / (1 + np.exp(-X["x2"].to_numpy()))
    return np.column_stack([1 - p, p])


def run(write_gate, tmp_path, check, ref, cur):
    path = write_gate(tmp_path, [{"check": "multivariate_drift", **check}])
    out = run_gate(
        path, models={"candidate": model}, datasets={"reference": ref, "evaluation": cur}
    )
    return out.results[0]


def test_check_passes_without_shift_and_fails_with_one(write_gate, tmp_path):
    r = run(write_gate, tmp_path, {"n_permutations": 200}, frame(800, 1), frame(800, 2))
    assert r.status is Status.PASSED and r.check_id == "multivariate-drift-features"
    assert r.evidence["dimensions"] == 8  # 6 numbers + 2 one-hot categories
    r = run(write_gate, tmp_path, {"n_permutations": 200}, frame(800, 1), frame(800, 2, 0.4))
    assert r.status is Status.FAILED and r.evidence["p_value"] <= 0.05
    assert r.value >= 0.001 and "permutation test on torch (c" in r.method


def test_effect_floor_and_subsampling(write_gate, tmp_path):
    ref, cur = frame(3000, 1), frame(3000, 2, 0.4)
    r = run(write_gate, tmp_path, {"max_rows": 500, "min_effect": 10.0}, ref, cur)
    assert r.status is Status.PASSED  # significant, but below the (absurd) floor
    assert r.evidence["rows_tested"] == [500, 500] and r.evidence["p_value"] <= 0.05
    # a uniform sample of 500 of the 3,000 rows a side (tests/checks/drift/test_mmd_sample_fold.py)
    assert r.evidence["rows_total"] == [3000, 3000] and r.evidence["sampled"] is True
    assert "uniform sample of at most 500 rows a side" in r.method


def test_pca_and_encoder(write_gate, tmp_path):
    (tmp_path / "mmd_enc_mod.py").write_text(
        "def encode(frame):\n    return frame[['x0', 'x1']].to_numpy()\n"
    )
    ref, cur = frame(600, 1), frame(600, 2, 0.5)
    r = run(write_gate, tmp_path, {"pca": 2, "columns": [f"x{j}" for j in range(6)]}, ref, cur)
    assert r.evidence["dimensions"] == 2 and "PCA to 2" in r.method
    r = run(write_gate, tmp_path, {"encoder": "mmd_enc_mod:encode"}, ref, cur)
    assert r.evidence["dimensions"] == 2 and r.status is Status.FAILED


def test_too_few_rows_is_inconclusive(write_gate, tmp_path):
    r = run(write_gate, tmp_path, {}, frame(500, 1), frame(10, 2))
    assert r.status is Status.INCONCLUSIVE and "min_samples=30" in r.message


def test_same_seed_same_result(write_gate, tmp_path):
    a = run(write_gate, tmp_path, {"n_permutations": 100}, frame(300, 1), frame(300, 2, 0.1))
    b = run(write_gate, tmp_path, {"n_permutations": 100}, frame(300, 1), frame(300, 2, 0.1))
    assert a.to_dict() == b.to_dict()
