"""The evidence blocks of the calibration checks: reliability diagrams and their per-bin tables.

A classifier's reliability diagram has one point per confidence bin (mean confidence, observed
accuracy or frequency, rows); ``classwise`` binning gives one diagram per class. A regressor's
has one point per nominal level (nominal coverage or quantile level vs the observed share).
The full per-bin rows (edges, gap, interval, status) go in a :class:`Table` beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlgate.checks.calibration.bins import CalibrationSummary
from mlgate.core.evidence import Blocks, Reliability, Table
from mlgate.core.result import rounded


def reliability_of(summary: CalibrationSummary, classes: Sequence[Any], title: str):
    """The reliability diagram of ``summary`` (a :class:`Reliability`; for ``classwise`` a
    :class:`Blocks` of one per class) and its per-bin :class:`Table`. Empty bins keep their
    place with a null confidence and accuracy."""
    rows = summary.table
    table = Table.of((row.to_dict() for row in rows), title=f"{title}: per-bin table")
    if summary.kind != "classwise":
        return _diagram(rows, title), table
    groups = sorted({row.cls for row in rows})
    diagrams = tuple(
        _diagram([r for r in rows if r.cls == g], f"{title}: class {_name(classes, g)}")
        for g in groups
    )
    return Blocks(items=diagrams, title=title), table


def _diagram(rows: Sequence[Any], title: str) -> Reliability:
    return Reliability(
        confidence=[rounded(r.confidence) for r in rows],
        accuracy=[rounded(r.accuracy) for r in rows],
        count=[_count(r.count) for r in rows],
        title=title,
    )


def _count(n: float) -> int | float | None:
    return int(n) if float(n).is_integer() else rounded(n)


def _name(classes: Sequence[Any], code: int | None) -> Any:
    return classes[code] if code is not None and 0 <= code < len(classes) else code


def nominal_vs_observed(rows: Sequence[dict[str, Any]], n: int, title: str) -> Reliability:
    """A regressor's reliability diagram: per row, the nominal level (``confidence``) against
    the observed share (``accuracy``), each judged on the same ``n`` rows."""
    return Reliability(
        confidence=[rounded(r["confidence"]) for r in rows],
        accuracy=[rounded(r["accuracy"]) for r in rows],
        count=[n] * len(rows),
        title=title,
    )
