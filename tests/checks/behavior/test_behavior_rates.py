"""The intervals and verdict rule of behavioral checks: rates get the kernel's Wilson interval
and are judged by ``Threshold.judge``; a metric drop gets a paired t interval (against SciPy);
several bounds combine with ``Status.worst``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlgate.checks.behavior import perturbation_check
from mlgate.checks.behavior.rates import paired_t_interval
from mlgate.core.result import Interval, Status, Threshold
from mlgate.stats.intervals import wilson_interval


def test_a_rate_interval_is_the_kernels_wilson_interval():
    """The family's own Wilson interval is gone: the flip rate's interval is the kernel's,
    method "wilson" (it was "Wilson score interval"; its ends may differ from the old copy's
    in the last bit, e.g. 2 flips of 3000 rows)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"z": rng.normal(size=600)})
    result = perturbation_check(
        lambda X: (X["z"] > 0).astype(int).to_numpy(), X, task="binary", max_flip_rate=0.05,
        shrink=0,
    )  # fmt: skip
    k = round(result.value * result.sample_size)
    assert result.interval == wilson_interval(k, result.sample_size, 0.95)
    assert result.interval.method == "wilson"


@pytest.mark.parametrize("level", [0.9, 0.95])
def test_paired_t_interval_matches_scipy(level):
    d = np.random.default_rng(3).normal(0.1, 1.0, size=40)
    ours = paired_t_interval(d, level)
    ref = stats.ttest_1samp(d, 0.0).confidence_interval(confidence_level=level)
    assert (ours.low, ours.high) == pytest.approx((ref.low, ref.high), abs=1e-12)


def test_paired_t_interval_of_equal_differences_is_a_point():
    ci = paired_t_interval(np.full(10, 0.25))
    assert (ci.low, ci.high) == (0.25, 0.25)


@pytest.mark.parametrize(
    ("low", "high", "status"),
    [
        (0.01, 0.04, Status.PASSED),
        (0.01, 0.05, Status.PASSED),
        (0.06, 0.09, Status.FAILED),
        (0.04, 0.06, Status.INCONCLUSIVE),
        (0.05, 0.06, Status.INCONCLUSIVE),
    ],
)
def test_a_rate_at_most_a_bound_is_judged_on_the_whole_interval(low, high, status):
    """The rule the family had (an upper end at the bound passes, a lower end at it does not
    fail) is the kernel's ``Threshold("<=", bound).judge``."""
    assert Threshold("<=", 0.05).judge(Interval(low, high, 0.95, "m")) is status


def test_every_bound_must_pass():
    P, F, I = Status.PASSED, Status.FAILED, Status.INCONCLUSIVE  # noqa: E741
    assert Status.worst([P, P]) is P
    assert Status.worst([P, I]) is I
    assert Status.worst([I, F]) is F
    assert Status.worst([]) is I
