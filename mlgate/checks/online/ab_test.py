"""Check type ``ab_test``: promote, hold, or keep collecting, from an A/B test's or a canary's log.

The log has one row per unit (a user, a session): its arm, its outcomes (a conversion, a
continuous metric, guardrails) and optionally a pre-period covariate. The check reads it
through ``ctx.batches`` and folds it into per-arm moments (:mod:`.abfold`), then judges:

- **sample ratio**: the arm counts against the designed split (Pearson's chi-square, or the
  anytime-valid Dirichlet–multinomial test); a mismatch fails the check, since every effect of
  a broken split is suspect;
- **primary metric**: treatment − control (absolute, or relative to control) with an
  *always-valid* confidence sequence (:mod:`mlgate.stats.sequential`), optionally CUPED-adjusted
  (:mod:`.cuped`), judged against ``min_effect`` by :meth:`Threshold.judge`: passed
  (promote) when the whole sequence clears it, failed (hold) when it lies wholly short of it,
  else inconclusive (keep collecting), with the units needed at the observed effect;
- **guardrails**: each non-inferior within its ``margin``, judged the same way;
- **log integrity**: units logged twice or in both arms, missing outcomes, outcomes logged
  before assignment: each an error part (holds the stage) with its count and first ids.

Because the sequence covers the true effect at every sample size at once, the gate may be
re-run after every batch of logs: the chance that it *ever* promotes a model without the stated
effect stays at most 1 − ``confidence``.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mlgate.checks.online.abfold import ABFold, MetricColumns
from mlgate.checks.online.cuped import Difference, Moments, difference
from mlgate.checks.online.logs import aligned_chunks, first_ids, require_columns, shown
from mlgate.checks.online.verdict import AB_METHOD, ab_evidence, decision, headline
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.registry import CheckType, require_dataset
from mlgate.core.result import CheckResult, Interval, Part, Status, Threshold
from mlgate.stats.sequential import half_width, units_to_decide
from mlgate.stats.srm import srm_chisquare, srm_sequential

KIND = "online"


class _Metric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str = Field(min_length=1)
    #: Whether a larger value is better (conversions, revenue) or worse (latency, errors).
    higher_is_better: bool = True
    #: ``absolute``: treatment − control; ``relative``: treatment / control − 1.
    scale: Literal["absolute", "relative"] = "absolute"
    #: A pre-period column for CUPED variance reduction (known before assignment).
    covariate: str | None = None
    #: The share of units allowed to have no outcome (they are left out and counted).
    max_missing: float = Field(0.0, ge=0.0, le=0.5)


class Primary(_Metric):
    """The metric the experiment is for: the treatment must be better by ``min_effect``."""

    min_effect: float = Field(0.0, ge=0.0, le=1e12)


class Guardrail(_Metric):
    """A metric the treatment must not make worse by more than ``margin``."""

    margin: float = Field(gt=0.0, le=1e12)


class ABTestParams(BaseModel):
    """The gate-file keys of ``ab_test`` (documented in docs/checks/online.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str = "evaluation"
    unit: str = "unit_id"
    arm: str = "arm"
    control: str = "control"
    treatment: str = "treatment"
    #: The designed share of units in treatment (0.5 for an A/B test, 0.05 for a canary).
    treatment_share: float = Field(0.5, gt=0.0, lt=1.0)
    primary: Primary | None = None
    guardrails: list[Guardrail] = Field(default_factory=list, max_length=50)
    confidence: float = Field(0.95, ge=0.5, le=0.999)
    #: Units at which the confidence sequence is tightest (it is valid at every count).
    horizon: int = Field(10_000, ge=100, le=10**10)
    #: Units each arm needs before an effect is judged (the sequence is asymptotic).
    min_units: int = Field(100, ge=30, le=10**8)
    srm_alpha: float = Field(0.001, gt=0.0, le=0.1)
    srm_test: Literal["chisquare", "sequential"] = "chisquare"
    #: Columns with each unit's assignment time and outcome time (both or neither).
    assigned_at: str | None = None
    outcome_at: str | None = None

    @field_validator("control", "treatment", mode="before")
    @classmethod
    def _label_text(cls, v: object) -> object:
        return str(v) if isinstance(v, (int, float, bool)) else v

    @field_validator("primary", mode="before")
    @classmethod
    def _column_shorthand(cls, v: object) -> object:
        return {"column": v} if isinstance(v, str) else v

    @model_validator(mode="after")
    def _consistent(self) -> ABTestParams:
        if self.primary is None and not self.guardrails:
            raise ValueError(
                "give 'primary' (the metric the treatment must improve), 'guardrails' "
                "(metrics it must not harm), or both"
            )
        if self.control == self.treatment:
            raise ValueError(f"control and treatment are both {self.control!r}; give two labels")
        if (self.assigned_at is None) != (self.outcome_at is None):
            raise ValueError("give both 'assigned_at' and 'outcome_at' (or neither)")
        names = [m.column for m in self.metrics]
        twice = sorted({c for c in names if names.count(c) > 1})
        if twice:
            raise ValueError(f"metric column(s) {twice} are given twice; list each metric once")
        return self

    @property
    def metrics(self) -> list[Primary | Guardrail]:
        return [*([self.primary] if self.primary else []), *self.guardrails]

    @property
    def alpha(self) -> float:
        return 1.0 - self.confidence


def _validate(p: ABTestParams, config: GateConfig) -> None:
    require_dataset(config, p.dataset, label=False)
    roles = {p.unit, p.arm, *(m.column for m in p.metrics)}
    if len(roles) < 2 + len(p.metrics):
        raise ConfigError(
            f"'unit' ({p.unit!r}), 'arm' ({p.arm!r}) and the metric columns must be different "
            "columns",
            path="unit",
        )


def threshold_of(m: Primary | Guardrail) -> Threshold:
    """The bound on treatment − control: better by ``min_effect``, or worse by at most
    ``margin``, in the metric's direction."""
    if isinstance(m, Primary):
        return (
            Threshold(">=", m.min_effect) if m.higher_is_better else Threshold("<=", -m.min_effect)
        )
    return Threshold(">=", -m.margin) if m.higher_is_better else Threshold("<=", m.margin)


def sequence(d: Difference, p: ABTestParams, n_arms) -> Interval | None:
    """The always-valid interval of ``d``; None before each arm has ``min_units`` units."""
    if min(n_arms) < p.min_units or not math.isfinite(d.variance) or not math.isfinite(d.value):
        return None
    h = half_width(d.variance, d.units, p.confidence, p.horizon)
    return Interval(d.value - h, d.value + h, p.confidence, "normal-mixture confidence sequence")


def run_ab_test(ctx: GateContext, p: ABTestParams) -> CheckResult:
    frame_columns = ctx.column_names(p.dataset)
    roles: dict[str, str | None] = {"unit": p.unit, "arm": p.arm}
    for i, m in enumerate(p.metrics):
        key = "primary" if m is p.primary else f"guardrails[{i - (p.primary is not None)}]"
        roles[f"{key}.column"] = m.column
        roles[f"{key}.covariate"] = m.covariate
    roles |= {"assigned_at": p.assigned_at, "outcome_at": p.outcome_at}
    require_columns(frame_columns, roles, p.dataset)
    columns = list(dict.fromkeys(c for c in roles.values() if c is not None))

    fold = ABFold(
        dataset=p.dataset,
        unit=p.unit,
        arm=p.arm,
        labels=(p.control, p.treatment),
        metrics=[MetricColumns(m.column, m.column, m.covariate) for m in p.metrics],
        times=(p.assigned_at, p.outcome_at) if p.assigned_at and p.outcome_at else None,
    )
    for chunk in aligned_chunks(ctx.batches(None, p.dataset, columns=columns)):
        fold.add(chunk)
    fold.check_arms()

    counts = fold.counts()
    parts = [_srm_part(counts, p)]
    rows = []
    for m, mf in zip(p.metrics, fold.folds, strict=True):
        part, row = _metric_part(m, mf.moments, p)
        parts.append(part)
        rows.append(row | {"missing": int(mf.missing.sum())})
    parts += _integrity_parts(ctx, fold, p, columns)

    trail = _trail([*fold.trail, (fold.rows, fold.folds[0].moments)], p.metrics[0], p)
    result = CheckResult.from_parts(
        KIND,
        parts,
        metric=f"{p.metrics[0].column}: treatment − control"
        + (" (relative)" if p.metrics[0].scale == "relative" else ""),
        method=AB_METHOD,
        evidence=ab_evidence(p, counts, parts, rows, trail, fold),
    )
    # The headline is the primary metric's, unless another part decides the status.
    primary = parts[1]
    if primary.status is result.status:
        result = result.with_context(
            value=primary.value,
            interval=primary.interval,
            threshold=primary.threshold,
            sample_size=primary.sample_size,
        )
    return result.with_context(message=headline(decision(result.status), parts, result.status))


def _srm_part(counts, p: ABTestParams) -> Part:
    shares = (1.0 - p.treatment_share, p.treatment_share)
    test = srm_chisquare if p.srm_test == "chisquare" else srm_sequential
    r = test(counts.tolist(), shares)
    n = int(counts.sum())
    observed = counts[1] / n if n else float("nan")
    t = Threshold(">=", p.srm_alpha)
    status = t.judge(None, value=r.p_value, rule="point")
    what = "no mismatch" if status is Status.PASSED else "sample ratio mismatch"
    return Part(
        name="sample ratio",
        status=status,
        value=r.p_value,
        threshold=t,
        sample_size=n,
        message=f"{what}: control {counts[0]} / treatment {counts[1]} units, treatment share "
        f"{observed:.4%} vs designed {p.treatment_share:.4%} ({r.method}, p = {r.p_value:.3g}, "
        f"need p >= {p.srm_alpha:g})",
    )


def _metric_part(m: Primary | Guardrail, mom: Moments, p: ABTestParams) -> tuple[Part, dict]:
    role = "primary" if isinstance(m, Primary) else "guardrail"
    d = difference(mom, relative=m.scale == "relative", cuped=m.covariate is not None)
    ci = sequence(d, p, mom.n)
    t = threshold_of(m)
    status = t.judge(ci)
    need = None
    if status is Status.INCONCLUSIVE and math.isfinite(d.value) and math.isfinite(d.variance):
        total = units_to_decide(
            abs(d.value - t.bound), d.unit_variance, d.units, p.confidence, p.horizon
        )
        floor = math.ceil(p.min_units / min(p.treatment_share, 1.0 - p.treatment_share))
        need = None if total is None else max(total, floor) - d.units
    name = f"{role} {m.column}"
    message = _metric_message(m, d, ci, t, status, need, mom, p)
    part = Part(name, status, d.value, ci, t, d.units, message)
    row = {
        "metric": m.column,
        "role": role,
        "scale": m.scale,
        "control": d.control_mean,
        "treatment": d.treatment_mean,
        "difference": d.value,
        "low": ci.low if ci else None,
        "high": ci.high if ci else None,
        "bound": f"{t.op} {t.bound:g}",
        "status": status.value,
        "units_needed": need,
        "cuped_variance_reduction": d.variance_reduction,
    }
    return part, row


def _metric_message(m, d: Difference, ci, t: Threshold, status, need, mom, p) -> str:
    unit = "relative " if m.scale == "relative" else ""
    if ci is None and not math.isfinite(d.value):
        return f"the {unit}effect is undefined (control mean {d.control_mean:g}); keep collecting"
    if ci is None:
        short = [int(max(0, p.min_units - k)) for k in mom.n]
        return (
            f"keep collecting: {int(mom.n[0])} control / {int(mom.n[1])} treatment units, each "
            f"arm needs {p.min_units} before the effect is judged (short by {short[0]} / "
            f"{short[1]})"
        )
    text = (
        f"{unit}effect {d.value:+.4g} [{ci.low:+.4g}, {ci.high:+.4g}] ({ci.level:.0%} "
        f"always-valid), need {t.op} {t.bound:g}"
    )
    if d.variance_reduction is not None:
        text += f", CUPED cut the variance by {d.variance_reduction:.0%}"
    if status is Status.INCONCLUSIVE:
        if need is None:
            return f"{text}: keep collecting; no number of units decides it at the observed effect"
        return f"{text}: keep collecting, about {need} more units at the observed effect"
    return f"{text}: {status.value}"


def _integrity_parts(ctx: GateContext, fold: ABFold, p: ABTestParams, columns) -> list[Part]:
    """One error part per problem of the log (each holds the stage)."""
    found: list[tuple[str, int, list, str]] = []
    dup, both, dup_h, both_h = fold.ledger.repeated()

    def ids_of(hashes):
        frames = (b.frame for b in ctx.batches(None, p.dataset, columns=[p.unit]))
        return first_ids(frames, p.unit, hashes)

    if both:
        found.append(("units in both arms", both, ids_of(both_h), "a unit must stay in one arm"))
    if dup - both:
        found.append(
            (
                "units logged twice",
                dup - both,
                ids_of(np.setdiff1d(dup_h, both_h)),
                "aggregate the log to one row per unit",
            )
        )
    for m, mf in zip(p.metrics, fold.folds, strict=True):
        lost = int(mf.missing.sum())
        total = lost + int(mf.moments.n.sum())
        if lost and lost > m.max_missing * total:
            found.append(
                (
                    f"missing {m.column}",
                    lost,
                    mf.missing_ids,
                    f"{lost / total:.2%} of units have no outcome, {m.max_missing:.2%} allowed; "
                    "log 0 where nothing happened, or raise 'max_missing'",
                )
            )
    if fold.early:
        found.append(
            (
                "outcomes before assignment",
                fold.early,
                fold.early_ids,
                f"{p.outcome_at!r} is before {p.assigned_at!r}: the outcome cannot be the arm's",
            )
        )
    return [
        Part(
            name=f"log: {what}",
            status=Status.ERROR,
            sample_size=fold.rows,
            message=f"{count} in dataset {p.dataset!r}, first ids {shown(ids)}; {fix}",
        )
        for what, count, ids, fix in found
    ]


def _trail(points, m, p: ABTestParams) -> list[tuple[int, float, float | None, float | None]]:
    out = []
    for rows, mom in points:
        d = difference(mom, relative=m.scale == "relative", cuped=m.covariate is not None)
        ci = sequence(d, p, mom.n)
        if out and out[-1][0] == rows:
            continue
        out.append((rows, d.value, ci.low if ci else None, ci.high if ci else None))
    return out


def _default_id(p: ABTestParams) -> str:
    return f"ab-test-{p.metrics[0].column}"


AB_TEST = CheckType(
    name="ab_test",
    kind=KIND,
    params=ABTestParams,
    run=run_ab_test,
    summary="An A/B test or canary from its log: the primary effect with an always-valid "
    "confidence sequence (optionally CUPED), non-inferior guardrails and a sample-ratio "
    "check; promote, hold, or keep collecting with the units still needed.",
    validate=_validate,
    default_id=_default_id,
    needs_all_rows=False,
)
