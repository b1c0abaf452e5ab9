"""The evidence of a ``shadow`` result: agreement by slice, latency percentiles and the worst
disagreements."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.online.latency import percentile_rows
from mlgate.core.evidence import Bars, Examples, Table
from mlgate.core.result import rounded
from mlgate.stats.sequential import bernoulli_sequence

#: Slice values shown per slice column (the most frequent).
MAX_SLICE_VALUES = 25


def _plain(v: Any) -> Any:
    v = v.item() if isinstance(v, np.generic) else v
    return rounded(v) if isinstance(v, float) else v


def slice_bars(log, p, outputs: str, agree, distance, compare) -> Bars:
    """Agreement (labels, with its always-valid interval) or mean distance (scores) per value
    of each slice column."""
    labels, values, low, high = [], [], [], []
    for col in p.slices:
        keys = log[col].astype(str).to_numpy()
        top = pd.Series(keys[compare]).value_counts().index[:MAX_SLICE_VALUES]
        for key in top:
            sel = compare & (keys == key)
            n = int(sel.sum())
            labels.append(f"{col}={key}")
            if outputs == "label":
                k = int(agree[sel].sum())
                ci = bernoulli_sequence(k, n, p.confidence)
                values.append(rounded(k / n))
                low.append(rounded(ci.low) if ci else None)
                high.append(rounded(ci.high) if ci else None)
            else:
                values.append(rounded(float(distance[sel].mean())))
                low.append(None)
                high.append(None)
    quantity = "agreement" if outputs == "label" else "mean |candidate − champion|"
    return Bars(
        labels=labels,
        values=values,
        low=low,
        high=high,
        over="slice",
        quantity=quantity,
        title=quantity,
    )


def disagreement_rows(log, p, outputs: str, agree, distance, compare) -> Examples:
    """The worst disagreements: the first ones in log order (labels) or the largest distances
    (scores)."""
    if outputs == "label":
        picked = np.flatnonzero(compare & ~agree)[: p.examples]
    else:
        d = np.where(compare, distance, -np.inf)
        order = np.argsort(-d, kind="stable")[: p.examples]
        picked = order[np.isfinite(d[order]) & (d[order] > 0)]
    cols = [p.request_id, p.champion, p.candidate, *p.slices]
    rows = []
    for i in picked:
        row = {c: _plain(log[c].iloc[i]) for c in dict.fromkeys(cols)}
        if outputs == "score":
            row["distance"] = rounded(float(distance[i]))
        rows.append(row)
    return Examples.of(rows, title="worst disagreements")


def shadow_evidence(log, p, outputs, agree, distance, compare, failed) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "requests": len(log),
        "compared": int(compare.sum()),
        "outputs": outputs,
        "candidate_errors": int(failed.sum()),
    }
    if outputs == "label":
        ev["agreement"] = rounded(float(agree.sum()) / compare.sum()) if compare.any() else None
    else:
        ev["mean_distance"] = rounded(float(distance[compare].mean())) if compare.any() else None
    if p.slices:
        ev["by_slice"] = slice_bars(log, p, outputs, agree, distance, compare)
    if p.candidate_latency and p.champion_latency:
        ids = log[p.request_id]
        ev["latency"] = Table.of(
            [{k: _plain(v) for k, v in r.items()} for r in percentile_rows(log, ids, p)],
            title="latency percentiles",
        )
    if p.examples:
        ev["worst_disagreements"] = disagreement_rows(log, p, outputs, agree, distance, compare)
    return ev
