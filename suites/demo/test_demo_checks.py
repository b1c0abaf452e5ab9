"""Python gate checks for the demo: what a team adds beside the gate file.

Marked tests become gate checks with ``pytest --mlgate``; without it they are skipped.
"""

import pytest

from mlgate import CheckResult, Status, Threshold


@pytest.mark.mlgate(kind="sanity", severity="block")
def test_candidate_predicts_both_classes(mlgate):
    labels = mlgate.predict("candidate", "evaluation").labels
    assert set(labels.tolist()) == {0, 1}, f"the candidate predicts only {set(labels.tolist())}"


@pytest.mark.mlgate(kind="sanity", severity="warn", id="positive-rate-gap")
def test_positive_rate_close_to_label_rate(mlgate, mlgate_record):
    """The share of predicted positives stays within 5 points of the true share."""
    y = mlgate.dataset("evaluation").y
    labels = mlgate.predict("candidate", "evaluation").labels
    gap = abs(float((labels == 1).mean()) - float((y == 1).mean()))
    mlgate_record(
        CheckResult(
            check_id="positive-rate-gap",
            kind="sanity",
            metric="positive_rate_gap",
            value=gap,
            threshold=Threshold("<=", 0.05),
            sample_size=len(y),
            method="difference of rates",
            status=Status.PASSED if gap <= 0.05 else Status.FAILED,
            message=f"predicted positive rate differs from the label rate by {gap:.3f}",
        )
    )
