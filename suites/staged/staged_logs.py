"""Seeded synthetic logs of the candidate's online stages, with a known effect per scenario.

Each log function is a dataset factory of ``mlgate.yaml`` (``factory: staged_logs:<function>``)
and takes the scenario as ``scenario=`` (a gate file may pin it with ``args: {scenario: win}``);
without it, the environment variable ``MLGATE_STAGED_SCENARIO`` chooses, and ``win`` is the
default. The scenarios, and what the gate must decide:

=====================  =================================================  ====================
scenario               what is planted                                    canary / production
=====================  =================================================  ====================
``no_effect``          the candidate changes nothing                       promote / keep
                                                                           collecting (hold)
``win``                conversion +2 points (10% → 12%), users prefer      promote / promote
                       its rankings in 56% of decided impressions
``guardrail``          the same win, but 2 points more errors and 4 ms     hold / hold
                       slower
``broken_split``       the same win, but the assignment sends 6% (canary)  hold / hold (sample
                       and 52% (A/B) of users to the candidate             ratio mismatch)
=====================  =================================================  ====================

The shadow log is the same in every scenario (the candidate agrees with the champion on about
98% of live requests, errs on 0.1% and is as fast): shadow promotes in all of them, as it would
for a change that only shows once users react to it.

``python staged_logs.py OUT_DIR [SCENARIO]`` writes every log as CSV and Parquet, the shape a
real deployment's logs would have (``path: logs/ab.parquet``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: The environment variable that picks the scenario when the gate file does not.
ENV = "MLGATE_STAGED_SCENARIO"
DEFAULT = "win"


@dataclass(frozen=True)
class Scenario:
    """What the candidate does to live traffic."""

    conversion_effect: float = 0.0
    preference: float = 0.5
    error_shift: float = 0.0
    latency_shift: float = 0.0
    canary_share: float = 0.05
    ab_share: float = 0.5


SCENARIOS = {
    "no_effect": Scenario(),
    "win": Scenario(conversion_effect=0.02, preference=0.56),
    "guardrail": Scenario(
        conversion_effect=0.02, preference=0.56, error_shift=0.02, latency_shift=4.0
    ),
    "broken_split": Scenario(
        conversion_effect=0.02, preference=0.56, canary_share=0.06, ab_share=0.52
    ),
}


def scenario_of(name: str | None = None) -> Scenario:
    """The scenario ``name``, else the one ``MLGATE_STAGED_SCENARIO`` names, else ``win``.
    Raises ValueError naming the choices for an unknown name."""
    chosen = name or os.environ.get(ENV) or DEFAULT
    if chosen not in SCENARIOS:
        raise ValueError(
            f"unknown scenario {chosen!r} (from {'scenario=' if name else ENV}); "
            f"choose one of {sorted(SCENARIOS)}"
        )
    return SCENARIOS[chosen]


def shadow_log(n: int = 10_000, draw: int = 11, scenario: str | None = None) -> pd.DataFrame:
    """One row per live request answered by both models (the same in every scenario)."""
    scenario_of(scenario)  # an unknown scenario is an error here too
    rng = np.random.default_rng(draw)
    champion = rng.choice(["relevant", "partial", "irrelevant"], n, p=[0.6, 0.3, 0.1])
    flip = rng.random(n) < 0.02
    other = np.where(champion == "relevant", "partial", "relevant")
    failed = rng.random(n) < 0.001
    return pd.DataFrame(
        {
            "request_id": [f"req-{draw}-{i:06d}" for i in range(n)],
            "champion_output": champion,
            "candidate_output": pd.Series(np.where(flip, other, champion)).mask(failed),
            "candidate_error": np.where(failed, "timeout", ""),
            "champion_ms": rng.gamma(6.0, 5.0, n),
            "candidate_ms": rng.gamma(6.0, 5.0, n),
        }
    )


def _users(n: int, draw: int, share: float) -> tuple[np.random.Generator, np.ndarray, dict]:
    rng = np.random.default_rng(draw)
    treated = rng.random(n) < share
    frame = {
        "user_id": [f"user-{draw}-{i:06d}" for i in range(n)],
        "arm": np.where(treated, "candidate", "champion"),
    }
    return rng, treated, frame


def canary_log(n: int = 60_000, draw: int = 12, scenario: str | None = None) -> pd.DataFrame:
    """One row per user, a designed 5% of them on the candidate: latency and errors."""
    s = scenario_of(scenario)
    rng, treated, frame = _users(n, draw, s.canary_share)
    frame["latency_ms"] = rng.gamma(6.0, 5.0, n) + s.latency_shift * treated
    frame["errors"] = (rng.random(n) < 0.002 + s.error_shift * treated).astype(int)
    return pd.DataFrame(frame)


def ab_log(n: int = 30_000, draw: int = 13, scenario: str | None = None) -> pd.DataFrame:
    """One row per user split 50/50 (by design): conversion with a pre-period covariate for
    CUPED, latency and errors."""
    s = scenario_of(scenario)
    rng, treated, frame = _users(n, draw, s.ab_share)
    pre = rng.poisson(1.0, n)
    p = np.clip(0.10 + s.conversion_effect * treated + 0.04 * (pre - 1.0), 0.0, 1.0)
    frame |= {
        "converted": (rng.random(n) < p).astype(int),
        "pre_conversions": pre,
        "latency_ms": rng.gamma(6.0, 5.0, n) + s.latency_shift * treated,
        "errors": (rng.random(n) < 0.002 + s.error_shift * treated).astype(int),
    }
    return pd.DataFrame(frame)


def interleaving_log(n: int = 20_000, draw: int = 14, scenario: str | None = None):
    """One row per impression of a team-draft interleaving experiment: clicks credited to each
    ranker. 60% of impressions end level (mostly no click); the candidate wins the others with
    the scenario's preference."""
    s = scenario_of(scenario)
    rng = np.random.default_rng(draw)
    tied = rng.random(n) < 0.6
    won = rng.random(n) < s.preference
    level = (rng.random(n) < 0.2).astype(int)
    top = rng.integers(1, 4, n)
    low = rng.integers(0, top)
    return pd.DataFrame(
        {
            "impression_id": [f"imp-{draw}-{i:06d}" for i in range(n)],
            "candidate_clicks": np.where(tied, level, np.where(won, top, low)),
            "champion_clicks": np.where(tied, level, np.where(won, low, top)),
        }
    )


def main(out: str, scenario: str | None = None) -> None:
    """Write every log of ``scenario`` as CSV and Parquet files under ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    logs = {
        "shadow": shadow_log,
        "canary": canary_log,
        "ab": ab_log,
        "interleaving": interleaving_log,
    }
    for name, make in logs.items():
        frame = make(scenario=scenario)
        frame.to_csv(folder / f"{name}.csv", index=False)
        frame.to_parquet(folder / f"{name}.parquet", index=False)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "logs", sys.argv[2] if len(sys.argv) > 2 else None)
