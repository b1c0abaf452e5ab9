"""Confidence thresholds: the risk–coverage (coverage–accuracy) curve and the ``confidence``
check.

A model shows a prediction only when its confidence (the top class probability) is at least a
threshold t. *Coverage* is the share of rows shown, *accuracy* (1 − selective risk) the share
of shown rows that are right (Geifman & El-Yaniv 2017). Both are proportions, judged on Wilson
intervals.

Two modes:

* ``threshold: t`` — at t, coverage ≥ ``min_coverage`` and accuracy ≥ ``min_accuracy``.
* ``target_accuracy: a`` — find the lowest threshold whose covered rows reach accuracy a (the
  Wilson lower bound ≥ a) on a calibration split, then judge accuracy ≥ a (and coverage ≥
  ``min_coverage``) at that threshold on held-out rows, so the choice is not graded on the rows
  it was chosen on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlgate.checks.calibration._common import scores_of, split_rows
from mlgate.core.context import GateContext
from mlgate.core.evidence import Curve, Table
from mlgate.core.result import CheckResult, Interval, Part, Status, Threshold, rounded
from mlgate.stats.intervals import wilson_bounds, wilson_interval

KIND = "confidence"
_MAX_POINTS = 200


@dataclass(frozen=True)
class RiskCoverage:
    """For each distinct confidence t (descending): coverage and accuracy of rows with
    confidence ≥ t, how many rows that is (``covered``) and how many of them are right
    (``correct``)."""

    thresholds: np.ndarray
    coverage: np.ndarray
    accuracy: np.ndarray
    covered: np.ndarray
    n: int
    correct: np.ndarray


def risk_coverage(confidence: Any, correct: Any) -> RiskCoverage:
    """The risk–coverage curve of ``confidence`` (n,) and ``correct`` (n,) booleans. Raises
    ValueError for no rows or mismatched lengths."""
    conf = np.asarray(confidence, dtype=float)
    hit = np.asarray(correct, dtype=bool)
    if conf.shape != hit.shape or conf.ndim != 1 or not len(conf):
        raise ValueError(f"need matching 1-D confidence and correct, got {conf.shape}, {hit.shape}")
    order = np.argsort(-conf, kind="stable")
    c, h = conf[order], hit[order]
    hits = np.cumsum(h)
    # The last row of each run of equal confidences: a threshold takes all ties.
    last = np.flatnonzero(np.r_[c[1:] != c[:-1], True])
    covered = last + 1
    return RiskCoverage(
        c[last], covered / len(c), hits[last] / covered, covered, len(c), hits[last]
    )


def top_label(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(confidence, correct) of the top class."""
    return scores.max(axis=1), scores.argmax(axis=1) == y


def at_threshold(conf: np.ndarray, hit: np.ndarray, t: float, level: float) -> dict[str, Any]:
    """Coverage and accuracy of rows with confidence ≥ ``t``, with Wilson intervals."""
    shown = conf >= t
    return at_counts(int(shown.sum()), int((hit & shown).sum()), len(conf), t, level)


def at_counts(k: int, right: int, n: int, t: float, level: float) -> dict[str, Any]:
    """Coverage ``k / n`` and accuracy ``right / k`` at threshold ``t``, with Wilson intervals."""
    return {
        "threshold": float(t),
        "covered": k,
        "n": n,
        "coverage": k / n,
        "coverage_interval": wilson_interval(k, n, level),
        "accuracy": right / k if k else None,
        "accuracy_interval": wilson_interval(right, k, level),
    }


def find_threshold(conf: np.ndarray, hit: np.ndarray, target: float, level: float) -> float | None:
    """The lowest confidence threshold whose covered rows have a Wilson lower bound of accuracy
    ≥ ``target``; None when no threshold reaches it."""
    curve = risk_coverage(conf, hit)
    if not len(curve.covered):
        return None
    # Every point's interval at once; the kernel judges each (the lowest threshold that
    # passes is the last passing point on the curve).
    low, high = wilson_bounds(curve.correct, curve.covered, level)
    bound = Threshold(">=", target)
    for i in np.flatnonzero(low >= target - 1e-12)[::-1]:  # candidates, lowest threshold first
        if bound.judge(Interval(float(low[i]), float(high[i]), level, "wilson")) is Status.PASSED:
            return float(curve.thresholds[i])
    return None


