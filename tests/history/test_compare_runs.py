"""compare(a, b): two results metric by metric, with intervals and whether they overlap."""

from __future__ import annotations

import pytest

from mlgate.core.errors import ResultError
from mlgate.history import History
from mlgate.report.compare import compare, format_comparison


def _by_key(rows):
    return {(r.stages, r.check_id, r.metric): r for r in rows}


def test_matching_metrics_are_compared_with_their_intervals(result_factory, check_factory):
    a = result_factory(
        checks=[
            check_factory("acc", "accuracy", 0.80, 0.75, 0.85),
            check_factory("ll", "log_loss", 0.30, 0.25, 0.35, higher_is_better=False),
            check_factory("f1", "f1", 0.70, 0.60, 0.80),
        ]
    )
    b = result_factory(
        checks=[
            check_factory("acc", "accuracy", 0.90, 0.86, 0.94),
            check_factory("ll", "log_loss", 0.32, 0.27, 0.37, higher_is_better=False),
            check_factory("f1", "f1", 0.70, 0.80, 0.90),  # touches a's interval at 0.80
        ]
    )
    rows = _by_key(compare(a, b))
    acc = rows[(("staging",), "acc", "accuracy")]
    assert (acc.a_value, acc.b_value) == (0.80, 0.90)
    assert acc.difference == pytest.approx(0.10)
    assert (acc.a_interval, acc.b_interval) == ((0.75, 0.85), (0.86, 0.94))
    assert acc.intervals_overlap is False and acc.direction == "better"
    ll = rows[(("staging",), "ll", "log_loss")]
    assert ll.intervals_overlap is True and ll.direction == "worse"  # lower is better
    f1 = rows[(("staging",), "f1", "f1")]
    assert f1.intervals_overlap is True and f1.direction == "same"
    assert acc.to_dict()["a"] == {"value": 0.8, "interval": [0.75, 0.85], "status": "passed"}
    assert (acc.model, acc.dataset) == ("candidate", "evaluation")


def test_checks_are_matched_by_stage_id_and_metric(result_factory, check_factory):
    a = result_factory(
        checks=[
            check_factory("acc", "accuracy", 0.8, stages=("staging",)),
            check_factory("acc", "accuracy", 0.8, stages=("production",)),
            check_factory("gone", "recall", 0.6),
            {"id": "py", "kind": "sanity", "status": "passed", "stages": ["staging"]},
        ]
    )
    b = result_factory(
        checks=[
            check_factory("acc", "accuracy", 0.9, stages=("production",)),
            check_factory("new", "precision", 0.7),
        ]
    )
    rows = compare(a, b)
    assert [(r.stages, r.check_id, r.a_value, r.b_value) for r in rows] == [
        (("staging",), "acc", 0.8, None),
        (("production",), "acc", 0.8, 0.9),
        (("staging",), "gone", 0.6, None),
        (("staging",), "new", None, 0.7),
    ]  # checks without a metric are not compared; a's order, then b's new ones
    assert rows[0].difference is None and rows[0].direction is None
    assert rows[0].intervals_overlap is None


def test_missing_or_non_finite_bounds_give_no_overlap_answer(result_factory, check_factory):
    a = result_factory(checks=[check_factory("acc", "accuracy", 0.8, None, 0.9)])
    b = result_factory(checks=[check_factory("acc", "accuracy", None, 0.7, 0.9)])
    (row,) = compare(a, b)
    assert row.a_interval is None and row.intervals_overlap is None
    assert row.b_value is None and row.difference is None


def test_unknown_direction_says_higher_or_lower(result_factory, check_factory):
    a = result_factory(checks=[check_factory("x", "custom", 1.0)])
    b = result_factory(checks=[check_factory("x", "custom", 2.0)])
    for doc in (a, b):
        del doc["checks"][0]["evidence"]["higher_is_better"]
    (row,) = compare(a, b)
    assert row.direction == "higher" and row.higher_is_better is None


@pytest.mark.parametrize("bad", [None, [], {"checks": "x"}, {"gate": {}}])
def test_documents_that_are_not_results_are_refused(bad, result_factory):
    with pytest.raises(ResultError, match="b: expected a result document"):
        compare(result_factory(), bad)


def test_format_comparison_prints_one_line_per_metric(result_factory, check_factory):
    a = result_factory(checks=[check_factory("acc", "accuracy", 0.80, 0.75, 0.85)])
    b = result_factory(checks=[check_factory("acc", "accuracy", 0.90, 0.86, 0.94)])
    lines = format_comparison(compare(a, b)).splitlines()
    assert lines[0].split() == [
        "stage", "check", "metric", "a", "a", "interval", "b", "b", "interval", "b", "-", "a",
        "overlap",
    ]  # fmt: skip
    assert lines[1].split() == [
        "staging", "acc", "accuracy", "0.8", "[0.75,", "0.85]", "0.9", "[0.86,", "0.94]",
        "+0.1", "better", "NO",
    ]  # fmt: skip


def test_compare_reads_runs_back_from_the_history(tmp_path, result_factory, check_factory):
    h = History(tmp_path / "h.sqlite")
    h.record(result_factory(checks=[check_factory("acc", "accuracy", 0.8, 0.7, 0.9)]))
    h.record(result_factory(checks=[check_factory("acc", "accuracy", 0.85, 0.75, 0.95)]))
    (row,) = compare(h.get(1), h.get(2))
    assert row.difference == pytest.approx(0.05) and row.intervals_overlap is True


def test_format_comparison_names_the_two_runs_when_given(result_factory):
    a = result_factory(verdict="promote", identity="sha256:" + "1" * 64)
    b = result_factory(verdict="hold", identity="sha256:" + "2" * 64, checks=[])
    lines = format_comparison(compare(a, b), a, b).splitlines()
    assert lines[0] == (
        "a: gate g, verdict promote, reached production, finished 2026-01-01T00:00:01+00:00, "
        "model sha256:111111111111"
    )
    # b held at production: staging is the last stage its model reached
    assert lines[1].startswith("b: gate g, verdict hold, reached staging,")
    assert format_comparison([]).splitlines()[-1] == "(no metric in either result)"


def test_format_comparison_marks_a_partial_run_and_keeps_data_on_one_line(result_factory):
    a = result_factory(gate="g\n\x1b[2Jx")
    a["run"] |= {"partial": True, "partial_reason": "1 of 2 planned checks did not run"}
    b = result_factory()
    first = format_comparison(compare(a, b), a, b).splitlines()[0]
    assert first.startswith("a: gate g \ufffd[2Jx, PARTIAL RUN, no final verdict (promote on")
    assert "reached" not in first  # a partial run reaches no stage
