"""``confidence`` at a threshold folds batches (:mod:`mlgate.checks.calibration.confidence_fold`):
its counts are exact at any size, its curve is the in-memory curve while the confidences have
at most the sketch's capacity of distinct values and exact points of it above, and any split
of the rows gives the same state."""

from __future__ import annotations

import numpy as np
import pytest

from mlgate.checks.calibration.confidence import risk_coverage
from mlgate.checks.calibration.confidence_fold import ConfidenceState
from mlgate.stats.sketches import ValueSketch


def _state(conf, hit, t=0.7, capacity=1 << 16) -> ConfidenceState:
    shown = conf >= t
    return ConfidenceState(
        ValueSketch(capacity).update(conf),
        ValueSketch(capacity).update(conf[hit]),
        int(shown.sum()),
        int((hit & shown).sum()),
    )


@pytest.fixture
def rows():
    rng = np.random.default_rng(3)
    # Rounded to 3 decimals: many ties, as a tree model's leaf probabilities give.
    conf = np.round(rng.uniform(0.5, 1.0, 5_000), 3)
    hit = rng.uniform(size=len(conf)) < conf  # a calibrated model
    return conf, hit


def test_the_exact_state_gives_the_in_memory_curve_number_for_number(rows):
    conf, hit = rows
    state = _state(conf, hit)
    assert state.every.exact
    folded, direct = state.curve(), risk_coverage(conf, hit)
    for field in ("thresholds", "coverage", "accuracy", "covered", "correct"):
        np.testing.assert_array_equal(getattr(folded, field), getattr(direct, field))
    assert folded.n == direct.n == len(conf)


def test_a_sketched_curve_has_exact_points_of_the_curve(rows):
    rng = np.random.default_rng(4)
    conf = rng.uniform(0.5, 1.0, 20_000)  # every value distinct: far above the capacity
    hit = rng.uniform(size=len(conf)) < conf
    state = _state(conf, hit, capacity=64)
    assert not state.every.exact
    curve = state.curve()
    assert 2 <= len(curve.thresholds) <= 64
    for t, k, right in zip(curve.thresholds, curve.covered, curve.correct, strict=True):
        shown = conf >= t  # a brute-force count at each point's threshold
        assert k == shown.sum() and right == (hit & shown).sum()
    assert curve.covered[-1] == len(conf)


@pytest.mark.parametrize("capacity", [64, 1 << 16])
def test_any_split_in_any_order_gives_the_same_state(rows, capacity):
    conf, hit = rows
    whole = _state(conf, hit, capacity=capacity)
    cuts = np.sort(np.random.default_rng(5).choice(len(conf), 9, replace=False))
    pieces = [
        _state(c, h, capacity=capacity)
        for c, h in zip(*(np.split(a, cuts) for a in (conf, hit)), strict=True)
    ]
    forward = pieces[0]
    for piece in pieces[1:]:
        forward = forward.merge(piece)
    backward = pieces[-1]
    for piece in pieces[-2::-1]:
        backward = piece.merge(backward)
    for merged in (forward, backward):
        assert merged.every == whole.every and merged.right == whole.right
        assert (merged.covered, merged.correct) == (whole.covered, whole.correct)
        np.testing.assert_array_equal(merged.curve().accuracy, whole.curve().accuracy)
