"""``metric_threshold`` with a relative bound: the candidate's metric as a multiple of a
reference's on the same rows (``max: {relative: 0.95, of: mean}``).

The reference is a baseline as in the ``baseline`` check (built in, ``{model: ...}``,
``{callable: ...}``, ``{feature: ...}``), predicted inside the gate run on the evaluation rows.
The ratio candidate / reference gets a paired bootstrap interval
(:func:`mlgate.checks.performance.relative.paired_ratio`) and is judged against the multiple
by the kernel's :meth:`Threshold.judge`: ``passed`` when the whole interval respects it,
``failed`` when it lies wholly on the wrong side, else ``inconclusive`` (also with fewer than
``min_samples`` rows, a reference whose metric is 0, or too many undefined resamples).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlgate.checks.performance.baseline_models import baseline_name, predict_baseline
from mlgate.checks.performance.relative import Ratio, RelativeBound, paired_ratio
from mlgate.core.context import GateContext
from mlgate.core.errors import MlgateError
from mlgate.core.result import CheckResult, Part, Status, rounded
from mlgate.core.task import Task
from mlgate.stats.metrics import UndefinedMetricError, get_metric
from mlgate.stats.scoring import encode, seen_classes

if TYPE_CHECKING:
    from mlgate.checks.performance.metric_threshold import MetricThresholdParams

KIND = "metric"


def fit_dataset(ctx: GateContext, rel: RelativeBound, dataset: str) -> str:
    """``fit_on``, else the ``reference`` dataset when it has labels, else ``dataset``."""
    if rel.fit_on is not None:
        return rel.fit_on
    spec = ctx.gate.config.datasets.get("reference")
    return "reference" if spec is not None and spec.label is not None else dataset


def run_relative_threshold(ctx: GateContext, p: MetricThresholdParams) -> CheckResult:
    rel: RelativeBound = p.relative  # type: ignore[assignment]
    metric = get_metric(p.metric)
    name = baseline_name(rel.of)
    data = ctx.dataset(p.dataset)
    cand = ctx.predict(p.model, p.dataset)
    n = len(data)
    fit_name = fit_dataset(ctx, rel, p.dataset)
    evidence: dict[str, Any] = {
        "model": p.model,
        "dataset": p.dataset,
        "reference": name,
        "fit_on": fit_name,
        "higher_is_better": metric.higher_is_better,
    }
    key = f"metric_threshold:{p.metric}:{p.model}:{p.dataset}:relative:{name}"
    try:
        classes = None
        if ctx.task is not Task.REGRESSION:
            classes = cand.classes
            if classes is None:
                classes = seen_classes(data.y, cand.labels)
        ref_preds = predict_baseline(
            rel.of, ctx, data=data, fit=ctx.dataset(fit_name), classes=classes, rng=ctx.rng(key)
        )
        y, (out_c, out_r), k = encode(
            data.y, [cand, ref_preds], metric, ctx.task, models=[p.model, name], dataset=p.dataset
        )
        ratio = paired_ratio(
            metric,
            y,
            out_c,
            out_r,
            k,
            rng=ctx.rng(key + ":bootstrap"),
            n_resamples=p.n_resamples,
            level=p.confidence,
            method=p.interval,  # type: ignore[arg-type]
        )
    except UndefinedMetricError as exc:
        return _result(p, name, Status.INCONCLUSIVE, n, f"{p.metric} undefined: {exc}", evidence)
    except MlgateError as exc:
        return _result(p, name, Status.ERROR, n, str(exc), evidence)
    evidence |= {
        "candidate": rounded(ratio.candidate),
        "reference_value": rounded(ratio.reference),
        # the bound in the metric's units, for reading: relative × the reference's metric
        "bound": rounded(rel.relative * ratio.reference),
        "n_resamples": ratio.n_resamples,
        "undefined_resamples": ratio.n_undefined,
    }
    t = p.threshold
    if n < p.min_samples:
        why = f"only {n} rows in {p.dataset!r}; min_samples={p.min_samples}"
        return _result(p, name, Status.INCONCLUSIVE, n, why, evidence, ratio)
    if ratio.interval is None or ratio.undefined_fraction > p.max_undefined_fraction:
        why = (
            f"{p.metric} was undefined on {ratio.n_undefined} of {ratio.n_resamples} resamples"
            if ratio.undefined_fraction > p.max_undefined_fraction
            else f"no interval of the ratio: {ratio.reason}"
        )
        return _result(p, name, Status.INCONCLUSIVE, n, why, evidence, ratio)
    status = t.judge(ratio.interval)
    ci = ratio.interval
    word = {
        Status.PASSED: f"whole interval {t.op} {t.bound:g}",
        Status.FAILED: f"whole interval on the wrong side of {t.op} {t.bound:g}",
        Status.INCONCLUSIVE: f"straddles the bound {t.op} {t.bound:g}: more data needed to decide",
    }[status]
    message = (
        f"{p.metric} of {p.model!r} on {p.dataset!r} = {ratio.candidate:.4g} = "
        f"{ratio.value:.4g} × {name}'s {ratio.reference:.4g} [{ci.low:.4g}, {ci.high:.4g}] "
        f"({ci.level:.0%} CI of the ratio), {word}"
    )
    return _result(p, name, status, n, message, evidence, ratio, judged=True)


def _result(
    p: MetricThresholdParams,
    name: str,
    status: Status,
    n: int,
    message: str,
    evidence: dict[str, Any],
    ratio: Ratio | None = None,
    *,
    judged: bool = False,
) -> CheckResult:
    interval = ratio.interval if ratio is not None else None
    value = ratio.value if ratio is not None else None
    # One part only when the ratio was judged on its interval (so a decision rule can apply).
    parts = (
        (Part(f"{p.metric} / {name}", status, value, interval, p.threshold, n, message),)
        if judged
        else ()
    )
    return CheckResult(
        check_id=relative_id(p),
        parts=parts,
        kind=KIND,
        status=status,
        metric=f"{p.metric} of {p.model} / {p.metric} of {name}",
        value=value,
        interval=interval,
        threshold=p.threshold,
        sample_size=n,
        method=(
            f"ratio of {p.metric} (candidate / {name}) on the same rows; paired bootstrap "
            f"({p.interval}) of the log ratio, mapped back by exp"
        ),
        message=message,
        evidence=evidence,
    )


def relative_id(p: MetricThresholdParams) -> str:
    suffix = (
        "" if (p.model, p.dataset) == ("candidate", "evaluation") else f"-{p.model}-{p.dataset}"
    )
    return f"{p.metric}-vs-{baseline_name(p.relative.of)}{suffix}"  # type: ignore[union-attr]
