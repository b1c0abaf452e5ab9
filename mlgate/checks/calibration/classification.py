"""The ``calibration`` check for classifiers: ECE with a bootstrap interval against a bound,
MCE, Brier decomposition and the reliability table; optionally a recalibration map fitted on
a calibration split, with ECE before and after on held-out rows.

Verdict on the ECE interval: **passed** when it lies wholly at or below ``max_ece``, **failed**
when wholly above, **inconclusive** when it straddles the bound or the rows are fewer than
``min_samples``. The ECE bound is the check's one part (``CheckResult.from_parts``), so a
gate's decision rule re-judges it; too few rows is a part without a bound, inconclusive under
every rule. With ``require: calibratable`` the check passes when the model is calibrated or
the fitted map brings it under the bound on the held-out rows: an "either" no part can state,
so that verdict reports no parts and is judged as described whatever the rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlgate.checks.calibration._common import scores_of, split_rows
from mlgate.checks.calibration.bins import (
    CalibrationSummary,
    calibration_summary,
    equal_width_edges,
)
from mlgate.checks.calibration.brier import brier_decomposition
from mlgate.checks.calibration.evidence import reliability_of
from mlgate.checks.calibration.intervals import ece_interval
from mlgate.checks.calibration.recalibrate import Recalibrator, fit_recalibrator
from mlgate.core.context import GateContext
from mlgate.core.evidence import Table
from mlgate.core.result import CheckResult, Interval, Part, Status, Threshold, rounded

KIND = "calibration"


def _assess(p: Any, y: np.ndarray, scores: np.ndarray, rng: np.random.Generator) -> dict:
    summary = calibration_summary(y, scores, n_bins=p.n_bins, binning=p.binning, kind=p.kind)
    boot = ece_interval(
        y,
        scores,
        summary.edges,
        p.kind,
        rng=rng,
        n_resamples=p.n_resamples,
        level=p.confidence,
        method=p.interval,
    )
    if len(y) < p.min_samples:
        status = Status.INCONCLUSIVE
    else:
        status = Threshold("<=", p.max_ece).judge(boot.interval)
    return {"summary": summary, "interval": boot.interval, "status": status, "n": len(y)}


def _assessment_row(name: str, a: dict) -> dict[str, Any]:
    s: CalibrationSummary = a["summary"]
    ci: Interval | None = a["interval"]
    return {
        "assessment": name,
        "ece": rounded(s.ece),
        "interval": None if ci is None else [rounded(ci.low), rounded(ci.high)],
        "mce": rounded(s.mce),
        "n": a["n"],
        "status": a["status"].value,
    }


def run_classification(ctx: GateContext, p: Any, check_id: str) -> CheckResult:
    if p.interval == "poisson":
        return run_folded(ctx, p, check_id)
    y, scores, classes = scores_of(ctx, p.model, p.dataset)
    key = f"calibration:{p.model}:{p.dataset}"
    fitted: Recalibrator | None = None
    fit_on = None
    if p.recalibrate is None:
        eval_y, eval_s = y, scores
    elif p.calibrate_on is not None:
        fit_y, fit_s, _ = scores_of(ctx, p.model, p.calibrate_on)
        fitted = fit_recalibrator(p.recalibrate, fit_y, fit_s)
        eval_y, eval_s, fit_on = y, scores, p.calibrate_on
    else:
        fit_rows, held = split_rows(len(y), p.calibration_fraction, ctx.rng(key + ":split"))
        fitted = fit_recalibrator(p.recalibrate, y[fit_rows], scores[fit_rows])
        eval_y, eval_s = y[held], scores[held]
        fit_on = f"{p.dataset} ({len(fit_rows)} seeded rows; {len(held)} held out)"
    before = _assess(p, eval_y, eval_s, ctx.rng(key + ":before"))
    after = None
    if fitted is not None:
        after = _assess(p, eval_y, fitted.transform(eval_s), ctx.rng(key + ":after"))
    brier = brier_decomposition(eval_y, eval_s, equal_width_edges(p.n_bins))
    return _result(p, check_id, classes, brier, before, after, fitted, fit_on)


def run_folded(ctx: GateContext, p: Any, check_id: str) -> CheckResult:
    """``interval: poisson``: the check as a fold over batches (:mod:`.folded`), so it runs on
    a partitioned dataset without gathering it. A recalibration map is fitted on every row of
    ``calibrate_on`` (gathered: a distributed engine refuses a large one)."""
    from mlgate.checks.calibration.folded import CalibrationFold, CalibrationState
    from mlgate.stats.poisson import stream_key

    classes = ctx.fold_classes(p.model, p.dataset)
    fitted: Recalibrator | None = None
    if p.recalibrate is not None:
        fit_y, fit_s, _ = scores_of(ctx, p.model, p.calibrate_on)
        fitted = fit_recalibrator(p.recalibrate, fit_y, fit_s)
    key = f"calibration:{p.model}:{p.dataset}"
    fold = CalibrationFold(
        tuple(classes),
        p.kind,
        p.n_bins,
        p.n_resamples,
        stream_key(ctx.seed, key + ":before"),
        stream_key(ctx.seed, key + ":after"),
        fitted,
        p.model,
        p.dataset,
    )
    state: CalibrationState = ctx.fold(p.model, p.dataset, fold, CalibrationState.merge)
    edges, k = fold.edges, len(classes)

    def judged(assessment) -> dict:
        summary = assessment.summary(edges, p.kind, k)
        interval = assessment.interval(p.confidence)
        n = summary.n
        status = (
            Status.INCONCLUSIVE if n < p.min_samples else Threshold("<=", p.max_ece).judge(interval)
        )
        return {"summary": summary, "interval": interval, "status": status, "n": n}

    before = judged(state.before)
    after = judged(state.after) if state.after is not None else None
    return _result(
        p, check_id, classes, state.brier.decomposition(), before, after, fitted, p.calibrate_on
    )


def _decide(p: Any, before: dict, after: dict | None) -> tuple[Status, dict, str]:
    """(status, the assessment reported as the value, which one)."""
    if after is None or p.require == "calibrated" or before["status"] is Status.PASSED:
        return before["status"], before, "model"
    if after["status"] is Status.PASSED:
        return Status.PASSED, after, "recalibrated"
    if before["status"] is Status.FAILED and after["status"] is Status.FAILED:
        return Status.FAILED, after, "recalibrated"
    return Status.INCONCLUSIVE, after, "recalibrated"


def _result(p, check_id, classes, brier, before, after, fitted, fit_on) -> CheckResult:
    status, shown, which = _decide(p, before, after)
    s: CalibrationSummary = before["summary"]
    interval: Interval | None = shown["interval"]
    evidence: dict[str, Any] = {
        "model": p.model,
        "dataset": p.dataset,
        "kind": p.kind,
        "binning": p.binning,
        "n_bins": p.n_bins,
        "classes": list(classes),
        "ece": rounded(s.ece),
        "mce": rounded(s.mce),
        "brier": {k: rounded(v) if k != "n" else v for k, v in brier.to_dict().items()},
        "n_resamples": p.n_resamples,
    }
    evidence["reliability"], evidence["reliability_table"] = reliability_of(
        s, classes, "reliability"
    )
    if fitted is not None:
        scaled = f"after {fitted.method} scaling"
        evidence["recalibration"] = {
            "method": fitted.method,
            "fit_on": fit_on,
            "require": p.require,
            **{k: rounded(v) for k, v in fitted.params.items()},
        }
        evidence["recalibration_ece"] = Table.of(
            [_assessment_row("model", before), _assessment_row(scaled, after)],
            title=f"held-out ECE before and {scaled}",
        )
        evidence["reliability_recalibrated"], evidence["reliability_recalibrated_table"] = (
            reliability_of(after["summary"], classes, f"reliability {scaled}")
        )
    n = shown["n"]
    text = _message(p, status, shown, which, before, after, fitted)
    fields: dict[str, Any] = {
        "check_id": check_id,
        "metric": "ece" if which == "model" else f"ece after {fitted.method} scaling",
        "value": shown["summary"].ece,
        "interval": interval,
        "threshold": Threshold("<=", p.max_ece),
        "sample_size": n,
        "method": (
            f"{p.kind.replace('_', '-')} ECE over {p.n_bins} {p.binning.replace('_', '-')} bins, "
            + (
                "seeded bootstrap (percentile over Poisson row weights keyed on row position) "
                "interval with the bins fixed"
                if p.interval == "poisson"
                else f"seeded bootstrap ({p.interval}) interval with the bins fixed"
            )
            + (f"; {fitted.method} scaling fitted on {fit_on}" if fitted else "")
        ),
        "message": text,
        "evidence": evidence,
    }
    if p.require == "calibratable":  # calibrated OR calibratable: no worst-of-parts states it
        return CheckResult(kind=KIND, status=status, **fields)
    return CheckResult.from_parts(KIND, [_ece_part(p, before)], **fields)


def _ece_part(p: Any, a: dict) -> Part:
    """The ECE bound judged on its interval; with fewer than ``min_samples`` rows a part with
    no bound (inconclusive under every decision rule: too little data is never a pass)."""
    s: CalibrationSummary = a["summary"]
    threshold = Threshold("<=", p.max_ece)
    if a["n"] < p.min_samples:
        note = f"{a['n']} rows, fewer than min_samples={p.min_samples}"
        return Part("ece", Status.INCONCLUSIVE, s.ece, a["interval"], None, a["n"], note)
    note = f"ECE <= {p.max_ece:g}: {a['status'].value}"
    return Part("ece", a["status"], s.ece, a["interval"], threshold, a["n"], note)


def _message(p, status, shown, which, before, after, fitted) -> str:
    ci = shown["interval"]
    ci_text = f" [{ci.low:.4f}, {ci.high:.4f}]" if ci else " (no interval)"
    head = {
        Status.PASSED: "calibrated",
        Status.FAILED: "miscalibrated",
        Status.INCONCLUSIVE: "cannot tell whether it is calibrated",
    }[status]
    small = shown["n"] < p.min_samples
    text = (
        f"{p.model!r} {head}: ECE {shown['summary'].ece:.4f}{ci_text} vs max {p.max_ece:g} "
        f"on {shown['n']} rows"
    )
    if small:
        text += f" (fewer than min_samples={p.min_samples})"
    if fitted is not None:
        text += (
            f"; held-out ECE before {before['summary'].ece:.4f}, after {fitted.method} scaling "
            f"{after['summary'].ece:.4f}"
            + (" (the deciding value)" if which == "recalibrated" else "")
        )
    return text
