"""Magnitudes, not only flips (issue 15 item 5): perturbation and invariance report and judge
the mean and a quantile of |Δ score| (regression: |Δ prediction| in target sd units), and the
built-in ``scale`` transform."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from behavior_helpers import proba
from scipy import stats

from mlgate.checks.behavior.checks.invariance import INVARIANCE
from mlgate.checks.behavior.checks.perturbation import PERTURBATION
from mlgate.checks.behavior.transforms.registry import default_registry
from mlgate.core.context import GateContext
from mlgate.core.result import Status


def frame(n: int = 2_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.3, 0.3, n)
    group = rng.choice(["a", "b"], n)
    return pd.DataFrame({"x": x, "group": group, "y": (rng.random(n) < 0.5).astype(int)})


def shifted_by_group(delta: float):
    """P(y=1) = 0.7 + x / 2 + delta·[group == 'b']: swapping the group moves every score by
    exactly ``delta``; with |x| < 0.3 and delta ≤ 0.15 every score stays above 0.5 (no flip)."""

    def predict(X: pd.DataFrame) -> np.ndarray:
        p = 0.7 + 0.5 * X["x"].to_numpy() + delta * (X["group"].to_numpy() == "b")
        return proba(np.clip(p, 0, 1))

    return predict


def ctx_for(model, data: pd.DataFrame, task: str = "binary") -> GateContext:
    return GateContext.from_objects(
        models={"candidate": model},
        datasets={"evaluation": {"data": data, "sensitive": ["group"]}},
        task=task,
        label="y",
    )


def test_a_score_shift_without_flips_is_seen_and_judged():
    """The flip rate is 0 (passes), the mean |Δ score| is exactly 0.15: a bound of 0.1 fails,
    a bound of 0.2 passes."""
    data = frame()
    ctx = ctx_for(shifted_by_group(0.15), data)
    strict = INVARIANCE(ctx, max_flip_rate=0.05, max_mean_change=0.1)
    assert strict.value == 0.0  # no flip
    change = strict.evidence["score_change"]
    assert change["unit"] == "probability" and change["rows"] == len(data)
    assert change["mean"] == pytest.approx(0.15)
    assert strict.status is Status.FAILED
    assert "mean |Δ score| 0.15 probability" in strict.message
    loose = INVARIANCE(ctx, max_flip_rate=0.05, max_mean_change=0.2, max_change_quantile=0.2)
    assert loose.status is Status.PASSED
    assert loose.evidence["score_change"]["max_quantile"] == 0.2


def test_the_change_intervals_match_scipy():
    """Per-row mean |Δ| over variants: its mean gets SciPy's t interval, its quantile SciPy's
    order-statistic interval (quantile_test)."""
    data = frame(600, seed=1)
    r = PERTURBATION(
        ctx_for(shifted_by_group(0.0), data),
        max_mean_change=0.5,
        columns=["x"],
        variants=4,
        change_quantile=0.9,
        shrink=0,
    )
    change = r.evidence["score_change"]
    # noise of 0.1 × sd(x) on x moves p by half of it
    assert change["rows"] == 600 and change["quantile_level"] == 0.9
    low, high = change["mean_interval"]["low"], change["mean_interval"]["high"]
    assert low < change["mean"] < high
    sd = 0.5 * 0.1 * data["x"].std(ddof=0)
    assert change["mean"] == pytest.approx(sd * np.sqrt(2 / np.pi), rel=0.1)  # E|N(0, sd²)|
    assert change["quantile_interval"]["method"].startswith("order-statistic")


def test_order_statistic_interval_is_scipys():
    from mlgate.checks.behavior.magnitude import change_size
    from mlgate.checks.behavior.variants import VariantOutcome
    from mlgate.core.task import Task
    from mlgate.models.base import Predictions

    rng = np.random.default_rng(2)
    n = 300
    size = rng.exponential(size=n)
    outcome = VariantOutcome(
        n_rows=n,
        n_variants=1,
        rows=np.arange(n),
        changed=np.ones(n, bool),
        violation=np.zeros(n, bool),
        magnitude=size,
        perturbed=Predictions(task=Task.BINARY, labels=np.zeros(n, int)),
        model_calls=1,
        examples=(),
    )
    got = change_size(outcome, task=Task.BINARY, has_scores=True, spread=None, q=0.95, level=0.9)
    ci = stats.quantile_test(size, q=1.0, p=0.95).confidence_interval(0.9)
    t = stats.ttest_1samp(size, 0.0).confidence_interval(0.9)
    assert (got.quantile_interval.low, got.quantile_interval.high) == (ci.low, ci.high)
    assert (got.mean_interval.low, got.mean_interval.high) == pytest.approx((t.low, t.high))
    assert got.quantile == pytest.approx(np.quantile(size, 0.95))


def test_regression_change_is_in_target_sd_units():
    rng = np.random.default_rng(3)
    n = 1_000
    data = pd.DataFrame({"x": rng.normal(size=n), "group": rng.choice(["a", "b"], n)})
    data["y"] = 4.0 * rng.normal(size=n)  # target sd ≈ 4

    def model(X: pd.DataFrame) -> np.ndarray:
        return X["x"].to_numpy() + 2.0 * (X["group"].to_numpy() == "b")  # swap moves it by 2

    r = INVARIANCE(
        ctx_for(model, data, task="regression"),
        max_flip_rate=1.0,
        score_tolerance=0.1,
        max_mean_change=0.25,
    )
    change = r.evidence["score_change"]
    assert change["unit"] == "target sd"
    assert change["mean"] == pytest.approx(2.0 / data["y"].std(ddof=0), rel=1e-6)  # ≈ 0.5
    assert r.status is Status.FAILED  # 0.5 target sd > 0.25


def test_labels_only_models_report_no_change_size_and_a_bound_is_inconclusive():
    data = frame(500)

    def labels(X: pd.DataFrame) -> np.ndarray:
        return (X["x"].to_numpy() > 0).astype(int)

    r = INVARIANCE(ctx_for(labels, data), max_flip_rate=0.5, max_mean_change=0.1)
    assert "score_change" not in r.evidence
    assert r.status is Status.INCONCLUSIVE


def test_scale_multiplies_and_keeps_missing():
    t = default_registry().get("scale")
    X = pd.DataFrame({"a": [1, 2, None], "b": ["x", "y", "z"]})
    out = t(X, np.random.default_rng(0), columns=["a"], **t.validate_params({"factor": 1.5}))
    assert out["a"].tolist()[:2] == [1.5, 3.0] and np.isnan(out["a"].iloc[2])
    assert out["b"].tolist() == ["x", "y", "z"] and X["a"].tolist()[:2] == [1, 2]


def test_scale_in_a_directional_check():
    from mlgate.checks.behavior.checks.directional import DIRECTIONAL

    data = frame(400)
    data["x"] = data["x"].abs() + 0.01  # positive: × 1.2 increases it

    r = DIRECTIONAL(
        ctx_for(shifted_by_group(0.0), data),
        transform="scale",
        columns=["x"],
        params={"factor": 1.2},
        expect="increase",
        max_violation_rate=0.05,
    )
    assert r.status is Status.PASSED and r.value == 0.0


def test_noise_is_scaled_by_the_reference_sd_when_one_is_declared():
    """The gate declares a ``reference`` dataset (the training data, sd 2) while the
    evaluation data has sd 1: Gaussian noise of scale 0.1 has sd 0.2, not 0.1."""
    rng = np.random.default_rng(4)
    evaluation = pd.DataFrame({"x": rng.normal(0, 1, 3_000), "y": rng.integers(0, 2, 3_000)})
    reference = pd.DataFrame({"x": rng.normal(0, 2, 3_000), "y": rng.integers(0, 2, 3_000)})
    seen: list[np.ndarray] = []

    def model(X: pd.DataFrame) -> np.ndarray:
        seen.append(X["x"].to_numpy().copy())
        return proba(np.full(len(X), 0.6))

    def noise_sd(datasets: dict) -> float:
        seen.clear()
        ctx = GateContext.from_objects(
            models={"candidate": model}, datasets=datasets, task="binary", label="y"
        )
        PERTURBATION(ctx, max_flip_rate=0.5, variants=1, shrink=0)
        return float(np.std(seen[-1] - evaluation["x"].to_numpy()))

    assert noise_sd({"evaluation": evaluation}) == pytest.approx(0.1, rel=0.05)
    with_reference = {"evaluation": evaluation, "reference": reference}
    assert noise_sd(with_reference) == pytest.approx(0.1 * reference["x"].std(), rel=0.05)
