"""The data family's exact sums (``mean`` / ``sum`` / ``std`` statistics fold through
:class:`mlgate.stats.sketches.ExactSum`) on adversarial values, against ``fractions`` and
``math.fsum``: the sort-free bit-pattern binning must give exactly the sum, whatever the
magnitudes, the cancellations and the split."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from mlgate.stats.sketches import ExactMoments, ExactSum

TINY = [5e-324, -5e-324, 2.2250738585072014e-308, -2.225073858507201e-308, 1e-310, 1.5e-323]
HUGE = [1.7976931348623157e308, -1.7976931348623157e308, 1e308, 1e308, -1e308]


def cases() -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    spread = rng.normal(size=10_000) * 10.0 ** rng.integers(-320, 307, size=10_000)
    big = rng.normal(size=5000) * 1e300
    return [
        np.array(TINY + HUGE + [1.0, -1.0, 0.0, -0.0]),
        spread,  # every exponent, subnormals included
        np.concatenate([big, -big, [1e-300]]),  # total cancellation of huge values
        np.array([1e16, 1.0, -1e16]),
        np.array([-0.0]),
        np.array([]),
        (rng.random(3000) - 0.5) * 5e-320,  # subnormals only
        np.full(1000, 0.1),
    ]


@pytest.mark.parametrize("x", cases())
def test_exact_sum_is_the_fraction_sum_and_fsum(x):
    s = ExactSum().update(x)
    exact = sum((Fraction(v) for v in x.tolist()), Fraction(0))
    assert s.exact() == exact and s.value() == float(exact)
    try:
        assert s.value() == math.fsum(x.tolist())  # correctly rounded too
    except OverflowError:  # fsum's partials overflow on [max, -max, 1e308, ...]; not ours
        assert math.isfinite(s.value())
    assert 0 not in s.parts.values()  # no empty entries: equal sums, equal states


@pytest.mark.parametrize("x", cases())
def test_exact_sum_does_not_depend_on_the_split(x):
    one = ExactSum().update(x)
    for cuts in ([len(x) // 2], [1, len(x) // 3, len(x) - 1]):
        pieces = [ExactSum().update(p) for p in np.split(x, [c for c in cuts if c <= len(x)])]
        merged = pieces[0]
        for p in pieces[1:]:
            merged = merged.merge(p)
        assert merged == one
        rev = pieces[-1]
        for p in reversed(pieces[:-1]):
            rev = p.merge(rev)
        assert rev == one


def test_an_overflowing_total_and_non_finite_values_behave_as_before():
    over = ExactSum().update(np.full(3, 1.7976931348623157e308))
    assert over.exact() == 3 * Fraction(1.7976931348623157e308)
    with pytest.raises(OverflowError):
        over.value()
    assert ExactSum().update([1.7976931348623157e308] * 2 + [-1e308] * 2).value() == (
        float(2 * Fraction(1.7976931348623157e308) - 2 * Fraction(1e308))
    )
    for bad in (np.inf, -np.inf, np.nan):
        with pytest.raises(ValueError, match="finite"):
            ExactSum().update([1.0, bad])
    m = ExactMoments().update(np.array([1e200, -1e200, 3.0]))
    assert m.mean() == 1.0 and m.variance(ddof=1) == float("inf")


def test_strided_and_integer_input():
    a = np.random.default_rng(1).normal(size=(100, 3))
    assert ExactSum().update(a[:, 1]).exact() == sum(map(Fraction, a[:, 1].tolist()))
    assert ExactSum().update([1, 2, 3]).value() == 6.0
    assert ExactSum().update(np.array([0.5, 0.25], dtype=np.float32)).value() == 0.75
