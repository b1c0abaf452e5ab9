"""Partial runs (issue 18, issue 14 item 8): ``--collect-only`` writes nothing; ``-k``, ``-x``,
``--lf`` and an interrupt are marked partial in result.json and in the history, and a stage
whose planned blocking checks did not all run never promotes."""

from __future__ import annotations

import json

import pytest

from mlgate.core.decision import ExitCode
from mlgate.history import History

DESELECTED = "did not run: deselected (-k, -m, --lf, --sw or --deselect)"


@pytest.mark.parametrize("args", [("--collect-only",), ("--co", "-q"), ("--co", "-k", "roc")])
def test_collect_only_writes_no_result_report_or_history(pytester, tiny, stale_promote, args):
    tiny.write()
    before = (stale_promote / "result.json").read_bytes()
    result = pytester.runpytest("--mlgate", *args)
    assert result.ret == ExitCode.PROMOTE
    assert "mlgate: --collect-only: nothing was run or decided, and no file written" in (
        result.stdout.str()
    )
    assert (stale_promote / "result.json").read_bytes() == before
    assert (stale_promote / "report.html").exists()
    assert sorted(p.name for p in stale_promote.iterdir()) == ["report.html", "result.json"]


def test_collect_only_loads_no_model(pytester, tiny, stale_promote):
    """Listing items is not a run: a model that cannot load is not even tried."""
    cfg = tiny.config()
    cfg["models"]["candidate"] = {"factory": "no_such_module:make"}
    tiny.write(config=cfg)
    result = pytester.runpytest("--mlgate", "--collect-only", "-q")
    assert result.ret == ExitCode.PROMOTE
    result.stdout.fnmatch_lines(["mlgate.yaml::staging::accuracy", "*4 tests collected*"])
    assert json.loads((stale_promote / "result.json").read_text())["stale"] is True


def test_a_deselected_blocking_check_holds_and_the_run_is_marked_partial_everywhere(
    pytester, tiny, result_doc, result_schema
):
    tiny.write()
    result = pytester.runpytest("--mlgate", "-k", "not roc_auc")
    assert result.ret == ExitCode.HOLD
    result.stdout.fnmatch_lines(
        [
            "SKIPPED*block staging::roc_auc — " + DESELECTED.replace("[", "[[]"),
            "partial run: 1 of 4 planned checks did not run: 1 deselected *",
            "stage staging: HOLD",
            "    held by: roc_auc skipped",
            "stage production: PROMOTE WITH WARNINGS",
            "    warned by: log_loss warned",
        ]
    )
    doc = result_doc()
    assert list(result_schema.iter_errors(doc)) == []
    assert doc["run"]["partial"] is True
    assert doc["run"]["partial_reason"] == (
        "1 of 4 planned checks did not run: 1 deselected (-k, -m, --lf, --sw or --deselect)"
    )
    history = History(pytester.path / "reports" / "history.sqlite")
    (run,) = history.runs()
    assert run.partial is True and run.verdict == "hold"
    assert history.latest("tiny") is None  # a partial run is no run to compare with
    assert history.latest("tiny", partial=None)["run"]["partial"] is True


def test_a_complete_run_is_not_partial(pytester, tiny, result_doc):
    tiny.write()
    assert pytester.runpytest("--mlgate").ret == ExitCode.PROMOTE
    doc = result_doc()
    assert doc["run"]["partial"] is False and doc["run"]["partial_reason"] is None
    history = History(pytester.path / "reports" / "history.sqlite")
    assert history.runs()[0].partial is False
    assert history.latest("tiny")["verdict"] == "promote_with_warnings"


def test_only_a_missing_warn_check_may_still_promote_but_is_marked_partial(
    pytester, tiny, result_doc
):
    tiny.write()
    result = pytester.runpytest("--mlgate", "-k", "not log_loss")
    assert result.ret == ExitCode.PROMOTE
    doc = result_doc()
    assert [s["verdict"] for s in doc["stages"]] == ["promote", "promote_with_warnings"]
    assert doc["stages"][1]["reasons"] == [f"log_loss skipped: {DESELECTED}"]
    assert doc["run"]["partial"] is True


def test_exitfirst_marks_the_checks_it_cut_off(pytester, tiny, result_doc, statuses):
    tiny.write(candidate="bad")
    result = pytester.runpytest("--mlgate", "-x")
    assert result.ret == ExitCode.HOLD
    doc = result_doc()
    assert statuses(doc) == {
        "staging::accuracy": "failed",
        "staging::roc_auc": "skipped",
        "production::accuracy": "skipped",
        "production::log_loss": "skipped",
    }
    cut = doc["checks"][1]["message"]
    assert cut == "did not run: not reached (the session stopped early: stopping after 1 failures)"
    assert doc["run"]["partial_reason"].startswith("3 of 4 planned checks did not run: 3 not")


def test_last_failed_leaves_the_gate_file_out_and_the_gate_holds(
    pytester, tiny, result_doc, statuses
):
    """--lf reruns only the Python test that failed; pytest does not even collect the gate
    file (none of its items failed), and the gate must still not promote."""
    tiny.write()
    pytester.makepyfile(
        test_py="""
        import os

        def test_flaky():
            assert os.environ.get("MLGATE_TEST_FLAKY") == "fixed"
        """
    )
    assert pytester.runpytest("--mlgate").ret == ExitCode.TESTS_FAILED
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLGATE_TEST_FLAKY", "fixed")
        result = pytester.runpytest("--mlgate", "--lf")
    result.assert_outcomes(passed=1)
    assert result.ret == ExitCode.HOLD
    doc = result_doc()
    assert set(statuses(doc).values()) == {"skipped"}
    assert {c["message"] for c in doc["checks"]} == {
        "did not run: not collected (a collection error, or --lf left the gate file out)"
    }
    assert doc["run"]["partial_reason"].startswith("4 of 4 planned checks did not run")


def test_an_interrupt_holds_every_stage_and_is_marked(pytester, tiny, result_doc, statuses):
    tiny.write()
    pytester.makepyfile(
        test_stop="""
        import pytest

        @pytest.mark.mlgate(stages="staging")
        def test_first():
            raise KeyboardInterrupt
        """
    )
    # no_reraise_ctrlc: pytester would pass the Ctrl-C on to this very session
    result = pytester.runpytest("--mlgate", "test_stop.py", no_reraise_ctrlc=True)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    doc = result_doc()
    assert doc["verdict"] == "hold" and doc["run"]["partial"] is True
    assert set(statuses(doc).values()) == {"skipped"}
    assert doc["checks"][0]["message"] == (
        "did not run: not reached (the run was interrupted (Ctrl-C))"
    )


def test_an_inconclusive_check_is_not_shown_as_failed(pytester, tiny, result_doc):
    stages = {
        "staging": {
            "checks": [
                {"check": "metric_threshold", "metric": "accuracy", "min": 0.8},
                {
                    "check": "metric_threshold",
                    "metric": "roc_auc",
                    "min": 0.8,
                    "min_samples": 1000,
                },
            ]
        }
    }
    tiny.write(stages=stages)
    result = pytester.runpytest("--mlgate", "-v", "-rA")
    assert result.ret == ExitCode.HOLD
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*mlgate.yaml::staging::roc_auc INCONCLUSIVE*",
            "INCONCLUSIVE block staging::roc_auc * — only 400 rows in 'evaluation'*",
            "stage staging: HOLD",
            "    held by: roc_auc inconclusive",
            "*1 passed, 1 inconclusive*",
        ]
    )
    assert "FAILED" not in out and "= FAILURES =" not in out
    assert result_doc()["checks"][1]["status"] == "inconclusive"
