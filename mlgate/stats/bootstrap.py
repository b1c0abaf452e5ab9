"""Seeded percentile bootstrap for any statistic of row indices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mlgate.result import Interval
from mlgate.stats.metrics import UndefinedMetricError

# Rows of resampled indices drawn at once: bounds memory to ~8 bytes × this number.
_MAX_CHUNK_CELLS = 2_000_000


@dataclass(frozen=True)
class BootstrapOutcome:
    interval: Interval | None
    n_resamples: int
    n_undefined: int

    @property
    def undefined_fraction(self) -> float:
        return self.n_undefined / self.n_resamples if self.n_resamples else 1.0


def percentile_bootstrap(
    statistic: Callable[[np.ndarray], float],
    n_rows: int,
    *,
    rng: np.random.Generator,
    n_resamples: int = 1000,
    level: float = 0.95,
) -> BootstrapOutcome:
    """Percentile bootstrap interval of ``statistic(indices)`` over ``n_rows`` rows.

    Resamples on which the statistic is undefined (:class:`UndefinedMetricError`) are counted
    and left out; the caller decides whether too many were undefined. Indices are drawn in
    chunks, so memory stays bounded whatever ``n_rows × n_resamples`` is.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    chunk = max(1, min(n_resamples, _MAX_CHUNK_CELLS // max(n_rows, 1)))
    values: list[float] = []
    undefined = 0
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        for idx in rng.integers(0, n_rows, size=(size, n_rows)):
            try:
                values.append(statistic(idx))
            except UndefinedMetricError:
                undefined += 1
        done += size
    if not values:
        return BootstrapOutcome(None, n_resamples, undefined)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(np.asarray(values), [alpha, 1.0 - alpha])
    return BootstrapOutcome(
        Interval(float(low), float(high), level, "bootstrap-percentile"), n_resamples, undefined
    )
