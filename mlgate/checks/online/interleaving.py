"""Check type ``interleaving``: does the candidate win a team-draft interleaving experiment?

In team-draft interleaving every query is shown one list merged from both rankers' results,
and each click is credited to the ranker that contributed the clicked result. The log has one
row per impression: its id, the candidate's credit and the champion's credit (clicks, or any
non-negative score). An impression is **won** by the ranker with more credit and is a **tie**
when both have the same (most often none). The check judges:

- **preference**: the candidate's share of the impressions with a winner (ties excluded), with
  an always-valid interval by default (``test: sequential``: the beta-binomial confidence
  sequence, so the gate may be re-run after every batch of logs) or, for one planned look, the
  Wilson interval (``test: fixed``), against ``min_preference`` (1/2: the candidate must be
  preferred). The interval clearing it is **promote**, lying wholly below it **hold**, else
  **keep collecting** with the impressions still needed at the observed share. The message
  also gives the two-sided p-value of no preference (ties excluded): the always-valid one, or
  the exact sign test's;
- **the log**: repeated impression ids, impressions without an id, credit that is not a number
  or is negative, and missing credit beyond ``max_missing``: each an error part (holds the
  stage) with its count and the first ids.

The check folds the log chunk by chunk (``needs_all_rows=False``).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mlgate.checks.online.interleaving_fold import (
    MISSING,
    NEGATIVE,
    NO_ID,
    NOT_NUMBER,
    InterleavingFold,
)
from mlgate.checks.online.logs import aligned_chunks, first_ids, require_columns, shown
from mlgate.checks.online.verdict import decision, headline, log_problems, sequence_curve
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Table
from mlgate.core.registry import CheckType, require_dataset
from mlgate.core.result import CheckResult, Part, Status, Threshold, rounded
from mlgate.stats.preference import Preference, preference, trials_to_decide

KIND = "online"

METHOD = {
    "sequential": "team-draft interleaving preference (ties excluded) with the always-valid "
    "beta-binomial confidence sequence and p-value (Howard et al. 2021; Chapelle et al. 2012)",
    "fixed": "team-draft interleaving preference (ties excluded) with the Wilson interval and "
    "the exact two-sided sign test, valid for one planned look (Chapelle et al. 2012)",
}


class InterleavingParams(BaseModel):
    """The gate-file keys of ``interleaving`` (documented in docs/checks/online.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str = "evaluation"
    impression: str = "impression_id"
    candidate_credit: str = "candidate_credit"
    champion_credit: str = "champion_credit"
    #: The share of decided impressions the candidate must win (1/2: preferred at all).
    min_preference: float = Field(0.5, gt=0.0, lt=1.0)
    #: ``sequential``: always valid, re-run at will; ``fixed``: one planned look.
    test: Literal["sequential", "fixed"] = "sequential"
    confidence: float = Field(0.95, ge=0.5, le=0.999)
    #: The share of impressions allowed a missing credit (left out and counted).
    max_missing: float = Field(0.0, ge=0.0, le=0.5)


def _validate(p: InterleavingParams, config: GateConfig) -> None:
    require_dataset(config, p.dataset, label=False)
    columns = (p.impression, p.candidate_credit, p.champion_credit)
    if len(set(columns)) < 3:
        raise ConfigError(
            f"'impression' ({p.impression!r}), 'candidate_credit' ({p.candidate_credit!r}) and "
            f"'champion_credit' ({p.champion_credit!r}) must be three different columns",
            path="candidate_credit",
        )


def run_interleaving(ctx: GateContext, p: InterleavingParams) -> CheckResult:
    roles = {
        "impression": p.impression,
        "candidate_credit": p.candidate_credit,
        "champion_credit": p.champion_credit,
    }
    require_columns(ctx.column_names(p.dataset), roles, p.dataset)
    columns = list(roles.values())
    fold = InterleavingFold(p.impression, p.candidate_credit, p.champion_credit)
    for chunk in aligned_chunks(ctx.batches(None, p.dataset, columns=columns)):
        fold.add(chunk)

    pref = preference(fold.wins, fold.losses, p.confidence, p.test)
    part, needed = _preference_part(pref, fold, p)
    parts = [part, *_log_parts(ctx, fold, p)]
    result = CheckResult.from_parts(
        KIND,
        parts,
        metric="preference for the candidate (share of decided impressions won)",
        method=METHOD[p.test],
        evidence=_evidence(pref, fold, parts, needed, p),
    )
    if part.status is result.status:
        result = result.with_context(
            value=part.value,
            interval=part.interval,
            threshold=part.threshold,
            sample_size=part.sample_size,
        )
    return result.with_context(message=headline(decision(result.status), parts, result.status))


def _preference_part(pref: Preference, fold: InterleavingFold, p) -> tuple[Part, int | None]:
    t = Threshold(">=", p.min_preference)
    status = t.judge(pref.interval)
    ci = pref.interval
    needed = None
    if status is Status.INCONCLUSIVE and pref.share is not None:
        m = trials_to_decide(pref.share, p.min_preference, pref.decided, p.confidence, p.test)
        if m is not None:
            # Decided impressions come at the observed rate among the counted ones.
            needed = math.ceil((m - pref.decided) * fold.counted / pref.decided)
    counts = (
        f"candidate won {fold.wins}, champion won {fold.losses} of {fold.counted} impressions "
        f"({fold.ties} ties, left out)"
    )
    if ci is None or pref.share is None:
        text = f"{counts}: no impression with a winner yet; keep collecting"
        return Part("preference", status, None, None, t, 0, text), None
    sequential = p.test == "sequential"
    kind, test = ("always-valid",) * 2 if sequential else ("Wilson", "exact sign test")
    text = (
        f"{counts}: share {pref.share:.2%} [{ci.low:.2%}, {ci.high:.2%}] ({ci.level:.0%} "
        f"{kind}), no-preference p = {pref.p_value:.3g} (two-sided, {test}), "
        f"need >= {p.min_preference:g}"
    )
    if status is Status.INCONCLUSIVE:
        text += (
            f": keep collecting, about {needed} more impressions at the observed share"
            if needed is not None
            else ": keep collecting; no number of impressions decides it at the observed share"
        )
    else:
        text += f": {status.value}"
    return Part("preference", status, pref.share, ci, t, pref.decided, text), needed


def _log_parts(ctx: GateContext, fold: InterleavingFold, p) -> list[Part]:
    """One error part per problem of the log (each holds the stage)."""
    found: list[tuple[str, int, list, str]] = []
    dup, _, dup_h, _ = fold.ledger.repeated()
    if dup:
        frames = (b.frame for b in ctx.batches(None, p.dataset, columns=[p.impression]))
        ids = first_ids(frames, p.impression, dup_h)
        found.append(("repeated impression ids", dup, ids, "log each impression once"))
    fixes = {
        NO_ID: "give every impression its id",
        NOT_NUMBER: "log credit as numbers (clicks, or 0/1)",
        NEGATIVE: "credit counts clicks: it cannot be below 0",
    }
    for name, fix in fixes.items():
        prob = fold.problems[name]
        if prob.count:
            found.append((name, prob.count, prob.first, f"{fix}; these rows are left out"))
    lost = fold.problems[MISSING]
    if lost.count and lost.count > p.max_missing * fold.rows:
        found.append(
            (
                MISSING,
                lost.count,
                lost.first,
                f"{lost.count / fold.rows:.2%} of impressions have no credit, "
                f"{p.max_missing:.2%} allowed; log 0 where nothing was clicked, or raise "
                "'max_missing'",
            )
        )
    return [
        Part(
            name=f"log: {what}",
            status=Status.ERROR,
            sample_size=fold.rows,
            message=f"{count} in dataset {p.dataset!r}, first {shown(ids)}; {fix}",
        )
        for what, count, ids, fix in found
    ]


def _evidence(pref: Preference, fold: InterleavingFold, parts, needed, p) -> dict:
    status = Status.worst(parts)
    trail = []
    for rows, won, lost in [*fold.trail, (fold.rows, fold.wins, fold.losses)]:
        if trail and trail[-1][0] == rows:
            continue
        at = preference(won, lost, p.confidence, p.test)
        ci = at.interval
        trail.append((rows, at.share, ci.low if ci else None, ci.high if ci else None))

    evidence = {
        "decision": decision(status),
        "impressions_needed": needed,
        "impressions": Table.of(
            [
                {"outcome": "candidate won", "impressions": fold.wins},
                {"outcome": "champion won", "impressions": fold.losses},
                {"outcome": "tie (left out)", "impressions": fold.ties},
                {"outcome": "log problem (left out)", "impressions": fold.rows - fold.counted},
            ],
            title="impressions by outcome",
        ),
        "preference": {
            "share": rounded(pref.share),
            "low": rounded(pref.interval.low) if pref.interval else None,
            "high": rounded(pref.interval.high) if pref.interval else None,
            "p_value": rounded(pref.p_value, significant=True),
            "test": p.test,
            "min_preference": p.min_preference,
        },
        "confidence_sequence": sequence_curve(
            trail,
            ylabel="share of decided impressions won by the candidate",
            title="preference and its interval as the log grew",
        ),
    }
    return evidence | log_problems(parts)


def _default_id(p: InterleavingParams) -> str:
    return "interleaving"


INTERLEAVING = CheckType(
    name="interleaving",
    kind=KIND,
    params=InterleavingParams,
    run=run_interleaving,
    summary="A team-draft interleaving experiment from its per-impression credit log: the "
    "candidate's preference share (ties excluded) with an always-valid interval and a test of "
    "no preference; promote, hold, or keep collecting with the impressions still needed.",
    validate=_validate,
    default_id=_default_id,
    needs_all_rows=False,
)