def _curve_evidence(curve: RiskCoverage) -> tuple[Curve, Table]:
    """The risk–coverage curve (at most about :data:`_MAX_POINTS` points) and the confidence
    threshold of each point."""
    step = max(1, len(curve.thresholds) // _MAX_POINTS)
    idx = np.unique(np.r_[np.arange(0, len(curve.thresholds), step), len(curve.thresholds) - 1])
    x = [rounded(v) for v in curve.coverage[idx]]
    y = [rounded(v) for v in curve.accuracy[idx]]
    points = Table.of(
        (
            {"threshold": rounded(t), "coverage": c, "accuracy": a, "covered": int(k)}
            for t, c, a, k in zip(curve.thresholds[idx], x, y, curve.covered[idx], strict=True)
        ),
        title="confidence threshold of each point of the risk–coverage curve",
    )
    plot = Curve(
        x=x, y=y, xlabel="coverage", ylabel="accuracy of covered rows", title="risk–coverage"
    )
    return plot, points


def _row_evidence(at: dict[str, Any]) -> dict[str, Any]:
    cov, acc = at["coverage_interval"], at["accuracy_interval"]
    return {
        "threshold": rounded(at["threshold"]),
        "covered": at["covered"],
        "n": at["n"],
        "coverage": rounded(at["coverage"]),
        "coverage_interval": None if cov is None else [rounded(cov.low), rounded(cov.high)],
        "accuracy": rounded(at["accuracy"]),
        "accuracy_interval": None if acc is None else [rounded(acc.low), rounded(acc.high)],
    }


def run_confidence(ctx: GateContext, p: Any, check_id: str) -> CheckResult:
    evidence: dict[str, Any] = {"model": p.model, "dataset": p.dataset}
    parts: list[Part] = []
    if p.threshold is not None:  # two counts and a curve: folds batches (.confidence_fold)
        state = _folded(ctx, p)
        n = state.n
        t, at = p.threshold, at_counts(state.covered, state.correct, n, p.threshold, p.confidence)
        evidence["curve"], evidence["curve_thresholds"] = _curve_evidence(state.curve())
        if not state.every.exact:
            evidence["curve_buckets"] = len(state.every.keys)
    else:
        y, scores, _ = scores_of(ctx, p.model, p.dataset)
        conf, hit = top_label(y, scores)
        rng = ctx.rng(f"confidence:{p.model}:{p.dataset}:split")
        fit, held = split_rows(len(y), p.calibration_fraction, rng)
        t = find_threshold(conf[fit], hit[fit], p.target_accuracy, p.confidence)
        eval_conf, eval_hit = conf[held], hit[held]
        evidence["curve"], evidence["curve_thresholds"] = _curve_evidence(
            risk_coverage(eval_conf, eval_hit)
        )
        evidence["chosen_on_rows"] = len(fit)
        n, at = len(eval_conf), None
        if t is None:  # no threshold to show predictions at: the requirement is not met
            note = (
                f"no threshold reaches accuracy {p.target_accuracy:g} on the {len(fit)} "
                "calibration rows"
            )
            parts.append(Part("threshold", Status.FAILED, message=note))
        else:
            at = at_threshold(eval_conf, eval_hit, t, p.confidence)
    if at is not None:
        evidence["at_threshold"] = _row_evidence(at)
        parts += _judge(p, at)
    if n < p.min_samples:
        note = f"only {n} rows; min_samples={p.min_samples}"
        parts.append(Part("min_samples", Status.INCONCLUSIVE, sample_size=n, message=note))
    acc_bound = p.min_accuracy if p.min_accuracy is not None else p.target_accuracy
    value = at["accuracy"] if at and acc_bound is not None else (at["coverage"] if at else None)
    interval: Interval | None = None
    if at:
        interval = at["accuracy_interval"] if acc_bound is not None else at["coverage_interval"]
    threshold = Threshold(">=", acc_bound if acc_bound is not None else p.min_coverage)
    head = f"threshold {t:.4g}" if t is not None else "no threshold"
    if at:
        acc = "n/a" if at["accuracy"] is None else f"{at['accuracy']:.4f}"
        head += f": coverage {at['coverage']:.4f}, accuracy {acc} on {at['n']} rows"
    return CheckResult.from_parts(
        KIND,
        parts,
        check_id=check_id,
        metric="selective accuracy" if acc_bound is not None else "coverage",
        value=value,
        interval=interval,
        threshold=threshold,
        sample_size=n,
        method="top-class confidence threshold; Wilson intervals of coverage and accuracy"
        + ("" if p.threshold is not None else "; threshold chosen on a seeded calibration split"),
        message="; ".join([head, *(part.message for part in parts)]),
        evidence=evidence,
    )


def _folded(ctx: GateContext, p: Any) -> Any:
    """The :class:`~.confidence_fold.ConfidenceState` of every row (``ctx.fold``)."""
    from mlgate.checks.calibration.confidence_fold import ConfidenceFold, ConfidenceState

    classes = ctx.fold_classes(p.model, p.dataset)
    fold = ConfidenceFold(classes, float(p.threshold), p.model, p.dataset)
    return ctx.fold(p.model, p.dataset, fold, ConfidenceState.merge)


def _judge(p: Any, at: dict[str, Any]) -> list[Part]:
    """Coverage ≥ ``min_coverage`` and accuracy ≥ ``min_accuracy`` (or the target), each
    judged on its Wilson interval; nothing shown leaves accuracy without one: inconclusive."""
    out = []
    if p.min_coverage is not None:
        bound = Threshold(">=", p.min_coverage)
        s = bound.judge(at["coverage_interval"])
        text = f"coverage ≥ {p.min_coverage:g}: {s.value}"
        out.append(
            Part("coverage", s, at["coverage"], at["coverage_interval"], bound, at["n"], text)
        )
    target = p.min_accuracy if p.min_accuracy is not None else p.target_accuracy
    if target is not None:
        bound = Threshold(">=", target)
        s = bound.judge(at["accuracy_interval"])
        text = f"accuracy ≥ {target:g}: {s.value}"
        out.append(
            Part("accuracy", s, at["accuracy"], at["accuracy_interval"], bound, at["covered"], text)
        )
    return out
