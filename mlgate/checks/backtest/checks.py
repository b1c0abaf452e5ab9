"""The ``backtest`` check: a model on successive time windows after its training cutoff.

Each window (after ``cutoff``, cut by :mod:`mlgate.core.windows`) gets the metric with a
confidence interval (:func:`mlgate.stats.evaluate.estimate`); together they make the decay
curve. Two policies, either or both:

* ``min`` / ``max``: the metric of the latest ``judge_last`` window(s) must clear the bound on
  its interval (passed when the whole interval clears it, failed when it lies wholly on the
  wrong side, inconclusive otherwise);
* ``max_decay``: the decay per window (OLS slope, oriented so positive is worse) must be at
  most this, on its Student-t interval.

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
from pydantic import ConfigDict, Field, PositiveInt, model_validator

from mlgate.checks.backtest.decay import WindowScore, decay, judge_bound, judge_decay
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.evidence import Curve, Table
from mlgate.core.imports import resolve_callable
from mlgate.core.registry import CheckType, Resamples, require_dataset, require_model
from mlgate.core.result import CheckResult, Part, Status, Threshold, rounded
from mlgate.core.windows import Window, WindowSpec, cut_windows, format_time, time_values
from mlgate.models import Predictions, adapt
from mlgate.stats.evaluate import INTERVAL_METHODS, estimate, interval_problem
from mlgate.stats.metrics import UndefinedMetricError, get_metric
from mlgate.stats.scoring import check_metric, encode

KIND = "backtest"


class BacktestParams(WindowSpec):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    min: float | None = None
    max: float | None = None
    max_decay: float | None = Field(None, ge=0.0)
    cutoff: str | float | None = None
    model: str = "candidate"
    dataset: str = "evaluation"
    judge_last: PositiveInt = 1
    train: str | None = Field(None, pattern=r"^[\w.]+:[\w.]+$")
    train_args: dict[str, Any] = Field(default_factory=dict)
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    interval: str = "percentile"
    n_resamples: Resamples = 500
    min_samples: PositiveInt = 30

    @model_validator(mode="after")
    def _policy(self) -> BacktestParams:
        try:
            metric = get_metric(self.metric)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        if self.interval not in INTERVAL_METHODS:
            raise ValueError(f"unknown interval {self.interval!r}; use one of {INTERVAL_METHODS}")
        problem = interval_problem(metric, self.interval, None)
        if problem:
            raise ValueError(problem)
        if self.min is not None and self.max is not None:
            raise ValueError("give at most one of 'min' and 'max'")
        if self.min is None and self.max is None and self.max_decay is None:
            raise ValueError("give a policy: 'min' or 'max' (latest window) and/or 'max_decay'")
        return self


def _validate(p: BacktestParams, config: GateConfig) -> None:
    check_metric(p.metric, config.task)
    if p.train is None:
        require_model(config, p.model)
    require_dataset(config, p.dataset)
    if config.datasets[p.dataset].time is None:
        raise ConfigError(
            f"dataset {p.dataset!r} declares no 'time' column; a backtest needs one "
            f"(set datasets.{p.dataset}.time)",
            path="dataset",
        )


def _cutoff(p: BacktestParams, times: pd.Series) -> Any:
    if p.cutoff is None:
        return None
    if pd.api.types.is_datetime64_any_dtype(times):
        try:
            return pd.Timestamp(p.cutoff)
        except (ValueError, TypeError):
            raise ConfigError(f"{p.cutoff!r} is not a date", path="cutoff") from None
    if isinstance(p.cutoff, str):
        raise ConfigError(f"the time column holds numbers; got {p.cutoff!r}", path="cutoff")
    return p.cutoff


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
    adapter = adapt(fitted, ctx.task, classes=spec.classes if spec else None, device=ctx.device)
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
        y = np.asarray(data.y)[w.positions]
        name = p.model if p.train is None else "retrained"
        yc, (out,), k = encode(y, [win_preds], metric, ctx.task, models=[name], dataset=p.dataset)
        est = estimate(
            metric,
            yc,
            out,
            k,
            method=p.interval,  # type: ignore[arg-type]
            level=p.confidence,
            rng=ctx.rng(f"backtest:{p.metric}:{p.dataset}:{w.index}"),
            n_resamples=p.n_resamples,
        )
    except UndefinedMetricError as exc:
        return WindowScore(**base, estimate=None, reason=f"{p.metric} undefined: {exc}")
    except _TooFewTrainingRows as exc:
        return WindowScore(**base, estimate=None, reason=str(exc))
    except TrainingFailed as exc:
        return WindowScore(**base, estimate=None, reason=str(exc), error=True)
    return WindowScore(**base, estimate=est)


def run_backtest(ctx: GateContext, p: BacktestParams) -> CheckResult:
    metric = get_metric(p.metric)
    data = ctx.dataset(p.dataset)
    times = time_values(data.frame, data.spec.time, p.dataset)  # type: ignore[arg-type]
    cutoff = _cutoff(p, times)
    windows = cut_windows(times, p, start=cutoff)
    if not windows:
        return CheckResult(
            check_id=_default_id(p),
            kind=KIND,
            status=Status.INCONCLUSIVE,
            message=f"no rows of {p.dataset!r} after the cutoff {p.cutoff!r}",
        )
    preds = ctx.predict(p.model, p.dataset) if p.train is None else None
    scores = [_score(ctx, p, metric, data, times, w, preds, cutoff) for w in windows]
    judged = scores[-p.judge_last :]
    bounded = p.min is not None or p.max is not None
    threshold = (
        Threshold(">=", p.min)
        if p.min is not None
        else Threshold("<=", p.max)
        if p.max is not None
        else Threshold("<=", p.max_decay)  # type: ignore[arg-type]
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
    last = judged[-1]
    value = last.value if bounded else (d.per_window if d else None)
    interval = (
        (last.estimate.interval if last.estimate else None)
        if bounded
        else (d.interval if d else None)
    )
    rows = [_row(s) for s in scores]
    points = [r for r in rows if r["value"] is not None]
    return CheckResult.from_parts(
        KIND,
        parts,
        check_id=_default_id(p),
        metric=f"{p.metric} in the latest window" if bounded else f"{p.metric} decay per window",
        value=value,
        interval=interval,
        threshold=threshold,
        sample_size=last.rows,
        method=(
            f"{'rolling-origin retrain-and-test' if p.train else 'fixed model'} backtest on "
            f"{p.mode} windows after the cutoff; {p.metric} with a {p.interval} interval per "
            "window; decay = OLS slope across windows"
        ),
        message="; ".join(_line(part) for part in parts),
        evidence={
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
        },
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
    summary="A model on successive time windows after its training cutoff: the metric with an "
    "interval per window (decay curve), judged on the latest window and on the decay slope; "
    "rolling-origin retraining with 'train'.",
    validate=_validate,
    default_id=_default_id,
)

#: ``backtest_check(mlgate, metric="accuracy", every="30D", min=0.8, cutoff="2024-01-01")``
#: from Python: the check type itself (ConfigError for bad parameters).
backtest_check = BACKTEST
