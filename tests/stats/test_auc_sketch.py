"""The mergeable ROC AUC sketch: exact (to rounding) against scikit-learn while its sketches are
exact, within its stated bound when they are not, and the same however the rows are split."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from mlgate.stats.accumulators import UndefinedMetricError
from mlgate.stats.auc_sketch import AucSketch


def _data(n: int, seed: int, separation: float = 0.8):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    scores = 1.0 / (1.0 + np.exp(-(rng.normal(size=n) + separation * y)))
    return y, scores


def test_exact_sketches_give_scikit_learn_s_auc_with_ties():
    y, scores = _data(5000, 0)
    rounded = np.round(scores, 2)  # many ties
    est = AucSketch().update(y, rounded).compute()
    assert est.exact and est.max_error == 0.0
    assert est.auc == pytest.approx(roc_auc_score(y, rounded), abs=1e-12)
    assert (est.n_positive, est.n_negative) == (int(y.sum()), int((~y).sum()))


@pytest.mark.parametrize("capacity", [4096, 512, 64])
@pytest.mark.parametrize("separation", [0.0, 0.8, 3.0])
def test_a_sketched_auc_is_within_its_stated_bound(capacity, separation):
    y, scores = _data(40_000, 1, separation)
    est = AucSketch(capacity).update(y, scores).compute()
    truth = roc_auc_score(y, scores)
    assert not est.exact
    assert est.low - 1e-12 <= truth <= est.high + 1e-12
    assert abs(est.auc - truth) <= est.max_error + 1e-12
    if capacity == 4096:
        assert est.max_error < 1e-3  # fine buckets: a bound that matters little


def test_the_same_estimate_however_the_rows_are_split():
    y, scores = _data(20_000, 2)
    one = AucSketch(256).update(y, scores).compute()
    acc = AucSketch(256)
    for part in np.array_split(np.arange(len(y)), 13):
        acc = acc.merge(AucSketch(256).update(y[part], scores[part]))
    assert acc.compute() == one


def test_one_class_only_is_undefined_and_bad_input_is_refused():
    with pytest.raises(UndefinedMetricError):
        AucSketch().update(np.ones(5), np.linspace(0, 1, 5)).compute()
    with pytest.raises(ValueError, match="finite"):
        AucSketch().update([0, 1], [0.2, np.nan])
