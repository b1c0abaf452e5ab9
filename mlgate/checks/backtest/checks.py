"""The ``backtest`` check: a model on successive time windows after its training cutoff.

Each window (after ``cutoff``, cut by :mod:`mlgate.core.windows`) gets the metric with a
confidence interval (:func:`mlgate.stats.evaluate.estimate`); together they make the decay
curve. Two policies, either or both:

* ``min`` / ``max``: the metric of the latest ``judge_last`` window(s) must clear the bound on
  its interval (passed when the whole interval clears it, failed when it lies wholly on the
  wrong side, inconclusive otherwise);
* ``max_decay``: the decay per window (OLS slope, oriented so positive is worse) must be at
  most this, on its Student-t interval;
* ``compare_to`` + ``max_drop``: the latest window may be at most ``max_drop`` worse than a
  reference window — the ``first`` after the cutoff, the ``training`` period (the rows up to
  the cutoff), or ``best``: every earlier window (Bonferroni over them) — on a two-sample
  bootstrap interval of the drop (:mod:`mlgate.checks.backtest.drop`);
  ``max_drop: {relative: 0.1}`` bounds the drop as a share of the reference's metric.

Windows are a fixed length (``every: 30D``), a calendar period (``every: QS``, ``MS``,
``W-MON``, ``YS``: see :func:`mlgate.core.windows.parse_duration`) or a row count.

With ``train: module:callable`` the check is a **rolling-origin** backtest: for every window
the function is called with the features and labels of the rows before the window (``X``,
``y``; plus ``seed=`` when it takes one) and returns a fitted model, which is then scored on
the window; ``model`` is not used. A window on which the ``train`` function raises is an
``error`` part of the check; the check's status is the worst of its parts
(:meth:`Status.worst <mlgate.core.result.Status.worst>`), so a window that failed its bound
outranks one that errored.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.backtest.comparisons import compare_latest, decisive
from mlgate.checks.backtest.decay import WindowScore, decay, judge_bound, judge_decay
from mlgate.checks.backtest.folded import folded_scores, folds, poisson_score
from mlgate.checks.backtest.params import (
    REFERENCE_WORDS,
    BacktestParams,
    RelativeDrop,
    cutoff_value,
    validate,
)
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.evidence import Curve, Table
from mlgate.core.imports import resolve_callable
from mlgate.core.registry import CheckType
from mlgate.core.result import CheckResult, Part, Status, Threshold, rounded
from mlgate.core.windows import Window, cut_windows, format_time, time_values
from mlgate.models import Predictions, adapt
from mlgate.stats.evaluate import estimate
from mlgate.stats.metrics import UndefinedMetricError, get_metric
from mlgate.stats.scoring import encode

KIND = "backtest"

__all__ = ["BACKTEST", "BacktestParams", "RelativeDrop", "backtest_check", "run_backtest"]


def _subset(preds: Predictions, idx: np.ndarray) -> Predictions:
    def take(a):
        return None if a is None else np.asarray(a)[idx]

    return Predictions(
        preds.task, take(preds.labels), take(preds.scores), take(preds.values), preds.classes
    )


class _TooFewTrainingRows(Exception):
    pass


class TrainingFailed(DataError):
    """The ``train`` function raised on the rows before a window: that window is an error."""


def _retrained(ctx, p: BacktestParams, data, times, w: Window, cutoff: Any) -> Predictions:
    """Rolling origin: fit on the rows up to the window (those before its start, and those
    up to the cutoff), predict the window."""
    mask = np.array(times < w.start, dtype=bool)
    if cutoff is not None:
        mask |= np.array(times <= cutoff, dtype=bool)
    mask[w.positions] = False
    before = np.flatnonzero(mask)
    if len(before) < p.min_samples:
        raise _TooFewTrainingRows(
            f"only {len(before)} training row(s) before it; min_samples={p.min_samples}"
        )
    fn = resolve_callable(
        p.train,  # type: ignore[arg-type]
        base_dir=ctx.gate.base_dir,
        what="backtest train",
        error=ConfigError,
    )
    X = data.X
    kwargs = dict(p.train_args)
    try:
        if "seed" in inspect.signature(fn).parameters and "seed" not in kwargs:
            kwargs["seed"] = ctx.seed
    except (TypeError, ValueError):  # no signature: call it without a seed
        pass
    y = np.asarray(data.y)
    try:
        fitted = fn(X.iloc[before], y[before].copy(), **kwargs)
    except Exception as exc:
        raise TrainingFailed(
            f"backtest train {p.train!r} failed on the {len(before)} rows before "
            f"{w.label}: {type(exc).__name__}: {exc}"
        ) from exc
    spec = ctx.gate.config.models.get(p.model)
    adapter = adapt(
        fitted,
        ctx.task,
        classes=spec.classes if spec else None,
        device=ctx.device,
        labels=spec.labels if spec else "proba",
    )
    return adapter.predict(X.iloc[w.positions]).validate(
        len(w.positions), source=f"model trained before {w.label}"
    )


def _score(ctx, p, metric, data, times, w: Window, preds, cutoff) -> WindowScore:
    base = {
        "index": w.index,
        "start": format_time(w.start),
        "end": format_time(w.end),
        "rows": len(w.positions),
    }
    if len(w.positions) < p.min_samples:
        why = f"{len(w.positions)} row(s); min_samples={p.min_samples}"
        return WindowScore(**base, estimate=None, reason=why)
    try:
        if p.train is not None:
            win_preds = _retrained(ctx, p, data, times, w, cutoff)
        else:
            win_preds = _subset(preds, w.positions)  # type: ignore[arg-type]
    except _TooFewTrainingRows as exc:
        return WindowScore(**base, estimate=None, reason=str(exc))
    except TrainingFailed as exc:
        return WindowScore(**base, estimate=None, reason=str(exc), error=True)
    y = np.asarray(data.y)[w.positions]
    name = p.model if p.train is None else "retrained"
    return _scored(ctx, p, metric, y, win_preds, name, base, key=str(w.index), rows=w.positions)


def _scored(
    ctx, p, metric, y, preds, name: str, base: dict, *, key: str, rows: np.ndarray
) -> WindowScore:
    """The metric of one window's rows with its interval (no value when it is undefined).
    ``rows`` are their positions in the dataset: the row ids of a Poisson bootstrap."""
    try:
        yc, (out,), k = encode(y, [preds], metric, ctx.task, models=[name], dataset=p.dataset)
        if p.interval == "poisson":
            return poisson_score(ctx, p, base, rows, yc, out, k)
        est = estimate(
            metric,
            yc,
            out,
            k,
            method=p.interval,
            level=p.confidence,
            rng=ctx.rng(f"backtest:{p.metric}:{p.dataset}:{key}"),
            n_resamples=p.n_resamples,
        )
    except UndefinedMetricError as exc:
        return WindowScore(**base, estimate=None, reason=f"{p.metric} undefined: {exc}")
    return WindowScore(**base, estimate=est, encoded=(yc, out, k))


def _training_window(ctx, p, metric, data, times, cutoff, preds) -> WindowScore:
    """The fixed model on the rows up to the cutoff (its training period), as a window."""
    positions = np.flatnonzero(np.asarray(times <= cutoff, dtype=bool))
    t = times.iloc[positions]
    base = {
        "index": -1,
        "start": format_time(_item(t.min())) if len(t) else "",
        "end": format_time(cutoff),
        "rows": len(positions),
    }
    if len(positions) < p.min_samples:
        why = f"{len(positions)} row(s) up to the cutoff; min_samples={p.min_samples}"
        return WindowScore(**base, estimate=None, reason=why)
    y = np.asarray(data.y)[positions]
    preds = _subset(preds, positions)
    return _scored(ctx, p, metric, y, preds, p.model, base, key="training", rows=positions)


def _item(v: Any) -> Any:
    return pd.Timestamp(v) if isinstance(v, np.datetime64) else v


def run_backtest(ctx: GateContext, p: BacktestParams) -> CheckResult:
    metric = get_metric(p.metric)
    # Folds batches where the windows can be fixed before the rows are read (backtest/folded.py)
    got = folded_scores(ctx, p, metric) if folds(p) else _in_memory_scores(ctx, p, metric)
    if got is None:
        return CheckResult(
            check_id=_default_id(p),
            kind=KIND,
            status=Status.INCONCLUSIVE,
            message=f"no rows of {p.dataset!r} after the cutoff {p.cutoff!r}",
        )
    scores, training = got
    return _judged(ctx, p, metric, scores, training)


def _in_memory_scores(
    ctx: GateContext, p: BacktestParams, metric: Any
) -> tuple[list[WindowScore], WindowScore | None] | None:
    """The windows' scores (and the training period's, for ``compare_to: training``) from every
    row of the dataset, sorted by time; None when no row lies after the cutoff."""
    data = ctx.dataset(p.dataset)
    times = time_values(data.frame, data.spec.time, p.dataset)  # type: ignore[arg-type]
    cutoff = cutoff_value(p, bool(pd.api.types.is_datetime64_any_dtype(times)))
    windows = cut_windows(times, p, start=cutoff)
    if not windows:
        return None
    preds = ctx.predict(p.model, p.dataset) if p.train is None else None
    scores = [_score(ctx, p, metric, data, times, w, preds, cutoff) for w in windows]
    training = (
        _training_window(ctx, p, metric, data, times, cutoff, preds)
        if p.compare_to == "training"
        else None
    )
    return scores, training


def _judged(
    ctx: GateContext,
    p: BacktestParams,
    metric: Any,
    scores: list[WindowScore],
    training: WindowScore | None,
) -> CheckResult:
    """The check's result from the windows' scores: bounds, decay, comparisons, evidence."""
    judged = scores[-p.judge_last :]
    bounded = p.min is not None or p.max is not None
    threshold = (
        Threshold(">=", p.min)
        if p.min is not None
        else Threshold("<=", p.max)
        if p.max is not None
        else Threshold("<=", p.max_decay)
        if p.max_decay is not None
        else Threshold("<=", p.drop_bound)
    )
    parts: list[Part] = []
    if bounded:
        for s in judged:
            if s.error:
                st, why = Status.ERROR, s.reason
            elif s.estimate is None:
                st, why = Status.INCONCLUSIVE, s.reason
            else:
                st, why = judge_bound(s.estimate, threshold)
            parts.append(_window_part(s, st, f"{p.metric} {why}", threshold))
    # A window whose model could not be trained is never left out silently, judged or not.
    judged_windows = {s.index for s in judged} if bounded else set()
    errored = [s for s in scores if s.error and s.index not in judged_windows]
    if errored:
        first = errored[0]
        parts.append(
            Part(
                "windows",
                Status.ERROR,
                message=f"{p.metric} not computed on {len(errored)} window(s), e.g. "
                f"{first.start} – {first.end}: {first.reason}",
            )
        )
    d = decay(scores, higher_is_better=metric.higher_is_better, level=p.confidence)
    if p.max_decay is not None:
        parts.append(judge_decay(d, p.max_decay))
    comparison: list[Part] = []
    table: list[dict[str, Any]] = []
    if p.compare_to is not None:
        reference = (
            [training]  # type: ignore[list-item]
            if p.compare_to == "training"
            else scores[:1]
            if p.compare_to == "first"
            else scores[:-1]
        )
        comparison, table = compare_latest(ctx, p, metric, scores[-1], reference)
        parts.extend(comparison)
    last = judged[-1]
    size = last.rows
    if bounded:
        value, interval = last.value, last.estimate.interval if last.estimate else None
    elif p.max_decay is not None:
        value, interval = (d.per_window if d else None), (d.interval if d else None)
    else:
        top = decisive(comparison)
        value, interval, size = top.value, top.interval, top.sample_size
    rows = [_row(s) for s in scores]
    points = [r for r in rows if r["value"] is not None]
    evidence: dict[str, Any] = {
        "model": p.model if p.train is None else None,
        "train": p.train,
        "dataset": p.dataset,
        "cutoff": None if p.cutoff is None else str(p.cutoff),
        "higher_is_better": metric.higher_is_better,
        "windows": Table.of(rows, title=f"{p.metric} per window"),
        "decay": d.to_dict() if d else None,
        # x is the window's number; its dates are in the "windows" table
        "curve": Curve(
            x=tuple(r["window"] for r in points),
            y=tuple(r["value"] for r in points),
            low=tuple(r["low"] for r in points),
            high=tuple(r["high"] for r in points),
            xlabel="window after the cutoff",
            ylabel=p.metric,
            title=f"{p.metric} per window after the cutoff",
        ),
    }
    if p.compare_to is not None:
        title = f"latest window vs {REFERENCE_WORDS[p.compare_to]}"
        evidence["comparison"] = Table.of(table, title=title)
    return CheckResult.from_parts(
        KIND,
        parts,
        check_id=_default_id(p),
        metric=_headline_metric(p, bounded),
        value=value,
        interval=interval,
        threshold=threshold,
        sample_size=size,
        method=_method(p),
        message="; ".join(_line(part) for part in parts),
        evidence=evidence,
    )


def _headline_metric(p: BacktestParams, bounded: bool) -> str:
    if bounded:
        return f"{p.metric} in the latest window"
    if p.max_decay is not None:
        return f"{p.metric} decay per window"
    versus = {"first": "the first window", "training": "training", "best": "each earlier window"}
    share = " (share)" if isinstance(p.max_drop, RelativeDrop) else ""
    return f"{p.metric} worsening{share}, latest window vs {versus[p.compare_to]}"  # type: ignore[index]


def _method(p: BacktestParams) -> str:
    text = (
        f"{'rolling-origin retrain-and-test' if p.train else 'fixed model'} backtest on "
        f"{p.mode} windows after the cutoff; {p.metric} with a {p.interval} interval per "
        "window; decay = OLS slope across windows"
    )
    if p.compare_to is None:
        return text
    what = "share of the reference's metric" if isinstance(p.max_drop, RelativeDrop) else "drop"
    multiple = ", Bonferroni over the earlier windows" if p.compare_to == "best" else ""
    return (
        f"{text}; latest window vs {REFERENCE_WORDS[p.compare_to]}: two-sample bootstrap "
        f"percentile interval of the {what}{multiple}"
    )


def _window_part(s: WindowScore, status: Status, message: str, threshold: Threshold | None) -> Part:
    est = s.estimate
    return Part(
        f"window {s.start} – {s.end}",
        status,
        value=s.value,
        interval=est.interval if est else None,
        threshold=threshold,
        sample_size=s.rows,
        message=message,
    )


def _line(part: Part) -> str:
    """A part as the check's message shows it: a window by its span, the others by themselves."""
    return f"{part.name}: {part.message}" if part.name.startswith("window ") else part.message


