"""The tail the transformation-based checks (perturbation, invariance, directional) share:
their evidence, worst examples and shrunk counterexamples, the result made from their judged
parts, and the check type that reads the target and runs them.

Each check reports one :class:`~mlgate.core.result.Part` per criterion it judged (a flip or
violation rate, a metric drop, a bound on the size of the score changes) and the kernel
derives the status from them (:meth:`CheckResult.from_parts`): that is what lets a gate
file's ``decision_rule`` re-judge them (:meth:`CheckResult.rejudged`). The headline (metric,
value, interval, threshold, sample size) is given by the check, so it stays the criterion the
check leads with whichever part decided.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from mlgate.checks.behavior.checks.common import (
    BehaviorParams,
    Target,
    default_id,
    run_variants,
)
from mlgate.checks.behavior.compare import Compare, take
from mlgate.checks.behavior.counterexamples import shrink
from mlgate.checks.behavior.evidence import (
    finish_message,
    jsonable_row,
    jsonable_value,
    prediction_at,
)
from mlgate.checks.behavior.variants import AppliedTransform, VariantOutcome
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import DataError, MissingDependencyError
from mlgate.core.evidence import Examples
from mlgate.core.registry import CheckType
from mlgate.core.result import CheckResult, Part, Status

#: The headline fields a check gives itself rather than taking the decisive part's.
HEADLINE = ("metric", "value", "interval", "threshold", "sample_size", "method")


@dataclass(frozen=True)
class Variants:
    """One check's transformation run: its target and parameters, the transformation, every
    (row, variant) pair predicted and judged by ``compare``. Made by :func:`vary`."""

    kind: str
    t: Target
    p: BehaviorParams
    applied: AppliedTransform
    outcome: VariantOutcome
    compare: Compare

    def evidence(self) -> dict[str, Any]:
        """What every transformation-based check records first: the model, the data, the
        transformation, the number of variants and the rows used."""
        return {
            "model": self.t.model,
            "dataset": self.t.dataset,
            "transform": self.applied.describe(),
            "variants": self.p.variants,
            "sample": self.t.sample_evidence(),
        }

    def result(
        self,
        parts: Sequence[Part],
        *,
        head: str,
        evidence: dict[str, Any],
        headline: dict[str, Any],
        score_index: int | None = None,
        paste: bool = True,
    ) -> CheckResult:
        """The check's result from its judged ``parts``: the worst examples, and, unless
        every part passed, the shrunk counterexamples (``paste``: with a line ready for a
        minimum_functionality cases file) added to ``evidence``; the message is ``head``
        followed by the worst example and the minimal counterexample. ``headline`` holds the
        fields of :data:`HEADLINE` (a missing one is None, not the decisive part's)."""
        t, p = self.t, self.p
        status = Status.worst(parts)
        examples = example_evidence(t, self.outcome, score_index=score_index)
        minimal, note = [], None
        if status is not Status.PASSED and examples and p.shrink:
            minimal, note = shrunk_evidence(
                t, p, self.applied, self.outcome, self.compare, paste=paste
            )
        evidence["examples"] = examples_block(examples, "worst examples")
        evidence["minimal"] = examples_block(minimal, "minimal counterexamples")
        if note:
            evidence["minimal_note"] = note
        return CheckResult.from_parts(
            self.kind,
            parts,
            message=finish_message(head, examples, minimal, note),
            evidence=evidence,
            **{key: headline.get(key) for key in HEADLINE},
        )


def vary(kind: str, t: Target, p: BehaviorParams, compare: Compare) -> Variants:
    """Resolve the check's transformation and predict every (row, variant) pair in batches
    (:func:`~mlgate.checks.behavior.checks.common.run_variants`)."""
    applied, outcome = run_variants(t, p, compare)
    return Variants(kind, t, p, applied, outcome, compare)


def example_evidence(
    t: Target, outcome: VariantOutcome, *, score_index: int | None = None
) -> list[dict[str, Any]]:
    """The worst violating pairs: the original row, the changed columns, both predictions."""
    out = []
    for c in outcome.examples:
        if not c.violation:
            continue
        original = t.X.iloc[c.row]
        changed_cols = [col for col in t.X.columns if _differs(original[col], c.changed_row[col])]
        out.append(
            {
                "row": jsonable_value(t.X.index[c.row]),
                "variant": c.variant,
                "original": jsonable_row(original),
                "changed": jsonable_row(c.changed_row, changed_cols),
                "prediction": {
                    "original": prediction_at(t.original, c.row, score_index=score_index),
                    "changed": prediction_at(outcome.perturbed, c.pair, score_index=score_index),
                },
                "change": jsonable_value(c.magnitude),
            }
        )
    return out


def examples_block(rows: list[dict[str, Any]], title: str) -> Examples:
    """``rows`` (worst examples, counterexamples, failed cases) as an :class:`Examples` block:
    shown as a short table in the report, never in the model card."""
    return Examples.of(rows, title=title)


def _differs(a: Any, b: Any) -> bool:
    if pd.isna(a) and pd.isna(b):
        return False
    return bool(a != b)


def shrunk_evidence(
    t: Target,
    p: BehaviorParams,
    applied: AppliedTransform,
    outcome: VariantOutcome,
    compare: Compare,
    *,
    paste: bool = True,
) -> tuple[list[dict[str, Any]], str | None]:
    """Shrink the ``p.shrink`` most fragile rows to minimal counterexamples. Returns their
    evidence and a note when shrinking was not possible (Hypothesis missing)."""
    rows = fragile_rows(outcome, p.shrink)
    truth = _truth(t) if paste else None
    found = []
    for row in rows:
        try:
            cx = shrink(
                t.adapter,
                t.X,
                row,
                applied,
                original=take(t.original, np.array([row])),
                compare=compare,
                budget=p.shrink_budget,
            )
        except MissingDependencyError as exc:
            return found, str(exc)
        if cx is not None:
            d = cx.to_dict(None if truth is None else truth[row])
            if not paste:
                d["paste"] = None
            found.append(d)
    return found, None


def fragile_rows(outcome: VariantOutcome, k: int) -> list[int]:
    """The ``k`` rows broken by the most variants (ties: the larger change, then the lower
    row): the easiest to shrink, as a perturbation of any size breaks them most often."""
    bad = outcome.changed & outcome.violation
    counts = np.bincount(outcome.rows[bad], minlength=outcome.n_rows)
    size = np.zeros(outcome.n_rows)
    np.maximum.at(size, outcome.rows[bad], np.nan_to_num(outcome.magnitude[bad], nan=0.0))
    order = np.lexsort((np.arange(outcome.n_rows), -size, -counts))
    return [int(r) for r in order[:k] if counts[r] > 0]


def _truth(t: Target) -> np.ndarray | None:
    """The true labels when the data has them (the expected output of pasted cases)."""
    try:
        return t.labels()
    except DataError:
        return None


@dataclass(frozen=True)
class _Run:
    """A check type's ``run``: read the target once, then evaluate it (a plain object rather
    than a closure, so it pickles like a module-level function)."""

    kind: str
    evaluate: Callable[[Target, Any], CheckResult]

    def __call__(self, ctx: GateContext, p: BehaviorParams) -> CheckResult:
        return self.evaluate(Target.read(ctx, p, self.kind), p)


def needs_every_row(p: BehaviorParams) -> bool:
    """Whether the check needs every row in one place: only with ``rows: all``; with a row
    cap it folds the data into a bounded sample (:func:`~mlgate.checks.behavior.sampling.
    draw_sample`), so it runs on a distributed engine at any size."""
    return p.rows == "all"


@dataclass(frozen=True)
class _DefaultId:
    kind: str

    def __call__(self, p: BehaviorParams) -> str:
        return default_id(self.kind, p)


def behavior_check(
    kind: str,
    params: type[BaseModel],
    evaluate: Callable[[Target, Any], CheckResult],
    *,
    summary: str,
    validate: Callable[[Any, GateConfig], None],
) -> CheckType:
    """The check type ``kind`` that evaluates its :class:`Target` with ``evaluate``, with the
    family's default id (:func:`~mlgate.checks.behavior.checks.common.default_id`)."""
    return CheckType(
        name=kind,
        kind=kind,
        params=params,
        run=_Run(kind, evaluate),
        summary=summary,
        validate=validate,
        default_id=_DefaultId(kind),
        needs_all_rows=needs_every_row,
    )
