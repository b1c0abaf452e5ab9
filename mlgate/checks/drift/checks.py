"""The ``drift`` check: per-column drift of features, predictions or labels between a
reference dataset and the current one.

Each column gets a two-sample test (KS for numbers, chi-squared for categories), its p-value
adjusted across the columns (Benjamini–Hochberg by default), and an effect size. A column is
drifted when the adjusted p-value is at most ``alpha`` and the effect size reaches its bound
(``rule: both``, the default; see :mod:`mlgate.checks.drift.effect`). The check **fails** when more
than ``max_drifted`` columns drift, is **inconclusive** when a column has fewer than
``min_samples`` values on a side, and **passes** otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlgate.checks.drift.folded import folded_columns
from mlgate.checks.drift.table import (
    ColumnDrift,
    DriftRule,
    compare_columns,
    prediction_frame,
    require_same_columns,
    rule_text,
)
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.evidence import Bars, Block, Blocks, Table
from mlgate.core.registry import CheckType, require_dataset, require_model
from mlgate.core.result import CheckResult, DecisionRule, Part, Status, Threshold, rounded
from mlgate.core.task import Task

KIND = "drift"


class DriftParams(DriftRule):
    reference: str = "reference"
    dataset: str = "evaluation"
    #: How numeric columns are summarised: unset, their exact sorted values when the engine
    #: may gather both datasets' rows (always in memory), else a value sketch with stated
    #: error bounds; `true`, always the sketch (what a Dask run above `max_collect_rows`
    #: gives); `false`, always exact (refused above `max_collect_rows`). See docs/scale.md.
    sketch: bool | None = None


def validate_target(p: DriftRule, config: GateConfig, datasets: list[str]) -> None:
    """Gate-file validation shared by the drift checks. Raises ConfigError."""
    for key in datasets:
        name = getattr(p, key)
        require_dataset(config, name, path=key, label=p.target == "labels")
    if p.target == "predictions":
        require_model(config, p.model)
    if p.target != "features" and p.columns is not None:
        raise ConfigError(
            f"'columns' picks feature columns; it cannot be used with target={p.target!r}",
            path="columns",
        )
    for key in datasets:
        spec = config.datasets[getattr(p, key)]
        if p.columns is not None and spec.features is not None:
            missing = [c for c in p.columns if c not in spec.features]
            if missing:
                raise ConfigError(
                    f"column(s) {missing} are not features of dataset {getattr(p, key)!r} "
                    f"(features: {spec.features})",
                    path="columns",
                )


def target_frame(ctx: GateContext, p: DriftRule, dataset: str) -> tuple[pd.DataFrame, list[str]]:
    """The columns compared for ``dataset`` and which of them are categorical.

    ``features``: the feature columns (or ``columns``). ``predictions``: ``score:<class>`` per
    class and ``label`` (classification; ``label`` is categorical) or ``value`` (regression).
    ``labels``: the label column (categorical unless the task is regression). Raises DataError
    for a column the data does not have."""
    data = ctx.dataset(dataset)
    if p.target == "features":
        cols = p.columns if p.columns is not None else data.feature_names
        missing = [c for c in cols if c not in data.frame.columns]
        if missing:
            raise DataError(
                f"dataset {dataset!r} has no column(s) {missing}; columns: "
                f"{list(map(str, data.frame.columns))}"
            )
        return data.frame.loc[:, cols], []
    regression = ctx.task is Task.REGRESSION
    if p.target == "labels":
        return pd.DataFrame({"label": data.y}), [] if regression else ["label"]
    frame = prediction_frame(ctx.predict(p.model, dataset), regression)
    return frame, [] if regression else ["label"]


def paired_frames(ctx: GateContext, p: DriftRule) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The reference's and the current dataset's compared columns, and which are categorical.

    Raises DataError naming the columns when one side has a column the other lacks: a feature
    present on one side only cannot be compared, and skipping it would report "no drift" for
    exactly the column that changed most.
    """
    ref, cat_ref = target_frame(ctx, p, p.reference)
    cur, cat_cur = target_frame(ctx, p, p.dataset)
    require_same_columns(list(ref.columns), list(cur.columns), p.reference, p.dataset)
    return ref, cur.loc[:, list(ref.columns)], cat_ref + cat_cur


