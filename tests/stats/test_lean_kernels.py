"""Lean resampling kernels (issue 16): packed-bit means without a dense weight block, and paired
statistics without a gather when the joint cells map one to one. Each equals the general
kernel on the same resamples."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from mlgate.stats import resampling
from mlgate.stats.bootstrap import bootstrap_values
from mlgate.stats.cells import CellStatistic, packed_sum_kernel
from mlgate.stats.losses import mean_loss_statistic
from mlgate.stats.paired import paired_difference


@pytest.mark.parametrize("n", [1, 7, 8, 13, 1_000, 20_001])
def test_packed_mean_equals_the_dense_weighted_mean(n):
    rng = np.random.default_rng(n)
    values = rng.exponential(size=n)
    bits = resampling.random_bits(rng, n, 40)
    weights = 2.0 * np.unpackbits(bits, axis=1, count=n, bitorder="little")
    with np.errstate(invalid="ignore", divide="ignore"):
        dense = (weights @ values) / weights.sum(axis=1)
    fast = packed_sum_kernel(values)(bits)
    np.testing.assert_allclose(fast, dense, rtol=1e-12, atol=0)
    # the random padding bits past the last row are ignored, and no kept row gives NaN
    none = packed_sum_kernel(values)(np.zeros_like(bits))
    assert np.isnan(none).all()


def test_log_loss_bootstrap_with_packed_bits_equals_the_dense_bootstrap():
    losses = np.random.default_rng(0).exponential(size=5_003)
    stat = mean_loss_statistic("log_loss", losses)
    assert stat.batch_bits is not None
    dense_stat = replace(stat, batch_bits=None)
    fast, how = bootstrap_values(
        stat, rng=np.random.default_rng(1), n_resamples=300, scheme="double_or_nothing"
    )
    dense, _ = bootstrap_values(
        dense_stat, rng=np.random.default_rng(1), n_resamples=300, scheme="double_or_nothing"
    )
    assert how == "double-or-nothing"
    np.testing.assert_allclose(fast, dense, rtol=1e-12)


def permuted_cells(losses: np.ndarray, row_cell: np.ndarray) -> CellStatistic:
    """The mean of ``losses`` with row i in cell ``row_cell[i]`` (one row per cell)."""
    in_cell = np.empty_like(losses)
    in_cell[row_cell] = losses

    def batch(w: np.ndarray) -> np.ndarray:
        return (w @ in_cell) / w.sum(axis=1)

    return CellStatistic("permuted", np.ones(len(losses)), row_cell.astype(np.intp), batch)


def _reference_paired(a: CellStatistic, b: CellStatistic, w: np.ndarray) -> np.ndarray:
    """The general gather, as written before the lean paths: a weighted bincount per side."""
    keys = a.row_cell.astype(np.int64) * b.n_cells + b.row_cell
    joint = np.unique(keys)
    out = []
    for stat, to in ((a, joint // b.n_cells), (b, joint % b.n_cells)):
        idx = to[None, :] + (np.arange(len(w)) * stat.n_cells)[:, None]
        summed = np.bincount(idx.ravel(), weights=w.ravel(), minlength=len(w) * stat.n_cells)
        out.append(stat.batch(summed.reshape(-1, stat.n_cells)))
    return out[0] - out[1]


@pytest.mark.parametrize(
    ("loss_a", "loss_b"),
    [
        # every row its own cell on both sides: identity, no gather
        (np.linspace(0.1, 2.0, 400), np.linspace(0.2, 1.0, 400) ** 2),
        # a few distinct losses on one side: shared cells, the general gather
        (np.tile([0.1, 0.5, 2.0, 0.3], 100), np.linspace(0.2, 1.0, 400)),
        # one row per cell, but a's cells in another order than the rows: a permutation
        (np.linspace(0.1, 2.0, 400)[::-1], np.linspace(0.2, 1.0, 400) ** 2),
    ],
    ids=["identity", "shared-cells", "permutation"],
)
def test_paired_difference_equals_the_general_gather(request, loss_a, loss_b):
    a = mean_loss_statistic("a", loss_a)
    if request.node.callspec.id == "permutation":
        a = permuted_cells(loss_a, np.random.default_rng(4).permutation(len(loss_a)))
    b = mean_loss_statistic("b", loss_b)
    pair = paired_difference(a, b)
    w = np.random.default_rng(2).poisson(1.0, size=(25, pair.n_cells)).astype(float)
    np.testing.assert_allclose(pair.batch(w), _reference_paired(a, b, w), rtol=1e-12)
    assert pair.value == pytest.approx(loss_a.mean() - loss_b.mean(), rel=1e-12)


def test_paired_packed_bits_equal_the_dense_paired_bootstrap():
    rng = np.random.default_rng(3)
    a = mean_loss_statistic("a", rng.exponential(size=3_001))
    b = mean_loss_statistic("b", rng.exponential(size=3_001))
    pair = paired_difference(a, b)
    assert pair.batch_bits is not None
    fast, _ = bootstrap_values(
        pair, rng=np.random.default_rng(5), n_resamples=200, scheme="double_or_nothing"
    )
    dense, _ = bootstrap_values(
        replace(pair, batch_bits=None),
        rng=np.random.default_rng(5),
        n_resamples=200,
        scheme="double_or_nothing",
    )
    np.testing.assert_allclose(fast, dense, rtol=1e-10, atol=1e-13)
