"""Synthetic experiment logs with known effects, and contexts over them (shared by the tests of
this folder; the conftest exposes them as fixtures)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlgate.core.context import GateContext


def make_ab_log(
    n: int = 20_000,
    *,
    seed: int = 0,
    effect: float = 0.0,
    base: float = 0.10,
    share: float = 0.5,
    latency_shift: float = 0.0,
    revenue_effect: float = 0.0,
) -> pd.DataFrame:
    """One row per unit: ``arm``, ``converted`` (base rate + ``effect`` in treatment, raised by
    the pre-period count), ``pre_conversions`` (a CUPED covariate) and ``latency_ms`` (a
    guardrail, ``latency_shift`` higher in treatment), ``revenue`` (``revenue_effect`` higher in
    treatment) and ``pre_revenue`` (its pre-period, correlated about 0.8 with it)."""
    rng = np.random.default_rng(seed)
    treated = rng.random(n) < share
    pre = rng.poisson(1.0, n)
    p = np.clip(base + effect * treated + 0.04 * (pre - 1.0), 0.0, 1.0)
    pre_revenue = rng.gamma(2.0, 5.0, n)
    revenue = 0.9 * pre_revenue + rng.gamma(1.0, 5.0, n) + revenue_effect * treated
    return pd.DataFrame(
        {
            "unit_id": [f"u{seed}-{i}" for i in range(n)],
            "arm": np.where(treated, "treatment", "control"),
            "converted": (rng.random(n) < p).astype(int),
            "pre_conversions": pre,
            "latency_ms": rng.gamma(4.0, 25.0, n) + latency_shift * treated,
            "revenue": revenue,
            "pre_revenue": pre_revenue,
        }
    )


def make_ctx(**frames: pd.DataFrame) -> GateContext:
    """A context whose datasets are the given logs (the first is also ``evaluation``)."""
    first = next(iter(frames.values()))
    return GateContext.from_objects(
        models={"candidate": lambda X: np.zeros(len(X))},
        datasets={"evaluation": first, **frames},
        task="binary",
    )


def make_shadow_log(
    n: int = 5_000,
    *,
    seed: int = 0,
    agreement: float = 0.97,
    error_rate: float = 0.002,
    slowdown: float = 1.0,
) -> pd.DataFrame:
    """One row per request: both models' labels (they agree on about ``agreement`` of them) and
    scores, latencies (the candidate ``slowdown`` times the champion's), an error flag (its
    output is then missing) and a ``country`` slice."""
    rng = np.random.default_rng(seed)
    champion = rng.integers(0, 3, n)
    candidate = np.where(rng.random(n) < agreement, champion, (champion + 1) % 3)
    failed = rng.random(n) < error_rate
    score = rng.random(n)
    return pd.DataFrame(
        {
            "request_id": [f"r{seed}-{i}" for i in range(n)],
            "champion_output": champion,
            "candidate_output": pd.Series(candidate, dtype="Int64").mask(failed),
            "champion_score": score,
            "candidate_score": np.clip(score + rng.normal(0, 0.02, n), 0, 1),
            "candidate_failed": failed,
            "champion_ms": rng.gamma(5.0, 10.0, n),
            "candidate_ms": rng.gamma(5.0, 10.0, n) * slowdown,
            "country": rng.choice(["de", "fr", "us"], n, p=[0.5, 0.3, 0.2]),
        }
    )


def make_interleaving_log(
    n: int = 10_000,
    *,
    seed: int = 0,
    preference: float = 0.5,
    ties: float = 0.6,
) -> pd.DataFrame:
    """One row per impression of a team-draft interleaving experiment: ``ties`` of them end
    level (mostly no click, some one click each), the rest are won by the candidate with
    probability ``preference``; the winner gets 1–3 clicks of credit, the loser fewer."""
    rng = np.random.default_rng(seed)
    tied = rng.random(n) < ties
    won = rng.random(n) < preference
    level = np.where(rng.random(n) < 0.8, 0, 1)
    top = rng.integers(1, 4, n)
    low = rng.integers(0, top)  # below the winner's credit
    return pd.DataFrame(
        {
            "impression_id": [f"q{seed}-{i}" for i in range(n)],
            "candidate_credit": np.where(tied, level, np.where(won, top, low)),
            "champion_credit": np.where(tied, level, np.where(won, low, top)),
        }
    )
