"""Issue 15: the ``calibration`` check at its defaults (P(y = 1) ECE for a binary task, 15
equal-width bins, percentile bootstrap of 1,000, strict rule) on seeded calibrated scorers
rarely holds them, and still catches a miscalibrated one.

Healthy: a known-calibrated scorer, P(y = 1) = σ(z) with z ~ N(0, 1.5²), judged on 4,000
rows against ``max_ece: 0.05``; its ECE is finite-sample noise only (≈ 0.02). Defect: the
same scores shifted by +0.5 on the log-odds scale, P̂ = σ(z + 0.5): a true P(y = 1) ECE of
≈ 0.087 (0.0872 on 2,000,000 rows).

A run *holds* when the status is not ``passed`` (an inconclusive check holds its stage by
default). The false-hold bound is 5% plus a one-sided 99% binomial margin:
``binom.ppf(0.99, runs, 0.05)`` runs, 11 of 100 (a check whose true false-hold rate is 5%
exceeds it with probability 0.4%). Figures are in docs/benchmarks.md ("Defaults on healthy
models").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from scipy.stats import binom

from mlgate.checks.calibration.checks import CALIBRATION
from mlgate.core.context import GateContext
from mlgate.core.result import Status


def data(seed: int, n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.5, n)
    return pd.DataFrame({"z": z, "y": (rng.random(n) < expit(z)).astype(int)})


def scorer(shift: float):
    def predict(X: pd.DataFrame) -> np.ndarray:
        p = expit(X["z"].to_numpy() + shift)
        return np.column_stack([1.0 - p, p])

    return predict


def run(seed: int, shift: float = 0.0, **params):
    ctx = GateContext.from_objects(
        models={"candidate": scorer(shift)},
        datasets={"evaluation": data(seed)},
        task="binary",
        label="y",
        seed=seed,
    )
    return CALIBRATION(ctx, max_ece=0.05, **params)


def false_hold_limit(runs: int) -> int:
    return int(binom.ppf(0.99, runs, 0.05))


@pytest.mark.parametrize("runs", [pytest.param(100, marks=pytest.mark.slow), 10])
def test_calibration_defaults_rarely_hold_a_calibrated_scorer_and_catch_a_shifted_one(runs):
    healthy = [run(seed) for seed in range(runs)]
    assert all(r.evidence["kind"] == "positive" for r in healthy)
    held = sum(r.status is not Status.PASSED for r in healthy)
    assert held <= false_hold_limit(runs), held
    defect = [run(seed, shift=0.5) for seed in range(runs)]
    caught = sum(r.status is not Status.PASSED for r in defect)
    assert caught >= 0.8 * runs, caught
    assert np.mean([r.value for r in defect]) == pytest.approx(0.0872, abs=0.01)
