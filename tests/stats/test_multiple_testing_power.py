"""Multiple-testing corrections (hand-computed Holm / Bonferroni, SciPy's BH) and the
sample-size estimate (a textbook case)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import false_discovery_control

from mlgate.stats.multiple_testing import adjust
from mlgate.stats.power import required_rows

P = [0.01, 0.04, 0.03, 0.005]


def test_holm_on_a_hand_computed_case():
    # Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06.
    np.testing.assert_allclose(adjust(P, "holm"), [0.03, 0.06, 0.06, 0.02])


def test_bonferroni_multiplies_by_the_number_of_tests_capped_at_one():
    np.testing.assert_allclose(adjust([*P, 0.5], "bonferroni"), [0.05, 0.2, 0.15, 0.025, 1.0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_benjamini_hochberg_matches_scipy(seed):
    p = np.random.default_rng(seed).random(12) ** 3
    np.testing.assert_allclose(adjust(p, "bh"), false_discovery_control(p, method="bh"))


def test_holm_is_never_above_bonferroni_and_never_below_the_raw_p():
    p = np.random.default_rng(3).random(20) ** 2
    holm, bonf = adjust(p, "holm"), adjust(p, "bonferroni")
    assert (holm <= bonf + 1e-15).all() and (holm >= p).all()


def test_none_and_bad_input():
    np.testing.assert_array_equal(adjust(P, "none"), P)
    with pytest.raises(ValueError, match="unknown correction 'sidak'"):
        adjust(P, "sidak")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust([0.1, 1.2])


def test_sample_size_textbook_case():
    # One-sided α = 0.025, power 0.8, σ = 1, difference 0.5:
    # n = ((1.95996 + 0.84162) / 0.5)² = 31.4 -> 32 rows.
    se_at_100 = 1 / np.sqrt(100)
    n = required_rows(se=se_at_100, n=100, difference=0.5, boundary=0.0, alpha=0.025, power=0.8)
    assert n == 32


def test_sample_size_grows_as_the_difference_nears_the_boundary():
    kw = {"se": 0.01, "n": 1000, "boundary": -0.02, "alpha": 0.025}
    sizes = [required_rows(difference=d, **kw) for d in (0.02, 0.0, -0.01, -0.015)]
    assert sizes == sorted(sizes)
    assert required_rows(difference=-0.02, **kw) is None  # on the boundary: never decided


def test_an_uncertainty_more_rows_cannot_shrink():
    kw = {"se": 0.01, "n": 1000, "difference": 0.0, "boundary": -0.02, "alpha": 0.025}
    base = required_rows(**kw)
    assert required_rows(**kw, se_fixed=0.003) > base
    assert required_rows(**kw, se_fixed=0.01) is None  # (0.02 / 2.8)² < 0.01²


@pytest.mark.parametrize("bad", [{"alpha": 0.0}, {"power": 1.0}])
def test_sample_size_rejects_levels_outside_zero_one(bad):
    kw = {"se": 0.1, "n": 10, "difference": 0.1, "boundary": 0.0, "alpha": 0.05, "power": 0.8}
    with pytest.raises(ValueError, match=r"in \(0, 1\)"):
        required_rows(**{**kw, **bad})
