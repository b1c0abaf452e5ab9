"""One pass over an experiment log: arm counts, per-metric moments, what is wrong with the log,
and the primary metric's confidence sequence at fixed checkpoints.

The state is mergeable counts and moments (plus one hash per unit for duplicates), folded
chunk by chunk, so the log never has to be in memory at once. Checkpoints sit at fixed row
counts of the log (100·√2^k rows, in log order), so the curve of the confidence sequence over
time is the same however the log is batched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.online.cuped import CONTROL, TREATMENT, Moments
from mlgate.checks.online.logs import FIRST, IdLedger, as_numbers, shown
from mlgate.core.errors import DataError

FIRST_CHECKPOINT = 100


def checkpoints(limit: int) -> list[int]:
    """Row counts 100, 141, 200, 283, 400, ... (√2 apart) up to ``limit``."""
    out, k = [], 0
    while (c := round(FIRST_CHECKPOINT * 2 ** (k / 2))) <= limit:
        out.append(c)
        k += 1
    return out


@dataclass(frozen=True)
class MetricColumns:
    """Which columns one metric reads."""

    name: str
    column: str
    covariate: str | None


@dataclass
class MetricFold:
    """The running state of one metric: moments of the units with an outcome, and those
    without one."""

    columns: MetricColumns
    moments: Moments = field(default_factory=Moments.empty)
    missing: np.ndarray = field(default_factory=lambda: np.zeros(2, dtype=np.int64))
    missing_ids: list[Any] = field(default_factory=list)


@dataclass
class ABFold:
    """Fold the chunks of an experiment log (see :meth:`add`)."""

    dataset: str
    unit: str
    arm: str
    labels: tuple[str, str]
    metrics: list[MetricColumns]
    times: tuple[str, str] | None = None
    rows: int = 0
    folds: list[MetricFold] = field(default_factory=list)
    ledger: IdLedger = field(default_factory=IdLedger)
    unknown: dict[str, int] = field(default_factory=dict)
    unknown_ids: list[Any] = field(default_factory=list)
    early: int = 0
    early_ids: list[Any] = field(default_factory=list)
    #: (row count, moments of the primary metric up to that row)
    trail: list[tuple[int, Moments]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folds = [MetricFold(m) for m in self.metrics]

    def add(self, chunk: pd.DataFrame) -> None:
        """Fold one chunk of rows (in log order). Raises DataError for a non-numeric outcome or
        covariate, a missing covariate, or times that cannot be read."""
        ids = chunk[self.unit]
        arm = self._arms(chunk[self.arm], ids)
        known = arm >= 0
        self.ledger.add(ids[known], arm[known])
        if self.times is not None:
            self._timing(chunk, ids)
        start = self.rows
        marks = [c - start for c in checkpoints(start + len(chunk)) if c > start]
        for i, fold in enumerate(self.folds):
            y, x = self._values(chunk, ids, fold.columns)
            ok = known & ~np.isnan(y)
            lost = known & np.isnan(y)
            if lost.any():
                fold.missing += np.bincount(arm[lost], minlength=2)
                _note(fold.missing_ids, ids[lost])
            if i == 0:  # the primary (or first) metric's trail
                for m in marks:
                    part = ok[:m]
                    prefix = Moments.of(
                        arm[:m][part], y[:m][part], None if x is None else x[:m][part]
                    )
                    self.trail.append((start + m, fold.moments.merge(prefix)))
            fold.moments = fold.moments.merge(
                Moments.of(arm[ok], y[ok], None if x is None else x[ok])
            )
        self.rows += len(chunk)

    def _arms(self, values: pd.Series, ids: pd.Series) -> np.ndarray:
        text = values.astype(str).to_numpy()
        codes = np.full(len(values), -1, dtype=np.int64)
        codes[text == self.labels[CONTROL]] = CONTROL
        codes[text == self.labels[TREATMENT]] = TREATMENT
        codes[values.isna().to_numpy()] = -1
        bad = codes < 0
        if bad.any():
            for v in values[bad]:
                key = "<missing>" if pd.isna(v) else str(v)
                self.unknown[key] = self.unknown.get(key, 0) + 1
            _note(self.unknown_ids, ids[bad])
        return codes

    def _values(
        self, chunk: pd.DataFrame, ids: pd.Series, cols: MetricColumns
    ) -> tuple[np.ndarray, np.ndarray | None]:
        y = as_numbers(chunk[cols.column], ids, column=cols.column, dataset=self.dataset)
        if cols.covariate is None:
            return y, None
        x = as_numbers(chunk[cols.covariate], ids, column=cols.covariate, dataset=self.dataset)
        if np.isnan(x).any():
            gap = np.isnan(x)
            raise DataError(
                f"dataset {self.dataset!r}: covariate column {cols.covariate!r} (metric "
                f"{cols.name!r}) is missing for {int(gap.sum())} unit(s) in this part of the "
                f"log, first ids {shown(ids[gap])}. A pre-period covariate must be known for "
                "every unit: fill it (0 for units with no pre-period activity), or drop "
                "'covariate'."
            )
        return y, x

    def _timing(self, chunk: pd.DataFrame, ids: pd.Series) -> None:
        assert self.times is not None
        a, o = (self._time(chunk[c], c, ids) for c in self.times)
        before = (o < a).to_numpy() & o.notna().to_numpy() & a.notna().to_numpy()
        if before.any():
            self.early += int(before.sum())
            _note(self.early_ids, ids[before])

    def _time(self, values: pd.Series, column: str, ids: pd.Series) -> pd.Series:
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            return values
        parsed = pd.to_datetime(values, errors="coerce", utc=True)
        bad = parsed.isna() & values.notna()
        if bad.any():
            raise DataError(
                f"dataset {self.dataset!r}: column {column!r} must hold times (ISO 8601 or "
                f"numbers); {int(bad.sum())} value(s) are not, first {shown(values[bad])} "
                f"(ids {shown(ids[bad])})"
            )
        return parsed

    # -- after the pass ------------------------------------------------------------------
    def counts(self) -> np.ndarray:
        """Units logged per arm (control, treatment), with or without outcomes."""
        f = self.folds[0]
        return (f.moments.n + f.missing).astype(np.int64)

    def check_arms(self) -> None:
        """DataError for arm labels that are neither control nor treatment, or an empty arm."""
        if self.unknown:
            found = ", ".join(f"{k!r} ({v} rows)" for k, v in sorted(self.unknown.items()))
            raise DataError(
                f"dataset {self.dataset!r}: column {self.arm!r} holds arm label(s) that are "
                f"neither control {self.labels[0]!r} nor treatment {self.labels[1]!r}: {found}; "
                f"first ids {shown(self.unknown_ids)}. Set 'control' and 'treatment' to the "
                "labels the log uses, or keep only these two arms in the log."
            )
        counts = self.counts()
        for code, role in ((CONTROL, "control"), (TREATMENT, "treatment")):
            if counts[code] == 0:
                raise DataError(
                    f"dataset {self.dataset!r}: the {role} arm {self.labels[code]!r} has no "
                    f"units ({int(counts.sum())} rows, all in the other arm). Check the "
                    f"'{role}' label and that the log holds both arms."
                )


def _note(store: list[Any], ids: Iterable[Any]) -> None:
    """Keep the first few distinct ids of a problem, in log order."""
    for v in ids:
        if len(store) > FIRST:
            return
        v = v.item() if isinstance(v, np.generic) else v
        if v not in store:
            store.append(v)
