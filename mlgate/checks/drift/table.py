"""Per-column drift of a whole table: what to compare (features, predictions or labels), the
two-sample statistics of each column, the multiple-testing correction across columns, and
the flag rule. Pure functions of frames; the checks in :mod:`mlgate.checks.drift.checks` and
:mod:`mlgate.checks.drift.windows` call them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from mlgate.checks.drift.effect import CategoricalEffect, NumericEffect, Rule, flagged
from mlgate.checks.drift.sketched import compare_numeric_sketch
from mlgate.checks.drift.univariate import (
    CategoryCounts,
    SortedSample,
    TwoSample,
    compare_categorical,
    compare_numeric,
)
from mlgate.core.errors import DataError
from mlgate.core.evidence import Histogram
from mlgate.core.result import rounded
from mlgate.stats.multiple_testing import adjust
from mlgate.stats.sketches import ValueSketch

Target = Literal["features", "predictions", "labels"]


class DriftRule(BaseModel):
    """The parameters every drift check shares: what is compared and how it is judged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: Target = "features"
    columns: list[str] | None = None
    categorical: list[str] = Field(default_factory=list)
    model: str = "candidate"
    alpha: float = Field(0.05, gt=0.0, lt=1.0)
    correction: Literal["bh", "bonferroni", "holm", "none"] = "bh"
    rule: Rule = "both"
    numeric_effect: NumericEffect = "wasserstein_sd"
    numeric_min_effect: float = Field(0.1, ge=0.0)
    categorical_effect: CategoricalEffect = "psi"
    categorical_min_effect: float = Field(0.1, ge=0.0)
    n_bins: int = Field(10, ge=2, le=1000)
    min_samples: PositiveInt = 30
    max_drifted: int = Field(0, ge=0)


@dataclass(frozen=True)
class ColumnDrift:
    """One column's comparison and verdict. ``result`` is None when a side had fewer than
    ``min_samples`` values (the column is then inconclusive)."""

    column: str
    kind: str
    result: TwoSample | None
    effect: str
    min_effect: float
    p_adjusted: float | None = None
    drifted: bool = False
    reason: str = ""

    @property
    def effect_value(self) -> float | None:
        return None if self.result is None else float(self.result.distances[self.effect])

    def row(self) -> dict[str, Any]:
        r = self.result
        row: dict[str, Any] = {"column": self.column, "kind": self.kind}
        if r is None:
            row.update(status="inconclusive", message=self.reason)
            return row
        row.update(
            test=r.test,
            statistic=rounded(r.statistic),
            p_value=rounded(r.p_value, 12, significant=True),
            p_adjusted=rounded(self.p_adjusted, 12, significant=True),
            effect=self.effect,
            effect_value=rounded(self.effect_value),
            min_effect=self.min_effect,
            drifted=self.drifted,
            status="drifted" if self.drifted else "stable",
            n_ref=r.n_ref,
            n_cur=r.n_cur,
            **{k: rounded(v) for k, v in r.distances.items()},
        )
        if "dof" in r.details:
            row["dof"] = r.details["dof"]
        return row

    def histogram(self) -> Histogram | None:
        """Reference and current shares per bin (numeric) or category (categorical), titled
        with the column's name; None when the column was not compared."""
        r = self.result
        if r is None:
            return None
        d = r.details
        bins = d.get("bin_labels") if self.kind == "numeric" else d.get("categories")
        return Histogram(
            bins=tuple(bins or ()),
            reference=tuple(d.get("ref_share", ())),
            current=tuple(d.get("cur_share", ())),
            title=self.column,
        )


def prediction_frame(preds: Any, regression: bool) -> pd.DataFrame:
    """The compared columns of ``target: predictions``: ``value`` for a regressor; for a
    classifier ``score:<class>`` per class (when it gives scores) and the predicted ``label``.
    One definition for the in-memory comparison and the folded one, so both compare the same
    columns."""
    if regression:
        return pd.DataFrame({"value": preds.values})
    cols: dict[str, Any] = {}
    if preds.scores is not None:
        classes = preds.classes or tuple(range(preds.scores.shape[1]))
        for j, c in enumerate(classes):
            cols[f"score:{c}"] = np.asarray(preds.scores[:, j], dtype=float)
    cols["label"] = np.asarray(preds.labels, dtype=object)
    return pd.DataFrame(cols)


