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

from mlgate.checks.calibration._common import (
    as_float,
    interval_list,
    judge_lower,
    scores_of,
    split_rows,
    worst,
)
from mlgate.core.context import GateContext
from mlgate.core.result import CheckResult, Interval, Status, Threshold
from mlgate.stats.intervals import wilson_interval, z_value

KIND = "confidence"
_MAX_POINTS = 200


@dataclass(frozen=True)
class RiskCoverage:
    """For each distinct confidence t (descending): coverage and accuracy of rows with
    confidence ≥ t, and how many rows that is."""

    thresholds: np.ndarray
    coverage: np.ndarray
    accuracy: np.ndarray
    covered: np.ndarray
    n: int


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
    return RiskCoverage(c[last], covered / len(c), hits[last] / covered, covered, len(c))


def top_label(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(confidence, correct) of the top class."""
    return scores.max(axis=1), scores.argmax(axis=1) == y


def at_threshold(conf: np.ndarray, hit: np.ndarray, t: float, level: float) -> dict[str, Any]:
    """Coverage and accuracy of rows with confidence ≥ ``t``, with Wilson intervals."""
    shown = conf >= t
    k = int(shown.sum())
    right = int((hit & shown).sum())
    return {
        "threshold": float(t),
        "covered": k,
        "n": len(conf),
        "coverage": k / len(conf),
        "coverage_interval": wilson_interval(k, len(conf), level),
        "accuracy": right / k if k else None,
        "accuracy_interval": wilson_interval(right, k, level),
    }


def find_threshold(conf: np.ndarray, hit: np.ndarray, target: float, level: float) -> float | None:
    """The lowest confidence threshold whose covered rows have a Wilson lower bound of accuracy
    ≥ ``target``; None when no threshold reaches it."""
    curve = risk_coverage(conf, hit)
    z = z_value(level)
    n, acc = curve.covered.astype(float), curve.accuracy
    z2n = z * z / n
    centre = acc + z2n / 2.0
    spread = z * np.sqrt(acc * (1.0 - acc) / n + z2n / (4.0 * n))
    low = (centre - spread) / (1.0 + z2n)  # the Wilson lower bound at every threshold
    good = np.flatnonzero(low >= target)
    return float(curve.thresholds[good.max()]) if len(good) else None


def _curve_evidence(curve: RiskCoverage) -> dict[str, Any]:
    step = max(1, len(curve.thresholds) // _MAX_POINTS)
    idx = np.unique(np.r_[np.arange(0, len(curve.thresholds), step), len(curve.thresholds) - 1])
    return {
        "x": [round(float(v), 6) for v in curve.coverage[idx]],
        "y": [round(float(v), 6) for v in curve.accuracy[idx]],
        "thresholds": [round(float(v), 6) for v in curve.thresholds[idx]],
        "xlabel": "coverage",
        "ylabel": "accuracy of covered rows",
    }


def _row_evidence(at: dict[str, Any]) -> dict[str, Any]:
    return {
        "threshold": as_float(at["threshold"]),
        "covered": at["covered"],
        "n": at["n"],
        "coverage": as_float(at["coverage"]),
        "coverage_interval": interval_list(at["coverage_interval"]),
        "accuracy": as_float(at["accuracy"]),
        "accuracy_interval": interval_list(at["accuracy_interval"]),
    }


def run_confidence(ctx: GateContext, p: Any, check_id: str) -> CheckResult:
    y, scores, _ = scores_of(ctx, p.model, p.dataset)
    conf, hit = top_label(y, scores)
    evidence: dict[str, Any] = {"model": p.model, "dataset": p.dataset}
    notes: list[str] = []
    if p.threshold is not None:
        t, eval_conf, eval_hit = p.threshold, conf, hit
        evidence["curve"] = _curve_evidence(risk_coverage(conf, hit))
    else:
        rng = ctx.rng(f"confidence:{p.model}:{p.dataset}:split")
        fit, held = split_rows(len(y), p.calibration_fraction, rng)
        t = find_threshold(conf[fit], hit[fit], p.target_accuracy, p.confidence)
        eval_conf, eval_hit = conf[held], hit[held]
        evidence["curve"] = _curve_evidence(risk_coverage(eval_conf, eval_hit))
        evidence["chosen_on_rows"] = len(fit)
        if t is None:
            notes.append(
                f"no threshold reaches accuracy {p.target_accuracy:g} on the {len(fit)} "
                "calibration rows"
            )
    statuses: list[Status] = []
    at = None
    if t is not None:
        at = at_threshold(eval_conf, eval_hit, t, p.confidence)
        evidence["at_threshold"] = _row_evidence(at)
        statuses += _judge(p, at, notes)
    else:
        statuses.append(Status.FAILED)
    status = worst(statuses)
    if len(eval_conf) < p.min_samples:
        status = Status.INCONCLUSIVE if status is not Status.FAILED else status
        notes.append(f"only {len(eval_conf)} rows; min_samples={p.min_samples}")
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
    return CheckResult(
        check_id=check_id,
        kind=KIND,
        status=status,
        metric="selective accuracy" if acc_bound is not None else "coverage",
        value=value,
        interval=interval,
        threshold=threshold,
        sample_size=len(eval_conf),
        method="top-class confidence threshold; Wilson intervals of coverage and accuracy"
        + ("" if p.threshold is not None else "; threshold chosen on a seeded calibration split"),
        message="; ".join([head, *notes]),
        evidence=evidence,
    )


def _judge(p: Any, at: dict[str, Any], notes: list[str]) -> list[Status]:
    out = []
    if p.min_coverage is not None:
        s = judge_lower(at["coverage_interval"], p.min_coverage)
        out.append(s)
        notes.append(f"coverage ≥ {p.min_coverage:g}: {s.value}")
    bound = p.min_accuracy if p.min_accuracy is not None else p.target_accuracy
    if bound is not None:
        s = judge_lower(at["accuracy_interval"], bound)  # None interval (nothing shown): inconcl.
        out.append(s)
        notes.append(f"accuracy ≥ {bound:g}: {s.value}")
    return out