def column_parts(columns: list[ColumnDrift], p: DriftRule) -> list[Part]:
    """The judged parts of a drift verdict over ``columns``: the number of drifted columns
    against ``max_drifted`` (a count: judged on itself, so no decision rule changes it) and,
    when a column had too few values, an inconclusive part naming them. A column's flag is a
    significance test and an effect size's point estimate (:func:`~mlgate.checks.drift.effect
    .flagged`), not a bound on an interval: there is no interval for a rule to re-judge."""
    drifted = [c.column for c in columns if c.drifted]
    short = [c for c in columns if c.result is None]
    count = Threshold("<=", float(p.max_drifted))
    n_drifted = float(len(drifted))
    status = count.judge(None, value=n_drifted, rule=DecisionRule.POINT)
    parts = [
        Part(
            "drifted columns",
            status,
            value=n_drifted,
            threshold=count,
            message=", ".join(map(str, drifted[:10])) + (" …" if len(drifted) > 10 else ""),
        )
    ]
    if short:
        names = ", ".join(str(c.column) for c in short[:10]) + (" …" if len(short) > 10 else "")
        parts.append(
            Part(
                "columns with too few values",
                Status.INCONCLUSIVE,
                value=float(len(short)),
                message=f"min_samples={p.min_samples}: {names}",
            )
        )
    return parts


def summarize(columns: list[ColumnDrift], p: DriftRule) -> tuple[Status, str]:
    """The verdict over the columns (the worst of :func:`column_parts`), and a one-line
    message naming the drifted ones, or the columns with too few values."""
    drifted = [c.column for c in columns if c.drifted]
    short = [c for c in columns if c.result is None]
    status = Status.worst(column_parts(columns, p))
    if status is Status.FAILED:
        names = ", ".join(map(repr, drifted[:10])) + (" …" if len(drifted) > 10 else "")
        return status, f"{len(drifted)} of {len(columns)} column(s) drifted: {names}"
    if status is Status.INCONCLUSIVE:
        return status, (
            f"too few values to judge {len(short)} column(s): "
            + "; ".join(f"{c.column!r}: {c.reason}" for c in short[:5])
        )
    tail = f" (allowed {p.max_drifted})" if p.max_drifted else ""
    return status, f"{len(drifted)} of {len(columns)} column(s) drifted{tail}"


#: Histograms kept in the evidence: the columns with the largest effect sizes.
N_HISTOGRAMS = 6


def column_evidence(columns: list[ColumnDrift]) -> dict[str, Block]:
    """The per-column table (``columns``), a bar per column of its effect size (``effects``)
    and reference-vs-current histograms of the most drifted columns (``histograms``)."""
    ranked = sorted(
        (c for c in columns if c.result is not None),
        key=lambda c: (not c.drifted, -_finite(c.effect_value)),
    )
    bars = [
        c
        for c in sorted(columns, key=lambda c: -(c.effect_value or 0.0))
        if c.effect_value is not None and np.isfinite(c.effect_value)
    ][:30]
    measures = ", ".join(dict.fromkeys(f"{c.effect} ({c.kind})" for c in bars))
    return {
        "columns": Table.of((c.row() for c in columns), title="drift per column"),
        "effects": Bars(
            labels=tuple(c.column for c in bars),
            values=tuple(rounded(c.effect_value) for c in bars),
            over="feature",
            quantity="effect size",
            title=f"effect size per column: {measures}" if measures else "effect size per column",
        ),
        "histograms": Blocks(
            items=tuple(h for h in (c.histogram() for c in ranked[:N_HISTOGRAMS]) if h),
            title="reference vs current shares per bin",
        ),
    }


