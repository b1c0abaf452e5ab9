"""What the calibration and confidence checks share: getting encoded labels and scores out
of the gate context, and seeded splits. (Judging an interval against a bound, combining
statuses and rounding evidence are the kernel's: :meth:`mlgate.core.result.Threshold.judge`,
:meth:`mlgate.core.result.Status.worst`, :func:`mlgate.core.result.rounded`.)"""

from __future__ import annotations

import numpy as np

from mlgate.core.context import GateContext
from mlgate.core.errors import DataError
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
