"""Issue 15: the ``perturbation`` check at its defaults (Gaussian noise of 0.1 SD, 10 variants,
flips counted per variant, 95% interval, strict rule) on seeded healthy models rarely holds
them, and still catches a noise-sensitive model.

Healthy: a logistic regression fitted on 1,000 rows of four Gaussian features (the label's
log-odds 1.2a − 0.8b + 0.5c), judged on 1,000 fresh rows against ``max_flip_rate: 0.05``. Its
per-variant flip rate is arctan(0.1) / π ≈ 0.032 (any linear model under noise of 0.1 SD per
feature; the issue reports 2.7% for one variant); a row counted as flipped when any of 10
variants flips gives ≈ 0.12 (the issue: 9.0%), which the old default judged against 0.05.

Defect: a 15-nearest-neighbour classifier on the same rows (a jagged boundary): per-variant
flip rate ≈ 0.07 (0.05–0.09 across the seeds).

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
from scipy.stats import binom
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from mlgate.checks.behavior import perturbation_check
from mlgate.core.result import Status

FEATURES = ["a", "b", "c", "d"]


def data(seed: int, n: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=FEATURES)
    logit = 1.2 * frame["a"] - 0.8 * frame["b"] + 0.5 * frame["c"]
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def run(model, seed: int, **params):
    train = data(10_000 + seed)
    fitted = model.fit(train[FEATURES], train["y"])
    return perturbation_check(
        fitted,
        data(seed),
        task="binary",
        label="y",
        seed=seed,
        max_flip_rate=0.05,
        shrink=0,  # counterexamples only; the verdict does not depend on them
        **params,
    )


def false_hold_limit(runs: int) -> int:
    return int(binom.ppf(0.99, runs, 0.05))


@pytest.mark.parametrize("runs", [pytest.param(100, marks=pytest.mark.slow), 12])
def test_perturbation_defaults_rarely_hold_a_healthy_model_and_catch_a_jagged_one(runs):
    healthy = [run(LogisticRegression(), seed) for seed in range(runs)]
    held = sum(r.status is not Status.PASSED for r in healthy)
    assert held <= false_hold_limit(runs), held
    assert np.mean([r.value for r in healthy]) == pytest.approx(np.arctan(0.1) / np.pi, abs=0.004)
    defect = [run(KNeighborsClassifier(15), seed) for seed in range(runs)]
    caught = sum(r.status is not Status.PASSED for r in defect)
    assert caught >= 0.8 * runs, caught
    assert 0.06 < np.mean([r.value for r in defect]) < 0.085


@pytest.mark.slow
def test_the_old_any_variant_default_holds_most_healthy_models():
    """The rule the issue reports (a row flips if any of 10 variants flips): on the same
    healthy models it holds nearly every run, the reason the default changed."""
    runs = 100
    held = sum(
        run(LogisticRegression(), seed, flip="any_variant").status is not Status.PASSED
        for seed in range(runs)
    )
    assert held >= 90, held