def _finite(x: float | None) -> float:
    if x is None or np.isnan(x):
        return 0.0
    return float(min(x, 1e300))


def run_drift(ctx: GateContext, p: DriftParams) -> CheckResult:
    folded = folded_columns(ctx, p, p.reference, p.dataset)
    if folded is not None:
        columns, rows_ref, rows_cur = folded
    else:  # a column numeric on one side only: compared as categories, from every row
        ref, cur, categorical = paired_frames(ctx, p)
        columns = compare_columns(ref, cur, p, categorical=categorical)
        rows_ref, rows_cur = len(ref), len(cur)
    if not columns:
        return CheckResult(
            check_id=_default_id(p),
            kind=KIND,
            status=Status.INCONCLUSIVE,
            message="no columns to compare",
        )
    _, message = summarize(columns, p)
    n_drifted = sum(c.drifted for c in columns)
    return CheckResult.from_parts(
        KIND,
        column_parts(columns, p),
        check_id=_default_id(p),
        metric=f"drifted {p.target} columns",
        value=float(n_drifted),
        interval=None,
        threshold=Threshold("<=", float(p.max_drifted)),
        sample_size=rows_cur,
        method=(
            f"per column: two-sample KS (numeric) / chi-squared (categorical) of {p.dataset!r} "
            f"vs {p.reference!r}; drifted when {rule_text(p)}"
        ),
        message=message,
        evidence={
            "target": p.target,
            "reference": p.reference,
            "dataset": p.dataset,
            "model": p.model if p.target == "predictions" else None,
            "rows_reference": rows_ref,
            "rows_current": rows_cur,
            "alpha": p.alpha,
            "correction": p.correction,
            "rule": p.rule,
            **column_evidence(columns),
            **sketch_evidence(columns),
        },
    )


def sketch_evidence(columns: list[ColumnDrift]) -> dict[str, Block]:
    """The columns compared from sketches whose buckets span several values, with the error
    bounds of their statistics (``sketched``; absent when every comparison was exact)."""
    rows = []
    for c in columns:
        sketch = c.result.details.get("sketch") if c.result is not None else None
        if sketch is None or sketch["exact"]:
            continue
        rows.append(
            {
                "column": c.column,
                "buckets": sketch["buckets"],
                "ks": rounded(c.result.statistic),
                "ks_high": rounded(sketch["ks_high"]),
                "p_value": rounded(c.result.p_value, 12, significant=True),
                "p_value_low": rounded(sketch["p_value_low"], 12, significant=True),
                "wasserstein_error": rounded(sketch["wasserstein_error"]),
                "moved_edges": sketch["moved_edges"],
            }
        )
    if not rows:
        return {}
    title = (
        "columns compared from value sketches: the KS statistic lies in [ks, ks_high] "
        "(p-value in [p_value_low, p_value]); wasserstein is within wasserstein_error"
    )
    return {"sketched": Table.of(rows, title=title)}


def _validate(p: DriftParams, config: GateConfig) -> None:
    validate_target(p, config, ["reference", "dataset"])


def _default_id(p: DriftParams) -> str:
    suffix = "" if p.target != "predictions" or p.model == "candidate" else f"-{p.model}"
    return f"drift-{p.target}{suffix}"


DRIFT = CheckType(
    name="drift",
    kind=KIND,
    params=DriftParams,
    run=run_drift,
    summary="Per-column drift of features, predictions or labels vs a reference: KS / "
    "chi-squared p-values corrected across columns (BH) and an effect size (Wasserstein in SDs, "
    "PSI), both required to flag a column.",
    validate=_validate,
    default_id=_default_id,
    # Folds each side into per-column counts and sorted values or value sketches
    # (mlgate.checks.drift.folded).
    needs_all_rows=False,
)

#: ``drift_check(mlgate, target="features", alpha=0.01)`` from Python: the check type itself
#: (parameters validated as in a gate file; ConfigError for bad ones).
drift_check = DRIFT
