"""The ROC AUC cell kernel (``ranking.cell_auc_kernel``) on tied scores.

Boosted-tree scores tie, so the packed-bit kernel (one row per cell) does not apply and every
resample goes through ``batch``. The kernel must give the numbers of the group form it
replaced (``auc_batch`` over per-score sums) bit for bit on whole-number bootstrap weights, so
intervals do not move, and must agree with scikit-learn's weighted ``roc_auc_score``.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from mlgate.stats import ranking
from mlgate.stats.bootstrap import bootstrap_interval
from mlgate.stats.evaluate import estimate
from mlgate.stats.metrics import get_metric


def group_form_auc(cells: ranking.SortedCells, w: np.ndarray) -> np.ndarray:
    """The implementation the kernel replaced, kept verbatim: per-score positive and negative
    sums by ``reduceat``, then U = Σ_g pos_g·(neg below g + ½ neg_g) / (P·N)."""
    pos, neg = w * cells.positive, w * ~cells.positive
    if cells.grouped:
        pos = np.add.reduceat(pos, cells.starts, axis=1)
        neg = np.add.reduceat(neg, cells.starts, axis=1)
    below = np.cumsum(neg, axis=-1) - neg
    u = np.sum(pos * (below + 0.5 * neg), axis=-1)
    den = pos.sum(axis=-1) * neg.sum(axis=-1)
    out = np.full(len(w), np.nan)
    np.divide(u, den, out=out, where=den != 0)
    return out


def data(kind: str, n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    score = 1.0 / (1.0 + np.exp(-(1.2 * y + rng.normal(0.0, 1.0, n))))
    if kind == "heavy_ties":
        score = np.round(score, 2)
    elif kind == "some_ties":
        score[: n // 10] = np.round(score[: n // 10], 3)
    elif kind == "all_tied":
        score = np.full(n, 0.25)
    return y, np.column_stack([1.0 - score, score])


def cell_view(y, scores):
    """The statistic, its sorted cells, and each cell's score and label (from one of its rows)."""
    stat = get_metric("roc_auc").statistic(y, scores, 2)
    cells = ranking.SortedCells.build(y == 1, scores[:, 1])
    first_row = np.zeros(len(cells.counts), dtype=np.intp)
    first_row[cells.row_cell[::-1]] = np.arange(len(y))[::-1]
    return stat, cells, scores[first_row, 1], y[first_row]


def integer_weights(rng, cells, size: int) -> np.ndarray:
    """Whole-number weights like the bootstrap's: 2·Binomial(c, ½) per cell of c rows."""
    return 2.0 * rng.binomial(cells.counts.astype(np.int64), 0.5, (size, len(cells.counts)))


@pytest.mark.parametrize("kind", ["heavy_ties", "some_ties", "no_ties", "all_tied"])
def test_kernel_equals_group_form_bit_for_bit(kind):
    y, scores = data(kind)
    stat, cells, _, _ = cell_view(y, scores)
    assert (stat.counts == cells.counts).all()
    w = integer_weights(np.random.default_rng(1), cells, 40)
    w = np.vstack([cells.counts[None, :], w])
    new, old = stat.batch(w), group_form_auc(cells, w)
    np.testing.assert_array_equal(new, old)
    if kind == "all_tied":
        np.testing.assert_array_equal(new[~np.isnan(new)], 0.5)
    if kind == "heavy_ties":
        assert len(cells.starts) < 120 < len(cells.counts)  # really tied, in both classes


@pytest.mark.parametrize("kind", ["heavy_ties", "no_ties"])
def test_kernel_matches_group_form_on_fractional_weights(kind):
    y, scores = data(kind)
    stat, cells, _, _ = cell_view(y, scores)
    w = np.random.default_rng(2).gamma(1.0, 1.0, (25, len(cells.counts)))
    np.testing.assert_allclose(stat.batch(w), group_form_auc(cells, w), rtol=1e-12, atol=0)


def test_resample_without_a_class_is_undefined():
    y, scores = data("heavy_ties")
    stat, cells, _, _ = cell_view(y, scores)
    w = np.tile(cells.counts, (4, 1))
    w[0, cells.positive] = 0.0  # no positives
    w[1, ~cells.positive] = 0.0  # no negatives
    w[2] = 0.0  # nothing at all
    out = stat.batch(w)
    assert np.isnan(out[:3]).all()
    assert out[3] == pytest.approx(roc_auc_score(y, scores[:, 1]), abs=1e-12)


@pytest.mark.parametrize("kind", ["heavy_ties", "some_ties", "all_tied"])
def test_kernel_against_sklearn_weighted_auc(kind):
    y, scores = data(kind, n=1500, seed=3)
    stat, cells, cell_score, cell_label = cell_view(y, scores)
    rng = np.random.default_rng(4)
    weights = np.vstack(
        [integer_weights(rng, cells, 3), rng.gamma(1.0, 1.0, (3, len(cells.counts)))]
    )
    for w, value in zip(weights, stat.batch(weights), strict=True):
        expected = roc_auc_score(cell_label, cell_score, sample_weight=w)
        assert value == pytest.approx(expected, rel=1e-12, abs=1e-12)


def _old_kernel(cells):
    return lambda w: group_form_auc(cells, w)


@pytest.mark.parametrize("scheme", ["multinomial", "double_or_nothing"])
def test_bootstrap_values_unchanged(monkeypatch, scheme):
    """Same generator, same draws, same resample values as with the group form."""
    y, scores = data("some_ties", n=4000, seed=5)
    stat = get_metric("roc_auc").statistic(y, scores, 2)
    assert (stat.counts > 1).any()  # the packed-bit kernel is not used
    new = bootstrap_interval(
        stat, rng=np.random.default_rng(9), n_resamples=200, scheme=scheme, method="bca"
    )
    monkeypatch.setattr(ranking, "cell_auc_kernel", _old_kernel)
    old_stat = get_metric("roc_auc").statistic(y, scores, 2)
    old = bootstrap_interval(
        old_stat, rng=np.random.default_rng(9), n_resamples=200, scheme=scheme, method="bca"
    )
    np.testing.assert_array_equal(new.values, old.values)
    assert new.interval == old.interval and new.scheme == old.scheme


def test_estimate_interval_unchanged_on_tied_scores(monkeypatch):
    """The public entry point metric_threshold uses: the same interval, to the last bit."""
    y, scores = data("heavy_ties", n=6000, seed=6)
    metric = get_metric("roc_auc")
    new = estimate(metric, y, scores, 2, rng=np.random.default_rng(11), n_resamples=300)
    monkeypatch.setattr(ranking, "cell_auc_kernel", _old_kernel)
    old = estimate(metric, y, scores, 2, rng=np.random.default_rng(11), n_resamples=300)
    assert new.interval == old.interval and new.value == old.value
    assert new.interval.low < roc_auc_score(y, scores[:, 1]) < new.interval.high