def is_categorical(series: pd.Series) -> bool:
    """Non-numeric and boolean columns are categorical; numbers are numeric unless declared."""
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def require_same_columns(
    ref_columns: Sequence[Any], cur_columns: Sequence[Any], reference: str, dataset: str
) -> None:
    """Raise DataError naming the columns that one side (``reference`` or ``dataset``) has and
    the other lacks: a feature present on one side only cannot be compared, and skipping it
    would report "no drift" for exactly the column that changed most."""
    only_cur = [c for c in cur_columns if c not in ref_columns]
    only_ref = [c for c in ref_columns if c not in cur_columns]
    if not (only_cur or only_ref):
        return
    sides = []
    if only_cur:
        sides.append(f"dataset {dataset!r} has column(s) {only_cur[:10]} that {reference!r} lacks")
    if only_ref:
        sides.append(
            f"reference {reference!r} has column(s) {only_ref[:10]} that {dataset!r} lacks"
        )
    raise DataError(
        "; ".join(sides) + ". Drift compares the same columns on both sides: give "
        "'columns', or declare the same 'features' for both datasets."
    )


def compare_columns(
    ref: pd.DataFrame,
    cur: pd.DataFrame,
    rule: DriftRule,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
) -> list[ColumnDrift]:
    """Compare every column of ``ref`` and ``cur`` (or ``columns``), correct the p-values
    across the columns compared and flag each by ``rule``. The frames are not modified.
    Raises DataError for a column missing on either side."""
    cols = list(columns if columns is not None else ref.columns)
    missing = [c for c in cols if c not in cur.columns or c not in ref.columns]
    if missing:
        raise DataError(
            f"column(s) {missing} are not in both the reference and the current data; "
            f"reference: {list(map(str, ref.columns))}, current: {list(map(str, cur.columns))}"
        )
    forced = set(categorical) | set(rule.categorical)
    out: list[ColumnDrift] = []
    for col in cols:
        cat = col in forced or is_categorical(ref[col]) or is_categorical(cur[col])
        if cat:
            a, b = CategoryCounts.of(ref[col]), CategoryCounts.of(cur[col])
        else:
            a, b = SortedSample.of(ref[col]), SortedSample.of(cur[col])
        out.append(compare_states(str(col), a, b, rule))
    return judge(out, rule)


def compare_states(col: str, a: Any, b: Any, rule: DriftRule) -> ColumnDrift:
    """One column's comparison (not yet judged: see :func:`judge`) from the reference's state
    ``a`` and the current one's ``b``: two :class:`CategoryCounts`, two :class:`SortedSample`
    or two :class:`~mlgate.stats.sketches.ValueSketch` (the folded form, which gives the same
    numbers while it is exact; :mod:`mlgate.checks.drift.sketched`)."""
    cat = isinstance(a, CategoryCounts)
    kind = "categorical" if cat else "numeric"
    effect = rule.categorical_effect if cat else rule.numeric_effect
    bound = rule.categorical_min_effect if cat else rule.numeric_min_effect
    n_a, n_b = (a.n, b.n) if cat else (len(a), len(b))
    if min(n_a, n_b) < rule.min_samples:
        reason = f"{n_a} reference and {n_b} current value(s); min_samples={rule.min_samples}"
        return ColumnDrift(col, kind, None, effect, bound, reason=reason)
    if cat:
        res = compare_categorical(a, b)
    elif isinstance(a, ValueSketch):
        res = compare_numeric_sketch(a, b, n_bins=rule.n_bins)
    else:
        res = compare_numeric(a, b, n_bins=rule.n_bins)
    return ColumnDrift(col, kind, res, effect, bound)


def judge(columns: list[ColumnDrift], rule: DriftRule) -> list[ColumnDrift]:
    """Adjusted p-values (``rule.correction`` over the columns that were compared) and flags."""
    tested = [i for i, c in enumerate(columns) if c.result is not None]
    if not tested:
        return columns
    adjusted = adjust([columns[i].result.p_value for i in tested], rule.correction)  # type: ignore[union-attr]
    out = list(columns)
    for i, p_adj in zip(tested, adjusted, strict=True):
        c = columns[i]
        drifted = flagged(
            float(p_adj),
            c.effect_value or 0.0,
            alpha=rule.alpha,
            min_effect=c.min_effect,
            rule=rule.rule,
        )
        out[i] = ColumnDrift(
            c.column, c.kind, c.result, c.effect, c.min_effect, float(p_adj), drifted
        )
    return out


def rule_text(rule: DriftRule) -> str:
    """The flag rule in words, for results' ``method``."""
    name = rule.correction.upper() if rule.correction != "none" else "unadjusted"
    sig = f"{name} p ≤ {rule.alpha:g}"
    eff = (
        f"{rule.numeric_effect} ≥ {rule.numeric_min_effect:g} (numeric) / "
        f"{rule.categorical_effect} ≥ {rule.categorical_min_effect:g} (categorical)"
    )
    return {"both": f"{sig} and {eff}", "significance": sig, "effect": eff}[rule.rule]
