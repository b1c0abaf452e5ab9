"""Seeded synthetic logs of a model's online stages, with known effects.

Each function returns a DataFrame the gate file declares as a dataset (``factory:
ab_logs:<function>``); ``python ab_logs.py OUT_DIR`` writes the same logs as CSV and Parquet
files, the shape a real deployment's logs would have (``path: logs/ab.parquet``).

- :func:`shadow_log`: one row per live request answered by both models; the candidate agrees
  with the champion on about 98% of them, fails 0.1% of them, and is about 5% slower.
- :func:`canary_log`: one row per user, 5% of them served by the candidate; it changes nothing
  (``latency_shift`` and ``error_shift`` plant a regression).
- :func:`ab_log`: one row per user split 50/50; the candidate raises conversion by ``effect``
  (2 points on 10% by default) and revenue by ``revenue_effect``, with pre-period covariates
  for CUPED; ``treatment_share`` other than 0.5 plants a broken split.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd


def candidate():
    """The model under test. Online stages judge its logs, not its predictions; the gate file
    still names it (and the offline stages would use it)."""
    return lambda X: np.zeros(len(X))


def shadow_log(n: int = 20_000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    champion = rng.choice(["approve", "review", "decline"], n, p=[0.7, 0.2, 0.1])
    flip = rng.random(n) < 0.02
    candidate = np.where(flip, np.where(champion == "approve", "review", "approve"), champion)
    failed = rng.random(n) < 0.001
    return pd.DataFrame(
        {
            "request_id": [f"req-{seed}-{i:07d}" for i in range(n)],
            "champion_output": champion,
            "candidate_output": pd.Series(candidate).mask(failed),
            "candidate_error": np.where(failed, "timeout", ""),
            "champion_ms": rng.gamma(6.0, 5.0, n),
            "candidate_ms": rng.gamma(6.0, 5.0, n) * 1.05,
            "channel": rng.choice(["web", "app", "partner"], n, p=[0.5, 0.4, 0.1]),
        }
    )


def _users(n: int, seed: int, share: float) -> tuple[np.random.Generator, np.ndarray, dict]:
    rng = np.random.default_rng(seed)
    treated = rng.random(n) < share
    base = {
        "user_id": [f"user-{seed}-{i:07d}" for i in range(n)],
        "arm": np.where(treated, "candidate", "champion"),
    }
    return rng, treated, base


def canary_log(
    n: int = 60_000,
    seed: int = 2,
    treatment_share: float = 0.05,
    latency_shift: float = 0.0,
    error_shift: float = 0.0,
) -> pd.DataFrame:
    rng, treated, frame = _users(n, seed, treatment_share)
    frame["latency_ms"] = rng.gamma(6.0, 5.0, n) + latency_shift * treated
    frame["errors"] = (rng.random(n) < 0.002 + error_shift * treated).astype(int)
    return pd.DataFrame(frame)


def ab_log(
    n: int = 30_000,
    seed: int = 3,
    effect: float = 0.02,
    revenue_effect: float = 0.5,
    treatment_share: float = 0.5,
    latency_shift: float = 0.0,
) -> pd.DataFrame:
    rng, treated, frame = _users(n, seed, treatment_share)
    pre_conversions = rng.poisson(1.0, n)
    p = np.clip(0.10 + effect * treated + 0.04 * (pre_conversions - 1.0), 0.0, 1.0)
    pre_revenue = rng.gamma(2.0, 5.0, n)
    frame |= {
        "converted": (rng.random(n) < p).astype(int),
        "pre_conversions": pre_conversions,
        "revenue": 0.9 * pre_revenue + rng.gamma(1.0, 5.0, n) + revenue_effect * treated,
        "pre_revenue": pre_revenue,
        "latency_ms": rng.gamma(6.0, 5.0, n) + latency_shift * treated,
    }
    return pd.DataFrame(frame)


def main(out: str) -> None:
    """Write the three logs as CSV and Parquet files under ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in (("shadow", shadow_log), ("canary", canary_log), ("ab", ab_log)):
        frame = make()
        frame.to_csv(folder / f"{name}.csv", index=False)
        frame.to_parquet(folder / f"{name}.parquet", index=False)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "logs")
