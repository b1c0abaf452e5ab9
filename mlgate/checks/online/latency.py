"""The latency part of ``shadow``: candidate / champion at one quantile, on an always-valid
interval.

Each model's quantile gets the beta-binomial quantile confidence sequence
(:func:`mlgate.stats.sequential.quantile_sequence`) at level 1 − α/2; the ratio's interval
divides their ends crosswise, ``[cand_low / champ_high, cand_high / champ_low]``, so it holds
with probability at least 1 − α at every sample size (a union bound: it needs no assumption on
how the two latencies of one request are related).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mlgate.checks.online.logs import as_numbers, shown
from mlgate.core.errors import DataError
from mlgate.core.result import Interval, Part, Threshold
from mlgate.stats.sequential import quantile_sequence

#: The percentiles shown in the evidence table.
SHOWN_QUANTILES = (0.5, 0.9, 0.95, 0.99)


def latencies(log: pd.DataFrame, ids: pd.Series, column: str, dataset: str) -> np.ndarray:
    """The finite latencies of ``column``, sorted (missing ones, e.g. of failed requests, are
    left out). Raises DataError for negative or non-numeric latencies."""
    x = as_numbers(log[column], ids, column=column, dataset=dataset)
    negative = x < 0
    if negative.any():
        raise DataError(
            f"dataset {dataset!r}: column {column!r} holds {int(negative.sum())} negative "
            f"latenc(ies), first ids {shown(ids[negative])}; latencies are durations >= 0"
        )
    return np.sort(x[~np.isnan(x)])


def ratio_interval(cand: Interval | None, champ: Interval | None, level: float) -> Interval | None:
    """The crosswise ratio of two quantile intervals (each at level 1 − α/2); None without
    either."""
    if cand is None or champ is None:
        return None
    # A champion quantile that may be 0 (or unbounded) leaves the ratio unbounded (or 0).
    floor, ceiling = champ.low, champ.high
    low = max(cand.low / ceiling, 0.0) if 0 < ceiling < math.inf else 0.0
    high = cand.high / floor if floor > 0 else math.inf
    return Interval(low, high, level, "ratio of beta-binomial quantile sequences (Bonferroni)")


def latency_parts(log: pd.DataFrame, ids: pd.Series, p) -> list[Part]:
    """One part: candidate / champion latency at ``p.latency_quantile`` ≤ ``max_latency_ratio``."""
    cand = latencies(log, ids, p.candidate_latency, p.dataset)
    champ = latencies(log, ids, p.champion_latency, p.dataset)
    q, half = p.latency_quantile, 1.0 - (1.0 - p.confidence) / 2.0
    ci = ratio_interval(
        quantile_sequence(cand, q, half), quantile_sequence(champ, q, half), p.confidence
    )
    t = Threshold("<=", p.max_latency_ratio)
    status = t.judge(ci)
    name = f"latency p{q * 100:g} ratio"
    if not len(cand) or not len(champ):
        return [Part(name, status, None, None, t, 0, "no latencies logged")]
    value = (
        float(np.quantile(cand, q) / np.quantile(champ, q))
        if np.quantile(champ, q) > 0
        else math.inf
    )
    left_out = len(log) - min(len(cand), len(champ))
    text = (
        f"candidate / champion p{q * 100:g} {value:.4g} [{ci.low:.4g}, {ci.high:.4g}] "
        f"({ci.level:.0%} always-valid; {len(cand)} / {len(champ)} latencies"
        + (f", {left_out} requests without one" if left_out else "")
        + f"), need <= {p.max_latency_ratio:g}: {status.value}"
    )
    return [Part(name, status, value, ci, t, min(len(cand), len(champ)), text)]


def percentile_rows(log: pd.DataFrame, ids: pd.Series, p) -> list[dict]:
    """Latency percentiles of both models and their ratio, for the evidence table."""
    cand = latencies(log, ids, p.candidate_latency, p.dataset)
    champ = latencies(log, ids, p.champion_latency, p.dataset)
    rows = []
    for q in SHOWN_QUANTILES:
        c = float(np.quantile(cand, q)) if len(cand) else None
        h = float(np.quantile(champ, q)) if len(champ) else None
        rows.append(
            {
                "percentile": f"p{q * 100:g}",
                "champion": h,
                "candidate": c,
                "ratio": c / h if c is not None and h else None,
            }
        )
    return rows
