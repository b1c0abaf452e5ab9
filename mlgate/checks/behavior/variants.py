"""Batched evaluation of perturbed variants: every (row, variant) pair of a check is built by
one vectorised transformation call and predicted in a few large model calls.

The pairs are laid out variant-major (pair ``p`` is row ``p % n`` of variant ``p // n``)
and cut into chunks of at most ``batch_rows`` pairs; each chunk is transformed and predicted
in one call. A check makes ``ceil(n · variants / batch_rows)`` model calls, however the rows
are split between variants — never one call per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.behavior.compare import Compare
from mlgate.checks.behavior.transforms.registry import (
    Transform,
    TransformRegistry,
    default_columns,
    default_registry,
)
from mlgate.core.errors import DataError
from mlgate.core.progress import Advance
from mlgate.models.base import ModelAdapter, Predictions


@dataclass(frozen=True)
class AppliedTransform:
    """A transformation with its columns and validated parameters, ready to apply."""

    transform: Transform
    columns: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.transform.name

    def __call__(
        self, X: pd.DataFrame, rng: np.random.Generator, reference: pd.DataFrame
    ) -> pd.DataFrame:
        return self.transform(X, rng, columns=self.columns, reference=reference, **self.params)

    def with_changes(
        self, *, columns: Sequence[str] | None = None, **params: Any
    ) -> AppliedTransform:
        return replace(
            self,
            columns=self.columns if columns is None else tuple(columns),
            params={**self.params, **params},
        )

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "columns": list(self.columns), "params": dict(self.params)}


def resolve_transform(
    ref: str,
    X: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    params: Mapping[str, Any] | None = None,
    sensitive: Sequence[str] = (),
    base_dir: Path | None = None,
    registry: TransformRegistry | None = None,
) -> AppliedTransform:
    """Look up ``ref``, validate ``params`` and pick the columns (the transform's default
    kind when ``columns`` is None).

    Raises:
        ConfigError: unknown transform or bad parameters.
        DataError: a named column is not a feature, or no column of the default kind exists.
    """
    transform = (registry or default_registry()).resolve(ref, base_dir=base_dir)
    values = transform.validate_params(params or {})
    if columns is None:
        cols = default_columns(transform, X, sensitive=sensitive)
    else:
        cols = list(columns)
        missing = [c for c in cols if c not in X.columns]
        if missing:
            raise DataError(
                f"transform {transform.name!r}: column(s) {missing} are not features the model "
                f"sees; features: {list(map(str, X.columns))}"
            )
    return AppliedTransform(transform, tuple(cols), values)


@dataclass(frozen=True)
class Candidate:
    """A perturbed pair kept as a possible worst example."""

    pair: int
    row: int
    variant: int
    violation: bool
    magnitude: float
    changed_row: pd.Series


@dataclass(frozen=True)
class VariantOutcome:
    """Per-pair results of a batched evaluation (arrays of length ``n_rows · n_variants``)."""

    n_rows: int
    n_variants: int
    rows: np.ndarray
    changed: np.ndarray
    violation: np.ndarray
    magnitude: np.ndarray
    perturbed: Predictions
    model_calls: int
    examples: tuple[Candidate, ...]

    @property
    def row_changed(self) -> np.ndarray:
        """(n,) rows that at least one variant changed: the rows a rate is computed over."""
        return np.bincount(self.rows[self.changed], minlength=self.n_rows) > 0

    @property
    def row_violated(self) -> np.ndarray:
        """(n,) rows for which at least one changed variant broke the expectation."""
        bad = self.changed & self.violation
        return np.bincount(self.rows[bad], minlength=self.n_rows) > 0


def evaluate_variants(
    adapter: ModelAdapter,
    X: pd.DataFrame,
    applied: AppliedTransform,
    *,
    original: Predictions,
    compare: Compare,
    rng: np.random.Generator,
    n_variants: int = 1,
    batch_rows: int = 1_000_000,
    n_examples: int = 10,
    source: str = "model",
    progress: Advance | None = None,
    reference: pd.DataFrame | None = None,
) -> VariantOutcome:
    """Apply ``applied`` to ``n_variants`` copies of ``X`` and predict them in chunks of at
    most ``batch_rows`` pairs, one model call per chunk.

    ``X`` is never modified; statistics of the transformation come from ``reference`` (all
    of the dataset when ``X`` is a sample of it), else from all of ``X``.
    Keeps the ``n_examples`` worst pairs (violations first, then by magnitude), at most one
    per row, with their perturbed rows.

    Raises:
        DataError: the transformation returned a frame of the wrong shape.
        PredictionError: the model failed or returned predictions of the wrong shape.
    """
    n = len(X)
    total = n * n_variants
    if total == 0:
        raise DataError("no rows to perturb: the data is empty")
    chunks: list[Predictions] = []
    changed = np.zeros(total, dtype=bool)
    violation = np.zeros(total, dtype=bool)
    magnitude = np.zeros(total, dtype=float)
    candidates: list[Candidate] = []
    calls = 0
    for start in range(0, total, batch_rows):
        stop = min(start + batch_rows, total)
        pairs = np.arange(start, stop)
        rows = pairs % n
        base = X.take(rows).reset_index(drop=True)
        perturbed = applied(base, rng, X if reference is None else reference)
        preds = adapter.predict(perturbed).validate(
            len(perturbed), source=f"{source} on perturbed rows ({applied.name})"
        )
        calls += 1
        changed[start:stop] = rows_changed(base, perturbed)
        bad, size = compare(original, rows, preds)
        violation[start:stop] = bad
        magnitude[start:stop] = size
        candidates += _chunk_candidates(
            perturbed, pairs, rows, n, changed[start:stop], bad, size, n_examples, n_variants
        )
        chunks.append(preds)
        if progress is not None:
            progress(stop - start)
    examples = _dedupe_rows(sorted(candidates, key=_badness), n_examples)
    return VariantOutcome(
        n_rows=n,
        n_variants=n_variants,
        rows=np.arange(total) % n,
        changed=changed,
        violation=violation,
        magnitude=magnitude,
        perturbed=concat_predictions(chunks),
        model_calls=calls,
        examples=tuple(examples),
    )


def rows_changed(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    """(n,) True where any value of row ``i`` differs between ``a`` and ``b`` (missing equals
    missing; ``1 == 1.0``). Columns that still share memory are skipped: a transformation
    returns a shallow copy, so only the columns it assigned are compared (object columns too:
    the same buffer of pointers holds the same objects)."""
    out = np.zeros(len(a), dtype=bool)
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if _same_buffer(x, y):
            continue
        with np.errstate(invalid="ignore"):
            equal = np.asarray(x == y, dtype=bool)
        out |= ~(equal | (pd.isna(x) & pd.isna(y)))
    return out


def _same_buffer(x: np.ndarray, y: np.ndarray) -> bool:
    if x.dtype != y.dtype or x.shape != y.shape:
        return False
    ax, ay = x.__array_interface__, y.__array_interface__
    return ax["data"] == ay["data"] and x.strides == y.strides


def _badness(c: Candidate) -> tuple[bool, float]:
    return (not c.violation, -c.magnitude)


def _chunk_candidates(
    perturbed: pd.DataFrame,
    pairs: np.ndarray,
    rows: np.ndarray,
    n: int,
    changed: np.ndarray,
    bad: np.ndarray,
    size: np.ndarray,
    k: int,
    per_row: int,
) -> list[Candidate]:
    """The chunk's ``k`` worst changed pairs, at most one per row (the union over chunks
    holds the overall ``k`` worst rows, so chunks can be judged one at a time).

    A row has at most ``per_row`` pairs, so the ``k · per_row`` highest-ranked pairs hold
    the best pair of each of the ``k`` worst rows: only those are sorted.
    """
    if k == 0 or not changed.any():
        return []
    local = np.flatnonzero(changed)
    mag = np.nan_to_num(np.asarray(size, dtype=float)[local], nan=0.0, posinf=1e300)
    viol = np.asarray(bad, dtype=bool)[local]
    m = min(len(local), k * per_row)
    if m < len(local):
        # violations rank above every non-violation, then by magnitude
        key = np.where(viol, mag - mag.min() + 1.0, mag - mag.max() - 1.0)
        top = np.argpartition(-key, m - 1)[:m]
        local, mag, viol = local[top], mag[top], viol[top]
    order = local[np.lexsort((local, -mag, ~viol))]
    keep: list[int] = []
    seen: set[int] = set()
    for i in order.tolist():
        if rows[i] not in seen:
            seen.add(int(rows[i]))
            keep.append(i)
            if len(keep) == k:
                break
    return [
        Candidate(
            pair=int(pairs[i]),
            row=int(rows[i]),
            variant=int(pairs[i] // n),
            violation=bool(bad[i]),
            magnitude=float(np.nan_to_num(size[i], nan=0.0)),
            changed_row=perturbed.iloc[int(i)].copy(),  # not a view that keeps the chunk
        )
        for i in keep
    ]


def _dedupe_rows(candidates: list[Candidate], k: int) -> list[Candidate]:
    seen: set[int] = set()
    out: list[Candidate] = []
    for c in candidates:
        if c.row not in seen:
            seen.add(c.row)
            out.append(c)
        if len(out) == k:
            break
    return out


def concat_predictions(parts: Sequence[Predictions]) -> Predictions:
    """One :class:`Predictions` from several, in order (same task and classes)."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]

    def cat(name: str) -> np.ndarray | None:
        arrays = [getattr(p, name) for p in parts]
        return None if any(a is None for a in arrays) else np.concatenate(arrays)

    return Predictions(
        task=first.task,
        labels=cat("labels"),
        scores=cat("scores"),
        values=cat("values"),
        classes=first.classes,
    )