def _row(s: WindowScore) -> dict[str, Any]:
    est = s.estimate
    ci = est.interval if est else None
    return {
        "window": s.index + 1,
        "start": s.start,
        "end": s.end,
        "rows": s.rows,
        "value": None if est is None else rounded(est.value),
        "low": None if ci is None else rounded(ci.low),
        "high": None if ci is None else rounded(ci.high),
        "note": s.reason,
    }


def _default_id(p: BacktestParams) -> str:
    return f"backtest-{p.metric}" + ("-retrain" if p.train else "")


BACKTEST = CheckType(
    name="backtest",
    kind=KIND,
    params=BacktestParams,
    run=run_backtest,
    summary="A model on successive time windows (fixed lengths or calendar periods such as QS) "
    "after its training cutoff: the metric with an interval per window (decay curve), judged on "
    "the latest window, on the decay slope and against an earlier window (compare_to: first, "
    "training or best, two-sample interval); rolling-origin retraining with 'train'.",
    validate=validate,
    default_id=_default_id,
    # Folds batches with interval: poisson on duration windows of a fixed model; rolling-origin
    # refits (train) and row-count windows read every row (backtest/folded.py says why).
    needs_all_rows=lambda p: not folds(p),
)

#: ``backtest_check(mlgate, metric="accuracy", every="30D", min=0.8, cutoff="2024-01-01")``
#: from Python: the check type itself (ConfigError for bad parameters).
backtest_check = BACKTEST
