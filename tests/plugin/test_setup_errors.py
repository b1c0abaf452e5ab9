"""Setup mistakes are not model failures (issue 18): a model, factory, file or column the gate
file names that cannot be resolved is found before any check runs, and the run ends with
pytest's usage error (exit 4) and one message, never a HOLD repeated on every check."""

from __future__ import annotations

import pytest

from mlgate.core.decision import ExitCode


def _break(cfg: dict, mistake: str) -> tuple[str, str]:
    """Make one setup mistake in the tiny gate's config; returns (key, words) the message
    must show."""
    module = cfg["models"]["candidate"]["factory"].split(":")[0]
    if mistake == "factory-typo":
        cfg["models"]["candidate"] = {"factory": f"{module}:goood"}
        return "models.candidate", "has no attribute 'goood'"
    if mistake == "no-module":
        cfg["models"]["candidate"] = {"factory": "no_such_module:make"}
        return "models.candidate", "cannot import module 'no_such_module'"
    if mistake == "model-file":
        cfg["models"]["candidate"] = {"path": "models/candidate.skops"}
        return "models.candidate", "candidate.skops"
    if mistake == "data-file":
        cfg["datasets"]["evaluation"] = {"path": "data/missing.csv", "label": "y"}
        return "datasets.evaluation", "missing.csv"
    if mistake == "label-column":
        cfg["datasets"]["evaluation"]["label"] = "target"
        return "datasets.evaluation", "['target']"
    raise AssertionError(mistake)


MISTAKES = ["factory-typo", "no-module", "model-file", "data-file", "label-column"]


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_setup_mistake_is_one_usage_error_before_any_check(
    pytester, tiny, stale_promote, result_doc, result_schema, mistake
):
    cfg = tiny.config()
    key, words = _break(cfg, mistake)
    tiny.write(config=cfg)
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.USAGE_ERROR
    err, out = result.stderr.str(), result.stdout.str()
    assert "found before any check ran" in err and key in err and words in err
    assert err.count("setup problem") == 1  # one message, not one per check
    assert "Traceback" not in out + err and "INTERNALERROR" not in out + err
    assert len((out + err).strip().splitlines()) <= 14  # was 276 lines for one typo
    result.assert_outcomes()  # no check ran, none failed
    # The earlier promote is not left looking current: the result says nothing was decided.
    doc = result_doc()
    assert list(result_schema.iter_errors(doc)) == []
    assert doc["verdict"] == "hold" and doc["run"]["partial"] is True
    assert doc["run"]["partial_reason"].startswith("no check ran: setup error (exit status 4)")
    assert key in doc["run"]["partial_reason"]
    assert {c["status"] for c in doc["checks"]} == {"skipped"}
    assert {c["message"] for c in doc["checks"]} == {"did not run: setup error (exit status 4)"}
    assert not (stale_promote / "report.html").exists()
    assert not (stale_promote / "history.sqlite").exists()  # a typo is not a run


def test_every_setup_problem_is_listed_in_the_one_message(pytester, tiny):
    cfg = tiny.config()
    _break(cfg, "factory-typo")
    cfg["datasets"]["reference"]["label"] = "target"
    cfg["stages"]["staging"]["checks"].append(
        {"check": "metric_threshold", "metric": "accuracy", "min": 0.5, "dataset": "reference"}
    )
    tiny.write(config=cfg)
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "2 setup problem(s), found before any check ran" in err
    assert "models.candidate" in err and "datasets.reference" in err


@pytest.mark.slow
def test_only_the_selected_stages_need_a_working_setup(pytester, tiny):
    """A broken model that only an unselected stage's check names is not this run's problem;
    deciding that stage is."""
    cfg = tiny.config()
    cfg["models"]["champion"] = {"factory": "no_such_module:make"}
    cfg["stages"]["production"]["checks"].append(
        {"check": "metric_threshold", "metric": "accuracy", "min": 0.5, "model": "champion"}
    )
    tiny.write(config=cfg)
    assert pytester.runpytest("--mlgate", "--mlgate-stage", "staging").ret == ExitCode.PROMOTE
    result = pytester.runpytest("--mlgate", "--mlgate-stage", "production")
    assert result.ret == ExitCode.USAGE_ERROR
    assert "models.champion" in result.stderr.str()


@pytest.mark.slow
def test_a_setup_error_under_xdist_is_the_same_usage_error(pytester, tiny):
    pytest.importorskip("xdist")
    cfg = tiny.config()
    _break(cfg, "no-module")
    tiny.write(config=cfg)
    result = pytester.runpytest("--mlgate", "-n", "2")
    assert result.ret == ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert err.count("setup problem") == 1 and "models.candidate" in err
    assert "Traceback" not in result.stdout.str() + err
