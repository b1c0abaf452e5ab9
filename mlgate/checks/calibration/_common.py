"""What the calibration and confidence checks share: getting encoded labels and scores out
of the gate context, seeded splits, and judging a statistic's interval against a bound."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlgate.core.context import GateContext
from mlgate.core.errors import DataError
from mlgate.core.result import Interval, Status
from mlgate.stats.metrics import get_metric
from mlgate.stats.scoring import encode


def scores_of(ctx: GateContext, model: str, dataset: str) -> tuple[np.ndarray, np.ndarray, tuple]:
    """(class codes, probabilities (n, k) in the model's class order, classes) for
    ``model`` on ``dataset``. Raises DataError when the model gives no scores or the labels
    are not among its classes."""
    preds = ctx.predict(model, dataset)
    data = ctx.dataset(dataset)
    y, (scores,), _ = encode(
        data.y, [preds], get_metric("log_loss"), ctx.task, models=[model], dataset=dataset
    )
    classes = preds.classes if preds.classes is not None else tuple(range(scores.shape[1]))
    return y, np.asarray(scores, dtype=float), tuple(classes)


def split_rows(n: int, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of ``n`` rows: (first ``fraction`` of a permutation, the rest), each
    sorted. Raises DataError when either part would be empty."""
    order = rng.permutation(n)
    cut = round(fraction * n)
    if cut < 1 or cut >= n:
        raise DataError(f"cannot split {n} rows with calibration_fraction={fraction}")
    return np.sort(order[:cut]), np.sort(order[cut:])


def judge_upper(interval: Interval | None, bound: float) -> Status:
    """A "statistic ≤ bound" verdict on its interval: passed when the whole interval is at or
    below, failed when it is wholly above, else (or without an interval) inconclusive."""
    if interval is None:
        return Status.INCONCLUSIVE
    if interval.high <= bound:
        return Status.PASSED
    if interval.low > bound:
        return Status.FAILED
    return Status.INCONCLUSIVE


def judge_lower(interval: Interval | None, bound: float) -> Status:
    """A "statistic ≥ bound" verdict on its interval (see :func:`judge_upper`)."""
    if interval is None:
        return Status.INCONCLUSIVE
    if interval.low >= bound:
        return Status.PASSED
    if interval.high < bound:
        return Status.FAILED
    return Status.INCONCLUSIVE


def interval_list(interval: Interval | None, digits: int = 6) -> list[float] | None:
    if interval is None:
        return None
    return [round(float(interval.low), digits), round(float(interval.high), digits)]


def worst(statuses: list[Status]) -> Status:
    """The status that decides a check made of parts: failed > error > inconclusive > passed."""
    for s in (Status.FAILED, Status.ERROR, Status.INCONCLUSIVE):
        if s in statuses:
            return s
    return Status.PASSED


def as_float(x: Any) -> float | None:
    return None if x is None else round(float(x), 6)
