"""``multivariate_drift`` reads its rows as one bottom-k fold per side (issue 17): the sample is
the rows of least hash, whatever the batching; the encoding is fitted on the pooled sample, so
the permutation test keeps its level under H0."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from mlgate.checks.drift.folded import DriftFold
from mlgate.checks.drift.mmd_check import (
    MULTIVARIATE_DRIFT,
    KeepSample,
    MergeSample,
    MultivariateDriftParams,
    check_key,
    draw_sides,
    encode_pooled,
)
from mlgate.core.context import GateContext
from mlgate.core.errors import DataError
from mlgate.core.result import Status
from mlgate.stats.poisson import splitmix64_at, stream_key

pytest.importorskip("torch", reason="MMD runs on torch (mlgate[torch])")


def frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {f"x{j}": rng.normal(size=n) for j in range(4)}
    data["x0"] = data["x0"] + shift
    data["x1"] = data["x1"] + shift
    data["kind"] = rng.choice(np.array(["a", "b", "c"]), size=n, p=[0.5, 0.3, 0.2])
    data["y"] = (data["x2"] > 0).astype(int)
    return pd.DataFrame(data)


def model(X):
    p = 1 / (1 + np.exp(-X["x2"].to_numpy()))
    return np.column_stack([1 - p, p])


def context(ref: pd.DataFrame, cur: pd.DataFrame, seed: int = 0) -> GateContext:
    return GateContext.from_objects(
        models={"candidate": model},
        datasets={"reference": ref, "evaluation": cur},
        task="binary",
        label="y",
        seed=seed,
    )


def least_hashed(n: int, key: int, k: int, eligible: np.ndarray | None = None) -> np.ndarray:
    """The positions of the k rows of least splitmix64 hash, by a full sort (not bottom_k)."""
    positions = np.arange(n) if eligible is None else np.flatnonzero(eligible)
    ranks = splitmix64_at(key, positions)
    return np.sort(positions[np.argsort(ranks, kind="stable")[:k]])


def test_the_sample_is_the_least_hashed_rows_for_any_batching():
    ref, cur = frame(1_000, 1), frame(700, 2)
    cur.loc[[3, 50, 400], "x3"] = np.nan  # rows with a missing number are not eligible
    cur.loc[7, "x0"] = np.inf
    p = MultivariateDriftParams(max_rows=150, columns=["x0", "x1", "x3", "kind"])
    ctx = context(ref.assign(pos=np.arange(1_000)), cur.assign(pos=np.arange(700)))
    seen = []
    for batch_rows in (None, 1, 97, 333):
        ctx.batch_rows = batch_rows
        seen.append(draw_sides(ctx, p))
    for side, data, name in ((0, ref, "reference"), (1, cur, "current")):
        key = stream_key(0, f"{check_key(p)}:{name}")
        ok = np.isfinite(data[["x0", "x1", "x3"]].to_numpy()).all(1)
        want = least_hashed(len(data), key, 150, ok)
        expected = data.loc[want, ["x0", "x1", "x3", "kind"]].reset_index(drop=True)
        for sides in seen:
            got = sides[side]
            pd.testing.assert_frame_equal(got.frame, expected)
            assert (got.eligible, got.rows) == (int(ok.sum()), len(data))
    assert seen[0][1].eligible == 696


def test_the_two_sides_are_drawn_with_different_keys():
    same = frame(2_000, 3)
    ctx = context(same, same)
    ref, cur = draw_sides(ctx, MultivariateDriftParams(max_rows=100))
    assert not ref.frame.equals(cur.frame)  # independent samples of the same data


def test_the_fold_functions_pickle_for_the_workers():
    spec = DriftFold("features", ("x0",), frozenset({"kind"}), False)
    keep = pickle.loads(pickle.dumps(KeepSample(5, 10, spec, False)))
    assert keep == KeepSample(5, 10, spec, False)
    assert pickle.loads(pickle.dumps(MergeSample(10))).size == 10


def test_pooled_encoding_matches_scikit_learn_and_is_symmetric():
    a, b = frame(200, 4)[["x0", "x1", "kind"]], frame(150, 5, 0.5)[["x0", "x1", "kind"]]
    xa, xb, names = encode_pooled(a, b, set())
    pooled = pd.concat([a, b], ignore_index=True)
    scaled = StandardScaler().fit_transform(pooled[["x0", "x1"]])
    np.testing.assert_allclose(np.vstack([xa, xb])[:, :2], scaled, rtol=1e-12, atol=1e-12)
    assert names == ["x0", "x1", "kind=a", "kind=b", "kind=c"]  # by pooled frequency
    onehot = pd.get_dummies(pooled["kind"]).to_numpy(dtype=float)
    np.testing.assert_array_equal(np.vstack([xa, xb])[:, 2:], onehot)
    # the same rule whichever side is called the reference: exchangeable under H0
    yb, ya, _ = encode_pooled(b, a, set())
    np.testing.assert_allclose(ya, xa, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(yb, xb, rtol=1e-12, atol=1e-12)


def test_pca_is_fitted_on_the_pooled_sample():
    ref, cur = frame(400, 6), frame(400, 7, 0.3)
    cols = ["x0", "x1", "x2", "x3"]
    ctx = context(ref, cur)
    r = MULTIVARIATE_DRIFT(ctx, columns=cols, pca=2, n_permutations=50, max_rows=300)
    assert "PCA to 2 components fitted on the pooled sample" in r.method
    # the statistic of the same test on scikit-learn's PCA of the pooled standardised sample
    from mlgate.checks.drift.mmd import median_sigma, mmd2_unbiased

    s_ref, s_cur = draw_sides(ctx, MultivariateDriftParams(columns=cols, max_rows=300))
    pooled = pd.concat([s_ref.frame, s_cur.frame], ignore_index=True)
    z = PCA(2, svd_solver="full").fit_transform(StandardScaler().fit_transform(pooled))
    x, y = z[:300], z[300:]
    assert r.evidence["mmd2"] == pytest.approx(mmd2_unbiased(x, y, median_sigma(x, y)), rel=1e-6)


def test_encoder_sees_the_pooled_sample_and_must_keep_its_rows(tmp_path, monkeypatch):
    (tmp_path / "mmd_pool_enc.py").write_text(
        "import numpy as np\n"
        "SEEN = []\n"
        "def encode(frame):\n"
        "    SEEN.append(len(frame))\n"
        "    return frame[['x0', 'x1']].to_numpy()\n"
        "def short(frame):\n"
        "    return frame[['x0']].to_numpy()[1:]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import mmd_pool_enc

    ctx = context(frame(500, 8), frame(500, 9, 0.5))
    r = MULTIVARIATE_DRIFT(ctx, encoder="mmd_pool_enc:encode", max_rows=200)
    assert mmd_pool_enc.SEEN == [400] and r.status is Status.FAILED
    assert r.evidence["dimensions"] == 2 and "on the pooled sample" in r.method
    with pytest.raises(DataError, match=r"one row per row it is given \(400\)"):
        MULTIVARIATE_DRIFT(ctx, encoder="mmd_pool_enc:short", max_rows=200)


@pytest.mark.parametrize(("shift", "status"), [(0.0, Status.PASSED), (0.3, Status.FAILED)])
def test_same_verdict_for_any_batching(shift, status):
    ref, cur = frame(3_000, 10), frame(2_500, 11, shift)
    results = []
    for batch_rows in (None, 128, 1_001):
        ctx = context(ref, cur)
        ctx.batch_rows = batch_rows
        results.append(MULTIVARIATE_DRIFT(ctx, max_rows=400, n_permutations=200))
    assert all(r.to_dict() == results[0].to_dict() for r in results)
    r = results[0]
    assert r.status is status
    assert r.evidence["rows_tested"] == [400, 400] and r.evidence["sampled"] is True
    assert r.evidence["rows_total"] == [3_000, 2_500]


def test_every_row_below_max_rows():
    r = MULTIVARIATE_DRIFT(context(frame(120, 12), frame(90, 13)), n_permutations=50)
    assert r.evidence["rows_tested"] == [120, 90] and r.evidence["sampled"] is False
    assert "of every row" in r.method


@pytest.mark.slow
def test_healthy_data_rejection_rate_is_at_most_alpha():
    """No drift (4 numbers, one 3-level category, 2,000 vs 1,500 rows; 150-row samples, PCA to
    2 on the pooled sample): p ≤ 0.05 in at most α + 3 MC standard errors of 400 seeds."""
    runs, alarms = 400, 0
    for seed in range(runs):
        ctx = context(frame(2_000, 1_000 + seed), frame(1_500, 2_000 + seed), seed=seed)
        r = MULTIVARIATE_DRIFT(
            ctx, max_rows=150, pca=2, n_permutations=99, rule="significance", device="cpu"
        )
        alarms += r.evidence["p_value"] <= 0.05
    assert alarms / runs <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / runs), f"{alarms} of {runs}"


def isotropic(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng([7, seed])
    data = pd.DataFrame(rng.normal(size=(n, 20)), columns=[f"x{j}" for j in range(20)])
    return data.assign(y=(data["x0"] > 0).astype(int))


@pytest.mark.slow
def test_pca_on_the_pooled_sample_keeps_the_level_where_a_reference_fit_does_not():
    """20 isotropic dimensions, 60-row samples, PCA to 2. Fitted on the pooled sample (the
    check), p ≤ 0.05 in at most α + 3 MC standard errors of 200 seeds. Fitted on the reference
    sample alone (the components chase the reference's chance variance, so the reference looks
    more spread than the current rows), the same test rejects most healthy runs."""
    from mlgate.checks.drift.mmd import mmd_test

    runs, pooled, reference_fit = 200, 0, 0
    for seed in range(runs):
        ctx = context(isotropic(500, 2 * seed), isotropic(500, 2 * seed + 1), seed=seed)
        r = MULTIVARIATE_DRIFT(
            ctx, max_rows=60, pca=2, n_permutations=99, rule="significance", device="cpu"
        )
        pooled += r.evidence["p_value"] <= 0.05
        ref, cur = draw_sides(ctx, MultivariateDriftParams(max_rows=60))
        fit = PCA(2, random_state=0).fit(ref.frame.to_numpy())
        xr, xc = fit.transform(ref.frame.to_numpy()), fit.transform(cur.frame.to_numpy())
        rng = np.random.default_rng(seed)
        reference_fit += mmd_test(xr, xc, rng=rng, n_permutations=99, device="cpu").p_value <= 0.05
    assert pooled / runs <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / runs), f"{pooled} of {runs}"
    assert reference_fit / runs >= 0.5, f"{reference_fit} of {runs}"
