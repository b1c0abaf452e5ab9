"""Check type ``shadow``: does the candidate, run in shadow on live requests, match the champion?

In a shadow deployment the candidate answers every live request next to the champion; its
answers are logged, never served. The log has one row per request: its id, both outputs, and
optionally both latencies, an error flag per model and slice columns. The check judges, each
on an always-valid interval (so it may be re-run as the log grows):

- **agreement** of labels (share of requests where both models give the same answer) at least
  ``min_agreement``, or **score distance** (mean |candidate − champion|) at most
  ``max_distance``;
- the candidate's **error rate** at most ``max_error_rate``;
- the **latency ratio** candidate / champion at the ``latency_quantile`` at most
  ``max_latency_ratio``;
- the log itself: duplicate request ids, and outputs missing without an error flag, are error
  parts (they hold the stage) with their count and first ids.

Evidence: agreement by slice (``bars`` over slices), latency percentiles of both models, and
the worst disagreements (``examples``). The check sorts latencies and ranks rows, so it reads
every row (``needs_all_rows=True``).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlgate.checks.online.latency import latency_parts
from mlgate.checks.online.logs import as_numbers, require_columns, shown
from mlgate.checks.online.shadow_evidence import shadow_evidence
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.registry import CheckType, require_dataset
from mlgate.core.result import CheckResult, Interval, Part, Status, Threshold
from mlgate.stats.sequential import bernoulli_sequence, half_width

KIND = "online"


class ShadowParams(BaseModel):
    """The gate-file keys of ``shadow`` (documented in docs/checks/online.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str = "evaluation"
    request_id: str = "request_id"
    champion: str = "champion_output"
    candidate: str = "candidate_output"
    #: ``label``: outputs are classes (agreement); ``score``: numbers (distance); ``auto``:
    #: ``score`` when both columns are floating point, else ``label``.
    outputs: Literal["auto", "label", "score"] = "auto"
    min_agreement: float | None = Field(None, ge=0.0, le=1.0)
    max_distance: float | None = Field(None, ge=0.0, le=1e12)
    candidate_error: str | None = None
    champion_error: str | None = None
    max_error_rate: float | None = Field(None, ge=0.0, le=1.0)
    candidate_latency: str | None = None
    champion_latency: str | None = None
    latency_quantile: float = Field(0.95, ge=0.5, le=0.999)
    max_latency_ratio: float | None = Field(None, gt=0.0, le=1000.0)
    slices: list[str] = Field(default_factory=list, max_length=20)
    confidence: float = Field(0.95, ge=0.5, le=0.999)
    #: Requests the score distance needs before it is judged (its sequence is asymptotic).
    min_rows: int = Field(100, ge=30, le=10**8)
    #: Units at which the score distance's confidence sequence is tightest.
    horizon: int = Field(10_000, ge=100, le=10**10)
    examples: int = Field(10, ge=0, le=200)

    @model_validator(mode="after")
    def _consistent(self) -> ShadowParams:
        bounds = (self.min_agreement, self.max_distance, self.max_error_rate)
        if all(b is None for b in bounds) and self.max_latency_ratio is None:
            raise ValueError(
                "give at least one bound: 'min_agreement', 'max_distance', 'max_error_rate' or "
                "'max_latency_ratio'"
            )
        if self.min_agreement is not None and self.max_distance is not None:
            raise ValueError(
                "give 'min_agreement' (label outputs) or 'max_distance' (score outputs), not both"
            )
        if self.max_error_rate is not None and self.candidate_error is None:
            raise ValueError("'max_error_rate' needs 'candidate_error': the column of error flags")
        if self.max_latency_ratio is not None and (
            self.candidate_latency is None or self.champion_latency is None
        ):
            raise ValueError(
                "'max_latency_ratio' needs 'candidate_latency' and 'champion_latency' columns"
            )
        return self


def _validate(p: ShadowParams, config: GateConfig) -> None:
    require_dataset(config, p.dataset, label=False)


def run_shadow(ctx: GateContext, p: ShadowParams) -> CheckResult:
    roles = {
        "request_id": p.request_id,
        "champion": p.champion,
        "candidate": p.candidate,
        "candidate_error": p.candidate_error,
        "champion_error": p.champion_error,
        "candidate_latency": p.candidate_latency,
        "champion_latency": p.champion_latency,
    } | {f"slices[{i}]": s for i, s in enumerate(p.slices)}
    require_columns(ctx.column_names(p.dataset), roles, p.dataset)
    columns = list(dict.fromkeys(c for c in roles.values() if c is not None))
    frames = [b.frame for b in ctx.batches(None, p.dataset, columns=columns)]
    log = frames[0] if len(frames) == 1 else pd.concat(frames)
    ids = log[p.request_id]

    failed = _flags(log, p.candidate_error, ids, p.dataset)
    champion_failed = _flags(log, p.champion_error, ids, p.dataset)
    outputs = _kind(log, p)
    answered = log[p.candidate].notna().to_numpy() & log[p.champion].notna().to_numpy()
    compare = answered & ~failed & ~champion_failed
    parts: list[Part] = []
    if outputs == "label":
        agree = (log[p.candidate].to_numpy() == log[p.champion].to_numpy()) & compare
        parts += _agreement_part(int(agree.sum()), int(compare.sum()), p)
        distance = (~agree).astype(float)
    else:
        cand = as_numbers(log[p.candidate], ids, column=p.candidate, dataset=p.dataset)
        champ = as_numbers(log[p.champion], ids, column=p.champion, dataset=p.dataset)
        distance = np.abs(cand - champ)
        agree = None
        parts += _distance_part(distance[compare], p)
    if p.max_error_rate is not None:
        parts.append(_error_part(int(failed.sum()), len(log), p))
    if p.max_latency_ratio is not None:
        parts += latency_parts(log, ids, p)
    parts += _log_parts(log, ids, answered | failed | champion_failed, p)

    result = CheckResult.from_parts(
        KIND,
        parts,
        metric="agreement" if outputs == "label" else "mean |candidate − champion|",
        method="shadow log: always-valid beta-binomial sequences for rates and quantiles, a "
        "normal-mixture sequence for the mean distance (Howard et al. 2021; Howard & Ramdas "
        "2022; Waudby-Smith et al. 2023)",
        evidence=shadow_evidence(log, p, outputs, agree, distance, compare, failed),
    )
    # Every part in the message, the deciding ones first.
    ranked = sorted(parts, key=lambda q: q.status is not result.status)
    text = "; ".join(f"{q.name}: {q.message}" for q in ranked)
    return result.with_context(message=f"dataset {p.dataset!r}, {len(log)} requests: {text}")


def _flags(log: pd.DataFrame, column: str | None, ids: pd.Series, dataset: str) -> np.ndarray:
    """Error flags: true/1, or any non-empty error text; missing is no error."""
    if column is None:
        return np.zeros(len(log), dtype=bool)
    values = log[column]
    text = pd.api.types.is_string_dtype(values) and not pd.api.types.is_object_dtype(values)
    if text or (values.dtype == object and values.map(lambda v: isinstance(v, str)).any()):
        return (values.notna() & (values.astype(str).str.strip() != "")).to_numpy()
    flags = as_numbers(values, ids, column=column, dataset=dataset)
    return np.nan_to_num(flags) != 0


def _kind(log: pd.DataFrame, p: ShadowParams) -> str:
    if p.outputs != "auto":
        return p.outputs
    if p.min_agreement is not None:
        return "label"
    if p.max_distance is not None:
        return "score"
    floats = all(pd.api.types.is_float_dtype(log[c]) for c in (p.candidate, p.champion))
    return "score" if floats else "label"


def _agreement_part(agree: int, n: int, p: ShadowParams) -> list[Part]:
    ci = bernoulli_sequence(agree, n, p.confidence)
    if p.min_agreement is None:
        return []
    t = Threshold(">=", p.min_agreement)
    status = t.judge(ci)
    rate = agree / n if n else None
    text = (
        f"{agree} of {n} requests agree, {rate:.4%} [{ci.low:.4%}, {ci.high:.4%}] "
        f"({ci.level:.0%} always-valid), need >= {p.min_agreement:g}: {status.value}"
        if ci and rate is not None
        else "no request with both outputs to compare"
    )
    return [Part("agreement", status, rate, ci, t, n, text)]


def _distance_part(d: np.ndarray, p: ShadowParams) -> list[Part]:
    if p.max_distance is None:
        return []
    n = len(d)
    t = Threshold("<=", p.max_distance)
    mean = float(d.mean()) if n else None
    ci = None
    if n >= p.min_rows and mean is not None:
        h = half_width(float(d.var(ddof=1)) / n, n, p.confidence, p.horizon)
        ci = Interval(max(0.0, mean - h), mean + h, p.confidence, "normal-mixture sequence")
    status = t.judge(ci)
    if ci is None or mean is None:
        text = f"{n} requests compared; the distance is judged from {p.min_rows}: keep collecting"
    else:
        text = (
            f"mean |candidate − champion| {mean:.4g} [{ci.low:.4g}, {ci.high:.4g}] over {n} "
            f"requests ({ci.level:.0%} always-valid), need <= {p.max_distance:g}: {status.value}"
        )
    return [Part("score distance", status, mean, ci, t, n, text)]


def _error_part(errors: int, n: int, p: ShadowParams) -> Part:
    assert p.max_error_rate is not None
    ci = bernoulli_sequence(errors, n, p.confidence)
    t = Threshold("<=", p.max_error_rate)
    status = t.judge(ci)
    rate = errors / n if n else math.nan
    text = (
        f"{errors} of {n} requests failed, {rate:.4%} [{ci.low:.4%}, {ci.high:.4%}] "
        f"({ci.level:.0%} always-valid), need <= {p.max_error_rate:g}: {status.value}"
        if ci
        else "no requests"
    )
    return Part("candidate error rate", status, rate, ci, t, n, text)


def _log_parts(log: pd.DataFrame, ids: pd.Series, accounted: np.ndarray, p) -> list[Part]:
    """Error parts for duplicate request ids and outputs missing without an error flag."""
    out = []
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        n = int(ids[dup].nunique())
        out.append(
            Part(
                "log: duplicate request ids",
                Status.ERROR,
                sample_size=len(log),
                message=f"{n} request id(s) appear more than once in dataset {p.dataset!r}, "
                f"first {shown(pd.unique(ids[dup]))}; log each request once",
            )
        )
    silent = ~accounted
    if silent.any():
        out.append(
            Part(
                "log: missing outputs",
                Status.ERROR,
                sample_size=len(log),
                message=f"{int(silent.sum())} request(s) lack an output of {p.candidate!r} or "
                f"{p.champion!r} without an error flag, first ids {shown(ids[silent])}; log "
                "both outputs, or flag the failure in 'candidate_error'",
            )
        )
    return out


def _default_id(p: ShadowParams) -> str:
    return "shadow"


SHADOW = CheckType(
    name="shadow",
    kind=KIND,
    params=ShadowParams,
    run=run_shadow,
    summary="A shadow deployment from its log: agreement (or score distance) with the "
    "champion, the candidate's error rate and its latency ratio, each on an always-valid "
    "interval; disagreements by slice and the worst ones as evidence.",
    validate=_validate,
    default_id=_default_id,
    needs_all_rows=True,
)
