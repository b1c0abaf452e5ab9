"""The Poisson bootstrap (mlgate.stats.poisson): counter-based weights that do not depend on
how rows are split, mergeable per-resample states, and intervals as good as the multinomial
bootstrap's on data whose true value is known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mlgate.stats.evaluate import estimate
from mlgate.stats.metrics import get_metric
from mlgate.stats.poisson import (
    PoissonBootstrap,
    PoissonFold,
    SeenLabels,
    poisson_estimate,
    poisson_weights,
    splitmix64_at,
    stream_key,
)

MASK = (1 << 64) - 1


def reference_splitmix64(seed: int, n: int) -> list[int]:
    """Vigna's splitmix64.c, one output at a time, in Python integers (an independent
    reference: no NumPy, no vectorised positions)."""
    out, x = [], seed
    for _ in range(n):
        x = (x + 0x9E3779B97F4A7C15) & MASK
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        out.append(z ^ (z >> 31))
    return out


def test_the_generator_is_splitmix64_read_at_any_position():
    # The published outputs for seed 1234567, then positions far apart against the reference.
    assert splitmix64_at(1234567, np.arange(5)).tolist() == [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ]
    key = stream_key(3, "check")
    ref = reference_splitmix64(key, 300)
    positions = np.array([0, 17, 131, 299])
    assert splitmix64_at(key, positions).tolist() == [ref[i] for i in positions]


def test_a_rows_weights_depend_on_its_id_alone():
    key = stream_key(0, "accuracy")
    rows = np.arange(1000)
    whole = poisson_weights(key, rows, np.arange(50))
    # Rows in another order, in pieces, and resamples in pieces: the same weights.
    shuffled = np.random.default_rng(1).permutation(rows)
    assert (poisson_weights(key, shuffled, np.arange(50)) == whole[shuffled]).all()
    assert (poisson_weights(key, rows[300:400], np.arange(50)) == whole[300:400]).all()
    assert (poisson_weights(key, rows, np.arange(20, 50)) == whole[:, 20:]).all()
    # Another seed or check: other weights.
    assert (poisson_weights(stream_key(1, "accuracy"), rows, np.arange(50)) != whole).any()


def test_weights_are_poisson_1():
    w = poisson_weights(stream_key(0, "dist"), np.arange(20_000), np.arange(10)).ravel()
    assert abs(w.mean() - 1.0) < 0.01 and abs(w.var() - 1.0) < 0.02
    # Goodness of fit against Poisson(1) over 0..5 and the tail 6+.
    observed = np.bincount(np.minimum(w, 6), minlength=7)
    expected = stats.poisson.pmf(np.arange(6), 1.0)
    expected = np.append(expected, 1.0 - expected.sum()) * len(w)
    assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_weights_refuse_ids_outside_the_counter():
    with pytest.raises(ValueError, match="row ids"):
        poisson_weights(1, [-1], [0])
    with pytest.raises(ValueError, match="resamples"):
        poisson_weights(1, [0], [1 << 17])


def _data(n=500, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    pred = np.where(rng.random(n) < 0.8, y, 1 - y)
    return y, pred


@pytest.mark.parametrize("splits", [[], [250], [1, 2, 3, 100, 499], list(range(10, 500, 10))])
def test_the_interval_is_identical_however_the_rows_are_partitioned(splits):
    y, pred = _data()
    key = stream_key(0, "metric_threshold:accuracy")
    whole = PoissonBootstrap("accuracy", 2, n_resamples=200, key=key)
    whole.update(np.arange(len(y)), y, pred)
    parts = []
    for rows in np.split(np.arange(len(y)), splits):
        part = PoissonBootstrap("accuracy", 2, n_resamples=200, key=key)
        parts.append(part.update(rows, y[rows], pred[rows]))
    merged = parts[0]
    for part in reversed(parts[1:]):  # merged in another order than the rows'
        merged = part.merge(merged)
    assert merged.n_rows == len(y)
    assert (merged.values() == whole.values()).all()
    assert poisson_estimate(merged) == poisson_estimate(whole)


def test_a_float_metric_agrees_across_partitionings_to_rounding():
    rng = np.random.default_rng(2)
    y = rng.normal(size=400)
    out = y + rng.normal(scale=0.5, size=400)
    key = stream_key(0, "rmse")
    whole = PoissonBootstrap("rmse", 0, n_resamples=100, key=key).update(np.arange(400), y, out)
    a = PoissonBootstrap("rmse", 0, n_resamples=100, key=key)
    a.update(np.arange(150), y[:150], out[:150])
    b = PoissonBootstrap("rmse", 0, n_resamples=100, key=key)
    b.update(np.arange(150, 400), y[150:], out[150:])
    np.testing.assert_allclose(a.merge(b).values(), whole.values(), rtol=1e-12)


def test_merging_unlike_bootstraps_is_refused():
    a = PoissonBootstrap("accuracy", 2, n_resamples=10, key=1)
    with pytest.raises(TypeError, match="cannot merge"):
        a.merge(PoissonBootstrap("accuracy", 2, n_resamples=10, key=2))
    with pytest.raises(TypeError, match="cannot merge"):
        a.merge(PoissonBootstrap("accuracy", 2, n_resamples=11, key=1))


def test_the_estimate_is_the_metric_of_all_rows_with_a_percentile_interval():
    y, pred = _data()
    boot = PoissonBootstrap("accuracy", 2, n_resamples=400, key=5).update(np.arange(500), y, pred)
    est = poisson_estimate(boot, level=0.9)
    assert est.value == pytest.approx(np.mean(y == pred))
    assert est.n == 500 and est.n_resamples == 400 and est.n_undefined == 0
    values = boot.values()
    assert est.interval.low == pytest.approx(np.quantile(values, 0.05))
    assert est.interval.high == pytest.approx(np.quantile(values, 0.95))
    assert est.interval.method == "poisson-bootstrap-percentile"


def test_a_degenerate_interval_falls_back_like_the_multinomial_bootstrap():
    y = np.array([1, 0, 1, 1, 0])
    boot = PoissonBootstrap("accuracy", 2, n_resamples=50, key=1).update(np.arange(5), y, y)
    est = poisson_estimate(boot)
    multinomial = estimate(get_metric("accuracy"), y, y, 2, rng=np.random.default_rng(0))
    assert est.interval == multinomial.interval  # Wilson's, for 5 right of 5
    assert est.interval.method == "wilson" and est.interval.high == 1.0


def test_undefined_resamples_are_counted_not_scored():
    # ROC AUC of 6 rows: some resamples draw one class only.
    y = np.array([0, 0, 0, 1, 1, 1])
    scores = np.column_stack([1 - np.linspace(0.1, 0.9, 6), np.linspace(0.1, 0.9, 6)])
    boot = PoissonBootstrap("roc_auc", 2, n_resamples=300, key=9).update(np.arange(6), y, scores)
    est = poisson_estimate(boot)
    assert 0 < est.n_undefined < 300
    assert np.isnan(boot.values()).sum() == est.n_undefined


class _Preds:
    def __init__(self, labels=None, scores=None, classes=None):
        self.labels, self.scores, self.classes, self.values = labels, scores, classes, None


class _Batch:
    def __init__(self, start, y, preds):
        self.start, self.stop, self.y, self.predictions = start, start + len(y), y, preds

    def __len__(self):
        return self.stop - self.start


def test_the_fold_encodes_every_batch_with_the_same_classes():
    # A model that gives labels only: the second batch alone shows one class.
    y = np.array(["no", "yes", "yes", "no", "no", "no"])
    batches = [_Batch(0, y[:3], _Preds(labels=y[:3])), _Batch(3, y[3:], _Preds(labels=y[3:]))]
    seen = SeenLabels.of(batches[0]).merge(SeenLabels.of(batches[1]))
    classes = seen.resolve(binary=True)
    assert classes == ("no", "yes")
    fold = PoissonFold("recall", 2, classes, n_resamples=20, key=3)
    merged = fold(batches[0]).merge(fold(batches[1]))
    assert merged.value() == 1.0
    whole = fold(_Batch(0, y, _Preds(labels=y)))
    assert (merged.values() == whole.values()).all()


def test_the_fold_refuses_a_label_outside_the_classes():
    from mlgate.core.errors import DataError

    fold = PoissonFold("accuracy", 2, ("a", "b"), n_resamples=5, key=1, dataset="evaluation")
    with pytest.raises(DataError, match="'c'"):
        fold(_Batch(0, np.array(["a", "c"]), _Preds(labels=np.array(["a", "a"]))))


@pytest.mark.slow
def test_coverage_matches_the_multinomial_bootstrap_on_a_known_value():
    """Accuracy of a model that is right with probability 0.8: over 300 datasets of 200 rows,
    the 90% Poisson interval covers 0.8 about as often as the multinomial one, and both about
    90% of the time (the Poisson bootstrap is the multinomial's large-n limit: Hanley &
    MacGibbon 2006)."""
    true, level, trials, n = 0.8, 0.9, 300, 200
    metric = get_metric("accuracy")
    covered = {"poisson": 0, "multinomial": 0}
    for t in range(trials):
        rng = np.random.default_rng(1000 + t)
        y = rng.integers(0, 2, n)
        pred = np.where(rng.random(n) < true, y, 1 - y)
        boot = PoissonBootstrap("accuracy", 2, n_resamples=400, key=stream_key(t, "cov"))
        ci = poisson_estimate(boot.update(np.arange(n), y, pred), level=level).interval
        covered["poisson"] += ci.low <= true <= ci.high
        multi = estimate(metric, y, pred, 2, level=level, rng=rng, n_resamples=400).interval
        covered["multinomial"] += multi.low <= true <= multi.high
    rate = {k: v / trials for k, v in covered.items()}
    # 3 binomial standard errors of a 90% coverage over 300 trials: ±0.052.
    assert abs(rate["poisson"] - level) < 0.052, rate
    assert abs(rate["poisson"] - rate["multinomial"]) < 0.04, rate
