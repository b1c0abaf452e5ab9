"""From expectation outcomes to one check result.

Each expectation is a part of the check; the check's status is the worst part's
(:meth:`Status.worst <mlgate.core.result.Status.worst>`). So the check **fails** when a
blocking expectation failed, is an **error** when one could not be evaluated, is
**inconclusive** when the data has fewer than ``min_rows`` rows, a blocking expectation had
nothing to judge, or there was no expectation at all, **warns** when only ``warn``
expectations did not pass, and **passes** otherwise. Too little data is never a pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlgate.checks.data.evaluate import Outcome
from mlgate.core.evidence import Examples, Table
from mlgate.core.result import CheckResult, Part, Status, Threshold

KIND = "data"
METHOD = (
    "mlgate native data expectations (vectorised pandas / NumPy; nulls are not judged by "
    "row-wise expectations)"
)


def expectation_part(o: Outcome) -> Part:
    """The part an expectation's outcome is of its check: a ``warn`` expectation that failed or
    had nothing to judge only warns; an error stays an error whatever the severity."""
    status = o.status
    if o.severity != "block" and status is not Status.PASSED and status is not Status.ERROR:
        status = Status.WARNED
    return Part(o.name, status, sample_size=o.element_count, message=o.message)


def suite_status(outcomes: Sequence[Outcome], *, n_rows: int, min_rows: int) -> Status:
    """The check's status from its expectations' (see the module docstring)."""
    parts = [expectation_part(o) for o in outcomes]
    if n_rows < min_rows:
        parts.append(Part("rows", Status.INCONCLUSIVE, sample_size=n_rows))
    return Status.worst(parts)


def data_result(
    outcomes: Sequence[Outcome],
    *,
    check_id: str,
    dataset: str,
    n_rows: int,
    min_rows: int = 1,
    evidence: dict[str, Any] | None = None,
    max_failing_rows: int = 200,
) -> CheckResult:
    """One :class:`CheckResult` for a suite's outcomes on ``dataset`` (``n_rows`` rows).

    ``value`` is the number of expectations that did not pass (threshold ``<= 0``);
    evidence holds a :class:`~mlgate.core.evidence.Table` of every expectation
    (``expectations``) and :class:`~mlgate.core.evidence.Examples` of the offending rows of
    those that did not pass (``failing_rows``: the expectation's name, the row's index label
    and its values).
    """
    status = suite_status(outcomes, n_rows=n_rows, min_rows=min_rows)
    not_passed = [o for o in outcomes if o.status is not Status.PASSED]
    failing_rows: list[dict[str, Any]] = []
    for o in not_passed:
        failing_rows.extend({"expectation": o.name, **r} for r in o.failing_rows)
    lines = [f"{o.name}: {o.status.value}: {o.message}" for o in not_passed[:10]]
    if len(not_passed) > 10:
        lines.append(f"... and {len(not_passed) - 10} more")
    n_ok = len(outcomes) - len(not_passed)
    head = f"{n_ok} of {len(outcomes)} expectations passed on {dataset!r} ({n_rows} rows)"
    if n_rows < min_rows:
        head += f"; fewer than min_rows={min_rows} rows, so nothing can pass"
    elif not outcomes:
        head += "; no expectation to judge, so nothing can pass"
    return CheckResult(
        check_id=check_id,
        kind=KIND,
        status=status,
        metric="expectations not passed",
        value=float(len(not_passed)),
        threshold=Threshold("<=", 0.0),
        sample_size=n_rows,
        method=METHOD,
        message=head + (". " + "; ".join(lines) if lines else "."),
        evidence={
            "dataset": dataset,
            "rows": n_rows,
            "counts": {s.value: sum(o.status is s for o in outcomes) for s in Status},
            "expectations": Table.of((o.to_row() for o in outcomes), title="expectations"),
            "failing_rows": Examples.of(
                failing_rows[:max_failing_rows], title="rows that did not meet an expectation"
            ),
            "details": {o.name: dict(o.details) for o in outcomes if o.details},
            **(evidence or {}),
        },
    )
